//! A compressed body that inflates far more than real data does is refused once it has
//! inflated past 64 MiB (`INFLATE_RATIO_EXEMPT_BYTES`), on every route that inflates
//! (issue 17, item 6): 2 MB of gzip must not buy seconds of a core and 2 GiB of parsing.
//! Real sensor CSV and JSON compress 5-20x and pass, however large.
#![allow(clippy::unwrap_used)]

mod common;

use std::time::Duration;

use common::{
    Server, create_stream, create_tag_table, gzip_segments, machbase_ddl, machbase_write_ok_as,
    proton_query, query_csv, request_within,
};

/// 2 GiB of blank lines compress to about 2 MB: the body of the issue.
const BLANK_LINE_MIB: usize = 2048;
/// A refusal comes after 64 MiB of inflating; a debug build does that in seconds. Today's
/// server inflates all 2 GiB (minutes in a debug build), so the bound is what fails.
const REPLY_WAIT: Duration = Duration::from_secs(60);

fn blank_lines() -> Vec<u8> {
    vec![b'\n'; 1 << 20]
}

fn gzip_headers(content_type: &'static str) -> [(&'static str, &'static str); 2] {
    [("Content-Type", content_type), ("Content-Encoding", "gzip")]
}

#[test]
fn machbase_csv_of_blank_lines_is_refused_and_stored_rows_stay() {
    let s = Server::start("inflate-ratio-machbase");
    create_tag_table(&s, "T");
    machbase_write_ok_as(
        &s,
        "T?timeformat=s",
        "text/csv",
        b"a,1700000000,1.5\nb,1700000001,2.5\n",
        2,
    );
    let bomb = gzip_segments(&[(&blank_lines(), BLANK_LINE_MIB)]);
    assert!((1 << 20..4 << 20).contains(&bomb.len()), "{}", bomb.len());
    let r = request_within(
        &s.addr,
        "POST",
        "/db/write/T",
        &gzip_headers("text/csv"),
        &bomb,
        REPLY_WAIT,
    )
    .expect("a reply before the whole body is inflated");
    assert_eq!(r.status, 413, "{}", r.text());
    let text = r.text();
    assert!(text.starts_with(r#"{"success":false,"reason":"#), "{text}");
    assert!(text.contains("more than 200 times"), "{text}");
    assert!(text.contains("--inflate-ratio-max"), "{text}");
    // Nothing was stored, and the rows from before are whole.
    assert!(!text.contains("affectedRows"), "{text}");
    assert_eq!(
        query_csv(&s, "select name, time, value from T order by name"),
        "NAME,TIME,VALUE\na,1700000000,1.5\nb,1700000001,2.5\n\n"
    );
}

#[test]
fn proton_json_padded_with_blank_lines_is_refused() {
    let s = Server::start("inflate-ratio-proton");
    create_stream(&s, "s (id string)");
    let bomb = gzip_segments(&[
        (br#"{"columns":["id"],"data":[["a"],["b"]"#, 1),
        (&blank_lines(), BLANK_LINE_MIB),
        (b"]}", 1),
    ]);
    let r = request_within(
        &s.addr,
        "POST",
        "/proton/v1/ingest/streams/s",
        &gzip_headers("application/json"),
        &bomb,
        REPLY_WAIT,
    )
    .expect("a reply before the whole body is inflated");
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.header("x-timeplus-exception-code"), Some("229"));
    let text = r.text();
    assert!(text.starts_with(r#"{"code":229,"error_msg":"#), "{text}");
    assert!(text.contains("more than 200 times"), "{text}");
    assert!(text.contains("--inflate-ratio-max"), "{text}");
    // The two rows fit one batch, so the refused body stored none of them.
    assert_eq!(proton_query(&s, "select count() from s"), "0\n");
}

/// Readings with a status note, as a gateway logs them: the note repeats with a few changing
/// numbers, so the text compresses about as well as real sensor CSV does.
fn readings(rows: usize) -> String {
    let mut out = String::new();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    for i in 0..rows {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let value = x % 40_000;
        out.push_str(&format!(
            "sensor-{:02},{},{}.{:03},status ok; supply {}.{} V; rssi -{} dBm; fw 2.4.1; zone north-{}\n",
            i % 50,
            1_700_000_000_000u64 + i as u64 * 250,
            value / 1000,
            value % 1000,
            3 + x % 2,
            (x >> 8) % 10,
            40 + (x >> 16) % 50,
            i % 4,
        ));
    }
    out
}

#[test]
fn real_readings_compressed_5_to_20_times_pass_past_64_mib() {
    let s = Server::start("inflate-ratio-readings");
    machbase_ddl(
        &s,
        "create table L (name varchar(40), time datetime, value double, note varchar(200))",
        "Created successfully.",
    );
    let piece = readings(10_000);
    // Just past the 64 MiB where the guard starts to look.
    let copies = (64 << 20) / piece.len() + 2;
    let body = gzip_segments(&[(piece.as_bytes(), copies)]);
    let ratio = (piece.len() * copies) as f64 / body.len() as f64;
    assert!((5.0..=20.0).contains(&ratio), "ratio {ratio:.1}");
    let rows = 10_000 * copies;
    machbase_write_ok_as(
        &s,
        "L?timeformat=ms&method=append&compress=gzip",
        "text/csv",
        &body,
        rows,
    );
    let count = query_csv(&s, "select count(*) from L");
    assert_eq!(
        count.lines().nth(1),
        Some(rows.to_string().as_str()),
        "{count}"
    );
}
