//! Integer sequences: stored as differences of order 0, 1 or 2 (the values themselves, their
//! deltas, or the deltas of their deltas), whichever is smallest, each difference zigzag
//! varint coded and runs of an equal difference collapsed. Times at a steady interval cost a
//! few bytes per chunk whatever its length; a slowly moving counter a byte or two per value.
//!
//! Format: `order u8 | the first `order` values (zigzag varints) | tokens`. A token is the
//! varint of `zigzag(d) << 1 | r` (as u128, so every i64 difference fits); when `r` is set a
//! varint follows with how many more times `d` repeats. Differences use wrapping arithmetic,
//! so any i64 sequence round-trips exactly.
//!
//! Invariant: `decode` reads back the values `encode` wrote (the first `count` of them), and a
//! truncated or corrupt stream is `None`, never a panic or an unbounded allocation (it
//! produces at most `count` values).

use crate::bytes::{Reader, put_varint};

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn unzigzag(u: u64) -> i64 {
    ((u >> 1) as i64) ^ -((u & 1) as i64)
}

fn put_varint128(out: &mut Vec<u8>, mut v: u128) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint128(r: &mut Reader<'_>) -> Option<u128> {
    let mut v: u128 = 0;
    for shift in (0..70).step_by(7) {
        let b = r.u8()?;
        v |= u128::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Some(v);
        }
    }
    None
}

/// Appends `values` in the smallest of the three orders: one pass counts each order's size
/// without writing, a second writes only the smallest.
pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    write_in_order(values, smallest_order(values), out);
}

fn write_in_order(values: &[i64], order: u8, out: &mut Vec<u8>) {
    out.push(order);
    // The heads: the first value (orders 1 and 2) and the first delta (order 2).
    if order >= 1
        && let Some(&first) = values.first()
    {
        put_varint(out, zigzag(first));
    }
    if order == 2
        && let [a, b, ..] = values
    {
        put_varint(out, zigzag(b.wrapping_sub(*a)));
    }
    let order = usize::from(order);
    let mut runs = Runs::default();
    for (i, d) in differences(values) {
        if i >= order
            && let Some(run) = runs.push(d[order])
        {
            put_token(out, run);
        }
    }
    if let Some(run) = runs.finish() {
        put_token(out, run);
    }
}

/// The order whose encoding of `values` is smallest (the lowest of equals).
fn smallest_order(values: &[i64]) -> u8 {
    let mut sizes = [1usize; 3];
    if let Some(&first) = values.first() {
        sizes[1] += varint_len(u128::from(zigzag(first)));
        sizes[2] += varint_len(u128::from(zigzag(first)));
    }
    if let [a, b, ..] = values {
        sizes[2] += varint_len(u128::from(zigzag(b.wrapping_sub(*a))));
    }
    let mut runs: [Runs; 3] = Default::default();
    for (i, d) in differences(values) {
        for order in 0..3 {
            if i >= order
                && let Some(run) = runs[order].push(d[order])
            {
                sizes[order] += token_len(run);
            }
        }
    }
    for (size, runs) in sizes.iter_mut().zip(runs) {
        *size += runs.finish().map_or(0, token_len);
    }
    let mut best = 0;
    for order in 1..3 {
        if sizes[order] < sizes[best] {
            best = order;
        }
    }
    best as u8
}

/// The differences of order 0, 1 and 2 at each position: the value, its delta from the
/// previous value (from 0 for the first), and that delta's delta (from 0 for the first two).
fn differences(values: &[i64]) -> impl Iterator<Item = (usize, [i64; 3])> + '_ {
    let mut prev = 0i64;
    let mut prev_delta = 0i64;
    values.iter().enumerate().map(move |(i, &v)| {
        let delta = v.wrapping_sub(prev);
        let d = [v, delta, delta.wrapping_sub(prev_delta)];
        if i >= 1 {
            prev_delta = delta;
        }
        prev = v;
        (i, d)
    })
}

/// Collapses equal consecutive differences into runs of `(difference, count)`.
#[derive(Default)]
struct Runs {
    current: Option<(i64, u64)>,
}

impl Runs {
    /// Adds `d`, and returns the run it ended, if it ended one.
    fn push(&mut self, d: i64) -> Option<(i64, u64)> {
        match &mut self.current {
            Some((r, count)) if *r == d => {
                *count += 1;
                None
            }
            current => current.replace((d, 1)),
        }
    }

    fn finish(self) -> Option<(i64, u64)> {
        self.current
    }
}

fn token(d: i64, count: u64) -> u128 {
    u128::from(zigzag(d)) << 1 | u128::from(count > 1)
}

fn put_token(out: &mut Vec<u8>, (d, count): (i64, u64)) {
    put_varint128(out, token(d, count));
    if count > 1 {
        put_varint(out, count - 1);
    }
}

fn token_len((d, count): (i64, u64)) -> usize {
    let repeat = if count > 1 {
        varint_len(u128::from(count - 1))
    } else {
        0
    };
    varint_len(token(d, count)) + repeat
}

/// The bytes of `v` as a varint: one per 7 significant bits, at least one.
fn varint_len(v: u128) -> usize {
    let bits = 128 - v.leading_zeros() as usize;
    bits.div_ceil(7).max(1)
}

/// Decodes `count` values into `out` (appended).
pub fn decode(r: &mut Reader<'_>, count: usize, out: &mut Vec<i64>) -> Option<()> {
    let order = r.u8()?;
    if order > 2 {
        return None;
    }
    let start = out.len();
    let mut prev = 0i64;
    let mut prev_delta = 0i64;
    if order >= 1 && count >= 1 {
        prev = unzigzag(r.varint()?);
        out.push(prev);
    }
    if order == 2 && count >= 2 {
        prev_delta = unzigzag(r.varint()?);
        prev = prev.wrapping_add(prev_delta);
        out.push(prev);
    }
    while out.len() - start < count {
        let token = get_varint128(r)?;
        let d = unzigzag(u64::try_from(token >> 1).ok()?);
        let run = if token & 1 == 1 {
            usize::try_from(r.varint()?).ok()?.checked_add(1)?
        } else {
            1
        };
        // A run may go on past the values asked for when a reader stops early.
        let run = run.min(count - (out.len() - start));
        for _ in 0..run {
            let v = match order {
                0 => d,
                1 => prev.wrapping_add(d),
                _ => {
                    prev_delta = prev_delta.wrapping_add(d);
                    prev.wrapping_add(prev_delta)
                }
            };
            prev = v;
            out.push(v);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[i64]) -> usize {
        let mut bytes = Vec::new();
        encode(values, &mut bytes);
        let mut out = Vec::new();
        let mut r = Reader::new(&bytes);
        assert_eq!(
            decode(&mut r, values.len(), &mut out),
            Some(()),
            "{values:?}"
        );
        assert!(r.is_empty(), "{values:?}: bytes left");
        assert_eq!(out, values);
        bytes.len()
    }

    #[test]
    fn every_shape_round_trips() {
        round_trip(&[]);
        round_trip(&[7]);
        round_trip(&[i64::MIN, i64::MAX, 0, -1, i64::MAX, i64::MIN]);
        round_trip(&[5, 5, 5, 5, 6, 6, 5]);
        let mut x = 0x1234_5678u64;
        let noisy: Vec<i64> = (0..1000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as i64
            })
            .collect();
        round_trip(&noisy);
    }

    #[test]
    fn steady_times_cost_a_few_bytes_and_counters_a_byte_each() {
        let times: Vec<i64> = (0..4096)
            .map(|i| 1_670_000_000_000_000_000 + i * 1_000_000_000)
            .collect();
        assert!(round_trip(&times) < 20);
        let counter: Vec<i64> = (0..1000).map(|i| 1000 + i * 3 + (i % 7)).collect();
        assert!(round_trip(&counter) <= 1100);
    }

    /// The counted sizes are the written ones, so the order chosen is truly the smallest.
    #[test]
    fn counted_sizes_match_written_sizes() {
        let mut x = 0x9e37_79b9u64;
        for len in 0..200usize {
            let values: Vec<i64> = (0..len)
                .map(|i| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    match x % 4 {
                        0 => i as i64 * 1000,
                        1 => (x >> (x % 64)) as i64,
                        2 => 5,
                        _ => x as i64,
                    }
                })
                .collect();
            let mut sizes = [0usize; 3];
            for (order, size) in sizes.iter_mut().enumerate() {
                let mut forced = Vec::new();
                write_in_order(&values, order as u8, &mut forced);
                *size = forced.len();
            }
            let written = round_trip(&values);
            assert_eq!(written, *sizes.iter().min().unwrap(), "{values:?}");
            assert_eq!(usize::from(smallest_order(&values)), {
                let min = *sizes.iter().min().unwrap();
                sizes.iter().position(|&s| s == min).unwrap()
            });
        }
    }

    #[test]
    fn corrupt_streams_are_none() {
        let mut bytes = Vec::new();
        encode(&[1, 2, 3, 100, 5], &mut bytes);
        for cut in 0..bytes.len() {
            let mut out = Vec::new();
            assert_eq!(
                decode(&mut Reader::new(&bytes[..cut]), 5, &mut out),
                None,
                "cut at {cut}"
            );
        }
        let mut out = Vec::new();
        assert_eq!(decode(&mut Reader::new(&[9]), 1, &mut out), None);
        // Fewer values than written: the first ones, a run cut short.
        let mut bytes = Vec::new();
        encode(&[4, 4, 4, 4, 4, 9], &mut bytes);
        let mut out = Vec::new();
        assert_eq!(decode(&mut Reader::new(&bytes), 3, &mut out), Some(()));
        assert_eq!(out, [4, 4, 4]);
    }
}
