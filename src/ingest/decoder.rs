//! The contract between the body decoders (JSON rows, NDJSON, CSV) and the ingest pipeline.
//!
//! A decoder is a resumable state machine over body bytes: `next` takes whatever bytes are
//! at hand and reports at most one step, so a body can be split at any byte and give the
//! same steps. An empty `input` means the body ended; a caller whose chunk is used up
//! fetches the next chunk instead of passing an empty slice.

use super::convert::Scalar;
use crate::value::Value;

/// `value()` of a decoder that reports no typed values.
static NO_VALUE: Value = Value::Null;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    NeedInput,
    /// The body named its columns: `columns()` holds them. Comes before any value.
    Columns,
    RowStart,
    /// The next value of the current row, by position; its text is in `text()`.
    Value(Scalar),
    /// A value named by key (NDJSON): the key is in `key()`, the text in `text()`.
    Keyed(Scalar),
    /// The next value of the current row, by position, already typed (binary formats):
    /// it is in `value()`.
    Typed,
    RowEnd,
    End,
}

pub trait RowDecoder {
    type Error;

    /// Advances by at most one step; returns the step and the bytes of `input` consumed.
    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), Self::Error>;

    /// The column names announced by the last `Columns` step.
    fn columns(&self) -> &[String];

    /// The text of the last `Value` or `Keyed` step.
    fn text(&self) -> &str;

    /// The key of the last `Keyed` step.
    fn key(&self) -> &str {
        ""
    }

    /// The value of the last `Typed` step.
    fn value(&self) -> &Value {
        &NO_VALUE
    }
}

/// Runs `decoder` over `chunks` (an empty chunk only at the end), rendering steps as text,
/// so tests can compare a whole body with the same body split anywhere.
#[cfg(test)]
pub fn walk<D: RowDecoder>(mut decoder: D, chunks: &[&[u8]]) -> Result<Vec<String>, String>
where
    D::Error: std::fmt::Debug,
{
    let mut out = Vec::new();
    let mut chunks: Vec<&[u8]> = chunks.iter().copied().filter(|c| !c.is_empty()).collect();
    chunks.push(b"");
    for chunk in chunks {
        let at_end = chunk.is_empty();
        let mut rest = chunk;
        loop {
            if rest.is_empty() && !at_end {
                break;
            }
            let (step, used) = decoder.next(rest).map_err(|e| format!("{e:?}"))?;
            rest = rest.get(used..).ok_or("consumed more than given")?;
            match step {
                Step::NeedInput => break,
                Step::Columns => out.push(format!("cols:{}", decoder.columns().join(","))),
                Step::RowStart => out.push("[".into()),
                Step::Value(Scalar::Null) => out.push("Null".into()),
                Step::Value(k) => out.push(format!("{k:?}:{}", decoder.text())),
                Step::Keyed(Scalar::Null) => out.push(format!("{}=Null", decoder.key())),
                Step::Keyed(k) => out.push(format!("{}={k:?}:{}", decoder.key(), decoder.text())),
                Step::Typed => out.push(format!("T:{:?}", decoder.value())),
                Step::RowEnd => out.push("]".into()),
                Step::End => {
                    out.push("end".into());
                    return Ok(out);
                }
            }
        }
    }
    Err("no end".into())
}

/// `walk` over the whole body and over the body split in two at every byte; asserts they
/// agree and returns the result.
#[cfg(test)]
pub fn walk_every_split<D: RowDecoder>(
    make: impl Fn() -> D,
    body: &[u8],
) -> Result<Vec<String>, String>
where
    D::Error: std::fmt::Debug,
{
    let whole = walk(make(), &[body]);
    for i in 0..=body.len() {
        let (a, b) = body.split_at(i);
        assert_eq!(walk(make(), &[a, b]), whole, "split at {i}");
    }
    // And byte by byte.
    let bytes: Vec<&[u8]> = body.chunks(1).collect();
    assert_eq!(walk(make(), &bytes), whole, "byte by byte");
    whole
}
