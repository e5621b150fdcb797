//! The ClickHouse-style HTTP interface Proton serves on every other path:
//! `GET|POST /?query=...` (reference proton-api.md §2.5).
//!
//! A POST body is appended to the `query` parameter (or is the whole query). The output
//! format comes from the statement's `FORMAT`, else `default_format=`, else the
//! `x-timeplus-format` header, else TabSeparated. Errors are plain text
//! `Code: N. DB::Exception: ... (NAME)` with the status of Proton's table.

use std::time::Instant;

use crate::app::App;
use crate::limits::SQL_BYTES_MAX;
use crate::output::{ClickHouseEncoder, ClickHouseFormat, QueryBody};
use crate::server::{Request, Response};
use crate::sql::{self, Outcome, QueryError, ast::Statement};
use crate::store::StoreError;

fn exception(status: u16, code: u32, name: &str, message: &str) -> Response {
    Response::text(
        status,
        format!("Code: {code}. DB::Exception: {message}. ({name})\n"),
    )
    .with_header("x-timeplus-exception-code", code.to_string())
}

fn query_error(e: &QueryError) -> Response {
    match e {
        QueryError::Syntax(p) => exception(400, 62, "SYNTAX_ERROR", &p.to_string()),
        QueryError::UnknownTable(t) => exception(
            404,
            60,
            "UNKNOWN_STREAM",
            &format!("Stream default.{t} doesn't exist"),
        ),
        QueryError::UnknownColumn { column, table } => exception(
            404,
            47,
            "UNKNOWN_IDENTIFIER",
            &format!("Missing column: '{column}' in stream {table}"),
        ),
        QueryError::TableExists(t) => exception(
            400,
            57,
            "STREAM_ALREADY_EXISTS",
            &format!("Stream default.{t} already exists"),
        ),
        QueryError::Unsupported(m) => exception(501, 48, "NOT_IMPLEMENTED", m),
        QueryError::BadDefinition(m) | QueryError::BadValue(m) => {
            exception(400, 36, "BAD_ARGUMENTS", m)
        }
        QueryError::Limit(m) => exception(413, 396, "TOO_MANY_ROWS_OR_BYTES", m),
        QueryError::Store(StoreError::Poisoned | StoreError::Closed) => {
            exception(503, 76, "CANNOT_OPEN_FILE", &e.to_string())
        }
        QueryError::Store(s) => exception(500, 1000, "STORAGE_ERROR", &s.to_string()),
    }
}

pub async fn query(app: &App, request: &mut Request, started: Instant) -> Response {
    let params = request.params();
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
                let mut r = exception(413, 229, "QUERY_IS_TOO_LARGE", &e.to_string());
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
        Err(e) => return query_error(&QueryError::Syntax(e)),
    };
    let format_name = match &statement {
        Statement::Select(select) => select.format.clone(),
        _ => None,
    }
    .or_else(|| get("default_format"))
    .or_else(|| request.header("x-timeplus-format").map(str::to_owned))
    .unwrap_or_else(|| "TabSeparated".into());
    let Some(format) = ClickHouseFormat::parse(&format_name) else {
        return exception(
            404,
            73,
            "UNKNOWN_FORMAT",
            &format!("Unknown format {format_name}"),
        );
    };
    match sql::execute(app, &statement, &[], sql::Dialect::Proton).await {
        Ok(Outcome::Rows(result)) => {
            let body = QueryBody::new(
                result.columns,
                result.rows,
                Box::new(ClickHouseEncoder::new(format, started)),
            );
            Response::stream(200, format.content_type(), Box::new(body))
                .with_header("x-timeplus-format", format.name())
        }
        // DDL and INSERT answer an empty 200, as ClickHouse's HTTP interface does.
        Ok(_) => Response::text(200, ""),
        Err(e) => query_error(&e),
    }
}
