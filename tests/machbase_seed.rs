//! The Machbase write seed's JSON examples with epoch times (timeformat ns and s) are
//! accepted and read back exactly, with the peer's reply texts.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, machbase_ddl, machbase_query, machbase_write_ok, query_csv, without_elapse};

fn create_example(s: &Server) {
    machbase_ddl(
        s,
        "create tag table if not exists EXAMPLE (name varchar(40) primary key, time datetime basetime, value double)",
        "Created successfully.",
    );
}

#[test]
fn json_with_epoch_seconds() {
    let s = Server::start("machbase-seed-s");
    create_example(&s);
    let body = r#"{
  "data":  {
    "columns":["NAME","TIME","VALUE"],
    "rows": [
        ["wave.sin",1676432361,0],
        ["wave.sin",1676432362,0.406736],
        ["wave.sin",1676432363,0.743144],
        ["wave.sin",1676432364,0.951056],
        ["wave.sin",1676432365,0.994522]
    ]
  }
}"#;
    machbase_write_ok(&s, "EXAMPLE?timeformat=s", body, 5);
    assert_eq!(
        query_csv(&s, "select * from EXAMPLE limit 10"),
        "NAME,TIME,VALUE\nwave.sin,1676432361,0\nwave.sin,1676432362,0.406736\nwave.sin,1676432363,0.743144\nwave.sin,1676432364,0.951056\nwave.sin,1676432365,0.994522\n\n"
    );
}

#[test]
fn json_with_epoch_nanoseconds_and_lowercase_columns() {
    let s = Server::start("machbase-seed-ns");
    create_example(&s);
    let body = r#"{
    "data": {
        "columns":["name", "time", "value"],
        "rows": [
            [ "json-data", 1670380342000000000, 1.0001 ],
            [ "json-data", 1670380343000000000, 2.0002 ]
        ]
    }
}"#;
    machbase_write_ok(&s, "EXAMPLE", body, 2);
    let q = machbase_query(
        &s,
        "select * from EXAMPLE where name = 'json-data' limit 10",
        "",
    );
    assert_eq!(q.header("content-type"), Some("application/json"));
    assert_eq!(
        without_elapse(&q.text()),
        r#"{"data":{"columns":["NAME","TIME","VALUE"],"types":["string","datetime","double"],"rows":[["json-data",1670380342000000000,1.0001],["json-data",1670380343000000000,2.0002]]},"success":true,"reason":"success"}"#
    );
    // The latest value of a tag: a reverse scan that stops after one row.
    let last = machbase_query(
        &s,
        "select time, value from EXAMPLE where name = 'json-data' order by time desc limit 1",
        "timeformat=ms",
    );
    assert!(
        last.text().contains(r#""rows":[[1670380343000,2.0002]]"#),
        "{}",
        last.text()
    );
    // A repeated (name, time) replaces the earlier row.
    let again = r#"{"data":{"rows":[["json-data",1670380343000000000,9.5]]}}"#;
    machbase_write_ok(&s, "EXAMPLE?method=append", again, 1);
    assert_eq!(
        query_csv(&s, "select value from EXAMPLE where name = 'json-data'"),
        "VALUE\n1.0001\n9.5\n\n"
    );
    machbase_ddl(&s, "drop table EXAMPLE", "Dropped successfully.");
}
