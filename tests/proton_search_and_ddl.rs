//! Proton's REST search and streams DDL answer as the peer does (reference proton-api.md §2.2,
//! §2.3, cases 20-24): exact bodies, status codes and error codes, and every malformed body
//! gets Proton's JSON error shape.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_stream, proton_ingest_ok, proton_query};

const ID: (&str, &str) = ("x-proton-query-id", "1402");

fn post(s: &Server, path: &str, body: &str) -> common::Response {
    s.request("POST", path, &[ID], body.as_bytes())
}

/// Asserts a reply: status and exact body.
fn expect(r: &common::Response, status: u16, body: &str) {
    assert_eq!((r.status, r.text().as_str()), (status, body));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
}

/// The JSON body with its `elapsed` value replaced by `E`.
fn without_elapsed(text: &str) -> String {
    let at = text.find("\"elapsed\": ").unwrap() + "\"elapsed\": ".len();
    let end = at + text[at..].find(',').unwrap();
    format!("{}E{}", &text[..at], &text[end..])
}

fn load_foo(s: &Server) {
    create_stream(s, "foo(id int, name string)");
    proton_ingest_ok(
        s,
        "foo",
        r#"{"columns":["id","name"],"data":[[1,"hello"],[2,"world"],[3,"a/b"]]}"#,
    );
}

#[test]
fn search_answers_json_compact() {
    let s = Server::start("proton-search");
    load_foo(&s);
    let r = post(
        &s,
        "/proton/v1/search",
        r#"{"query":"SELECT id, name FROM table(foo) ORDER BY id"}"#,
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-timeplus-query-id"), Some("1402"));
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    assert_eq!(
        without_elapsed(&r.text()),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"int32\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"name\",\n\t\t\t\"type\": \"string\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\
         \t\t[1, \"hello\"],\n\t\t[2, \"world\"],\n\t\t[3, \"a\\/b\"]\n\
         \t],\n\n\t\"rows\": 3,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 3,\n\t\t\"bytes_read\": 73\n\t}\n}\n"
    );
    // offset and page_size page the rows, and the envelope says how many the page saw.
    let r = post(
        &s,
        "/timeplusd/v1/search",
        r#"{"query":"SELECT id FROM foo ORDER BY id","mode":"table","offset":1,"page_size":1}"#,
    );
    assert_eq!(
        without_elapsed(&r.text()),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"int32\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\t\t[2]\n\t],\n\n\t\"rows\": 1,\n\n\
         \t\"rows_before_limit_at_least\": 2,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 3,\n\t\t\"bytes_read\": 73\n\t}\n}\n"
    );
    // `default_format=` chooses another format.
    let r = post(
        &s,
        "/proton/v1/search?default_format=JSONEachRow",
        r#"{"query":"SELECT * FROM table(foo) WHERE id = 1","mode":"verbose"}"#,
    );
    assert!(
        r.text()
            .starts_with("{\"id\":1,\"name\":\"hello\",\"_tp_time\":\""),
        "{}",
        r.text()
    );
}

#[test]
fn search_errors_have_protons_shape() {
    let s = Server::start("proton-search-errors");
    load_foo(&s);
    let cases: &[(&str, u16, &str)] = &[
        // Schema and parameter checks: the handler's own 400s, code 408.
        (
            r#"{}"#,
            400,
            r#"{"code":408,"error_msg":"Required param 'query' is missing.","request_id":"1402"}"#,
        ),
        (
            "",
            400,
            r#"{"code":408,"error_msg":"Required param 'query' is missing.","request_id":"1402"}"#,
        ),
        (
            r#"{"query":1}"#,
            400,
            r#"{"code":408,"error_msg":"Invalid type of param 'query'","request_id":"1402"}"#,
        ),
        (
            r#"{"query":"SELECT id FROM foo","page_size":"2"}"#,
            400,
            r#"{"code":408,"error_msg":"Invalid type of param 'page_size'","request_id":"1402"}"#,
        ),
        (
            r#"{"query":"SELECT id FROM foo","mode":"x"}"#,
            400,
            r#"{"code":408,"error_msg":"Invalid 'mode': x, only support 'standard', 'verbose', 'table'","request_id":"1402"}"#,
        ),
        (
            r#"{"query":"SELECT id FROM foo","offset":1}"#,
            400,
            r#"{"code":408,"error_msg":"Missing 'limit' or 'page_size","request_id":"1402"}"#,
        ),
        (
            r#"{"query":"SELECT id FROM foo","offset":-1,"page_size":2}"#,
            400,
            r#"{"code":408,"error_msg":"Invalid 'limit' or 'page_size","request_id":"1402"}"#,
        ),
        // Malformed JSON: 400 with code 117 (README compatibility table).
        (
            r#"{"query":"#,
            400,
            r#"{"code":117,"error_msg":"JSON: unexpected end of JSON input (line 1, byte 9)","request_id":"1402"}"#,
        ),
        (
            r#"["SELECT 1"]"#,
            400,
            r#"{"code":117,"error_msg":"JSON: the request body must be a JSON object","request_id":"1402"}"#,
        ),
        // Exceptions: the status of Proton's table, the exception text, a newline.
        (
            r#"{"query":"SELECT id FROM nosuch"}"#,
            404,
            "{\"code\":60,\"error_msg\":\"Code: 60. DB::Exception: Stream default.nosuch doesn't exist. (UNKNOWN_STREAM)\",\"request_id\":\"1402\"}\n",
        ),
        (
            r#"{"query":"SELECT nope FROM foo"}"#,
            404,
            "{\"code\":47,\"error_msg\":\"Code: 47. DB::Exception: Missing column: 'nope' in stream foo. (UNKNOWN_IDENTIFIER)\",\"request_id\":\"1402\"}\n",
        ),
        (
            r#"{"query":"SELEC 1"}"#,
            400,
            "{\"code\":62,\"error_msg\":\"Code: 62. DB::Exception: syntax error at byte 0: expected SELECT, INSERT, DELETE, CREATE, DROP, RENAME, ALTER, SHOW or DESCRIBE, but found `SELEC`. (SYNTAX_ERROR)\",\"request_id\":\"1402\"}\n",
        ),
        (
            r#"{"query":"DROP STREAM foo"}"#,
            400,
            "{\"code\":62,\"error_msg\":\"Code: 62. DB::Exception: search runs SELECT statements only. (SYNTAX_ERROR)\",\"request_id\":\"1402\"}\n",
        ),
        (
            r#"{"query":"SELECT id FROM foo","start_time":"2024-01-01"}"#,
            501,
            "{\"code\":48,\"error_msg\":\"Code: 48. DB::Exception: start_time and end_time are not supported by tidegate; filter on _tp_time in WHERE. (NOT_IMPLEMENTED)\",\"request_id\":\"1402\"}\n",
        ),
    ];
    for (body, status, expected) in cases {
        let r = post(&s, "/proton/v1/search", body);
        expect(&r, *status, expected);
    }
    let r = post(
        &s,
        "/proton/v1/search?default_format=Pretty",
        r#"{"query":"SELECT id FROM foo"}"#,
    );
    expect(
        &r,
        404,
        "{\"code\":73,\"error_msg\":\"Code: 73. DB::Exception: Unknown format Pretty. (UNKNOWN_FORMAT)\",\"request_id\":\"1402\"}\n",
    );
    assert_eq!(r.header("x-timeplus-exception-code"), Some("73"));
    // The stream is still there and whole after all of that.
    assert_eq!(
        proton_query(&s, "SELECT id FROM foo ORDER BY id"),
        "1\n2\n3\n"
    );
}

const FOO_DESCRIPTION: &str = r#"{"columns":[{"name":"id","nullable":false,"type":"int32"},{"default":"x","name":"name","nullable":true,"type":"string"},{"default":"now64(3, 'UTC')","name":"_tp_time","nullable":false,"type":"datetime64(3, 'UTC')"}],"engine":"Stream","logstore_flush_messages":0,"logstore_flush_ms":0,"logstore_retention_bytes":-1,"logstore_retention_ms":-1,"mode":"append","name":"foo","order_by_expression":"_tp_time","partition_by_expression":"","primary_key":"_tp_time"}"#;

#[test]
fn ddl_create_list_get_drop() {
    let s = Server::start("proton-ddl");
    // Empty database: an empty list (reference issue #56).
    expect(
        &s.request("GET", "/proton/v1/ddl/streams", &[ID], b""),
        200,
        r#"{"data":[],"request_id":"1402"}"#,
    );
    let r = post(
        &s,
        "/proton/v1/ddl/streams",
        r#"{"name":"foo","columns":[{"name":"id","type":"int"},{"name":"name","type":"string","nullable":true,"default":"x"}]}"#,
    );
    expect(&r, 200, r#"{"request_id":"1402"}"#);
    // Case 23: a changelog stream gets `_tp_delta`.
    let r = post(
        &s,
        "/proton/v1/ddl/streams",
        r#"{"name":"changelog_stream_rest","columns":[{"name":"i","type":"int"}],"mode":"changelog"}"#,
    );
    expect(&r, 200, r#"{"request_id":"1402"}"#);
    let changelog = r#"{"columns":[{"name":"i","nullable":false,"type":"int32"},{"default":"1","name":"_tp_delta","nullable":false,"type":"int8"},{"default":"now64(3, 'UTC')","name":"_tp_time","nullable":false,"type":"datetime64(3, 'UTC')"}],"engine":"Stream","logstore_flush_messages":0,"logstore_flush_ms":0,"logstore_retention_bytes":-1,"logstore_retention_ms":-1,"mode":"changelog","name":"changelog_stream_rest","order_by_expression":"_tp_time","partition_by_expression":"","primary_key":"_tp_time"}"#;
    // Listed by name; Machbase tables are not streams and are not listed.
    common::create_tag_table(&s, "TAGS");
    let list = format!(r#"{{"data":[{changelog},{FOO_DESCRIPTION}],"request_id":"1402"}}"#);
    for path in [
        "/proton/v1/ddl/streams",
        "/proton/v1/ddl/streams/",
        "/proton/v1/ddl/streams/default",
        "/timeplusd/v1/ddl/streams/default/",
    ] {
        expect(&s.request("GET", path, &[ID], b""), 200, &list);
    }
    expect(
        &s.request("GET", "/proton/v1/ddl/streams/default/foo", &[ID], b""),
        200,
        &format!(r#"{{"data":[{FOO_DESCRIPTION}],"request_id":"1402"}}"#),
    );
    // The stream takes rows and its defaults apply.
    proton_ingest_ok(&s, "foo", r#"{"columns":["id"],"data":[[7]]}"#);
    assert_eq!(proton_query(&s, "SELECT id, name FROM foo"), "7\tx\n");
    // Drop; a second drop finds nothing.
    expect(
        &s.request("DELETE", "/proton/v1/ddl/streams/foo", &[ID], b""),
        200,
        r#"{"request_id":"1402"}"#,
    );
    expect(
        &s.request("DELETE", "/proton/v1/ddl/streams/foo?mode=drop", &[ID], b""),
        400,
        r#"{"code":60,"error_msg":"Stream default.foo doesn't exist","request_id":"1402"}"#,
    );
    expect(
        &s.request("GET", "/proton/v1/ddl/streams/default/foo", &[ID], b""),
        404,
        r#"{"code":60,"error_msg":"No stream named 'foo' in database 'default'","request_id":"1402"}"#,
    );
    // A Machbase table is not a stream to drop.
    expect(
        &s.request("DELETE", "/proton/v1/ddl/streams/TAGS", &[ID], b""),
        400,
        r#"{"code":60,"error_msg":"Stream default.TAGS doesn't exist","request_id":"1402"}"#,
    );
}

#[test]
fn ddl_get_follows_protons_routes() {
    let s = Server::start("proton-ddl-routes");
    // Cases 20-22: the segment after `streams/` names a database.
    let cases: &[(&str, &str, u16, &str)] = &[
        (
            "GET",
            "/proton/v1/ddl/streams/nonexist",
            404,
            r#"{"code":81,"error_msg":"Databases nonexist does not exist.","request_id":"1402"}"#,
        ),
        (
            "GET",
            "/proton/v1/ddl/streams/neutron",
            200,
            r#"{"data":[],"request_id":"1402"}"#,
        ),
        (
            "GET",
            "/proton/v1/ddl/streams/neutron/foo",
            404,
            r#"{"code":60,"error_msg":"No stream named 'foo' in database 'neutron'","request_id":"1402"}"#,
        ),
        (
            "DELETE",
            "/proton/v1/ddl/streams/foo?mode=bogus",
            400,
            r#"{"code":408,"error_msg":"No support delete mode: bogus","request_id":"1402"}"#,
        ),
        (
            "DELETE",
            "/proton/v1/ddl/streams/foo?mode=truncate",
            501,
            "{\"code\":48,\"error_msg\":\"Code: 48. DB::Exception: TRUNCATE is not supported by tidegate; drop and create the stream. (NOT_IMPLEMENTED)\",\"request_id\":\"1402\"}\n",
        ),
        (
            "DELETE",
            "/proton/v1/ddl/streams",
            404,
            "{\"code\":78,\"error_msg\":\"Unknown URI\",\"request_id\":\"1402\"}\n",
        ),
    ];
    for (method, path, status, body) in cases {
        expect(&s.request(method, path, &[ID], b""), *status, body);
    }
}

#[test]
fn ddl_create_refusals() {
    let s = Server::start("proton-ddl-errors");
    create_stream(&s, "foo(id int)");
    let err = |code: u32, msg: &str| {
        format!(r#"{{"code":{code},"error_msg":"{msg}","request_id":"1402"}}"#)
    };
    let exception = |code: u32, name: &str, msg: &str| {
        format!(
            "{{\"code\":{code},\"error_msg\":\"Code: {code}. DB::Exception: {msg}. ({name})\",\"request_id\":\"1402\"}}\n"
        )
    };
    let cols = r#""columns":[{"name":"i","type":"int"}]"#;
    let cases: Vec<(String, u16, String)> = vec![
        // Schema: required keys in sorted order, then types.
        ("{}".into(), 400, err(408, "Required param 'columns' is missing.")),
        ("".into(), 400, err(408, "Required param 'columns' is missing.")),
        (format!("{{{cols}}}"), 400, err(408, "Required param 'name' is missing.")),
        (
            r#"{"name":"t","columns":{}}"#.into(),
            400,
            err(408, "Invalid type of param 'columns'"),
        ),
        (
            format!(r#"{{"name":7,{cols}}}"#),
            400,
            err(408, "Invalid type of param 'name'"),
        ),
        (
            format!(r#"{{"name":"t",{cols},"shards":"1"}}"#),
            400,
            err(408, "Invalid type of param 'shards'"),
        ),
        (
            r#"{"name":"t","columns":[{"name":"i"}]}"#.into(),
            400,
            err(408, "Required param 'type' is missing."),
        ),
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int","nullable":"yes"}]}"#.into(),
            400,
            err(408, "Invalid type of param 'nullable'"),
        ),
        (
            r#"{"name":"t","columns":[1]}"#.into(),
            400,
            err(408, "Invalid type of param 'columns'"),
        ),
        // Malformed JSON.
        (
            r#"{"name":"t","#.into(),
            400,
            err(117, "JSON: unexpected end of JSON input (line 1, byte 12)"),
        ),
        // Proton's option checks, in its order.
        (
            format!(r#"{{"name":"t",{cols},"mode":"x"}}"#),
            400,
            err(
                408,
                "Storage 'mode' can be only 'append', 'changelog', 'changelog_kv' or 'versioned_kv'",
            ),
        ),
        // Case 24 without `primary_key`.
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int"},{"name":"k","type":"string"}],"mode":"changelog_kv"}"#.into(),
            400,
            err(408, "changelog kv or versioned kv storage mode requires 'PRIMARY KEY'"),
        ),
        (
            format!(r#"{{"name":"t",{cols},"partition_by_granularity":"Y"}}"#),
            400,
            err(408, "Invalid partition_by_granularity, only `m, H, D, M` are supported"),
        ),
        (
            format!(r#"{{"name":"t",{cols},"shards":2}}"#),
            400,
            err(
                408,
                "Invalid shards \\/ replication factor, local stream shall have only 1 shard and 1 replica",
            ),
        ),
        // Already there.
        (
            format!(r#"{{"name":"foo",{cols}}}"#),
            400,
            err(57, "Stream 'default.foo' already exists."),
        ),
        // A kv key naming a column the stream does not have (Proton: UNKNOWN_IDENTIFIER).
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int"},{"name":"k","type":"string"}],"mode":"versioned_kv","primary_key":"nope"}"#.into(),
            404,
            exception(47, "UNKNOWN_IDENTIFIER", "Missing column: 'nope' in stream t"),
        ),
        // What tidegate cannot honour is refused, not dropped.
        (
            format!(r#"{{"name":"t",{cols},"ttl_expression":"_tp_time + INTERVAL 1 DAY"}}"#),
            501,
            exception(48, "NOT_IMPLEMENTED", "ttl_expression is not supported by tidegate"),
        ),
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int","alias":"1"}]}"#.into(),
            501,
            exception(48, "NOT_IMPLEMENTED", "ALIAS column i is not supported by tidegate"),
        ),
        // Types: unknown (404 as Proton's UNKNOWN_TYPE), unreadable, not stored by tidegate.
        (
            r#"{"name":"t","columns":[{"name":"i","type":"wibble"}]}"#.into(),
            404,
            exception(50, "UNKNOWN_TYPE", "Unknown data type family: wibble"),
        ),
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int32 default 1"}]}"#.into(),
            400,
            exception(62, "SYNTAX_ERROR", "cannot read the type `int32 default 1`"),
        ),
        (
            r#"{"name":"t","columns":[{"name":"i","type":"int","default":"i + 1"}]}"#.into(),
            501,
            exception(
                48,
                "NOT_IMPLEMENTED",
                "DEFAULT `i + 1` for column i (use a literal or now()\\/now64()) is not supported by tidegate",
            ),
        ),
    ];
    for (body, status, expected) in &cases {
        let r = post(&s, "/proton/v1/ddl/streams", body);
        assert_eq!(
            (r.status, r.text()),
            (*status, expected.clone()),
            "body {body}"
        );
    }
    // None of them created anything.
    expect(
        &s.request("GET", "/proton/v1/ddl/streams/default/t", &[ID], b""),
        404,
        r#"{"code":60,"error_msg":"No stream named 't' in database 'default'","request_id":"1402"}"#,
    );
}
