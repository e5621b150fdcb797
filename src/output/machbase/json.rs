//! Machbase's JSON reply (reference §3.3), byte for byte, no whitespace:
//! `{"data":{"columns":[...],"types":[...],"rows":[...]},"success":true,"reason":"success",
//! "elapse":"..."}`.
//!
//! The UI API (`/web/api/tables...`, reference §3.5) answers gin's `QueryResponse` instead:
//! `{"success":true,"reason":"success","elapse":"...","data":{"columns":[...],"types":[...],
//! "rows":[...]}}`, the same columns, types and values in another envelope (`Envelope::Ui`).
//!
//! Four shapes for `rows` (`JsonShape`), chosen by the request with the peer's precedence
//! rowsArray > transpose > rowsFlatten > default. `precision` rounds floats in the default
//! shape only: the peer prints the others with Go's `json.Marshal`, which ignores it.
//!
//! Invariant: only `Columns` (transpose) holds rows, at most `TRANSPOSE_BYTES_MAX` bytes of
//! their JSON text; crossing it ends the body early with the bound named.

use std::fmt::Write;
use std::time::Instant;

use super::{MachbaseOutput, ValueFormat};
use crate::limits::TRANSPOSE_BYTES_MAX;
use crate::output::{ByteWriter, Encoder, json_string};
use crate::sql::ResultColumn;
use crate::timefmt;
use crate::value::Value;

/// How `data` holds the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonShape {
    /// `"rows":[[v,v],[v,v]]`, the default.
    Rows,
    /// `rowsFlatten=true`: `"rows":[v,v,v,v]`.
    Flat,
    /// `rowsArray=true`: `"rows":[{"A":v,"B":v}]`, keys sorted byte-wise (Go's map order).
    Objects,
    /// `transpose=true`: `"cols":[[a,a],[b,b]]`, one array per column; no ROWNUM.
    Columns,
}

/// Where `success`, `reason` and `elapse` go around `data`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    /// `/db/query`'s streamed encoder: `data` first.
    Query,
    /// The UI API's `QueryResponse`: `data` last; `elapse` is taken when `data` starts.
    Ui,
}

/// One key of a `rowsArray` object: the row number or a column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Rownum,
    Column(usize),
}

pub struct JsonEncoder {
    values: ValueFormat,
    shape: JsonShape,
    envelope: Envelope,
    rownum: bool,
    started: Instant,
    rows: u64,
    /// `Objects`: keys in output order, computed once in `begin`.
    keys: Vec<(String, Key)>,
    /// `Columns`: each column's values so far, as comma-separated JSON text.
    columns: Vec<Vec<u8>>,
    held_bytes: usize,
}

impl JsonEncoder {
    pub fn new(output: MachbaseOutput, shape: JsonShape, envelope: Envelope) -> JsonEncoder {
        JsonEncoder {
            values: output.values,
            shape,
            envelope,
            // As the peer: "rownum does not effective in transpose mode".
            rownum: output.rownum && shape != JsonShape::Columns,
            started: output.started,
            rows: 0,
            keys: Vec::new(),
            columns: Vec::new(),
            held_bytes: 0,
        }
    }

    /// The keys of a `rowsArray` object as Go's `json.Marshal(map)` orders them: sorted
    /// byte-wise, one per distinct name, the last column of a repeated name winning (it is
    /// assigned last), a column named ROWNUM over the row number.
    fn object_keys(&self, columns: &[ResultColumn]) -> Vec<(String, Key)> {
        let mut keys: Vec<(String, Key)> = Vec::with_capacity(columns.len() + 1);
        if self.rownum {
            keys.push(("ROWNUM".into(), Key::Rownum));
        }
        for (i, c) in columns.iter().enumerate() {
            match keys.iter_mut().find(|(name, _)| *name == c.name) {
                Some(slot) => slot.1 = Key::Column(i),
                None => keys.push((c.name.clone(), Key::Column(i))),
            }
        }
        keys.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        keys
    }
}

impl Encoder for JsonEncoder {
    fn begin(&mut self, columns: &[ResultColumn], out: &mut Vec<u8>) {
        if self.envelope == Envelope::Ui {
            out.extend_from_slice(b"{\"success\":true,\"reason\":\"success\",\"elapse\":");
            let elapse = timefmt::go_duration(self.started.elapsed().as_nanos() as u64);
            json_string(&elapse, true, out);
            out.extend_from_slice(b",");
        } else {
            out.push(b'{');
        }
        out.extend_from_slice(b"\"data\":{\"columns\":[");
        if self.rownum {
            out.extend_from_slice(b"\"ROWNUM\"");
        }
        for (i, c) in columns.iter().enumerate() {
            if i > 0 || self.rownum {
                out.push(b',');
            }
            json_string(&c.name, true, out);
        }
        out.extend_from_slice(b"],\"types\":[");
        if self.rownum {
            out.extend_from_slice(b"\"int64\"");
        }
        for (i, c) in columns.iter().enumerate() {
            if i > 0 || self.rownum {
                out.push(b',');
            }
            json_string(c.ty.machbase_name(), true, out);
        }
        match self.shape {
            JsonShape::Columns => {
                out.extend_from_slice(b"],\"cols\":[");
                self.columns = vec![Vec::new(); columns.len()];
            }
            JsonShape::Objects => {
                out.extend_from_slice(b"],\"rows\":[");
                self.keys = self.object_keys(columns);
            }
            JsonShape::Rows | JsonShape::Flat => out.extend_from_slice(b"],\"rows\":["),
        }
    }

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.rows += 1;
        let ty = |i: usize| columns.get(i).map(|c| &c.ty);
        let first = self.rows == 1;
        match self.shape {
            JsonShape::Rows => {
                out.extend_from_slice(if first { b"[" } else { b",[" });
                if self.rownum {
                    let _ = write!(ByteWriter(out), "{},", self.rows);
                }
                for (i, v) in row.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    self.values.json(v, ty(i), true, out);
                }
                out.push(b']');
            }
            JsonShape::Flat => {
                if !first {
                    out.push(b',');
                }
                if self.rownum {
                    let _ = write!(ByteWriter(out), "{}", self.rows);
                }
                for (i, v) in row.iter().enumerate() {
                    if i > 0 || self.rownum {
                        out.push(b',');
                    }
                    self.values.json(v, ty(i), false, out);
                }
            }
            JsonShape::Objects => {
                out.extend_from_slice(if first { b"{" } else { b",{" });
                for (n, (name, key)) in self.keys.iter().enumerate() {
                    if n > 0 {
                        out.push(b',');
                    }
                    json_string(name, true, out);
                    out.push(b':');
                    match *key {
                        Key::Rownum => {
                            let _ = write!(ByteWriter(out), "{}", self.rows);
                        }
                        Key::Column(i) => match row.get(i) {
                            Some(v) => self.values.json(v, ty(i), false, out),
                            None => out.extend_from_slice(b"null"),
                        },
                    }
                }
                out.push(b'}');
            }
            JsonShape::Columns => {
                for (i, (v, text)) in row.iter().zip(self.columns.iter_mut()).enumerate() {
                    let before = text.len();
                    if !first {
                        text.push(b',');
                    }
                    self.values.json(v, ty(i), false, text);
                    self.held_bytes += text.len() - before;
                }
                if self.held_bytes > TRANSPOSE_BYTES_MAX {
                    return Err(format!(
                        "transpose=true holds more than TRANSPOSE_BYTES_MAX ({TRANSPOSE_BYTES_MAX} bytes) of the result; select fewer rows or drop transpose"
                    ));
                }
            }
        }
        Ok(())
    }

    fn end(&mut self, _rows: u64, out: &mut Vec<u8>) {
        // The peer writes no column arrays for an empty result: `"cols":[]`.
        if self.shape == JsonShape::Columns && self.rows > 0 {
            for (i, text) in self.columns.iter().enumerate() {
                out.extend_from_slice(if i > 0 { b",[" } else { b"[" });
                out.extend_from_slice(text);
                out.push(b']');
            }
        }
        if self.envelope == Envelope::Ui {
            out.extend_from_slice(b"]}}");
            return;
        }
        let elapse = timefmt::go_duration(self.started.elapsed().as_nanos() as u64);
        out.extend_from_slice(b"]},\"success\":true,\"reason\":\"success\",\"elapse\":");
        json_string(&elapse, true, out);
        out.push(b'}');
    }
}

#[cfg(test)]
mod tests {
    use super::super::MachbaseFormat;
    use super::super::test_rows::*;
    use super::*;
    use crate::catalog::ColumnType;

    fn json(shape: JsonShape, timeformat: &str, tz: &str) -> String {
        let out = output(MachbaseFormat::Json(shape), timeformat, tz);
        encode(out, &car_columns(), car_rows()).unwrap()
    }

    /// The body between `"data":` and `,"success"`.
    fn data(body: &str) -> &str {
        let start = body.find("{\"data\":").unwrap() + 8;
        let end = body.find(",\"success\":true").unwrap();
        &body[start..end]
    }

    #[test]
    fn envelope_matches_the_peer_byte_for_byte() {
        // json_encode_test.go's prefix.
        let body = json(JsonShape::Rows, "ns", "");
        let prefix = r#"{"data":{"columns":["name","time","value"],"types":["string","datetime","double"],"rows":[["my-car",1670380342000000000,1.0001],["my-car",1670380343000000000,2.0002]]},"success":true,"reason":"success","elapse":""#;
        assert!(body.starts_with(prefix), "{body}");
        assert!(body.ends_with("\"}"));
        let s = json(JsonShape::Rows, "s", "Asia/Seoul");
        assert!(s.contains(r#"[["my-car",1670380342,1.0001],"#), "{s}");
        let s = json(JsonShape::Rows, "2006/01/02 15:04:05", "UTC");
        assert!(
            s.contains(r#"[["my-car","2022/12/07 02:32:22",1.0001],"#),
            "{s}"
        );
        let out = output(MachbaseFormat::Json(JsonShape::Rows), "ns", "");
        let empty = encode(out, &car_columns(), vec![]).unwrap();
        assert!(empty.contains(r#""rows":[]},"success""#), "{empty}");
    }

    #[test]
    fn ui_envelope_puts_data_last() {
        let body = json_ui(car_rows());
        let (head, data) = body.split_at(body.find(",\"data\":").unwrap());
        assert!(
            head.starts_with(r#"{"success":true,"reason":"success","elapse":""#),
            "{body}"
        );
        assert_eq!(
            data,
            r#","data":{"columns":["name","time","value"],"types":["string","datetime","double"],"rows":[["my-car",1670380342000000000,1.0001],["my-car",1670380343000000000,2.0002]]}}"#
        );
        assert!(json_ui(vec![]).ends_with(r#""rows":[]}}"#));
    }

    fn json_ui(rows: Vec<Vec<Value>>) -> String {
        let out = output(MachbaseFormat::UiJson, "ns", "");
        encode(out, &car_columns(), rows).unwrap()
    }

    #[test]
    fn epoch_str_variants_are_strings() {
        let s = json(JsonShape::Rows, "ms.str", "");
        assert!(s.contains(r#"[["my-car","1670380342000",1.0001],"#), "{s}");
        let s = json(JsonShape::Rows, "ns.str", "");
        assert!(
            s.contains(r#"[["my-car","1670380342000000000",1.0001],"#),
            "{s}"
        );
    }

    #[test]
    fn layouts_are_escaped_strings_in_the_zone() {
        let s = json(JsonShape::Rows, "Default", "Asia/Seoul");
        assert!(
            s.contains(r#"[["my-car","2022-12-07 11:32:22",1.0001],"#),
            "{s}"
        );
        let s = json(JsonShape::Rows, "RFC3339", "America/New_York");
        assert!(s.contains(r#""2022-12-06T21:32:22-05:00""#), "{s}");
        // A layout's literal text goes through JSON escaping like any string.
        let s = json(JsonShape::Rows, r#"<"2006">"#, "");
        assert!(s.contains(r#""\u003c\"2022\"\u003e""#), "{s}");
    }

    #[test]
    fn shapes_as_the_peer() {
        // Q6, Q7, Q8 of the reference, on this result.
        let t = json(JsonShape::Columns, "s", "");
        assert_eq!(
            data(&t),
            r#"{"columns":["name","time","value"],"types":["string","datetime","double"],"cols":[["my-car","my-car"],[1670380342,1670380343],[1.0001,2.0002]]}"#
        );
        let f = json(JsonShape::Flat, "s", "");
        assert!(
            f.contains(r#""rows":["my-car",1670380342,1.0001,"my-car",1670380343,2.0002]}"#),
            "{f}"
        );
        let o = json(JsonShape::Objects, "s", "");
        assert!(
            o.contains(r#""rows":[{"name":"my-car","time":1670380342,"value":1.0001},{"name":"my-car","time":1670380343,"value":2.0002}]}"#),
            "{o}"
        );
        let out = output(MachbaseFormat::Json(JsonShape::Columns), "ns", "");
        let empty = encode(out, &car_columns(), vec![]).unwrap();
        assert!(empty.contains(r#""cols":[]},"success""#), "{empty}");
    }

    #[test]
    fn rownum_in_each_shape() {
        let with_rownum = |shape| {
            let mut out = output(MachbaseFormat::Json(shape), "s", "");
            out.rownum = true;
            encode(out, &car_columns(), car_rows()).unwrap()
        };
        let r = with_rownum(JsonShape::Rows);
        assert_eq!(
            data(&r),
            r#"{"columns":["ROWNUM","name","time","value"],"types":["int64","string","datetime","double"],"rows":[[1,"my-car",1670380342,1.0001],[2,"my-car",1670380343,2.0002]]}"#
        );
        let f = with_rownum(JsonShape::Flat);
        assert!(
            f.contains(r#""rows":[1,"my-car",1670380342,1.0001,2,"my-car",1670380343,2.0002]}"#),
            "{f}"
        );
        // Sorted byte-wise: upper case before lower case.
        let o = with_rownum(JsonShape::Objects);
        assert!(
            o.contains(r#""rows":[{"ROWNUM":1,"name":"my-car","time":1670380342,"value":1.0001},"#),
            "{o}"
        );
        // No ROWNUM in transpose, as the peer.
        let t = with_rownum(JsonShape::Columns);
        assert!(t.contains(r#"{"columns":["name","time","value"],"#), "{t}");
    }

    #[test]
    fn objects_sort_keys_and_keep_the_last_of_a_repeated_name() {
        let columns = [
            column("b", ColumnType::Int64),
            column("A", ColumnType::Int64),
            column("b", ColumnType::Int64),
        ];
        let out = output(MachbaseFormat::Json(JsonShape::Objects), "ns", "");
        let body = encode(
            out,
            &columns,
            vec![vec![Value::Int(1), Value::Int(2), Value::Int(3)]],
        );
        assert!(body.unwrap().contains(r#""rows":[{"A":2,"b":3}]}"#));
    }

    #[test]
    fn precision_rounds_default_rows_only() {
        let with_precision = |shape| {
            let mut out = output(MachbaseFormat::Json(shape), "s", "");
            out.values.precision = Some(2);
            encode(out, &car_columns(), car_rows()).unwrap()
        };
        let r = with_precision(JsonShape::Rows);
        assert!(
            r.contains(r#"[["my-car",1670380342,1.00],["my-car",1670380343,2.00]]"#),
            "{r}"
        );
        let f = with_precision(JsonShape::Flat);
        assert!(f.contains("1670380342,1.0001,"), "{f}");
    }

    #[test]
    fn special_floats_are_strings() {
        let columns = [column("v", ColumnType::Float64)];
        let rows = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0]
            .map(|f| vec![Value::Float(f)])
            .to_vec();
        let out = output(MachbaseFormat::Json(JsonShape::Rows), "ns", "");
        let body = encode(out, &columns, rows).unwrap();
        assert!(
            body.contains(r#""rows":[["NaN"],["+Inf"],["-Inf"],[0]]"#),
            "{body}"
        );
    }

    #[test]
    fn err_transpose_over_its_bound_ends_the_body() {
        let columns = [column("s", string())];
        let big = "x".repeat(64 << 10);
        let rows = (0..=TRANSPOSE_BYTES_MAX / big.len())
            .map(|_| vec![Value::Str(big.clone())])
            .collect();
        let out = output(MachbaseFormat::Json(JsonShape::Columns), "ns", "");
        assert_eq!(
            encode(out, &columns, rows).unwrap_err(),
            "transpose=true holds more than TRANSPOSE_BYTES_MAX (4194304 bytes) of the result; select fewer rows or drop transpose"
        );
    }
}
