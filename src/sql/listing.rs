//! Catalog statements answered as ordinary results, so every output format prints them:
//! `SHOW TABLES`, `SHOW STREAMS`, `DESC[RIBE] t`, `SHOW CREATE t`.
//!
//! Machbase shapes: `SHOW TABLES` has the columns of the peer's table list (`DB`, `USER`,
//! `NAME`, `TYPE`, reference §3.5); `DESC` has `NAME`, `TYPE`, `LENGTH`. Proton shapes
//! (reference proton-api.md §3.4): `SHOW STREAMS` has one column `name`; `DESCRIBE` has
//! ClickHouse's seven columns; `SHOW CREATE` has `statement`.

use super::QueryError;
use super::exec::{QueryResult, VecSource};
use super::schema::ResultColumn;
use crate::app::App;
use crate::catalog::{ColumnRole, ColumnType, DefaultValue, Dialect, Table, TableKind};
use crate::value::Value;

fn string_column(name: &str) -> ResultColumn {
    ResultColumn {
        name: name.into(),
        ty: ColumnType::String { len_max: None },
        nullable: false,
    }
}

fn result(columns: Vec<ResultColumn>, rows: Vec<Vec<Value>>) -> QueryResult {
    QueryResult {
        columns,
        rows: Box::new(VecSource(rows.into_iter())),
        read: Default::default(),
    }
}

fn s(text: impl Into<String>) -> Value {
    Value::Str(text.into())
}

pub fn show_tables(app: &App, streams: bool, dialect: Dialect) -> QueryResult {
    let mut tables = app.catalog.tables();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    if dialect == Dialect::Proton || streams {
        let rows = tables
            .iter()
            .filter(|t| !streams || t.kind == TableKind::Stream)
            .map(|t| vec![s(&*t.name)])
            .collect();
        return result(vec![string_column("name")], rows);
    }
    let rows = tables
        .iter()
        .map(|t| {
            let kind = match t.kind {
                TableKind::Tag => "Tag Table",
                TableKind::Log => "Log Table",
                TableKind::Stream => "Stream",
            };
            vec![s("MACHBASEDB"), s("SYS"), s(&*t.name), s(kind)]
        })
        .collect();
    result(
        ["DB", "USER", "NAME", "TYPE"]
            .iter()
            .map(|n| string_column(n))
            .collect(),
        rows,
    )
}

fn table(app: &App, name: &str) -> Result<std::sync::Arc<Table>, QueryError> {
    app.catalog
        .get(name)
        .ok_or_else(|| QueryError::UnknownTable(name.to_owned()))
}

pub(super) fn default_text(d: &DefaultValue) -> Option<String> {
    match d {
        DefaultValue::None => None,
        DefaultValue::Now => Some("now64(3, 'UTC')".into()),
        DefaultValue::Literal(Value::Str(v)) => Some(format!("'{}'", v.replace('\'', "\\'"))),
        DefaultValue::Literal(v) => Some(crate::output::plain_text(v)),
    }
}

/// A column's type as Proton's `DESCRIBE` prints it: `nullable(T)` for a stream's nullable
/// column.
pub(super) fn proton_type(t: &Table, c: &crate::catalog::Column) -> String {
    if c.nullable && t.kind == TableKind::Stream {
        format!("nullable({})", c.ty.proton_name())
    } else {
        c.ty.proton_name()
    }
}

pub fn describe(app: &App, name: &str, dialect: Dialect) -> Result<QueryResult, QueryError> {
    let t = table(app, name)?;
    if dialect == Dialect::Proton {
        let columns = [
            "name",
            "type",
            "default_type",
            "default_expression",
            "comment",
            "codec_expression",
            "ttl_expression",
        ]
        .iter()
        .map(|n| string_column(n))
        .collect();
        let rows = t
            .columns
            .iter()
            .map(|c| {
                let ty = proton_type(&t, c);
                let default = default_text(&c.default);
                vec![
                    s(&*c.name),
                    s(ty),
                    s(if default.is_some() { "DEFAULT" } else { "" }),
                    s(default.unwrap_or_default()),
                    s(""),
                    s(""),
                    s(""),
                ]
            })
            .collect();
        return Ok(result(columns, rows));
    }
    let rows = t
        .columns
        .iter()
        .map(|c| {
            let length = match &c.ty {
                ColumnType::String { len_max } => i64::from(len_max.unwrap_or(0)),
                ColumnType::Int8 | ColumnType::UInt8 | ColumnType::Bool => 1,
                ColumnType::Int16 | ColumnType::UInt16 => 2,
                ColumnType::Int32 | ColumnType::UInt32 | ColumnType::Float32 => 4,
                ColumnType::Ipv4 => 5,
                ColumnType::Ipv6 | ColumnType::Uuid => 17,
                _ => 8,
            };
            let mut ty = c.ty.machbase_name().to_ascii_uppercase();
            match c.role {
                ColumnRole::TagName => ty.push_str(" tag name"),
                ColumnRole::BaseTime => ty.push_str(" basetime"),
                ColumnRole::Plain if c.summarized => ty.push_str(" summarized"),
                ColumnRole::Plain => {}
            }
            vec![s(&*c.name), s(ty), Value::Int(length)]
        })
        .collect();
    Ok(result(
        vec![
            string_column("NAME"),
            string_column("TYPE"),
            ResultColumn {
                name: "LENGTH".into(),
                ty: ColumnType::Int32,
                nullable: false,
            },
        ],
        rows,
    ))
}

/// The statement that would create the table again.
pub fn show_create(app: &App, name: &str) -> Result<QueryResult, QueryError> {
    let t = table(app, name)?;
    let text = match t.kind {
        TableKind::Stream => {
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    let mut col = format!("`{}` {}", c.name, c.ty.proton_name());
                    if c.nullable {
                        col = format!("`{}` nullable({})", c.name, c.ty.proton_name());
                    }
                    if let Some(d) = default_text(&c.default) {
                        col.push_str(" DEFAULT ");
                        col.push_str(&d);
                    }
                    col
                })
                .collect();
            format!("CREATE STREAM default.{} ({})", t.name, cols.join(", "))
        }
        TableKind::Tag | TableKind::Log => {
            let cols: Vec<String> = t
                .columns
                .iter()
                .map(|c| {
                    let ty = match &c.ty {
                        ColumnType::String { len_max: Some(n) } => format!("VARCHAR({n})"),
                        other => other.machbase_name().to_ascii_uppercase(),
                    };
                    let role = match c.role {
                        ColumnRole::TagName => " PRIMARY KEY",
                        ColumnRole::BaseTime => " BASETIME",
                        ColumnRole::Plain if c.summarized => " SUMMARIZED",
                        ColumnRole::Plain => "",
                    };
                    format!("{} {ty}{role}", c.name)
                })
                .collect();
            let kind = if t.kind == TableKind::Tag {
                "TAG TABLE"
            } else {
                "TABLE"
            };
            format!("CREATE {kind} {} ({})", t.name, cols.join(", "))
        }
    };
    Ok(result(
        vec![string_column("statement")],
        vec![vec![s(text)]],
    ))
}
