//! Streaming decoder of LZ4 frames (the LZ4 frame format, `Content-Encoding: lz4`), several
//! frames in a row as timeplus-connect sends them (one frame per Native block), and
//! skippable frames. Blocks are decompressed by lz4_flex; the framing is parsed here, so it
//! resumes at any byte.
//!
//! Invariants:
//! - Memory: one compressed block (at most the frame's block size, 4 MiB) and its output,
//!   plus the 64 KiB window linked blocks refer to. A block size over the frame's maximum is
//!   an error before anything is buffered for it.
//! - The body must end between frames; a body ending inside one is `UnexpectedEnd`.
//! - Block and content checksums are skipped, not verified (the request's TCP checksum and
//!   the decoder's own bounds checks stand in for them).

use super::inflate::InflateError;

const MAGIC: u32 = 0x184D_2204;
const WINDOW_BYTES: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The 4-byte magic number.
    Magic,
    /// The frame descriptor: FLG, BD, optional content size and dictionary id, header checksum.
    Descriptor,
    /// A skippable frame's size, then its bytes.
    SkipSize,
    Skip {
        left: u32,
    },
    BlockSize,
    BlockData {
        size: usize,
        compressed: bool,
    },
    BlockChecksum,
    ContentChecksum,
}

pub struct Lz4Frames {
    state: State,
    /// Bytes of the current field or block gathered so far.
    pending: Vec<u8>,
    block_checksums: bool,
    content_checksum: bool,
    linked: bool,
    block_max: usize,
    /// Decoded output not yet handed out, from `out_at`.
    decoded: Vec<u8>,
    out_at: usize,
    /// The last 64 KiB of output, for linked blocks.
    window: Vec<u8>,
    consumed: u64,
}

fn corrupt(at: u64) -> InflateError {
    InflateError::Corrupt { at }
}

impl Lz4Frames {
    pub fn new() -> Lz4Frames {
        Lz4Frames {
            state: State::Magic,
            pending: Vec::new(),
            block_checksums: false,
            content_checksum: false,
            linked: false,
            block_max: 0,
            decoded: Vec::new(),
            out_at: 0,
            window: Vec::new(),
            consumed: 0,
        }
    }

    /// Gathers `want` bytes of `input` into `pending`; returns bytes used and whether done.
    fn gather(&mut self, input: &[u8], want: usize) -> (usize, bool) {
        let need = want.saturating_sub(self.pending.len());
        let take = need.min(input.len());
        self.pending
            .extend_from_slice(input.get(..take).unwrap_or_default());
        (take, self.pending.len() >= want)
    }

    fn le32(&self) -> u32 {
        let mut b = [0u8; 4];
        if let Some(p) = self.pending.get(..4) {
            b.copy_from_slice(p);
        }
        u32::from_le_bytes(b)
    }

    /// Decodes from `input` into `out`: (input bytes used, output bytes written).
    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), InflateError> {
        let mut used = 0;
        let mut written = 0;
        loop {
            // Hand out decoded bytes first.
            let ready = self.decoded.get(self.out_at..).unwrap_or_default();
            if !ready.is_empty() {
                let space = out.get_mut(written..).unwrap_or_default();
                let n = ready.len().min(space.len());
                if let (Some(dst), Some(src)) = (space.get_mut(..n), ready.get(..n)) {
                    dst.copy_from_slice(src);
                }
                written += n;
                self.out_at += n;
                if self.out_at < self.decoded.len() {
                    return Ok((used, written));
                }
            }
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() {
                return Ok((used, written));
            }
            let (want, next) = match self.state {
                State::Magic => (4, None),
                State::Descriptor => (self.descriptor_len(), None),
                State::SkipSize => (4, None),
                State::Skip { left } => {
                    let n = (left as usize).min(rest.len());
                    used += n;
                    self.consumed += n as u64;
                    let left = left - n as u32;
                    self.state = if left == 0 {
                        State::Magic
                    } else {
                        State::Skip { left }
                    };
                    continue;
                }
                State::BlockSize => (4, None),
                State::BlockData { size, compressed } => (size, Some(compressed)),
                State::BlockChecksum | State::ContentChecksum => (4, None),
            };
            let (n, done) = self.gather(rest, want);
            used += n;
            self.consumed += n as u64;
            if !done {
                // The descriptor's length grows as its flags are read.
                if self.state == State::Descriptor && self.pending.len() >= 2 {
                    self.check_flags()?;
                }
                continue;
            }
            if self.state == State::Descriptor && self.descriptor_len() > self.pending.len() {
                self.check_flags()?;
                continue;
            }
            self.field_done(next)?;
        }
    }

    /// Bytes of the descriptor, as far as its flags are known.
    fn descriptor_len(&self) -> usize {
        let Some(&flg) = self.pending.first() else {
            return 2;
        };
        2 + if flg & 0x08 != 0 { 8 } else { 0 } + if flg & 0x01 != 0 { 4 } else { 0 } + 1
    }

    fn check_flags(&mut self) -> Result<(), InflateError> {
        let (Some(&flg), Some(&bd)) = (self.pending.first(), self.pending.get(1)) else {
            return Ok(());
        };
        if flg >> 6 != 0b01 || flg & 0x02 != 0 || bd & 0x8f != 0 {
            return Err(InflateError::Codec {
                codec: "lz4",
                detail: format!("bad frame descriptor {flg:#04x} {bd:#04x}"),
            });
        }
        if flg & 0x01 != 0 {
            return Err(InflateError::Codec {
                codec: "lz4",
                detail: "frames compressed with a dictionary are not read".into(),
            });
        }
        self.block_max = match (bd >> 4) & 0x07 {
            4 => 64 << 10,
            5 => 256 << 10,
            6 => 1 << 20,
            7 => 4 << 20,
            _ => return Err(corrupt(self.consumed)),
        };
        self.linked = flg & 0x20 == 0;
        self.block_checksums = flg & 0x10 != 0;
        self.content_checksum = flg & 0x04 != 0;
        Ok(())
    }

    fn field_done(&mut self, compressed: Option<bool>) -> Result<(), InflateError> {
        match self.state {
            State::Magic => {
                let magic = self.le32();
                self.state = if magic == MAGIC {
                    State::Descriptor
                } else if magic & 0xFFFF_FFF0 == 0x184D_2A50 {
                    State::SkipSize
                } else {
                    return Err(InflateError::Codec {
                        codec: "lz4",
                        detail: format!("not an LZ4 frame (magic {magic:#010x})"),
                    });
                };
                self.window.clear();
            }
            State::Descriptor => {
                self.check_flags()?;
                self.state = State::BlockSize;
            }
            State::SkipSize => {
                let left = self.le32();
                self.state = if left == 0 {
                    State::Magic
                } else {
                    State::Skip { left }
                };
            }
            State::BlockSize => {
                let word = self.le32();
                if word == 0 {
                    self.state = if self.content_checksum {
                        State::ContentChecksum
                    } else {
                        State::Magic
                    };
                } else {
                    let size = (word & 0x7fff_ffff) as usize;
                    if size > self.block_max {
                        return Err(InflateError::Codec {
                            codec: "lz4",
                            detail: format!(
                                "a block of {size} bytes in a frame of {}-byte blocks",
                                self.block_max
                            ),
                        });
                    }
                    self.state = State::BlockData {
                        size,
                        compressed: word & 0x8000_0000 == 0,
                    };
                }
            }
            State::BlockData { .. } => {
                self.decode_block(compressed.unwrap_or(false))?;
                self.state = if self.block_checksums {
                    State::BlockChecksum
                } else {
                    State::BlockSize
                };
            }
            State::BlockChecksum => self.state = State::BlockSize,
            State::ContentChecksum => self.state = State::Magic,
            State::Skip { .. } => {}
        }
        self.pending.clear();
        Ok(())
    }

    fn decode_block(&mut self, compressed: bool) -> Result<(), InflateError> {
        self.decoded.clear();
        self.out_at = 0;
        if compressed {
            self.decoded.resize(self.block_max, 0);
            let dict: &[u8] = if self.linked { &self.window } else { &[] };
            let n =
                lz4_flex::block::decompress_into_with_dict(&self.pending, &mut self.decoded, dict)
                    .map_err(|e| InflateError::Codec {
                        codec: "lz4",
                        detail: e.to_string(),
                    })?;
            self.decoded.truncate(n);
        } else {
            self.decoded.extend_from_slice(&self.pending);
        }
        if self.linked {
            self.window.extend_from_slice(&self.decoded);
            let excess = self.window.len().saturating_sub(WINDOW_BYTES);
            self.window.drain(..excess);
        }
        Ok(())
    }

    /// Whether the body may end here: between frames, all output handed out.
    pub fn finish(&self) -> Result<(), InflateError> {
        if self.state == State::Magic
            && self.pending.is_empty()
            && self.out_at >= self.decoded.len()
        {
            Ok(())
        } else {
            Err(InflateError::UnexpectedEnd)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn frame(data: &[u8], info: lz4_flex::frame::FrameInfo) -> Vec<u8> {
        let mut e = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    /// Decodes `body` split at `split`, with a small output buffer.
    fn decode(body: &[u8], split: usize) -> Result<Vec<u8>, InflateError> {
        let mut d = Lz4Frames::new();
        let mut out = Vec::new();
        let mut buf = [0u8; 777];
        for part in [&body[..split], &body[split..]] {
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
        (0..40_000u32)
            .flat_map(|i| format!("row {i},{}\n", i % 7).into_bytes())
            .collect()
    }

    #[test]
    fn frames_decode_at_every_split() {
        use lz4_flex::frame::{BlockMode, BlockSize, FrameInfo};
        let data = data();
        let linked = FrameInfo::new()
            .block_mode(BlockMode::Linked)
            .block_size(BlockSize::Max64KB)
            .content_checksum(true);
        let mut body = frame(&data[..1000], FrameInfo::new());
        body.extend(frame(&data, linked));
        // A skippable frame between them.
        body.extend([0x50, 0x2a, 0x4d, 0x18, 3, 0, 0, 0, 9, 9, 9]);
        body.extend(frame(b"", FrameInfo::new()));
        let want = [&data[..1000], &data[..]].concat();
        let step = body.len() / 97;
        for split in (0..=body.len()).step_by(step.max(1)).chain([body.len()]) {
            assert_eq!(decode(&body, split).unwrap(), want, "split {split}");
        }
    }

    #[test]
    fn err_truncated_and_corrupt_frames() {
        let body = frame(&data(), lz4_flex::frame::FrameInfo::new());
        assert_eq!(
            decode(&body[..body.len() - 2], 0),
            Err(InflateError::UnexpectedEnd)
        );
        assert!(matches!(
            decode(b"nope", 0),
            Err(InflateError::Codec { .. })
        ));
        // A compressed block whose match points before the start of the output.
        let mut bad = vec![0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
        bad.extend(3u32.to_le_bytes());
        bad.extend([0x0f, 0xff, 0xff]);
        assert!(matches!(decode(&bad, 0), Err(InflateError::Codec { .. })));
        // A block larger than the frame's block size is refused before it is buffered.
        let mut lying = vec![0x04, 0x22, 0x4d, 0x18, 0x60, 0x40, 0x82];
        lying.extend(0x7fff_ffffu32.to_le_bytes());
        assert!(matches!(decode(&lying, 0), Err(InflateError::Codec { .. })));
    }
}
