//! Float sequences, exactly: sensors send decimals (`21.375`), which are stored as integer
//! mantissas over one power of ten (as VictoriaMetrics's `lib/decimal` does, but lossless:
//! a value is only stored as a decimal if it reads back bit for bit), and the mantissas go
//! through the integer codec. A sequence that is not all short decimals (computed values,
//! NaN, -0.0) falls back to Gorilla's XOR coding (Pelkonen et al., VLDB 2015), which stores
//! each value's bits that differ from the previous one's.
//!
//! Format: `0 | exponent u8 | ints(mantissas)` or `1 | gorilla bit stream`.
//!
//! Invariants: every f64, NaN payloads and signed zeros included, reads back with the same
//! bits; a corrupt stream is `None`, never a panic.

use super::bits::{BitReader, BitWriter};
use super::ints;
use crate::bytes::Reader;

const DECIMAL: u8 = 0;
const GORILLA: u8 = 1;
/// Powers of ten exact in an f64 (up to 10^22), of which the decimal form uses up to 10^18.
const EXPONENT_MAX: usize = 18;
const POW10: [f64; EXPONENT_MAX + 1] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18,
];
/// Mantissas are integers an f64 holds exactly, so `m / 10^e` is one correctly rounded
/// division and reproduces the value.
const MANTISSA_MAX: f64 = 9_007_199_254_740_992.0; // 2^53

/// `m / 10^e`, the decimal decoding.
fn from_decimal(m: i64, e: usize) -> f64 {
    m as f64 / POW10.get(e).copied().unwrap_or(1.0)
}

/// The mantissa of `v` at exponent `e`, if `v` is that decimal exactly.
fn to_decimal(v: f64, e: usize) -> Option<i64> {
    let scaled = (v * POW10.get(e)?).round();
    // NaN and infinities fail this too: they are no decimal.
    if scaled.abs().partial_cmp(&MANTISSA_MAX) != Some(std::cmp::Ordering::Less) {
        return None;
    }
    let m = scaled as i64;
    (from_decimal(m, e).to_bits() == v.to_bits()).then_some(m)
}

/// The smallest exponent at which `v` is an exact decimal.
fn exponent_of(v: f64) -> Option<usize> {
    (0..=EXPONENT_MAX).find(|&e| to_decimal(v, e).is_some())
}

pub fn encode(values: &[f64], out: &mut Vec<u8>) {
    if let Some(mantissas) = decimals(values) {
        out.push(DECIMAL);
        out.push(mantissas.0 as u8);
        ints::encode(&mantissas.1, out);
        return;
    }
    out.push(GORILLA);
    gorilla(values, out);
}

/// The common exponent and the mantissas, if every value is a short exact decimal.
fn decimals(values: &[f64]) -> Option<(usize, Vec<i64>)> {
    let mut exponent = 0;
    for &v in values {
        // Most values share the exponent found so far: check it before searching.
        if to_decimal(v, exponent).is_none() {
            exponent = exponent.max(exponent_of(v)?);
        }
    }
    let mantissas = values
        .iter()
        .map(|&v| to_decimal(v, exponent))
        .collect::<Option<Vec<i64>>>()?;
    Some((exponent, mantissas))
}

fn gorilla(values: &[f64], out: &mut Vec<u8>) {
    let mut w = BitWriter::new(out);
    let mut prev = 0u64;
    // The window of meaningful bits of the previous XOR: (leading zeros, trailing zeros).
    let mut window: Option<(u32, u32)> = None;
    for (i, v) in values.iter().enumerate() {
        let bits = v.to_bits();
        if i == 0 {
            w.put(bits, 64);
            prev = bits;
            continue;
        }
        let x = bits ^ prev;
        prev = bits;
        if x == 0 {
            w.bit(false);
            continue;
        }
        w.bit(true);
        let leading = x.leading_zeros().min(63);
        let trailing = x.trailing_zeros();
        match window {
            Some((l, t)) if leading >= l && trailing >= t => {
                w.bit(false);
                w.put(x >> t, 64 - l - t);
            }
            _ => {
                w.bit(true);
                let meaningful = 64 - leading - trailing;
                w.put(u64::from(leading), 6);
                w.put(u64::from(meaningful - 1), 6);
                w.put(x >> trailing, meaningful);
                window = Some((leading, trailing));
            }
        }
    }
    w.finish();
}

/// Decodes `count` values into `out` (appended).
pub fn decode(r: &mut Reader<'_>, count: usize, out: &mut Vec<f64>) -> Option<()> {
    match r.u8()? {
        DECIMAL => {
            let e = usize::from(r.u8()?);
            if e > EXPONENT_MAX {
                return None;
            }
            let mut mantissas = Vec::with_capacity(count);
            ints::decode(r, count, &mut mantissas)?;
            out.extend(mantissas.into_iter().map(|m| from_decimal(m, e)));
            Some(())
        }
        GORILLA => ungorilla(r, count, out),
        _ => None,
    }
}

fn ungorilla(r: &mut Reader<'_>, count: usize, out: &mut Vec<f64>) -> Option<()> {
    let bytes = r.remaining();
    let mut b = BitReader::new(bytes);
    let mut prev = 0u64;
    let mut window = (0u32, 0u32);
    for i in 0..count {
        if i == 0 {
            prev = b.get(64)?;
        } else if b.bit()? {
            if b.bit()? {
                let leading = b.get(6)? as u32;
                let meaningful = b.get(6)? as u32 + 1;
                if leading + meaningful > 64 {
                    return None;
                }
                window = (leading, 64 - leading - meaningful);
            }
            let (l, t) = window;
            let x = b.get(64 - l - t)? << t;
            prev ^= x;
        }
        out.push(f64::from_bits(prev));
    }
    r.take(b.bytes_used())?;
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(values: &[f64]) -> usize {
        let mut bytes = Vec::new();
        encode(values, &mut bytes);
        let mut out = Vec::new();
        let mut r = Reader::new(&bytes);
        assert_eq!(decode(&mut r, values.len(), &mut out), Some(()));
        assert!(r.is_empty(), "bytes left");
        let bits = |v: &[f64]| v.iter().map(|f| f.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&out), bits(values));
        bytes.len()
    }

    #[test]
    fn decimals_are_stored_as_mantissas_and_read_back_exactly() {
        let temps: Vec<f64> = (0..1000)
            .map(|i| ((20.0 + (i as f64 / 50.0).sin()) * 1000.0).round() / 1000.0)
            .collect();
        let size = round_trip(&temps);
        assert!(size < 2 * temps.len(), "{size} bytes");
        assert_eq!(round_trip(&[0.1, 0.2, 0.3]), round_trip(&[0.1, 0.2, 0.3]));
        round_trip(&[1e15, -2.5, 123456789.123, 0.0]);
    }

    #[test]
    fn anything_else_round_trips_bit_for_bit() {
        round_trip(&[]);
        round_trip(&[
            f64::NAN,
            -0.0,
            0.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
        ]);
        round_trip(&[
            f64::from_bits(0x7ff8_0000_dead_beef),
            1.0 / 3.0,
            std::f64::consts::PI,
        ]);
        let mut x = 1.0f64;
        let computed: Vec<f64> = (0..500)
            .map(|i| {
                x = x * 1.000_001 + f64::from(i).sqrt();
                x
            })
            .collect();
        round_trip(&computed);
        let constant = vec![2.0 / 3.0; 1000];
        assert!(round_trip(&constant) < 150);
    }

    #[test]
    fn corrupt_streams_are_none() {
        for values in [vec![1.5, 2.25, 3.0], vec![1.0 / 3.0, 2.0 / 3.0, 0.1 + 0.2]] {
            let mut bytes = Vec::new();
            encode(&values, &mut bytes);
            for cut in 0..bytes.len() {
                let mut out = Vec::new();
                assert_eq!(decode(&mut Reader::new(&bytes[..cut]), 3, &mut out), None);
            }
        }
        let mut out = Vec::new();
        assert_eq!(decode(&mut Reader::new(&[0, 30, 0]), 1, &mut out), None);
    }
}
