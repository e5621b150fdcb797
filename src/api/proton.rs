//! Timeplus Proton's REST API under `/proton/...` and `/timeplusd/...`
//! (reference proton-api.md §1–2): the router, ping, stream ingest, and the reply shapes every
//! REST handler shares. Search is in `proton_search`, the streams DDL in `proton_ddl`.
//!
//! Replies are `{"request_id":"..."}` and errors `{"code":N,"error_msg":"...","request_id":"..."}`
//! with Proton's codes. Differences (README compatibility table): an unknown column is a 400
//! (Proton: 500, which retrying connectors retry forever); the stream is looked up before the
//! body is read, so a missing stream answers 404 even when the body is also malformed.

use crate::app::App;
use crate::ingest::{
    BodyFormat, ConvertOptions, Encoding, InflateError, IngestErrorKind, IngestPlan, Shape,
    ShapeError, ingest,
};
use crate::server::http::BodyErrorKind;
use crate::server::{Request, Response, ResponseBody};

use super::proton_errors::Exception;
use super::proton_json::poco_string;
use crate::store::{Durability, StoreError};
use crate::timefmt;

pub(super) fn request_id(request: &Request) -> String {
    [
        "x-timeplus-request-id",
        "x-timeplus-query-id",
        "x-proton-request-id",
        "x-proton-query-id",
    ]
    .iter()
    .find_map(|h| request.header(h).filter(|v| !v.is_empty()))
    .map_or_else(super::uuid_v4, str::to_owned)
}

pub fn json_reply(status: u16, body: Vec<u8>, id: &str) -> Response {
    Response::new(status, "application/json; charset=UTF-8", body)
        .with_header("x-timeplus-query-id", id)
}

/// `{"code":..,"error_msg":..,"request_id":..}`, as the handlers' own answers are: no newline.
pub fn error(status: u16, code: u32, message: &str, id: &str) -> Response {
    let mut body = format!("{{\"code\":{code},\"error_msg\":").into_bytes();
    poco_string(message, &mut body);
    body.extend_from_slice(b",\"request_id\":");
    poco_string(id, &mut body);
    body.push(b'}');
    json_reply(status, body, id)
}

/// An exception's answer: the status of Proton's table, the exception's text as `error_msg`,
/// a trailing newline and `x-timeplus-exception-code` (reference §1.5, §1.6).
pub fn exception_reply(e: &Exception, id: &str) -> Response {
    as_exception(error(e.status(), e.code, &e.text(), id), e.code)
}

/// Turns an `error` reply into the exception path's shape: a trailing newline and
/// `x-timeplus-exception-code`.
fn as_exception(mut r: Response, code: u32) -> Response {
    if let ResponseBody::Bytes(b) = &mut r.body {
        b.push(b'\n');
    }
    r.with_header("x-timeplus-exception-code", code.to_string())
}

/// `{"request_id":"..."}`, the success reply of ingest and DDL.
pub fn ok_reply(id: &str) -> Response {
    let mut body = b"{\"request_id\":".to_vec();
    poco_string(id, &mut body);
    body.push(b'}');
    json_reply(200, body, id)
}

pub async fn route(app: &App, request: &mut Request) -> Response {
    let id = request_id(request);
    let path = request.path.clone();
    let rest = path
        .strip_prefix("/proton/")
        .or_else(|| path.strip_prefix("/timeplusd/"))
        .unwrap_or_default();
    match (request.method.as_str(), rest) {
        ("GET", "ping") => json_reply(200, b"{\"status\":\"UP\"}".to_vec(), &id),
        ("POST", r) if r.starts_with("v1/ingest/streams/") => {
            let stream = r.trim_start_matches("v1/ingest/streams/").to_owned();
            ingest_stream(app, request, &stream, &id).await
        }
        ("POST", "v1/search") => super::proton_search::search(app, request, &id).await,
        (_, r) if r == "v1/ddl/streams" || r.starts_with("v1/ddl/streams/") => {
            let tail = r.trim_start_matches("v1/ddl/streams").to_owned();
            super::proton_ddl::route(app, request, &tail, &id).await
        }
        _ => unknown_uri(&id),
    }
}

/// Proton's reply when no route matches; unlike the handler's own errors it ends in `\n`
/// (reference §1.6).
pub fn unknown_uri(id: &str) -> Response {
    let mut r = error(404, 78, "Unknown URI", id);
    if let ResponseBody::Bytes(b) = &mut r.body {
        b.push(b'\n');
    }
    r
}

async fn ingest_stream(app: &App, request: &mut Request, stream: &str, id: &str) -> Response {
    // Proton's route admits only `?mode=<word>` (reference §1.1).
    let mode = match request.query.as_str() {
        "" => None,
        q => match q.strip_prefix("mode=") {
            Some(m)
                if !m.is_empty() && m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                Some(m.to_owned())
            }
            _ => return unknown_uri(id),
        },
    };
    // Absent: sync, as Proton's newer line defaults to; async acknowledges once applied.
    let durability = match mode.as_deref() {
        None | Some("sync") | Some("ordered") => Durability::Synced,
        Some("async") | Some("fire_and_forget") => Durability::Applied,
        Some(other) => return error(400, 408, &format!("No support ingest mode: {other}"), id),
    };
    let encoding = match body_encoding(request.header("content-encoding")) {
        Ok(encoding) => encoding,
        Err(message) => {
            let e = Exception::new(48, "NOT_IMPLEMENTED", message);
            return as_exception(error(501, 48, &e.text(), id), 48);
        }
    };
    let Some(table) = app.catalog.get(stream) else {
        let e = Exception::new(
            60,
            "UNKNOWN_STREAM",
            format!("Stream default.{stream} doesn't exist"),
        );
        return exception_reply(&e, id);
    };
    let plan = IngestPlan {
        table,
        format: BodyFormat::Json(Shape::Proton),
        encoding,
        inflate: app.inflate,
        durability,
        convert: ConvertOptions::proton(timefmt::now_ns()),
        columns: Vec::new(),
    };
    match ingest(&app.store, &mut request.body, plan).await {
        Ok(_) => ok_reply(id),
        Err(e) => {
            let stored = if e.rows_stored > 0 {
                format!("; {} rows were stored before it", e.rows_stored)
            } else {
                String::new()
            };
            let (status, code, message) = match &e.kind {
                IngestErrorKind::Shape(ShapeError::ColumnsMissing) => (
                    400,
                    117,
                    "Invalid Request, 'columns' field is missing".to_owned(),
                ),
                IngestErrorKind::Shape(ShapeError::ColumnsInvalid) => (
                    400,
                    117,
                    "Invalid Request, 'columns' field is invalid".to_owned(),
                ),
                IngestErrorKind::Shape(ShapeError::ColumnsEmpty) => {
                    (400, 117, "Invalid Request: 'columns' is empty".to_owned())
                }
                IngestErrorKind::Shape(ShapeError::DataMissing) => {
                    (400, 117, "Invalid Request, missing 'data' field".to_owned())
                }
                IngestErrorKind::Shape(ShapeError::Json(j)) => (400, 117, format!("JSON: {j}")),
                IngestErrorKind::Shape(ShapeError::Shape { message, at }) => (
                    400,
                    117,
                    format!(
                        "Invalid Request: {message} (line {}, byte {})",
                        at.line, at.byte
                    ),
                ),
                IngestErrorKind::UnknownColumn(c) => (
                    400,
                    16,
                    format!("No such column {c} in stream default.{stream}"),
                ),
                IngestErrorKind::DuplicateColumn(c) => {
                    (400, 15, format!("Column {c} specified more than once"))
                }
                IngestErrorKind::RowWidth { got, expected } => (
                    400,
                    27,
                    format!(
                        "Code: 27. DB::ParsingException: Cannot parse input: row has {got} values, but 'columns' lists {expected}: (at row {})",
                        e.row
                    ),
                ),
                IngestErrorKind::Convert {
                    column,
                    detail,
                    found,
                    ..
                } => {
                    let code = if *found == crate::ingest::convert::Scalar::String {
                        27
                    } else {
                        117
                    };
                    (
                        400,
                        code,
                        format!(
                            "Code: {code}. Cannot parse input: column {column}: {detail}: (at row {})",
                            e.row
                        ),
                    )
                }
                IngestErrorKind::Batch(b) => (400, 117, format!("{b} (at row {})", e.row)),
                IngestErrorKind::Inflate(
                    InflateError::TooLarge { .. } | InflateError::RatioTooHigh { .. },
                ) => (413, 229, e.kind.to_string()),
                IngestErrorKind::Inflate(i) => (400, 354, format!("Code: 354. {i}")),
                // Only Machbase bodies are NDJSON or CSV, only ClickHouse-interface bodies
                // TabSeparated, Native or RowBinary.
                IngestErrorKind::NoKnownKey
                | IngestErrorKind::Csv(_)
                | IngestErrorKind::Tsv(_)
                | IngestErrorKind::Native(_)
                | IngestErrorKind::RowBinary(_) => (400, 117, e.kind.to_string()),
                IngestErrorKind::Body(b) => match b.kind {
                    BodyErrorKind::TooLarge { .. } => (413, 229, b.to_string()),
                    _ => (400, 117, b.to_string()),
                },
                IngestErrorKind::Store(s @ (StoreError::Poisoned | StoreError::Closed)) => {
                    (503, 76, s.to_string())
                }
                IngestErrorKind::Store(s) => (500, 1000, s.to_string()),
            };
            let mut response = error(status, code, &format!("{message}{stored}"), id);
            // The handler answers a bad body shape itself; the rest are exceptions thrown while
            // the INSERT runs (reference §1.5, §1.6).
            if !matches!(e.kind, IngestErrorKind::Shape(_)) {
                response = as_exception(response, code);
            }
            if matches!(e.kind, IngestErrorKind::Body(_)) {
                response.close = true;
            }
            response
        }
    }
}

/// `Content-Encoding` as Proton reads it (reference §1.2): gzip, deflate, lz4, zstd and br
/// are inflated; the other methods Proton knows are refused as not built in; anything else is
/// unknown. The error is the exception's message (code 48).
pub(super) fn body_encoding(header: Option<&str>) -> Result<Option<Encoding>, String> {
    let Some(raw) = header else { return Ok(None) };
    match raw.trim().to_ascii_lowercase().as_str() {
        "" | "none" | "auto" | "identity" => Ok(None),
        "gzip" | "gz" | "x-gzip" => Ok(Some(Encoding::Gzip)),
        "deflate" => Ok(Some(Encoding::Zlib)),
        "lz4" => Ok(Some(Encoding::Lz4)),
        "zstd" | "zst" => Ok(Some(Encoding::Zstd)),
        "br" | "brotli" => Ok(Some(Encoding::Brotli)),
        "xz" | "lzma" | "bz2" | "snappy" => Err(format!(
            "Compression method {raw} is not supported by tidegate; send gzip, deflate, lz4, zstd, br or an uncompressed body"
        )),
        _ => Err(format!(
            "Unknown compression method {raw}. Only 'auto', 'none', 'gzip', 'deflate', 'br', 'xz', 'zstd', 'lz4', 'bz2', 'snappy' are supported as compression methods"
        )),
    }
}
