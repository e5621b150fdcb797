//! Ingest: request bodies to stored rows, streaming, in both dialects' shapes.
//!
//! The path: body chunks (`source`: the request body, maybe after a statement's head) ->
//! `inflate` (optional) -> a `decoder` (`json_rows` on the `json` tokenizer, `ndjson_rows`,
//! `csv_rows`, and for ClickHouse's `INSERT … FORMAT`: `tsv_rows`, `json_compact_rows`) ->
//! `convert` (scalar to typed value per column) -> `RowBatch` -> the store's writer, driven
//! by `pipeline`. Memory per request is
//! bounded by the batch size, never by the body.
//!
//! Not here: HTTP parameters and reply shapes (`api`), storage (`store`).

mod binary_types;
mod brotli_streams;
pub mod convert;
mod csv_rows;
pub(crate) mod decoder;
mod inflate;
pub mod json;
mod json_compact_rows;
pub mod json_rows;
mod lz4_frames;
pub(crate) mod native_rows;
mod ndjson_rows;
mod pipeline;
mod row_binary_rows;
mod source;
mod tsv_rows;
mod zstd_frames;

pub use convert::{ConvertOptions, Rules};
pub use csv_rows::Header;
pub use inflate::{Encoding, InflateError, InflateLimits};
pub use json_rows::{Shape, ShapeError};
pub use native_rows::NativeErrorKind;
pub use pipeline::{BodyFormat, IngestError, IngestErrorKind, IngestPlan, ingest};
pub use row_binary_rows::RowBinaryErrorKind;
pub use source::{ChunkSource, Decompressed, Prefixed};
