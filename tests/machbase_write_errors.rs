//! Malformed `POST /db/write/{table}` bodies in every format, with the fault at the start,
//! in the middle and at the end of a 10,000-row body: each answers 400 naming the row, the
//! reply's `affectedRows` is exactly what was stored, and the stored rows are intact.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_tag_table, query_csv};

const ROWS: usize = 10_000;
/// Rows per committed batch (the server's BATCH_ROWS_MAX): rows before the failing batch
/// are stored, the failing batch is not.
const BATCH: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Format {
    Csv,
    Ndjson,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    InvalidUtf8,
    WrongFieldCount,
    BadNumber,
    BadTime,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Ndjson => "application/x-ndjson",
            Format::Json => "application/json",
        }
    }

    /// One row; `fault` spoils it.
    fn row(self, i: usize, fault: Option<Fault>, out: &mut Vec<u8>) {
        let name = format!("tag-{}", i % 10);
        let time = (1_000_000 + i).to_string();
        let value = format!("{i}.5");
        let (name, time, value): (Vec<u8>, String, String) = match fault {
            Some(Fault::InvalidUtf8) => (b"bad\xff\xfe".to_vec(), time, value),
            Some(Fault::BadNumber) => (name.into_bytes(), time, "abc".into()),
            Some(Fault::BadTime) => (name.into_bytes(), "12:00".into(), value),
            _ => (name.into_bytes(), time, value),
        };
        let extra = fault == Some(Fault::WrongFieldCount);
        match self {
            Format::Csv => {
                out.extend(&name);
                out.extend(format!(",{time},{value}").as_bytes());
                if extra {
                    out.extend(b",surplus");
                }
                out.push(b'\n');
            }
            Format::Ndjson => {
                if extra {
                    // NDJSON has no field count; the nearest fault is a row that is no object.
                    out.extend(b"[1,2,3]\n");
                    return;
                }
                let quote = if fault == Some(Fault::BadTime) {
                    "\""
                } else {
                    ""
                };
                let vquote = if fault == Some(Fault::BadNumber) {
                    "\""
                } else {
                    ""
                };
                out.extend(b"{\"NAME\":\"");
                out.extend(&name);
                out.extend(
                    format!(
                        "\",\"TIME\":{quote}{time}{quote},\"VALUE\":{vquote}{value}{vquote}}}\n"
                    )
                    .as_bytes(),
                );
            }
            Format::Json => {
                if i > 1 {
                    out.push(b',');
                }
                let quote = if fault == Some(Fault::BadTime) {
                    "\""
                } else {
                    ""
                };
                let vquote = if fault == Some(Fault::BadNumber) {
                    "\""
                } else {
                    ""
                };
                out.extend(b"[\"");
                out.extend(&name);
                out.extend(format!("\",{quote}{time}{quote},{vquote}{value}{vquote}").as_bytes());
                if extra {
                    out.extend(b",1");
                }
                out.extend(b"]\n");
            }
        }
    }

    /// `ROWS` rows, row `bad` (1-based) spoiled by `fault`.
    fn body(self, bad: usize, fault: Fault) -> Vec<u8> {
        let mut out = Vec::new();
        if self == Format::Json {
            out.extend(br#"{"data":{"columns":["NAME","TIME","VALUE"],"rows":["#);
        }
        for i in 1..=ROWS {
            self.row(i, (i == bad).then_some(fault), &mut out);
        }
        if self == Format::Json {
            out.extend(b"]}}");
        }
        out
    }
}

fn stored_rows(s: &Server, table: &str) -> usize {
    let csv = query_csv(s, &format!("select * from {table}"));
    // Header line and the trailing blank line.
    csv.lines().count().saturating_sub(2)
}

fn affected_rows(reply: &str) -> usize {
    reply.split("\"affectedRows\":").nth(1).map_or(0, |rest| {
        rest.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
            .parse()
            .unwrap()
    })
}

#[test]
fn each_fault_at_start_middle_and_end_of_each_format() {
    let s = Server::start("write-errors");
    let mut case = 0;
    for format in [Format::Csv, Format::Ndjson, Format::Json] {
        for fault in [
            Fault::InvalidUtf8,
            Fault::WrongFieldCount,
            Fault::BadNumber,
            Fault::BadTime,
        ] {
            for bad in [1, ROWS / 2, ROWS] {
                case += 1;
                let table = format!("t{case}");
                create_tag_table(&s, &table);
                let body = format.body(bad, fault);
                let r = s.post(&format!("/db/write/{table}"), format.content_type(), &body);
                let reply = r.text();
                let what = format!("{format:?} {fault:?} at row {bad}: {reply}");
                assert_eq!(r.status, 400, "{what}");
                assert!(reply.contains("\"success\":false"), "{what}");
                assert!(
                    reply.contains(&format!("rows[{bad}]"))
                        || reply.contains(&format!("row {bad})")),
                    "the reason names the row: {what}"
                );
                let expected = (bad - 1) / BATCH * BATCH;
                assert_eq!(affected_rows(&reply), expected, "{what}");
                assert_eq!(stored_rows(&s, &table), expected, "{what}");
            }
        }
    }
}

#[test]
fn truncated_bodies_store_whole_batches_only() {
    let s = Server::start("write-truncated");
    for (i, format) in [Format::Csv, Format::Ndjson, Format::Json]
        .into_iter()
        .enumerate()
    {
        let table = format!("trunc{i}");
        create_tag_table(&s, &table);
        let mut body = format.body(0, Fault::BadTime);
        // Cut inside the last row's time, so that even CSV sees a short record.
        let cut = body.len() - 12;
        body.truncate(cut);
        let r = s.post(&format!("/db/write/{table}"), format.content_type(), &body);
        let reply = r.text();
        assert_eq!(r.status, 400, "{format:?}: {reply}");
        assert_eq!(affected_rows(&reply), 8192, "{format:?}: {reply}");
        assert_eq!(stored_rows(&s, &table), 8192, "{format:?}");
    }
}

#[test]
fn gzip_faults() {
    let s = Server::start("write-gzip-errors");
    create_tag_table(&s, "g");
    let post = |body: &[u8]| {
        s.request(
            "POST",
            "/db/write/g",
            &[("Content-Type", "text/csv"), ("Content-Encoding", "gzip")],
            body,
        )
    };
    // Not gzip at all: the peer's 500.
    let r = post(b"a,1,1\n");
    assert_eq!(r.status, 500, "{}", r.text());
    assert!(r.text().contains("gzip: invalid header"), "{}", r.text());
    // A fault inside the compressed CSV is reported like the plain one.
    let r = post(&common::gzip(&Format::Csv.body(ROWS / 2, Fault::BadNumber)));
    assert_eq!(r.status, 400);
    assert_eq!(affected_rows(&r.text()), 4096, "{}", r.text());
    // A stream cut short, and one with a wrong checksum.
    let whole = common::gzip(&Format::Csv.body(0, Fault::BadNumber));
    let r = post(&whole[..whole.len() / 2]);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("unexpected EOF"), "{}", r.text());
    let mut bad_crc = whole.clone();
    let n = bad_crc.len();
    bad_crc[n - 5] ^= 0x40;
    let r = post(&bad_crc);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("gzip: invalid checksum"), "{}", r.text());
    // Every row of the one body that was whole and correct is there, and the server serves.
    let r = post(&whole);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(stored_rows(&s, "g"), ROWS);
}

#[test]
fn a_gzip_bomb_is_refused_with_413_and_the_server_keeps_serving() {
    let s = Server::start_with_args("write-gzip-bomb", &["--inflated-bytes-max", "1MiB"]);
    create_tag_table(&s, "bomb");
    // 16 MiB of one repeated row compresses to a few KiB.
    let rows = b"a,1,1\n".repeat((16 << 20) / 6);
    let body = common::gzip(&rows);
    assert!(body.len() < 100 << 10, "{}", body.len());
    let r = s.request(
        "POST",
        "/db/write/bomb",
        &[("Content-Type", "text/csv"), ("Content-Encoding", "gzip")],
        &body,
    );
    assert_eq!(r.status, 413, "{}", r.text());
    assert!(r.text().contains("--inflated-bytes-max"), "{}", r.text());
    let r = s.get("/healthz");
    assert_eq!(r.status, 200);
}
