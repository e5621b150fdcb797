//! Result encoders, one per wire format, the streaming body that drives them, and the gzip
//! stream that can wrap it.
//!
//! Encoders write into the caller's buffer (csv-core's writer shape): `begin` once, `row` per
//! row, `end` once, so a 10M-row result needs no more memory than a 10-row one. The formats
//! that must see every row before printing (Machbase's `transpose`, `box` column widths)
//! hold at most a named bound (`TRANSPOSE_BYTES_MAX`, `BOX_PAGE_*`). Values are printed
//! losslessly by default: floats in shortest round-trip form (a `float32` column as an f32),
//! integers exactly, datetimes per the request's time format.
//!
//! Files: `clickhouse.rs` Proton's ClickHouse-style formats; `machbase/` Machbase Neo's
//! `/db/query` formats; `gzip.rs` the `compress=gzip` body; `compress.rs` compressed
//! ClickHouse-interface replies (lz4, gzip, deflate); `native.rs` ClickHouse's binary `Native`
//! blocks; `live.rs` the body of a live
//! (streaming) query, whose rows arrive as they are ingested.

mod clickhouse;
mod compress;
mod gzip;
mod live;
mod machbase;
mod native;

pub use clickhouse::{ClickHouseEncoder, ClickHouseFormat, slash_escaped_json_string};
pub use compress::{ReplyEncoding, compress_reply};
pub use gzip::{GzipBody, gzip_bytes};
pub use live::LiveQueryBody;
pub use machbase::{
    BinaryFormat, BoxOptions, BoxStyle, JsonShape, MachbaseFormat, MachbaseOutput, TimeText,
    ValueFormat, precision_digits,
};

use std::fmt::Write;

use crate::limits::RESPONSE_CHUNK_BYTES;
use crate::server::BodySource;
use crate::sql::{QueryError, ResultColumn, RowSource};
use crate::value::Value;

/// One wire format. `QueryBody` calls `begin`, then `row` per row, then `end` with the row
/// count; each appends to `out`.
pub trait Encoder: Send {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>);
    /// `Err` (a bound crossed by a format that holds rows) ends the body early; the text says
    /// which bound. Streaming formats always return `Ok`.
    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String>;
    fn end(&mut self, rows: u64, out: &mut Vec<u8>);
    /// Writes what the encoder holds back (a `Native` block) before a live reply's pause.
    fn flush(&mut self, _out: &mut Vec<u8>) {}
}

/// The dialect's text for an error raised after the reply's head went out.
pub type ErrorText = Box<dyn Fn(&QueryError) -> String + Send>;

/// Drives an encoder over a row source as a response body.
///
/// An error while rows are produced comes after the 200 head was sent, so the status cannot
/// say it. With `with_error_text`, the dialect's error text is appended to the body (as
/// ClickHouse's HTTP handler appends `Code: N. DB::Exception: …`), then the error ends the
/// body, which the server leaves unterminated so HTTP clients see it incomplete.
pub struct QueryBody {
    columns: Vec<ResultColumn>,
    rows: Box<dyn RowSource>,
    encoder: Box<dyn Encoder>,
    error_text: Option<ErrorText>,
    row: Vec<Value>,
    count: u64,
    started: bool,
    done: bool,
}

/// Rows encoded per `next_chunk` call at most, so one call never runs unbounded.
const ROWS_PER_CHUNK: usize = 256;

impl QueryBody {
    pub fn new(
        columns: Vec<ResultColumn>,
        rows: Box<dyn RowSource>,
        encoder: Box<dyn Encoder>,
    ) -> Self {
        QueryBody {
            columns,
            rows,
            encoder,
            error_text: None,
            row: Vec::new(),
            count: 0,
            started: false,
            done: false,
        }
    }

    /// Appends `text(error)` to the body when producing rows fails.
    pub fn with_error_text(mut self, text: ErrorText) -> Self {
        self.error_text = Some(text);
        self
    }

    /// Encodes the whole result into one buffer.
    #[cfg(test)]
    pub fn into_bytes(mut self) -> Result<Vec<u8>, String> {
        let mut out = Vec::new();
        while self.next_chunk(&mut out)? {}
        Ok(out)
    }
}

impl BodySource for QueryBody {
    fn next_chunk(&mut self, out: &mut Vec<u8>) -> Result<bool, String> {
        if self.done {
            return Ok(false);
        }
        if !self.started {
            self.started = true;
            self.encoder.begin(&self.columns, out);
        }
        for _ in 0..ROWS_PER_CHUNK {
            let more = match self.rows.next_row(&mut self.row) {
                Ok(more) => more,
                Err(e) => {
                    self.done = true;
                    if let Some(text) = &self.error_text {
                        out.extend_from_slice(text(&e).as_bytes());
                    }
                    return Err(e.to_string());
                }
            };
            if !more {
                self.encoder.end(self.count, out);
                self.done = true;
                return Ok(false);
            }
            self.count += 1;
            self.encoder.row(&self.columns, &self.row, out)?;
            // The server writes `out` once it holds a chunk: stopping here keeps what a reply
            // buffers to one chunk and one row, however wide its rows are.
            if out.len() >= RESPONSE_CHUNK_BYTES {
                break;
            }
        }
        Ok(true)
    }
}

/// Appends `s` as a JSON string literal. Control characters are escaped; so are `<`, `>`
/// and `&` when `html_safe` (Go's encoding/json does, and Machbase clients see that).
pub fn json_string(s: &str, html_safe: bool, out: &mut Vec<u8>) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: Option<&[u8]> = match b {
            b'"' => Some(b"\\\""),
            b'\\' => Some(b"\\\\"),
            b'\n' => Some(b"\\n"),
            b'\r' => Some(b"\\r"),
            b'\t' => Some(b"\\t"),
            b'<' | b'>' | b'&' if html_safe => None,
            0..=0x1f => None,
            _ => continue,
        };
        out.extend_from_slice(bytes.get(run_start..i).unwrap_or_default());
        match escape {
            Some(e) => out.extend_from_slice(e),
            None => {
                let _ = write!(ByteWriter(out), "\\u{:04x}", b);
            }
        }
        run_start = i + 1;
    }
    out.extend_from_slice(bytes.get(run_start..).unwrap_or_default());
    out.push(b'"');
}

/// `fmt::Write` into a byte vector.
pub struct ByteWriter<'a>(pub &'a mut Vec<u8>);

impl std::fmt::Write for ByteWriter<'_> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

/// Shortest round-trip text of a float; `f32` columns print as f32 so `1.12` stays `1.12`.
pub fn float_text(v: f64, is_f32: bool, out: &mut Vec<u8>) {
    if is_f32 {
        let _ = write!(ByteWriter(out), "{}", v as f32);
    } else {
        let _ = write!(ByteWriter(out), "{v}");
    }
}

pub fn hex_bytes(bytes: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"0x");
    for b in bytes {
        out.push(HEX[usize::from(b >> 4)]);
        out.push(HEX[usize::from(b & 15)]);
    }
}

pub fn ip_text(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Ipv4(a) => {
            let _ = write!(ByteWriter(out), "{}", std::net::Ipv4Addr::from(*a));
        }
        Value::Ipv6(a) => {
            let _ = write!(ByteWriter(out), "{}", std::net::Ipv6Addr::from(*a));
        }
        Value::Uuid(u) => {
            let h: String = u.iter().map(|b| format!("{b:02x}")).collect();
            let p = |r: std::ops::Range<usize>| h.get(r).unwrap_or_default().to_owned();
            let _ = write!(
                ByteWriter(out),
                "{}-{}-{}-{}-{}",
                p(0..8),
                p(8..12),
                p(12..16),
                p(16..20),
                p(20..32)
            );
        }
        _ => {}
    }
}

/// A value as plain text without quoting (string concatenation, simple formats).
pub fn plain_text(v: &Value) -> String {
    let mut out = Vec::new();
    match v {
        Value::Null => return String::new(),
        Value::Bool(b) => return b.to_string(),
        Value::Int(i) | Value::Time(i) => return i.to_string(),
        Value::UInt(u) => return u.to_string(),
        Value::Float(f) => float_text(*f, false, &mut out),
        Value::Str(s) => return s.clone(),
        Value::Bytes(b) => hex_bytes(b, &mut out),
        Value::Date(d) => return d.to_string(),
        Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_) => ip_text(v, &mut out),
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::VecSource;

    /// Each row's first value as text, one per line.
    struct Lines;
    impl Encoder for Lines {
        fn begin(&mut self, _: &[ResultColumn], _: &mut Vec<u8>) {}
        fn row(
            &mut self,
            _: &[ResultColumn],
            row: &[Value],
            out: &mut Vec<u8>,
        ) -> Result<(), String> {
            out.extend_from_slice(plain_text(&row[0]).as_bytes());
            out.push(b'\n');
            Ok(())
        }
        fn end(&mut self, _: u64, _: &mut Vec<u8>) {}
    }

    #[test]
    fn a_chunk_holds_at_most_one_row_past_the_chunk_size() {
        let wide = "w".repeat(RESPONSE_CHUNK_BYTES / 4);
        let rows: Vec<Vec<Value>> = (0..100).map(|_| vec![Value::Str(wide.clone())]).collect();
        let mut body = QueryBody::new(
            Vec::new(),
            Box::new(VecSource(rows.into_iter())),
            Box::new(Lines),
        );
        let (mut out, mut chunks) = (Vec::new(), 0);
        loop {
            out.clear();
            let more = body.next_chunk(&mut out).unwrap();
            assert!(
                out.len() <= RESPONSE_CHUNK_BYTES + wide.len() + 1,
                "{}",
                out.len()
            );
            chunks += 1;
            if !more {
                break;
            }
        }
        assert_eq!(chunks, 26, "4 rows of a quarter chunk fill one chunk");
    }

    #[test]
    fn json_strings_and_floats() {
        let mut out = Vec::new();
        json_string("a\"b\\c\n\u{1}<é>", true, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\"b\\c\n\u0001\u003cé\u003e""#
        );
        let mut out = Vec::new();
        json_string("<x>", false, &mut out);
        assert_eq!(out, br#""<x>""#);
        let f = |v: f64, f32: bool| {
            let mut out = Vec::new();
            float_text(v, f32, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(f(1.0001, false), "1.0001");
        assert_eq!(f(100.0, false), "100");
        assert_eq!(f(f64::from(1.12f32), true), "1.12");
        assert_eq!(f(0.8563571936170834, false), "0.8563571936170834");
    }
}
