//! Machbase's markdown reply (reference §3.4): `|A|B|`, then `|:-----|:-----|`, then one
//! `|v|v|` line per row; an empty result adds `\n> *No record*\n`. The header is always
//! printed, as the peer's encoder ignores `heading`. Cells are `ValueFormat::text`, not
//! escaped (a `|` inside a value splits the cell, as with the peer).
//!
//! Deliberate difference (README compatibility table): floats print shortest round-trip by
//! default, not the peer's `%f` (6 decimals); `precision` gives fixed decimals as the peer.

use std::fmt::Write;

use super::{MachbaseOutput, ValueFormat};
use crate::output::{ByteWriter, Encoder};
use crate::sql::ResultColumn;
use crate::value::Value;

pub struct MarkdownEncoder {
    values: ValueFormat,
    rownum: bool,
    rows: u64,
}

impl MarkdownEncoder {
    pub fn new(output: MachbaseOutput) -> MarkdownEncoder {
        MarkdownEncoder {
            values: output.values,
            rownum: output.rownum,
            rows: 0,
        }
    }
}

impl Encoder for MarkdownEncoder {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        out.push(b'|');
        if self.rownum {
            out.extend_from_slice(b"ROWNUM|");
        }
        for c in columns {
            out.extend_from_slice(c.name.as_bytes());
            out.push(b'|');
        }
        out.push(b'\n');
        for _ in 0..columns.len() + usize::from(self.rownum) {
            out.extend_from_slice(b"|:-----");
        }
        out.extend_from_slice(b"|\n");
    }

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.rows += 1;
        out.push(b'|');
        if self.rownum {
            let _ = write!(ByteWriter(out), "{}|", self.rows);
        }
        for (i, v) in row.iter().enumerate() {
            self.values.text(v, columns.get(i).map(|c| &c.ty), out);
            out.push(b'|');
        }
        out.push(b'\n');
        Ok(())
    }

    fn end(&mut self, rows: u64, out: &mut Vec<u8>) {
        if rows == 0 {
            out.extend_from_slice(b"\n> *No record*\n");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::MachbaseFormat;
    use super::super::test_rows::*;

    #[test]
    fn table_rows_and_no_record() {
        let out = output(MachbaseFormat::Markdown, "s", "");
        assert_eq!(
            encode(out, &car_columns(), car_rows()).unwrap(),
            "|name|time|value|\n|:-----|:-----|:-----|\n|my-car|1670380342|1.0001|\n|my-car|1670380343|2.0002|\n"
        );
        let mut out = output(MachbaseFormat::Markdown, "KITCHEN", "");
        out.rownum = true;
        out.values.precision = Some(3);
        assert_eq!(
            encode(out, &kitchen_columns(), kitchen_rows()).unwrap(),
            "|ROWNUM|col1|col2|col3|col4|col5|col6|\n|:-----|:-----|:-----|:-----|:-----|:-----|:-----|\n|1|1|3.142|text some|12:29:34AM|98765|16|\n|2|1|3.142|text some|12:29:34AM|98765|NULL|\n"
        );
        let out = output(MachbaseFormat::Markdown, "s", "");
        assert_eq!(
            encode(out, &car_columns(), vec![]).unwrap(),
            "|name|time|value|\n|:-----|:-----|:-----|\n\n> *No record*\n"
        );
    }
}
