//! Reading rows back: a pull cursor over one table's keyspace, forward or backward.
//!
//! A tag table is scanned tag by tag (each tag's rows are contiguous and time-ordered);
//! a log table or stream is scanned by time. Rows come back with every column filled, the key
//! columns (tag name, base time, `_tp_time`) decoded from the key.
//!
//! Invariant: every key returned lies inside the requested time range; a key that does not
//! decode is reported as corruption, never skipped silently.

use std::sync::Arc;

use fjall::{Keyspace, Readable, Snapshot, UserKey, UserValue};

use super::keys::{SEQ_KEY_BYTES, decode_seq_key, decode_tag_key, seq_key, tag_key, time_bytes};
use super::merge::TimeMerge;
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

/// A scan reads one snapshot of the store, so a batch the writer applies meanwhile is seen
/// whole or not at all, even across tags read at different moments.
pub(super) struct RowScan {
    snapshot: Snapshot,
    ks: Keyspace,
    tag_names: Keyspace,
    table: Arc<Table>,
    spec: ScanSpec,
    cursor: Cursor,
    /// The tag whose name was looked up last: rows of one tag are contiguous.
    current_tag: Option<(u32, String)>,
}

/// How a scan walks the keyspace.
enum Cursor {
    /// One range: a log table or stream by time, or a whole tag table with no time bound.
    Range(fjall::Iter),
    /// A tag table, one tag's time range after another.
    TagByTag {
        tags: TagIds,
        range: Option<fjall::Iter>,
    },
    /// A tag table's selected tags merged into one time order.
    Merged(Box<TimeMerge>),
}

/// The tags a tag-by-tag scan visits, in the scan's direction.
enum TagIds {
    /// Listed ids, the next one last.
    Listed(Vec<u32>),
    /// Every tag of the table, from the tag dictionary in the same snapshot.
    All(fjall::Iter),
}

impl RowScan {
    pub(super) fn new(
        store: &Store,
        ks: Keyspace,
        table: Arc<Table>,
        spec: ScanSpec,
    ) -> Result<RowScan, StoreError> {
        let snapshot = store.inner.db.snapshot();
        let tag_names = store.inner.tags.clone();
        let cursor = match table.kind {
            TableKind::Log | TableKind::Stream => {
                let lo = seq_key(spec.time_min, 0);
                let hi = seq_key(spec.time_max, u64::MAX);
                Cursor::Range(snapshot.range(&ks, lo..=hi))
            }
            TableKind::Tag if spec.by_time => {
                let tags = match &spec.tags {
                    TagSelection::Ids(ids) => {
                        let mut ids = ids.clone();
                        ids.sort_unstable();
                        ids.dedup();
                        ids
                    }
                    TagSelection::All => {
                        let mut ids = Vec::new();
                        for guard in snapshot.prefix(&tag_names, tag_id_prefix(table.id)) {
                            let (key, _) = guard.into_inner()?;
                            ids.push(tag_id_of(&key)?);
                        }
                        ids
                    }
                };
                Cursor::Merged(Box::new(TimeMerge::new(
                    snapshot.clone(),
                    ks.clone(),
                    tags,
                    spec.time_min,
                    spec.time_max,
                    spec.reverse,
                )?))
            }
            TableKind::Tag => match &spec.tags {
                // Every key is wanted: one pass over the keyspace beats a seek per tag.
                TagSelection::All if !spec.time_bounded() => Cursor::Range(snapshot.iter(&ks)),
                TagSelection::All => Cursor::TagByTag {
                    tags: TagIds::All(snapshot.prefix(&tag_names, tag_id_prefix(table.id))),
                    range: None,
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
                        range: None,
                    }
                }
            },
        };
        Ok(RowScan {
            snapshot,
            ks,
            tag_names,
            table,
            spec,
            cursor,
            current_tag: None,
        })
    }

    fn next_entry(&mut self) -> Result<Option<(UserKey, UserValue)>, StoreError> {
        let reverse = self.spec.reverse;
        let step = |iter: &mut fjall::Iter| {
            if reverse {
                iter.next_back()
            } else {
                iter.next()
            }
        };
        match &mut self.cursor {
            Cursor::Range(iter) => Ok(step(iter).map(|g| g.into_inner()).transpose()?),
            Cursor::Merged(merge) => merge.next_entry(),
            Cursor::TagByTag { tags, range } => loop {
                if let Some(iter) = range.as_mut() {
                    if let Some(guard) = step(iter) {
                        return Ok(Some(guard.into_inner()?));
                    }
                    *range = None;
                }
                let tag = match tags {
                    TagIds::Listed(ids) => ids.pop(),
                    TagIds::All(names) => match step(names) {
                        Some(guard) => Some(tag_id_of(&guard.key()?)?),
                        None => None,
                    },
                };
                let Some(tag) = tag else {
                    return Ok(None);
                };
                let lo = tag_key(tag, self.spec.time_min);
                let hi = tag_key(tag, self.spec.time_max);
                *range = Some(self.snapshot.range(&self.ks, lo..=hi));
            },
        }
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        loop {
            let Some((key, value)) = self.next_entry()? else {
                return Ok(false);
            };
            let corrupt = || StoreError::Corrupt(format!("undecodable key {key:?}"));
            row::decode(&self.table, &value, out)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            match self.table.kind {
                TableKind::Tag => {
                    let (tag, time) = decode_tag_key(&key).ok_or_else(corrupt)?;
                    if time < self.spec.time_min || time > self.spec.time_max {
                        continue;
                    }
                    let tag_column = self.table.tag_column;
                    let name = self.tag_name(tag)?;
                    if let Some(slot) = tag_column.and_then(|i| out.get_mut(i)) {
                        slot.set_str(name);
                    }
                    if let Some(slot) = self.table.time_column.and_then(|i| out.get_mut(i)) {
                        *slot = Value::Time(time);
                    }
                }
                TableKind::Log | TableKind::Stream => {
                    let time = decode_seq_key(&key).ok_or_else(corrupt)?;
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

    fn tag_name(&mut self, tag: u32) -> Result<&str, StoreError> {
        if self.current_tag.as_ref().map(|(id, _)| *id) != Some(tag) {
            let name = self
                .snapshot
                .get(&self.tag_names, tag_id_key(self.table.id, tag))?
                .and_then(|v| String::from_utf8(v.to_vec()).ok())
                .ok_or_else(|| StoreError::Corrupt(format!("tag id {tag} has no name")))?;
            self.current_tag = Some((tag, name));
        }
        Ok(self
            .current_tag
            .as_ref()
            .map(|(_, n)| n.as_str())
            .unwrap_or(""))
    }
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
}
