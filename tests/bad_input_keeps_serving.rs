//! Bad JSON, an unknown table or stream, an unknown column and a wrong row width each get
//! the peer's error shape and status; stored rows stay intact and the server keeps serving.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    Server, create_stream, create_tag_table, machbase_query, machbase_write_ok, proton_get,
    proton_ingest_ok, proton_query, query_csv, without_elapse,
};

#[test]
fn machbase_errors() {
    let s = Server::start("bad-machbase");
    create_tag_table(&s, "T");
    let good = r#"{"data":{"columns":["name","time","value"],"rows":[["a",1,1.5]]}}"#;
    machbase_write_ok(&s, "T?timeformat=s", good, 1);
    let before = query_csv(&s, "select * from T");
    assert_eq!(before, "NAME,TIME,VALUE\na,1,1.5\n\n");

    let cases: [(&str, &str, u16, &str); 6] = [
        (
            "/db/write/T",
            r#"{"data":{"rows":[["b",2,x]]}}"#,
            400,
            r#"{"success":false,"reason":"invalid character 'x' looking for beginning of value (line 1, byte 24) (in row 1)"}"#,
        ),
        (
            "/db/write/NOPE",
            good,
            500,
            r#"{"success":false,"reason":"fail to get table info 'NOPE', sql: no rows in result set"}"#,
        ),
        (
            "/db/write/T",
            r#"{"data":{"columns":["name","time","nope"],"rows":[["b",2,1]]}}"#,
            400,
            r#"{"success":false,"reason":"column \"nope\" not found in the table \"T\""}"#,
        ),
        (
            "/db/write/T",
            r#"{"data":{"columns":["name","time","value"],"rows":[["b",2,1],["c",3]]}}"#,
            400,
            r#"{"success":false,"reason":"rows[2] number of columns not matched (2); table 'T' has 3 columns"}"#,
        ),
        (
            "/db/write/T",
            r#"{"data":{"rows":[["b",2,"abc"]]}}"#,
            400,
            r#"{"success":false,"reason":"rows[1] column[2] is not a double, but string (column VALUE: `abc` is not a number)"}"#,
        ),
        (
            "/db/write/T?method=bogus",
            good,
            400,
            r#"{"success":false,"reason":"unsupported method bogus; use insert or append"}"#,
        ),
    ];
    for (path, body, status, reply) in cases {
        let r = s.post(path, "application/json", body.as_bytes());
        assert_eq!(
            (r.status, without_elapse(&r.text())),
            (status, reply.to_owned()),
            "{path} {body}"
        );
    }
    assert_eq!(
        query_csv(&s, "select * from T"),
        before,
        "a rejected request stores nothing"
    );
    let empty = machbase_query(&s, "", "");
    assert_eq!(
        (empty.status, without_elapse(&empty.text())),
        (
            400,
            r#"{"success":false,"reason":"sql text is empty"}"#.to_owned()
        )
    );
    let syntax = machbase_query(&s, "select * from", "");
    assert_eq!(syntax.status, 400);
    assert!(
        syntax.text().contains("syntax error at byte 13"),
        "{}",
        syntax.text()
    );
    let q = s.request(
        "POST",
        "/db/query",
        &[("Content-Type", "text/plain")],
        b"{}",
    );
    assert_eq!(q.status, 415);
    assert!(q.text().contains("unsupported content-type: text/plain"));
    // Still serving.
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        r#"{"data":{"rows":[["b",2,2.5]]}}"#,
        1,
    );
    assert_eq!(
        query_csv(&s, "select * from T"),
        "NAME,TIME,VALUE\na,1,1.5\nb,2,2.5\n\n"
    );
}

#[test]
fn proton_errors() {
    let s = Server::start("bad-proton");
    create_stream(&s, "foo(id int, name string)");
    let ok = r#"{"columns":["id","name"],"data":[[1,"a"]]}"#;
    proton_ingest_ok(&s, "foo", ok);

    let h = [("x-timeplus-request-id", "r1")];
    // The last field: the reply is an exception (thrown while the INSERT runs), which ends in
    // `\n` and names its code in `x-timeplus-exception-code` (reference §1.5, §1.6, case 7).
    let cases: [(&str, &str, u16, &str, bool); 9] = [
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"data":[[1,"a"]]}"#,
            400,
            r#"{"code":117,"error_msg":"Invalid Request, 'columns' field is missing","request_id":"r1"}"#,
            false,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":["id"]}"#,
            400,
            r#"{"code":117,"error_msg":"Invalid Request, missing 'data' field","request_id":"r1"}"#,
            false,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":"id","data":[[1]]}"#,
            400,
            r#"{"code":117,"error_msg":"Invalid Request, 'columns' field is invalid","request_id":"r1"}"#,
            false,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":[],"data":[[1]]}"#,
            400,
            r#"{"code":117,"error_msg":"Invalid Request: 'columns' is empty","request_id":"r1"}"#,
            false,
        ),
        (
            "/proton/v1/ingest/streams/nosuch",
            ok,
            404,
            r#"{"code":60,"error_msg":"Code: 60. DB::Exception: Stream default.nosuch doesn't exist. (UNKNOWN_STREAM)","request_id":"r1"}"#,
            true,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":["id","nope"],"data":[[1,"x"]]}"#,
            400,
            r#"{"code":16,"error_msg":"No such column nope in stream default.foo","request_id":"r1"}"#,
            true,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":["id","name"],"data":[[1,"x",1]]}"#,
            400,
            r#"{"code":27,"error_msg":"Code: 27. DB::ParsingException: Cannot parse input: row has 3 values, but 'columns' lists 2: (at row 1)","request_id":"r1"}"#,
            true,
        ),
        (
            "/proton/v1/ingest/streams/foo?mode=bogus",
            ok,
            400,
            r#"{"code":408,"error_msg":"No support ingest mode: bogus","request_id":"r1"}"#,
            false,
        ),
        (
            "/proton/v1/ingest/streams/foo",
            r#"{"columns":["id","name"],"data":[[1,"x"]"#,
            400,
            r#"{"code":117,"error_msg":"JSON: unexpected end of JSON input (line 1, byte 40)","request_id":"r1"}"#,
            false,
        ),
    ];
    for (path, body, status, reply, exception) in cases {
        let r = s.request("POST", path, &h, body.as_bytes());
        let newline = if exception { "\n" } else { "" };
        assert_eq!(
            (r.status, r.text()),
            (status, format!("{reply}{newline}")),
            "{path} {body}"
        );
        let code = reply
            .strip_prefix("{\"code\":")
            .and_then(|rest| rest.split(',').next());
        assert_eq!(
            r.header("x-timeplus-exception-code"),
            code.filter(|_| exception),
            "{path} {body}"
        );
    }
    let unknown = s.request(
        "POST",
        "/proton/v1/ingest/streams/foo?format=lines",
        &h,
        ok.as_bytes(),
    );
    assert_eq!(
        (unknown.status, unknown.text()),
        (
            404,
            "{\"code\":78,\"error_msg\":\"Unknown URI\",\"request_id\":\"r1\"}\n".to_owned()
        )
    );
    let q = proton_get(&s, "SELECT id, name FROM table(nosuch)");
    assert_eq!(q.status, 404);
    assert!(
        q.text()
            .starts_with("Code: 60. DB::Exception: Stream default.nosuch doesn't exist")
    );
    // SQL_BYTES_MAX in src/limits.rs is 1 MiB.
    let long = s.request("POST", "/", &[], &vec![b' '; (1 << 20) + 1]);
    assert_eq!(
        (long.status, long.text()),
        (
            413,
            "Code: 229. DB::Exception: request body exceeds sql_bytes_max (1048576 bytes). (QUERY_IS_TOO_LARGE)\n".to_owned()
        )
    );
    assert_eq!(
        proton_query(&s, "SELECT id, name FROM table(foo)"),
        "1\ta\n",
        "rejected requests stored nothing"
    );
}
