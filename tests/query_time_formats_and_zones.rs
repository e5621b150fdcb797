//! `/db/query` prints datetimes with any `timeformat` (epoch units, `.str` variants, named
//! formats, Go layouts) in the zone `tz` names, and refuses an unknown zone with the peer's
//! text (reference §2).
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, enc, without_elapse};

fn seeded() -> Server {
    let s = Server::start("query-time-formats");
    let q = "create tag table if not exists T (name varchar(40) primary key, time datetime basetime, value double)";
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        format!("q={}", enc(q)).as_bytes(),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // 2023-02-15T03:39:21Z and 03:39:22.5Z.
    let body = br#"{"data":{"columns":["NAME","TIME","VALUE"],"rows":[["a",1676432361000,1],["a",1676432362500,2]]}}"#;
    let r = s.post("/db/write/T?timeformat=ms", "application/json", body);
    assert_eq!(r.status, 200, "{}", r.text());
    s
}

fn query(s: &Server, params: &str) -> (u16, String) {
    let r = s.get(&format!(
        "/db/query?q={}&{params}",
        enc("select time from T limit 10")
    ));
    (r.status, without_elapse(&r.text()))
}

fn rows(json: &str) -> &str {
    let start = json.find("\"rows\":").unwrap();
    let end = json.find("]]}").unwrap();
    &json[start + 7..end + 2]
}

#[test]
fn time_formats_and_zones() {
    let s = seeded();
    let (status, body) = query(&s, "format=csv&timeformat=Default&tz=Asia/Seoul");
    assert_eq!(status, 200);
    assert_eq!(body, "TIME\n2023-02-15 12:39:21\n2023-02-15 12:39:22.5\n\n");

    let (_, body) = query(&s, "timeformat=RFC3339&tz=KST");
    assert_eq!(
        rows(&body),
        r#"[["2023-02-15T12:39:21+09:00"],["2023-02-15T12:39:22+09:00"]]"#
    );
    let (_, body) = query(&s, "timeformat=ms.str");
    assert_eq!(rows(&body), r#"[["1676432361000"],["1676432362500"]]"#);
    let (_, body) = query(&s, "timeformat=ms");
    assert_eq!(rows(&body), r#"[[1676432361000],[1676432362500]]"#);
    let (_, body) = query(
        &s,
        &format!(
            "timeformat={}&tz={}",
            enc("2006/01/02 03:04:05.000PM MST"),
            enc("America/New_York")
        ),
    );
    assert_eq!(
        rows(&body),
        r#"[["2023/02/14 10:39:21.000PM EST"],["2023/02/14 10:39:22.500PM EST"]]"#
    );
    let (_, body) = query(&s, &format!("timeformat=DEFAULT.NS&tz={}", enc("GMT+9")));
    assert_eq!(
        rows(&body),
        r#"[["2023-02-15 12:39:21.000000000"],["2023-02-15 12:39:22.500000000"]]"#
    );
}

#[test]
fn err_unknown_zone_and_oversized_timeformat() {
    let s = seeded();
    let (status, body) = query(&s, "timeformat=Default&tz=Mars/Olympus");
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"success":false,"reason":"unknown time zone Mars/Olympus"}"#
    );
    let (status, body) = query(&s, &format!("timeformat={}", "2".repeat(5000)));
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"success":false,"reason":"timeformat is longer than TIMEFORMAT_BYTES_MAX (4096 bytes)"}"#
    );
}
