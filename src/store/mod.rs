//! Durable rows. Callers use `Store::submit(batch, durability)` and `Store::scan(table, spec)`.
//! Nothing outside `src/store/` builds a key or reads a byte of row encoding.
//!
//! Not here: table definitions (`catalog`), text-to-value conversion (`ingest`), SQL (`sql`).
//!
//! The engine stores compressed columns, not rows. A table's rows go to its head (raw, in
//! memory, `head`) and, compressed, to the write-ahead log (`wal`, sequential segment files);
//! when a head grows past its bound, a checkpoint seals it into parts (`checkpoint`, `parts`):
//! fjall keyspaces written once by bulk ingestion, holding per-series chunks (`chunk`) with
//! delta-of-delta times, decimal or XOR floats and dictionary text. Reads merge parts and head
//! (`read`, `cursor`). kv streams, which keep one row per key, keep the row layout: one fjall
//! entry per row in keyspace `t<id>` (`keys`, `row`, `kv`, `scan`).
//!
//! Layout: `DATA/db` is fjall: keyspace `meta` holds the catalog, each table's part manifest,
//! the counters and the format version; `tags` maps tag names to ids (both ways) and holds the
//! kv index; `p<table>_<part>` are parts; `t<id>` kv streams. `DATA/wal` is the log.
//!
//! Invariants:
//! - Only the writer thread writes (`writer`). A durable batch is acknowledged only after the
//!   log fsync that covers it. After a failed write or fsync the store is poisoned: every
//!   waiting and later acknowledgement fails and the process exits non-zero.
//! - (tag, time) is unique in a tag table: a repeated row replaces the earlier one.
//! - One process per data directory, enforced by an exclusive lock on `tidegate.lock`.
//! - The data directory carries its format version (`FORMAT`); a directory of another
//!   version is refused with a message naming it.

mod batch;
mod checkpoint;
mod chunk;
mod chunked;
mod cursor;
mod head;
mod id_map;
mod keys;
mod keyspaces;
mod kv;
mod live;
#[cfg(test)]
mod model_tests;
mod page;
mod parts;
mod read;
mod row;
mod scan;
mod sealer;
mod wal;
mod writer;

pub use batch::{BatchError, RowBatch};
pub use live::{LiveError, Replay, Subscription};
pub use scan::{ScanSpec, TagSelection};
pub use writer::Durability;

use chunk::{Chunk, RowKey};
use chunked::Chunked;
use head::TableHead;
use parts::{Manifest, Part, Parts, parse_keyspace_name};
use read::ChunkScan;
use scan::RowScan;
use wal::Wal;

use std::collections::{HashMap, HashSet};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fjall::config::{FilterPolicy, PinningPolicy};
use fjall::{Database, Keyspace, KeyspaceCreateOptions};

use crate::catalog::{Table, codec};
use crate::limits::{
    BLOCK_CACHE_BYTES, HEADS_BYTES_MAX, MEMTABLE_BYTES_MAX, STORED_KEY_BYTES_MAX,
    TABLE_HEAD_BYTES_MAX, WRITER_QUEUE_BATCHES_MAX,
};
use crate::value::Value;
use writer::Command;

#[derive(Debug, Clone)]
pub enum StoreError {
    /// Another process holds the data directory.
    Locked(PathBuf),
    /// The data directory was written in another storage format.
    Format {
        dir: PathBuf,
        found: u32,
    },
    Io(String),
    /// A storage fault happened earlier; nothing more is written until restart.
    Poisoned,
    /// The table was dropped while the request was writing to it.
    TableDropped(String),
    Corrupt(String),
    Closed,
}

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreError::Locked(p) => write!(
                f,
                "the data directory {} is in use by another tidegate process",
                p.display()
            ),
            StoreError::Format { dir, found } => write!(
                f,
                "the data directory {} is in storage format {found}, and this tidegate reads \
                 format {FORMAT} only; start it on a new data directory (the rows can be \
                 exported with the tidegate that wrote them and ingested again)",
                dir.display()
            ),
            StoreError::Io(e) => write!(f, "storage error: {e}"),
            StoreError::Poisoned => f.write_str(
                "storage is unavailable after an earlier write failure; tidegate is restarting",
            ),
            StoreError::TableDropped(t) => write!(f, "table {t} was dropped during the write"),
            StoreError::Corrupt(e) => write!(f, "stored data is corrupt: {e}"),
            StoreError::Closed => f.write_str("the store is shutting down"),
        }
    }
}

impl From<fjall::Error> for StoreError {
    fn from(e: fjall::Error) -> Self {
        StoreError::Io(format!("{e:?}"))
    }
}

#[derive(Clone)]
pub struct Store {
    inner: Arc<Inner>,
}

struct Inner {
    /// For snapshots: a kv stream's scan reads one consistent view (see `scan`).
    db: Database,
    tags: Keyspace,
    tables: RwLock<HashMap<u32, Storage>>,
    commands: smol::channel::Sender<Command>,
    poisoned: AtomicBool,
    /// Subscribers of live rows (streaming queries), fed by the writer.
    live: Arc<live::Hub>,
    /// Keeps the directory lock for the life of the process.
    _lock: File,
}

/// What `Store::open` hands back besides the store.
pub struct Opened {
    pub store: Store,
    pub tables: Vec<Table>,
    pub writer: writer::WriterThread,
    /// Receives one message if the writer hits a storage fault.
    pub fatal: smol::channel::Receiver<StoreError>,
}

/// When heads are checkpointed: `TABLE_HEAD_BYTES_MAX` and `HEADS_BYTES_MAX`, smaller in
/// tests so that checkpoints and merges happen beside ingest.
#[derive(Debug, Clone, Copy)]
struct HeadBounds {
    table_bytes_max: usize,
    all_bytes_max: usize,
}

impl Default for HeadBounds {
    fn default() -> Self {
        HeadBounds {
            table_bytes_max: TABLE_HEAD_BYTES_MAX,
            all_bytes_max: HEADS_BYTES_MAX,
        }
    }
}

/// Where a table's rows live.
#[derive(Clone)]
enum Storage {
    /// A kv stream: one fjall entry per row.
    Rows(Keyspace),
    Chunked(Arc<Chunked>),
}

const META: &str = "meta";
const TAGS: &str = "tags";
const CATALOG_PREFIX: &[u8] = b"catalog/";
const MANIFEST_PREFIX: &[u8] = b"parts/";
const NEXT_TABLE_ID: &[u8] = b"next_table_id";
const NEXT_SEQ: &[u8] = b"next_seq";
const NEXT_PART_ID: &[u8] = b"next_part_id";
const FORMAT_KEY: &[u8] = b"format";
/// Version 1 stored one fjall entry per row in every table; version 2 stores columns.
const FORMAT: u32 = 2;

fn table_keyspace_name(id: u32) -> String {
    format!("t{id}")
}

fn manifest_key(table_id: u32) -> Vec<u8> {
    let mut key = MANIFEST_PREFIX.to_vec();
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// The storage a new table starts with.
fn storage_for(db: &Database, table: &Table) -> Result<Storage, StoreError> {
    Ok(if table.mode.is_kv() {
        Storage::Rows(db.keyspace(&table_keyspace_name(table.id), table_keyspace_options)?)
    } else {
        Storage::Chunked(Arc::new(Chunked::new(
            Arc::new(table.clone()),
            Parts::empty(),
            TableHead::new(table, 1),
        )))
    })
}

fn table_keyspace_options() -> KeyspaceCreateOptions {
    // Small memtables keep peak RSS inside the board budget; see limits.rs. Tables are read
    // by range scans only, never by point lookups, so bloom filters would cost memory (8 bytes
    // per key while a compaction writes, pinned blocks after) and disk for nothing.
    // Index blocks go through the bounded block cache instead of being pinned per table, so
    // memory does not grow with the data on disk.
    KeyspaceCreateOptions::default()
        .max_memtable_size(MEMTABLE_BYTES_MAX)
        .filter_policy(FilterPolicy::disabled())
        .index_block_pinning_policy(PinningPolicy::disabled())
}

/// The tag dictionary is read by point lookups (a listed tag's id, a name) as well as in id
/// order. fjall builds one bloom filter block and one index block per table unless told to
/// partition them; a table's filter is pinned in memory only in level 0, and any other block
/// goes through the block cache, which admits no block larger than its share of one cache
/// shard (`BLOCK_CACHE_BYTES` / (4 x CPUs, rounded up to a power of two) x 0.8: 819 KiB on 2
/// CPUs, 410 KiB on 4). A filter built in level 0 takes about 4.8 bytes per tag (two keys of
/// 19 bits), so past about 175,000 tags on 2 CPUs (half that on 4) it outgrows that once its
/// table leaves level 0, which a restart's compaction does at once; then every lookup re-read
/// and checksummed the whole filter from disk, 150-300 us each and growing with the tag
/// count. Partitioned, a lookup loads one small filter partition and one index partition
/// through the cache, at any tag count. fjall keeps a keyspace's options from its creation,
/// so this applies to data directories created since. Its memtable is as small as a table's:
/// with fjall's default, 200,000 new tags (two entries each) held 35 MiB of skiplist.
fn tag_dictionary_options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .max_memtable_size(MEMTABLE_BYTES_MAX)
        .filter_block_partitioning_policy(PinningPolicy::all(true))
        .index_block_partitioning_policy(PinningPolicy::all(true))
}

impl Store {
    pub fn open(dir: &Path, sync_interval: Duration) -> Result<Opened, StoreError> {
        Self::open_with(dir, sync_interval, HeadBounds::default())
    }

    fn open_with(
        dir: &Path,
        sync_interval: Duration,
        bounds: HeadBounds,
    ) -> Result<Opened, StoreError> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Io(format!(
                "cannot create data directory {}: {e}",
                dir.display()
            ))
        })?;
        let lock_path = dir.join("tidegate.lock");
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| StoreError::Io(format!("cannot open {}: {e}", lock_path.display())))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => return Err(StoreError::Locked(dir.to_path_buf())),
            Err(TryLockError::Error(e)) => {
                return Err(StoreError::Io(format!(
                    "cannot lock {}: {e}",
                    lock_path.display()
                )));
            }
        }
        let db = Database::builder(dir.join("db"))
            .cache_size(BLOCK_CACHE_BYTES)
            // Two workers, so a memtable flush need not wait behind a long compaction.
            .worker_threads(2)
            .max_journaling_size(64 << 20)
            .manual_journal_persist(true)
            .open()?;
        let meta = db.keyspace(META, KeyspaceCreateOptions::default)?;
        let tags = db.keyspace(TAGS, tag_dictionary_options)?;

        check_format(&meta, dir)?;
        let mut tables = Vec::new();
        let mut storages = HashMap::new();
        let mut referenced = HashSet::new();
        for guard in meta.prefix(CATALOG_PREFIX) {
            let (key, value) = guard.into_inner()?;
            let table = codec::decode(&value).ok_or_else(|| {
                StoreError::Corrupt(format!("undecodable table definition under {key:?}"))
            })?;
            let storage = if table.mode.is_kv() {
                Storage::Rows(db.keyspace(&table_keyspace_name(table.id), table_keyspace_options)?)
            } else {
                let parts = open_parts(&db, &meta, table.id)?;
                referenced.extend(parts.list.iter().map(|p| (table.id, p.id)));
                let head = TableHead::new(&table, parts.generation + 1);
                Storage::Chunked(Arc::new(Chunked::new(Arc::new(table.clone()), parts, head)))
            };
            storages.insert(table.id, storage);
            tables.push(table);
        }
        // Parts a crash left behind before their manifest was written. Their ids are not
        // given out again.
        let mut highest_part = 0;
        let mut orphans = Vec::new();
        for name in db.list_keyspace_names() {
            let Some(part) = parse_keyspace_name(&name) else {
                continue;
            };
            highest_part = highest_part.max(part.1);
            if !referenced.contains(&part) {
                orphans.push(db.keyspace(&name, checkpoint::part_keyspace_options)?);
            }
        }
        if !orphans.is_empty() {
            keyspaces::delete(&db, orphans)?;
            db.persist(fjall::PersistMode::SyncData)?;
        }
        let mut state = writer::WriterState::load(&meta, &tags)?;
        state.next_part_id = state.next_part_id.max(highest_part + 1);
        let wal = replay(dir, &db, &tags, &storages, &mut state)?;

        let hub = Arc::new(live::Hub::new(state.next_seq()));
        let (commands, receiver) = smol::channel::bounded(WRITER_QUEUE_BATCHES_MAX);
        let (fatal_tx, fatal) = smol::channel::bounded(1);
        let inner = Arc::new(Inner {
            db: db.clone(),
            tags: tags.clone(),
            tables: RwLock::new(storages),
            commands,
            poisoned: AtomicBool::new(false),
            live: Arc::clone(&hub),
            _lock: lock,
        });
        let store = Store { inner };
        let parts = writer::WriterParts {
            db,
            meta,
            tags,
            state,
            wal,
            fatal: fatal_tx,
            sync_interval,
            live: hub,
            bounds,
        };
        let writer = writer::spawn(store.clone(), parts, receiver)
            .map_err(|e| StoreError::Io(format!("cannot start the writer thread: {e}")))?;
        Ok(Opened {
            store,
            tables,
            writer,
            fatal,
        })
    }

    fn storage(&self, table_id: u32) -> Option<Storage> {
        self.inner
            .tables
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&table_id)
            .cloned()
    }

    fn is_poisoned(&self) -> bool {
        self.inner.poisoned.load(Ordering::Acquire)
    }

    async fn send(&self, command: Command) -> Result<(), StoreError> {
        if self.is_poisoned() {
            return Err(StoreError::Poisoned);
        }
        self.inner
            .commands
            .send(command)
            .await
            .map_err(|_| StoreError::Closed)
    }

    /// Queues a batch for the writer; waits only for queue space (back-pressure). The returned
    /// `Ack` resolves when the batch is applied (`Durability::Applied`) or fsynced
    /// (`Durability::Synced`).
    pub async fn submit(&self, batch: RowBatch, durability: Durability) -> Result<Ack, StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::Apply {
            batch,
            durability,
            ack,
        })
        .await?;
        Ok(Ack { receiver })
    }

    /// Persists a new table definition (the id is assigned here) and creates its keyspace.
    pub async fn create_table(&self, table: Table) -> Result<Table, StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::CreateTable { table, ack }).await?;
        receiver.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// Persists a table's new definition under its id (RENAME): one catalog entry is
    /// rewritten and fsynced, so a crash leaves the old definition or the new one.
    pub async fn rename_table(&self, table: Table) -> Result<(), StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::RenameTable { table, ack }).await?;
        receiver.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// Deletes a table's definition, tags and rows.
    pub async fn drop_table(&self, id: u32) -> Result<(), StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::DropTable { id, ack }).await?;
        receiver.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// The id of a tag name, if any row with that tag was ever written. A name longer than
    /// any stored one (`STORED_KEY_BYTES_MAX`) has none, and never reaches fjall as a key.
    pub fn tag_id(&self, table_id: u32, name: &str) -> Result<Option<u32>, StoreError> {
        if name.len() > STORED_KEY_BYTES_MAX {
            return Ok(None);
        }
        let key = writer::tag_name_key(table_id, name);
        Ok(self
            .inner
            .tags
            .get(key)?
            .and_then(|v| <[u8; 4]>::try_from(&*v).ok())
            .map(u32::from_be_bytes))
    }

    /// The name of a tag id, if the table has it.
    pub fn tag_name(&self, table_id: u32, tag_id: u32) -> Result<Option<String>, StoreError> {
        let key = writer::tag_id_key(table_id, tag_id);
        Ok(self
            .inner
            .tags
            .get(key)?
            .and_then(|v| String::from_utf8(v.to_vec()).ok()))
    }

    /// Every tag of a table as (id, name), in id order (first-written first), read lazily a
    /// page at a time, holding nothing in the store between pages.
    pub fn tags(&self, table_id: u32) -> TagNames {
        TagNames(read::Dictionary::new(
            self.inner.tags.clone(),
            table_id,
            false,
        ))
    }

    /// Whether the table has more than `n` tags; reads at most `n + 1` dictionary entries.
    pub fn has_more_tags_than(&self, table_id: u32, n: usize) -> bool {
        self.tags(table_id).nth(n).is_some()
    }

    /// Deletes the rows of `table` inside `spec`'s tags and time range, through the writer,
    /// durably; answers how many rows were deleted.
    pub async fn delete(&self, table: &Arc<Table>, spec: ScanSpec) -> Result<u64, StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::Delete {
            table: Arc::clone(table),
            spec,
            ack,
        })
        .await?;
        receiver.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// Starts a scan of `table` (see `ScanSpec`).
    pub fn scan(&self, table: &Arc<Table>, spec: ScanSpec) -> Result<Scan, StoreError> {
        let storage = self
            .storage(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        Ok(Scan(match storage {
            Storage::Rows(ks) => Scans::Rows(RowScan::new(self, ks, Arc::clone(table), spec)?),
            Storage::Chunked(chunked) => Scans::Chunked(ChunkScan::new(
                chunked,
                self.inner.tags.clone(),
                Arc::clone(table),
                &spec,
            )?),
        }))
    }
}

/// Rows of a table being read, from `Store::scan`.
pub struct Scan(Scans);

enum Scans {
    Rows(RowScan),
    Chunked(ChunkScan),
}

impl Scan {
    /// Reads the next row into `out` (one value per table column). `Ok(false)` at the end.
    pub fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, StoreError> {
        match &mut self.0 {
            Scans::Rows(scan) => scan.next_row(out),
            Scans::Chunked(scan) => scan.next_row(out),
        }
    }
}

/// Refuses a data directory written in another format, and marks a new one with this one's.
fn check_format(meta: &Keyspace, dir: &Path) -> Result<(), StoreError> {
    let format = meta
        .get(FORMAT_KEY)?
        .and_then(|v| <[u8; 4]>::try_from(&*v).ok())
        .map(u32::from_be_bytes);
    match format {
        Some(FORMAT) => Ok(()),
        None if meta.prefix(CATALOG_PREFIX).next().is_none() => {
            meta.insert(FORMAT_KEY, FORMAT.to_be_bytes())?;
            Ok(())
        }
        found => Err(StoreError::Format {
            dir: dir.to_path_buf(),
            found: found.unwrap_or(1),
        }),
    }
}

/// Opens the parts a table's manifest lists.
fn open_parts(db: &Database, meta: &Keyspace, table_id: u32) -> Result<Parts, StoreError> {
    let Some(bytes) = meta.get(manifest_key(table_id))? else {
        return Ok(Parts::empty());
    };
    let manifest = Manifest::decode(&bytes).ok_or_else(|| {
        StoreError::Corrupt(format!("undecodable part manifest of table {table_id}"))
    })?;
    let mut list = Vec::with_capacity(manifest.parts.len());
    for entry in manifest.parts {
        let name = parts::keyspace_name(table_id, entry.id);
        if !db.keyspace_exists(&name) {
            return Err(StoreError::Corrupt(format!(
                "part {} of table {table_id} is missing",
                entry.id
            )));
        }
        let keyspace = db.keyspace(&name, checkpoint::part_keyspace_options)?;
        list.push(Arc::new(Part {
            id: entry.id,
            rank: entry.rank,
            keyspace,
            window: entry.window,
            tags: entry.tags,
            min_time: entry.min_time,
            max_time: entry.max_time,
            rows: entry.rows,
            bytes: entry.bytes,
        }));
    }
    Ok(Parts {
        generation: manifest.generation,
        wal_seq: manifest.wal_seq,
        list,
    })
}

/// Rebuilds the heads from the write-ahead log: every record a table's parts do not cover
/// yet. Tag names the records introduce go back into the dictionary (they may have been lost
/// with fjall's unpersisted journal).
fn replay(
    dir: &Path,
    db: &Database,
    tags: &Keyspace,
    storages: &HashMap<u32, Storage>,
    state: &mut writer::WriterState,
) -> Result<Wal, StoreError> {
    let mut batch = db.batch();
    let mut values = Vec::new();
    let wal = Wal::open(&dir.join("wal"), |record| {
        state.next_wal_seq = state.next_wal_seq.max(record.seq + 1);
        let Some(Storage::Chunked(chunked)) = storages.get(&record.table_id) else {
            return Ok(());
        };
        let mut view = chunked.write();
        if record.seq <= view.parts.wal_seq {
            return Ok(());
        }
        let table = Arc::clone(&view.table);
        for (id, name) in &record.new_tags {
            state.know_tag(table.id, name, *id);
            batch.insert(tags, writer::tag_name_key(table.id, name), id.to_be_bytes());
            batch.insert(tags, writer::tag_id_key(table.id, *id), name.as_bytes());
        }
        let block = Chunk::decode(&table, &record.block)?;
        for i in 0..block.len() {
            block.read_row(&table, i, &mut values)?;
            let key = RowKey {
                time: block.times.get(i).copied().unwrap_or(0),
                seq: block.seqs.get(i).copied(),
                tag: block.tags.get(i).copied(),
            };
            if let Some(seq) = key.seq {
                state.next_seq = state.next_seq.max(seq + 1);
            }
            view.head
                .push(&table, key.tag.unwrap_or(0), key.time, key.seq, &values);
        }
        state.logged.insert(table.id, record.seq);
        Ok(())
    })?;
    batch.commit()?;
    Ok(wal)
}

/// A table's tags, from `Store::tags`.
pub struct TagNames(read::Dictionary);

impl Iterator for TagNames {
    type Item = Result<(u32, String), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().transpose()
    }
}

/// The writer's acknowledgement of one submitted batch.
pub struct Ack {
    receiver: smol::channel::Receiver<Result<(), StoreError>>,
}

impl Ack {
    pub async fn wait(self) -> Result<(), StoreError> {
        self.receiver.recv().await.map_err(|_| StoreError::Closed)?
    }
}

#[cfg(test)]
impl Store {
    /// `open`, checkpointing a table's head once it holds `head_bytes_max`.
    pub(super) fn open_small_heads(
        dir: &Path,
        head_bytes_max: usize,
    ) -> Result<Opened, StoreError> {
        let bounds = HeadBounds {
            table_bytes_max: head_bytes_max,
            all_bytes_max: head_bytes_max * 2,
        };
        Self::open_with(dir, Duration::from_secs(1), bounds)
    }

    /// Checkpoints every head and runs the merges that are due.
    pub(super) async fn checkpoint_now(&self) -> Result<(), StoreError> {
        let (ack, receiver) = smol::channel::bounded(1);
        self.send(Command::Checkpoint { ack }).await?;
        receiver.recv().await.map_err(|_| StoreError::Closed)?
    }

    /// Stops the writer as a crash would: nothing sealed at exit, the log keeps the heads.
    pub(super) async fn abandon(&self) -> Result<(), StoreError> {
        self.send(Command::Abandon).await
    }
}

impl Store {
    /// Closes the writer's queue: queued commands still run, new ones fail with `Closed`.
    pub fn close(&self) {
        self.inner.commands.close();
    }
}
