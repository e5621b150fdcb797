//! The head of a table: the rows applied since its last checkpoint, kept raw in memory, one
//! series per tag (log tables and streams are one series). The same rows are in the write-ahead
//! log (`wal`), so the head is rebuilt from it after a crash; a checkpoint seals it into parts
//! (`checkpoint`) and starts an empty head of the next generation.
//!
//! Rows are kept in arrival order; readers get a copy sorted by time (then sequence) with, in a
//! tag table, the last row of each time only, since a repeated (tag, time) replaces the earlier
//! row.
//!
//! Invariants:
//! - `bytes` is an estimate of the memory the rows hold, grown with every row; the writer
//!   checkpoints before it passes `TABLE_HEAD_BYTES_MAX`.
//! - A series is `in_order` while its rows arrive sorted (a tag table's times strictly
//!   increasing, a stream's not decreasing), which lets readers skip the sort and the
//!   duplicate check.

use super::chunk::{Chunk, RowKey};
use super::id_map::IdMap;
use crate::catalog::{Table, TableKind};
use crate::value::Value;

pub(super) struct Series {
    pub rows: Chunk,
    in_order: bool,
}

pub(super) struct TableHead {
    /// The checkpoint generation these rows will be sealed into.
    pub generation: u64,
    series: IdMap<Series>,
    rows: usize,
    bytes: usize,
}

/// Bytes a row costs in the head besides its values: the time, the sequence, vector slack.
const ROW_OVERHEAD_BYTES: usize = 24;

fn value_bytes(v: &Value) -> usize {
    8 + v.heap_bytes()
}

impl TableHead {
    pub fn new(generation: u64) -> TableHead {
        TableHead {
            generation,
            series: IdMap::default(),
            rows: 0,
            bytes: 0,
        }
    }

    pub fn bytes(&self) -> usize {
        self.bytes
    }

    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Appends a row of `table` (every column's value) to series `tag` (0 for log tables
    /// and streams), with its key time and, for log tables and streams, its sequence.
    pub fn push(&mut self, table: &Table, tag: u32, time: i64, seq: Option<u64>, values: &[Value]) {
        let series = self.series.entry(tag).or_insert_with(|| Series {
            rows: Chunk::new(table),
            in_order: true,
        });
        // A tag table's times must strictly increase (an equal time replaces a row); a
        // log table's or stream's may repeat, their sequence orders them.
        let out_of_order = match series.rows.times.last() {
            Some(&last) if table.kind == TableKind::Tag => last >= time,
            Some(&last) => last > time,
            None => false,
        };
        if out_of_order {
            series.in_order = false;
        }
        let key = RowKey {
            time,
            seq,
            tag: None,
        };
        series.rows.push_row(table, key, values);
        self.rows += 1;
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
        match self.series.get(&tag) {
            Some(series) => sorted(table, series, time_min, time_max),
            None => Chunk::new(table),
        }
    }
}

/// `series`'s rows in the time range, sorted by time then sequence, a tag table keeping the
/// last arrival of each time.
fn sorted(table: &Table, series: &Series, time_min: i64, time_max: i64) -> Chunk {
    let rows = &series.rows;
    let mut out = Chunk::new(table);
    if series.in_order {
        let start = rows.times.partition_point(|&t| t < time_min);
        let end = rows.times.partition_point(|&t| t <= time_max);
        for i in start..end {
            out.push_from(rows, i);
        }
        return out;
    }
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|&i| {
            rows.times
                .get(i)
                .is_some_and(|t| (time_min..=time_max).contains(t))
        })
        .collect();
    // Stable: equal times keep their arrival order, so the last one is the newest.
    order.sort_by_key(|&i| {
        (
            rows.times.get(i).copied().unwrap_or(0),
            rows.seqs.get(i).copied().unwrap_or(0),
        )
    });
    let dedup = table.kind == TableKind::Tag;
    for (k, &i) in order.iter().enumerate() {
        let next_same_time = order
            .get(k + 1)
            .is_some_and(|&j| rows.times.get(j) == rows.times.get(i));
        if dedup && next_same_time {
            continue;
        }
        out.push_from(rows, i);
    }
    out
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
        let mut head = TableHead::new(3);
        for (time, value) in [(10, 1.0), (30, 3.0), (20, 2.0), (10, 1.5), (40, 4.0)] {
            head.push(&table, 7, time, None, &row("a", time, value));
        }
        head.push(&table, 2, 5, None, &row("b", 5, 9.0));
        assert_eq!(head.tags(), [2, 7]);
        assert_eq!(head.rows, 6);
        let got = head.read(&table, 7, 10, 30);
        assert_eq!(values(&table, &got), [(10, 1.5), (20, 2.0), (30, 3.0)]);
        assert!(head.read(&table, 9, i64::MIN, i64::MAX).is_empty());
    }

    #[test]
    fn an_in_order_series_is_cut_by_binary_search() {
        let table = Table::example(1, "T");
        let mut head = TableHead::new(0);
        for time in 0..100 {
            head.push(&table, 1, time, None, &row("a", time, time as f64));
        }
        let got = head.read(&table, 1, 50, 52);
        assert_eq!(values(&table, &got), [(50, 50.0), (51, 51.0), (52, 52.0)]);
        assert!(head.bytes() > 100 * 16);
    }
}
