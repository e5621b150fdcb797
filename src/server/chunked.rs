//! A resumable decoder for `Transfer-Encoding: chunked` request bodies.
//!
//! Shaped like csv-core: the caller owns the bytes; each call consumes some input and may
//! point at a run of body data inside it (no copy). All resume state is in `State`, so a
//! chunk boundary of the TCP stream may fall anywhere, even inside the size line.
//!
//! Lenient where RFC 9112 allows: chunk extensions (`;name=value`) are skipped, trailer fields
//! are read and dropped. Strict elsewhere: a bad size digit, a missing CRLF after data, a size
//! over 2^60 or trailers over `TRAILER_BYTES_MAX` are errors (request smuggling hides in
//! lenient chunk parsers).

use std::ops::Range;

const TRAILER_BYTES_MAX: usize = 8 << 10;
const SIZE_LINE_BYTES_MAX: usize = 4 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkedError {
    BadSize,
    SizeTooLarge,
    MissingCrlf,
    LineTooLong,
}

impl std::fmt::Display for ChunkedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ChunkedError::BadSize => "invalid chunk size in chunked body",
            ChunkedError::SizeTooLarge => "chunk size too large in chunked body",
            ChunkedError::MissingCrlf => "missing CRLF after chunk data",
            ChunkedError::LineTooLong => "chunk size line or trailer too long",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Reading hex digits; `digits` counts them (a size line needs at least one).
    Size {
        size: u64,
        digits: u8,
    },
    /// Skipping a chunk extension up to CR.
    Extension {
        size: u64,
    },
    /// Expecting LF after the size line's CR.
    SizeLf {
        size: u64,
    },
    Data {
        remaining: u64,
    },
    DataCr,
    DataLf,
    /// At the start of a trailer line (or the final empty line).
    TrailerStart,
    /// Inside a trailer field line.
    TrailerLine,
    /// Expecting LF after a trailer line's CR; `empty` if the line was empty (end of body).
    TrailerLf {
        empty: bool,
    },
    Done,
}

#[derive(Debug, Clone)]
pub struct ChunkedDecoder {
    state: State,
    line_bytes: usize,
    trailer_bytes: usize,
}

impl Default for ChunkedDecoder {
    fn default() -> Self {
        ChunkedDecoder {
            state: State::Size { size: 0, digits: 0 },
            line_bytes: 0,
            trailer_bytes: 0,
        }
    }
}

impl ChunkedDecoder {
    pub fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Consumes a prefix of `input`. Returns the bytes consumed and, if the consumed bytes
    /// contain body data, its range within `input`. Call again with the rest.
    pub fn decode(&mut self, input: &[u8]) -> Result<(usize, Option<Range<usize>>), ChunkedError> {
        let mut i = 0;
        while let Some(&b) = input.get(i) {
            match self.state {
                State::Data { remaining } => {
                    let available = (input.len() - i) as u64;
                    let n = remaining.min(available) as usize;
                    let left = remaining - n as u64;
                    self.state = if left == 0 {
                        State::DataCr
                    } else {
                        State::Data { remaining: left }
                    };
                    return Ok((i + n, Some(i..i + n)));
                }
                State::Size { size, digits } => {
                    self.count_line_byte()?;
                    match b {
                        b'0'..=b'9' | b'a'..=b'f' | b'A'..=b'F' => {
                            let digit = match b {
                                b'0'..=b'9' => b - b'0',
                                b'a'..=b'f' => b - b'a' + 10,
                                _ => b - b'A' + 10,
                            };
                            if size >> 56 != 0 {
                                return Err(ChunkedError::SizeTooLarge);
                            }
                            self.state = State::Size {
                                size: size << 4 | u64::from(digit),
                                digits: digits.saturating_add(1),
                            };
                        }
                        b';' | b' ' | b'\t' if digits > 0 => self.state = State::Extension { size },
                        b'\r' if digits > 0 => self.state = State::SizeLf { size },
                        _ => return Err(ChunkedError::BadSize),
                    }
                }
                State::Extension { size } => {
                    self.count_line_byte()?;
                    if b == b'\r' {
                        self.state = State::SizeLf { size };
                    }
                }
                State::SizeLf { size } => {
                    if b != b'\n' {
                        return Err(ChunkedError::BadSize);
                    }
                    self.line_bytes = 0;
                    self.state = if size == 0 {
                        State::TrailerStart
                    } else {
                        State::Data { remaining: size }
                    };
                }
                State::DataCr => {
                    if b != b'\r' {
                        return Err(ChunkedError::MissingCrlf);
                    }
                    self.state = State::DataLf;
                }
                State::DataLf => {
                    if b != b'\n' {
                        return Err(ChunkedError::MissingCrlf);
                    }
                    self.state = State::Size { size: 0, digits: 0 };
                }
                State::TrailerStart | State::TrailerLine => {
                    self.trailer_bytes += 1;
                    if self.trailer_bytes > TRAILER_BYTES_MAX {
                        return Err(ChunkedError::LineTooLong);
                    }
                    let empty = self.state == State::TrailerStart;
                    self.state = if b == b'\r' {
                        State::TrailerLf { empty }
                    } else {
                        State::TrailerLine
                    };
                }
                State::TrailerLf { empty } => {
                    if b != b'\n' {
                        return Err(ChunkedError::MissingCrlf);
                    }
                    if empty {
                        self.state = State::Done;
                        return Ok((i + 1, None));
                    }
                    self.state = State::TrailerStart;
                }
                State::Done => return Ok((i, None)),
            }
            i += 1;
        }
        Ok((i, None))
    }

    fn count_line_byte(&mut self) -> Result<(), ChunkedError> {
        self.line_bytes += 1;
        if self.line_bytes > SIZE_LINE_BYTES_MAX {
            return Err(ChunkedError::LineTooLong);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Decodes `chunks` in order; returns the body and the bytes left after the end.
    fn decode_chunks(chunks: &[&[u8]]) -> Result<(Vec<u8>, bool), ChunkedError> {
        let mut d = ChunkedDecoder::default();
        let mut body = Vec::new();
        for chunk in chunks {
            let mut rest = *chunk;
            while !rest.is_empty() && !d.is_done() {
                let (used, data) = d.decode(rest)?;
                if let Some(r) = data {
                    body.extend_from_slice(&rest[r]);
                }
                rest = &rest[used..];
            }
        }
        Ok((body, d.is_done()))
    }

    fn decode_every_split(wire: &[u8]) -> Result<(Vec<u8>, bool), ChunkedError> {
        let whole = decode_chunks(&[wire]);
        for i in 0..=wire.len() {
            let (a, b) = wire.split_at(i);
            assert_eq!(decode_chunks(&[a, b]), whole, "split at byte {i}");
        }
        let bytes: Vec<&[u8]> = wire.chunks(1).collect();
        assert_eq!(decode_chunks(&bytes), whole, "byte by byte");
        whole
    }

    #[test]
    fn body_with_extension_and_trailer() {
        let wire =
            b"4;name=v\r\nWiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\nX-T: 1\r\n\r\n";
        assert_eq!(
            decode_every_split(wire),
            Ok((b"Wikipedia in\r\n\r\nchunks.".to_vec(), true))
        );
    }

    #[test]
    fn stops_exactly_at_the_end_of_the_body() {
        let mut d = ChunkedDecoder::default();
        let (used, data) = d.decode(b"0\r\n\r\nGET / HTTP/1.1").unwrap();
        assert_eq!((used, data), (5, None));
        assert!(d.is_done());
    }

    #[test]
    fn truncated_body_is_not_done() {
        assert_eq!(
            decode_every_split(b"5\r\nhel"),
            Ok((b"hel".to_vec(), false))
        );
    }

    #[test]
    fn err_bad_size_missing_crlf_and_overflow() {
        assert_eq!(decode_every_split(b"x\r\n"), Err(ChunkedError::BadSize));
        assert_eq!(decode_every_split(b"\r\n"), Err(ChunkedError::BadSize));
        assert_eq!(
            decode_every_split(b"2\r\nabX"),
            Err(ChunkedError::MissingCrlf)
        );
        assert_eq!(
            decode_every_split(b"fffffffffffffffff\r\n"),
            Err(ChunkedError::SizeTooLarge)
        );
        assert_eq!(
            decode_every_split(b"2\n\nab"),
            Err(ChunkedError::BadSize),
            "a bare LF is not a line end"
        );
    }
}
