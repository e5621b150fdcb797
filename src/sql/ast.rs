//! The parsed form of the statements tidegate runs.

use crate::catalog::{ColumnRole, TableKind, TypeName};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Statement {
    Create(CreateTable),
    Drop(DropTable),
    /// `RENAME STREAM|TABLE [IF EXISTS] a TO b`, `ALTER STREAM|TABLE a RENAME TO b`.
    Rename(RenameTable),
    Select(Select),
    Insert(Insert),
    Delete(Delete),
    /// `SHOW TABLES` (Machbase) or `SHOW STREAMS` (Proton).
    ShowTables {
        streams: bool,
    },
    /// `DESC t`, `DESCRIBE [STREAM|TABLE] t`.
    Describe(String),
    /// `SHOW CREATE [STREAM|TABLE] t`.
    ShowCreate(String),
}

/// `INSERT INTO t [(cols)] VALUES (..), (..)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Insert {
    pub table: String,
    /// Empty: every column, in table order.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Expr>>,
}

/// `DELETE FROM t [WHERE ...]` or `DELETE FROM t BEFORE <time>`.
#[derive(Debug, Clone, PartialEq)]
pub struct Delete {
    pub table: String,
    pub filter: Option<Expr>,
    /// Machbase `BEFORE <time>`: rows with a time earlier than this.
    pub before: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CreateTable {
    pub kind: TableKind,
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    /// Proton's table-level `PRIMARY KEY k` / `PRIMARY KEY (a, b)`; empty when absent.
    pub primary_key: Vec<String>,
    /// Proton's `SETTINGS k = v, ...`, values as written (strings unquoted), in order.
    pub settings: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDef {
    pub name: String,
    pub ty: TypeName,
    pub role: ColumnRole,
    pub summarized: bool,
    pub default: Option<Expr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct DropTable {
    pub name: String,
    pub if_exists: bool,
    /// `DROP STREAM` rather than `DROP TABLE`.
    pub stream: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RenameTable {
    pub from: String,
    pub to: String,
    pub if_exists: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Select {
    pub distinct: bool,
    pub items: Vec<SelectItem>,
    pub from: Option<From>,
    pub filter: Option<Expr>,
    pub group_by: Vec<Expr>,
    pub having: Option<Expr>,
    pub order_by: Vec<OrderItem>,
    pub limit: Option<u64>,
    pub offset: u64,
    /// ClickHouse `FORMAT name` at the end of the statement.
    pub format: Option<String>,
    /// Proton `SETTINGS k = v, ...`: names lower-cased, values as text.
    pub settings: Vec<(String, String)>,
    /// Proton `EMIT ...`, if given.
    pub emit: Option<Emit>,
}

impl Select {
    /// The value of a `SETTINGS` entry.
    pub fn setting(&self, name: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// What a SELECT reads.
#[derive(Debug, Clone, PartialEq)]
pub enum From {
    /// A table or stream by name. A Proton stream named this way is read live on a
    /// streaming listener (unbounded), its stored rows elsewhere.
    Table(String),
    /// Proton's `table(s)`: the stored rows only, always bounded.
    Historical(String),
    /// `tumble(...)` or `hop(...)` over a stream.
    Window(Box<Window>),
    Subquery(Box<Select>),
}

/// Proton's `tumble(s, [time_col,] size)` (slide = size) and `hop(s, [time_col,] slide,
/// size)`: each row belongs to the windows `[start, start + size)` with `start` a multiple
/// of `slide` that contain its time; the relation gains `window_start` and `window_end`.
#[derive(Debug, Clone, PartialEq)]
pub struct Window {
    pub table: String,
    /// Written as `table(s)` inside the window function: bounded.
    pub historical: bool,
    /// The event-time column; `_tp_time` when not given.
    pub time_column: Option<String>,
    pub slide_ns: i64,
    pub size_ns: i64,
}

/// Proton's `EMIT` clause. Only the periodic interval changes what tidegate does; the other
/// policies (`STREAM`, `AFTER WATERMARK`, `DELAY`, ...) are accepted as written.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Emit {
    pub periodic_ns: Option<i64>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum SelectItem {
    Star,
    Expr {
        expr: Expr,
        alias: Option<String>,
        /// The expression as written, which names the result column when there is no alias.
        text: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrderItem {
    pub expr: Expr,
    pub descending: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Or,
    And,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    Add,
    Sub,
    Mul,
    Div,
    /// Machbase's `/` between two integers truncates (bound from `Div` in that dialect).
    IntDiv,
    Mod,
    Concat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    Column(String),
    /// A `?` bind parameter, numbered from 0 in order of appearance.
    Param(usize),
    Neg(Box<Expr>),
    Not(Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull(Box<Expr>, bool),
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    Function {
        name: String,
        args: Vec<Expr>,
    },
    /// `INTERVAL n unit` (Proton), as a count and the unit word as written.
    Interval {
        count: i64,
        unit: String,
    },
    /// `LIKE` / `NOT LIKE` with its pattern expression.
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
    },
}

impl Expr {
    /// Nodes in the tree, itself included. Recursive: the parser bounds the depth.
    pub fn node_count(&self) -> usize {
        let boxed = |e: &Expr| e.node_count();
        let all = |list: &[Expr]| list.iter().map(Expr::node_count).sum::<usize>();
        1 + match self {
            Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::Interval { .. } => 0,
            Expr::Neg(e) | Expr::Not(e) | Expr::IsNull(e, _) => boxed(e),
            Expr::Binary(_, l, r) => boxed(l) + boxed(r),
            Expr::InList { expr, list, .. } => boxed(expr) + all(list),
            Expr::Between {
                expr, low, high, ..
            } => boxed(expr) + boxed(low) + boxed(high),
            Expr::Function { args, .. } => all(args),
            Expr::Like { expr, pattern, .. } => boxed(expr) + boxed(pattern),
        }
    }
}
