//! The `/db/query` request as the peer decodes it (reference machbase-neo-api.md §3.1,
//! `mods/server/svrmsg.go`): from GET parameters, a form body, or a JSON body. Names and
//! defaults are the peer's (`NewQueryRequest`); `src/api/machbase.rs` turns the fields into
//! tidegate types.
//!
//! GET and form values are strings read leniently, as the peer's `strBool`/`strInt`: an empty
//! value keeps the default, a bool is true for `true` (any case) or `1` and false for
//! anything else, a bad `precision` is -1. `delimiter` is read from JSON bodies only.
//! A JSON body is typed: each member must have its field's JSON type, else the reply is Go's
//! `json: cannot unmarshal <kind> into Go struct field QueryRequest.<name> of type <type>`,
//! for the first mismatch in document order, as `encoding/json` reports it.

use crate::json_value::{self, JsonValue};
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct QueryRequest {
    pub q: String,
    pub p: Vec<Value>,
    pub format: String,
    pub timeformat: String,
    pub tz: String,
    pub binaryformat: String,
    pub compress: String,
    pub precision: i64,
    pub rownum: bool,
    pub heading: bool,
    pub delimiter: String,
    pub box_style: String,
    pub box_separate_columns: bool,
    pub box_draw_border: bool,
    pub transpose: bool,
    pub rows_flatten: bool,
    pub rows_array: bool,
}

impl Default for QueryRequest {
    /// The peer's `NewQueryRequest`.
    fn default() -> QueryRequest {
        QueryRequest {
            q: String::new(),
            p: Vec::new(),
            format: "json".into(),
            timeformat: "ns".into(),
            tz: "UTC".into(),
            binaryformat: "hex".into(),
            compress: String::new(),
            precision: -1,
            rownum: false,
            heading: true,
            delimiter: ",".into(),
            box_style: "default".into(),
            box_separate_columns: true,
            box_draw_border: true,
            transpose: false,
            rows_flatten: false,
            rows_array: false,
        }
    }
}

/// Bind parameters `p` as values: integers without `.`/`e`/`E` are Int, other numbers Float;
/// arrays and objects are refused with the peer's text (`prefix` is `invalid p, ` for JSON
/// bodies).
fn bind_parameters(values: &[JsonValue], prefix: &str) -> Result<Vec<Value>, String> {
    values
        .iter()
        .map(|v| match v {
            JsonValue::Null => Ok(Value::Null),
            JsonValue::Bool(b) => Ok(Value::Bool(*b)),
            JsonValue::String(s) => Ok(Value::Str(s.clone())),
            JsonValue::Number(n) => {
                if n.contains(['.', 'e', 'E']) {
                    n.parse()
                        .map(Value::Float)
                        .map_err(|_| format!("{prefix}bad number {n}"))
                } else {
                    n.parse()
                        .map(Value::Int)
                        .map_err(|_| format!("{prefix}bad number {n}"))
                }
            }
            JsonValue::Array(_) => Err(format!(
                "{prefix}bind parameter must be scalar, got []interface {{}}"
            )),
            JsonValue::Object(_) => Err(format!(
                "{prefix}bind parameter must be scalar, got map[string]interface {{}}"
            )),
        })
        .collect()
}

/// The peer's `strBool`: empty keeps `default`; `true` in any case or `1` is true; any other
/// value is false (so `heading=no` turns the header off).
fn str_bool(value: Option<&str>, default: bool) -> bool {
    match value {
        None | Some("") => default,
        Some(v) => v.eq_ignore_ascii_case("true") || v == "1",
    }
}

/// The peer's `strInt`: empty or not an integer keeps `default`.
fn str_int(value: Option<&str>, default: i64) -> i64 {
    value.and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// Decodes GET parameters or a form body (`DecodeQuery`, `DecodePostForm`).
pub fn from_pairs(pairs: &[(String, String)]) -> Result<QueryRequest, String> {
    // gin's `Query(name)`: the first value, possibly empty.
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
    let text = |k: &str, default: String| match get(k) {
        None | Some("") => default,
        Some(v) => v.to_owned(),
    };
    let defaults = QueryRequest::default();
    let p = match get("p").map(str::trim) {
        None | Some("") => Vec::new(),
        Some(raw) => match json_value::parse(raw.as_bytes()) {
            Ok(JsonValue::Array(items)) => bind_parameters(&items, "")?,
            Ok(JsonValue::Null) => Vec::new(),
            Ok(other) => {
                return Err(format!(
                    "invalid p, json: cannot unmarshal {} into Go value of type []interface {{}}",
                    json_kind(&other)
                ));
            }
            Err(e) => return Err(format!("invalid p, {e}")),
        },
    };
    let mut heading = str_bool(get("heading"), defaults.heading);
    if get("header") == Some("skip") {
        heading = false;
    }
    Ok(QueryRequest {
        q: get("q").unwrap_or_default().to_owned(),
        p,
        format: text("format", defaults.format),
        timeformat: text("timeformat", defaults.timeformat),
        tz: text("tz", defaults.tz),
        binaryformat: text("binaryformat", defaults.binaryformat),
        compress: get("compress").unwrap_or_default().to_owned(),
        precision: str_int(get("precision"), defaults.precision),
        rownum: str_bool(get("rownum"), defaults.rownum),
        heading,
        // As the peer: not read from GET or forms.
        delimiter: defaults.delimiter,
        box_style: text("boxStyle", defaults.box_style),
        box_separate_columns: str_bool(get("boxSeparateColumns"), defaults.box_separate_columns),
        box_draw_border: str_bool(get("boxDrawBorder"), defaults.box_draw_border),
        transpose: str_bool(get("transpose"), defaults.transpose),
        rows_flatten: str_bool(get("rowsFlatten"), defaults.rows_flatten),
        rows_array: str_bool(get("rowsArray"), defaults.rows_array),
    })
}

/// A JSON member's kind as Go's `UnmarshalTypeError.Value` names it.
fn json_kind(v: &JsonValue) -> String {
    match v {
        JsonValue::Null => "null".into(),
        JsonValue::Bool(_) => "bool".into(),
        JsonValue::Number(_) => "number".into(),
        JsonValue::String(_) => "string".into(),
        JsonValue::Array(_) => "array".into(),
        JsonValue::Object(_) => "object".into(),
    }
}

fn type_error(kind: &str, field: &str, go_type: &str) -> String {
    format!(
        "json: cannot unmarshal {kind} into Go struct field QueryRequest.{field} of type {go_type}"
    )
}

/// The struct's JSON field names (`svrmsg.go` tags), matched as Go does: exactly, else
/// ignoring case.
const FIELDS: [&str; 19] = [
    "q",
    "p",
    "reply",
    "rowsFlatten",
    "rowsArray",
    "transpose",
    "timeformat",
    "tz",
    "format",
    "binaryformat",
    "compress",
    "precision",
    "rownum",
    "heading",
    "header",
    "delimiter",
    "boxStyle",
    "boxSeparateColumns",
    "boxDrawBorder",
];

/// Decodes a JSON body (`DecodeJSON`): members in document order, later ones overriding
/// earlier ones, `null` leaving a field as it is, unknown names ignored.
pub fn from_json(body: &[u8]) -> Result<QueryRequest, String> {
    let doc = json_value::parse(body).map_err(|e| e.to_string())?;
    let members = match doc {
        JsonValue::Object(members) => members,
        JsonValue::Null => Vec::new(),
        other => {
            return Err(format!(
                "json: cannot unmarshal {} into Go value of type server.QueryRequest",
                json_kind(&other)
            ));
        }
    };
    let mut req = QueryRequest::default();
    let mut header = String::new();
    let mut p = None;
    let mut first_error = None;
    for (key, value) in &members {
        let Some(field) = FIELDS
            .iter()
            .find(|f| **f == key)
            .or_else(|| FIELDS.iter().find(|f| f.eq_ignore_ascii_case(key)))
        else {
            continue;
        };
        if let Err(e) = set_field(&mut req, &mut header, &mut p, field, value) {
            // encoding/json keeps decoding after a type error and reports the first one.
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    if let Some(items) = p {
        req.p = bind_parameters(items, "invalid p, ")?;
    }
    if header == "skip" {
        req.heading = false;
    }
    Ok(req)
}

fn set_field<'a>(
    req: &mut QueryRequest,
    header: &mut String,
    p: &mut Option<&'a [JsonValue]>,
    field: &str,
    value: &'a JsonValue,
) -> Result<(), String> {
    if *value == JsonValue::Null {
        return Ok(());
    }
    let string = |slot: &mut String| match value {
        JsonValue::String(s) => {
            slot.clone_from(s);
            Ok(())
        }
        other => Err(type_error(&json_kind(other), field, "string")),
    };
    let boolean = |slot: &mut bool| match value {
        JsonValue::Bool(b) => {
            *slot = *b;
            Ok(())
        }
        other => Err(type_error(&json_kind(other), field, "bool")),
    };
    match field {
        "q" => string(&mut req.q),
        "reply" => string(&mut String::new()),
        "timeformat" => string(&mut req.timeformat),
        "tz" => string(&mut req.tz),
        "format" => string(&mut req.format),
        "binaryformat" => string(&mut req.binaryformat),
        "compress" => string(&mut req.compress),
        "header" => string(header),
        "delimiter" => string(&mut req.delimiter),
        "boxStyle" => string(&mut req.box_style),
        "rowsFlatten" => boolean(&mut req.rows_flatten),
        "rowsArray" => boolean(&mut req.rows_array),
        "transpose" => boolean(&mut req.transpose),
        "rownum" => boolean(&mut req.rownum),
        "heading" => boolean(&mut req.heading),
        "boxSeparateColumns" => boolean(&mut req.box_separate_columns),
        "boxDrawBorder" => boolean(&mut req.box_draw_border),
        "precision" => match value {
            // Go's int is 64-bit; a fraction or an overflow names the literal.
            JsonValue::Number(n) => match n.parse::<i64>() {
                Ok(v) => {
                    req.precision = v;
                    Ok(())
                }
                Err(_) => Err(type_error(&format!("number {n}"), field, "int")),
            },
            other => Err(type_error(&json_kind(other), field, "int")),
        },
        "p" => match value {
            JsonValue::Array(items) => {
                *p = Some(items);
                Ok(())
            }
            other => Err(type_error(&json_kind(other), field, "[]interface {}")),
        },
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(query: &str) -> Vec<(String, String)> {
        crate::server::http::parse_form(query)
    }

    #[test]
    fn get_defaults_are_the_peers() {
        assert_eq!(from_pairs(&pairs("")).unwrap(), QueryRequest::default());
        // Empty values keep the defaults.
        let r = from_pairs(&pairs("q=x&format=&timeformat=&tz=&precision=&heading=")).unwrap();
        assert_eq!(
            r,
            QueryRequest {
                q: "x".into(),
                ..QueryRequest::default()
            }
        );
    }

    #[test]
    fn get_reads_every_parameter_leniently() {
        let r = from_pairs(&pairs(
            "q=select+1&p=[1,2.5,\"a\",true,null]&format=box&timeformat=s&tz=KST&binaryformat=base64&compress=gzip&precision=3&rownum=TRUE&heading=1&boxStyle=light&boxSeparateColumns=no&boxDrawBorder=0&transpose=1&rowsFlatten=True&rowsArray=yes&delimiter=;",
        ))
        .unwrap();
        assert_eq!(
            r,
            QueryRequest {
                q: "select 1".into(),
                p: vec![
                    Value::Int(1),
                    Value::Float(2.5),
                    Value::Str("a".into()),
                    Value::Bool(true),
                    Value::Null
                ],
                format: "box".into(),
                timeformat: "s".into(),
                tz: "KST".into(),
                binaryformat: "base64".into(),
                compress: "gzip".into(),
                precision: 3,
                rownum: true,
                heading: true,
                delimiter: ",".into(),
                box_style: "light".into(),
                box_separate_columns: false,
                box_draw_border: false,
                transpose: true,
                rows_flatten: true,
                rows_array: false,
            }
        );
        // `heading=no` is false; `header=skip` (exactly) turns the header off too.
        assert!(!from_pairs(&pairs("heading=no")).unwrap().heading);
        assert!(!from_pairs(&pairs("header=skip")).unwrap().heading);
        assert!(from_pairs(&pairs("header=SKIP")).unwrap().heading);
        assert_eq!(from_pairs(&pairs("precision=x")).unwrap().precision, -1);
        assert_eq!(
            from_pairs(&pairs("p={}")).unwrap_err(),
            "invalid p, json: cannot unmarshal object into Go value of type []interface {}"
        );
        assert_eq!(
            from_pairs(&pairs("p=[[\"temp\"]]")).unwrap_err(),
            "bind parameter must be scalar, got []interface {}"
        );
    }

    #[test]
    fn json_is_typed_like_go() {
        let r = from_json(
            br#"{"Q":"select 1","p":[1],"format":"csv","rownum":true,"heading":false,"precision":2,"delimiter":";","transpose":true,"rowsFlatten":true,"rowsArray":true,"boxStyle":"round","boxSeparateColumns":false,"boxDrawBorder":false,"compress":"gzip","tz":"KST","timeformat":"ms","binaryformat":"bytes","unknown":{}}"#,
        )
        .unwrap();
        assert_eq!(
            r,
            QueryRequest {
                q: "select 1".into(),
                p: vec![Value::Int(1)],
                format: "csv".into(),
                timeformat: "ms".into(),
                tz: "KST".into(),
                binaryformat: "bytes".into(),
                compress: "gzip".into(),
                precision: 2,
                rownum: true,
                heading: false,
                delimiter: ";".into(),
                box_style: "round".into(),
                box_separate_columns: false,
                box_draw_border: false,
                transpose: true,
                rows_flatten: true,
                rows_array: true,
            }
        );
        assert!(!from_json(br#"{"q":"x","header":"skip"}"#).unwrap().heading);
        assert!(from_json(br#"{"q":"x","rownum":null}"#).is_ok());
    }

    #[test]
    fn err_json_type_mismatch_is_gos_text() {
        let err = |body: &str| from_json(body.as_bytes()).unwrap_err();
        assert_eq!(
            err(r#"{"q":"x","rownum":"true"}"#),
            "json: cannot unmarshal string into Go struct field QueryRequest.rownum of type bool"
        );
        assert_eq!(
            err(r#"{"q":"x","RowsArray":1}"#),
            "json: cannot unmarshal number into Go struct field QueryRequest.rowsArray of type bool"
        );
        assert_eq!(
            err(r#"{"q":1}"#),
            "json: cannot unmarshal number into Go struct field QueryRequest.q of type string"
        );
        assert_eq!(
            err(r#"{"precision":"3"}"#),
            "json: cannot unmarshal string into Go struct field QueryRequest.precision of type int"
        );
        assert_eq!(
            err(r#"{"precision":1.5}"#),
            "json: cannot unmarshal number 1.5 into Go struct field QueryRequest.precision of type int"
        );
        assert_eq!(
            err(r#"{"p":"temp"}"#),
            "json: cannot unmarshal string into Go struct field QueryRequest.p of type []interface {}"
        );
        // The first mismatch in document order wins.
        assert_eq!(
            err(r#"{"heading":[],"format":{}}"#),
            "json: cannot unmarshal array into Go struct field QueryRequest.heading of type bool"
        );
        assert_eq!(
            err("[1]"),
            "json: cannot unmarshal array into Go value of type server.QueryRequest"
        );
        assert_eq!(
            err(r#"{"q":"x","p":[{"name":"temp"}]}"#),
            "invalid p, bind parameter must be scalar, got map[string]interface {}"
        );
    }
}
