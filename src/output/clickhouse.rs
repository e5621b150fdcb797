//! ClickHouse-style formats for `/?query=` and Proton's search endpoint
//! (reference proton-api.md §2.3, §2.5, case 25).
//!
//! Byte for byte as ClickHouse's 21.x row output formats, which Proton inherits
//! (`JSONRowOutputFormat`, `JSONCompactRowOutputFormat`, `writeEscapedString`,
//! `writeJSONString`):
//! - Datetimes print as `2020-01-01 11:11:11.000` with the column's precision, without a zone
//!   suffix (Proton's newer line; only v1.6.1 appends `Z`, reference §3.2).
//! - NULL is `\N` in text formats and `null` in JSON.
//! - TabSeparated escapes `\b \f \n \r \t \0 \\` and `'` with a backslash.
//! - JSON strings escape `/` as `\/` (`output_format_json_escape_forward_slashes`), other
//!   control bytes as `\u00XX` with upper-case hex, and U+2028/U+2029 for JavaScript.
//! - 64-bit integers are quoted in every JSON format (`output_format_json_quote_64bit_integers`);
//!   NaN and infinities are `null` (`output_format_json_quote_denormals` off).
//! - JSON and JSONCompact end with `rows`, `rows_before_limit_at_least` when the caller
//!   applied a limit it can count (search paging), and `statistics`: `elapsed` seconds since
//!   the request arrived, and `rows_read`/`bytes_read` from the query's `ReadStats` (rows the
//!   scans read before filtering; bytes as `sql::read_stats` defines them). Without
//!   `ReadStats` (rows not from a scan) `rows_read` is the rows printed and `bytes_read` 0.
//! - `meta` types are Proton's names, `nullable(T)` for a column that may hold NULL.

use std::fmt::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use super::{ByteWriter, Encoder, float_text, hex_bytes, ip_text};
use crate::catalog::ColumnType;
use crate::sql::{ReadStats, ResultColumn};
use crate::timefmt;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickHouseFormat {
    TabSeparated,
    TabSeparatedWithNames,
    Csv,
    CsvWithNames,
    Json,
    JsonCompact,
    JsonEachRow,
    /// Binary blocks of columns (`super::native`).
    Native,
}

impl ClickHouseFormat {
    pub fn parse(name: &str) -> Option<ClickHouseFormat> {
        Some(match name.to_ascii_lowercase().as_str() {
            "tabseparated" | "tsv" => ClickHouseFormat::TabSeparated,
            "tabseparatedwithnames" | "tsvwithnames" => ClickHouseFormat::TabSeparatedWithNames,
            "csv" => ClickHouseFormat::Csv,
            "csvwithnames" => ClickHouseFormat::CsvWithNames,
            "json" => ClickHouseFormat::Json,
            "jsoncompact" => ClickHouseFormat::JsonCompact,
            "jsoneachrow" | "ndjson" | "jsonlines" => ClickHouseFormat::JsonEachRow,
            "native" => ClickHouseFormat::Native,
            _ => return None,
        })
    }

    pub fn content_type(self) -> &'static str {
        match self {
            ClickHouseFormat::TabSeparated | ClickHouseFormat::TabSeparatedWithNames => {
                "text/tab-separated-values; charset=UTF-8"
            }
            ClickHouseFormat::Csv | ClickHouseFormat::CsvWithNames => "text/csv; charset=UTF-8",
            ClickHouseFormat::Json | ClickHouseFormat::JsonCompact => {
                "application/json; charset=UTF-8"
            }
            ClickHouseFormat::JsonEachRow => "application/x-ndjson; charset=UTF-8",
            ClickHouseFormat::Native => "application/octet-stream",
        }
    }

    /// An encoder for this format; `read` gives JSON's `statistics` their rows and bytes.
    pub fn encoder(self, started: Instant, read: Option<Arc<ReadStats>>) -> Box<dyn Encoder> {
        if self == ClickHouseFormat::Native {
            return Box::new(super::native::NativeEncoder::new());
        }
        let encoder = ClickHouseEncoder::new(self, started);
        Box::new(match read {
            Some(read) => encoder.with_read_stats(read),
            None => encoder,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            ClickHouseFormat::TabSeparated => "TabSeparated",
            ClickHouseFormat::TabSeparatedWithNames => "TabSeparatedWithNames",
            ClickHouseFormat::Csv => "CSV",
            ClickHouseFormat::CsvWithNames => "CSVWithNames",
            ClickHouseFormat::Json => "JSON",
            ClickHouseFormat::JsonCompact => "JSONCompact",
            ClickHouseFormat::JsonEachRow => "JSONEachRow",
            ClickHouseFormat::Native => "Native",
        }
    }
}

pub struct ClickHouseEncoder {
    format: ClickHouseFormat,
    started: Instant,
    first: bool,
    /// Rows the caller's limit saw, counted while rows stream; printed by JSON formats.
    rows_before_limit: Option<Arc<AtomicU64>>,
    read: Option<Arc<ReadStats>>,
}

impl ClickHouseEncoder {
    pub fn new(format: ClickHouseFormat, started: Instant) -> Self {
        ClickHouseEncoder {
            format,
            started,
            first: true,
            rows_before_limit: None,
            read: None,
        }
    }

    /// Prints `rows_read` and `bytes_read` from the query's scans.
    pub fn with_read_stats(mut self, read: Arc<ReadStats>) -> Self {
        self.read = Some(read);
        self
    }

    /// Prints `rows_before_limit_at_least` with the counter's value at the end.
    pub fn with_rows_before_limit(mut self, counter: Arc<AtomicU64>) -> Self {
        self.rows_before_limit = Some(counter);
        self
    }
}

/// ClickHouse's `writeJSONString` with its default settings (see the module doc).
fn json_string(s: &str, out: &mut Vec<u8>) {
    slash_escaped_json_string(s, true, out);
}

/// A JSON string as ClickHouse and Poco write them: `"`, `\`, `/` and control characters
/// escaped (`\u00XX` in upper-case hex), everything else as is. ClickHouse also escapes the
/// line separators U+2028 and U+2029; Poco (Proton's REST replies) does not.
pub fn slash_escaped_json_string(s: &str, escape_line_separators: bool, out: &mut Vec<u8>) {
    out.push(b'"');
    for c in s.chars() {
        match c {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '/' => out.extend_from_slice(b"\\/"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{2028}' if escape_line_separators => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' if escape_line_separators => out.extend_from_slice(b"\\u2029"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(ByteWriter(out), "\\u{:04X}", u32::from(c));
            }
            c => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

/// The value's text before format-specific quoting; `None` for NULL.
fn text(v: &Value, ty: Option<&ColumnType>, out: &mut Vec<u8>) -> bool {
    match v {
        Value::Null => return false,
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Int(n) => {
            let _ = write!(ByteWriter(out), "{n}");
        }
        Value::UInt(n) => {
            let _ = write!(ByteWriter(out), "{n}");
        }
        Value::Float(f) if f.is_nan() => out.extend_from_slice(b"nan"),
        Value::Float(f) if f.is_infinite() => {
            out.extend_from_slice(if *f > 0.0 { b"inf" } else { b"-inf" })
        }
        Value::Float(f) => float_text(*f, ty == Some(&ColumnType::Float32), out),
        Value::Str(s) => out.extend_from_slice(s.as_bytes()),
        Value::Bytes(b) => hex_bytes(b, out),
        Value::Time(ns) => {
            let precision = match ty {
                Some(ColumnType::DateTime { precision, .. }) => *precision,
                _ => 9,
            };
            let mut s = String::new();
            timefmt::format_datetime(*ns, precision, &mut s);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Date(d) => {
            let mut s = String::new();
            timefmt::format_datetime(i64::from(*d) * 86_400_000_000_000, 0, &mut s);
            out.extend_from_slice(s.get(..10).unwrap_or_default().as_bytes());
        }
        Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_) => ip_text(v, out),
    }
    true
}

fn tsv_field(v: &Value, ty: Option<&ColumnType>, out: &mut Vec<u8>) {
    let mut t = Vec::new();
    if !text(v, ty, &mut t) {
        out.extend_from_slice(b"\\N");
        return;
    }
    for b in t {
        match b {
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\'' => out.extend_from_slice(b"\\'"),
            0 => out.extend_from_slice(b"\\0"),
            other => out.push(other),
        }
    }
}

fn csv_field(v: &Value, ty: Option<&ColumnType>, out: &mut Vec<u8>) {
    let mut t = Vec::new();
    if !text(v, ty, &mut t) {
        out.extend_from_slice(b"\\N");
        return;
    }
    let quote = matches!(
        v,
        Value::Str(_) | Value::Time(_) | Value::Date(_) | Value::Bytes(_)
    ) || matches!(v, Value::Ipv4(_) | Value::Ipv6(_) | Value::Uuid(_));
    if !quote {
        out.extend_from_slice(&t);
        return;
    }
    out.push(b'"');
    for b in t {
        if b == b'"' {
            out.push(b'"');
        }
        out.push(b);
    }
    out.push(b'"');
}

fn json_value(v: &Value, ty: Option<&ColumnType>, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
        Value::Float(f) if !f.is_finite() => out.extend_from_slice(b"null"),
        Value::Float(_) => {
            text(v, ty, out);
        }
        Value::Int(_) | Value::UInt(_) => {
            let quoted = matches!(ty, Some(ColumnType::Int64 | ColumnType::UInt64));
            if quoted {
                out.push(b'"');
            }
            text(v, ty, out);
            if quoted {
                out.push(b'"');
            }
        }
        _ => {
            let mut t = Vec::new();
            text(v, ty, &mut t);
            json_string(&String::from_utf8_lossy(&t), out);
        }
    }
}

impl Encoder for ClickHouseEncoder {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        match self.format {
            ClickHouseFormat::TabSeparatedWithNames => {
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        out.push(b'\t');
                    }
                    tsv_field(&Value::Str(c.name.clone()), None, out);
                }
                out.push(b'\n');
            }
            ClickHouseFormat::CsvWithNames => {
                for (i, c) in columns.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    csv_field(&Value::Str(c.name.clone()), None, out);
                }
                out.push(b'\n');
            }
            ClickHouseFormat::Json | ClickHouseFormat::JsonCompact => {
                // JSONRowOutputFormat::writePrefix.
                out.extend_from_slice(b"{\n\t\"meta\":\n\t[\n");
                for (i, c) in columns.iter().enumerate() {
                    out.extend_from_slice(b"\t\t{\n\t\t\t\"name\": ");
                    json_string(&c.name, out);
                    out.extend_from_slice(b",\n\t\t\t\"type\": ");
                    if c.nullable {
                        json_string(&format!("nullable({})", c.ty.proton_name()), out);
                    } else {
                        json_string(&c.ty.proton_name(), out);
                    }
                    out.extend_from_slice(b"\n\t\t}");
                    if i + 1 < columns.len() {
                        out.push(b',');
                    }
                    out.push(b'\n');
                }
                out.extend_from_slice(b"\t],\n\n\t\"data\":\n\t[\n");
            }
            // `Native` has its own encoder (`ClickHouseFormat::encoder`).
            ClickHouseFormat::TabSeparated
            | ClickHouseFormat::Csv
            | ClickHouseFormat::JsonEachRow
            | ClickHouseFormat::Native => {}
        }
    }

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        let ty = |i: usize| columns.get(i).map(|c| &c.ty);
        let name = |i: usize| columns.get(i).map_or("", |c| c.name.as_str());
        let first = std::mem::replace(&mut self.first, false);
        match self.format {
            ClickHouseFormat::TabSeparated
            | ClickHouseFormat::TabSeparatedWithNames
            | ClickHouseFormat::Native => {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.push(b'\t');
                    }
                    tsv_field(v, ty(i), out);
                }
                out.push(b'\n');
            }
            ClickHouseFormat::Csv | ClickHouseFormat::CsvWithNames => {
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    csv_field(v, ty(i), out);
                }
                out.push(b'\n');
            }
            ClickHouseFormat::JsonEachRow => {
                out.push(b'{');
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    json_string(name(i), out);
                    out.push(b':');
                    json_value(v, ty(i), out);
                }
                out.extend_from_slice(b"}\n");
            }
            ClickHouseFormat::JsonCompact => {
                if !first {
                    out.extend_from_slice(b",\n");
                }
                out.extend_from_slice(b"\t\t[");
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b", ");
                    }
                    json_value(v, ty(i), out);
                }
                out.push(b']');
            }
            ClickHouseFormat::Json => {
                if !first {
                    out.extend_from_slice(b",\n");
                }
                out.extend_from_slice(b"\t\t{\n");
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.extend_from_slice(b",\n");
                    }
                    out.extend_from_slice(b"\t\t\t");
                    json_string(name(i), out);
                    out.extend_from_slice(b": ");
                    json_value(v, ty(i), out);
                }
                out.extend_from_slice(b"\n\t\t}");
            }
        }
        Ok(())
    }

    fn end(&mut self, rows: u64, out: &mut Vec<u8>) {
        if !matches!(
            self.format,
            ClickHouseFormat::Json | ClickHouseFormat::JsonCompact
        ) {
            return;
        }
        // writeSuffix, then writeLastSuffix with its statistics.
        let _ = write!(ByteWriter(out), "\n\t],\n\n\t\"rows\": {rows}");
        if let Some(counter) = &self.rows_before_limit {
            let before = counter.load(Ordering::Relaxed);
            let _ = write!(
                ByteWriter(out),
                ",\n\n\t\"rows_before_limit_at_least\": {before}"
            );
        }
        let elapsed = self.started.elapsed().as_secs_f64();
        let (rows_read, bytes_read) = match &self.read {
            Some(read) => (read.rows(), read.bytes()),
            None => (rows, 0),
        };
        let _ = write!(
            ByteWriter(out),
            ",\n\n\t\"statistics\":\n\t{{\n\t\t\"elapsed\": {elapsed},\n\t\t\"rows_read\": {rows_read},\n\t\t\"bytes_read\": {bytes_read}\n\t}}\n}}\n"
        );
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

    fn encode(format: ClickHouseFormat) -> String {
        let columns = vec![
            ResultColumn {
                name: "id".into(),
                ty: ColumnType::Int32,
                nullable: false,
            },
            ResultColumn {
                name: "name".into(),
                ty: ColumnType::String { len_max: None },
                nullable: true,
            },
            ResultColumn {
                name: "t".into(),
                ty: ColumnType::DateTime {
                    precision: 3,
                    tz: None,
                },
                nullable: false,
            },
        ];
        let rows = Rows(vec![
            vec![
                Value::Int(1),
                Value::Str("he\tllo".into()),
                Value::Time(1_577_877_071_000_000_000),
            ],
            vec![Value::Int(2), Value::Null, Value::Time(0)],
        ]);
        let body = QueryBody::new(
            columns,
            Box::new(rows),
            Box::new(ClickHouseEncoder::new(format, Instant::now())),
        );
        String::from_utf8(body.into_bytes().unwrap()).unwrap()
    }

    #[test]
    fn tab_separated_escapes_and_nulls() {
        assert_eq!(
            encode(ClickHouseFormat::TabSeparated),
            "1\the\\tllo\t2020-01-01 11:11:11.000\n2\t\\N\t1970-01-01 00:00:00.000\n"
        );
        assert!(encode(ClickHouseFormat::TabSeparatedWithNames).starts_with("id\tname\tt\n1\t"));
    }

    #[test]
    fn json_each_row_and_compact() {
        assert_eq!(
            encode(ClickHouseFormat::JsonEachRow),
            "{\"id\":1,\"name\":\"he\\tllo\",\"t\":\"2020-01-01 11:11:11.000\"}\n{\"id\":2,\"name\":null,\"t\":\"1970-01-01 00:00:00.000\"}\n"
        );
        let compact = encode(ClickHouseFormat::JsonCompact);
        assert!(
            compact.contains("[1, \"he\\tllo\", \"2020-01-01 11:11:11.000\"]"),
            "{compact}"
        );
        assert!(compact.contains("\"rows\": 2"));
        assert!(compact.contains("\"type\": \"datetime64(3)\""));
    }

    #[test]
    fn json_envelope_is_clickhouse_bytes() {
        let json = encode(ClickHouseFormat::Json);
        let elapsed_at = json.find("\"elapsed\": ").unwrap();
        let elapsed_end = elapsed_at + json[elapsed_at..].find(',').unwrap();
        let json = format!(
            "{}\"elapsed\": E{}",
            &json[..elapsed_at],
            &json[elapsed_end..]
        );
        assert_eq!(
            json,
            "{\n\t\"meta\":\n\t[\n\
             \t\t{\n\t\t\t\"name\": \"id\",\n\t\t\t\"type\": \"int32\"\n\t\t},\n\
             \t\t{\n\t\t\t\"name\": \"name\",\n\t\t\t\"type\": \"nullable(string)\"\n\t\t},\n\
             \t\t{\n\t\t\t\"name\": \"t\",\n\t\t\t\"type\": \"datetime64(3)\"\n\t\t}\n\
             \t],\n\n\t\"data\":\n\t[\n\
             \t\t{\n\t\t\t\"id\": 1,\n\t\t\t\"name\": \"he\\tllo\",\n\t\t\t\"t\": \"2020-01-01 11:11:11.000\"\n\t\t},\n\
             \t\t{\n\t\t\t\"id\": 2,\n\t\t\t\"name\": null,\n\t\t\t\"t\": \"1970-01-01 00:00:00.000\"\n\t\t}\n\
             \t],\n\n\t\"rows\": 2,\n\n\
             \t\"statistics\":\n\t{\n\t\t\"elapsed\": E,\n\t\t\"rows_read\": 2,\n\t\t\"bytes_read\": 0\n\t}\n}\n"
        );
    }

    #[test]
    fn escapes_follow_clickhouse() {
        let mut out = Vec::new();
        json_string("a/b\"\\\u{1}\u{8}\u{c}\u{1f}\u{2028}é", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\/b\"\\\u0001\b\f\u001F\u2028é""#
        );
        let mut out = Vec::new();
        tsv_field(&Value::Str("it's\\\u{8}\0".into()), None, &mut out);
        assert_eq!(String::from_utf8(out).unwrap(), r"it\'s\\\b\0");
    }

    #[test]
    fn csv_quotes_strings() {
        assert_eq!(
            encode(ClickHouseFormat::Csv),
            "1,\"he\tllo\",\"2020-01-01 11:11:11.000\"\n2,\\N,\"1970-01-01 00:00:00.000\"\n"
        );
    }
}
