//! A small JSON document tree for control bodies (query requests), built on the streaming
//! tokenizer. Only for bodies already capped at `CONTROL_BODY_BYTES_MAX`; ingest bodies never
//! become trees.

use crate::ingest::json::{JsonError, Step, Token, Tokenizer};
use crate::limits::CONTROL_BODY_BYTES_MAX;

#[derive(Debug, Clone, PartialEq)]
pub enum JsonValue {
    Null,
    Bool(bool),
    /// The number's literal text, so integers stay exact.
    Number(String),
    String(String),
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>),
}

impl JsonValue {
    pub fn as_str(&self) -> Option<&str> {
        match self {
            JsonValue::String(s) => Some(s),
            _ => None,
        }
    }
}

enum Frame {
    Array(Vec<JsonValue>),
    Object(Vec<(String, JsonValue)>, Option<String>),
}

pub fn parse(bytes: &[u8]) -> Result<JsonValue, JsonError> {
    // A control body may be one SQL string; the body's own cap bounds it.
    let mut tok = Tokenizer::with_text_bytes_max(CONTROL_BODY_BYTES_MAX);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root = None;
    let mut input = bytes;
    loop {
        let (step, used) = tok.next(input)?;
        input = input.get(used..).unwrap_or_default();
        let token = match step {
            Step::End => return Ok(root.unwrap_or(JsonValue::Null)),
            Step::NeedInput => continue,
            Step::Token(t) => t,
        };
        let value = match token {
            Token::ObjectStart => {
                stack.push(Frame::Object(Vec::new(), None));
                continue;
            }
            Token::ArrayStart => {
                stack.push(Frame::Array(Vec::new()));
                continue;
            }
            Token::Key => {
                if let Some(Frame::Object(_, key)) = stack.last_mut() {
                    *key = Some(tok.text_str().to_owned());
                }
                continue;
            }
            Token::ObjectEnd | Token::ArrayEnd => match stack.pop() {
                Some(Frame::Object(members, _)) => JsonValue::Object(members),
                Some(Frame::Array(items)) => JsonValue::Array(items),
                None => JsonValue::Null,
            },
            Token::String => JsonValue::String(tok.text_str().to_owned()),
            Token::Number => JsonValue::Number(tok.text_str().to_owned()),
            Token::True => JsonValue::Bool(true),
            Token::False => JsonValue::Bool(false),
            Token::Null => JsonValue::Null,
        };
        match stack.last_mut() {
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Object(members, key)) => {
                members.push((key.take().unwrap_or_default(), value));
            }
            None => root = Some(value),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_document() {
        let v = parse(br#"{"q":"select 1","p":[1,"a",null,true],"o":{"x":-1.5}}"#).unwrap();
        let string = |s: &str| JsonValue::String(s.into());
        assert_eq!(
            v,
            JsonValue::Object(vec![
                ("q".into(), string("select 1")),
                (
                    "p".into(),
                    JsonValue::Array(vec![
                        JsonValue::Number("1".into()),
                        string("a"),
                        JsonValue::Null,
                        JsonValue::Bool(true)
                    ])
                ),
                (
                    "o".into(),
                    JsonValue::Object(vec![("x".into(), JsonValue::Number("-1.5".into()))])
                ),
            ])
        );
        assert!(parse(b"{\"a\":}").is_err());
    }
}
