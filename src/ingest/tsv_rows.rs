//! Walks a ClickHouse `TabSeparated` body (`TabSeparatedWithNames` with a header line) as rows
//! of text fields, resumable at any byte.
//!
//! - Fields end at a tab, rows at a line feed (a carriage return before it is dropped). A
//!   body may end without a final line feed. Blank lines are skipped.
//! - Escapes as ClickHouse's `readEscapedString`: `\t \n \r \b \f \0 \a \v \' \" \\ \/`,
//!   `\xHH`, a backslash before a line feed; any other escaped byte stands for itself.
//! - A field that is exactly `\N` is NULL (`Scalar::Null`); every other field is text.
//!
//! Memory: one field buffer (at most `FIELD_BYTES_MAX`); nothing per row.

use std::fmt;

use super::convert::Scalar;
use super::decoder::{RowDecoder, Step};
use crate::limits::FIELD_BYTES_MAX;

/// Most names in a header line.
const COLUMNS_MAX: usize = 4096;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TsvError {
    pub kind: TsvErrorKind,
    /// 1-based line of the body.
    pub line: u64,
    /// 1-based data row (the header not counted).
    pub row: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TsvErrorKind {
    FieldTooLong,
    InvalidUtf8,
    BadHexEscape,
    TooManyColumns,
}

impl fmt::Display for TsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = self.line;
        match self.kind {
            TsvErrorKind::FieldTooLong => write!(
                f,
                "line {line}: a field is longer than {FIELD_BYTES_MAX} bytes (field_bytes_max)"
            ),
            TsvErrorKind::InvalidUtf8 => write!(f, "line {line}: a field is not valid UTF-8"),
            TsvErrorKind::BadHexEscape => {
                write!(f, "line {line}: `\\x` must be followed by two hex digits")
            }
            TsvErrorKind::TooManyColumns => {
                write!(f, "the header names more than {COLUMNS_MAX} columns")
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Escape {
    None,
    Backslash,
    HexFirst,
    HexSecond(u8),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pending {
    Nothing,
    Value { then_end: bool },
    RowEnd,
}

pub struct TsvRowsDecoder {
    with_names: bool,
    field: Vec<u8>,
    text: String,
    /// The field so far is exactly `\N`.
    null_marker: bool,
    /// The finished field was `\N`.
    field_null: bool,
    /// A carriage return was read: dropped if a line feed follows, else part of the field.
    cr_pending: bool,
    escape: Escape,
    fields_in_row: usize,
    columns: Vec<String>,
    /// Lines completed (the header included), for row numbers.
    rows_done: u64,
    line: u64,
    pending: Pending,
    done: bool,
}

impl TsvRowsDecoder {
    pub fn new(with_names: bool) -> Self {
        TsvRowsDecoder {
            with_names,
            field: Vec::new(),
            text: String::new(),
            null_marker: false,
            field_null: false,
            cr_pending: false,
            escape: Escape::None,
            fields_in_row: 0,
            columns: Vec::new(),
            rows_done: 0,
            line: 1,
            pending: Pending::Nothing,
            done: false,
        }
    }

    fn error(&self, kind: TsvErrorKind) -> TsvError {
        let header = u64::from(self.with_names);
        TsvError {
            kind,
            line: self.line,
            row: (self.rows_done + 1).saturating_sub(header),
        }
    }

    fn push(&mut self, b: u8) -> Result<(), TsvError> {
        if self.null_marker {
            // `\N` followed by more text is the text `N…`.
            self.null_marker = false;
            self.field.push(b'N');
        }
        if self.field.len() >= FIELD_BYTES_MAX {
            return Err(self.error(TsvErrorKind::FieldTooLong));
        }
        self.field.push(b);
        Ok(())
    }

    /// Ends the current field; the step to report, if any.
    fn complete_field(&mut self, row_end: bool) -> Result<Option<Step>, TsvError> {
        let Ok(text) = std::str::from_utf8(&self.field) else {
            return Err(self.error(TsvErrorKind::InvalidUtf8));
        };
        self.text.clear();
        self.text.push_str(text);
        self.field.clear();
        self.field_null = std::mem::take(&mut self.null_marker);
        self.fields_in_row += 1;
        let first = self.fields_in_row == 1;
        if row_end {
            self.fields_in_row = 0;
            self.rows_done += 1;
        }
        let in_header = self.with_names && self.rows_done == u64::from(row_end);
        if in_header {
            if self.columns.len() >= COLUMNS_MAX {
                return Err(self.error(TsvErrorKind::TooManyColumns));
            }
            self.columns.push(self.text.clone());
            return Ok(row_end.then_some(Step::Columns));
        }
        if first {
            self.pending = Pending::Value { then_end: row_end };
            return Ok(Some(Step::RowStart));
        }
        if row_end {
            self.pending = Pending::RowEnd;
        }
        Ok(Some(self.value_step()))
    }

    fn value_step(&self) -> Step {
        if self.field_null {
            Step::Value(Scalar::Null)
        } else {
            Step::Value(Scalar::Text)
        }
    }

    /// Whether nothing of a row has been read since the last line feed.
    fn at_line_start(&self) -> bool {
        self.fields_in_row == 0
            && self.field.is_empty()
            && !self.null_marker
            && !self.cr_pending
            && self.escape == Escape::None
    }
}

fn hex(b: u8) -> Option<u8> {
    char::from(b).to_digit(16).map(|d| d as u8)
}

impl RowDecoder for TsvRowsDecoder {
    type Error = TsvError;

    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn text(&self) -> &str {
        &self.text
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), TsvError> {
        let mut used = 0;
        loop {
            match self.pending {
                Pending::Value { then_end } => {
                    self.pending = if then_end {
                        Pending::RowEnd
                    } else {
                        Pending::Nothing
                    };
                    return Ok((self.value_step(), used));
                }
                Pending::RowEnd => {
                    self.pending = Pending::Nothing;
                    return Ok((Step::RowEnd, used));
                }
                Pending::Nothing => {}
            }
            if self.done {
                return Ok((Step::End, used));
            }
            if input.is_empty() {
                // The end of the body ends the last row, if one was begun.
                self.done = true;
                self.cr_pending = false;
                if self.at_line_start() {
                    continue;
                }
                if self.escape != Escape::None {
                    // A trailing lone backslash is kept as written.
                    self.escape = Escape::None;
                    self.push(b'\\')?;
                }
                if let Some(step) = self.complete_field(true)? {
                    return Ok((step, 0));
                }
                continue;
            }
            let Some(&b) = input.get(used) else {
                return Ok((Step::NeedInput, used));
            };
            used += 1;
            if self.cr_pending && b != b'\n' {
                self.cr_pending = false;
                self.push(b'\r')?;
            }
            match self.escape {
                Escape::Backslash => {
                    self.escape = Escape::None;
                    let plain = match b {
                        b't' => b'\t',
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b'b' => 0x08,
                        b'f' => 0x0c,
                        b'0' => 0,
                        b'a' => 0x07,
                        b'v' => 0x0b,
                        b'x' => {
                            self.escape = Escape::HexFirst;
                            continue;
                        }
                        b'N' if self.field.is_empty() && !self.null_marker => {
                            self.null_marker = true;
                            continue;
                        }
                        b'\n' => {
                            self.line += 1;
                            b'\n'
                        }
                        other => other,
                    };
                    self.push(plain)?;
                }
                Escape::HexFirst => {
                    let high = hex(b).ok_or_else(|| self.error(TsvErrorKind::BadHexEscape))?;
                    self.escape = Escape::HexSecond(high);
                }
                Escape::HexSecond(high) => {
                    let low = hex(b).ok_or_else(|| self.error(TsvErrorKind::BadHexEscape))?;
                    self.escape = Escape::None;
                    self.push(high << 4 | low)?;
                }
                Escape::None => match b {
                    b'\\' => self.escape = Escape::Backslash,
                    b'\r' => self.cr_pending = true,
                    b'\t' => {
                        if let Some(step) = self.complete_field(false)? {
                            return Ok((step, used));
                        }
                    }
                    b'\n' => {
                        self.cr_pending = false;
                        let blank = self.at_line_start();
                        let step = if blank {
                            None
                        } else {
                            self.complete_field(true)?
                        };
                        self.line += 1;
                        if let Some(step) = step {
                            return Ok((step, used));
                        }
                    }
                    _ => self.push(b)?,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    fn walk(body: &[u8], with_names: bool) -> Result<Vec<String>, String> {
        walk_every_split(|| TsvRowsDecoder::new(with_names), body)
    }

    #[test]
    fn rows_fields_and_escapes() {
        assert_eq!(
            walk(b"1\ta\\tb\\\\c\n2\t\\N\r\n\n3\t\\x41\\N", false).unwrap(),
            [
                "[",
                "Text:1",
                "Text:a\tb\\c",
                "]",
                "[",
                "Text:2",
                "Null",
                "]",
                "[",
                "Text:3",
                "Text:AN",
                "]",
                "end"
            ]
        );
        assert_eq!(walk(b"", false).unwrap(), ["end"]);
        assert_eq!(walk(b"\n\n", false).unwrap(), ["end"]);
        assert_eq!(
            walk(b"x\\\ny\n", false).unwrap(),
            ["[", "Text:x\ny", "]", "end"]
        );
    }

    #[test]
    fn header_names_the_columns() {
        assert_eq!(
            walk(b"id\tname\n1\ta\n", true).unwrap(),
            ["cols:id,name", "[", "Text:1", "Text:a", "]", "end"]
        );
    }

    #[test]
    fn err_malformed_fields() {
        let err = walk(b"1\t\\xZZ\n", false).unwrap_err();
        assert!(err.contains("BadHexEscape"), "{err}");
        let err = walk(b"1\t\xff\n", false).unwrap_err();
        assert!(err.contains("InvalidUtf8"), "{err}");
        let long = vec![b'a'; FIELD_BYTES_MAX + 1];
        let err = crate::ingest::decoder::walk(TsvRowsDecoder::new(false), &[&long]);
        assert!(err.unwrap_err().contains("FieldTooLong"));
    }
}
