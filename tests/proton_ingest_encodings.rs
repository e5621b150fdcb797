//! Proton ingest with `Content-Encoding` (reference proton-api.md §1.2 and cases 13–14):
//! gzip and deflate bodies are inflated; methods tidegate lacks and unknown ones get 501
//! with code 48; a corrupt gzip body is a 400 and stores nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_stream, proton_get};

const BODY: &[u8] = br#"{"columns":["id","name"],"data":[[1,"hello"],[2,"world"]]}"#;

fn ingest(s: &Server, stream: &str, encoding: &str, body: &[u8]) -> common::Response {
    s.request(
        "POST",
        &format!("/proton/v1/ingest/streams/{stream}"),
        &[
            ("Content-Type", "application/json"),
            ("Content-Encoding", encoding),
        ],
        body,
    )
}

fn rows(s: &Server, stream: &str) -> String {
    proton_get(
        s,
        &format!("SELECT id, name FROM table({stream}) ORDER BY id"),
    )
    .text()
}

#[test]
fn gzip_and_deflate_bodies_are_inflated() {
    let s = Server::start("proton-encodings");
    for (stream, encoding, body) in [
        ("gz", "gzip", common::gzip(BODY)),
        ("gz_upper", "GZIP", common::gzip(BODY)),
        (
            "zlib",
            "deflate",
            miniz_oxide::deflate::compress_to_vec_zlib(BODY, 6),
        ),
        ("plain", "none", BODY.to_vec()),
    ] {
        create_stream(&s, &format!("{stream}(id int, name string)"));
        let r = ingest(&s, stream, encoding, &body);
        assert_eq!(r.status, 200, "{encoding}: {}", r.text());
        assert!(r.text().starts_with(r#"{"request_id":""#), "{}", r.text());
        assert_eq!(rows(&s, stream), "1\thello\n2\tworld\n", "{encoding}");
    }
}

#[test]
fn other_encodings_and_corrupt_bodies() {
    let s = Server::start("proton-bad-encodings");
    create_stream(&s, "foo(id int, name string)");
    let r = ingest(&s, "foo", "foo", BODY);
    assert_eq!(r.status, 501);
    assert!(r.text().contains(r#""code":48"#), "{}", r.text());
    assert!(
        r.text().contains("Unknown compression method foo"),
        "{}",
        r.text()
    );
    let r = ingest(&s, "foo", "zstd", BODY);
    assert_eq!(r.status, 501);
    assert!(
        r.text().contains("not supported by tidegate"),
        "{}",
        r.text()
    );
    // Not gzip, cut short, and a flipped checksum: 400, nothing stored.
    let whole = common::gzip(BODY);
    let mut bad_crc = whole.clone();
    let n = bad_crc.len();
    bad_crc[n - 6] ^= 1;
    for body in [BODY.to_vec(), whole[..whole.len() - 4].to_vec(), bad_crc] {
        let r = ingest(&s, "foo", "gzip", &body);
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(r.text().contains(r#""code":354"#), "{}", r.text());
    }
    assert_eq!(rows(&s, "foo"), "");
}
