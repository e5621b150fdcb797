//! Key layout inside a table's keyspace. Big-endian throughout, so byte order is key order.
//!
//! - Tag table: `tag id u32 | time` (12 bytes). (tag, time) is unique: a repeated row
//!   replaces the earlier one.
//! - Log table and stream: `time | sequence u64` (16 bytes). The sequence is global and
//!   strictly increasing, so rows with equal times keep their arrival order.
//! - `time` is i64 ns UTC with the sign bit flipped, so byte order is time order, 1969 included.

pub const TAG_KEY_BYTES: usize = 12;
pub const SEQ_KEY_BYTES: usize = 16;

pub fn time_bytes(time_ns: i64) -> [u8; 8] {
    ((time_ns as u64) ^ (1 << 63)).to_be_bytes()
}

pub fn time_from_bytes(bytes: [u8; 8]) -> i64 {
    (u64::from_be_bytes(bytes) ^ (1 << 63)) as i64
}

pub fn tag_key(tag_id: u32, time_ns: i64) -> [u8; TAG_KEY_BYTES] {
    let mut key = [0u8; TAG_KEY_BYTES];
    let (tag, time) = key.split_at_mut(4);
    tag.copy_from_slice(&tag_id.to_be_bytes());
    time.copy_from_slice(&time_bytes(time_ns));
    key
}

pub fn seq_key(time_ns: i64, seq: u64) -> [u8; SEQ_KEY_BYTES] {
    let mut key = [0u8; SEQ_KEY_BYTES];
    let (time, s) = key.split_at_mut(8);
    time.copy_from_slice(&time_bytes(time_ns));
    s.copy_from_slice(&seq.to_be_bytes());
    key
}

/// (tag id, time) of a tag-table key; `None` if the key is not 12 bytes.
pub fn decode_tag_key(key: &[u8]) -> Option<(u32, i64)> {
    let key: [u8; TAG_KEY_BYTES] = key.try_into().ok()?;
    let (tag, time) = key.split_at(4);
    Some((
        u32::from_be_bytes(tag.try_into().ok()?),
        time_from_bytes(time.try_into().ok()?),
    ))
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
            tag_key(1, 0),
            [0, 0, 0, 1, 0x80, 0, 0, 0, 0, 0, 0, 0],
            "epoch 0 sits in the middle of the time range"
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
            assert!(tag_key(9, pair[0]) < tag_key(9, pair[1]));
            assert!(seq_key(pair[0], u64::MAX) < seq_key(pair[1], 0));
        }
        for t in times {
            assert_eq!(decode_tag_key(&tag_key(3, t)), Some((3, t)));
            assert_eq!(decode_seq_key(&seq_key(t, 5)), Some(t));
        }
        assert_eq!(decode_tag_key(&[1, 2, 3]), None);
    }
}
