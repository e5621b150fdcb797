//! Reading in pages, so that a long read pins nothing in the store between two pages.
//!
//! A fjall snapshot, and every iterator (each holds one), keeps alive every version of the
//! LSM tree made after it was taken: the memtables flushed since, the tables compacted away
//! since. A read that held one for the life of a slow response (a client that stops reading
//! a large answer) made memory and disk grow with the rows ingested meanwhile. So a long read
//! goes page by page: a page of entries is read from one snapshot into memory, the snapshot
//! and its iterators are dropped, and the next page is read from a fresh snapshot, starting
//! just past the last key read. What a read holds between pages is its page.
//!
//! Key-value streams read their rows this way (`scan.rs`). Chunked tables need not: a part's
//! keyspace is written once when it is sealed and never again, so an iterator over it
//! (`cursor.rs`) pins only the part itself, which the graveyard keeps until readers let go.
//!
//! Invariant: a `KeyRange` only ever shrinks, from the end a read comes from, and always to
//! strictly past the last key read; so a read in pages returns each key at most once, in key
//! order (reversed for a reverse read), whatever is written between the pages. Rows written
//! ahead of the read's position may be seen, rows written behind it are not.

use std::collections::VecDeque;
use std::ops::Bound;

use fjall::{Guard, Keyspace, Readable, Snapshot, UserKey, UserValue};

use crate::limits::{SCAN_FIRST_PAGE_ROWS, SCAN_PAGE_BYTES_MAX, SCAN_PAGE_ROWS_MAX};

/// The part of a key range a paged read has not read yet.
#[derive(Debug, Clone)]
pub(super) struct KeyRange {
    lo: Bound<UserKey>,
    hi: Bound<UserKey>,
}

impl KeyRange {
    pub(super) fn inclusive(lo: &[u8], hi: &[u8]) -> KeyRange {
        KeyRange {
            lo: Bound::Included(lo.into()),
            hi: Bound::Included(hi.into()),
        }
    }

    /// An iterator over the range in `snapshot`.
    pub(super) fn open(&self, snapshot: &Snapshot, ks: &Keyspace) -> fjall::Iter {
        snapshot.range::<UserKey, _>(ks, (self.lo.as_ref(), self.hi.as_ref()))
    }

    /// Drops `key` and everything before it in the read's direction from the range. Store
    /// keys are at most 16 bytes, which a `UserKey` holds inline: the range keeps no block.
    pub(super) fn read_past(&mut self, key: &UserKey, reverse: bool) {
        if reverse {
            self.hi = Bound::Excluded(key.clone());
        } else {
            self.lo = Bound::Excluded(key.clone());
        }
    }
}

/// The next entry in the read's direction.
pub(super) fn step(iter: &mut fjall::Iter, reverse: bool) -> Option<Guard> {
    if reverse {
        iter.next_back()
    } else {
        iter.next()
    }
}

/// Entries read ahead from one snapshot, and how large the next page may be. Opening a range
/// costs about as much as reading a couple of hundred entries from it (a seek in every table
/// run of the tree; 50-90 us on a 10M-row table), so the first page is `SCAN_FIRST_PAGE_ROWS`,
/// enough for most answers cut short by a LIMIT, and each next one is `PAGE_GROWTH` times
/// larger, up to `SCAN_PAGE_ROWS_MAX`. A page also ends once it holds `SCAN_PAGE_BYTES_MAX`
/// (its slots and the keys' and values' bytes; at least one entry).
pub(super) struct Page {
    entries: VecDeque<(UserKey, UserValue)>,
    bytes: usize,
    rows_max: usize,
    next_rows_max: usize,
}

const PAGE_GROWTH: usize = 8;
const ENTRY_BYTES: usize = std::mem::size_of::<(UserKey, UserValue)>();

impl Page {
    pub(super) fn new() -> Page {
        Page {
            entries: VecDeque::new(),
            bytes: 0,
            rows_max: 0,
            next_rows_max: SCAN_FIRST_PAGE_ROWS,
        }
    }

    /// Starts filling the next page; the last one must have been read.
    pub(super) fn begin(&mut self) {
        debug_assert!(
            self.entries.is_empty(),
            "BUG: a page filled before it was read"
        );
        self.bytes = 0;
        self.rows_max = self.next_rows_max;
        self.next_rows_max = (self.rows_max * PAGE_GROWTH).min(SCAN_PAGE_ROWS_MAX);
    }

    pub(super) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(super) fn is_full(&self) -> bool {
        self.entries.len() >= self.rows_max || self.bytes >= SCAN_PAGE_BYTES_MAX
    }

    pub(super) fn push(&mut self, key: UserKey, value: UserValue) {
        self.bytes += ENTRY_BYTES + key.len() + value.len();
        self.entries.push_back((key, value));
    }

    /// The key of the entry read last into the page.
    pub(super) fn last_key(&self) -> Option<&UserKey> {
        self.entries.back().map(|(key, _)| key)
    }

    pub(super) fn pop(&mut self) -> Option<(UserKey, UserValue)> {
        self.entries.pop_front()
    }
}
