//! Live rows for streaming queries: after the writer commits a stream's batch it hands the
//! batch to every subscriber of that stream, and `Replay` reads the stored rows a query
//! replays first (`seek_to`).
//!
//! Invariants:
//! - Nobody subscribed costs the writer one atomic store and one atomic load per commit
//!   group: no lock, no allocation (`Hub::publish`).
//! - Exactly once across the replay boundary: `Subscription::start_seq` is read under the
//!   subscriber lock after registering, and every row with a smaller sequence was committed
//!   before it, every row with that sequence or more is delivered to the subscription.
//!   `Replay` yields only rows below `start_seq`, the subscription only rows at or above it.
//! - A subscriber never makes the writer wait: its queue holds `LIVE_BATCHES_QUEUED_MAX`
//!   batches; when full, the subscription is cut and reports `LiveError::Lagged`.
//! - Dropping a stream cuts its subscriptions (`LiveError::Dropped`).

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use fjall::Keyspace;
use smol::channel::{Receiver, Sender, TrySendError};

use super::batch::RowBatch;
use super::keys::{SEQ_KEY_BYTES, seq_key, time_from_bytes};
use super::page::KeyRange;
use super::row;
use super::{Store, StoreError};
use crate::catalog::Table;
use crate::limits::LIVE_BATCHES_QUEUED_MAX;
use crate::value::Value;

/// A committed batch and the sequence of its first row (rows are numbered in order).
pub(super) struct LiveBatch {
    batch: RowBatch,
    first_seq: u64,
}

struct Slot {
    id: u64,
    table_id: u32,
    sender: Sender<Arc<LiveBatch>>,
    lagged: Arc<AtomicBool>,
}

/// The subscriber list the writer publishes to; shared by the store and the writer thread.
#[derive(Default)]
pub(super) struct Hub {
    subscribers: AtomicUsize,
    /// One more than the sequence of the last committed row.
    committed_seq: AtomicU64,
    next_id: AtomicU64,
    slots: Mutex<Vec<Slot>>,
}

impl Hub {
    pub(super) fn new(committed_seq: u64) -> Hub {
        Hub {
            committed_seq: AtomicU64::new(committed_seq),
            ..Hub::default()
        }
    }

    fn slots(&self) -> std::sync::MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Called by the writer after a commit: `next_seq` is the sequence the next row will get,
    /// `batches` the stream batches of the commit with their first sequence. The caller
    /// clears `batches` afterwards (when nobody listens, they are only dropped).
    pub(super) fn publish(&self, next_seq: u64, batches: &mut Vec<(RowBatch, u64)>) {
        // SeqCst pairs with `subscribe`: either it sees this store, or this load sees it.
        self.committed_seq.store(next_seq, Ordering::SeqCst);
        if self.subscribers.load(Ordering::SeqCst) == 0 || batches.is_empty() {
            return;
        }
        let mut slots = self.slots();
        for (batch, first_seq) in batches.drain(..) {
            let table_id = batch.table().id;
            if !slots.iter().any(|s| s.table_id == table_id) {
                continue;
            }
            let live = Arc::new(LiveBatch { batch, first_seq });
            slots.retain(|slot| {
                if slot.table_id != table_id {
                    return true;
                }
                match slot.sender.try_send(Arc::clone(&live)) {
                    Ok(()) => true,
                    Err(TrySendError::Full(_)) => {
                        slot.lagged.store(true, Ordering::Release);
                        false
                    }
                    Err(TrySendError::Closed(_)) => false,
                }
            });
        }
        self.subscribers.store(slots.len(), Ordering::SeqCst);
    }

    /// Cuts every subscription of a dropped table.
    pub(super) fn drop_table(&self, table_id: u32) {
        let mut slots = self.slots();
        slots.retain(|s| s.table_id != table_id);
        self.subscribers.store(slots.len(), Ordering::SeqCst);
    }
}

#[derive(Debug, Clone)]
pub enum LiveError {
    /// The query read more slowly than rows were written.
    Lagged,
    /// The stream was dropped while the query ran.
    Dropped(String),
    Store(StoreError),
}

impl std::fmt::Display for LiveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveError::Lagged => write!(
                f,
                "the streaming query fell more than live_batches_queued_max \
                 ({LIVE_BATCHES_QUEUED_MAX}) committed batches behind ingest and was ended; \
                 read faster, narrow the query or use table(stream)"
            ),
            LiveError::Dropped(t) => write!(f, "stream {t} was dropped during the query"),
            LiveError::Store(e) => e.fmt(f),
        }
    }
}

/// One live query's feed of committed rows.
pub struct Subscription {
    hub: Arc<Hub>,
    id: u64,
    table: Arc<Table>,
    receiver: Receiver<Arc<LiveBatch>>,
    lagged: Arc<AtomicBool>,
    /// Rows below this sequence were committed before the subscription began.
    start_seq: u64,
}

impl Subscription {
    pub(super) fn new(hub: &Arc<Hub>, table: &Arc<Table>) -> Subscription {
        let (sender, receiver) = smol::channel::bounded(LIVE_BATCHES_QUEUED_MAX);
        let lagged = Arc::new(AtomicBool::new(false));
        let id = hub.next_id.fetch_add(1, Ordering::Relaxed);
        let mut slots = hub.slots();
        slots.push(Slot {
            id,
            table_id: table.id,
            sender,
            lagged: Arc::clone(&lagged),
        });
        hub.subscribers.store(slots.len(), Ordering::SeqCst);
        let start_seq = hub.committed_seq.load(Ordering::SeqCst);
        drop(slots);
        Subscription {
            hub: Arc::clone(hub),
            id,
            table: Arc::clone(table),
            receiver,
            lagged,
            start_seq,
        }
    }

    /// Waits for the next committed batch and appends its rows (every column filled) to
    /// `rows`. Cancel-safe: nothing is taken before the wait completes.
    pub async fn next_batch(&mut self, rows: &mut Vec<Vec<Value>>) -> Result<(), LiveError> {
        let Ok(live) = self.receiver.recv().await else {
            return Err(if self.lagged.load(Ordering::Acquire) {
                LiveError::Lagged
            } else {
                LiveError::Dropped(self.table.name.to_string())
            });
        };
        let table = live.batch.table();
        for (i, record) in live.batch.records().enumerate() {
            if live.first_seq + (i as u64) < self.start_seq {
                continue;
            }
            let mut out = Vec::with_capacity(table.columns.len());
            row::decode(table, record.value, &mut out)
                .map_err(|e| LiveError::Store(StoreError::Corrupt(e.to_string())))?;
            if let Some(slot) = table.time_column.and_then(|i| out.get_mut(i)) {
                *slot = Value::Time(record.time_ns);
            }
            rows.push(out);
        }
        Ok(())
    }
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut slots = self.hub.slots();
        slots.retain(|s| s.id != self.id);
        self.hub.subscribers.store(slots.len(), Ordering::SeqCst);
    }
}

/// The stored rows of a stream from `time_min` on, in time order, committed before a
/// subscription began (sequence below `below_seq`). Each `read` opens the rest of the range
/// from a fresh snapshot and drops it before returning (see `page`), so a live query whose
/// client stops reading pins nothing in the store. Every row it returns was committed before
/// the subscription, so every snapshot holds them all: none is missed or repeated.
pub struct Replay {
    table: Arc<Table>,
    ks: Keyspace,
    rest: KeyRange,
    below_seq: u64,
}

impl Replay {
    pub(super) fn new(ks: &Keyspace, table: &Arc<Table>, time_min: i64, below_seq: u64) -> Replay {
        Replay {
            table: Arc::clone(table),
            ks: ks.clone(),
            rest: KeyRange::from(&seq_key(time_min, 0)),
            below_seq,
        }
    }

    /// Appends up to `max` rows to `rows`; `Ok(false)` once every row was read.
    pub fn read(&mut self, rows: &mut Vec<Vec<Value>>, max: usize) -> Result<bool, StoreError> {
        let mut iter = self.rest.open_latest(&self.ks);
        let mut taken = 0;
        while taken < max {
            let Some(guard) = iter.next() else {
                return Ok(false);
            };
            let (key, value) = guard.into_inner()?;
            self.rest.read_past(&key, false);
            let corrupt = || StoreError::Corrupt(format!("undecodable key {key:?}"));
            let key: [u8; SEQ_KEY_BYTES] = (*key).try_into().map_err(|_| corrupt())?;
            let (time, seq) = key.split_at(8);
            let seq = u64::from_be_bytes(seq.try_into().map_err(|_| corrupt())?);
            if seq >= self.below_seq {
                continue;
            }
            let time = time_from_bytes(time.try_into().map_err(|_| corrupt())?);
            let mut out = Vec::with_capacity(self.table.columns.len());
            row::decode(&self.table, &value, &mut out)
                .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            if let Some(slot) = self.table.time_column.and_then(|i| out.get_mut(i)) {
                *slot = Value::Time(time);
            }
            rows.push(out);
            taken += 1;
        }
        Ok(true)
    }
}

impl Store {
    /// Subscribes to the rows committed to `table` from now on.
    pub fn subscribe(&self, table: &Arc<Table>) -> Result<Subscription, StoreError> {
        self.keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        Ok(Subscription::new(&self.inner.live, table))
    }

    /// The rows of `table` from `time_min` on committed before `subscription` began.
    pub fn replay(
        &self,
        table: &Arc<Table>,
        subscription: &Subscription,
        time_min: i64,
    ) -> Result<Replay, StoreError> {
        let ks = self
            .keyspace(table.id)
            .ok_or_else(|| StoreError::TableDropped(table.name.to_string()))?;
        Ok(Replay::new(&ks, table, time_min, subscription.start_seq))
    }
}
