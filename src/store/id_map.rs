//! Hash maps keyed by the ids the store assigns itself (table and tag ids), hashed with one
//! multiply instead of SipHash: the writer looks a tag id up for every row it applies.
//!
//! Invariant: only ids the store hands out go in; no client chooses them, so nobody can flood
//! a map with colliding keys. Keys a client sends (tag names) stay in SipHash maps.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

pub(super) type IdMap<V> = HashMap<u32, V, BuildHasherDefault<IdHasher>>;

/// The Fx hash (rustc's): multiply by an odd constant, so every bit of the id reaches the
/// high bits the table's control bytes are taken from.
#[derive(Default, Clone, Copy)]
pub(super) struct IdHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u32(&mut self, id: u32) {
        self.write_u64(u64::from(id));
    }

    fn write_u64(&mut self, v: u64) {
        self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(SEED);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// hashbrown picks a bucket from the low bits and a control byte from the top 7.
    #[test]
    fn dense_ids_fill_buckets_and_control_bytes() {
        let hash = |id: u32| {
            let mut h = IdHasher::default();
            h.write_u32(id);
            h.finish()
        };
        let buckets: std::collections::HashSet<u64> = (0..4096).map(|id| hash(id) & 4095).collect();
        assert_eq!(buckets.len(), 4096);
        let controls: std::collections::HashSet<u64> = (0..4096).map(|id| hash(id) >> 57).collect();
        assert_eq!(controls.len(), 128);
        let mut map: IdMap<u32> = IdMap::default();
        for id in 0..10_000 {
            map.insert(id, id * 2);
        }
        assert!((0..10_000).all(|id| map.get(&id) == Some(&(id * 2))));
    }
}
