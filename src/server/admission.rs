//! Which connections may be open: at most `--max-connections`, shared by every listener.
//!
//! A connection is admitted with a `Ticket` and gives its slot back when the ticket drops.
//! Between two requests a kept-alive connection is *idle*; a new client that finds every
//! slot taken takes the slot of the connection idle the longest, which is woken and closes.
//! Only when no connection is idle is the new client refused.
//!
//! Invariants:
//! - At most `max` tickets hold a slot. An evicted ticket no longer holds one, though its
//!   socket closes a moment later, so the process may briefly hold a few more sockets than
//!   `max` (the open-file limit leaves room, see `FILE_DESCRIPTORS_RESERVED`).
//! - A connection in the middle of a request, or not yet through its first request head, is
//!   never evicted: only `idle()` makes a ticket evictable, and `busy()` ends that under the
//!   same lock eviction takes, so a connection is either evicted or serves its request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use smol::channel::{Receiver, Sender};

pub(super) struct Admission {
    max: usize,
    state: Mutex<State>,
}

struct State {
    next_id: u64,
    open: HashMap<u64, Slot>,
}

struct Slot {
    /// Since when the connection waits for its next request; `None` while it is in one.
    idle_since: Option<Instant>,
    /// Never sent on: dropping it (eviction) wakes the connection's `evicted()`.
    _wake: Sender<()>,
}

/// One admitted connection's hold on its slot.
pub(super) struct Ticket {
    admission: Arc<Admission>,
    id: u64,
    wake: Receiver<()>,
}

impl Admission {
    pub fn new(max: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max,
            state: Mutex::new(State {
                next_id: 0,
                open: HashMap::new(),
            }),
        })
    }

    pub fn max(&self) -> usize {
        self.max
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing under the lock can panic half-way through a change, so a poisoned map
        // is still consistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot for a new connection: a free one, else the longest-idle connection's. `None`
    /// when every connection is in the middle of a request.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let mut state = self.lock();
        if state.open.len() >= self.max {
            // A linear scan: it runs only at the cap, over at most `max` slots, and costs
            // far less than the connection it admits.
            let longest_idle = state
                .open
                .iter()
                .filter_map(|(id, slot)| slot.idle_since.map(|since| (since, *id)))
                .min()
                .map(|(_, id)| id)?;
            // Dropping the slot drops its wake sender, which wakes the idle connection.
            state.open.remove(&longest_idle);
        }
        let id = state.next_id;
        state.next_id += 1;
        let (wake_sender, wake) = smol::channel::bounded(1);
        state.open.insert(
            id,
            Slot {
                idle_since: None,
                _wake: wake_sender,
            },
        );
        Some(Ticket {
            admission: Arc::clone(self),
            id,
            wake,
        })
    }
}

impl Ticket {
    /// The connection now waits for its next request and may be evicted.
    pub fn idle(&self) {
        if let Some(slot) = self.admission.lock().open.get_mut(&self.id) {
            slot.idle_since = Some(Instant::now());
        }
    }

    /// The next request started arriving. `false` if the connection was evicted first: it
    /// must close without serving it.
    pub fn busy(&self) -> bool {
        match self.admission.lock().open.get_mut(&self.id) {
            Some(slot) => {
                slot.idle_since = None;
                true
            }
            None => false,
        }
    }

    /// Resolves once a new client took this connection's slot.
    pub async fn evicted(&self) {
        // The sender is never used to send; `recv` ends when eviction drops it.
        let _ = self.wake.recv().await;
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.lock().open.remove(&self.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_evicted(ticket: &Ticket) -> bool {
        smol::block_on(smol::future::poll_once(ticket.evicted())).is_some()
    }

    #[test]
    fn at_the_cap_only_an_idle_connection_makes_room() {
        let admission = Admission::new(2);
        let a = admission.admit().unwrap();
        let b = admission.admit().unwrap();
        assert!(admission.admit().is_none(), "both busy: refused");
        b.idle();
        let c = admission.admit().unwrap();
        assert!(is_evicted(&b));
        assert!(
            !b.busy(),
            "an evicted connection does not serve its next request"
        );
        assert!(!is_evicted(&a) && !is_evicted(&c));
        assert!(admission.admit().is_none());
        drop(a);
        let _d = admission.admit().unwrap();
    }

    #[test]
    fn the_longest_idle_goes_first_and_a_busy_one_never() {
        let admission = Admission::new(3);
        let tickets: Vec<Ticket> = (0..3).map(|_| admission.admit().unwrap()).collect();
        tickets[1].idle();
        std::thread::sleep(std::time::Duration::from_millis(2));
        tickets[0].idle();
        std::thread::sleep(std::time::Duration::from_millis(2));
        tickets[2].idle();
        // Its next request arrived: busy again, no longer a candidate.
        assert!(tickets[0].busy());
        let _new = admission.admit().unwrap();
        assert!(is_evicted(&tickets[1]));
        assert!(!is_evicted(&tickets[0]) && !is_evicted(&tickets[2]));
        let _newer = admission.admit().unwrap();
        assert!(is_evicted(&tickets[2]));
        assert!(
            admission.admit().is_none(),
            "only busy connections are left"
        );
    }
}
