//! SQL: lexer, parser (AST), DDL execution, expression evaluation and the SELECT executor.
//! One engine for `/db/query`, `/?query=` and every later query endpoint; the dialects only
//! choose how results and errors are printed (`output`, `api`).
//!
//! Not here: HTTP parameters and response shapes (`api`), encoders (`output`), storage
//! layout (`store`).

pub mod ast;
mod ddl;
mod eval;
mod exec;
pub mod lexer;
pub mod parser;

pub use ddl::{DdlOutcome, execute_create, execute_drop};
pub use exec::{ResultColumn, RowSource, run_select};
pub use parser::{ParseError, parse};

use crate::store::StoreError;

#[derive(Debug, Clone)]
pub enum QueryError {
    Syntax(ParseError),
    UnknownTable(String),
    UnknownColumn {
        column: String,
        table: String,
    },
    TableExists(String),
    /// A statement, function or clause tidegate does not run (yet).
    Unsupported(String),
    /// A definition the catalog refuses (bad type, missing key columns, ...).
    BadDefinition(String),
    /// A value that does not fit (bad literal, wrong parameter count, ...).
    BadValue(String),
    /// A bound was crossed; the message names it.
    Limit(String),
    Store(StoreError),
}

impl std::fmt::Display for QueryError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            QueryError::Syntax(e) => e.fmt(f),
            QueryError::UnknownTable(t) => write!(f, "table {t} does not exist"),
            QueryError::UnknownColumn { column, table } => {
                write!(f, "column {column} does not exist in table {table}")
            }
            QueryError::TableExists(t) => write!(f, "table {t} already exists"),
            QueryError::Unsupported(m) | QueryError::BadDefinition(m) | QueryError::BadValue(m) => {
                f.write_str(m)
            }
            QueryError::Limit(m) => f.write_str(m),
            QueryError::Store(e) => e.fmt(f),
        }
    }
}

impl From<StoreError> for QueryError {
    fn from(e: StoreError) -> Self {
        QueryError::Store(e)
    }
}

impl From<ParseError> for QueryError {
    fn from(e: ParseError) -> Self {
        QueryError::Syntax(e)
    }
}
