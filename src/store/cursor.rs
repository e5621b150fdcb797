//! Reading sealed and head rows back in order: the chunks of one series (or of a log table's
//! or stream's rows) from each part, merged with the head's rows into one time order.
//!
//! A `Runs` source yields decoded chunks of one part in key order (or reverse); `Merge` takes
//! the next row across sources. In a tag table an equal time in several sources is one row,
//! the newest source's (the head, then the part with the highest rank); log tables and streams
//! keep every row, ordered by (time, sequence).
//!
//! Invariants:
//! - Every row returned lies in the requested time range.
//! - Memory is one decoded chunk per source at a time, whatever the range holds.

use std::sync::Arc;

use super::StoreError;
use super::chunk::{Chunk, Corrupt};
use super::parts::{Part, series_key, stretch_key};
use crate::catalog::{Table, TableKind};
use crate::value::Value;

impl From<Corrupt> for StoreError {
    fn from(_: Corrupt) -> Self {
        StoreError::Corrupt("a stored chunk does not decode with its table's definition".into())
    }
}

/// The inclusive time range and direction of a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Window {
    pub time_min: i64,
    pub time_max: i64,
    pub reverse: bool,
}

/// The chunks of one part that may hold rows of one series (or, for a log table or stream,
/// any rows) in the window, decoded one at a time, in the window's direction.
pub(super) struct Runs {
    table: Arc<Table>,
    iter: fjall::Iter,
    window: Window,
    done: bool,
}

impl Runs {
    /// The chunks of series `tag` (tag tables) or of the whole part (log tables, streams).
    pub fn new(table: &Arc<Table>, part: &Part, tag: Option<u32>, window: Window) -> Runs {
        let ks = &part.keyspace;
        let (lowest, highest): (Vec<u8>, Vec<u8>) = match tag {
            Some(tag) => (
                series_key(tag, i64::MIN).to_vec(),
                series_key(tag, window.time_max).to_vec(),
            ),
            None => (
                stretch_key(i64::MIN, 0).to_vec(),
                stretch_key(window.time_max, u64::MAX).to_vec(),
            ),
        };
        let iter = if window.reverse {
            // Backwards from the last chunk starting by the window's end; reading stops at the
            // first chunk that ends before the window (a part's chunks do not overlap).
            ks.range(lowest..=highest)
        } else {
            // From the last chunk that starts before the window (it may reach into it).
            let before = match tag {
                Some(tag) => series_key(tag, window.time_min).to_vec(),
                None => stretch_key(window.time_min, 0).to_vec(),
            };
            let start = ks
                .range(lowest.clone()..before.clone())
                .next_back()
                .and_then(|g| g.key().ok())
                .map_or(before, |k| k.to_vec());
            ks.range(start..=highest)
        };
        Runs {
            table: Arc::clone(table),
            iter,
            window,
            done: false,
        }
    }

    /// The next chunk overlapping the window, decoded; `None` when there is none left.
    pub fn next_run(&mut self) -> Result<Option<Chunk>, StoreError> {
        while !self.done {
            let guard = if self.window.reverse {
                self.iter.next_back()
            } else {
                self.iter.next()
            };
            let Some(guard) = guard else {
                self.done = true;
                break;
            };
            let value = guard.value()?;
            let header = Chunk::header(&value)?;
            if header.max_time < self.window.time_min {
                if self.window.reverse {
                    self.done = true;
                }
                continue;
            }
            if header.min_time > self.window.time_max {
                if !self.window.reverse {
                    self.done = true;
                }
                continue;
            }
            return Ok(Some(Chunk::decode(&self.table, &value)?));
        }
        Ok(None)
    }
}

/// One source of a merge: its chunks, the one being read, and where in it.
struct Source {
    runs: Option<Runs>,
    chunk: Chunk,
    /// Index of the next row in `chunk`, counting from the end when reading in reverse.
    at: usize,
    /// Newer sources win a tag table's equal times.
    rank: u64,
}

impl Source {
    fn row(&self, reverse: bool) -> Option<usize> {
        let len = self.chunk.len();
        if self.at >= len {
            return None;
        }
        Some(if reverse { len - 1 - self.at } else { self.at })
    }

    fn key(&self, reverse: bool) -> Option<(i64, u64)> {
        let i = self.row(reverse)?;
        Some((
            *self.chunk.times.get(i)?,
            self.chunk.seqs.get(i).copied().unwrap_or(0),
        ))
    }

    /// Moves to the next row in the window, loading the next chunk when this one is done.
    fn settle(&mut self, window: Window) -> Result<(), StoreError> {
        loop {
            if let Some((time, _)) = self.key(window.reverse) {
                if (window.time_min..=window.time_max).contains(&time) {
                    return Ok(());
                }
                self.at += 1;
                continue;
            }
            let Some(runs) = self.runs.as_mut() else {
                return Ok(());
            };
            match runs.next_run()? {
                Some(chunk) => {
                    self.chunk = chunk;
                    self.at = 0;
                }
                None => {
                    self.runs = None;
                    return Ok(());
                }
            }
        }
    }
}

/// The rows of one series (or of a log table or stream) across parts and the head, in order.
pub(super) struct Merge {
    table: Arc<Table>,
    sources: Vec<Source>,
    window: Window,
    dedup: bool,
}

impl Merge {
    /// `parts` are read through `Runs` for `tag`; `head` holds the head's rows of the series,
    /// sorted, already cut to the window.
    pub fn new(
        table: &Arc<Table>,
        parts: &[Arc<Part>],
        tag: Option<u32>,
        head: Chunk,
        window: Window,
    ) -> Result<Merge, StoreError> {
        let mut sources = Vec::with_capacity(parts.len() + 1);
        for part in parts
            .iter()
            .filter(|p| p.overlaps(window.time_min, window.time_max))
        {
            sources.push(Source {
                runs: Some(Runs::new(table, part, tag, window)),
                chunk: Chunk::new(table),
                at: 0,
                rank: part.rank,
            });
        }
        if !head.is_empty() {
            sources.push(Source {
                runs: None,
                chunk: head,
                at: 0,
                rank: u64::MAX,
            });
        }
        for source in &mut sources {
            source.settle(window)?;
        }
        Ok(Merge {
            table: Arc::clone(table),
            sources,
            window,
            dedup: table.kind == TableKind::Tag,
        })
    }

    /// Writes the next row's stored columns into `out` and returns its time and sequence;
    /// `None` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<Option<(i64, u64)>, StoreError> {
        let reverse = self.window.reverse;
        // The first key in the read's order; on a tie the newest source.
        let mut best: Option<(usize, (i64, u64), u64)> = None;
        for (i, source) in self.sources.iter().enumerate() {
            let Some(key) = source.key(reverse) else {
                continue;
            };
            let better = match best {
                None => true,
                Some((_, k, rank)) => {
                    let first = if reverse { key > k } else { key < k };
                    first || (key == k && source.rank > rank)
                }
            };
            if better {
                best = Some((i, key, source.rank));
            }
        }
        let Some((index, key, _)) = best else {
            return Ok(None);
        };
        if let Some(source) = self.sources.get(index)
            && let Some(row) = source.row(reverse)
        {
            source.chunk.read_row(&self.table, row, out)?;
        }
        // Step past this row, and in a tag table past the same time in older sources.
        for (i, source) in self.sources.iter_mut().enumerate() {
            let same = source.key(reverse).is_some_and(|k| {
                if self.dedup {
                    k.0 == key.0
                } else {
                    k == key && i == index
                }
            });
            if i == index || same {
                source.at += 1;
                source.settle(self.window)?;
            }
        }
        Ok(Some(key))
    }
}
