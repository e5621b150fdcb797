//! Proton's `tumble` and `hop` windows as a relation: the rows of a stream, each repeated
//! once per window it falls in, with `window_start` and `window_end` appended.
//!
//! Invariants:
//! - Windows are `[start, start + size)` with `start` a multiple of `slide` counted from the
//!   Unix epoch (UTC), so every query cuts the same windows; a row lies in
//!   `size / slide` windows (one for `tumble`), bounded by the parser.
//! - A row whose time is NULL lies in no window and is dropped.

use super::QueryError;
use super::ast::Window;
use super::exec::RowSource;
use super::schema::{ResultColumn, Schema};
use crate::catalog::{ColumnType, Table};
use crate::value::Value;

/// Where the window's time is and how windows are cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WindowSpec {
    /// The time column's index in the table's rows.
    pub time_index: usize,
    pub slide_ns: i64,
    pub size_ns: i64,
}

impl WindowSpec {
    /// Resolves the time column of `window` on `table` and returns the spec and the
    /// relation's schema (the table's columns, then `window_start`, `window_end`).
    pub fn resolve(window: &Window, table: &Table) -> Result<(WindowSpec, Schema), QueryError> {
        let mut schema = Schema::of_table(table);
        let name = window.time_column.as_deref().unwrap_or("_tp_time");
        let time_index = schema
            .index(name)
            .ok_or_else(|| QueryError::UnknownColumn {
                column: name.to_owned(),
                table: table.name.to_string(),
            })?;
        let ty = schema.ty(time_index).cloned();
        let ty = match ty {
            Some(ty @ ColumnType::DateTime { .. }) => ty,
            _ => {
                return Err(QueryError::BadValue(format!(
                    "the window time column {name} must be a datetime64 column"
                )));
            }
        };
        for n in ["window_start", "window_end"] {
            schema.columns.push(ResultColumn {
                name: n.into(),
                ty: ty.clone(),
                nullable: false,
            });
        }
        let spec = WindowSpec {
            time_index,
            slide_ns: window.slide_ns,
            size_ns: window.size_ns,
        };
        Ok((spec, schema))
    }

    /// The starts of the windows holding `time`, earliest first.
    pub fn starts(&self, time: i64) -> impl Iterator<Item = i64> + use<> {
        let (slide, size) = (self.slide_ns.max(1), self.size_ns.max(1));
        let last = time.div_euclid(slide).saturating_mul(slide);
        let count = (size + slide - 1) / slide;
        (0..count)
            .rev()
            .map(move |k| last.saturating_sub(k.saturating_mul(slide)))
            .filter(move |start| start.saturating_add(size) > time)
    }

    /// The row's time, if it has one.
    pub fn time_of(&self, row: &[Value]) -> Option<i64> {
        match row.get(self.time_index) {
            Some(Value::Time(t)) => Some(*t),
            _ => None,
        }
    }

    /// `row` with the window starting at `start` appended.
    pub fn in_window(&self, row: &[Value], start: i64) -> Vec<Value> {
        let mut out = Vec::with_capacity(row.len() + 2);
        out.extend_from_slice(row);
        out.push(Value::Time(start));
        out.push(Value::Time(start.saturating_add(self.size_ns)));
        out
    }
}

/// Rows of `input` expanded into their windows.
pub struct WindowSource {
    pub input: Box<dyn RowSource>,
    pub spec: WindowSpec,
    pub row: Vec<Value>,
    /// Windows of the current row still to hand out, latest first.
    pub pending: Vec<i64>,
}

impl WindowSource {
    pub fn new(input: Box<dyn RowSource>, spec: WindowSpec) -> WindowSource {
        WindowSource {
            input,
            spec,
            row: Vec::new(),
            pending: Vec::new(),
        }
    }
}

impl RowSource for WindowSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        loop {
            if let Some(start) = self.pending.pop() {
                *out = self.spec.in_window(&self.row, start);
                return Ok(true);
            }
            if !self.input.next_row(&mut self.row)? {
                return Ok(false);
            }
            if let Some(t) = self.spec.time_of(&self.row) {
                self.pending.extend(self.spec.starts(t));
                self.pending.reverse();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    fn spec(slide: i64, size: i64) -> WindowSpec {
        WindowSpec {
            time_index: 0,
            slide_ns: slide * S,
            size_ns: size * S,
        }
    }

    #[test]
    fn tumble_puts_a_row_in_one_window() {
        let w = spec(5, 5);
        assert_eq!(w.starts(0).collect::<Vec<_>>(), [0]);
        assert_eq!(w.starts(4 * S).collect::<Vec<_>>(), [0]);
        assert_eq!(w.starts(5 * S).collect::<Vec<_>>(), [5 * S]);
        assert_eq!(w.starts(-1).collect::<Vec<_>>(), [-5 * S]);
    }

    #[test]
    fn hop_puts_a_row_in_size_over_slide_windows() {
        let w = spec(2, 6);
        assert_eq!(w.starts(7 * S).collect::<Vec<_>>(), [2 * S, 4 * S, 6 * S]);
        assert_eq!(w.starts(6 * S).collect::<Vec<_>>(), [2 * S, 4 * S, 6 * S]);
        // A slide that does not divide the size: only windows that hold the time.
        let w = spec(3, 5);
        assert_eq!(w.starts(7 * S).collect::<Vec<_>>(), [3 * S, 6 * S]);
        assert_eq!(w.starts(9 * S).collect::<Vec<_>>(), [6 * S, 9 * S]);
    }
}
