//! Walks a ClickHouse `Native` body (what timeplus-connect's `insert()` sends) as rows of
//! typed values, resumable at any byte.
//!
//! A body is blocks, one after another. A block: LEB128 column count, LEB128 row count, then
//! per column its name, its type name (both LEB128-length strings) and its values, column
//! after column (`binary_types` has each type's layout). `nullable(T)` is a byte per row
//! (1 = NULL) then the values; `low_cardinality(T)` is a version (u64 1), then granules:
//! index type (u64: key width in the low byte, bit 9 = keys follow, bit 10 = new dictionary),
//! the keys (u64 count, then `T` values; for a nullable `T` key 0 is NULL), the row count
//! (u64) and one index per row. A block with no rows has no values at all.
//!
//! A block's bytes are kept until it is whole (columns come one after another, rows need
//! them all), then its rows are reported one by one: `Columns` (the block's names), then per
//! row `RowStart`, one `Typed` per column, `RowEnd`.
//!
//! Invariants:
//! - A block holds at most `NATIVE_BLOCK_BYTES_MAX` bytes and `NATIVE_BLOCK_ROWS_MAX` rows;
//!   every length read (columns, rows, strings, dictionary keys, granule rows) is checked
//!   against what can still fit before anything is allocated for it, so a lying length is a
//!   clear error, never a large allocation. Memory: one block's bytes, its dictionary offsets
//!   (at most one per 1 byte of block) and one value.
//! - Parsing and reporting never panic on any input; nothing recurses.
//! - The body may end only between blocks.

use std::fmt;

use super::binary_types::{Base, BinaryType, set_text_or_bytes, varint};
use super::decoder::{RowDecoder, Step};
use crate::limits::{FIELD_BYTES_MAX, NATIVE_BLOCK_BYTES_MAX, NATIVE_BLOCK_ROWS_MAX};
use crate::value::Value;

/// Most columns in one block: a table has at most this many (catalog names are unique and
/// short, but the bound keeps a lying count from allocating).
const COLUMNS_MAX: u64 = 4096;
const LC_VERSION: u64 = 1;
const LC_HAS_KEYS: u64 = 1 << 9;
const LC_NEED_GLOBAL: u64 = 1 << 8;
/// Index types and flags ClickHouse defines; anything above is garbage.
const LC_FLAGS_MASK: u64 = 0x7ff;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NativeError {
    pub kind: NativeErrorKind,
    /// 1-based block of the body.
    pub block: u64,
    /// The column being read, as the block names it, when there is one.
    pub column: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeErrorKind {
    /// The body ends inside a block.
    Truncated,
    BadVarint,
    TooManyColumns(u64),
    TooManyRows(u64),
    BlockTooLarge,
    StringTooLong(u64),
    UnknownType(String),
    BadLowCardinality(String),
    InvalidName,
    /// A block with rows but no columns.
    NoColumns,
}

impl fmt::Display for NativeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Native block {}", self.block)?;
        if let Some(c) = &self.column {
            write!(f, ", column {c}")?;
        }
        f.write_str(": ")?;
        match &self.kind {
            NativeErrorKind::Truncated => f.write_str("the body ends inside the block"),
            NativeErrorKind::BadVarint => f.write_str("a length is not a valid LEB128 number"),
            NativeErrorKind::TooManyColumns(n) => {
                write!(f, "{n} columns; a block has at most {COLUMNS_MAX}")
            }
            NativeErrorKind::TooManyRows(n) => write!(
                f,
                "{n} rows; a block has at most {NATIVE_BLOCK_ROWS_MAX} (native_block_rows_max)"
            ),
            NativeErrorKind::BlockTooLarge => write!(
                f,
                "the block is larger than {NATIVE_BLOCK_BYTES_MAX} bytes (native_block_bytes_max); send smaller blocks"
            ),
            NativeErrorKind::StringTooLong(n) => write!(
                f,
                "a string of {n} bytes; one value holds at most {FIELD_BYTES_MAX} (field_bytes_max)"
            ),
            NativeErrorKind::UnknownType(m) => f.write_str(m),
            NativeErrorKind::BadLowCardinality(m) => write!(f, "low_cardinality: {m}"),
            NativeErrorKind::InvalidName => f.write_str("a column name is not valid UTF-8"),
            NativeErrorKind::NoColumns => f.write_str("a block with rows but no columns"),
        }
    }
}

/// One low-cardinality granule: its keys (a range of `LowCard::keys`) and its indexes.
#[derive(Debug, Clone, Copy)]
struct Granule {
    keys_start: usize,
    keys_len: usize,
    index_width: usize,
    indexes_at: usize,
    rows: usize,
}

#[derive(Debug, Default)]
struct LowCard {
    /// Offset in the block of each dictionary key's value.
    keys: Vec<u32>,
    granules: Vec<Granule>,
    /// Reading cursor: granule and row within it.
    granule: usize,
    granule_row: usize,
}

#[derive(Debug)]
struct Column {
    name: String,
    ty: BinaryType,
    nulls_at: usize,
    data_at: usize,
    /// Next string's offset (plain string columns are read in order).
    cursor: usize,
    low_card: LowCard,
}

/// Where the parse of the current block stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    ColumnCount,
    RowCount,
    Name,
    Type,
    Data(Data),
    /// The block is whole; rows are being reported.
    Rows,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Data {
    LcVersion,
    LcIndexType,
    LcKeyCount {
        index_width: usize,
    },
    LcKeys {
        index_width: usize,
        keys_start: usize,
        left: u64,
    },
    LcRowCount {
        index_width: usize,
        keys_start: usize,
    },
    LcIndexes {
        left_bytes: usize,
    },
    NullMap {
        left_bytes: usize,
    },
    Fixed {
        left_bytes: usize,
    },
    Strings {
        left: u64,
    },
}

/// What the reporting of a whole block owes next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Report {
    Columns,
    RowStart,
    Value(usize),
    RowEnd,
}

pub struct NativeRowsDecoder {
    /// The current block's bytes from its first; more may follow its end.
    buf: Vec<u8>,
    /// Parse position in `buf`.
    pos: usize,
    phase: Phase,
    columns_total: usize,
    rows: usize,
    columns: Vec<Column>,
    pending_name: String,
    names: Vec<String>,
    report: Report,
    row: usize,
    value: Value,
    block: u64,
}

impl Default for NativeRowsDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// `Ok(None)` from a parse step: more bytes are needed.
type Parsed<T> = Result<Option<T>, NativeErrorKind>;

impl NativeRowsDecoder {
    pub fn new() -> Self {
        NativeRowsDecoder {
            buf: Vec::new(),
            pos: 0,
            phase: Phase::ColumnCount,
            columns_total: 0,
            rows: 0,
            columns: Vec::new(),
            pending_name: String::new(),
            names: Vec::new(),
            report: Report::Columns,
            row: 0,
            value: Value::Null,
            block: 1,
        }
    }

    fn error(&self, kind: NativeErrorKind) -> NativeError {
        let column = match self.phase {
            Phase::Type => Some(self.pending_name.clone()),
            Phase::Data(_) => self.columns.last().map(|c| c.name.clone()),
            _ => None,
        };
        NativeError {
            kind,
            block: self.block,
            column,
        }
    }

    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    fn read_varint(&mut self) -> Parsed<u64> {
        match varint(self.rest()) {
            Ok(Some((v, n))) => {
                self.pos += n;
                Ok(Some(v))
            }
            Ok(None) => Ok(None),
            Err(()) => Err(NativeErrorKind::BadVarint),
        }
    }

    fn read_u64(&mut self) -> Parsed<u64> {
        let Some(bytes) = self.rest().get(..8) else {
            return Ok(None);
        };
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        self.pos += 8;
        Ok(Some(u64::from_le_bytes(b)))
    }

    /// A LEB128-length string of at most `max` bytes: its offset and length.
    fn read_string(&mut self, max: usize) -> Parsed<(usize, usize)> {
        let Some((len, n)) = varint(self.rest()).map_err(|()| NativeErrorKind::BadVarint)? else {
            return Ok(None);
        };
        if len > max as u64 {
            return Err(NativeErrorKind::StringTooLong(len));
        }
        let len = len as usize;
        let start = self.pos + n;
        self.check_fits(start + len)?;
        if self.buf.len() < start + len {
            return Ok(None);
        }
        self.pos = start + len;
        Ok(Some((start, len)))
    }

    /// Errors when a block would have to grow past `NATIVE_BLOCK_BYTES_MAX` to reach `end`.
    fn check_fits(&self, end: usize) -> Result<(), NativeErrorKind> {
        if end > NATIVE_BLOCK_BYTES_MAX {
            return Err(NativeErrorKind::BlockTooLarge);
        }
        Ok(())
    }

    /// Takes up to `left` bytes that are present; returns how many are still missing.
    fn skip(&mut self, left: usize) -> usize {
        let take = left.min(self.rest().len());
        self.pos += take;
        left - take
    }

    /// Parses as far as the bytes go. `Ok(true)`: the block is whole.
    fn parse(&mut self) -> Result<bool, NativeErrorKind> {
        loop {
            match self.phase {
                Phase::ColumnCount => {
                    let Some(n) = self.read_varint()? else {
                        return Ok(false);
                    };
                    if n > COLUMNS_MAX {
                        return Err(NativeErrorKind::TooManyColumns(n));
                    }
                    self.columns_total = n as usize;
                    self.phase = Phase::RowCount;
                }
                Phase::RowCount => {
                    let Some(n) = self.read_varint()? else {
                        return Ok(false);
                    };
                    if n > NATIVE_BLOCK_ROWS_MAX as u64 {
                        return Err(NativeErrorKind::TooManyRows(n));
                    }
                    self.rows = n as usize;
                    if self.columns_total == 0 && self.rows > 0 {
                        return Err(NativeErrorKind::NoColumns);
                    }
                    self.phase = Phase::Name;
                    if self.columns_total == 0 {
                        self.phase = Phase::Rows;
                        return Ok(true);
                    }
                }
                Phase::Name => {
                    let Some((at, len)) = self.read_string(FIELD_BYTES_MAX)? else {
                        return Ok(false);
                    };
                    let bytes = self.buf.get(at..at + len).unwrap_or_default();
                    let name =
                        std::str::from_utf8(bytes).map_err(|_| NativeErrorKind::InvalidName)?;
                    self.pending_name.clear();
                    self.pending_name.push_str(name);
                    self.phase = Phase::Type;
                }
                Phase::Type => {
                    let Some((at, len)) = self.read_string(FIELD_BYTES_MAX)? else {
                        return Ok(false);
                    };
                    let bytes = self.buf.get(at..at + len).unwrap_or_default();
                    let name = String::from_utf8_lossy(bytes);
                    let ty = BinaryType::parse(&name).map_err(NativeErrorKind::UnknownType)?;
                    self.columns.push(Column {
                        name: std::mem::take(&mut self.pending_name),
                        ty,
                        nulls_at: 0,
                        data_at: 0,
                        cursor: 0,
                        low_card: LowCard::default(),
                    });
                    self.phase = Phase::Data(self.first_data(ty)?);
                    if self.rows == 0 {
                        self.next_column();
                    }
                }
                Phase::Data(data) => {
                    let Some(next) = self.data(data)? else {
                        return Ok(false);
                    };
                    match next {
                        Some(d) => self.phase = Phase::Data(d),
                        None => self.next_column(),
                    }
                }
                Phase::Rows => return Ok(true),
            }
            if self.phase == Phase::Rows {
                return Ok(true);
            }
        }
    }

    fn next_column(&mut self) {
        self.phase = if self.columns.len() == self.columns_total {
            Phase::Rows
        } else {
            Phase::Name
        };
    }

    /// The first part of a column's values.
    fn first_data(&mut self, ty: BinaryType) -> Result<Data, NativeErrorKind> {
        if ty.low_cardinality {
            return Ok(Data::LcVersion);
        }
        if ty.nullable {
            self.check_fits(self.pos + self.rows)?;
            return Ok(Data::NullMap {
                left_bytes: self.rows,
            });
        }
        self.values(ty.base)
    }

    /// The values part of a plain column, its start recorded.
    fn values(&mut self, base: Base) -> Result<Data, NativeErrorKind> {
        if let Some(c) = self.columns.last_mut() {
            c.data_at = self.pos;
            c.cursor = self.pos;
        }
        Ok(match base.width() {
            Some(w) => {
                let bytes = self.rows.saturating_mul(w);
                self.check_fits(self.pos.saturating_add(bytes))?;
                Data::Fixed { left_bytes: bytes }
            }
            None => Data::Strings {
                left: self.rows as u64,
            },
        })
    }

    /// Parses one part of the current column: `Ok(None)` needs bytes; `Ok(Some(None))` the
    /// column is done; `Ok(Some(Some(d)))` goes on with `d`.
    fn data(&mut self, data: Data) -> Parsed<Option<Data>> {
        let Some(column) = self.columns.last() else {
            return Err(NativeErrorKind::Truncated);
        };
        let ty = column.ty;
        match data {
            Data::NullMap { left_bytes } => {
                if left_bytes == self.rows
                    && let Some(c) = self.columns.last_mut()
                {
                    c.nulls_at = self.pos;
                }
                let left = self.skip(left_bytes);
                if left > 0 {
                    self.phase = Phase::Data(Data::NullMap { left_bytes: left });
                    return Ok(None);
                }
                Ok(Some(Some(self.values(ty.base)?)))
            }
            Data::Fixed { left_bytes } => {
                let left = self.skip(left_bytes);
                if left > 0 {
                    // Progress is kept: the bytes taken are counted off.
                    self.phase = Phase::Data(Data::Fixed { left_bytes: left });
                    return Ok(None);
                }
                Ok(Some(None))
            }
            Data::Strings { mut left } => {
                while left > 0 {
                    if self.read_string(FIELD_BYTES_MAX)?.is_none() {
                        self.phase = Phase::Data(Data::Strings { left });
                        return Ok(None);
                    }
                    left -= 1;
                }
                Ok(Some(None))
            }
            Data::LcVersion => {
                let Some(v) = self.read_u64()? else {
                    return Ok(None);
                };
                if v != LC_VERSION {
                    return Err(NativeErrorKind::BadLowCardinality(format!(
                        "version {v}; tidegate reads version {LC_VERSION}"
                    )));
                }
                Ok(Some(Some(Data::LcIndexType)))
            }
            Data::LcIndexType => {
                let Some(t) = self.read_u64()? else {
                    return Ok(None);
                };
                if t & !LC_FLAGS_MASK != 0 || t & LC_NEED_GLOBAL != 0 {
                    return Err(NativeErrorKind::BadLowCardinality(format!(
                        "index type {t:#x}: global dictionaries are not read"
                    )));
                }
                if t & LC_HAS_KEYS == 0 {
                    return Err(NativeErrorKind::BadLowCardinality(
                        "a granule without its dictionary keys".into(),
                    ));
                }
                let index_width = 1usize << (t & 0xff).min(3);
                if t & 0xff > 3 {
                    return Err(NativeErrorKind::BadLowCardinality(format!(
                        "index type {t:#x}"
                    )));
                }
                Ok(Some(Some(Data::LcKeyCount { index_width })))
            }
            Data::LcKeyCount { index_width } => {
                let Some(n) = self.read_u64()? else {
                    return Ok(None);
                };
                // Every key takes at least one byte of the block.
                let min_width = ty.base.width().unwrap_or(1) as u64;
                if n.saturating_mul(min_width) > (NATIVE_BLOCK_BYTES_MAX - self.pos) as u64 {
                    return Err(NativeErrorKind::BlockTooLarge);
                }
                let keys_start = self.columns.last().map_or(0, |c| c.low_card.keys.len());
                Ok(Some(Some(Data::LcKeys {
                    index_width,
                    keys_start,
                    left: n,
                })))
            }
            Data::LcKeys {
                index_width,
                keys_start,
                mut left,
            } => {
                while left > 0 {
                    let at = self.pos;
                    let got = match ty.base.width() {
                        Some(w) => {
                            self.check_fits(at + w)?;
                            if self.rest().len() < w {
                                false
                            } else {
                                self.pos += w;
                                true
                            }
                        }
                        None => self.read_string(FIELD_BYTES_MAX)?.is_some(),
                    };
                    if !got {
                        self.phase = Phase::Data(Data::LcKeys {
                            index_width,
                            keys_start,
                            left,
                        });
                        return Ok(None);
                    }
                    if let Some(c) = self.columns.last_mut() {
                        c.low_card.keys.push(at as u32);
                    }
                    left -= 1;
                }
                Ok(Some(Some(Data::LcRowCount {
                    index_width,
                    keys_start,
                })))
            }
            Data::LcRowCount {
                index_width,
                keys_start,
            } => {
                let Some(n) = self.read_u64()? else {
                    return Ok(None);
                };
                let Some(column) = self.columns.last_mut() else {
                    return Err(NativeErrorKind::Truncated);
                };
                let done: usize = column.low_card.granules.iter().map(|g| g.rows).sum();
                let left_rows = self.rows - done;
                if n == 0 || n > left_rows as u64 {
                    return Err(NativeErrorKind::BadLowCardinality(format!(
                        "a granule of {n} rows where {left_rows} are left in the block"
                    )));
                }
                let n = n as usize;
                let keys_len = column.low_card.keys.len() - keys_start;
                column.low_card.granules.push(Granule {
                    keys_start,
                    keys_len,
                    index_width,
                    indexes_at: self.pos,
                    rows: n,
                });
                let bytes = n * index_width;
                self.check_fits(self.pos + bytes)?;
                Ok(Some(Some(Data::LcIndexes { left_bytes: bytes })))
            }
            Data::LcIndexes { left_bytes } => {
                let left = self.skip(left_bytes);
                if left > 0 {
                    self.phase = Phase::Data(Data::LcIndexes { left_bytes: left });
                    return Ok(None);
                }
                let done: usize = self
                    .columns
                    .last()
                    .map_or(0, |c| c.low_card.granules.iter().map(|g| g.rows).sum());
                if done < self.rows {
                    return Ok(Some(Some(Data::LcIndexType)));
                }
                Ok(Some(None))
            }
        }
    }

    /// The value of column `i` for the next row, into `self.value`.
    fn read_value(&mut self, i: usize) -> Result<(), NativeErrorKind> {
        let row = self.row;
        let Some(column) = self.columns.get_mut(i) else {
            return Err(NativeErrorKind::Truncated);
        };
        let ty = column.ty;
        let broken = || NativeErrorKind::BadLowCardinality("an index outside the block".into());
        if ty.low_cardinality {
            let lc = &mut column.low_card;
            let Some(g) = lc.granules.get(lc.granule).copied() else {
                return Err(broken());
            };
            let at = g.indexes_at + lc.granule_row * g.index_width;
            let index_bytes = self.buf.get(at..at + g.index_width).ok_or_else(broken)?;
            let mut b = [0u8; 8];
            b.get_mut(..g.index_width)
                .ok_or_else(broken)?
                .copy_from_slice(index_bytes);
            let index = u64::from_le_bytes(b);
            lc.granule_row += 1;
            if lc.granule_row == g.rows {
                lc.granule += 1;
                lc.granule_row = 0;
            }
            if ty.nullable && index == 0 {
                self.value = Value::Null;
                return Ok(());
            }
            if index >= g.keys_len as u64 {
                return Err(NativeErrorKind::BadLowCardinality(format!(
                    "index {index} in a dictionary of {} keys",
                    g.keys_len
                )));
            }
            let key_at = lc
                .keys
                .get(g.keys_start + index as usize)
                .copied()
                .ok_or_else(broken)? as usize;
            let mut cursor = key_at;
            return decode_at(&self.buf, ty.base, &mut cursor, &mut self.value).ok_or_else(broken);
        }
        let null = ty.nullable && self.buf.get(column.nulls_at + row).is_some_and(|b| *b != 0);
        let decoded = match ty.base.width() {
            Some(w) => {
                let mut at = column.data_at + row * w;
                decode_at(&self.buf, ty.base, &mut at, &mut self.value)
            }
            None => decode_at(&self.buf, ty.base, &mut column.cursor, &mut self.value),
        };
        decoded.ok_or_else(broken)?;
        if null {
            self.value = Value::Null;
        }
        Ok(())
    }

    /// Drops the reported block's bytes, keeping what follows it.
    fn finish_block(&mut self) {
        self.buf.drain(..self.pos.min(self.buf.len()));
        self.pos = 0;
        self.columns.clear();
        self.phase = Phase::ColumnCount;
        self.report = Report::Columns;
        self.row = 0;
        self.block += 1;
    }
}

/// Decodes one value of `base` at `*at`, moving `*at` past it; `None` if the bytes are short.
fn decode_at(buf: &[u8], base: Base, at: &mut usize, slot: &mut Value) -> Option<()> {
    let bytes = buf.get(*at..)?;
    match base.width() {
        Some(w) => {
            base.decode_fixed(bytes, slot)?;
            *at += w;
        }
        None => {
            let (len, n) = varint(bytes).ok()??;
            let text = bytes.get(n..n + len as usize)?;
            set_text_or_bytes(text, slot);
            *at += n + len as usize;
        }
    }
    Some(())
}

impl RowDecoder for NativeRowsDecoder {
    type Error = NativeError;

    fn columns(&self) -> &[String] {
        &self.names
    }

    fn text(&self) -> &str {
        ""
    }

    fn value(&self) -> &Value {
        &self.value
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), NativeError> {
        let mut used = 0;
        loop {
            if self.phase == Phase::Rows {
                match self.report {
                    Report::Columns => {
                        self.names.clear();
                        self.names
                            .extend(self.columns.iter().map(|c| c.name.clone()));
                        self.report = if self.rows == 0 {
                            Report::RowEnd
                        } else {
                            Report::RowStart
                        };
                        return Ok((Step::Columns, used));
                    }
                    Report::RowStart => {
                        self.report = Report::Value(0);
                        return Ok((Step::RowStart, used));
                    }
                    Report::Value(i) => {
                        self.read_value(i).map_err(|k| self.error(k))?;
                        self.report = if i + 1 < self.columns.len() {
                            Report::Value(i + 1)
                        } else {
                            Report::RowEnd
                        };
                        return Ok((Step::Typed, used));
                    }
                    Report::RowEnd => {
                        if self.rows == 0 {
                            self.finish_block();
                            continue;
                        }
                        self.row += 1;
                        if self.row == self.rows {
                            self.finish_block();
                        } else {
                            self.report = Report::RowStart;
                        }
                        return Ok((Step::RowEnd, used));
                    }
                }
            }
            if self.parse().map_err(|k| self.error(k))? {
                continue;
            }
            // More bytes are needed.
            if input.is_empty() {
                let between_blocks = self.phase == Phase::ColumnCount && self.pos == self.buf.len();
                if between_blocks {
                    return Ok((Step::End, 0));
                }
                return Err(self.error(NativeErrorKind::Truncated));
            }
            let Some(piece) = input.get(used..).filter(|p| !p.is_empty()) else {
                return Ok((Step::NeedInput, used));
            };
            self.buf.extend_from_slice(piece);
            used = input.len();
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    /// Builds Native blocks as timeplus-connect writes them.
    pub struct Block(pub Vec<u8>);

    impl Block {
        pub fn new(columns: u64, rows: u64) -> Block {
            let mut b = Block(Vec::new());
            b.varint(columns);
            b.varint(rows);
            b
        }
        pub fn varint(&mut self, mut v: u64) -> &mut Self {
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    self.0.push(byte);
                    return self;
                }
                self.0.push(byte | 0x80);
            }
        }
        pub fn string(&mut self, s: &[u8]) -> &mut Self {
            self.varint(s.len() as u64);
            self.0.extend_from_slice(s);
            self
        }
        pub fn column(&mut self, name: &str, ty: &str) -> &mut Self {
            self.string(name.as_bytes()).string(ty.as_bytes())
        }
        pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
            self.0.extend_from_slice(b);
            self
        }
        pub fn u64(&mut self, v: u64) -> &mut Self {
            self.bytes(&v.to_le_bytes())
        }
    }

    fn walk(body: &[u8]) -> Result<Vec<String>, String> {
        walk_every_split(NativeRowsDecoder::new, body)
    }

    fn two_rows() -> Vec<u8> {
        let mut b = Block::new(2, 2);
        b.column("id", "int32")
            .bytes(&1i32.to_le_bytes())
            .bytes(&2i32.to_le_bytes());
        b.column("name", "string").string(b"hello").string(b"world");
        b.0
    }

    #[test]
    fn blocks_become_rows() {
        let mut body = two_rows();
        body.extend(two_rows());
        let want = [
            "cols:id,name",
            "[",
            "T:Int(1)",
            "T:Str(\"hello\")",
            "]",
            "[",
            "T:Int(2)",
            "T:Str(\"world\")",
            "]",
        ];
        let mut both: Vec<String> = want
            .iter()
            .chain(want.iter())
            .map(|s| s.to_string())
            .collect();
        both.push("end".into());
        assert_eq!(walk(&body).unwrap(), both);
        assert_eq!(walk(b"").unwrap(), ["end"]);
    }

    #[test]
    fn nullable_low_cardinality_and_time_columns() {
        let mut b = Block::new(4, 3);
        b.column("n", "nullable(float64)").bytes(&[0, 1, 0]);
        for f in [1.5f64, 0.0, -2.0] {
            b.bytes(&f.to_le_bytes());
        }
        // Keys: NULL (its placeholder), "a", "b"; rows: a, NULL, b.
        b.column("lc", "low_cardinality(nullable(string))")
            .u64(1)
            .u64((1 << 9) | (1 << 10))
            .u64(3)
            .string(b"")
            .string(b"a")
            .string(b"b")
            .u64(3)
            .bytes(&[1, 0, 2]);
        b.column("t", "datetime64(3, 'UTC')");
        for ms in [1_000i64, 2_000, 3_000] {
            b.bytes(&ms.to_le_bytes());
        }
        b.column("s", "low_cardinality(string)").u64(1);
        // Two granules, each with its own keys.
        b.u64(1 << 9).u64(1).string(b"x").u64(2).bytes(&[0, 0]);
        b.u64(1 << 9).u64(1).string(b"y").u64(1).bytes(&[0]);
        assert_eq!(
            walk(&b.0).unwrap(),
            [
                "cols:n,lc,t,s",
                "[",
                "T:Float(1.5)",
                "T:Str(\"a\")",
                "T:Time(1000000000)",
                "T:Str(\"x\")",
                "]",
                "[",
                "T:Null",
                "T:Null",
                "T:Time(2000000000)",
                "T:Str(\"x\")",
                "]",
                "[",
                "T:Float(-2.0)",
                "T:Str(\"b\")",
                "T:Time(3000000000)",
                "T:Str(\"y\")",
                "]",
                "end"
            ]
        );
    }

    #[test]
    fn empty_blocks_name_columns_only() {
        let mut b = Block::new(1, 0);
        b.column("id", "int32");
        assert_eq!(walk(&b.0).unwrap(), ["cols:id", "end"]);
    }

    fn err(body: &[u8]) -> String {
        walk(body).unwrap_err()
    }

    #[test]
    fn err_truncated_and_lying_lengths() {
        let body = two_rows();
        assert!(err(&body[..body.len() - 1]).contains("Truncated"));
        // A row count past the bound.
        assert!(
            err(Block::new(1, u64::MAX).column("id", "int32").0.as_slice()).contains("TooManyRows")
        );
        // A column count past the bound.
        assert!(err(&Block::new(1 << 40, 1).0).contains("TooManyColumns"));
        // Rows of a fixed width that cannot fit the block bound: refused at once.
        let mut b = Block::new(1, NATIVE_BLOCK_ROWS_MAX as u64);
        b.column("id", "uint64");
        assert!(err(&b.0).contains("BlockTooLarge"));
        // A string longer than one field.
        let mut b = Block::new(1, 1);
        b.column("s", "string").varint(1 << 40);
        assert!(err(&b.0).contains("StringTooLong"));
        // A dictionary claiming more keys than can fit.
        let mut b = Block::new(1, 1);
        b.column("s", "low_cardinality(string)")
            .u64(1)
            .u64(1 << 9)
            .u64(u64::MAX);
        assert!(err(&b.0).contains("BlockTooLarge"));
        // An index past its dictionary.
        let mut b = Block::new(1, 1);
        b.column("s", "low_cardinality(string)")
            .u64(1)
            .u64(1 << 9)
            .u64(1)
            .string(b"a")
            .u64(1)
            .bytes(&[5]);
        assert!(err(&b.0).contains("index 5 in a dictionary of 1 keys"));
        // A granule claiming more rows than the block.
        let mut b = Block::new(1, 1);
        b.column("s", "low_cardinality(string)")
            .u64(1)
            .u64(1 << 9)
            .u64(1)
            .string(b"a")
            .u64(2);
        assert!(err(&b.0).contains("a granule of 2 rows where 1 are left"));
        // An overlong varint.
        assert!(err(&[0xff; 11]).contains("BadVarint"));
        // Unknown types and rows without columns.
        let mut b = Block::new(1, 1);
        b.column("a", "array(int32)");
        assert!(err(&b.0).contains("UnknownType"));
        assert!(err(&Block::new(0, 1).0).contains("NoColumns"));
    }

    #[test]
    fn error_text_names_block_and_column() {
        let e = NativeError {
            kind: NativeErrorKind::StringTooLong(70_000),
            block: 2,
            column: Some("name".into()),
        };
        assert_eq!(
            e.to_string(),
            "Native block 2, column name: a string of 70000 bytes; one value holds at most 65536 (field_bytes_max)"
        );
    }
}
