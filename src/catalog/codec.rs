//! The persisted form of a table definition.
//!
//! Layout (version 1): `1u8 | id u32 BE | kind u8 | name | column count varint | columns`,
//! each column `name | type | nullable u8 | role u8 | summarized u8 | default`, strings as
//! varint length + UTF-8. Version 2 is version 1 with the version byte 2 and a stream-mode
//! tail: `mode u8 | key count varint | key column indexes varint | version column varint`
//! (index + 1, 0 = none). Tables without a mode (append streams, Machbase tables) are still
//! written as version 1, so their bytes do not change. Version 1 streams with a `_tp_delta`
//! column read as `changelog`, as tidegate created them before version 2. The exact bytes are
//! pinned by tests: a change of layout must bump the version byte and keep reading the old.

use super::table::{Column, ColumnRole, DefaultValue, StreamMode, TP_DELTA, Table, TableKind};
use super::types::ColumnType;
use crate::bytes::{Reader, put_bytes, put_varint};
use crate::value::Value;

const VERSION: u8 = 1;
const VERSION_MODES: u8 = 2;

fn has_mode_tail(table: &Table) -> bool {
    table.mode != StreamMode::Append || !table.key_columns.is_empty()
}

pub fn encode(table: &Table) -> Vec<u8> {
    let tail = has_mode_tail(table);
    let mut out = vec![if tail { VERSION_MODES } else { VERSION }];
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
    if tail {
        out.push(match table.mode {
            StreamMode::Append => 0,
            StreamMode::Changelog => 1,
            StreamMode::ChangelogKv => 2,
            StreamMode::VersionedKv => 3,
        });
        put_varint(&mut out, table.key_columns.len() as u64);
        for &k in &table.key_columns {
            put_varint(&mut out, k as u64);
        }
        put_varint(&mut out, table.version_column.map_or(0, |v| v as u64 + 1));
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
    let version = r.u8()?;
    if version != VERSION && version != VERSION_MODES {
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
    let (mode, key, version_column) = if version == VERSION_MODES {
        let mode = match r.u8()? {
            0 => StreamMode::Append,
            1 => StreamMode::Changelog,
            2 => StreamMode::ChangelogKv,
            3 => StreamMode::VersionedKv,
            _ => return None,
        };
        let count = usize::try_from(r.varint()?).ok()?;
        let mut key = Vec::with_capacity(count.min(columns.len()));
        for _ in 0..count {
            key.push(usize::try_from(r.varint()?).ok()?);
        }
        let version_column = match r.varint()? {
            0 => None,
            v => Some(usize::try_from(v - 1).ok()?),
        };
        (mode, key, version_column)
    } else if kind == TableKind::Stream && columns.iter().any(|c| &*c.name == TP_DELTA) {
        (StreamMode::Changelog, Vec::new(), None)
    } else {
        (StreamMode::Append, Vec::new(), None)
    };
    if !r.is_empty() {
        return None;
    }
    let name_at = |i: usize| columns.get(i).map(|c| c.name.to_string());
    let key_names = key
        .iter()
        .map(|&i| name_at(i))
        .collect::<Option<Vec<_>>>()?;
    let version_name = match version_column {
        Some(i) => Some(name_at(i)?),
        None => None,
    };
    let key_refs: Vec<&str> = key_names.iter().map(String::as_str).collect();
    Table::new(id, name, kind, columns)
        .ok()?
        .with_mode(mode, &key_refs, version_name.as_deref())
        .ok()
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

    fn kv_stream() -> Table {
        let col = |name: &str, ty| Column {
            name: name.into(),
            ty,
            nullable: false,
            default: DefaultValue::None,
            role: ColumnRole::Plain,
            summarized: false,
        };
        let columns = vec![
            col("k", ColumnType::String { len_max: None }),
            col("v", ColumnType::Int64),
            col(
                "_tp_time",
                ColumnType::DateTime {
                    precision: 3,
                    tz: None,
                },
            ),
        ];
        Table::new(3, "kv".into(), TableKind::Stream, columns)
            .unwrap()
            .with_mode(StreamMode::VersionedKv, &["k"], Some("v"))
            .unwrap()
    }

    #[test]
    fn exact_bytes_of_a_versioned_kv_stream() {
        let bytes = encode(&kv_stream());
        assert_eq!(
            bytes,
            [
                2, 0, 0, 0, 3, 2, 2, b'k', b'v', 3, //
                1, b'k', 12, 0, 0, 0, 0, 0, //
                1, b'v', 5, 0, 0, 0, 0, //
                8, b'_', b't', b'p', b'_', b't', b'i', b'm', b'e', 15, 3, 0, 0, 0, 0, 0, //
                3, 1, 0, 2,
            ]
        );
        assert_eq!(decode(&bytes), Some(kv_stream()));
        for cut in 0..bytes.len() {
            assert_eq!(decode(&bytes[..cut]), None, "cut at {cut}");
        }
    }

    #[test]
    fn version_1_streams_with_tp_delta_read_as_changelog() {
        let col = |name: &str, ty| Column {
            name: name.into(),
            ty,
            nullable: false,
            default: DefaultValue::None,
            role: ColumnRole::Plain,
            summarized: false,
        };
        let time = ColumnType::DateTime {
            precision: 3,
            tz: None,
        };
        let t = Table::new(
            4,
            "c".into(),
            TableKind::Stream,
            vec![col("_tp_delta", ColumnType::Int8), col("_tp_time", time)],
        )
        .unwrap();
        let bytes = encode(&t);
        assert_eq!(bytes[0], 1);
        assert_eq!(decode(&bytes).unwrap().mode, StreamMode::Changelog);
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
