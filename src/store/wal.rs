//! The write-ahead log: every applied row, once, compressed, in sequential segment files,
//! until a checkpoint has sealed it into parts. It is what makes the heads (raw rows in
//! memory) durable: after a crash the heads are rebuilt from it.
//!
//! Layout: `DATA/wal/<20-digit segment number>.log`. A segment is a sequence of records
//! `length u32 LE | crc32 u32 LE | payload`; a payload is
//! `log sequence varint | table id varint | new tag count varint | (tag id, name)… | block`,
//! the block being the table's rows of one commit group as a chunk with a tag column
//! (`chunk`), in arrival order. A new segment starts when the current one passes
//! `WAL_SEGMENT_BYTES`; after a restart appends continue the last segment.
//!
//! Invariants:
//! - Records are appended in log sequence order; a record is durable once `sync` returned.
//! - A segment is deleted only when every table with rows in it has checkpointed past its
//!   last record (or was dropped): `Wal::trim`.
//! - Reading stops at the first record that is short or fails its checksum in the last
//!   segment (a write torn by a crash, never acknowledged as durable) and the segment is cut
//!   there; the same in an earlier segment is corruption.

use std::collections::{BTreeMap, HashSet};
use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::StoreError;
use crate::bytes::{Reader, put_bytes, put_varint};
use crate::limits::WAL_SEGMENT_BYTES;

/// One record: the rows of one table from one commit group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Record {
    pub seq: u64,
    pub table_id: u32,
    /// Tags first named in this record: (id, name).
    pub new_tags: Vec<(u32, String)>,
    pub block: Vec<u8>,
}

impl Record {
    fn encode(&self, out: &mut Vec<u8>) {
        let start = out.len();
        out.extend_from_slice(&[0; 8]);
        put_varint(out, self.seq);
        put_varint(out, u64::from(self.table_id));
        put_varint(out, self.new_tags.len() as u64);
        for (id, name) in &self.new_tags {
            put_varint(out, u64::from(*id));
            put_bytes(out, name.as_bytes());
        }
        out.extend_from_slice(&self.block);
        let payload = out.get(start + 8..).unwrap_or_default();
        let length = (payload.len() as u32).to_le_bytes();
        let crc = crc32fast::hash(payload).to_le_bytes();
        if let Some(head) = out.get_mut(start..start + 8) {
            head[..4].copy_from_slice(&length);
            head[4..].copy_from_slice(&crc);
        }
    }

    fn decode(payload: &[u8]) -> Option<Record> {
        let mut r = Reader::new(payload);
        let seq = r.varint()?;
        let table_id = u32::try_from(r.varint()?).ok()?;
        let count = r.varint()?;
        let mut new_tags = Vec::new();
        for _ in 0..count {
            let id = u32::try_from(r.varint()?).ok()?;
            new_tags.push((id, r.str()?.to_owned()));
        }
        Some(Record {
            seq,
            table_id,
            new_tags,
            block: r.remaining().to_vec(),
        })
    }
}

struct Segment {
    number: u64,
    /// The highest log sequence in it, and the tables with rows in it.
    last_seq: u64,
    tables: HashSet<u32>,
}

pub(super) struct Wal {
    dir: PathBuf,
    file: File,
    /// Bytes in the current (last) segment.
    size: u64,
    /// Every segment not yet deleted, the current one last.
    segments: BTreeMap<u64, Segment>,
    /// Written since the last `sync`.
    dirty: bool,
    scratch: Vec<u8>,
}

fn segment_path(dir: &Path, number: u64) -> PathBuf {
    dir.join(format!("{number:020}.log"))
}

fn io(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("cannot {what} {}: {e}", path.display()))
}

impl Wal {
    /// Opens the log in `dir`, handing every intact record to `replay` in order; cuts a torn
    /// tail off the last segment. Appends go to a new segment.
    pub fn open(
        dir: &Path,
        mut replay: impl FnMut(Record) -> Result<(), StoreError>,
    ) -> Result<Wal, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        let mut numbers = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|e| io("read", dir, e))? {
            let entry = entry.map_err(|e| io("read", dir, e))?;
            let name = entry.file_name();
            if let Some(number) = name
                .to_str()
                .and_then(|n| n.strip_suffix(".log"))
                .and_then(|n| n.parse::<u64>().ok())
            {
                numbers.push(number);
            }
        }
        numbers.sort_unstable();
        let mut segments = BTreeMap::new();
        let last_number = numbers.last().copied();
        for number in numbers {
            let path = segment_path(dir, number);
            let mut bytes = Vec::new();
            File::open(&path)
                .and_then(|mut f| f.read_to_end(&mut bytes))
                .map_err(|e| io("read", &path, e))?;
            let mut segment = Segment {
                number,
                last_seq: 0,
                tables: HashSet::new(),
            };
            let mut at = 0usize;
            while at < bytes.len() {
                let record = read_record(&bytes, at);
                let Some((record, next)) = record else {
                    if Some(number) != last_number {
                        return Err(StoreError::Corrupt(format!(
                            "write-ahead log segment {} is damaged at byte {at}",
                            path.display()
                        )));
                    }
                    // A torn last write: it was never acknowledged as durable.
                    let file = OpenOptions::new()
                        .write(true)
                        .open(&path)
                        .map_err(|e| io("open", &path, e))?;
                    file.set_len(at as u64)
                        .and_then(|()| file.sync_data())
                        .map_err(|e| io("truncate", &path, e))?;
                    break;
                };
                segment.last_seq = segment.last_seq.max(record.seq);
                segment.tables.insert(record.table_id);
                replay(record)?;
                at = next;
            }
            segments.insert(number, segment);
        }
        // Appends continue the last segment (cut to its last whole record), or a first one.
        let (file, size) = match last_number {
            Some(number) => {
                let path = segment_path(dir, number);
                let file = OpenOptions::new()
                    .append(true)
                    .open(&path)
                    .map_err(|e| io("open", &path, e))?;
                let size = file.metadata().map_err(|e| io("stat", &path, e))?.len();
                (file, size)
            }
            None => {
                segments.insert(
                    1,
                    Segment {
                        number: 1,
                        last_seq: 0,
                        tables: HashSet::new(),
                    },
                );
                (create_segment(dir, 1)?, 0)
            }
        };
        Ok(Wal {
            dir: dir.to_path_buf(),
            file,
            size,
            segments,
            dirty: false,
            scratch: Vec::new(),
        })
    }

    /// Appends `records` (one commit group's) in one write; durable after `sync`.
    pub fn append(&mut self, records: &[Record]) -> Result<(), StoreError> {
        if records.is_empty() {
            return Ok(());
        }
        if self.size >= WAL_SEGMENT_BYTES {
            self.rotate()?;
        }
        self.scratch.clear();
        for record in records {
            record.encode(&mut self.scratch);
        }
        let number = self.current_number();
        let path = segment_path(&self.dir, number);
        self.file
            .write_all(&self.scratch)
            .map_err(|e| io("write", &path, e))?;
        self.size += self.scratch.len() as u64;
        self.dirty = true;
        if let Some(segment) = self.segments.get_mut(&number) {
            for record in records {
                segment.last_seq = segment.last_seq.max(record.seq);
                segment.tables.insert(record.table_id);
            }
        }
        Ok(())
    }

    fn current_number(&self) -> u64 {
        self.segments.keys().next_back().copied().unwrap_or(1)
    }

    /// Makes everything appended durable.
    pub fn sync(&mut self) -> Result<(), StoreError> {
        if self.dirty {
            let path = segment_path(&self.dir, self.current_number());
            self.file.sync_data().map_err(|e| io("fsync", &path, e))?;
            self.dirty = false;
        }
        Ok(())
    }

    fn rotate(&mut self) -> Result<(), StoreError> {
        self.sync()?;
        let number = self.current_number() + 1;
        let file = create_segment(&self.dir, number)?;
        self.file = file;
        self.size = 0;
        self.segments.insert(
            number,
            Segment {
                number,
                last_seq: 0,
                tables: HashSet::new(),
            },
        );
        Ok(())
    }

    /// Deletes every segment, but the current one, whose records are all sealed:
    /// `covered(table)` is the log sequence up to which a table's rows are in its parts
    /// (`None` for a table that no longer exists).
    pub fn trim(&mut self, covered: impl Fn(u32) -> Option<u64>) -> Result<(), StoreError> {
        let current = self.current_number();
        let done: Vec<u64> = self
            .segments
            .values()
            .filter(|s| s.number != current)
            .filter(|s| {
                s.tables
                    .iter()
                    .all(|&t| covered(t).is_none_or(|c| c >= s.last_seq))
            })
            .map(|s| s.number)
            .collect();
        for number in done {
            let path = segment_path(&self.dir, number);
            std::fs::remove_file(&path).map_err(|e| io("delete", &path, e))?;
            self.segments.remove(&number);
        }
        Ok(())
    }

    /// The tables with rows in the oldest segment kept.
    pub fn oldest_tables(&self) -> Vec<u32> {
        self.segments
            .values()
            .next()
            .map(|s| s.tables.iter().copied().collect())
            .unwrap_or_default()
    }

    pub fn segment_count(&self) -> usize {
        self.segments.len()
    }
}

fn create_segment(dir: &Path, number: u64) -> Result<File, StoreError> {
    let path = segment_path(dir, number);
    let file = OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| io("create", &path, e))?;
    // The new file's name must survive a crash before any record in it is acknowledged.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| io("fsync", dir, e))?;
    Ok(file)
}

/// The record at `at`, and where the next one starts; `None` if it is short or damaged.
fn read_record(bytes: &[u8], at: usize) -> Option<(Record, usize)> {
    let head = bytes.get(at..at.checked_add(8)?)?;
    let length = u32::from_le_bytes(head.get(..4)?.try_into().ok()?) as usize;
    let crc = u32::from_le_bytes(head.get(4..)?.try_into().ok()?);
    let end = at.checked_add(8)?.checked_add(length)?;
    let payload = bytes.get(at + 8..end)?;
    if crc32fast::hash(payload) != crc {
        return None;
    }
    Some((Record::decode(payload)?, end))
}

/// For tests: the records of a directory, as `open` would replay them.
#[cfg(test)]
fn records_in(dir: &Path) -> Vec<Record> {
    let mut records = Vec::new();
    let _ = Wal::open(dir, |r| {
        records.push(r);
        Ok(())
    });
    records
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn record(seq: u64, table_id: u32) -> Record {
        Record {
            seq,
            table_id,
            new_tags: vec![(seq as u32, format!("tag{seq}"))],
            block: vec![seq as u8; 100],
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("tidegate-wal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn records_come_back_in_order_after_reopening() {
        let dir = temp("order");
        let mut wal = Wal::open(&dir, |_| Ok(())).unwrap();
        wal.append(&[record(1, 5), record(2, 6)]).unwrap();
        wal.sync().unwrap();
        wal.append(&[record(3, 5)]).unwrap();
        wal.sync().unwrap();
        drop(wal);
        assert_eq!(records_in(&dir), [record(1, 5), record(2, 6), record(3, 5)]);
        // Reopening again still finds them, and appends continue the segment.
        assert_eq!(records_in(&dir).len(), 3);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_torn_tail_is_cut_and_earlier_damage_is_an_error() {
        let dir = temp("torn");
        let mut wal = Wal::open(&dir, |_| Ok(())).unwrap();
        wal.append(&[record(1, 5), record(2, 5)]).unwrap();
        wal.sync().unwrap();
        drop(wal);
        let path = segment_path(&dir, 1);
        let full = std::fs::read(&path).unwrap();
        for cut in [full.len() - 1, full.len() - 60, full.len() / 2 + 3] {
            std::fs::write(&path, &full[..cut]).unwrap();
            // Only the segment with the damage, as the last one.
            for extra in std::fs::read_dir(&dir).unwrap() {
                let p = extra.unwrap().path();
                if p != path {
                    std::fs::remove_file(p).unwrap();
                }
            }
            assert_eq!(records_in(&dir), [record(1, 5)], "cut at {cut}");
        }
        // A damaged record in a segment that is not the last.
        std::fs::write(&path, &full).unwrap();
        let mut later = Wal::open(&dir, |_| Ok(())).unwrap();
        later.rotate().unwrap();
        later.append(&[record(3, 5)]).unwrap();
        later.sync().unwrap();
        drop(later);
        std::fs::write(&path, {
            let mut bad = full.clone();
            bad[12] ^= 1;
            bad
        })
        .unwrap();
        assert!(matches!(
            Wal::open(&dir, |_| Ok(())),
            Err(StoreError::Corrupt(_))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn segments_go_once_every_table_in_them_is_covered() {
        let dir = temp("trim");
        let mut wal = Wal::open(&dir, |_| Ok(())).unwrap();
        wal.append(&[record(1, 5), record(2, 6)]).unwrap();
        wal.rotate().unwrap();
        wal.append(&[record(3, 5)]).unwrap();
        wal.rotate().unwrap();
        assert_eq!(wal.segment_count(), 3);
        let covered: HashMap<u32, u64> = [(5, 3)].into();
        wal.trim(|t| covered.get(&t).copied().or(Some(0))).unwrap();
        // Table 6 still needs the first segment.
        assert_eq!(wal.segment_count(), 2);
        let mut oldest = wal.oldest_tables();
        oldest.sort_unstable();
        assert_eq!(oldest, [5, 6]);
        wal.trim(|t| {
            if t == 6 {
                None
            } else {
                covered.get(&t).copied()
            }
        })
        .unwrap();
        assert_eq!(wal.segment_count(), 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
