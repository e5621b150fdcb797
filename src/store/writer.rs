//! The writer thread: the only code that writes to fjall.
//!
//! Commands arrive over a bounded channel (a full channel pushes back on ingest). The writer
//! takes everything pending, applies all row batches as one fjall batch, then, if any of them
//! asked for `Durability::Synced`, calls `persist(SyncData)` once and acknowledges the whole
//! group: group commit. `Durability::Applied` batches are acknowledged once applied and
//! visible; a timer persists them every `sync_interval`.
//!
//! Invariants:
//! - A `Synced` acknowledgement is sent only after a `persist(SyncData)` that covers it.
//! - On any fjall error the writer poisons the store, fails every acknowledgement from then
//!   on, reports the fault once on the fatal channel and never retries an fsync.
//! - Tag ids and the row sequence are assigned here, in the same fjall batch as the rows.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use fjall::{Database, Keyspace, OwnedWriteBatch, PersistMode};
use smol::channel::{Receiver, Sender};

use super::batch::RowBatch;
use super::keys::{decode_seq_key, decode_tag_key, seq_key, tag_key};
use super::kv;
use super::live::Hub;
use super::scan::{ScanSpec, TagSelection};
use super::{
    CATALOG_PREFIX, NEXT_SEQ, NEXT_TABLE_ID, Store, StoreError, table_keyspace_name,
    table_keyspace_options,
};
use crate::catalog::{Table, TableKind, codec};
use crate::limits::{DELETE_BATCH_KEYS_MAX, FLUSH_WAIT_MS_MAX, SEALED_MEMTABLES_MAX};

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
    next_seq: u64,
    /// table id -> tag name -> tag id.
    tag_ids: HashMap<u32, HashMap<Box<str>, u32>>,
    next_tag_id: HashMap<u32, u32>,
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
        let mut tag_ids: HashMap<u32, HashMap<Box<str>, u32>> = HashMap::new();
        let mut next_tag_id: HashMap<u32, u32> = HashMap::new();
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
            tag_ids.entry(table).or_default().insert(name.into(), id);
            let next = next_tag_id.entry(table).or_insert(0);
            *next = (*next).max(id.saturating_add(1));
        }
        Ok(WriterState {
            next_table_id,
            next_seq,
            tag_ids,
            next_tag_id,
        })
    }
}

pub struct WriterThread {
    handle: std::thread::JoinHandle<()>,
}

impl WriterThread {
    /// Waits for the writer to drain its queue, persist and stop. It stops once every
    /// `Store` clone (and so every command sender) is dropped.
    pub fn join(self) {
        if self.handle.join().is_err() {
            eprintln!("tidegate: the writer thread panicked");
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "one call site wires the thread up"
)]
pub(super) fn spawn(
    store: Store,
    db: Database,
    meta: Keyspace,
    tags: Keyspace,
    state: WriterState,
    commands: Receiver<Command>,
    fatal: Sender<StoreError>,
    sync_interval: Duration,
    live: std::sync::Arc<Hub>,
) -> std::io::Result<WriterThread> {
    // The writer must not keep the store alive, or the channel would never close.
    let weak = std::sync::Arc::downgrade(&store.inner);
    drop(store);
    let mut writer = Writer {
        weak,
        db,
        meta,
        tags,
        state,
        fatal,
        poisoned: false,
        dirty: false,
        live,
        committed: Vec::new(),
    };
    let handle = std::thread::Builder::new()
        .name("tidegate-writer".into())
        .spawn(move || writer.run(commands, sync_interval))?;
    Ok(WriterThread { handle })
}

struct Writer {
    weak: std::sync::Weak<super::Inner>,
    db: Database,
    meta: Keyspace,
    tags: Keyspace,
    state: WriterState,
    fatal: Sender<StoreError>,
    poisoned: bool,
    /// Rows were applied since the last persist.
    dirty: bool,
    live: std::sync::Arc<Hub>,
    /// The stream batches of the group being committed, with their first sequence, handed
    /// to live queries after the commit. Reused, so it allocates nothing once grown.
    committed: Vec<(RowBatch, u64)>,
}

enum Acks {
    Apply(Sender<Result<(), StoreError>>, Durability),
}

impl Writer {
    fn run(&mut self, commands: Receiver<Command>, sync_interval: Duration) {
        let mut deadline = Instant::now() + sync_interval;
        loop {
            let next = smol::block_on(smol::future::or(
                async { Some(commands.recv().await) },
                async {
                    smol::Timer::at(deadline).await;
                    None
                },
            ));
            match next {
                None => {
                    // A failure poisons the store inside `persist`; nothing waits on this one.
                    if self.dirty {
                        let _ = self.persist(PersistMode::SyncData);
                    }
                    deadline = Instant::now() + sync_interval;
                }
                Some(Err(_closed)) => break,
                Some(Ok(first)) => {
                    let mut group = vec![first];
                    while group.len() < GROUP_COMMANDS_MAX {
                        match commands.try_recv() {
                            Ok(c) => group.push(c),
                            Err(_) => break,
                        }
                    }
                    self.run_group(group);
                    self.wait_for_flushes();
                }
            }
        }
        if !self.poisoned {
            let _ = self.persist(PersistMode::SyncAll);
        }
    }

    /// Backpressure on memory: while more than `SEALED_MEMTABLES_MAX` full memtables wait
    /// for or are in a flush (the workers busy compacting, say), the writer takes no more
    /// commands, so the bounded queue fills and ingest stops reading sockets. Without this,
    /// sealed memtables pile up and RSS grows with the body. Memtables still being filled do
    /// not count: with many tables they add up without any flush to wait for (fjall rotates
    /// them by journal size). A flush that never comes (a stuck disk) must not hang requests
    /// forever, so the wait is bounded.
    fn wait_for_flushes(&self) {
        let started = Instant::now();
        while self.sealed_memtables() > SEALED_MEMTABLES_MAX
            && started.elapsed() < Duration::from_millis(FLUSH_WAIT_MS_MAX)
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// Sealed memtables of every table, queued or being flushed. `sealed_memtable_count` is
    /// marked experimental by fjall, so Cargo.toml pins fjall's minor version.
    fn sealed_memtables(&self) -> usize {
        let Some(inner) = self.weak.upgrade() else {
            return 0;
        };
        let tables = inner.tables.read().unwrap_or_else(|e| e.into_inner());
        tables.values().map(Keyspace::sealed_memtable_count).sum()
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
                    // A kv batch reads the index its predecessors wrote: commit them first,
                    // then commit it alone (see `kv`).
                    if rows.table().mode.is_kv() {
                        self.commit_group(
                            std::mem::replace(&mut batch, self.db.batch()),
                            &mut acks,
                        );
                        let mut kv_batch = self.db.batch();
                        let mut kv_acks = Vec::new();
                        match self.apply_kv(&mut kv_batch, &rows) {
                            Ok(()) => kv_acks.push(Acks::Apply(ack, durability)),
                            Err(e) => {
                                let _ = ack.try_send(Err(e));
                            }
                        }
                        self.commit_group(kv_batch, &mut kv_acks);
                        continue;
                    }
                    let first_seq = self.state.next_seq;
                    match self.apply(&mut batch, &rows) {
                        Ok(()) => {
                            acks.push(Acks::Apply(ack, durability));
                            if rows.table().kind == TableKind::Stream {
                                self.committed.push((rows, first_seq));
                            }
                        }
                        Err(e) => {
                            let _ = ack.try_send(Err(e));
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
            }
        }
        self.commit_group(batch, &mut acks);
    }

    fn commit_group(&mut self, batch: OwnedWriteBatch, acks: &mut Vec<Acks>) {
        if acks.is_empty() {
            return;
        }
        let committed = batch.commit().map_err(StoreError::from);
        if committed.is_ok() {
            self.live.publish(self.state.next_seq, &mut self.committed);
        }
        self.committed.clear();
        self.acknowledge(committed, acks);
    }

    fn acknowledge(&mut self, committed: Result<(), StoreError>, acks: &mut Vec<Acks>) {
        let wants_sync = acks
            .iter()
            .any(|Acks::Apply(_, d)| *d == Durability::Synced);
        let mut result = committed;
        if result.is_ok() {
            self.dirty = true;
            if wants_sync {
                result = self.persist(PersistMode::SyncData);
            }
        } else {
            self.poison(result.clone().err());
        }
        for Acks::Apply(ack, _) in acks.drain(..) {
            let _ = ack.try_send(result.clone());
        }
    }

    fn persist(&mut self, mode: PersistMode) -> Result<(), StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        match self.db.persist(mode) {
            Ok(()) => {
                self.dirty = false;
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
    /// let systemd restart us, so the journal is replayed from what is really on disk.
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

    fn table_keyspace(&self, id: u32) -> Option<Keyspace> {
        let inner = self.weak.upgrade()?;
        let tables = inner.tables.read().unwrap_or_else(|e| e.into_inner());
        tables.get(&id).cloned()
    }

    fn apply(&mut self, batch: &mut OwnedWriteBatch, rows: &RowBatch) -> Result<(), StoreError> {
        let table = rows.table();
        let ks = self
            .table_keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        match table.kind {
            TableKind::Tag => {
                for record in rows.records() {
                    let tag = record.tag.unwrap_or_default();
                    let tag_id = self.tag_id(batch, table.id, tag);
                    batch.insert(&ks, tag_key(tag_id, record.time_ns), record.value);
                }
            }
            TableKind::Log | TableKind::Stream => {
                for record in rows.records() {
                    let seq = self.state.next_seq;
                    self.state.next_seq += 1;
                    batch.insert(&ks, seq_key(record.time_ns, seq), record.value);
                }
                batch.insert(&self.meta, NEXT_SEQ, self.state.next_seq.to_be_bytes());
            }
        }
        Ok(())
    }

    /// Applies a kv stream's batch: one change per touched key (`kv::plan`), each removing
    /// the key's old row and writing its new row and index entry, or removing the entry.
    fn apply_kv(&mut self, batch: &mut OwnedWriteBatch, rows: &RowBatch) -> Result<(), StoreError> {
        let table = rows.table();
        let ks = self
            .table_keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
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
                batch.remove(&ks, old);
            }
            match change.new_row {
                Some(row) => {
                    let seq = self.state.next_seq;
                    self.state.next_seq += 1;
                    let row_key = seq_key(row.time_ns, seq);
                    batch.insert(&ks, row_key, row.value);
                    batch.insert(&self.tags, index_key, kv::entry(&row_key, row.version));
                }
                None => batch.remove(&self.tags, index_key),
            }
        }
        batch.insert(&self.meta, NEXT_SEQ, self.state.next_seq.to_be_bytes());
        Ok(())
    }

    /// The tag's id, allocating one (in the same fjall batch as the row) for a new name.
    fn tag_id(&mut self, batch: &mut OwnedWriteBatch, table_id: u32, name: &str) -> u32 {
        let names = self.state.tag_ids.entry(table_id).or_default();
        if let Some(&id) = names.get(name) {
            return id;
        }
        let next = self.state.next_tag_id.entry(table_id).or_insert(0);
        let id = *next;
        *next += 1;
        names.insert(name.into(), id);
        batch.insert(&self.tags, tag_name_key(table_id, name), id.to_be_bytes());
        batch.insert(&self.tags, tag_id_key(table_id, id), name.as_bytes());
        id
    }

    fn create_table(&mut self, mut table: Table) -> Result<Table, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        table.id = self.state.next_table_id;
        let result = (|| {
            let ks = self
                .db
                .keyspace(&table_keyspace_name(table.id), table_keyspace_options)?;
            let mut batch = self.db.batch();
            batch.insert(&self.meta, catalog_key(table.id), codec::encode(&table));
            batch.insert(&self.meta, NEXT_TABLE_ID, (table.id + 1).to_be_bytes());
            batch.commit()?;
            self.db.persist(PersistMode::SyncData)?;
            Ok::<_, fjall::Error>(ks)
        })();
        match result {
            Ok(ks) => {
                self.state.next_table_id = table.id + 1;
                if let Some(inner) = self.weak.upgrade() {
                    inner
                        .tables
                        .write()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(table.id, ks);
                }
                Ok(table)
            }
            Err(e) => {
                let e = StoreError::from(e);
                self.poison(Some(e.clone()));
                Err(e)
            }
        }
    }

    /// Deletes key range by key range, at most `DELETE_BATCH_KEYS_MAX` keys per fjall
    /// batch, then persists once. Keys are read from the range and removed behind the read
    /// position, so the range is walked once.
    fn delete(&mut self, table: &Table, spec: &ScanSpec) -> Result<u64, StoreError> {
        if self.poisoned {
            return Err(StoreError::Poisoned);
        }
        let ks = self
            .table_keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        // (low, high) key bounds, inclusive; keys outside the time range are skipped when
        // the range cannot exclude them (every tag of a tag table).
        let ranges: Vec<(Vec<u8>, Vec<u8>)> = match (table.kind, &spec.tags) {
            (TableKind::Tag, TagSelection::Ids(ids)) => ids
                .iter()
                .map(|&id| {
                    (
                        tag_key(id, spec.time_min).to_vec(),
                        tag_key(id, spec.time_max).to_vec(),
                    )
                })
                .collect(),
            (TableKind::Tag, TagSelection::All) => {
                vec![(Vec::new(), vec![0xff; super::keys::TAG_KEY_BYTES + 1])]
            }
            (TableKind::Log | TableKind::Stream, _) => vec![(
                seq_key(spec.time_min, 0).to_vec(),
                seq_key(spec.time_max, u64::MAX).to_vec(),
            )],
        };
        let in_time = |key: &[u8]| {
            let time = match table.kind {
                TableKind::Tag => decode_tag_key(key).map(|(_, t)| t),
                _ => decode_seq_key(key),
            };
            time.is_some_and(|t| t >= spec.time_min && t <= spec.time_max)
        };
        let mut deleted = 0u64;
        let result = (|| {
            for (low, high) in ranges {
                let mut low = low;
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
                        batch.remove(&ks, key.clone());
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
            }
            self.db.persist(PersistMode::SyncData)?;
            Ok::<_, fjall::Error>(())
        })();
        match result {
            Ok(()) => {
                self.dirty = false;
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
        let ks = self.weak.upgrade().and_then(|inner| {
            inner
                .tables
                .write()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&id)
        });
        let result = (|| {
            let mut batch = self.db.batch();
            batch.remove(&self.meta, catalog_key(id));
            for guard in self.tags.prefix(id.to_be_bytes()) {
                batch.remove(&self.tags, guard.key()?);
            }
            batch.commit()?;
            self.db.persist(PersistMode::SyncData)?;
            if let Some(ks) = ks {
                self.db.delete_keyspace(ks)?;
            }
            Ok::<_, fjall::Error>(())
        })();
        self.state.tag_ids.remove(&id);
        self.state.next_tag_id.remove(&id);
        self.live.drop_table(id);
        result.map_err(|e| {
            let e = StoreError::from(e);
            self.poison(Some(e.clone()));
            e
        })
    }
}
