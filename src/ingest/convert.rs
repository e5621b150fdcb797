//! Text and JSON scalars to typed values, per target column, per dialect.
//!
//! Machbase (reference machbase-neo-api.md §1.8): a string column takes JSON strings only;
//! numbers into datetime are epoch values in `timeformat`'s unit (ns unless s/ms/us);
//! integers are range-checked (deliberately: the peer wraps silently); binary takes `0x` hex
//! or base64. Proton (proton-api.md §1.3): quoted numbers fill numeric columns, numbers fill
//! string columns as text, `true`/`false` fill integer columns as 1/0, integers wrap to the
//! column width as Proton does, epoch numbers into datetime are scaled from s/ms/us/ns by
//! magnitude, strings parse best-effort.

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::catalog::{Column, ColumnType, DefaultValue};
use crate::timefmt::{self, EpochUnit, TimeFormat, Zone};
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Number,
    True,
    False,
    Null,
    /// An untyped text field (CSV): `""` and `NULL` mean NULL except in string columns.
    Text,
}

impl Scalar {
    /// Go's name for the decoded JSON type, as Machbase's messages print it.
    pub fn go_type(self) -> &'static str {
        match self {
            Scalar::String | Scalar::Text => "string",
            Scalar::Number => "json.Number",
            Scalar::True | Scalar::False => "bool",
            Scalar::Null => "<nil>",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rules {
    Machbase,
    Proton,
}

#[derive(Debug, Clone)]
pub struct ConvertOptions {
    pub rules: Rules,
    /// Machbase's `timeformat`: the unit of numeric datetimes (`s`, `ms`, `us`, else ns) and
    /// how text datetimes are read. Proton ignores it: it scales epoch numbers by magnitude
    /// and reads text best-effort.
    pub time_format: TimeFormat,
    /// Machbase's `tz`, for text datetimes that carry no offset.
    pub zone: Zone,
    /// The request's time: `now()` defaults, `_tp_time`, and Machbase's `now - 1h` text.
    pub now_ns: i64,
}

impl ConvertOptions {
    /// Proton's rules, at the request time `now_ns`.
    pub fn proton(now_ns: i64) -> ConvertOptions {
        ConvertOptions {
            rules: Rules::Proton,
            time_format: TimeFormat::Epoch(EpochUnit::Ns),
            zone: Zone::utc(),
            now_ns,
        }
    }

    /// The unit of a numeric datetime: `None` for Proton's magnitude rule.
    fn epoch_unit(&self) -> Option<EpochUnit> {
        match self.rules {
            Rules::Proton => None,
            // The peer scales by the raw parameter: anything but s, ms, us is ns (§1.8).
            Rules::Machbase => Some(self.time_format.epoch_unit().unwrap_or(EpochUnit::Ns)),
        }
    }
}

/// Why a value did not convert; the caller adds row and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    pub detail: String,
}

fn err(detail: impl Into<String>) -> ConvertError {
    ConvertError {
        detail: detail.into(),
    }
}

/// Converts one JSON scalar (`text` is the decoded string or the number literal) into `slot`.
pub fn json_scalar(
    column: &Column,
    kind: Scalar,
    text: &str,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), ConvertError> {
    let proton = opts.rules == Rules::Proton;
    if kind == Scalar::Null {
        // Proton: null into a non-nullable column means its default (null_as_default).
        if proton && !column.nullable {
            default_value(column, opts.now_ns, slot);
        } else {
            *slot = Value::Null;
        }
        return Ok(());
    }
    if kind == Scalar::Text {
        return csv_field(column, text, opts, slot);
    }
    let mismatch = || {
        err(format!(
            "cannot store a {} in a {} column",
            kind.go_type(),
            column.ty.machbase_name()
        ))
    };
    match &column.ty {
        ColumnType::String { .. } | ColumnType::Json => {
            let ok = match kind {
                Scalar::String => true,
                Scalar::Number => proton,
                _ => false,
            };
            if !ok {
                return Err(mismatch());
            }
            if let ColumnType::String { len_max: Some(max) } = &column.ty {
                let chars = text.chars().count();
                if chars > *max as usize {
                    return Err(err(format!(
                        "value of {chars} characters exceeds varchar({max})"
                    )));
                }
            }
            slot.set_str(text);
            Ok(())
        }
        ColumnType::Bool => {
            *slot = Value::Bool(match (kind, text) {
                (Scalar::True, _) => true,
                (Scalar::False, _) => false,
                (Scalar::Number, "1") => true,
                (Scalar::Number, "0") => false,
                (Scalar::String, t) if !proton => parse_bool(t).ok_or_else(mismatch)?,
                _ => return Err(mismatch()),
            });
            Ok(())
        }
        ColumnType::DateTime { .. } => match kind {
            Scalar::Number => {
                let v: i64 = text
                    .parse()
                    .map_err(|_| err(format!("`{text}` is not an integer epoch time")))?;
                *slot = Value::Time(epoch_ns(v, opts.epoch_unit())?);
                Ok(())
            }
            Scalar::String => {
                *slot = Value::Time(parse_time_text(text, opts)?);
                Ok(())
            }
            _ => Err(mismatch()),
        },
        _ => {
            let numeric_text = match kind {
                Scalar::Number | Scalar::String => text,
                Scalar::True if proton => "1",
                Scalar::False if proton => "0",
                _ => return Err(mismatch()),
            };
            text_value(column, numeric_text, opts, slot)
        }
    }
}

/// Converts one typed value (from a binary format: Native, RowBinary) into `slot`, as
/// ClickHouse's `CAST` to the column's type would with Proton's ingest rules: integers wrap
/// to the column's width, floats truncate into integer columns, text is parsed, any value
/// becomes text in a string column, NULL is the default of a column that is not nullable,
/// epoch numbers into a datetime scale by magnitude as JSON's do.
pub fn typed_value(
    column: &Column,
    v: &Value,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), ConvertError> {
    let mismatch = |kind: &str| {
        err(format!(
            "cannot store a {kind} in a {} column",
            column.ty.proton_name()
        ))
    };
    let wrap_int = |i: i128| -> Option<Value> {
        Some(match column.ty {
            ColumnType::Int8 => Value::Int(i64::from(i as i8)),
            ColumnType::Int16 => Value::Int(i64::from(i as i16)),
            ColumnType::Int32 => Value::Int(i64::from(i as i32)),
            ColumnType::Int64 => Value::Int(i as i64),
            ColumnType::UInt8 => Value::UInt(u64::from(i as u8)),
            ColumnType::UInt16 => Value::UInt(u64::from(i as u16)),
            ColumnType::UInt32 => Value::UInt(u64::from(i as u32)),
            ColumnType::UInt64 => Value::UInt(i as u64),
            ColumnType::Float32 | ColumnType::Float64 => Value::Float(i as f64),
            ColumnType::Bool => Value::Bool(i != 0),
            _ => return None,
        })
    };
    match v {
        Value::Null => json_scalar(column, Scalar::Null, "", opts, slot),
        Value::Str(text) => match column.ty {
            ColumnType::String { .. } | ColumnType::Json => {
                json_scalar(column, Scalar::String, text, opts, slot)
            }
            ColumnType::Binary => {
                slot.set_bytes(text.as_bytes());
                Ok(())
            }
            _ => text_value(column, text, opts, slot),
        },
        Value::Bytes(b) => match column.ty {
            ColumnType::Binary => {
                slot.set_bytes(b);
                Ok(())
            }
            _ => Err(mismatch("string that is not UTF-8")),
        },
        Value::Int(_) | Value::UInt(_) | Value::Bool(_) => {
            let i = match *v {
                Value::Int(i) => i128::from(i),
                Value::UInt(u) => i128::from(u),
                _ => i128::from(matches!(v, Value::Bool(true))),
            };
            if let Some(value) = wrap_int(i) {
                *slot = value;
                return Ok(());
            }
            match column.ty {
                ColumnType::DateTime { .. } => {
                    let t = i64::try_from(i).map_err(|_| err(format!("{i} is out of range")))?;
                    *slot = Value::Time(epoch_ns(t, None)?);
                    Ok(())
                }
                ColumnType::String { .. } | ColumnType::Json => {
                    let text = crate::output::plain_text(v);
                    json_scalar(column, Scalar::String, &text, opts, slot)
                }
                _ => Err(mismatch("number")),
            }
        }
        Value::Float(f) => match column.ty {
            ColumnType::Float32 | ColumnType::Float64 => {
                *slot = Value::Float(*f);
                Ok(())
            }
            ColumnType::String { .. } | ColumnType::Json => {
                let text = crate::output::plain_text(v);
                json_scalar(column, Scalar::String, &text, opts, slot)
            }
            _ if f.is_finite() => match wrap_int(f.trunc() as i128) {
                Some(value) => {
                    *slot = value;
                    Ok(())
                }
                None => Err(mismatch("float")),
            },
            _ => Err(err(format!(
                "{f} does not fit a {} column",
                column.ty.proton_name()
            ))),
        },
        Value::Time(t) => match column.ty {
            ColumnType::DateTime { .. } => {
                *slot = Value::Time(*t);
                Ok(())
            }
            ColumnType::Date => {
                *slot = Value::Date(
                    i32::try_from(t.div_euclid(86_400_000_000_000))
                        .map_err(|_| err("date out of range"))?,
                );
                Ok(())
            }
            ColumnType::String { .. } | ColumnType::Json => {
                let mut text = String::new();
                timefmt::format_datetime(*t, 9, &mut text);
                json_scalar(column, Scalar::String, &text, opts, slot)
            }
            _ => Err(mismatch("datetime")),
        },
        Value::Date(d) => match column.ty {
            ColumnType::Date => {
                *slot = Value::Date(*d);
                Ok(())
            }
            ColumnType::DateTime { .. } => {
                *slot = Value::Time(i64::from(*d) * 86_400_000_000_000);
                Ok(())
            }
            _ => Err(mismatch("date")),
        },
        Value::Ipv4(a) => match column.ty {
            ColumnType::Ipv4 => {
                *slot = Value::Ipv4(*a);
                Ok(())
            }
            ColumnType::Ipv6 => {
                *slot = Value::Ipv6(Ipv4Addr::from(*a).to_ipv6_mapped().octets());
                Ok(())
            }
            _ => Err(mismatch("ipv4")),
        },
        Value::Ipv6(a) => match column.ty {
            ColumnType::Ipv6 => {
                *slot = Value::Ipv6(*a);
                Ok(())
            }
            _ => Err(mismatch("ipv6")),
        },
        Value::Uuid(u) => match column.ty {
            ColumnType::Uuid => {
                *slot = Value::Uuid(*u);
                Ok(())
            }
            _ => Err(mismatch("uuid")),
        },
    }
}

/// A CSV field: text as written for string columns, NULL for `""` and `NULL` elsewhere
/// (reference §1.7), else parsed as the column's type. Under Proton's rules the field comes
/// from a ClickHouse text format (`clickhouse_text`).
fn csv_field(
    column: &Column,
    text: &str,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), ConvertError> {
    if opts.rules == Rules::Proton {
        return clickhouse_text(column, text, opts, slot);
    }
    match column.ty {
        ColumnType::String { .. } => json_scalar(column, Scalar::String, text, opts, slot),
        _ if text.is_empty() || text == "NULL" => {
            *slot = Value::Null;
            Ok(())
        }
        ColumnType::Json => json_scalar(column, Scalar::String, text, opts, slot),
        ColumnType::DateTime { .. } => {
            *slot = Value::Time(parse_time_text(text, opts)?);
            Ok(())
        }
        _ => text_value(column, text, opts, slot),
    }
}

/// A field of a ClickHouse text format (CSV, TabSeparated; `INSERT … FORMAT`): `\N` is NULL
/// (the column's default when it is not nullable, as for JSON nulls); an empty field in a
/// non-string column is the column's default (`input_format_csv_empty_as_default`); other
/// text is parsed as the column's type, string columns keep it as written.
fn clickhouse_text(
    column: &Column,
    text: &str,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), ConvertError> {
    if text == "\\N" {
        return json_scalar(column, Scalar::Null, "", opts, slot);
    }
    match column.ty {
        ColumnType::String { .. } | ColumnType::Json => {
            json_scalar(column, Scalar::String, text, opts, slot)
        }
        _ if text.trim().is_empty() => {
            default_value(column, opts.now_ns, slot);
            Ok(())
        }
        _ => text_value(column, text, opts, slot),
    }
}

fn parse_bool(t: &str) -> Option<bool> {
    match t.trim().to_ascii_lowercase().as_str() {
        "true" | "t" | "1" => Some(true),
        "false" | "f" | "0" => Some(false),
        _ => None,
    }
}

/// A numeric datetime in `unit`, or for Proton (`None`) in the unit its magnitude suggests.
fn epoch_ns(v: i64, unit: Option<EpochUnit>) -> Result<i64, ConvertError> {
    let unit = match unit {
        Some(u) => u,
        // Proton rescales by comparing with now: seconds until ~year 2286 are < 1e10, ms < 1e13...
        None => match v.unsigned_abs() {
            0..10_000_000_000 => EpochUnit::S,
            10_000_000_000..10_000_000_000_000 => EpochUnit::Ms,
            10_000_000_000_000..10_000_000_000_000_000 => EpochUnit::Us,
            _ => EpochUnit::Ns,
        },
    };
    unit.to_ns(v)
        .ok_or_else(|| err(format!("epoch time {v} is out of range")))
}

fn parse_time_text(text: &str, opts: &ConvertOptions) -> Result<i64, ConvertError> {
    match opts.rules {
        // The peer's ParseTime: epoch text, `now ± d`, named formats and Go layouts in `tz`.
        Rules::Machbase => opts
            .time_format
            .parse_time(text, &opts.zone, opts.now_ns)
            .map_err(|e| err(e.to_string())),
        Rules::Proton => {
            let t = text.trim();
            timefmt::parse_best_effort(t)
                .ok_or_else(|| err(format!("cannot parse `{t}` as a datetime")))
        }
    }
}

/// Converts text (a CSV field, a quoted JSON number) into a non-string column.
pub fn text_value(
    column: &Column,
    text: &str,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), ConvertError> {
    let proton = opts.rules == Rules::Proton;
    let t = text.trim();
    let int_range = |min: i128, max: i128| -> Result<i64, ConvertError> {
        let v: i128 = match t.parse::<i128>() {
            Ok(v) => v,
            // Machbase parses "12.7" into an int column as 12 (ParseFloat, truncate).
            Err(_) if !proton => t
                .parse::<f64>()
                .ok()
                .filter(|f| f.is_finite())
                .map(|f| f.trunc() as i128)
                .ok_or_else(|| err(format!("`{t}` is not an integer")))?,
            Err(_) => return Err(err(format!("`{t}` is not an integer"))),
        };
        if proton {
            // Proton wraps to the column width (its smoke tests expect 1234567 -> 135 in uint8).
            return Ok(v as i64);
        }
        if v < min || v > max {
            return Err(err(format!("{v} is out of range [{min}, {max}]")));
        }
        Ok(v as i64)
    };
    *slot = match &column.ty {
        ColumnType::Int8 => Value::Int(i64::from(int_range(i8::MIN.into(), i8::MAX.into())? as i8)),
        ColumnType::Int16 => Value::Int(i64::from(
            int_range(i16::MIN.into(), i16::MAX.into())? as i16
        )),
        ColumnType::Int32 => Value::Int(i64::from(
            int_range(i32::MIN.into(), i32::MAX.into())? as i32
        )),
        ColumnType::Int64 => Value::Int(int_range(i64::MIN.into(), i64::MAX.into())?),
        ColumnType::UInt8 | ColumnType::UInt16 | ColumnType::UInt32 | ColumnType::UInt64 => {
            if proton && t.starts_with('-') {
                return Err(err("Unsigned type must not contain '-' symbol"));
            }
            let max: u64 = match column.ty {
                ColumnType::UInt8 => u8::MAX.into(),
                ColumnType::UInt16 => u16::MAX.into(),
                ColumnType::UInt32 => u32::MAX.into(),
                _ => u64::MAX,
            };
            let v: u128 = t
                .parse::<u128>()
                .map_err(|_| err(format!("`{t}` is not an unsigned integer")))?;
            if proton {
                Value::UInt((v as u64) & max)
            } else if v > u128::from(max) {
                return Err(err(format!("{v} is out of range [0, {max}]")));
            } else {
                Value::UInt(v as u64)
            }
        }
        ColumnType::Float32 | ColumnType::Float64 => {
            let v: f64 = t
                .parse()
                .map_err(|_| err(format!("`{t}` is not a number")))?;
            Value::Float(v)
        }
        ColumnType::Bool => {
            Value::Bool(parse_bool(t).ok_or_else(|| err(format!("`{t}` is not a boolean")))?)
        }
        ColumnType::String { .. } | ColumnType::Json => Value::Str(text.to_owned()),
        ColumnType::Binary => Value::Bytes(decode_binary(t)?),
        ColumnType::DateTime { .. } => Value::Time(parse_time_text(t, opts)?),
        ColumnType::Date => {
            let ns = timefmt::parse_best_effort(t)
                .ok_or_else(|| err(format!("cannot parse `{t}` as a date")))?;
            Value::Date(
                i32::try_from(ns.div_euclid(86_400_000_000_000))
                    .map_err(|_| err("date out of range"))?,
            )
        }
        ColumnType::Ipv4 => Value::Ipv4(
            t.parse::<Ipv4Addr>()
                .map_err(|_| err(format!("incompatible conv '{t}' (string) to IP")))?
                .octets(),
        ),
        ColumnType::Ipv6 => Value::Ipv6(
            t.parse::<Ipv6Addr>()
                .or_else(|_| t.parse::<Ipv4Addr>().map(|a| a.to_ipv6_mapped()))
                .map_err(|_| err(format!("incompatible conv '{t}' (string) to IP")))?
                .octets(),
        ),
        ColumnType::Uuid => {
            Value::Uuid(parse_uuid(t).ok_or_else(|| err(format!("`{t}` is not a UUID")))?)
        }
    };
    Ok(())
}

/// The value a column gets when a row does not mention it.
pub fn default_value(column: &Column, now_ns: i64, slot: &mut Value) {
    *slot = match &column.default {
        DefaultValue::Now => Value::Time(now_ns),
        DefaultValue::Literal(v) => v.clone(),
        DefaultValue::None if column.nullable => Value::Null,
        DefaultValue::None => zero_value(&column.ty),
    };
}

pub fn zero_value(ty: &ColumnType) -> Value {
    match ty {
        ColumnType::Bool => Value::Bool(false),
        ColumnType::Int8 | ColumnType::Int16 | ColumnType::Int32 | ColumnType::Int64 => {
            Value::Int(0)
        }
        ColumnType::UInt8 | ColumnType::UInt16 | ColumnType::UInt32 | ColumnType::UInt64 => {
            Value::UInt(0)
        }
        ColumnType::Float32 | ColumnType::Float64 => Value::Float(0.0),
        ColumnType::String { .. } | ColumnType::Json => Value::Str(String::new()),
        ColumnType::Binary => Value::Bytes(Vec::new()),
        ColumnType::DateTime { .. } => Value::Time(0),
        ColumnType::Date => Value::Date(0),
        ColumnType::Ipv4 => Value::Ipv4([0; 4]),
        ColumnType::Ipv6 => Value::Ipv6([0; 16]),
        ColumnType::Uuid => Value::Uuid([0; 16]),
    }
}

fn parse_uuid(t: &str) -> Option<[u8; 16]> {
    let hex: Vec<u8> = t.bytes().filter(|b| *b != b'-').collect();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, pair) in hex.chunks(2).enumerate() {
        let s = std::str::from_utf8(pair).ok()?;
        *out.get_mut(i)? = u8::from_str_radix(s, 16).ok()?;
    }
    Some(out)
}

/// `0x`-prefixed hex, else standard padded base64 (reference §1.8).
pub fn decode_binary(t: &str) -> Result<Vec<u8>, ConvertError> {
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if hex.len() % 2 != 0 {
            return Err(err("hex string has an odd number of digits"));
        }
        return hex
            .as_bytes()
            .chunks(2)
            .map(|pair| {
                std::str::from_utf8(pair)
                    .ok()
                    .and_then(|s| u8::from_str_radix(s, 16).ok())
                    .ok_or_else(|| err(format!("invalid hex string `{t}`")))
            })
            .collect();
    }
    crate::base64::decode_standard(t)
        .ok_or_else(|| err(format!("failed to decode base64 string: `{t}`")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::ColumnRole;

    fn col(ty: ColumnType, nullable: bool) -> Column {
        Column {
            name: "C".into(),
            ty,
            nullable,
            default: DefaultValue::None,
            role: ColumnRole::Plain,
            summarized: false,
        }
    }

    fn opts(rules: Rules, unit: Option<EpochUnit>) -> ConvertOptions {
        ConvertOptions {
            rules,
            time_format: TimeFormat::Epoch(unit.unwrap_or(EpochUnit::Ns)),
            zone: Zone::utc(),
            now_ns: 42,
        }
    }

    fn conv(ty: ColumnType, kind: Scalar, text: &str, rules: Rules) -> Result<Value, String> {
        let mut slot = Value::Null;
        let unit = (rules == Rules::Machbase).then_some(EpochUnit::S);
        json_scalar(&col(ty, false), kind, text, &opts(rules, unit), &mut slot)
            .map(|()| slot)
            .map_err(|e| e.detail)
    }

    #[test]
    fn proton_rules() {
        use Scalar::*;
        let p = Rules::Proton;
        assert_eq!(
            conv(ColumnType::Int32, String, "123", p),
            Ok(Value::Int(123))
        );
        assert_eq!(conv(ColumnType::Int32, True, "", p), Ok(Value::Int(1)));
        assert_eq!(
            conv(ColumnType::UInt8, Number, "1234567", p),
            Ok(Value::UInt(135))
        );
        assert!(conv(ColumnType::UInt8, Number, "-1", p).is_err());
        assert!(conv(ColumnType::Int32, Number, "12.5", p).is_err());
        assert_eq!(
            conv(ColumnType::String { len_max: None }, Number, "123", p),
            Ok(Value::Str("123".into()))
        );
        assert!(conv(ColumnType::String { len_max: None }, True, "", p).is_err());
        assert_eq!(
            conv(ColumnType::Int32, Null, "", p),
            Ok(Value::Int(0)),
            "null means default"
        );
        let dt = ColumnType::DateTime {
            precision: 3,
            tz: None,
        };
        assert_eq!(
            conv(dt.clone(), Number, "1700000000000", p),
            Ok(Value::Time(1_700_000_000_000_000_000))
        );
        assert_eq!(
            conv(dt.clone(), Number, "1700000000", p),
            Ok(Value::Time(1_700_000_000_000_000_000))
        );
        assert_eq!(
            conv(dt, String, "2020-01-01 11:11:11", p),
            Ok(Value::Time(1_577_877_071_000_000_000))
        );
    }

    #[test]
    fn typed_values_cast_as_clickhouse_does() {
        let p = opts(Rules::Proton, None);
        let t = |ty: ColumnType, v: Value| {
            let mut slot = Value::Null;
            typed_value(&col(ty, false), &v, &p, &mut slot)
                .map(|()| slot)
                .map_err(|e| e.detail)
        };
        assert_eq!(t(ColumnType::Int32, Value::Int(7)), Ok(Value::Int(7)));
        assert_eq!(t(ColumnType::UInt8, Value::Int(300)), Ok(Value::UInt(44)));
        assert_eq!(t(ColumnType::Int64, Value::Float(2.9)), Ok(Value::Int(2)));
        assert_eq!(
            t(ColumnType::Float64, Value::UInt(3)),
            Ok(Value::Float(3.0))
        );
        assert_eq!(
            t(ColumnType::Int32, Value::Str("12".into())),
            Ok(Value::Int(12))
        );
        assert_eq!(
            t(ColumnType::String { len_max: None }, Value::Int(5)),
            Ok(Value::Str("5".into()))
        );
        assert_eq!(
            t(ColumnType::Int32, Value::Null),
            Ok(Value::Int(0)),
            "null is the default"
        );
        let dt = ColumnType::DateTime {
            precision: 3,
            tz: None,
        };
        assert_eq!(t(dt.clone(), Value::Time(5)), Ok(Value::Time(5)));
        assert_eq!(t(dt, Value::Date(1)), Ok(Value::Time(86_400_000_000_000)));
        assert_eq!(
            t(ColumnType::Binary, Value::Bytes(vec![0xff])),
            Ok(Value::Bytes(vec![0xff]))
        );
        assert_eq!(
            t(
                ColumnType::String { len_max: None },
                Value::Bytes(vec![0xff])
            ),
            Err("cannot store a string that is not UTF-8 in a string column".into())
        );
        assert!(t(ColumnType::Int32, Value::Float(f64::NAN)).is_err());
        assert!(t(ColumnType::Uuid, Value::Int(1)).is_err());
    }

    #[test]
    fn clickhouse_text_fields() {
        use Scalar::*;
        let p = Rules::Proton;
        let s = || ColumnType::String { len_max: None };
        assert_eq!(conv(ColumnType::Int32, Text, "\\N", p), Ok(Value::Int(0)));
        assert_eq!(conv(ColumnType::Int32, Text, "", p), Ok(Value::Int(0)));
        assert_eq!(conv(ColumnType::Int32, Text, " 42 ", p), Ok(Value::Int(42)));
        assert_eq!(
            conv(ColumnType::Bool, Text, "true", p),
            Ok(Value::Bool(true))
        );
        assert_eq!(conv(s(), Text, "", p), Ok(Value::Str("".into())));
        assert_eq!(conv(s(), Text, "NULL", p), Ok(Value::Str("NULL".into())));
        assert_eq!(conv(s(), Text, "\\N", p), Ok(Value::Str("".into())));
        assert!(conv(ColumnType::Int32, Text, "x", p).is_err());
        let dt = ColumnType::DateTime {
            precision: 3,
            tz: None,
        };
        assert_eq!(
            conv(dt, Text, "2020-01-01 11:11:11", p),
            Ok(Value::Time(1_577_877_071_000_000_000))
        );
    }

    #[test]
    fn machbase_rules() {
        use Scalar::*;
        let m = Rules::Machbase;
        assert_eq!(
            conv(ColumnType::String { len_max: None }, Number, "1", m),
            Err("cannot store a json.Number in a string column".into())
        );
        assert_eq!(
            conv(ColumnType::Int16, Number, "70000", m),
            Err("70000 is out of range [-32768, 32767]".into())
        );
        assert_eq!(
            conv(ColumnType::UInt16, Number, "65535", m),
            Ok(Value::UInt(65535))
        );
        let dt = ColumnType::DateTime {
            precision: 9,
            tz: None,
        };
        assert_eq!(
            conv(dt.clone(), Number, "1676432361", m),
            Ok(Value::Time(1_676_432_361_000_000_000))
        );
        assert_eq!(
            conv(dt, String, "1676432361.9", m),
            Ok(Value::Time(1_676_432_361_000_000_000))
        );
        assert_eq!(
            conv(ColumnType::Binary, String, "AQI=", m),
            Ok(Value::Bytes(vec![1, 2]))
        );
        assert_eq!(
            conv(ColumnType::Binary, String, "0x0102a0b0", m),
            Ok(Value::Bytes(vec![1, 2, 0xa0, 0xb0]))
        );
        assert!(conv(ColumnType::Binary, String, "AQI", m).is_err());
        assert_eq!(
            conv(ColumnType::Ipv4, String, "10.0.0.1", m),
            Ok(Value::Ipv4([10, 0, 0, 1]))
        );
        assert_eq!(
            conv(ColumnType::String { len_max: Some(3) }, String, "abcd", m),
            Err("value of 4 characters exceeds varchar(3)".into())
        );
    }
}
