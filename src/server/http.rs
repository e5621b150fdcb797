//! Requests and responses as the rest of tidegate sees them: a parsed head, a streaming
//! `Body`, and a `Response` whose body is bytes or a pull stream written chunk by chunk.
//!
//! Invariants:
//! - A `Body` never yields more than `body_bytes_max` bytes; crossing it is an error and the
//!   connection is closed after the reply (the rest of the body is never read).
//! - `100 Continue` is sent only when the handler first reads the body, so a request rejected
//!   from its head alone never makes the client send a large body.

use std::io;
use std::time::Duration;

use smol::io::{AsyncReadExt, AsyncWriteExt};
use smol::net::TcpStream;

use super::chunked::{ChunkedDecoder, ChunkedError};
use crate::limits::{BODY_READ_IDLE_TIMEOUT_MS, READ_CHUNK_BYTES, WRITE_TIMEOUT_MS_DEFAULT};

/// The buffered read side of a connection, handed from request to request. Its buffer is
/// allocated at the first read and given back between requests (`release`), so an idle
/// connection costs a socket, not `READ_CHUNK_BYTES`.
pub(super) struct ConnReader {
    pub stream: TcpStream,
    pub buf: Box<[u8]>,
    pub start: usize,
    pub end: usize,
}

pub(super) async fn with_timeout<T>(
    ms: u64,
    what: &'static str,
    f: impl std::future::Future<Output = io::Result<T>>,
) -> io::Result<T> {
    smol::future::or(f, async {
        smol::Timer::after(Duration::from_millis(ms)).await;
        Err(io::Error::new(io::ErrorKind::TimedOut, what))
    })
    .await
}

impl ConnReader {
    pub fn new(stream: TcpStream) -> ConnReader {
        ConnReader {
            stream,
            buf: Box::default(),
            start: 0,
            end: 0,
        }
    }

    /// Frees the buffer if it holds no unread bytes.
    pub fn release(&mut self) {
        if self.start == self.end {
            self.buf = Box::default();
            self.start = 0;
            self.end = 0;
        }
    }

    pub fn buffered(&self) -> &[u8] {
        self.buf.get(self.start..self.end).unwrap_or_default()
    }

    /// Reads more bytes after the buffered ones (compacting first). Returns 0 at EOF.
    pub async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.is_empty() {
            self.buf = vec![0u8; READ_CHUNK_BYTES].into_boxed_slice();
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        let Some(free) = self.buf.get_mut(self.end..) else {
            return Ok(0);
        };
        if free.is_empty() {
            return Err(io::Error::other("read buffer full"));
        }
        let n = self.stream.read(free).await?;
        self.end += n;
        Ok(n)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyErrorKind {
    /// More than `limit` bytes; `name` is the bound crossed, as the error text names it.
    TooLarge {
        limit: u64,
        name: &'static str,
    },
    Truncated,
    Chunked(ChunkedError),
    Io,
    TimedOut,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyError {
    pub kind: BodyErrorKind,
    pub detail: String,
}

impl std::fmt::Display for BodyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.kind {
            BodyErrorKind::TooLarge { limit, name } => {
                write!(f, "request body exceeds {name} ({limit} bytes)")
            }
            BodyErrorKind::Truncated => f.write_str("request body ended early"),
            BodyErrorKind::Chunked(e) => e.fmt(f),
            BodyErrorKind::Io => write!(f, "cannot read the request body: {}", self.detail),
            BodyErrorKind::TimedOut => write!(
                f,
                "no request body bytes for {} s (body_read_idle_timeout)",
                BODY_READ_IDLE_TIMEOUT_MS / 1000
            ),
        }
    }
}

#[derive(Debug)]
enum Framing {
    Length { remaining: u64 },
    Chunked(ChunkedDecoder),
}

pub struct Body {
    reader: ConnReader,
    framing: Framing,
    continue_pending: bool,
    delivered: u64,
    bytes_max: u64,
    done: bool,
    failed: bool,
}

impl Body {
    pub(super) fn new(
        reader: ConnReader,
        length: Option<u64>,
        chunked: bool,
        expect_continue: bool,
        bytes_max: u64,
    ) -> Body {
        let framing = if chunked {
            Framing::Chunked(ChunkedDecoder::default())
        } else {
            Framing::Length {
                remaining: length.unwrap_or(0),
            }
        };
        let done = matches!(framing, Framing::Length { remaining: 0 });
        Body {
            reader,
            framing,
            continue_pending: expect_continue && !done,
            delivered: 0,
            bytes_max,
            done,
            failed: false,
        }
    }

    /// The declared length, if the body is not chunked.
    pub fn declared_len(&self) -> Option<u64> {
        match self.framing {
            Framing::Length { remaining } => Some(remaining + self.delivered),
            Framing::Chunked(_) => None,
        }
    }

    /// Whether every body byte was read (the connection can serve another request).
    pub fn is_complete(&self) -> bool {
        self.done && !self.failed
    }

    fn fail(&mut self, kind: BodyErrorKind, detail: String) -> BodyError {
        self.failed = true;
        BodyError { kind, detail }
    }

    /// The next piece of the body; an empty slice at the end.
    pub async fn chunk(&mut self) -> Result<&[u8], BodyError> {
        loop {
            if self.done {
                return Ok(&[]);
            }
            if self.failed {
                return Err(BodyError {
                    kind: BodyErrorKind::Truncated,
                    detail: String::new(),
                });
            }
            if self.reader.buffered().is_empty() {
                if self.continue_pending {
                    self.continue_pending = false;
                    let write = self
                        .reader
                        .stream
                        .write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
                    // 25 bytes into a connection that has sent nothing back yet: they never
                    // wait for the client, so the configured `--write-timeout` is not needed.
                    let timeout_ms = WRITE_TIMEOUT_MS_DEFAULT;
                    if let Err(e) = with_timeout(timeout_ms, "write timed out", write).await {
                        return Err(self.fail(BodyErrorKind::Io, e.to_string()));
                    }
                }
                let read = with_timeout(BODY_READ_IDLE_TIMEOUT_MS, "body read timed out", async {
                    self.reader.fill().await
                })
                .await;
                match read {
                    Ok(0) => return Err(self.fail(BodyErrorKind::Truncated, String::new())),
                    Ok(_) => {}
                    Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                        return Err(self.fail(BodyErrorKind::TimedOut, String::new()));
                    }
                    Err(e) => return Err(self.fail(BodyErrorKind::Io, e.to_string())),
                }
            }
            let start = self.reader.start;
            let buffered = self.reader.buffered();
            let range = match &mut self.framing {
                Framing::Length { remaining } => {
                    let n = (*remaining).min(buffered.len() as u64) as usize;
                    *remaining -= n as u64;
                    self.done = *remaining == 0;
                    self.reader.start += n;
                    start..start + n
                }
                Framing::Chunked(decoder) => match decoder.decode(buffered) {
                    Ok((used, data)) => {
                        self.done = decoder.is_done();
                        self.reader.start += used;
                        match data {
                            Some(r) => start + r.start..start + r.end,
                            None => continue,
                        }
                    }
                    Err(e) => return Err(self.fail(BodyErrorKind::Chunked(e), String::new())),
                },
            };
            self.delivered += range.len() as u64;
            if self.delivered > self.bytes_max {
                let limit = self.bytes_max;
                let name = "body_bytes_max";
                return Err(self.fail(BodyErrorKind::TooLarge { limit, name }, String::new()));
            }
            if range.is_empty() {
                continue;
            }
            return Ok(self.reader.buf.get(range).unwrap_or_default());
        }
    }

    /// Reads the whole body, refusing more than `limit` bytes (small control bodies only);
    /// `name` is the limit's name for the error text, e.g. `sql_bytes_max`.
    pub async fn read_to_vec(
        &mut self,
        limit: usize,
        name: &'static str,
    ) -> Result<Vec<u8>, BodyError> {
        let mut out = Vec::new();
        loop {
            let chunk = self.chunk().await?;
            if chunk.is_empty() {
                return Ok(out);
            }
            if out.len() + chunk.len() > limit {
                return Err(self.fail(
                    BodyErrorKind::TooLarge {
                        limit: limit as u64,
                        name,
                    },
                    String::new(),
                ));
            }
            out.extend_from_slice(chunk);
        }
    }

    pub(super) fn into_reader(self) -> ConnReader {
        self.reader
    }
}

pub struct Request {
    pub method: String,
    /// The path, percent-decoded.
    pub path: String,
    /// The raw query string (after `?`), not decoded.
    pub query: String,
    pub headers: Vec<(String, String)>,
    pub body: Body,
    /// Arrived on a snapshot listener (`--snapshot-listen`, Proton's batch port 8123), where
    /// Proton-dialect queries run with `query_mode='table'`.
    pub snapshot: bool,
}

impl Request {
    /// The first header with this name (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `Content-Type` without parameters, lower-cased (`text/csv; charset=utf-8` → `text/csv`).
    pub fn content_type(&self) -> String {
        self.header("content-type")
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .unwrap_or_default()
    }

    /// Query parameters, percent-decoded, in order.
    pub fn params(&self) -> Vec<(String, String)> {
        parse_form(&self.query)
    }
}

/// Decodes `a=1&b=x%20y` (also `+` as space), keeping order and repeats.
pub fn parse_form(text: &str) -> Vec<(String, String)> {
    text.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(k, true), percent_decode(v, true))
        })
        .collect()
}

/// Percent-decodes `text`; invalid escapes are kept literally, invalid UTF-8 replaced.
pub fn percent_decode(text: &str, plus_is_space: bool) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = |j: usize| bytes.get(j).and_then(|c| (*c as char).to_digit(16));
        match b {
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(h), Some(l)) => {
                    out.push((h * 16 + l) as u8);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' if plus_is_space => out.push(b' '),
            _ => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Produces a streamed response body piece by piece.
pub trait BodySource: Send {
    /// Appends the next bytes to `out`; returns `Ok(false)` once everything was produced.
    /// An error after bytes were sent can only end the response early: what `out` holds is
    /// still sent (a source may put its error text there), then the body is left
    /// unterminated and the connection closed.
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String>;
}

/// The next piece of a live body, which may wait for rows that do not exist yet.
pub type LiveChunk<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<bool, String>> + Send + 'a>>;

/// Produces a response body whose pieces may take unbounded time to arrive (a streaming
/// query waiting for ingest). The server flushes every piece at once, ends the body when the
/// client disconnects and at shutdown.
pub trait LiveBodySource: Send {
    /// Appends the next bytes to `out`, waiting until there are some; `Ok(false)` once
    /// everything was produced. Must be cancel-safe: the server drops the future when the
    /// client goes away or the server stops, and then calls `finish`.
    fn next_chunk<'a>(&'a mut self, out: &'a mut Vec<u8>) -> LiveChunk<'a>;
    /// Appends the closing bytes of a body cut short by shutdown (a JSON document's tail).
    fn finish(&mut self, out: &mut Vec<u8>);
}

pub enum ResponseBody {
    Bytes(Vec<u8>),
    Stream(Box<dyn BodySource>),
    Live(Box<dyn LiveBodySource>),
}

pub struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: ResponseBody,
    /// Close the connection after this response (set for rejected bodies).
    pub close: bool,
}

impl Response {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: ResponseBody::Bytes(body.into()),
            close: false,
        }
    }

    pub fn json(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "application/json; charset=utf-8", body)
    }

    pub fn text(status: u16, body: impl Into<Vec<u8>>) -> Response {
        Response::new(status, "text/plain; charset=utf-8", body)
    }

    pub fn stream(status: u16, content_type: &str, source: Box<dyn BodySource>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: ResponseBody::Stream(source),
            close: false,
        }
    }

    /// A live body; the connection closes after it, as the client has no other way to
    /// know a never-ending body ended.
    pub fn live(status: u16, content_type: &str, source: Box<dyn LiveBodySource>) -> Response {
        Response {
            status,
            headers: vec![("Content-Type", content_type.to_owned())],
            body: ResponseBody::Live(source),
            close: true,
        }
    }

    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }
}

pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_decoding() {
        assert_eq!(
            parse_form("q=select+*%20from%20t&timeformat=s&x&=v&%zz=1"),
            vec![
                ("q".into(), "select * from t".into()),
                ("timeformat".into(), "s".into()),
                ("x".into(), "".into()),
                ("".into(), "v".into()),
                ("%zz".into(), "1".into()),
            ]
        );
        assert_eq!(percent_decode("%E2%9C%93+", false), "✓+");
    }
}
