//! Machbase Neo's HTTP API: `POST /db/write/{table}` and `GET|POST /db/query`
//! (reference machbase-neo-api.md §1 and §3).
//!
//! Replies are `{"success":bool,"reason":"...","elapse":"..."}` with the peer's key order,
//! texts and statuses. Beyond the peer (README compatibility table): an error reply after
//! some rows were stored carries `"data":{"affectedRows":N}`, and an unknown `method` is a
//! 400 instead of a panic.

use std::time::Instant;

use crate::app::App;
use crate::ingest::{
    BodyFormat, ConvertOptions, Encoding, Header, InflateError, IngestError, IngestErrorKind,
    IngestPlan, Rules, Shape, ingest,
};
use crate::limits::{CONTROL_BODY_BYTES_MAX, TIMEFORMAT_BYTES_MAX};
use crate::output::{
    BinaryFormat, BoxOptions, BoxStyle, GzipBody, JsonShape, MachbaseFormat, MachbaseOutput,
    QueryBody, TimeText, ValueFormat, precision_digits,
};
use crate::server::http::{BodyErrorKind, parse_form};
use crate::server::{Request, Response, ResponseBody};
use crate::sql::{self, DdlOutcome, Outcome, QueryError};
use crate::store::{Durability, StoreError};
use crate::timefmt::{self, TimeFormat, Zone};

use super::query_request::{self, QueryRequest};

fn reply(
    status: u16,
    success: bool,
    reason: &str,
    started: Instant,
    affected: Option<u64>,
) -> Response {
    let mut body = Vec::with_capacity(96 + reason.len());
    body.extend_from_slice(b"{\"success\":");
    body.extend_from_slice(if success { b"true" } else { b"false" });
    body.extend_from_slice(b",\"reason\":");
    crate::output::json_string(reason, true, &mut body);
    body.extend_from_slice(b",\"elapse\":");
    let elapse = timefmt::go_duration(started.elapsed().as_nanos() as u64);
    crate::output::json_string(&elapse, true, &mut body);
    if let Some(n) = affected {
        body.extend_from_slice(format!(",\"data\":{{\"affectedRows\":{n}}}").as_bytes());
    }
    body.push(b'}');
    Response::json(status, body)
}

/// `{"success":true,"reason":"success","elapse":"..."}`.
pub(super) fn reply_success(started: Instant) -> Response {
    reply(200, true, "success", started, None)
}

pub(super) fn fail(status: u16, reason: &str, started: Instant) -> Response {
    reply(status, false, reason, started, None)
}

fn timeformat_too_long() -> String {
    format!("timeformat is longer than TIMEFORMAT_BYTES_MAX ({TIMEFORMAT_BYTES_MAX} bytes)")
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

pub async fn write(
    app: &App,
    request: &mut Request,
    table_name: &str,
    started: Instant,
) -> Response {
    if request.method != "POST" {
        return Response::text(404, "404 page not found");
    }
    let params = request.params();
    let zone = match Zone::parse(param(&params, "tz").unwrap_or("")) {
        Ok(zone) => zone,
        Err(e) => return fail(400, &e.to_string(), started),
    };
    let timeformat = param(&params, "timeformat").unwrap_or("ns");
    if timeformat.len() > TIMEFORMAT_BYTES_MAX {
        return fail(400, &timeformat_too_long(), started);
    }
    let time_format = TimeFormat::parse(timeformat);
    let (durability, verb) = match param(&params, "method").unwrap_or("insert") {
        "insert" => (Durability::Synced, "inserted"),
        "append" => (Durability::Applied, "appended"),
        other => {
            return fail(
                400,
                &format!("unsupported method {other}; use insert or append"),
                started,
            );
        }
    };
    let format = match write_format(request, &params) {
        Ok(format) => format,
        Err(reason) => return fail(400, &reason, started),
    };
    let encoding = match param(&params, "compress") {
        Some(c) if c.eq_ignore_ascii_case("gzip") => Some(Encoding::Gzip),
        Some(_) => None,
        None => match request.header("content-encoding").map(str::trim) {
            Some(e) if e.eq_ignore_ascii_case("gzip") || e.eq_ignore_ascii_case("x-gzip") => {
                Some(Encoding::Gzip)
            }
            Some(e) if e.eq_ignore_ascii_case("deflate") => Some(Encoding::Zlib),
            _ => None,
        },
    };
    let Some(table) = app.catalog.get(table_name) else {
        // The peer's describe failure, word for word (reference §1.9).
        return fail(
            500,
            &format!("fail to get table info '{table_name}', sql: no rows in result set"),
            started,
        );
    };
    let plan = IngestPlan {
        table,
        format,
        encoding,
        inflate: app.inflate,
        durability,
        convert: ConvertOptions {
            rules: Rules::Machbase,
            time_format,
            zone,
            now_ns: timefmt::now_ns(),
        },
        columns: Vec::new(),
    };
    match ingest(&app.store, &mut request.body, plan).await {
        Ok(rows) => reply(
            200,
            true,
            &format!("success, {rows} record(s) {verb}"),
            started,
            None,
        ),
        Err(e) => {
            let (status, reason) = write_error(&e, format, table_name);
            let mut response = reply(
                status,
                false,
                &reason,
                started,
                (e.rows_stored > 0).then_some(e.rows_stored),
            );
            if matches!(e.kind, IngestErrorKind::Body(_)) {
                response.close = true;
            }
            response
        }
    }
}

/// The body format (reference §1.3): `?format=` over the Content-Type (`text/csv`,
/// `application/x-ndjson`, anything else JSON), with CSV's `header`, `heading` and
/// `delimiter`.
fn write_format(request: &Request, params: &[(String, String)]) -> Result<BodyFormat, String> {
    let name = match param(params, "format") {
        Some(f) => f.to_ascii_lowercase(),
        None => match request.content_type().as_str() {
            "text/csv" => "csv".into(),
            "application/x-ndjson" => "ndjson".into(),
            _ => "json".into(),
        },
    };
    match name.as_str() {
        "json" => Ok(BodyFormat::Json(Shape::Machbase)),
        "ndjson" => Ok(BodyFormat::Ndjson),
        "csv" => {
            let header = match param(params, "header")
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("columns" | "column") => Header::Columns,
                Some("skip") => Header::Skip,
                _ if param(params, "heading").is_some_and(str_bool) => Header::Skip,
                _ => Header::None,
            };
            let delimiter = match param(params, "delimiter") {
                None => b',',
                // A literal backslash-t, as shells and URLs often carry a tab.
                Some(d) if d.starts_with("\\t") => b'\t',
                Some(d) => match d.chars().next() {
                    Some(c) if c.is_ascii() && !matches!(c, '"' | '\r' | '\n') => c as u8,
                    _ => {
                        return Err(format!(
                            "delimiter {d:?} is not supported; use one ASCII character other than a quote or a line break"
                        ));
                    }
                },
            };
            Ok(BodyFormat::Csv { delimiter, header })
        }
        other => Err(format!("unknown format {other}; use json, ndjson or csv")),
    }
}

/// Machbase's boolean parameters: `true` (any case) or `1`.
fn str_bool(v: &str) -> bool {
    v.eq_ignore_ascii_case("true") || v == "1"
}

/// Status and reason of a failed write: the peer's texts where it has them, then the row
/// (1-based) and column, which the peer does not name.
fn write_error(e: &IngestError, format: BodyFormat, table: &str) -> (u16, String) {
    let row = e.row;
    let csv = matches!(format, BodyFormat::Csv { .. });
    match &e.kind {
        IngestErrorKind::Shape(_) if row > 0 => (400, format!("{} (in row {row})", e.kind)),
        IngestErrorKind::UnknownColumn(c) if csv => (
            400,
            format!(
                "CSV header '{}' not found in columns of table \"{table}\"",
                c.to_uppercase()
            ),
        ),
        IngestErrorKind::UnknownColumn(c) => (
            400,
            format!("column \"{c}\" not found in the table \"{table}\""),
        ),
        IngestErrorKind::RowWidth { got, expected } if csv => (
            400,
            format!("too many columns ({got}); CSV header has {expected} fields (row {row})"),
        ),
        IngestErrorKind::RowWidth { got, expected } => (
            400,
            format!(
                "rows[{row}] number of columns not matched ({got}); table '{table}' has {expected} columns"
            ),
        ),
        IngestErrorKind::Convert {
            index,
            keyed,
            column,
            type_name,
            found,
            detail,
        } => {
            let place = if *keyed {
                format!("field[{column}]")
            } else {
                format!("column[{index}]")
            };
            (
                400,
                format!(
                    "rows[{row}] {place} is not a {type_name}, but {} (column {column}: {detail})",
                    found.go_type()
                ),
            )
        }
        IngestErrorKind::NoKnownKey => (
            400,
            format!("rows[{row}] has no key that names a column of table '{table}'"),
        ),
        IngestErrorKind::Csv(c) if row > 0 => (400, format!("{c} (row {row})")),
        IngestErrorKind::Batch(b) => (400, format!("rows[{row}] {b}")),
        // The peer answers 500 when the gzip header is wrong before anything was read.
        IngestErrorKind::Inflate(InflateError::InvalidHeader) if e.rows_stored == 0 && row == 0 => {
            (500, e.kind.to_string())
        }
        IngestErrorKind::Inflate(
            InflateError::TooLarge { .. } | InflateError::RatioTooHigh { .. },
        ) => (413, e.kind.to_string()),
        IngestErrorKind::Body(b) => match b.kind {
            BodyErrorKind::TooLarge { .. } => (413, b.to_string()),
            BodyErrorKind::TimedOut => (408, b.to_string()),
            _ => (400, b.to_string()),
        },
        IngestErrorKind::Store(s @ (StoreError::Poisoned | StoreError::Closed)) => {
            (503, s.to_string())
        }
        IngestErrorKind::Store(s) => (500, s.to_string()),
        other => (400, other.to_string()),
    }
}

pub async fn query(app: &App, request: &mut Request, started: Instant) -> Response {
    let parsed = match request.method.as_str() {
        "GET" => query_request::from_pairs(&request.params()),
        "POST" => {
            let content_type = request.content_type();
            let body = match request
                .body
                .read_to_vec(CONTROL_BODY_BYTES_MAX, "control_body_bytes_max")
                .await
            {
                Ok(b) => b,
                Err(e) => {
                    let status = match e.kind {
                        BodyErrorKind::TooLarge { .. } => 413,
                        BodyErrorKind::TimedOut => 408,
                        _ => 400,
                    };
                    let mut response = fail(status, &e.to_string(), started);
                    response.close = true;
                    return response;
                }
            };
            match content_type.as_str() {
                "application/json" => query_request::from_json(&body),
                "application/x-www-form-urlencoded" => {
                    query_request::from_pairs(&parse_form(&String::from_utf8_lossy(&body)))
                }
                // The peer's text, word for word (reference §3.1); its legacy answered 400.
                other => {
                    return fail(415, &format!("unsupported content-type: {other}"), started);
                }
            }
        }
        _ => return Response::text(404, "404 page not found"),
    };
    let req = match parsed {
        Ok(r) => r,
        Err(reason) => return fail(400, reason.as_str(), started),
    };
    // The peer's text (reference §3.2 step 1); blank SQL counts as empty here.
    if req.q.trim().is_empty() {
        return fail(400, "sql text is empty", started);
    }
    let zone = match Zone::parse(&req.tz) {
        Ok(zone) => zone,
        // The peer's text: `unknown time zone X` (reference §2.4).
        Err(e) => return fail(400, &e.to_string(), started),
    };
    if req.timeformat.len() > TIMEFORMAT_BYTES_MAX {
        return fail(400, &timeformat_too_long(), started);
    }
    let output = match query_output(&req, zone, started) {
        Ok(output) => output,
        Err(reason) => return fail(400, &reason, started),
    };
    // From here on every reply, rows or not, has the requested format's content type and
    // compression: the peer sets both before it runs the statement (reference §3.2 step 6).
    let content_type = output.format.content_type();
    // Only the exact value compresses, as the peer; any other is no compression.
    let gzip = req.compress == "gzip";
    let statement = match sql::parse(&req.q) {
        Ok(s) => s,
        Err(e) => return in_format(fail(400, &e.to_string(), started), content_type, gzip),
    };
    let outcome = match sql::execute(app, &statement, &req.p, sql::Dialect::Machbase).await {
        Ok(Outcome::Rows(result)) => {
            let body = QueryBody::new(result.columns, result.rows, output.into_encoder());
            if gzip {
                let gzip = Box::new(GzipBody::new(Box::new(body)));
                return Response::stream(200, content_type, gzip)
                    .with_header("Content-Encoding", "gzip");
            }
            return Response::stream(200, content_type, Box::new(body));
        }
        Ok(done) => Ok(user_message(&done)),
        Err(e) => Err(e),
    };
    let response = match outcome {
        Ok(reason) => reply(200, true, &reason, started, None),
        Err(e) => query_error(&e, started),
    };
    in_format(response, content_type, gzip)
}

/// A JSON reply built whole (a statement's message or an error) relabelled as the requested
/// format's content type, as the peer sends it, and gzipped when `compress=gzip`.
fn in_format(mut response: Response, content_type: &str, gzip: bool) -> Response {
    for (name, value) in &mut response.headers {
        if name.eq_ignore_ascii_case("content-type") {
            *value = content_type.to_owned();
        }
    }
    if gzip && let ResponseBody::Bytes(bytes) = &mut response.body {
        *bytes = crate::output::gzip_bytes(std::mem::take(bytes));
        response = response.with_header("Content-Encoding", "gzip");
    }
    response
}

/// The reply's format and value options from the request's parameters (reference §3.4).
/// Unknown formats are JSON, as the peer's `NewEncoder`; JSON shapes take the peer's
/// precedence rowsArray > transpose > rowsFlatten.
fn query_output(
    req: &QueryRequest,
    zone: Zone,
    started: Instant,
) -> Result<MachbaseOutput, String> {
    let format = match req.format.to_ascii_lowercase().as_str() {
        "csv" => MachbaseFormat::Csv {
            delimiter: csv_delimiter(&req.delimiter)?,
        },
        "ndjson" => MachbaseFormat::Ndjson,
        "box" => MachbaseFormat::Box(BoxOptions {
            style: BoxStyle::parse(&req.box_style),
            separate_columns: req.box_separate_columns,
            draw_border: req.box_draw_border,
        }),
        "markdown" => MachbaseFormat::Markdown,
        "discard" => MachbaseFormat::Discard,
        _ if req.rows_array => MachbaseFormat::Json(JsonShape::Objects),
        _ if req.transpose => MachbaseFormat::Json(JsonShape::Columns),
        _ if req.rows_flatten => MachbaseFormat::Json(JsonShape::Flat),
        _ => MachbaseFormat::Json(JsonShape::Rows),
    };
    let mut values = ValueFormat::new(TimeText::new(TimeFormat::parse(&req.timeformat), zone));
    values.precision = precision_digits(req.precision)?;
    values.binary = BinaryFormat::parse(&req.binaryformat);
    Ok(MachbaseOutput {
        format,
        values,
        rownum: req.rownum,
        heading: req.heading,
        started,
    })
}

/// CSV's `delimiter` (JSON bodies only): its first character, which must be one byte and
/// neither a quote nor a line break (Go's csv.Writer refuses those too); empty is `,`.
fn csv_delimiter(text: &str) -> Result<u8, String> {
    match text.chars().next() {
        None => Ok(b','),
        Some(c) if c.is_ascii() && !matches!(c, '"' | '\r' | '\n') => Ok(c as u8),
        Some(_) => Err(format!(
            "delimiter {text:?} is not supported; use one ASCII character other than a quote or a line break"
        )),
    }
}

/// The peer's reply text for a statement that returns no rows (`spi.MakeUserMessage`,
/// reference §3.2 step 7), word for word because clients print and match it.
fn user_message(outcome: &Outcome) -> String {
    let rows = |n: u64, verb: &str| match n {
        0 => format!("no rows {verb}."),
        1 => format!("a row {verb}."),
        n => format!("{n} rows {verb}."),
    };
    match outcome {
        Outcome::Inserted(n) => rows(*n, "inserted"),
        Outcome::Deleted(n) => rows(*n, "deleted"),
        Outcome::Ddl(DdlOutcome::Created | DdlOutcome::AlreadyExists) => {
            "Created successfully.".into()
        }
        Outcome::Ddl(DdlOutcome::Dropped | DdlOutcome::NotFound) => "Dropped successfully.".into(),
        Outcome::Ddl(DdlOutcome::Renamed) => "Altered successfully.".into(),
        Outcome::Rows(_) => "executed.".into(),
    }
}

fn query_error(e: &QueryError, started: Instant) -> Response {
    let status = match e {
        QueryError::Store(StoreError::Poisoned | StoreError::Closed) => 503,
        QueryError::Store(_) => 500,
        _ => 400,
    };
    fail(status, &e.to_string(), started)
}
