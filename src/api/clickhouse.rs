//! The ClickHouse-style HTTP interface Proton serves on every other path:
//! `GET|POST /?query=...` (reference proton-api.md §2.5).
//!
//! A POST body is appended to the `query` parameter (or is the whole query). The output
//! format comes from the statement's `FORMAT`, else `default_format=`, else the
//! `x-timeplus-format` header, else TabSeparated. Errors are plain text
//! `Code: N. DB::Exception: ... (NAME)` with the status of Proton's table.

use std::sync::Arc;
use std::time::Instant;

use crate::app::App;
use crate::limits::SQL_BYTES_MAX;
use crate::output::{ClickHouseEncoder, ClickHouseFormat, LiveQueryBody, QueryBody};
use crate::server::{Request, Response};
use crate::sql::live::{LiveQuery, is_live};
use crate::sql::{self, Outcome, QueryError, ast::Statement};

use super::proton_errors::{Exception, query_exception};

/// The plain-text reply ClickHouse's HTTP handler gives for an exception.
pub(super) fn exception_reply(e: &Exception) -> Response {
    Response::text(e.status(), format!("{}\n", e.text()))
        .with_header("x-timeplus-exception-code", e.code.to_string())
}

pub async fn query(app: &App, request: &mut Request, started: Instant) -> Response {
    let params = request.params();
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    // ClickHouse echoes `query_id=` (or its header), else names the query itself.
    let query_id = get("query_id")
        .filter(|v| !v.is_empty())
        .or_else(|| request.header("x-timeplus-query-id").map(str::to_owned))
        .filter(|v| !v.is_empty())
        .unwrap_or_else(super::uuid_v4);
    answer(app, request, &params, started)
        .await
        .with_header("x-timeplus-query-id", query_id)
}

async fn answer(
    app: &App,
    request: &mut Request,
    params: &[(String, String)],
    started: Instant,
) -> Response {
    let get = |k: &str| params.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let mut text = get("query").unwrap_or_default();
    if request.method == "POST" {
        match request
            .body
            .read_to_vec(SQL_BYTES_MAX, "sql_bytes_max")
            .await
        {
            Ok(body) => text.push_str(&String::from_utf8_lossy(&body)),
            Err(e) => {
                let mut r =
                    exception_reply(&Exception::new(229, "QUERY_IS_TOO_LARGE", e.to_string()));
                r.close = true;
                return r;
            }
        }
    }
    if text.trim().is_empty() {
        // ClickHouse's `http_server_default_response`.
        return Response::text(200, "Ok.\n");
    }
    let statement = match sql::parse(&text) {
        Ok(s) => s,
        Err(e) => return exception_reply(&query_exception(&QueryError::Syntax(e))),
    };
    let format_name = match &statement {
        Statement::Select(select) => select.format.clone(),
        _ => None,
    }
    .or_else(|| get("default_format"))
    .or_else(|| request.header("x-timeplus-format").map(str::to_owned))
    .unwrap_or_else(|| "TabSeparated".into());
    let Some(format) = ClickHouseFormat::parse(&format_name) else {
        return exception_reply(&Exception::new(
            73,
            "UNKNOWN_FORMAT",
            format!("Unknown format {format_name}"),
        ));
    };
    // On a streaming listener a SELECT from a stream is live (reference §2.5: port 3218
    // streams, port 8123 runs every query with query_mode='table').
    if let Statement::Select(select) = &statement
        && !request.snapshot
        && is_live(app, select)
    {
        let app = Arc::new(app.clone());
        return match LiveQuery::start(app, select, &[], sql::Dialect::Proton) {
            Ok(query) => {
                let encoder = Box::new(ClickHouseEncoder::new(format, started));
                let body = LiveQueryBody::new(query, encoder);
                Response::live(200, format.content_type(), Box::new(body))
                    .with_header("x-timeplus-format", format.name())
            }
            Err(e) => exception_reply(&query_exception(&e)),
        };
    }
    match sql::execute(app, &statement, &[], sql::Dialect::Proton).await {
        Ok(Outcome::Rows(result)) => {
            // ClickHouse's HTTP handler appends the exception's text to a started body.
            let body = QueryBody::new(
                result.columns,
                result.rows,
                Box::new(ClickHouseEncoder::new(format, started).with_read_stats(result.read)),
            )
            .with_error_text(Box::new(|e| format!("{}\n", query_exception(e).text())));
            Response::stream(200, format.content_type(), Box::new(body))
                .with_header("x-timeplus-format", format.name())
        }
        // DDL and INSERT answer an empty 200, as ClickHouse's HTTP interface does.
        Ok(_) => Response::text(200, ""),
        Err(e) => exception_reply(&query_exception(&e)),
    }
}
