//! Reading sealed and head rows back in order: the chunks of one series (or of a log table's
//! or stream's rows) from each part, merged with the head's rows into one time order.
//!
//! A `Runs` source yields decoded chunks of one part in key order (or reverse); `Merge` takes
//! the next row across sources. In a tag table an equal time in several sources is one row,
//! the newest source's (the head, then the part with the highest rank); log tables and streams
//! keep every row, ordered by (time, sequence).
//!
//! In a tag table a chunk is decoded only when rows are taken from it: its first row's time is
//! in its header, so a merge over many tags or parts compares headers and decodes little (the
//! newest rows of 10,000 tags decode a handful of chunks). A forward read that ends inside a
//! chunk decodes only the rows up to its end.
//!
//! Invariants:
//! - Every row returned lies in the requested time range.
//! - Memory is one chunk per source at a time, whatever the range holds.

use std::sync::Arc;

use super::StoreError;
use super::chunk::{Chunk, Corrupt, Header};
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
/// any rows) in the window, one at a time, in the window's direction.
pub(super) struct Runs {
    iter: fjall::Iter,
    window: Window,
    done: bool,
}

impl Runs {
    /// The chunks of series `tag` (tag tables) or of the whole part (log tables, streams).
    pub fn new(part: &Part, tag: Option<u32>, window: Window) -> Runs {
        let ks = &part.keyspace;
        // Chunks are keyed by their last row: the first chunk reaching `time_min` is the first
        // key at or after it, and a part's chunks of one series do not overlap in time.
        let key = |time: i64, seq: u64| match tag {
            Some(tag) => series_key(tag, time).to_vec(),
            None => stretch_key(time, seq).to_vec(),
        };
        let lowest = key(window.time_min, 0);
        let highest = key(i64::MAX, u64::MAX);
        let iter = if window.reverse && window.time_max != i64::MAX {
            // Backwards from the chunk that reaches `time_max`: the later ones start after it.
            let upper = ks
                .range(key(window.time_max, 0)..=highest.clone())
                .next()
                .and_then(|g| g.key().ok())
                .map_or(highest, |k| k.to_vec());
            ks.range(lowest..=upper)
        } else {
            ks.range(lowest..=highest)
        };
        Runs {
            iter,
            window,
            done: false,
        }
    }

    /// The next chunk overlapping the window, not decoded yet; `None` when there is none left.
    fn next_run(&mut self) -> Result<Option<(fjall::UserValue, Header)>, StoreError> {
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
            return Ok(Some((value, header)));
        }
        Ok(None)
    }
}

/// Where a source is in its rows.
enum State {
    /// A chunk read but not decoded: in a tag table its first row in the window is known from
    /// the header, so a merge decodes only the chunks it takes rows from.
    Pending(fjall::UserValue, Header),
    /// Index of the next row, counting from the end when reading in reverse.
    Decoded(Chunk, usize),
    Exhausted,
}

/// One source of a merge: its chunks, and the one being read.
struct Source {
    runs: Option<Runs>,
    state: State,
    /// Newer sources win a tag table's equal times.
    rank: u64,
}

impl Source {
    /// The key of the next row, without decoding when the header tells it.
    fn key(&self, window: Window, lazy: bool) -> Option<(i64, u64)> {
        match &self.state {
            State::Pending(_, header) if lazy => {
                let t = if window.reverse {
                    header.max_time
                } else {
                    header.min_time
                };
                (window.time_min..=window.time_max)
                    .contains(&t)
                    .then_some((t, 0))
            }
            State::Decoded(chunk, at) => {
                let i = row_index(chunk, *at, window.reverse)?;
                Some((
                    *chunk.times.get(i)?,
                    chunk.seqs.get(i).copied().unwrap_or(0),
                ))
            }
            _ => None,
        }
    }

    /// Moves to the next row in the window: decodes a pending chunk whose first row the
    /// header cannot tell (or every one, when not `lazy`), loads the next chunk when this one
    /// is done.
    fn settle(&mut self, table: &Table, window: Window, lazy: bool) -> Result<(), StoreError> {
        loop {
            if lazy && matches!(self.state, State::Pending(..)) && self.key(window, lazy).is_some()
            {
                return Ok(());
            }
            match &mut self.state {
                State::Pending(bytes, header) => {
                    let chunk = decode_for(table, bytes, header, window)?;
                    self.state = State::Decoded(chunk, 0);
                }
                State::Decoded(chunk, at) => {
                    match row_index(chunk, *at, window.reverse).and_then(|i| chunk.times.get(i)) {
                        Some(t) if (window.time_min..=window.time_max).contains(t) => {
                            return Ok(());
                        }
                        Some(_) => *at += 1,
                        None => self.state = State::Exhausted,
                    }
                }
                State::Exhausted => {
                    let Some(runs) = self.runs.as_mut() else {
                        return Ok(());
                    };
                    match runs.next_run()? {
                        Some((bytes, header)) => self.state = State::Pending(bytes, header),
                        None => {
                            self.runs = None;
                            return Ok(());
                        }
                    }
                }
            }
        }
    }

    /// Decodes the pending chunk, so `key` is the next row's and `row` can read it.
    fn decode(&mut self, table: &Table, window: Window) -> Result<(), StoreError> {
        if let State::Pending(bytes, header) = &self.state {
            let chunk = decode_for(table, bytes, header, window)?;
            self.state = State::Decoded(chunk, 0);
            self.settle(table, window, false)?;
        }
        Ok(())
    }
}

fn row_index(chunk: &Chunk, at: usize, reverse: bool) -> Option<usize> {
    let len = chunk.len();
    if at >= len {
        return None;
    }
    Some(if reverse { len - 1 - at } else { at })
}

/// A chunk decoded for a read: a forward read that ends inside the chunk decodes only the
/// rows up to its end.
fn decode_for(
    table: &Table,
    bytes: &[u8],
    header: &Header,
    window: Window,
) -> Result<Chunk, StoreError> {
    if !window.reverse && header.max_time > window.time_max {
        return Ok(Chunk::decode_through(table, bytes, window.time_max)?);
    }
    Ok(Chunk::decode(table, bytes)?)
}

/// The rows of one series (or of a log table or stream) across parts and the head, in order.
pub(super) struct Merge {
    table: Arc<Table>,
    sources: Vec<Source>,
    window: Window,
    /// A tag table: equal times are one row, and chunks are decoded only when read.
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
        let dedup = table.kind == TableKind::Tag;
        let mut sources = Vec::with_capacity(parts.len() + 1);
        for part in parts
            .iter()
            .filter(|p| p.overlaps(window.time_min, window.time_max) && p.may_hold(tag))
        {
            sources.push(Source {
                runs: Some(Runs::new(part, tag, window)),
                state: State::Exhausted,
                rank: part.rank,
            });
        }
        if !head.is_empty() {
            sources.push(Source {
                runs: None,
                state: State::Decoded(head, 0),
                rank: u64::MAX,
            });
        }
        for source in &mut sources {
            source.settle(table, window, dedup)?;
        }
        Ok(Merge {
            table: Arc::clone(table),
            sources,
            window,
            dedup,
        })
    }

    /// The source holding the next row and its key; on a tie the newest source.
    fn best(&self) -> Option<(usize, (i64, u64))> {
        let reverse = self.window.reverse;
        let mut best: Option<(usize, (i64, u64), u64)> = None;
        for (i, source) in self.sources.iter().enumerate() {
            let Some(key) = source.key(self.window, self.dedup) else {
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
        best.map(|(i, key, _)| (i, key))
    }

    /// The time of the next row, decoding nothing a header can tell.
    pub fn peek(&self) -> Option<i64> {
        self.best().map(|(_, (time, _))| time)
    }

    /// Writes the next row's stored columns into `out` and returns its time and sequence;
    /// `None` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<Option<(i64, u64)>, StoreError> {
        let Some((index, key)) = self.best() else {
            return Ok(None);
        };
        let (table, window) = (Arc::clone(&self.table), self.window);
        if let Some(source) = self.sources.get_mut(index) {
            source.decode(&table, window)?;
            if let State::Decoded(chunk, at) = &source.state
                && let Some(row) = row_index(chunk, *at, window.reverse)
            {
                chunk.read_row(&table, row, out)?;
            }
        }
        // Step past this row, and in a tag table past the same time in older sources.
        for (i, source) in self.sources.iter_mut().enumerate() {
            let same = i == index
                || (self.dedup && source.key(window, self.dedup).is_some_and(|k| k.0 == key.0));
            if !same {
                continue;
            }
            source.decode(&table, window)?;
            if let State::Decoded(_, at) = &mut source.state {
                *at += 1;
            }
            source.settle(&table, window, self.dedup)?;
        }
        Ok(Some(key))
    }
}
