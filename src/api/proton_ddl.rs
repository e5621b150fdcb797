//! `/proton/v1/ddl/streams` (reference proton-api.md §2.2): list, describe, create and drop
//! streams over REST, on the same catalog path as `CREATE STREAM` / `DROP STREAM` SQL.
//!
//! Routes, as Proton's router reads them (`…/streams/foo` on GET names a *database*):
//! - `GET /streams[/]` and `GET /streams/{database}[/]`: `{"data":[<stream>…],"request_id":…}`.
//! - `GET /streams/{database}/{stream}`: the same shape with one stream.
//! - `POST /streams`: create from `{"name":…,"columns":[{"name":…,"type":…},…],…}`.
//! - `DELETE /streams/{stream}[?mode=drop]`: drop.
//!
//! A create body becomes a typed `CreateTable` for `sql::execute_create`; no SQL text is built.
//! Validation follows Proton's order and messages: the schema, then mode, primary key,
//! granularities and shards (400, code 408), then existence (400, code 57). `mode` and
//! `primary_key` go to the catalog as SQL's `SETTINGS mode=…` and `PRIMARY KEY` do. Settings
//! tidegate cannot honour (TTLs, ALIAS columns, TRUNCATE) are refused with 501 (code 48),
//! never silently dropped. Layout hints (`order_by_*`, `partition_by_*`, codecs, skipping
//! indexes, comments) and `event_time_column` are accepted without effect, as the SQL path
//! accepts their SETTINGS (README compatibility table).

use std::sync::Arc;

use super::proton::{error, exception_reply, json_reply, ok_reply, unknown_uri};
use super::proton_errors::{Exception, query_exception};
use super::proton_json::{Kind, member, poco_string, read_object, validate};
use crate::app::App;
use crate::catalog::types::TypeError;
use crate::catalog::{
    ColumnRole, ColumnType, DefaultValue, Dialect, TP_TIME, Table, TableKind, TypeArg, TypeName,
};
use crate::json_value::JsonValue;
use crate::output::{float_text, plain_text};
use crate::server::{Request, Response};
use crate::sql::ast::{ColumnDef, CreateTable, DropTable, Expr};
use crate::sql::lexer::{Tok, tokenize};
use crate::sql::{self, DdlOutcome, QueryError};
use crate::timefmt;
use crate::value::Value;

/// Proton's databases. tidegate keeps every stream in `default`; the other two exist in every
/// Proton server and are empty here, so clients that list them get `[]`, not an error.
const DATABASES: [&str; 3] = ["default", "neutron", "system"];

pub async fn route(app: &App, request: &mut Request, tail: &str, id: &str) -> Response {
    let parts: Vec<&str> = tail.split('/').filter(|p| !p.is_empty()).collect();
    match (request.method.as_str(), parts.as_slice()) {
        ("GET", []) => list(app, "default", None, id),
        ("GET", [database]) => list(app, database, None, id),
        ("GET", [database, stream]) => list(app, database, Some(stream), id),
        ("POST", []) => create(app, request, id).await,
        ("DELETE", [stream]) => drop(app, request, stream, id).await,
        ("PATCH", [_]) => exception_reply(
            &Exception::new(
                48,
                "NOT_IMPLEMENTED",
                "altering streams over REST is not supported by tidegate",
            ),
            id,
        ),
        _ => unknown_uri(id),
    }
}

fn list(app: &App, database: &str, stream: Option<&str>, id: &str) -> Response {
    if !DATABASES.contains(&database) {
        let message = format!("Databases {database} does not exist.");
        return error(404, 81, &message, id);
    }
    let mut streams: Vec<Arc<Table>> = if database == "default" {
        app.catalog
            .tables()
            .into_iter()
            .filter(|t| t.kind == TableKind::Stream)
            .collect()
    } else {
        Vec::new()
    };
    // Proton lists `system.tables`, which is ordered by name.
    streams.sort_by(|a, b| a.name.cmp(&b.name));
    if let Some(name) = stream {
        streams.retain(|t| &*t.name == name);
        if streams.is_empty() {
            let message = format!("No stream named '{name}' in database '{database}'");
            return error(404, 60, &message, id);
        }
    }
    let mut body = b"{\"data\":[".to_vec();
    for (i, t) in streams.iter().enumerate() {
        if i > 0 {
            body.push(b',');
        }
        describe(t, &mut body);
    }
    body.extend_from_slice(b"],\"request_id\":");
    poco_string(id, &mut body);
    body.push(b'}');
    json_reply(200, body, id)
}

/// One stream as Proton's `buildTablesJSON` shows it, keys sorted. The key and partition
/// expressions describe tidegate's layout: rows are keyed by `_tp_time`, in one partition.
/// `logstore_*` are the settings tidegate has instead of a log store: retention -1 (rows are
/// kept until the stream is dropped), flush 0 (the system default, `--sync-interval`).
fn describe(t: &Table, out: &mut Vec<u8>) {
    out.extend_from_slice(b"{\"columns\":[");
    for (i, c) in t.columns.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.push(b'{');
        if let Some(default) = default_text(&c.default, &c.ty) {
            out.extend_from_slice(b"\"default\":");
            poco_string(&default, out);
            out.push(b',');
        }
        out.extend_from_slice(b"\"name\":");
        poco_string(&c.name, out);
        out.extend_from_slice(b",\"nullable\":");
        out.extend_from_slice(if c.nullable { b"true" } else { b"false" });
        out.extend_from_slice(b",\"type\":");
        poco_string(&c.ty.proton_name(), out);
        out.push(b'}');
    }
    out.extend_from_slice(
        b"],\"engine\":\"Stream\",\"logstore_flush_messages\":0,\"logstore_flush_ms\":0,\
          \"logstore_retention_bytes\":-1,\"logstore_retention_ms\":-1,\"mode\":",
    );
    poco_string(t.mode.name(), out);
    out.extend_from_slice(b",\"name\":");
    poco_string(&t.name, out);
    // A kv stream is ordered by its key, as Proton requires ORDER BY = PRIMARY KEY there.
    let key = if t.key_columns.is_empty() {
        TP_TIME.to_owned()
    } else {
        let names: Vec<&str> = t
            .key_columns
            .iter()
            .filter_map(|&i| t.columns.get(i).map(|c| &*c.name))
            .collect();
        names.join(", ")
    };
    out.extend_from_slice(b",\"order_by_expression\":");
    poco_string(&key, out);
    out.extend_from_slice(b",\"partition_by_expression\":\"\",\"primary_key\":");
    poco_string(&key, out);
    out.push(b'}');
}

/// A default as `DESCRIBE` prints it; string defaults unquoted, as Proton's REST shows them.
fn default_text(default: &DefaultValue, ty: &ColumnType) -> Option<String> {
    match (default, ty) {
        (DefaultValue::None, _) => None,
        (DefaultValue::Now, ColumnType::DateTime { precision, tz }) => Some(match tz {
            Some(tz) => format!("now64({precision}, '{tz}')"),
            None => format!("now64({precision})"),
        }),
        (DefaultValue::Now, _) => Some("now()".into()),
        (DefaultValue::Literal(v), _) => Some(match v {
            Value::Null => "NULL".into(),
            Value::Str(s) => s.clone(),
            Value::Time(ns) => {
                let mut s = String::new();
                timefmt::format_datetime(*ns, 9, &mut s);
                format!("'{s}'")
            }
            Value::Float(f) => {
                let mut out = Vec::new();
                float_text(*f, false, &mut out);
                String::from_utf8_lossy(&out).into_owned()
            }
            other => plain_text(other),
        }),
    }
}

async fn create(app: &App, request: &mut Request, id: &str) -> Response {
    let body = match read_object(request, id).await {
        Ok(b) => b,
        Err(r) => return r,
    };
    let create = match create_statement(&body) {
        Ok(c) => c,
        Err(Refusal::Request(message)) => return error(400, 408, &message, id),
        Err(Refusal::Exception(e)) => return exception_reply(&e, id),
    };
    match sql::execute_create(app, &create).await {
        Ok(_) => ok_reply(id),
        // The handler checks existence itself and answers 400 (reference §2.2).
        Err(QueryError::TableExists(name)) => {
            let message = format!("Stream 'default.{name}' already exists.");
            error(400, 57, &message, id)
        }
        Err(e) => exception_reply(&query_exception(&e), id),
    }
}

enum Refusal {
    /// The handler's own 400 with code 408.
    Request(String),
    Exception(Exception),
}

fn not_supported(what: &str) -> Refusal {
    Refusal::Exception(Exception::new(
        48,
        "NOT_IMPLEMENTED",
        format!("{what} is not supported by tidegate"),
    ))
}

fn text<'a>(object: &'a JsonValue, key: &str) -> Option<&'a str> {
    member(object, key).and_then(JsonValue::as_str)
}

fn create_statement(body: &JsonValue) -> Result<CreateTable, Refusal> {
    validate(
        body,
        &[("columns", Kind::Array), ("name", Kind::String)],
        &[
            ("event_time_column", Kind::String),
            ("mode", Kind::String),
            ("order_by_expression", Kind::String),
            ("order_by_granularity", Kind::String),
            ("partition_by_expression", Kind::String),
            ("partition_by_granularity", Kind::String),
            ("primary_key", Kind::String),
            ("replication_factor", Kind::Int),
            ("shards", Kind::Int),
            ("ttl_expression", Kind::String),
        ],
    )
    .map_err(Refusal::Request)?;
    let mode = text(body, "mode").unwrap_or("append");
    if !matches!(
        mode,
        "append" | "changelog" | "changelog_kv" | "versioned_kv"
    ) {
        return Err(Refusal::Request(
            "Storage 'mode' can be only 'append', 'changelog', 'changelog_kv' or 'versioned_kv'"
                .into(),
        ));
    }
    let kv = matches!(mode, "changelog_kv" | "versioned_kv");
    if kv && text(body, "primary_key").is_none_or(str::is_empty) {
        return Err(Refusal::Request(
            "changelog kv or versioned kv storage mode requires 'PRIMARY KEY'".into(),
        ));
    }
    for key in ["partition_by_granularity", "order_by_granularity"] {
        if let Some(g) = text(body, key)
            && !matches!(g, "m" | "H" | "D" | "M")
        {
            return Err(Refusal::Request(format!(
                "Invalid {key}, only `m, H, D, M` are supported"
            )));
        }
    }
    let one = |key| member(body, key).is_none_or(|v| *v == JsonValue::Number("1".into()));
    if !one("shards") || !one("replication_factor") {
        return Err(Refusal::Request(
            "Invalid shards / replication factor, local stream shall have only 1 shard and 1 replica"
                .into(),
        ));
    }
    if member(body, "ttl_expression").is_some() {
        return Err(not_supported("ttl_expression"));
    }
    let name = text(body, "name").unwrap_or_default();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Refusal::Request(format!("Invalid stream name '{name}'")));
    }
    let Some(JsonValue::Array(items)) = member(body, "columns") else {
        return Err(Refusal::Request("Invalid type of param 'columns'".into()));
    };
    let mut columns = Vec::with_capacity(items.len() + 1);
    for item in items {
        columns.push(column_def(item)?);
    }
    // `(a, b)` or `a, b`; outside the kv modes the key only orders Proton's parts.
    let primary_key = match text(body, "primary_key") {
        Some(key) if kv => key
            .trim()
            .trim_start_matches('(')
            .trim_end_matches(')')
            .split(',')
            .map(|k| k.trim().trim_matches('`').to_owned())
            .collect(),
        _ => Vec::new(),
    };
    Ok(CreateTable {
        kind: TableKind::Stream,
        name: name.into(),
        if_not_exists: false,
        columns,
        primary_key,
        settings: vec![("mode".into(), mode.into())],
    })
}

fn column_def(item: &JsonValue) -> Result<ColumnDef, Refusal> {
    if !matches!(item, JsonValue::Object(_)) {
        return Err(Refusal::Request("Invalid type of param 'columns'".into()));
    }
    validate(
        item,
        &[("name", Kind::String), ("type", Kind::String)],
        &[
            ("alias", Kind::String),
            ("comment", Kind::String),
            ("compression_codec", Kind::String),
            ("default", Kind::String),
            ("nullable", Kind::Bool),
            ("skipping_index_expression", Kind::String),
            ("ttl_expression", Kind::String),
        ],
    )
    .map_err(Refusal::Request)?;
    let name = text(item, "name").unwrap_or_default();
    if name.is_empty() || name.chars().any(char::is_control) {
        return Err(Refusal::Request(format!("Invalid column name '{name}'")));
    }
    if member(item, "alias").is_some() {
        return Err(not_supported(&format!("ALIAS column {name}")));
    }
    if member(item, "ttl_expression").is_some() {
        return Err(not_supported(&format!("ttl_expression on column {name}")));
    }
    let type_text = text(item, "type").unwrap_or_default();
    let mut ty = type_name(type_text)?;
    let resolved = ty.resolve(Dialect::Proton).map_err(|e| {
        Refusal::Exception(match e {
            // Proton's DataTypeFactory messages (UNKNOWN_TYPE answers 404).
            TypeError::Unknown(t) => {
                Exception::new(50, "UNKNOWN_TYPE", format!("Unknown data type family: {t}"))
            }
            TypeError::Unsupported(_) => {
                Exception::new(48, "NOT_IMPLEMENTED", format!("column {name}: {e}"))
            }
            TypeError::BadArguments(_) => {
                Exception::new(36, "BAD_ARGUMENTS", format!("column {name}: {e}"))
            }
        })
    })?;
    if member(item, "nullable") == Some(&JsonValue::Bool(true)) {
        ty = TypeName {
            name: "nullable".into(),
            args: vec![TypeArg::Type(ty)],
        };
    }
    let default = match text(item, "default") {
        None => None,
        // Proton quotes a string column's default itself (reference §2.2).
        Some(d) if resolved.ty.is_string() => Some(Expr::Literal(Value::Str(d.into()))),
        Some(d) => Some(default_expr(name, d)?),
    };
    Ok(ColumnDef {
        name: name.into(),
        ty,
        role: ColumnRole::Plain,
        summarized: false,
        default,
    })
}

fn syntax_error(message: String) -> Refusal {
    Refusal::Exception(Exception::new(62, "SYNTAX_ERROR", message))
}

/// A type as SQL writes it (`int32`, `datetime64(3, 'UTC')`, `nullable(string)`), read with the
/// SQL lexer so REST and SQL accept the same spellings.
fn type_name(text: &str) -> Result<TypeName, Refusal> {
    let tokens =
        tokenize(text).map_err(|e| syntax_error(format!("type `{text}`: {}", e.message)))?;
    let toks: Vec<&Tok> = tokens.iter().map(|t| &t.tok).collect();
    let mut at = 0;
    let ty = type_at(&toks, &mut at, 0)
        .ok_or_else(|| syntax_error(format!("cannot read the type `{text}`")))?;
    match toks.get(at) {
        None | Some(Tok::Eof) => Ok(ty),
        Some(_) => Err(syntax_error(format!("cannot read the type `{text}`"))),
    }
}

/// Types nest at most this deep (`nullable(low_cardinality(string))` is 2).
const TYPE_DEPTH_MAX: usize = 8;

fn type_at(toks: &[&Tok], at: &mut usize, depth: usize) -> Option<TypeName> {
    if depth > TYPE_DEPTH_MAX {
        return None;
    }
    let name = match toks.get(*at)? {
        Tok::Ident(n) | Tok::QuotedIdent(n) => n.clone(),
        _ => return None,
    };
    *at += 1;
    let mut args = Vec::new();
    if toks.get(*at) == Some(&&Tok::Sym("(")) {
        *at += 1;
        loop {
            let arg = match toks.get(*at)? {
                Tok::Number(n) => {
                    *at += 1;
                    TypeArg::Number(n.parse().ok()?)
                }
                Tok::Str(s) => {
                    *at += 1;
                    TypeArg::Text(s.clone())
                }
                _ => TypeArg::Type(type_at(toks, at, depth + 1)?),
            };
            args.push(arg);
            match toks.get(*at)? {
                Tok::Sym(",") => *at += 1,
                Tok::Sym(")") => {
                    *at += 1;
                    break;
                }
                _ => return None,
            }
        }
    }
    Some(TypeName { name, args })
}

/// A non-string column's `default`: a number, a quoted string, `true`/`false`, or a function
/// call such as `now64(3, 'UTC')`. `execute_create` decides which of these it can store.
fn default_expr(column: &str, text: &str) -> Result<Expr, Refusal> {
    let unsupported = || {
        not_supported(&format!(
            "DEFAULT `{text}` for column {column} (use a literal or now()/now64())"
        ))
    };
    let tokens = tokenize(text).map_err(|_| unsupported())?;
    let toks: Vec<&Tok> = tokens
        .iter()
        .map(|t| &t.tok)
        .filter(|t| **t != Tok::Eof)
        .collect();
    let number = |n: &str, negative: bool| {
        let signed = if negative { format!("-{n}") } else { n.into() };
        match signed.parse::<i64>() {
            Ok(i) => Some(Value::Int(i)),
            Err(_) => signed.parse::<f64>().ok().map(Value::Float),
        }
    };
    let value = match toks.as_slice() {
        [Tok::Number(n)] => number(n, false),
        [Tok::Sym("-"), Tok::Number(n)] => number(n, true),
        [Tok::Str(s)] => Some(Value::Str(s.clone())),
        [Tok::Ident(b)] if b.eq_ignore_ascii_case("true") => Some(Value::Bool(true)),
        [Tok::Ident(b)] if b.eq_ignore_ascii_case("false") => Some(Value::Bool(false)),
        [Tok::Ident(f), Tok::Sym("("), .., Tok::Sym(")")] => {
            return Ok(Expr::Function {
                name: f.clone(),
                args: Vec::new(),
            });
        }
        _ => None,
    };
    value.map(Expr::Literal).ok_or_else(unsupported)
}

async fn drop(app: &App, request: &Request, stream: &str, id: &str) -> Response {
    // Checked before existence, as Proton does.
    match request
        .params()
        .iter()
        .find(|(k, _)| k == "mode")
        .map(|(_, v)| v.as_str())
    {
        None | Some("drop") => {}
        Some("truncate") => {
            return exception_reply(
                &Exception::new(
                    48,
                    "NOT_IMPLEMENTED",
                    "TRUNCATE is not supported by tidegate; drop and create the stream",
                ),
                id,
            );
        }
        Some(other) => return error(400, 408, &format!("No support delete mode: {other}"), id),
    }
    let is_stream = app
        .catalog
        .get(stream)
        .is_some_and(|t| t.kind == TableKind::Stream && &*t.name == stream);
    let missing = || {
        error(
            400,
            60,
            &format!("Stream default.{stream} doesn't exist"),
            id,
        )
    };
    if !is_stream {
        return missing();
    }
    let statement = DropTable {
        name: stream.into(),
        if_exists: false,
        stream: true,
    };
    match sql::execute_drop(app, &statement).await {
        Ok(DdlOutcome::Dropped) => ok_reply(id),
        Ok(_) | Err(QueryError::UnknownTable(_)) => missing(),
        Err(e) => exception_reply(&query_exception(&e), id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ty(text: &str) -> Option<TypeName> {
        type_name(text).ok()
    }

    #[test]
    fn types_read_like_sql() {
        let t = ty("datetime64(3, 'UTC')").unwrap();
        assert_eq!(
            t.resolve(Dialect::Proton).unwrap().ty.proton_name(),
            "datetime64(3, 'UTC')"
        );
        let t = ty("nullable(low_cardinality(string))").unwrap();
        assert!(t.resolve(Dialect::Proton).unwrap().nullable);
        assert!(ty("int32 default 1").is_none());
        assert!(ty("int32)").is_none());
        assert!(ty("(").is_none());
        assert!(ty("").is_none());
        assert!(ty(&"nullable(".repeat(20)).is_none());
    }

    #[test]
    fn defaults_are_literals_or_calls() {
        let d = |t: &str| default_expr("c", t).ok();
        assert_eq!(d("-5"), Some(Expr::Literal(Value::Int(-5))));
        assert_eq!(d("1.5"), Some(Expr::Literal(Value::Float(1.5))));
        assert_eq!(d("'x'"), Some(Expr::Literal(Value::Str("x".into()))));
        assert!(
            matches!(d("now64(3, 'UTC')"), Some(Expr::Function { name, .. }) if name == "now64")
        );
        assert!(d("a + 1").is_none());
    }
}
