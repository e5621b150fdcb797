//! ClickHouse's `system.*` tables as drivers and BI tools read them when they connect or list
//! what a server holds: `system.settings`, `system.databases`, `system.tables`,
//! `system.columns` (reference proton-api.md §2.5; timeplus-connect reads `system.settings`
//! in `get_client()`, Superset's dialect lists streams and columns from the others).
//!
//! Each is answered from the catalog at query time as an ordinary relation, so WHERE, ORDER
//! BY, LIMIT and every output format apply. Memory is the catalog's size (one row per table
//! or column), never the data's.
//!
//! Invariants:
//! - `system.settings` lists only settings tidegate honours; `readonly` is 1 for those a
//!   request cannot change, so drivers never send a setting that would be ignored.
//! - Types in `system.columns` are spelled as `DESCRIBE` spells them.
//! - tidegate has one database, `default`; `system` holds these tables.

use super::exec::{RowSource, VecSource};
use super::schema::{ResultColumn, Schema};
use crate::app::App;
use crate::catalog::{ColumnRole, ColumnType, TableKind};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTable {
    Settings,
    Databases,
    Tables,
    Columns,
}

/// The `system.*` table `name` names (`system.settings`, any case), if any.
pub fn resolve(name: &str) -> Option<SystemTable> {
    let lower = name.to_ascii_lowercase();
    let table = lower.strip_prefix("system.")?;
    Some(match table {
        "settings" => SystemTable::Settings,
        "databases" => SystemTable::Databases,
        "tables" => SystemTable::Tables,
        "columns" => SystemTable::Columns,
        _ => return None,
    })
}

/// Every table `system` holds, for `system.tables`.
const SYSTEM_TABLES: [&str; 4] = ["columns", "databases", "settings", "tables"];

/// One setting: name, value, description, type, and whether a request may change it.
struct Setting {
    name: &'static str,
    value: &'static str,
    description: &'static str,
    ty: &'static str,
    readonly: bool,
}

/// The settings tidegate honours. `enable_http_compression` is what a driver asks for to get
/// compressed replies; the others are fixed by tidegate and listed read-only, so drivers
/// see what they get without sending them.
const SETTINGS: &[Setting] = &[
    Setting {
        name: "enable_http_compression",
        value: "0",
        description: "Compress the reply with the first method of Accept-Encoding that tidegate can write (lz4, gzip, deflate).",
        ty: "Bool",
        readonly: false,
    },
    Setting {
        name: "query_mode",
        value: "streaming",
        description: "`table` reads a stream's stored rows and ends; on port 8123 every query runs so.",
        ty: "String",
        readonly: false,
    },
    Setting {
        name: "seek_to",
        value: "latest",
        description: "Where a live query over a stream starts: earliest, latest, a time or -<n><unit>.",
        ty: "String",
        readonly: false,
    },
    Setting {
        name: "date_time_input_format",
        value: "best_effort",
        description: "Text datetimes are always parsed best-effort.",
        ty: "DateTimeInputFormat",
        readonly: true,
    },
    Setting {
        name: "output_format_json_quote_64bit_integers",
        value: "1",
        description: "64-bit integers are quoted in JSON output formats.",
        ty: "Bool",
        readonly: true,
    },
    Setting {
        name: "max_query_size",
        value: "1048576",
        description: "Longest SQL text, in bytes (sql_bytes_max).",
        ty: "UInt64",
        readonly: true,
    },
    Setting {
        name: "max_ast_depth",
        value: "256",
        description: "Deepest SQL statement (sql_depth_max).",
        ty: "UInt64",
        readonly: true,
    },
    Setting {
        name: "timezone",
        value: "UTC",
        description: "Times are stored and printed in UTC.",
        ty: "Timezone",
        readonly: true,
    },
];

fn string(name: &str) -> ResultColumn {
    typed(name, ColumnType::String { len_max: None })
}

fn typed(name: &str, ty: ColumnType) -> ResultColumn {
    ResultColumn {
        name: name.into(),
        ty,
        nullable: false,
    }
}

fn s(text: impl Into<String>) -> Value {
    Value::Str(text.into())
}

fn flag(b: bool) -> Value {
    Value::UInt(u64::from(b))
}

impl SystemTable {
    pub fn schema(self) -> Schema {
        let columns = match self {
            SystemTable::Settings => vec![
                string("name"),
                string("value"),
                typed("changed", ColumnType::UInt8),
                string("description"),
                string("type"),
                typed("readonly", ColumnType::UInt8),
            ],
            SystemTable::Databases => vec![
                string("name"),
                string("engine"),
                string("data_path"),
                string("metadata_path"),
                string("comment"),
            ],
            SystemTable::Tables => vec![
                string("database"),
                string("name"),
                string("engine"),
                typed("is_temporary", ColumnType::UInt8),
                string("comment"),
            ],
            SystemTable::Columns => vec![
                string("database"),
                string("table"),
                string("name"),
                string("type"),
                typed("position", ColumnType::UInt64),
                string("default_kind"),
                string("default_expression"),
                string("comment"),
                typed("is_in_primary_key", ColumnType::UInt8),
                typed("is_in_sorting_key", ColumnType::UInt8),
            ],
        };
        Schema { columns }
    }

    pub fn open(self, app: &App) -> Box<dyn RowSource> {
        let rows: Vec<Vec<Value>> = match self {
            SystemTable::Settings => SETTINGS
                .iter()
                .map(|x| {
                    vec![
                        s(x.name),
                        s(x.value),
                        flag(false),
                        s(x.description),
                        s(x.ty),
                        flag(x.readonly),
                    ]
                })
                .collect(),
            SystemTable::Databases => [("default", "Atomic"), ("system", "Memory")]
                .iter()
                .map(|(name, engine)| vec![s(*name), s(*engine), s(""), s(""), s("")])
                .collect(),
            SystemTable::Tables => {
                let mut tables = app.catalog.tables();
                tables.sort_by(|a, b| a.name.cmp(&b.name));
                let user = tables.iter().map(|t| {
                    let engine = match t.kind {
                        TableKind::Stream => "Stream",
                        TableKind::Tag => "TagTable",
                        TableKind::Log => "LogTable",
                    };
                    vec![s("default"), s(&*t.name), s(engine), flag(false), s("")]
                });
                let system = SYSTEM_TABLES
                    .iter()
                    .map(|n| vec![s("system"), s(*n), s("SystemTable"), flag(false), s("")]);
                user.chain(system).collect()
            }
            SystemTable::Columns => {
                let mut tables = app.catalog.tables();
                tables.sort_by(|a, b| a.name.cmp(&b.name));
                let mut rows = Vec::new();
                for t in &tables {
                    for (i, c) in t.columns.iter().enumerate() {
                        let default = super::listing::default_text(&c.default);
                        let key = t.key_columns.contains(&i) || c.role == ColumnRole::TagName;
                        let sorting = key || c.role == ColumnRole::BaseTime;
                        rows.push(vec![
                            s("default"),
                            s(&*t.name),
                            s(&*c.name),
                            s(super::listing::proton_type(t, c)),
                            Value::UInt(i as u64 + 1),
                            s(if default.is_some() { "DEFAULT" } else { "" }),
                            s(default.unwrap_or_default()),
                            s(""),
                            flag(key),
                            flag(sorting),
                        ]);
                    }
                }
                rows
            }
        };
        Box::new(VecSource(rows.into_iter()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_in_any_case() {
        assert_eq!(resolve("system.settings"), Some(SystemTable::Settings));
        assert_eq!(resolve("SYSTEM.Tables"), Some(SystemTable::Tables));
        assert_eq!(resolve("system.nope"), None);
        assert_eq!(resolve("settings"), None);
    }

    #[test]
    fn every_setting_row_fits_the_schema() {
        let width = SystemTable::Settings.schema().columns.len();
        assert_eq!(width, 6);
        assert!(
            SETTINGS
                .iter()
                .any(|x| x.name == "enable_http_compression" && !x.readonly)
        );
    }
}
