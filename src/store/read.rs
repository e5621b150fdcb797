//! Scanning a chunked table: rows come from its sealed parts and its head, merged (`cursor`).
//!
//! A tag table is read tag by tag, in tag id order (reverse order for a reverse scan), each
//! tag's rows in time order; or, `by_time`, every selected tag's rows in one time order. A
//! log table or stream is read in (time, sequence) order. Rows come back with every column
//! filled, the key columns from the row keys.
//!
//! Consistency: each series is read from one moment's parts and head, taken together under
//! the table's lock, so a batch is seen whole or not at all within a series, and a row is
//! never read twice or missed across a checkpoint. Between series a tag-by-tag scan keeps only
//! its part walks (`Walks`), dropped at the next series once a checkpoint or merge has
//! replaced those parts, so a slow reader pins no head copy, and no retired part for longer
//! than one series; a long scan over many tags may see, for later tags, batches committed
//! after it started.
//!
//! Tag names over every tag come from walking the tag dictionary in id order alongside
//! (`Dictionary`), a page of names at a time: one step per tag, never a lookup per row.

use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use fjall::Keyspace;

use super::StoreError;
use super::chunk::Chunk;
use super::chunked::Chunked;
use super::cursor::{Merge, Window};
use super::parts::Parts;
use super::scan::{ScanSpec, TagSelection};
use super::writer::{tag_id_key, tag_id_prefix};
use crate::catalog::{Table, TableKind};
use crate::limits::MERGE_OPEN_TAGS_MAX;
use crate::value::Value;

/// Dictionary entries read per page.
const DICTIONARY_PAGE: usize = 256;

pub(super) struct ChunkScan {
    chunked: Arc<Chunked>,
    table: Arc<Table>,
    window: Window,
    mode: Mode,
}

enum Mode {
    /// A tag table, one tag after another.
    TagByTag {
        tags: Tags,
        current: Option<(Merge, String)>,
        walks: Walks,
    },
    /// A tag table's selected tags in one time order.
    ByTime(TimeMerge),
    /// A log table or stream.
    Stretch(Merge),
    Done,
}

/// The merge a tag-by-tag scan carries from one tag to the next, walking the parts it was
/// made over (`Merge::walking`) while they stay the table's parts; a checkpoint or merge in
/// between makes the next tag start a new one.
#[derive(Default)]
struct Walks {
    parts: Option<Arc<Parts>>,
    spare: Option<Merge>,
}

impl Walks {
    /// A merge over `parts` at `tag`: the spare one moved on if it walks these very parts.
    fn merge(
        &mut self,
        table: &Arc<Table>,
        parts: &Arc<Parts>,
        tag: u32,
        head: Chunk,
        window: Window,
    ) -> Result<Merge, StoreError> {
        let same = self.parts.as_ref().is_some_and(|p| Arc::ptr_eq(p, parts));
        match self.spare.take() {
            Some(mut merge) if same => {
                merge.walk_to(tag, head)?;
                Ok(merge)
            }
            _ => {
                self.parts = Some(Arc::clone(parts));
                Merge::walking(table, &parts.list, tag, head, window)
            }
        }
    }
}

/// The tags a tag-by-tag scan visits, with their names, in the scan's order.
enum Tags {
    /// Listed (id, name) pairs, the next one last.
    Listed(Vec<(u32, String)>),
    All(Dictionary),
}

impl ChunkScan {
    pub fn new(
        chunked: Arc<Chunked>,
        names: Keyspace,
        table: Arc<Table>,
        spec: &ScanSpec,
    ) -> Result<ChunkScan, StoreError> {
        let window = Window {
            time_min: spec.time_min,
            time_max: spec.time_max,
            reverse: spec.reverse,
        };
        let mode = if spec.time_min > spec.time_max {
            Mode::Done
        } else if table.kind != TableKind::Tag {
            let (parts, head) = chunked.series(&table, 0, window);
            Mode::Stretch(Merge::new(&table, &parts.list, None, head, window)?)
        } else {
            let listed = match &spec.tags {
                TagSelection::Ids(ids) => Some(listed_names(&names, &table, ids)?),
                TagSelection::All => None,
            };
            if spec.by_time {
                let tags = match listed {
                    Some(tags) => tags,
                    None => Dictionary::new(names, table.id, false).collect_all()?,
                };
                Mode::ByTime(TimeMerge::new(&chunked, &table, tags, window)?)
            } else {
                let tags = match listed {
                    Some(mut tags) => {
                        // Popped from the end: the first tag to read goes last.
                        if !spec.reverse {
                            tags.reverse();
                        }
                        Tags::Listed(tags)
                    }
                    None => Tags::All(Dictionary::new(names, table.id, spec.reverse)),
                };
                Mode::TagByTag {
                    tags,
                    current: None,
                    walks: Walks::default(),
                }
            }
        };
        Ok(ChunkScan {
            chunked,
            table,
            window,
            mode,
        })
    }

    /// Reads the next row of a log table or stream into `out` and answers its sequence;
    /// `None` at the end.
    pub fn next_row_with_seq(&mut self, out: &mut Vec<Value>) -> Result<Option<u64>, StoreError> {
        let Mode::Stretch(merge) = &mut self.mode else {
            return Ok(None);
        };
        let Some((time, seq)) = merge.next_row(out)? else {
            self.mode = Mode::Done;
            return Ok(None);
        };
        set_time(&self.table, out, time);
        Ok(Some(seq))
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        let table = &self.table;
        loop {
            match &mut self.mode {
                Mode::Done => return Ok(false),
                Mode::Stretch(merge) => {
                    let Some((time, _)) = merge.next_row(out)? else {
                        self.mode = Mode::Done;
                        continue;
                    };
                    set_time(table, out, time);
                    return Ok(true);
                }
                Mode::ByTime(merge) => {
                    return merge.next_row(&self.chunked, table, out);
                }
                Mode::TagByTag {
                    tags,
                    current,
                    walks,
                } => {
                    if let Some((merge, name)) = current {
                        if let Some((time, _)) = merge.next_row(out)? {
                            set_time(table, out, time);
                            if let Some(slot) = table.tag_column.and_then(|i| out.get_mut(i)) {
                                slot.set_str(name);
                            }
                            return Ok(true);
                        }
                        walks.spare = current.take().map(|(merge, _)| merge);
                    }
                    let next = match tags {
                        Tags::Listed(list) => list.pop(),
                        Tags::All(dictionary) => dictionary.next()?,
                    };
                    let Some((tag, name)) = next else {
                        self.mode = Mode::Done;
                        continue;
                    };
                    let (parts, head) = self.chunked.series(table, tag, self.window);
                    let merge = walks.merge(table, &parts, tag, head, self.window)?;
                    *current = Some((merge, name));
                }
            }
        }
    }
}

fn set_time(table: &Table, out: &mut [Value], time: i64) {
    if let Some(slot) = table.time_column.and_then(|i| out.get_mut(i)) {
        *slot = Value::Time(time);
    }
}

/// The names of listed tag ids, ascending and without duplicates; an id without a name has
/// no rows either and is left out.
fn listed_names(
    names: &Keyspace,
    table: &Table,
    ids: &[u32],
) -> Result<Vec<(u32, String)>, StoreError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(name) = names.get(tag_id_key(table.id, id))? {
            out.push((id, name_of(id, &name)?));
        }
    }
    Ok(out)
}

fn name_of(id: u32, bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("tag {id} name is not UTF-8")))
}

/// The tag dictionary of one table, walked in id order (or reverse) a page at a time, each
/// page from a fresh iterator, so the walk pins nothing between pages.
pub(super) struct Dictionary {
    names: Keyspace,
    table_id: u32,
    reverse: bool,
    page: VecDeque<(u32, String)>,
    /// The last id read; the next page starts past it.
    last: Option<u32>,
    done: bool,
}

impl Dictionary {
    pub fn new(names: Keyspace, table_id: u32, reverse: bool) -> Dictionary {
        Dictionary {
            names,
            table_id,
            reverse,
            page: VecDeque::new(),
            last: None,
            done: false,
        }
    }

    pub fn next(&mut self) -> Result<Option<(u32, String)>, StoreError> {
        if self.page.is_empty() && !self.done {
            self.fill()?;
        }
        Ok(self.page.pop_front())
    }

    fn fill(&mut self) -> Result<(), StoreError> {
        let prefix = tag_id_prefix(self.table_id);
        let (lo, hi) = match (self.last, self.reverse) {
            (None, _) => (
                tag_id_key(self.table_id, 0),
                tag_id_key(self.table_id, u32::MAX),
            ),
            (Some(last), false) => match last.checked_add(1) {
                Some(next) => (
                    tag_id_key(self.table_id, next),
                    tag_id_key(self.table_id, u32::MAX),
                ),
                None => {
                    self.done = true;
                    return Ok(());
                }
            },
            (Some(last), true) => match last.checked_sub(1) {
                Some(next) => (
                    tag_id_key(self.table_id, 0),
                    tag_id_key(self.table_id, next),
                ),
                None => {
                    self.done = true;
                    return Ok(());
                }
            },
        };
        let mut iter = self.names.range(lo..=hi);
        while self.page.len() < DICTIONARY_PAGE {
            let guard = if self.reverse {
                iter.next_back()
            } else {
                iter.next()
            };
            let Some(guard) = guard else {
                self.done = true;
                break;
            };
            let (key, value) = guard.into_inner()?;
            if !key.starts_with(&prefix) {
                continue;
            }
            let id = key
                .get(5..9)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt(format!("undecodable tag key {key:?}")))?;
            self.last = Some(id);
            self.page.push_back((id, name_of(id, &value)?));
        }
        Ok(())
    }

    /// Every (id, name), ascending.
    fn collect_all(mut self) -> Result<Vec<(u32, String)>, StoreError> {
        let mut all = Vec::new();
        while let Some(entry) = self.next()? {
            all.push(entry);
        }
        Ok(all)
    }
}

/// Several tags' rows in one time order: a heap over per-tag cursors keyed by each tag's next
/// time. A cursor learns that time from chunk headers without decoding (`Merge::peek`), so
/// starting costs a seek per tag and part, and only the tags whose rows are taken decode. At
/// most `MERGE_OPEN_TAGS_MAX` cursors keep their merge (and its chunks) open; another one
/// re-opens its tag from its next time, from that moment's parts and head, when it comes up.
/// Equal times come in tag id order (falling for a descending merge).
struct TimeMerge {
    cursors: Vec<TagCursor>,
    /// (order key of the cursor's next time, order key of its tag, cursor index); the largest
    /// comes out first, so an ascending merge stores complemented keys.
    heap: BinaryHeap<(u64, u32, usize)>,
    window: Window,
    /// Cursors with an open merge, the least recently used first.
    open: VecDeque<usize>,
}

struct TagCursor {
    tag: u32,
    name: String,
    merge: Option<Merge>,
    /// The time of the tag's next row; `None` once its rows are used up.
    next: Option<i64>,
}

fn order_key(time: i64, reverse: bool) -> u64 {
    let flipped = (time as u64) ^ (1 << 63);
    if reverse { flipped } else { !flipped }
}

impl TimeMerge {
    fn new(
        chunked: &Chunked,
        table: &Arc<Table>,
        tags: Vec<(u32, String)>,
        window: Window,
    ) -> Result<TimeMerge, StoreError> {
        let mut merge = TimeMerge {
            cursors: Vec::with_capacity(tags.len()),
            heap: BinaryHeap::new(),
            window,
            open: VecDeque::new(),
        };
        for (index, (tag, name)) in tags.into_iter().enumerate() {
            let (parts, head) = chunked.series(table, tag, window);
            let rows = Merge::new(table, &parts.list, Some(tag), head, window)?;
            merge.cursors.push(TagCursor {
                tag,
                name,
                next: rows.peek(),
                merge: None,
            });
            merge.push(index);
        }
        Ok(merge)
    }

    fn push(&mut self, index: usize) {
        let reverse = self.window.reverse;
        if let Some(cursor) = self.cursors.get(index)
            && let Some(time) = cursor.next
        {
            let tag_key = if reverse { cursor.tag } else { !cursor.tag };
            self.heap.push((order_key(time, reverse), tag_key, index));
        }
    }

    fn next_row(
        &mut self,
        chunked: &Chunked,
        table: &Arc<Table>,
        out: &mut Vec<Value>,
    ) -> Result<bool, StoreError> {
        let Some((_, _, index)) = self.heap.pop() else {
            return Ok(false);
        };
        let window = self.window;
        let Some(cursor) = self.cursors.get_mut(index) else {
            return Ok(false);
        };
        let Some(from) = cursor.next else {
            return Ok(false);
        };
        if cursor.merge.is_none() {
            let rest = if window.reverse {
                Window {
                    time_max: from,
                    ..window
                }
            } else {
                Window {
                    time_min: from,
                    ..window
                }
            };
            let (parts, head) = chunked.series(table, cursor.tag, rest);
            cursor.merge = Some(Merge::new(
                table,
                &parts.list,
                Some(cursor.tag),
                head,
                rest,
            )?);
        }
        let Some(rows) = cursor.merge.as_mut() else {
            return Ok(false);
        };
        let Some((time, _)) = rows.next_row(out)? else {
            return Ok(false);
        };
        cursor.next = rows.peek();
        set_time(table, out, time);
        if let Some(slot) = table.tag_column.and_then(|i| out.get_mut(i)) {
            slot.set_str(&cursor.name);
        }
        self.open.retain(|&i| i != index);
        self.open.push_back(index);
        if self.open.len() > MERGE_OPEN_TAGS_MAX
            && let Some(evicted) = self.open.pop_front()
            && let Some(cold) = self.cursors.get_mut(evicted)
        {
            cold.merge = None;
        }
        self.push(index);
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::TableKind;
    use crate::store::{Durability, RowBatch, Scan, ScanSpec, Store, TagSelection};

    struct Fixture {
        store: Store,
        table: Arc<Table>,
        writer: Option<super::super::writer::WriterThread>,
        dir: std::path::PathBuf,
    }

    impl Drop for Fixture {
        fn drop(&mut self) {
            self.store.close();
            if let Some(w) = self.writer.take() {
                w.join();
            }
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }

    fn fixture(name: &str) -> Fixture {
        let dir = std::env::temp_dir().join(format!("tidegate-scan-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opened = Store::open(&dir, std::time::Duration::from_secs(1)).unwrap();
        let table = smol::block_on(opened.store.create_table(Table::example(0, "T"))).unwrap();
        Fixture {
            store: opened.store,
            table: Arc::new(table),
            writer: Some(opened.writer),
            dir,
        }
    }

    impl Fixture {
        fn write(&self, rows: &[(&str, i64)]) {
            let mut batch = RowBatch::new(Arc::clone(&self.table), 0);
            for (tag, time) in rows {
                batch
                    .push(&[
                        Value::Str((*tag).into()),
                        Value::Time(*time),
                        Value::Float(*time as f64),
                    ])
                    .unwrap();
            }
            smol::block_on(async {
                let ack = self.store.submit(batch, Durability::Applied).await;
                ack.unwrap().wait().await.unwrap();
            });
        }

        fn read(&self, spec: ScanSpec) -> Vec<(String, i64)> {
            let mut scan = self.store.scan(&self.table, spec).unwrap();
            let mut row = Vec::new();
            let mut out = Vec::new();
            while scan.next_row(&mut row).unwrap() {
                match (&row[0], &row[1]) {
                    (Value::Str(tag), Value::Time(t)) => out.push((tag.to_string(), *t)),
                    other => panic!("unexpected row {other:?}"),
                }
            }
            out
        }
    }

    /// Tags a, b, c with interleaved and equal times, written in several batches so the
    /// merge reads from more than one memtable.
    fn three_tags(f: &Fixture) -> Vec<(String, i64)> {
        let mut all = Vec::new();
        for round in 0..4i64 {
            let mut rows = Vec::new();
            for (i, tag) in ["c", "a", "b"].iter().enumerate() {
                for k in 0..100i64 {
                    let time = -5_000 + round * 1_000 + k * 7 + i as i64 * 3 + (k % 2) * 1_000;
                    rows.push((*tag, time));
                    all.push((tag.to_string(), time));
                }
            }
            f.write(&rows);
        }
        all.sort();
        all.dedup();
        all
    }

    fn by_time(tags: TagSelection, time_min: i64, time_max: i64, reverse: bool) -> ScanSpec {
        ScanSpec {
            tags,
            time_min,
            time_max,
            reverse,
            by_time: true,
        }
    }

    fn tag_order(rows: &[(String, i64)], ids: &[(&str, u32)]) -> Vec<(i64, u32)> {
        rows.iter()
            .map(|(tag, t)| {
                let id = ids
                    .iter()
                    .find(|(n, _)| n == tag)
                    .map(|(_, id)| *id)
                    .unwrap();
                (*t, id)
            })
            .collect()
    }

    #[test]
    fn merged_scan_is_in_time_order_in_both_directions_with_any_bounds() {
        let f = fixture("merge");
        let all = three_tags(&f);
        let ids: Vec<(&str, u32)> = ["a", "b", "c"]
            .iter()
            .map(|n| (*n, f.store.tag_id(f.table.id, n).unwrap().unwrap()))
            .collect();
        for (lo, hi) in [
            (i64::MIN, i64::MAX),
            (-4_000, 0),
            (-3_001, -2_999),
            (9_000, 9_999),
        ] {
            let mut want: Vec<(i64, u32)> = tag_order(&all, &ids)
                .into_iter()
                .filter(|(t, _)| (lo..=hi).contains(t))
                .collect();
            want.sort();
            let listed = vec![ids[2].1, ids[0].1, ids[1].1, ids[0].1];
            for tags in [TagSelection::All, TagSelection::Ids(listed)] {
                let got = tag_order(&f.read(by_time(tags.clone(), lo, hi, false)), &ids);
                assert!(got == want, "ascending {lo}..={hi} {tags:?}: {}", got.len());
                let mut got = tag_order(&f.read(by_time(tags.clone(), lo, hi, true)), &ids);
                // Descending: times fall; equal times come in falling tag id order.
                got.reverse();
                assert!(
                    got == want,
                    "descending {lo}..={hi} {tags:?}: {}",
                    got.len()
                );
            }
        }
        let some = f.read(by_time(
            TagSelection::Ids(vec![ids[1].1]),
            i64::MIN,
            i64::MAX,
            false,
        ));
        assert!(some.iter().all(|(tag, _)| tag == "b") && some.len() == 400);
    }

    #[test]
    fn a_time_range_over_every_tag_reads_tag_by_tag() {
        let f = fixture("tagwise");
        let all = three_tags(&f);
        for reverse in [false, true] {
            let spec = ScanSpec {
                time_min: -2_500,
                time_max: 500,
                reverse,
                ..ScanSpec::all()
            };
            let mut got = f.read(spec);
            got.sort();
            let want: Vec<_> = all
                .iter()
                .filter(|(_, t)| (-2_500..=500).contains(t))
                .cloned()
                .collect();
            assert_eq!(got, want);
        }
    }

    /// A tag-by-tag scan walks each part across tags, stepping over a few chunks and seeking
    /// past many (`cursor::PartWalk`): whatever the selection, window and direction, it reads
    /// what the model says, from three parts and the head.
    #[test]
    fn part_walks_read_every_selection_and_window_exactly() {
        let f = fixture("walks");
        let day = crate::limits::PARTITION_WIDTH_NS;
        let name = |tag: usize| format!("t{tag:02}");
        let mut all = Vec::new();
        // 60 tags, 20 days each: a chunk per tag and day in each part, so reaching tag 50
        // from tag 2 steps over far more chunks than a walk steps before it seeks.
        for round in 0..4i64 {
            let mut rows = Vec::new();
            for tag in 0..60 {
                for d in 0..20i64 {
                    rows.push((name(tag), d * day + round * 1_000 + tag as i64));
                }
            }
            let borrowed: Vec<(&str, i64)> = rows.iter().map(|(n, t)| (n.as_str(), *t)).collect();
            f.write(&borrowed);
            all.extend(rows);
            if round < 3 {
                smol::block_on(f.store.checkpoint_now()).unwrap();
            }
        }
        all.sort();
        let id = |tag: usize| f.store.tag_id(f.table.id, &name(tag)).unwrap().unwrap();
        let selections = [
            (None, vec![]),
            (Some(vec![id(2), id(50)]), vec![2, 50]),
            (Some(vec![id(3), id(4), id(5), id(6)]), vec![3, 4, 5, 6]),
            (Some(vec![id(0)]), vec![0]),
            (Some(vec![id(59)]), vec![59]),
        ];
        let windows = [
            (i64::MIN, i64::MAX),
            (5 * day, 12 * day + 2_000),
            (19 * day + 1_500, i64::MAX),
            (i64::MIN, day),
            (3 * day + 1_001, 3 * day + 2_999),
        ];
        for (ids, tags) in &selections {
            let names: Vec<String> = tags.iter().map(|&t| name(t)).collect();
            for (time_min, time_max) in windows {
                for reverse in [false, true] {
                    let spec = ScanSpec {
                        tags: ids.clone().map_or(TagSelection::All, TagSelection::Ids),
                        time_min,
                        time_max,
                        reverse,
                        by_time: false,
                    };
                    let mut want: Vec<(String, i64)> = all
                        .iter()
                        .filter(|(n, t)| {
                            (names.is_empty() || names.contains(n))
                                && (time_min..=time_max).contains(t)
                        })
                        .cloned()
                        .collect();
                    if reverse {
                        want.reverse();
                    }
                    assert_eq!(f.read(spec.clone()), want, "{spec:?}");
                }
            }
        }
    }

    #[test]
    fn a_batch_is_seen_whole_or_not_at_all_within_each_tag() {
        let f = fixture("snapshot");
        f.write(&[("a", 1), ("b", 1)]);
        let a = f.store.tag_id(f.table.id, "a").unwrap().unwrap();
        let b = f.store.tag_id(f.table.id, "b").unwrap().unwrap();
        let specs = [
            ScanSpec::all(),
            ScanSpec {
                tags: TagSelection::Ids(vec![a, b]),
                ..ScanSpec::all()
            },
            ScanSpec {
                time_max: 1_000,
                ..ScanSpec::all()
            },
            by_time(TagSelection::All, i64::MIN, i64::MAX, false),
        ];
        // Rows of the batch each spec sees: a scan reads each tag's rows at the moment it
        // reaches the tag (the merge: when a tag's turn comes), so it sees the batch's rows
        // of the tags other than `a` that its tag list holds (`c` only exists from the first
        // round's batch on).
        let seen_of_batch = [1, 1, 2, 2];
        for ((round, spec), later) in (2..).zip(specs).zip(seen_of_batch) {
            let visible = f.read(spec.clone()).len();
            let mut scan = f.store.scan(&f.table, spec.clone()).unwrap();
            let mut row = Vec::new();
            assert!(scan.next_row(&mut row).unwrap(), "{spec:?}");
            // A batch touching every tag lands while the scan is between them.
            f.write(&[("a", round), ("b", round), ("c", round)]);
            let mut rows = vec![(row[0].clone(), row[1].clone())];
            while scan.next_row(&mut row).unwrap() {
                rows.push((row[0].clone(), row[1].clone()));
            }
            assert_eq!(rows.len(), visible + later, "{spec:?}");
            let mut unique = rows.clone();
            unique.dedup();
            assert_eq!(unique, rows, "{spec:?}: a row twice");
        }
    }

    /// A scan paused part way: what is written meanwhile may be seen ahead of its position,
    /// never behind it, and no row comes twice or out of order, for every kind of read in
    /// both directions.
    #[test]
    fn a_paused_scan_returns_each_row_once_in_order_whatever_is_written_meanwhile() {
        let f = fixture("pages");
        const ROWS_PER_TAG: i64 = 1500;
        let mut base = Vec::new();
        for tag in ["a", "b", "c"] {
            let rows: Vec<(&str, i64)> = (0..ROWS_PER_TAG).map(|k| (tag, 1_000 + 2 * k)).collect();
            f.write(&rows);
            base.extend(rows.iter().map(|(t, time)| (t.to_string(), *time)));
        }
        let id = |name: &str| f.store.tag_id(f.table.id, name).unwrap().unwrap();
        let listed = TagSelection::Ids(vec![id("c"), id("a"), id("b")]);
        let kinds = [
            ScanSpec::all(),
            ScanSpec {
                time_min: 0,
                ..ScanSpec::all()
            },
            ScanSpec {
                tags: listed.clone(),
                ..ScanSpec::all()
            },
            by_time(TagSelection::All, i64::MIN, i64::MAX, false),
            by_time(listed, 0, i64::MAX, false),
        ];
        let mut round = 0;
        for kind in kinds {
            for reverse in [false, true] {
                round += 1;
                let spec = ScanSpec {
                    reverse,
                    ..kind.clone()
                };
                let mut scan = f.store.scan(&f.table, spec.clone()).unwrap();
                let mut row = Vec::new();
                let mut got = Vec::new();
                let mut read = |scan: &mut Scan, n: usize, got: &mut Vec<(String, i64)>| {
                    while got.len() < n && scan.next_row(&mut row).unwrap() {
                        match (&row[0], &row[1]) {
                            (Value::Str(tag), Value::Time(t)) => got.push((tag.clone(), *t)),
                            other => panic!("unexpected row {other:?}"),
                        }
                    }
                };
                // Several pages in, and in the middle of one.
                read(&mut scan, 1_200, &mut got);
                assert!(got.len() == 1_200, "{spec:?}");
                // Behind and ahead of the position in every order, in every tag and in a
                // new one (last in id order); between existing rows and past them.
                let fresh = format!("new{round}");
                let mut batch = vec![(fresh.as_str(), 1_001)];
                for tag in ["a", "b", "c"] {
                    batch.extend([(tag, 999), (tag, 1_003), (tag, 1_000_000 + round)]);
                }
                f.write(&batch);
                read(&mut scan, usize::MAX, &mut got);

                let order = |(tag, time): &(String, i64)| {
                    let tag = i64::from(id(tag));
                    if spec.by_time {
                        (*time, tag)
                    } else {
                        (tag, *time)
                    }
                };
                let keys: Vec<_> = got.iter().map(order).collect();
                for pair in keys.windows(2) {
                    let ok = if reverse {
                        pair[0] > pair[1]
                    } else {
                        pair[0] < pair[1]
                    };
                    assert!(ok, "{spec:?}: {:?} then {:?}", pair[0], pair[1]);
                }
                for want in &base {
                    assert!(got.contains(want), "{spec:?}: {want:?} missing");
                }
            }
        }
    }

    #[test]
    fn a_paused_log_table_scan_returns_each_row_once_in_time_order() {
        let dir = std::env::temp_dir().join(format!("tidegate-scan-log-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opened = Store::open(&dir, std::time::Duration::from_secs(1)).unwrap();
        let store = opened.store;
        let column = crate::catalog::Column {
            name: "V".into(),
            ty: crate::catalog::ColumnType::Int64,
            nullable: true,
            default: crate::catalog::DefaultValue::None,
            role: crate::catalog::ColumnRole::Plain,
            summarized: false,
        };
        for reverse in [false, true] {
            let table = Table::new(
                0,
                format!("L{reverse}").into(),
                TableKind::Log,
                vec![column.clone()],
            );
            let table = Arc::new(smol::block_on(store.create_table(table.unwrap())).unwrap());
            // Batch `b` arrives at time 10 * b and holds values b * 1000 + i.
            let write = |arrival: i64, values: std::ops::Range<i64>| {
                let mut batch = RowBatch::new(Arc::clone(&table), arrival);
                for v in values {
                    batch.push(&[Value::Int(v)]).unwrap();
                }
                smol::block_on(async {
                    let ack = store.submit(batch, Durability::Applied).await;
                    ack.unwrap().wait().await.unwrap();
                });
            };
            for b in 0..10 {
                write(10 * b, b * 1000..b * 1000 + 300);
            }
            let spec = ScanSpec {
                reverse,
                ..ScanSpec::all()
            };
            let mut scan = store.scan(&table, spec).unwrap();
            let (mut row, mut got) = (Vec::new(), Vec::new());
            while got.len() < 1_500 && scan.next_row(&mut row).unwrap() {
                got.push(row[0].clone());
            }
            // Batches between pages: amid the rows read, amid the rows not read yet (each is
            // behind the position in one direction and ahead of it in the other), and past all.
            write(45, 50_000..50_010);
            write(-1, 60_000..60_010);
            write(200, 70_000..70_010);
            while scan.next_row(&mut row).unwrap() {
                got.push(row[0].clone());
            }
            let values: Vec<i64> = got
                .iter()
                .map(|v| match v {
                    Value::Int(v) => *v,
                    other => panic!("{other:?}"),
                })
                .collect();
            for b in 0..10 {
                for i in 0..300 {
                    assert!(values.contains(&(b * 1000 + i)), "{b} {i} missing");
                }
            }
            // Key order: arrival time, then write order, which values follow within a batch.
            let key = |v: i64| {
                let arrival = match v / 1000 {
                    50 => 45,
                    60 => -1,
                    70 => 200,
                    b => 10 * b,
                };
                (arrival, v)
            };
            for pair in values.windows(2) {
                let (x, y) = (key(pair[0]), key(pair[1]));
                assert!(if reverse { x > y } else { x < y }, "{x:?} then {y:?}");
            }
        }
        store.close();
        opened.writer.join();
        let _ = std::fs::remove_dir_all(&dir);
    }
}
