//! The ClickHouse-style HTTP interface Proton serves on every other path:
//! `GET|POST /?query=...` and `GET /ping` (reference proton-api.md §2.5), as drivers speak
//! it (timeplus-connect, @clickhouse/client).
//!
//! - The statement is the `query` parameter, a line feed, then the body (ClickHouse's
//!   `DynamicQueryHandler` concatenates them so). A compressed body (`Content-Encoding`) is
//!   inflated first.
//! - `INSERT INTO s [(cols)] FORMAT x` is recognised from its head alone
//!   (`sql::insert_format`); its data, the rest of the stream, goes through the ingest
//!   pipeline (`clickhouse_insert`) without being held. Any other statement is read whole,
//!   up to `SQL_BYTES_MAX`.
//! - The output format comes from the statement's `FORMAT`, else `default_format=`, else the
//!   `x-timeplus-format` header, else TabSeparated.
//! - Replies carry both dialects' headers: `x-timeplus-*` and `X-ClickHouse-*` (query id,
//!   format, timezone, summary, exception code). Errors are plain text
//!   `Code: N. DB::Exception: ... (NAME)` with the status of Proton's table.
//! - With `enable_http_compression=1` and an `Accept-Encoding` tidegate can write, the reply
//!   is compressed (`output::ReplyEncoding`).

use std::sync::Arc;
use std::time::Instant;

use crate::app::App;
use crate::ingest::{ChunkSource, Decompressed, InflateError, IngestErrorKind, Prefixed};
use crate::limits::SQL_BYTES_MAX;
use crate::output::{ClickHouseFormat, LiveQueryBody, QueryBody};
use crate::server::http::{BodyError, BodyErrorKind};
use crate::server::{Request, Response};
use crate::sql::insert_format::{self, Split};
use crate::sql::live::{LiveQuery, is_live};
use crate::sql::{self, Outcome, QueryError, ast::Statement};

use super::clickhouse_reply::{self, Summary, WithSummary};
use super::proton_errors::{Exception, query_exception};

/// The plain-text reply ClickHouse's HTTP handler gives for an exception.
pub(super) fn exception_reply(e: &Exception) -> Response {
    Response::text(e.status(), format!("{}\n", e.text()))
        .with_header("x-timeplus-exception-code", e.code.to_string())
        .with_header("X-ClickHouse-Exception-Code", e.code.to_string())
}

/// `GET /ping`: ClickHouse's liveness answer.
pub fn ping() -> Response {
    Response::new(200, "text/html; charset=UTF-8", "Ok.\n")
}

pub async fn query(app: &App, request: &mut Request, started: Instant) -> Response {
    let params = request.params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // ClickHouse echoes `query_id=` (or its header), else names the query itself.
    let query_id = get("query_id")
        .filter(|v| !v.is_empty())
        .or_else(|| request.header("x-timeplus-query-id").map(str::to_owned))
        .or_else(|| request.header("x-clickhouse-query-id").map(str::to_owned))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(super::uuid_v4);
    let compression = clickhouse_reply::negotiate(
        get("enable_http_compression").as_deref(),
        request.header("accept-encoding"),
    );
    let response = answer(app, request, &params, started).await;
    let response = response
        .with_header("x-timeplus-query-id", query_id.clone())
        .with_header("X-ClickHouse-Query-Id", query_id)
        .with_header("x-timeplus-timezone", "UTC")
        .with_header("X-ClickHouse-Timezone", "UTC");
    clickhouse_reply::compress(response, compression)
}

/// The head of the statement read so far, and whether the body ended.
struct Head {
    bytes: Vec<u8>,
    /// Body bytes (inflated) in `bytes`.
    body_bytes: usize,
    ended: bool,
}

async fn answer(
    app: &App,
    request: &mut Request,
    params: &[(String, String)],
    started: Instant,
) -> Response {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let encoding = match super::proton::body_encoding(request.header("content-encoding")) {
        Ok(encoding) => encoding,
        Err(message) => {
            return exception_reply(&Exception::new(48, "NOT_IMPLEMENTED", message));
        }
    };
    let header_format = request.header("x-timeplus-format").map(str::to_owned);
    let snapshot = request.snapshot;
    let mut head = Head {
        bytes: get("query").unwrap_or_default().into_bytes(),
        body_bytes: 0,
        ended: request.method != "POST",
    };
    if !head.bytes.is_empty() && !head.ended {
        head.bytes.push(b'\n');
    }
    let mut body = Decompressed::new(&mut request.body, encoding, app.inflate);
    // Read until the head says what the statement is.
    let split = loop {
        match insert_format::split(&head.bytes, head.ended) {
            Split::NeedMore if !head.ended => {
                if let Err(r) = read_more(&mut body, &mut head).await {
                    return r;
                }
            }
            Split::NeedMore => break Split::NotInsertFormat,
            other => break other,
        }
    };
    match split {
        Split::Insert(insert) => {
            let data = head.bytes.split_off(insert.data_at.min(head.bytes.len()));
            let mut source = Prefixed::new(data, body);
            return super::clickhouse_insert::insert(app, insert, &mut source, started).await;
        }
        Split::Invalid(message) => {
            let mut r = exception_reply(&Exception::new(62, "SYNTAX_ERROR", message));
            r.close = !head.ended;
            return r;
        }
        Split::NeedMore | Split::NotInsertFormat => {}
    }
    while !head.ended {
        if let Err(r) = read_more(&mut body, &mut head).await {
            return r;
        }
    }
    let text = String::from_utf8_lossy(&head.bytes);
    if text.trim().is_empty() {
        // ClickHouse's `http_server_default_response`.
        return Response::text(200, "Ok.\n");
    }
    let (statement, trailing_format) = match sql::parse_with_format(&text) {
        Ok(parsed) => parsed,
        Err(e) => return exception_reply(&query_exception(&QueryError::Syntax(e))),
    };
    let format_name = match &statement {
        Statement::Select(select) => select.format.clone(),
        _ => trailing_format,
    }
    .or_else(|| get("default_format"))
    .or(header_format)
    .unwrap_or_else(|| "TabSeparated".into());
    let Some(format) = ClickHouseFormat::parse(&format_name) else {
        return exception_reply(&Exception::new(
            73,
            "UNKNOWN_FORMAT",
            format!("Unknown format {format_name}"),
        ));
    };
    let with_format = |r: Response| {
        r.with_header("x-timeplus-format", format.name())
            .with_header("X-ClickHouse-Format", format.name())
    };
    // On a streaming listener a SELECT from a stream is live (reference §2.5: port 3218
    // streams, port 8123 runs every query with query_mode='table').
    if let Statement::Select(select) = &statement
        && !snapshot
        && is_live(app, select)
    {
        let app = Arc::new(app.clone());
        return match LiveQuery::start(app, select, &[], sql::Dialect::Proton) {
            Ok(query) => {
                let encoder = format.encoder(started, None);
                let body = LiveQueryBody::new(query, encoder);
                with_format(Response::live(200, format.content_type(), Box::new(body)))
                    .with_summary(&Summary::default(), started)
            }
            Err(e) => exception_reply(&query_exception(&e)),
        };
    }
    match sql::execute(app, &statement, &[], sql::Dialect::Proton).await {
        Ok(Outcome::Rows(result)) => {
            // ClickHouse's HTTP handler appends the exception's text to a started body.
            let encoder = format.encoder(started, Some(result.read));
            let body = QueryBody::new(result.columns, result.rows, encoder)
                .with_error_text(Box::new(|e| format!("{}\n", query_exception(e).text())));
            with_format(Response::stream(200, format.content_type(), Box::new(body)))
                .with_summary(&Summary::default(), started)
        }
        // INSERT … VALUES reports what it wrote, as ClickHouse's summary does.
        Ok(Outcome::Inserted(rows)) => Response::text(200, "").with_summary(
            &Summary {
                written_rows: rows,
                ..Summary::default()
            },
            started,
        ),
        // DDL and DELETE answer an empty 200, as ClickHouse's HTTP interface does.
        Ok(_) => Response::text(200, "").with_summary(&Summary::default(), started),
        Err(e) => exception_reply(&query_exception(&e)),
    }
}

/// Appends the body's next piece to the head; marks the head ended at the body's end.
/// A statement longer than `SQL_BYTES_MAX` (before its data) is refused, the connection
/// closed.
async fn read_more<S: ChunkSource>(body: &mut S, head: &mut Head) -> Result<(), Response> {
    match body.chunk().await {
        Ok([]) => head.ended = true,
        Ok(piece) => {
            head.body_bytes += piece.len();
            if head.body_bytes > SQL_BYTES_MAX {
                let limit = BodyError {
                    kind: BodyErrorKind::TooLarge {
                        limit: SQL_BYTES_MAX as u64,
                        name: "sql_bytes_max",
                    },
                    detail: String::new(),
                };
                let x = Exception::new(229, "QUERY_IS_TOO_LARGE", limit.to_string());
                let mut r = exception_reply(&x);
                r.close = true;
                return Err(r);
            }
            head.bytes.extend_from_slice(piece);
        }
        Err(e) => {
            let x = match &e {
                IngestErrorKind::Inflate(
                    InflateError::TooLarge { .. } | InflateError::RatioTooHigh { .. },
                )
                | IngestErrorKind::Body(BodyError {
                    kind: BodyErrorKind::TooLarge { .. },
                    ..
                }) => Exception::new(229, "QUERY_IS_TOO_LARGE", e.to_string()),
                IngestErrorKind::Inflate(_) => {
                    Exception::new(354, "CANNOT_DECOMPRESS", e.to_string()).with_status(400)
                }
                _ => Exception::new(33, "CANNOT_READ_ALL_DATA", e.to_string()).with_status(400),
            };
            let mut r = exception_reply(&x);
            r.close = true;
            return Err(r);
        }
    }
    Ok(())
}
