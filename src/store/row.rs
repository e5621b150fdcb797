//! Row value encoding: the columns a row keeps outside its key.
//!
//! Layout: a NULL bitmap (one bit per stored column, bit set = NULL, `ceil(n/8)` bytes), then
//! each non-NULL value in column order: fixed-width little-endian for numbers, times, dates and
//! addresses; varint length + bytes for string, json and binary. The key columns (tag name and
//! base time of a tag table, `_tp_time` of a stream) live in the key and are skipped here.
//!
//! Invariant: `encode` accepts only the `Value` kind that conversion produces for the column's
//! type; anything else is a bug reported as `RowError::KindMismatch`, never stored.

use crate::bytes::{Reader, put_bytes};
use crate::catalog::{ColumnType, Table};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowError {
    /// A value of the wrong kind reached the encoder: a conversion bug.
    KindMismatch { column: String },
    /// The stored bytes do not decode with the table's definition.
    Corrupt,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RowError::KindMismatch { column } => {
                write!(f, "BUG: value of the wrong kind for column {column}")
            }
            RowError::Corrupt => f.write_str("stored row does not match the table definition"),
        }
    }
}

/// Whether column `index` is stored in the row value (not in the key).
pub fn is_stored(table: &Table, index: usize) -> bool {
    Some(index) != table.tag_column && Some(index) != table.time_column
}

/// Appends the encoding of `values` (one per table column, table order) to `out`.
pub fn encode(table: &Table, values: &[Value], out: &mut Vec<u8>) -> Result<(), RowError> {
    let stored = (0..table.columns.len()).filter(|&i| is_stored(table, i));
    let bitmap_at = out.len();
    let stored_count = stored.clone().count();
    out.resize(bitmap_at + stored_count.div_ceil(8), 0);
    for (bit, index) in stored.enumerate() {
        let (Some(column), Some(value)) = (table.columns.get(index), values.get(index)) else {
            return Err(RowError::Corrupt);
        };
        if value.is_null() {
            if let Some(b) = out.get_mut(bitmap_at + bit / 8) {
                *b |= 1 << (bit % 8);
            }
            continue;
        }
        let mismatch = || RowError::KindMismatch {
            column: column.name.to_string(),
        };
        match (&column.ty, value) {
            (ColumnType::Bool, Value::Bool(b)) => out.push(u8::from(*b)),
            (ColumnType::Int8, Value::Int(v)) => out.push(*v as i8 as u8),
            (ColumnType::Int16, Value::Int(v)) => out.extend_from_slice(&(*v as i16).to_le_bytes()),
            (ColumnType::Int32, Value::Int(v)) => out.extend_from_slice(&(*v as i32).to_le_bytes()),
            (ColumnType::Int64, Value::Int(v)) => out.extend_from_slice(&v.to_le_bytes()),
            (ColumnType::UInt8, Value::UInt(v)) => out.push(*v as u8),
            (ColumnType::UInt16, Value::UInt(v)) => {
                out.extend_from_slice(&(*v as u16).to_le_bytes())
            }
            (ColumnType::UInt32, Value::UInt(v)) => {
                out.extend_from_slice(&(*v as u32).to_le_bytes())
            }
            (ColumnType::UInt64, Value::UInt(v)) => out.extend_from_slice(&v.to_le_bytes()),
            (ColumnType::Float32, Value::Float(v)) => {
                out.extend_from_slice(&(*v as f32).to_le_bytes())
            }
            (ColumnType::Float64, Value::Float(v)) => out.extend_from_slice(&v.to_le_bytes()),
            (ColumnType::String { .. } | ColumnType::Json, Value::Str(s)) => {
                put_bytes(out, s.as_bytes())
            }
            (ColumnType::Binary, Value::Bytes(b)) => put_bytes(out, b),
            (ColumnType::DateTime { .. }, Value::Time(t)) => {
                out.extend_from_slice(&t.to_le_bytes())
            }
            (ColumnType::Date, Value::Date(d)) => out.extend_from_slice(&d.to_le_bytes()),
            (ColumnType::Ipv4, Value::Ipv4(a)) => out.extend_from_slice(a),
            (ColumnType::Ipv6, Value::Ipv6(a)) | (ColumnType::Uuid, Value::Uuid(a)) => {
                out.extend_from_slice(a)
            }
            _ => return Err(mismatch()),
        }
    }
    Ok(())
}

/// Decodes a stored row value into `out` (one slot per table column; key columns are left
/// for the caller to fill from the key). Reuses `out`'s string and byte buffers.
pub fn decode(table: &Table, bytes: &[u8], out: &mut Vec<Value>) -> Result<(), RowError> {
    out.resize(table.columns.len(), Value::Null);
    let stored_count = (0..table.columns.len())
        .filter(|&i| is_stored(table, i))
        .count();
    let mut r = Reader::new(bytes);
    let bitmap = r.take(stored_count.div_ceil(8)).ok_or(RowError::Corrupt)?;
    let mut bit = 0usize;
    for (index, column) in table.columns.iter().enumerate() {
        if !is_stored(table, index) {
            continue;
        }
        let is_null = bitmap
            .get(bit / 8)
            .is_some_and(|b| b & (1 << (bit % 8)) != 0);
        bit += 1;
        let Some(slot) = out.get_mut(index) else {
            return Err(RowError::Corrupt);
        };
        if is_null {
            *slot = Value::Null;
            continue;
        }
        let c = RowError::Corrupt;
        match &column.ty {
            ColumnType::Bool => *slot = Value::Bool(r.u8().ok_or(c)? != 0),
            ColumnType::Int8 => *slot = Value::Int(i64::from(r.u8().ok_or(c)? as i8)),
            ColumnType::Int16 => {
                *slot = Value::Int(i64::from(i16::from_le_bytes(r.array().ok_or(c)?)))
            }
            ColumnType::Int32 => {
                *slot = Value::Int(i64::from(i32::from_le_bytes(r.array().ok_or(c)?)))
            }
            ColumnType::Int64 => *slot = Value::Int(i64::from_le_bytes(r.array().ok_or(c)?)),
            ColumnType::UInt8 => *slot = Value::UInt(u64::from(r.u8().ok_or(c)?)),
            ColumnType::UInt16 => {
                *slot = Value::UInt(u64::from(u16::from_le_bytes(r.array().ok_or(c)?)))
            }
            ColumnType::UInt32 => {
                *slot = Value::UInt(u64::from(u32::from_le_bytes(r.array().ok_or(c)?)))
            }
            ColumnType::UInt64 => *slot = Value::UInt(u64::from_le_bytes(r.array().ok_or(c)?)),
            ColumnType::Float32 => {
                *slot = Value::Float(f64::from(f32::from_le_bytes(r.array().ok_or(c)?)))
            }
            ColumnType::Float64 => *slot = Value::Float(f64::from_le_bytes(r.array().ok_or(c)?)),
            ColumnType::String { .. } | ColumnType::Json => {
                slot.set_str(r.str().ok_or(RowError::Corrupt)?)
            }
            ColumnType::Binary => slot.set_bytes(r.bytes().ok_or(c)?),
            ColumnType::DateTime { .. } => {
                *slot = Value::Time(i64::from_le_bytes(r.array().ok_or(c)?))
            }
            ColumnType::Date => *slot = Value::Date(i32::from_le_bytes(r.array().ok_or(c)?)),
            ColumnType::Ipv4 => *slot = Value::Ipv4(r.array().ok_or(c)?),
            ColumnType::Ipv6 => *slot = Value::Ipv6(r.array().ok_or(c)?),
            ColumnType::Uuid => *slot = Value::Uuid(r.array().ok_or(c)?),
        }
    }
    if r.is_empty() {
        Ok(())
    } else {
        Err(RowError::Corrupt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, ColumnRole, DefaultValue, TableKind};

    fn col(name: &str, ty: ColumnType, role: ColumnRole) -> Column {
        Column {
            name: name.into(),
            ty,
            nullable: true,
            default: DefaultValue::None,
            role,
            summarized: false,
        }
    }

    fn table() -> Table {
        Table::new(
            1,
            "T".into(),
            TableKind::Tag,
            vec![
                col(
                    "NAME",
                    ColumnType::String { len_max: None },
                    ColumnRole::TagName,
                ),
                col(
                    "TIME",
                    ColumnType::DateTime {
                        precision: 9,
                        tz: None,
                    },
                    ColumnRole::BaseTime,
                ),
                col("VALUE", ColumnType::Float64, ColumnRole::Plain),
                col("IVAL", ColumnType::Int32, ColumnRole::Plain),
                col("S", ColumnType::String { len_max: None }, ColumnRole::Plain),
            ],
        )
        .unwrap()
    }

    #[test]
    fn exact_bytes_and_round_trip() {
        let t = table();
        let values = vec![
            Value::Str("tag".into()),
            Value::Time(5),
            Value::Float(1.5),
            Value::Null,
            Value::Str("hi".into()),
        ];
        let mut out = Vec::new();
        encode(&t, &values, &mut out).unwrap();
        assert_eq!(out, [0b010, 0, 0, 0, 0, 0, 0, 0xf8, 0x3f, 2, b'h', b'i']);
        let mut back = Vec::new();
        decode(&t, &out, &mut back).unwrap();
        assert_eq!(&back[2..], &values[2..]);
    }

    #[test]
    fn wrong_kind_is_refused_and_truncation_is_corrupt() {
        let t = table();
        let values = vec![
            Value::Str("tag".into()),
            Value::Time(5),
            Value::Str("not a float".into()),
            Value::Null,
            Value::Null,
        ];
        assert_eq!(
            encode(&t, &values, &mut Vec::new()),
            Err(RowError::KindMismatch {
                column: "VALUE".into()
            })
        );
        let mut out = Vec::new();
        let ok = vec![
            Value::Null,
            Value::Null,
            Value::Float(2.0),
            Value::Int(7),
            Value::Null,
        ];
        encode(&t, &ok, &mut out).unwrap();
        for cut in 0..out.len() {
            assert_eq!(
                decode(&t, &out[..cut], &mut Vec::new()),
                Err(RowError::Corrupt)
            );
        }
    }
}
