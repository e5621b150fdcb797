//! Reading rows back: a pull cursor over one table's keyspace, forward or backward.
//!
//! A tag table is scanned tag by tag (each tag's rows are contiguous and time-ordered), or by
//! time across tags (`merge`); a log table or stream is scanned by time. Rows come back with
//! every column filled, the key columns (tag name, base time, `_tp_time`) decoded from the key.
//!
//! Snapshots: a scan reads in pages (`page`): each page from one fjall snapshot, the next one
//! from a fresh snapshot just past the last key read; between pages the scan holds no
//! snapshot or iterator, so a client that stops reading pins nothing in the store. A scan
//! that fits its first page (`SCAN_FIRST_PAGE_ROWS` rows) reads one snapshot, so a batch the
//! writer applies meanwhile is seen whole or not at all. A longer scan may see batches
//! committed after it started, in its later pages; it never returns a row twice or out of
//! order, and never a row committed behind its position.
//!
//! Tag names: the data keys (`tag id | time`) and the tag dictionary's id keys
//! (`table | 1 | tag id`) are in the same order, so a scan over every tag walks the dictionary
//! alongside the data, in the same snapshot, and each name costs a step of that walk. A point
//! lookup per tag became slow once the dictionary's bloom filter outgrew what the block cache
//! admits (see `Store::open`). Listed tags (`name = 'x'`, `IN`) are looked up once each.
//!
//! Invariant: every key returned lies inside the requested time range; a key that does not
//! decode is reported as corruption, never skipped silently.

use std::collections::VecDeque;
use std::sync::Arc;

use fjall::{Database, Keyspace, Readable, Snapshot, UserKey, UserValue};

use super::keys::{SEQ_KEY_BYTES, decode_seq_key, decode_tag_key, seq_key, tag_key, time_bytes};
use super::merge::TimeMerge;
use super::page::{KeyRange, Page, step};
use super::row;
use super::writer::{tag_id_key, tag_id_prefix};
use super::{Store, StoreError};
use crate::catalog::{Table, TableKind};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TagSelection {
    All,
    /// Tag ids; scanned in ascending id order (descending for a reverse scan).
    Ids(Vec<u32>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScanSpec {
    pub tags: TagSelection,
    /// Inclusive bounds, ns UTC.
    pub time_min: i64,
    pub time_max: i64,
    pub reverse: bool,
    /// Tag tables: rows of every selected tag in one time order (a k-way merge, see
    /// `merge`) rather than tag after tag. Log tables and streams are in time order anyway.
    pub by_time: bool,
}

impl ScanSpec {
    pub fn all() -> ScanSpec {
        ScanSpec {
            tags: TagSelection::All,
            time_min: i64::MIN,
            time_max: i64::MAX,
            reverse: false,
            by_time: false,
        }
    }

    fn time_bounded(&self) -> bool {
        self.time_min != i64::MIN || self.time_max != i64::MAX
    }
}

/// A scan in progress: where it is, and the page it read ahead.
pub struct Scan {
    db: Database,
    ks: Keyspace,
    tag_names: Keyspace,
    table: Arc<Table>,
    spec: ScanSpec,
    cursor: Cursor,
    page: Page,
    /// The names of the tags in `page`, in the order their first entries come.
    page_names: VecDeque<(u32, String)>,
    /// The tag of the row returned last, and its name.
    tag: Option<u32>,
    name: String,
}

/// How a scan walks the keyspace; between pages it holds positions, never iterators.
enum Cursor {
    /// One key range: a log table or stream by time, or a whole tag table with no time bound.
    Range(KeyRange),
    /// A tag table, one tag's time range after another.
    TagByTag {
        tags: TagIds,
        /// The tag being read and the rest of its time range.
        current: Option<TagRange>,
    },
    /// A tag table's selected tags merged into one time order.
    Merged(Box<TimeMerge>),
    Done,
}

/// The tags a tag-by-tag scan visits, in the scan's direction.
enum TagIds {
    /// Listed ids, the next one last.
    Listed(Vec<u32>),
    /// Every tag of the table: the rest of the tag dictionary's id range.
    All(KeyRange),
}

struct TagRange {
    tag: u32,
    /// Until the tag's first entry is read.
    name: Option<String>,
    rows: KeyRange,
}

impl Scan {
    pub(super) fn new(
        store: &Store,
        ks: Keyspace,
        table: Arc<Table>,
        spec: ScanSpec,
    ) -> Result<Scan, StoreError> {
        let db = store.inner.db.clone();
        let tag_names = store.inner.tags.clone();
        let dictionary = || {
            let lo = tag_id_key(table.id, 0);
            KeyRange::inclusive(&lo, &tag_id_key(table.id, u32::MAX))
        };
        let cursor = match table.kind {
            TableKind::Log | TableKind::Stream => {
                let lo = seq_key(spec.time_min, 0);
                Cursor::Range(KeyRange::inclusive(&lo, &seq_key(spec.time_max, u64::MAX)))
            }
            TableKind::Tag if spec.by_time => {
                // One snapshot for the tag list and every tag's first rows.
                let snapshot = db.snapshot();
                let tags = match &spec.tags {
                    TagSelection::Ids(ids) => {
                        let mut ids = ids.clone();
                        ids.sort_unstable();
                        ids.dedup();
                        let mut tags = Vec::with_capacity(ids.len());
                        for id in ids {
                            // A listed id without a name has no rows either.
                            if let Some(name) = lookup_name(&snapshot, &tag_names, &table, id)? {
                                tags.push((id, name));
                            }
                        }
                        tags
                    }
                    TagSelection::All => {
                        let mut tags = Vec::new();
                        for guard in snapshot.prefix(&tag_names, tag_id_prefix(table.id)) {
                            let (key, value) = guard.into_inner()?;
                            let id = tag_id_of(&key)?;
                            tags.push((id, name_of(id, &value)?));
                        }
                        tags
                    }
                };
                Cursor::Merged(Box::new(TimeMerge::new(
                    &snapshot,
                    db.clone(),
                    ks.clone(),
                    tags,
                    spec.time_min,
                    spec.time_max,
                    spec.reverse,
                )?))
            }
            TableKind::Tag => match &spec.tags {
                // Every key is wanted: one pass over the keyspace beats a seek per tag.
                TagSelection::All if !spec.time_bounded() => Cursor::Range(KeyRange::everything()),
                TagSelection::All => Cursor::TagByTag {
                    tags: TagIds::All(dictionary()),
                    current: None,
                },
                TagSelection::Ids(ids) => {
                    let mut ids = ids.clone();
                    ids.sort_unstable();
                    ids.dedup();
                    if !spec.reverse {
                        ids.reverse();
                    }
                    Cursor::TagByTag {
                        tags: TagIds::Listed(ids),
                        current: None,
                    }
                }
            },
        };
        Ok(Scan {
            db,
            ks,
            tag_names,
            table,
            spec,
            cursor,
            page: Page::new(),
            page_names: VecDeque::new(),
            tag: None,
            name: String::new(),
        })
    }

    /// The next entry; for a tag table, `self.tag` and `self.name` then describe its tag.
    fn next_entry(&mut self) -> Result<Option<(UserKey, UserValue)>, StoreError> {
        if let Cursor::Merged(merge) = &mut self.cursor {
            let Some((key, value, index)) = merge.next_entry()? else {
                return Ok(None);
            };
            let (tag, _) = decode_tag_key(&key).ok_or_else(|| undecodable(&key))?;
            if self.tag != Some(tag) {
                self.tag = Some(tag);
                self.name.clear();
                self.name.push_str(merge.tag_name(index));
            }
            return Ok(Some((key, value)));
        }
        if self.page.is_empty() && !matches!(self.cursor, Cursor::Done) {
            self.fill_page()?;
        }
        let Some((key, value)) = self.page.pop() else {
            return Ok(None);
        };
        if self.table.kind == TableKind::Tag {
            let (tag, _) = decode_tag_key(&key).ok_or_else(|| undecodable(&key))?;
            if self.tag != Some(tag) {
                match self.page_names.pop_front() {
                    Some((id, name)) if id == tag => self.name = name,
                    _ => {
                        return Err(StoreError::Corrupt(format!(
                            "BUG: no name read for tag id {tag}"
                        )));
                    }
                }
                self.tag = Some(tag);
            }
        }
        Ok(Some((key, value)))
    }

    /// Reads the next page from a fresh snapshot, starting just past the last key read.
    /// The snapshot and every iterator are dropped before it returns.
    fn fill_page(&mut self) -> Result<(), StoreError> {
        let snapshot = self.db.snapshot();
        let reverse = self.spec.reverse;
        let is_tag = self.table.kind == TableKind::Tag;
        let mut names = NameWalk {
            snapshot: &snapshot,
            tag_names: &self.tag_names,
            table: &self.table,
            reverse,
            walk: None,
            last: self.tag,
            out: &mut self.page_names,
        };
        let page = &mut self.page;
        page.begin();
        let exhausted = match &mut self.cursor {
            // Never called for these (see `next_entry`).
            Cursor::Done | Cursor::Merged(_) => true,
            Cursor::Range(range) => {
                let mut iter = range.open(&snapshot, &self.ks);
                let exhausted = loop {
                    if page.is_full() {
                        break false;
                    }
                    let Some(guard) = step(&mut iter, reverse) else {
                        break true;
                    };
                    let (key, value) = guard.into_inner()?;
                    if is_tag {
                        let (tag, _) = decode_tag_key(&key).ok_or_else(|| undecodable(&key))?;
                        names.note(tag, None)?;
                    }
                    page.push(key, value);
                };
                if let Some(key) = page.last_key() {
                    range.read_past(key, reverse);
                }
                exhausted
            }
            Cursor::TagByTag { tags, current } => {
                let mut dictionary = None;
                'tags: loop {
                    if page.is_full() {
                        break false;
                    }
                    let tag = match current {
                        Some(tag) => tag,
                        None => {
                            let next = match tags {
                                TagIds::Listed(ids) => match ids.pop() {
                                    None => None,
                                    Some(id) => {
                                        let table = &self.table;
                                        match lookup_name(&snapshot, &self.tag_names, table, id)? {
                                            Some(name) => Some((id, Some(name))),
                                            // A listed id without a name has no rows either.
                                            None => continue 'tags,
                                        }
                                    }
                                },
                                TagIds::All(ids) => {
                                    let iter = dictionary.get_or_insert_with(|| {
                                        ids.open(&snapshot, &self.tag_names)
                                    });
                                    match step(iter, reverse) {
                                        None => None,
                                        Some(guard) => {
                                            let (key, value) = guard.into_inner()?;
                                            ids.read_past(&key, reverse);
                                            let id = tag_id_of(&key)?;
                                            Some((id, Some(name_of(id, &value)?)))
                                        }
                                    }
                                }
                            };
                            let Some((id, name)) = next else {
                                break true;
                            };
                            let lo = tag_key(id, self.spec.time_min);
                            let rows = KeyRange::inclusive(&lo, &tag_key(id, self.spec.time_max));
                            current.insert(TagRange {
                                tag: id,
                                name,
                                rows,
                            })
                        }
                    };
                    let mut iter = tag.rows.open(&snapshot, &self.ks);
                    let mut read = false;
                    let full = loop {
                        if page.is_full() {
                            break true;
                        }
                        let Some(guard) = step(&mut iter, reverse) else {
                            break false;
                        };
                        let (key, value) = guard.into_inner()?;
                        names.note(tag.tag, tag.name.take())?;
                        page.push(key, value);
                        read = true;
                    };
                    if !full {
                        *current = None;
                        continue;
                    }
                    if let Some(key) = page.last_key().filter(|_| read) {
                        tag.rows.read_past(key, reverse);
                    }
                    break false;
                }
            }
        };
        if exhausted {
            self.cursor = Cursor::Done;
        }
        Ok(())
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        loop {
            let Some((key, value)) = self.next_entry()? else {
                return Ok(false);
            };
            row::decode(&self.table, &value, out)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            match self.table.kind {
                TableKind::Tag => {
                    let (_, time) = decode_tag_key(&key).ok_or_else(|| undecodable(&key))?;
                    if time < self.spec.time_min || time > self.spec.time_max {
                        continue;
                    }
                    if let Some(slot) = self.table.tag_column.and_then(|i| out.get_mut(i)) {
                        slot.set_str(&self.name);
                    }
                    if let Some(slot) = self.table.time_column.and_then(|i| out.get_mut(i)) {
                        *slot = Value::Time(time);
                    }
                }
                TableKind::Log | TableKind::Stream => {
                    let time = decode_seq_key(&key).ok_or_else(|| undecodable(&key))?;
                    assert!(
                        key.len() == SEQ_KEY_BYTES
                            && key.get(..8) >= Some(&time_bytes(self.spec.time_min)[..]),
                        "BUG: key at {time} outside the scanned range"
                    );
                    if let Some(slot) = self.table.time_column.and_then(|i| out.get_mut(i)) {
                        *slot = Value::Time(time);
                    }
                }
            }
            return Ok(true);
        }
    }
}

/// Names the tags of one page as their first entries are read: with the name the caller
/// read (the dictionary entry that produced the tag, or a listed tag's lookup), else by
/// walking the dictionary in the page's snapshot from the first tag that needs it, in the
/// scan's direction.
struct NameWalk<'a> {
    snapshot: &'a Snapshot,
    tag_names: &'a Keyspace,
    table: &'a Table,
    reverse: bool,
    walk: Option<fjall::Iter>,
    /// The tag of the entry read last (at the start of a page: of the row returned last).
    last: Option<u32>,
    out: &'a mut VecDeque<(u32, String)>,
}

impl NameWalk<'_> {
    /// An entry of `tag` is read next; `known` is its name if the caller has it.
    fn note(&mut self, tag: u32, known: Option<String>) -> Result<(), StoreError> {
        if self.last == Some(tag) {
            return Ok(());
        }
        self.last = Some(tag);
        let name = match known {
            Some(name) => name,
            None => self.walk_to(tag)?,
        };
        self.out.push_back((tag, name));
        Ok(())
    }

    fn walk_to(&mut self, tag: u32) -> Result<String, StoreError> {
        let reverse = self.reverse;
        let walk = self.walk.get_or_insert_with(|| {
            let table = self.table.id;
            let (lo, hi) = if reverse {
                (tag_id_key(table, 0), tag_id_key(table, tag))
            } else {
                (tag_id_key(table, tag), tag_id_key(table, u32::MAX))
            };
            self.snapshot.range(self.tag_names, lo..=hi)
        });
        while let Some(guard) = step(walk, reverse) {
            let (key, value) = guard.into_inner()?;
            let id = tag_id_of(&key)?;
            // Tags whose rows were all deleted are passed over.
            let passed = if reverse { id > tag } else { id < tag };
            if passed {
                continue;
            }
            if id == tag {
                return name_of(id, &value);
            }
            break;
        }
        Err(StoreError::Corrupt(format!("tag id {tag} has no name")))
    }
}

/// The name of one listed tag, if the table has it.
fn lookup_name(
    snapshot: &Snapshot,
    tag_names: &Keyspace,
    table: &Table,
    tag: u32,
) -> Result<Option<String>, StoreError> {
    snapshot
        .get(tag_names, tag_id_key(table.id, tag))?
        .map(|value| name_of(tag, &value))
        .transpose()
}

/// A tag name from its dictionary value.
pub(super) fn name_of(tag: u32, value: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(value.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("tag {tag} name is not UTF-8")))
}

fn undecodable(key: &[u8]) -> StoreError {
    StoreError::Corrupt(format!("undecodable key {key:?}"))
}

/// The tag id in a tag dictionary key (`table id | 1 | tag id`).
pub(super) fn tag_id_of(key: &[u8]) -> Result<u32, StoreError> {
    key.get(5..9)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map(u32::from_be_bytes)
        .ok_or_else(|| StoreError::Corrupt(format!("undecodable tag key {key:?}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::SCAN_FIRST_PAGE_ROWS;
    use crate::store::{Durability, RowBatch};

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

    /// A scan that fits its first page reads one snapshot: a batch landing while it is read is
    /// not seen, by any kind of cursor.
    #[test]
    fn a_scan_within_its_first_page_does_not_see_batches_applied_after_it_started() {
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
        // Rows of the batch below each spec can see.
        let added = [3, 2, 3, 3];
        for ((round, spec), added) in (2..).zip(specs).zip(added) {
            let visible = f.read(spec.clone()).len();
            assert!(visible < SCAN_FIRST_PAGE_ROWS);
            let mut scan = f.store.scan(&f.table, spec.clone()).unwrap();
            let mut row = Vec::new();
            assert!(scan.next_row(&mut row).unwrap(), "{spec:?}");
            // A batch touching every tag lands while the scan is between them.
            f.write(&[("a", round), ("b", round), ("c", round)]);
            let mut seen = 1;
            while scan.next_row(&mut row).unwrap() {
                seen += 1;
            }
            assert_eq!(seen, visible, "{spec:?}");
            assert_eq!(f.read(spec.clone()).len(), visible + added, "{spec:?}");
        }
    }

    /// A scan paused between pages holds no snapshot: what is written meanwhile may be seen
    /// ahead of its position, never behind it, and no row comes twice or out of order, for
    /// every kind of cursor in both directions.
    #[test]
    fn a_scan_across_pages_returns_each_row_once_in_order_whatever_is_written_between() {
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
    fn a_log_table_scan_across_pages_returns_each_row_once_in_time_order() {
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
