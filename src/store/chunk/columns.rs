//! The value columns of a chunk, decoded: one typed vector per column with a slot for every
//! row (a NULL row holds a filler, so row `i` is slot `i` in every column), and their codecs.
//!
//! Storage classes: integers (every int and uint type, datetime, date, ipv4) as i64 through
//! `ints`; floats (f32 widened exactly) through `floats`; bools as bits; text and binary as
//! length-prefixed bytes or, when few distinct values repeat, a dictionary and indexes;
//! ipv6 and uuid as 16 raw bytes.
//!
//! Invariants: a column read back holds exactly the values written, `Value` kinds included;
//! decoding corrupt bytes is `None` and allocates at most what the row count allows.

use std::collections::HashMap;

use super::bits::{BitReader, BitWriter};
use super::{floats, ints};
use crate::bytes::{Reader, put_bytes, put_varint};
use crate::catalog::ColumnType;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bool(Vec<bool>),
    Bytes(Bytes),
    Wide(Vec<[u8; 16]>),
}

/// Variable-length values back to back: value `i` is `data[ends[i-1]..ends[i]]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Bytes {
    ends: Vec<usize>,
    data: Vec<u8>,
}

impl Bytes {
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let start = match i {
            0 => 0,
            _ => *self.ends.get(i - 1)?,
        };
        self.data.get(start..*self.ends.get(i)?)
    }

    fn push(&mut self, value: &[u8]) {
        self.data.extend_from_slice(value);
        self.ends.push(self.data.len());
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ColumnData {
    /// `Some` when any row is NULL: one flag per row.
    pub nulls: Option<Vec<bool>>,
    pub values: Values,
    /// Narrower types keep only what their width holds, as the row encoding always did.
    width: Width,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Width {
    Full,
    F32,
    I8,
    I16,
    I32,
    U8,
    U16,
    U32,
}

impl Width {
    fn of(ty: &ColumnType) -> Width {
        match ty {
            ColumnType::Float32 => Width::F32,
            ColumnType::Int8 => Width::I8,
            ColumnType::Int16 => Width::I16,
            ColumnType::Int32 => Width::I32,
            ColumnType::UInt8 => Width::U8,
            ColumnType::UInt16 => Width::U16,
            ColumnType::UInt32 => Width::U32,
            _ => Width::Full,
        }
    }

    fn int(self, x: i64) -> i64 {
        match self {
            Width::I8 => i64::from(x as i8),
            Width::I16 => i64::from(x as i16),
            Width::I32 => i64::from(x as i32),
            Width::U8 => i64::from(x as u8),
            Width::U16 => i64::from(x as u16),
            Width::U32 => i64::from(x as u32),
            Width::Full | Width::F32 => x,
        }
    }

    fn float(self, x: f64) -> f64 {
        match self {
            Width::F32 => f64::from(x as f32),
            _ => x,
        }
    }
}

const BYTES_PLAIN: u8 = 0;
const BYTES_DICTIONARY: u8 = 1;

impl ColumnData {
    /// An empty column for values of type `ty`.
    pub fn new(ty: &ColumnType) -> ColumnData {
        let values = match ty {
            ColumnType::Float32 | ColumnType::Float64 => Values::Float(Vec::new()),
            ColumnType::Bool => Values::Bool(Vec::new()),
            ColumnType::String { .. } | ColumnType::Json | ColumnType::Binary => {
                Values::Bytes(Bytes::default())
            }
            ColumnType::Ipv6 | ColumnType::Uuid => Values::Wide(Vec::new()),
            _ => Values::Int(Vec::new()),
        };
        ColumnData {
            nulls: None,
            values,
            width: Width::of(ty),
        }
    }

    pub fn len(&self) -> usize {
        match &self.values {
            Values::Int(v) => v.len(),
            Values::Float(v) => v.len(),
            Values::Bool(v) => v.len(),
            Values::Bytes(v) => v.len(),
            Values::Wide(v) => v.len(),
        }
    }

    pub fn is_null(&self, i: usize) -> bool {
        self.nulls
            .as_ref()
            .is_some_and(|n| n.get(i).copied().unwrap_or(false))
    }

    /// Records whether the row just pushed is NULL.
    fn mark_null(&mut self, null: bool) {
        let earlier = self.len().saturating_sub(1);
        match &mut self.nulls {
            Some(nulls) => nulls.push(null),
            None if null => {
                let mut nulls = vec![false; earlier];
                nulls.push(true);
                self.nulls = Some(nulls);
            }
            None => {}
        }
    }

    /// Appends `value`, which conversion made for a column of this column's type; a value of
    /// another kind is stored as NULL (the row encoder refuses such values before they get
    /// here).
    pub fn push_value(&mut self, value: &Value) {
        let width = self.width;
        let stored = match (&mut self.values, value) {
            (Values::Int(v), Value::Int(x) | Value::Time(x)) => {
                v.push(width.int(*x));
                true
            }
            (Values::Int(v), Value::UInt(x)) => {
                v.push(width.int(*x as i64));
                true
            }
            (Values::Int(v), Value::Date(d)) => {
                v.push(i64::from(*d));
                true
            }
            (Values::Int(v), Value::Ipv4(a)) => {
                v.push(i64::from(u32::from_be_bytes(*a)));
                true
            }
            (Values::Float(v), Value::Float(x)) => {
                v.push(width.float(*x));
                true
            }
            (Values::Bool(v), Value::Bool(b)) => {
                v.push(*b);
                true
            }
            (Values::Bytes(v), Value::Str(s)) => {
                v.push(s.as_bytes());
                true
            }
            (Values::Bytes(v), Value::Bytes(b)) => {
                v.push(b);
                true
            }
            (Values::Wide(v), Value::Ipv6(a) | Value::Uuid(a)) => {
                v.push(*a);
                true
            }
            _ => false,
        };
        if !stored {
            self.push_filler();
        }
        self.mark_null(!stored);
    }

    fn push_filler(&mut self) {
        match &mut self.values {
            Values::Int(v) => v.push(0),
            Values::Float(v) => v.push(0.0),
            Values::Bool(v) => v.push(false),
            Values::Bytes(v) => v.push(&[]),
            Values::Wide(v) => v.push([0; 16]),
        }
    }

    /// Appends row `i` of `other`, a column of the same type.
    pub fn push_from(&mut self, other: &ColumnData, i: usize) {
        let copied = match (&mut self.values, &other.values) {
            (Values::Int(a), Values::Int(b)) => b.get(i).map(|x| a.push(*x)),
            (Values::Float(a), Values::Float(b)) => b.get(i).map(|x| a.push(*x)),
            (Values::Bool(a), Values::Bool(b)) => b.get(i).map(|x| a.push(*x)),
            (Values::Bytes(a), Values::Bytes(b)) => b.get(i).map(|x| a.push(x)),
            (Values::Wide(a), Values::Wide(b)) => b.get(i).map(|x| a.push(*x)),
            _ => None,
        };
        if copied.is_none() {
            self.push_filler();
        }
        self.mark_null(copied.is_none() || other.is_null(i));
    }

    /// Writes row `i` into `slot` as a value of type `ty`, reusing `slot`'s buffer for text.
    pub fn read_into(&self, ty: &ColumnType, i: usize, slot: &mut Value) -> Option<()> {
        if self.is_null(i) {
            *slot = Value::Null;
            return Some(());
        }
        match (&self.values, ty) {
            (Values::Int(v), _) => {
                let x = *v.get(i)?;
                *slot = match ty {
                    ColumnType::UInt8
                    | ColumnType::UInt16
                    | ColumnType::UInt32
                    | ColumnType::UInt64 => Value::UInt(x as u64),
                    ColumnType::DateTime { .. } => Value::Time(x),
                    ColumnType::Date => Value::Date(i32::try_from(x).ok()?),
                    ColumnType::Ipv4 => Value::Ipv4(u32::try_from(x).ok()?.to_be_bytes()),
                    _ => Value::Int(x),
                };
            }
            (Values::Float(v), _) => *slot = Value::Float(*v.get(i)?),
            (Values::Bool(v), _) => *slot = Value::Bool(*v.get(i)?),
            (Values::Bytes(v), ColumnType::Binary) => slot.set_bytes(v.get(i)?),
            (Values::Bytes(v), _) => slot.set_str(std::str::from_utf8(v.get(i)?).ok()?),
            (Values::Wide(v), ColumnType::Uuid) => *slot = Value::Uuid(*v.get(i)?),
            (Values::Wide(v), _) => *slot = Value::Ipv6(*v.get(i)?),
        }
        Some(())
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        match &self.nulls {
            None => out.push(0),
            Some(nulls) => {
                out.push(1);
                put_bits(nulls, out);
            }
        }
        match &self.values {
            Values::Int(v) => ints::encode(v, out),
            Values::Float(v) => floats::encode(v, out),
            Values::Bool(v) => put_bits(v, out),
            Values::Bytes(v) => encode_bytes(v, out),
            Values::Wide(v) => v.iter().for_each(|w| out.extend_from_slice(w)),
        }
    }

    /// Decodes the first `wanted` values of a column of `rows` values of type `ty`.
    pub fn decode(
        r: &mut Reader<'_>,
        ty: &ColumnType,
        rows: usize,
        wanted: usize,
    ) -> Option<ColumnData> {
        if wanted > rows {
            return None;
        }
        let nulls = match r.u8()? {
            0 => None,
            1 => {
                let mut bits = get_bits(r, rows)?;
                bits.truncate(wanted);
                // As a column built row by row: a bitmap only when some row is NULL.
                bits.contains(&true).then_some(bits)
            }
            _ => return None,
        };
        let total = rows;
        let rows = wanted;
        let empty = ColumnData::new(ty);
        let values = match empty.values {
            Values::Int(_) => {
                let mut v = Vec::with_capacity(rows);
                ints::decode(r, rows, &mut v)?;
                Values::Int(v)
            }
            Values::Float(_) => {
                let mut v = Vec::with_capacity(rows);
                floats::decode(r, rows, &mut v)?;
                Values::Float(v)
            }
            Values::Bool(_) => Values::Bool(get_bits(r, rows)?),
            Values::Bytes(_) => Values::Bytes(decode_bytes(r, total, rows)?),
            Values::Wide(_) => Values::Wide(
                (0..rows)
                    .map(|_| r.array::<16>())
                    .collect::<Option<Vec<_>>>()?,
            ),
        };
        Some(ColumnData {
            nulls,
            values,
            width: empty.width,
        })
    }
}

fn put_bits(bits: &[bool], out: &mut Vec<u8>) {
    for group in bits.chunks(8) {
        let byte = group
            .iter()
            .enumerate()
            .fold(0u8, |b, (i, &set)| b | (u8::from(set) << i));
        out.push(byte);
    }
}

fn get_bits(r: &mut Reader<'_>, count: usize) -> Option<Vec<bool>> {
    let bytes = r.take(count.div_ceil(8))?;
    Some(
        (0..count)
            .map(|i| bytes.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0))
            .collect(),
    )
}

/// Plain (`len | bytes` each) or, when that is smaller, a dictionary of the distinct values
/// and one index per row.
fn encode_bytes(v: &Bytes, out: &mut Vec<u8>) {
    let rows = v.len();
    let mut distinct: HashMap<&[u8], i64> = HashMap::new();
    let mut indexes = Vec::with_capacity(rows);
    let mut dictionary: Vec<&[u8]> = Vec::new();
    for i in 0..rows {
        let value = v.get(i).unwrap_or_default();
        let next = dictionary.len() as i64;
        let index = *distinct.entry(value).or_insert_with(|| {
            dictionary.push(value);
            next
        });
        indexes.push(index);
        // Mostly distinct values: a dictionary would only add indexes.
        if dictionary.len() > rows / 2 + 1 {
            break;
        }
    }
    if dictionary.len() <= rows / 2 + 1 && indexes.len() == rows && rows > 1 {
        out.push(BYTES_DICTIONARY);
        put_varint(out, dictionary.len() as u64);
        for value in &dictionary {
            put_bytes(out, value);
        }
        encode_indexes(&indexes, dictionary.len(), out);
        return;
    }
    out.push(BYTES_PLAIN);
    for i in 0..rows {
        put_bytes(out, v.get(i).unwrap_or_default());
    }
}

const INDEXES_PACKED: u8 = 0;
const INDEXES_INTS: u8 = 1;

/// Dictionary indexes: packed at the fewest bits that hold them, or through `ints` when
/// long runs make that smaller (a state that stays the same for a whole chunk).
fn encode_indexes(indexes: &[i64], distinct: usize, out: &mut Vec<u8>) {
    let width = index_width(distinct);
    let mut packed = vec![INDEXES_PACKED];
    let mut w = BitWriter::new(&mut packed);
    for &i in indexes {
        w.put(i as u64, width);
    }
    w.finish();
    let mut runs = vec![INDEXES_INTS];
    ints::encode(indexes, &mut runs);
    out.extend_from_slice(if runs.len() < packed.len() {
        &runs
    } else {
        &packed
    });
}

fn decode_indexes(r: &mut Reader<'_>, rows: usize, distinct: usize) -> Option<Vec<i64>> {
    let mut indexes = Vec::with_capacity(rows);
    match r.u8()? {
        INDEXES_PACKED => {
            let width = index_width(distinct);
            let mut b = BitReader::new(r.remaining());
            for _ in 0..rows {
                indexes.push(b.get(width)? as i64);
            }
            r.take(b.bytes_used())?;
        }
        INDEXES_INTS => ints::decode(r, rows, &mut indexes)?,
        _ => return None,
    }
    Some(indexes)
}

/// Bits that hold every index below `distinct`.
fn index_width(distinct: usize) -> u32 {
    usize::BITS - distinct.saturating_sub(1).leading_zeros()
}

/// The first `wanted` of `total` values.
fn decode_bytes(r: &mut Reader<'_>, total: usize, wanted: usize) -> Option<Bytes> {
    let rows = wanted;
    let mut out = Bytes::default();
    match r.u8()? {
        BYTES_PLAIN => {
            for _ in 0..rows {
                out.push(r.bytes()?);
            }
        }
        BYTES_DICTIONARY => {
            let count = usize::try_from(r.varint()?).ok()?;
            if count > total {
                return None;
            }
            let dictionary = (0..count)
                .map(|_| r.bytes())
                .collect::<Option<Vec<&[u8]>>>()?;
            let indexes = decode_indexes(r, rows, count)?;
            for index in indexes {
                out.push(dictionary.get(usize::try_from(index).ok()?)?);
            }
        }
        _ => return None,
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(ty: ColumnType, values: &[Value]) -> usize {
        let mut column = ColumnData::new(&ty);
        for v in values {
            column.push_value(v);
        }
        let mut bytes = Vec::new();
        column.encode(&mut bytes);
        let mut r = Reader::new(&bytes);
        let back = ColumnData::decode(&mut r, &ty, values.len(), values.len()).unwrap();
        // The first rows alone read back the same.
        let half = values.len() / 2;
        let front = ColumnData::decode(&mut Reader::new(&bytes), &ty, values.len(), half).unwrap();
        for i in 0..half {
            let (mut a, mut b) = (Value::Null, Value::Null);
            back.read_into(&ty, i, &mut a).unwrap();
            front.read_into(&ty, i, &mut b).unwrap();
            assert_eq!(a, b, "{ty:?} row {i} of the first half");
        }
        assert!(r.is_empty());
        for (i, want) in values.iter().enumerate() {
            let mut slot = Value::Str("reused".into());
            back.read_into(&ty, i, &mut slot).unwrap();
            assert_eq!(&slot, want, "{ty:?} row {i}");
        }
        bytes.len()
    }

    #[test]
    fn every_type_round_trips_with_nulls() {
        let text = ColumnType::String { len_max: None };
        round_trip(
            text.clone(),
            &[
                Value::Str("a".into()),
                Value::Null,
                Value::Str(String::new()),
            ],
        );
        round_trip(
            ColumnType::Binary,
            &[Value::Bytes(vec![0, 255]), Value::Null],
        );
        round_trip(
            ColumnType::Int8,
            &[Value::Int(-128), Value::Null, Value::Int(127)],
        );
        round_trip(ColumnType::UInt64, &[Value::UInt(u64::MAX), Value::UInt(0)]);
        round_trip(
            ColumnType::Float32,
            &[Value::Float(f64::from(0.1f32)), Value::Null],
        );
        round_trip(
            ColumnType::Float64,
            &[Value::Float(1e300), Value::Float(-2.5)],
        );
        round_trip(
            ColumnType::Bool,
            &[Value::Bool(true), Value::Null, Value::Bool(false)],
        );
        round_trip(
            ColumnType::DateTime {
                precision: 3,
                tz: None,
            },
            &[Value::Time(i64::MIN), Value::Time(5)],
        );
        round_trip(ColumnType::Date, &[Value::Date(-3), Value::Date(i32::MAX)]);
        round_trip(ColumnType::Ipv4, &[Value::Ipv4([10, 0, 0, 255])]);
        round_trip(ColumnType::Ipv6, &[Value::Ipv6([7; 16]), Value::Null]);
        round_trip(ColumnType::Uuid, &[Value::Uuid([9; 16])]);
        round_trip(ColumnType::Json, &[]);
        round_trip(text, &[Value::Null, Value::Null]);
    }

    #[test]
    fn repeated_text_uses_a_dictionary() {
        let states: Vec<Value> = (0..1000)
            .map(|i| Value::Str(["idle", "running", "fault"][i % 3].into()))
            .collect();
        let size = round_trip(ColumnType::String { len_max: None }, &states);
        assert!(size < 300, "{size}");
    }

    #[test]
    fn corrupt_columns_are_none() {
        let ty = ColumnType::String { len_max: None };
        let mut column = ColumnData::new(&ty);
        for s in ["x", "y", "x", "x"] {
            column.push_value(&Value::Str(s.into()));
        }
        let mut bytes = Vec::new();
        column.encode(&mut bytes);
        for cut in 0..bytes.len() {
            assert!(ColumnData::decode(&mut Reader::new(&bytes[..cut]), &ty, 4, 4).is_none());
        }
        // A dictionary index past the dictionary.
        let bad = [0, BYTES_DICTIONARY, 1, 1, b'a', INDEXES_INTS, 0, 8];
        assert!(ColumnData::decode(&mut Reader::new(&bad), &ty, 1, 1).is_none());
    }
}
