//! ClickHouse's `Native` output format (`FORMAT Native`, what timeplus-connect reads every
//! result in): blocks of columns, each block its column count and row count (LEB128), then
//! per column its name, its type name and its values (layouts in `ingest::binary_types`).
//!
//! Invariants:
//! - Rows are gathered column by column into one block of at most `BLOCK_ROWS_MAX` rows or
//!   `BLOCK_BYTES_MAX` bytes, then written, so a long result streams in fixed memory.
//! - Type names are Proton's (`int32`, `nullable(string)`, `datetime64(3, 'UTC')`), as
//!   `DESCRIBE` prints them; `json` and `binary` columns are sent as `string`.
//! - A value of another kind than its column's type is cast (an integer into a float
//!   column, a NULL into a column that is not nullable becomes its zero); nothing panics.
//! - A result without rows is one block of no rows, so a client still learns the columns.

use super::{Encoder, plain_text};
use crate::catalog::ColumnType;
use crate::sql::ResultColumn;
use crate::value::Value;

/// Rows of one block at most.
const BLOCK_ROWS_MAX: usize = 65_536;
/// Bytes of one block's values at most (checked after each row).
const BLOCK_BYTES_MAX: usize = 256 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int(usize),
    UInt(usize),
    Float32,
    Float64,
    Str,
    Date,
    DateTime,
    DateTime64(u8),
    Uuid,
    Ipv4,
    Ipv6,
}

struct Column {
    name: String,
    type_name: String,
    kind: Kind,
    nullable: bool,
    nulls: Vec<u8>,
    data: Vec<u8>,
}

pub struct NativeEncoder {
    columns: Vec<Column>,
    rows: usize,
    bytes: usize,
    blocks: u64,
}

impl Default for NativeEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl NativeEncoder {
    pub fn new() -> Self {
        NativeEncoder {
            columns: Vec::new(),
            rows: 0,
            bytes: 0,
            blocks: 0,
        }
    }

    fn write_block(&mut self, out: &mut Vec<u8>) {
        varint(self.columns.len() as u64, out);
        varint(self.rows as u64, out);
        for c in &mut self.columns {
            string(c.name.as_bytes(), out);
            string(c.type_name.as_bytes(), out);
            out.append(&mut c.nulls);
            out.append(&mut c.data);
        }
        self.rows = 0;
        self.bytes = 0;
        self.blocks += 1;
    }
}

fn varint(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn string(s: &[u8], out: &mut Vec<u8>) {
    varint(s.len() as u64, out);
    out.extend_from_slice(s);
}

fn kind_of(ty: &ColumnType) -> (Kind, String) {
    let kind = match ty {
        ColumnType::Bool => Kind::Bool,
        ColumnType::Int8 => Kind::Int(1),
        ColumnType::Int16 => Kind::Int(2),
        ColumnType::Int32 => Kind::Int(4),
        ColumnType::Int64 => Kind::Int(8),
        ColumnType::UInt8 => Kind::UInt(1),
        ColumnType::UInt16 => Kind::UInt(2),
        ColumnType::UInt32 => Kind::UInt(4),
        ColumnType::UInt64 => Kind::UInt(8),
        ColumnType::Float32 => Kind::Float32,
        ColumnType::Float64 => Kind::Float64,
        ColumnType::String { .. } | ColumnType::Json | ColumnType::Binary => Kind::Str,
        ColumnType::Date => Kind::Date,
        ColumnType::DateTime { precision: 0, .. } => Kind::DateTime,
        ColumnType::DateTime { precision, .. } => Kind::DateTime64((*precision).min(9)),
        ColumnType::Uuid => Kind::Uuid,
        ColumnType::Ipv4 => Kind::Ipv4,
        ColumnType::Ipv6 => Kind::Ipv6,
    };
    let name = match ty {
        // Proton's `json` has its own binary layout; tidegate keeps JSON as text.
        ColumnType::Json => "string".to_owned(),
        other => other.proton_name(),
    };
    (kind, name)
}

/// A value as an integer, for integer, bool and time columns.
fn as_i128(v: &Value) -> i128 {
    match v {
        Value::Int(i) | Value::Time(i) => i128::from(*i),
        Value::UInt(u) => i128::from(*u),
        Value::Bool(b) => i128::from(*b),
        Value::Float(f) if f.is_finite() => *f as i128,
        Value::Date(d) => i128::from(*d),
        Value::Str(s) => s.trim().parse().unwrap_or(0),
        _ => 0,
    }
}

const NS_PER_DAY: i64 = 86_400_000_000_000;

fn encode(kind: Kind, v: &Value, out: &mut Vec<u8>) {
    match kind {
        Kind::Bool => out.push(u8::from(as_i128(v) != 0)),
        Kind::Int(w) | Kind::UInt(w) => {
            let bytes = (as_i128(v) as i64).to_le_bytes();
            out.extend_from_slice(bytes.get(..w).unwrap_or_default());
        }
        Kind::Float32 => out.extend_from_slice(&(v.as_f64().unwrap_or(0.0) as f32).to_le_bytes()),
        Kind::Float64 => out.extend_from_slice(&v.as_f64().unwrap_or(0.0).to_le_bytes()),
        Kind::Str => match v {
            Value::Str(s) => string(s.as_bytes(), out),
            Value::Bytes(b) => string(b, out),
            Value::Null => string(b"", out),
            other => string(plain_text(other).as_bytes(), out),
        },
        Kind::Date => {
            let days = match v {
                Value::Time(t) => t.div_euclid(NS_PER_DAY),
                other => as_i128(other) as i64,
            };
            out.extend_from_slice(&(days.clamp(0, i64::from(u16::MAX)) as u16).to_le_bytes());
        }
        Kind::DateTime => {
            let secs = time_ns(v).div_euclid(1_000_000_000);
            out.extend_from_slice(&(secs.clamp(0, i64::from(u32::MAX)) as u32).to_le_bytes());
        }
        Kind::DateTime64(p) => {
            let ticks = time_ns(v).div_euclid(10i64.pow(9 - u32::from(p)));
            out.extend_from_slice(&ticks.to_le_bytes());
        }
        Kind::Uuid => {
            let mut b = match v {
                Value::Uuid(u) => *u,
                _ => [0; 16],
            };
            if let Some(high) = b.get_mut(..8) {
                high.reverse();
            }
            if let Some(low) = b.get_mut(8..) {
                low.reverse();
            }
            out.extend_from_slice(&b);
        }
        Kind::Ipv4 => {
            let a = match v {
                Value::Ipv4(a) => *a,
                _ => [0; 4],
            };
            out.extend_from_slice(&u32::from_be_bytes(a).to_le_bytes());
        }
        Kind::Ipv6 => out.extend_from_slice(match v {
            Value::Ipv6(a) => a,
            _ => &[0; 16],
        }),
    }
}

fn time_ns(v: &Value) -> i64 {
    match v {
        Value::Time(t) => *t,
        Value::Date(d) => i64::from(*d).saturating_mul(NS_PER_DAY),
        other => as_i128(other) as i64,
    }
}

impl Encoder for NativeEncoder {
    fn begin(&mut self, columns: &[ResultColumn], _out: &mut Vec<u8>) {
        self.columns = columns
            .iter()
            .map(|c| {
                let (kind, name) = kind_of(&c.ty);
                Column {
                    name: c.name.clone(),
                    type_name: if c.nullable {
                        format!("nullable({name})")
                    } else {
                        name
                    },
                    kind,
                    nullable: c.nullable,
                    nulls: Vec::new(),
                    data: Vec::new(),
                }
            })
            .collect();
    }

    fn row(&mut self, _: &[ResultColumn], row: &[Value], out: &mut Vec<u8>) -> Result<(), String> {
        let mut bytes = 0;
        for (i, c) in self.columns.iter_mut().enumerate() {
            let v = row.get(i).unwrap_or(&Value::Null);
            let before = c.data.len();
            if c.nullable {
                c.nulls.push(u8::from(v.is_null()));
                bytes += 1;
            }
            encode(c.kind, v, &mut c.data);
            bytes += c.data.len() - before;
        }
        self.rows += 1;
        self.bytes += bytes;
        if self.rows >= BLOCK_ROWS_MAX || self.bytes >= BLOCK_BYTES_MAX {
            self.write_block(out);
        }
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<u8>) {
        if self.rows > 0 {
            self.write_block(out);
        }
    }

    fn end(&mut self, _rows: u64, out: &mut Vec<u8>) {
        if self.rows > 0 || self.blocks == 0 {
            self.write_block(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn col(name: &str, ty: ColumnType, nullable: bool) -> ResultColumn {
        ResultColumn {
            name: name.into(),
            ty,
            nullable,
        }
    }

    fn encode_rows(columns: &[ResultColumn], rows: &[Vec<Value>]) -> Vec<u8> {
        let mut e = NativeEncoder::new();
        let mut out = Vec::new();
        e.begin(columns, &mut out);
        for r in rows {
            e.row(columns, r, &mut out).unwrap();
        }
        e.end(rows.len() as u64, &mut out);
        out
    }

    #[test]
    fn blocks_are_clickhouse_bytes() {
        let columns = [
            col("id", ColumnType::Int32, false),
            col("name", ColumnType::String { len_max: None }, true),
        ];
        let out = encode_rows(
            &columns,
            &[
                vec![Value::Int(1), Value::Str("a".into())],
                vec![Value::Int(2), Value::Null],
            ],
        );
        let mut want = vec![2, 2, 2, b'i', b'd', 5];
        want.extend_from_slice(b"int32");
        want.extend_from_slice(&[1, 0, 0, 0, 2, 0, 0, 0]);
        want.push(4);
        want.extend_from_slice(b"name");
        want.push(16);
        want.extend_from_slice(b"nullable(string)");
        want.extend_from_slice(&[0, 1, 1, b'a', 0]);
        assert_eq!(out, want);
        // No rows: one block naming the columns.
        assert_eq!(
            encode_rows(&columns[..1], &[]),
            [&[1u8, 0, 2, b'i', b'd', 5][..], b"int32"].concat()
        );
    }

    #[test]
    fn native_output_reads_back_through_the_native_input_decoder() {
        use crate::ingest::decoder::walk;
        let columns = [
            col(
                "t",
                ColumnType::DateTime {
                    precision: 3,
                    tz: Some("UTC".into()),
                },
                false,
            ),
            col("f", ColumnType::Float32, false),
            col("u", ColumnType::Uuid, false),
            col("ip", ColumnType::Ipv4, false),
            col("d", ColumnType::Date, false),
            col("b", ColumnType::Bool, false),
            col(
                "s",
                ColumnType::DateTime {
                    precision: 0,
                    tz: None,
                },
                false,
            ),
        ];
        let uuid = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16];
        let rows: Vec<Vec<Value>> = (0..70_000i64)
            .map(|i| {
                vec![
                    Value::Time(i * 1_000_000),
                    Value::Float(1.5),
                    Value::Uuid(uuid),
                    Value::Ipv4([10, 0, 0, 1]),
                    Value::Date(19_000),
                    Value::Bool(true),
                    Value::Time(1_700_000_000_000_000_000),
                ]
            })
            .collect();
        let out = encode_rows(&columns, &rows);
        let steps = walk(
            crate::ingest::native_rows::NativeRowsDecoder::new(),
            &[&out],
        )
        .unwrap();
        let first_row: Vec<&str> = steps.iter().skip(2).take(7).map(String::as_str).collect();
        assert_eq!(
            first_row,
            [
                "T:Time(0)",
                "T:Float(1.5)",
                &format!("T:Uuid({uuid:?})"),
                "T:Ipv4([10, 0, 0, 1])",
                "T:Date(19000)",
                "T:Bool(true)",
                "T:Time(1700000000000000000)",
            ]
        );
        // 70,000 rows of 38 bytes are 11 blocks of at most 256 KiB, each naming its columns.
        assert_eq!(steps.iter().filter(|s| s.starts_with("cols:")).count(), 11);
        assert_eq!(steps.iter().filter(|s| *s == "]").count(), 70_000);
    }
}
