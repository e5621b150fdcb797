//! Walks a ClickHouse `JSONCompactEachRow` body (one JSON array of values per row, rows
//! separated by any whitespace) on top of the streaming tokenizer.
//!
//! - Each element of a row array is a positional `Value`; `null` is NULL.
//! - A nested array or object as a value is refused (tidegate stores no arrays or maps).
//! - Anything but an array at the top level is an error naming what was found.
//!
//! Memory: the tokenizer's text buffer; nothing per row.

use super::convert::Scalar;
use super::decoder::{RowDecoder, Step};
use super::json::{Step as TokStep, Token, Tokenizer};
use super::json_rows::ShapeError;
use crate::limits::FIELD_BYTES_MAX;

pub struct JsonCompactRowsDecoder {
    tok: Tokenizer,
}

impl JsonCompactRowsDecoder {
    pub fn new() -> Self {
        let mut tok = Tokenizer::with_text_bytes_max(FIELD_BYTES_MAX);
        tok.set_multiple_values(true);
        JsonCompactRowsDecoder { tok }
    }

    fn error(&self, message: &str) -> ShapeError {
        ShapeError::Shape {
            message: message.to_owned(),
            at: self.tok.token_start(),
        }
    }

    fn on_token(&mut self, token: Token) -> Result<Step, ShapeError> {
        let depth = self.tok.depth();
        Ok(match (token, depth) {
            (Token::ArrayStart, 1) => Step::RowStart,
            (Token::ArrayEnd, 0) => Step::RowEnd,
            (Token::String, 1) => Step::Value(Scalar::String),
            (Token::Number, 1) => Step::Value(Scalar::Number),
            (Token::True, 1) => Step::Value(Scalar::True),
            (Token::False, 1) => Step::Value(Scalar::False),
            (Token::Null, 1) => Step::Value(Scalar::Null),
            (Token::ArrayStart | Token::ObjectStart, _) if depth > 1 => {
                return Err(self.error(
                    "a row holds a nested array or object; tidegate stores no arrays or maps",
                ));
            }
            _ => {
                return Err(self.error(
                    "expected a row as a JSON array of values, as JSONCompactEachRow writes it",
                ));
            }
        })
    }
}

impl RowDecoder for JsonCompactRowsDecoder {
    type Error = ShapeError;

    fn columns(&self) -> &[String] {
        &[]
    }

    fn text(&self) -> &str {
        self.tok.text_str()
    }

    fn next(&mut self, input: &[u8]) -> Result<(Step, usize), ShapeError> {
        let rest = input;
        let (step, used) = self.tok.next(rest).map_err(ShapeError::Json)?;
        match step {
            TokStep::NeedInput => Ok((Step::NeedInput, used)),
            TokStep::End => Ok((Step::End, used)),
            TokStep::Token(token) => Ok((self.on_token(token)?, used)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::decoder::walk_every_split;

    fn walk(body: &[u8]) -> Result<Vec<String>, String> {
        walk_every_split(JsonCompactRowsDecoder::new, body)
    }

    #[test]
    fn rows_with_and_without_newlines() {
        assert_eq!(
            walk(b"[1, \"a\", null]\n[2,\"b\",true][3,\"c\",false]\n").unwrap(),
            [
                "[", "Number:1", "String:a", "Null", "]", "[", "Number:2", "String:b", "True:b",
                "]", "[", "Number:3", "String:c", "False:c", "]", "end"
            ]
        );
        assert_eq!(walk(b"").unwrap(), ["end"]);
        assert_eq!(walk(b"[]").unwrap(), ["[", "]", "end"]);
    }

    #[test]
    fn err_malformed_rows() {
        let err = walk(b"{\"a\":1}").unwrap_err();
        assert!(err.contains("expected a row as a JSON array"), "{err}");
        let err = walk(b"[1,[2]]").unwrap_err();
        assert!(err.contains("nested array or object"), "{err}");
        let err = walk(b"[1,2").unwrap_err();
        assert!(err.contains("UnexpectedEnd"), "{err}");
        let err = walk(b"[1,2]x").unwrap_err();
        assert!(err.contains("UnexpectedByte"), "{err}");
    }
}
