//! Machbase Neo's UI API under `/web/api/` (reference machbase-neo-api.md §3.5, §6.2 Q22-Q24;
//! peer `mods/server/http.go` routes, `http_query.go` handlers): login (`web_auth.rs`), then,
//! with a token, `GET|POST query` (`/db/query` itself), `GET tables`, `GET tables/:t/tags`
//! and `GET tables/:t/tags/:tag/stat`.
//!
//! The three listings answer the peer's `QueryResponse` (`success, reason, elapse,
//! data{columns,types,rows}`, `application/json; charset=utf-8`) through the Machbase JSON
//! encoder (`MachbaseFormat::UiJson`); the tag list streams from the store and a tag's
//! statistics are `V$T_STAT`'s row for it, so nothing here counts or formats on its own.
//!
//! Deliberate differences (README compatibility table): tidegate has no hidden partition
//! tables, so `showall=true` adds only `_T_META` (`Lookup Table (meta)`) per tag table;
//! Proton streams are listed with TYPE `Stream`; the tag-name filter ignores case; an unknown
//! table or tag is a 404 naming it where the peer answers 500 with an engine text.
//!
//! As gin routes it: an unknown path, or a known one with another method, is a 404 before any
//! token is looked at.

use std::time::Instant;

use super::machbase::fail;
use super::web_auth;
use crate::app::App;
use crate::catalog::{ColumnType, Table, TableKind};
use crate::limits::TIMEFORMAT_BYTES_MAX;
use crate::output::{MachbaseFormat, MachbaseOutput, QueryBody, TimeText, ValueFormat};
use crate::server::{Request, Response};
use crate::sql::{self, Outcome, QueryError, ResultColumn, RowSource};
use crate::store::TagNames;
use crate::timefmt::{TimeFormat, Zone};
use crate::value::Value;

enum Route {
    Login,
    Relogin,
    Logout,
    Query,
    Tables,
    Tags(String),
    Stat(String, String),
}

fn route_of(method: &str, path: &str) -> Option<Route> {
    let rest = path.strip_prefix("/web/api/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    Some(match (method, segments.as_slice()) {
        ("POST", ["login"]) => Route::Login,
        ("POST", ["relogin"]) => Route::Relogin,
        ("POST", ["logout"]) => Route::Logout,
        // gin's `Any`: every method reaches the query handler, which answers GET and POST.
        (_, ["query"]) => Route::Query,
        ("GET", ["tables"]) => Route::Tables,
        ("GET", ["tables", table, "tags"]) if !table.is_empty() => Route::Tags((*table).to_owned()),
        ("GET", ["tables", table, "tags", tag, "stat"]) if !table.is_empty() && !tag.is_empty() => {
            Route::Stat((*table).to_owned(), (*tag).to_owned())
        }
        _ => return None,
    })
}

pub async fn route(app: &App, request: &mut Request, started: Instant) -> Response {
    let Some(route) = route_of(&request.method, &request.path) else {
        return Response::text(404, "404 page not found");
    };
    if !matches!(route, Route::Login)
        && let Err(refused) = web_auth::authorize(app, request, matches!(route, Route::Relogin))
    {
        return refused;
    }
    match route {
        Route::Login => web_auth::login(app, request, started).await,
        Route::Relogin => web_auth::relogin(app, request, started).await,
        Route::Logout => web_auth::logout(app, request, started).await,
        Route::Query => super::machbase::query(app, request, started).await,
        Route::Tables => tables(app, request, started),
        Route::Tags(table) => tags(app, request, &table, started),
        Route::Stat(table, tag) => stat(app, request, &table, &tag, started).await,
    }
}

fn column(name: &str, ty: ColumnType) -> ResultColumn {
    ResultColumn {
        name: name.into(),
        ty,
        nullable: false,
    }
}

fn string() -> ColumnType {
    ColumnType::String { len_max: None }
}

/// A `QueryResponse` streaming `rows` of `columns`, times printed per `time`.
fn listing(
    columns: Vec<ResultColumn>,
    rows: Box<dyn RowSource>,
    time: TimeText,
    started: Instant,
) -> Response {
    let output = MachbaseOutput {
        format: MachbaseFormat::UiJson,
        values: ValueFormat::new(time),
        rownum: false,
        heading: true,
        started,
    };
    let content_type = output.format.content_type();
    Response::stream(
        200,
        content_type,
        Box::new(QueryBody::new(columns, rows, output.into_encoder())),
    )
}

fn default_time() -> TimeText {
    TimeText::new(TimeFormat::parse("ns"), Zone::utc())
}

/// The peer's boolean query parameters: `true` (any case) or `1`.
fn str_bool(v: Option<&str>) -> bool {
    v.is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

fn param(request: &Request, name: &str) -> Option<String> {
    request
        .params()
        .into_iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v)
}

/// Whether `name` matches `pattern`, where `*` is any run of characters and `?` any one.
fn glob_match(pattern: &[char], name: &[char]) -> bool {
    crate::wildcard::matches(name, pattern, '*', '?')
}

/// `GET /web/api/tables[?name=<prefix or glob>&showall=true]` (Q22).
fn tables(app: &App, request: &Request, started: Instant) -> Response {
    // The peer upper-cases the filter and matches a prefix, or a glob when it has `*`/`?`.
    let filter = param(request, "name").unwrap_or_default().to_uppercase();
    let pattern: Vec<char> = filter.chars().collect();
    let is_glob = filter.contains(['*', '?']);
    let show_all = str_bool(param(request, "showall").as_deref());
    let mut listed: Vec<(String, &'static str)> = Vec::new();
    for table in app.catalog.tables() {
        let kind = match table.kind {
            TableKind::Tag => "Tag Table",
            TableKind::Log => "Log Table",
            TableKind::Stream => "Stream",
        };
        listed.push((table.name.to_string(), kind));
        // The tag list, readable as `_T_META`; tidegate has no other hidden tables.
        if show_all && table.kind == TableKind::Tag {
            listed.push((format!("_{}_META", table.name), "Lookup Table (meta)"));
        }
    }
    listed.sort();
    let rows: Vec<Vec<Value>> = listed
        .into_iter()
        .filter(|(name, _)| {
            let upper = name.to_uppercase();
            if is_glob {
                glob_match(&pattern, &upper.chars().collect::<Vec<_>>())
            } else {
                upper.starts_with(&filter)
            }
        })
        .enumerate()
        .map(|(i, (name, kind))| {
            vec![
                Value::Int(i as i64 + 1),
                Value::Str("MACHBASEDB".into()),
                Value::Str("SYS".into()),
                Value::Str(name),
                Value::Str(kind.into()),
            ]
        })
        .collect();
    let columns = vec![
        column("ROWNUM", ColumnType::Int32),
        column("DB", string()),
        column("USER", string()),
        column("NAME", string()),
        column("TYPE", string()),
    ];
    listing(
        columns,
        Box::new(sql::VecSource(rows.into_iter())),
        default_time(),
        started,
    )
}

/// The tag table `name`, or the reply that says why not.
fn tag_table(app: &App, name: &str, started: Instant) -> Result<std::sync::Arc<Table>, Response> {
    let upper = name.to_ascii_uppercase();
    match app.catalog.get(name) {
        None => Err(fail(
            404,
            &format!("table '{upper}' does not exist"),
            started,
        )),
        // The peer's text (`ShowTags`): `table 'LOG_DATA' is not a tag table`.
        Some(t) if t.kind != TableKind::Tag => Err(fail(
            400,
            &format!("table '{upper}' is not a tag table"),
            started,
        )),
        Some(t) => Ok(t),
    }
}

/// `GET /web/api/tables/:table/tags[?name=prefix]` (Q23).
fn tags(app: &App, request: &Request, table: &str, started: Instant) -> Response {
    let table = match tag_table(app, table, started) {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    let columns = vec![
        column("ROWNUM", ColumnType::Int32),
        column("NAME", string()),
    ];
    let rows = TagList {
        names: app.store.tags(table.id),
        prefix: param(request, "name").unwrap_or_default().to_lowercase(),
        rownum: 0,
    };
    listing(columns, Box::new(rows), default_time(), started)
}

/// Tag names in tag-id order (the order they were first written), numbered from 1, those
/// starting with `prefix` in any case.
struct TagList {
    names: TagNames,
    /// Lower-cased.
    prefix: String,
    rownum: i64,
}

impl RowSource for TagList {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        for entry in self.names.by_ref() {
            let (_, name) = entry?;
            if !name.to_lowercase().starts_with(&self.prefix) {
                continue;
            }
            self.rownum += 1;
            out.clear();
            out.push(Value::Int(self.rownum));
            out.push(Value::Str(name));
            return Ok(true);
        }
        Ok(false)
    }
}

/// `GET /web/api/tables/:table/tags/:tag/stat[?timeformat&tz]` (Q24): `V$T_STAT`'s row for
/// the tag, after a ROWNUM of 1.
async fn stat(app: &App, request: &Request, table: &str, tag: &str, started: Instant) -> Response {
    let zone = match Zone::parse(&param(request, "tz").unwrap_or_default()) {
        Ok(z) => z,
        // The peer's shape for this one error: gin.H{"error": ...}.
        Err(e) => {
            let mut body = b"{\"error\":".to_vec();
            crate::output::json_string(&e.to_string(), true, &mut body);
            body.push(b'}');
            return Response::json(400, body);
        }
    };
    let timeformat = param(request, "timeformat")
        .filter(|t| !t.is_empty())
        .unwrap_or_else(|| "ns".into());
    if timeformat.len() > TIMEFORMAT_BYTES_MAX {
        return fail(
            400,
            &format!(
                "timeformat is longer than TIMEFORMAT_BYTES_MAX ({TIMEFORMAT_BYTES_MAX} bytes)"
            ),
            started,
        );
    }
    let table = match tag_table(app, table, started) {
        Ok(t) => t,
        Err(refused) => return refused,
    };
    let row = match stat_row(app, &table, tag).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return fail(
                404,
                &format!("tag '{tag}' does not exist in table '{}'", table.name),
                started,
            );
        }
        Err(e) => return fail(500, &e.to_string(), started),
    };
    let (columns, values) = row;
    let mut all_columns = vec![column("ROWNUM", ColumnType::Int32)];
    all_columns.extend(columns);
    let mut all_values = vec![Value::Int(1)];
    all_values.extend(values);
    listing(
        all_columns,
        Box::new(sql::VecSource(vec![all_values].into_iter())),
        TimeText::new(TimeFormat::parse(&timeformat), zone),
        started,
    )
}

/// The tag's `V$T_STAT` row through the SQL engine, `None` if the tag has no rows.
async fn stat_row(
    app: &App,
    table: &Table,
    tag: &str,
) -> Result<Option<(Vec<ResultColumn>, Vec<Value>)>, QueryError> {
    // Tag tables are created by Machbase DDL, so their names are plain identifiers; checked
    // anyway, as the name becomes SQL text.
    if !table
        .name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(QueryError::BadValue(format!(
            "table name {} cannot be read through V${}_STAT",
            table.name, table.name
        )));
    }
    let text = format!("SELECT * FROM V${}_STAT WHERE NAME = ?", table.name);
    let statement = sql::parse(&text)?;
    let params = [Value::Str(tag.to_owned())];
    match sql::execute(app, &statement, &params, sql::Dialect::Machbase).await? {
        Outcome::Rows(mut result) => {
            let mut row = Vec::new();
            Ok(result
                .rows
                .next_row(&mut row)?
                .then_some((result.columns, row)))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn glob(p: &str, n: &str) -> bool {
        glob_match(
            &p.chars().collect::<Vec<_>>(),
            &n.chars().collect::<Vec<_>>(),
        )
    }

    #[test]
    fn globs_match_like_the_peers() {
        assert!(glob("*DATA*", "LOG_DATA"));
        assert!(glob("*DATA*", "_EXAMPLE_DATA_0"));
        assert!(!glob("*DATA*", "EXAMPLE"));
        assert!(glob("EX?MPLE", "EXAMPLE"));
        assert!(glob("*", ""));
        assert!(glob("E*E", "EXAMPLE"));
        assert!(!glob("E*X", "EXAMPLE"));
        assert!(glob("**A*", "A"));
        assert!(!glob("?", ""));
        // Worst case stays bounded: a long name against many stars.
        let name = "A".repeat(2000);
        assert!(!glob(&format!("{}B", "*A".repeat(50)), &name));
    }

    #[test]
    fn routes_as_gin_registers_them() {
        let r = |m, p| route_of(m, p).map(|r| std::mem::discriminant(&r));
        let d = std::mem::discriminant;
        assert_eq!(r("POST", "/web/api/login"), Some(d(&Route::Login)));
        assert_eq!(r("GET", "/web/api/login"), None);
        assert_eq!(r("PUT", "/web/api/query"), Some(d(&Route::Query)));
        assert_eq!(r("GET", "/web/api/tables"), Some(d(&Route::Tables)));
        assert_eq!(r("POST", "/web/api/tables"), None);
        assert!(matches!(
            route_of("GET", "/web/api/tables/example/tags/test.query/stat"),
            Some(Route::Stat(t, g)) if t == "example" && g == "test.query"
        ));
        assert_eq!(r("GET", "/web/api/tables//tags"), None);
        assert_eq!(r("GET", "/web/api/tables/x/tags/y"), None);
        assert_eq!(r("GET", "/web/api/unknown"), None);
    }
}
