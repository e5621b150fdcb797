//! A chunked table's shared state: its sealed parts and its head, behind one lock, so a reader
//! takes both at one moment and the writer swaps both at once when a checkpoint publishes.
//!
//! Invariant: every row applied to the table is in exactly one of `parts` and `head`.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::chunk::Chunk;
use super::cursor::Window;
use super::head::TableHead;
use super::parts::Parts;
use crate::catalog::Table;

pub(super) struct Chunked {
    view: RwLock<View>,
}

pub(super) struct View {
    /// The definition the rows are stored with (a RENAME changes only its name).
    pub table: Arc<Table>,
    pub parts: Arc<Parts>,
    pub head: TableHead,
}

impl Chunked {
    pub fn new(table: Arc<Table>, parts: Parts, head: TableHead) -> Chunked {
        Chunked {
            view: RwLock::new(View {
                table,
                parts: Arc::new(parts),
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
        (Arc::clone(&view.parts), head)
    }
}
