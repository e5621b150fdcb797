//! What every ClickHouse-interface reply carries besides its body: the summary header drivers
//! read after an INSERT (`X-ClickHouse-Summary`, and `x-timeplus-summary` which
//! timeplus-connect reads), and the reply's compression.
//!
//! Compression (ClickHouse's `enable_http_compression`): only when the request sets it to 1
//! and its `Accept-Encoding` names a method tidegate writes. Of those named, tidegate picks in
//! ClickHouse's order of preference (`chooseHTTPCompressionMethod`), skipping the ones it
//! does not write (zstd, br, xz, bz2, snappy), so a client always gets a method it asked for
//! or an uncompressed reply, which HTTP always allows. Live (never-ending) replies are sent
//! uncompressed, so each row reaches the client when it is ingested.

use std::time::Instant;

use crate::output::ReplyEncoding;
use crate::server::Response;

/// The counts a reply's summary header reports; ClickHouse prints each as a JSON string.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub written_rows: u64,
    pub written_bytes: u64,
}

impl Summary {
    /// ClickHouse's `X-ClickHouse-Summary` JSON. tidegate streams results, so a reply's head
    /// goes out before any row is read: read and result counts are 0.
    pub fn json(&self, started: Instant) -> String {
        let elapsed_ns = started.elapsed().as_nanos();
        format!(
            "{{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"{}\",\"written_bytes\":\"{}\",\"total_rows_to_read\":\"0\",\"result_rows\":\"{}\",\"result_bytes\":\"{}\",\"elapsed_ns\":\"{elapsed_ns}\"}}",
            self.written_rows, self.written_bytes, self.written_rows, self.written_bytes
        )
    }
}

pub trait WithSummary {
    fn with_summary(self, summary: &Summary, started: Instant) -> Self;
}

impl WithSummary for Response {
    fn with_summary(self, summary: &Summary, started: Instant) -> Response {
        let text = summary.json(started);
        self.with_header("x-timeplus-summary", text.clone())
            .with_header("X-ClickHouse-Summary", text)
    }
}

/// The reply encoding for `enable_http_compression` and `Accept-Encoding`, if any.
pub fn negotiate(enable: Option<&str>, accept: Option<&str>) -> Option<ReplyEncoding> {
    if !matches!(enable.map(str::trim), Some("1" | "true")) {
        return None;
    }
    let accept = accept?.to_ascii_lowercase();
    let named = |name: &str| {
        accept
            .split(',')
            .filter_map(|item| {
                let mut parts = item.split(';');
                let coding = parts.next()?.trim();
                // `q=0` refuses a coding.
                let refused =
                    parts.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
                Some((coding, refused))
            })
            .any(|(coding, refused)| coding == name && !refused)
    };
    // ClickHouse's order after zstd and br, which tidegate does not write.
    [
        ("lz4", ReplyEncoding::Lz4),
        ("gzip", ReplyEncoding::Gzip),
        ("deflate", ReplyEncoding::Deflate),
    ]
    .into_iter()
    .find(|(name, _)| named(name))
    .map(|(_, encoding)| encoding)
}

/// `response` with its body compressed, unless it is live or no encoding was chosen.
pub fn compress(response: Response, encoding: Option<ReplyEncoding>) -> Response {
    match encoding {
        Some(encoding) => crate::output::compress_reply(response, encoding),
        None => response,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_follows_clickhouse_and_the_request() {
        let n = negotiate;
        assert_eq!(
            n(Some("1"), Some("lz4,zstd,gzip,deflate")),
            Some(ReplyEncoding::Lz4)
        );
        assert_eq!(
            n(Some("1"), Some("gzip, deflate, br")),
            Some(ReplyEncoding::Gzip)
        );
        assert_eq!(n(Some("1"), Some("deflate")), Some(ReplyEncoding::Deflate));
        assert_eq!(n(Some("1"), Some("br, zstd")), None);
        assert_eq!(
            n(Some("1"), Some("gzip;q=0, deflate")),
            Some(ReplyEncoding::Deflate)
        );
        assert_eq!(n(Some("0"), Some("gzip")), None);
        assert_eq!(n(None, Some("gzip")), None);
        assert_eq!(n(Some("1"), None), None);
    }

    #[test]
    fn summary_is_clickhouse_json() {
        let s = Summary {
            written_rows: 2,
            written_bytes: 0,
        }
        .json(Instant::now());
        assert!(
            s.starts_with("{\"read_rows\":\"0\",\"read_bytes\":\"0\",\"written_rows\":\"2\","),
            "{s}"
        );
    }
}
