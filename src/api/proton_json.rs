//! JSON for Proton's REST handlers other than ingest: request bodies in, Poco's text out.
//!
//! Bodies are read whole under `CONTROL_BODY_BYTES_MAX` and parsed into a tree; an empty body
//! is `{}`, as Proton treats a request without Content-Length (reference §2). Keys are checked
//! as Proton's `SchemaValidator` does: required keys in sorted order, then optional ones, with
//! its exact messages (400, code 408).
//!
//! Replies are written as Poco stringifies an object with indent 0: no spaces, keys in sorted
//! order (the callers write them sorted), `/` escaped as `\/` (reference §1.6).

use super::proton::error;
use crate::json_value::{self, JsonValue};
use crate::limits::CONTROL_BODY_BYTES_MAX;
use crate::output::slash_escaped_json_string;
use crate::server::http::BodyErrorKind;
use crate::server::{Request, Response};

/// The JSON type a schema asks of a key (Poco's names: `string`, `int`, `bool`, `array`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Int,
    Bool,
    Array,
}

fn has_kind(value: &JsonValue, kind: Kind) -> bool {
    match (kind, value) {
        (Kind::String, JsonValue::String(_))
        | (Kind::Bool, JsonValue::Bool(_))
        | (Kind::Array, JsonValue::Array(_)) => true,
        (Kind::Int, JsonValue::Number(n)) => n.parse::<i64>().is_ok(),
        _ => false,
    }
}

/// The member `key`, spelled exactly (Poco's objects are case-sensitive); the first if repeated.
pub fn member<'a>(object: &'a JsonValue, key: &str) -> Option<&'a JsonValue> {
    match object {
        JsonValue::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
        _ => None,
    }
}

/// `SchemaValidator::validateSchema`: each list is sorted by key, as Proton's `std::map` is.
pub fn validate(
    object: &JsonValue,
    required: &[(&str, Kind)],
    optional: &[(&str, Kind)],
) -> Result<(), String> {
    for (key, kind) in required {
        match member(object, key) {
            None => return Err(format!("Required param '{key}' is missing.")),
            Some(v) if !has_kind(v, *kind) => {
                return Err(format!("Invalid type of param '{key}'"));
            }
            Some(_) => {}
        }
    }
    for (key, kind) in optional {
        if let Some(v) = member(object, key)
            && !has_kind(v, *kind)
        {
            return Err(format!("Invalid type of param '{key}'"));
        }
    }
    Ok(())
}

/// Reads and parses the request body as a JSON object.
///
/// Difference (README compatibility table): a body that is not a JSON object answers 400 with
/// code 117, as a malformed ingest body does; Proton's Poco parser throws code 1000, a 500 that
/// retrying clients retry forever.
pub async fn read_object(request: &mut Request, id: &str) -> Result<JsonValue, Response> {
    let body = match request
        .body
        .read_to_vec(CONTROL_BODY_BYTES_MAX, "control_body_bytes_max")
        .await
    {
        Ok(b) => b,
        Err(e) => {
            let (status, code) = match e.kind {
                BodyErrorKind::TooLarge { .. } => (413, 229),
                _ => (400, 117),
            };
            let mut r = error(status, code, &e.to_string(), id);
            r.close = true;
            return Err(r);
        }
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(JsonValue::Object(Vec::new()));
    }
    match json_value::parse(&body) {
        Ok(v @ JsonValue::Object(_)) => Ok(v),
        Ok(_) => Err(error(
            400,
            117,
            "JSON: the request body must be a JSON object",
            id,
        )),
        Err(e) => Err(error(400, 117, &format!("JSON: {e}"), id)),
    }
}

/// Appends `s` as Poco's `JSONString` writes it: as ClickHouse does, without escaping the
/// line separators.
pub fn poco_string(s: &str, out: &mut Vec<u8>) {
    slash_escaped_json_string(s, false, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_messages_are_protons() {
        let v = json_value::parse(br#"{"name":1,"columns":[]}"#).unwrap();
        let required = [("columns", Kind::Array), ("name", Kind::String)];
        assert_eq!(
            validate(&v, &required, &[]),
            Err("Invalid type of param 'name'".to_owned())
        );
        let v = json_value::parse(br#"{"name":"x"}"#).unwrap();
        assert_eq!(
            validate(&v, &required, &[]),
            Err("Required param 'columns' is missing.".to_owned())
        );
        let v = json_value::parse(br#"{"name":"x","columns":[],"shards":1.5}"#).unwrap();
        assert_eq!(
            validate(&v, &required, &[("shards", Kind::Int)]),
            Err("Invalid type of param 'shards'".to_owned())
        );
        // Poco's keys are case-sensitive.
        let v = json_value::parse(br#"{"Name":"x","columns":[]}"#).unwrap();
        assert_eq!(
            validate(&v, &required, &[]),
            Err("Required param 'name' is missing.".to_owned())
        );
    }

    #[test]
    fn poco_escapes() {
        let mut out = Vec::new();
        poco_string("a/b\"\\\u{1}\u{b}\té", &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            r#""a\/b\"\\\u0001\u000B\té""#
        );
    }
}
