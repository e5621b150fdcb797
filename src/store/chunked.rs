//! A chunked table's shared state: its sealed parts, the head being sealed (`frozen`) and the
//! head rows go to, behind one lock, so a reader takes all three at one moment and the writer
//! swaps them at once when a checkpoint publishes.
//!
//! Invariant: every row applied to the table is in exactly one of `parts`, `frozen` and
//! `head`; `frozen`'s rows are older than `head`'s.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::chunk::Chunk;
use super::cursor::Window;
use super::head::TableHead;
use super::parts::Parts;
use crate::catalog::{Table, TableKind};

pub(super) struct Chunked {
    view: RwLock<View>,
}

pub(super) struct View {
    /// The definition the rows are stored with (a RENAME changes only its name).
    pub table: Arc<Table>,
    pub parts: Arc<Parts>,
    /// A head the sealer is turning into parts, until the writer publishes them.
    pub frozen: Option<Arc<TableHead>>,
    pub head: TableHead,
}

impl Chunked {
    pub fn new(table: Arc<Table>, parts: Parts, head: TableHead) -> Chunked {
        Chunked {
            view: RwLock::new(View {
                table,
                parts: Arc::new(parts),
                frozen: None,
                head,
            }),
        }
    }

    pub fn read(&self) -> RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(|e| e.into_inner())
    }

    /// For the writer only.
    pub fn write(&self) -> RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The parts and the head's sorted rows of series `tag` (0 for a log table or stream) in
    /// `window`, taken at one moment.
    pub fn series(&self, table: &Table, tag: u32, window: Window) -> (Arc<Parts>, Chunk) {
        let view = self.read();
        let head = view.head.read(table, tag, window.time_min, window.time_max);
        let rows = match &view.frozen {
            Some(frozen) => {
                let older = frozen.read(table, tag, window.time_min, window.time_max);
                merge_sorted(table, older, head)
            }
            None => head,
        };
        (Arc::clone(&view.parts), rows)
    }

    /// Estimated memory of the heads, the frozen one included.
    pub fn head_bytes(&self) -> usize {
        let view = self.read();
        view.head.bytes() + view.frozen.as_ref().map_or(0, |f| f.bytes())
    }
}

/// Two sorted runs of one series as one, `newer` winning a tag table's equal times.
fn merge_sorted(table: &Table, older: Chunk, newer: Chunk) -> Chunk {
    if older.is_empty() {
        return newer;
    }
    if newer.is_empty() {
        return older;
    }
    let key = |c: &Chunk, i: usize| {
        (
            c.times.get(i).copied().unwrap_or(i64::MAX),
            c.seqs.get(i).copied().unwrap_or(0),
        )
    };
    let dedup = table.kind == TableKind::Tag;
    let mut out = Chunk::new(table);
    let (mut i, mut j) = (0, 0);
    while i < older.len() || j < newer.len() {
        let take_older = j >= newer.len() || (i < older.len() && key(&older, i) < key(&newer, j));
        if take_older {
            out.push_from(&older, i);
            i += 1;
        } else {
            if dedup && i < older.len() && key(&older, i).0 == key(&newer, j).0 {
                i += 1;
            }
            out.push_from(&newer, j);
            j += 1;
        }
    }
    out
}
