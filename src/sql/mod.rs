//! SQL: one parser, planner and executor for `/db/query`, `/?query=` and
//! `/proton/v1/search`; the dialects only choose names, a few semantics (Machbase's integer
//! `/`, upper-cased aliases) and how results and errors are printed (`output`, `api`).
//!
//! Callers use `parse` then `execute(app, &statement, params, dialect)`, which answers rows
//! (`Outcome::Rows`, pulled while the response is written) or what a statement changed.
//!
//! Files: `lexer`, `parser` and `ast` (text to statements); `schema` (the columns of a
//! relation); `eval` (binding names and evaluating expressions); `sets` (hash sets for `IN`
//! lists and `OR`ed equalities); `functions` (scalar functions); `aggregate` (aggregates
//! and GROUP BY); `plan` (WHERE to key ranges); `exec` (the SELECT pipeline); `window`
//! (`tumble` and `hop`); `live` (streaming queries over rows as they are committed);
//! `read_stats` (rows and bytes a query read); `vtables` (`V$T_STAT`, `_T_META`);
//! `system_tables` (`system.settings`, `system.tables`, ... for drivers); `dml`
//! (INSERT, DELETE); `ddl` (CREATE, DROP, RENAME); `listing` (SHOW, DESCRIBE);
//! `insert_format` (the head of a ClickHouse `INSERT … FORMAT x` whose data follows).
//!
//! Not here: HTTP parameters and response shapes (`api`), encoders (`output`), storage
//! layout (`store`).

mod aggregate;
pub mod ast;
mod ddl;
mod dml;
mod eval;
mod exec;
mod functions;
pub mod insert_format;
pub mod lexer;
mod listing;
pub mod live;
pub mod parser;
mod plan;
mod read_stats;
#[cfg(test)]
mod robustness_tests;
mod schema;
mod sets;
mod system_tables;
mod vtables;
mod window;

pub use crate::catalog::Dialect;
pub use ddl::{DdlOutcome, execute_create, execute_drop, execute_rename};
pub use exec::{QueryResult, RowSource, VecSource, run_select_in};
pub use functions::mark_process_start;
pub use parser::{ParseError, ParseErrorKind, parse, parse_with_format};
pub use read_stats::ReadStats;
pub use schema::ResultColumn;

use crate::app::App;
use crate::value::Value;
use ast::Statement;

/// What running a statement produced.
pub enum Outcome {
    /// Result rows, produced as they are pulled.
    Rows(QueryResult),
    Ddl(DdlOutcome),
    Inserted(u64),
    Deleted(u64),
}

/// Runs any statement. `params` fill `?` placeholders in order.
pub async fn execute(
    app: &App,
    statement: &Statement,
    params: &[Value],
    dialect: Dialect,
) -> Result<Outcome, QueryError> {
    Ok(match statement {
        Statement::Select(s) => Outcome::Rows(run_select_in(app, s, params, dialect)?),
        Statement::Create(c) => Outcome::Ddl(execute_create(app, c).await?),
        Statement::Drop(d) => Outcome::Ddl(execute_drop(app, d).await?),
        Statement::Rename(r) => Outcome::Ddl(execute_rename(app, r).await?),
        Statement::Insert(i) => Outcome::Inserted(dml::insert(app, i, params, dialect).await?),
        Statement::Delete(d) => Outcome::Deleted(dml::delete(app, d, params).await?),
        Statement::ShowTables { streams } => {
            Outcome::Rows(listing::show_tables(app, *streams, dialect))
        }
        Statement::Describe(t) => Outcome::Rows(listing::describe(app, t, dialect)?),
        Statement::ShowCreate(t) => Outcome::Rows(listing::show_create(app, t)?),
    })
}

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
    /// A table, stream or column name that cannot be created (see `catalog::name_problem`).
    BadName {
        name: String,
        problem: String,
    },
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
            QueryError::BadName { name, problem } => {
                // Debug quoting shows a control character as an escape, never raw.
                let shown: String = name.chars().take(64).collect();
                let more = if shown.len() < name.len() { "…" } else { "" };
                write!(f, "invalid name {shown:?}{more}: {problem}")
            }
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
