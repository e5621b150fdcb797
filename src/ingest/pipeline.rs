//! The async loop that feeds body chunks through the decoder into batches for the writer.
//!
//! Invariants:
//! - A body whose rows fit one batch is all-or-nothing: nothing is submitted before the body
//!   ends without error.
//! - A larger body is committed batch by batch; on an error, `rows_stored` is exactly the
//!   number of rows in batches the writer acknowledged.
//! - Per-row work allocates nothing once the row buffers have grown.

use std::fmt;
use std::sync::Arc;

use super::binary_types::BinaryType;
use super::convert::{self, ConvertOptions, Scalar};
use super::csv_rows::{CsvError, CsvRowsDecoder, Header};
use super::decoder::{RowDecoder, Step};
use super::inflate::{Encoding, InflateError, InflateLimits};
use super::json_compact_rows::JsonCompactRowsDecoder;
use super::json_rows::{JsonRowsDecoder, Shape, ShapeError};
use super::native_rows::{NativeError, NativeRowsDecoder};
use super::ndjson_rows::NdjsonRowsDecoder;
use super::row_binary_rows::{RowBinaryError, RowBinaryRowsDecoder};
use super::source::{ChunkSource, Decompressed};
use super::tsv_rows::{TsvError, TsvRowsDecoder};
use crate::catalog::Table;
use crate::server::http::{BodyError, BodyErrorKind};
use crate::store::{Ack, BatchError, Durability, RowBatch, Store, StoreError};
use crate::value::Value;

#[derive(Debug, Clone)]
pub enum IngestErrorKind {
    Shape(ShapeError),
    /// A name in the body's column list is not a column of the table.
    UnknownColumn(String),
    DuplicateColumn(String),
    /// A row has `got` values where `expected` were announced.
    RowWidth {
        got: usize,
        expected: usize,
    },
    /// A value did not convert; `index` is the 0-based position in the row, or for a keyed
    /// (NDJSON) value the column's position in the table.
    Convert {
        index: usize,
        keyed: bool,
        column: String,
        type_name: &'static str,
        found: Scalar,
        detail: String,
    },
    /// An NDJSON row none of whose keys is a column.
    NoKnownKey,
    Csv(CsvError),
    Tsv(TsvError),
    Native(NativeError),
    RowBinary(RowBinaryError),
    Inflate(InflateError),
    Batch(BatchError),
    Body(BodyError),
    Store(StoreError),
}

/// Dialect-neutral texts; the API layers use the peers' own texts where those exist.
impl fmt::Display for IngestErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IngestErrorKind::Shape(ShapeError::Json(e)) => write!(f, "{e}"),
            IngestErrorKind::Shape(ShapeError::Shape { message, at }) => {
                write!(f, "{message} (line {}, byte {})", at.line, at.byte)
            }
            IngestErrorKind::Shape(other) => write!(f, "{other:?}"),
            IngestErrorKind::UnknownColumn(c) => write!(f, "column \"{c}\" is not in the table"),
            IngestErrorKind::DuplicateColumn(c) => {
                write!(f, "column \"{c}\" is listed more than once")
            }
            IngestErrorKind::RowWidth { got, expected } => {
                write!(f, "a row has {got} values where {expected} were expected")
            }
            IngestErrorKind::Convert { column, detail, .. } => {
                write!(f, "column {column}: {detail}")
            }
            IngestErrorKind::NoKnownKey => {
                f.write_str("a row has no key that names a column of the table")
            }
            IngestErrorKind::Csv(e) => write!(f, "{e}"),
            IngestErrorKind::Tsv(e) => write!(f, "{e}"),
            IngestErrorKind::Native(e) => write!(f, "{e}"),
            IngestErrorKind::RowBinary(e) => write!(f, "{e}"),
            IngestErrorKind::Inflate(e) => write!(f, "{e}"),
            IngestErrorKind::Batch(e) => write!(f, "{e}"),
            IngestErrorKind::Body(e) => write!(f, "{e}"),
            IngestErrorKind::Store(e) => write!(f, "{e}"),
        }
    }
}

impl From<ShapeError> for IngestErrorKind {
    fn from(e: ShapeError) -> Self {
        IngestErrorKind::Shape(e)
    }
}

impl From<CsvError> for IngestErrorKind {
    fn from(e: CsvError) -> Self {
        IngestErrorKind::Csv(e)
    }
}

impl From<NativeError> for IngestErrorKind {
    fn from(e: NativeError) -> Self {
        IngestErrorKind::Native(e)
    }
}

impl From<RowBinaryError> for IngestErrorKind {
    fn from(e: RowBinaryError) -> Self {
        IngestErrorKind::RowBinary(e)
    }
}

impl From<TsvError> for IngestErrorKind {
    fn from(e: TsvError) -> Self {
        IngestErrorKind::Tsv(e)
    }
}

/// How the body is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyFormat {
    Json(Shape),
    Ndjson,
    Csv {
        delimiter: u8,
        header: Header,
    },
    /// ClickHouse's `TabSeparated`, with a header line of names for `TabSeparatedWithNames`.
    Tsv {
        with_names: bool,
    },
    /// ClickHouse's `JSONCompactEachRow`: one array of values per row.
    JsonCompact,
    /// ClickHouse's `Native`: blocks of typed columns, each naming its columns.
    Native,
    /// ClickHouse's `RowBinary`: rows of values in the target columns' types, no header.
    RowBinary,
}

#[derive(Debug, Clone)]
pub struct IngestError {
    pub kind: IngestErrorKind,
    /// 1-based row number, 0 when the error is not about a row.
    pub row: u64,
    /// Rows acknowledged by the writer before the error.
    pub rows_stored: u64,
}

/// What one request writes where, and how.
pub struct IngestPlan {
    pub table: Arc<Table>,
    pub format: BodyFormat,
    /// Compression of the body, if any, and what it may inflate to.
    pub encoding: Option<Encoding>,
    pub inflate: InflateLimits,
    pub durability: Durability,
    pub convert: ConvertOptions,
    /// The columns the body's values are for, in order (ClickHouse's `INSERT INTO s (a, b)`);
    /// empty: every column in table order, or the body's own column list. For rows of keyed
    /// values (NDJSON) a list restricts which keys are stored.
    pub columns: Vec<String>,
}

/// Maps each value position of a row to a table column and assembles the row.
struct RowAssembler {
    table: Arc<Table>,
    /// Table column index per position in the body's column list.
    targets: Vec<usize>,
    values: Vec<Value>,
    present: Vec<bool>,
    width: usize,
    /// Rows are objects of keyed values (NDJSON): any subset of the columns makes a row.
    keyed_rows: bool,
    /// Keyed values are stored only for the columns in `targets` (a listed INSERT).
    keys_restricted: bool,
    /// Keyed values in this row.
    keyed: usize,
    /// The row's first value that did not convert, reported at the row's end.
    convert_error: Option<IngestErrorKind>,
}

impl RowAssembler {
    fn new(table: Arc<Table>, keyed_rows: bool) -> Self {
        let n = table.columns.len();
        RowAssembler {
            targets: (0..n).collect(),
            values: vec![Value::Null; n],
            present: vec![false; n],
            width: 0,
            keyed_rows,
            keys_restricted: false,
            keyed: 0,
            convert_error: None,
            table,
        }
    }

    fn set_columns(&mut self, names: &[String]) -> Result<(), IngestErrorKind> {
        self.targets.clear();
        for name in names {
            let index = self
                .table
                .column_index(name)
                .ok_or_else(|| IngestErrorKind::UnknownColumn(name.clone()))?;
            if self.targets.contains(&index) {
                return Err(IngestErrorKind::DuplicateColumn(name.clone()));
            }
            self.targets.push(index);
        }
        Ok(())
    }

    /// The columns a statement listed, if any (see `IngestPlan::columns`).
    fn listed(&mut self, names: &[String]) -> Result<(), IngestErrorKind> {
        if names.is_empty() {
            return Ok(());
        }
        self.set_columns(names)?;
        self.keys_restricted = self.keyed_rows;
        Ok(())
    }

    fn start_row(&mut self) {
        self.width = 0;
        self.keyed = 0;
        self.convert_error = None;
        self.present.iter_mut().for_each(|p| *p = false);
    }

    fn value(
        &mut self,
        kind: Scalar,
        text: &str,
        opts: &ConvertOptions,
    ) -> Result<(), IngestErrorKind> {
        let position = self.width;
        self.width += 1;
        let Some(&index) = self.targets.get(position) else {
            // Too many values: reported with the count at the row's end.
            return Ok(());
        };
        let (Some(column), Some(slot)) =
            (self.table.columns.get(index), self.values.get_mut(index))
        else {
            return Ok(());
        };
        if let Err(e) = convert::json_scalar(column, kind, text, opts, slot) {
            // Kept until the row ends: a wrong row width is the clearer error, and the
            // peer checks it first.
            if self.convert_error.is_none() {
                self.convert_error = Some(IngestErrorKind::Convert {
                    index: position,
                    keyed: false,
                    column: column.name.to_string(),
                    type_name: column.ty.machbase_name(),
                    found: kind,
                    detail: e.detail,
                });
            }
        }
        if let Some(p) = self.present.get_mut(index) {
            *p = true;
        }
        Ok(())
    }

    /// A typed value (binary formats), by position.
    fn typed(&mut self, v: &Value, opts: &ConvertOptions) -> Result<(), IngestErrorKind> {
        let position = self.width;
        self.width += 1;
        let Some(&index) = self.targets.get(position) else {
            return Ok(());
        };
        let (Some(column), Some(slot)) =
            (self.table.columns.get(index), self.values.get_mut(index))
        else {
            return Ok(());
        };
        if let Err(e) = convert::typed_value(column, v, opts, slot)
            && self.convert_error.is_none()
        {
            self.convert_error = Some(IngestErrorKind::Convert {
                index: position,
                keyed: false,
                column: column.name.to_string(),
                type_name: column.ty.machbase_name(),
                found: Scalar::Number,
                detail: e.detail,
            });
        }
        if let Some(p) = self.present.get_mut(index) {
            *p = true;
        }
        Ok(())
    }

    /// A value named by key; keys that are not columns are ignored, as the peer does.
    fn keyed(
        &mut self,
        key: &str,
        kind: Scalar,
        text: &str,
        opts: &ConvertOptions,
    ) -> Result<(), IngestErrorKind> {
        let Some(index) = self.table.column_index(key) else {
            return Ok(());
        };
        if self.keys_restricted && !self.targets.contains(&index) {
            return Ok(());
        }
        let (Some(column), Some(slot)) =
            (self.table.columns.get(index), self.values.get_mut(index))
        else {
            return Ok(());
        };
        convert::json_scalar(column, kind, text, opts, slot).map_err(|e| {
            IngestErrorKind::Convert {
                index,
                keyed: true,
                column: column.name.to_string(),
                type_name: column.ty.machbase_name(),
                found: kind,
                detail: e.detail,
            }
        })?;
        if let Some(p) = self.present.get_mut(index) {
            *p = true;
        }
        self.keyed += 1;
        Ok(())
    }

    fn finish_row(&mut self, batch: &mut RowBatch, now_ns: i64) -> Result<(), IngestErrorKind> {
        if self.keyed_rows {
            if self.keyed == 0 {
                return Err(IngestErrorKind::NoKnownKey);
            }
        } else if self.width != self.targets.len() {
            return Err(IngestErrorKind::RowWidth {
                got: self.width,
                expected: self.targets.len(),
            });
        }
        if let Some(e) = self.convert_error.take() {
            return Err(e);
        }
        for (i, column) in self.table.columns.iter().enumerate() {
            if !self.present.get(i).copied().unwrap_or(false)
                && let Some(slot) = self.values.get_mut(i)
            {
                convert::default_value(column, now_ns, slot);
            }
        }
        batch.push(&self.values).map_err(IngestErrorKind::Batch)
    }
}

/// Rows written so far and the acknowledgements still outstanding.
struct Committer<'a> {
    store: &'a Store,
    durability: Durability,
    pending: Vec<(Ack, u64)>,
    stored: u64,
}

impl Committer<'_> {
    async fn submit(&mut self, batch: RowBatch) -> Result<(), StoreError> {
        let rows = batch.rows() as u64;
        let ack = self.store.submit(batch, self.durability).await?;
        self.pending.push((ack, rows));
        Ok(())
    }

    /// Waits for every outstanding batch; counts the rows of those that succeeded.
    async fn settle(&mut self) -> Result<(), StoreError> {
        let mut first_error = None;
        for (ack, rows) in self.pending.drain(..) {
            match ack.wait().await {
                Ok(()) => self.stored += rows,
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }
}

/// Decodes a body in the plan's format and stores its rows. Returns the number of rows
/// stored.
pub async fn ingest<S: ChunkSource>(
    store: &Store,
    body: &mut S,
    plan: IngestPlan,
) -> Result<u64, IngestError> {
    let mut body = Decompressed::new(body, plan.encoding, plan.inflate);
    let body = &mut body;
    match plan.format {
        BodyFormat::Json(shape) => run(store, body, &plan, JsonRowsDecoder::new(shape)).await,
        BodyFormat::Ndjson => {
            let decoder = NdjsonRowsDecoder::new(Arc::clone(&plan.table));
            run(store, body, &plan, decoder).await
        }
        BodyFormat::Csv { delimiter, header } => {
            run(store, body, &plan, CsvRowsDecoder::new(delimiter, header)).await
        }
        BodyFormat::Tsv { with_names } => {
            run(store, body, &plan, TsvRowsDecoder::new(with_names)).await
        }
        BodyFormat::JsonCompact => run(store, body, &plan, JsonCompactRowsDecoder::new()).await,
        BodyFormat::Native => run(store, body, &plan, NativeRowsDecoder::new()).await,
        BodyFormat::RowBinary => {
            // The values' layouts are the target columns' types; an unknown listed column
            // is reported by `RowAssembler::listed` before any byte is read.
            let table = &plan.table;
            let types = if plan.columns.is_empty() {
                table
                    .columns
                    .iter()
                    .map(|c| BinaryType::of_column(&c.ty, c.nullable))
                    .collect()
            } else {
                plan.columns
                    .iter()
                    .filter_map(|n| table.column_index(n).and_then(|i| table.columns.get(i)))
                    .map(|c| BinaryType::of_column(&c.ty, c.nullable))
                    .collect()
            };
            run(store, body, &plan, RowBinaryRowsDecoder::new(types)).await
        }
    }
}

async fn run<S, D>(
    store: &Store,
    body: &mut S,
    plan: &IngestPlan,
    decoder: D,
) -> Result<u64, IngestError>
where
    S: ChunkSource,
    D: RowDecoder,
    D::Error: Into<IngestErrorKind>,
{
    let mut run = Run {
        decoder,
        rows: RowAssembler::new(Arc::clone(&plan.table), plan.format == BodyFormat::Ndjson),
        batch: RowBatch::new(Arc::clone(&plan.table), plan.convert.now_ns),
        committer: Committer {
            store,
            durability: plan.durability,
            pending: Vec::new(),
            stored: 0,
        },
        row_number: 0,
        in_row: false,
        plan,
    };
    let result = match run.rows.listed(&plan.columns) {
        Ok(()) => run.drive(body).await,
        Err(e) => Err(e),
    };
    let settled = run.committer.settle().await;
    let row = match &result {
        Err(
            IngestErrorKind::UnknownColumn(_)
            | IngestErrorKind::DuplicateColumn(_)
            | IngestErrorKind::Inflate(_),
        ) => 0,
        // The CSV and TSV decoders count rows themselves: a record can fail before its
        // first field.
        Err(IngestErrorKind::Csv(e)) => e.row,
        Err(IngestErrorKind::Tsv(e)) => e.row,
        Err(IngestErrorKind::RowBinary(e)) => e.row,
        // An NDJSON row can fail before it starts (`[1,2]` is no object).
        Err(IngestErrorKind::Shape(_)) if !run.in_row && plan.format == BodyFormat::Ndjson => {
            run.row_number + 1
        }
        _ => run.row_number,
    };
    match (result, settled) {
        (Ok(()), Ok(())) => Ok(run.committer.stored),
        (Err(kind), _) => Err(IngestError {
            kind,
            row,
            rows_stored: run.committer.stored,
        }),
        (Ok(()), Err(e)) => Err(IngestError {
            kind: IngestErrorKind::Store(e),
            row: 0,
            rows_stored: run.committer.stored,
        }),
    }
}

/// One request's decoding state: decoder, the row being assembled, the batch being filled.
struct Run<'a, D> {
    decoder: D,
    rows: RowAssembler,
    batch: RowBatch,
    committer: Committer<'a>,
    /// 1-based number of the row being decoded, or of the last one.
    row_number: u64,
    /// Whether the decoder is inside row `row_number`.
    in_row: bool,
    plan: &'a IngestPlan,
}

impl<D> Run<'_, D>
where
    D: RowDecoder,
    D::Error: Into<IngestErrorKind>,
{
    /// Pulls the body (already inflated by its source) through the decoder until it ends.
    /// An uncompressed body stops being read once the decoder saw its end; a compressed one
    /// is read to its end, so the inflater checks the rest of the compressed stream.
    async fn drive<S: ChunkSource>(&mut self, source: &mut S) -> Result<(), IngestErrorKind> {
        let read_to_end = self.plan.encoding.is_some();
        loop {
            let chunk = source.chunk().await?;
            let at_end = chunk.is_empty();
            let decoder_ended = self.feed(chunk).await?;
            if at_end || (decoder_ended && !read_to_end) {
                return Ok(());
            }
        }
    }

    /// Feeds one piece of the body; an empty piece is the end. Returns whether the decoder
    /// reached its end.
    async fn feed(&mut self, piece: &[u8]) -> Result<bool, IngestErrorKind> {
        let at_end = piece.is_empty();
        let mut rest = piece;
        loop {
            if rest.is_empty() && !at_end {
                return Ok(false);
            }
            let (step, used) = self.decoder.next(rest).map_err(Into::into)?;
            rest = rest.get(used..).unwrap_or_default();
            let opts = &self.plan.convert;
            match step {
                Step::NeedInput if at_end => {
                    // A decoder reports End or an error at the end of the body; asking for
                    // more would be a decoder bug, reported rather than looping.
                    return Err(IngestErrorKind::Body(BodyError {
                        kind: BodyErrorKind::Truncated,
                        detail: String::new(),
                    }));
                }
                Step::NeedInput => return Ok(false),
                Step::Columns => self.rows.set_columns(self.decoder.columns())?,
                Step::RowStart => {
                    self.row_number += 1;
                    self.in_row = true;
                    self.rows.start_row();
                }
                Step::Value(kind) => self.rows.value(kind, self.decoder.text(), opts)?,
                Step::Typed => self.rows.typed(self.decoder.value(), opts)?,
                Step::Keyed(kind) => {
                    self.rows
                        .keyed(self.decoder.key(), kind, self.decoder.text(), opts)?
                }
                Step::RowEnd => {
                    self.rows.finish_row(&mut self.batch, opts.now_ns)?;
                    self.in_row = false;
                    if self.batch.is_full() {
                        let fresh = RowBatch::new(Arc::clone(&self.plan.table), opts.now_ns);
                        let full = std::mem::replace(&mut self.batch, fresh);
                        self.committer
                            .submit(full)
                            .await
                            .map_err(IngestErrorKind::Store)?;
                    }
                }
                Step::End => {
                    if !self.batch.is_empty() {
                        let fresh = RowBatch::new(Arc::clone(&self.plan.table), opts.now_ns);
                        let last = std::mem::replace(&mut self.batch, fresh);
                        self.committer
                            .submit(last)
                            .await
                            .map_err(IngestErrorKind::Store)?;
                    }
                    return Ok(true);
                }
            }
        }
    }
}
