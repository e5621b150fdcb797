//! Rows of many tags in one time order: a k-way merge over per-tag key ranges.
//!
//! A tag table keeps each tag's rows contiguous (`tag id | time`), so `ORDER BY time` over
//! several tags cannot be answered by one range. Instead each tag has a cursor that holds a
//! few of its next entries, and a heap picks the tag whose next entry comes first.
//!
//! Invariants:
//! - Memory is bounded by the tag count, not the row count: at most `MERGE_BUFFER_ROWS`
//!   buffered entries across all tags (at least one per tag), so a 10M-row answer needs no
//!   more than a 10-row one.
//! - A cursor re-opens its range after its buffer runs out, from a fresh snapshot, starting
//!   just past the last time it read, so it never repeats a row: (tag, time) is unique in a
//!   tag table. The merge holds no snapshot between refills (see `page`), and a row it reads
//!   in a later refill lies past every row the cursor buffered, and so past every row handed
//!   out: rows committed during a long merge may be seen, never out of order. The first
//!   chunks of every tag are read from the one snapshot the scan starts with.
//! - Each cursor keeps its tag's name (resolved once, when the merge starts), so a row's name
//!   costs nothing however the tags interleave.
//! - Equal times come out in tag id order (reversed for a descending merge), so the answer
//!   is deterministic.

use std::collections::{BinaryHeap, VecDeque};

use fjall::{Database, Keyspace, Readable, Snapshot, UserKey, UserValue};

use super::StoreError;
use super::keys::{decode_tag_key, tag_key};
use crate::limits::MERGE_BUFFER_ROWS;

/// Entries one cursor reads per range it opens.
const CHUNK_ROWS_MAX: usize = 256;

pub(super) struct TimeMerge {
    db: Database,
    ks: Keyspace,
    cursors: Vec<TagCursor>,
    /// (order key of the cursor's next time, order key of its tag, cursor index); the
    /// largest comes out first, so ascending merges store complemented keys.
    heap: BinaryHeap<(u64, u32, usize)>,
    chunk: usize,
    time_min: i64,
    time_max: i64,
    reverse: bool,
}

struct TagCursor {
    tag: u32,
    name: String,
    buffer: VecDeque<(UserKey, UserValue)>,
    /// The next time bound to read from (ascending: the lowest time not yet read;
    /// descending: the highest); `None` once the range is used up.
    resume_at: Option<i64>,
}

impl TimeMerge {
    /// Merges `tags` (id, name), reading their first chunks from `snapshot`.
    pub(super) fn new(
        snapshot: &Snapshot,
        db: Database,
        ks: Keyspace,
        tags: Vec<(u32, String)>,
        time_min: i64,
        time_max: i64,
        reverse: bool,
    ) -> Result<TimeMerge, StoreError> {
        let chunk = (MERGE_BUFFER_ROWS / tags.len().max(1)).clamp(1, CHUNK_ROWS_MAX);
        let start = if reverse { time_max } else { time_min };
        let mut merge = TimeMerge {
            db,
            ks,
            cursors: Vec::with_capacity(tags.len()),
            heap: BinaryHeap::with_capacity(tags.len()),
            chunk,
            time_min,
            time_max,
            reverse,
        };
        for (tag, name) in tags {
            let index = merge.cursors.len();
            merge.cursors.push(TagCursor {
                tag,
                name,
                buffer: VecDeque::new(),
                resume_at: Some(start),
            });
            merge.refill(index, snapshot)?;
            merge.push(index)?;
        }
        Ok(merge)
    }

    /// The next entry in time order and the index of its tag (for `tag_name`), or `None`
    /// when every tag is used up.
    pub(super) fn next_entry(&mut self) -> Result<Option<(UserKey, UserValue, usize)>, StoreError> {
        let Some((_, _, index)) = self.heap.pop() else {
            return Ok(None);
        };
        let Some(cursor) = self.cursors.get_mut(index) else {
            return Ok(None);
        };
        let Some((key, value)) = cursor.buffer.pop_front() else {
            return Ok(None);
        };
        if cursor.buffer.is_empty() {
            self.refill(index, &self.db.snapshot())?;
        }
        self.push(index)?;
        Ok(Some((key, value, index)))
    }

    /// The name of the tag of an entry `next_entry` returned with `index`.
    pub(super) fn tag_name(&self, index: usize) -> &str {
        self.cursors.get(index).map_or("", |c| c.name.as_str())
    }

    /// Puts a cursor back on the heap, keyed by its next entry, if it has one.
    fn push(&mut self, index: usize) -> Result<(), StoreError> {
        let Some(cursor) = self.cursors.get(index) else {
            return Ok(());
        };
        let Some((key, _)) = cursor.buffer.front() else {
            return Ok(());
        };
        let (tag, time) = decode_tag_key(key)
            .ok_or_else(|| StoreError::Corrupt(format!("undecodable key {key:?}")))?;
        // Order-preserving map of i64 onto u64.
        let time = (time as u64) ^ (1 << 63);
        let keys = if self.reverse {
            (time, tag)
        } else {
            (!time, !tag)
        };
        self.heap.push((keys.0, keys.1, index));
        Ok(())
    }

    /// Reads the cursor's next chunk from `snapshot`.
    fn refill(&mut self, index: usize, snapshot: &Snapshot) -> Result<(), StoreError> {
        let Some(cursor) = self.cursors.get_mut(index) else {
            return Ok(());
        };
        let Some(resume_at) = cursor.resume_at.take() else {
            return Ok(());
        };
        let (lo, hi) = if self.reverse {
            (self.time_min, resume_at)
        } else {
            (resume_at, self.time_max)
        };
        if lo > hi {
            return Ok(());
        }
        let mut range = snapshot.range(&self.ks, tag_key(cursor.tag, lo)..=tag_key(cursor.tag, hi));
        let mut last_time = None;
        while cursor.buffer.len() < self.chunk {
            let next = if self.reverse {
                range.next_back()
            } else {
                range.next()
            };
            let Some(guard) = next else {
                return Ok(());
            };
            let (key, value) = guard.into_inner()?;
            let (_, time) = decode_tag_key(&key)
                .ok_or_else(|| StoreError::Corrupt(format!("undecodable key {key:?}")))?;
            last_time = Some(time);
            cursor.buffer.push_back((key, value));
        }
        // The chunk is full: the range may hold more after the last time read.
        cursor.resume_at = last_time.and_then(|t| {
            if self.reverse {
                t.checked_sub(1)
            } else {
                t.checked_add(1)
            }
        });
        Ok(())
    }
}
