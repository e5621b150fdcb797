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
use std::sync::Arc;

use fjall::{Database, KeyspaceCreateOptions};

use super::StoreError;
use super::chunk::{Chunk, Header, RowKey};
use super::cursor::{Merge, Window};
use super::head::TableHead;
use super::parts::{Part, Parts, decode_series_key, keyspace_name, series_key, stretch_key};
use super::scan::{ScanSpec, TagSelection};
use crate::catalog::{Table, TableKind};
use crate::limits::{CHUNK_ROWS_MAX, MERGE_FANOUT, PARTITION_WIDTH_NS, WINDOW_PARTS_MAX};

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
            let key = chunk_key(series, chunk);
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
    // Sorted once, so that a DELETE naming many tags costs a binary search per chunk.
    let selected_ids = match &spec.tags {
        TagSelection::Ids(ids) => {
            let mut sorted = ids.clone();
            sorted.sort_unstable();
            sorted.dedup();
            sorted
        }
        TagSelection::All => Vec::new(),
    };
    for guard in part.keyspace.iter() {
        let (key, value) = guard.into_inner()?;
        let selected_tag = match (table.kind, &spec.tags) {
            (TableKind::Tag, TagSelection::Ids(_)) => {
                let tag = decode_series_key(&key)
                    .map(|(tag, _)| tag)
                    .ok_or_else(|| StoreError::Corrupt(format!("undecodable chunk key {key:?}")))?;
                selected_ids.binary_search(&tag).is_ok()
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
        if !rest.is_empty() {
            let tag = decode_series_key(&key)
                .filter(|_| table.kind == TableKind::Tag)
                .map(|(tag, _)| tag);
            kept.add(chunk_key(tag, &rest), &rest);
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

/// What a new part is called and where it ranks.
#[derive(Debug, Clone, Copy)]
pub(super) struct NewPart {
    pub id: u64,
    pub rank: u64,
    pub window: i64,
}

/// Where a new part's chunks go as they are made, in key order: straight into its bulk
/// ingestion, with the part's statistics kept on the way.
pub(super) struct PartSink<'a> {
    write: &'a mut dyn FnMut(Vec<u8>, Vec<u8>) -> Result<(), StoreError>,
    first_key: Option<Vec<u8>>,
    last_key: Option<Vec<u8>>,
    min_time: Option<i64>,
    max_time: Option<i64>,
    rows: u64,
    bytes: u64,
}

impl PartSink<'_> {
    pub fn add(&mut self, key: Vec<u8>, chunk: &Chunk) -> Result<(), StoreError> {
        let mut value = Vec::new();
        chunk.encode(&mut value);
        let header = Chunk::header(&value)?;
        self.add_encoded(key, value, header)
    }

    fn add_encoded(
        &mut self,
        key: Vec<u8>,
        value: Vec<u8>,
        header: Header,
    ) -> Result<(), StoreError> {
        // fjall's ingestion panics on keys out of order: a bug here must be an error instead.
        if self.last_key.as_ref().is_some_and(|last| *last >= key) {
            return Err(StoreError::Corrupt(
                "BUG: a new part's chunks are not in key order".into(),
            ));
        }
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
        if self.first_key.is_none() {
            self.first_key = Some(key.clone());
        }
        self.last_key = Some(key.clone());
        (self.write)(key, value)
    }
}

impl PartData {
    fn replay(self, sink: &mut PartSink<'_>) -> Result<(), StoreError> {
        for (key, value) in self.entries {
            let header = Chunk::header(&value)?;
            sink.add_encoded(key, value, header)?;
        }
        Ok(())
    }
}

/// Writes a new part of table `table_id` whose chunks `fill` hands to the sink in key order.
pub(super) fn write_part(
    db: &Database,
    table_id: u32,
    new: NewPart,
    fill: impl FnOnce(&mut PartSink<'_>) -> Result<(), StoreError>,
) -> Result<Part, StoreError> {
    let keyspace = db.keyspace(&keyspace_name(table_id, new.id), part_keyspace_options)?;
    let mut ingestion = keyspace.start_ingestion()?;
    let mut write = |key: Vec<u8>, value: Vec<u8>| -> Result<(), StoreError> {
        Ok(ingestion.write(key, value)?)
    };
    let mut sink = PartSink {
        write: &mut write,
        first_key: None,
        last_key: None,
        min_time: None,
        max_time: None,
        rows: 0,
        bytes: 0,
    };
    fill(&mut sink)?;
    let (min_time, max_time, rows, bytes) = (sink.min_time, sink.max_time, sink.rows, sink.bytes);
    // Keys of a tag table's part start with the tag, in order: the first and last name the
    // range of tags it holds. A stream's part is one series, 0.
    let tag_of = |key: &Option<Vec<u8>>| {
        key.as_deref()
            .and_then(decode_series_key)
            .map_or(0, |(tag, _)| tag)
    };
    let tags = (tag_of(&sink.first_key), tag_of(&sink.last_key));
    ingestion.finish()?;
    Ok(Part {
        id: new.id,
        rank: new.rank,
        keyspace,
        window: new.window,
        tags,
        min_time: min_time.unwrap_or(new.window),
        max_time: max_time.unwrap_or(new.window),
        rows,
        bytes,
    })
}

/// Writes `data` (a sealed head's or a rewritten part's chunks) as a new part.
pub(super) fn write_data(
    db: &Database,
    table_id: u32,
    new: NewPart,
    data: PartData,
) -> Result<Part, StoreError> {
    write_part(db, table_id, new, |sink| data.replay(sink))
}

/// Merges `inputs`, parts of one window with consecutive ranks, into one new part: each
/// series' rows in time order, a tag table keeping the newest part's row of each time. It
/// streams: memory is a decoded chunk per input and the chunk being built.
pub(super) fn merge(
    db: &Database,
    table: &Arc<Table>,
    inputs: &[Arc<Part>],
    new: NewPart,
) -> Result<Part, StoreError> {
    let everything = Window {
        time_min: i64::MIN,
        time_max: i64::MAX,
        reverse: false,
    };
    write_part(db, table.id, new, |sink| {
        if table.kind != TableKind::Tag {
            let mut rows = Merge::new(table, inputs, None, Chunk::new(table), everything)?;
            return write_series(sink, table, &mut rows, None);
        }
        // Tag after tag, each input walked once (a seek per tag and input cost seconds over
        // hundreds of thousands of tags).
        let mut rows: Option<Merge> = None;
        loop {
            let next = match &mut rows {
                Some(merge) => merge.next_walk_tag()?,
                None => first_tag(inputs)?,
            };
            let Some(tag) = next else {
                return Ok(());
            };
            let mut merge = match rows.take() {
                Some(mut merge) => {
                    merge.walk_to(tag, Chunk::new(table))?;
                    merge
                }
                None => Merge::walking(table, inputs, tag, Chunk::new(table), everything)?,
            };
            write_series(sink, table, &mut merge, Some(tag))?;
            rows = Some(merge);
        }
    })
}

/// The smallest tag with chunks in any of `parts`.
fn first_tag(parts: &[Arc<Part>]) -> Result<Option<u32>, StoreError> {
    let mut first: Option<u32> = None;
    for part in parts {
        if let Some(guard) = part.keyspace.iter().next() {
            let key = guard.key()?;
            let (tag, _) = decode_series_key(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("undecodable chunk key {key:?}")))?;
            first = Some(first.map_or(tag, |f| f.min(tag)));
        }
    }
    Ok(first)
}

/// Writes the rows of one series (`tag`, or a log table's or stream's) as chunks of at most
/// `CHUNK_ROWS_MAX` rows.
fn write_series(
    sink: &mut PartSink<'_>,
    table: &Table,
    rows: &mut Merge,
    tag: Option<u32>,
) -> Result<(), StoreError> {
    let mut row = Vec::new();
    let mut chunk = Chunk::new(table);
    while let Some((time, seq)) = rows.next_row(&mut row)? {
        let key = RowKey {
            time,
            seq: tag.is_none().then_some(seq),
            tag: None,
        };
        chunk.push_row(table, key, &row);
        if chunk.len() >= CHUNK_ROWS_MAX {
            sink.add(chunk_key(tag, &chunk), &chunk)?;
            chunk = Chunk::new(table);
        }
    }
    if !chunk.is_empty() {
        sink.add(chunk_key(tag, &chunk), &chunk)?;
    }
    Ok(())
}

/// The key of a sealed chunk of series `tag` (tag tables) or of a log table or stream: its
/// last row's time (and sequence), see `parts`.
fn chunk_key(tag: Option<u32>, chunk: &Chunk) -> Vec<u8> {
    let last = chunk.times.last().copied().unwrap_or(0);
    match tag {
        Some(tag) => series_key(tag, last).to_vec(),
        None => stretch_key(last, chunk.seqs.last().copied().unwrap_or(0)).to_vec(),
    }
}

/// The size class of a part for merging: parts whose sizes are within a factor of
/// `MERGE_FANOUT` of each other share one, so a merge combines parts of similar size and
/// every row is rewritten about log(parts) times, not once per checkpoint.
fn size_class(bytes: u64) -> u32 {
    const SMALLEST_BYTES: u64 = 64 << 10;
    let mut class = 0;
    let mut size = SMALLEST_BYTES;
    while bytes > size && class < 32 {
        size = size.saturating_mul(MERGE_FANOUT as u64);
        class += 1;
    }
    class
}

/// The parts to merge next, if any: in one window, the newest run of at least `MERGE_FANOUT`
/// consecutive parts of one size class, or the newest `MERGE_FANOUT` when a window holds more
/// than `WINDOW_PARTS_MAX` parts.
pub(super) fn merge_candidates(parts: &Parts) -> Option<Vec<Arc<Part>>> {
    let mut windows: BTreeMap<i64, Vec<Arc<Part>>> = BTreeMap::new();
    for part in &parts.list {
        windows
            .entry(part.window)
            .or_default()
            .push(Arc::clone(part));
    }
    let mut best: Option<Vec<Arc<Part>>> = None;
    for list in windows.values() {
        let candidate = if list.len() > WINDOW_PARTS_MAX {
            Some(list[list.len() - MERGE_FANOUT..].to_vec())
        } else {
            // Runs of one class, newest first.
            let mut run: Vec<Arc<Part>> = Vec::new();
            let mut found = None;
            for part in list.iter().rev() {
                if run
                    .last()
                    .is_some_and(|last| size_class(last.bytes) != size_class(part.bytes))
                {
                    run.clear();
                }
                run.push(Arc::clone(part));
                if run.len() >= MERGE_FANOUT {
                    found = Some(run.iter().rev().cloned().collect::<Vec<_>>());
                    break;
                }
            }
            found
        };
        let total = |parts: &[Arc<Part>]| parts.iter().map(|p| p.bytes).sum::<u64>();
        if let Some(c) = candidate
            && best.as_ref().is_none_or(|b| total(&c) < total(b))
        {
            best = Some(c);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;

    #[test]
    fn a_head_seals_into_one_part_per_window_with_bounded_chunks() {
        let table = Table::example(1, "T");
        let mut head = TableHead::new(&table, 1);
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
