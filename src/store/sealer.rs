//! The sealer thread: the slow half of keeping the store in shape, off the writer thread so
//! that ingest goes on meanwhile. It seals frozen heads into parts and merges parts. Each
//! result goes back to the writer, which alone publishes it (a manifest, then a swap); when the
//! table changed meanwhile (dropped, or a merge's inputs rewritten by a DELETE) the writer
//! throws the new parts away instead.
//!
//! Invariants:
//! - The sealer writes only new parts, which no reader sees before the writer publishes them;
//!   a part left by a crash before that is deleted at open (`parts`).
//! - It reads only immutable things: a frozen head, published parts.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use fjall::Database;
use smol::channel::{Receiver, Sender};

use super::StoreError;
use super::checkpoint::{self, NewPart};
use super::head::TableHead;
use super::parts::Part;
use crate::catalog::Table;

pub(super) enum Job {
    /// Seal `head`, whose rows the log holds up to `wal_seq`.
    Seal {
        table: Arc<Table>,
        head: Arc<TableHead>,
        wal_seq: u64,
    },
    /// Merge `inputs`, parts of one window with consecutive ranks.
    Merge {
        table: Arc<Table>,
        inputs: Vec<Arc<Part>>,
    },
}

pub(super) enum Done {
    Sealed {
        table_id: u32,
        generation: u64,
        wal_seq: u64,
        parts: Result<Vec<Part>, StoreError>,
    },
    Merged {
        table_id: u32,
        inputs: Vec<u64>,
        merged: Result<Part, StoreError>,
    },
}

/// Hands out part ids: shared by the writer and the sealer, persisted with every manifest.
#[derive(Clone)]
pub(super) struct PartIds(Arc<AtomicU64>);

impl PartIds {
    pub fn new(next: u64) -> PartIds {
        PartIds(Arc::new(AtomicU64::new(next)))
    }

    /// A new part's id, ranking above every part so far.
    pub fn next(&self, window: i64) -> NewPart {
        let id = self.0.fetch_add(1, Ordering::Relaxed);
        NewPart {
            id,
            rank: id,
            window,
        }
    }

    /// The id the next part will get.
    pub fn peek(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

pub(super) struct SealerThread {
    handle: std::thread::JoinHandle<()>,
}

impl SealerThread {
    /// Waits for the sealer to finish its queued jobs and stop; it stops once the writer
    /// drops the job sender.
    pub fn join(self) {
        if self.handle.join().is_err() {
            eprintln!("tidegate: the sealer thread panicked");
        }
    }
}

pub(super) fn spawn(
    db: Database,
    ids: PartIds,
) -> std::io::Result<(Sender<Job>, Receiver<Done>, SealerThread)> {
    let (jobs, job_queue) = smol::channel::unbounded::<Job>();
    let (done_sender, done) = smol::channel::unbounded::<Done>();
    let handle = std::thread::Builder::new()
        .name("tidegate-sealer".into())
        .spawn(move || {
            while let Ok(job) = job_queue.recv_blocking() {
                let result = match job {
                    Job::Seal {
                        table,
                        head,
                        wal_seq,
                    } => Done::Sealed {
                        table_id: table.id,
                        generation: head.generation,
                        wal_seq,
                        parts: seal(&db, &ids, &table, &head),
                    },
                    Job::Merge { table, inputs } => {
                        let rank = inputs.iter().map(|p| p.rank).max().unwrap_or(0);
                        let window = inputs.first().map_or(0, |p| p.window);
                        let new = NewPart {
                            rank,
                            ..ids.next(window)
                        };
                        Done::Merged {
                            table_id: table.id,
                            inputs: inputs.iter().map(|p| p.id).collect(),
                            merged: checkpoint::merge(&db, &table, &inputs, new),
                        }
                    }
                };
                if done_sender.send_blocking(result).is_err() {
                    break;
                }
            }
        })?;
    Ok((jobs, done, SealerThread { handle }))
}

/// The parts `head` seals into, one per time window.
pub(super) fn seal(
    db: &Database,
    ids: &PartIds,
    table: &Table,
    head: &TableHead,
) -> Result<Vec<Part>, StoreError> {
    checkpoint::seal(table, head)
        .into_iter()
        .map(|(window, data)| checkpoint::write_data(db, table.id, ids.next(window), data))
        .collect()
}
