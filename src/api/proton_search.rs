//! `POST /proton/v1/search {"query":"..."}` (reference proton-api.md §2.3): SQL over REST,
//! answered in `default_format=` (JSONCompact unless given) through the same encoders as
//! `/?query=`.
//!
//! Proton runs `SELECT * FROM (<query>) LIMIT offset, page_size`; tidegate runs the query and
//! pages its rows here, counting what the page saw for `rows_before_limit_at_least`. On a
//! streaming listener a query whose FROM names a stream is live (`sql::live`) unless `mode`
//! is `table`; there the page becomes the query's own OFFSET and LIMIT.
//! Errors are Proton's JSON error shape: the schema checks are 400 with code 408, exceptions
//! have the status of Proton's table (`proton_errors`).

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::proton::{error, exception_reply};
use super::proton_errors::{Exception, query_exception};
use super::proton_json::{Kind, member, poco_string, read_object, validate};
use crate::app::App;
use crate::json_value::JsonValue;
use crate::output::{ClickHouseEncoder, ClickHouseFormat, LiveQueryBody, QueryBody};
use crate::server::{Request, Response};
use crate::sql::live::{LiveQuery, is_live};
use crate::sql::{self, QueryError, RowSource, ast::Statement};
use crate::value::Value;

pub async fn search(app: &App, request: &mut Request, id: &str) -> Response {
    let started = Instant::now();
    let body = match read_object(request, id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    if let Err(message) = validate(
        &body,
        &[("query", Kind::String)],
        &[
            ("end_time", Kind::String),
            ("mode", Kind::String),
            ("offset", Kind::Int),
            ("page_size", Kind::Int),
            ("start_time", Kind::String),
        ],
    ) {
        return error(400, 408, &message, id);
    }
    let text = member(&body, "query")
        .and_then(JsonValue::as_str)
        .unwrap_or("");
    let mode = member(&body, "mode").and_then(JsonValue::as_str);
    if let Some(mode) = mode
        && !matches!(mode, "standard" | "verbose" | "table")
    {
        let message =
            format!("Invalid 'mode': {mode}, only support 'standard', 'verbose', 'table'");
        return error(400, 408, &message, id);
    }
    let int = |key| {
        member(&body, key).and_then(|v| match v {
            JsonValue::Number(n) => n.parse::<i64>().ok(),
            _ => None,
        })
    };
    // Proton's messages name `limit` for `offset` and miss a closing quote; kept as they are.
    let page = match (int("offset"), int("page_size")) {
        (None, None) => None,
        (Some(offset), Some(size)) => match (u64::try_from(offset), u64::try_from(size)) {
            (Ok(offset), Ok(size)) if size > 0 => Some((offset, size)),
            _ => return error(400, 408, "Invalid 'limit' or 'page_size", id),
        },
        _ => return error(400, 408, "Missing 'limit' or 'page_size", id),
    };
    // Proton hands these to streaming queries as seek bounds; tidegate would answer every row.
    if member(&body, "start_time").is_some() || member(&body, "end_time").is_some() {
        let e = Exception::new(
            48,
            "NOT_IMPLEMENTED",
            "start_time and end_time are not supported by tidegate; filter on _tp_time in WHERE",
        );
        return exception_reply(&e, id);
    }
    let params = request.params();
    let format_name = params
        .iter()
        .find(|(k, _)| k == "default_format")
        .map_or("JSONCompact", |(_, v)| v.as_str());
    let Some(format) = ClickHouseFormat::parse(format_name) else {
        let e = Exception::new(
            73,
            "UNKNOWN_FORMAT",
            format!("Unknown format {format_name}"),
        );
        return exception_reply(&e, id);
    };
    let select = match sql::parse(text) {
        Ok(Statement::Select(select)) => select,
        Ok(_) => {
            // Proton wraps the query in `SELECT * FROM (...)`, where only a SELECT parses.
            let e = Exception::new(62, "SYNTAX_ERROR", "search runs SELECT statements only");
            return exception_reply(&e, id);
        }
        Err(e) => return exception_reply(&query_exception(&QueryError::Syntax(e)), id),
    };
    if mode != Some("table") && !request.snapshot && is_live(app, &select) {
        let mut select = select;
        if let Some((offset, size)) = page {
            // SELECT * FROM (<query>) LIMIT offset, size
            let inner = select.limit.unwrap_or(u64::MAX);
            select.offset = select.offset.saturating_add(offset);
            select.limit = Some(size.min(inner.saturating_sub(offset)));
        }
        return match LiveQuery::start(Arc::new(app.clone()), &select, &[], sql::Dialect::Proton) {
            Ok(query) => {
                let encoder = Box::new(ClickHouseEncoder::new(format, started));
                Response::live(
                    200,
                    format.content_type(),
                    Box::new(LiveQueryBody::new(query, encoder)),
                )
                .with_header("x-timeplus-query-id", id)
                .with_header("x-timeplus-format", format.name())
            }
            Err(e) => exception_reply(&query_exception(&e), id),
        };
    }
    let result = match sql::run_select_in(app, &select, &[], sql::Dialect::Proton) {
        Ok(r) => r,
        Err(e) => return exception_reply(&query_exception(&e), id),
    };
    let mut encoder =
        ClickHouseEncoder::new(format, started).with_read_stats(Arc::clone(&result.read));
    let rows: Box<dyn RowSource> = match page {
        None => result.rows,
        Some((offset, size)) => {
            let seen = Arc::new(AtomicU64::new(0));
            encoder = encoder.with_rows_before_limit(Arc::clone(&seen));
            Box::new(Page {
                rows: result.rows,
                offset,
                size,
                seen,
            })
        }
    };
    // Proton appends its error JSON to a started body (reference §2.3).
    let request_id = id.to_owned();
    let body = QueryBody::new(result.columns, rows, Box::new(encoder)).with_error_text(Box::new(
        move |e| {
            let e = query_exception(e);
            let mut text = format!("{{\"code\":{},\"error_msg\":", e.code).into_bytes();
            poco_string(&e.text(), &mut text);
            text.extend_from_slice(b",\"request_id\":");
            poco_string(&request_id, &mut text);
            text.extend_from_slice(b"}\n");
            String::from_utf8_lossy(&text).into_owned()
        },
    ));
    Response::stream(200, format.content_type(), Box::new(body))
        .with_header("x-timeplus-query-id", id)
        .with_header("x-timeplus-format", format.name())
}

/// `LIMIT offset, size` over a row source. `seen` counts the rows read through it (skipped and
/// returned), a lower bound of the rows before the limit, as ClickHouse's "at least" allows.
struct Page {
    rows: Box<dyn RowSource>,
    offset: u64,
    size: u64,
    seen: Arc<AtomicU64>,
}

impl RowSource for Page {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        loop {
            let seen = self.seen.load(Ordering::Relaxed);
            if seen >= self.offset.saturating_add(self.size) || !self.rows.next_row(out)? {
                return Ok(false);
            }
            self.seen.store(seen + 1, Ordering::Relaxed);
            if seen >= self.offset {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Numbers(i64, i64);
    impl RowSource for Numbers {
        fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
            if self.0 >= self.1 {
                return Ok(false);
            }
            *out = vec![Value::Int(self.0)];
            self.0 += 1;
            Ok(true)
        }
    }

    fn page(total: i64, offset: u64, size: u64) -> (Vec<i64>, u64) {
        let seen = Arc::new(AtomicU64::new(0));
        let mut p = Page {
            rows: Box::new(Numbers(0, total)),
            offset,
            size,
            seen: Arc::clone(&seen),
        };
        let mut got = Vec::new();
        let mut row = Vec::new();
        while p.next_row(&mut row).unwrap() {
            if let [Value::Int(n)] = row.as_slice() {
                got.push(*n);
            }
        }
        (got, seen.load(Ordering::Relaxed))
    }

    #[test]
    fn pages_skip_then_take() {
        assert_eq!(page(10, 2, 3), (vec![2, 3, 4], 5));
        assert_eq!(page(4, 2, 3), (vec![2, 3], 4));
        assert_eq!(page(1, 2, 3), (vec![], 1));
        assert_eq!(page(5, 0, 5), (vec![0, 1, 2, 3, 4], 5));
    }
}
