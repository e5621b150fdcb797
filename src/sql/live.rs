//! Live (streaming) queries: Proton's `SELECT ... FROM s` on a streaming listener, which
//! starts at "now", answers rows as they are committed and ends only at `LIMIT`, when the
//! client leaves or at shutdown (reference proton-api.md §4).
//!
//! A query subscribes to the stream first, then replays the stored rows `seek_to` asks for
//! (`earliest`, a time, `-5s`; none for `latest`, the default), then waits for committed
//! batches. Each batch (or replay step) runs through the ordinary SELECT pipeline
//! (`exec::run_select_over`), so filters, projections and functions mean what they mean in a
//! bounded query. LIMIT and OFFSET count across the whole query.
//!
//! Windowed aggregation (`tumble`/`hop` with aggregates or GROUP BY) keeps each open
//! window's rows and answers a window once the watermark, the largest event time seen so far,
//! reaches its end; rows for a window already answered are late and dropped, as Proton does.
//!
//! Invariants:
//! - No row is read twice or missed between replay and live rows (`store::live`).
//! - Rows held for open windows stay under `WINDOW_BYTES_MAX` (by `group_bytes`-like
//!   estimate); crossing it ends the query with `QueryError::Limit`.
//! - `next_row` is cancel-safe: its only wait is for the next committed batch, and nothing
//!   is taken before that wait completes.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::QueryError;
use super::aggregate::AggKind;
use super::ast::{Expr, From, Select, SelectItem};
use super::exec::{RowSource, VecSource, run_select_over};
use super::schema::{ResultColumn, Schema};
use super::window::{WindowSource, WindowSpec};
use crate::app::App;
use crate::catalog::{Dialect, TableKind};
use crate::limits::{GROUP_BYTES_MAX, REPLAY_ROWS_PER_STEP};
use crate::store::{LiveError, Replay, Subscription};
use crate::timefmt;
use crate::value::Value;

/// Bytes of rows a windowed live query holds for its open windows at most.
const WINDOW_BYTES_MAX: usize = GROUP_BYTES_MAX;

/// Whether `select` is a live query when it arrives on a streaming listener: its FROM names
/// a Proton stream directly (or through `tumble`/`hop`), not through `table(s)`, and it does
/// not say `SETTINGS query_mode='table'`. Tag and log tables are always read bounded.
pub fn is_live(app: &App, select: &Select) -> bool {
    if select
        .setting("query_mode")
        .is_some_and(|m| m.eq_ignore_ascii_case("table"))
    {
        return false;
    }
    let name = match &select.from {
        Some(From::Table(name)) => name,
        Some(From::Window(w)) if !w.historical => &w.table,
        _ => return false,
    };
    // kv streams keep only the latest row per key, not the changes a live query would
    // follow, so they are read like `table(s)`.
    app.catalog
        .get(name)
        .is_some_and(|t| t.kind == TableKind::Stream && !t.mode.is_kv())
}

/// What the query does with each batch of table rows.
enum Shape {
    /// Filter and project each row as it comes (windows, if any, only add columns).
    Rows(Option<WindowSpec>),
    /// Aggregate per window, answered when the window closes.
    Windows {
        spec: WindowSpec,
        open: BTreeMap<i64, Vec<Vec<Value>>>,
        bytes: usize,
        watermark: i64,
    },
}

pub struct LiveQuery {
    app: Arc<App>,
    /// The query without LIMIT/OFFSET, which the live query counts itself.
    select: Select,
    params: Vec<Value>,
    dialect: Dialect,
    schema: Schema,
    relation: String,
    columns: Vec<ResultColumn>,
    shape: Shape,
    subscription: Subscription,
    replay: Option<Replay>,
    incoming: Vec<Vec<Value>>,
    /// Answers not yet pulled, evaluated lazily so a batch's rows are held once (a `hop`
    /// row's windows are made as they are read).
    ready: VecDeque<Box<dyn RowSource>>,
    to_skip: u64,
    left: u64,
}

impl LiveQuery {
    /// Subscribes and prepares the replay; errors in the query surface here, before any
    /// byte of the response is sent.
    pub fn start(
        app: Arc<App>,
        select: &Select,
        params: &[Value],
        dialect: Dialect,
    ) -> Result<LiveQuery, QueryError> {
        let (name, window) = match &select.from {
            Some(From::Table(name)) => (name.clone(), None),
            Some(From::Window(w)) => (w.table.clone(), Some(w.as_ref().clone())),
            _ => return Err(QueryError::Unsupported("not a live query".into())),
        };
        let table = app
            .catalog
            .get(&name)
            .ok_or_else(|| QueryError::UnknownTable(name.clone()))?;
        let (spec, schema) = match &window {
            Some(w) => {
                let (spec, schema) = WindowSpec::resolve(w, &table)?;
                (Some(spec), schema)
            }
            None => (None, Schema::of_table(&table)),
        };
        let aggregated = !select.group_by.is_empty()
            || select.having.is_some()
            || select.items.iter().any(|i| match i {
                SelectItem::Expr { expr, .. } => has_aggregate(expr),
                SelectItem::Star => false,
            });
        let shape = match (aggregated, spec) {
            (false, spec) => {
                if !select.order_by.is_empty() {
                    return Err(QueryError::Unsupported(
                        "ORDER BY in a streaming query needs a windowed aggregation; \
                         read table(stream) or add SETTINGS query_mode='table' to sort \
                         stored rows"
                            .into(),
                    ));
                }
                Shape::Rows(spec)
            }
            (true, Some(spec)) => Shape::Windows {
                spec,
                open: BTreeMap::new(),
                bytes: 0,
                watermark: i64::MIN,
            },
            (true, None) => {
                return Err(QueryError::Unsupported(
                    "a streaming aggregation without a window (Proton's EMIT PERIODIC) is not \
                     supported yet; aggregate stored rows with table(stream) or window the \
                     stream with tumble(stream, 5s)"
                        .into(),
                ));
            }
        };
        let seek_from = seek_to(select.setting("seek_to"))?;
        let mut bare = select.clone();
        bare.limit = None;
        bare.offset = 0;
        let relation = table.name.to_string();
        // Binding over no rows checks the query and names its columns.
        let columns = run_select_over(
            &app,
            &bare,
            schema.clone(),
            &relation,
            Box::new(VecSource(Vec::new().into_iter())),
            params,
            dialect,
        )?
        .columns;
        let subscription = app.store.subscribe(&table)?;
        let replay = seek_from
            .map(|from| app.store.replay(&table, &subscription, from))
            .transpose()?;
        Ok(LiveQuery {
            app,
            select: bare,
            params: params.to_vec(),
            dialect,
            schema,
            relation,
            columns,
            shape,
            subscription,
            replay,
            incoming: Vec::new(),
            ready: VecDeque::new(),
            to_skip: select.offset,
            left: select.limit.unwrap_or(u64::MAX),
        })
    }

    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// Whether LIMIT rows were answered: the query is over.
    pub fn is_finished(&self) -> bool {
        self.left == 0
    }

    /// The next answered row if one is ready, without waiting.
    pub fn ready_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        while self.left > 0 {
            let Some(rows) = self.ready.front_mut() else {
                return Ok(false);
            };
            if !rows.next_row(out)? {
                self.ready.pop_front();
                continue;
            }
            if self.to_skip > 0 {
                self.to_skip -= 1;
                continue;
            }
            self.left -= 1;
            return Ok(true);
        }
        Ok(false)
    }

    /// The next answered row, waiting for committed rows as long as it takes. `Ok(false)`
    /// once LIMIT rows were answered.
    pub async fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        loop {
            if self.left == 0 {
                return Ok(false);
            }
            if self.ready_row(out)? {
                return Ok(true);
            }
            if let Some(replay) = self.replay.as_mut() {
                if !replay.read(&mut self.incoming, REPLAY_ROWS_PER_STEP)? {
                    self.replay = None;
                }
            } else {
                self.subscription
                    .next_batch(&mut self.incoming)
                    .await
                    .map_err(|e| match e {
                        LiveError::Store(e) => QueryError::Store(e),
                        LiveError::Dropped(name) => QueryError::UnknownTable(name),
                        lagged @ LiveError::Lagged => QueryError::Limit(lagged.to_string()),
                    })?;
            }
            let rows = std::mem::take(&mut self.incoming);
            self.process(rows)?;
        }
    }

    fn run(&mut self, rows: Box<dyn RowSource>) -> Result<(), QueryError> {
        let result = run_select_over(
            &self.app,
            &self.select,
            self.schema.clone(),
            &self.relation,
            rows,
            &self.params,
            self.dialect,
        )?;
        self.ready.push_back(result.rows);
        Ok(())
    }

    fn process(&mut self, rows: Vec<Vec<Value>>) -> Result<(), QueryError> {
        if rows.is_empty() {
            return Ok(());
        }
        match &mut self.shape {
            Shape::Rows(spec) => {
                let rows: Box<dyn RowSource> = Box::new(VecSource(rows.into_iter()));
                let rows = match spec {
                    Some(spec) => Box::new(WindowSource::new(rows, *spec)),
                    None => rows,
                };
                self.run(rows)
            }
            Shape::Windows {
                spec,
                open,
                bytes,
                watermark,
            } => {
                let mut max_time = *watermark;
                for row in &rows {
                    let Some(t) = spec.time_of(row) else { continue };
                    max_time = max_time.max(t);
                    // Windows that already closed get no more rows: the row is late.
                    for start in spec.starts(t) {
                        if start.saturating_add(spec.size_ns) <= *watermark {
                            continue;
                        }
                        *bytes += row_bytes(row);
                        if *bytes > WINDOW_BYTES_MAX {
                            return Err(QueryError::Limit(format!(
                                "the open windows of this streaming query need more than \
                                 window_bytes_max ({WINDOW_BYTES_MAX} bytes); use smaller \
                                 windows or narrow the WHERE clause"
                            )));
                        }
                        open.entry(start)
                            .or_default()
                            .push(spec.in_window(row, start));
                    }
                }
                *watermark = max_time;
                let mut closed = Vec::new();
                while let Some(entry) = open.first_entry() {
                    if entry.key().saturating_add(spec.size_ns) > *watermark {
                        break;
                    }
                    let rows = entry.remove();
                    *bytes = bytes.saturating_sub(rows.iter().map(|r| row_bytes(r)).sum());
                    closed.push(rows);
                }
                for rows in closed {
                    self.run(Box::new(VecSource(rows.into_iter())))?;
                }
                Ok(())
            }
        }
    }
}

/// Bytes one held row is estimated to take.
fn row_bytes(row: &[Value]) -> usize {
    let heap: usize = row.iter().map(Value::heap_bytes).sum();
    heap + row.len() * 48 + 32
}

fn has_aggregate(e: &Expr) -> bool {
    match e {
        Expr::Function { name, args } => {
            matches!(AggKind::parse(name, args.len()), Ok(Some(_)))
                || args.iter().any(has_aggregate)
        }
        Expr::Neg(x) | Expr::Not(x) | Expr::IsNull(x, _) => has_aggregate(x),
        Expr::Binary(_, a, b) => has_aggregate(a) || has_aggregate(b),
        Expr::InList { expr, list, .. } => has_aggregate(expr) || list.iter().any(has_aggregate),
        Expr::Between {
            expr, low, high, ..
        } => has_aggregate(expr) || has_aggregate(low) || has_aggregate(high),
        Expr::Like { expr, pattern, .. } => has_aggregate(expr) || has_aggregate(pattern),
        Expr::Literal(_) | Expr::Column(_) | Expr::Param(_) | Expr::Interval { .. } => false,
    }
}

/// Where the replay starts for `SETTINGS seek_to=...`: `None` for `latest` (no replay).
fn seek_to(setting: Option<&str>) -> Result<Option<i64>, QueryError> {
    let Some(text) = setting.map(str::trim) else {
        return Ok(None);
    };
    if text.eq_ignore_ascii_case("latest") {
        return Ok(None);
    }
    if text.eq_ignore_ascii_case("earliest") {
        return Ok(Some(i64::MIN));
    }
    if let Some(ago) = text.strip_prefix('-') {
        let digits = ago.bytes().take_while(u8::is_ascii_digit).count();
        let (count, unit) = ago.split_at(digits);
        let ns = count
            .parse::<i64>()
            .ok()
            .zip(super::functions::TimeUnit::parse(unit).and_then(|u| u.fixed_ns()))
            .and_then(|(c, u)| c.checked_mul(u));
        if let Some(ns) = ns {
            return Ok(Some(timefmt::now_ns().saturating_sub(ns)));
        }
    } else if let Some(t) = timefmt::parse_best_effort(text) {
        return Ok(Some(t));
    }
    Err(QueryError::BadValue(format!(
        "invalid seek_to '{text}': use 'earliest', 'latest', a time such as \
         '2020-01-01 00:00:00' or a relative time such as '-5s'"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seek_to_forms() {
        assert_eq!(seek_to(None).unwrap(), None);
        assert_eq!(seek_to(Some("latest")).unwrap(), None);
        assert_eq!(seek_to(Some("EARLIEST")).unwrap(), Some(i64::MIN));
        assert_eq!(
            seek_to(Some("2020-01-01 00:00:00")).unwrap(),
            Some(1_577_836_800_000_000_000)
        );
        let before = timefmt::now_ns() - 5_000_000_000;
        let t = seek_to(Some("-5s")).unwrap().unwrap();
        assert!(t >= before && t <= timefmt::now_ns() - 4_000_000_000, "{t}");
        assert!(
            seek_to(Some("soon"))
                .unwrap_err()
                .to_string()
                .starts_with("invalid seek_to 'soon'")
        );
    }

    #[test]
    fn aggregates_are_found_anywhere_in_an_expression() {
        let parse = |sql: &str| match crate::sql::parse(sql).unwrap() {
            crate::sql::ast::Statement::Select(s) => s,
            _ => panic!(),
        };
        let items = |sql: &str| {
            parse(sql)
                .items
                .iter()
                .any(|i| matches!(i, SelectItem::Expr { expr, .. } if has_aggregate(expr)))
        };
        assert!(items("select 1 + max(v) from s"));
        assert!(items("select count() from s"));
        assert!(!items("select v * 2, to_start_of_minute(t) from s"));
    }
}
