//! The SELECT executor: one pipeline of pull-based row sources for both dialects.
//!
//! input (table scan | subquery | virtual table | one empty row)
//!   -> WHERE -> [GROUP BY / aggregates -> HAVING] -> projection (+ ORDER BY keys)
//!   -> [sort] -> [DISTINCT] -> OFFSET/LIMIT
//!
//! Invariants:
//! - Rows stream: nothing holds more than one input row except grouping (bounded by
//!   `GROUP_BYTES_MAX`), DISTINCT (same bound) and a sort the scan order cannot serve
//!   (`SORT_ROWS_MAX` rows, or only OFFSET + LIMIT rows when there is a LIMIT).
//! - LIMIT stops pulling, so a scan ends as soon as enough rows passed: the newest row of
//!   one tag (`WHERE name = 'x' ORDER BY time DESC LIMIT 1`) reads one key.
//! - Result column names follow the peer: an alias (upper-cased for Machbase, whose engine
//!   upper-cases unquoted names), a column's own name, else the expression as written.

use super::QueryError;
use super::aggregate::{AggregateSource, FilterSource, GroupSpec, encode_key, limit_error};
use super::ast::{Expr, From, Select, SelectItem};
use super::dml::fold;
use super::eval::{BindContext, Bound, bind, eval, result_type};
use super::plan::{KeyColumns, plan_scan};
use super::read_stats::ReadStats;
use super::schema::{ResultColumn, Schema};
use super::vtables;
use super::window::{WindowSource, WindowSpec};
use crate::app::App;
use crate::catalog::{Dialect, TableKind};
use crate::limits::{ALIAS_COPY_NODES_MAX, GROUP_BYTES_MAX, MERGE_TAGS_MAX, SORT_ROWS_MAX};
use crate::store::{Scan, TagSelection};
use crate::timefmt;
use crate::value::Value;
use std::sync::Arc;

/// Rows of a result, pulled one at a time so responses stream in fixed memory.
pub trait RowSource: Send {
    /// Writes the next row into `out` (one value per result column). `Ok(false)` at the end.
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError>;
}

pub struct QueryResult {
    pub columns: Vec<ResultColumn>,
    pub rows: Box<dyn RowSource>,
    /// What the rows' scans read so far; complete once `rows` is exhausted.
    pub read: Arc<ReadStats>,
}

/// What a SELECT reads: its schema, rows, and for a stored table the scan to narrow.
struct Input {
    schema: Schema,
    relation: String,
    source: InputRows,
    /// Counts the stored rows read; a subquery's, so the outer query reports them.
    read: Arc<ReadStats>,
}

/// Where an input's rows come from.
enum InputRows {
    Rows(Box<dyn RowSource>),
    /// A stored table, its rows expanded into windows when read through `tumble`/`hop`.
    Table(std::sync::Arc<crate::catalog::Table>, Option<WindowSpec>),
    Virtual(vtables::Virtual),
}

fn open_input(
    app: &App,
    from: Option<&From>,
    params: &[Value],
    dialect: Dialect,
) -> Result<Input, QueryError> {
    match from {
        None => Ok(Input {
            schema: Schema::default(),
            relation: String::new(),
            source: InputRows::Rows(Box::new(VecSource(vec![Vec::new()].into_iter()))),
            read: Arc::default(),
        }),
        Some(From::Subquery(inner)) => {
            let r = run_select_in(app, inner, params, dialect)?;
            Ok(Input {
                schema: Schema { columns: r.columns },
                relation: "(subquery)".into(),
                source: InputRows::Rows(r.rows),
                read: r.read,
            })
        }
        Some(From::Window(window)) => {
            let table = app
                .catalog
                .get(&window.table)
                .ok_or_else(|| QueryError::UnknownTable(window.table.clone()))?;
            let (spec, schema) = WindowSpec::resolve(window, &table)?;
            Ok(Input {
                schema,
                relation: table.name.to_string(),
                source: InputRows::Table(table, Some(spec)),
                read: Arc::default(),
            })
        }
        // Outside a live query (see `live`), a stream read by name gives its stored rows.
        Some(From::Table(name) | From::Historical(name)) => {
            if let Some(table) = app.catalog.get(name) {
                return Ok(Input {
                    schema: Schema::of_table(&table),
                    relation: table.name.to_string(),
                    source: InputRows::Table(table, None),
                    read: Arc::default(),
                });
            }
            match vtables::resolve(app, name)? {
                Some(v) => Ok(Input {
                    schema: v.schema(),
                    relation: name.clone(),
                    source: InputRows::Virtual(v),
                    read: Arc::default(),
                }),
                None => Err(QueryError::UnknownTable(name.clone())),
            }
        }
    }
}

/// Select-list aliases and positions as GROUP BY, HAVING and ORDER BY use them (both
/// peers allow it). Each use copies the aliased expression, so the copies are counted
/// against `ALIAS_COPY_NODES_MAX`: a short statement naming a large alias many times must
/// not multiply into gigabytes. A copy sits inside the clause's own expression, so a
/// resolved tree is at most twice `SQL_DEPTH_MAX` deep, which `EXECUTOR_STACK_BYTES` allows.
struct Aliases<'a> {
    items: &'a [SelectItem],
    copy_nodes_left: usize,
}

impl<'a> Aliases<'a> {
    fn new(items: &'a [SelectItem]) -> Self {
        Aliases {
            items,
            copy_nodes_left: ALIAS_COPY_NODES_MAX,
        }
    }

    /// `expr` with every alias (and, if `positional`, a top-level position) replaced by the
    /// expression it names.
    fn resolve(&mut self, expr: &Expr, positional: bool) -> Result<Expr, QueryError> {
        let items = self.items;
        let aliased = |name: &str| {
            items.iter().find_map(|i| match i {
                SelectItem::Expr {
                    expr,
                    alias: Some(a),
                    ..
                } if a.eq_ignore_ascii_case(name) => Some(expr),
                _ => None,
            })
        };
        let positioned = |n: &i64| {
            usize::try_from(*n)
                .ok()
                .and_then(|n| n.checked_sub(1))
                .and_then(|i| items.get(i))
                .and_then(|i| match i {
                    SelectItem::Expr { expr, .. } => Some(expr),
                    SelectItem::Star => None,
                })
        };
        Ok(match expr {
            Expr::Column(name) => match aliased(name) {
                Some(e) => self.copy(e)?,
                None => expr.clone(),
            },
            Expr::Literal(Value::Int(n)) if positional => match positioned(n) {
                Some(e) => self.copy(e)?,
                None => expr.clone(),
            },
            Expr::Binary(op, l, r) => Expr::Binary(
                *op,
                Box::new(self.resolve(l, false)?),
                Box::new(self.resolve(r, false)?),
            ),
            Expr::Not(e) => Expr::Not(Box::new(self.resolve(e, false)?)),
            Expr::Neg(e) => Expr::Neg(Box::new(self.resolve(e, false)?)),
            Expr::IsNull(e, n) => Expr::IsNull(Box::new(self.resolve(e, false)?), *n),
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => Expr::Between {
                expr: Box::new(self.resolve(expr, false)?),
                low: low.clone(),
                high: high.clone(),
                negated: *negated,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: Box::new(self.resolve(expr, false)?),
                list: list.clone(),
                negated: *negated,
            },
            other => other.clone(),
        })
    }

    fn copy(&mut self, expr: &Expr) -> Result<Expr, QueryError> {
        self.copy_nodes_left = self
            .copy_nodes_left
            .checked_sub(expr.node_count())
            .ok_or_else(|| {
                QueryError::Limit(format!(
                    "GROUP BY, HAVING and ORDER BY repeat select-list aliases more than \
                     alias_copy_nodes_max ({ALIAS_COPY_NODES_MAX}) expression nodes; repeat \
                     the expression less often or compute it in a subquery"
                ))
            })?;
        Ok(expr.clone())
    }
}

fn has_aggregate(b: &Bound) -> bool {
    match b {
        Bound::Aggregate(..) => true,
        Bound::Literal(_) | Bound::Column(_) | Bound::Now => false,
        Bound::Neg(x)
        | Bound::Not(x)
        | Bound::IsNull(x, _)
        | Bound::InSet(x, ..)
        | Bound::LikePattern(x, ..) => has_aggregate(x),
        Bound::Binary(_, a, b) | Bound::Like(a, b, _) => has_aggregate(a) || has_aggregate(b),
        Bound::Between(a, b, c, _) => has_aggregate(a) || has_aggregate(b) || has_aggregate(c),
        Bound::InList(x, l, _) => has_aggregate(x) || l.iter().any(has_aggregate),
        Bound::Function(_, args) => args.iter().any(has_aggregate),
    }
}

pub fn run_select_in(
    app: &App,
    select: &Select,
    params: &[Value],
    dialect: Dialect,
) -> Result<QueryResult, QueryError> {
    let input = open_input(app, select.from.as_ref(), params, dialect)?;
    run_on(app, select, input, params, dialect)
}

/// Runs `select` over `rows` of the relation `schema` instead of reading its FROM: a live
/// query's committed batches, or the rows of one closed window.
pub fn run_select_over(
    app: &App,
    select: &Select,
    schema: Schema,
    relation: &str,
    rows: Box<dyn RowSource>,
    params: &[Value],
    dialect: Dialect,
) -> Result<QueryResult, QueryError> {
    let input = Input {
        schema,
        relation: relation.to_owned(),
        source: InputRows::Rows(rows),
        read: Arc::default(),
    };
    run_on(app, select, input, params, dialect)
}

fn run_on(
    app: &App,
    select: &Select,
    input: Input,
    params: &[Value],
    dialect: Dialect,
) -> Result<QueryResult, QueryError> {
    let schema = &input.schema;
    let cx = BindContext {
        schema,
        relation: &input.relation,
        params,
        dialect,
        aggregates: true,
    };
    let where_cx = BindContext {
        aggregates: false,
        ..cx
    };

    let mut columns = Vec::new();
    let mut projections = Vec::new();
    for item in &select.items {
        match item {
            SelectItem::Star => {
                if select.from.is_none() {
                    return Err(QueryError::BadValue("SELECT * needs a FROM clause".into()));
                }
                for (i, c) in schema.columns.iter().enumerate() {
                    columns.push(c.clone());
                    projections.push(Bound::Column(i));
                }
            }
            SelectItem::Expr { expr, alias, text } => {
                let bound = bind(expr, &cx)?;
                let name = match (alias, &bound) {
                    (Some(a), _) if dialect == Dialect::Machbase => a.to_ascii_uppercase(),
                    (Some(a), _) => a.clone(),
                    (None, Bound::Column(i)) => schema
                        .columns
                        .get(*i)
                        .map_or_else(|| text.clone(), |c| c.name.clone()),
                    _ => text.clone(),
                };
                // A column passed through keeps its nullability; computed values are typed
                // by their expression alone.
                let nullable = match &bound {
                    Bound::Column(i) => schema.columns.get(*i).is_some_and(|c| c.nullable),
                    _ => false,
                };
                columns.push(ResultColumn {
                    name,
                    ty: result_type(&bound, schema, dialect),
                    nullable,
                });
                projections.push(bound);
            }
        }
    }
    let now_ns = timefmt::now_ns();
    // Folding constants (`TO_DATE('...')`, `now() - INTERVAL 1 HOUR`) lets the planner
    // turn them into key ranges.
    let filter = select
        .filter
        .as_ref()
        .map(|f| bind(f, &where_cx).map(|b| fold(b, now_ns)))
        .transpose()?;
    let mut aliases = Aliases::new(&select.items);
    let group_keys: Vec<Bound> = select
        .group_by
        .iter()
        .map(|g| bind(&aliases.resolve(g, true)?, &where_cx))
        .collect::<Result<_, _>>()?;
    let having = select
        .having
        .as_ref()
        .map(|h| bind(&aliases.resolve(h, false)?, &cx))
        .transpose()?;
    let mut order: Vec<(Bound, bool)> = select
        .order_by
        .iter()
        .map(|o| bind(&aliases.resolve(&o.expr, true)?, &cx).map(|b| (b, o.descending)))
        .collect::<Result<_, _>>()?;
    let grouped = !group_keys.is_empty()
        || projections.iter().any(has_aggregate)
        || order.iter().any(|(b, _)| has_aggregate(b))
        || having.as_ref().is_some_and(has_aggregate);

    // The input rows, narrowed by the planner where the keys allow.
    let mut in_scan_order = order.is_empty();
    let mut source: Box<dyn RowSource> = match input.source {
        InputRows::Rows(rows) => rows,
        InputRows::Virtual(v) => {
            let keys = v.key_columns();
            let planned = plan_scan(app, keys, filter.as_ref())?;
            v.open(app, planned)?
        }
        InputRows::Table(table, window) => {
            let keys = KeyColumns {
                table_id: table.id,
                tag: table.tag_column,
                time: table.time_column,
            };
            let mut planned = plan_scan(app, keys, filter.as_ref())?;
            if !grouped
                && window.is_none()
                && let [(Bound::Column(i), descending)] = order.as_slice()
                && Some(*i) == table.time_column
            {
                // One tag, a log table or a stream is stored in time order; several tags
                // are merged into time order unless there are too many to merge.
                let ordered = match (table.kind, &planned.spec.tags) {
                    (TableKind::Log | TableKind::Stream, _) => true,
                    (TableKind::Tag, TagSelection::Ids(ids)) if ids.len() <= 1 => true,
                    (TableKind::Tag, TagSelection::Ids(ids)) => ids.len() <= MERGE_TAGS_MAX,
                    (TableKind::Tag, TagSelection::All) => {
                        !app.store.has_more_tags_than(table.id, MERGE_TAGS_MAX)
                    }
                };
                if ordered {
                    planned.spec.by_time = table.kind == TableKind::Tag;
                    planned.spec.reverse = *descending;
                    in_scan_order = true;
                }
            }
            let rows: Box<dyn RowSource> = if planned.empty {
                Box::new(VecSource(Vec::new().into_iter()))
            } else {
                Box::new(ScanSource {
                    scan: app.store.scan(&table, planned.spec)?,
                    table: Arc::clone(&table),
                    read: Arc::clone(&input.read),
                })
            };
            match window {
                Some(spec) => Box::new(WindowSource::new(rows, spec)),
                None => rows,
            }
        }
    };
    if let Some(condition) = filter {
        source = Box::new(FilterSource {
            input: source,
            condition,
            now_ns,
        });
    }
    if grouped {
        let mut spec = GroupSpec {
            keys: group_keys,
            aggregates: Vec::new(),
        };
        projections = projections.iter().map(|p| spec.rewrite(p)).collect();
        let having = having.map(|h| spec.rewrite(&h));
        order = order.iter().map(|(b, d)| (spec.rewrite(b), *d)).collect();
        source = Box::new(AggregateSource::new(source, spec, now_ns));
        if let Some(condition) = having {
            source = Box::new(FilterSource {
                input: source,
                condition,
                now_ns,
            });
        }
    } else if having.is_some() {
        return Err(QueryError::BadValue(
            "HAVING needs GROUP BY or aggregates in the select list".into(),
        ));
    }
    let width = projections.len();
    let sort_keys: Vec<bool> = if in_scan_order {
        Vec::new()
    } else {
        order.iter().map(|(_, d)| *d).collect()
    };
    if !sort_keys.is_empty() {
        projections.extend(order.into_iter().map(|(b, _)| b));
    }
    source = Box::new(ProjectSource {
        input: source,
        exprs: projections,
        row: Vec::new(),
        now_ns,
    });
    if !sort_keys.is_empty() {
        let keep = select
            .limit
            .filter(|_| !select.distinct)
            .and_then(|l| usize::try_from(l.saturating_add(select.offset)).ok());
        source = Box::new(SortSource {
            input: Some(source),
            width,
            descending: sort_keys,
            keep,
            rows: Vec::new().into_iter(),
        });
    }
    if select.distinct {
        source = Box::new(DistinctSource {
            input: source,
            seen: std::collections::HashSet::new(),
            bytes: 0,
            key: Vec::new(),
        });
    }
    if select.offset > 0 || select.limit.is_some() {
        source = Box::new(LimitSource {
            input: Some(source),
            to_skip: select.offset,
            left: select.limit.unwrap_or(u64::MAX),
        });
    }
    Ok(QueryResult {
        columns,
        rows: source,
        read: input.read,
    })
}

struct ScanSource {
    scan: Scan,
    table: Arc<crate::catalog::Table>,
    read: Arc<ReadStats>,
}

impl RowSource for ScanSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        let more = self.scan.next_row(out)?;
        if more {
            self.read.count_row(&self.table, out);
        }
        Ok(more)
    }
}

/// Rows already in memory (catalog listings, a SELECT without FROM).
pub struct VecSource(pub std::vec::IntoIter<Vec<Value>>);

impl RowSource for VecSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        match self.0.next() {
            Some(row) => {
                *out = row;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

struct ProjectSource {
    input: Box<dyn RowSource>,
    exprs: Vec<Bound>,
    row: Vec<Value>,
    now_ns: i64,
}

impl RowSource for ProjectSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        if !self.input.next_row(&mut self.row)? {
            return Ok(false);
        }
        out.clear();
        for e in &self.exprs {
            out.push(eval(e, &self.row, self.now_ns)?);
        }
        Ok(true)
    }
}

/// Sorts on the columns after `width`, then drops them. With a LIMIT only the first `keep`
/// rows can be answered, so it keeps at most about twice that many at any time.
struct SortSource {
    input: Option<Box<dyn RowSource>>,
    width: usize,
    descending: Vec<bool>,
    keep: Option<usize>,
    rows: std::vec::IntoIter<Vec<Value>>,
}

impl SortSource {
    fn sort(&self, rows: &mut [Vec<Value>]) {
        let width = self.width;
        rows.sort_by(|a, b| {
            let keys = a.get(width..).unwrap_or_default().iter();
            let other = b.get(width..).unwrap_or_default().iter();
            for ((x, y), desc) in keys.zip(other).zip(&self.descending) {
                let o = x.sort_cmp(y);
                let o = if *desc { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
    }

    fn fill(&mut self, mut input: Box<dyn RowSource>) -> Result<(), QueryError> {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        let mut row = Vec::new();
        let cap = self.keep.map(|k| k.max(1).saturating_mul(2));
        while input.next_row(&mut row)? {
            rows.push(std::mem::take(&mut row));
            match (cap, self.keep) {
                (Some(cap), Some(keep)) if rows.len() >= cap => {
                    self.sort(&mut rows);
                    rows.truncate(keep);
                }
                _ if rows.len() > SORT_ROWS_MAX => {
                    return Err(QueryError::Limit(format!(
                        "ORDER BY needs more than sort_rows_max ({SORT_ROWS_MAX}) rows in memory; \
                         add a LIMIT, narrow the WHERE clause or order by the time column"
                    )));
                }
                _ => {}
            }
        }
        self.sort(&mut rows);
        if let Some(keep) = self.keep {
            rows.truncate(keep);
        }
        for r in &mut rows {
            r.truncate(self.width);
        }
        self.rows = rows.into_iter();
        Ok(())
    }
}

impl RowSource for SortSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        if let Some(input) = self.input.take() {
            self.fill(input)?;
        }
        match self.rows.next() {
            Some(row) => {
                *out = row;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

struct DistinctSource {
    input: Box<dyn RowSource>,
    seen: std::collections::HashSet<Vec<u8>>,
    bytes: usize,
    key: Vec<u8>,
}

impl RowSource for DistinctSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        while self.input.next_row(out)? {
            self.key.clear();
            for v in out.iter() {
                encode_key(v, &mut self.key);
            }
            if !self.seen.contains(&self.key) {
                self.bytes += self.key.len() + 64;
                if self.bytes > GROUP_BYTES_MAX {
                    return Err(limit_error("DISTINCT", self.seen.len()));
                }
                self.seen.insert(self.key.clone());
                return Ok(true);
            }
        }
        Ok(false)
    }
}

struct LimitSource {
    /// Dropped once the limit is reached, which ends the scan beneath it.
    input: Option<Box<dyn RowSource>>,
    to_skip: u64,
    left: u64,
}

impl RowSource for LimitSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        let Some(input) = self.input.as_mut() else {
            return Ok(false);
        };
        while self.left > 0 && input.next_row(out)? {
            if self.to_skip > 0 {
                self.to_skip -= 1;
                continue;
            }
            self.left -= 1;
            return Ok(true);
        }
        self.input = None;
        Ok(false)
    }
}
