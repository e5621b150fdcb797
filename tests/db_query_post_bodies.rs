//! `POST /db/query` takes its request as a JSON object (`application/json`) or as a form
//! (`application/x-www-form-urlencoded`), with the same fields as the GET parameters: `q`,
//! `format`, `timeformat`, `heading`/`header`, and bind parameters `p` for `?` in the SQL.
//! Any other content type is a 415, an empty `q` a 400 `sql text is empty`; each with
//! Machbase's reply shape (reference machbase-neo-api.md §3).
#![allow(clippy::unwrap_used)]

mod common;
use common::{Response, Server, create_tag_table, enc, machbase_write_ok, without_elapse};

/// A server with tag table T holding a,1,1.5 / a,2,2.5 / b,3,3.5 (epoch seconds).
fn server_with_rows(tag: &str) -> Server {
    let s = Server::start(tag);
    create_tag_table(&s, "T");
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        r#"{"data":{"rows":[["a",1,1.5],["a",2,2.5],["b",3,3.5]]}}"#,
        3,
    );
    s
}

fn post_json(s: &Server, content_type: &str, body: &str) -> Response {
    s.post("/db/query", content_type, body.as_bytes())
}

fn post_form(s: &Server, body: &str) -> Response {
    s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    )
}

/// Asserts a Machbase error reply to a request refused before its statement ran: `status`,
/// `{"success":false,"reason":<reason>}` and gin's JSON content type.
fn assert_fails(r: &Response, status: u16, reason: &str, what: &str) {
    assert_fails_as(r, status, reason, "application/json; charset=utf-8", what);
}

/// Asserts a Machbase error reply with its content type: once the statement runs, the
/// requested format's (`application/json` for JSON), as the peer sets it before running.
fn assert_fails_as(r: &Response, status: u16, reason: &str, content_type: &str, what: &str) {
    assert_eq!(
        (r.status, without_elapse(&r.text())),
        (
            status,
            format!(r#"{{"success":false,"reason":"{reason}"}}"#)
        ),
        "{what}"
    );
    assert_eq!(r.header("content-type"), Some(content_type), "{what}");
}

#[test]
fn json_body() {
    let s = server_with_rows("query-json");
    for content_type in ["application/json", "application/json; charset=utf-8"] {
        let r = post_json(
            &s,
            content_type,
            r#"{"q":"select * from T","format":"csv","timeformat":"s"}"#,
        );
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
        assert_eq!(r.text(), "NAME,TIME,VALUE\na,1,1.5\na,2,2.5\nb,3,3.5\n\n");
    }
    // Without `format` the reply is Machbase's JSON; `heading: false` drops the CSV header.
    let r = post_json(
        &s,
        "application/json",
        r#"{"q":"select name, value from T where name = 'b'"}"#,
    );
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        without_elapse(&r.text()),
        r#"{"data":{"columns":["NAME","VALUE"],"types":["string","double"],"rows":[["b",3.5]]},"success":true,"reason":"success"}"#
    );
    let r = post_json(
        &s,
        "application/json",
        r#"{"q":"select value from T","format":"csv","heading":false}"#,
    );
    assert_eq!(r.text(), "1.5\n2.5\n3.5\n\n");
    // A body that is not JSON is a 400 with the decoder's position.
    assert_fails(
        &post_json(&s, "application/json", r#"{"q":"select"#),
        400,
        "unexpected end of JSON input (line 1, byte 12)",
        "truncated JSON",
    );
}

#[test]
fn form_body() {
    let s = server_with_rows("query-form");
    let r = post_form(
        &s,
        &format!(
            "q={}&format=json&timeformat=ms",
            enc("select * from T where name = 'a'")
        ),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(
        without_elapse(&r.text()),
        r#"{"data":{"columns":["NAME","TIME","VALUE"],"types":["string","datetime","double"],"rows":[["a",1000,1.5],["a",2000,2.5]]},"success":true,"reason":"success"}"#
    );
    // `+` is a space in a form, and `header=skip` drops the CSV header.
    let r = post_form(&s, "q=select+value+from+T&format=csv&header=skip");
    assert_eq!((r.status, r.text()), (200, "1.5\n2.5\n3.5\n\n".to_owned()));
}

#[test]
fn other_content_types_are_415() {
    let s = server_with_rows("query-415");
    let cases = [
        ("text/plain", "unsupported content-type: text/plain"),
        ("text/csv", "unsupported content-type: text/csv"),
        (
            "multipart/form-data; boundary=x",
            "unsupported content-type: multipart/form-data",
        ),
    ];
    for (content_type, reason) in cases {
        let r = post_json(&s, content_type, "q=select+*+from+T");
        assert_fails(&r, 415, reason, content_type);
    }
    // No Content-Type at all.
    let r = s.request("POST", "/db/query", &[], b"q=select+*+from+T");
    assert_fails(&r, 415, "unsupported content-type: ", "no content type");
}

#[test]
fn empty_sql_is_400() {
    let s = server_with_rows("query-empty");
    let json = ["{}", r#"{"q":""}"#, r#"{"q":"  \n "}"#, r#"{"q":null}"#];
    for body in json {
        let r = post_json(&s, "application/json", body);
        assert_fails(&r, 400, "sql text is empty", body);
    }
    for body in ["", "q=", "q=++", "format=csv"] {
        assert_fails(&post_form(&s, body), 400, "sql text is empty", body);
    }
}

#[test]
fn bind_parameters() {
    let s = server_with_rows("query-bind");
    // JSON: a string and an integer (a datetime compares in nanoseconds).
    let r = post_json(
        &s,
        "application/json",
        r#"{"q":"select time, value from T where name = ? and time >= ?","p":["a",2000000000],"format":"csv","timeformat":"s"}"#,
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "TIME,VALUE\n2,2.5\n\n".to_owned())
    );
    // JSON: a float and null (`value > NULL` is never true).
    let r = post_json(
        &s,
        "application/json",
        r#"{"q":"select name from T where value > ?","p":[2.0],"format":"csv"}"#,
    );
    assert_eq!(r.text(), "NAME\na\nb\n\n");
    let r = post_json(
        &s,
        "application/json",
        r#"{"q":"select name from T where value > ?","p":[null],"format":"csv"}"#,
    );
    assert_eq!(r.text(), "NAME\n\n");
    // Form and GET: `p` is a JSON array in text.
    let p = enc(r#"["b"]"#);
    let sql = enc("select name, value from T where name = ?");
    let r = post_form(&s, &format!("q={sql}&p={p}&format=csv"));
    assert_eq!(r.text(), "NAME,VALUE\nb,3.5\n\n");
    let r = s.get(&format!("/db/query?q={sql}&p={p}&format=csv"));
    assert_eq!(r.text(), "NAME,VALUE\nb,3.5\n\n");

    // Too few parameters is found while the statement runs.
    let errors = [
        (
            r#"{"q":"select * from T where name = ?"}"#,
            "the statement has more `?` than the 0 bind parameter(s) given in p",
        ),
        (
            r#"{"q":"select * from T where name = ? or name = ?","p":["a"]}"#,
            "the statement has more `?` than the 1 bind parameter(s) given in p",
        ),
    ];
    for (body, reason) in errors {
        let r = post_json(&s, "application/json", body);
        assert_fails_as(&r, 400, reason, "application/json", body);
    }
    let errors = [
        (
            r#"{"q":"select * from T where name = ?","p":[["a"]]}"#,
            "invalid p, bind parameter must be scalar, got []interface {}",
        ),
        (
            r#"{"q":"select * from T where name = ?","p":[{"a":1}]}"#,
            "invalid p, bind parameter must be scalar, got map[string]interface {}",
        ),
        (
            r#"{"q":"select * from T where name = ?","p":"a"}"#,
            "json: cannot unmarshal string into Go struct field QueryRequest.p of type []interface {}",
        ),
    ];
    for (body, reason) in errors {
        assert_fails(&post_json(&s, "application/json", body), 400, reason, body);
    }
    let r = post_form(&s, &format!("q={sql}&p=a"));
    assert_fails(
        &r,
        400,
        "invalid p, invalid character 'a' looking for beginning of value (line 1, byte 0)",
        "form p=a",
    );
    let r = post_form(&s, &format!("q={sql}&p=%7B%7D"));
    assert_fails(
        &r,
        400,
        "invalid p, json: cannot unmarshal object into Go value of type []interface {}",
        "form p={}",
    );
}

#[test]
fn body_over_the_control_limit_is_413() {
    let s = server_with_rows("query-413");
    // CONTROL_BODY_BYTES_MAX in src/limits.rs is 1 MiB.
    let mut body = String::from(r#"{"q":"select * from T","pad":""#);
    body.push_str(&" ".repeat((1 << 20) - body.len() + 1));
    body.push_str("\"}");
    let r = post_json(&s, "application/json", &body);
    assert_fails(
        &r,
        413,
        "request body exceeds control_body_bytes_max (1048576 bytes)",
        "1 MiB + 1 byte",
    );
    assert_eq!(s.get("/healthz").status, 200, "still serving");
}
