//! Walks an NDJSON body (one JSON object per row) on top of the streaming tokenizer, with
//! Machbase Neo's rules (reference machbase-neo-api.md §1.6).
//!
//! - Objects follow each other separated by any whitespace, newlines optional.
//! - Each member is reported as a `Keyed` value; the pipeline matches keys to columns
//!   case-insensitively, ignores keys that are not columns and gives missing columns their
//!   default. `null` is NULL.
//! - A nested object or array is skipped under a key that is not a column, and refused under
//!   one that is (a JSON column takes JSON text in a string, as the peer requires).
//! - Anything but an object at the top level is an error with Go's text.
//!
//! Memory: the tokenizer's text buffer and one key buffer; nothing per row.

use std::sync::Arc;

use super::convert::Scalar;
use super::decoder::{RowDecoder, Step};
use super::json::{Step as TokStep, Token, Tokenizer};
use super::json_rows::ShapeError;
use crate::catalog::Table;
use crate::limits::FIELD_BYTES_MAX;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Between objects.
    Between,
    /// In an object, expecting a key or its end.
    InObject,
    /// After a key, expecting its value.
    Value,
    /// Skipping a nested value under a key that is not a column.
    Skip,
}

pub struct NdjsonRowsDecoder {
    tok: Tokenizer,
    table: Arc<Table>,
    state: State,
    key: String,
}

impl NdjsonRowsDecoder {
    pub fn new(table: Arc<Table>) -> Self {
        let mut tok = Tokenizer::with_text_bytes_max(FIELD_BYTES_MAX);
        tok.set_multiple_values(true);
        NdjsonRowsDecoder {
            tok,
            table,
            state: State::Between,
            key: String::new(),
        }
    }

    fn error(&self, message: String) -> ShapeError {
        ShapeError::Shape {
            message,
            at: self.tok.token_start(),
        }
    }

    fn on_token(&mut self, token: Token) -> Result<Option<Step>, ShapeError> {
        let scalar = match token {
            Token::String => Some(Scalar::String),
            Token::Number => Some(Scalar::Number),
            Token::True => Some(Scalar::True),
            Token::False => Some(Scalar::False),
            Token::Null => Some(Scalar::Null),
            _ => None,
        };
        match (self.state, token) {
            (State::Between, Token::ObjectStart) => {
                self.state = State::InObject;
                Ok(Some(Step::RowStart))
            }
            (State::Between, _) => {
                let found = match token {
                    Token::ArrayStart => "array",
                    Token::String => "string",
                    Token::Number => "number",
                    Token::True | Token::False => "bool",
                    _ => "value",
                };
                Err(self.error(format!(
                    "json: cannot unmarshal {found} into Go value of type map[string]interface {{}}"
                )))
            }
            (State::InObject, Token::Key) => {
                self.key.clear();
                self.key.push_str(self.tok.text_str());
                self.state = State::Value;
                Ok(None)
            }
            (State::InObject, _) => {
                self.state = State::Between;
                Ok(Some(Step::RowEnd))
            }
            (State::Value, Token::ObjectStart | Token::ArrayStart) => {
                if self.table.column_index(&self.key).is_some() {
                    return Err(self.error(format!(
                        "field[{}] holds a JSON object or array; send JSON values as text in a string",
                        self.key
                    )));
                }
                self.state = State::Skip;
                Ok(None)
            }
            (State::Value, _) => {
                self.state = State::InObject;
                Ok(scalar.map(Step::Keyed))
            }
            (State::Skip, _) => {
                if self.tok.depth() == 1 {
                    self.state = State::InObject;
                }
                Ok(None)
            }
        }
    }
}

impl RowDecoder for NdjsonRowsDecoder {
    type Error = ShapeError;

    fn columns(&self) -> &[String] {
        &[]
    }

    fn text(&self) -> &str {
        self.tok.text_str()
    }

    fn key(&self) -> &str {
        &self.key
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), ShapeError> {
        let mut used = 0;
        loop {
            let rest = input.get(used..).unwrap_or_default();
            if rest.is_empty() && !input.is_empty() {
                return Ok((Step::NeedInput, used));
            }
            let (step, n) = self.tok.next(rest).map_err(ShapeError::Json)?;
            used += n;
            match step {
                TokStep::NeedInput => return Ok((Step::NeedInput, used)),
                TokStep::End => return Ok((Step::End, used)),
                TokStep::Token(token) => {
                    if let Some(step) = self.on_token(token)? {
                        return Ok((step, used));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Table;
    use crate::ingest::decoder::walk_every_split;

    fn table() -> Arc<Table> {
        Arc::new(Table::example(1, "EXAMPLE"))
    }

    fn walk(body: &[u8]) -> Result<Vec<String>, String> {
        let t = table();
        walk_every_split(|| NdjsonRowsDecoder::new(Arc::clone(&t)), body)
    }

    #[test]
    fn objects_with_and_without_newlines() {
        let body = br#"{"NAME":"a", "TIME":1, "VALUE":1.5}
{"name":"b","time":2,"value":null}{"VALUE":3}

"#;
        assert_eq!(
            walk(body).unwrap(),
            [
                "[",
                "NAME=String:a",
                "TIME=Number:1",
                "VALUE=Number:1.5",
                "]",
                "[",
                "name=String:b",
                "time=Number:2",
                "value=Null",
                "]",
                "[",
                "VALUE=Number:3",
                "]",
                "end"
            ]
        );
        assert_eq!(walk(b"").unwrap(), ["end"]);
        assert_eq!(walk(b" \n ").unwrap(), ["end"]);
    }

    #[test]
    fn nested_values_are_skipped_under_unknown_keys_only() {
        assert_eq!(
            walk(br#"{"meta":{"a":[1,{"b":2}]},"NAME":"x","tags":[]}"#).unwrap(),
            ["[", "NAME=String:x", "]", "end"]
        );
        let err = walk(br#"{"NAME":{"a":1}}"#).unwrap_err();
        assert!(err.contains("field[NAME] holds a JSON object"), "{err}");
    }

    #[test]
    fn malformed_bodies() {
        let err = walk(br#"[1,2]"#).unwrap_err();
        assert!(
            err.contains("cannot unmarshal array into Go value of type map[string]interface {}"),
            "{err}"
        );
        let err = walk(b"{\"NAME\":\"a\"}\n{\"NAME\":").unwrap_err();
        assert!(err.contains("UnexpectedEnd"), "{err}");
        let err = walk(b"{\"NAME\":\"a\"}\nx").unwrap_err();
        assert!(err.contains("UnexpectedByte"), "{err}");
        let err = walk(b"{\"NAME\":\"\xff\"}").unwrap_err();
        assert!(err.contains("InvalidUtf8"), "{err}");
    }
}
