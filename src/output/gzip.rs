//! `compress=gzip` for streamed replies: wraps any `BodySource` in one gzip member
//! (RFC 1952), compressed as the inner body produces bytes; or, for HTTP's `deflate`, in one
//! zlib stream (RFC 1950), whose header and Adler-32 trailer miniz_oxide writes itself.
//!
//! Invariants:
//! - Memory is fixed: miniz_oxide's compressor state, one inner chunk and one output block;
//!   nothing grows with the reply's length.
//! - The member is complete only when the inner body ends: header, raw deflate, then CRC-32
//!   and the length mod 2^32. If the inner body fails, the error is passed on and no trailer
//!   is written, so the client sees a truncated stream, never a valid-looking short one.

use miniz_oxide::deflate::core::CompressorOxide;
use miniz_oxide::deflate::stream::deflate;
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use crate::server::BodySource;

/// Level 1: on a 2-core gateway the CPU is scarcer than the link while a reply streams, and
/// level 1 still shrinks time-series CSV and JSON several times over.
const GZIP_LEVEL: u8 = 1;
/// Compressed bytes produced per `deflate` call.
const DEFLATE_BLOCK_BYTES: usize = 16 << 10;
/// Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
const GZIP_HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];

pub struct GzipBody {
    inner: Box<dyn BodySource>,
    /// A zlib stream instead of a gzip member.
    zlib: bool,
    compressor: Box<CompressorOxide>,
    crc: crc32fast::Hasher,
    /// Uncompressed length mod 2^32, as the trailer carries it.
    len: u32,
    /// The inner body's latest bytes, not yet compressed.
    pending: Vec<u8>,
    block: Box<[u8]>,
    header_sent: bool,
    done: bool,
}

impl GzipBody {
    pub fn new(inner: Box<dyn BodySource>) -> GzipBody {
        Self::with_format(inner, false)
    }

    /// One zlib stream (HTTP's `Content-Encoding: deflate`).
    pub fn zlib(inner: Box<dyn BodySource>) -> GzipBody {
        Self::with_format(inner, true)
    }

    fn with_format(inner: Box<dyn BodySource>, zlib: bool) -> GzipBody {
        let mut compressor = Box::<CompressorOxide>::default();
        let format = if zlib {
            DataFormat::Zlib
        } else {
            DataFormat::Raw
        };
        compressor.set_format_and_level(format, GZIP_LEVEL);
        GzipBody {
            inner,
            zlib,
            compressor,
            crc: crc32fast::Hasher::new(),
            len: 0,
            pending: Vec::new(),
            block: vec![0; DEFLATE_BLOCK_BYTES].into_boxed_slice(),
            header_sent: false,
            done: false,
        }
    }

    /// Compresses all of `pending` into `out`; with `finish`, also ends the deflate stream.
    fn compress(&mut self, finish: bool, out: &mut Vec<u8>) -> Result<(), String> {
        let flush = if finish {
            MZFlush::Finish
        } else {
            MZFlush::None
        };
        let mut input = self.pending.as_slice();
        loop {
            let result = deflate(&mut self.compressor, input, &mut self.block, flush);
            input = input.get(result.bytes_consumed..).unwrap_or_default();
            out.extend_from_slice(self.block.get(..result.bytes_written).unwrap_or_default());
            match result.status {
                Ok(MZStatus::StreamEnd) => break,
                // Not finishing: done once the input is used up and the block had room left.
                Ok(_) if !finish && input.is_empty() && result.bytes_written < self.block.len() => {
                    break;
                }
                Ok(_) => {}
                // No progress possible without more input (nothing was pending).
                Err(MZError::Buf) if !finish && input.is_empty() => break,
                Err(e) => return Err(format!("gzip: deflate failed: {e:?}")),
            }
        }
        self.pending.clear();
        Ok(())
    }
}

/// One gzip member of `data`, for a reply built whole (a statement's message, an error).
pub fn gzip_bytes(data: Vec<u8>) -> Vec<u8> {
    /// Hands over `data` in one piece.
    struct Whole(Option<Vec<u8>>);
    impl BodySource for Whole {
        fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
            if let Some(data) = self.0.take() {
                out.extend_from_slice(&data);
            }
            Ok(false)
        }
    }
    let mut body = GzipBody::new(Box::new(Whole(Some(data))));
    let mut out = Vec::new();
    // The inner body never fails and ends on its first call, so this is one round.
    while let Ok(true) = body.next_chunk(&mut out) {}
    out
}

impl BodySource for GzipBody {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
        if self.done {
            return Ok(false);
        }
        if !self.header_sent {
            self.header_sent = true;
            if !self.zlib {
                out.extend_from_slice(&GZIP_HEADER);
            }
        }
        let more = self.inner.next_chunk(&mut self.pending)?;
        self.crc.update(&self.pending);
        // The trailer's ISIZE is the length modulo 2^32 (RFC 1952 §2.3.1).
        self.len = self.len.wrapping_add(self.pending.len() as u32);
        self.compress(!more, out)?;
        if !more {
            if !self.zlib {
                out.extend_from_slice(&self.crc.clone().finalize().to_le_bytes());
                out.extend_from_slice(&self.len.to_le_bytes());
            }
            self.done = true;
        }
        Ok(more)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::inflate::decompress_to_vec;

    /// Produces `parts` one per call.
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

    fn gzip_parts(parts: Vec<Vec<u8>>) -> Vec<u8> {
        let mut body = GzipBody::new(Box::new(Parts(parts.into_iter())));
        let mut out = Vec::new();
        while body.next_chunk(&mut out).unwrap() {}
        assert!(!body.next_chunk(&mut out).unwrap(), "stays done");
        out
    }

    /// The member's deflate data inflated, after checking header, CRC and length.
    fn gunzip(member: &[u8]) -> Vec<u8> {
        assert_eq!(member[..10], GZIP_HEADER);
        let (deflated, trailer) = member[10..].split_at(member.len() - 18);
        let data = decompress_to_vec(deflated).unwrap();
        let mut crc = crc32fast::Hasher::new();
        crc.update(&data);
        assert_eq!(trailer[..4], crc.finalize().to_le_bytes());
        assert_eq!(trailer[4..], (data.len() as u32).to_le_bytes());
        data
    }

    #[test]
    fn members_inflate_to_the_inner_body() {
        let csv: Vec<u8> = (0..20_000)
            .flat_map(|i| format!("temp,{i},3.14\n").into_bytes())
            .collect();
        for parts in [
            vec![],
            vec![Vec::new()],
            vec![b"NAME,TIME,VALUE\ntemp,1705291859000000000,3.14\n\n".to_vec()],
            csv.chunks(7).map(<[u8]>::to_vec).collect(),
            csv.chunks(100_000).map(<[u8]>::to_vec).collect(),
        ] {
            let whole: Vec<u8> = parts.concat();
            let member = gzip_parts(parts);
            assert_eq!(gunzip(&member), whole);
        }
        assert!(gzip_parts(vec![csv.clone()]).len() < csv.len() / 4);
    }

    #[test]
    fn zlib_streams_inflate_to_the_inner_body() {
        let csv: Vec<u8> = (0..5_000)
            .flat_map(|i| format!("temp,{i},3.14\n").into_bytes())
            .collect();
        let mut body = GzipBody::zlib(Box::new(Parts(
            csv.chunks(999)
                .map(<[u8]>::to_vec)
                .collect::<Vec<_>>()
                .into_iter(),
        )));
        let mut out = Vec::new();
        while body.next_chunk(&mut out).unwrap() {}
        assert_eq!(
            miniz_oxide::inflate::decompress_to_vec_zlib(&out).unwrap(),
            csv
        );
    }

    #[test]
    fn whole_bytes_are_one_member() {
        let reply = br#"{"success":true,"reason":"Created successfully.","elapse":"1ms"}"#;
        assert_eq!(gunzip(&gzip_bytes(reply.to_vec())), reply);
        assert_eq!(gunzip(&gzip_bytes(Vec::new())), b"");
    }

    #[test]
    fn err_inner_failure_passes_through_without_trailer() {
        struct Failing;
        impl BodySource for Failing {
            fn next_chunk(&mut self, _out: &mut Vec<u8>) -> Result<bool, String> {
                Err("transpose bound".into())
            }
        }
        let mut body = GzipBody::new(Box::new(Failing));
        let mut out = Vec::new();
        assert_eq!(body.next_chunk(&mut out), Err("transpose bound".into()));
    }
}
