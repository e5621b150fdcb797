//! The head of a table: the rows applied since its last checkpoint, kept raw in memory, one
//! series per tag (log tables and streams are one series). The same rows are in the write-ahead
//! log (`wal`), so the head is rebuilt from it after a crash; a checkpoint seals it into parts
//! (`checkpoint`) and starts an empty head of the next generation.
//!
//! Rows are kept in one table-wide chunk in arrival order, each row linked to the previous row
//! of its series, so a series costs a map entry, not a chunk of its own: a head holding a row
//! of each of 500,000 tags is the size of its rows. Readers get a copy of a series' rows sorted
//! by time (then sequence) with, in a tag table, the last row of each time only, since a
//! repeated (tag, time) replaces the earlier row.
//!
//! Invariants:
//! - `bytes` is an estimate of the memory the rows and series hold, grown with every row; the
//!   writer checkpoints before it passes `TABLE_HEAD_BYTES_MAX`, which keeps row indexes far
//!   below `u32::MAX`.
//! - `previous[i]` is the index of the row before row `i` in its series, or `NO_ROW`; a
//!   series' chain starts at its `last` row and visits every row of it, newest first.
//! - A series is `in_order` while its rows arrive sorted (a tag table's times strictly
//!   increasing, a stream's not decreasing), which lets readers skip the sort and the
//!   duplicate check.

use super::chunk::{Chunk, RowKey};
use super::id_map::IdMap;
use crate::catalog::{Table, TableKind};
use crate::value::Value;

const NO_ROW: u32 = u32::MAX;

/// Where a series' rows end, and how they arrived.
struct SeriesEnd {
    last: u32,
    rows: u32,
    in_order: bool,
}

pub(super) struct TableHead {
    /// The checkpoint generation these rows will be sealed into.
    pub generation: u64,
    rows: Chunk,
    previous: Vec<u32>,
    series: IdMap<SeriesEnd>,
    bytes: usize,
}

/// Bytes a row costs in the head besides its values: the time, the sequence, the link to the
/// previous row, vector slack.
const ROW_OVERHEAD_BYTES: usize = 28;
/// Bytes a series costs: its map entry and the map's spare capacity.
const SERIES_OVERHEAD_BYTES: usize = 32;

fn value_bytes(v: &Value) -> usize {
    8 + v.heap_bytes()
}

impl TableHead {
    pub fn new(table: &Table, generation: u64) -> TableHead {
        TableHead {
            generation,
            rows: Chunk::new(table),
            previous: Vec::new(),
            series: IdMap::default(),
            bytes: 0,
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Appends a row of `table` (every column's value) to series `tag` (0 for log tables
    /// and streams), with its key time and, for log tables and streams, its sequence.
    pub fn push(&mut self, table: &Table, tag: u32, time: i64, seq: Option<u64>, values: &[Value]) {
        let index = self.previous.len() as u32;
        let previous_row = match self.series.get_mut(&tag) {
            Some(end) => {
                let last_time = self.rows.times.get(end.last as usize).copied();
                // A tag table's times must strictly increase (an equal time replaces a row);
                // a log table's or stream's may repeat, their sequence orders them.
                let out_of_order = match last_time {
                    Some(last) if table.kind == TableKind::Tag => last >= time,
                    Some(last) => last > time,
                    None => false,
                };
                if out_of_order {
                    end.in_order = false;
                }
                let previous_row = end.last;
                end.last = index;
                end.rows += 1;
                previous_row
            }
            None => {
                self.series.insert(
                    tag,
                    SeriesEnd {
                        last: index,
                        rows: 1,
                        in_order: true,
                    },
                );
                self.bytes += SERIES_OVERHEAD_BYTES;
                NO_ROW
            }
        };
        self.previous.push(previous_row);
        let key = RowKey {
            time,
            seq,
            tag: None,
        };
        self.rows.push_row(table, key, values);
        self.bytes += ROW_OVERHEAD_BYTES + values.iter().map(value_bytes).sum::<usize>();
    }

    /// The series ids present, ascending.
    pub fn tags(&self) -> Vec<u32> {
        let mut tags: Vec<u32> = self.series.keys().copied().collect();
        tags.sort_unstable();
        tags
    }

    /// A copy of series `tag`'s rows with a time in `time_min..=time_max`, sorted (see the
    /// module comment). Empty when the series has none.
    pub fn read(&self, table: &Table, tag: u32, time_min: i64, time_max: i64) -> Chunk {
        let mut out = Chunk::new(table);
        let Some(end) = self.series.get(&tag) else {
            return out;
        };
        let rows = &self.rows;
        let time = |i: usize| rows.times.get(i).copied().unwrap_or(i64::MIN);
        // The series' rows in arrival order.
        let mut order = Vec::with_capacity(end.rows as usize);
        let mut at = end.last;
        while at != NO_ROW {
            order.push(at as usize);
            at = self.previous.get(at as usize).copied().unwrap_or(NO_ROW);
        }
        order.reverse();
        if end.in_order {
            let start = order.partition_point(|&i| time(i) < time_min);
            let stop = order.partition_point(|&i| time(i) <= time_max);
            for &i in order.get(start..stop).unwrap_or_default() {
                out.push_from(rows, i);
            }
            return out;
        }
        order.retain(|&i| (time_min..=time_max).contains(&time(i)));
        // Stable: equal times keep their arrival order, so the last one is the newest.
        order.sort_by_key(|&i| (time(i), rows.seqs.get(i).copied().unwrap_or(0)));
        let dedup = table.kind == TableKind::Tag;
        for (k, &i) in order.iter().enumerate() {
            let next_same_time = order.get(k + 1).is_some_and(|&j| time(j) == time(i));
            if dedup && next_same_time {
                continue;
            }
            out.push_from(rows, i);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(tag: &str, time: i64, value: f64) -> [Value; 3] {
        [
            Value::Str(tag.into()),
            Value::Time(time),
            Value::Float(value),
        ]
    }

    fn values(table: &Table, chunk: &Chunk) -> Vec<(i64, f64)> {
        (0..chunk.len())
            .map(|i| {
                let mut out = Vec::new();
                chunk.read_row(table, i, &mut out).unwrap();
                (chunk.times[i], out[2].as_f64().unwrap())
            })
            .collect()
    }

    #[test]
    fn reads_are_sorted_and_keep_the_last_row_of_each_time() {
        let table = Table::example(1, "T");
        let mut head = TableHead::new(&table, 3);
        for (time, value) in [(10, 1.0), (30, 3.0), (20, 2.0), (10, 1.5), (40, 4.0)] {
            head.push(&table, 7, time, None, &row("a", time, value));
        }
        head.push(&table, 2, 5, None, &row("b", 5, 9.0));
        assert_eq!(head.tags(), [2, 7]);
        assert_eq!(head.rows.len(), 6);
        let got = head.read(&table, 7, 10, 30);
        assert_eq!(values(&table, &got), [(10, 1.5), (20, 2.0), (30, 3.0)]);
        assert!(head.read(&table, 9, i64::MIN, i64::MAX).is_empty());
    }

    #[test]
    fn an_in_order_series_is_cut_by_binary_search() {
        let table = Table::example(1, "T");
        let mut head = TableHead::new(&table, 0);
        for time in 0..100 {
            head.push(&table, 1, time, None, &row("a", time, time as f64));
        }
        let got = head.read(&table, 1, 50, 52);
        assert_eq!(values(&table, &got), [(50, 50.0), (51, 51.0), (52, 52.0)]);
        assert!(head.bytes() > 100 * 16);
    }
}
