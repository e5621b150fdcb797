//! How one `/db/query` request prints a value: its `timeformat` and `tz`, `precision` and
//! `binaryformat` (reference machbase-neo-api.md §2, §3.3, §3.4, §3.6). Every Machbase
//! encoder prints through `ValueFormat`, so the formats agree on every value.
//!
//! Invariants:
//! - Nothing here allocates per value: times go through one reused buffer.
//! - Floats print in shortest round-trip form unless `precision` asks for fixed decimals
//!   (deliberate difference, README compatibility table: the peer's v8.5 rounds to 6
//!   decimals by default, which silently changes readings). Zero prints as `0` (or `0.000`),
//!   never `-0`, as the peer's `AppendPrecisionFloat64`.
//! - `precision` is at most `PRECISION_DIGITS_MAX`, so a float's text is bounded.

use std::fmt::Write;

use crate::catalog::ColumnType;
use crate::limits::PRECISION_DIGITS_MAX;
use crate::output::{ByteWriter, float_text, hex_bytes, ip_text, json_string, plain_text};
use crate::timefmt::{TimeFormat, Zone};
use crate::value::Value;

/// How one request prints datetimes: its `timeformat` and `tz`, and a buffer reused per value
/// so a long result allocates no text per row.
pub struct TimeText {
    pub format: TimeFormat,
    pub zone: Zone,
    scratch: String,
}

impl TimeText {
    pub fn new(format: TimeFormat, zone: Zone) -> TimeText {
        TimeText {
            format,
            zone,
            scratch: String::new(),
        }
    }

    /// The time as the peer's `TimeFormatter.Format` prints it (CSV and other text formats).
    pub fn text(&mut self, ns: i64) -> &str {
        self.scratch.clear();
        self.format.format_time(ns, &self.zone, &mut self.scratch);
        &self.scratch
    }

    /// The time as a JSON value: an epoch count as a number (`ns`) or a string (`ns.str`),
    /// else the formatted text as a string (reference §2.1, `FormatEpoch`).
    pub fn json(&mut self, ns: i64, out: &mut Vec<u8>) {
        match self.format.json_epoch() {
            Some(epoch) if epoch.quoted => {
                let _ = write!(ByteWriter(out), "\"{}\"", epoch.unit.count_in(ns));
            }
            Some(epoch) => {
                let _ = write!(ByteWriter(out), "{}", epoch.unit.count_in(ns));
            }
            None => {
                let text = self.text(ns);
                json_string(text, true, out);
            }
        }
    }
}

/// Machbase's `binaryformat`: how BINARY values print (reference §3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryFormat {
    /// `0x0102a0b0`, the default.
    Hex,
    /// `AQKgsA==`
    Base64,
    /// Go's `fmt` of a byte slice: `[1 2 160 176]`.
    Bytes,
    /// The first `PREVIEW_BYTES` in hex, then `..` if there were more: `0x0102030405..`.
    Preview,
}

/// Bytes shown by `binaryformat=preview` (the peer's `TestBinaryFormat`).
const PREVIEW_BYTES: usize = 5;

impl BinaryFormat {
    /// The parameter's value; anything unknown is hex, as the peer.
    pub fn parse(name: &str) -> BinaryFormat {
        match name {
            "base64" => BinaryFormat::Base64,
            "bytes" => BinaryFormat::Bytes,
            "preview" => BinaryFormat::Preview,
            _ => BinaryFormat::Hex,
        }
    }

    /// Appends `bytes` in this format; empty bytes print as nothing in every format.
    pub fn write(self, bytes: &[u8], out: &mut Vec<u8>) {
        if bytes.is_empty() {
            return;
        }
        match self {
            BinaryFormat::Hex => hex_bytes(bytes, out),
            BinaryFormat::Base64 => crate::base64::encode_standard(bytes, out),
            BinaryFormat::Bytes => {
                out.push(b'[');
                for (i, b) in bytes.iter().enumerate() {
                    if i > 0 {
                        out.push(b' ');
                    }
                    let _ = write!(ByteWriter(out), "{b}");
                }
                out.push(b']');
            }
            BinaryFormat::Preview => {
                let shown = bytes.get(..PREVIEW_BYTES).unwrap_or(bytes);
                hex_bytes(shown, out);
                if shown.len() < bytes.len() {
                    out.extend_from_slice(b"..");
                }
            }
        }
    }
}

/// Appends a finite float: with `precision`, fixed decimals (`strconv.FormatFloat(v, 'f', n)`,
/// correctly rounded, ties to even, like Go); without, the shortest text that reads back as
/// the same value (a `float32` column as an f32). Zero is `0`, or `0.000` for precision 3.
pub fn float_fixed(v: f64, is_f32: bool, precision: Option<u8>, out: &mut Vec<u8>) {
    let v = if v == 0.0 { 0.0 } else { v };
    match precision {
        Some(n) => {
            let _ = write!(ByteWriter(out), "{v:.*}", usize::from(n));
        }
        None => float_text(v, is_f32, out),
    }
}

/// The request's `precision` as decimal places: `None` (shortest) for any negative value,
/// else at most `PRECISION_DIGITS_MAX`; `Err` names the bound crossed.
pub fn precision_digits(precision: i64) -> Result<Option<u8>, String> {
    if precision < 0 {
        return Ok(None);
    }
    match u8::try_from(precision) {
        Ok(n) if usize::from(n) <= PRECISION_DIGITS_MAX => Ok(Some(n)),
        _ => Err(format!(
            "precision {precision} is more than PRECISION_DIGITS_MAX ({PRECISION_DIGITS_MAX})"
        )),
    }
}

/// Everything one request needs to print values.
pub struct ValueFormat {
    pub time: TimeText,
    /// Fixed decimal places for floats; `None` for shortest round-trip.
    pub precision: Option<u8>,
    pub binary: BinaryFormat,
}

impl ValueFormat {
    pub fn new(time: TimeText) -> ValueFormat {
        ValueFormat {
            time,
            precision: None,
            binary: BinaryFormat::Hex,
        }
    }

    /// Appends `v` as a JSON value. NaN and infinities are the strings `"NaN"`, `"+Inf"`,
    /// `"-Inf"`. `rounded` applies `precision`: the peer's default rows do, its rowsArray,
    /// transpose and rowsFlatten modes (Go's `json.Marshal`) do not (reference §3.3).
    pub fn json(&mut self, v: &Value, ty: Option<&ColumnType>, rounded: bool, out: &mut Vec<u8>) {
        match v {
            Value::Null => out.extend_from_slice(b"null"),
            Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Value::Int(n) => {
                let _ = write!(ByteWriter(out), "{n}");
            }
            Value::UInt(n) => {
                let _ = write!(ByteWriter(out), "{n}");
            }
            Value::Float(f) if f.is_nan() => out.extend_from_slice(b"\"NaN\""),
            Value::Float(f) if f.is_infinite() => {
                out.extend_from_slice(if *f > 0.0 { b"\"+Inf\"" } else { b"\"-Inf\"" })
            }
            Value::Float(f) => {
                let precision = if rounded { self.precision } else { None };
                float_fixed(*f, is_f32(ty), precision, out);
            }
            Value::Str(s) => json_string(s, true, out),
            Value::Bytes(b) => {
                out.push(b'"');
                self.binary.write(b, out);
                out.push(b'"');
            }
            Value::Time(ns) => self.time.json(*ns, out),
            Value::Date(d) => {
                let _ = write!(ByteWriter(out), "{d}");
            }
            Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_) => {
                out.push(b'"');
                ip_text(v, out);
                out.push(b'"');
            }
        }
    }

    /// Appends `v` as unquoted text (CSV fields, box and markdown cells): NULL is `NULL`,
    /// NaN and infinities `NaN`, `+Inf`, `-Inf`, times per `TimeFormatter.Format`.
    pub fn text(&mut self, v: &Value, ty: Option<&ColumnType>, out: &mut Vec<u8>) {
        match v {
            Value::Null => out.extend_from_slice(b"NULL"),
            Value::Float(f) if f.is_nan() => out.extend_from_slice(b"NaN"),
            Value::Float(f) if f.is_infinite() => {
                out.extend_from_slice(if *f > 0.0 { b"+Inf" } else { b"-Inf" })
            }
            Value::Float(f) => float_fixed(*f, is_f32(ty), self.precision, out),
            Value::Time(ns) => out.extend_from_slice(self.time.text(*ns).as_bytes()),
            Value::Bytes(b) => self.binary.write(b, out),
            Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_) => ip_text(v, out),
            Value::Str(s) => out.extend_from_slice(s.as_bytes()),
            other => out.extend_from_slice(plain_text(other).as_bytes()),
        }
    }
}

fn is_f32(ty: Option<&ColumnType>) -> bool {
    ty == Some(&ColumnType::Float32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn float(v: f64, is_f32: bool, precision: Option<u8>) -> String {
        let mut out = Vec::new();
        float_fixed(v, is_f32, precision, &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_shortest_by_default_fixed_with_precision() {
        // The peer's float_test.go cases with a precision; shortest where it has -1.
        assert_eq!(float(12.34, false, None), "12.34");
        assert_eq!(float(20.55 - 22.2, false, Some(2)), "-1.65");
        assert_eq!(float(3.1, false, Some(3)), "3.100");
        assert_eq!(float(10.0, false, Some(2)), "10.00");
        assert_eq!(float(-0.0, false, None), "0");
        assert_eq!(float(-0.0, false, Some(3)), "0.000");
        assert_eq!(float(0.8563571936170834, false, None), "0.8563571936170834");
        // Go's FormatFloat rounds the exact binary value, ties to even; so does Rust.
        assert_eq!(float(0.005, false, Some(2)), "0.01");
        assert_eq!(float(0.125, false, Some(2)), "0.12");
        assert_eq!(float(2.5, false, Some(0)), "2");
        assert_eq!(float(f64::from(1.235f32), true, Some(2)), "1.24");
        assert_eq!(float(f64::from(1.234f32), true, None), "1.234");
        assert_eq!(float(1e21, false, None), "1000000000000000000000");
    }

    #[test]
    fn time_text_per_timeformat() {
        let t = |f: &str, ns: i64| {
            let mut text = TimeText::new(TimeFormat::parse(f), Zone::utc());
            text.text(ns).to_owned()
        };
        assert_eq!(t("ms", 1_676_432_361_123_456_789), "1676432361123");
        assert_eq!(
            t("Default", 1_676_432_362_111_000_000),
            "2023-02-15 03:39:22.111"
        );
        assert_eq!(
            t("RFC3339", 1_676_432_361_000_000_000),
            "2023-02-15T03:39:21Z"
        );
        assert_eq!(
            t("rfc3339nano", 1_676_432_362_111_111_111),
            "2023-02-15T03:39:22.111111111Z"
        );
        assert_eq!(
            t("DEFAULT.US", 1_676_432_361_000_000_000),
            "2023-02-15 03:39:21.000000"
        );
        assert_eq!(
            t("NS", 1_676_432_361_000_000_000),
            "NS",
            "epoch units are case-sensitive: `NS` is a layout without chunks"
        );
    }

    #[test]
    fn precision_bounds() {
        assert_eq!(precision_digits(-1), Ok(None));
        assert_eq!(precision_digits(-100), Ok(None));
        assert_eq!(precision_digits(0), Ok(Some(0)));
        assert_eq!(precision_digits(PRECISION_DIGITS_MAX as i64), Ok(Some(64)));
        assert_eq!(
            precision_digits(65),
            Err("precision 65 is more than PRECISION_DIGITS_MAX (64)".into())
        );
        assert!(precision_digits(i64::MAX).is_err());
    }

    #[test]
    fn binary_formats_as_the_peer() {
        let bin = |f: &str, b: &[u8]| {
            let mut out = Vec::new();
            BinaryFormat::parse(f).write(b, &mut out);
            String::from_utf8(out).unwrap()
        };
        let six = [1, 2, 3, 4, 5, 6];
        assert_eq!(bin("preview", &six), "0x0102030405..");
        assert_eq!(bin("preview", &six[..5]), "0x0102030405");
        assert_eq!(bin("hex", &six), "0x010203040506");
        assert_eq!(bin("bytes", &six), "[1 2 3 4 5 6]");
        assert_eq!(bin("base64", &six), "AQIDBAUG");
        assert_eq!(bin("_unknown_", &six), "0x010203040506");
        assert_eq!(bin("base64", &[1, 2, 0xa0, 0xb0]), "AQKgsA==");
        assert_eq!(bin("base64", &[1, 2, 0xa0, 0xb0, 0xc0]), "AQKgsMA=");
        assert_eq!(bin("bytes", &[1, 2, 160, 176]), "[1 2 160 176]");
        assert_eq!(bin("hex", &[]), "");
    }
}
