//! Recursive-descent parser for both vendors' SQL. Errors give the byte offset into the SQL
//! and what was expected, so a client can point at the mistake.
//!
//! Depth is bounded, because everything after the parser (binding, planning, evaluation,
//! `Clone`, `Drop`) walks the tree recursively:
//! - `nesting` counts the parser's own open recursive constructs (subqueries, parenthesized
//!   expressions, function arguments, `NOT` and unary minus chains, nested types);
//! - every expression is returned with its height, and no node is built whose height plus
//!   the nesting around it exceeds `SQL_DEPTH_MAX`.
//!
//! So no tree deeper than `SQL_DEPTH_MAX` is ever built, and a statement that would need one
//! is refused with `ParseErrorKind::TooDeep` before anything walks it. Long flat lists are not
//! depth: `a OR b OR …` and `a AND b AND …` are built as balanced trees (both are associative
//! in three-valued logic), so 100,000 terms cost a height of 17; `1+1+…` chains are
//! left-deep (`-` and float rounding are not associative) and count one level per term.

use super::ast::*;
use super::functions::TimeUnit;
use super::lexer::{Tok, Token, tokenize};
use crate::catalog::{ColumnRole, TableKind, TypeArg, TypeName};
use crate::limits::SQL_DEPTH_MAX;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub message: String,
    pub kind: ParseErrorKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    Syntax,
    /// The statement nests deeper than `SQL_DEPTH_MAX` (ClickHouse's `TOO_DEEP_AST`).
    TooDeep,
}

impl ParseError {
    fn syntax(at: usize, message: impl Into<String>) -> ParseError {
        ParseError {
            at,
            message: message.into(),
            kind: ParseErrorKind::Syntax,
        }
    }
}

impl std::fmt::Display for ParseError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            ParseErrorKind::Syntax => {
                write!(f, "syntax error at byte {}: {}", self.at, self.message)
            }
            ParseErrorKind::TooDeep => write!(f, "at byte {}: {}", self.at, self.message),
        }
    }
}

/// An expression and its height: 1 for a leaf, one more than its tallest child otherwise.
type Sub = (Expr, usize);

pub fn parse(sql: &str) -> Result<Statement, ParseError> {
    let tokens = tokenize(sql).map_err(|e| ParseError::syntax(e.at, e.message))?;
    let mut p = Parser {
        sql,
        tokens,
        pos: 0,
        params: 0,
        nesting: 0,
    };
    let statement = p.statement()?;
    p.eat_sym(";");
    if !p.at_eof() {
        return Err(p.expected("the end of the statement"));
    }
    Ok(statement)
}

/// As `parse`, and a trailing ClickHouse `FORMAT name` after any statement but SELECT (which
/// keeps its own in `Select::format`): `DESCRIBE t FORMAT Native`, `SHOW STREAMS FORMAT
/// JSON`, as drivers send them.
pub fn parse_with_format(sql: &str) -> Result<(Statement, Option<String>), ParseError> {
    let tokens = tokenize(sql).map_err(|e| ParseError::syntax(e.at, e.message))?;
    let mut p = Parser {
        sql,
        tokens,
        pos: 0,
        params: 0,
        nesting: 0,
    };
    let statement = p.statement()?;
    let mut format = None;
    if !matches!(statement, Statement::Select(_)) && p.eat_keyword("format") {
        format = Some(p.ident("a format name")?);
    }
    p.eat_sym(";");
    if !p.at_eof() {
        return Err(p.expected("the end of the statement"));
    }
    Ok((statement, format))
}

struct Parser<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    params: usize,
    /// Recursive constructs open around the current token (see the module comment).
    nesting: usize,
}

fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("`{}`", clipped(s)),
        Tok::QuotedIdent(s) => format!("`\"{}\"`", clipped(s)),
        Tok::Str(s) => format!("`'{}'`", clipped(s)),
        Tok::Number(n) => format!("`{}`", clipped(n)),
        Tok::Sym(s) => format!("`{s}`"),
        Tok::Eof => "the end of the statement".into(),
    }
}

/// A token's text for an error message: a megabyte literal is not echoed back whole.
fn clipped(text: &str) -> std::borrow::Cow<'_, str> {
    const SHOWN_CHARS_MAX: usize = 64;
    match text.char_indices().nth(SHOWN_CHARS_MAX) {
        Some((cut, _)) => format!("{}…", text.get(..cut).unwrap_or_default()).into(),
        None => text.into(),
    }
}

impl Parser<'_> {
    fn peek(&self) -> &Tok {
        self.tokens.get(self.pos).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Tok::Eof, |t| &t.tok)
    }

    fn offset(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.sql.len(), |t| t.at)
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek(), Tok::Eof)
    }

    fn bump(&mut self) -> Tok {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() {
            self.pos += 1;
        }
        tok
    }

    fn expected(&self, what: &str) -> ParseError {
        ParseError::syntax(
            self.offset(),
            format!("expected {what}, but found {}", describe(self.peek())),
        )
    }

    fn too_deep(&self) -> ParseError {
        ParseError {
            at: self.offset(),
            message: format!(
                "the statement nests deeper than sql_depth_max ({SQL_DEPTH_MAX}) levels of \
                 subqueries, parentheses, function calls or operators; flatten it"
            ),
            kind: ParseErrorKind::TooDeep,
        }
    }

    /// Runs `f` one nesting level deeper, refusing to go past `SQL_DEPTH_MAX`.
    fn nested<T>(
        &mut self,
        f: impl FnOnce(&mut Self) -> Result<T, ParseError>,
    ) -> Result<T, ParseError> {
        if self.nesting >= SQL_DEPTH_MAX {
            return Err(self.too_deep());
        }
        self.nesting += 1;
        let result = f(self);
        self.nesting -= 1;
        result
    }

    /// `expr` as a node of height `height`, if that stays within `SQL_DEPTH_MAX`.
    fn node(&self, expr: Expr, height: usize) -> Result<Sub, ParseError> {
        if self.nesting + height > SQL_DEPTH_MAX {
            return Err(self.too_deep());
        }
        Ok((expr, height))
    }

    fn is_keyword(&self, kw: &str) -> bool {
        matches!(self.peek(), Tok::Ident(s) if s.eq_ignore_ascii_case(kw))
    }

    fn eat_keyword(&mut self, kw: &str) -> bool {
        if self.is_keyword(kw) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn keyword(&mut self, kw: &str) -> Result<(), ParseError> {
        if self.eat_keyword(kw) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{}`", kw.to_ascii_uppercase())))
        }
    }

    fn eat_sym(&mut self, sym: &str) -> bool {
        if matches!(self.peek(), Tok::Sym(s) if *s == sym) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn sym(&mut self, sym: &str) -> Result<(), ParseError> {
        if self.eat_sym(sym) {
            Ok(())
        } else {
            Err(self.expected(&format!("`{sym}`")))
        }
    }

    fn ident(&mut self, what: &str) -> Result<String, ParseError> {
        match self.peek().clone() {
            Tok::Ident(s) | Tok::QuotedIdent(s) => {
                self.pos += 1;
                Ok(s)
            }
            _ => Err(self.expected(what)),
        }
    }

    /// A possibly qualified name (`db.user.table`), returned with its dots.
    fn object_name(&mut self, what: &str) -> Result<String, ParseError> {
        let mut name = self.ident(what)?;
        while self.eat_sym(".") {
            name.push('.');
            name.push_str(&self.ident(what)?);
        }
        Ok(name)
    }

    fn statement(&mut self) -> Result<Statement, ParseError> {
        if self.eat_keyword("create") {
            self.create()
        } else if self.eat_keyword("drop") {
            self.drop_table()
        } else if self.eat_keyword("rename") {
            self.rename().map(Statement::Rename)
        } else if self.eat_keyword("alter") {
            self.alter_rename().map(Statement::Rename)
        } else if self.is_keyword("select") {
            self.select().map(Statement::Select)
        } else if self.eat_keyword("insert") {
            self.insert().map(Statement::Insert)
        } else if self.eat_keyword("delete") {
            self.delete().map(Statement::Delete)
        } else if self.eat_keyword("show") {
            self.show()
        } else if self.eat_keyword("desc") || self.eat_keyword("describe") {
            if !self.eat_keyword("stream") {
                self.eat_keyword("table");
            }
            Ok(Statement::Describe(self.object_name("a table name")?))
        } else {
            Err(self
                .expected("SELECT, INSERT, DELETE, CREATE, DROP, RENAME, ALTER, SHOW or DESCRIBE"))
        }
    }

    /// `SHOW TABLES`, `SHOW STREAMS`, `SHOW CREATE [STREAM|TABLE] t`.
    fn show(&mut self) -> Result<Statement, ParseError> {
        if self.eat_keyword("tables") {
            Ok(Statement::ShowTables { streams: false })
        } else if self.eat_keyword("streams") {
            Ok(Statement::ShowTables { streams: true })
        } else if self.eat_keyword("create") {
            if !self.eat_keyword("stream") {
                self.eat_keyword("table");
            }
            Ok(Statement::ShowCreate(self.object_name("a table name")?))
        } else {
            Err(self.expected("TABLES, STREAMS or CREATE after SHOW"))
        }
    }

    /// After `INSERT`: `INTO t [(cols)] VALUES (..)[, (..)]`.
    fn insert(&mut self) -> Result<Insert, ParseError> {
        self.keyword("into")?;
        let table = self.object_name("a table name")?;
        let mut columns = Vec::new();
        if self.eat_sym("(") {
            loop {
                columns.push(self.ident("a column name")?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.sym(")")?;
        }
        self.keyword("values")?;
        let mut rows = Vec::new();
        loop {
            self.sym("(")?;
            let mut row = Vec::new();
            loop {
                row.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.sym(")")?;
            rows.push(row);
            if !self.eat_sym(",") {
                break;
            }
        }
        Ok(Insert {
            table,
            columns,
            rows,
        })
    }

    /// After `DELETE`: `FROM t [WHERE cond | BEFORE time]`.
    fn delete(&mut self) -> Result<Delete, ParseError> {
        self.keyword("from")?;
        let table = self.object_name("a table name")?;
        let mut delete = Delete {
            table,
            filter: None,
            before: None,
        };
        if self.eat_keyword("where") {
            delete.filter = Some(self.expr()?);
        } else if self.eat_keyword("before") {
            delete.before = Some(self.expr()?);
        }
        Ok(delete)
    }

    fn if_not_exists(&mut self) -> Result<bool, ParseError> {
        if self.eat_keyword("if") {
            self.keyword("not")?;
            self.keyword("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn create(&mut self) -> Result<Statement, ParseError> {
        let kind = if self.eat_keyword("tag") {
            self.keyword("table")?;
            TableKind::Tag
        } else if self.eat_keyword("table") {
            TableKind::Log
        } else if self.eat_keyword("stream") {
            TableKind::Stream
        } else {
            return Err(self.expected("TAG TABLE, TABLE or STREAM after CREATE"));
        };
        let if_not_exists = self.if_not_exists()?;
        let name = self.object_name("a table name")?;
        self.sym("(")?;
        let mut columns = Vec::new();
        loop {
            columns.push(self.column_def(kind)?);
            if !self.eat_sym(",") {
                break;
            }
        }
        self.sym(")")?;
        let mut create = CreateTable {
            kind,
            name,
            if_not_exists,
            columns,
            primary_key: Vec::new(),
            settings: Vec::new(),
        };
        match kind {
            TableKind::Stream => self.stream_options(&mut create)?,
            TableKind::Tag | TableKind::Log => self.table_options()?,
        }
        Ok(Statement::Create(create))
    }

    /// After `RENAME`: `STREAM|TABLE [IF EXISTS] a TO b`.
    fn rename(&mut self) -> Result<RenameTable, ParseError> {
        if !self.eat_keyword("stream") && !self.eat_keyword("table") {
            return Err(self.expected("STREAM or TABLE after RENAME"));
        }
        let if_exists = if self.eat_keyword("if") {
            self.keyword("exists")?;
            true
        } else {
            false
        };
        let from = self.object_name("a table name")?;
        self.keyword("to")?;
        let to = self.object_name("the new name")?;
        Ok(RenameTable {
            from,
            to,
            if_exists,
        })
    }

    /// After `ALTER`: `STREAM|TABLE a RENAME TO b`, the only ALTER tidegate runs.
    fn alter_rename(&mut self) -> Result<RenameTable, ParseError> {
        if !self.eat_keyword("stream") && !self.eat_keyword("table") {
            return Err(self.expected("STREAM or TABLE after ALTER"));
        }
        let from = self.object_name("a table name")?;
        self.keyword("rename")?;
        self.keyword("to")?;
        let to = self.object_name("the new name")?;
        Ok(RenameTable {
            from,
            to,
            if_exists: false,
        })
    }

    fn column_def(&mut self, kind: TableKind) -> Result<ColumnDef, ParseError> {
        let name = self.ident("a column name")?;
        let ty = self.type_name()?;
        let mut def = ColumnDef {
            name,
            ty,
            role: ColumnRole::Plain,
            summarized: false,
            default: None,
        };
        loop {
            if self.eat_keyword("primary") {
                self.keyword("key")?;
                def.role = ColumnRole::TagName;
            } else if self.eat_keyword("basetime") {
                def.role = ColumnRole::BaseTime;
            } else if self.is_keyword("base")
                && matches!(self.peek_at(1), Tok::Ident(s) if s.eq_ignore_ascii_case("time"))
            {
                self.pos += 2;
                def.role = ColumnRole::BaseTime;
            } else if self.eat_keyword("summarized") {
                def.summarized = true;
            } else if kind == TableKind::Stream && self.eat_keyword("default") {
                def.default = Some(self.expr()?);
            } else if self.eat_keyword("comment") {
                match self.bump() {
                    Tok::Str(_) => {}
                    _ => return Err(self.expected("a comment string")),
                }
            } else if self.eat_keyword("codec") {
                self.skip_parenthesized()?;
            } else if self.eat_keyword("not") {
                self.keyword("null")?;
            } else {
                return Ok(def);
            }
        }
    }

    fn skip_parenthesized(&mut self) -> Result<(), ParseError> {
        self.sym("(")?;
        let mut depth = 1;
        while depth > 0 {
            match self.bump() {
                Tok::Sym("(") => depth += 1,
                Tok::Sym(")") => depth -= 1,
                Tok::Eof => return Err(self.expected("`)`")),
                _ => {}
            }
        }
        Ok(())
    }

    /// `name` or `name(arg, ...)`, args being numbers, strings or nested types.
    fn type_name(&mut self) -> Result<TypeName, ParseError> {
        let name = self.ident("a column type")?;
        let mut args = Vec::new();
        if self.eat_sym("(") {
            loop {
                let arg = match self.peek().clone() {
                    Tok::Number(n) => {
                        self.pos += 1;
                        TypeArg::Number(n.parse().map_err(|_| {
                            ParseError::syntax(
                                self.offset(),
                                format!("invalid type argument `{n}`"),
                            )
                        })?)
                    }
                    Tok::Str(s) => {
                        self.pos += 1;
                        TypeArg::Text(s)
                    }
                    Tok::Ident(_) | Tok::QuotedIdent(_) => {
                        TypeArg::Type(self.nested(Self::type_name)?)
                    }
                    _ => return Err(self.expected("a type argument")),
                };
                args.push(arg);
                if !self.eat_sym(",") {
                    break;
                }
            }
            self.sym(")")?;
        }
        Ok(TypeName { name, args })
    }

    /// What may follow a Machbase column list: `METADATA (...)`, `WITH ROLLUP [...]`,
    /// `NAME = value` storage options (accepted, not needed by tidegate's engine).
    fn table_options(&mut self) -> Result<(), ParseError> {
        loop {
            if self.at_eof() || matches!(self.peek(), Tok::Sym(";")) {
                return Ok(());
            }
            if self.eat_keyword("metadata") {
                self.skip_parenthesized()?;
            } else if self.eat_keyword("with") {
                self.keyword("rollup")?;
                if matches!(self.peek(), Tok::Sym("(")) {
                    self.skip_parenthesized()?;
                }
                self.eat_keyword("extension");
            } else {
                self.ident("a table option")?;
                self.sym("=")?;
                self.bump();
                self.eat_sym(",");
            }
        }
    }

    /// What may follow a stream's column list, in any order: `PRIMARY KEY k` or
    /// `PRIMARY KEY (a, b)`, `ORDER BY expr` and `PARTITION BY expr` (layout hints, read and
    /// dropped), `SETTINGS k = v, ...`.
    fn stream_options(&mut self, create: &mut CreateTable) -> Result<(), ParseError> {
        loop {
            if self.at_eof() || matches!(self.peek(), Tok::Sym(";")) {
                return Ok(());
            }
            if self.eat_keyword("primary") {
                self.keyword("key")?;
                if self.eat_sym("(") {
                    loop {
                        create.primary_key.push(self.ident("a key column")?);
                        if !self.eat_sym(",") {
                            break;
                        }
                    }
                    self.sym(")")?;
                } else {
                    create.primary_key.push(self.ident("a key column")?);
                }
            } else if self.eat_keyword("order") || self.eat_keyword("partition") {
                self.keyword("by")?;
                self.expr()?;
            } else if self.eat_keyword("settings") {
                loop {
                    let name = self.ident("a setting name")?;
                    self.sym("=")?;
                    let negative = self.eat_sym("-");
                    let value = match self.peek().clone() {
                        Tok::Number(n) => format!("{}{n}", if negative { "-" } else { "" }),
                        Tok::Str(s) | Tok::Ident(s) | Tok::QuotedIdent(s) if !negative => s,
                        _ => return Err(self.expected("a setting value")),
                    };
                    self.pos += 1;
                    create.settings.push((name, value));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else {
                return Err(self.expected("PRIMARY KEY, ORDER BY, PARTITION BY or SETTINGS"));
            }
        }
    }

    fn drop_table(&mut self) -> Result<Statement, ParseError> {
        let stream = if self.eat_keyword("stream") {
            true
        } else if self.eat_keyword("table") {
            false
        } else {
            return Err(self.expected("TABLE or STREAM after DROP"));
        };
        let if_exists = if self.eat_keyword("if") {
            self.keyword("exists")?;
            true
        } else {
            false
        };
        let name = self.object_name("a table name")?;
        self.eat_keyword("cascade");
        Ok(Statement::Drop(DropTable {
            name,
            if_exists,
            stream,
        }))
    }

    fn select(&mut self) -> Result<Select, ParseError> {
        self.keyword("select")?;
        let distinct = self.eat_keyword("distinct");
        let mut items = Vec::new();
        loop {
            if self.eat_sym("*") {
                items.push(SelectItem::Star);
            } else {
                let start = self.offset();
                let expr = self.expr()?;
                let end = self
                    .tokens
                    .get(self.pos.saturating_sub(1))
                    .map_or(start, |t| t.end);
                let text = self
                    .sql
                    .get(start..end)
                    .unwrap_or_default()
                    .trim()
                    .to_owned();
                let alias = if self.eat_keyword("as") {
                    Some(self.ident("an alias")?)
                } else if let Tok::Ident(s) = self.peek().clone()
                    && !is_reserved(&s)
                {
                    self.pos += 1;
                    Some(s)
                } else {
                    None
                };
                items.push(SelectItem::Expr { expr, alias, text });
            }
            if !self.eat_sym(",") {
                break;
            }
        }
        let from = if self.eat_keyword("from") {
            let from = if self.is_keyword("table") && matches!(self.peek_at(1), Tok::Sym("(")) {
                self.pos += 2;
                let name = self.object_name("a stream name")?;
                self.sym(")")?;
                From::Historical(name)
            } else if (self.is_keyword("tumble") || self.is_keyword("hop"))
                && matches!(self.peek_at(1), Tok::Sym("("))
            {
                From::Window(Box::new(self.window()?))
            } else if self.eat_sym("(") {
                let inner = self.nested(Self::select)?;
                self.sym(")")?;
                From::Subquery(Box::new(inner))
            } else {
                From::Table(self.object_name("a table name")?)
            };
            // A table alias adds nothing: there is one table per SELECT.
            if self.eat_keyword("as") {
                self.ident("an alias")?;
            } else if let Tok::Ident(s) = self.peek()
                && !is_reserved(s)
            {
                self.pos += 1;
            }
            Some(from)
        } else {
            None
        };
        let filter = if self.eat_keyword("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut group_by = Vec::new();
        if self.eat_keyword("group") {
            self.keyword("by")?;
            loop {
                group_by.push(self.expr()?);
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let having = if self.eat_keyword("having") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut emit = self.emit()?;
        let mut order_by = Vec::new();
        if self.eat_keyword("order") {
            self.keyword("by")?;
            loop {
                let expr = self.expr()?;
                let descending = if self.eat_keyword("desc") {
                    true
                } else {
                    self.eat_keyword("asc");
                    false
                };
                order_by.push(OrderItem { expr, descending });
                if !self.eat_sym(",") {
                    break;
                }
            }
        }
        let mut limit = None;
        let mut offset = 0;
        if self.eat_keyword("limit") {
            let first = self.unsigned("a row count after LIMIT")?;
            if self.eat_sym(",") {
                offset = first;
                limit = Some(self.unsigned("a row count")?);
            } else {
                limit = Some(first);
                if self.eat_keyword("offset") {
                    offset = self.unsigned("a row count after OFFSET")?;
                }
            }
        }
        let mut format = None;
        let mut settings = Vec::new();
        loop {
            if self.eat_keyword("format") {
                format = Some(self.ident("a format name")?);
            } else if self.eat_keyword("settings") {
                loop {
                    let name = self.ident("a setting name")?.to_ascii_lowercase();
                    self.sym("=")?;
                    let value = match self.bump() {
                        Tok::Str(v) | Tok::Number(v) | Tok::Ident(v) | Tok::QuotedIdent(v) => v,
                        Tok::Sym(v) => v.to_owned(),
                        Tok::Eof => return Err(self.expected("a setting value")),
                    };
                    settings.push((name, value));
                    if !self.eat_sym(",") {
                        break;
                    }
                }
            } else if self.is_keyword("emit") {
                emit = self.emit()?;
            } else {
                break;
            }
        }
        Ok(Select {
            distinct,
            items,
            from,
            filter,
            group_by,
            having,
            order_by,
            limit,
            offset,
            format,
            settings,
            emit,
        })
    }

    /// After FROM: `tumble(s, [time_col,] size[, 'tz'])` or `hop(s, [time_col,] slide, size)`,
    /// where `s` may be `table(s)`.
    fn window(&mut self) -> Result<Window, ParseError> {
        let hop = self.is_keyword("hop");
        self.pos += 2;
        let historical = self.is_keyword("table") && matches!(self.peek_at(1), Tok::Sym("("));
        if historical {
            self.pos += 2;
        }
        let table = self.object_name("a stream name")?;
        if historical {
            self.sym(")")?;
        }
        self.sym(",")?;
        let time_column = match (self.peek().clone(), self.peek_at(1)) {
            (Tok::Ident(name) | Tok::QuotedIdent(name), Tok::Sym(",")) => {
                self.pos += 2;
                Some(name)
            }
            _ => None,
        };
        let first = self.interval_ns()?;
        let (slide_ns, size_ns) = if hop {
            self.sym(",")?;
            (first, self.interval_ns()?)
        } else {
            (first, first)
        };
        // Proton's optional time zone argument: windows here are aligned in UTC.
        if self.eat_sym(",") {
            self.bump();
        }
        self.sym(")")?;
        if hop && (size_ns < slide_ns || size_ns / slide_ns > HOP_WINDOWS_PER_ROW_MAX) {
            return Err(self.expected(&format!(
                "a hop size at least the slide and at most {HOP_WINDOWS_PER_ROW_MAX} slides"
            )));
        }
        Ok(Window {
            table,
            historical,
            time_column,
            slide_ns,
            size_ns,
        })
    }

    /// A positive fixed-length interval: `INTERVAL 5 SECOND`, `INTERVAL '5 second'`, `5s`,
    /// `1m`, `500ms`, or a bare number of seconds.
    fn interval_ns(&mut self) -> Result<i64, ParseError> {
        let at = self.offset();
        let bad = || {
            ParseError::syntax(
                at,
                "expected a positive fixed-length interval such as 5s, 1m or INTERVAL 5 SECOND",
            )
        };
        let (count, unit) = if self.eat_keyword("interval") {
            match self.interval()? {
                Expr::Interval { count, unit } => (count, unit),
                _ => return Err(bad()),
            }
        } else if let Tok::Number(text) = self.peek().clone() {
            self.pos += 1;
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            let (count, unit) = text.split_at(digits);
            let count: i64 = count.parse().map_err(|_| bad())?;
            (
                count,
                if unit.is_empty() {
                    "s".into()
                } else {
                    unit.to_owned()
                },
            )
        } else {
            return Err(bad());
        };
        let unit_ns = TimeUnit::parse(&unit)
            .and_then(TimeUnit::fixed_ns)
            .ok_or_else(bad)?;
        count
            .checked_mul(unit_ns)
            .filter(|ns| *ns > 0)
            .ok_or_else(bad)
    }

    /// `EMIT [STREAM|CHANGELOG] [PERIODIC i] [AFTER WATERMARK|WINDOW CLOSE] [AND|WITH DELAY i]
    /// [TIMEOUT i] ...`: the words up to the next clause, keeping the periodic interval.
    fn emit(&mut self) -> Result<Option<Emit>, ParseError> {
        if !self.eat_keyword("emit") {
            return Ok(None);
        }
        let mut emit = Emit::default();
        loop {
            if self.at_eof()
                || matches!(self.peek(), Tok::Sym(";" | ")"))
                || ["order", "limit", "settings", "format"]
                    .iter()
                    .any(|k| self.is_keyword(k))
            {
                return Ok(Some(emit));
            }
            if self.eat_keyword("periodic") {
                emit.periodic_ns = Some(self.interval_ns()?);
            } else if ["delay", "timeout", "batch"]
                .iter()
                .any(|k| self.is_keyword(k))
            {
                self.pos += 1;
                self.interval_ns()?;
            } else {
                self.ident("an EMIT policy word")?;
            }
        }
    }

    fn unsigned(&mut self, what: &str) -> Result<u64, ParseError> {
        match self.peek().clone() {
            Tok::Number(n) => {
                let v = n.parse().map_err(|_| self.expected(what))?;
                self.pos += 1;
                Ok(v)
            }
            _ => Err(self.expected(what)),
        }
    }

    fn expr(&mut self) -> Result<Expr, ParseError> {
        self.sub_expr().map(|(e, _)| e)
    }

    /// An expression with its height; one nesting level deeper than the caller.
    fn sub_expr(&mut self) -> Result<Sub, ParseError> {
        self.nested(Self::or_expr)
    }

    fn or_expr(&mut self) -> Result<Sub, ParseError> {
        let first = self.and_expr()?;
        if !self.is_keyword("or") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.eat_keyword("or") {
            terms.push(self.and_expr()?);
        }
        self.balanced(BinaryOp::Or, terms)
    }

    fn and_expr(&mut self) -> Result<Sub, ParseError> {
        let first = self.not_expr()?;
        if !self.is_keyword("and") {
            return Ok(first);
        }
        let mut terms = vec![first];
        while self.eat_keyword("and") {
            terms.push(self.not_expr()?);
        }
        self.balanced(BinaryOp::And, terms)
    }

    /// Joins `terms` with the associative `op` into a balanced tree, pairing neighbours
    /// level by level, so the height grows with the logarithm of the count and the terms
    /// keep their left-to-right order.
    fn balanced(&self, op: BinaryOp, mut terms: Vec<Sub>) -> Result<Sub, ParseError> {
        while terms.len() > 1 {
            let mut paired = Vec::with_capacity(terms.len().div_ceil(2));
            let mut rest = terms.into_iter();
            while let Some((left, lh)) = rest.next() {
                paired.push(match rest.next() {
                    Some((right, rh)) => self.node(
                        Expr::Binary(op, Box::new(left), Box::new(right)),
                        lh.max(rh) + 1,
                    )?,
                    None => (left, lh),
                });
            }
            terms = paired;
        }
        terms.pop().ok_or_else(|| self.expected("an expression"))
    }

    fn not_expr(&mut self) -> Result<Sub, ParseError> {
        if self.eat_keyword("not") {
            let (e, h) = self.nested(Self::not_expr)?;
            self.node(Expr::Not(Box::new(e)), h + 1)
        } else {
            self.comparison()
        }
    }

    fn comparison(&mut self) -> Result<Sub, ParseError> {
        let (left, lh) = self.additive()?;
        let op = match self.peek() {
            Tok::Sym("=") => Some(BinaryOp::Eq),
            Tok::Sym("!=") | Tok::Sym("<>") => Some(BinaryOp::NotEq),
            Tok::Sym("<") => Some(BinaryOp::Lt),
            Tok::Sym("<=") => Some(BinaryOp::LtEq),
            Tok::Sym(">") => Some(BinaryOp::Gt),
            Tok::Sym(">=") => Some(BinaryOp::GtEq),
            _ => None,
        };
        if let Some(op) = op {
            self.pos += 1;
            let (right, rh) = self.additive()?;
            return self.node(
                Expr::Binary(op, Box::new(left), Box::new(right)),
                lh.max(rh) + 1,
            );
        }
        if self.eat_keyword("is") {
            let negated = self.eat_keyword("not");
            self.keyword("null")?;
            return self.node(Expr::IsNull(Box::new(left), negated), lh + 1);
        }
        let negated = self.is_keyword("not")
            && matches!(self.peek_at(1), Tok::Ident(s) if ["in", "between", "like"].iter().any(|k| s.eq_ignore_ascii_case(k)));
        if negated {
            self.pos += 1;
        }
        if self.eat_keyword("like") {
            let (pattern, ph) = self.additive()?;
            return self.node(
                Expr::Like {
                    expr: Box::new(left),
                    pattern: Box::new(pattern),
                    negated,
                },
                lh.max(ph) + 1,
            );
        }
        if self.eat_keyword("in") {
            self.sym("(")?;
            let (list, height) = self.expr_list(lh)?;
            self.sym(")")?;
            return self.node(
                Expr::InList {
                    expr: Box::new(left),
                    list,
                    negated,
                },
                height + 1,
            );
        }
        if self.eat_keyword("between") {
            let (low, bh) = self.additive()?;
            self.keyword("and")?;
            let (high, hh) = self.additive()?;
            return self.node(
                Expr::Between {
                    expr: Box::new(left),
                    low: Box::new(low),
                    high: Box::new(high),
                    negated,
                },
                lh.max(bh).max(hh) + 1,
            );
        }
        Ok((left, lh))
    }

    /// `e, e, …` (at least one), with the tallest height among them and `height`.
    fn expr_list(&mut self, mut height: usize) -> Result<(Vec<Expr>, usize), ParseError> {
        let mut list = Vec::new();
        loop {
            let (e, h) = self.sub_expr()?;
            list.push(e);
            height = height.max(h);
            if !self.eat_sym(",") {
                return Ok((list, height));
            }
        }
    }

    fn additive(&mut self) -> Result<Sub, ParseError> {
        let (mut left, mut height) = self.multiplicative()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("+") => BinaryOp::Add,
                Tok::Sym("-") => BinaryOp::Sub,
                Tok::Sym("||") => BinaryOp::Concat,
                _ => return Ok((left, height)),
            };
            self.pos += 1;
            let (right, rh) = self.multiplicative()?;
            (left, height) = self.node(
                Expr::Binary(op, Box::new(left), Box::new(right)),
                height.max(rh) + 1,
            )?;
        }
    }

    fn multiplicative(&mut self) -> Result<Sub, ParseError> {
        let (mut left, mut height) = self.unary()?;
        loop {
            let op = match self.peek() {
                Tok::Sym("*") => BinaryOp::Mul,
                Tok::Sym("/") => BinaryOp::Div,
                Tok::Sym("%") => BinaryOp::Mod,
                _ => return Ok((left, height)),
            };
            self.pos += 1;
            let (right, rh) = self.unary()?;
            (left, height) = self.node(
                Expr::Binary(op, Box::new(left), Box::new(right)),
                height.max(rh) + 1,
            )?;
        }
    }

    fn unary(&mut self) -> Result<Sub, ParseError> {
        if self.eat_sym("-") {
            return match self.nested(Self::unary)? {
                (Expr::Literal(Value::Int(v)), h) => Ok((Expr::Literal(Value::Int(-v)), h)),
                (Expr::Literal(Value::Float(v)), h) => Ok((Expr::Literal(Value::Float(-v)), h)),
                (e, h) => self.node(Expr::Neg(Box::new(e)), h + 1),
            };
        }
        if self.eat_sym("+") {
            return self.nested(Self::unary);
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Sub, ParseError> {
        let at = self.offset();
        let leaf = |e: Expr| Ok((e, 1));
        match self.bump() {
            Tok::Number(n) => match number_literal(&n) {
                Some(e) => leaf(e),
                None => Err(ParseError::syntax(at, format!("invalid number `{n}`"))),
            },
            Tok::Str(s) => leaf(Expr::Literal(Value::Str(s))),
            Tok::Sym("?") => {
                self.params += 1;
                leaf(Expr::Param(self.params - 1))
            }
            Tok::Sym("(") => {
                let sub = self.sub_expr()?;
                self.sym(")")?;
                Ok(sub)
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("null") => {
                leaf(Expr::Literal(Value::Null))
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("true") => {
                leaf(Expr::Literal(Value::Bool(true)))
            }
            Tok::Ident(name) if name.eq_ignore_ascii_case("false") => {
                leaf(Expr::Literal(Value::Bool(false)))
            }
            Tok::Ident(name)
                if name.eq_ignore_ascii_case("interval")
                    && matches!(self.peek(), Tok::Number(_) | Tok::Str(_)) =>
            {
                self.interval().map(|e| (e, 1))
            }
            Tok::Ident(name) | Tok::QuotedIdent(name) => {
                if self.eat_sym("(") {
                    let (args, height) = if self.eat_sym("*") {
                        (vec![Expr::Literal(Value::Int(1))], 1)
                    } else if matches!(self.peek(), Tok::Sym(")")) {
                        (Vec::new(), 0)
                    } else {
                        self.expr_list(0)?
                    };
                    self.sym(")")?;
                    return self.node(Expr::Function { name, args }, height + 1);
                }
                let mut name = name;
                // `t.col`: one namespace, so the qualifier adds nothing.
                while self.eat_sym(".") {
                    name = self.ident("a column name")?;
                }
                leaf(Expr::Column(name))
            }
            _ => {
                self.pos -= 1;
                Err(self.expected("an expression"))
            }
        }
    }
}

impl Parser<'_> {
    /// After `INTERVAL`: `n unit` or `'n unit'`.
    fn interval(&mut self) -> Result<Expr, ParseError> {
        let at = self.offset();
        let bad = |what: &str| ParseError::syntax(at, format!("expected {what} after INTERVAL"));
        match self.bump() {
            Tok::Number(n) => {
                let count = n.parse().map_err(|_| bad("an integer count"))?;
                let unit = self.ident("an interval unit (second, minute, hour, day, ...)")?;
                Ok(Expr::Interval { count, unit })
            }
            Tok::Str(s) => {
                let mut words = s.split_whitespace();
                let count = words
                    .next()
                    .and_then(|n| n.parse().ok())
                    .ok_or_else(|| bad("'<count> <unit>'"))?;
                let unit = words.next().ok_or_else(|| bad("'<count> <unit>'"))?;
                Ok(Expr::Interval {
                    count,
                    unit: unit.to_owned(),
                })
            }
            _ => Err(bad("a count")),
        }
    }
}

/// Windows one row may fall in with `hop`: bounds the copies each row makes.
const HOP_WINDOWS_PER_ROW_MAX: i64 = 1000;

fn is_reserved(word: &str) -> bool {
    const RESERVED: &[&str] = &[
        "from", "where", "order", "limit", "format", "settings", "group", "having", "as", "and",
        "emit", "or", "not", "offset", "union", "by", "asc", "desc", "before", "values", "like",
        "between", "in", "is",
    ];
    RESERVED.iter().any(|r| r.eq_ignore_ascii_case(word))
}

fn number_literal(text: &str) -> Option<Expr> {
    if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16)
            .ok()
            .map(|v| Expr::Literal(Value::Int(v)));
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return match text.parse::<i64>() {
            Ok(v) => Some(Expr::Literal(Value::Int(v))),
            Err(_) => text
                .parse::<u64>()
                .ok()
                .map(|v| Expr::Literal(Value::UInt(v))),
        };
    }
    text.parse::<f64>()
        .ok()
        .map(|v| Expr::Literal(Value::Float(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn create_tag_table_machbase_syntax() {
        let s = parse("create tag table if not exists EXAMPLE (name varchar(40) primary key, time datetime base time, value double summarized) TAG_PARTITION_COUNT=1, TAG_DUPLICATE_CHECK_DURATION=1").unwrap();
        let Statement::Create(c) = s else {
            panic!("{s:?}")
        };
        assert_eq!(c.kind, TableKind::Tag);
        assert!(c.if_not_exists);
        assert_eq!(c.columns.len(), 3);
        assert_eq!(c.columns[0].role, ColumnRole::TagName);
        assert_eq!(c.columns[1].role, ColumnRole::BaseTime);
        assert!(c.columns[2].summarized);
        assert_eq!(
            c.columns[0].ty,
            TypeName {
                name: "varchar".into(),
                args: vec![TypeArg::Number(40)]
            }
        );
    }

    #[test]
    fn windows_emit_and_settings() {
        let Statement::Select(q) = parse(
            "select id, max(value), window_start from tumble(s, timestamp, interval 5 second) \
             group by id, window_start emit stream periodic 2s limit 3 \
             settings seek_to = 'earliest', query_mode='table'",
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(
            q.from,
            Some(From::Window(Box::new(Window {
                table: "s".into(),
                historical: false,
                time_column: Some("timestamp".into()),
                slide_ns: 5_000_000_000,
                size_ns: 5_000_000_000,
            })))
        );
        assert_eq!(
            q.emit,
            Some(Emit {
                periodic_ns: Some(2_000_000_000)
            })
        );
        assert_eq!(q.limit, Some(3));
        assert_eq!(q.setting("seek_to"), Some("earliest"));
        assert_eq!(q.setting("query_mode"), Some("table"));
        let Statement::Select(q) =
            parse("select * from hop(table(s), 1m, 5m) emit after watermark and delay 2s").unwrap()
        else {
            panic!()
        };
        assert_eq!(
            q.from,
            Some(From::Window(Box::new(Window {
                table: "s".into(),
                historical: true,
                time_column: None,
                slide_ns: 60_000_000_000,
                size_ns: 300_000_000_000,
            })))
        );
        assert_eq!(q.emit, Some(Emit::default()));
        let Statement::Select(q) = parse("select * from table(s)").unwrap() else {
            panic!()
        };
        assert_eq!(q.from, Some(From::Historical("s".into())));
        let e = parse("select * from hop(s, 5s, 1s)").unwrap_err();
        assert!(e.message.contains("hop size at least the slide"), "{e:?}");
        let e = parse("select * from tumble(s, 0s)").unwrap_err();
        assert!(
            e.message.contains("positive fixed-length interval"),
            "{e:?}"
        );
        assert!(parse("select * from tumble(s, interval 1 month)").is_err());
    }

    #[test]
    fn create_stream_with_defaults_and_settings() {
        let s = parse("CREATE STREAM IF NOT EXISTS t(i int, s string default 'x', t datetime64(3, 'UTC') DEFAULT now64(3, 'UTC')) SETTINGS event_time_column='t'").unwrap();
        let Statement::Create(c) = s else {
            panic!("{s:?}")
        };
        assert_eq!(c.kind, TableKind::Stream);
        assert_eq!(
            c.columns[1].default,
            Some(Expr::Literal(Value::Str("x".into())))
        );
        assert!(
            matches!(&c.columns[2].default, Some(Expr::Function { name, .. }) if name == "now64")
        );
    }

    #[test]
    fn describe_and_show_take_a_format_as_drivers_send_them() {
        let (d, format) = parse_with_format("DESCRIBE `s` FORMAT Native").unwrap();
        assert_eq!(d, Statement::Describe("s".into()));
        assert_eq!(format.as_deref(), Some("Native"));
        assert!(parse("DESCRIBE s FORMAT Native").is_err());
        let (show, format) = parse_with_format("SHOW STREAMS FORMAT JSON;").unwrap();
        assert_eq!(show, Statement::ShowTables { streams: true });
        assert_eq!(format.as_deref(), Some("JSON"));
        let (select, format) = parse_with_format("SELECT 1 FORMAT CSV").unwrap();
        assert!(format.is_none(), "a SELECT keeps its own FORMAT");
        assert!(matches!(select, Statement::Select(s) if s.format.as_deref() == Some("CSV")));
    }

    #[test]
    fn select_with_everything_issue_2_needs() {
        let s = parse("SELECT id, name AS n FROM table(foo) WHERE name = 'a' AND id >= 2 ORDER BY id DESC LIMIT 10 FORMAT JSONCompact").unwrap();
        let Statement::Select(q) = s else { panic!() };
        assert_eq!(q.from, Some(From::Historical("foo".into())));
        assert_eq!(q.items.len(), 2);
        assert!(q.order_by[0].descending);
        assert_eq!(q.limit, Some(10));
        assert_eq!(q.format.as_deref(), Some("JSONCompact"));
        let SelectItem::Expr { text, .. } = &q.items[0] else {
            panic!()
        };
        assert_eq!(text, "id");
    }

    #[test]
    fn expression_text_names_the_column() {
        let Statement::Select(q) = parse("select (min(min_time)), 'a b' from t").unwrap() else {
            panic!()
        };
        let texts: Vec<_> = q
            .items
            .iter()
            .map(|i| match i {
                SelectItem::Expr { text, .. } => text.clone(),
                SelectItem::Star => "*".into(),
            })
            .collect();
        assert_eq!(texts, ["(min(min_time))", "'a b'"]);
    }

    fn height(e: &Expr) -> usize {
        match e {
            Expr::Binary(_, l, r) => 1 + height(l).max(height(r)),
            Expr::Not(e) | Expr::Neg(e) => 1 + height(e),
            Expr::Function { args, .. } => 1 + args.iter().map(height).max().unwrap_or(0),
            _ => 1,
        }
    }

    fn filter(sql: &str) -> Expr {
        match parse(sql).unwrap() {
            Statement::Select(Select {
                filter: Some(f), ..
            }) => f,
            s => panic!("{s:?}"),
        }
    }

    /// Runs `f` on a thread with an executor thread's stack, as requests run: a debug
    /// build's frames are large, and a test thread's 2 MiB do not hold a statement at the
    /// depth bound.
    fn on_executor_stack(f: impl FnOnce() + Send + 'static) {
        std::thread::Builder::new()
            .stack_size(crate::limits::EXECUTOR_STACK_BYTES)
            .spawn(f)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn or_and_and_chains_are_balanced_and_keep_their_order() {
        on_executor_stack(or_and_and_chains);
    }

    fn or_and_and_chains() {
        let terms: Vec<String> = (0..100_000).map(|i| format!("v = {i}")).collect();
        let f = filter(&format!("select * from t where {}", terms.join(" or ")));
        // 17 levels of OR over 100,000 leaves of height 2 (`=` over two leaves).
        assert_eq!(height(&f), 17 + 2);
        // Leaves in order, left to right.
        fn leaves(e: &Expr, out: &mut Vec<i64>) {
            match e {
                Expr::Binary(BinaryOp::Or, l, r) => {
                    leaves(l, out);
                    leaves(r, out);
                }
                Expr::Binary(BinaryOp::Eq, _, r) => match **r {
                    Expr::Literal(Value::Int(i)) => out.push(i),
                    _ => panic!("{r:?}"),
                },
                _ => panic!("{e:?}"),
            }
        }
        let mut got = Vec::new();
        leaves(&f, &mut got);
        assert!(got.iter().copied().eq(0..100_000));
        // AND binds tighter than OR, as before.
        let f = filter("select * from t where a = 1 or b = 2 and c = 3 and d = 4 or e = 5");
        let Expr::Binary(BinaryOp::Or, l, r) = &f else {
            panic!("{f:?}")
        };
        assert!(matches!(**r, Expr::Binary(BinaryOp::Eq, ..)), "{r:?}");
        let Expr::Binary(BinaryOp::Or, _, and) = &**l else {
            panic!("{l:?}")
        };
        assert!(matches!(**and, Expr::Binary(BinaryOp::And, ..)), "{and:?}");
    }

    #[test]
    fn depth_is_bounded_for_every_recursive_construct() {
        on_executor_stack(depth_is_bounded);
    }

    fn depth_is_bounded() {
        let n = SQL_DEPTH_MAX + 1;
        for sql in [
            format!("select {}1{}", "(".repeat(n), ")".repeat(n)),
            format!("select 1{}", "+1".repeat(n)),
            format!("select 1{}", "*1".repeat(n)),
            format!("select {}1", "not ".repeat(n)),
            format!("select {}x", "- ".repeat(n)),
            format!("select {}1{}", "f(".repeat(n), ")".repeat(n)),
            format!(
                "select * from {}t{}",
                "(select * from ".repeat(n),
                ")".repeat(n)
            ),
            format!(
                "create stream s (a {}int{})",
                "nullable(".repeat(n),
                ")".repeat(n)
            ),
            format!("select 1 in {}1{}", "(".repeat(n), ")".repeat(n)),
        ] {
            let Err(e) = parse(&sql) else {
                panic!("accepted {}", &sql[..40]);
            };
            assert_eq!(e.kind, ParseErrorKind::TooDeep, "{}", &sql[..40]);
            assert!(e.to_string().contains("sql_depth_max (256)"), "{e}");
            // Well inside the bound, each parses.
            let shallow = sql.replace(&"(".repeat(n), &"(".repeat(8));
            let shallow = shallow.replace(&")".repeat(n), &")".repeat(8));
            if shallow.len() < sql.len() / 2 {
                assert!(parse(&shallow).is_ok(), "{shallow}");
            }
        }
        let e = parse(&format!("select {}", "(".repeat(100_000))).map(|_| ());
        assert_eq!(e.map_err(|e| e.kind), Err(ParseErrorKind::TooDeep));
        // The tallest tree the bound allows under a select list: nesting 2 (select, item).
        let ok = format!("select 1{}", "+1".repeat(SQL_DEPTH_MAX - 3));
        let Statement::Select(q) = parse(&ok).unwrap() else {
            panic!()
        };
        let SelectItem::Expr { expr, .. } = &q.items[0] else {
            panic!()
        };
        assert_eq!(height(expr), SQL_DEPTH_MAX - 2);
    }

    #[test]
    fn a_long_token_is_clipped_in_errors() {
        let e = parse(&format!("select 1 '{}'", "x".repeat(1 << 20))).unwrap_err();
        assert!(e.to_string().len() < 200, "{}", e.to_string().len());
        assert!(e.to_string().ends_with("…'`"), "{e}");
    }

    #[test]
    fn err_names_position_and_expectation() {
        assert_eq!(
            parse("select * from").unwrap_err().to_string(),
            "syntax error at byte 13: expected a table name, but found the end of the statement"
        );
        assert_eq!(
            parse("selec 1").unwrap_err().to_string(),
            "syntax error at byte 0: expected SELECT, INSERT, DELETE, CREATE, DROP, RENAME, ALTER, SHOW or DESCRIBE, but found `selec`"
        );
        assert_eq!(
            parse("select 1 from t limit x").unwrap_err().to_string(),
            "syntax error at byte 22: expected a row count after LIMIT, but found `x`"
        );
    }
}
