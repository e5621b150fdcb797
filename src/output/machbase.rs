//! Machbase Neo's `/db/query` result formats (reference machbase-neo-api.md §3.3–3.4).
//!
//! JSON: `{"data":{"columns":[...],"types":[...],"rows":[...]},"success":true,
//! "reason":"success","elapse":"..."}`, byte for byte, no whitespace. CSV: header line
//! (unless `header=skip`), one line per row, then an extra `\n`. NULL prints as `null` in JSON
//! and `NULL` in CSV; datetimes follow `timeformat`.
//!
//! Deliberate difference (README compatibility table): floats print in shortest round-trip
//! form (v8.0 style), not v8.5's 6-decimal rounding, so no reading is silently rounded.

use std::fmt::Write;
use std::time::Instant;

use super::{ByteWriter, Encoder, float_text, hex_bytes, ip_text, json_string};
use crate::catalog::ColumnType;
use crate::sql::ResultColumn;
use crate::timefmt::{self, EpochUnit};
use crate::value::Value;

/// How datetimes are printed. Named layouts beyond these arrive with the Go layout engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeFormat {
    Epoch(EpochUnit),
    /// `2006-01-02 15:04:05.999…` with up to `digits` fraction digits, trailing zeros trimmed
    /// unless `fixed`.
    Default {
        digits: u8,
        fixed: bool,
    },
    /// `2006-01-02T15:04:05[.999999999]Z` (UTC).
    Rfc3339 {
        nano: bool,
    },
}

impl TimeFormat {
    /// Parses Machbase's `timeformat` parameter (epoch units case-sensitive, names not).
    pub fn parse(name: &str) -> Option<TimeFormat> {
        if let Some(unit) = EpochUnit::parse(name) {
            return Some(TimeFormat::Epoch(unit));
        }
        Some(match name.to_ascii_uppercase().as_str() {
            "-" | "DEFAULT" | "DEFAULT_MS" => TimeFormat::Default {
                digits: 3,
                fixed: false,
            },
            "DEFAULT_US" => TimeFormat::Default {
                digits: 6,
                fixed: false,
            },
            "DEFAULT_NS" => TimeFormat::Default {
                digits: 9,
                fixed: false,
            },
            "DEFAULT.MS" => TimeFormat::Default {
                digits: 3,
                fixed: true,
            },
            "DEFAULT.US" => TimeFormat::Default {
                digits: 6,
                fixed: true,
            },
            "DEFAULT.NS" => TimeFormat::Default {
                digits: 9,
                fixed: true,
            },
            "DATETIME" => TimeFormat::Default {
                digits: 0,
                fixed: true,
            },
            "RFC3339" => TimeFormat::Rfc3339 { nano: false },
            "RFC3339NANO" => TimeFormat::Rfc3339 { nano: true },
            _ => return None,
        })
    }

    fn is_epoch(self) -> bool {
        matches!(self, TimeFormat::Epoch(_))
    }

    /// Appends the time as text (CSV, and JSON inside quotes).
    fn write_text(self, ns: i64, out: &mut Vec<u8>) {
        match self {
            TimeFormat::Epoch(unit) => {
                let _ = write!(ByteWriter(out), "{}", unit.count_in(ns));
            }
            TimeFormat::Default { digits, fixed } => {
                let mut s = String::new();
                timefmt::format_datetime(ns, 9, &mut s);
                push_layout(&s, digits, fixed, out);
            }
            TimeFormat::Rfc3339 { nano } => {
                let mut s = String::new();
                timefmt::format_datetime(ns, 9, &mut s);
                let s = s.replacen(' ', "T", 1);
                push_layout(&s, if nano { 9 } else { 0 }, false, out);
                out.push(b'Z');
            }
        }
    }
}

/// `s` is `YYYY-MM-DD?hh:mm:ss.nnnnnnnnn`; keep `digits` fraction digits as Go's `.000`
/// (fixed) or `.999` (trailing zeros and a bare dot removed) would.
fn push_layout(s: &str, digits: u8, fixed: bool, out: &mut Vec<u8>) {
    let (head, frac) = s.split_once('.').unwrap_or((s, ""));
    out.extend_from_slice(head.as_bytes());
    let frac = frac.get(..usize::from(digits)).unwrap_or(frac);
    let frac = if fixed {
        frac
    } else {
        frac.trim_end_matches('0')
    };
    if !frac.is_empty() {
        out.push(b'.');
        out.extend_from_slice(frac.as_bytes());
    }
}

fn is_f32(ty: &ColumnType) -> bool {
    *ty == ColumnType::Float32
}

pub struct MachbaseJson {
    pub time_format: TimeFormat,
    pub started: Instant,
    first: bool,
}

impl MachbaseJson {
    pub fn new(time_format: TimeFormat, started: Instant) -> Self {
        MachbaseJson {
            time_format,
            started,
            first: true,
        }
    }
}

impl Encoder for MachbaseJson {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        out.extend_from_slice(b"{\"data\":{\"columns\":[");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(&c.name, true, out);
        }
        out.extend_from_slice(b"],\"types\":[");
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            json_string(c.ty.machbase_name(), true, out);
        }
        out.extend_from_slice(b"],\"rows\":[");
    }

    fn row(&mut self, columns: &[ResultColumn], row: &[Value], out: &mut Vec<u8>) {
        if !self.first {
            out.push(b',');
        }
        self.first = false;
        out.push(b'[');
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let ty = columns.get(i).map(|c| &c.ty);
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
                Value::Float(f) => float_text(*f, ty.is_some_and(is_f32), out),
                Value::Str(s) => json_string(s, true, out),
                Value::Bytes(b) => {
                    out.push(b'"');
                    hex_bytes(b, out);
                    out.push(b'"');
                }
                Value::Time(ns) => {
                    if self.time_format.is_epoch() {
                        self.time_format.write_text(*ns, out);
                    } else {
                        out.push(b'"');
                        self.time_format.write_text(*ns, out);
                        out.push(b'"');
                    }
                }
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
        out.push(b']');
    }

    fn end(&mut self, _rows: u64, out: &mut Vec<u8>) {
        let elapse = timefmt::go_duration(self.started.elapsed().as_nanos() as u64);
        out.extend_from_slice(b"]},\"success\":true,\"reason\":\"success\",\"elapse\":");
        json_string(&elapse, true, out);
        out.push(b'}');
    }
}

pub struct MachbaseCsv {
    pub time_format: TimeFormat,
    pub heading: bool,
    pub delimiter: u8,
}

impl MachbaseCsv {
    /// Quotes as Go's csv.Writer: fields with the delimiter, a quote, CR/LF or a leading space.
    fn field(&self, text: &[u8], out: &mut Vec<u8>) {
        let needs_quotes = text.first() == Some(&b' ')
            || text
                .iter()
                .any(|&b| b == self.delimiter || b == b'"' || b == b'\n' || b == b'\r');
        if !needs_quotes {
            out.extend_from_slice(text);
            return;
        }
        out.push(b'"');
        for &b in text {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
}

impl Encoder for MachbaseCsv {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        if !self.heading {
            return;
        }
        for (i, c) in columns.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter);
            }
            self.field(c.name.as_bytes(), out);
        }
        out.push(b'\n');
    }

    fn row(&mut self, columns: &[ResultColumn], row: &[Value], out: &mut Vec<u8>) {
        let mut text = Vec::new();
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                out.push(self.delimiter);
            }
            text.clear();
            let ty = columns.get(i).map(|c| &c.ty);
            match v {
                Value::Null => text.extend_from_slice(b"NULL"),
                Value::Float(f) if f.is_nan() => text.extend_from_slice(b"NaN"),
                Value::Float(f) if f.is_infinite() => {
                    text.extend_from_slice(if *f > 0.0 { b"+Inf" } else { b"-Inf" })
                }
                Value::Float(f) => float_text(*f, ty.is_some_and(is_f32), &mut text),
                Value::Time(ns) => self.time_format.write_text(*ns, &mut text),
                Value::Bytes(b) => hex_bytes(b, &mut text),
                Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_) => ip_text(v, &mut text),
                other => text.extend_from_slice(super::plain_text(other).as_bytes()),
            }
            self.field(&text, out);
        }
        out.push(b'\n');
    }

    fn end(&mut self, _rows: u64, out: &mut Vec<u8>) {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::QueryBody;
    use crate::sql::{QueryError, RowSource};

    struct Rows(Vec<Vec<Value>>);
    impl RowSource for Rows {
        fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
            if self.0.is_empty() {
                return Ok(false);
            }
            *out = self.0.remove(0);
            Ok(true)
        }
    }

    fn columns() -> Vec<ResultColumn> {
        vec![
            ResultColumn {
                name: "name".into(),
                ty: ColumnType::String { len_max: None },
            },
            ResultColumn {
                name: "time".into(),
                ty: ColumnType::DateTime {
                    precision: 9,
                    tz: None,
                },
            },
            ResultColumn {
                name: "value".into(),
                ty: ColumnType::Float64,
            },
        ]
    }

    fn rows() -> Box<Rows> {
        Box::new(Rows(vec![
            vec![
                Value::Str("my-car".into()),
                Value::Time(1_670_380_342_000_000_000),
                Value::Float(1.0001),
            ],
            vec![
                Value::Str("my-car".into()),
                Value::Time(1_670_380_343_000_000_000),
                Value::Float(2.0002),
            ],
        ]))
    }

    fn encode(encoder: Box<dyn Encoder>) -> String {
        String::from_utf8(
            QueryBody::new(columns(), rows(), encoder)
                .into_bytes()
                .unwrap(),
        )
        .unwrap()
    }

    #[test]
    fn json_envelope_matches_the_peer_byte_for_byte() {
        let body = encode(Box::new(MachbaseJson::new(
            TimeFormat::Epoch(EpochUnit::Ns),
            Instant::now(),
        )));
        let prefix = r#"{"data":{"columns":["name","time","value"],"types":["string","datetime","double"],"rows":[["my-car",1670380342000000000,1.0001],["my-car",1670380343000000000,2.0002]]},"success":true,"reason":"success","elapse":""#;
        assert!(body.starts_with(prefix), "{body}");
        assert!(body.ends_with("\"}"));
        let s = encode(Box::new(MachbaseJson::new(
            TimeFormat::Epoch(EpochUnit::S),
            Instant::now(),
        )));
        assert!(s.contains(r#"[["my-car",1670380342,1.0001],"#), "{s}");
    }

    #[test]
    fn csv_with_header_and_trailing_blank_line() {
        let body = encode(Box::new(MachbaseCsv {
            time_format: TimeFormat::parse("Default").unwrap(),
            heading: true,
            delimiter: b',',
        }));
        assert_eq!(
            body,
            "name,time,value\nmy-car,2022-12-07 02:32:22,1.0001\nmy-car,2022-12-07 02:32:23,2.0002\n\n"
        );
    }

    #[test]
    fn time_formats() {
        let t = |f: &str, ns: i64| {
            let mut out = Vec::new();
            TimeFormat::parse(f).unwrap().write_text(ns, &mut out);
            String::from_utf8(out).unwrap()
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
        assert!(
            TimeFormat::parse("NS").is_none(),
            "epoch units are case-sensitive"
        );
    }
}
