//! Streaming decoder of brotli (`Content-Encoding: br`), several streams in a row as a
//! client that compresses block by block sends them, on Dropbox's pure-Rust decompressor,
//! whose push interface resumes at any byte.
//!
//! Invariants:
//! - Memory: the decompressor's ring buffer, sized by the stream's window: at most 16 MiB
//!   (the format's largest; the large-window extension is refused).
//! - The body must end between streams; a body ending inside one is `UnexpectedEnd`.

use brotli_decompressor::{BrotliDecompressStream, BrotliResult, BrotliState, StandardAlloc};

use super::inflate::InflateError;

pub struct BrotliStreams {
    state: Box<BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>>,
    /// Inside a stream (some of its bytes were read, its end not yet).
    open: bool,
    consumed: u64,
}

fn fresh() -> Box<BrotliState<StandardAlloc, StandardAlloc, StandardAlloc>> {
    Box::new(BrotliState::new(
        StandardAlloc::default(),
        StandardAlloc::default(),
        StandardAlloc::default(),
    ))
}

impl BrotliStreams {
    pub fn new() -> BrotliStreams {
        BrotliStreams {
            state: fresh(),
            open: false,
            consumed: 0,
        }
    }

    pub fn decode(&mut self, input: &[u8], out: &mut [u8]) -> Result<(usize, usize), InflateError> {
        let mut used = 0;
        let mut written = 0;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            let space = out.len() - written;
            if space == 0 || (rest.is_empty() && !self.open) {
                return Ok((used, written));
            }
            let (mut avail_in, mut in_at) = (rest.len(), 0);
            let (mut avail_out, mut out_at) = (space, 0);
            let mut total = 0;
            let target = out.get_mut(written..).unwrap_or_default();
            let result = BrotliDecompressStream(
                &mut avail_in,
                &mut in_at,
                rest,
                &mut avail_out,
                &mut out_at,
                target,
                &mut total,
                &mut self.state,
            );
            used += in_at;
            written += out_at;
            self.consumed += in_at as u64;
            if in_at > 0 || out_at > 0 {
                self.open = true;
            }
            match result {
                BrotliResult::ResultSuccess => {
                    // Another stream may follow.
                    self.state = fresh();
                    self.open = false;
                }
                BrotliResult::NeedsMoreInput => {
                    if input.get(used..).unwrap_or_default().is_empty() {
                        return Ok((used, written));
                    }
                }
                BrotliResult::NeedsMoreOutput => return Ok((used, written)),
                BrotliResult::ResultFailure => {
                    return Err(InflateError::Codec {
                        codec: "br",
                        detail: format!("corrupt input before offset {}", self.consumed),
                    });
                }
            }
        }
    }

    pub fn finish(&self) -> Result<(), InflateError> {
        if self.open {
            Err(InflateError::UnexpectedEnd)
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Python brotli's `compress(b"hello, brotli\n" * 3)`.
    const HELLO: &str = "1b2900f88d54b5bf561093a393696c6f35083df5c0453addf601";
    /// Python brotli's `compress(b"".join(b"row %d,%d\n" % (i, i % 7) for i in range(400)),
    /// lgwin=16)`.
    const ROWS: &str = concat!(
        "22e601bfc5816d232c9fad2699073f2d1540e4dc606c1e0765c1068ccd8bc9401c8b8530bdd4db1d55746004db653718",
        "100971f0813e0b7060997f1b0a1d4ba7f2b972a95ed76eeab7c55de9befc2344d464d90b6a6ab8954eefed091e912873",
        "915a1b6bbdc33d3d83a324cd56bc46432d7772af2fb0e809990ad7d2686b9ddfe335287292acc56a6fd052c7f7f2061a",
        "2d7946a19a1b69b5b37b7f0b444a9ca5686d8db7e8e89edf41a226cb5e5053c3ad747a6fefe111893217a9b5b1d63bdc",
        "d31f116c4851aacdb885432e7bd2d7314cba8226c3561c75cdf33ea620c94ab41ab3eec0258ffb32874a53ae61c8b223",
        "ae7ad6f7252049b116a3d61c77e1519fd72152956937b0e4b02b9ef66d132ea148b311ab8eb9eea14fdb60294ab519b7",
        "70c8654ffaba0b93aea0c9b015475df3bc8f7d9064255a8d5977e092c7f7e523844a53ae61c8b223ae7ad6f7312049b1",
        "16a3d61c77e1519fa710a9cab41b5872d8154ffb36874b28d26cc4aa63ae7be8d3122c45a936e3160eb9ec495fd761d2",
        "153419b6e2a86b9ef7b10992ac44ab31eb0e5cf2b82fdb5069ca350c5976c455cffabe0b4852acc5a835c75d78d4e77d",
        "885465da0d2c39ec8aa7f7ed63844b28d26cc4aa63ae7be8d3182c45a936e3160eb9ec495fa730e90a9a0c5b71d435cf",
        "fb9883242bd16accba03973ceecb122a4db98621cb8eb8ea59dfd701498ab518b5e6b80b8ffabc0991aa4cbb8125875d",
        "f1b46fdb7009459a8d5875cc750f7dda054b51aacdb885432e7bd2d77d9874054d86ad38ea9ae7df19",
    );

    fn hex(h: &str) -> Vec<u8> {
        (0..h.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&h[i..i + 2], 16).unwrap())
            .collect()
    }

    fn decode(body: &[u8], split: usize) -> Result<Vec<u8>, InflateError> {
        let mut d = BrotliStreams::new();
        let mut out = Vec::new();
        let mut buf = [0u8; 333];
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

    #[test]
    fn streams_in_a_row_decode_at_every_split() {
        let body = [hex(HELLO), hex(ROWS), hex(HELLO)].concat();
        let rows: Vec<u8> = (0..400)
            .flat_map(|i| format!("row {i},{}\n", i % 7).into_bytes())
            .collect();
        let hello = b"hello, brotli\n".repeat(3);
        let want = [&hello[..], &rows, &hello].concat();
        for split in 0..=body.len() {
            assert_eq!(decode(&body, split).unwrap(), want, "split {split}");
        }
    }

    #[test]
    fn err_truncated_and_corrupt_streams() {
        let body = hex(ROWS);
        assert_eq!(
            decode(&body[..body.len() - 5], 0),
            Err(InflateError::UnexpectedEnd)
        );
        assert!(matches!(
            decode(&[0xff; 16], 0),
            Err(InflateError::Codec { .. })
        ));
    }
}
