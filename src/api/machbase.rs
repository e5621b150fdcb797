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
    ConvertOptions, IngestErrorKind, IngestPlan, Rules, Shape, ShapeError, ingest_json,
};
use crate::json_value::{self, JsonValue};
use crate::limits::{CONTROL_BODY_BYTES_MAX, SQL_BYTES_MAX, TIMEFORMAT_BYTES_MAX};
use crate::output::{MachbaseCsv, MachbaseJson, QueryBody, TimeText};
use crate::server::http::{BodyErrorKind, parse_form};
use crate::server::{Request, Response};
use crate::sql::{self, DdlOutcome, QueryError, ast::Statement};
use crate::store::{Durability, StoreError};
use crate::timefmt::{self, EpochUnit, TimeFormat, Zone};
use crate::value::Value;

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

fn fail(status: u16, reason: &str, started: Instant) -> Response {
    reply(status, false, reason, started, None)
}

/// `tz` on the write path: written times are read in UTC until the ingest rewrite reads them
/// with `timefmt::TimeFormat::parse_time` and a `timefmt::Zone` (the query path has both).
fn check_tz(tz: Option<&str>) -> Result<(), String> {
    match tz {
        None | Some("") => Ok(()),
        Some(t) if t.eq_ignore_ascii_case("utc") => Ok(()),
        Some(t) => Err(format!("unknown time zone {t}")),
    }
}

/// The named formats the write path reads as best-effort datetime text, as it did before the
/// layout engine; kept until the ingest rewrite reads times with `TimeFormat::parse_time`.
fn write_reads_as_text(timeformat: &str) -> bool {
    matches!(
        timeformat.to_ascii_uppercase().as_str(),
        "-" | "DEFAULT"
            | "DEFAULT_MS"
            | "DEFAULT_US"
            | "DEFAULT_NS"
            | "DEFAULT.MS"
            | "DEFAULT.US"
            | "DEFAULT.NS"
            | "DATETIME"
            | "RFC3339"
            | "RFC3339NANO"
    )
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
    if let Err(reason) = check_tz(param(&params, "tz")) {
        return fail(400, &reason, started);
    }
    let timeformat = param(&params, "timeformat").unwrap_or("ns");
    let (epoch_unit, text_is_epoch) = match EpochUnit::parse(timeformat) {
        Some(unit) => (unit, true),
        None if write_reads_as_text(timeformat) => (EpochUnit::Ns, false),
        None => {
            return fail(
                400,
                &format!(
                    "timeformat {timeformat} is not supported yet; use s, ms, us, ns or a named format such as Default or RFC3339"
                ),
                started,
            );
        }
    };
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
    let format = match param(&params, "format") {
        Some(f) => f.to_ascii_lowercase(),
        None => match request.content_type().as_str() {
            "text/csv" => "csv".into(),
            "application/x-ndjson" => "ndjson".into(),
            _ => "json".into(),
        },
    };
    let gzip = match param(&params, "compress") {
        Some(c) => c == "gzip",
        None => request.header("content-encoding") == Some("gzip"),
    };
    if format == "csv" || format == "ndjson" || gzip {
        let what = if gzip {
            "gzip bodies".to_owned()
        } else {
            format!("{format} bodies")
        };
        return fail(
            415,
            &format!("{what} are not supported yet by this tidegate build; send JSON"),
            started,
        );
    }
    let Some(table) = app.catalog.get(table_name) else {
        // The peer's describe failure, word for word (reference §1.9).
        return fail(
            500,
            &format!("fail to get table info '{table_name}', sql: no rows in result set"),
            started,
        );
    };
    let plan = IngestPlan {
        table: table.clone(),
        shape: Shape::Machbase,
        durability,
        convert: ConvertOptions {
            rules: Rules::Machbase,
            epoch_unit: Some(epoch_unit),
            text_is_epoch,
            now_ns: timefmt::now_ns(),
        },
    };
    match ingest_json(&app.store, &mut request.body, plan).await {
        Ok(rows) => reply(
            200,
            true,
            &format!("success, {rows} record(s) {verb}"),
            started,
            None,
        ),
        Err(e) => {
            let (status, reason) = match &e.kind {
                IngestErrorKind::Shape(ShapeError::Json(j)) => (400, j.to_string()),
                IngestErrorKind::Shape(ShapeError::Shape { message, at }) => (
                    400,
                    format!("{message} (line {}, byte {})", at.line, at.byte),
                ),
                IngestErrorKind::Shape(other) => (400, format!("{other:?}")),
                IngestErrorKind::UnknownColumn(c) => (
                    400,
                    format!("column \"{c}\" not found in the table \"{table_name}\""),
                ),
                IngestErrorKind::DuplicateColumn(c) => {
                    (400, format!("column \"{c}\" is listed more than once"))
                }
                IngestErrorKind::RowWidth { got, expected } => (
                    400,
                    format!(
                        "rows[{}] number of columns not matched ({got}); table '{table_name}' has {expected} columns",
                        e.row
                    ),
                ),
                IngestErrorKind::Convert {
                    index,
                    column,
                    type_name,
                    found,
                    detail,
                } => (
                    400,
                    format!(
                        "rows[{}] column[{index}] is not a {type_name}, but {} (column {column}: {detail})",
                        e.row,
                        found.go_type()
                    ),
                ),
                IngestErrorKind::Batch(b) => (400, format!("rows[{}] {b}", e.row)),
                IngestErrorKind::Body(b) => match b.kind {
                    BodyErrorKind::TooLarge { .. } => (413, b.to_string()),
                    BodyErrorKind::TimedOut => (408, b.to_string()),
                    _ => (400, b.to_string()),
                },
                IngestErrorKind::Store(s @ (StoreError::Poisoned | StoreError::Closed)) => {
                    (503, s.to_string())
                }
                IngestErrorKind::Store(s) => (500, s.to_string()),
            };
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

/// The query request, from GET parameters, a form or a JSON body.
struct QueryRequest {
    q: String,
    p: Vec<Value>,
    format: String,
    timeformat: String,
    tz: Option<String>,
    heading: bool,
}

fn bind_parameters(values: &[JsonValue], prefix: &str) -> Result<Vec<Value>, String> {
    values
        .iter()
        .map(|v| match v {
            JsonValue::Null => Ok(Value::Null),
            JsonValue::Bool(b) => Ok(Value::Bool(*b)),
            JsonValue::String(s) => Ok(Value::Str(s.clone())),
            JsonValue::Number(n) => {
                if n.contains(['.', 'e', 'E']) {
                    n.parse()
                        .map(Value::Float)
                        .map_err(|_| format!("{prefix}bad number {n}"))
                } else {
                    n.parse()
                        .map(Value::Int)
                        .map_err(|_| format!("{prefix}bad number {n}"))
                }
            }
            JsonValue::Array(_) => Err(format!(
                "{prefix}bind parameter must be scalar, got []interface {{}}"
            )),
            JsonValue::Object(_) => Err(format!(
                "{prefix}bind parameter must be scalar, got map[string]interface {{}}"
            )),
        })
        .collect()
}

fn from_pairs(pairs: &[(String, String)]) -> Result<QueryRequest, String> {
    let get = |k: &str| param(pairs, k);
    let p = match get("p") {
        None => Vec::new(),
        Some(text) => match json_value::parse(text.as_bytes()) {
            Ok(JsonValue::Array(items)) => bind_parameters(&items, "")?,
            Ok(_) => return Err("invalid p, expected a JSON array".into()),
            Err(e) => return Err(format!("invalid p, {e}")),
        },
    };
    let mut heading = get("heading").is_none_or(|v| v.eq_ignore_ascii_case("true") || v == "1");
    if get("header") == Some("skip") {
        heading = false;
    }
    Ok(QueryRequest {
        q: pairs
            .iter()
            .find(|(k, _)| k == "q")
            .map(|(_, v)| v.clone())
            .unwrap_or_default(),
        p,
        format: get("format").unwrap_or("json").to_owned(),
        timeformat: get("timeformat").unwrap_or("ns").to_owned(),
        tz: get("tz").map(str::to_owned),
        heading,
    })
}

fn from_json(doc: &JsonValue) -> Result<QueryRequest, String> {
    let text = |k: &str| doc.get(k).and_then(JsonValue::as_str).map(str::to_owned);
    let p = match doc.get("p") {
        None | Some(JsonValue::Null) => Vec::new(),
        Some(JsonValue::Array(items)) => bind_parameters(items, "invalid p, ")?,
        Some(_) => return Err("invalid p, expected a JSON array".into()),
    };
    let mut heading = !matches!(doc.get("heading"), Some(JsonValue::Bool(false)));
    if text("header").as_deref() == Some("skip") {
        heading = false;
    }
    Ok(QueryRequest {
        q: text("q").unwrap_or_default(),
        p,
        format: text("format").unwrap_or_else(|| "json".into()),
        timeformat: text("timeformat").unwrap_or_else(|| "ns".into()),
        tz: text("tz"),
        heading,
    })
}

pub async fn query(app: &App, request: &mut Request, started: Instant) -> Response {
    let parsed = match request.method.as_str() {
        "GET" => from_pairs(&request.params()),
        "POST" => {
            let content_type = request.content_type();
            let body = match request
                .body
                .read_to_vec(CONTROL_BODY_BYTES_MAX.max(SQL_BYTES_MAX))
                .await
            {
                Ok(b) => b,
                Err(e) => return fail(413, &e.to_string(), started),
            };
            match content_type.as_str() {
                "application/json" => match json_value::parse(&body) {
                    Ok(doc) => from_json(&doc),
                    Err(e) => Err(e.to_string()),
                },
                "application/x-www-form-urlencoded" => {
                    from_pairs(&parse_form(&String::from_utf8_lossy(&body)))
                }
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
    if req.q.trim().is_empty() {
        return fail(400, "sql text is empty", started);
    }
    let zone = match Zone::parse(req.tz.as_deref().unwrap_or("")) {
        Ok(zone) => zone,
        // The peer's text: `unknown time zone X` (reference §2.4).
        Err(e) => return fail(400, &e.to_string(), started),
    };
    if req.timeformat.len() > TIMEFORMAT_BYTES_MAX {
        return fail(
            400,
            &format!(
                "timeformat is longer than TIMEFORMAT_BYTES_MAX ({TIMEFORMAT_BYTES_MAX} bytes)"
            ),
            started,
        );
    }
    let time_text = TimeText::new(TimeFormat::parse(&req.timeformat), zone);
    let statement = match sql::parse(&req.q) {
        Ok(s) => s,
        Err(e) => return fail(400, &e.to_string(), started),
    };
    let outcome = match statement {
        Statement::Create(c) => sql::execute_create(app, &c)
            .await
            .map(|_| "Created successfully."),
        Statement::Drop(d) => sql::execute_drop(app, &d).await.map(|o| match o {
            DdlOutcome::NotFound | DdlOutcome::Dropped => "Dropped successfully.",
            _ => "executed.",
        }),
        Statement::Select(select) => {
            let result = match sql::run_select(app, &select, &req.p) {
                Ok(r) => r,
                Err(e) => return query_error(&e, started),
            };
            let (content_type, encoder): (&str, Box<dyn crate::output::Encoder>) =
                match req.format.to_ascii_lowercase().as_str() {
                    "csv" => (
                        "text/csv; charset=utf-8",
                        Box::new(MachbaseCsv {
                            time: time_text,
                            heading: req.heading,
                            delimiter: b',',
                        }),
                    ),
                    "box" | "ndjson" | "markdown" => {
                        return fail(
                            400,
                            &format!(
                                "format {} is not supported yet; use json or csv",
                                req.format
                            ),
                            started,
                        );
                    }
                    _ => (
                        "application/json",
                        Box::new(MachbaseJson::new(time_text, started)),
                    ),
                };
            let body = QueryBody::new(result.columns, result.rows, encoder);
            return Response::stream(200, content_type, Box::new(body));
        }
    };
    match outcome {
        Ok(reason) => reply(200, true, reason, started, None),
        Err(e) => query_error(&e, started),
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
