//! What a scan asks for (`ScanSpec`), and reading a kv stream's rows back: the row layout,
//! one fjall entry per row under `time | sequence` (`keys`, `row`), forward or backward.
//! Chunked tables are read by `read`.
//!
//! A kv stream is read in pages (`page`): each page from one fjall snapshot, the next one from
//! a fresh snapshot just past the last key read; between pages the scan holds no snapshot or
//! iterator, so a client that stops reading pins nothing in the store. A scan that fits its
//! first page reads one snapshot; a longer one may see rows committed after it started, never
//! a row twice or out of order.
//!
//! Invariant: every key returned lies inside the requested time range; a key that does not
//! decode is reported as corruption, never skipped silently.

use std::sync::Arc;

use fjall::{Database, Keyspace};

use super::keys::{decode_seq_key, seq_key};
use super::page::{KeyRange, Page, step};
use super::row;
use super::{Store, StoreError};
use crate::catalog::Table;
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
    /// Tag tables: rows of every selected tag in one time order (a merge, see `read`) rather
    /// than tag after tag. Log tables and streams are in time order anyway.
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
}

/// A kv stream's scan in progress: what is left of its key range, and the page read ahead.
pub(super) struct RowScan {
    db: Database,
    ks: Keyspace,
    table: Arc<Table>,
    reverse: bool,
    rest: KeyRange,
    page: Page,
    done: bool,
}

impl RowScan {
    pub(super) fn new(
        store: &Store,
        ks: Keyspace,
        table: Arc<Table>,
        spec: ScanSpec,
    ) -> Result<RowScan, StoreError> {
        let lo = seq_key(spec.time_min, 0);
        let hi = seq_key(spec.time_max, u64::MAX);
        Ok(RowScan {
            db: store.inner.db.clone(),
            ks,
            table,
            reverse: spec.reverse,
            rest: KeyRange::inclusive(&lo, &hi),
            page: Page::new(),
            done: spec.time_min > spec.time_max,
        })
    }

    /// Reads the next page from a fresh snapshot, starting just past the last key read. The
    /// snapshot and its iterator are dropped before it returns.
    fn fill_page(&mut self) -> Result<(), StoreError> {
        let snapshot = self.db.snapshot();
        let mut iter = self.rest.open(&snapshot, &self.ks);
        self.page.begin();
        while !self.page.is_full() {
            let Some(guard) = step(&mut iter, self.reverse) else {
                self.done = true;
                break;
            };
            let (key, value) = guard.into_inner()?;
            self.page.push(key, value);
        }
        if let Some(key) = self.page.last_key() {
            self.rest.read_past(key, self.reverse);
        }
        Ok(())
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        if self.page.is_empty() && !self.done {
            self.fill_page()?;
        }
        let Some((key, value)) = self.page.pop() else {
            return Ok(false);
        };
        let time = decode_seq_key(&key)
            .ok_or_else(|| StoreError::Corrupt(format!("undecodable key {key:?}")))?;
        row::decode(&self.table, &value, out).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if let Some(slot) = self.table.time_column.and_then(|i| out.get_mut(i)) {
            *slot = Value::Time(time);
        }
        Ok(true)
    }
}
