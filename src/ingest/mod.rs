//! Ingest: request bodies to stored rows, streaming, in both dialects' shapes.
//!
//! The path: body chunks -> `inflate` (gzip/zlib, optional) -> a `decoder` (`json_rows` on
//! the `json` tokenizer, `ndjson_rows`, `csv_rows`) -> `convert` (scalar to typed value per
//! column) -> `RowBatch` -> the store's writer, driven by `pipeline`. Memory per request is
//! bounded by the batch size, never by the body.
//!
//! Not here: HTTP parameters and reply shapes (`api`), storage (`store`).

pub mod convert;
mod csv_rows;
pub(crate) mod decoder;
mod inflate;
pub mod json;
pub mod json_rows;
mod ndjson_rows;
mod pipeline;

pub use convert::{ConvertOptions, Rules};
pub use csv_rows::Header;
pub use inflate::{Encoding, InflateError, InflateLimits};
pub use json_rows::{Shape, ShapeError};
pub use pipeline::{BodyFormat, IngestError, IngestErrorKind, IngestPlan, ingest};
