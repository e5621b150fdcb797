//! Streaming decoder of zstd frames (`Content-Encoding: zstd`), several in a row as
//! timeplus-connect sends them (one per Native block), and skippable frames, on ruzstd.
//! The frame and block framing is parsed here so that ruzstd is handed exactly one whole
//! block at a time: resumable at any byte, and a block that decompresses to a lot (RLE)
//! never meets another before its output is drained.
//!
//! Invariants:
//! - Memory: one compressed block (at most 128 KiB) and ruzstd's window, which a frame may
//!   ask for up to `ZSTD_WINDOW_BYTES_MAX`; a larger window is refused before it is
//!   allocated.
//! - A frame's content checksum, when present, is verified once its output is drained.
//! - The body must end between frames.

use std::io::Read;

use ruzstd::decoding::FrameDecoder;

use super::inflate::InflateError;
use crate::limits::ZSTD_WINDOW_BYTES_MAX;

const MAGIC: u32 = 0xFD2F_B528;
const BLOCK_BYTES_MAX: usize = 128 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// A frame's magic and header, or a skippable frame's magic and size.
    Header,
    Skip {
        left: u32,
    },
    /// A block's 3-byte header and content.
    Block,
    /// The frame's 4-byte content checksum.
    Checksum,
    /// The last block was decoded: hand out the rest, then check the checksum.
    Drain,
}

pub struct ZstdFrames {
    decoder: FrameDecoder,
    state: State,
    pending: Vec<u8>,
    has_checksum: bool,
    checksum: Option<u32>,
}

fn codec(detail: impl Into<String>) -> InflateError {
    InflateError::Codec {
        codec: "zstd",
        detail: detail.into(),
    }
}

impl ZstdFrames {
    pub fn new() -> ZstdFrames {
        let mut decoder = FrameDecoder::new();
        decoder.set_max_window_size(ZSTD_WINDOW_BYTES_MAX as u64);
        ZstdFrames {
            decoder,
            state: State::Header,
            pending: Vec::new(),
            has_checksum: false,
            checksum: None,
        }
    }

    fn gather(&mut self, input: &[u8], want: usize) -> (usize, bool) {
        let need = want.saturating_sub(self.pending.len());
        let take = need.min(input.len());
        self.pending
            .extend_from_slice(input.get(..take).unwrap_or_default());
        (take, self.pending.len() >= want)
    }

    fn le32(&self, at: usize) -> u32 {
        let mut b = [0u8; 4];
        if let Some(p) = self.pending.get(at..at + 4) {
            b.copy_from_slice(p);
        }
        u32::from_le_bytes(b)
    }

    /// The header's length as far as the bytes gathered tell: 5 until the descriptor is in.
    fn header_len(&self) -> usize {
        let magic = self.le32(0);
        if self.pending.len() >= 4 && magic & 0xFFFF_FFF0 == 0x184D_2A50 {
            return 8;
        }
        let Some(&fhd) = self.pending.get(4) else {
            return 5;
        };
        let single = fhd & 0x20 != 0;
        let fcs = match fhd >> 6 {
            0 => usize::from(single),
            1 => 2,
            2 => 4,
            _ => 8,
        };
        let dict = [0, 1, 2, 4][usize::from(fhd & 0x03)];
        5 + usize::from(!single) + dict + fcs
    }

    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), InflateError> {
        let mut used = 0;
        let mut written = 0;
        loop {
            if matches!(self.state, State::Block | State::Checksum | State::Drain) {
                let space = out.get_mut(written..).unwrap_or_default();
                let n = self.decoder.read(space).map_err(|e| codec(e.to_string()))?;
                written += n;
                if written == out.len() {
                    return Ok((used, written));
                }
                if self.state == State::Drain && n == 0 {
                    if let (Some(want), Some(got)) =
                        (self.checksum.take(), self.decoder.get_calculated_checksum())
                        && want != got
                    {
                        return Err(InflateError::Checksum);
                    }
                    self.state = State::Header;
                }
            }
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((used, written));
            }
            match self.state {
                State::Header => {
                    let want = self.header_len();
                    let (n, done) = self.gather(rest, want);
                    used += n;
                    let magic = self.le32(0);
                    if self.pending.len() >= 4
                        && magic != MAGIC
                        && magic & 0xFFFF_FFF0 != 0x184D_2A50
                    {
                        return Err(codec(format!("not a zstd frame (magic {magic:#010x})")));
                    }
                    if !done || self.header_len() > self.pending.len() {
                        continue;
                    }
                    if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                        let left = self.le32(4);
                        self.pending.clear();
                        if left > 0 {
                            self.state = State::Skip { left };
                        }
                        continue;
                    }
                    self.has_checksum = self.pending.get(4).is_some_and(|fhd| fhd & 0x04 != 0);
                    self.decoder
                        .init(self.pending.as_slice())
                        .map_err(|e| codec(e.to_string()))?;
                    self.pending.clear();
                    self.state = State::Block;
                }
                State::Skip { left } => {
                    let n = (left as usize).min(rest.len());
                    used += n;
                    let left = left - n as u32;
                    self.state = if left == 0 {
                        State::Header
                    } else {
                        State::Skip { left }
                    };
                }
                State::Block => {
                    let (n, done) = self.gather(rest, 3);
                    used += n;
                    if !done {
                        continue;
                    }
                    let word = u32::from(self.pending.first().copied().unwrap_or(0))
                        | u32::from(self.pending.get(1).copied().unwrap_or(0)) << 8
                        | u32::from(self.pending.get(2).copied().unwrap_or(0)) << 16;
                    let last = word & 1 != 0;
                    let size = (word >> 3) as usize;
                    let content = match (word >> 1) & 3 {
                        0 | 2 => size,
                        1 => 1,
                        _ => return Err(codec("a reserved block type")),
                    };
                    if size > BLOCK_BYTES_MAX {
                        return Err(codec(format!("a block of {size} bytes")));
                    }
                    let (n, done) = self.gather(input.get(used..).unwrap_or_default(), 3 + content);
                    used += n;
                    if !done {
                        continue;
                    }
                    let (read, _) = self
                        .decoder
                        .decode_from_to(&self.pending, &mut [])
                        .map_err(|e| codec(e.to_string()))?;
                    if read != self.pending.len() {
                        return Err(codec("a block was not decoded whole"));
                    }
                    self.pending.clear();
                    if last {
                        self.state = if self.has_checksum {
                            State::Checksum
                        } else {
                            State::Drain
                        };
                    }
                }
                State::Checksum => {
                    let (n, done) = self.gather(rest, 4);
                    used += n;
                    if done {
                        self.checksum = Some(self.le32(0));
                        self.pending.clear();
                        self.state = State::Drain;
                    }
                }
                State::Drain => {}
            }
        }
    }

    /// Whether the body may end here: between frames, all output handed out.
    pub fn finish(&self) -> Result<(), InflateError> {
        if self.state == State::Header && self.pending.is_empty() {
            Ok(())
        } else {
            Err(InflateError::UnexpectedEnd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `body` split at `split`, with a small output buffer.
    pub(crate) fn decode(body: &[u8], split: usize) -> Result<Vec<u8>, InflateError> {
        let mut d = ZstdFrames::new();
        let mut out = Vec::new();
        let mut buf = [0u8; 999];
        for part in [&body[..split], &body[split..], &[][..]] {
            let mut rest = part;
            loop {
                let (u, w) = d.decode(rest, &mut buf)?;
                out.extend_from_slice(&buf[..w]);
                rest = &rest[u..];
                if rest.is_empty() && w < buf.len() {
                    break;
                }
            }
        }
        d.finish()?;
        Ok(out)
    }

    fn data() -> Vec<u8> {
        (0..30_000u32)
            .flat_map(|i| format!("row {i},{}\n", i % 7).into_bytes())
            .collect()
    }

    #[test]
    fn frames_decode_at_every_split() {
        let data = data();
        let mut body = ruzstd::encoding::compress_to_vec(
            &data[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        body.extend([0x50, 0x2a, 0x4d, 0x18, 2, 0, 0, 0, 7, 7]);
        body.extend(ruzstd::encoding::compress_to_vec(
            &b"tail"[..],
            ruzstd::encoding::CompressionLevel::Uncompressed,
        ));
        let want = [&data[..], b"tail"].concat();
        let step = (body.len() / 89).max(1);
        for split in (0..=body.len()).step_by(step).chain([body.len()]) {
            assert_eq!(decode(&body, split).unwrap(), want, "split {split}");
        }
    }

    #[test]
    fn err_truncated_and_corrupt_frames() {
        let body = ruzstd::encoding::compress_to_vec(
            &data()[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert_eq!(
            decode(&body[..body.len() - 3], 0),
            Err(InflateError::UnexpectedEnd)
        );
        assert!(matches!(
            decode(b"nope!", 0),
            Err(InflateError::Codec { .. })
        ));
        // A window far past the bound is refused before anything is allocated for it:
        // magic, descriptor without single segment, window descriptor 2^41.
        let huge = [0x28, 0xb5, 0x2f, 0xfd, 0x00, 0xf8, 0, 0, 0];
        assert!(matches!(decode(&huge, 0), Err(InflateError::Codec { .. })));
    }
}
