//! Machbase's CSV reply (reference §3.4): a header line with the column names as the engine
//! returns them (`ROWNUM` first with `rownum`), unless `heading=false` / `header=skip`; one
//! line per row; then an extra `\n`, so the body ends in `\n\n`.
//!
//! Fields are quoted as Go's `csv.Writer` quotes them: when they hold the delimiter, a quote,
//! CR or LF, or start with a space. Text per `ValueFormat::text`: NULL is `NULL`, times per
//! `timeformat` (always text), floats per `precision`.

use std::fmt::Write;

use super::{MachbaseOutput, ValueFormat};
use crate::output::{ByteWriter, Encoder};
use crate::sql::ResultColumn;
use crate::value::Value;

pub struct CsvEncoder {
    values: ValueFormat,
    heading: bool,
    rownum: bool,
    delimiter: u8,
    rows: u64,
    /// One field's text, reused for every field.
    field: Vec<u8>,
}

impl CsvEncoder {
    pub fn new(output: MachbaseOutput, delimiter: u8) -> CsvEncoder {
        CsvEncoder {
            values: output.values,
            heading: output.heading,
            rownum: output.rownum,
            delimiter,
            rows: 0,
            field: Vec::new(),
        }
    }

    fn quoted(&self, text: &[u8], out: &mut Vec<u8>) {
        let needs_quotes = text.first() == Some(&b' ')
            || text
                .iter()
                .any(|&b| b == self.delimiter || b == b'"' || b == b'\n' || b == b'\r');
        if !needs_quotes {
            out.extend_from_slice(text);
            return;
        }
        out.push(b'"');
        for &b in text {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    }
}

impl Encoder for CsvEncoder {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        if !self.heading {
            return;
        }
        if self.rownum {
            out.extend_from_slice(b"ROWNUM");
        }
        for (i, c) in columns.iter().enumerate() {
            if i > 0 || self.rownum {
                out.push(self.delimiter);
            }
            self.quoted(c.name.as_bytes(), out);
        }
        out.push(b'\n');
    }

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.rows += 1;
        if self.rownum {
            let _ = write!(ByteWriter(out), "{}", self.rows);
        }
        let mut field = std::mem::take(&mut self.field);
        for (i, v) in row.iter().enumerate() {
            if i > 0 || self.rownum {
                out.push(self.delimiter);
            }
            field.clear();
            self.values
                .text(v, columns.get(i).map(|c| &c.ty), &mut field);
            self.quoted(&field, out);
        }
        self.field = field;
        out.push(b'\n');
        Ok(())
    }

    fn end(&mut self, _rows: u64, out: &mut Vec<u8>) {
        out.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::super::MachbaseFormat;
    use super::super::test_rows::*;

    fn csv(timeformat: &str, tz: &str) -> String {
        let out = output(MachbaseFormat::Csv { delimiter: b',' }, timeformat, tz);
        encode(out, &car_columns(), car_rows()).unwrap()
    }

    #[test]
    fn header_rows_and_trailing_blank_line() {
        assert_eq!(
            csv("Default", ""),
            "name,time,value\nmy-car,2022-12-07 02:32:22,1.0001\nmy-car,2022-12-07 02:32:23,2.0002\n\n"
        );
        assert_eq!(
            csv("Default", "KST"),
            "name,time,value\nmy-car,2022-12-07 11:32:22,1.0001\nmy-car,2022-12-07 11:32:23,2.0002\n\n"
        );
    }

    #[test]
    fn epoch_units_and_str_variants() {
        assert!(csv("s", "").contains("my-car,1670380342,1.0001\n"));
        // As the peer's CSV: `.str` is no unit there, so the parameter is a (literal) layout.
        assert!(csv("s.str", "").contains("my-car,s.str,1.0001\n"));
        // Commas from a layout are quoted like any field.
        assert!(csv("Jan 2, 2006", "").contains("my-car,\"Dec 7, 2022\",1.0001\n"));
    }

    #[test]
    fn kitchen_precision_rownum_as_the_peer() {
        // csv_encode_test.go: KITCHEN, precision 3, rownum, header on.
        let mut out = output(MachbaseFormat::Csv { delimiter: b',' }, "KITCHEN", "");
        out.values.precision = Some(3);
        out.rownum = true;
        assert_eq!(
            encode(out, &kitchen_columns(), kitchen_rows()).unwrap(),
            "ROWNUM,col1,col2,col3,col4,col5,col6\n1,1,3.142,text some,12:29:34AM,98765,16\n2,1,3.142,text some,12:29:34AM,98765,NULL\n\n"
        );
    }

    #[test]
    fn heading_off_and_other_delimiters() {
        let mut out = output(MachbaseFormat::Csv { delimiter: b';' }, "s", "");
        out.heading = false;
        out.rownum = true;
        assert_eq!(
            encode(out, &car_columns(), car_rows()).unwrap(),
            "1;my-car;1670380342;1.0001\n2;my-car;1670380343;2.0002\n\n"
        );
        // A field holding the delimiter is quoted; the comma no longer is.
        let out = output(MachbaseFormat::Csv { delimiter: b'\t' }, "Jan 2, 2006", "");
        let body = encode(out, &car_columns(), car_rows()).unwrap();
        assert!(body.contains("my-car\tDec 7, 2022\t1.0001\n"), "{body}");
    }
}
