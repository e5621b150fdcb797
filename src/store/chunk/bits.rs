//! Bit-level writing and reading for the float codec: bits are packed most significant
//! first into bytes, so a stream reads back in the order it was written.
//!
//! Invariant: `BitReader` never reads past its input; asking for more bits than remain is
//! `None`, so a corrupt stream is an error, never a panic.

pub(super) struct BitWriter<'a> {
    out: &'a mut Vec<u8>,
    /// Bits not yet written, in the low `pending` bits.
    acc: u64,
    pending: u32,
}

impl<'a> BitWriter<'a> {
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        BitWriter {
            out,
            acc: 0,
            pending: 0,
        }
    }

    /// Appends the low `count` bits of `value` (`count` at most 64).
    pub fn put(&mut self, value: u64, count: u32) {
        if count == 0 {
            return;
        }
        if count > 32 {
            self.put(value >> 32, count - 32);
            self.put(value & 0xffff_ffff, 32);
            return;
        }
        let mask = (1u64 << count) - 1;
        self.acc = (self.acc << count) | (value & mask);
        self.pending += count;
        while self.pending >= 8 {
            self.pending -= 8;
            self.out.push((self.acc >> self.pending) as u8);
        }
        self.acc &= (1u64 << self.pending) - 1;
    }

    pub fn bit(&mut self, set: bool) {
        self.put(u64::from(set), 1);
    }

    /// Writes the last partial byte, zero-padded.
    pub fn finish(self) {
        if self.pending > 0 {
            self.out.push((self.acc << (8 - self.pending)) as u8);
        }
    }
}

pub(super) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Index of the next bit.
    at: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        BitReader { bytes, at: 0 }
    }

    /// The next `count` bits (at most 64) as the low bits of the result.
    pub fn get(&mut self, count: u32) -> Option<u64> {
        let mut value = 0u64;
        let mut left = count;
        while left > 0 {
            let byte = *self.bytes.get(self.at / 8)?;
            let used = (self.at % 8) as u32;
            let available = 8 - used;
            let take = available.min(left);
            let bits = (u64::from(byte) >> (available - take)) & ((1u64 << take) - 1);
            value = (value << take) | bits;
            self.at += take as usize;
            left -= take;
        }
        Some(value)
    }

    pub fn bit(&mut self) -> Option<bool> {
        self.get(1).map(|b| b == 1)
    }

    /// Bytes used, counting a partly read byte whole.
    pub fn bytes_used(&self) -> usize {
        self.at.div_ceil(8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_read_back_in_order_at_every_width() {
        let mut out = Vec::new();
        let mut w = BitWriter::new(&mut out);
        let items: Vec<(u64, u32)> = (0..=64u32)
            .map(|n| {
                let v = 0x9e37_79b9_7f4a_7c15u64.rotate_left(n);
                (if n == 64 { v } else { v & ((1u64 << n) - 1) }, n)
            })
            .collect();
        for &(v, n) in &items {
            w.put(v, n);
            w.bit(n % 3 == 0);
        }
        w.finish();
        let mut r = BitReader::new(&out);
        for &(v, n) in &items {
            assert_eq!(r.get(n), Some(v), "{n} bits");
            assert_eq!(r.bit(), Some(n % 3 == 0));
        }
        assert_eq!(r.bytes_used(), out.len());
        assert_eq!(r.get(9), None);
    }
}
