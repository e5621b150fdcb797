//! Ingest: request bodies to stored rows, streaming, in both dialects' shapes.
//!
//! The path: body chunks -> decoder (`json` tokenizer, `json_rows` shape walker) ->
//! `convert` (scalar to typed value per column) -> `RowBatch` -> the store's writer. Memory
//! per request is bounded by the batch size, never by the body.
//!
//! Not here: HTTP parameters and reply shapes (`api`), storage (`store`).

pub mod convert;
pub mod json;
pub mod json_rows;
mod pipeline;

pub use convert::{ConvertOptions, Rules};
pub use json_rows::{Shape, ShapeError};
pub use pipeline::{IngestErrorKind, IngestPlan, ingest_json};
