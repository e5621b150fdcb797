//! Machbase's `box` reply (reference §3.4): the text table go-pretty renders for the peer.
//!
//! ```text
//! +--------+----------+---------------------+
//! | ROWNUM | NAME     | TIME(UTC)           |
//! +--------+----------+---------------------+
//! |      1 | wave.sin | 2023-02-15 03:39:21 |
//! +--------+----------+---------------------+
//! ```
//! Headers are upper-cased; a DATETIME column's gets `(<tz>)` unless `timeformat` is an epoch
//! unit (`ns`, `ms.str`, ...). Cells are left-aligned text, ROWNUM right-aligned; a cell's
//! lines (split at `\n`) stack within its row. Widths count East Asian wide characters as
//! two columns. Every line ends in `\n`. An empty result renders nothing, so the reply is
//! the `no rows selected.` summary instead (peer behaviour, kept for clients matching it).
//!
//! Invariant: at most one page (`BOX_PAGE_ROWS_MAX` rows, `BOX_PAGE_BYTES_MAX` cell bytes)
//! is held to measure widths. Deliberate difference (README compatibility table): a longer
//! result prints as successive tables, each with its header, where the peer holds the whole
//! result and prints one table.

use std::time::Instant;

use super::box_style::{BoxChars, BoxOptions};
use super::summary::selected_summary;
use super::{MachbaseOutput, ValueFormat};
use crate::catalog::ColumnType;
use crate::limits::{BOX_PAGE_BYTES_MAX, BOX_PAGE_ROWS_MAX};
use crate::output::Encoder;
use crate::sql::ResultColumn;
use crate::value::Value;

pub struct BoxEncoder {
    values: ValueFormat,
    chars: &'static BoxChars,
    options: BoxOptions,
    heading: bool,
    rownum: bool,
    started: Instant,
    /// Header cells (empty without `heading`), ROWNUM first with `rownum`.
    header: Vec<String>,
    width: usize,
    /// The page's cells, row by row, `width` per row.
    cells: Vec<String>,
    page_bytes: usize,
    rows: u64,
    field: Vec<u8>,
}

impl BoxEncoder {
    pub fn new(output: MachbaseOutput, options: BoxOptions) -> BoxEncoder {
        BoxEncoder {
            values: output.values,
            chars: options.style.chars(),
            options,
            heading: output.heading,
            rownum: output.rownum,
            started: output.started,
            header: Vec::new(),
            width: 0,
            cells: Vec::new(),
            page_bytes: 0,
            rows: 0,
            field: Vec::new(),
        }
    }

    /// Renders the held page as one table and empties it.
    fn render_page(&mut self, out: &mut Vec<u8>) {
        let mut widths = vec![0usize; self.width];
        let page_rows = self.cells.chunks(self.width.max(1));
        for row in page_rows
            .clone()
            .chain(std::iter::once(self.header.as_slice()))
        {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.split('\n').map(display_width).max().unwrap_or(0));
            }
        }
        let chars = self.chars;
        if self.options.draw_border {
            self.line(&chars.top, &widths, out);
        }
        if self.heading {
            self.cells_line(&self.header, &widths, out);
            self.line(&chars.middle, &widths, out);
        }
        for row in page_rows {
            self.cells_line(row, &widths, out);
        }
        if self.options.draw_border {
            self.line(&chars.bottom, &widths, out);
        }
        self.cells.clear();
        self.page_bytes = 0;
    }

    /// A horizontal line: `+------+---+` with `junctions` = left end, crossing, right end.
    fn line(&self, junctions: &[&str; 3], widths: &[usize], out: &mut Vec<u8>) {
        let [left, cross, right] = *junctions;
        if self.options.draw_border {
            out.extend_from_slice(left.as_bytes());
        }
        for (i, w) in widths.iter().enumerate() {
            if i > 0 && self.options.separate_columns {
                out.extend_from_slice(cross.as_bytes());
            }
            for _ in 0..w + 2 {
                out.extend_from_slice(self.chars.horizontal.as_bytes());
            }
        }
        if self.options.draw_border {
            out.extend_from_slice(right.as_bytes());
        }
        out.push(b'\n');
    }

    /// One row of cells, as many text lines as its tallest cell.
    fn cells_line(&self, row: &[String], widths: &[usize], out: &mut Vec<u8>) {
        let height = row.iter().map(|c| c.split('\n').count()).max().unwrap_or(1);
        let vertical = self.chars.vertical.as_bytes();
        for line in 0..height {
            if self.options.draw_border {
                out.extend_from_slice(vertical);
            }
            for (i, (cell, &w)) in row.iter().zip(widths).enumerate() {
                if i > 0 && self.options.separate_columns {
                    out.extend_from_slice(vertical);
                }
                let text = cell.split('\n').nth(line).unwrap_or("");
                let pad = w.saturating_sub(display_width(text));
                out.push(b' ');
                let right_aligned = self.rownum && i == 0;
                if right_aligned {
                    out.resize(out.len() + pad, b' ');
                }
                out.extend_from_slice(text.as_bytes());
                if !right_aligned {
                    out.resize(out.len() + pad, b' ');
                }
                out.push(b' ');
            }
            if self.options.draw_border {
                out.extend_from_slice(vertical);
            }
            out.push(b'\n');
        }
    }
}

impl Encoder for BoxEncoder {
    fn begin(&mut self, columns: &[ResultColumn], _out: &mut Vec<u8>) {
        self.width = columns.len() + usize::from(self.rownum);
        if !self.heading {
            return;
        }
        if self.rownum {
            self.header.push("ROWNUM".into());
        }
        // As the peer: no zone after an epoch count, which has none.
        let zone = match self.values.time.format.json_epoch() {
            Some(_) => None,
            None => Some(self.values.time.zone.name().to_owned()),
        };
        for c in columns {
            let name = match (&c.ty, &zone) {
                (ColumnType::DateTime { .. }, Some(zone)) => format!("{}({zone})", c.name),
                _ => c.name.clone(),
            };
            self.header.push(name.to_uppercase());
        }
    }

    fn row(
        &mut self,
        columns: &[ResultColumn],
        row: &[Value],
        out: &mut Vec<u8>,
    ) -> Result<(), String> {
        self.rows += 1;
        if self.rownum {
            self.cells.push(self.rows.to_string());
        }
        for i in 0..self.width - usize::from(self.rownum) {
            self.field.clear();
            match row.get(i) {
                Some(v) => {
                    let ty = columns.get(i).map(|c| &c.ty);
                    self.values.text(v, ty, &mut self.field);
                }
                None => self.field.extend_from_slice(b"NULL"),
            }
            // '\r' would move the cursor back over the frame; go-pretty drops it too.
            let text = String::from_utf8_lossy(&self.field).replace('\r', "");
            self.page_bytes += text.len();
            self.cells.push(text);
        }
        let page_rows = self.cells.len() / self.width.max(1);
        if page_rows >= BOX_PAGE_ROWS_MAX || self.page_bytes >= BOX_PAGE_BYTES_MAX {
            self.render_page(out);
        }
        Ok(())
    }

    fn end(&mut self, rows: u64, out: &mut Vec<u8>) {
        if rows == 0 {
            selected_summary(0, self.started, out);
        } else if !self.cells.is_empty() {
            self.render_page(out);
        }
    }
}

/// Terminal columns `text` takes: 2 for East Asian wide and fullwidth characters, 0 for
/// combining marks, else 1 (go-pretty's `RuneWidthWithoutEscSequences`, for the common
/// ranges).
fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x0300..=0x036F | 0x200B..=0x200F => 0,
            0x1100..=0x115F
            | 0x2E80..=0x303E
            | 0x3041..=0x33FF
            | 0x3400..=0x4DBF
            | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6
            | 0x1F300..=0x1F64F
            | 0x1F900..=0x1F9FF
            | 0x20000..=0x3FFFD => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::super::test_rows::*;
    use super::super::{BoxStyle, MachbaseFormat};
    use super::*;

    fn options(style: BoxStyle) -> BoxOptions {
        BoxOptions {
            style,
            separate_columns: true,
            draw_border: true,
        }
    }

    fn boxed(style: BoxStyle, timeformat: &str) -> MachbaseOutput {
        output(MachbaseFormat::Box(options(style)), timeformat, "")
    }

    /// The rows of box_encode_test.go's `runTimeformat`.
    fn nano_rows() -> Vec<Vec<Value>> {
        let ip = Value::Ipv4([127, 0, 0, 1]);
        vec![
            vec![
                Value::Float(f64::from(3.141591f32)),
                Value::Float(PEER_FLOAT),
                Value::Int(1),
                Value::Time(TEST_TIME_NS),
                ip.clone(),
                Value::Int(16),
            ],
            vec![
                Value::Int(1),
                Value::Float(f64::from(PEER_FLOAT as f32)),
                Value::Str("text some".into()),
                Value::Time(TEST_TIME_NS),
                ip,
                Value::Float(3.141591),
            ],
        ]
    }

    fn nano_columns() -> Vec<ResultColumn> {
        let mut columns = kitchen_columns();
        columns[0].ty = ColumnType::Float32;
        columns[4].ty = ColumnType::Ipv4;
        columns
    }

    #[test]
    fn nano_as_the_peer() {
        // box_encode_test.go TestNano: precision 0, epoch units, no zone in the header.
        for (unit, time) in [
            ("ns", "1691800174123456789"),
            ("us", "1691800174123456"),
            ("ms", "1691800174123"),
            ("s", "1691800174"),
        ] {
            let mut out = boxed(BoxStyle::parse("simeple"), unit);
            out.values.precision = Some(0);
            let bar = "-".repeat(time.len() + 2);
            let pad = " ".repeat(time.len() - 4);
            let expected = [
                format!("+------+------+-----------+{bar}+-----------+------+"),
                format!("| COL1 | COL2 | COL3      | COL4{pad} | COL5      | COL6 |"),
                format!("+------+------+-----------+{bar}+-----------+------+"),
                format!("| 3    | 3    | 1         | {time} | 127.0.0.1 | 16   |"),
                format!("| 1    | 3    | text some | {time} | 127.0.0.1 | 3    |"),
                format!("+------+------+-----------+{bar}+-----------+------+"),
                String::new(),
            ]
            .join("\n");
            assert_eq!(
                encode(out, &nano_columns(), nano_rows()).unwrap(),
                expected,
                "{unit}"
            );
        }
    }

    #[test]
    fn light_kitchen_rownum_as_the_peer() {
        // box_encode_test.go TestBox1 (its second row's col2 is float32(0.14)).
        let mut out = boxed(BoxStyle::Light, "KITCHEN");
        out.values.precision = Some(3);
        out.rownum = true;
        let mut rows = kitchen_rows();
        rows[1][1] = Value::Float(f64::from(0.14f32));
        let mut columns = kitchen_columns();
        columns[3].name = "col4".into();
        let body = encode(out, &columns, rows).unwrap();
        // A KITCHEN layout is no epoch unit: the header names the zone, as the peer's does.
        let expected = [
            "┌────────┬──────┬───────┬───────────┬────────────┬───────┬──────┐",
            "│ ROWNUM │ COL1 │ COL2  │ COL3      │ COL4(UTC)  │ COL5  │ COL6 │",
            "├────────┼──────┼───────┼───────────┼────────────┼───────┼──────┤",
            "│      1 │ 1    │ 3.142 │ text some │ 12:29:34AM │ 98765 │ 16   │",
            "│      2 │ 1    │ 0.140 │ text some │ 12:29:34AM │ 98765 │ NULL │",
            "└────────┴──────┴───────┴───────────┴────────────┴───────┴──────┘",
            "",
        ]
        .join("\n");
        assert_eq!(body, expected);
    }

    fn float_columns() -> Vec<ResultColumn> {
        [
            ColumnType::Float64,
            ColumnType::Float64,
            ColumnType::Float32,
            ColumnType::Float64,
            ColumnType::Float32,
            ColumnType::Float64,
        ]
        .into_iter()
        .enumerate()
        .map(|(i, ty)| column(&format!("col{}", i + 1), ty))
        .collect()
    }

    fn float_row(a: f64, b: f64) -> Vec<Value> {
        vec![
            Value::Float(a),
            Value::Float(b),
            Value::Float(f64::from(b as f32)),
            Value::Float(-b),
            Value::Float(f64::from(-b as f32)),
            Value::Float(std::f64::consts::PI),
        ]
    }

    #[test]
    fn floats_double_and_bold_as_the_peer() {
        // TestBoxFloat: shortest round-trip, float32 as float32.
        let mut out = boxed(BoxStyle::Double, "ns");
        out.rownum = true;
        let body = encode(out, &float_columns(), vec![float_row(0.0, 1.234)]).unwrap();
        let expected = [
            "╔════════╦══════╦═══════╦═══════╦════════╦════════╦═══════════════════╗",
            "║ ROWNUM ║ COL1 ║ COL2  ║ COL3  ║ COL4   ║ COL5   ║ COL6              ║",
            "╠════════╬══════╬═══════╬═══════╬════════╬════════╬═══════════════════╣",
            "║      1 ║ 0    ║ 1.234 ║ 1.234 ║ -1.234 ║ -1.234 ║ 3.141592653589793 ║",
            "╚════════╩══════╩═══════╩═══════╩════════╩════════╩═══════════════════╝",
            "",
        ]
        .join("\n");
        assert_eq!(body, expected);
        // TestBoxFloat2: precision 2.
        let mut out = boxed(BoxStyle::Bold, "ns");
        out.rownum = true;
        out.values.precision = Some(2);
        let rows = vec![float_row(0.0, 1.234), float_row(0.005, 1.235)];
        let expected = [
            "┏━━━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━┳━━━━━━━┳━━━━━━━┳━━━━━━┓",
            "┃ ROWNUM ┃ COL1 ┃ COL2 ┃ COL3 ┃ COL4  ┃ COL5  ┃ COL6 ┃",
            "┣━━━━━━━━╋━━━━━━╋━━━━━━╋━━━━━━╋━━━━━━━╋━━━━━━━╋━━━━━━┫",
            "┃      1 ┃ 0.00 ┃ 1.23 ┃ 1.23 ┃ -1.23 ┃ -1.23 ┃ 3.14 ┃",
            "┃      2 ┃ 0.01 ┃ 1.24 ┃ 1.24 ┃ -1.24 ┃ -1.24 ┃ 3.14 ┃",
            "┗━━━━━━━━┻━━━━━━┻━━━━━━┻━━━━━━┻━━━━━━━┻━━━━━━━┻━━━━━━┛",
            "",
        ]
        .join("\n");
        assert_eq!(encode(out, &float_columns(), rows).unwrap(), expected);
    }

    #[test]
    fn wide_characters_count_twice_round_style() {
        // TestBoxWide.
        let mut out = boxed(BoxStyle::Round, "ns");
        out.rownum = true;
        let mut columns = float_columns();
        columns[4].ty = string();
        let row = |s: &str| {
            let mut r = float_row(0.0, 1.234);
            r[2] = Value::Float(f64::from(-1.234f32));
            r[4] = Value::Str(s.into());
            r
        };
        let body = encode(out, &columns, vec![row("가CD"), row("ABCD")]).unwrap();
        let expected = [
            "╭────────┬──────┬───────┬────────┬────────┬──────┬───────────────────╮",
            "│ ROWNUM │ COL1 │ COL2  │ COL3   │ COL4   │ COL5 │ COL6              │",
            "├────────┼──────┼───────┼────────┼────────┼──────┼───────────────────┤",
            "│      1 │ 0    │ 1.234 │ -1.234 │ -1.234 │ 가CD │ 3.141592653589793 │",
            "│      2 │ 0    │ 1.234 │ -1.234 │ -1.234 │ ABCD │ 3.141592653589793 │",
            "╰────────┴──────┴───────┴────────┴────────┴──────┴───────────────────╯",
            "",
        ]
        .join("\n");
        assert_eq!(body, expected);
    }

    #[test]
    fn zone_suffix_heading_borders_and_separators() {
        let columns = [column("time", datetime()), column("v", ColumnType::Int64)];
        let rows = || vec![vec![Value::Time(0), Value::Int(7)]];
        let seoul = output(
            MachbaseFormat::Box(options(BoxStyle::Default)),
            "2006",
            "Asia/Seoul",
        );
        assert_eq!(
            encode(seoul, &columns, rows()).unwrap(),
            "+------------------+---+\n| TIME(ASIA/SEOUL) | V |\n+------------------+---+\n| 1970             | 7 |\n+------------------+---+\n"
        );
        // go-pretty's OptionsNoBorders, then without column separators too.
        let mut out = boxed(BoxStyle::Default, "s");
        out.format = MachbaseFormat::Box(BoxOptions {
            draw_border: false,
            ..options(BoxStyle::Default)
        });
        assert_eq!(
            encode(out, &columns, rows()).unwrap(),
            " TIME | V \n------+---\n 0    | 7 \n"
        );
        let mut out = boxed(BoxStyle::Default, "s");
        out.format = MachbaseFormat::Box(BoxOptions {
            style: BoxStyle::Default,
            draw_border: true,
            separate_columns: false,
        });
        out.heading = false;
        assert_eq!(
            encode(out, &columns, rows()).unwrap(),
            "+------+\n| 0  7 |\n+------+\n"
        );
    }

    #[test]
    fn multi_line_cells_stack() {
        let columns = [column("a", string()), column("b", string())];
        let rows = vec![vec![Value::Str("x\r\nyy".into()), Value::Str("z".into())]];
        assert_eq!(
            encode(boxed(BoxStyle::Default, "ns"), &columns, rows).unwrap(),
            "+----+---+\n| A  | B |\n+----+---+\n| x  | z |\n| yy |   |\n+----+---+\n"
        );
    }

    #[test]
    fn no_rows_is_the_summary_and_long_results_are_pages() {
        let out = boxed(BoxStyle::Default, "ns");
        let body = encode(out, &car_columns(), vec![]).unwrap();
        assert!(
            body.starts_with(r#"{"success":true,"reason":"no rows selected.","elapse":""#),
            "{body}"
        );
        let columns = [column("v", ColumnType::Int64)];
        let rows = (0..BOX_PAGE_ROWS_MAX as i64 + 1)
            .map(|i| vec![Value::Int(i % 10)])
            .collect();
        let mut out = boxed(BoxStyle::Default, "ns");
        out.rownum = true;
        let body = encode(out, &columns, rows).unwrap();
        assert_eq!(body.matches("| ROWNUM | V |").count(), 2);
        assert!(body.ends_with("+--------+---+\n|   1001 | 0 |\n+--------+---+\n"));
    }
}
