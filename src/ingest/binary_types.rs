//! The column types of ClickHouse's binary formats (Native, RowBinary) that tidegate reads:
//! their names as Proton and ClickHouse spell them, their byte layout, and their values.
//!
//! Layouts (little-endian throughout): integers and floats at their width; `bool` one byte;
//! `string` a LEB128 length then the bytes; `fixed_string(n)` n bytes; `date` u16 days and
//! `date32` i32 days since 1970-01-01; `datetime` u32 seconds; `datetime64(p)` i64 ticks of
//! 10^-p s; `uuid` two u64, the high half first; `ipv4` a u32; `ipv6` 16 bytes in network
//! order. `nullable(T)` and `low_cardinality(T)` wrap one of these.
//!
//! Invariants: parsing a name never recurses more than the two wrappers allow; decoding a
//! value never panics on any bytes (a short slice is `None`).

use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    Bool,
    Int8,
    Int16,
    Int32,
    Int64,
    UInt8,
    UInt16,
    UInt32,
    UInt64,
    Float32,
    Float64,
    String,
    FixedString(usize),
    Date,
    Date32,
    DateTime,
    DateTime64(u8),
    Uuid,
    Ipv4,
    Ipv6,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BinaryType {
    pub base: Base,
    pub nullable: bool,
    pub low_cardinality: bool,
}

/// Longest `fixed_string(n)` read: a value must fit one ingest field.
const FIXED_STRING_BYTES_MAX: usize = crate::limits::FIELD_BYTES_MAX;

/// `name(args)` split into the lower-cased name and the argument text; `None` without
/// parentheses.
fn call(text: &str) -> Option<(String, &str)> {
    let open = text.find('(')?;
    let inner = text.get(open + 1..)?.strip_suffix(')')?;
    Some((text.get(..open)?.trim().to_ascii_lowercase(), inner.trim()))
}

impl BinaryType {
    /// A type name as a Native block or a driver spells it: `int32`, `Int32`,
    /// `nullable(string)`, `LowCardinality(Nullable(String))`, `datetime64(3, 'UTC')`.
    pub fn parse(name: &str) -> Result<BinaryType, String> {
        let mut text = name.trim();
        let mut ty = BinaryType {
            base: Base::Bool,
            nullable: false,
            low_cardinality: false,
        };
        if let Some((wrapper, inner)) = call(text)
            && matches!(wrapper.as_str(), "low_cardinality" | "lowcardinality")
        {
            ty.low_cardinality = true;
            text = inner;
        }
        if let Some((wrapper, inner)) = call(text)
            && wrapper == "nullable"
        {
            ty.nullable = true;
            text = inner;
        }
        ty.base = Base::parse(text).ok_or_else(|| {
            format!(
                "type {name} is not one tidegate reads (integers, floats, bool, string, fixed_string, date, date32, datetime, datetime64, uuid, ipv4, ipv6, nullable and low_cardinality of them)"
            )
        })?;
        Ok(ty)
    }
}

impl BinaryType {
    /// The layout of a stored column, as `DESCRIBE` names its type (RowBinary input).
    pub fn of_column(ty: &crate::catalog::ColumnType, nullable: bool) -> BinaryType {
        use crate::catalog::ColumnType as C;
        let base = match ty {
            C::Bool => Base::Bool,
            C::Int8 => Base::Int8,
            C::Int16 => Base::Int16,
            C::Int32 => Base::Int32,
            C::Int64 => Base::Int64,
            C::UInt8 => Base::UInt8,
            C::UInt16 => Base::UInt16,
            C::UInt32 => Base::UInt32,
            C::UInt64 => Base::UInt64,
            C::Float32 => Base::Float32,
            C::Float64 => Base::Float64,
            C::String { .. } | C::Json | C::Binary => Base::String,
            C::Date => Base::Date,
            C::DateTime { precision: 0, .. } => Base::DateTime,
            C::DateTime { precision, .. } => Base::DateTime64((*precision).min(9)),
            C::Uuid => Base::Uuid,
            C::Ipv4 => Base::Ipv4,
            C::Ipv6 => Base::Ipv6,
        };
        BinaryType {
            base,
            nullable,
            low_cardinality: false,
        }
    }
}

impl Base {
    fn parse(text: &str) -> Option<Base> {
        let lower = text.trim().to_ascii_lowercase();
        let (name, args) = match call(&lower) {
            Some((n, a)) => (n, Some(a.to_owned())),
            None => (lower.clone(), None),
        };
        Some(match (name.as_str(), args.as_deref()) {
            ("bool" | "boolean", None) => Base::Bool,
            ("int8", None) => Base::Int8,
            ("int16", None) => Base::Int16,
            ("int32", None) => Base::Int32,
            ("int64", None) => Base::Int64,
            ("uint8", None) => Base::UInt8,
            ("uint16", None) => Base::UInt16,
            ("uint32", None) => Base::UInt32,
            ("uint64", None) => Base::UInt64,
            ("float32", None) => Base::Float32,
            ("float64", None) => Base::Float64,
            ("string", None) => Base::String,
            ("fixed_string" | "fixedstring", Some(n)) => {
                let n: usize = n.trim().parse().ok()?;
                if n == 0 || n > FIXED_STRING_BYTES_MAX {
                    return None;
                }
                Base::FixedString(n)
            }
            ("date", None) => Base::Date,
            ("date32", None) => Base::Date32,
            ("datetime", _) => Base::DateTime,
            ("datetime64", Some(args)) => {
                let precision = args.split(',').next()?.trim().parse::<u8>().ok()?;
                if precision > 9 {
                    return None;
                }
                Base::DateTime64(precision)
            }
            ("datetime64", None) => Base::DateTime64(3),
            ("uuid", None) => Base::Uuid,
            ("ipv4", None) => Base::Ipv4,
            ("ipv6", None) => Base::Ipv6,
            _ => return None,
        })
    }

    /// Bytes per value, `None` for `string` (length-prefixed).
    pub fn width(self) -> Option<usize> {
        Some(match self {
            Base::Bool | Base::Int8 | Base::UInt8 => 1,
            Base::Int16 | Base::UInt16 | Base::Date => 2,
            Base::Int32 | Base::UInt32 | Base::Float32 | Base::Date32 | Base::DateTime => 4,
            Base::Ipv4 => 4,
            Base::Int64 | Base::UInt64 | Base::Float64 | Base::DateTime64(_) => 8,
            Base::Uuid | Base::Ipv6 => 16,
            Base::FixedString(n) => n,
            Base::String => return None,
        })
    }

    /// Decodes one fixed-width value from the start of `bytes` into `slot`; `None` if
    /// `bytes` is too short or a time leaves the range tidegate stores.
    pub fn decode_fixed(self, bytes: &[u8], slot: &mut Value) -> Option<()> {
        fn arr<const N: usize>(b: &[u8]) -> Option<[u8; N]> {
            b.get(..N)?.try_into().ok()
        }
        if let Base::FixedString(n) = self {
            set_text_or_bytes(bytes.get(..n)?, slot);
            return Some(());
        }
        *slot = match self {
            Base::Bool => Value::Bool(*bytes.first()? != 0),
            Base::Int8 => Value::Int(i64::from(i8::from_le_bytes(arr(bytes)?))),
            Base::Int16 => Value::Int(i64::from(i16::from_le_bytes(arr(bytes)?))),
            Base::Int32 => Value::Int(i64::from(i32::from_le_bytes(arr(bytes)?))),
            Base::Int64 => Value::Int(i64::from_le_bytes(arr(bytes)?)),
            Base::UInt8 => Value::UInt(u64::from(*bytes.first()?)),
            Base::UInt16 => Value::UInt(u64::from(u16::from_le_bytes(arr(bytes)?))),
            Base::UInt32 => Value::UInt(u64::from(u32::from_le_bytes(arr(bytes)?))),
            Base::UInt64 => Value::UInt(u64::from_le_bytes(arr(bytes)?)),
            Base::Float32 => Value::Float(f64::from(f32::from_le_bytes(arr(bytes)?))),
            Base::Float64 => Value::Float(f64::from_le_bytes(arr(bytes)?)),
            Base::Date => Value::Date(i32::from(u16::from_le_bytes(arr(bytes)?))),
            Base::Date32 => Value::Date(i32::from_le_bytes(arr(bytes)?)),
            Base::DateTime => {
                Value::Time(i64::from(u32::from_le_bytes(arr(bytes)?)) * 1_000_000_000)
            }
            Base::DateTime64(p) => {
                let ticks = i64::from_le_bytes(arr(bytes)?);
                let scale = 10i64.pow(9 - u32::from(p));
                Value::Time(ticks.checked_mul(scale)?)
            }
            Base::Uuid => {
                let mut b: [u8; 16] = arr(bytes)?;
                b.get_mut(..8)?.reverse();
                b.get_mut(8..)?.reverse();
                Value::Uuid(b)
            }
            Base::Ipv4 => Value::Ipv4(u32::from_le_bytes(arr(bytes)?).to_be_bytes()),
            Base::Ipv6 => Value::Ipv6(arr(bytes)?),
            Base::FixedString(_) | Base::String => return None,
        };
        Some(())
    }
}

/// Text when the bytes are UTF-8, else binary; reuses `slot`'s allocation.
pub fn set_text_or_bytes(bytes: &[u8], slot: &mut Value) {
    match std::str::from_utf8(bytes) {
        Ok(text) => slot.set_str(text),
        Err(_) => slot.set_bytes(bytes),
    }
}

/// A LEB128 unsigned integer at the start of `bytes`: the value and its length; `Ok(None)`
/// when `bytes` ends inside it; `Err` when it runs past 10 bytes or 64 bits.
pub fn varint(bytes: &[u8]) -> Result<Option<(u64, usize)>, ()> {
    let mut value: u64 = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if i >= 10 || (i == 9 && b > 1) {
            return Err(());
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    if bytes.len() >= 10 {
        return Err(());
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_as_drivers_send_them() {
        let t = |n: &str| BinaryType::parse(n).unwrap();
        assert_eq!(t("int32").base, Base::Int32);
        assert_eq!(t("Int32").base, Base::Int32);
        let lc = t("LowCardinality(Nullable(String))");
        assert!(lc.low_cardinality && lc.nullable && lc.base == Base::String);
        let lc = t("low_cardinality(string)");
        assert!(lc.low_cardinality && !lc.nullable);
        assert_eq!(t("datetime64(3, 'UTC')").base, Base::DateTime64(3));
        assert_eq!(t("DateTime('Asia/Seoul')").base, Base::DateTime);
        assert_eq!(t("fixed_string(4)").base, Base::FixedString(4));
        assert!(t("nullable(float64)").nullable);
        for bad in [
            "array(int32)",
            "datetime64(10)",
            "fixed_string(0)",
            "decimal(10, 2)",
            "",
        ] {
            assert!(BinaryType::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fixed_values_decode_exactly() {
        let mut v = Value::Null;
        let d = |b: Base, bytes: &[u8], v: &mut Value| b.decode_fixed(bytes, v).map(|()| v.clone());
        assert_eq!(d(Base::Int16, &[0xfe, 0xff], &mut v), Some(Value::Int(-2)));
        assert_eq!(
            d(Base::UInt32, &[1, 0, 0, 1], &mut v),
            Some(Value::UInt(16_777_217))
        );
        assert_eq!(
            d(
                Base::DateTime64(3),
                &1_700_000_000_123i64.to_le_bytes(),
                &mut v
            ),
            Some(Value::Time(1_700_000_000_123_000_000))
        );
        assert_eq!(
            d(Base::DateTime64(0), &i64::MAX.to_le_bytes(), &mut v),
            None,
            "overflow"
        );
        assert_eq!(
            d(Base::Ipv4, &[1, 0, 0, 10], &mut v),
            Some(Value::Ipv4([10, 0, 0, 1]))
        );
        let uuid = [8, 7, 6, 5, 4, 3, 2, 1, 16, 15, 14, 13, 12, 11, 10, 9];
        assert_eq!(
            d(Base::Uuid, &uuid, &mut v),
            Some(Value::Uuid([
                1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16
            ]))
        );
        assert_eq!(d(Base::Int64, &[1, 2], &mut v), None, "short");
    }

    #[test]
    fn varints() {
        assert_eq!(varint(&[5]), Ok(Some((5, 1))));
        assert_eq!(varint(&[0x80, 0x01]), Ok(Some((128, 2))));
        assert_eq!(varint(&[0x80]), Ok(None));
        assert_eq!(varint(&[0xff; 9]), Ok(None));
        assert_eq!(varint(&[0xff; 10]), Err(()));
        assert_eq!(
            varint(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]),
            Ok(Some((u64::MAX, 10)))
        );
    }
}
