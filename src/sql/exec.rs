//! The SELECT executor: plan a scan from the WHERE clause, then stream rows through filter,
//! ORDER BY, OFFSET/LIMIT and projection.
//!
//! Planning: on a tag table, `tag = 'x'` or `tag IN (...)` selects those tags' key ranges; on
//! any table, comparisons of the key time with constants narrow the time range; `ORDER BY
//! time [DESC]` is served by the scan order where it can be (a stream, a log table, one tag)
//! and the scan stops at LIMIT. Otherwise rows are sorted in memory, at most `SORT_ROWS_MAX`.
//! The WHERE clause is always evaluated in full; planning only skips rows it cannot match.

use super::QueryError;
use super::ast::{BinaryOp, Select, SelectItem};
use super::eval::{Bound, bind, eval, is_true, result_type};
use crate::app::App;
use crate::catalog::{ColumnType, Table, TableKind};
use crate::limits::SORT_ROWS_MAX;
use crate::store::{Scan, ScanSpec, TagSelection};
use crate::timefmt;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    pub ty: ColumnType,
}

/// Rows of a result, pulled one at a time so responses stream in fixed memory.
pub trait RowSource: Send {
    /// Writes the next row into `out` (one value per result column). `Ok(false)` at the end.
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError>;
}

pub struct QueryResult {
    pub columns: Vec<ResultColumn>,
    pub rows: Box<dyn RowSource>,
}

pub fn run_select(app: &App, select: &Select, params: &[Value]) -> Result<QueryResult, QueryError> {
    let table = match &select.from {
        Some(name) => Some(
            app.catalog
                .get(name)
                .ok_or_else(|| QueryError::UnknownTable(name.clone()))?,
        ),
        None => None,
    };
    let t = table.as_deref();
    let mut columns = Vec::new();
    let mut projections = Vec::new();
    for item in &select.items {
        match item {
            SelectItem::Star => {
                let Some(t) = t else {
                    return Err(QueryError::BadValue("SELECT * needs a FROM clause".into()));
                };
                for (i, c) in t.columns.iter().enumerate() {
                    if t.is_visible(i) {
                        columns.push(ResultColumn {
                            name: c.name.to_string(),
                            ty: c.ty.clone(),
                        });
                        projections.push(Bound::Column(i));
                    }
                }
            }
            SelectItem::Expr { expr, alias, text } => {
                let bound = bind(expr, t, params)?;
                let name = match (alias, &bound, t) {
                    (Some(a), _, _) => a.clone(),
                    (None, Bound::Column(i), Some(t)) => t
                        .column(*i)
                        .map_or_else(|| text.clone(), |c| c.name.to_string()),
                    _ => text.clone(),
                };
                columns.push(ResultColumn {
                    name,
                    ty: result_type(&bound, t),
                });
                projections.push(bound);
            }
        }
    }
    let filter = select
        .filter
        .as_ref()
        .map(|f| bind(f, t, params))
        .transpose()?;
    let order: Vec<(Bound, bool)> = select
        .order_by
        .iter()
        .map(|o| bind(&o.expr, t, params).map(|b| (b, o.descending)))
        .collect::<Result<_, _>>()?;
    let now_ns = timefmt::now_ns();

    let Some(table) = table else {
        let mut row = Vec::with_capacity(projections.len());
        let keep = match &filter {
            Some(f) => is_true(f, &[], now_ns)?,
            None => true,
        };
        if keep && select.offset == 0 && select.limit != Some(0) {
            for p in &projections {
                row.push(eval(p, &[], now_ns)?);
            }
        }
        return Ok(QueryResult {
            columns,
            rows: Box::new(OneRow(keep.then_some(row).filter(|r| !r.is_empty()))),
        });
    };

    let (mut spec, empty) = plan_scan(app, &table, filter.as_ref())?;
    let in_scan_order = match order.as_slice() {
        [] => true,
        [(Bound::Column(i), descending)] if Some(*i) == table.time_column => {
            let ordered = match table.kind {
                TableKind::Log | TableKind::Stream => true,
                TableKind::Tag => matches!(&spec.tags, TagSelection::Ids(ids) if ids.len() == 1),
            };
            if ordered {
                spec.reverse = *descending;
            }
            ordered
        }
        _ => false,
    };
    let scan = if empty {
        None
    } else {
        Some(app.store.scan(&table, spec)?)
    };
    let mut source = SelectSource {
        scan,
        filter,
        projections,
        now_ns,
        row: Vec::new(),
        to_skip: select.offset,
        left: select.limit.unwrap_or(u64::MAX),
        sorted: None,
    };
    if !in_scan_order {
        source.sort(&order)?;
    }
    Ok(QueryResult {
        columns,
        rows: Box::new(source),
    })
}

/// Derives tag ids and a time range from the top-level AND terms of the WHERE clause.
/// Returns `true` as second value when no row can match (an unknown tag).
fn plan_scan(
    app: &App,
    table: &Table,
    filter: Option<&Bound>,
) -> Result<(ScanSpec, bool), QueryError> {
    let mut spec = ScanSpec::all();
    let mut empty = false;
    let mut terms = Vec::new();
    if let Some(f) = filter {
        conjuncts(f, &mut terms);
    }
    let literal_time = |b: &Bound| -> Option<i64> {
        match b {
            Bound::Literal(Value::Int(v) | Value::Time(v)) => Some(*v),
            Bound::Literal(Value::Str(s)) => timefmt::parse_best_effort(s),
            _ => None,
        }
    };
    let is_time = |b: &Bound| matches!(b, Bound::Column(i) if Some(*i) == table.time_column);
    let is_tag = |b: &Bound| matches!(b, Bound::Column(i) if Some(*i) == table.tag_column);
    for term in terms {
        match term {
            Bound::Binary(BinaryOp::Eq, l, r) if is_tag(l) || is_tag(r) => {
                let lit = if is_tag(l) { r } else { l };
                if let Bound::Literal(Value::Str(name)) = &**lit {
                    match app.store.tag_id(table.id, name)? {
                        Some(id) => spec.tags = TagSelection::Ids(vec![id]),
                        None => empty = true,
                    }
                }
            }
            Bound::InList(e, list, false) if is_tag(e) => {
                let mut ids = Vec::new();
                let mut all_literal = true;
                for item in list {
                    match item {
                        Bound::Literal(Value::Str(name)) => {
                            if let Some(id) = app.store.tag_id(table.id, name)? {
                                ids.push(id);
                            }
                        }
                        _ => all_literal = false,
                    }
                }
                if all_literal {
                    empty |= ids.is_empty();
                    spec.tags = TagSelection::Ids(ids);
                }
            }
            Bound::Binary(op, l, r) if is_time(l) || is_time(r) => {
                let (op, lit) = if is_time(l) {
                    (*op, literal_time(r))
                } else {
                    (mirror(*op), literal_time(l))
                };
                if let Some(t) = lit {
                    match op {
                        BinaryOp::Eq => {
                            spec.time_min = spec.time_min.max(t);
                            spec.time_max = spec.time_max.min(t);
                        }
                        BinaryOp::Gt => spec.time_min = spec.time_min.max(t.saturating_add(1)),
                        BinaryOp::GtEq => spec.time_min = spec.time_min.max(t),
                        BinaryOp::Lt => spec.time_max = spec.time_max.min(t.saturating_sub(1)),
                        BinaryOp::LtEq => spec.time_max = spec.time_max.min(t),
                        _ => {}
                    }
                }
            }
            Bound::Between(e, lo, hi, false) if is_time(e) => {
                if let (Some(lo), Some(hi)) = (literal_time(lo), literal_time(hi)) {
                    spec.time_min = spec.time_min.max(lo);
                    spec.time_max = spec.time_max.min(hi);
                }
            }
            _ => {}
        }
    }
    empty |= spec.time_min > spec.time_max;
    Ok((spec, empty))
}

fn mirror(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

fn conjuncts<'a>(b: &'a Bound, out: &mut Vec<&'a Bound>) {
    if let Bound::Binary(BinaryOp::And, l, r) = b {
        conjuncts(l, out);
        conjuncts(r, out);
    } else {
        out.push(b);
    }
}

struct OneRow(Option<Vec<Value>>);

impl RowSource for OneRow {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        match self.0.take() {
            Some(row) => {
                *out = row;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

struct SelectSource {
    scan: Option<Scan>,
    filter: Option<Bound>,
    projections: Vec<Bound>,
    now_ns: i64,
    row: Vec<Value>,
    to_skip: u64,
    left: u64,
    /// Projected rows, already sorted, reversed (next row last), when ORDER BY needed a sort.
    sorted: Option<Vec<Vec<Value>>>,
}

impl SelectSource {
    /// The next table row passing the filter, in scan order.
    fn next_match(&mut self) -> Result<bool, QueryError> {
        let Some(scan) = self.scan.as_mut() else {
            return Ok(false);
        };
        while scan.next_row(&mut self.row)? {
            match &self.filter {
                Some(f) if !is_true(f, &self.row, self.now_ns)? => continue,
                _ => return Ok(true),
            }
        }
        self.scan = None;
        Ok(false)
    }

    fn project(&self, out: &mut Vec<Value>) -> Result<(), QueryError> {
        out.clear();
        for p in &self.projections {
            out.push(eval(p, &self.row, self.now_ns)?);
        }
        Ok(())
    }

    fn sort(&mut self, order: &[(Bound, bool)]) -> Result<(), QueryError> {
        let mut keyed: Vec<(Vec<Value>, Vec<Value>)> = Vec::new();
        while self.next_match()? {
            if keyed.len() >= SORT_ROWS_MAX {
                return Err(QueryError::Limit(format!(
                    "ORDER BY needs more than sort_rows_max ({SORT_ROWS_MAX}) rows in memory; \
                     narrow the WHERE clause or order by the time column"
                )));
            }
            let keys = order
                .iter()
                .map(|(b, _)| eval(b, &self.row, self.now_ns))
                .collect::<Result<Vec<_>, _>>()?;
            let mut projected = Vec::new();
            self.project(&mut projected)?;
            keyed.push((keys, projected));
        }
        keyed.sort_by(|(a, _), (b, _)| {
            for ((x, y), (_, descending)) in a.iter().zip(b).zip(order) {
                let o = x.sort_cmp(y);
                let o = if *descending { o.reverse() } else { o };
                if o.is_ne() {
                    return o;
                }
            }
            std::cmp::Ordering::Equal
        });
        let mut rows: Vec<Vec<Value>> = keyed.into_iter().map(|(_, row)| row).collect();
        rows.reverse();
        self.sorted = Some(rows);
        Ok(())
    }
}

impl RowSource for SelectSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        loop {
            if self.left == 0 {
                self.scan = None;
                return Ok(false);
            }
            let found = match self.sorted.as_mut() {
                Some(rows) => match rows.pop() {
                    Some(row) => {
                        *out = row;
                        true
                    }
                    None => false,
                },
                None => {
                    let found = self.next_match()?;
                    if found && self.to_skip == 0 {
                        self.project(out)?;
                    }
                    found
                }
            };
            if !found {
                return Ok(false);
            }
            if self.to_skip > 0 {
                self.to_skip -= 1;
                continue;
            }
            self.left -= 1;
            return Ok(true);
        }
    }
}
