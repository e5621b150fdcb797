//! Machbase Neo's `/db/query` result formats (reference machbase-neo-api.md §3.3–3.4).
//!
//! JSON: `{"data":{"columns":[...],"types":[...],"rows":[...]},"success":true,
//! "reason":"success","elapse":"..."}`, byte for byte, no whitespace. CSV: header line
//! (unless `header=skip`), one line per row, then an extra `\n`. NULL prints as `null` in JSON
//! and `NULL` in CSV; datetimes follow `timeformat` and `tz` (`src/timefmt/`).
//!
//! Deliberate difference (README compatibility table): floats print in shortest round-trip
//! form (v8.0 style), not v8.5's 6-decimal rounding, so no reading is silently rounded.

use std::fmt::Write;
use std::time::Instant;

use super::{ByteWriter, Encoder, float_text, hex_bytes, ip_text, json_string};
use crate::catalog::ColumnType;
use crate::sql::ResultColumn;
use crate::timefmt::{self, TimeFormat, Zone};
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
    fn text(&mut self, ns: i64) -> &str {
        self.scratch.clear();
        self.format.format_time(ns, &self.zone, &mut self.scratch);
        &self.scratch
    }

    /// The time as a JSON value: an epoch count as a number (`ns`) or a string (`ns.str`),
    /// else the formatted text as a string (reference §2.1, `FormatEpoch`).
    fn json(&mut self, ns: i64, out: &mut Vec<u8>) {
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

fn is_f32(ty: &ColumnType) -> bool {
    *ty == ColumnType::Float32
}

pub struct MachbaseJson {
    pub time: TimeText,
    pub started: Instant,
    first: bool,
}

impl MachbaseJson {
    pub fn new(time: TimeText, started: Instant) -> Self {
        MachbaseJson {
            time,
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
    pub time: TimeText,
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
                Value::Time(ns) => text.extend_from_slice(self.time.text(*ns).as_bytes()),
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

    fn time(format: &str, tz: &str) -> TimeText {
        TimeText::new(TimeFormat::parse(format), Zone::parse(tz).unwrap())
    }

    fn json(format: &str, tz: &str) -> String {
        encode(Box::new(MachbaseJson::new(
            time(format, tz),
            Instant::now(),
        )))
    }

    fn csv(format: &str, tz: &str) -> String {
        encode(Box::new(MachbaseCsv {
            time: time(format, tz),
            heading: true,
            delimiter: b',',
        }))
    }

    #[test]
    fn json_envelope_matches_the_peer_byte_for_byte() {
        let body = json("ns", "");
        let prefix = r#"{"data":{"columns":["name","time","value"],"types":["string","datetime","double"],"rows":[["my-car",1670380342000000000,1.0001],["my-car",1670380343000000000,2.0002]]},"success":true,"reason":"success","elapse":""#;
        assert!(body.starts_with(prefix), "{body}");
        assert!(body.ends_with("\"}"));
        let s = json("s", "Asia/Seoul");
        assert!(s.contains(r#"[["my-car",1670380342,1.0001],"#), "{s}");
    }

    #[test]
    fn json_epoch_str_variants_are_strings() {
        let s = json("ms.str", "");
        assert!(s.contains(r#"[["my-car","1670380342000",1.0001],"#), "{s}");
        let s = json("ns.str", "");
        assert!(
            s.contains(r#"[["my-car","1670380342000000000",1.0001],"#),
            "{s}"
        );
    }

    #[test]
    fn json_layouts_are_escaped_strings_in_the_zone() {
        let s = json("Default", "Asia/Seoul");
        assert!(
            s.contains(r#"[["my-car","2022-12-07 11:32:22",1.0001],"#),
            "{s}"
        );
        let s = json("RFC3339", "America/New_York");
        assert!(s.contains(r#""2022-12-06T21:32:22-05:00""#), "{s}");
        // A layout's literal text goes through JSON escaping like any string.
        let s = json(r#"<"2006">"#, "");
        assert!(s.contains(r#""\u003c\"2022\"\u003e""#), "{s}");
    }

    #[test]
    fn csv_with_header_and_trailing_blank_line() {
        assert_eq!(
            csv("Default", ""),
            "name,time,value\nmy-car,2022-12-07 02:32:22,1.0001\nmy-car,2022-12-07 02:32:23,2.0002\n\n"
        );
        assert_eq!(
            csv("Default", "KST"),
            "name,time,value\nmy-car,2022-12-07 11:32:22,1.0001\nmy-car,2022-12-07 11:32:23,2.0002\n\n"
        );
    }

    #[test]
    fn csv_epoch_units_and_str_variants() {
        assert!(csv("s", "").contains("my-car,1670380342,1.0001\n"));
        // As the peer's CSV: `.str` is no unit there, so the parameter is a (literal) layout.
        assert!(csv("s.str", "").contains("my-car,s.str,1.0001\n"));
        // Commas from a layout are quoted like any field.
        assert!(csv("Jan 2, 2006", "").contains("my-car,\"Dec 7, 2022\",1.0001\n"));
    }

    #[test]
    fn time_formats() {
        let t = |f: &str, ns: i64| {
            let mut text = time(f, "UTC");
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
}
