//! `/db/query` answers every output format and parameter as Machbase Neo does (reference
//! machbase-neo-api.md §3, acceptance cases Q1, Q4–Q8, Q14, Q18–Q21 of §6.2): `format=json|
//! csv|ndjson|box|markdown`, `rownum`, `heading`/`header=skip`, `precision`, `transpose`,
//! `rowsFlatten`, `rowsArray`, `compress=gzip`, `delimiter`, `box*`, `binaryformat`,
//! `timeformat` and `tz`; each the same through GET, a JSON POST (typed) and a form POST.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Response, Server, create_tag_table, enc, machbase_write_ok, without_elapse};

/// The fixture of the peer's tests (§6.2): `temp` at 1705291859 s with 3.14, and
/// `test.query` at 1705291859+i s with 1.5·i for i = 1..3.
fn server_with_example(tag: &str) -> Server {
    let s = Server::start(tag);
    create_tag_table(&s, "EXAMPLE");
    machbase_write_ok(
        &s,
        "EXAMPLE?timeformat=s",
        r#"{"data":{"rows":[["temp",1705291859,3.14],["test.query",1705291860,1.5],["test.query",1705291861,3],["test.query",1705291862,4.5]]}}"#,
        4,
    );
    s
}

/// One request parameter, typed as a JSON body carries it.
#[derive(Clone, Copy)]
enum P<'a> {
    S(&'a str),
    B(bool),
    I(i64),
    /// JSON text, sent raw in a JSON body and as text in GET and forms (`p`).
    Json(&'a str),
}

impl P<'_> {
    fn text(self) -> String {
        match self {
            P::S(s) | P::Json(s) => s.to_owned(),
            P::B(b) => b.to_string(),
            P::I(i) => i.to_string(),
        }
    }

    fn json(self) -> String {
        match self {
            P::S(s) => format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            other => other.text(),
        }
    }
}

/// What is compared across the three ways: status, content type, encoding, body (inflated
/// if gzip, without `elapse`).
fn summary(r: &Response) -> (u16, Option<String>, Option<String>, String) {
    let body = match r.header("content-encoding") {
        Some("gzip") => gunzip(&r.body),
        _ => r.body.clone(),
    };
    (
        r.status,
        r.header("content-type").map(str::to_owned),
        r.header("content-encoding").map(str::to_owned),
        without_elapse(&String::from_utf8(body).unwrap()),
    )
}

/// Sends `params` as GET, JSON POST and form POST; asserts the three replies agree and
/// returns (status, content type, content encoding, body without elapse).
fn query(s: &Server, params: &[(&str, P)]) -> (u16, Option<String>, Option<String>, String) {
    let form: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", enc(&v.text())))
        .collect();
    let form = form.join("&");
    let json: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("\"{k}\":{}", v.json()))
        .collect();
    let json = format!("{{{}}}", json.join(","));
    let get = summary(&s.get(&format!("/db/query?{form}")));
    let posted_json = summary(&s.post("/db/query", "application/json", json.as_bytes()));
    let posted_form = summary(&s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        form.as_bytes(),
    ));
    assert_eq!(get, posted_json, "GET vs JSON {json}");
    assert_eq!(get, posted_form, "GET vs form {form}");
    get
}

/// A gzip member's data: header checked, deflate inflated, CRC-32 and length checked.
fn gunzip(member: &[u8]) -> Vec<u8> {
    assert_eq!(&member[..3], [0x1f, 0x8b, 8], "gzip magic and deflate");
    let (deflated, trailer) = member[10..].split_at(member.len() - 18);
    let data = miniz_oxide::inflate::decompress_to_vec(deflated).unwrap();
    let mut crc = crc32fast::Hasher::new();
    crc.update(&data);
    assert_eq!(trailer[..4], crc.finalize().to_le_bytes(), "CRC-32");
    assert_eq!(trailer[4..], (data.len() as u32).to_le_bytes(), "ISIZE");
    data
}

fn ok(content_type: &str, body: &str) -> (u16, Option<String>, Option<String>, String) {
    (200, Some(content_type.into()), None, body.into())
}

fn failed(status: u16, reason: &str) -> (u16, Option<String>, Option<String>, String) {
    (
        status,
        Some("application/json; charset=utf-8".into()),
        None,
        format!(r#"{{"success":false,"reason":"{reason}"}}"#),
    )
}

const TEMP: &str = "select name, time, value from EXAMPLE where name = 'temp'";
const TIMES: &str = "select time from EXAMPLE where name = ?";

#[test]
fn q1_box_of_a_select_without_from() {
    let s = Server::start("query-q1");
    let got = query(
        &s,
        &[("q", P::S("select 123 as VaLue")), ("format", P::S("box"))],
    );
    assert_eq!(
        got,
        ok(
            "text/plain",
            "+-------+\n| VALUE |\n+-------+\n| 123   |\n+-------+\n"
        )
    );
}

#[test]
fn box_headers_rownum_styles_and_no_rows() {
    let s = server_with_example("query-box");
    let got = query(
        &s,
        &[
            ("q", P::S(TEMP)),
            ("format", P::S("box")),
            ("timeformat", P::S("Default")),
            ("tz", P::S("Asia/Seoul")),
            ("rownum", P::B(true)),
        ],
    );
    assert_eq!(
        got,
        ok(
            "text/plain",
            "+--------+------+---------------------+-------+\n\
             | ROWNUM | NAME | TIME(ASIA/SEOUL)    | VALUE |\n\
             +--------+------+---------------------+-------+\n\
             |      1 | temp | 2024-01-15 13:10:59 | 3.14  |\n\
             +--------+------+---------------------+-------+\n"
        )
    );
    // Epoch units carry no zone; header=skip drops the header block; light style.
    let got = query(
        &s,
        &[
            ("q", P::S(TEMP)),
            ("format", P::S("box")),
            ("header", P::S("skip")),
            ("boxStyle", P::S("light")),
        ],
    );
    assert_eq!(
        got.3,
        "┌──────┬─────────────────────┬──────┐\n\
         │ temp │ 1705291859000000000 │ 3.14 │\n\
         └──────┴─────────────────────┴──────┘\n"
    );
    let got = query(
        &s,
        &[
            ("q", P::S(TEMP)),
            ("format", P::S("box")),
            ("timeformat", P::S("s")),
            ("boxDrawBorder", P::B(false)),
            ("boxSeparateColumns", P::B(false)),
        ],
    );
    assert_eq!(
        got.3,
        " NAME  TIME        VALUE \n-------------------------\n temp  1705291859  3.14  \n"
    );
    // No rows: nothing rendered, the peer's summary instead, still text/plain.
    let got = query(
        &s,
        &[
            ("q", P::S("select * from EXAMPLE where name = 'none'")),
            ("format", P::S("box")),
        ],
    );
    assert_eq!(
        got,
        ok(
            "text/plain",
            r#"{"success":true,"reason":"no rows selected."}"#
        )
    );
}

#[test]
fn q4_q5_csv_header_and_header_skip() {
    let s = server_with_example("query-csv");
    let p = P::Json(r#"["temp"]"#);
    let got = query(&s, &[("q", P::S(TIMES)), ("p", p), ("format", P::S("csv"))]);
    assert_eq!(
        got,
        ok("text/csv; charset=utf-8", "TIME\n1705291859000000000\n\n")
    );
    let got = query(
        &s,
        &[
            ("q", P::S(TIMES)),
            ("p", p),
            ("format", P::S("csv")),
            ("header", P::S("skip")),
            ("timeformat", P::S("s")),
        ],
    );
    assert_eq!(got, ok("text/csv; charset=utf-8", "1705291859\n\n"));
    // heading=false does the same; rownum puts ROWNUM first.
    let got = query(
        &s,
        &[
            ("q", P::S("select name, value from EXAMPLE")),
            ("format", P::S("csv")),
            ("heading", P::B(false)),
            ("rownum", P::B(true)),
        ],
    );
    assert_eq!(
        got.3,
        "1,temp,3.14\n2,test.query,1.5\n3,test.query,3\n4,test.query,4.5\n\n"
    );
}

#[test]
fn csv_delimiter_from_a_json_body() {
    let s = server_with_example("query-delimiter");
    let r = s.post(
        "/db/query",
        "application/json",
        br#"{"q":"select name, value from EXAMPLE where name = 'temp'","format":"csv","delimiter":";"}"#,
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "NAME;VALUE\ntemp;3.14\n\n".into())
    );
    // As the peer, GET and forms do not read it.
    let r = s.get(&format!("/db/query?q={}&format=csv&delimiter=;", enc(TEMP)));
    assert!(r.text().starts_with("NAME,TIME,VALUE\n"), "{}", r.text());
    let r = s.post(
        "/db/query",
        "application/json",
        br#"{"q":"select 1 from EXAMPLE","format":"csv","delimiter":"\""}"#,
    );
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn q6_q7_q8_json_shapes() {
    let s = server_with_example("query-shapes");
    let q = "select name, value from EXAMPLE where name = 'test.query'";
    let data = |extra: &[(&str, P)]| {
        let mut params = vec![("q", P::S(q))];
        params.extend_from_slice(extra);
        let got = query(&s, &params);
        assert_eq!((got.0, got.1.as_deref()), (200, Some("application/json")));
        got.3
    };
    let columns = r#"{"data":{"columns":["NAME","VALUE"],"types":["string","double"],"#;
    let end = r#"},"success":true,"reason":"success"}"#;
    assert_eq!(
        data(&[]),
        format!(r#"{columns}"rows":[["test.query",1.5],["test.query",3],["test.query",4.5]]{end}"#)
    );
    assert_eq!(
        data(&[("transpose", P::B(true))]),
        format!(r#"{columns}"cols":[["test.query","test.query","test.query"],[1.5,3,4.5]]{end}"#)
    );
    assert_eq!(
        data(&[("rowsFlatten", P::B(true))]),
        format!(r#"{columns}"rows":["test.query",1.5,"test.query",3,"test.query",4.5]{end}"#)
    );
    assert_eq!(
        data(&[("rowsArray", P::B(true)), ("transpose", P::B(true))]),
        format!(
            r#"{columns}"rows":[{{"NAME":"test.query","VALUE":1.5}},{{"NAME":"test.query","VALUE":3}},{{"NAME":"test.query","VALUE":4.5}}]{end}"#
        )
    );
    let with_rownum = format!(
        r#"{{"data":{{"columns":["ROWNUM","NAME","VALUE"],"types":["int64","string","double"],"rows":[[1,"test.query",1.50],[2,"test.query",3.00],[3,"test.query",4.50]]{end}"#
    );
    assert_eq!(
        data(&[("rownum", P::B(true)), ("precision", P::I(2))]),
        with_rownum
    );
    // An unknown format is JSON, as the peer.
    assert_eq!(
        data(&[("format", P::S("yaml")), ("rowsFlatten", P::B(true))]),
        data(&[("rowsFlatten", P::B(true))])
    );
}

#[test]
fn ndjson_and_markdown() {
    let s = server_with_example("query-ndjson-md");
    let q = P::S("select name, time, value from EXAMPLE where name = 'test.query' limit 2");
    let got = query(
        &s,
        &[
            ("q", q),
            ("format", P::S("ndjson")),
            ("timeformat", P::S("ms")),
        ],
    );
    assert_eq!(
        got,
        ok(
            "application/x-ndjson",
            "{\"NAME\":\"test.query\",\"TIME\":1705291860000,\"VALUE\":1.5}\n{\"NAME\":\"test.query\",\"TIME\":1705291861000,\"VALUE\":3}\n\n"
        )
    );
    let got = query(
        &s,
        &[
            ("q", q),
            ("format", P::S("markdown")),
            ("timeformat", P::S("RFC3339")),
            ("tz", P::S("KST")),
            ("rownum", P::B(true)),
            ("precision", P::I(1)),
        ],
    );
    assert_eq!(
        got,
        ok(
            "text/markdown",
            "|ROWNUM|NAME|TIME|VALUE|\n|:-----|:-----|:-----|:-----|\n|1|test.query|2024-01-15T13:11:00+09:00|1.5|\n|2|test.query|2024-01-15T13:11:01+09:00|3.0|\n"
        )
    );
}

#[test]
fn precision_rounds_and_is_bounded() {
    let s = server_with_example("query-precision");
    let got = query(
        &s,
        &[
            ("q", P::S(TEMP)),
            ("format", P::S("csv")),
            ("precision", P::I(0)),
        ],
    );
    assert_eq!(got.3, "NAME,TIME,VALUE\ntemp,1705291859000000000,3\n\n");
    // Negative is the default, shortest round-trip.
    let got = query(
        &s,
        &[
            ("q", P::S(TEMP)),
            ("format", P::S("csv")),
            ("precision", P::I(-5)),
        ],
    );
    assert_eq!(got.3, "NAME,TIME,VALUE\ntemp,1705291859000000000,3.14\n\n");
    let got = query(&s, &[("q", P::S(TEMP)), ("precision", P::I(65))]);
    assert_eq!(
        got,
        failed(400, "precision 65 is more than PRECISION_DIGITS_MAX (64)")
    );
}

#[test]
fn q14_q18_q19_request_errors() {
    let s = server_with_example("query-errors");
    // Q14: checked before anything else, so JSON whatever the format.
    let got = query(&s, &[("q", P::S("")), ("format", P::S("box"))]);
    assert_eq!(got, failed(400, "sql text is empty"));
    // Q18.
    let r = s.post(
        "/db/query",
        "text/plain",
        format!(r#"{{"q":"{TEMP}"}}"#).as_bytes(),
    );
    assert_eq!(
        summary(&r),
        failed(415, "unsupported content-type: text/plain")
    );
    // Q19.
    let got = query(&s, &[("q", P::S(TEMP)), ("tz", P::S("Invalid/Location"))]);
    assert_eq!(got, failed(400, "unknown time zone Invalid/Location"));
}

#[test]
fn json_bodies_are_typed_like_go() {
    let s = server_with_example("query-json-types");
    let cases = [
        (
            r#"{"q":"select 1 from EXAMPLE","rownum":"true"}"#,
            "json: cannot unmarshal string into Go struct field QueryRequest.rownum of type bool",
        ),
        (
            r#"{"q":"select 1 from EXAMPLE","precision":"3"}"#,
            "json: cannot unmarshal string into Go struct field QueryRequest.precision of type int",
        ),
        (
            r#"{"q":"select 1 from EXAMPLE","format":1}"#,
            "json: cannot unmarshal number into Go struct field QueryRequest.format of type string",
        ),
    ];
    for (body, reason) in cases {
        let r = s.post("/db/query", "application/json", body.as_bytes());
        assert_eq!(summary(&r), failed(400, reason), "{body}");
    }
    // GET and forms read the same parameters leniently: `rownum=yes` is false.
    let r = s.get(&format!("/db/query?q={}&format=csv&rownum=yes", enc(TEMP)));
    assert_eq!(
        r.text(),
        "NAME,TIME,VALUE\ntemp,1705291859000000000,3.14\n\n"
    );
}

#[test]
fn q20_gzip_streams_every_format() {
    let s = server_with_example("query-gzip");
    let got = query(
        &s,
        &[
            (
                "q",
                P::S("select * from EXAMPLE where name = 'temp' limit 10"),
            ),
            ("format", P::S("csv")),
            ("compress", P::S("gzip")),
        ],
    );
    assert_eq!(
        got,
        (
            200,
            Some("text/csv; charset=utf-8".into()),
            Some("gzip".into()),
            "NAME,TIME,VALUE\ntemp,1705291859000000000,3.14\n\n".into()
        )
    );
    // Any other value is no compression, as the peer.
    let r = s.get(&format!(
        "/db/query?q={}&format=csv&compress=GZIP",
        enc(TEMP)
    ));
    assert_eq!(r.header("content-encoding"), None);
    for format in ["json", "ndjson", "box", "markdown"] {
        let plain = query(&s, &[("q", P::S(TEMP)), ("format", P::S(format))]);
        let gzip = query(
            &s,
            &[
                ("q", P::S(TEMP)),
                ("format", P::S(format)),
                ("compress", P::S("gzip")),
            ],
        );
        assert_eq!(gzip.2.as_deref(), Some("gzip"), "{format}");
        assert_eq!(
            (plain.0, plain.1, plain.3),
            (gzip.0, gzip.1, gzip.3),
            "{format}"
        );
    }
}

#[test]
fn statement_and_error_replies_take_the_formats_type_and_gzip() {
    let s = server_with_example("query-ddl-gzip");
    let reply = |status: u16, content_type: &str, encoding: Option<&str>, body: &str| {
        (
            status,
            Some(content_type.to_owned()),
            encoding.map(str::to_owned),
            body.to_owned(),
        )
    };
    let created = r#"{"success":true,"reason":"Created successfully."}"#;
    // Q10: a DDL reply in the default format carries JSON's encoder type, without charset.
    let ddl = "CREATE TAG TABLE IF NOT EXISTS T (name varchar(40) primary key, time datetime basetime, value double)";
    assert_eq!(
        query(&s, &[("q", P::S(ddl))]),
        reply(200, "application/json", None, created)
    );
    // The peer sets the type and encoding before it runs the statement (reference §3.2).
    for (format, content_type) in [
        ("csv", "text/csv; charset=utf-8"),
        ("box", "text/plain"),
        ("ndjson", "application/x-ndjson"),
        ("markdown", "text/markdown"),
        ("json", "application/json"),
    ] {
        assert_eq!(
            query(&s, &[("q", P::S(ddl)), ("format", P::S(format))]),
            reply(200, content_type, None, created),
            "{format}"
        );
        assert_eq!(
            query(
                &s,
                &[
                    ("q", P::S(ddl)),
                    ("format", P::S(format)),
                    ("compress", P::S("gzip"))
                ]
            ),
            reply(200, content_type, Some("gzip"), created),
            "{format} gzip"
        );
    }
    let insert = "INSERT INTO T VALUES('a', 1705291859000000000, 1.5)";
    assert_eq!(
        query(
            &s,
            &[
                ("q", P::S(insert)),
                ("format", P::S("csv")),
                ("compress", P::S("gzip"))
            ]
        ),
        reply(
            200,
            "text/csv; charset=utf-8",
            Some("gzip"),
            r#"{"success":true,"reason":"a row inserted."}"#
        )
    );
    // Errors of the statement itself (unknown table, syntax) too.
    assert_eq!(
        query(
            &s,
            &[
                ("q", P::S("select * from NOPE")),
                ("format", P::S("csv")),
                ("compress", P::S("gzip"))
            ]
        ),
        reply(
            400,
            "text/csv; charset=utf-8",
            Some("gzip"),
            r#"{"success":false,"reason":"table NOPE does not exist"}"#
        )
    );
    let (status, content_type, encoding, body) =
        query(&s, &[("q", P::S("selec 1")), ("format", P::S("box"))]);
    assert_eq!(
        (status, content_type.as_deref(), encoding),
        (400, Some("text/plain"), None),
        "{body}"
    );
    // Refused before the statement runs (Q14, Q19): gin's JSON type, never compressed.
    for (q, tz, reason) in [
        ("", "UTC", "sql text is empty"),
        (
            "select 1",
            "Invalid/Location",
            "unknown time zone Invalid/Location",
        ),
    ] {
        assert_eq!(
            query(
                &s,
                &[
                    ("q", P::S(q)),
                    ("tz", P::S(tz)),
                    ("format", P::S("csv")),
                    ("compress", P::S("gzip"))
                ]
            ),
            reply(
                400,
                "application/json; charset=utf-8",
                None,
                &format!(r#"{{"success":false,"reason":"{reason}"}}"#)
            ),
            "{reason}"
        );
    }
}

#[test]
fn gzip_of_a_long_result_streams_in_chunks() {
    let s = Server::start("query-gzip-long");
    create_tag_table(&s, "T");
    let rows: Vec<String> = (0..20_000)
        .map(|i| format!(r#"["tag{}",{},{}.25]"#, i % 7, 1_000_000 + i, i))
        .collect();
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        &format!(r#"{{"data":{{"rows":[{}]}}}}"#, rows.join(",")),
        rows.len(),
    );
    let q = enc("select name, time, value from T");
    let plain = s.get(&format!("/db/query?q={q}&format=csv&timeformat=s"));
    let gzip = s.get(&format!(
        "/db/query?q={q}&format=csv&timeformat=s&compress=gzip"
    ));
    assert_eq!(gzip.header("transfer-encoding"), Some("chunked"));
    assert_eq!(plain.text().lines().count(), 20_002);
    assert_eq!(gunzip(&gzip.body), plain.body);
    assert!(gzip.body.len() < plain.body.len() / 3);
}

#[test]
fn q21_binaryformat() {
    let s = Server::start("query-binary");
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        format!(
            "q={}",
            enc("create tag table test_bin (name varchar(40) primary key, time datetime basetime, value binary)")
        )
        .as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    machbase_write_ok(
        &s,
        "test_bin?binaryformat=hex",
        r#"{"data":{"rows":[["name",1,"0x0102A0B0"]]}}"#,
        1,
    );
    let q = P::S("select name, value from test_bin");
    let cases = [
        ("json", "hex", r#"[["name","0x0102a0b0"]]"#),
        ("json", "base64", r#"[["name","AQKgsA=="]]"#),
        ("csv", "hex", "name,0x0102a0b0\n"),
        ("csv", "base64", "name,AQKgsA==\n"),
        (
            "ndjson",
            "hex",
            "{\"NAME\":\"name\",\"VALUE\":\"0x0102a0b0\"}\n",
        ),
        ("box", "hex", "| name | 0x0102a0b0 |\n"),
        ("box", "base64", "| name | AQKgsA== |\n"),
    ];
    for (format, binary, expected) in cases {
        let got = query(
            &s,
            &[
                ("q", q),
                ("format", P::S(format)),
                ("binaryformat", P::S(binary)),
            ],
        );
        assert!(got.3.contains(expected), "{format} {binary}: {}", got.3);
    }
}
