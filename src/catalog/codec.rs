//! The persisted form of a table definition.
//!
//! Layout (version 1): `1u8 | id u32 BE | kind u8 | name | column count varint | columns`,
//! each column `name | type | nullable u8 | role u8 | summarized u8 | default`, strings as
//! varint length + UTF-8. The exact bytes are pinned by a test: a change of layout must bump
//! the version byte and keep reading version 1.

use super::table::{Column, ColumnRole, DefaultValue, Table, TableKind};
use super::types::ColumnType;
use crate::bytes::{Reader, put_bytes, put_varint};
use crate::value::Value;

const VERSION: u8 = 1;

pub fn encode(table: &Table) -> Vec<u8> {
    let mut out = vec![VERSION];
    out.extend_from_slice(&table.id.to_be_bytes());
    out.push(match table.kind {
        TableKind::Tag => 0,
        TableKind::Log => 1,
        TableKind::Stream => 2,
    });
    put_bytes(&mut out, table.name.as_bytes());
    put_varint(&mut out, table.columns.len() as u64);
    for c in &table.columns {
        put_bytes(&mut out, c.name.as_bytes());
        encode_type(&mut out, &c.ty);
        out.push(u8::from(c.nullable));
        out.push(match c.role {
            ColumnRole::Plain => 0,
            ColumnRole::TagName => 1,
            ColumnRole::BaseTime => 2,
        });
        out.push(u8::from(c.summarized));
        match &c.default {
            DefaultValue::None => out.push(0),
            DefaultValue::Now => out.push(1),
            DefaultValue::Literal(v) => {
                out.push(2);
                encode_literal(&mut out, v);
            }
        }
    }
    out
}

fn encode_type(out: &mut Vec<u8>, ty: &ColumnType) {
    let code = match ty {
        ColumnType::Bool => 1,
        ColumnType::Int8 => 2,
        ColumnType::Int16 => 3,
        ColumnType::Int32 => 4,
        ColumnType::Int64 => 5,
        ColumnType::UInt8 => 6,
        ColumnType::UInt16 => 7,
        ColumnType::UInt32 => 8,
        ColumnType::UInt64 => 9,
        ColumnType::Float32 => 10,
        ColumnType::Float64 => 11,
        ColumnType::String { .. } => 12,
        ColumnType::Json => 13,
        ColumnType::Binary => 14,
        ColumnType::DateTime { .. } => 15,
        ColumnType::Date => 16,
        ColumnType::Ipv4 => 17,
        ColumnType::Ipv6 => 18,
        ColumnType::Uuid => 19,
    };
    out.push(code);
    match ty {
        ColumnType::String { len_max } => put_varint(out, u64::from(len_max.unwrap_or(0))),
        ColumnType::DateTime { precision, tz } => {
            out.push(*precision);
            put_bytes(out, tz.as_deref().unwrap_or("").as_bytes());
        }
        _ => {}
    }
}

fn encode_literal(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Int(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::UInt(u) => {
            out.push(2);
            out.extend_from_slice(&u.to_be_bytes());
        }
        Value::Float(f) => {
            out.push(3);
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            out.push(4);
            put_bytes(out, s.as_bytes());
        }
        Value::Bool(b) => {
            out.push(5);
            out.push(u8::from(*b));
        }
        Value::Time(t) => {
            out.push(6);
            out.extend_from_slice(&t.to_be_bytes());
        }
        // Other kinds cannot be written as a DEFAULT literal; the parser refuses them.
        _ => out.push(0),
    }
}

pub fn decode(bytes: &[u8]) -> Option<Table> {
    let mut r = Reader::new(bytes);
    if r.u8()? != VERSION {
        return None;
    }
    let id = u32::from_be_bytes(r.array()?);
    let kind = match r.u8()? {
        0 => TableKind::Tag,
        1 => TableKind::Log,
        2 => TableKind::Stream,
        _ => return None,
    };
    let name: Box<str> = r.str()?.into();
    let count = usize::try_from(r.varint()?).ok()?;
    let mut columns = Vec::with_capacity(count.min(1024));
    for _ in 0..count {
        let name: Box<str> = r.str()?.into();
        let ty = decode_type(&mut r)?;
        let nullable = r.u8()? != 0;
        let role = match r.u8()? {
            0 => ColumnRole::Plain,
            1 => ColumnRole::TagName,
            2 => ColumnRole::BaseTime,
            _ => return None,
        };
        let summarized = r.u8()? != 0;
        let default = match r.u8()? {
            0 => DefaultValue::None,
            1 => DefaultValue::Now,
            2 => DefaultValue::Literal(decode_literal(&mut r)?),
            _ => return None,
        };
        columns.push(Column {
            name,
            ty,
            nullable,
            default,
            role,
            summarized,
        });
    }
    if !r.is_empty() {
        return None;
    }
    Table::new(id, name, kind, columns).ok()
}

fn decode_type(r: &mut Reader<'_>) -> Option<ColumnType> {
    Some(match r.u8()? {
        1 => ColumnType::Bool,
        2 => ColumnType::Int8,
        3 => ColumnType::Int16,
        4 => ColumnType::Int32,
        5 => ColumnType::Int64,
        6 => ColumnType::UInt8,
        7 => ColumnType::UInt16,
        8 => ColumnType::UInt32,
        9 => ColumnType::UInt64,
        10 => ColumnType::Float32,
        11 => ColumnType::Float64,
        12 => {
            let n = u32::try_from(r.varint()?).ok()?;
            ColumnType::String {
                len_max: (n > 0).then_some(n),
            }
        }
        13 => ColumnType::Json,
        14 => ColumnType::Binary,
        15 => {
            let precision = r.u8()?;
            let tz = r.str()?;
            ColumnType::DateTime {
                precision,
                tz: (!tz.is_empty()).then(|| tz.into()),
            }
        }
        16 => ColumnType::Date,
        17 => ColumnType::Ipv4,
        18 => ColumnType::Ipv6,
        19 => ColumnType::Uuid,
        _ => return None,
    })
}

fn decode_literal(r: &mut Reader<'_>) -> Option<Value> {
    Some(match r.u8()? {
        1 => Value::Int(i64::from_be_bytes(r.array()?)),
        2 => Value::UInt(u64::from_be_bytes(r.array()?)),
        3 => Value::Float(f64::from_bits(u64::from_be_bytes(r.array()?))),
        4 => Value::Str(r.str()?.to_owned()),
        5 => Value::Bool(r.u8()? != 0),
        6 => Value::Time(i64::from_be_bytes(r.array()?)),
        _ => Value::Null,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> Table {
        Table::example(7, "EXAMPLE")
    }

    #[test]
    fn exact_bytes_of_a_tag_table() {
        let bytes = encode(&example());
        assert_eq!(
            bytes,
            [
                1, 0, 0, 0, 7, 0, 7, b'E', b'X', b'A', b'M', b'P', b'L', b'E', 3, //
                4, b'N', b'A', b'M', b'E', 12, 40, 0, 1, 0, 0, //
                4, b'T', b'I', b'M', b'E', 15, 9, 0, 0, 2, 0, 0, //
                5, b'V', b'A', b'L', b'U', b'E', 11, 1, 0, 0, 0,
            ]
        );
        assert_eq!(decode(&bytes), Some(example()));
    }

    #[test]
    fn truncated_or_trailing_bytes_do_not_decode() {
        let bytes = encode(&example());
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(decode(&longer), None);
    }
}
