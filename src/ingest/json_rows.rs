//! Walks a JSON body of rows in either dialect's shape, on top of the streaming tokenizer.
//!
//! - Machbase: `{"data":{"columns":[names],"rows":[[v,...],...]}}`, `columns` optional; also
//!   a bare `[[v,...],...]`. Keys match case-insensitively; other keys are skipped.
//! - Proton: `{"columns":[names],"data":[[v,...],...]}`, both required, in that order.
//!
//! Like the tokenizer it resumes at any byte and allocates nothing per row: a `Value` step
//! leaves the scalar's text in `text()`. Limitation: the row array must come after the
//! column list (a client that sends `rows` first gets a clear error, not a buffered body).

use super::convert::Scalar;
use super::decoder::{RowDecoder, Step};
use super::json::{JsonError, Position, Step as TokStep, Token, Tokenizer};
use crate::limits::FIELD_BYTES_MAX;

/// Most names in a body's column list.
const COLUMNS_MAX: usize = 4096;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Machbase,
    Proton,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ShapeError {
    Json(JsonError),
    /// The body is valid JSON but not the expected shape; the message says what was expected.
    Shape {
        message: String,
        at: Position,
    },
    /// Proton's request-level checks, with the peer's texts.
    ColumnsMissing,
    ColumnsInvalid,
    ColumnsEmpty,
    DataMissing,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Start,
    /// In the top object, expecting a key or its end.
    Top,
    /// Machbase `data` object.
    Data,
    /// About to read the value of a key that matters.
    ExpectData,
    ExpectColumns,
    ExpectRows,
    Columns,
    /// Inside the rows array, between rows.
    Rows,
    InRow,
    /// Skipping a value nested deeper than `depth` (any key we do not know).
    Skip {
        depth: usize,
        back: Back,
    },
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Back {
    Top,
    Data,
}

pub struct JsonRowsDecoder {
    tok: Tokenizer,
    shape: Shape,
    state: State,
    columns: Vec<String>,
    seen_columns: bool,
    seen_rows: bool,
}

impl JsonRowsDecoder {
    pub fn new(shape: Shape) -> Self {
        JsonRowsDecoder {
            tok: Tokenizer::with_text_bytes_max(FIELD_BYTES_MAX),
            shape,
            state: State::Start,
            columns: Vec::new(),
            seen_columns: false,
            seen_rows: false,
        }
    }

    fn shape_error(&self, message: &str) -> ShapeError {
        ShapeError::Shape {
            message: message.to_owned(),
            at: self.tok.token_start(),
        }
    }

    fn key_is(&self, name: &str) -> bool {
        self.tok.text_str().eq_ignore_ascii_case(name)
    }
}

impl RowDecoder for JsonRowsDecoder {
    type Error = ShapeError;

    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn text(&self) -> &str {
        self.tok.text_str()
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), ShapeError> {
        let mut used = 0;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            // An empty slice tells the tokenizer the body ended: pass one only when the
            // caller did (`input` empty), never because this chunk is used up.
            if rest.is_empty() && !input.is_empty() {
                return Ok((Step::NeedInput, used));
            }
            if self.state == State::Done {
                // Only whitespace may follow; the tokenizer checks and reports End.
                let (step, n) = self.tok.next(rest).map_err(ShapeError::Json)?;
                used += n;
                return match step {
                    TokStep::End => Ok((Step::End, used)),
                    TokStep::NeedInput => Ok((Step::NeedInput, used)),
                    TokStep::Token(_) => Err(self.shape_error("unexpected data after the body")),
                };
            }
            let (step, n) = self.tok.next(rest).map_err(ShapeError::Json)?;
            used += n;
            let token = match step {
                TokStep::NeedInput => return Ok((Step::NeedInput, used)),
                // The tokenizer reports an unfinished document as an error; End means the
                // top-level value closed, which `Done` handles.
                TokStep::End => return Ok((Step::End, used)),
                TokStep::Token(t) => t,
            };
            if let Some(step) = self.on_token(token)? {
                return Ok((step, used));
            }
        }
    }
}

impl JsonRowsDecoder {
    fn on_token(&mut self, token: Token) -> Result<Option<Step>, ShapeError> {
        use State::*;
        match (self.state, token) {
            (Start, Token::ObjectStart) => self.state = Top,
            (Start, Token::ArrayStart) if self.shape == Shape::Machbase => {
                self.seen_rows = true;
                self.state = Rows;
            }
            (Start, _) => {
                return Err(match self.shape {
                    Shape::Proton => ShapeError::ColumnsMissing,
                    Shape::Machbase => self.shape_error("expected a JSON object {\"data\":{...}}"),
                });
            }
            (Top, Token::Key) => match self.shape {
                Shape::Machbase if self.key_is("data") => self.state = ExpectData,
                Shape::Proton if self.key_is("columns") => self.state = ExpectColumns,
                Shape::Proton if self.key_is("data") => {
                    if !self.seen_columns {
                        return Err(ShapeError::ColumnsMissing);
                    }
                    self.state = ExpectRows;
                }
                _ => self.begin_skip(Back::Top),
            },
            (Top, Token::ObjectEnd) => {
                if self.shape == Shape::Proton {
                    if !self.seen_columns {
                        return Err(ShapeError::ColumnsMissing);
                    }
                    if !self.seen_rows {
                        return Err(ShapeError::DataMissing);
                    }
                }
                self.state = Done;
            }
            (ExpectData, Token::ObjectStart) => self.state = Data,
            (ExpectData, _) => return Err(self.shape_error("'data' field should be an object")),
            (Data, Token::Key) => {
                if self.key_is("columns") {
                    self.state = ExpectColumns;
                } else if self.key_is("rows") {
                    self.state = ExpectRows;
                } else {
                    self.begin_skip(Back::Data);
                }
            }
            (Data, Token::ObjectEnd) => self.state = Top,
            (ExpectColumns, Token::ArrayStart) => {
                if self.seen_rows {
                    return Err(self.shape_error(
                        "the column list must come before the rows; send \"columns\" first",
                    ));
                }
                self.columns.clear();
                self.state = Columns;
            }
            (ExpectColumns, _) => {
                return Err(match self.shape {
                    Shape::Proton => ShapeError::ColumnsInvalid,
                    Shape::Machbase => self.shape_error("'columns' should be an array of names"),
                });
            }
            (Columns, Token::String) => {
                if self.columns.len() >= COLUMNS_MAX {
                    return Err(self.shape_error("more than 4096 names in the column list"));
                }
                self.columns.push(self.tok.text_str().to_owned());
            }
            (Columns, Token::ArrayEnd) => {
                self.seen_columns = true;
                self.state = self.back_from_value();
                if self.columns.is_empty() {
                    if self.shape == Shape::Proton {
                        return Err(ShapeError::ColumnsEmpty);
                    }
                    // Machbase: an empty list counts as absent (reference §1.4).
                    self.seen_columns = false;
                    return Ok(None);
                }
                return Ok(Some(Step::Columns));
            }
            (Columns, _) => {
                return Err(match self.shape {
                    Shape::Proton => ShapeError::ColumnsInvalid,
                    Shape::Machbase => self.shape_error("column names must be strings"),
                });
            }
            (ExpectRows, Token::ArrayStart) => {
                self.seen_rows = true;
                self.state = Rows;
            }
            (ExpectRows, _) => {
                return Err(self.shape_error(match self.shape {
                    Shape::Proton => "'data' field should be an array of rows",
                    Shape::Machbase => "'rows' field should be an array",
                }));
            }
            (Rows, Token::ArrayStart) => {
                self.state = InRow;
                return Ok(Some(Step::RowStart));
            }
            (Rows, Token::ArrayEnd) => {
                self.state = if self.tok.depth() == 0 {
                    Done
                } else {
                    self.back_from_value()
                };
            }
            (Rows, _) => return Err(self.shape_error("each row must be an array of values")),
            (InRow, Token::ArrayEnd) => {
                self.state = Rows;
                return Ok(Some(Step::RowEnd));
            }
            (InRow, Token::String) => return Ok(Some(Step::Value(Scalar::String))),
            (InRow, Token::Number) => return Ok(Some(Step::Value(Scalar::Number))),
            (InRow, Token::True) => return Ok(Some(Step::Value(Scalar::True))),
            (InRow, Token::False) => return Ok(Some(Step::Value(Scalar::False))),
            (InRow, Token::Null) => return Ok(Some(Step::Value(Scalar::Null))),
            (InRow, _) => {
                return Err(self.shape_error(
                    "a row value must be a string, number, true, false or null, not an array or object",
                ));
            }
            (Skip { depth, back }, _) => {
                if self.tok.depth() <= depth {
                    self.state = match back {
                        Back::Top => Top,
                        Back::Data => Data,
                    };
                }
            }
            (Done, _) => return Err(self.shape_error("unexpected data after the body")),
            (Top | Data, _) => return Err(self.shape_error("expected a key")),
        }
        Ok(None)
    }

    /// Skips the value after an unknown key: the next token decides whether it is a scalar.
    fn begin_skip(&mut self, back: Back) {
        self.state = State::Skip {
            depth: self.tok.depth(),
            back,
        };
    }

    fn back_from_value(&self) -> State {
        match (self.shape, self.tok.depth()) {
            (Shape::Machbase, 2) => State::Data,
            _ => State::Top,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    fn every_split(shape: Shape, body: &[u8]) -> Result<Vec<String>, String> {
        walk_every_split(|| JsonRowsDecoder::new(shape), body)
    }

    #[test]
    fn machbase_body_with_extra_keys() {
        let body = br#"{"x":{"y":[1,{"z":2}]},"data":{"columns":["name","time","value"],"junk":3,"rows":[["a",1,1.5],["b",2,null]]},"tail":true}"#;
        assert_eq!(
            every_split(Shape::Machbase, body).unwrap(),
            [
                "cols:name,time,value",
                "[",
                "String:a",
                "Number:1",
                "Number:1.5",
                "]",
                "[",
                "String:b",
                "Number:2",
                "Null",
                "]",
                "end"
            ]
        );
    }

    #[test]
    fn machbase_rows_only_and_missing_data() {
        assert_eq!(
            every_split(Shape::Machbase, br#"[["a",1]]"#).unwrap(),
            ["[", "String:a", "Number:1", "]", "end"]
        );
        assert_eq!(every_split(Shape::Machbase, b"{}").unwrap(), ["end"]);
    }

    #[test]
    fn proton_body_and_request_errors() {
        let body = br#"{"columns":["id","name"],"data":[[1,"hello"],[2,"world"]]}"#;
        assert_eq!(
            every_split(Shape::Proton, body).unwrap(),
            [
                "cols:id,name",
                "[",
                "Number:1",
                "String:hello",
                "]",
                "[",
                "Number:2",
                "String:world",
                "]",
                "end"
            ]
        );
        assert_eq!(
            every_split(Shape::Proton, br#"{"data":[[1,"a"]]}"#),
            Err("ColumnsMissing".into())
        );
        assert_eq!(
            every_split(Shape::Proton, br#"{"columns":["id"]}"#),
            Err("DataMissing".into())
        );
        assert_eq!(
            every_split(Shape::Proton, br#"{"columns":"id","data":[[1]]}"#),
            Err("ColumnsInvalid".into())
        );
        assert_eq!(
            every_split(Shape::Proton, br#"{"columns":[],"data":[[1]]}"#),
            Err("ColumnsEmpty".into())
        );
    }

    #[test]
    fn nested_value_in_a_row_is_refused() {
        let err = every_split(Shape::Proton, br#"{"columns":["a"],"data":[[[1]]]}"#).unwrap_err();
        assert!(err.contains("not an array or object"), "{err}");
    }
}
