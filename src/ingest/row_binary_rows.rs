//! Walks a ClickHouse `RowBinary` body (what the `clickhouse` Rust crate and Proton's Rust
//! client send for inserts) as rows of typed values, resumable at any byte.
//!
//! RowBinary has no header: each row is its values one after another, in the order of the
//! statement's column list (or the table's columns), each in its column type's layout
//! (`binary_types`); a `nullable` column's value is a byte (1 = NULL, then nothing) before
//! the value. The types come from the target columns, as `DESCRIBE` prints them.
//!
//! Invariants: at most one value is buffered (a string at most `FIELD_BYTES_MAX`; a longer
//! length is an error before anything is buffered); the body may end only between rows;
//! nothing panics or recurses.

use std::fmt;

use super::binary_types::{Base, BinaryType, set_text_or_bytes, varint};
use super::decoder::{RowDecoder, Step};
use crate::limits::FIELD_BYTES_MAX;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowBinaryError {
    pub kind: RowBinaryErrorKind,
    /// 1-based row of the body.
    pub row: u64,
    /// 0-based position of the value in its row.
    pub column: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowBinaryErrorKind {
    Truncated,
    BadVarint,
    StringTooLong(u64),
    /// A value that does not fit tidegate's types (a time out of range).
    OutOfRange,
    NoColumns,
}

impl fmt::Display for RowBinaryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RowBinary row {}, value {}: ", self.row, self.column + 1)?;
        match &self.kind {
            RowBinaryErrorKind::Truncated => f.write_str("the body ends inside the row"),
            RowBinaryErrorKind::BadVarint => f.write_str("a length is not a valid LEB128 number"),
            RowBinaryErrorKind::StringTooLong(n) => write!(
                f,
                "a string of {n} bytes; one value holds at most {FIELD_BYTES_MAX} (field_bytes_max)"
            ),
            RowBinaryErrorKind::OutOfRange => f.write_str("the value is out of range"),
            RowBinaryErrorKind::NoColumns => f.write_str("no columns to read values for"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    RowStart,
    NullFlag,
    Fixed(usize),
    StringLength,
    StringBytes(usize),
    RowEnd,
}

pub struct RowBinaryRowsDecoder {
    types: Vec<BinaryType>,
    column: usize,
    state: State,
    pending: Vec<u8>,
    value: Value,
    rows: u64,
}

impl RowBinaryRowsDecoder {
    pub fn new(types: Vec<BinaryType>) -> Self {
        RowBinaryRowsDecoder {
            types,
            column: 0,
            state: State::RowStart,
            pending: Vec::new(),
            value: Value::Null,
            rows: 0,
        }
    }

    fn error(&self, kind: RowBinaryErrorKind) -> RowBinaryError {
        RowBinaryError {
            kind,
            row: self.rows,
            column: self.column,
        }
    }

    /// The first state of column `self.column`'s value.
    fn value_start(&self, skip_null_flag: bool) -> State {
        let Some(ty) = self.types.get(self.column) else {
            return State::RowEnd;
        };
        if ty.nullable && !skip_null_flag {
            return State::NullFlag;
        }
        match ty.base.width() {
            Some(w) => State::Fixed(w),
            None => State::StringLength,
        }
    }

    /// After a value: the next column's start, or the row's end.
    fn advance(&mut self) {
        self.column += 1;
        self.pending.clear();
        self.state = self.value_start(false);
    }

    /// Gathers `want` bytes; returns bytes used and whether they are all there.
    fn gather(&mut self, input: &[u8], want: usize) -> (usize, bool) {
        let need = want.saturating_sub(self.pending.len());
        let take = need.min(input.len());
        self.pending
            .extend_from_slice(input.get(..take).unwrap_or_default());
        (take, self.pending.len() >= want)
    }
}

impl RowDecoder for RowBinaryRowsDecoder {
    type Error = RowBinaryError;

    fn columns(&self) -> &[String] {
        &[]
    }

    fn text(&self) -> &str {
        ""
    }

    fn value(&self) -> &Value {
        &self.value
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), RowBinaryError> {
        let mut used = 0;
        loop {
            if self.state == State::RowEnd {
                self.state = State::RowStart;
                return Ok((Step::RowEnd, used));
            }
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() {
                if !input.is_empty() {
                    return Ok((Step::NeedInput, used));
                }
                if self.state == State::RowStart {
                    return Ok((Step::End, 0));
                }
                return Err(self.error(RowBinaryErrorKind::Truncated));
            }
            match self.state {
                State::RowStart => {
                    if self.types.is_empty() {
                        return Err(self.error(RowBinaryErrorKind::NoColumns));
                    }
                    self.rows += 1;
                    self.column = 0;
                    self.pending.clear();
                    self.state = self.value_start(false);
                    return Ok((Step::RowStart, used));
                }
                State::NullFlag => {
                    used += 1;
                    if rest.first() == Some(&0) {
                        self.state = self.value_start(true);
                        continue;
                    }
                    self.value = Value::Null;
                    self.advance();
                    return Ok((Step::Typed, used));
                }
                State::Fixed(w) => {
                    let (n, done) = self.gather(rest, w);
                    used += n;
                    if !done {
                        continue;
                    }
                    let base = self.types.get(self.column).map_or(Base::UInt8, |t| t.base);
                    base.decode_fixed(&self.pending, &mut self.value)
                        .ok_or_else(|| self.error(RowBinaryErrorKind::OutOfRange))?;
                    self.advance();
                    return Ok((Step::Typed, used));
                }
                State::StringLength => {
                    used += 1;
                    self.pending
                        .extend_from_slice(rest.get(..1).unwrap_or_default());
                    match varint(&self.pending) {
                        Err(()) => return Err(self.error(RowBinaryErrorKind::BadVarint)),
                        Ok(None) => continue,
                        Ok(Some((len, _))) => {
                            if len > FIELD_BYTES_MAX as u64 {
                                return Err(self.error(RowBinaryErrorKind::StringTooLong(len)));
                            }
                            self.pending.clear();
                            self.state = State::StringBytes(len as usize);
                            if len == 0 {
                                self.value.set_str("");
                                self.advance();
                                return Ok((Step::Typed, used));
                            }
                        }
                    }
                }
                State::StringBytes(len) => {
                    let (n, done) = self.gather(rest, len);
                    used += n;
                    if !done {
                        continue;
                    }
                    set_text_or_bytes(&self.pending, &mut self.value);
                    self.advance();
                    return Ok((Step::Typed, used));
                }
                State::RowEnd => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    fn types(names: &[&str]) -> Vec<BinaryType> {
        names
            .iter()
            .map(|n| BinaryType::parse(n).unwrap())
            .collect()
    }

    fn walk(names: &[&str], body: &[u8]) -> Result<Vec<String>, String> {
        let t = types(names);
        walk_every_split(|| RowBinaryRowsDecoder::new(t.clone()), body)
    }

    #[test]
    fn rows_of_values() {
        let mut body = Vec::new();
        for (id, name) in [(1i32, Some("hello")), (2, None)] {
            body.extend(id.to_le_bytes());
            match name {
                Some(n) => {
                    body.push(0);
                    body.push(n.len() as u8);
                    body.extend(n.as_bytes());
                }
                None => body.push(1),
            }
            body.extend(1_700_000_000_000i64.to_le_bytes());
        }
        assert_eq!(
            walk(&["int32", "nullable(string)", "datetime64(3)"], &body).unwrap(),
            [
                "[",
                "T:Int(1)",
                "T:Str(\"hello\")",
                "T:Time(1700000000000000000)",
                "]",
                "[",
                "T:Int(2)",
                "T:Null",
                "T:Time(1700000000000000000)",
                "]",
                "end"
            ]
        );
        assert_eq!(
            walk(&["string"], &[0]).unwrap(),
            ["[", "T:Str(\"\")", "]", "end"]
        );
        assert_eq!(walk(&["int32"], b"").unwrap(), ["end"]);
    }

    #[test]
    fn err_truncated_and_lying_lengths() {
        let err = walk(&["int32", "int32"], &[1, 0, 0, 0, 2]).unwrap_err();
        assert!(err.contains("Truncated"), "{err}");
        let err = walk(&["string"], &[0xff, 0xff, 0xff, 0xff, 0x0f]).unwrap_err();
        assert!(err.contains("StringTooLong"), "{err}");
        let err = walk(&["string"], &[0xff; 11]).unwrap_err();
        assert!(err.contains("BadVarint"), "{err}");
        let err = walk(&["datetime64(0)"], &i64::MAX.to_le_bytes()).unwrap_err();
        assert!(err.contains("OutOfRange"), "{err}");
    }
}
