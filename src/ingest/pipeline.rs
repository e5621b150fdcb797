//! The async loop that feeds body chunks through the decoder into batches for the writer.
//!
//! Invariants:
//! - A body whose rows fit one batch is all-or-nothing: nothing is submitted before the body
//!   ends without error.
//! - A larger body is committed batch by batch; on an error, `rows_stored` is exactly the
//!   number of rows in batches the writer acknowledged.
//! - Per-row work allocates nothing once the row buffers have grown.

use std::sync::Arc;

use super::convert::{self, ConvertOptions, Scalar};
use super::json_rows::{JsonRowsDecoder, Shape, ShapeError, Step};
use crate::catalog::Table;
use crate::server::Body;
use crate::server::http::BodyError;
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
    /// A value did not convert; `index` is the 0-based position in the row.
    Convert {
        index: usize,
        column: String,
        type_name: &'static str,
        found: Scalar,
        detail: String,
    },
    Batch(BatchError),
    Body(BodyError),
    Store(StoreError),
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
    pub shape: Shape,
    pub durability: Durability,
    pub convert: ConvertOptions,
}

/// Maps each value position of a row to a table column and assembles the row.
struct RowAssembler {
    table: Arc<Table>,
    /// Table column index per position in the body's column list.
    targets: Vec<usize>,
    values: Vec<Value>,
    present: Vec<bool>,
    width: usize,
}

impl RowAssembler {
    fn new(table: Arc<Table>) -> Self {
        let n = table.columns.len();
        RowAssembler {
            targets: (0..n).collect(),
            values: vec![Value::Null; n],
            present: vec![false; n],
            width: 0,
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

    fn start_row(&mut self) {
        self.width = 0;
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
        convert::json_scalar(column, kind, text, opts, slot).map_err(|e| {
            IngestErrorKind::Convert {
                index: position,
                column: column.name.to_string(),
                type_name: column.ty.machbase_name(),
                found: kind,
                detail: e.detail,
            }
        })?;
        if let Some(p) = self.present.get_mut(index) {
            *p = true;
        }
        Ok(())
    }

    fn finish_row(&mut self, batch: &mut RowBatch, now_ns: i64) -> Result<(), IngestErrorKind> {
        if self.width != self.targets.len() {
            return Err(IngestErrorKind::RowWidth {
                got: self.width,
                expected: self.targets.len(),
            });
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

/// Decodes a JSON body and stores its rows. Returns the number of rows stored.
pub async fn ingest_json(
    store: &Store,
    body: &mut Body,
    plan: IngestPlan,
) -> Result<u64, IngestError> {
    let mut decoder = JsonRowsDecoder::new(plan.shape);
    let mut rows = RowAssembler::new(Arc::clone(&plan.table));
    let mut batch = RowBatch::new(Arc::clone(&plan.table), plan.convert.now_ns);
    let mut committer = Committer {
        store,
        durability: plan.durability,
        pending: Vec::new(),
        stored: 0,
    };
    let mut row_number: u64 = 0;
    let result: Result<(), IngestErrorKind> = async {
        loop {
            let chunk = body.chunk().await.map_err(IngestErrorKind::Body)?;
            let at_end = chunk.is_empty();
            let mut rest = chunk;
            loop {
                if rest.is_empty() && !at_end {
                    break;
                }
                let (step, used) = decoder.next(rest).map_err(IngestErrorKind::Shape)?;
                rest = rest.get(used..).unwrap_or_default();
                match step {
                    Step::NeedInput => break,
                    Step::Columns => rows.set_columns(decoder.columns())?,
                    Step::RowStart => {
                        row_number += 1;
                        rows.start_row();
                    }
                    Step::Value(kind) => rows.value(kind, decoder.text(), &plan.convert)?,
                    Step::RowEnd => {
                        rows.finish_row(&mut batch, plan.convert.now_ns)?;
                        if batch.is_full() {
                            let full = std::mem::replace(
                                &mut batch,
                                RowBatch::new(Arc::clone(&plan.table), plan.convert.now_ns),
                            );
                            committer
                                .submit(full)
                                .await
                                .map_err(IngestErrorKind::Store)?;
                        }
                    }
                    Step::End => {
                        if !batch.is_empty() {
                            committer
                                .submit(batch)
                                .await
                                .map_err(IngestErrorKind::Store)?;
                        }
                        return Ok(());
                    }
                }
            }
            if at_end {
                // The decoder reports End or an error on the empty chunk; reaching here
                // would mean it asked for input after the body ended.
                return Err(IngestErrorKind::Body(BodyError {
                    kind: crate::server::http::BodyErrorKind::Truncated,
                    detail: String::new(),
                }));
            }
        }
    }
    .await;
    let settled = committer.settle().await;
    let row = match &result {
        Err(
            IngestErrorKind::Shape(_)
            | IngestErrorKind::UnknownColumn(_)
            | IngestErrorKind::DuplicateColumn(_),
        ) => 0,
        _ => row_number,
    };
    match (result, settled) {
        (Ok(()), Ok(())) => Ok(committer.stored),
        (Err(kind), _) => Err(IngestError {
            kind,
            row,
            rows_stored: committer.stored,
        }),
        (Ok(()), Err(e)) => Err(IngestError {
            kind: IngestErrorKind::Store(e),
            row: 0,
            rows_stored: committer.stored,
        }),
    }
}
