//! Machbase's NDJSON reply (reference §3.4): one object per row, keys in column order
//! (`"ROWNUM":n` first with `rownum`), values as in the default JSON rows, each object ended
//! by `\n`; then an extra `\n`. No header, no footer, no success flag.

use std::fmt::Write;

use super::{MachbaseOutput, ValueFormat};
use crate::output::{ByteWriter, Encoder, json_string};
use crate::sql::ResultColumn;
use crate::value::Value;

pub struct NdjsonEncoder {
    values: ValueFormat,
    rownum: bool,
    rows: u64,
}

impl NdjsonEncoder {
    pub fn new(output: MachbaseOutput) -> NdjsonEncoder {
        NdjsonEncoder {
            values: output.values,
            rownum: output.rownum,
            rows: 0,
        }
    }
}

impl Encoder for NdjsonEncoder {
    fn begin(&mut self, _columns: &[ResultColumn], _out: &mut Vec<u8>) {}

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.rows += 1;
        out.push(b'{');
        if self.rownum {
            let _ = write!(ByteWriter(out), "\"ROWNUM\":{}", self.rows);
        }
        for (i, (v, c)) in row.iter().zip(columns).enumerate() {
            if i > 0 || self.rownum {
                out.push(b',');
            }
            json_string(&c.name, true, out);
            out.push(b':');
            self.values.json(v, Some(&c.ty), true, out);
        }
        out.extend_from_slice(b"}\n");
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
    use crate::catalog::ColumnType;
    use crate::value::Value;

    #[test]
    fn one_object_per_row_in_column_order() {
        let out = output(MachbaseFormat::Ndjson, "ns", "");
        assert_eq!(
            encode(out, &car_columns(), car_rows()).unwrap(),
            "{\"name\":\"my-car\",\"time\":1670380342000000000,\"value\":1.0001}\n{\"name\":\"my-car\",\"time\":1670380343000000000,\"value\":2.0002}\n\n"
        );
        let mut out = output(MachbaseFormat::Ndjson, "Default", "KST");
        out.rownum = true;
        out.values.precision = Some(1);
        let body = encode(out, &car_columns(), car_rows()).unwrap();
        assert!(
            body.starts_with(
                "{\"ROWNUM\":1,\"name\":\"my-car\",\"time\":\"2022-12-07 11:32:22\",\"value\":1.0}\n{\"ROWNUM\":2,"
            ),
            "{body}"
        );
        let out = output(MachbaseFormat::Ndjson, "ns", "");
        assert_eq!(encode(out, &car_columns(), vec![]).unwrap(), "\n");
    }

    #[test]
    fn binary_per_binaryformat() {
        // Q21's ndjson case.
        let columns = [
            column("NAME", string()),
            column("VALUE", ColumnType::Binary),
        ];
        let rows = vec![vec![
            Value::Str("name".into()),
            Value::Bytes(vec![1, 2, 0xa0, 0xb0]),
        ]];
        let out = output(MachbaseFormat::Ndjson, "ns", "");
        assert_eq!(
            encode(out, &columns, rows).unwrap(),
            "{\"NAME\":\"name\",\"VALUE\":\"0x0102a0b0\"}\n\n"
        );
    }
}
