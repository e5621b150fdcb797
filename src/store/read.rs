//! Scanning a chunked table: rows come from its sealed parts and its head, merged (`cursor`).
//!
//! A tag table is read tag by tag, in tag id order (reverse order for a reverse scan), each
//! tag's rows in time order; or, `by_time`, every selected tag's rows in one time order. A
//! log table or stream is read in (time, sequence) order. Rows come back with every column
//! filled, the key columns from the row keys.
//!
//! Consistency: each series is read from one moment's parts and head, taken together under
//! the table's lock, so a batch is seen whole or not at all within a series, and a row is
//! never read twice or missed across a checkpoint. Between series the scan holds nothing, so a
//! slow reader pins no head copy or retired part for longer than one series; a long scan over
//! many tags may see, for later tags, batches committed after it started.
//!
//! Tag names over every tag come from walking the tag dictionary in id order alongside
//! (`Dictionary`), a page of names at a time: one step per tag, never a lookup per row.

use std::collections::{BinaryHeap, VecDeque};
use std::sync::Arc;

use fjall::Keyspace;

use super::StoreError;
use super::chunked::Chunked;
use super::cursor::{Merge, Window};
use super::scan::{ScanSpec, TagSelection};
use super::writer::{tag_id_key, tag_id_prefix};
use crate::catalog::{Table, TableKind};
use crate::limits::MERGE_OPEN_TAGS_MAX;
use crate::value::Value;

/// Dictionary entries read per page.
const DICTIONARY_PAGE: usize = 256;

pub(super) struct ChunkScan {
    chunked: Arc<Chunked>,
    table: Arc<Table>,
    window: Window,
    mode: Mode,
}

enum Mode {
    /// A tag table, one tag after another.
    TagByTag {
        tags: Tags,
        current: Option<(Merge, String)>,
    },
    /// A tag table's selected tags in one time order.
    ByTime(TimeMerge),
    /// A log table or stream.
    Stretch(Merge),
    Done,
}

/// The tags a tag-by-tag scan visits, with their names, in the scan's order.
enum Tags {
    /// Listed (id, name) pairs, the next one last.
    Listed(Vec<(u32, String)>),
    All(Dictionary),
}

impl ChunkScan {
    pub fn new(
        chunked: Arc<Chunked>,
        names: Keyspace,
        table: Arc<Table>,
        spec: &ScanSpec,
    ) -> Result<ChunkScan, StoreError> {
        let window = Window {
            time_min: spec.time_min,
            time_max: spec.time_max,
            reverse: spec.reverse,
        };
        let mode = if spec.time_min > spec.time_max {
            Mode::Done
        } else if table.kind != TableKind::Tag {
            let (parts, head) = chunked.series(&table, 0, window);
            Mode::Stretch(Merge::new(&table, &parts.list, None, head, window)?)
        } else {
            let listed = match &spec.tags {
                TagSelection::Ids(ids) => Some(listed_names(&names, &table, ids)?),
                TagSelection::All => None,
            };
            if spec.by_time {
                let tags = match listed {
                    Some(tags) => tags,
                    None => Dictionary::new(names, table.id, false).collect_all()?,
                };
                Mode::ByTime(TimeMerge::new(&chunked, &table, tags, window)?)
            } else {
                let tags = match listed {
                    Some(mut tags) => {
                        // Popped from the end: the first tag to read goes last.
                        if !spec.reverse {
                            tags.reverse();
                        }
                        Tags::Listed(tags)
                    }
                    None => Tags::All(Dictionary::new(names, table.id, spec.reverse)),
                };
                Mode::TagByTag {
                    tags,
                    current: None,
                }
            }
        };
        Ok(ChunkScan {
            chunked,
            table,
            window,
            mode,
        })
    }

    /// Reads the next row of a log table or stream into `out` and answers its sequence;
    /// `None` at the end.
    pub fn next_row_with_seq(&mut self, out: &mut Vec<Value>) -> Result<Option<u64>, StoreError> {
        let Mode::Stretch(merge) = &mut self.mode else {
            return Ok(None);
        };
        let Some((time, seq)) = merge.next_row(out)? else {
            self.mode = Mode::Done;
            return Ok(None);
        };
        set_time(&self.table, out, time);
        Ok(Some(seq))
    }

    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        let table = &self.table;
        loop {
            match &mut self.mode {
                Mode::Done => return Ok(false),
                Mode::Stretch(merge) => {
                    let Some((time, _)) = merge.next_row(out)? else {
                        self.mode = Mode::Done;
                        continue;
                    };
                    set_time(table, out, time);
                    return Ok(true);
                }
                Mode::ByTime(merge) => {
                    return merge.next_row(&self.chunked, table, out);
                }
                Mode::TagByTag { tags, current } => {
                    if let Some((merge, name)) = current {
                        if let Some((time, _)) = merge.next_row(out)? {
                            set_time(table, out, time);
                            if let Some(slot) = table.tag_column.and_then(|i| out.get_mut(i)) {
                                slot.set_str(name);
                            }
                            return Ok(true);
                        }
                        *current = None;
                    }
                    let next = match tags {
                        Tags::Listed(list) => list.pop(),
                        Tags::All(dictionary) => dictionary.next()?,
                    };
                    let Some((tag, name)) = next else {
                        self.mode = Mode::Done;
                        continue;
                    };
                    let (parts, head) = self.chunked.series(table, tag, self.window);
                    let merge = Merge::new(table, &parts.list, Some(tag), head, self.window)?;
                    *current = Some((merge, name));
                }
            }
        }
    }
}

fn set_time(table: &Table, out: &mut [Value], time: i64) {
    if let Some(slot) = table.time_column.and_then(|i| out.get_mut(i)) {
        *slot = Value::Time(time);
    }
}

/// The names of listed tag ids, ascending and without duplicates; an id without a name has
/// no rows either and is left out.
fn listed_names(
    names: &Keyspace,
    table: &Table,
    ids: &[u32],
) -> Result<Vec<(u32, String)>, StoreError> {
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(name) = names.get(tag_id_key(table.id, id))? {
            out.push((id, name_of(id, &name)?));
        }
    }
    Ok(out)
}

fn name_of(id: u32, bytes: &[u8]) -> Result<String, StoreError> {
    String::from_utf8(bytes.to_vec())
        .map_err(|_| StoreError::Corrupt(format!("tag {id} name is not UTF-8")))
}

/// The tag dictionary of one table, walked in id order (or reverse) a page at a time, each
/// page from a fresh iterator, so the walk pins nothing between pages.
pub(super) struct Dictionary {
    names: Keyspace,
    table_id: u32,
    reverse: bool,
    page: VecDeque<(u32, String)>,
    /// The last id read; the next page starts past it.
    last: Option<u32>,
    done: bool,
}

impl Dictionary {
    pub fn new(names: Keyspace, table_id: u32, reverse: bool) -> Dictionary {
        Dictionary {
            names,
            table_id,
            reverse,
            page: VecDeque::new(),
            last: None,
            done: false,
        }
    }

    pub fn next(&mut self) -> Result<Option<(u32, String)>, StoreError> {
        if self.page.is_empty() && !self.done {
            self.fill()?;
        }
        Ok(self.page.pop_front())
    }

    fn fill(&mut self) -> Result<(), StoreError> {
        let prefix = tag_id_prefix(self.table_id);
        let (lo, hi) = match (self.last, self.reverse) {
            (None, _) => (
                tag_id_key(self.table_id, 0),
                tag_id_key(self.table_id, u32::MAX),
            ),
            (Some(last), false) => match last.checked_add(1) {
                Some(next) => (
                    tag_id_key(self.table_id, next),
                    tag_id_key(self.table_id, u32::MAX),
                ),
                None => {
                    self.done = true;
                    return Ok(());
                }
            },
            (Some(last), true) => match last.checked_sub(1) {
                Some(next) => (
                    tag_id_key(self.table_id, 0),
                    tag_id_key(self.table_id, next),
                ),
                None => {
                    self.done = true;
                    return Ok(());
                }
            },
        };
        let mut iter = self.names.range(lo..=hi);
        while self.page.len() < DICTIONARY_PAGE {
            let guard = if self.reverse {
                iter.next_back()
            } else {
                iter.next()
            };
            let Some(guard) = guard else {
                self.done = true;
                break;
            };
            let (key, value) = guard.into_inner()?;
            if !key.starts_with(&prefix) {
                continue;
            }
            let id = key
                .get(5..9)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(u32::from_be_bytes)
                .ok_or_else(|| StoreError::Corrupt(format!("undecodable tag key {key:?}")))?;
            self.last = Some(id);
            self.page.push_back((id, name_of(id, &value)?));
        }
        Ok(())
    }

    /// Every (id, name), ascending.
    fn collect_all(mut self) -> Result<Vec<(u32, String)>, StoreError> {
        let mut all = Vec::new();
        while let Some(entry) = self.next()? {
            all.push(entry);
        }
        Ok(all)
    }
}

/// Several tags' rows in one time order: a heap over per-tag cursors keyed by each tag's next
/// time. A cursor learns that time from chunk headers without decoding (`Merge::peek`), so
/// starting costs a seek per tag and part, and only the tags whose rows are taken decode. At
/// most `MERGE_OPEN_TAGS_MAX` cursors keep their merge (and its chunks) open; another one
/// re-opens its tag from its next time, from that moment's parts and head, when it comes up.
/// Equal times come in tag id order (falling for a descending merge).
struct TimeMerge {
    cursors: Vec<TagCursor>,
    /// (order key of the cursor's next time, order key of its tag, cursor index); the largest
    /// comes out first, so an ascending merge stores complemented keys.
    heap: BinaryHeap<(u64, u32, usize)>,
    window: Window,
    /// Cursors with an open merge, the least recently used first.
    open: VecDeque<usize>,
}

struct TagCursor {
    tag: u32,
    name: String,
    merge: Option<Merge>,
    /// The time of the tag's next row; `None` once its rows are used up.
    next: Option<i64>,
}

fn order_key(time: i64, reverse: bool) -> u64 {
    let flipped = (time as u64) ^ (1 << 63);
    if reverse { flipped } else { !flipped }
}

impl TimeMerge {
    fn new(
        chunked: &Chunked,
        table: &Arc<Table>,
        tags: Vec<(u32, String)>,
        window: Window,
    ) -> Result<TimeMerge, StoreError> {
        let mut merge = TimeMerge {
            cursors: Vec::with_capacity(tags.len()),
            heap: BinaryHeap::new(),
            window,
            open: VecDeque::new(),
        };
        for (index, (tag, name)) in tags.into_iter().enumerate() {
            let (parts, head) = chunked.series(table, tag, window);
            let rows = Merge::new(table, &parts.list, Some(tag), head, window)?;
            merge.cursors.push(TagCursor {
                tag,
                name,
                next: rows.peek(),
                merge: None,
            });
            merge.push(index);
        }
        Ok(merge)
    }

    fn push(&mut self, index: usize) {
        let reverse = self.window.reverse;
        if let Some(cursor) = self.cursors.get(index)
            && let Some(time) = cursor.next
        {
            let tag_key = if reverse { cursor.tag } else { !cursor.tag };
            self.heap.push((order_key(time, reverse), tag_key, index));
        }
    }

    fn next_row(
        &mut self,
        chunked: &Chunked,
        table: &Arc<Table>,
        out: &mut Vec<Value>,
    ) -> Result<bool, StoreError> {
        let Some((_, _, index)) = self.heap.pop() else {
            return Ok(false);
        };
        let window = self.window;
        let Some(cursor) = self.cursors.get_mut(index) else {
            return Ok(false);
        };
        let Some(from) = cursor.next else {
            return Ok(false);
        };
        if cursor.merge.is_none() {
            let rest = if window.reverse {
                Window {
                    time_max: from,
                    ..window
                }
            } else {
                Window {
                    time_min: from,
                    ..window
                }
            };
            let (parts, head) = chunked.series(table, cursor.tag, rest);
            cursor.merge = Some(Merge::new(
                table,
                &parts.list,
                Some(cursor.tag),
                head,
                rest,
            )?);
        }
        let Some(rows) = cursor.merge.as_mut() else {
            return Ok(false);
        };
        let Some((time, _)) = rows.next_row(out)? else {
            return Ok(false);
        };
        cursor.next = rows.peek();
        set_time(table, out, time);
        if let Some(slot) = table.tag_column.and_then(|i| out.get_mut(i)) {
            slot.set_str(&cursor.name);
        }
        self.open.retain(|&i| i != index);
        self.open.push_back(index);
        if self.open.len() > MERGE_OPEN_TAGS_MAX
            && let Some(evicted) = self.open.pop_front()
            && let Some(cold) = self.cursors.get_mut(evicted)
        {
            cold.merge = None;
        }
        self.push(index);
        Ok(true)
    }
}
