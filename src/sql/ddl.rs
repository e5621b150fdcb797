//! CREATE and DROP: from the parsed statement to a persisted catalog entry.
//!
//! Machbase statements (`CREATE TAG TABLE`, `CREATE TABLE`) upper-case table and column
//! names; `CREATE STREAM` keeps them and adds `_tp_time datetime64(3, 'UTC') DEFAULT
//! now64(3, 'UTC')` unless the stream declares it.

use std::sync::Arc;

use super::QueryError;
use super::ast::{CreateTable, DropTable, Expr};
use crate::app::App;
use crate::catalog::{
    Column, ColumnRole, ColumnType, DefaultValue, Dialect, TP_TIME, Table, TableKind,
};
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

fn build_table(create: &CreateTable) -> Result<Table, QueryError> {
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
    let mut columns = Vec::with_capacity(create.columns.len() + 1);
    for def in &create.columns {
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
    Table::new(0, name_of(&create.name), create.kind, columns)
        .map_err(|e| QueryError::BadDefinition(e.to_string()))
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
