//! Issue 17, item 1: one small request must never stop the gateway. Deeply nested SQL and
//! JSON on every route get a 400 in the caller's dialect (ClickHouse code 167,
//! `TOO_DEEP_AST`, for SQL), long flat `OR`/`AND` lists run, statements just inside the depth
//! bound run to the end, and the server keeps serving throughout.

mod common;

use common::*;

/// `SQL_DEPTH_MAX` in `src/limits.rs`.
const SQL_DEPTH_MAX: usize = 256;

/// Each shape of the issue, `n` levels deep (or `n` terms long).
fn shapes(n: usize) -> Vec<(&'static str, String)> {
    vec![
        (
            "parentheses",
            format!("select {}1{}", "(".repeat(n), ")".repeat(n)),
        ),
        ("plus chain", format!("select 1{}", "+1".repeat(n))),
        ("not chain", format!("select {}true", "not ".repeat(n))),
        ("minus chain", format!("select {}1", "- ".repeat(n))),
        (
            "subqueries",
            format!(
                "select * from {}L{}",
                "(select * from ".repeat(n),
                ")".repeat(n)
            ),
        ),
        (
            "function calls",
            format!("select {}1{}", "abs(".repeat(n), ")".repeat(n)),
        ),
        (
            "IN lists",
            format!(
                "select * from L where v in {}1{}",
                "(".repeat(n),
                ")".repeat(n)
            ),
        ),
    ]
}

fn shape(n: usize, name: &str) -> String {
    shapes(n)
        .into_iter()
        .find_map(|(what, sql)| (what == name).then_some(sql))
        .unwrap_or_else(|| panic!("no shape {name}"))
}

fn setup() -> Server {
    let s = Server::start("deep");
    create_tag_table(&s, "T");
    machbase_ddl(&s, "create table L (v double)", "Created successfully.");
    machbase_write_ok(
        &s,
        "L",
        r#"{"data":{"columns":["v"],"rows":[[1],[2],[3]]}}"#,
        3,
    );
    s
}

fn assert_alive(s: &Server) {
    let r = s.get("/healthz");
    assert_eq!(r.status, 200, "the server stopped answering");
    assert_eq!(query_csv(s, "select count(*) from L"), "count(*)\n3\n\n");
}

/// Every SQL route, each as its dialect shapes errors: (route, status, body).
fn run_everywhere(s: &Server, sql: &str) -> Vec<(&'static str, u16, String)> {
    let form = format!("q={}", enc(sql));
    let json = format!(
        r#"{{"q":"{}"}}"#,
        sql.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let search = format!(
        r#"{{"query":"{}"}}"#,
        sql.replace('\\', "\\\\").replace('"', "\\\"")
    );
    let mut out = Vec::new();
    let mut push = |route, r: Response| out.push((route, r.status, r.text()));
    push(
        "POST /db/query (form)",
        s.post(
            "/db/query",
            "application/x-www-form-urlencoded",
            form.as_bytes(),
        ),
    );
    push(
        "POST /db/query (json)",
        s.post("/db/query", "application/json", json.as_bytes()),
    );
    push(
        "POST /",
        s.snapshot_request("POST", "/", &[], sql.as_bytes()),
    );
    push(
        "POST /proton/v1/search",
        s.post("/proton/v1/search", "application/json", search.as_bytes()),
    );
    // A GET carries the SQL in its head, which holds 16 KiB: send it where it fits.
    let query = enc(sql);
    if query.len() < 15_000 {
        push("GET /db/query", s.get(&format!("/db/query?q={query}")));
        push("GET /?query=", s.snapshot_get(&format!("/?query={query}")));
    }
    out
}

/// `SQL_BYTES_MAX` and `CONTROL_BODY_BYTES_MAX` in `src/limits.rs`.
const SQL_BYTES_MAX: usize = 1 << 20;

fn assert_too_deep(route: &str, status: u16, body: &str, what: &str) {
    if status == 413 {
        // Deep and also too long: refused by size before it is parsed.
        assert!(body.contains("1048576 bytes"), "{what} on {route}: {body}");
        return;
    }
    assert_eq!(status, 400, "{what} on {route}: {body}");
    assert!(
        body.contains("sql_depth_max (256)"),
        "{what} on {route}: {body}"
    );
    if route == "POST /" || route.starts_with("GET /?") {
        assert!(body.starts_with("Code: 167."), "{what} on {route}: {body}");
        assert!(body.contains("(TOO_DEEP_AST)"), "{what} on {route}: {body}");
    } else if route.contains("proton") {
        assert!(body.contains(r#""code":167"#), "{what} on {route}: {body}");
    } else {
        assert!(
            body.starts_with(r#"{"success":false,"reason":"at byte "#),
            "{what} on {route}: {body}"
        );
    }
}

#[test]
fn nesting_100000_deep_is_refused_on_every_route_and_the_server_keeps_serving() {
    let s = setup();
    for n in [100_000, 2_000, SQL_DEPTH_MAX + 1] {
        for (what, sql) in shapes(n) {
            for (route, status, body) in run_everywhere(&s, &sql) {
                assert!(
                    status != 413 || sql.len() > SQL_BYTES_MAX / 2,
                    "{what}: {body}"
                );
                assert_too_deep(route, status, &body, &format!("{n} × {what}"));
            }
            assert_alive(&s);
        }
    }
}

#[test]
fn statements_just_inside_the_bound_run_to_the_end() {
    let s = setup();
    // The select list, the subquery and the expression each take a level or two of the
    // bound; these are the deepest of each shape that still fit.
    let n = SQL_DEPTH_MAX - 4;
    let expect = [
        ("parentheses", "1"),
        ("plus chain", &*(n + 1).to_string()),
        (
            "not chain",
            if n.is_multiple_of(2) { "true" } else { "false" },
        ),
        ("minus chain", "1"),
        ("function calls", "1"),
    ];
    for (what, want) in expect {
        let sql = shape(n, what);
        let form = format!("q={}&format=csv&heading=false", enc(&sql));
        let r = s.post(
            "/db/query",
            "application/x-www-form-urlencoded",
            form.as_bytes(),
        );
        assert_eq!((r.status, r.text().trim()), (200, want), "{what}");
    }
    let subqueries = shape(n, "subqueries");
    let r = s.snapshot_request(
        "POST",
        "/",
        &[],
        format!("{subqueries} order by v").as_bytes(),
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "1\n2\n3\n".into()),
        "subqueries"
    );
    // The deepest expressions, evaluated on every row of a scan, on each route.
    let filter = format!(
        "select count(*) from L where {}v{} > 1",
        "abs(".repeat(n),
        ")".repeat(n)
    );
    for (route, status, body) in run_everywhere(&s, &filter) {
        assert_eq!(status, 200, "{route}: {body}");
        assert!(body.contains('2'), "{route}: {body}");
    }
    assert_alive(&s);
}

#[test]
fn long_flat_or_and_and_lists_run() {
    let s = setup();
    for n in [20_000, 100_000] {
        let or = format!("select count(*) from L where {}v=3", "v=2 or ".repeat(n));
        assert_eq!(query_csv_post(&s, &or), "count(*)\n2\n\n", "{n} ORs");
        let and = format!("select count(*) from L where {}v>1", "v<3 and ".repeat(n));
        assert_eq!(query_csv_post(&s, &and), "count(*)\n1\n\n", "{n} ANDs");
        let proton = s.snapshot_request("POST", "/", &[], or.as_bytes());
        assert_eq!(
            (proton.status, proton.text()),
            (200, "2\n".into()),
            "{n} ORs on /"
        );
    }
    let names = (0..20_000)
        .map(|i| format!("name = 'tag{i}'"))
        .collect::<Vec<_>>();
    let sql = format!("select count(*) from T where {}", names.join(" or "));
    assert_eq!(query_csv_post(&s, &sql), "count(*)\n0\n\n");
    assert_alive(&s);
}

fn query_csv_post(s: &Server, sql: &str) -> String {
    let body = format!(r#"{{"q":"{}","format":"csv"}}"#, sql);
    let r = s.post("/db/query", "application/json", body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[test]
fn json_nested_100000_deep_is_refused_on_every_json_route() {
    let s = setup();
    create_stream(&s, "st (id int)");
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let deep_object = |n: usize| format!("{}1{}", r#"{"a":"#.repeat(n), "}".repeat(n));
    for n in [100_000, 65] {
        let bodies: Vec<(&str, &str, String)> = vec![
            ("/db/write/L", "application/json", deep(n)),
            (
                "/db/write/L",
                "application/json",
                format!(r#"{{"data":{{"columns":["v"],"rows":[[{}]]}}}}"#, deep(n)),
            ),
            (
                "/db/write/L",
                "application/x-ndjson",
                format!("{}\n", deep_object(n)),
            ),
            (
                "/db/query",
                "application/json",
                format!(r#"{{"q":"select 1","p":{}}}"#, deep(n)),
            ),
            ("/web/api/login", "application/json", deep_object(n)),
            (
                "/proton/v1/ingest/streams/st",
                "application/json",
                deep_object(n),
            ),
            (
                "/proton/v1/ingest/streams/st",
                "application/json",
                format!(r#"{{"columns":["id"],"data":[{}]}}"#, deep(n)),
            ),
            ("/proton/v1/search", "application/json", deep_object(n)),
            ("/proton/v1/ddl/streams", "application/json", deep_object(n)),
        ];
        for (path, content_type, body) in bodies {
            let r = s.post(path, content_type, body.as_bytes());
            let text = r.text();
            assert_eq!(r.status, 400, "{n} deep on {path}: {text}");
            // Either the tokenizer's nesting bound, or the row walker refusing a container
            // where a value must be, whichever comes first.
            assert!(
                text.contains("nesting deeper than 64 levels")
                    || text.contains("not an array or object"),
                "{n} deep on {path}: {text}"
            );
            assert_alive(&s);
        }
    }
    assert_eq!(proton_query(&s, "select count(*) from table(st)"), "0\n");
}

#[test]
fn aliases_repeated_in_order_by_and_group_by_are_bounded() {
    let s = setup();
    let n = SQL_DEPTH_MAX - 4;
    // The deepest alias under the deepest ORDER BY expression: twice the bound, still runs.
    let deep = format!("{}v{}", "abs(".repeat(n), ")".repeat(n));
    // An even number of minus signs: the order is by `a` itself.
    let sql = format!(
        "select {deep} as a from L order by {}a desc",
        "- ".repeat(n)
    );
    let r = s.snapshot_request("POST", "/", &[], sql.as_bytes());
    assert_eq!((r.status, r.text()), (200, "3\n2\n1\n".into()));
    // A 20,000-item alias named 20,000 times would copy 400 million nodes.
    let list = (0..20_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let uses = vec!["a"; 20_000].join(" or ");
    for sql in [
        format!("select v in ({list}) as a from L order by {uses}"),
        format!(
            "select v in ({list}) as a from L group by {}",
            vec!["1"; 20_000].join(",")
        ),
    ] {
        let r = s.snapshot_request("POST", "/", &[], sql.as_bytes());
        assert!(r.status >= 400, "{}", r.text());
        assert!(
            r.text().contains("alias_copy_nodes_max (65536)"),
            "{}",
            r.text()
        );
        let form = format!("q={}", enc(&sql));
        let r = s.post(
            "/db/query",
            "application/x-www-form-urlencoded",
            form.as_bytes(),
        );
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.text().contains("alias_copy_nodes_max (65536)"),
            "{}",
            r.text()
        );
    }
    assert_alive(&s);
}
