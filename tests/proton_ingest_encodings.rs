//! Proton ingest with `Content-Encoding` (reference proton-api.md §1.2 and cases 13–14):
//! gzip, deflate, lz4 (frames), zstd and br bodies are inflated; methods tidegate lacks and
//! unknown ones get 501 with code 48; a corrupt gzip body is a 400 and stores nothing.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_stream, proton_get};

const BODY: &[u8] = br#"{"columns":["id","name"],"data":[[1,"hello"],[2,"world"]]}"#;

/// Python brotli's `compress(BODY)`.
const BODY_BROTLI: &[u8] = &[
    0x1b, 0x39, 0x00, 0x80, 0x1c, 0x07, 0x76, 0x73, 0xce, 0x8f, 0x30, 0xf0, 0xda, 0xd9, 0x2d, 0x83,
    0x11, 0x2a, 0x3d, 0xc9, 0xd2, 0xf6, 0x9a, 0xa5, 0x4b, 0xa7, 0x6f, 0x8b, 0x6c, 0xc9, 0xc4, 0x04,
    0x87, 0x1c, 0xb0, 0x1e, 0xb8, 0x2d, 0x90, 0x40, 0x6f, 0xe5, 0x42, 0xc3, 0xa9, 0x8d, 0xa8, 0x4b,
    0xf9, 0x96, 0xe0, 0x37, 0x11, 0xd8, 0x6a, 0xa4, 0xb7, 0x74, 0x10, 0xd2, 0x01,
];

fn lz4(data: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

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
fn compressed_bodies_are_inflated() {
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
        ("lz4", "lz4", lz4(BODY)),
        (
            "zstd",
            "zstd",
            ruzstd::encoding::compress_to_vec(BODY, ruzstd::encoding::CompressionLevel::Fastest),
        ),
        ("br", "br", BODY_BROTLI.to_vec()),
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
    let r = ingest(&s, "foo", "snappy", BODY);
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
