//! `/?query=` answers in every ClickHouse format byte for byte as Proton does (reference
//! proton-api.md §2.5, §3.2, case 25), and its errors are ClickHouse's plain text with the
//! status of Proton's table (§1.5). Queries go to the snapshot listener, as case 25 asks
//! for port 8123, so `FROM test_rest` is bounded.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_stream, enc, proton_get, proton_ingest_ok, proton_query};

/// Case 25's stream and rows; dev3 and dev777 have no location. `_tp_time` is given so that
/// `SELECT *` has a known value.
fn load(s: &Server) {
    create_stream(
        s,
        "test_rest (id string, location string, value float, timestamp datetime64(3) default now64(3))",
    );
    proton_ingest_ok(
        s,
        "test_rest",
        r#"{"columns":["id","location","value","timestamp","_tp_time"],"data":[
            ["dev1","ca",100,"2020-01-01 11:11:11","2024-10-22 11:23:50.123"],
            ["dev2","ca",100,"2020-01-01 11:11:11","2024-10-22 11:23:50.123"]]}"#,
    );
    proton_ingest_ok(
        s,
        "test_rest",
        r#"{"columns":["id","value","timestamp","_tp_time"],"data":[
            ["dev3",100,"2020-01-01 11:11:11","2024-10-22 11:23:50.123"],
            ["dev777",100,"2020-01-01 11:11:11","2024-10-22 11:23:50.123"]]}"#,
    );
}

/// The JSON body with its `elapsed` value, which changes every time, replaced by `E`.
fn without_elapsed(text: &str) -> String {
    let at = text.find("\"elapsed\": ").unwrap() + "\"elapsed\": ".len();
    let end = at + text[at..].find(',').unwrap();
    format!("{}E{}", &text[..at], &text[end..])
}

const SELECT: &str = "select id, location, value, timestamp from test_rest order by id";

#[test]
fn text_formats() {
    let s = Server::start("proton-formats-text");
    load(&s);
    // Case 25, exactly.
    let r = s.snapshot_request(
        "POST",
        "/",
        &[],
        b"select id, location, value, value, timestamp from test_rest order by id",
    );
    assert_eq!(
        (r.status, r.text()),
        (
            200,
            "dev1\tca\t100\t100\t2020-01-01 11:11:11.000\n\
             dev2\tca\t100\t100\t2020-01-01 11:11:11.000\n\
             dev3\t\t100\t100\t2020-01-01 11:11:11.000\n\
             dev777\t\t100\t100\t2020-01-01 11:11:11.000\n"
                .to_owned()
        )
    );
    assert_eq!(
        r.header("content-type"),
        Some("text/tab-separated-values; charset=UTF-8")
    );
    assert_eq!(r.header("x-timeplus-format"), Some("TabSeparated"));
    assert!(
        r.header("x-timeplus-query-id")
            .is_some_and(|v| !v.is_empty())
    );
    let first_two = "select id, location, value, timestamp from test_rest order by id limit 2";
    assert_eq!(
        proton_query(&s, &format!("{first_two} FORMAT TabSeparatedWithNames")),
        "id\tlocation\tvalue\ttimestamp\n\
         dev1\tca\t100\t2020-01-01 11:11:11.000\n\
         dev2\tca\t100\t2020-01-01 11:11:11.000\n"
    );
    assert_eq!(
        proton_query(&s, &format!("{SELECT} FORMAT CSV")),
        "\"dev1\",\"ca\",100,\"2020-01-01 11:11:11.000\"\n\
         \"dev2\",\"ca\",100,\"2020-01-01 11:11:11.000\"\n\
         \"dev3\",\"\",100,\"2020-01-01 11:11:11.000\"\n\
         \"dev777\",\"\",100,\"2020-01-01 11:11:11.000\"\n"
    );
    assert_eq!(
        proton_query(&s, &format!("{first_two} FORMAT CSVWithNames")),
        "\"id\",\"location\",\"value\",\"timestamp\"\n\
         \"dev1\",\"ca\",100,\"2020-01-01 11:11:11.000\"\n\
         \"dev2\",\"ca\",100,\"2020-01-01 11:11:11.000\"\n"
    );
    // `SELECT *` includes `_tp_time` (asterisk_include_reserved_columns), after the columns.
    assert_eq!(
        proton_query(&s, "SELECT * FROM test_rest WHERE id = 'dev1'"),
        "dev1\tca\t100\t2020-01-01 11:11:11.000\t2024-10-22 11:23:50.123\n"
    );
}

#[test]
fn json_formats() {
    let s = Server::start("proton-formats-json");
    load(&s);
    let r = proton_get(&s, &format!("{SELECT} limit 1 FORMAT JSON"));
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=UTF-8")
    );
    // Case 25 (query 402): meta, rows, and data[0].
    assert_eq!(
        without_elapsed(&r.text()),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"string\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"location\",\n\t\t\t\"type\": \"string\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"value\",\n\t\t\t\"type\": \"float32\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"timestamp\",\n\t\t\t\"type\": \"datetime64(3)\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\
         \t\t{\n\t\t\t\"id\": \"dev1\",\n\t\t\t\"location\": \"ca\",\n\t\t\t\"value\": 100,\n\t\t\t\"timestamp\": \"2020-01-01 11:11:11.000\"\n\t\t}\n\
         \t],\n\n\t\"rows\": 1,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 4,\n\t\t\"bytes_read\": 166\n\t}\n}\n"
    );
    assert_eq!(
        without_elapsed(&proton_query(
            &s,
            "select id, value from test_rest order by id limit 2 FORMAT JSONCompact"
        )),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"string\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"value\",\n\t\t\t\"type\": \"float32\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\
         \t\t[\"dev1\", 100],\n\
         \t\t[\"dev2\", 100]\n\
         \t],\n\n\t\"rows\": 2,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 4,\n\t\t\"bytes_read\": 166\n\t}\n}\n"
    );
    // No rows: an empty data array, as ClickHouse frames it.
    assert_eq!(
        without_elapsed(&proton_query(
            &s,
            "select id from test_rest where id = 'none' FORMAT JSONCompact"
        )),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"string\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\n\t],\n\n\t\"rows\": 0,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 4,\n\t\t\"bytes_read\": 166\n\t}\n}\n"
    );
    let r = proton_get(&s, &format!("{SELECT} FORMAT JSONEachRow"));
    assert_eq!(
        r.header("content-type"),
        Some("application/x-ndjson; charset=UTF-8")
    );
    assert_eq!(
        r.text(),
        "{\"id\":\"dev1\",\"location\":\"ca\",\"value\":100,\"timestamp\":\"2020-01-01 11:11:11.000\"}\n\
         {\"id\":\"dev2\",\"location\":\"ca\",\"value\":100,\"timestamp\":\"2020-01-01 11:11:11.000\"}\n\
         {\"id\":\"dev3\",\"location\":\"\",\"value\":100,\"timestamp\":\"2020-01-01 11:11:11.000\"}\n\
         {\"id\":\"dev777\",\"location\":\"\",\"value\":100,\"timestamp\":\"2020-01-01 11:11:11.000\"}\n"
    );
    assert_eq!(
        proton_query(
            &s,
            "SELECT * FROM test_rest WHERE id = 'dev3' FORMAT JSONEachRow"
        ),
        "{\"id\":\"dev3\",\"location\":\"\",\"value\":100,\"timestamp\":\"2020-01-01 11:11:11.000\",\"_tp_time\":\"2024-10-22 11:23:50.123\"}\n"
    );
}

#[test]
fn json_quotes_64_bit_integers_and_escapes_like_clickhouse() {
    let s = Server::start("proton-formats-int64");
    create_stream(
        &s,
        "n (i32 int32, i64 int64, u64 uint64, f float64, s string, b bool, x nullable(int64))",
    );
    proton_ingest_ok(
        &s,
        "n",
        r#"{"columns":["i32","i64","u64","f","s","b","x"],"data":[[-7,-9223372036854775808,18446744073709551615,0.5,"a/b\t'c'\"",true,null]]}"#,
    );
    let sql = "SELECT i32, i64, u64, f, s, b, x FROM n";
    assert_eq!(
        proton_query(&s, &format!("{sql} FORMAT JSONEachRow")),
        "{\"i32\":-7,\"i64\":\"-9223372036854775808\",\"u64\":\"18446744073709551615\",\"f\":0.5,\"s\":\"a\\/b\\t'c'\\\"\",\"b\":true,\"x\":null}\n"
    );
    assert!(
        proton_query(&s, &format!("{sql} FORMAT JSONCompact")).contains(
            "\t\t[-7, \"-9223372036854775808\", \"18446744073709551615\", 0.5, \"a\\/b\\t'c'\\\"\", true, null]\n"
        )
    );
    assert_eq!(
        proton_query(&s, sql),
        "-7\t-9223372036854775808\t18446744073709551615\t0.5\ta/b\\t\\'c\\'\"\ttrue\t\\N\n"
    );
    assert_eq!(
        proton_query(&s, &format!("{sql} FORMAT CSV")),
        "-7,-9223372036854775808,18446744073709551615,0.5,\"a/b\t'c'\"\"\",true,\\N\n"
    );
}

#[test]
fn format_choice_and_post_bodies() {
    let s = Server::start("proton-formats-choice");
    load(&s);
    let sql = "SELECT id FROM test_rest ORDER BY id LIMIT 2";
    // `default_format=` applies when the statement names no FORMAT.
    let r = s.snapshot_get(&format!("/?query={}&default_format=CSV", enc(sql)));
    assert_eq!(r.text(), "\"dev1\"\n\"dev2\"\n");
    assert_eq!(r.header("x-timeplus-format"), Some("CSV"));
    // The statement's FORMAT wins over `default_format=`.
    let r = s.snapshot_get(&format!(
        "/?query={}&default_format=CSV",
        enc(&format!("{sql} FORMAT JSONEachRow"))
    ));
    assert_eq!(r.text(), "{\"id\":\"dev1\"}\n{\"id\":\"dev2\"}\n");
    // The `x-timeplus-format` header is the last choice.
    let r = s.snapshot_request(
        "GET",
        &format!("/?query={}", enc(sql)),
        &[("x-timeplus-format", "TabSeparatedWithNames")],
        b"",
    );
    assert_eq!(r.text(), "id\ndev1\ndev2\n");
    // A POST body is appended to `query=` as is, as ClickHouse's ConcatReadBuffer does.
    let r = s.snapshot_request(
        "POST",
        &format!("/?query={}", enc("SELECT id FROM test_rest ORDER BY id ")),
        &[],
        b"LIMIT 1 FORMAT JSONEachRow",
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "{\"id\":\"dev1\"}\n".to_owned())
    );
    // The JavaScript driver: `default_format=` in the URL, the SQL in the body.
    let r = s.snapshot_request(
        "POST",
        "/?default_format=JSONEachRow",
        &[("Content-Type", "text/plain")],
        sql.as_bytes(),
    );
    assert_eq!(r.text(), "{\"id\":\"dev1\"}\n{\"id\":\"dev2\"}\n");
    // The caller's query id is echoed.
    let r = s.snapshot_get(&format!("/?query={}&query_id=q-7", enc(sql)));
    assert_eq!(r.header("x-timeplus-query-id"), Some("q-7"));
}

#[test]
fn errors_are_clickhouse_text_with_protons_status() {
    let s = Server::start("proton-formats-errors");
    load(&s);
    let cases: [(&str, u16, &str, &str); 5] = [
        (
            "SELEC id FROM test_rest",
            400,
            "62",
            "Code: 62. DB::Exception: syntax error at byte 0: expected SELECT, INSERT, DELETE, CREATE, DROP, RENAME, ALTER, SHOW or DESCRIBE, but found `SELEC`. (SYNTAX_ERROR)\n",
        ),
        (
            "SELECT id FROM nosuch",
            404,
            "60",
            "Code: 60. DB::Exception: Stream default.nosuch doesn't exist. (UNKNOWN_STREAM)\n",
        ),
        (
            "SELECT nope FROM test_rest",
            404,
            "47",
            "Code: 47. DB::Exception: Missing column: 'nope' in stream test_rest. (UNKNOWN_IDENTIFIER)\n",
        ),
        (
            "SELECT id FROM test_rest FORMAT Pretty",
            404,
            "73",
            "Code: 73. DB::Exception: Unknown format Pretty. (UNKNOWN_FORMAT)\n",
        ),
        (
            "CREATE STREAM test_rest (i int)",
            500,
            "57",
            "Code: 57. DB::Exception: Stream default.test_rest already exists. (STREAM_ALREADY_EXISTS)\n",
        ),
    ];
    for (sql, status, code, body) in cases {
        let r = proton_get(&s, sql);
        assert_eq!((r.status, r.text().as_str()), (status, body), "{sql}");
        assert_eq!(r.header("x-timeplus-exception-code"), Some(code), "{sql}");
        assert_eq!(
            r.header("content-type"),
            Some("text/plain; charset=utf-8"),
            "{sql}"
        );
    }
}

#[test]
fn nullable_meta_and_read_statistics() {
    let s = Server::start("proton-formats-nullable");
    create_stream(
        &s,
        "n (id int32, note nullable(string), v nullable(float64))",
    );
    proton_ingest_ok(
        &s,
        "n",
        r#"{"columns":["id","note","v","_tp_time"],"data":[[1,"ab",null,"2024-01-01 00:00:00"],[2,null,2.5,"2024-01-01 00:00:01"],[3,"xyz",1,"2024-01-01 00:00:02"]]}"#,
    );
    // A column passed through keeps `nullable(T)`; a computed one is typed by its expression.
    // The scan read all 3 rows though WHERE kept 2: per row id 4, note 1 + (len + 8),
    // v 1 + 8, _tp_time 8, so 3 rows are (4+11+9+8) + (4+9+9+8) + (4+12+9+8) = 95 bytes.
    assert_eq!(
        without_elapsed(&proton_query(
            &s,
            "SELECT id, note, v, length(note) AS l FROM table(n) WHERE id > 1 ORDER BY id FORMAT JSONCompact"
        )),
        "{\n\t\"meta\":\n\t[\n\
         \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"int32\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"note\",\n\t\t\t\"type\": \"nullable(string)\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"v\",\n\t\t\t\"type\": \"nullable(float64)\"\n\t\t},\n\
         \t\t{\n\t\t\t\"name\": \"l\",\n\t\t\t\"type\": \"int64\"\n\t\t}\n\
         \t],\n\n\t\"data\":\n\t[\n\
         \t\t[2, null, 2.5, null],\n\
         \t\t[3, \"xyz\", 1, \"3\"]\n\
         \t],\n\n\t\"rows\": 2,\n\n\
         \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 3,\n\t\t\"bytes_read\": 95\n\t}\n}\n"
    );
}

/// The raw reply to `request` (HTTP/1.1, the connection closed by the client's header).
fn raw_reply(s: &Server, request: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(&s.addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    String::from_utf8_lossy(&raw).into_owned()
}

#[test]
fn an_error_after_rows_were_sent_is_appended_and_the_body_left_unterminated() {
    let s = Server::start("proton-formats-late-error");
    create_stream(&s, "late (id int32, t string)");
    proton_ingest_ok(
        &s,
        "late",
        r#"{"columns":["id","t","_tp_time"],"data":[[1,"2024-01-01 00:00:00","2024-01-01 00:00:00"],[2,"not a time","2024-01-01 00:00:01"]]}"#,
    );
    // The first row prints before the second fails: the 200 head is already out.
    let sql = "SELECT id, to_datetime(t) FROM table(late)";
    let raw = raw_reply(
        &s,
        &format!(
            "GET /?query={} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
            enc(sql)
        ),
    );
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    let body = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
    assert!(
        body.contains("1\t2024-01-01 00:00:00\n")
            && body.contains(
                "Code: 36. DB::Exception: cannot parse 'not a time' as a datetime. (BAD_ARGUMENTS)\n"
            ),
        "{body:?}"
    );
    assert!(!body.ends_with("0\r\n\r\n"), "terminated: {body:?}");
    // Proton's search appends its error JSON instead.
    let query = r#"{"query":"SELECT id, to_datetime(t) FROM table(late)"}"#;
    let raw = raw_reply(
        &s,
        &format!(
            "POST /proton/v1/search HTTP/1.1\r\nHost: x\r\nConnection: close\r\nx-proton-query-id: q1\r\nContent-Length: {}\r\n\r\n{query}",
            query.len()
        ),
    );
    assert!(raw.starts_with("HTTP/1.1 200 OK\r\n"), "{raw}");
    assert!(
        raw.contains("{\"code\":36,\"error_msg\":\"Code: 36. DB::Exception: cannot parse 'not a time' as a datetime. (BAD_ARGUMENTS)\",\"request_id\":\"q1\"}\n"),
        "{raw:?}"
    );
    assert!(!raw.ends_with("0\r\n\r\n"), "terminated: {raw:?}");
    // The server keeps serving.
    assert_eq!(proton_query(&s, "SELECT count() FROM table(late)"), "2\n");
}
