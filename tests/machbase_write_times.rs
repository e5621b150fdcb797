//! `timeformat` and `tz` on `POST /db/write/{table}`: every seed example with text times
//! (Default in Asia/Seoul and in Local, RFC3339Nano and a Go layout in America/New_York),
//! named formats, `now - 1h`, and the errors, each read back as exact UTC instants.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_tag_table, machbase_query, query_csv};

fn write(s: &Server, query: &str, content_type: &str, body: &str) -> (u16, String) {
    let r = s.post(
        &format!("/db/write/EXAMPLE?{query}"),
        content_type,
        body.as_bytes(),
    );
    (r.status, common::without_elapse(&r.text()))
}

fn ok(rows: usize) -> (u16, String) {
    (
        200,
        format!(r#"{{"success":true,"reason":"success, {rows} record(s) inserted"}}"#),
    )
}

/// Rows as `name,time` with times printed in UTC by the `Default` layout (milliseconds).
fn rows_utc(s: &Server) -> String {
    let r = machbase_query(
        s,
        "select name, time from EXAMPLE",
        "format=csv&timeformat=Default",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[test]
fn seed_json_ndjson_and_csv_with_text_times_in_zones() {
    let s = Server::start("write-times-seed");
    create_tag_table(&s, "EXAMPLE");
    // JSON, Default in Asia/Seoul.
    assert_eq!(
        write(
            &s,
            "timeformat=DEFAULT&tz=Asia/Seoul",
            "application/json",
            r#"{"data":{"columns":["name","time","value"],"rows":[["json-data","2022-12-07 02:32:22",1.0001],["json-data","2022-12-07 02:32:23",2.0002]]}}"#,
        ),
        ok(2)
    );
    // CSV with a header line, Default in Asia/Seoul.
    assert_eq!(
        write(
            &s,
            "header=skip&timeformat=Default&tz=Asia/Seoul",
            "text/csv",
            "NAME,TIME,VALUE\ncsv-data,2022-12-07 11:39:32,1.0001\ncsv-data,2022-12-07 11:39:33,2.0002\n",
        ),
        ok(2)
    );
    // CSV, Default in UTC with fractions, then the same instants nine hours later in Seoul
    // (they replace the first rows: same tag, same time).
    assert_eq!(
        write(
            &s,
            "timeformat=Default",
            "text/csv",
            "wave.sin,2023-02-15 03:39:21,0.111111\nwave.sin,2023-02-15 03:39:22.111,0.222222\n",
        ),
        ok(2)
    );
    assert_eq!(
        write(
            &s,
            "timeformat=Default&tz=Asia/Seoul",
            "text/csv",
            "wave.sin,2023-02-15 12:39:21,0.5\nwave.sin,2023-02-15 12:39:22.111,0.6\n",
        ),
        ok(2)
    );
    // RFC3339Nano carries its own offset; tz is then unused.
    assert_eq!(
        write(
            &s,
            "timeformat=RFC3339Nano&tz=America/New_York",
            "text/csv",
            "wave.rfc,2023-02-14T22:39:21.000000000-05:00,0.111111\n",
        ),
        ok(1)
    );
    // A Go layout; the value is trimmed (note the space before the comma).
    assert_eq!(
        write(
            &s,
            "timeformat=03:04:05.999999999-SPLIT-2006-01-02&tz=America/New_York",
            "text/csv",
            "wave.go,10:39:21-SPLIT-2023-02-14 ,0.111111\n",
        ),
        ok(1)
    );
    assert_eq!(
        rows_utc(&s),
        "NAME,TIME\n\
         json-data,2022-12-06 17:32:22\njson-data,2022-12-06 17:32:23\n\
         csv-data,2022-12-07 02:39:32\ncsv-data,2022-12-07 02:39:33\n\
         wave.sin,2023-02-15 03:39:21\nwave.sin,2023-02-15 03:39:22.111\n\
         wave.rfc,2023-02-15 03:39:21\n\
         wave.go,2023-02-14 15:39:21\n\n"
    );
    assert_eq!(
        query_csv(&s, "select value from EXAMPLE where name = 'wave.sin'"),
        "VALUE\n0.5\n0.6\n\n"
    );
}

#[test]
fn tz_local_follows_the_server_zone() {
    let s = Server::start_with_env("write-times-local", &[("TZ", "Asia/Seoul")]);
    create_tag_table(&s, "EXAMPLE");
    let r = s.post(
        "/db/write/EXAMPLE?timeformat=Default&tz=Local",
        "application/x-ndjson",
        b"{\"NAME\":\"ndjson-data\", \"TIME\":\"2022-12-07 02:33:22\", \"VALUE\":1.001}\n{\"NAME\":\"ndjson-data\", \"TIME\":\"2022-12-07 02:33:23\", \"VALUE\":2.002}\n",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        query_csv(&s, "select name, time from EXAMPLE"),
        "NAME,TIME\nndjson-data,1670348002\nndjson-data,1670348003\n\n"
    );
}

#[test]
fn epoch_units_named_formats_and_now() {
    let s = Server::start("write-times-units");
    create_tag_table(&s, "EXAMPLE");
    for (query, time, name) in [
        ("timeformat=ms", "1676432361500", "ms"),
        ("timeformat=us", "\"1676432361500000\"", "us-text"),
        ("timeformat=s", "\"1676432361.9\"", "s-decimal"),
        (
            "timeformat=rfc3339",
            "\"2023-02-15T03:39:21Z\"",
            "rfc3339-any-case",
        ),
        (
            "timeformat=2006/01/02%2015:04:05",
            "\"2023/02/15 03:39:21\"",
            "go-layout",
        ),
        ("timeformat=Kitchen", "\"3:39AM\"", "kitchen"),
    ] {
        let body = format!(r#"{{"data":{{"rows":[["{name}",{time},1]]}}}}"#);
        let (status, reply) = write(&s, query, "application/json", &body);
        if name == "kitchen" {
            // Kitchen has no date; Go reads year 0, which no tidegate datetime can hold.
            assert_eq!(status, 400, "{reply}");
            continue;
        }
        assert_eq!((status, reply), ok(1), "{query}");
    }
    assert_eq!(
        query_csv(&s, "select name, time from EXAMPLE"),
        "NAME,TIME\nms,1676432361\nus-text,1676432361\ns-decimal,1676432361\n\
         rfc3339-any-case,1676432361\ngo-layout,1676432361\n\n"
    );
    // `now - 1h` lands within a minute of an hour ago.
    let (status, reply) = write(
        &s,
        "timeformat=Default",
        "text/csv",
        "relative,now - 1h,1\n",
    );
    assert_eq!(status, 200, "{reply}");
    let csv = query_csv(&s, "select time from EXAMPLE where name = 'relative'");
    let stored: i64 = csv.lines().nth(1).unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!((now - 3600 - stored).abs() < 60, "{stored} vs {now}");
}

#[test]
fn bad_zones_and_times_are_400_with_the_peer_text() {
    let s = Server::start("write-times-errors");
    create_tag_table(&s, "EXAMPLE");
    assert_eq!(
        write(&s, "tz=Foo/Bar", "text/csv", "a,1,1\n"),
        (
            400,
            r#"{"success":false,"reason":"unknown time zone Foo/Bar"}"#.into()
        )
    );
    // Abbreviations the peer knows, and GMT+9 (sign inverted as the peer does).
    for tz in ["KST", "GMT%2B9", "local", "UTC", "Europe/Berlin"] {
        let (status, reply) = write(&s, &format!("tz={tz}&timeformat=s"), "text/csv", "a,1,1\n");
        assert_eq!(status, 200, "{tz}: {reply}");
    }
    let (status, reply) = write(
        &s,
        "timeformat=Default",
        "text/csv",
        "b,2023-13-01 00:00:00,1\n",
    );
    assert_eq!(status, 400);
    assert!(
        reply.contains("parsing time \\\"2023-13-01 00:00:00\\\": month out of range"),
        "{reply}"
    );
    assert!(
        reply.contains("rows[1]") && reply.contains("TIME"),
        "{reply}"
    );
    let (status, reply) = write(&s, "timeformat=s", "text/csv", "b,soon,1\n");
    assert_eq!(status, 400);
    assert!(reply.contains("unable parse time in timeformat"), "{reply}");
}
