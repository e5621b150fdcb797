//! Where a body's bytes come from: the request `Body`, a body whose first bytes were already
//! read (`Prefixed`: the data after a ClickHouse `INSERT … FORMAT x` statement), and a
//! compressed body inflated on the way (`Decompressed`).
//!
//! Invariants:
//! - `chunk` returns the next piece; an empty piece means the body ended, and every later
//!   call returns an empty piece again.
//! - `Decompressed` holds one compressed piece and one `INFLATE_CHUNK_BYTES` output buffer:
//!   memory does not grow with the body. At the end it checks the compressed stream is
//!   complete (`Inflater::finish`), so a truncated body is an error, never a short read.

use super::inflate::{Encoding, InflateError, InflateLimits, Inflater};
use super::pipeline::IngestErrorKind;
use crate::server::Body;

/// Inflated bytes handed on at a time.
const INFLATE_CHUNK_BYTES: usize = 64 << 10;

/// A body read piece by piece.
pub trait ChunkSource {
    /// The next piece of the body; empty at the end.
    async fn chunk(&mut self) -> Result<&[u8], IngestErrorKind>;
}

impl ChunkSource for Body {
    async fn chunk(&mut self) -> Result<&[u8], IngestErrorKind> {
        Body::chunk(self).await.map_err(IngestErrorKind::Body)
    }
}

impl<S: ChunkSource> ChunkSource for &mut S {
    async fn chunk(&mut self) -> Result<&[u8], IngestErrorKind> {
        (**self).chunk().await
    }
}

/// `prefix`, then the rest of `inner`.
pub struct Prefixed<S> {
    prefix: Vec<u8>,
    prefix_sent: bool,
    inner: S,
}

impl<S> Prefixed<S> {
    pub fn new(prefix: Vec<u8>, inner: S) -> Prefixed<S> {
        Prefixed {
            prefix_sent: prefix.is_empty(),
            prefix,
            inner,
        }
    }
}

impl<S: ChunkSource> ChunkSource for Prefixed<S> {
    async fn chunk(&mut self) -> Result<&[u8], IngestErrorKind> {
        if !self.prefix_sent {
            self.prefix_sent = true;
            return Ok(&self.prefix);
        }
        self.inner.chunk().await
    }
}

/// `inner` inflated with `encoding`, or passed through when there is none.
pub struct Decompressed<S> {
    inner: S,
    inflater: Option<Inflater>,
    /// The compressed piece being inflated, from `at` on.
    input: Vec<u8>,
    at: usize,
    out: Vec<u8>,
    /// The last call filled `out`: the inflater may hold more output for the same input.
    draining: bool,
    ended: bool,
}

impl<S> Decompressed<S> {
    pub fn new(inner: S, encoding: Option<Encoding>, limits: InflateLimits) -> Decompressed<S> {
        Decompressed {
            inner,
            inflater: encoding.map(|e| Inflater::new(e, limits)),
            input: Vec::new(),
            at: 0,
            out: Vec::new(),
            draining: false,
            ended: false,
        }
    }
}

impl<S: ChunkSource> ChunkSource for Decompressed<S> {
    async fn chunk(&mut self) -> Result<&[u8], IngestErrorKind> {
        let Some(inflater) = self.inflater.as_mut() else {
            return self.inner.chunk().await;
        };
        if self.out.is_empty() {
            self.out = vec![0; INFLATE_CHUNK_BYTES];
        }
        loop {
            if self.ended {
                return Ok(&[]);
            }
            if self.at >= self.input.len() && !self.draining {
                let piece = self.inner.chunk().await?;
                if piece.is_empty() {
                    inflater.finish().map_err(IngestErrorKind::Inflate)?;
                    self.ended = true;
                    return Ok(&[]);
                }
                self.input.clear();
                self.input.extend_from_slice(piece);
                self.at = 0;
            }
            let rest = self.input.get(self.at..).unwrap_or_default();
            let (used, written) = inflater
                .inflate(rest, &mut self.out)
                .map_err(IngestErrorKind::Inflate)?;
            let progressed = used > 0 || written > 0;
            self.at += used;
            self.draining = written == self.out.len();
            if written > 0 {
                return Ok(self.out.get(..written).unwrap_or_default());
            }
            if !progressed && self.at < self.input.len() {
                // An inflater that takes no byte of the input it was given and writes
                // nothing cannot move on; report it rather than spin.
                return Err(IngestErrorKind::Inflate(InflateError::Corrupt {
                    at: inflater.consumed(),
                }));
            }
        }
    }
}
