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

const ORDERS: [u8; 3] = [0, 1, 2];

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

/// Appends `values` in the smallest of the three orders: each order's size is counted
/// first, without writing, then only the smallest is written.
pub fn encode(values: &[i64], out: &mut Vec<u8>) {
    let mut best = (usize::MAX, 0);
    for order in ORDERS {
        let mut size = 0;
        emit(values, order, |bytes: &[u8]| size += bytes.len());
        if size < best.0 {
            best = (size, order);
        }
    }
    out.reserve(best.0);
    emit(values, best.1, |bytes: &[u8]| out.extend_from_slice(bytes));
}

/// Hands `values` encoded in `order` to `write`, a few bytes at a time.
fn emit(values: &[i64], order: u8, mut write: impl FnMut(&[u8])) {
    let mut buf = Vec::with_capacity(32);
    write(&[order]);
    // The heads: the first value (orders 1 and 2) and the first delta (order 2).
    if order >= 1
        && let Some(&first) = values.first()
    {
        put_varint(&mut buf, zigzag(first));
    }
    if order == 2
        && let [a, b, ..] = values
    {
        put_varint(&mut buf, zigzag(b.wrapping_sub(*a)));
    }
    write(&buf);
    // The differences after the heads, runs of an equal one collapsed.
    let mut prev = 0i64;
    let mut prev_delta = 0i64;
    let mut run: Option<(i64, u64)> = None;
    let mut flush = |run: Option<(i64, u64)>| {
        if let Some((d, count)) = run {
            buf.clear();
            put_varint128(&mut buf, u128::from(zigzag(d)) << 1 | u128::from(count > 1));
            if count > 1 {
                put_varint(&mut buf, count - 1);
            }
            write(&buf);
        }
    };
    for (i, &v) in values.iter().enumerate() {
        let delta = v.wrapping_sub(prev);
        let d = match order {
            0 => v,
            1 => delta,
            _ => delta.wrapping_sub(prev_delta),
        };
        if i >= 1 {
            prev_delta = delta;
        }
        prev = v;
        if i < usize::from(order) {
            continue;
        }
        run = match run {
            Some((r, count)) if r == d => Some((r, count + 1)),
            other => {
                flush(other);
                Some((d, 1))
            }
        };
    }
    flush(run);
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
