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

#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub id: u32,
    pub name: Box<str>,
    pub kind: TableKind,
    pub columns: Vec<Column>,
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
}

impl std::fmt::Display for TableError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableError::DuplicateColumn(c) => write!(f, "column {c} is declared more than once"),
            // The peer's engine text, kept because clients print it (reference §4.1).
            TableError::MissingTagColumns => f.write_str(
                "ERR-02253: Mandatory column definition (PRIMARY KEY / BASETIME) is missing.",
            ),
            TableError::BadRole(m) => f.write_str(m),
        }
    }
}

pub const TP_TIME: &str = "_tp_time";

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
            tag_column,
            time_column,
        })
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
