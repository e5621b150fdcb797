//! `RowBatch`: rows of one table, encoded and ready for the writer, in one growing buffer.
//!
//! Each record is `tag name (varint length + bytes; tag tables only) | time i64 BE |
//! [kv streams only: key bytes, version bytes (each varint length + bytes), delete u8] |
//! value (varint length + row encoding)`. Building a batch allocates nothing per row once the
//! buffer has grown; the writer turns records into keys without copying values twice.
//!
//! Invariant: a batch holds only whole, valid records; a row that fails to encode leaves the
//! buffer exactly as it was before the row.

use std::sync::Arc;

use super::kv::{self, KvParts};
use super::row::{self, RowError};
use crate::bytes::{Reader, put_bytes, put_varint};
use crate::catalog::{Table, TableKind, name_problem};
use crate::limits::{BATCH_BYTES_MAX, BATCH_ROWS_MAX, STORED_KEY_BYTES_MAX};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchError {
    /// The tag name or base time of a tag-table row, or `_tp_time` of a stream, is NULL.
    NullKey {
        column: String,
    },
    /// A tag name or kv-stream key that cannot become a storage key: too long
    /// (`STORED_KEY_BYTES_MAX`), empty, or (a tag name) holding a control character.
    BadKey {
        column: String,
        problem: String,
    },
    Row(RowError),
}

impl std::fmt::Display for BatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BatchError::NullKey { column } => write!(f, "column {column} cannot be NULL"),
            BatchError::BadKey { column, problem } => {
                write!(f, "column {column} cannot be stored as a key: {problem}")
            }
            BatchError::Row(e) => e.fmt(f),
        }
    }
}

pub struct RowBatch {
    table: Arc<Table>,
    /// Key time of log-table rows, which have no time column.
    arrival_ns: i64,
    buf: Vec<u8>,
    rows: usize,
    scratch: Vec<u8>,
}

pub(super) struct Record<'a> {
    pub tag: Option<&'a str>,
    pub time_ns: i64,
    /// Key, version and delete flag of a kv stream's row (`kv`).
    pub kv: Option<KvParts<'a>>,
    pub value: &'a [u8],
}

impl RowBatch {
    pub fn new(table: Arc<Table>, arrival_ns: i64) -> RowBatch {
        RowBatch {
            table,
            arrival_ns,
            buf: Vec::new(),
            rows: 0,
            scratch: Vec::new(),
        }
    }

    pub fn table(&self) -> &Arc<Table> {
        &self.table
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Whether the batch reached a bound and should be sent to the writer.
    pub fn is_full(&self) -> bool {
        self.rows >= BATCH_ROWS_MAX || self.buf.len() >= BATCH_BYTES_MAX
    }

    /// Encodes one row (`values` in table column order).
    pub fn push(&mut self, values: &[Value]) -> Result<(), BatchError> {
        let start = self.buf.len();
        let result = self.encode_record(values);
        if result.is_err() {
            self.buf.truncate(start);
        } else {
            self.rows += 1;
        }
        result
    }

    fn encode_record(&mut self, values: &[Value]) -> Result<(), BatchError> {
        let table = &self.table;
        let column_name = |index: Option<usize>| {
            index
                .and_then(|i| table.columns.get(i))
                .map(|c| c.name.to_string())
                .unwrap_or_default()
        };
        if table.kind == TableKind::Tag {
            match table.tag_column.and_then(|i| values.get(i)) {
                Some(Value::Str(tag)) => {
                    if let Some(problem) =
                        name_problem(tag, STORED_KEY_BYTES_MAX, "stored_key_bytes_max")
                    {
                        return Err(BatchError::BadKey {
                            column: column_name(table.tag_column),
                            problem,
                        });
                    }
                    put_bytes(&mut self.buf, tag.as_bytes());
                }
                _ => {
                    return Err(BatchError::NullKey {
                        column: column_name(table.tag_column),
                    });
                }
            }
        }
        let time_ns = match table.time_column {
            None => self.arrival_ns,
            Some(i) => match values.get(i) {
                Some(Value::Time(t)) => *t,
                _ => {
                    return Err(BatchError::NullKey {
                        column: column_name(Some(i)),
                    });
                }
            },
        };
        self.buf.extend_from_slice(&time_ns.to_be_bytes());
        if table.mode.is_kv() {
            kv::put_parts(table, values, &mut self.buf).map_err(|bytes| BatchError::BadKey {
                column: table
                    .key_columns
                    .iter()
                    .filter_map(|&i| table.columns.get(i))
                    .map(|c| c.name.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
                problem: format!(
                    "it is {bytes} bytes, longer than stored_key_bytes_max ({STORED_KEY_BYTES_MAX})"
                ),
            })?;
        }
        self.scratch.clear();
        row::encode(table, values, &mut self.scratch).map_err(BatchError::Row)?;
        put_varint(&mut self.buf, self.scratch.len() as u64);
        self.buf.extend_from_slice(&self.scratch);
        Ok(())
    }

    /// The records, in push order. Stops at the first malformed record, which `push` never
    /// writes.
    pub(super) fn records(&self) -> impl Iterator<Item = Record<'_>> {
        let is_tag = self.table.kind == TableKind::Tag;
        let is_kv = self.table.mode.is_kv();
        let mut r = Reader::new(&self.buf);
        std::iter::from_fn(move || {
            if r.is_empty() {
                return None;
            }
            let tag = if is_tag { Some(r.str()?) } else { None };
            let time_ns = i64::from_be_bytes(r.array()?);
            let kv = if is_kv {
                Some(KvParts {
                    key: r.bytes()?,
                    version: r.bytes()?,
                    delete: r.u8()? != 0,
                })
            } else {
                None
            };
            let value = r.bytes()?;
            Some(Record {
                tag,
                time_ns,
                kv,
                value,
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag_table() -> Arc<Table> {
        Arc::new(Table::example(1, "T"))
    }

    #[test]
    fn records_come_back_in_order_and_bad_rows_leave_no_trace() {
        let mut b = RowBatch::new(tag_table(), 0);
        b.push(&[Value::Str("a".into()), Value::Time(1), Value::Float(1.0)])
            .unwrap();
        let before = b.buf.len();
        assert_eq!(
            b.push(&[Value::Null, Value::Time(2), Value::Float(2.0)]),
            Err(BatchError::NullKey {
                column: "NAME".into()
            })
        );
        assert_eq!(
            b.push(&[Value::Str("b".into()), Value::Time(2), Value::Int(2)]),
            Err(BatchError::Row(RowError::KindMismatch {
                column: "VALUE".into()
            }))
        );
        assert_eq!(b.buf.len(), before);
        b.push(&[Value::Str("b".into()), Value::Time(3), Value::Null])
            .unwrap();
        let got: Vec<_> = b.records().map(|r| (r.tag, r.time_ns)).collect();
        assert_eq!(got, [(Some("a"), 1), (Some("b"), 3)]);
        assert_eq!(b.rows(), 2);
    }
}
