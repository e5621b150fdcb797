//! Walks a CSV body as rows of text fields, on csv-core's resumable RFC 4180 reader, with
//! Machbase Neo's rules (reference machbase-neo-api.md §1.7).
//!
//! - RFC 4180 quoting (`"a,b"`, `""` inside quotes), LF or CRLF, blank lines skipped, any
//!   one-byte delimiter. A UTF-8 byte-order mark at the very start is dropped.
//! - Like Go's `encoding/csv`, the first record read (a skipped header included) fixes the
//!   number of fields; a record with another count is `FieldCount`.
//! - `Header::Skip` drops the first record; `Header::Columns` reports it as the column list.
//! - csv-core never fails, so the quote balance is tracked here: a record whose quotes do
//!   not pair up is a bare quote (Go's error), and a body ending inside a quoted field is
//!   `UnterminatedQuote`, never a silently shortened value.
//!
//! Memory: one field buffer (at most `FIELD_BYTES_MAX`) and its text; nothing per row.

use std::fmt;

use csv_core::{ReadFieldResult, Reader, ReaderBuilder};

use super::convert::Scalar;
use super::decoder::{RowDecoder, Step};
use crate::limits::FIELD_BYTES_MAX;

/// Most names in a header line.
const COLUMNS_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Header {
    /// Every record is data.
    None,
    /// The first record is dropped (`header=skip`, `heading=true`).
    Skip,
    /// The first record names the columns (`header=columns`).
    Columns,
}

/// A malformed CSV body, where it went wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvError {
    pub kind: CsvErrorKind,
    /// 1-based line of the body.
    pub line: u64,
    /// 1-based data row (the header not counted).
    pub row: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvErrorKind {
    FieldCount { got: usize, expected: usize },
    BareQuote,
    UnterminatedQuote,
    InvalidUtf8,
    FieldTooLong,
    TooManyColumns,
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match &self.kind {
            // Go's texts first, then what helps fix the body.
            CsvErrorKind::FieldCount { got, expected } => write!(
                f,
                "record on line {line}: wrong number of fields ({got}; the first record has {expected})"
            ),
            CsvErrorKind::BareQuote => {
                write!(f, "parse error on line {line}: bare \" in non-quoted-field")
            }
            CsvErrorKind::UnterminatedQuote => write!(
                f,
                "parse error on line {line}: extraneous or missing \" in quoted-field (the body ends inside quotes)"
            ),
            CsvErrorKind::InvalidUtf8 => {
                write!(f, "parse error on line {line}: a field is not valid UTF-8")
            }
            CsvErrorKind::FieldTooLong => write!(
                f,
                "parse error on line {line}: a field is longer than {FIELD_BYTES_MAX} bytes"
            ),
            CsvErrorKind::TooManyColumns => {
                write!(f, "the header names more than {COLUMNS_MAX} columns")
            }
        }
    }
}

/// What the completed field still owes the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    /// The value (after a `RowStart`), then maybe the row's end.
    Value {
        then_end: bool,
    },
    RowEnd,
}

pub struct CsvRowsDecoder {
    reader: Reader,
    header: Header,
    /// Output space for csv-core; `raw_len` bytes of it hold the field so far.
    raw: Vec<u8>,
    raw_len: usize,
    text: String,
    columns: Vec<String>,
    fields_in_record: usize,
    fields_per_record: Option<usize>,
    /// Quote characters seen in the current record, mod 2.
    quotes_odd: bool,
    /// Records completed, the header included.
    records: u64,
    pending: Pending,
    /// Whether any input was seen (see the byte-order mark in `next`).
    started: bool,
    done: bool,
}

impl CsvRowsDecoder {
    pub fn new(delimiter: u8, header: Header) -> CsvRowsDecoder {
        CsvRowsDecoder {
            reader: ReaderBuilder::new().delimiter(delimiter).build(),
            header,
            raw: vec![0; 256],
            raw_len: 0,
            text: String::new(),
            columns: Vec::new(),
            fields_in_record: 0,
            fields_per_record: None,
            quotes_odd: false,
            records: 0,
            pending: Pending::Nothing,
            started: false,
            done: false,
        }
    }

    /// The line the reader is on; after a record's terminator, the next line.
    fn line(&self, record_end: bool) -> u64 {
        let line = self.reader.line();
        if record_end && line > 1 {
            line - 1
        } else {
            line
        }
    }

    fn error(&self, kind: CsvErrorKind, line: u64) -> CsvError {
        let header = u64::from(self.header != Header::None);
        CsvError {
            kind,
            line,
            row: (self.records + 1).saturating_sub(header),
        }
    }

    /// Takes a completed field; returns the step to report, if any.
    fn complete_field(&mut self, record_end: bool, at_eof: bool) -> Result<Step, CsvError> {
        let line = self.line(record_end && !at_eof);
        if self.raw_len > FIELD_BYTES_MAX {
            return Err(self.error(CsvErrorKind::FieldTooLong, line));
        }
        let raw = self.raw.get(..self.raw_len).unwrap_or_default();
        let Ok(mut text) = std::str::from_utf8(raw) else {
            return Err(self.error(CsvErrorKind::InvalidUtf8, line));
        };
        if self.records == 0 && self.fields_in_record == 0 {
            text = text.strip_prefix('\u{feff}').unwrap_or(text);
        }
        self.text.clear();
        self.text.push_str(text);
        self.raw_len = 0;
        self.fields_in_record += 1;
        let fields = self.fields_in_record;
        if record_end {
            if self.quotes_odd {
                let kind = if at_eof {
                    CsvErrorKind::UnterminatedQuote
                } else {
                    CsvErrorKind::BareQuote
                };
                return Err(self.error(kind, line));
            }
            match self.fields_per_record {
                None => self.fields_per_record = Some(fields),
                Some(expected) if expected != fields => {
                    let kind = CsvErrorKind::FieldCount {
                        got: fields,
                        expected,
                    };
                    return Err(self.error(kind, line));
                }
                Some(_) => {}
            }
            self.fields_in_record = 0;
            self.records += 1;
        }
        if self.records == u64::from(record_end) && self.header != Header::None {
            // A field of the header record.
            if self.header == Header::Columns {
                if self.columns.len() >= COLUMNS_MAX {
                    return Err(self.error(CsvErrorKind::TooManyColumns, line));
                }
                self.columns.push(self.text.clone());
                if record_end {
                    return Ok(Step::Columns);
                }
            }
            return Ok(Step::NeedInput);
        }
        if fields == 1 {
            self.pending = Pending::Value {
                then_end: record_end,
            };
            return Ok(Step::RowStart);
        }
        if record_end {
            self.pending = Pending::RowEnd;
        }
        Ok(Step::Value(Scalar::Text))
    }
}

impl RowDecoder for CsvRowsDecoder {
    type Error = CsvError;

    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn text(&self) -> &str {
        &self.text
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), CsvError> {
        let mut used = 0;
        loop {
            match self.pending {
                Pending::Value { then_end } => {
                    self.pending = if then_end {
                        Pending::RowEnd
                    } else {
                        Pending::Nothing
                    };
                    return Ok((Step::Value(Scalar::Text), used));
                }
                Pending::RowEnd => {
                    self.pending = Pending::Nothing;
                    return Ok((Step::RowEnd, used));
                }
                Pending::Nothing => {}
            }
            let at_eof = input.is_empty();
            if self.done {
                return Ok((Step::End, used));
            }
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() && !at_eof {
                return Ok((Step::NeedInput, used));
            }
            if !self.started && !at_eof {
                self.started = true;
                // csv-core drops a byte-order mark that opens its first input, and then
                // takes the empty rest for the end of the body: take a lone mark here.
                if rest == b"\xef\xbb\xbf" {
                    return Ok((Step::NeedInput, used + 3));
                }
            }
            if self.raw_len == self.raw.len() {
                // One byte past the limit tells a field of exactly the limit from a longer one.
                if self.raw.len() > FIELD_BYTES_MAX {
                    return Err(self.error(CsvErrorKind::FieldTooLong, self.line(false)));
                }
                let grown = (self.raw.len() * 2).min(FIELD_BYTES_MAX + 1);
                self.raw.resize(grown, 0);
            }
            let space = self.raw.get_mut(self.raw_len..).unwrap_or_default();
            let (result, nin, nout) = self.reader.read_field(rest, space);
            let consumed = rest.get(..nin).unwrap_or_default();
            let quotes = consumed.iter().filter(|&&b| b == b'"').count();
            self.quotes_odd ^= quotes % 2 == 1;
            used += nin;
            self.raw_len += nout;
            match result {
                ReadFieldResult::InputEmpty if at_eof => {
                    self.done = true;
                }
                ReadFieldResult::InputEmpty => return Ok((Step::NeedInput, used)),
                ReadFieldResult::OutputFull => {}
                ReadFieldResult::Field { record_end } => {
                    let step = self.complete_field(record_end, at_eof)?;
                    if step != Step::NeedInput {
                        return Ok((step, used));
                    }
                }
                ReadFieldResult::End => self.done = true,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    fn walk(header: Header, body: &[u8]) -> Result<Vec<String>, String> {
        walk_every_split(|| CsvRowsDecoder::new(b',', header), body)
    }

    #[test]
    fn rows_of_text_fields_with_quotes_crlf_and_blank_lines() {
        let body = b"a,1,\"x,y\"\r\n\r\n\nb,2,\"say \"\"hi\"\"\"\nc,3,\"two\nlines\"";
        assert_eq!(
            walk(Header::None, body).unwrap(),
            [
                "[",
                "Text:a",
                "Text:1",
                "Text:x,y",
                "]",
                "[",
                "Text:b",
                "Text:2",
                "Text:say \"hi\"",
                "]",
                "[",
                "Text:c",
                "Text:3",
                "Text:two\nlines",
                "]",
                "end"
            ]
        );
    }

    #[test]
    fn empty_fields_and_empty_body() {
        assert_eq!(
            walk(Header::None, b",\"\",\n").unwrap(),
            ["[", "Text:", "Text:", "Text:", "]", "end"]
        );
        assert_eq!(walk(Header::None, b"").unwrap(), ["end"]);
        assert_eq!(walk(Header::None, b"\n\n").unwrap(), ["end"]);
        assert_eq!(walk(Header::Skip, b"").unwrap(), ["end"]);
    }

    #[test]
    fn header_columns_and_skip() {
        assert_eq!(
            walk(Header::Columns, b"\xef\xbb\xbfTIME,name\n1,a\n").unwrap(),
            ["cols:TIME,name", "[", "Text:1", "Text:a", "]", "end"]
        );
        assert_eq!(
            walk(Header::Skip, b"x,y\n1,a\n").unwrap(),
            ["[", "Text:1", "Text:a", "]", "end"]
        );
        // The header fixes the field count, as Go's reader does.
        let err = walk(Header::Skip, b"x,y\n1,a,b\n").unwrap_err();
        assert!(
            err.contains("FieldCount { got: 3, expected: 2 }, line: 2, row: 1"),
            "{err}"
        );
    }

    #[test]
    fn field_count_is_fixed_by_the_first_record() {
        let err = walk(Header::None, b"a,1\nb,2\nc\n").unwrap_err();
        assert!(
            err.contains("FieldCount { got: 1, expected: 2 }, line: 3, row: 3"),
            "{err}"
        );
        // The last record without a newline is checked too.
        let err = walk(Header::None, b"a,1\nb,2,3").unwrap_err();
        assert!(
            err.contains("FieldCount { got: 3, expected: 2 }, line: 2, row: 2"),
            "{err}"
        );
    }

    #[test]
    fn malformed_quotes_and_bytes() {
        let err = walk(Header::None, b"a,1\nb\"c,2\n").unwrap_err();
        assert_eq!(err, "CsvError { kind: BareQuote, line: 2, row: 2 }");
        let err = walk(Header::None, b"a,1\nb,\"unfinished\n").unwrap_err();
        assert_eq!(err, "CsvError { kind: UnterminatedQuote, line: 3, row: 2 }");
        let err = walk(Header::None, b"a,1\nb,\xff\xfe\n").unwrap_err();
        assert_eq!(err, "CsvError { kind: InvalidUtf8, line: 2, row: 2 }");
        let long = vec![b'x'; FIELD_BYTES_MAX + 1];
        let err = walk_whole(&long).unwrap_err();
        assert!(err.starts_with("CsvError { kind: FieldTooLong"), "{err}");
    }

    fn walk_whole(body: &[u8]) -> Result<Vec<String>, String> {
        crate::ingest::decoder::walk(CsvRowsDecoder::new(b',', Header::None), &[body])
    }

    #[test]
    fn other_delimiters() {
        let steps = walk_every_split(|| CsvRowsDecoder::new(b'\t', Header::None), b"a\t1,5\n");
        assert_eq!(steps.unwrap(), ["[", "Text:a", "Text:1,5", "]", "end"]);
        let steps = walk_every_split(|| CsvRowsDecoder::new(b';', Header::None), b"a;\"1;5\"\n");
        assert_eq!(steps.unwrap(), ["[", "Text:a", "Text:1;5", "]", "end"]);
    }

    #[test]
    fn a_field_up_to_the_limit_is_kept_whole() {
        let mut body = vec![b'y'; FIELD_BYTES_MAX];
        body.extend_from_slice(b",1\n");
        let steps = walk_whole(&body).unwrap();
        assert_eq!(steps.len(), 5);
        assert_eq!(steps[1].len(), "Text:".len() + FIELD_BYTES_MAX);
    }
}
