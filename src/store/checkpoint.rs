//! Sealing: turning a table's head into parts. The head's rows are sorted per series (a tag
//! table keeping the last row of each (tag, time)), cut into chunks of at most
//! `CHUNK_ROWS_MAX` rows that never cross a time window, and written as one new part per
//! window with a bulk ingestion (no journal, no memtable: the chunks are written once).
//!
//! The writer publishes the parts (`Writer::checkpoint`): a new manifest in the same fjall
//! batch as nothing else, fsynced, then an empty head of the next generation. Until then
//! readers use the head, after it the parts; a reader holding both skips head rows whose
//! generation the parts it holds already cover.
//!
//! Invariants:
//! - Ingested keys strictly increase (checked, so a bug is an error, not fjall's panic).
//! - A part holds rows of one window only, so retention can drop whole parts.

use std::collections::BTreeMap;

use fjall::{Database, KeyspaceCreateOptions};

use super::StoreError;
use super::chunk::{Chunk, Header};
use super::head::TableHead;
use super::parts::{Part, decode_series_key, keyspace_name, series_key, stretch_key};
use super::scan::{ScanSpec, TagSelection};
use crate::catalog::{Table, TableKind};
use crate::limits::{CHUNK_ROWS_MAX, PARTITION_WIDTH_NS};

/// The rows of one new part, encoded and in key order.
#[derive(Default)]
pub(super) struct PartData {
    entries: Vec<(Vec<u8>, Vec<u8>)>,
    min_time: Option<i64>,
    max_time: Option<i64>,
    rows: u64,
    bytes: u64,
}

impl PartData {
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn add(&mut self, key: Vec<u8>, chunk: &Chunk) {
        let (Some(&first), Some(&last)) = (chunk.times.first(), chunk.times.last()) else {
            return;
        };
        let mut value = Vec::new();
        chunk.encode(&mut value);
        self.min_time = Some(self.min_time.map_or(first, |t| t.min(first)));
        self.max_time = Some(self.max_time.map_or(last, |t| t.max(last)));
        self.rows += chunk.len() as u64;
        self.bytes += (key.len() + value.len()) as u64;
        self.entries.push((key, value));
    }

    /// Adds a chunk as it was encoded, described by its header.
    fn add_encoded(&mut self, key: Vec<u8>, value: Vec<u8>, header: Header) {
        self.min_time = Some(
            self.min_time
                .map_or(header.min_time, |t| t.min(header.min_time)),
        );
        self.max_time = Some(
            self.max_time
                .map_or(header.max_time, |t| t.max(header.max_time)),
        );
        self.rows += header.rows as u64;
        self.bytes += (key.len() + value.len()) as u64;
        self.entries.push((key, value));
    }
}

/// The start of the time window holding `time`.
pub(super) fn window_of(time: i64) -> i64 {
    time.div_euclid(PARTITION_WIDTH_NS) * PARTITION_WIDTH_NS
}

/// The parts the head's rows make, by window.
pub(super) fn seal(table: &Table, head: &TableHead) -> BTreeMap<i64, PartData> {
    let mut parts: BTreeMap<i64, PartData> = BTreeMap::new();
    for tag in head.tags() {
        let rows = head.read(table, tag, i64::MIN, i64::MAX);
        let series = (table.kind == TableKind::Tag).then_some(tag);
        let mut chunk = Chunk::new(table);
        let mut window = None;
        let mut flush = |chunk: &mut Chunk, window: i64| {
            let first = chunk.times.first().copied().unwrap_or(0);
            let key = match series {
                Some(tag) => series_key(tag, first).to_vec(),
                None => stretch_key(first, chunk.seqs.first().copied().unwrap_or(0)).to_vec(),
            };
            parts.entry(window).or_default().add(key, chunk);
            *chunk = Chunk::new(table);
        };
        for (i, &time) in rows.times.iter().enumerate() {
            let w = window_of(time);
            if let Some(current) = window
                && (current != w || chunk.len() >= CHUNK_ROWS_MAX)
            {
                flush(&mut chunk, current);
            }
            window = Some(w);
            chunk.push_from(&rows, i);
        }
        if let Some(current) = window {
            flush(&mut chunk, current);
        }
    }
    parts
}

/// The rows of `part` that `spec` does not select, as the data of a new part, and how many
/// rows it does select. Chunks holding no selected row are carried over as they are.
pub(super) fn without(
    table: &Table,
    part: &Part,
    spec: &ScanSpec,
) -> Result<(PartData, u64), StoreError> {
    let mut kept = PartData::default();
    let mut removed = 0u64;
    let in_time = |t: i64| t >= spec.time_min && t <= spec.time_max;
    for guard in part.keyspace.iter() {
        let (key, value) = guard.into_inner()?;
        let selected_tag = match (table.kind, &spec.tags) {
            (TableKind::Tag, TagSelection::Ids(ids)) => {
                let tag = decode_series_key(&key)
                    .map(|(tag, _)| tag)
                    .ok_or_else(|| StoreError::Corrupt(format!("undecodable chunk key {key:?}")))?;
                ids.contains(&tag)
            }
            _ => true,
        };
        let header = Chunk::header(&value)?;
        if !selected_tag || header.max_time < spec.time_min || header.min_time > spec.time_max {
            kept.add_encoded(key.to_vec(), value.to_vec(), header);
            continue;
        }
        let chunk = Chunk::decode(table, &value)?;
        let mut rest = Chunk::new(table);
        for (i, &t) in chunk.times.iter().enumerate() {
            if in_time(t) {
                removed += 1;
            } else {
                rest.push_from(&chunk, i);
            }
        }
        if let Some(&first) = rest.times.first() {
            let key = match decode_series_key(&key) {
                Some((tag, _)) if table.kind == TableKind::Tag => series_key(tag, first).to_vec(),
                _ => stretch_key(first, rest.seqs.first().copied().unwrap_or(0)).to_vec(),
            };
            kept.add(key, &rest);
        }
    }
    // Cutting a chunk can move its key; the ingestion needs them in order.
    kept.entries.sort_by(|a, b| a.0.cmp(&b.0));
    Ok((kept, removed))
}

/// Parts are read by range only, never by point lookups, and chunks are compressed already.
pub(super) fn part_keyspace_options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .filter_policy(fjall::config::FilterPolicy::disabled())
        .index_block_pinning_policy(fjall::config::PinningPolicy::disabled())
}

/// Writes `data` as part `id` of table `table_id`, window `window`.
pub(super) fn write_part(
    db: &Database,
    table_id: u32,
    id: u64,
    window: i64,
    data: PartData,
) -> Result<Part, StoreError> {
    if data.entries.windows(2).any(|w| w[0].0 >= w[1].0) {
        return Err(StoreError::Corrupt(format!(
            "BUG: the chunks of part {id} of table {table_id} are not in key order"
        )));
    }
    let keyspace = db.keyspace(&keyspace_name(table_id, id), part_keyspace_options)?;
    let mut ingestion = keyspace.start_ingestion()?;
    for (key, value) in data.entries {
        ingestion.write(key, value)?;
    }
    ingestion.finish()?;
    Ok(Part {
        id,
        keyspace,
        window,
        min_time: data.min_time.unwrap_or(window),
        max_time: data.max_time.unwrap_or(window),
        rows: data.rows,
        bytes: data.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn a_head_seals_into_one_part_per_window_with_bounded_chunks() {
        let table = Table::example(1, "T");
        let mut head = TableHead::new(1);
        let day = PARTITION_WIDTH_NS;
        let step = day / (CHUNK_ROWS_MAX as i64 * 2);
        for i in 0..(CHUNK_ROWS_MAX as i64 * 3) {
            let time = i * step;
            let row = [Value::Str("a".into()), Value::Time(time), Value::Float(1.0)];
            head.push(&table, 4, time, None, &row);
        }
        head.push(
            &table,
            9,
            -1,
            None,
            &[Value::Null, Value::Time(-1), Value::Null],
        );
        let parts = seal(&table, &head);
        assert_eq!(parts.keys().copied().collect::<Vec<_>>(), [-day, 0, day]);
        let today = &parts[&0];
        assert_eq!(today.rows, CHUNK_ROWS_MAX as u64 * 2);
        assert_eq!(today.entries.len(), 2);
        assert_eq!(
            (today.min_time, today.max_time),
            (Some(0), Some(day - step))
        );
        assert_eq!(parts[&-day].rows, 1);
        assert!(
            parts
                .values()
                .all(|p| p.entries.windows(2).all(|w| w[0].0 < w[1].0))
        );
    }
}
