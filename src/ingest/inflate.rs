//! Streaming decompression of request bodies: gzip (RFC 1952, several members in a row as Go
//! and zcat accept) and zlib (RFC 1950, HTTP's `deflate`), on miniz_oxide; and, through the
//! same limits, LZ4 frames, zstd frames and brotli streams (`lz4_frames`, `zstd_frames`,
//! `brotli_streams`).
//!
//! Invariants:
//! - Memory is fixed: miniz_oxide's state (its 32 KiB window) plus the caller's output
//!   buffer. Nothing grows with the body.
//! - The inflated size is counted and capped: a gzip bomb ends with `TooLarge` after at most
//!   `bytes_max` bytes were produced, whatever its ratio.
//! - Past `ratio_exempt_bytes` inflated, a body that has inflated to more than `ratio_max`
//!   times the compressed bytes consumed ends with `RatioTooHigh`, so a small body cannot buy
//!   gigabytes of parsing below the size cap.
//! - Every gzip member's CRC-32 and length are checked; a body that ends inside a member is
//!   `UnexpectedEnd`, never a silent short read.
//! - It resumes at any byte: the header and trailer parsers keep their place across calls.

use std::fmt;

use miniz_oxide::inflate::stream::{InflateState, inflate};
use miniz_oxide::{DataFormat, MZError, MZFlush, MZStatus};

use crate::limits::INFLATE_RATIO_EXEMPT_BYTES;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Gzip,
    /// zlib-wrapped deflate, as HTTP's `Content-Encoding: deflate` means.
    Zlib,
    /// LZ4 frames (`super::lz4_frames`).
    Lz4,
    /// zstd frames (`super::zstd_frames`).
    Zstd,
    /// brotli streams (`super::brotli_streams`).
    Brotli,
}

/// What one body may inflate to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InflateLimits {
    /// Inflated bytes at most (`--inflated-bytes-max`).
    pub bytes_max: u64,
    /// Inflated bytes per compressed byte at most (`--inflate-ratio-max`), checked once
    /// `ratio_exempt_bytes` were inflated.
    pub ratio_max: u64,
    pub ratio_exempt_bytes: u64,
}

impl InflateLimits {
    pub fn new(bytes_max: u64, ratio_max: u64) -> InflateLimits {
        InflateLimits {
            bytes_max,
            ratio_max,
            ratio_exempt_bytes: INFLATE_RATIO_EXEMPT_BYTES,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InflateError {
    /// The gzip magic, method or flags are wrong (Go: `gzip: invalid header`).
    InvalidHeader,
    /// The compressed data is corrupt; `at` is the offset in the compressed body.
    Corrupt {
        at: u64,
    },
    /// A gzip member's CRC-32 or length does not match its data.
    Checksum,
    /// The body ended inside a compressed stream.
    UnexpectedEnd,
    /// A codec other than gzip/zlib found the stream malformed.
    Codec {
        codec: &'static str,
        detail: String,
    },
    TooLarge {
        limit: u64,
    },
    /// `inflated` bytes came from `compressed`, more than `ratio_max` times as many.
    RatioTooHigh {
        ratio_max: u64,
        inflated: u64,
        compressed: u64,
    },
}

impl fmt::Display for InflateError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InflateError::InvalidHeader => f.write_str("gzip: invalid header"),
            InflateError::Corrupt { at } => write!(f, "flate: corrupt input before offset {at}"),
            InflateError::Checksum => f.write_str("gzip: invalid checksum"),
            InflateError::UnexpectedEnd => f.write_str("unexpected EOF"),
            InflateError::Codec { codec, detail } => write!(f, "{codec}: {detail}"),
            InflateError::TooLarge { limit } => write!(
                f,
                "the decompressed body exceeds {limit} bytes (--inflated-bytes-max); send it in smaller requests"
            ),
            InflateError::RatioTooHigh {
                ratio_max,
                inflated,
                compressed,
            } => write!(
                f,
                "the decompressed body is more than {ratio_max} times its compressed size ({inflated} bytes from {compressed}) (--inflate-ratio-max); real data compresses 5-20 times: send this body uncompressed, or raise --inflate-ratio-max"
            ),
        }
    }
}

const FHCRC: u8 = 0x02;
const FEXTRA: u8 = 0x04;
const FNAME: u8 = 0x08;
const FCOMMENT: u8 = 0x10;
const FRESERVED: u8 = 0xe0;

/// Where the gzip framing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The 10 fixed header bytes; `have` read so far.
    Fixed {
        have: u8,
    },
    /// The 2-byte FEXTRA length.
    ExtraLen {
        have: u8,
        len: u16,
    },
    ExtraData {
        remaining: u16,
    },
    /// A zero-terminated field: FNAME or FCOMMENT.
    Text {
        comment: bool,
    },
    HeaderCrc {
        have: u8,
    },
    Deflate,
    /// The 8-byte trailer: CRC-32 then length, both little-endian.
    Trailer {
        have: u8,
    },
    /// Between members: the body may end here, or another member start.
    MemberEnd,
}

pub struct Inflater {
    encoding: Encoding,
    state: Box<InflateState>,
    phase: Phase,
    flags: u8,
    trailer: [u8; 8],
    crc: crc32fast::Hasher,
    member_bytes: u32,
    /// Compressed bytes consumed, for error offsets.
    consumed: u64,
    produced: u64,
    limits: InflateLimits,
    /// The decoder of a codec other than gzip/zlib; `state` is then unused.
    codec: Option<Codec>,
}

enum Codec {
    Lz4(Box<super::lz4_frames::Lz4Frames>),
    Zstd(Box<super::zstd_frames::ZstdFrames>),
    Brotli(super::brotli_streams::BrotliStreams),
}

impl Inflater {
    pub fn new(encoding: Encoding, limits: InflateLimits) -> Inflater {
        let (format, phase) = match encoding {
            Encoding::Gzip => (DataFormat::Raw, Phase::Fixed { have: 0 }),
            Encoding::Zlib | Encoding::Lz4 | Encoding::Zstd | Encoding::Brotli => {
                (DataFormat::Zlib, Phase::Deflate)
            }
        };
        let codec = match encoding {
            Encoding::Gzip | Encoding::Zlib => None,
            Encoding::Lz4 => Some(Codec::Lz4(Box::new(super::lz4_frames::Lz4Frames::new()))),
            Encoding::Zstd => Some(Codec::Zstd(Box::new(super::zstd_frames::ZstdFrames::new()))),
            Encoding::Brotli => Some(Codec::Brotli(super::brotli_streams::BrotliStreams::new())),
        };
        Inflater {
            encoding,
            state: InflateState::new_boxed(format),
            phase,
            flags: 0,
            trailer: [0; 8],
            crc: crc32fast::Hasher::new(),
            member_bytes: 0,
            consumed: 0,
            produced: 0,
            limits,
            codec,
        }
    }

    /// Counts `used` compressed and `written` inflated bytes against the limits.
    fn account(&mut self, used: usize, written: usize) -> Result<(), InflateError> {
        self.consumed += used as u64;
        self.produced += written as u64;
        if self.produced > self.limits.bytes_max {
            return Err(InflateError::TooLarge {
                limit: self.limits.bytes_max,
            });
        }
        if self.produced > self.limits.ratio_exempt_bytes
            && self.produced > self.consumed.saturating_mul(self.limits.ratio_max)
        {
            return Err(InflateError::RatioTooHigh {
                ratio_max: self.limits.ratio_max,
                inflated: self.produced,
                compressed: self.consumed,
            });
        }
        Ok(())
    }

    /// Inflates from `input` into `out`. Returns (bytes of `input` consumed, bytes of `out`
    /// written). Call again with the unconsumed rest, or with the same rest and a drained
    /// `out` when `out` came back full.
    pub fn inflate(
        &mut self,
        input: &[u8],
        out: &mut [u8],
    ) -> Result<(usize, usize), InflateError> {
        if let Some(codec) = &mut self.codec {
            let (used, written) = match codec {
                Codec::Lz4(d) => d.decode(input, out)?,
                Codec::Zstd(d) => d.decode(input, out)?,
                Codec::Brotli(d) => d.decode(input, out)?,
            };
            self.account(used, written)?;
            return Ok((used, written));
        }
        let mut used = 0;
        let mut written = 0;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            let space = out.get_mut(written..).unwrap_or_default();
            if self.phase == Phase::Deflate {
                if space.is_empty() {
                    break;
                }
                let result = inflate(&mut self.state, rest, space, MZFlush::None);
                let produced = result.bytes_written;
                if let Some(fresh) = space.get(..produced)
                    && self.encoding == Encoding::Gzip
                {
                    self.crc.update(fresh);
                }
                self.member_bytes = self.member_bytes.wrapping_add(produced as u32);
                self.produced += produced as u64;
                used += result.bytes_consumed;
                written += produced;
                self.consumed += result.bytes_consumed as u64;
                if self.produced > self.limits.bytes_max {
                    return Err(InflateError::TooLarge {
                        limit: self.limits.bytes_max,
                    });
                }
                if self.produced > self.limits.ratio_exempt_bytes
                    && self.produced > self.consumed.saturating_mul(self.limits.ratio_max)
                {
                    return Err(InflateError::RatioTooHigh {
                        ratio_max: self.limits.ratio_max,
                        inflated: self.produced,
                        compressed: self.consumed,
                    });
                }
                match result.status {
                    Ok(MZStatus::StreamEnd) => {
                        self.phase = match self.encoding {
                            Encoding::Gzip => Phase::Trailer { have: 0 },
                            // zlib's adler32 was checked by miniz_oxide; one stream only.
                            // (Other codecs never reach the deflate phase.)
                            _ => Phase::MemberEnd,
                        };
                    }
                    Ok(_) | Err(MZError::Buf) => {
                        if result.bytes_consumed == 0 && produced == 0 {
                            break;
                        }
                    }
                    Err(_) => return Err(InflateError::Corrupt { at: self.consumed }),
                }
                continue;
            }
            let Some(&byte) = rest.first() else { break };
            if self.phase == Phase::MemberEnd && self.encoding == Encoding::Zlib {
                return Err(InflateError::Corrupt { at: self.consumed });
            }
            used += 1;
            self.consumed += 1;
            self.framing_byte(byte)?;
        }
        Ok((used, written))
    }

    /// Compressed bytes consumed so far.
    pub fn consumed(&self) -> u64 {
        self.consumed
    }

    /// Checks that the body may end here.
    pub fn finish(&self) -> Result<(), InflateError> {
        if let Some(codec) = &self.codec {
            return match codec {
                Codec::Lz4(d) => d.finish(),
                Codec::Zstd(d) => d.finish(),
                Codec::Brotli(d) => d.finish(),
            };
        }
        // An empty body is no stream at all (Go: EOF reading the header).
        match self.phase {
            Phase::MemberEnd => Ok(()),
            _ => Err(InflateError::UnexpectedEnd),
        }
    }

    fn framing_byte(&mut self, byte: u8) -> Result<(), InflateError> {
        self.phase = match self.phase {
            Phase::MemberEnd => {
                self.start_member();
                return self.framing_byte(byte);
            }
            Phase::Fixed { have } => {
                let ok = match have {
                    0 => byte == 0x1f,
                    1 => byte == 0x8b,
                    2 => byte == 8,
                    3 => byte & FRESERVED == 0,
                    _ => true,
                };
                if !ok {
                    return Err(InflateError::InvalidHeader);
                }
                if have == 3 {
                    self.flags = byte;
                }
                if have < 9 {
                    Phase::Fixed { have: have + 1 }
                } else {
                    self.after_fixed()
                }
            }
            Phase::ExtraLen { have: 0, .. } => Phase::ExtraLen {
                have: 1,
                len: u16::from(byte),
            },
            Phase::ExtraLen { len, .. } => {
                let remaining = len | (u16::from(byte) << 8);
                if remaining == 0 {
                    self.after_extra()
                } else {
                    Phase::ExtraData { remaining }
                }
            }
            Phase::ExtraData { remaining } => {
                if remaining > 1 {
                    Phase::ExtraData {
                        remaining: remaining - 1,
                    }
                } else {
                    self.after_extra()
                }
            }
            Phase::Text { comment } => match (byte, comment) {
                (0, false) => self.after_name(),
                (0, true) => self.after_comment(),
                _ => Phase::Text { comment },
            },
            // The header CRC is optional and rarely set; Go checks it, we skip it.
            Phase::HeaderCrc { have: 0 } => Phase::HeaderCrc { have: 1 },
            Phase::HeaderCrc { .. } => Phase::Deflate,
            Phase::Trailer { have } => {
                if let Some(slot) = self.trailer.get_mut(usize::from(have)) {
                    *slot = byte;
                }
                if have < 7 {
                    Phase::Trailer { have: have + 1 }
                } else {
                    self.check_trailer()?;
                    Phase::MemberEnd
                }
            }
            Phase::Deflate => Phase::Deflate,
        };
        Ok(())
    }

    fn start_member(&mut self) {
        self.state.reset(DataFormat::Raw);
        self.crc = crc32fast::Hasher::new();
        self.member_bytes = 0;
        self.phase = Phase::Fixed { have: 0 };
    }

    fn after_fixed(&self) -> Phase {
        if self.flags & FEXTRA != 0 {
            Phase::ExtraLen { have: 0, len: 0 }
        } else {
            self.after_extra()
        }
    }

    fn after_extra(&self) -> Phase {
        if self.flags & FNAME != 0 {
            Phase::Text { comment: false }
        } else {
            self.after_name()
        }
    }

    fn after_name(&self) -> Phase {
        if self.flags & FCOMMENT != 0 {
            Phase::Text { comment: true }
        } else {
            self.after_comment()
        }
    }

    fn after_comment(&self) -> Phase {
        if self.flags & FHCRC != 0 {
            Phase::HeaderCrc { have: 0 }
        } else {
            Phase::Deflate
        }
    }

    fn check_trailer(&self) -> Result<(), InflateError> {
        let [c0, c1, c2, c3, s0, s1, s2, s3] = self.trailer;
        let crc = u32::from_le_bytes([c0, c1, c2, c3]);
        let size = u32::from_le_bytes([s0, s1, s2, s3]);
        if crc != self.crc.clone().finalize() || size != self.member_bytes {
            return Err(InflateError::Checksum);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniz_oxide::deflate::{compress_to_vec, compress_to_vec_zlib};

    /// A gzip member around `data`, with optional header fields.
    fn gzip(data: &[u8], flags: u8) -> Vec<u8> {
        let mut out = vec![0x1f, 0x8b, 8, flags, 0, 0, 0, 0, 0, 3];
        if flags & FEXTRA != 0 {
            out.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
        }
        if flags & FNAME != 0 {
            out.extend_from_slice(b"rows.csv\0");
        }
        if flags & FCOMMENT != 0 {
            out.extend_from_slice(b"a comment\0");
        }
        if flags & FHCRC != 0 {
            out.extend_from_slice(&[0x12, 0x34]);
        }
        out.extend_from_slice(&compress_to_vec(data, 6));
        let mut crc = crc32fast::Hasher::new();
        crc.update(data);
        out.extend_from_slice(&crc.finalize().to_le_bytes());
        out.extend_from_slice(&(data.len() as u32).to_le_bytes());
        out
    }

    /// Limits with only a size cap.
    fn size_cap(bytes_max: u64) -> InflateLimits {
        InflateLimits {
            bytes_max,
            ratio_max: u64::MAX,
            ratio_exempt_bytes: u64::MAX,
        }
    }

    /// Inflates `body` fed in `step`-byte pieces through a `buf`-byte output buffer, with no
    /// cap but `max` bytes.
    fn run(
        encoding: Encoding,
        body: &[u8],
        step: usize,
        buf: usize,
        max: u64,
    ) -> Result<Vec<u8>, InflateError> {
        run_with(encoding, body, step, buf, size_cap(max))
    }

    fn run_with(
        encoding: Encoding,
        body: &[u8],
        step: usize,
        buf: usize,
        limits: InflateLimits,
    ) -> Result<Vec<u8>, InflateError> {
        let mut inflater = Inflater::new(encoding, limits);
        let mut out = vec![0; buf];
        let mut result = Vec::new();
        for piece in body.chunks(step.max(1)) {
            let mut rest = piece;
            loop {
                let (used, written) = inflater.inflate(rest, &mut out)?;
                result.extend_from_slice(&out[..written]);
                rest = &rest[used..];
                if rest.is_empty() && written < out.len() {
                    break;
                }
            }
        }
        inflater.finish()?;
        Ok(result)
    }

    fn sample() -> Vec<u8> {
        (0..5000)
            .map(|i| format!("tag-{},{},{}.5\n", i % 7, 1_700_000_000 + i, i))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn gzip_with_every_header_field_inflates_at_every_split() {
        let data = sample();
        let body = gzip(&data, FEXTRA | FNAME | FCOMMENT | FHCRC);
        for split in 1..200 {
            assert_eq!(
                run(Encoding::Gzip, &body, split, 4096, u64::MAX).unwrap(),
                data
            );
        }
        // Byte by byte through a tiny output buffer.
        assert_eq!(run(Encoding::Gzip, &body, 1, 7, u64::MAX).unwrap(), data);
    }

    #[test]
    fn every_split_point_of_a_small_body_gives_the_same_bytes() {
        let data = b"name,time,value\nwave.sin,1676432361,0.5\n".repeat(3);
        let body = gzip(&data, FNAME);
        for at in 0..=body.len() {
            let mut inflater = Inflater::new(Encoding::Gzip, size_cap(u64::MAX));
            let mut out = vec![0; 1024];
            let mut got = Vec::new();
            for piece in [&body[..at], &body[at..]] {
                let (used, written) = inflater.inflate(piece, &mut out).unwrap();
                assert_eq!(used, piece.len());
                got.extend_from_slice(&out[..written]);
            }
            inflater.finish().unwrap();
            assert_eq!(got, data, "split at {at}");
        }
    }

    #[test]
    fn concatenated_members_are_one_body() {
        let mut body = gzip(b"a,1\n", 0);
        body.extend(gzip(b"b,2\n", FNAME));
        assert_eq!(
            run(Encoding::Gzip, &body, 3, 64, u64::MAX).unwrap(),
            b"a,1\nb,2\n"
        );
    }

    #[test]
    fn zlib_inflates() {
        let data = sample();
        let body = compress_to_vec_zlib(&data, 6);
        assert_eq!(
            run(Encoding::Zlib, &body, 1000, 4096, u64::MAX).unwrap(),
            data
        );
        assert_eq!(run(Encoding::Zlib, &body, 1, 100, u64::MAX).unwrap(), data);
    }

    #[test]
    fn a_bomb_stops_at_the_cap() {
        let zeros = vec![0u8; 10 << 20];
        let body = gzip(&zeros, 0);
        assert!(body.len() < 20_000, "{}", body.len());
        assert_eq!(
            run(Encoding::Gzip, &body, 4096, 64 << 10, 1 << 20),
            Err(InflateError::TooLarge { limit: 1 << 20 })
        );
    }

    #[test]
    fn a_bomb_past_the_exempt_bytes_stops_at_the_ratio_cap() {
        let zeros = vec![0u8; 10 << 20];
        let body = gzip(&zeros, 0);
        let limits = InflateLimits {
            bytes_max: u64::MAX,
            ratio_max: 200,
            ratio_exempt_bytes: 1 << 20,
        };
        let Err(InflateError::RatioTooHigh {
            ratio_max,
            inflated,
            compressed,
        }) = run_with(Encoding::Gzip, &body, 4096, 64 << 10, limits)
        else {
            panic!("not refused for its ratio");
        };
        assert_eq!(ratio_max, 200);
        assert!(inflated > 200 * compressed, "{inflated} from {compressed}");
        // Refused within one output buffer of the exempt bytes, long before the 10 MiB end.
        assert!(
            (1 << 20..=(1 << 20) + (64 << 10)).contains(&inflated),
            "{inflated}"
        );
    }

    #[test]
    fn a_body_within_the_ratio_passes_and_one_above_it_does_not() {
        let data = sample();
        let body = gzip(&data, 0);
        let ratio = data.len() / body.len();
        assert!((3..20).contains(&ratio), "{ratio}");
        let limits = |ratio_max| InflateLimits {
            bytes_max: u64::MAX,
            ratio_max,
            ratio_exempt_bytes: 16 << 10,
        };
        assert_eq!(
            run_with(Encoding::Gzip, &body, 1000, 4096, limits(20)).unwrap(),
            data
        );
        assert!(matches!(
            run_with(Encoding::Gzip, &body, 1000, 4096, limits(2)),
            Err(InflateError::RatioTooHigh { ratio_max: 2, .. })
        ));
    }

    #[test]
    fn err_ratio_names_the_ratio_and_the_option() {
        let e = InflateError::RatioTooHigh {
            ratio_max: 200,
            inflated: 67_174_400,
            compressed: 66_112,
        };
        assert_eq!(
            e.to_string(),
            "the decompressed body is more than 200 times its compressed size (67174400 bytes from 66112) (--inflate-ratio-max); real data compresses 5-20 times: send this body uncompressed, or raise --inflate-ratio-max"
        );
    }

    #[test]
    fn malformed_bodies_are_errors() {
        let data = sample();
        let good = gzip(&data, 0);
        assert_eq!(
            run(Encoding::Gzip, b"name,time\n", 4, 64, u64::MAX),
            Err(InflateError::InvalidHeader)
        );
        assert_eq!(
            run(Encoding::Gzip, b"", 4, 64, u64::MAX),
            Err(InflateError::UnexpectedEnd)
        );
        for cut in [5, 20, good.len() / 2, good.len() - 3] {
            assert_eq!(
                run(Encoding::Gzip, &good[..cut], 64, 4096, u64::MAX),
                Err(InflateError::UnexpectedEnd),
                "cut at {cut}"
            );
        }
        let mut bad_crc = good.clone();
        let n = bad_crc.len();
        bad_crc[n - 6] ^= 1;
        assert_eq!(
            run(Encoding::Gzip, &bad_crc, 64, 4096, u64::MAX),
            Err(InflateError::Checksum)
        );
        let mut corrupt = good.clone();
        for b in &mut corrupt[12..40] {
            *b = 0xff;
        }
        assert!(matches!(
            run(Encoding::Gzip, &corrupt, 64, 4096, u64::MAX),
            Err(InflateError::Corrupt { .. } | InflateError::Checksum)
        ));
        let mut trailing_garbage = good;
        trailing_garbage.extend_from_slice(b"xyz");
        assert_eq!(
            run(Encoding::Gzip, &trailing_garbage, 64, 4096, u64::MAX),
            Err(InflateError::InvalidHeader)
        );
        let mut reserved_flag = gzip(b"x", 0);
        reserved_flag[3] = 0x20;
        assert_eq!(
            run(Encoding::Gzip, &reserved_flag, 64, 4096, u64::MAX),
            Err(InflateError::InvalidHeader)
        );
    }
}
