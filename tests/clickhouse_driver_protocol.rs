//! The ClickHouse HTTP protocol as drivers speak it, over raw HTTP against the real binary
//! (reference proton-api.md §2.5): `/ping`, the connection handshake, `system.*`,
//! `INSERT … FORMAT x` in every accepted format with the statement in `?query=` or in the
//! body, Native and RowBinary, compressed bodies and replies, and malformed input in each
//! format (an error naming the row, nothing stored from a body that fits one batch).
#![allow(clippy::unwrap_used)]

mod common;
use common::{Response, Server, create_stream, create_tag_table};

fn post(s: &Server, query: &str, headers: &[(&str, &str)], body: &[u8]) -> Response {
    let path = if query.is_empty() {
        "/".to_owned()
    } else {
        format!("/?query={}", query.replace(' ', "%20"))
    };
    s.snapshot_request("POST", &path, headers, body)
}

fn select(s: &Server, sql: &str) -> String {
    let r = post(s, "", &[], sql.as_bytes());
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text()
}

fn written_rows(r: &Response) -> String {
    let summary = r.header("x-clickhouse-summary").unwrap_or_default();
    let at = summary
        .find("\"written_rows\":\"")
        .map(|i| i + 16)
        .unwrap_or(0);
    summary[at..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn ping_handshake_and_system_tables() {
    let s = Server::start("ch-handshake");
    for path in ["/ping", "/"] {
        let r = s.request("GET", path, &[], b"");
        assert_eq!((r.status, r.text().as_str()), (200, "Ok.\n"), "{path}");
    }
    let r = post(
        &s,
        "",
        &[],
        b"SELECT version(), timezone(), currentDatabase()",
    );
    assert_eq!(r.text(), "1.6.1\tUTC\tdefault\n");
    assert_eq!(r.header("x-clickhouse-format"), Some("TabSeparated"));
    assert_eq!(r.header("x-clickhouse-timezone"), Some("UTC"));
    assert!(r.header("x-clickhouse-query-id").is_some());
    assert!(r.header("x-timeplus-summary").is_some());
    let uptime = select(&s, "SELECT uptime()");
    assert!(uptime.trim().parse::<u32>().is_ok(), "{uptime}");
    create_stream(&s, "s (id int32, name nullable(string))");
    assert_eq!(
        select(
            &s,
            "SELECT name, value, readonly FROM system.settings WHERE name = 'enable_http_compression'"
        ),
        "enable_http_compression\t0\t0\n"
    );
    assert_eq!(
        select(
            &s,
            "SELECT name, engine FROM system.tables WHERE database = 'default'"
        ),
        "s\tStream\n"
    );
    assert_eq!(
        select(
            &s,
            "SELECT name, type, position FROM system.columns WHERE table = 's' ORDER BY position"
        ),
        "id\tint32\t1\nname\tnullable(string)\t2\n_tp_time\tdatetime64(3, \\'UTC\\')\t3\n"
    );
    assert_eq!(
        select(&s, "SELECT name FROM system.databases ORDER BY name"),
        "default\nsystem\n"
    );
    let d = select(&s, "DESCRIBE `s` FORMAT TSV");
    assert!(d.starts_with("id\tint32\t"), "{d}");
    assert_eq!(select(&s, "SHOW STREAMS FORMAT CSV"), "\"s\"\n");
}

#[test]
fn text_formats_with_the_statement_in_the_query_or_the_body() {
    let s = Server::start("ch-text-formats");
    let cases: [(&str, &[u8]); 7] = [
        (
            "JSONEachRow",
            b"{\"id\":1,\"name\":\"a\"}\n{\"id\":2,\"name\":null}\n",
        ),
        ("JSONCompactEachRow", b"[1,\"a\"]\n[2,null]\n"),
        ("CSV", b"1,a\n2,\\N\n"),
        ("CSVWithNames", b"name,id\na,1\n\\N,2\n"),
        ("TabSeparated", b"1\ta\n2\t\\N\n"),
        ("TabSeparatedWithNames", b"id\tname\n1\ta\n2\t\\N\n"),
        ("TSV", b"1\ta\r\n2\t\\N"),
    ];
    for (i, (format, data)) in cases.iter().enumerate() {
        let stream = format!("t{i}");
        create_stream(&s, &format!("{stream} (id int32, name nullable(string))"));
        let r = post(
            &s,
            &format!("INSERT INTO {stream} (id, name) FORMAT {format}"),
            &[],
            data,
        );
        assert_eq!(r.status, 200, "{format} in the query: {}", r.text());
        assert_eq!(written_rows(&r), "2", "{format}");
        let mut body =
            format!("INSERT INTO `{stream}` (`id`, `name`) FORMAT {format}\n").into_bytes();
        body.extend_from_slice(data);
        let r = post(&s, "", &[], &body);
        assert_eq!(r.status, 200, "{format} in the body: {}", r.text());
        assert_eq!(
            select(&s, &format!("SELECT id, name FROM {stream} ORDER BY id")),
            "1\ta\n1\ta\n2\t\\N\n2\t\\N\n",
            "{format}"
        );
    }
}

/// A Native block as timeplus-connect writes it: (id int32, name string).
fn native_block(ids: &[i32], names: &[&str]) -> Vec<u8> {
    let mut b = vec![2, ids.len() as u8, 2];
    b.extend(b"id");
    b.push(5);
    b.extend(b"int32");
    for id in ids {
        b.extend(id.to_le_bytes());
    }
    b.push(4);
    b.extend(b"name");
    b.push(6);
    b.extend(b"string");
    for n in names {
        b.push(n.len() as u8);
        b.extend(n.as_bytes());
    }
    b
}

fn lz4(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

#[test]
fn native_and_row_binary_compressed_or_not() {
    let s = Server::start("ch-binary");
    create_stream(&s, "n (id int32, name string)");
    // Two blocks, each an LZ4 frame, the statement in the first: as timeplus-connect sends.
    let mut first = b"INSERT INTO `n` (`id`, `name`) FORMAT Native\n".to_vec();
    first.extend(native_block(&[1, 2], &["hello", "world"]));
    let body = [lz4(&first), lz4(&native_block(&[3], &["again"]))].concat();
    let r = post(&s, "", &[("Content-Encoding", "lz4")], &body);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(written_rows(&r), "3");
    // zstd and gzip bodies, the statement in the query.
    let zstd = ruzstd::encoding::compress_to_vec(
        &native_block(&[4], &["z"])[..],
        ruzstd::encoding::CompressionLevel::Fastest,
    );
    let r = post(
        &s,
        "INSERT INTO n FORMAT Native",
        &[("Content-Encoding", "zstd")],
        &zstd,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let r = post(
        &s,
        "INSERT INTO n FORMAT Native",
        &[("Content-Encoding", "gzip")],
        &common::gzip(&native_block(&[5], &["g"])),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    // RowBinary in the columns' types.
    let mut rows = 6i32.to_le_bytes().to_vec();
    rows.push(2);
    rows.extend(b"rb");
    let r = post(&s, "INSERT INTO n (id, name) FORMAT RowBinary", &[], &rows);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        select(&s, "SELECT id, name FROM n ORDER BY id"),
        "1\thello\n2\tworld\n3\tagain\n4\tz\n5\tg\n6\trb\n"
    );
    // Native output, LZ4-compressed when asked for.
    let r = s.snapshot_request(
        "POST",
        "/?enable_http_compression=1",
        &[("Accept-Encoding", "lz4,zstd,gzip,deflate")],
        b"SELECT id, name FROM n WHERE id <= 2 ORDER BY id FORMAT Native",
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-encoding"), Some("lz4"));
    assert_eq!(r.header("x-clickhouse-format"), Some("Native"));
    let mut native = Vec::new();
    std::io::Read::read_to_end(
        &mut lz4_flex::frame::FrameDecoder::new(&r.body[..]),
        &mut native,
    )
    .unwrap();
    assert_eq!(native, native_block(&[1, 2], &["hello", "world"]));
}

#[test]
fn insert_format_into_a_machbase_tag_table() {
    let s = Server::start("ch-machbase");
    create_tag_table(&s, "TAG");
    let r = post(
        &s,
        "INSERT INTO TAG FORMAT CSV",
        &[],
        b"sensor,2024-01-01 00:00:00,1.5\nsensor,2024-01-01 00:00:01,2.5\n",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        select(&s, "SELECT name, value FROM TAG ORDER BY time"),
        "sensor\t1.5\nsensor\t2.5\n"
    );
}

/// Posts `data` into a fresh stream in `format`; returns the reply and the rows stored.
fn bad(s: &Server, stream: &str, format: &str, data: &[u8]) -> (Response, String) {
    create_stream(s, &format!("{stream} (id int32, name string)"));
    let r = post(
        s,
        &format!("INSERT INTO {stream} (id, name) FORMAT {format}"),
        &[],
        data,
    );
    let rows = select(s, &format!("SELECT count() FROM {stream}"));
    (r, rows)
}

#[test]
fn malformed_input_in_each_format_names_the_row_and_stores_nothing() {
    let s = Server::start("ch-malformed");
    let cases: [(&str, &[u8], u16, &str); 10] = [
        (
            "JSONEachRow",
            b"{\"id\":1,\"name\":\"a\"}\n{\"id\":\"x\",\"name\":\"b\"}\n",
            400,
            "(at row 2)",
        ),
        ("JSONEachRow", b"{\"id\":1,", 400, "Code: 117"),
        (
            "JSONCompactEachRow",
            b"[1,\"a\"]\n[2]\n",
            400,
            "a row has 1 values, but 2 columns are inserted: (at row 2)",
        ),
        (
            "CSV",
            b"1,a\nx,b\n",
            400,
            "column id: `x` is not an integer: (at row 2)",
        ),
        ("CSV", b"1,\"a\n", 400, "Code: 117"),
        (
            "TabSeparated",
            b"1\ta\n2\t\\xZZ\n",
            400,
            "`\\x` must be followed by two hex digits",
        ),
        (
            "Native",
            &[2, 1, 2, b'i', b'd', 5, b'i', b'n', b't', b'3', b'2', 1],
            400,
            "the body ends inside the block",
        ),
        (
            "Native",
            &[
                1, 1, 1, b'a', 12, b'a', b'r', b'r', b'a', b'y', b'(', b'i', b'n', b't', b'8',
                b')', b')',
            ],
            404,
            "UNKNOWN_TYPE",
        ),
        (
            "RowBinary",
            &[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f],
            400,
            "a string of 4294967295 bytes",
        ),
        ("Parquet", b"PAR1", 404, "Unknown input format Parquet"),
    ];
    for (i, (format, data, status, text)) in cases.iter().enumerate() {
        let (r, rows) = bad(&s, &format!("m{i}"), format, data);
        assert_eq!(r.status, *status, "{format}: {}", r.text());
        assert!(r.text().contains(text), "{format}: {}", r.text());
        assert!(
            r.header("x-clickhouse-exception-code").is_some(),
            "{format}"
        );
        assert_eq!(rows, "0\n", "{format}: nothing stored");
    }
    // Lying Native block row counts are refused at once, without waiting for the bytes:
    // 2,000,000 int64 values cannot fit a block, 268,435,455 rows are past the row bound.
    let head = [2, b'i', b'd', 5, b'i', b'n', b't', b'6', b'4'];
    for (rows, bound) in [
        (&[0x80, 0x89, 0x7a][..], "native_block_bytes_max"),
        (&[0xff, 0xff, 0xff, 0x7f][..], "native_block_rows_max"),
    ] {
        let body = [&[1][..], rows, &head].concat();
        let (r, _) = bad(&s, &format!("lying{}", rows.len()), "Native", &body);
        assert_eq!(r.status, 413, "{}", r.text());
        assert!(r.text().contains(bound), "{}", r.text());
    }
    // Unknown columns answer 400 with Proton's code 16.
    create_stream(&s, "u (id int32)");
    let r = post(&s, "INSERT INTO u (nope) FORMAT CSV", &[], b"1\n");
    assert_eq!(r.status, 400);
    assert!(
        r.text()
            .contains("Code: 16. DB::Exception: No such column nope in stream default.u"),
        "{}",
        r.text()
    );
    // An unknown stream is Proton's 404.
    let r = post(&s, "INSERT INTO nowhere FORMAT CSV", &[], b"1\n");
    assert_eq!(r.status, 404);
    assert!(
        r.text().contains("Stream default.nowhere doesn't exist"),
        "{}",
        r.text()
    );
}

#[test]
fn a_failure_after_full_batches_says_how_many_rows_were_stored() {
    let s = Server::start("ch-partial");
    create_stream(&s, "p (id int32, name string)");
    let mut body: Vec<u8> = (0..10_000)
        .flat_map(|i| format!("{i},n\n").into_bytes())
        .collect();
    body.extend(b"oops,n\n");
    let r = post(&s, "INSERT INTO p (id, name) FORMAT CSV", &[], &body);
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().contains("(at row 10001)"), "{}", r.text());
    let stored = written_rows(&r);
    assert!(
        r.text()
            .contains(&format!("{stored} rows were stored before it")),
        "{}",
        r.text()
    );
    assert_eq!(select(&s, "SELECT count() FROM p"), format!("{stored}\n"));
    assert_ne!(stored, "0", "at least one batch of 4096 rows was committed");
}
