//! Key layout of the row layout (kv streams), and the time bytes every store key uses.
//! Big-endian throughout, so byte order is key order.
//!
//! - A kv stream's row: `time | sequence u64` (16 bytes). The sequence is global and strictly
//!   increasing, so rows with equal times keep their arrival order.
//! - `time` is i64 ns UTC with the sign bit flipped, so byte order is time order, 1969 included.

pub const SEQ_KEY_BYTES: usize = 16;

pub fn time_bytes(time_ns: i64) -> [u8; 8] {
    ((time_ns as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn time_from_bytes(bytes: [u8; 8]) -> i64 {
    (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64
}

pub fn seq_key(time_ns: i64, seq: u64) -> [u8; SEQ_KEY_BYTES] {
    let mut key = [0u8; SEQ_KEY_BYTES];
    let (time, s) = key.split_at_mut(8);
    time.copy_from_slice(&time_bytes(time_ns));
    s.copy_from_slice(&seq.to_be_bytes());
    key
}

/// Time of a log/stream key; `None` if the key is not 16 bytes.
pub fn decode_seq_key(key: &[u8]) -> Option<i64> {
    let key: [u8; SEQ_KEY_BYTES] = key.try_into().ok()?;
    let time: [u8; 8] = key.get(..8)?.try_into().ok()?;
    Some(time_from_bytes(time))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_key_bytes() {
        assert_eq!(
            time_bytes(0),
            [0x80, 0, 0, 0, 0, 0, 0, 0],
            "epoch 0 sits in the middle"
        );
        assert_eq!(
            seq_key(-1, 2),
            [
                0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 2
            ]
        );
    }

    #[test]
    fn byte_order_is_time_order_across_the_epoch() {
        let times = [
            i64::MIN,
            -1_000_000_000,
            -1,
            0,
            1,
            1_670_380_342_000_000_000,
            i64::MAX,
        ];
        for pair in times.windows(2) {
            assert!(seq_key(pair[0], u64::MAX) < seq_key(pair[1], 0));
        }
        for t in times {
            assert_eq!(decode_seq_key(&seq_key(t, 5)), Some(t));
            assert_eq!(time_from_bytes(time_bytes(t)), t);
        }
        assert_eq!(decode_seq_key(&[1, 2, 3]), None);
    }
}
