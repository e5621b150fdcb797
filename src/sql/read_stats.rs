//! What a query read from the store, for Proton's `statistics` (`rows_read`, `bytes_read`).
//!
//! Shared between the scan that counts and the encoder that prints once the rows are done, so
//! it is a pair of atomics behind an `Arc`; a subquery's outer query shares its counter.
//!
//! `rows_read` counts rows the scan returned from the store, before WHERE, GROUP BY or LIMIT.
//! `bytes_read` is their size as ClickHouse counts a column's in-memory bytes: the type's
//! width for fixed-width values (1 for bool and 8-bit integers, 2, 4 or 8 for wider numbers,
//! 4 for date and ipv4, 8 for datetime, 16 for ipv6 and uuid), the byte length plus an
//! 8-byte offset for string, json and binary, and one more byte per value of a nullable
//! column (its NULL map). It is an estimate of work done, not of bytes on flash.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::catalog::{ColumnType, Table};
use crate::value::Value;

#[derive(Debug, Default)]
pub struct ReadStats {
    rows: AtomicU64,
    bytes: AtomicU64,
}

impl ReadStats {
    /// Counts one stored row of `table` (`values` in table column order).
    pub fn count_row(&self, table: &Table, values: &[Value]) {
        let bytes: u64 = table
            .columns
            .iter()
            .zip(values)
            .map(|(c, v)| value_bytes(&c.ty, v) + u64::from(c.nullable))
            .sum();
        self.rows.fetch_add(1, Ordering::Relaxed);
        self.bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn rows(&self) -> u64 {
        self.rows.load(Ordering::Relaxed)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
}

fn value_bytes(ty: &ColumnType, value: &Value) -> u64 {
    match ty {
        ColumnType::Bool | ColumnType::Int8 | ColumnType::UInt8 => 1,
        ColumnType::Int16 | ColumnType::UInt16 => 2,
        ColumnType::Int32 | ColumnType::UInt32 | ColumnType::Float32 => 4,
        ColumnType::Date | ColumnType::Ipv4 => 4,
        ColumnType::Int64 | ColumnType::UInt64 | ColumnType::Float64 => 8,
        ColumnType::DateTime { .. } => 8,
        ColumnType::Ipv6 | ColumnType::Uuid => 16,
        ColumnType::String { .. } | ColumnType::Json | ColumnType::Binary => {
            value.heap_bytes() as u64 + 8
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_rows_and_clickhouse_bytes() {
        let table = Table::example(1, "T");
        let stats = ReadStats::default();
        // NAME varchar(40) "abc": 3 + 8; TIME datetime: 8; VALUE double, nullable: 8 + 1.
        stats.count_row(
            &table,
            &[Value::Str("abc".into()), Value::Time(0), Value::Float(1.0)],
        );
        stats.count_row(
            &table,
            &[Value::Str(String::new()), Value::Time(0), Value::Null],
        );
        assert_eq!(stats.rows(), 2);
        assert_eq!(stats.bytes(), (11 + 8 + 9) + (8 + 8 + 9));
    }
}
