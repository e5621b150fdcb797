//! Compressed ClickHouse-interface replies (`enable_http_compression=1`): one LZ4 frame, one
//! gzip member or one zlib stream around the whole reply, written as the reply streams.
//!
//! Invariants:
//! - One frame or stream per reply, ended only when the inner body ends (drivers such as
//!   timeplus-connect read exactly one LZ4 frame). If the inner body fails, the error passes
//!   on and no end is written, so the client sees a truncated stream, never a short valid one.
//! - Memory is fixed: the compressor's state (LZ4: one 64 KiB block and its output; deflate:
//!   miniz_oxide's window) plus one inner chunk.
//! - Live replies are left uncompressed (see `api::clickhouse_reply`).

use std::io::Write;

use lz4_flex::frame::FrameEncoder;

use super::gzip::{GzipBody, gzip_bytes};
use crate::server::{BodySource, Response, ResponseBody};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyEncoding {
    Lz4,
    Gzip,
    Deflate,
}

impl ReplyEncoding {
    pub fn name(self) -> &'static str {
        match self {
            ReplyEncoding::Lz4 => "lz4",
            ReplyEncoding::Gzip => "gzip",
            ReplyEncoding::Deflate => "deflate",
        }
    }

    fn wrap(self, inner: Box<dyn BodySource>) -> Box<dyn BodySource> {
        match self {
            ReplyEncoding::Lz4 => Box::new(Lz4Body::new(inner)),
            ReplyEncoding::Gzip => Box::new(GzipBody::new(inner)),
            ReplyEncoding::Deflate => Box::new(GzipBody::zlib(inner)),
        }
    }
}

/// `response` with its body compressed and `Content-Encoding` set; a live body is returned
/// as it is.
pub fn compress_reply(mut response: Response, encoding: ReplyEncoding) -> Response {
    response.body = match response.body {
        ResponseBody::Live(live) => {
            response.body = ResponseBody::Live(live);
            return response;
        }
        ResponseBody::Bytes(bytes) => ResponseBody::Bytes(match encoding {
            ReplyEncoding::Gzip => gzip_bytes(bytes),
            other => compress_bytes(bytes, other),
        }),
        ResponseBody::Stream(inner) => ResponseBody::Stream(encoding.wrap(inner)),
    };
    response.with_header("Content-Encoding", encoding.name())
}

/// `data` compressed whole.
fn compress_bytes(data: Vec<u8>, encoding: ReplyEncoding) -> Vec<u8> {
    let mut body = encoding.wrap(Box::new(Whole(Some(data))));
    let mut out = Vec::new();
    // The inner body never fails and ends on its first call; the wrappers end with it.
    while let Ok(true) = body.next_chunk(&mut out) {}
    out
}

/// Hands over its bytes in one piece.
struct Whole(Option<Vec<u8>>);

impl BodySource for Whole {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
        if let Some(data) = self.0.take() {
            out.extend_from_slice(&data);
        }
        Ok(false)
    }
}

/// One LZ4 frame (independent 64 KiB blocks, no checksums) around the inner body.
pub struct Lz4Body {
    inner: Box<dyn BodySource>,
    /// `None` once the frame was finished.
    encoder: Option<FrameEncoder<Vec<u8>>>,
    pending: Vec<u8>,
}

impl Lz4Body {
    pub fn new(inner: Box<dyn BodySource>) -> Lz4Body {
        Lz4Body {
            inner,
            encoder: Some(FrameEncoder::new(Vec::new())),
            pending: Vec::new(),
        }
    }
}

impl BodySource for Lz4Body {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
        let Some(encoder) = self.encoder.as_mut() else {
            return Ok(false);
        };
        self.pending.clear();
        let more = self.inner.next_chunk(&mut self.pending)?;
        encoder
            .write_all(&self.pending)
            .map_err(|e| format!("lz4: {e}"))?;
        // Whole blocks the encoder wrote so far go out now.
        out.append(encoder.get_mut());
        if !more && let Some(encoder) = self.encoder.take() {
            let tail = encoder.finish().map_err(|e| format!("lz4: {e}"))?;
            out.extend_from_slice(&tail);
        }
        Ok(more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Parts(std::vec::IntoIter<Vec<u8>>);

    impl BodySource for Parts {
        fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
            match self.0.next() {
                Some(part) => {
                    out.extend_from_slice(&part);
                    Ok(self.0.len() > 0)
                }
                None => Ok(false),
            }
        }
    }

    fn run(encoding: ReplyEncoding, parts: Vec<Vec<u8>>) -> Vec<u8> {
        let mut body = encoding.wrap(Box::new(Parts(parts.into_iter())));
        let mut out = Vec::new();
        while body.next_chunk(&mut out).unwrap() {}
        assert!(!body.next_chunk(&mut out).unwrap(), "stays done");
        out
    }

    fn unlz4(frame: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut lz4_flex::frame::FrameDecoder::new(frame), &mut out)
            .unwrap();
        out
    }

    #[test]
    fn lz4_replies_are_one_frame_of_the_inner_body() {
        let csv: Vec<u8> = (0..30_000)
            .flat_map(|i| format!("temp,{i},3.14\n").into_bytes())
            .collect();
        for parts in [
            vec![],
            vec![Vec::new()],
            vec![b"1\thello\n".to_vec()],
            csv.chunks(7_001).map(<[u8]>::to_vec).collect(),
        ] {
            let whole = parts.concat();
            let frame = run(ReplyEncoding::Lz4, parts);
            assert_eq!(&frame[..4], &[0x04, 0x22, 0x4d, 0x18], "LZ4 frame magic");
            assert_eq!(unlz4(&frame), whole);
        }
        assert!(run(ReplyEncoding::Lz4, vec![csv.clone()]).len() < csv.len() / 3);
    }

    #[test]
    fn whole_replies_get_content_encoding() {
        let r = compress_reply(Response::text(200, "Ok.\n"), ReplyEncoding::Lz4);
        assert!(r.headers.contains(&("Content-Encoding", "lz4".into())));
        let ResponseBody::Bytes(b) = r.body else {
            panic!("bytes stay bytes")
        };
        assert_eq!(unlz4(&b), b"Ok.\n");
        let r = compress_reply(Response::text(200, "x"), ReplyEncoding::Deflate);
        let ResponseBody::Bytes(b) = r.body else {
            panic!()
        };
        assert_eq!(
            miniz_oxide::inflate::decompress_to_vec_zlib(&b).unwrap(),
            b"x"
        );
    }
}
