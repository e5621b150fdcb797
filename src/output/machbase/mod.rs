//! Machbase Neo's `/db/query` result formats (reference machbase-neo-api.md §3.3–3.4):
//! `json` (four row shapes), `csv`, `ndjson`, `box`, `markdown` and `discard`.
//!
//! `src/api/machbase.rs` reads the request's parameters into a `MachbaseOutput`; this module
//! turns it into an `Encoder`. Not here: gzip (`../gzip.rs`), time layouts (`src/timefmt/`).
//!
//! Invariants:
//! - Every format prints values through one `ValueFormat`, so `timeformat`, `tz`,
//!   `precision` and `binaryformat` mean the same in each.
//! - `rownum` numbers rows from 1 in every format (not in JSON `transpose`, as the peer).
//! - Memory is bounded per request: streaming formats hold one row; `transpose` holds at most
//!   `TRANSPOSE_BYTES_MAX`, `box` at most one page (`BOX_PAGE_ROWS_MAX`, `BOX_PAGE_BYTES_MAX`).
//!
//! Files: `values.rs` value text; `json.rs`, `csv.rs`, `ndjson.rs`, `box.rs` (with
//! `box_style.rs`), `markdown.rs` one format each; `summary.rs` the no-rows reply and
//! `discard`.

mod r#box;
mod box_style;
mod csv;
mod json;
mod markdown;
mod ndjson;
mod summary;
mod values;

pub use box_style::{BoxOptions, BoxStyle};
pub use json::JsonShape;
pub use values::{BinaryFormat, TimeText, ValueFormat, precision_digits};

use std::time::Instant;

use super::Encoder;

/// The `format` parameter, with the options that only one format reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachbaseFormat {
    Json(JsonShape),
    /// The UI API's reply (reference §3.5): JSON rows with `success`, `reason` and `elapse`
    /// before `data`, sent with gin's `ctx.JSON` content type.
    UiJson,
    Csv {
        delimiter: u8,
    },
    Ndjson,
    Box(BoxOptions),
    Markdown,
    /// No body: only the `N rows selected.` reply.
    Discard,
}

impl MachbaseFormat {
    /// The peer encoder's `ContentType()`, byte for byte (clients match on it).
    pub fn content_type(&self) -> &'static str {
        match self {
            MachbaseFormat::Json(_) => "application/json",
            MachbaseFormat::UiJson => "application/json; charset=utf-8",
            MachbaseFormat::Csv { .. } => "text/csv; charset=utf-8",
            MachbaseFormat::Ndjson => "application/x-ndjson",
            MachbaseFormat::Box(_) | MachbaseFormat::Discard => "text/plain",
            MachbaseFormat::Markdown => "text/markdown",
        }
    }
}

/// Everything a `/db/query` reply's body depends on.
pub struct MachbaseOutput {
    pub format: MachbaseFormat,
    pub values: ValueFormat,
    /// Number rows from 1 in a leading `ROWNUM` column.
    pub rownum: bool,
    /// Print the header line (CSV, box); `heading=false` or `header=skip` turn it off.
    pub heading: bool,
    /// When the request arrived, for the `elapse` texts.
    pub started: Instant,
}

impl MachbaseOutput {
    pub fn into_encoder(self) -> Box<dyn Encoder> {
        match self.format {
            MachbaseFormat::Json(shape) => {
                Box::new(json::JsonEncoder::new(self, shape, json::Envelope::Query))
            }
            MachbaseFormat::UiJson => Box::new(json::JsonEncoder::new(
                self,
                JsonShape::Rows,
                json::Envelope::Ui,
            )),
            MachbaseFormat::Csv { delimiter } => Box::new(csv::CsvEncoder::new(self, delimiter)),
            MachbaseFormat::Ndjson => Box::new(ndjson::NdjsonEncoder::new(self)),
            MachbaseFormat::Box(options) => Box::new(r#box::BoxEncoder::new(self, options)),
            MachbaseFormat::Markdown => Box::new(markdown::MarkdownEncoder::new(self)),
            MachbaseFormat::Discard => Box::new(summary::Discard::new(self.started)),
        }
    }
}

#[cfg(test)]
mod test_rows;
