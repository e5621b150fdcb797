//! Table definitions: kinds, columns, roles, defaults, and name lookup rules.
//!
//! Name rules:
//! - Tables and columns created through Machbase statements (`CREATE TAG TABLE`, `CREATE TABLE`)
//!   are stored upper-case and looked up case-insensitively (`NAME,TIME,VALUE`).
//! - Streams and their columns keep the case they were created with. A lookup tries the exact
//!   spelling first, then a case-insensitive match, so either API reaches either kind.
//!
//! Invariants (checked by `Table::new`):
//! - A tag table has exactly one tag-name column (string) and one base-time column (datetime).
//! - A stream has a `_tp_time` datetime column, which is its key time.
//! - Column names are unique, ignoring case.
//! - A kv stream (`changelog_kv`, `versioned_kv`) has at least one key column; a
//!   `changelog_kv` or `changelog` stream has an int8 `_tp_delta` column (checked by
//!   `Table::with_mode`). Other tables are `StreamMode::Append` with no key.

use super::types::ColumnType;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableKind {
    /// Machbase `CREATE TAG TABLE`: rows keyed by (tag name, time); a repeated key replaces.
    Tag,
    /// Machbase `CREATE TABLE`: append-only, keyed by arrival time.
    Log,
    /// Proton `CREATE STREAM`: append-only, keyed by `_tp_time`.
    Stream,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnRole {
    Plain,
    /// The tag-name column of a tag table (`PRIMARY KEY`).
    TagName,
    /// The base-time column of a tag table (`BASETIME`).
    BaseTime,
}

#[derive(Debug, Clone, PartialEq)]
pub enum DefaultValue {
    /// NULL when nullable, else the type's zero value.
    None,
    /// The request's time (`now()`, `now64(3)`): one instant per request.
    Now,
    Literal(Value),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: Box<str>,
    pub ty: ColumnType,
    pub nullable: bool,
    pub default: DefaultValue,
    pub role: ColumnRole,
    /// Machbase `SUMMARIZED`: the column's min/max are kept in the tag statistics.
    pub summarized: bool,
}

/// Proton's stream storage modes (reference proton-api.md §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamMode {
    /// Every row is kept (all Machbase tables, default streams).
    Append,
    /// Every row is kept; rows carry `_tp_delta` (+1 insert, -1 retraction).
    Changelog,
    /// One row per primary key: the latest arrival; a `_tp_delta` of -1 deletes the key.
    ChangelogKv,
    /// One row per primary key: the one with the greatest version column (ties: later arrival).
    VersionedKv,
}

impl StreamMode {
    /// The `mode` setting's spelling; `None` for anything else.
    pub fn parse(text: &str) -> Option<StreamMode> {
        Some(match text {
            "append" => StreamMode::Append,
            "changelog" => StreamMode::Changelog,
            "changelog_kv" => StreamMode::ChangelogKv,
            "versioned_kv" => StreamMode::VersionedKv,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            StreamMode::Append => "append",
            StreamMode::Changelog => "changelog",
            StreamMode::ChangelogKv => "changelog_kv",
            StreamMode::VersionedKv => "versioned_kv",
        }
    }

    pub fn is_kv(self) -> bool {
        matches!(self, StreamMode::ChangelogKv | StreamMode::VersionedKv)
    }

    /// Whether rows carry `_tp_delta`.
    pub fn has_delta(self) -> bool {
        matches!(self, StreamMode::Changelog | StreamMode::ChangelogKv)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: u32,
    pub name: Box<str>,
    pub kind: TableKind,
    pub columns: Vec<Column>,
    pub mode: StreamMode,
    /// Primary-key columns of a kv stream, in key order; empty otherwise.
    pub key_columns: Vec<usize>,
    /// The column whose greatest value wins in a `versioned_kv` stream.
    pub version_column: Option<usize>,
    /// Index of the tag-name column (tag tables).
    pub tag_column: Option<usize>,
    /// Index of the column whose value is the row's key time (tag: BASETIME, stream: `_tp_time`).
    pub time_column: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableError {
    DuplicateColumn(String),
    MissingTagColumns,
    BadRole(String),
    /// A kv mode without a key, or a bad key or version column.
    BadMode(String),
    /// A PRIMARY KEY or version column that the table does not have.
    UnknownColumn(String),
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableError::DuplicateColumn(c) => write!(f, "column {c} is declared more than once"),
            // The peer's engine text, kept because clients print it (reference §4.1).
            TableError::MissingTagColumns => f.write_str(
                "ERR-02253: Mandatory column definition (PRIMARY KEY / BASETIME) is missing.",
            ),
            TableError::BadRole(m) | TableError::BadMode(m) => f.write_str(m),
            TableError::UnknownColumn(c) => write!(f, "column {c} does not exist"),
        }
    }
}

/// Why `name` cannot name a table, stream, column or tag, if it cannot: it is empty, longer
/// than `max_bytes` (the bound called `bound`), or holds a control character (which no URL
/// path, log line or terminal shows faithfully, and which the peers' clients cannot type).
pub fn name_problem(name: &str, max_bytes: usize, bound: &str) -> Option<String> {
    if name.is_empty() {
        return Some("it is empty".into());
    }
    if name.len() > max_bytes {
        return Some(format!(
            "it is {} bytes, longer than {bound} ({max_bytes})",
            name.len()
        ));
    }
    // Printable ASCII, what nearly every name is, needs no character decoding.
    if name.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return None;
    }
    name.chars()
        .find(|c| c.is_control())
        .map(|c| format!("it holds the control character U+{:04X}", u32::from(c)))
}

pub const TP_TIME: &str = "_tp_time";
/// The column `changelog` and `changelog_kv` streams carry: +1 upsert, -1 delete.
pub const TP_DELTA: &str = "_tp_delta";

impl Table {
    /// Checks the invariants in the module doc and finds the key columns.
    pub fn new(
        id: u32,
        name: Box<str>,
        kind: TableKind,
        columns: Vec<Column>,
    ) -> Result<Table, TableError> {
        for (i, c) in columns.iter().enumerate() {
            if columns[..i]
                .iter()
                .any(|o| o.name.eq_ignore_ascii_case(&c.name))
            {
                return Err(TableError::DuplicateColumn(c.name.to_string()));
            }
        }
        let role_of = |role| columns.iter().position(|c| c.role == role);
        let (tag_column, time_column) = match kind {
            TableKind::Tag => {
                let count = |role| columns.iter().filter(|c| c.role == role).count();
                if count(ColumnRole::TagName) != 1 || count(ColumnRole::BaseTime) != 1 {
                    return Err(TableError::MissingTagColumns);
                }
                let tag = role_of(ColumnRole::TagName);
                let time = role_of(ColumnRole::BaseTime);
                if let Some(c) = tag.and_then(|i| columns.get(i))
                    && !c.ty.is_string()
                {
                    return Err(TableError::BadRole(format!(
                        "the PRIMARY KEY column {} must be varchar",
                        c.name
                    )));
                }
                if let Some(c) = time.and_then(|i| columns.get(i))
                    && !c.ty.is_time()
                {
                    return Err(TableError::BadRole(format!(
                        "the BASETIME column {} must be datetime",
                        c.name
                    )));
                }
                (tag, time)
            }
            TableKind::Log | TableKind::Stream => {
                if let Some(c) = columns.iter().find(|c| c.role != ColumnRole::Plain) {
                    return Err(TableError::BadRole(format!(
                        "PRIMARY KEY / BASETIME on column {} is only allowed in a TAG TABLE",
                        c.name
                    )));
                }
                let time = match kind {
                    TableKind::Stream => columns
                        .iter()
                        .position(|c| &*c.name == TP_TIME && c.ty.is_time()),
                    _ => None,
                };
                if kind == TableKind::Stream && time.is_none() {
                    return Err(TableError::BadRole(
                        "a stream needs a `_tp_time` datetime64 column".into(),
                    ));
                }
                (None, time)
            }
        };
        Ok(Table {
            id,
            name,
            kind,
            columns,
            mode: StreamMode::Append,
            key_columns: Vec::new(),
            version_column: None,
            tag_column,
            time_column,
        })
    }

    /// Sets a stream's storage mode, its primary key (kv modes) and version column
    /// (`versioned_kv`; `_tp_time` when `None`), checking the invariants in the module doc.
    pub fn with_mode(
        mut self,
        mode: StreamMode,
        key: &[&str],
        version: Option<&str>,
    ) -> Result<Table, TableError> {
        if mode == StreamMode::Append && key.is_empty() && version.is_none() {
            return Ok(self);
        }
        if self.kind != TableKind::Stream {
            return Err(TableError::BadMode(format!(
                "storage mode '{}' is only for streams",
                mode.name()
            )));
        }
        if mode.is_kv() && key.is_empty() {
            return Err(TableError::BadMode(
                "changelog kv or versioned kv storage mode requires 'PRIMARY KEY'".into(),
            ));
        }
        let find = |name: &str| {
            self.column_index(name)
                .ok_or_else(|| TableError::UnknownColumn(name.into()))
        };
        let mut key_columns = Vec::with_capacity(key.len());
        for k in key {
            let i = find(k)?;
            if key_columns.contains(&i) {
                return Err(TableError::BadMode(format!(
                    "PRIMARY KEY column {k} is listed more than once"
                )));
            }
            key_columns.push(i);
        }
        // Outside the kv modes a key only orders Proton's parts; tidegate's are by time.
        if !mode.is_kv() {
            key_columns.clear();
        }
        let version_column = match (mode, version) {
            (StreamMode::VersionedKv, v) => Some(find(v.unwrap_or(TP_TIME))?),
            (_, Some(v)) => {
                return Err(TableError::BadMode(format!(
                    "version_column {v} needs mode='versioned_kv'"
                )));
            }
            (_, None) => None,
        };
        if mode.has_delta()
            && !self
                .columns
                .iter()
                .any(|c| &*c.name == TP_DELTA && c.ty == ColumnType::Int8)
        {
            return Err(TableError::BadMode(format!(
                "storage mode '{}' needs an int8 `{TP_DELTA}` column",
                mode.name()
            )));
        }
        self.mode = mode;
        self.key_columns = key_columns;
        self.version_column = version_column;
        Ok(self)
    }

    /// Finds a column by name: exact spelling first, then ignoring ASCII case.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| &*c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    /// Test fixture: Machbase's documentation table
    /// `EXAMPLE (NAME varchar(40) PRIMARY KEY, TIME datetime BASETIME, VALUE double)`.
    #[cfg(test)]
    pub fn example(id: u32, name: &str) -> Table {
        let col = |name: &str, ty, role| Column {
            name: name.into(),
            ty,
            nullable: role == ColumnRole::Plain,
            default: DefaultValue::None,
            role,
            summarized: false,
        };
        let columns = vec![
            col(
                "NAME",
                ColumnType::String { len_max: Some(40) },
                ColumnRole::TagName,
            ),
            col(
                "TIME",
                ColumnType::DateTime {
                    precision: 9,
                    tz: None,
                },
                ColumnRole::BaseTime,
            ),
            col("VALUE", ColumnType::Float64, ColumnRole::Plain),
        ];
        match Table::new(id, name.into(), TableKind::Tag, columns) {
            Ok(table) => table,
            Err(e) => panic!("fixture: {e:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::name_problem;

    #[test]
    fn names_with_control_characters_have_a_problem_others_do_not() {
        for fine in ["a", "tag-1 ~", "température", "東京", "a\u{a0}b", "x\u{7e}"] {
            assert_eq!(name_problem(fine, 255, "b"), None, "{fine:?}");
        }
        for (bad, code) in [
            ("a\0b", "U+0000"),
            ("\u{1f}", "U+001F"),
            ("a\u{7f}", "U+007F"),
            ("é\u{85}", "U+0085"),
            ("\u{9f}", "U+009F"),
        ] {
            let problem = name_problem(bad, 255, "b").unwrap_or_default();
            assert!(problem.contains(code), "{bad:?}: {problem}");
        }
        assert!(name_problem("", 255, "b").is_some());
        assert!(name_problem("abcd", 3, "b").is_some_and(|p| p.contains("longer than b (3)")));
    }
}
