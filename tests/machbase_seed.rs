//! The Machbase write seed's JSON examples with epoch times (timeformat ns and s) are
//! accepted and read back exactly, with the peer's reply texts.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, enc, without_elapse};

fn create_example(s: &Server) {
    let q = "create tag table if not exists EXAMPLE (name varchar(40) primary key, time datetime basetime, value double)";
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        format!("q={}", enc(q)).as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        without_elapse(&r.text()),
        r#"{"success":true,"reason":"Created successfully."}"#
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
    let r = s.post(
        "/db/write/EXAMPLE?timeformat=s",
        "application/json",
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        without_elapse(&r.text()),
        r#"{"success":true,"reason":"success, 5 record(s) inserted"}"#
    );
    let q = s.get(&format!(
        "/db/query?q={}&format=csv&timeformat=s",
        enc("select * from EXAMPLE limit 10")
    ));
    assert_eq!(q.header("content-type"), Some("text/csv; charset=utf-8"));
    assert_eq!(
        q.text(),
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
    let r = s.post("/db/write/EXAMPLE", "application/json", body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    let q = s.get(&format!(
        "/db/query?q={}",
        enc("select * from EXAMPLE where name = 'json-data' limit 10")
    ));
    assert_eq!(q.header("content-type"), Some("application/json"));
    assert_eq!(
        without_elapse(&q.text()),
        r#"{"data":{"columns":["NAME","TIME","VALUE"],"types":["string","datetime","double"],"rows":[["json-data",1670380342000000000,1.0001],["json-data",1670380343000000000,2.0002]]},"success":true,"reason":"success"}"#
    );
    // The latest value of a tag: a reverse scan that stops after one row.
    let last = s.get(&format!(
        "/db/query?q={}&timeformat=ms",
        enc("select time, value from EXAMPLE where name = 'json-data' order by time desc limit 1")
    ));
    assert!(
        last.text().contains(r#""rows":[[1670380343000,2.0002]]"#),
        "{}",
        last.text()
    );
    // A repeated (name, time) replaces the earlier row.
    let again = r#"{"data":{"rows":[["json-data",1670380343000000000,9.5]]}}"#;
    assert_eq!(
        s.post(
            "/db/write/EXAMPLE?method=append",
            "application/json",
            again.as_bytes()
        )
        .status,
        200
    );
    let q = s.get(&format!(
        "/db/query?q={}&format=csv",
        enc("select value from EXAMPLE where name = 'json-data'")
    ));
    assert_eq!(q.text(), "VALUE\n1.0001\n9.5\n\n");
    let dropped = s.get(&format!("/db/query?q={}", enc("drop table EXAMPLE")));
    assert_eq!(
        without_elapse(&dropped.text()),
        r#"{"success":true,"reason":"Dropped successfully."}"#
    );
}
