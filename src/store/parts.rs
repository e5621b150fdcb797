//! Parts: the sealed rows of a table, each part a fjall keyspace written once by a bulk
//! ingestion and never changed, holding compressed chunks (`chunk`) under sorted keys. A
//! table's manifest lists its parts; a checkpoint adds parts, a merge replaces several by one,
//! and a part no reader holds any more is deleted whole.
//!
//! Keys in a part, by each chunk's last row, so that a read from time `t` on seeks straight
//! to the first chunk that reaches `t`:
//! - tag table: `tag id u32 | chunk max time` (one series' chunks do not overlap in time);
//! - log table and stream: `chunk max time | last sequence u64`.
//!
//! Times are i64 with the sign bit flipped, all big-endian, so byte order is time order.
//!
//! The manifest (one meta entry per table, written in the fjall batch that publishes a
//! checkpoint or merge, so it changes atomically) holds the generation and write-ahead log
//! sequence the parts cover and, per part, its id, time window, time span and size.
//!
//! Invariants:
//! - A part is in at most one manifest; a keyspace named like a part but in no manifest is
//!   left over from a crash and is deleted at open.
//! - Parts of one window may overlap in time; readers merge them, the newer part (higher
//!   rank) winning a tag table's equal (tag, time). Parts of different windows never overlap.
//! - A checkpoint's part ranks as its id; a merge of parts of consecutive ranks ranks as the
//!   newest of them, and a part rewritten by a DELETE keeps its rank, so merging and deleting
//!   never change which of two parts is newer.

use std::sync::Arc;

use fjall::Keyspace;

use super::keys::{time_bytes, time_from_bytes};
use crate::bytes::{Reader, put_varint};

/// A sealed part as the manifest lists it, with its open keyspace.
pub(super) struct Part {
    pub id: u64,
    /// Newer parts rank higher (see the module comment).
    pub rank: u64,
    pub keyspace: Keyspace,
    /// Start of the time window the part's rows fall in (`PARTITION_WIDTH_NS` aligned).
    pub window: i64,
    /// The lowest and highest tag id it holds (0 and 0 for a log table or stream), so a
    /// read of one tag skips the parts that cannot hold it.
    pub tags: (u32, u32),
    pub min_time: i64,
    pub max_time: i64,
    pub rows: u64,
    pub bytes: u64,
}

/// What the manifest says about one part; `Part` once its keyspace is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct PartEntry {
    pub id: u64,
    pub rank: u64,
    pub window: i64,
    pub tags: (u32, u32),
    pub min_time: i64,
    pub max_time: i64,
    pub rows: u64,
    pub bytes: u64,
}

impl Part {
    pub fn entry(&self) -> PartEntry {
        PartEntry {
            id: self.id,
            rank: self.rank,
            window: self.window,
            tags: self.tags,
            min_time: self.min_time,
            max_time: self.max_time,
            rows: self.rows,
            bytes: self.bytes,
        }
    }

    pub fn overlaps(&self, time_min: i64, time_max: i64) -> bool {
        self.min_time <= time_max && self.max_time >= time_min
    }

    /// Whether the part may hold rows of `tag` (`None`: a log table's or stream's rows).
    pub fn may_hold(&self, tag: Option<u32>) -> bool {
        tag.is_none_or(|t| (self.tags.0..=self.tags.1).contains(&t))
    }
}

/// The parts of a table at one moment: immutable, swapped whole when a checkpoint or merge
/// publishes new ones, so a reader keeps a consistent list for as long as it holds it.
pub(super) struct Parts {
    /// The newest checkpoint generation whose rows these parts hold.
    pub generation: u64,
    /// The write-ahead log sequence up to which this table's rows are in these parts.
    pub wal_seq: u64,
    /// Ascending by rank: later parts are newer.
    pub list: Vec<Arc<Part>>,
}

impl Parts {
    pub fn empty() -> Parts {
        Parts {
            generation: 0,
            wal_seq: 0,
            list: Vec::new(),
        }
    }
}

/// The manifest as stored: generation, log sequence, part entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Manifest {
    pub generation: u64,
    pub wal_seq: u64,
    pub parts: Vec<PartEntry>,
}

const MANIFEST_VERSION: u8 = 1;

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

impl Manifest {
    pub fn of(parts: &Parts) -> Manifest {
        Manifest {
            generation: parts.generation,
            wal_seq: parts.wal_seq,
            parts: parts.list.iter().map(|p| p.entry()).collect(),
        }
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![MANIFEST_VERSION];
        put_varint(&mut out, self.generation);
        put_varint(&mut out, self.wal_seq);
        put_varint(&mut out, self.parts.len() as u64);
        for p in &self.parts {
            put_varint(&mut out, p.id);
            put_varint(&mut out, p.rank);
            put_varint(&mut out, zigzag(p.window));
            put_varint(&mut out, u64::from(p.tags.0));
            put_varint(&mut out, u64::from(p.tags.1));
            put_varint(&mut out, zigzag(p.min_time));
            put_varint(&mut out, zigzag(p.max_time));
            put_varint(&mut out, p.rows);
            put_varint(&mut out, p.bytes);
        }
        out
    }

    pub fn decode(bytes: &[u8]) -> Option<Manifest> {
        let mut r = Reader::new(bytes);
        if r.u8()? != MANIFEST_VERSION {
            return None;
        }
        let generation = r.varint()?;
        let wal_seq = r.varint()?;
        let count = r.varint()?;
        let mut parts = Vec::new();
        for _ in 0..count {
            parts.push(PartEntry {
                id: r.varint()?,
                rank: r.varint()?,
                window: unzigzag(r.varint()?),
                tags: (
                    u32::try_from(r.varint()?).ok()?,
                    u32::try_from(r.varint()?).ok()?,
                ),
                min_time: unzigzag(r.varint()?),
                max_time: unzigzag(r.varint()?),
                rows: r.varint()?,
                bytes: r.varint()?,
            });
        }
        r.is_empty().then_some(Manifest {
            generation,
            wal_seq,
            parts,
        })
    }
}

/// The keyspace name of part `id` of table `table_id`.
pub(super) fn keyspace_name(table_id: u32, id: u64) -> String {
    format!("p{table_id}_{id}")
}

/// The (table id, part id) of a part keyspace name.
pub(super) fn parse_keyspace_name(name: &str) -> Option<(u32, u64)> {
    let (table, id) = name.strip_prefix('p')?.split_once('_')?;
    Some((table.parse().ok()?, id.parse().ok()?))
}

/// A tag table chunk's key.
pub(super) fn series_key(tag: u32, min_time: i64) -> [u8; 12] {
    let mut key = [0u8; 12];
    key[..4].copy_from_slice(&tag.to_be_bytes());
    key[4..].copy_from_slice(&time_bytes(min_time));
    key
}

pub(super) fn decode_series_key(key: &[u8]) -> Option<(u32, i64)> {
    let tag = u32::from_be_bytes(key.get(..4)?.try_into().ok()?);
    let time = time_from_bytes(key.get(4..12)?.try_into().ok()?);
    (key.len() == 12).then_some((tag, time))
}

/// A log table's or stream's chunk key.
pub(super) fn stretch_key(min_time: i64, first_seq: u64) -> [u8; 16] {
    let mut key = [0u8; 16];
    key[..8].copy_from_slice(&time_bytes(min_time));
    key[8..].copy_from_slice(&first_seq.to_be_bytes());
    key
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manifests_round_trip_and_refuse_garbage() {
        let m = Manifest {
            generation: 7,
            wal_seq: 1234,
            parts: vec![PartEntry {
                id: 3,
                rank: 2,
                window: -86_400,
                tags: (3, 70_000),
                min_time: i64::MIN,
                max_time: i64::MAX,
                rows: 10,
                bytes: 99,
            }],
        };
        let bytes = m.encode();
        assert_eq!(Manifest::decode(&bytes), Some(m));
        for cut in 0..bytes.len() {
            assert_eq!(Manifest::decode(&bytes[..cut]), None);
        }
    }

    #[test]
    fn keys_sort_by_tag_then_time_across_the_sign() {
        let keys = [
            series_key(1, i64::MIN),
            series_key(1, -1),
            series_key(1, 0),
            series_key(1, i64::MAX),
            series_key(2, i64::MIN),
        ];
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(decode_series_key(&keys[1]), Some((1, -1)));
        assert!(stretch_key(-5, 9) < stretch_key(3, 0));
        assert_eq!(
            parse_keyspace_name(&keyspace_name(12, 345)),
            Some((12, 345))
        );
        assert_eq!(parse_keyspace_name("t12"), None);
    }
}
