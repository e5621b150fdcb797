//! Reading rows back: a pull cursor over one table's keyspace, forward or backward.
//!
//! A tag table is scanned tag by tag (each tag's rows are contiguous and time-ordered);
//! a log table or stream is scanned by time. Rows come back with every column filled, the key
//! columns (tag name, base time, `_tp_time`) decoded from the key.
//!
//! Invariant: every key returned lies inside the requested time range; a key that does not
//! decode is reported as corruption, never skipped silently.

use std::sync::Arc;

use fjall::Keyspace;

use super::keys::{SEQ_KEY_BYTES, decode_seq_key, decode_tag_key, seq_key, tag_key, time_bytes};
use super::row;
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
}

impl ScanSpec {
    pub fn all() -> ScanSpec {
        ScanSpec {
            tags: TagSelection::All,
            time_min: i64::MIN,
            time_max: i64::MAX,
            reverse: false,
        }
    }
}

pub struct Scan {
    store: Store,
    ks: Keyspace,
    table: Arc<Table>,
    spec: ScanSpec,
    /// Tag ids still to scan (tag tables with `TagSelection::Ids`), next one last.
    pending_tags: Vec<u32>,
    iter: Option<fjall::Iter>,
    /// The tag whose name was looked up last: rows of one tag are contiguous.
    current_tag: Option<(u32, String)>,
}

impl Scan {
    pub(super) fn new(
        store: Store,
        ks: Keyspace,
        table: Arc<Table>,
        spec: ScanSpec,
    ) -> Result<Scan, StoreError> {
        let pending_tags = match &spec.tags {
            TagSelection::Ids(ids) => {
                let mut ids = ids.clone();
                ids.sort_unstable();
                ids.dedup();
                if !spec.reverse {
                    ids.reverse();
                }
                ids
            }
            TagSelection::All => Vec::new(),
        };
        let iter = match (table.kind, &spec.tags) {
            (TableKind::Tag, TagSelection::Ids(_)) => None,
            (TableKind::Tag, TagSelection::All) => Some(ks.iter()),
            (TableKind::Log | TableKind::Stream, _) => {
                let lo = seq_key(spec.time_min, 0);
                let hi = seq_key(spec.time_max, u64::MAX);
                Some(ks.range(lo..=hi))
            }
        };
        Ok(Scan {
            store,
            ks,
            table,
            spec,
            pending_tags,
            iter,
            current_tag: None,
        })
    }

    fn next_entry(&mut self) -> Option<fjall::Guard> {
        loop {
            if let Some(iter) = self.iter.as_mut() {
                let next = if self.spec.reverse {
                    iter.next_back()
                } else {
                    iter.next()
                };
                if next.is_some() {
                    return next;
                }
                self.iter = None;
            }
            let tag = self.pending_tags.pop()?;
            let lo = tag_key(tag, self.spec.time_min);
            let hi = tag_key(tag, self.spec.time_max);
            self.iter = Some(self.ks.range(lo..=hi));
        }
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        loop {
            let Some(guard) = self.next_entry() else {
                return Ok(false);
            };
            let (key, value) = guard.into_inner()?;
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
                .store
                .tag_name(self.table.id, tag)?
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
