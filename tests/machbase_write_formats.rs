//! `POST /db/write/{table}` in every body format and encoding: the write seed's CSV, NDJSON
//! and gzip examples and the peer's own write cases W1–W10 (reference machbase-neo-api.md
//! §6.1), each read back exactly through `/db/query`.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, enc, machbase_ddl, machbase_write_ok_as, query_csv};

const TEST_W: &str = "create tag table test_w (name varchar(200) primary key, time datetime basetime, value double summarized, jsondata json, ival int, sval short, bval binary)";
const EXAMPLE: &str = "create tag table EXAMPLE (name varchar(40) primary key, time datetime basetime, value double summarized)";
fn create(s: &Server, sql: &str) {
    machbase_ddl(s, sql, "Created successfully.");
}

const TEST_W_HEADER: &str = "NAME,TIME,VALUE,JSONDATA,IVAL,SVAL,BVAL\n";

fn test_w_rows(s: &Server, name: &str) -> String {
    query_csv(s, &format!("select * from test_w where name = '{name}'"))
}

#[test]
fn peer_write_cases_w1_to_w8() {
    let s = Server::start("write-w1-w8");
    create(&s, TEST_W);
    let full = |name: &str| {
        format!(
            "{TEST_W_HEADER}{name},1705291859,1.12,NULL,101,102,0x0102\n{name},1705291860,2.23,NULL,201,202,0x0304\n\n"
        )
    };
    let partial = |name: &str, s1: &str, s2: &str| {
        format!(
            "{TEST_W_HEADER}{name},1705291859,1.12,NULL,NULL,{s1},NULL\n{name},1705291860,2.23,NULL,NULL,{s2},NULL\n\n"
        )
    };

    // W1: JSON.
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s",
        "application/json",
        br#"{"data":{"columns":["name","time","value","jsondata","ival","sval","bval"],"rows":[["test_1",1705291859,1.12,null,101,102,"AQI="],["test_1",1705291860,2.23,null,201,202,"AwQ="]]}}"#,
        2,
    );
    assert_eq!(test_w_rows(&s, "test_1"), full("test_1"));

    // W2, W3: NDJSON, insert and append.
    for (name, method) in [("test_2", "insert"), ("test_3", "append")] {
        let body = format!(
            "{{\"bval\":\"AQI=\",\"ival\":101,\"jsondata\":null,\"name\":\"{name}\",\"sval\":102,\"time\":1705291859,\"value\":1.12}}\n{{\"bval\":\"AwQ=\",\"ival\":201,\"jsondata\":null,\"name\":\"{name}\",\"sval\":202,\"time\":1705291860,\"value\":2.23}}\n"
        );
        machbase_write_ok_as(
            &s,
            &format!("test_w?timeformat=s&method={method}"),
            "application/x-ndjson",
            body.as_bytes(),
            2,
        );
        assert_eq!(test_w_rows(&s, name), full(name));
    }

    // W4: CSV with a header naming the columns in any case; empty fields are NULL.
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s&method=insert&header=columns",
        "text/csv",
        b"name,TIME,Value,JSONDATA,ival,SVAL,BVAL\ncsv_1,1705291859,1.12,,101,102,AQI=\ncsv_1,1705291860,2.23,,201,202,AwQ=\n",
        2,
    );
    assert_eq!(test_w_rows(&s, "csv_1"), full("csv_1"));

    // W5, W6: append with a partial header; the other columns are NULL.
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s&method=append&header=columns",
        "text/csv",
        b"name,TIME,Value\ncsv_partial_1,1705291859,1.12\ncsv_partial_1,1705291860,2.23\n",
        2,
    );
    assert_eq!(
        test_w_rows(&s, "csv_partial_1"),
        partial("csv_partial_1", "NULL", "NULL")
    );
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s&method=append&header=columns",
        "text/csv",
        b"name,TIME,Value,sval\ncsv_partial_2,1705291859,1.12,102\ncsv_partial_2,1705291860,2.23,202\n",
        2,
    );
    assert_eq!(
        test_w_rows(&s, "csv_partial_2"),
        partial("csv_partial_2", "102", "202")
    );

    // W7, W8: gzip, announced both by ?compress= and by Content-Encoding.
    let body = common::gzip(
        b"name,TIME,Value,JSONDATA,ival,SVAL,bval\ncsv_gzip,1705291859,1.12,,101,102,AQI=\ncsv_gzip,1705291860,2.23,,201,202,AwQ=\n",
    );
    let r = s.request(
        "POST",
        "/db/write/test_w?timeformat=s&method=insert&header=columns&compress=gzip",
        &[("Content-Type", "text/csv"), ("Content-Encoding", "gzip")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(test_w_rows(&s, "csv_gzip"), full("csv_gzip"));
    let body = common::gzip(
        b"name,TIME,Value\ncsv_partial_gzip,1705291859,1.12\ncsv_partial_gzip,1705291860,2.23\n",
    );
    let r = s.request(
        "POST",
        "/db/write/test_w?timeformat=s&method=append&header=columns&compress=gzip",
        &[("Content-Type", "text/csv"), ("Content-Encoding", "gzip")],
        &body,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        test_w_rows(&s, "csv_partial_gzip"),
        partial("csv_partial_gzip", "NULL", "NULL")
    );
}

#[test]
fn peer_write_cases_w9_w10_binary_from_base64_and_hex() {
    let s = Server::start("write-w9-w10");
    create(
        &s,
        "CREATE TAG TABLE IF NOT EXISTS wbin (name varchar(40) primary key, time datetime base time, value binary)",
    );
    for (name, format, value) in [
        ("json_base64", "base64", "AQKgsMDQ4PA="),
        ("json_hex", "hex", "0x0102a0b0c0d0e0f0"),
    ] {
        let body = format!(
            r#"{{"data":{{"columns":["NAME", "TIME", "VALUE"],"rows":[["{name}", 1691800174123456789, "{value}"]]}}}}"#
        );
        let r = s.post(
            &format!("/db/write/wbin?method=append&binaryformat={format}"),
            "application/json",
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        let q = s.get(&format!(
            "/db/query?q={}",
            enc(&format!("select name, value from wbin where name='{name}'"))
        ));
        assert!(
            q.text()
                .contains(&format!(r#"["{name}","0x0102a0b0c0d0e0f0"]"#)),
            "{}",
            q.text()
        );
    }
}

#[test]
fn seed_csv_ndjson_and_gzip_examples() {
    let s = Server::start("write-seed-formats");
    create(&s, EXAMPLE);
    machbase_write_ok_as(
        &s,
        "EXAMPLE",
        "application/x-ndjson",
        b"{\"NAME\":\"ndjson-data\", \"TIME\":1670380342000000000, \"VALUE\":1.001}\n{\"NAME\":\"ndjson-data\", \"TIME\":1670380343000000000, \"VALUE\":2.002}\n",
        2,
    );
    machbase_write_ok_as(
        &s,
        "EXAMPLE?header=skip",
        "text/csv",
        b"NAME,TIME,VALUE\ncsv-data,1670380342000000000,1.0001\ncsv-data,1670380343000000000,2.0002\n",
        2,
    );
    machbase_write_ok_as(
        &s,
        "EXAMPLE?header=columns",
        "text/csv",
        b"TIME,NAME,VALUE\n1670380344000000000,csv-cols,1.0001\n1670380345000000000,csv-cols,2.0002\n",
        2,
    );
    machbase_write_ok_as(
        &s,
        "EXAMPLE?timeformat=s&method=append",
        "text/csv",
        b"wave.sin,1676432361,0.000000\n",
        1,
    );
    let json = br#"{"data":{"columns":["name","time","value"],"rows":[["json-gz",1670380342000000000,1.0001],["json-gz",1670380343000000000,2.0002]]}}"#;
    let r = s.request(
        "POST",
        "/db/write/EXAMPLE",
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", "gzip"),
        ],
        &common::gzip(json),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = s.request(
        "POST",
        "/db/write/EXAMPLE?header=skip",
        &[("Content-Type", "text/csv"), ("Content-Encoding", "gzip")],
        &common::gzip(b"NAME,TIME,VALUE\ncsv-gz,1670380342000000000,1.0001\n"),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        query_csv(&s, "select * from EXAMPLE"),
        "NAME,TIME,VALUE\n\
         ndjson-data,1670380342,1.001\nndjson-data,1670380343,2.002\n\
         csv-data,1670380342,1.0001\ncsv-data,1670380343,2.0002\n\
         csv-cols,1670380344,1.0001\ncsv-cols,1670380345,2.0002\n\
         wave.sin,1676432361,0\n\
         json-gz,1670380342,1.0001\njson-gz,1670380343,2.0002\n\
         csv-gz,1670380342,1.0001\n\n"
    );
}

#[test]
fn format_is_chosen_by_parameter_over_content_type() {
    let s = Server::start("write-format-select");
    create(&s, EXAMPLE);
    // `?format=csv` wins over a JSON content type; `; charset` is ignored.
    machbase_write_ok_as(
        &s,
        "EXAMPLE?format=csv&timeformat=s",
        "application/json",
        b"a,1,1\n",
        1,
    );
    machbase_write_ok_as(
        &s,
        "EXAMPLE?timeformat=s",
        "text/csv; charset=utf-8",
        b"b,2,2\n",
        1,
    );
    // An unknown content type is JSON, as the peer reads it.
    machbase_write_ok_as(
        &s,
        "EXAMPLE?timeformat=s",
        "text/plain",
        br#"{"data":{"rows":[["c",3,3]]}}"#,
        1,
    );
    // Delimiters: semicolon, and tab given as a literal `\t`.
    machbase_write_ok_as(
        &s,
        "EXAMPLE?timeformat=s&delimiter=;",
        "text/csv",
        b"d;4;4.5\n",
        1,
    );
    machbase_write_ok_as(
        &s,
        &format!("EXAMPLE?timeformat=s&delimiter={}", enc("\\t")),
        "text/csv",
        b"e\t5\t5\n",
        1,
    );
    // heading=true is header=skip.
    machbase_write_ok_as(
        &s,
        "EXAMPLE?timeformat=s&heading=true",
        "text/csv",
        b"NAME,TIME,VALUE\nf,6,6\n",
        1,
    );
    assert_eq!(
        query_csv(&s, "select * from EXAMPLE"),
        "NAME,TIME,VALUE\na,1,1\nb,2,2\nc,3,3\nd,4,4.5\ne,5,5\nf,6,6\n\n"
    );
    let r = s.post("/db/write/EXAMPLE?format=xml", "text/csv", b"a,1,1\n");
    assert_eq!(r.status, 400);
    assert!(r.text().contains("unknown format xml"), "{}", r.text());
}

#[test]
fn ndjson_keys_are_case_insensitive_missing_are_null_extra_ignored() {
    let s = Server::start("write-ndjson-keys");
    create(&s, TEST_W);
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s",
        "application/x-ndjson",
        br#"{"Name":"k","TIME":1,"vAlUe":1.5,"unknown":{"nested":[1,2]},"extra":"x"}{"name":"k","time":2,"ival":null}"#,
        2,
    );
    assert_eq!(
        test_w_rows(&s, "k"),
        format!("{TEST_W_HEADER}k,1,1.5,NULL,NULL,NULL,NULL\nk,2,NULL,NULL,NULL,NULL,NULL\n\n")
    );
}

#[test]
fn csv_null_rules_keep_varchar_text() {
    let s = Server::start("write-csv-null");
    create(&s, TEST_W);
    machbase_write_ok_as(
        &s,
        "test_w?timeformat=s",
        "text/csv",
        b"n1,1,NULL,,NULL,,\n\"NULL\",2,\"\",NULL,7,\"\",\n",
        2,
    );
    assert_eq!(
        query_csv(&s, "select name, value, ival from test_w"),
        "NAME,VALUE,IVAL\nn1,NULL,NULL\nNULL,NULL,7\n\n"
    );
}

#[test]
fn gzip_and_plain_bodies_split_into_tiny_chunks_store_the_same_rows() {
    let s = Server::start("write-chunk-splits");
    let rows: String = (0..500)
        .map(|i| format!("tag-{},{},{}.25\n", i % 3, 1_700_000_000 + i, i))
        .collect();
    let expected: String = {
        let mut by_tag: Vec<Vec<String>> = vec![Vec::new(); 3];
        for i in 0..500 {
            by_tag[i % 3].push(format!("tag-{},{},{}.25\n", i % 3, 1_700_000_000 + i, i));
        }
        format!("NAME,TIME,VALUE\n{}\n", by_tag.concat().concat())
    };
    let gz = common::gzip(rows.as_bytes());
    for (case, piece) in [1, 7, 100, 4096].into_iter().enumerate() {
        for (encoding, body) in [("identity", rows.as_bytes()), ("gzip", &gz[..])] {
            let table = format!("split_{case}_{encoding}");
            create(
                &s,
                &format!(
                    "create tag table {table} (name varchar(40) primary key, time datetime basetime, value double)"
                ),
            );
            let r = s.request(
                "POST",
                &format!("/db/write/{table}?timeformat=s"),
                &[
                    ("Content-Type", "text/csv"),
                    ("Content-Encoding", encoding),
                    ("Transfer-Encoding", "chunked"),
                ],
                &common::chunked(body, piece),
            );
            assert_eq!(r.status, 200, "{piece} {encoding}: {}", r.text());
            assert_eq!(
                query_csv(&s, &format!("select * from {table}")),
                expected,
                "{piece} {encoding}"
            );
        }
    }
}
