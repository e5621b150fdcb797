//! Durable rows. Callers use `Store::submit(batch, durability)` and `Store::scan(table, spec)`.
//! Nothing outside `src/store/` builds a key or reads a byte of row encoding.
//!
//! Not here: table definitions (`catalog`), text-to-value conversion (`ingest`), SQL (`sql`).
//!
//! Layout in fjall: keyspace `meta` holds the persisted catalog and counters, `tags` maps tag
//! names to tag ids (both ways), and each table has its own keyspace `t<id>` (so DROP is a
//! keyspace deletion, not a tombstone per row). Keys are described in `keys`, values in `row`,
//! the one-row-per-key index of kv streams in `kv`.
//!
//! Reads: `scan` (tag by tag, or by time across tags with `merge`), `Store::tags` and the
//! live `Replay` all read in pages (`page`) and hold no fjall snapshot or iterator between
//! two pages, so a slow reader pins nothing in the store.
//!
//! Invariants:
//! - Only the writer thread writes (`writer`). A durable batch is acknowledged only after
//!   `persist(SyncData)` returned Ok. After a failed write or persist the store is poisoned:
//!   every waiting and later acknowledgement fails and the process exits non-zero.
//! - (tag, time) is unique in a tag table: a repeated row replaces the earlier one.
//! - One process per data directory, enforced by an exclusive lock on `tidegate.lock`.

mod batch;
mod keys;
mod kv;
mod live;
mod merge;
mod page;
mod row;
mod scan;
mod writer;

pub use batch::{BatchError, RowBatch};
pub use live::{LiveError, Replay, Subscription};
pub use scan::{Scan, ScanSpec, TagSelection};
pub use writer::Durability;

use std::collections::{HashMap, VecDeque};
use std::fs::{File, TryLockError};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use fjall::config::{FilterPolicy, PinningPolicy};
use fjall::{Database, Keyspace, KeyspaceCreateOptions};

use crate::catalog::{Table, codec};
use crate::limits::{
    BLOCK_CACHE_BYTES, MEMTABLE_BYTES_MAX, SCAN_PAGE_BYTES_MAX, SCAN_PAGE_ROWS_MAX,
    WRITER_QUEUE_BATCHES_MAX,
};
use writer::Command;

#[derive(Debug, Clone)]
pub enum StoreError {
    /// Another process holds the data directory.
    Locked(PathBuf),
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
    /// For snapshots: each page of a scan is read from one (see `page`).
    db: Database,
    tags: Keyspace,
    tables: RwLock<HashMap<u32, Keyspace>>,
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

const META: &str = "meta";
const TAGS: &str = "tags";
const CATALOG_PREFIX: &[u8] = b"catalog/";
const NEXT_TABLE_ID: &[u8] = b"next_table_id";
const NEXT_SEQ: &[u8] = b"next_seq";

fn table_keyspace_name(id: u32) -> String {
    format!("t{id}")
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
/// so this applies to data directories created since.
fn tag_dictionary_options() -> KeyspaceCreateOptions {
    KeyspaceCreateOptions::default()
        .filter_block_partitioning_policy(PinningPolicy::all(true))
        .index_block_partitioning_policy(PinningPolicy::all(true))
}

impl Store {
    pub fn open(dir: &Path, sync_interval: Duration) -> Result<Opened, StoreError> {
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

        let mut tables = Vec::new();
        let mut handles = HashMap::new();
        for guard in meta.prefix(CATALOG_PREFIX) {
            let (key, value) = guard.into_inner()?;
            let table = codec::decode(&value).ok_or_else(|| {
                StoreError::Corrupt(format!("undecodable table definition under {key:?}"))
            })?;
            let ks = db.keyspace(&table_keyspace_name(table.id), table_keyspace_options)?;
            handles.insert(table.id, ks);
            tables.push(table);
        }
        let state = writer::WriterState::load(&meta, &tags)?;

        let hub = Arc::new(live::Hub::new(state.next_seq()));
        let (commands, receiver) = smol::channel::bounded(WRITER_QUEUE_BATCHES_MAX);
        let (fatal_tx, fatal) = smol::channel::bounded(1);
        let inner = Arc::new(Inner {
            db: db.clone(),
            tags: tags.clone(),
            tables: RwLock::new(handles),
            commands,
            poisoned: AtomicBool::new(false),
            live: Arc::clone(&hub),
            _lock: lock,
        });
        let store = Store { inner };
        let writer = writer::spawn(
            store.clone(),
            db,
            meta,
            tags,
            state,
            receiver,
            fatal_tx,
            sync_interval,
            hub,
        )
        .map_err(|e| StoreError::Io(format!("cannot start the writer thread: {e}")))?;
        Ok(Opened {
            store,
            tables,
            writer,
            fatal,
        })
    }

    fn keyspace(&self, table_id: u32) -> Option<Keyspace> {
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

    /// The id of a tag name, if any row with that tag was ever written.
    pub fn tag_id(&self, table_id: u32, name: &str) -> Result<Option<u32>, StoreError> {
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
    /// page at a time.
    pub fn tags(&self, table_id: u32) -> TagNames {
        let lo = writer::tag_id_key(table_id, 0);
        TagNames {
            tags: self.inner.tags.clone(),
            rest: page::KeyRange::inclusive(&lo, &writer::tag_id_key(table_id, u32::MAX)),
            page: VecDeque::new(),
            done: false,
        }
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
        let ks = self
            .keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        Scan::new(self, ks, Arc::clone(table), spec)
    }
}

/// A table's tags, from `Store::tags`. Read in pages like a scan (see `page`), so a listing
/// read slowly pins nothing in the store; a tag added meanwhile may be listed.
pub struct TagNames {
    tags: Keyspace,
    /// The dictionary ids not read yet.
    rest: page::KeyRange,
    page: VecDeque<(u32, String)>,
    done: bool,
}

impl TagNames {
    fn fill(&mut self) -> Result<(), StoreError> {
        let mut iter = self.rest.open_latest(&self.tags);
        let mut bytes = 0;
        while self.page.len() < SCAN_PAGE_ROWS_MAX && bytes < SCAN_PAGE_BYTES_MAX {
            let Some(guard) = iter.next() else {
                self.done = true;
                break;
            };
            let (key, value) = guard.into_inner()?;
            self.rest.read_past(&key, false);
            let id = scan::tag_id_of(&key)?;
            bytes += value.len();
            self.page.push_back((id, scan::name_of(id, &value)?));
        }
        Ok(())
    }
}

impl Iterator for TagNames {
    type Item = Result<(u32, String), StoreError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.page.is_empty()
            && !self.done
            && let Err(e) = self.fill()
        {
            self.done = true;
            return Some(Err(e));
        }
        self.page.pop_front().map(Ok)
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

impl Store {
    /// Closes the writer's queue: queued commands still run, new ones fail with `Closed`.
    pub fn close(&self) {
        self.inner.commands.close();
    }
}
