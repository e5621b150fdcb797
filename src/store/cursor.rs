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
//! A scan that reads tag after tag in id order walks each part once (`PartWalk`) instead of
//! seeking it for every tag: a seek creates a fjall range, several microseconds, which over
//! 500,000 tags of two rows each cost seconds. A walk steps over at most `WALK_SKIP_MAX`
//! chunks to reach a tag's first chunk in the window, and seeks past more, so a sparse list
//! of tags or a narrow window costs no more than seeking each tag.
//!
//! Invariants:
//! - Every row returned lies in the requested time range.
//! - Memory is one chunk per source at a time, whatever the range holds.

use std::sync::Arc;

use super::StoreError;
use super::chunk::{Chunk, Corrupt, Header};
use super::parts::{Part, decode_series_key, series_key, stretch_key};
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

/// Chunks a walk steps over to reach a tag's first chunk before it seeks instead: about the
/// cost of one seek.
const WALK_SKIP_MAX: usize = 16;

/// The chunks of one part that may hold rows of one series (or, for a log table or stream,
/// any rows) in the window, one at a time, in the window's direction.
pub(super) struct Runs {
    reader: Reader,
    window: Window,
    done: bool,
}

/// Where a `Runs` reads its chunks.
enum Reader {
    /// A key range holding only the series' chunks.
    Range(fjall::Iter),
    /// A walk over the whole part, stopped at the end of series `tag`.
    Walk(PartWalk, u32),
}

/// The key range of a series' chunks (a log table's or stream's, when `tag` is `None`) that
/// may hold rows in the window: chunks are keyed by their last row, so the first one reaching
/// `time_min` is the first key at or after it, and a part's chunks of one series do not
/// overlap in time.
fn series_range(part: &Part, tag: Option<u32>, window: Window) -> fjall::Iter {
    let ks = &part.keyspace;
    let key = |time: i64, seq: u64| match tag {
        Some(tag) => series_key(tag, time).to_vec(),
        None => stretch_key(time, seq).to_vec(),
    };
    let lowest = key(window.time_min, 0);
    let highest = key(i64::MAX, u64::MAX);
    if window.reverse && window.time_max != i64::MAX {
        // Backwards from the chunk that reaches `time_max`: the later ones start after it.
        let upper = ks
            .range(key(window.time_max, 0)..=highest.clone())
            .next()
            .and_then(|g| g.key().ok())
            .map_or(highest, |k| k.to_vec());
        ks.range(lowest..=upper)
    } else {
        ks.range(lowest..=highest)
    }
}

impl Runs {
    /// The chunks of series `tag` (tag tables) or of the whole part (log tables, streams).
    pub fn new(part: &Part, tag: Option<u32>, window: Window) -> Runs {
        Runs {
            reader: Reader::Range(series_range(part, tag, window)),
            window,
            done: false,
        }
    }

    /// The next chunk overlapping the window, not decoded yet; `None` when there is none left.
    fn next_run(&mut self) -> Result<Option<(fjall::UserValue, Header)>, StoreError> {
        while !self.done {
            let value = match &mut self.reader {
                Reader::Range(iter) => {
                    let guard = if self.window.reverse {
                        iter.next_back()
                    } else {
                        iter.next()
                    };
                    guard.map(|g| g.value()).transpose()?
                }
                Reader::Walk(walk, tag) => walk.take_of(*tag)?,
            };
            let Some(value) = value else {
                self.done = true;
                break;
            };
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

/// Whether `tag` comes before `other` in a walk's direction.
fn before(reverse: bool, tag: u32, other: u32) -> bool {
    if reverse { tag > other } else { tag < other }
}

/// One part of a tag table read tag after tag, in the window's direction, by one iterator
/// kept across tags, with the next chunk looked at but not yet taken.
struct PartWalk {
    part: Arc<Part>,
    window: Window,
    iter: fjall::Iter,
    ahead: Option<(u32, fjall::UserValue)>,
}

impl PartWalk {
    fn new(part: &Arc<Part>, window: Window) -> PartWalk {
        PartWalk {
            part: Arc::clone(part),
            window,
            iter: part.keyspace.iter(),
            ahead: None,
        }
    }

    /// The tag of the next chunk and the chunk, without taking it.
    fn peek(&mut self) -> Result<Option<&(u32, fjall::UserValue)>, StoreError> {
        if self.ahead.is_none() {
            let guard = if self.window.reverse {
                self.iter.next_back()
            } else {
                self.iter.next()
            };
            if let Some(guard) = guard {
                let (key, value) = guard.into_inner()?;
                let (tag, _) = decode_series_key(&key)
                    .ok_or_else(|| StoreError::Corrupt(format!("undecodable chunk key {key:?}")))?;
                self.ahead = Some((tag, value));
            }
        }
        Ok(self.ahead.as_ref())
    }

    /// The tag of the next chunk, `None` at the end of the part.
    fn next_tag(&mut self) -> Result<Option<u32>, StoreError> {
        Ok(self.peek()?.map(|(tag, _)| *tag))
    }

    /// The next chunk if it belongs to `tag`; chunks of tags before it are stepped over.
    fn take_of(&mut self, tag: u32) -> Result<Option<fjall::UserValue>, StoreError> {
        loop {
            let before = match self.peek()? {
                None => return Ok(None),
                Some((next, _)) if *next == tag => {
                    return Ok(self.ahead.take().map(|(_, value)| value));
                }
                Some(&(next, _)) => before(self.window.reverse, next, tag),
            };
            if !before {
                return Ok(None);
            }
            self.ahead = None;
        }
    }

    /// Moves to the first chunk of `tag` that may reach the window: by stepping when it is
    /// near, by a seek otherwise, and always by a seek for a reverse read that ends before
    /// the last time (its first chunk is found by a probe, as `Runs::new` does).
    fn position(&mut self, tag: u32) -> Result<(), StoreError> {
        let window = self.window;
        let near = !window.reverse || window.time_max == i64::MAX;
        if near {
            for _ in 0..WALK_SKIP_MAX {
                let reached = match self.peek()? {
                    None => return Ok(()),
                    Some(&(next, ref value)) => {
                        if before(window.reverse, next, tag) {
                            false
                        } else if next != tag || window.reverse {
                            true
                        } else {
                            Chunk::header(value)?.max_time >= window.time_min
                        }
                    }
                };
                if reached {
                    return Ok(());
                }
                self.ahead = None;
            }
        }
        self.seek_to(tag);
        Ok(())
    }

    /// Re-opens the walk at `tag`'s first chunk that may reach the window, going on past
    /// its chunks into the tags after it.
    fn seek_to(&mut self, tag: u32) {
        self.ahead = None;
        let ks = &self.part.keyspace;
        let first = series_key(tag, self.window.time_min).to_vec();
        let last = series_key(tag, i64::MAX).to_vec();
        self.iter = if self.window.reverse {
            let upper = if self.window.time_max == i64::MAX {
                last
            } else {
                ks.range(series_key(tag, self.window.time_max).to_vec()..=last.clone())
                    .next()
                    .and_then(|g| g.key().ok())
                    .map_or(last, |k| k.to_vec())
            };
            ks.range(..=upper)
        } else {
            ks.range(first..)
        };
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
                        // The runs stay: a walk in them goes on to the next tag.
                        None => return Ok(()),
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
    /// A `walking` merge's first sources, one walk per part; the head's rows follow them.
    walks: usize,
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
        let runs = parts
            .iter()
            .filter(|p| p.overlaps(window.time_min, window.time_max) && p.may_hold(tag))
            .map(|part| (Runs::new(part, tag, window), part.rank))
            .collect();
        Merge::over(table, runs, head, window)
    }

    /// A merge that reads tag after tag, each of `parts` walked once (`PartWalk`), starting
    /// with `tag`; `walk_to` moves it to the next tag.
    pub fn walking(
        table: &Arc<Table>,
        parts: &[Arc<Part>],
        tag: u32,
        head: Chunk,
        window: Window,
    ) -> Result<Merge, StoreError> {
        let runs = parts
            .iter()
            .map(|part| {
                let runs = Runs {
                    reader: Reader::Walk(PartWalk::new(part, window), tag),
                    window,
                    done: true,
                };
                (runs, part.rank)
            })
            .collect();
        let mut merge = Merge::over(table, runs, Chunk::new(table), window)?;
        merge.walks = parts.len();
        merge.walk_to(tag, head)?;
        Ok(merge)
    }

    /// Moves a `walking` merge on to the rows of `tag` (after the tags read so far, in the
    /// window's direction), with `head` its head rows as `new` takes them.
    pub fn walk_to(&mut self, tag: u32, head: Chunk) -> Result<(), StoreError> {
        let window = self.window;
        self.sources.truncate(self.walks);
        for source in &mut self.sources {
            let Some(runs) = &mut source.runs else {
                continue;
            };
            let Reader::Walk(walk, walking) = &mut runs.reader else {
                continue;
            };
            let part = &walk.part;
            let holds = part.overlaps(window.time_min, window.time_max) && part.may_hold(Some(tag));
            if holds {
                walk.position(tag)?;
            }
            *walking = tag;
            runs.done = !holds;
            source.state = State::Exhausted;
        }
        if !head.is_empty() {
            self.sources.push(Source {
                runs: None,
                state: State::Decoded(head, 0),
                rank: u64::MAX,
            });
        }
        for source in &mut self.sources {
            source.settle(&self.table, window, self.dedup)?;
        }
        Ok(())
    }

    /// The first tag a `walking` merge's parts hold after the ones read, `None` past the last.
    pub fn next_walk_tag(&mut self) -> Result<Option<u32>, StoreError> {
        let mut next: Option<u32> = None;
        for source in &mut self.sources {
            if let Some(Runs {
                reader: Reader::Walk(walk, _),
                ..
            }) = &mut source.runs
                && let Some(tag) = walk.next_tag()?
            {
                next = Some(match next {
                    Some(n) if before(self.window.reverse, n, tag) => n,
                    _ => tag,
                });
            }
        }
        Ok(next)
    }

    fn over(
        table: &Arc<Table>,
        runs: Vec<(Runs, u64)>,
        head: Chunk,
        window: Window,
    ) -> Result<Merge, StoreError> {
        let dedup = table.kind == TableKind::Tag;
        let mut sources = Vec::with_capacity(runs.len() + 1);
        for (runs, rank) in runs {
            sources.push(Source {
                runs: Some(runs),
                state: State::Exhausted,
                rank,
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
            walks: 0,
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
