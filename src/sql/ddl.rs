//! CREATE, DROP and RENAME: from the parsed statement to a persisted catalog entry.
//!
//! Machbase statements (`CREATE TAG TABLE`, `CREATE TABLE`) upper-case table and column
//! names; `CREATE STREAM` keeps them and adds `_tp_time datetime64(3, 'UTC') DEFAULT
//! now64(3, 'UTC')` unless the stream declares it, and `_tp_delta int8 DEFAULT 1` for the
//! `changelog` and `changelog_kv` modes. Of a stream's SETTINGS, `mode` and `version_column`
//! shape the table; the others are accepted without effect (README compatibility table).
//!
//! RENAME rewrites one catalog entry (the rows are keyed by table id, not name), so a crash
//! leaves either the old name or the new one, never both or neither.

use std::sync::Arc;

use super::QueryError;
use super::ast::{ColumnDef, CreateTable, DropTable, Expr, RenameTable};
use crate::app::App;
use crate::catalog::{
    Column, ColumnRole, ColumnType, DefaultValue, Dialect, StreamMode, TP_DELTA, TP_TIME, Table,
    TableError, TableKind, TypeName, name_problem, unqualified,
};
use crate::limits::NAME_BYTES_MAX;
use crate::timefmt;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DdlOutcome {
    Created,
    /// `IF NOT EXISTS` and the table was there.
    AlreadyExists,
    Dropped,
    /// `IF EXISTS` and the table was not there.
    NotFound,
    Renamed,
}

fn default_value(expr: &Expr, column: &str, ty: &ColumnType) -> Result<DefaultValue, QueryError> {
    let unsupported = || {
        QueryError::Unsupported(format!(
            "DEFAULT for column {column} must be a literal or now()/now64(); tidegate does not \
             evaluate other default expressions"
        ))
    };
    match expr {
        Expr::Function { name, .. }
            if ["now", "now64"]
                .iter()
                .any(|n| name.eq_ignore_ascii_case(n)) =>
        {
            Ok(DefaultValue::Now)
        }
        Expr::Literal(v) => {
            let converted = match (ty, v) {
                (_, Value::Null) => Value::Null,
                (ColumnType::String { .. } | ColumnType::Json, Value::Str(s)) => {
                    Value::Str(s.clone())
                }
                (ColumnType::Float32 | ColumnType::Float64, v) => {
                    Value::Float(v.as_f64().ok_or_else(unsupported)?)
                }
                (ColumnType::DateTime { .. }, Value::Str(s)) => {
                    Value::Time(timefmt::parse_best_effort(s).ok_or_else(unsupported)?)
                }
                (ColumnType::DateTime { .. }, Value::Int(ns)) => Value::Time(*ns),
                (ColumnType::Bool, Value::Bool(b)) => Value::Bool(*b),
                (
                    ColumnType::Int8 | ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64,
                    Value::Int(i),
                ) => Value::Int(*i),
                (
                    ColumnType::UInt8
                    | ColumnType::UInt16
                    | ColumnType::UInt32
                    | ColumnType::UInt64,
                    Value::Int(i),
                ) if *i >= 0 => Value::UInt(*i as u64),
                _ => return Err(unsupported()),
            };
            Ok(DefaultValue::Literal(converted))
        }
        _ => Err(unsupported()),
    }
}

/// The `mode` setting (Proton's message for a bad one, reference §2.2).
fn stream_mode(create: &CreateTable) -> Result<StreamMode, QueryError> {
    match create.settings.iter().rev().find(|(k, _)| k == "mode") {
        None => Ok(StreamMode::Append),
        Some((_, m)) => StreamMode::parse(m).ok_or_else(|| {
            QueryError::BadDefinition(
                "Storage 'mode' can be only 'append', 'changelog', 'changelog_kv' or \
                 'versioned_kv'"
                    .into(),
            )
        }),
    }
}

/// `_tp_delta int8 DEFAULT 1`, which Proton adds to changelog streams.
fn tp_delta_column() -> ColumnDef {
    ColumnDef {
        name: TP_DELTA.into(),
        ty: TypeName {
            name: "int8".into(),
            args: Vec::new(),
        },
        role: ColumnRole::Plain,
        summarized: false,
        default: Some(Expr::Literal(Value::Int(1))),
    }
}

/// Refuses a name `name_problem` finds fault with.
fn check_name(name: &str) -> Result<(), QueryError> {
    match name_problem(name, NAME_BYTES_MAX, "name_bytes_max") {
        Some(problem) => Err(QueryError::BadName {
            name: name.to_owned(),
            problem,
        }),
        None => Ok(()),
    }
}

fn build_table(create: &CreateTable) -> Result<Table, QueryError> {
    check_name(unqualified(&create.name))?;
    for def in &create.columns {
        check_name(&def.name)?;
    }
    let mode = stream_mode(create)?;
    let mut delta = None;
    if mode.has_delta() && !create.columns.iter().any(|c| c.name == TP_DELTA) {
        delta = Some(tp_delta_column());
    }
    let machbase = create.kind != TableKind::Stream;
    let dialect = if machbase {
        Dialect::Machbase
    } else {
        Dialect::Proton
    };
    let name_of = |n: &str| -> Box<str> {
        if machbase {
            n.to_ascii_uppercase().into()
        } else {
            n.into()
        }
    };
    let mut columns = Vec::with_capacity(create.columns.len() + 2);
    for def in create.columns.iter().chain(delta.as_ref()) {
        let resolved = def
            .ty
            .resolve(dialect)
            .map_err(|e| QueryError::BadDefinition(format!("column {}: {e}", def.name)))?;
        let default = match &def.default {
            Some(expr) => default_value(expr, &def.name, &resolved.ty)?,
            None => DefaultValue::None,
        };
        columns.push(Column {
            name: name_of(&def.name),
            ty: resolved.ty,
            // Machbase columns other than the key columns always accept NULL.
            nullable: if machbase {
                def.role == ColumnRole::Plain
            } else {
                resolved.nullable
            },
            default,
            role: def.role,
            summarized: def.summarized,
        });
    }
    if create.kind == TableKind::Stream && !columns.iter().any(|c| &*c.name == TP_TIME) {
        columns.push(Column {
            name: TP_TIME.into(),
            ty: ColumnType::DateTime {
                precision: 3,
                tz: Some("UTC".into()),
            },
            nullable: false,
            default: DefaultValue::Now,
            role: ColumnRole::Plain,
            summarized: false,
        });
    }
    let key: Vec<&str> = create.primary_key.iter().map(String::as_str).collect();
    let version = create
        .settings
        .iter()
        .rev()
        .find(|(k, _)| k == "version_column")
        .map(|(_, v)| v.as_str());
    let name = name_of(&create.name);
    Table::new(0, name.clone(), create.kind, columns)
        .and_then(|t| t.with_mode(mode, &key, version))
        .map_err(|e| match e {
            TableError::UnknownColumn(column) => QueryError::UnknownColumn {
                column,
                table: name.to_string(),
            },
            e => QueryError::BadDefinition(e.to_string()),
        })
}

pub async fn execute_create(app: &App, create: &CreateTable) -> Result<DdlOutcome, QueryError> {
    let table = build_table(create)?;
    let _ddl = app.catalog.ddl_lock.lock().await;
    if let Some(existing) = app.catalog.get(&table.name)
        && existing.name.eq_ignore_ascii_case(&table.name)
    {
        return if create.if_not_exists {
            Ok(DdlOutcome::AlreadyExists)
        } else {
            Err(QueryError::TableExists(existing.name.to_string()))
        };
    }
    let table = app.store.create_table(table).await?;
    app.catalog.insert(table);
    Ok(DdlOutcome::Created)
}

pub async fn execute_drop(app: &App, drop: &DropTable) -> Result<DdlOutcome, QueryError> {
    let _ddl = app.catalog.ddl_lock.lock().await;
    let Some(table): Option<Arc<Table>> = app.catalog.get(&drop.name) else {
        return if drop.if_exists {
            Ok(DdlOutcome::NotFound)
        } else {
            Err(QueryError::UnknownTable(drop.name.clone()))
        };
    };
    app.catalog.remove(table.id);
    app.store.drop_table(table.id).await?;
    Ok(DdlOutcome::Dropped)
}

/// The new name of a RENAME: unqualified (only `default.` may qualify it), spelled as the
/// table's kind keeps names, and something a client can send back in a URL path.
fn new_name(table: &Table, to: &str) -> Result<Box<str>, QueryError> {
    let name = unqualified(to);
    check_name(name)?;
    let bad = |why: &str| QueryError::BadName {
        name: to.to_owned(),
        problem: why.to_owned(),
    };
    if name.contains('.') {
        return Err(bad(
            "tidegate has one database, `default`; a name cannot hold a `.`",
        ));
    }
    if name.contains('/') {
        return Err(bad(
            "a name cannot hold a `/`, as it must work in an ingest URL",
        ));
    }
    Ok(match table.kind {
        TableKind::Stream => name.into(),
        TableKind::Tag | TableKind::Log => name.to_ascii_uppercase().into(),
    })
}

pub async fn execute_rename(app: &App, rename: &RenameTable) -> Result<DdlOutcome, QueryError> {
    let _ddl = app.catalog.ddl_lock.lock().await;
    let Some(table) = app.catalog.get(&rename.from) else {
        return if rename.if_exists {
            Ok(DdlOutcome::NotFound)
        } else {
            Err(QueryError::UnknownTable(rename.from.clone()))
        };
    };
    let name = new_name(&table, &rename.to)?;
    if let Some(existing) = app.catalog.get(&name)
        && existing.name.eq_ignore_ascii_case(&name)
        && existing.id != table.id
    {
        return Err(QueryError::TableExists(existing.name.to_string()));
    }
    let mut renamed = Table::clone(&table);
    renamed.name = name;
    app.store.rename_table(renamed.clone()).await?;
    app.catalog.replace(renamed);
    Ok(DdlOutcome::Renamed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::Statement;
    use crate::sql::parse;

    fn build(sql: &str) -> Result<Table, QueryError> {
        match parse(sql).unwrap() {
            Statement::Create(c) => build_table(&c),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn machbase_names_are_upper_case_and_streams_get_tp_time() {
        let t = build("create tag table example (name varchar(40) primary key, time datetime basetime, value double)").unwrap();
        let names: Vec<_> = t.columns.iter().map(|c| &*c.name).collect();
        assert_eq!(
            (&*t.name, names),
            ("EXAMPLE", vec!["NAME", "TIME", "VALUE"])
        );
        let s = build("CREATE STREAM foo(id int, name string)").unwrap();
        let names: Vec<_> = s.columns.iter().map(|c| &*c.name).collect();
        assert_eq!((&*s.name, names), ("foo", vec!["id", "name", "_tp_time"]));
        assert_eq!(s.time_column, Some(2));
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(
            build("create tag table t (name varchar(40), time datetime, value double)")
                .unwrap_err()
                .to_string(),
            "ERR-02253: Mandatory column definition (PRIMARY KEY / BASETIME) is missing."
        );
        assert_eq!(
            build("create stream s (a array(int32))")
                .unwrap_err()
                .to_string(),
            "column a: column type `array` is not supported by tidegate; use a scalar type \
             (bool, integers, floats, string, json, binary, datetime, date, ipv4, ipv6, uuid)"
        );
        assert!(build("create stream s (a int default a + 1)").is_err());
    }
}
