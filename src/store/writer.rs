//! The writer thread: the only code that writes to the store.
//!
//! Commands arrive over a bounded channel (a full channel pushes back on ingest). The writer
//! takes everything pending and applies it as one group: a chunked table's rows go into its
//! head (visible at once) and into one compressed write-ahead log record per table; a kv
//! stream's rows into one fjall batch. Then, if any batch asked for `Durability::Synced`, it
//! makes the group durable once (log fsync, fjall persist) and acknowledges the whole group:
//! group commit. `Durability::Applied` batches are acknowledged once applied; a timer makes
//! them durable every `sync_interval`.
//!
//! After a group the writer keeps the store in shape (`maintain`): it checkpoints a head that
//! grew past `TABLE_HEAD_BYTES_MAX` (or the biggest heads while all of them pass
//! `HEADS_BYTES_MAX`, or the tables holding the oldest log segment while the log keeps more than
//! `WAL_SEGMENTS_MAX`), trims the log, and deletes parts no reader holds any more.
//!
//! Invariants:
//! - A `Synced` acknowledgement is sent only after the log fsync (and fjall persist) that
//!   covers it.
//! - On any write or fsync error the writer poisons the store, fails every acknowledgement
//!   from then on, reports the fault once on the fatal channel and never retries an fsync.
//! - Tag ids and row sequences are assigned here; a new tag's name is in the log record of
//!   the first row that uses it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace, OwnedWriteBatch, PersistMode};
use smol::channel::{Receiver, Sender};

use super::batch::RowBatch;
use super::checkpoint::{self, NewPart, window_of};
use super::chunk::{Chunk, RowKey};
use super::chunked::Chunked;
use super::head::TableHead;
use super::id_map::IdMap;
use super::keys::{decode_seq_key, seq_key};
use super::keyspaces;
use super::kv;
use super::live::Hub;
use super::parts::{Manifest, Part, Parts};
use super::read::ChunkScan;
use super::row;
use super::scan::ScanSpec;
use super::sealer::{self, Done, Job, PartIds, SealerThread};
use super::wal::{Record, Wal};
use super::{
    CATALOG_PREFIX, HeadBounds, NEXT_PART_ID, NEXT_SEQ, NEXT_TABLE_ID, Storage, Store, StoreError,
    manifest_key, storage_for,
};
use crate::catalog::{Table, TableKind, codec};
use crate::limits::{
    DELETE_BATCH_KEYS_MAX, FLUSH_WAIT_MS_MAX, SEALED_MEMTABLES_MAX, WAL_SEGMENTS_MAX,
};
use crate::value::Value;

/// How long a request waits for its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Acknowledged once applied and visible to queries (Machbase `append`, Proton `async`).
    Applied,
    /// Acknowledged once fsynced (Machbase `insert`, Proton `sync`).
    Synced,
}

pub(super) enum Command {
    Apply {
        batch: RowBatch,
        durability: Durability,
        ack: Sender<Result<(), StoreError>>,
    },
    CreateTable {
        table: Table,
        ack: Sender<Result<Table, StoreError>>,
    },
    DropTable {
        id: u32,
        ack: Sender<Result<(), StoreError>>,
    },
    /// Rewrites the definition of an existing table id.
    RenameTable {
        table: Table,
        ack: Sender<Result<(), StoreError>>,
    },
    /// Removes the rows inside a scan's tags and time range; answers the count.
    Delete {
        table: std::sync::Arc<Table>,
        spec: ScanSpec,
        ack: Sender<Result<u64, StoreError>>,
    },
    /// Tests: checkpoint every head now, merge what is due.
    #[cfg(test)]
    Checkpoint { ack: Sender<Result<(), StoreError>> },
    /// Tests: stop without sealing the heads, as a crash would (the log keeps them).
    #[cfg(test)]
    Abandon,
}

/// Commands taken per group commit at most: bounds the work between two acknowledgements.
const GROUP_COMMANDS_MAX: usize = 64;

pub(super) fn tag_name_key(table_id: u32, name: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(5 + name.len());
    key.extend_from_slice(&table_id.to_be_bytes());
    key.push(0);
    key.extend_from_slice(name.as_bytes());
    key
}

pub(super) fn tag_id_prefix(table_id: u32) -> [u8; 5] {
    let mut key = [1u8; 5];
    key[..4].copy_from_slice(&table_id.to_be_bytes());
    key
}

pub(super) fn tag_id_key(table_id: u32, tag_id: u32) -> [u8; 9] {
    let mut key = [0u8; 9];
    key[..5].copy_from_slice(&tag_id_prefix(table_id));
    key[5..].copy_from_slice(&tag_id.to_be_bytes());
    key
}

fn catalog_key(id: u32) -> Vec<u8> {
    let mut key = CATALOG_PREFIX.to_vec();
    key.extend_from_slice(&id.to_be_bytes());
    key
}

/// Counters and caches the writer keeps between commands.
pub(super) struct WriterState {
    next_table_id: u32,
    pub(super) next_seq: u64,
    /// table id -> tag name -> tag id.
    tag_ids: IdMap<HashMap<Box<str>, u32>>,
    next_tag_id: IdMap<u32>,
    pub(super) next_wal_seq: u64,
    pub(super) next_part_id: u64,
    /// The last log sequence written per chunked table: what its next checkpoint covers.
    pub(super) logged: HashMap<u32, u64>,
}

fn read_counter<const N: usize>(
    meta: &Keyspace,
    key: &[u8],
) -> Result<Option<[u8; N]>, StoreError> {
    Ok(meta.get(key)?.and_then(|v| <[u8; N]>::try_from(&*v).ok()))
}

impl WriterState {
    /// The sequence the next stream or log row will get.
    pub(super) fn next_seq(&self) -> u64 {
        self.next_seq
    }

    pub(super) fn load(meta: &Keyspace, tags: &Keyspace) -> Result<WriterState, StoreError> {
        let next_table_id = read_counter::<4>(meta, NEXT_TABLE_ID)?
            .map(u32::from_be_bytes)
            .unwrap_or(1);
        let next_seq = read_counter::<8>(meta, NEXT_SEQ)?
            .map(u64::from_be_bytes)
            .unwrap_or(0);
        let next_part_id = read_counter::<8>(meta, NEXT_PART_ID)?
            .map(u64::from_be_bytes)
            .unwrap_or(1);
        let mut state = WriterState {
            next_table_id,
            next_seq,
            tag_ids: IdMap::default(),
            next_tag_id: IdMap::default(),
            next_wal_seq: 1,
            next_part_id,
            logged: HashMap::new(),
        };
        for guard in tags.iter() {
            let (key, value) = guard.into_inner()?;
            // Only the name -> id direction (marker byte 0) is needed to rebuild the cache.
            let (Some(table), Some(0)) = (key.get(..4), key.get(4)) else {
                continue;
            };
            let table = u32::from_be_bytes(table.try_into().unwrap_or_default());
            let name = std::str::from_utf8(key.get(5..).unwrap_or_default())
                .map_err(|_| StoreError::Corrupt("tag name is not UTF-8".into()))?;
            let id = <[u8; 4]>::try_from(&*value)
                .map(u32::from_be_bytes)
                .map_err(|_| StoreError::Corrupt("tag id is not 4 bytes".into()))?;
            state.know_tag(table, name, id);
        }
        Ok(state)
    }

    /// Records that `name` is tag `id` of `table_id` (loading, or replaying the log).
    pub(super) fn know_tag(&mut self, table_id: u32, name: &str, id: u32) {
        self.tag_ids
            .entry(table_id)
            .or_default()
            .insert(name.into(), id);
        let next = self.next_tag_id.entry(table_id).or_insert(0);
        *next = (*next).max(id.saturating_add(1));
    }
}

pub struct WriterThread {
    handle: std::thread::JoinHandle<()>,
}

impl WriterThread {
    /// Waits for the writer to drain its queue, checkpoint, persist and stop. It stops once
    /// every `Store` clone (and so every command sender) is dropped.
    pub fn join(self) {
        if self.handle.join().is_err() {
            eprintln!("tidegate: the writer thread panicked");
        }
    }
}

/// What the writer is started with, besides its command channel.
pub(super) struct WriterParts {
    pub db: Database,
    pub meta: Keyspace,
    pub tags: Keyspace,
    pub state: WriterState,
    pub wal: Wal,
    pub fatal: Sender<StoreError>,
    pub sync_interval: Duration,
    pub live: Arc<Hub>,
    pub bounds: HeadBounds,
}

pub(super) fn spawn(
    store: Store,
    parts: WriterParts,
    commands: Receiver<Command>,
) -> std::io::Result<WriterThread> {
    // The writer must not keep the store alive, or the channel would never close.
    let weak = Arc::downgrade(&store.inner);
    drop(store);
    let sync_interval = parts.sync_interval;
    let part_ids = PartIds::new(parts.state.next_part_id);
    let (jobs, done, sealer) = sealer::spawn(parts.db.clone(), part_ids.clone())?;
    let mut writer = Writer {
        weak,
        db: parts.db,
        meta: parts.meta,
        tags: parts.tags,
        state: parts.state,
        wal: parts.wal,
        fatal: parts.fatal,
        poisoned: false,
        fjall_dirty: false,
        live: parts.live,
        committed: Vec::new(),
        pending: HashMap::new(),
        graveyard: Vec::new(),
        values: Vec::new(),
        part_ids,
        bounds: parts.bounds,
        jobs: Some(jobs),
        done,
        sealer: Some(sealer),
        sealing: HashSet::new(),
        merging: HashSet::new(),
        #[cfg(test)]
        abandoned: false,
    };
    let handle = std::thread::Builder::new()
        .name("tidegate-writer".into())
        .spawn(move || writer.run(commands, sync_interval))?;
    Ok(WriterThread { handle })
}

/// The rows of one table in the group being committed, as its log record will hold them.
struct Pending {
    block: Chunk,
    new_tags: Vec<(u32, String)>,
}

struct Writer {
    weak: std::sync::Weak<super::Inner>,
    db: Database,
    meta: Keyspace,
    tags: Keyspace,
    state: WriterState,
    wal: Wal,
    fatal: Sender<StoreError>,
    poisoned: bool,
    /// fjall holds writes (kv rows, tag names, counters) not persisted yet.
    fjall_dirty: bool,
    live: Arc<Hub>,
    /// The stream batches of the group being committed, with their first sequence, handed
    /// to live queries after the commit. Reused, so it allocates nothing once grown.
    committed: Vec<(RowBatch, u64)>,
    /// Per table, the group's rows for the log.
    pending: HashMap<u32, Pending>,
    /// Parts replaced or dropped, deleted once no reader holds them.
    graveyard: Vec<Arc<Part>>,
    /// One decoded row, reused.
    values: Vec<Value>,
    part_ids: PartIds,
    bounds: HeadBounds,
    /// Jobs for the sealer thread and its results (`sealer`).
    jobs: Option<Sender<Job>>,
    done: Receiver<Done>,
    sealer: Option<SealerThread>,
    /// Tables with a head or a merge at the sealer.
    sealing: HashSet<u32>,
    merging: HashSet<u32>,
    /// Tests: stopped as by a crash (`Command::Abandon`).
    #[cfg(test)]
    abandoned: bool,
}

enum Acks {
    Apply(Sender<Result<(), StoreError>>, Durability),
}

/// What publishing new parts does to the heads.
enum HeadChange {
    None,
    /// The frozen head's rows are in the new parts.
    SealedFrozen,
    /// The current head's rows are in the new parts: a new head starts.
    SealedHead,
}

impl Writer {
    fn run(&mut self, commands: Receiver<Command>, sync_interval: Duration) {
        enum Next {
            Command(Result<Command, smol::channel::RecvError>),
            Done(Done),
            Tick,
        }
        let mut deadline = Instant::now() + sync_interval;
        loop {
            let done = self.done.clone();
            let next = smol::block_on(smol::future::or(
                smol::future::or(async { Next::Command(commands.recv().await) }, async {
                    match done.recv().await {
                        Ok(d) => Next::Done(d),
                        Err(_) => std::future::pending().await,
                    }
                }),
                async {
                    smol::Timer::at(deadline).await;
                    Next::Tick
                },
            ));
            match next {
                Next::Tick => {
                    // A failure poisons the store inside `sync`; nothing waits on this one.
                    let _ = self.sync();
                    deadline = Instant::now() + sync_interval;
                }
                Next::Done(done) => {
                    self.finish(done);
                    self.maintain();
                }
                Next::Command(Err(_closed)) => break,
                #[cfg(test)]
                Next::Command(Ok(_)) if self.abandoned => continue,
                Next::Command(Ok(first)) => {
                    let mut group = vec![first];
                    while group.len() < GROUP_COMMANDS_MAX {
                        match commands.try_recv() {
                            Ok(c) => group.push(c),
                            Err(_) => break,
                        }
                    }
                    self.run_group(group);
                    self.maintain();
                    self.wait_for_flushes();
                }
            }
        }
        // Seal every head, so a restart replays nothing and the log is empty.
        #[cfg(test)]
        if self.abandoned {
            self.stop_sealer();
            return;
        }
        if !self.poisoned {
            let _ = self.checkpoint_all();
            let _ = self.sync();
            let _ = self.persist(PersistMode::SyncAll);
        }
        self.stop_sealer();
    }

    fn stop_sealer(&mut self) {
        self.jobs = None;
        if let Some(sealer) = self.sealer.take() {
            sealer.join();
        }
    }

    /// Backpressure on memory for kv streams, which write through fjall memtables: while more
    /// than `SEALED_MEMTABLES_MAX` full memtables wait for or are in a flush, the writer takes
    /// no more commands, so the bounded queue fills and ingest stops reading sockets. A flush
    /// that never comes (a stuck disk) must not hang requests forever, so the wait is bounded.
    fn wait_for_flushes(&self) {
        let started = Instant::now();
        while self.sealed_memtables() > SEALED_MEMTABLES_MAX
            && started.elapsed() < Duration::from_millis(FLUSH_WAIT_MS_MAX)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sealed memtables of every kv stream, queued or being flushed. `sealed_memtable_count`
    /// is marked experimental by fjall, so Cargo.toml pins fjall's minor version.
    fn sealed_memtables(&self) -> usize {
        let Some(inner) = self.weak.upgrade() else {
            return 0;
        };
        let tables = inner.tables.read().unwrap_or_else(|e| e.into_inner());
        tables
            .values()
            .map(|s| match s {
                Storage::Rows(ks) => ks.sealed_memtable_count(),
                Storage::Chunked(_) => 0,
            })
            .sum()
    }

    fn storage(&self, id: u32) -> Option<Storage> {
        let inner = self.weak.upgrade()?;
        let tables = inner.tables.read().unwrap_or_else(|e| e.into_inner());
        tables.get(&id).cloned()
    }

    fn chunked_tables(&self) -> Vec<(u32, Arc<Chunked>)> {
        let Some(inner) = self.weak.upgrade() else {
            return Vec::new();
        };
        let tables = inner.tables.read().unwrap_or_else(|e| e.into_inner());
        tables
            .iter()
            .filter_map(|(id, s)| match s {
                Storage::Chunked(c) => Some((*id, Arc::clone(c))),
                Storage::Rows(_) => None,
            })
            .collect()
    }

    fn run_group(&mut self, group: Vec<Command>) {
        let mut batch = self.db.batch();
        let mut acks = Vec::new();
        for command in group {
            match command {
                Command::Apply {
                    batch: rows,
                    durability,
                    ack,
                } => {
                    if self.poisoned {
                        let _ = ack.try_send(Err(StoreError::Poisoned));
                        continue;
                    }
                    let table = Arc::clone(rows.table());
                    match self.storage(table.id) {
                        None => {
                            let _ =
                                ack.try_send(Err(StoreError::TableDropped(table.name.to_string())));
                        }
                        Some(Storage::Chunked(chunked)) => {
                            let first_seq = self.state.next_seq;
                            match self.apply(&mut batch, &rows, &chunked) {
                                Ok(()) => {
                                    acks.push(Acks::Apply(ack, durability));
                                    if table.kind == TableKind::Stream {
                                        self.committed.push((rows, first_seq));
                                    }
                                }
                                Err(e) => {
                                    let _ = ack.try_send(Err(e));
                                }
                            }
                        }
                        // A kv batch reads the index its predecessors wrote: commit them
                        // first, then commit it alone (see `kv`).
                        Some(Storage::Rows(ks)) => {
                            self.commit_group(
                                std::mem::replace(&mut batch, self.db.batch()),
                                &mut acks,
                            );
                            let mut kv_batch = self.db.batch();
                            let mut kv_acks = Vec::new();
                            match self.apply_kv(&mut kv_batch, &rows, &ks) {
                                Ok(()) => kv_acks.push(Acks::Apply(ack, durability)),
                                Err(e) => {
                                    let _ = ack.try_send(Err(e));
                                }
                            }
                            self.commit_group(kv_batch, &mut kv_acks);
                        }
                    }
                }
                // DDL is ordered with rows: commit what came before it first.
                Command::CreateTable { table, ack } => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let _ = ack.try_send(self.create_table(table));
                }
                Command::DropTable { id, ack } => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let _ = ack.try_send(self.drop_table(id));
                }
                Command::RenameTable { table, ack } => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let _ = ack.try_send(self.rename_table(&table));
                }
                Command::Delete { table, spec, ack } => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let _ = ack.try_send(self.delete(&table, &spec));
                }
                #[cfg(test)]
                Command::Checkpoint { ack } => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let mut result = self.checkpoint_all();
                    if result.is_ok() {
                        result = self.merge_all();
                    }
                    self.bury();
                    let _ = ack.try_send(result);
                }
                #[cfg(test)]
                Command::Abandon => {
                    self.commit_group(std::mem::replace(&mut batch, self.db.batch()), &mut acks);
                    let _ = self.sync();
                    self.abandoned = true;
                }
            }
        }
        self.commit_group(batch, &mut acks);
    }

    /// Commits the fjall batch, appends the group's log records, hands stream batches to
    /// live queries, and acknowledges (after making the group durable if any ack needs it).
    fn commit_group(&mut self, batch: OwnedWriteBatch, acks: &mut Vec<Acks>) {
        if acks.is_empty() && self.pending.is_empty() {
            return;
        }
        let mut result = if batch.is_empty() {
            Ok(())
        } else {
            self.fjall_dirty = true;
            batch.commit().map_err(StoreError::from)
        };
        if result.is_ok() {
            result = self.log_pending();
        }
        if result.is_ok() {
            self.live.publish(self.state.next_seq, &mut self.committed);
        }
        self.committed.clear();
        self.acknowledge(result, acks);
    }

    /// Appends one log record per table with rows in the group.
    fn log_pending(&mut self) -> Result<(), StoreError> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut tables: Vec<u32> = self.pending.keys().copied().collect();
        tables.sort_unstable();
        let mut records = Vec::with_capacity(tables.len());
        for table_id in tables {
            let Some(pending) = self.pending.remove(&table_id) else {
                continue;
            };
            let seq = self.state.next_wal_seq;
            self.state.next_wal_seq += 1;
            self.state.logged.insert(table_id, seq);
            let mut block = Vec::new();
            pending.block.encode(&mut block);
            records.push(Record {
                seq,
                table_id,
                new_tags: pending.new_tags,
                block,
            });
        }
        let appended = self.wal.append(&records);
        if let Err(e) = &appended {
            self.poison(Some(e.clone()));
        }
        appended
    }

    fn acknowledge(&mut self, committed: Result<(), StoreError>, acks: &mut Vec<Acks>) {
        let wants_sync = acks
            .iter()
            .any(|Acks::Apply(_, d)| *d == Durability::Synced);
        let mut result = committed;
        if result.is_ok() {
            if wants_sync {
                result = self.sync();
            }
        } else {
            self.poison(result.clone().err());
        }
        for Acks::Apply(ack, _) in acks.drain(..) {
            let _ = ack.try_send(result.clone());
        }
    }

    /// Makes everything applied durable: the log, and fjall's own writes.
    fn sync(&mut self) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        if let Err(e) = self.wal.sync() {
            self.poison(Some(e.clone()));
            return Err(e);
        }
        if self.fjall_dirty {
            self.persist(PersistMode::SyncData)?;
        }
        Ok(())
    }

    fn persist(&mut self, mode: PersistMode) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        match self.db.persist(mode) {
            Ok(()) => {
                self.fjall_dirty = false;
                Ok(())
            }
            Err(e) => {
                let e = StoreError::from(e);
                self.poison(Some(e.clone()));
                Err(e)
            }
        }
    }

    /// Never retry an fsync: the kernel may have dropped the dirty pages. Fail everything and
    /// let systemd restart us, so the log is replayed from what is really on disk.
    fn poison(&mut self, cause: Option<StoreError>) {
        if self.poisoned {
            return;
        }
        self.poisoned = true;
        if let Some(inner) = self.weak.upgrade() {
            inner.poisoned.store(true, Ordering::Release);
        }
        let _ = self.fatal.try_send(cause.unwrap_or(StoreError::Poisoned));
    }

    /// Applies a chunked table's batch: rows into the head, and into the group's log record.
    fn apply(
        &mut self,
        batch: &mut OwnedWriteBatch,
        rows: &RowBatch,
        chunked: &Chunked,
    ) -> Result<(), StoreError> {
        let table = rows.table();
        let mut view = chunked.write();
        let mut values = std::mem::take(&mut self.values);
        let pending = self.pending.entry(table.id).or_insert_with(|| Pending {
            block: Chunk::new(table),
            new_tags: Vec::new(),
        });
        for record in rows.records() {
            row::decode(table, record.value, &mut values)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let (tag, seq) = match table.kind {
                TableKind::Tag => {
                    let name = record.tag.unwrap_or_default();
                    let tag = match self.state.tag_ids.get(&table.id).and_then(|t| t.get(name)) {
                        Some(&id) => id,
                        None => {
                            let id = new_tag(&mut self.state, batch, &self.tags, table.id, name);
                            pending.new_tags.push((id, name.to_owned()));
                            id
                        }
                    };
                    (Some(tag), None)
                }
                TableKind::Log | TableKind::Stream => {
                    let seq = self.state.next_seq;
                    self.state.next_seq += 1;
                    (None, Some(seq))
                }
            };
            let key = RowKey {
                time: record.time_ns,
                seq,
                tag,
            };
            view.head
                .push(table, tag.unwrap_or(0), record.time_ns, seq, &values);
            pending.block.push_row(table, key, &values);
        }
        self.values = values;
        Ok(())
    }

    /// Applies a kv stream's batch: one change per touched key (`kv::plan`), each removing
    /// the key's old row and writing its new row and index entry, or removing the entry.
    fn apply_kv(
        &mut self,
        batch: &mut OwnedWriteBatch,
        rows: &RowBatch,
        ks: &Keyspace,
    ) -> Result<(), StoreError> {
        let table = rows.table();
        let records = rows
            .records()
            .filter_map(|r| r.kv.map(|parts| (r.time_ns, parts, r.value)));
        let tags = &self.tags;
        // An entry whose row a DELETE statement removed no longer counts.
        let changes = kv::plan(table.mode, records, |key| {
            let Some(entry) = tags.get(kv::index_key(table.id, key))? else {
                return Ok::<_, StoreError>(None);
            };
            let live = match kv::split_entry(&entry) {
                Some((row_key, _)) => ks.contains_key(row_key)?,
                None => false,
            };
            Ok(live.then(|| entry.to_vec()))
        })?;
        for change in changes {
            let index_key = kv::index_key(table.id, change.key);
            if let Some(old) = change.old_row {
                batch.remove(ks, old);
            }
            match change.new_row {
                Some(row) => {
                    let seq = self.state.next_seq;
                    self.state.next_seq += 1;
                    let row_key = seq_key(row.time_ns, seq);
                    batch.insert(ks, row_key, row.value);
                    batch.insert(&self.tags, index_key, kv::entry(&row_key, row.version));
                }
                None => batch.remove(&self.tags, index_key),
            }
        }
        batch.insert(&self.meta, NEXT_SEQ, self.state.next_seq.to_be_bytes());
        Ok(())
    }

    /// Keeps the store in shape after a group; see the module comment. Heads due a
    /// checkpoint are frozen and handed to the sealer; a head due again while its table's
    /// previous one is still at the sealer waits for it, which bounds the heads' memory.
    fn maintain(&mut self) {
        if self.poisoned {
            return;
        }
        let tables = self.chunked_tables();
        let mut heads: Vec<(usize, u32)> =
            tables.iter().map(|(id, c)| (c.head_bytes(), *id)).collect();
        heads.sort_unstable_by(|a, b| b.cmp(a));
        let mut total: usize = heads.iter().map(|(b, _)| b).sum();
        let mut due: Vec<u32> = Vec::new();
        for &(bytes, id) in &heads {
            let over_all = total > self.bounds.all_bytes_max && bytes > 0;
            if bytes >= self.bounds.table_bytes_max || over_all {
                due.push(id);
                total = total.saturating_sub(bytes);
            }
        }
        if self.wal.segment_count() > WAL_SEGMENTS_MAX {
            for id in self.wal.oldest_tables() {
                if !due.contains(&id) {
                    due.push(id);
                }
            }
        }
        for id in due {
            if let Err(e) = self.freeze(id) {
                self.poison(Some(e));
                return;
            }
        }
        for (id, chunked) in &tables {
            if self.merging.contains(id) {
                continue;
            }
            let (table, parts) = {
                let view = chunked.read();
                (Arc::clone(&view.table), Arc::clone(&view.parts))
            };
            if let Some(inputs) = checkpoint::merge_candidates(&parts) {
                self.merging.insert(*id);
                self.send_job(Job::Merge { table, inputs });
            }
        }
        self.bury();
    }

    fn send_job(&self, job: Job) {
        if let Some(jobs) = &self.jobs {
            // The sealer outlives every job sent: it stops only when `jobs` is dropped.
            let _ = jobs.try_send(job);
        }
    }

    /// Hands table `id`'s head to the sealer, after its previous one, and starts a new head.
    fn freeze(&mut self, id: u32) -> Result<(), StoreError> {
        while self.sealing.contains(&id) {
            self.finish_one()?;
        }
        let Some(Storage::Chunked(chunked)) = self.storage(id) else {
            return Ok(());
        };
        let mut view = chunked.write();
        if view.head.is_empty() {
            return Ok(());
        }
        let next = TableHead::new(&view.table, view.head.generation + 1);
        let head = Arc::new(std::mem::replace(&mut view.head, next));
        view.frozen = Some(Arc::clone(&head));
        let table = Arc::clone(&view.table);
        drop(view);
        let wal_seq = self.state.logged.get(&id).copied().unwrap_or(0);
        self.sealing.insert(id);
        self.send_job(Job::Seal {
            table,
            head,
            wal_seq,
        });
        Ok(())
    }

    /// Waits for the sealer's next result and publishes it.
    fn finish_one(&mut self) -> Result<(), StoreError> {
        let done = self
            .done
            .recv_blocking()
            .map_err(|_| StoreError::Io("the sealer thread stopped".into()))?;
        self.finish(done);
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        Ok(())
    }

    /// Publishes what the sealer made: sealed parts replace their frozen head, a merged part
    /// replaces its inputs. New parts of a table dropped meanwhile, or a merge whose inputs a
    /// DELETE rewrote meanwhile, are thrown away.
    fn finish(&mut self, done: Done) {
        let result = match done {
            Done::Sealed {
                table_id,
                generation,
                wal_seq,
                parts,
            } => {
                self.sealing.remove(&table_id);
                parts.and_then(|parts| self.publish_sealed(table_id, generation, wal_seq, parts))
            }
            Done::Merged {
                table_id,
                inputs,
                merged,
            } => {
                self.merging.remove(&table_id);
                merged.and_then(|merged| self.publish_merged(table_id, &inputs, merged))
            }
        };
        match result {
            Ok(()) => {
                if let Err(e) = self.trim_log() {
                    self.poison(Some(e));
                }
            }
            Err(e) => self.poison(Some(e)),
        }
    }

    fn publish_sealed(
        &mut self,
        table_id: u32,
        generation: u64,
        wal_seq: u64,
        new: Vec<Part>,
    ) -> Result<(), StoreError> {
        let Some(Storage::Chunked(chunked)) = self.storage(table_id) else {
            self.graveyard.extend(new.into_iter().map(Arc::new));
            return Ok(());
        };
        let old = Arc::clone(&chunked.read().parts);
        let mut list = old.list.clone();
        list.extend(new.into_iter().map(Arc::new));
        let parts = Parts {
            generation,
            wal_seq,
            list,
        };
        self.publish(&chunked, parts, HeadChange::SealedFrozen)
    }

    fn publish_merged(
        &mut self,
        table_id: u32,
        inputs: &[u64],
        merged: Part,
    ) -> Result<(), StoreError> {
        let chunked = match self.storage(table_id) {
            Some(Storage::Chunked(chunked)) => chunked,
            _ => {
                self.graveyard.push(Arc::new(merged));
                return Ok(());
            }
        };
        let old = Arc::clone(&chunked.read().parts);
        if !inputs.iter().all(|id| old.list.iter().any(|p| p.id == *id)) {
            self.graveyard.push(Arc::new(merged));
            return Ok(());
        }
        let mut list: Vec<Arc<Part>> = old
            .list
            .iter()
            .filter(|p| !inputs.contains(&p.id))
            .cloned()
            .collect();
        list.push(Arc::new(merged));
        list.sort_by_key(|p| p.rank);
        let parts = Parts {
            generation: old.generation,
            wal_seq: old.wal_seq,
            list,
        };
        self.publish(&chunked, parts, HeadChange::None)
    }

    /// Waits until the sealer has nothing of ours left: before work that needs every
    /// table's parts to hold still (a DELETE, the final checkpoint).
    fn drain(&mut self) -> Result<(), StoreError> {
        while !self.sealing.is_empty() || !self.merging.is_empty() {
            self.finish_one()?;
        }
        Ok(())
    }

    /// Seals every head now, on this thread (at shutdown, before a DELETE, in tests).
    fn checkpoint_all(&mut self) -> Result<(), StoreError> {
        self.drain()?;
        let ids: Vec<u32> = self
            .chunked_tables()
            .into_iter()
            .map(|(id, _)| id)
            .collect();
        ids.into_iter().try_for_each(|id| self.checkpoint(id))
    }

    /// Seals table `id`'s head into new parts on this thread, publishes them, trims the log.
    /// The sealer must hold nothing of the table (`drain`).
    fn checkpoint(&mut self, id: u32) -> Result<(), StoreError> {
        let Some(Storage::Chunked(chunked)) = self.storage(id) else {
            return Ok(());
        };
        let (sealed, generation, old) = {
            let view = chunked.read();
            if view.head.is_empty() {
                return Ok(());
            }
            (
                sealer::seal(&self.db, &self.part_ids, &view.table, &view.head),
                view.head.generation,
                Arc::clone(&view.parts),
            )
        };
        let result = sealed.and_then(|new| {
            let mut list = old.list.clone();
            list.extend(new.into_iter().map(Arc::new));
            let parts = Parts {
                generation,
                wal_seq: self.state.logged.get(&id).copied().unwrap_or(old.wal_seq),
                list,
            };
            self.publish(&chunked, parts, HeadChange::SealedHead)
        });
        if let Err(e) = &result {
            self.poison(Some(e.clone()));
            return result;
        }
        self.trim_log()
    }

    /// Merges every table's due parts now, on this thread (tests).
    #[cfg(test)]
    fn merge_all(&mut self) -> Result<(), StoreError> {
        self.drain()?;
        for (id, chunked) in self.chunked_tables() {
            loop {
                let (table, parts) = {
                    let view = chunked.read();
                    (Arc::clone(&view.table), Arc::clone(&view.parts))
                };
                let Some(inputs) = checkpoint::merge_candidates(&parts) else {
                    break;
                };
                let rank = inputs.iter().map(|p| p.rank).max().unwrap_or(0);
                let window = inputs.first().map_or(0, |p| p.window);
                let new = NewPart {
                    rank,
                    ..self.part_ids.next(window)
                };
                let merged = checkpoint::merge(&self.db, &table, &inputs, new)?;
                let ids: Vec<u64> = inputs.iter().map(|p| p.id).collect();
                self.publish_merged(id, &ids, merged)?;
            }
        }
        Ok(())
    }

    /// Makes `parts` the table's parts: a new manifest, fsynced, then swapped in, with the
    /// head change a checkpoint makes. Parts no longer listed go to the graveyard.
    fn publish(
        &mut self,
        chunked: &Chunked,
        parts: Parts,
        head: HeadChange,
    ) -> Result<(), StoreError> {
        let id = chunked.read().table.id;
        let mut batch = self.db.batch();
        batch.insert(&self.meta, manifest_key(id), Manifest::of(&parts).encode());
        batch.insert(&self.meta, NEXT_PART_ID, self.part_ids.peek().to_be_bytes());
        batch.insert(&self.meta, NEXT_SEQ, self.state.next_seq.to_be_bytes());
        batch.commit()?;
        self.db.persist(PersistMode::SyncData)?;
        let mut view = chunked.write();
        let kept: Vec<u64> = parts.list.iter().map(|p| p.id).collect();
        let retired: Vec<Arc<Part>> = view
            .parts
            .list
            .iter()
            .filter(|p| !kept.contains(&p.id))
            .cloned()
            .collect();
        view.parts = Arc::new(parts);
        match head {
            HeadChange::None => {}
            HeadChange::SealedFrozen => view.frozen = None,
            HeadChange::SealedHead => {
                let next = TableHead::new(&view.table, view.head.generation + 1);
                view.head = next;
            }
        }
        drop(view);
        self.graveyard.extend(retired);
        Ok(())
    }

    /// Deletes log segments every table has checkpointed past.
    fn trim_log(&mut self) -> Result<(), StoreError> {
        let covered: HashMap<u32, u64> = self
            .chunked_tables()
            .into_iter()
            .map(|(id, c)| {
                let view = c.read();
                // A table with nothing in its heads has nothing in the log either.
                let seq = if view.head.is_empty() && view.frozen.is_none() {
                    u64::MAX
                } else {
                    view.parts.wal_seq
                };
                (id, seq)
            })
            .collect();
        let trimmed = self.wal.trim(|t| covered.get(&t).copied());
        if let Err(e) = &trimmed {
            self.poison(Some(e.clone()));
        }
        trimmed
    }

    /// Deletes the keyspaces of retired parts that no reader holds any more. They stay on disk
    /// if this fails (a later open deletes them); nothing is lost.
    fn bury(&mut self) {
        let mut kept = Vec::new();
        let mut gone = Vec::new();
        for part in std::mem::take(&mut self.graveyard) {
            match Arc::try_unwrap(part) {
                Ok(part) => gone.push(part.keyspace),
                Err(held) => kept.push(held),
            }
        }
        self.graveyard = kept;
        if let Err(e) = keyspaces::delete(&self.db, gone) {
            eprintln!("tidegate: cannot delete retired parts: {e}");
        }
    }

    fn create_table(&mut self, mut table: Table) -> Result<Table, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        table.id = self.state.next_table_id;
        let result = (|| {
            let storage = storage_for(&self.db, &table)?;
            let mut batch = self.db.batch();
            batch.insert(&self.meta, catalog_key(table.id), codec::encode(&table));
            batch.insert(&self.meta, NEXT_TABLE_ID, (table.id + 1).to_be_bytes());
            batch.commit()?;
            self.db.persist(PersistMode::SyncData)?;
            Ok::<_, StoreError>(storage)
        })();
        match result {
            Ok(storage) => {
                self.state.next_table_id = table.id + 1;
                if let Some(inner) = self.weak.upgrade() {
                    inner
                        .tables
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(table.id, storage);
                }
                Ok(table)
            }
            Err(e) => {
                self.poison(Some(e.clone()));
                Err(e)
            }
        }
    }

    fn delete(&mut self, table: &Arc<Table>, spec: &ScanSpec) -> Result<u64, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        match self.storage(table.id) {
            None => Err(StoreError::TableDropped(table.name.to_string())),
            Some(Storage::Rows(ks)) => self.delete_rows(&ks, spec),
            Some(Storage::Chunked(chunked)) => self.delete_chunked(table, &chunked, spec),
        }
    }

    /// Seals the head, then rewrites every part holding selected rows without them; a part
    /// left empty is dropped whole, so `DELETE ... BEFORE` costs nothing for old windows.
    fn delete_chunked(
        &mut self,
        table: &Arc<Table>,
        chunked: &Arc<Chunked>,
        spec: &ScanSpec,
    ) -> Result<u64, StoreError> {
        self.drain()?;
        self.checkpoint(table.id)?;
        let old = Arc::clone(&chunked.read().parts);
        let result = (|| {
            // Rows as queries see them: a (tag, time) in several parts is one row.
            let mut deleted = 0u64;
            let mut scan = ChunkScan::new(
                Arc::clone(chunked),
                self.tags.clone(),
                Arc::clone(table),
                spec,
            )?;
            let mut row = Vec::new();
            while scan.next_row(&mut row)? {
                deleted += 1;
            }
            let mut list = Vec::with_capacity(old.list.len());
            for part in &old.list {
                if !part.overlaps(spec.time_min, spec.time_max) {
                    list.push(Arc::clone(part));
                    continue;
                }
                let (kept, removed) = checkpoint::without(table, part, spec)?;
                if removed == 0 {
                    list.push(Arc::clone(part));
                } else if !kept.is_empty() {
                    // The rewritten part keeps its place among the others.
                    let new = NewPart {
                        rank: part.rank,
                        ..self.part_ids.next(window_of(part.min_time))
                    };
                    list.push(Arc::new(checkpoint::write_data(
                        &self.db, table.id, new, kept,
                    )?));
                }
            }
            let parts = Parts {
                generation: old.generation,
                wal_seq: old.wal_seq,
                list,
            };
            self.publish(chunked, parts, HeadChange::None)?;
            Ok::<_, StoreError>(deleted)
        })();
        if let Err(e) = &result {
            self.poison(Some(e.clone()));
        }
        self.bury();
        result
    }

    /// Deletes a kv stream's rows key range by key range, at most `DELETE_BATCH_KEYS_MAX`
    /// keys per fjall batch, then persists once. Keys are read from the range and removed
    /// behind the read position, so the range is walked once.
    fn delete_rows(&mut self, ks: &Keyspace, spec: &ScanSpec) -> Result<u64, StoreError> {
        let high = seq_key(spec.time_max, u64::MAX).to_vec();
        let in_time = |key: &[u8]| {
            decode_seq_key(key).is_some_and(|t| t >= spec.time_min && t <= spec.time_max)
        };
        let mut deleted = 0u64;
        let result = (|| {
            let mut low = seq_key(spec.time_min, 0).to_vec();
            loop {
                let mut keys = Vec::new();
                let mut last = None;
                for guard in ks.range(low.clone()..=high.clone()) {
                    let key = guard.key()?;
                    last = Some(key.to_vec());
                    if in_time(&key) {
                        keys.push(key);
                    }
                    if keys.len() >= DELETE_BATCH_KEYS_MAX {
                        break;
                    }
                }
                let Some(mut next) = last else { break };
                let mut batch = self.db.batch();
                for key in &keys {
                    batch.remove(ks, key.clone());
                }
                deleted += keys.len() as u64;
                batch.commit()?;
                // The smallest key after `next`.
                next.push(0);
                low = next;
                if keys.len() < DELETE_BATCH_KEYS_MAX {
                    break;
                }
            }
            self.db.persist(PersistMode::SyncData)?;
            Ok::<_, fjall::Error>(())
        })();
        match result {
            Ok(()) => {
                self.fjall_dirty = false;
                Ok(deleted)
            }
            Err(e) => {
                let e = StoreError::from(e);
                self.poison(Some(e.clone()));
                Err(e)
            }
        }
    }

    /// One key overwritten in one committed, fsynced batch: atomic across a crash.
    fn rename_table(&mut self, table: &Table) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let result = (|| {
            let mut batch = self.db.batch();
            batch.insert(&self.meta, catalog_key(table.id), codec::encode(table));
            batch.commit()?;
            self.db.persist(PersistMode::SyncData)
        })();
        if result.is_ok()
            && let Some(Storage::Chunked(chunked)) = self.storage(table.id)
        {
            chunked.write().table = Arc::new(table.clone());
        }
        result.map_err(|e| {
            let e = StoreError::from(e);
            self.poison(Some(e.clone()));
            e
        })
    }

    fn drop_table(&mut self, id: u32) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let storage = self.weak.upgrade().and_then(|inner| {
            inner
                .tables
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id)
        });
        let result = (|| {
            let mut batch = self.db.batch();
            batch.remove(&self.meta, catalog_key(id));
            batch.remove(&self.meta, manifest_key(id));
            for guard in self.tags.prefix(id.to_be_bytes()) {
                batch.remove(&self.tags, guard.key()?);
            }
            batch.commit()?;
            self.db.persist(PersistMode::SyncData)?;
            match storage {
                Some(Storage::Rows(ks)) => keyspaces::delete(&self.db, vec![ks])?,
                Some(Storage::Chunked(chunked)) => {
                    let view = chunked.read();
                    self.graveyard.extend(view.parts.list.iter().cloned());
                }
                None => {}
            }
            Ok::<_, StoreError>(())
        })();
        self.state.tag_ids.remove(&id);
        self.state.next_tag_id.remove(&id);
        self.state.logged.remove(&id);
        self.pending.remove(&id);
        self.live.drop_table(id);
        self.bury();
        result.inspect_err(|e| self.poison(Some(e.clone())))
    }
}

/// Allocates the id of a new tag name, writing the dictionary entries (both directions) in
/// the group's fjall batch; the name also goes into the log record, which makes it durable.
fn new_tag(
    state: &mut WriterState,
    batch: &mut OwnedWriteBatch,
    tags: &Keyspace,
    table_id: u32,
    name: &str,
) -> u32 {
    let next = state.next_tag_id.entry(table_id).or_insert(0);
    let id = *next;
    *next += 1;
    state
        .tag_ids
        .entry(table_id)
        .or_default()
        .insert(name.into(), id);
    batch.insert(tags, tag_name_key(table_id, name), id.to_be_bytes());
    batch.insert(tags, tag_id_key(table_id, id), name.as_bytes());
    id
}
