//! Chunks: rows of one series (one tag of a tag table) or a stretch of a log table or stream,
//! in time order, stored column by column so that each column compresses on its own: times
//! as deltas of deltas, decimals as integer mantissas, repeated text through a dictionary.
//! A chunk is both a sealed fjall value and, inside a head block, the rows of one commit.
//!
//! Format (version 1):
//! ```text
//! version u8 | rows varint | min time zigzag varint | max - min varint | flags u8
//! | section lengths (varint each: times, [seqs], every stored column) | sections
//! ```
//! `flags` bit 0: the chunk has a sequence column (log tables and streams number their rows
//! in arrival order); bit 1: a tag id column (a write-ahead log block holds the rows of many
//! tags). The stored columns are the table's columns that are not key columns
//! (`row::is_stored`), in table order; the section lengths let a reader skip columns.
//!
//! Invariants:
//! - A sealed chunk's rows are in time order (then sequence order), and a tag table's chunk
//!   has one row per time. A log block keeps arrival order.
//! - Decoding never panics and allocates in proportion to `ROWS_MAX`; a chunk that does not
//!   decode with its table's definition is `Corrupt`.

mod bits;
mod columns;
mod floats;
mod ints;

pub use columns::ColumnData;

use super::row::is_stored;
use crate::bytes::{Reader, put_varint};
use crate::catalog::{ColumnType, Table};
use crate::value::Value;

const VERSION: u8 = 1;
const HAS_SEQS: u8 = 1;
const HAS_TAGS: u8 = 2;
/// Rows any chunk may hold when read back: a bound on what a corrupt count can allocate.
const ROWS_MAX: usize = 1 << 20;

#[derive(Debug, Clone, PartialEq)]
pub struct Chunk {
    pub times: Vec<i64>,
    /// Arrival sequence per row; empty for tag tables.
    pub seqs: Vec<u64>,
    /// Tag id per row, in a log block of a tag table; empty otherwise.
    pub tags: Vec<u32>,
    /// One per stored column, in table order.
    pub columns: Vec<ColumnData>,
}

/// What a chunk's first bytes say without decoding its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub rows: usize,
    pub min_time: i64,
    pub max_time: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Corrupt;

/// What keys a row besides its values: the time, and the sequence (log tables and streams)
/// and tag id (in a log block of a tag table) when the chunk has those columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowKey {
    pub time: i64,
    pub seq: Option<u64>,
    pub tag: Option<u32>,
}

fn stored_types(table: &Table) -> impl Iterator<Item = &ColumnType> {
    table
        .columns
        .iter()
        .enumerate()
        .filter(|(i, _)| is_stored(table, *i))
        .map(|(_, c)| &c.ty)
}

#[cfg(test)]
impl RowKey {
    /// The key of a row known by its time alone (a sealed tag-table chunk's).
    pub fn at(time: i64) -> RowKey {
        RowKey {
            time,
            seq: None,
            tag: None,
        }
    }
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

impl Chunk {
    /// An empty chunk for `table`'s rows; `seqs` when the table numbers its rows.
    pub fn new(table: &Table) -> Chunk {
        Chunk {
            times: Vec::new(),
            seqs: Vec::new(),
            tags: Vec::new(),
            columns: stored_types(table).map(ColumnData::new).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Appends a row: its key and the values of every table column (key columns are
    /// skipped).
    pub fn push_row(&mut self, table: &Table, key: RowKey, values: &[Value]) {
        self.times.push(key.time);
        if let Some(seq) = key.seq {
            self.seqs.push(seq);
        }
        if let Some(tag) = key.tag {
            self.tags.push(tag);
        }
        let stored = (0..table.columns.len()).filter(|&i| is_stored(table, i));
        for (column, index) in self.columns.iter_mut().zip(stored) {
            column.push_value(values.get(index).unwrap_or(&Value::Null));
        }
    }

    /// Appends row `i` of `other`, a chunk of the same table.
    pub fn push_from(&mut self, other: &Chunk, i: usize) {
        if let Some(&t) = other.times.get(i) {
            self.times.push(t);
        }
        if let Some(&s) = other.seqs.get(i) {
            self.seqs.push(s);
        }
        if let Some(&t) = other.tags.get(i) {
            self.tags.push(t);
        }
        for (column, from) in self.columns.iter_mut().zip(&other.columns) {
            column.push_from(from, i);
        }
    }

    /// Writes row `i`'s stored columns into `out` (one slot per table column); the caller
    /// fills the key columns.
    pub fn read_row(&self, table: &Table, i: usize, out: &mut Vec<Value>) -> Result<(), Corrupt> {
        out.resize(table.columns.len(), Value::Null);
        let stored = (0..table.columns.len()).filter(|&i| is_stored(table, i));
        for (column, index) in self.columns.iter().zip(stored) {
            let (Some(def), Some(slot)) = (table.columns.get(index), out.get_mut(index)) else {
                return Err(Corrupt);
            };
            column.read_into(&def.ty, i, slot).ok_or(Corrupt)?;
        }
        Ok(())
    }

    pub fn encode(&self, out: &mut Vec<u8>) {
        let min = self.times.iter().copied().min().unwrap_or(0);
        let max = self.times.iter().copied().max().unwrap_or(0);
        out.push(VERSION);
        put_varint(out, self.times.len() as u64);
        put_varint(out, zigzag(min));
        put_varint(out, max.wrapping_sub(min) as u64);
        let has_seqs = !self.seqs.is_empty();
        let has_tags = !self.tags.is_empty();
        out.push(if has_seqs { HAS_SEQS } else { 0 } | if has_tags { HAS_TAGS } else { 0 });
        let mut sections: Vec<Vec<u8>> = Vec::with_capacity(self.columns.len() + 2);
        let mut times = Vec::new();
        ints::encode(&self.times, &mut times);
        sections.push(times);
        if has_seqs {
            let seqs: Vec<i64> = self.seqs.iter().map(|&s| s as i64).collect();
            let mut bytes = Vec::new();
            ints::encode(&seqs, &mut bytes);
            sections.push(bytes);
        }
        if has_tags {
            let tags: Vec<i64> = self.tags.iter().map(|&t| i64::from(t)).collect();
            let mut bytes = Vec::new();
            ints::encode(&tags, &mut bytes);
            sections.push(bytes);
        }
        for column in &self.columns {
            let mut bytes = Vec::new();
            column.encode(&mut bytes);
            sections.push(bytes);
        }
        for section in &sections {
            put_varint(out, section.len() as u64);
        }
        for section in sections {
            out.extend_from_slice(&section);
        }
    }

    /// The header of an encoded chunk.
    pub fn header(bytes: &[u8]) -> Result<Header, Corrupt> {
        let mut r = Reader::new(bytes);
        Self::read_header(&mut r).map(|(header, _)| header)
    }

    fn read_header(r: &mut Reader<'_>) -> Result<(Header, u8), Corrupt> {
        if r.u8() != Some(VERSION) {
            return Err(Corrupt);
        }
        let rows = usize::try_from(r.varint().ok_or(Corrupt)?).map_err(|_| Corrupt)?;
        if rows > ROWS_MAX {
            return Err(Corrupt);
        }
        let min_time = unzigzag(r.varint().ok_or(Corrupt)?);
        let max_time = min_time.wrapping_add(r.varint().ok_or(Corrupt)? as i64);
        let flags = r.u8().ok_or(Corrupt)?;
        Ok((
            Header {
                rows,
                min_time,
                max_time,
            },
            flags,
        ))
    }

    pub fn decode(table: &Table, bytes: &[u8]) -> Result<Chunk, Corrupt> {
        Self::decode_rows(table, bytes, None)
    }

    /// Decodes the rows up to `time_max` only, of a chunk in time order: a read that ends
    /// inside a chunk does not decode the rest of its columns.
    pub fn decode_through(table: &Table, bytes: &[u8], time_max: i64) -> Result<Chunk, Corrupt> {
        Self::decode_rows(table, bytes, Some(time_max))
    }

    fn decode_rows(table: &Table, bytes: &[u8], time_max: Option<i64>) -> Result<Chunk, Corrupt> {
        let mut r = Reader::new(bytes);
        let (header, flags) = Self::read_header(&mut r)?;
        let has_seqs = flags & HAS_SEQS != 0;
        let has_tags = flags & HAS_TAGS != 0;
        let types: Vec<&ColumnType> = stored_types(table).collect();
        let sections = 1 + usize::from(has_seqs) + usize::from(has_tags) + types.len();
        let lengths = (0..sections)
            .map(|_| r.varint().and_then(|n| usize::try_from(n).ok()))
            .collect::<Option<Vec<usize>>>()
            .ok_or(Corrupt)?;
        let mut section = |i: usize| lengths.get(i).and_then(|&n| r.take(n)).ok_or(Corrupt);
        let mut times = Vec::with_capacity(header.rows);
        let mut times_reader = Reader::new(section(0)?);
        ints::decode(&mut times_reader, header.rows, &mut times).ok_or(Corrupt)?;
        // The columns decode one value after another, so stopping early is cheap.
        let rows = match time_max {
            Some(t) => times.partition_point(|&time| time <= t),
            None => header.rows,
        };
        times.truncate(rows);
        let mut next = 1;
        let mut seqs = Vec::new();
        if has_seqs {
            let mut raw = Vec::with_capacity(rows);
            ints::decode(&mut Reader::new(section(next)?), rows, &mut raw).ok_or(Corrupt)?;
            seqs = raw.into_iter().map(|s| s as u64).collect();
            next += 1;
        }
        let mut tags = Vec::new();
        if has_tags {
            let mut raw = Vec::with_capacity(rows);
            ints::decode(&mut Reader::new(section(next)?), rows, &mut raw).ok_or(Corrupt)?;
            tags = raw
                .into_iter()
                .map(u32::try_from)
                .collect::<Result<Vec<u32>, _>>()
                .map_err(|_| Corrupt)?;
            next += 1;
        }
        let first_column = next;
        let mut columns = Vec::with_capacity(types.len());
        for (k, ty) in types.iter().enumerate() {
            let mut cr = Reader::new(section(first_column + k)?);
            columns.push(ColumnData::decode(&mut cr, ty, header.rows, rows).ok_or(Corrupt)?);
        }
        Ok(Chunk {
            times,
            seqs,
            tags,
            columns,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Column, ColumnRole, DefaultValue, TableKind};

    fn stream() -> Table {
        let col = |name: &str, ty| Column {
            name: name.into(),
            ty,
            nullable: true,
            default: DefaultValue::None,
            role: ColumnRole::Plain,
            summarized: false,
        };
        Table::new(
            2,
            "s".into(),
            TableKind::Stream,
            vec![
                col("id", ColumnType::Int32),
                col("name", ColumnType::String { len_max: None }),
                col(
                    "_tp_time",
                    ColumnType::DateTime {
                        precision: 3,
                        tz: None,
                    },
                ),
            ],
        )
        .unwrap()
    }

    #[test]
    fn a_tag_chunk_round_trips_and_is_small() {
        let table = Table::example(1, "T");
        let mut chunk = Chunk::new(&table);
        for i in 0..4096i64 {
            let value = ((20.0 + (i as f64 / 100.0).sin()) * 1000.0).round() / 1000.0;
            let row = [
                Value::Str("tag".into()),
                Value::Time(1_700_000_000_000_000_000 + i * 1_000_000_000),
                Value::Float(value),
            ];
            let time = 1_700_000_000_000_000_000 + i * 1_000_000_000;
            chunk.push_row(&table, RowKey::at(time), &row);
        }
        let mut bytes = Vec::new();
        chunk.encode(&mut bytes);
        assert!(bytes.len() < 4096 * 2, "{} bytes", bytes.len());
        assert_eq!(Chunk::decode(&table, &bytes), Ok(chunk.clone()));
        let header = Chunk::header(&bytes).unwrap();
        assert_eq!(
            (header.rows, header.min_time, header.max_time),
            (4096, chunk.times[0], chunk.times[4095])
        );
        let mut row = Vec::new();
        chunk.read_row(&table, 7, &mut row).unwrap();
        assert_eq!(row[2], Value::Float(chunk_value(&chunk, 7)));
    }

    fn chunk_value(chunk: &Chunk, i: usize) -> f64 {
        let mut v = Value::Null;
        chunk.columns[0]
            .read_into(&ColumnType::Float64, i, &mut v)
            .unwrap();
        v.as_f64().unwrap()
    }

    #[test]
    fn a_stream_chunk_keeps_sequences_and_every_column() {
        let table = stream();
        let mut chunk = Chunk::new(&table);
        let key = |seq| RowKey {
            seq: Some(seq),
            ..RowKey::at(5)
        };
        chunk.push_row(
            &table,
            key(10),
            &[Value::Int(1), Value::Str("a".into()), Value::Time(5)],
        );
        chunk.push_row(&table, key(12), &[Value::Null, Value::Null, Value::Time(5)]);
        let mut bytes = Vec::new();
        chunk.encode(&mut bytes);
        let back = Chunk::decode(&table, &bytes).unwrap();
        assert_eq!(back.seqs, [10, 12]);
        let mut row = Vec::new();
        back.read_row(&table, 1, &mut row).unwrap();
        assert_eq!(row[..2], [Value::Null, Value::Null]);
        let mut copy = Chunk::new(&table);
        copy.push_from(&back, 0);
        copy.push_from(&back, 1);
        assert_eq!(copy, back);
    }

    #[test]
    fn decoding_through_a_time_gives_the_rows_up_to_it() {
        let table = stream();
        let mut chunk = Chunk::new(&table);
        for i in 0..100i64 {
            let key = RowKey {
                time: i / 3,
                seq: Some(i as u64),
                tag: None,
            };
            let id = if i % 7 == 0 {
                Value::Null
            } else {
                Value::Int(i)
            };
            let name = Value::Str(["a", "b"][(i % 2) as usize].into());
            chunk.push_row(&table, key, &[id, name, Value::Time(i / 3)]);
        }
        let mut bytes = Vec::new();
        chunk.encode(&mut bytes);
        for t in [-1, 0, 10, 32, 33, 100] {
            let front = Chunk::decode_through(&table, &bytes, t);
            let front = front.unwrap_or_else(|_| panic!("through {t}"));
            let mut want = Chunk::new(&table);
            for i in 0..chunk.times.iter().filter(|&&x| x <= t).count() {
                want.push_from(&chunk, i);
            }
            assert_eq!(front, want, "through {t}");
        }
    }

    #[test]
    fn corrupt_chunks_are_refused_at_every_cut() {
        let table = stream();
        let mut chunk = Chunk::new(&table);
        for i in 0..20 {
            let key = RowKey {
                time: i,
                seq: Some(i as u64),
                tag: Some(i as u32 % 3),
            };
            chunk.push_row(
                &table,
                key,
                &[Value::Int(i), Value::Str(format!("n{i}")), Value::Time(i)],
            );
        }
        let mut bytes = Vec::new();
        chunk.encode(&mut bytes);
        assert_eq!(Chunk::decode(&table, &bytes).as_ref(), Ok(&chunk));
        for cut in 0..bytes.len() {
            assert_eq!(
                Chunk::decode(&table, &bytes[..cut]),
                Err(Corrupt),
                "cut {cut}"
            );
        }
        let mut huge = vec![VERSION];
        put_varint(&mut huge, u64::MAX);
        assert_eq!(Chunk::header(&huge), Err(Corrupt));
    }
}

#[cfg(test)]
mod density_tests {
    //! The bytes per row of the ingest benchmark's data (`benches/ingest.rs`: 1,000 tags
    //! reporting once a second, time-major, values that drift with noise, 3 decimals), as
    //! a log block (arrival order, many tags) and as sealed per-tag chunks. Guards the
    //! density the storage engine was designed for against a codec change that loses it.
    use super::*;

    fn splitmix64(mut x: u64) -> u64 {
        x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
        x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        x ^ (x >> 31)
    }

    /// Row `i` of the benchmark: (tag, time, value).
    fn bench_row(i: u64) -> (u32, i64, f64) {
        let (tag, point) = (i % 1000, i / 1000);
        let time =
            1_717_200_000_000_000_000 + point as i64 * 1_000_000_000 + tag as i64 * 1_000_000;
        let noise = (splitmix64(i) >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let wave = (point as f64 / 600.0 + tag as f64 * 0.618).sin();
        let value = 15.0 + (tag % 23) as f64 + 4.0 * wave + 0.25 * noise;
        (tag as u32, time, (value * 1000.0).round() / 1000.0)
    }

    fn row_values(time: i64, value: f64) -> [Value; 3] {
        [Value::Null, Value::Time(time), Value::Float(value)]
    }

    #[test]
    fn benchmark_rows_cost_about_two_bytes_logged_or_sealed() {
        let table = Table::example(1, "T");
        let mut logged = 0;
        for batch in 0..25u64 {
            let mut block = Chunk::new(&table);
            for i in batch * 4096..(batch + 1) * 4096 {
                let (tag, time, value) = bench_row(i);
                let key = RowKey {
                    tag: Some(tag),
                    ..RowKey::at(time)
                };
                block.push_row(&table, key, &row_values(time, value));
            }
            let mut bytes = Vec::new();
            block.encode(&mut bytes);
            logged += bytes.len();
        }
        let logged_per_row = logged as f64 / (25.0 * 4096.0);
        let mut sealed = 0;
        for tag in 0..1000u64 {
            let mut chunk = Chunk::new(&table);
            for point in 0..1000u64 {
                let (_, time, value) = bench_row(point * 1000 + tag);
                chunk.push_row(&table, RowKey::at(time), &row_values(time, value));
            }
            let mut bytes = Vec::new();
            chunk.encode(&mut bytes);
            sealed += bytes.len();
        }
        let sealed_per_row = sealed as f64 / 1e6;
        // Measured when written: 2.06 and 1.80.
        assert!(
            logged_per_row < 2.5,
            "log block: {logged_per_row:.2} bytes per row"
        );
        assert!(
            sealed_per_row < 2.2,
            "sealed chunk: {sealed_per_row:.2} bytes per row"
        );
    }
}
