//! The typed value every layer agrees on: conversion produces it, the store encodes it,
//! the query engine computes with it, the encoders print it.
//!
//! Invariants:
//! - `Time` is i64 nanoseconds since the Unix epoch, UTC.
//! - `Date` is days since 1970-01-01.
//! - A `Value` never carries its column type; the column that holds it does.

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Time(i64),
    Date(i32),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    Uuid([u8; 16]),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Replaces `self` with a string, reusing the existing allocation when `self` is a string:
    /// the ingest path sets one slot per column per row and must not allocate per row.
    pub fn set_str(&mut self, text: &str) {
        if let Value::Str(s) = self {
            s.clear();
            s.push_str(text);
        } else {
            *self = Value::Str(text.to_owned());
        }
    }

    /// As `set_str`, for bytes.
    pub fn set_bytes(&mut self, bytes: &[u8]) {
        if let Value::Bytes(b) = self {
            b.clear();
            b.extend_from_slice(bytes);
        } else {
            *self = Value::Bytes(bytes.to_vec());
        }
    }

    /// The value as f64 when it is numeric (used by comparisons across numeric kinds).
    /// Bytes the value holds outside itself (text and binary bodies), for memory estimates.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Value::Str(s) => s.len(),
            Value::Bytes(b) => b.len(),
            _ => 0,
        }
    }

    pub fn as_f64(&self) -> Option<f64> {
        match *self {
            Value::Int(v) => Some(v as f64),
            Value::UInt(v) => Some(v as f64),
            Value::Float(v) => Some(v),
            Value::Time(v) => Some(v as f64),
            Value::Date(v) => Some(f64::from(v)),
            Value::Bool(v) => Some(if v { 1.0 } else { 0.0 }),
            _ => None,
        }
    }

    /// SQL comparison: `None` when either side is NULL or the kinds cannot be compared.
    pub fn compare(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Null, _) | (_, Null) => None,
            (Int(a), Int(b)) => Some(a.cmp(b)),
            (UInt(a), UInt(b)) => Some(a.cmp(b)),
            (Time(a), Time(b)) | (Time(a), Int(b)) | (Int(a), Time(b)) => Some(a.cmp(b)),
            (Int(a), UInt(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (UInt(a), Int(b)) => Some(i128::from(*a).cmp(&i128::from(*b))),
            (Str(a), Str(b)) => Some(a.as_str().cmp(b.as_str())),
            (Bytes(a), Bytes(b)) => Some(a.cmp(b)),
            (Bool(a), Bool(b)) => Some(a.cmp(b)),
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (Ipv4(a), Ipv4(b)) => Some(a.cmp(b)),
            (Ipv6(a), Ipv6(b)) | (Uuid(a), Uuid(b)) => Some(a.cmp(b)),
            _ => match (self.as_f64(), other.as_f64()) {
                (Some(a), Some(b)) => a.partial_cmp(&b),
                _ => None,
            },
        }
    }

    /// Total order for ORDER BY: NULLs first, then by `compare`, incomparable kinds equal.
    pub fn sort_cmp(&self, other: &Value) -> Ordering {
        match (self.is_null(), other.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            _ => self.compare(other).unwrap_or(Ordering::Equal),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_str_reuses_the_allocation() {
        let mut v = Value::Str(String::with_capacity(64));
        let before = match &v {
            Value::Str(s) => s.as_ptr(),
            _ => unreachable!(),
        };
        v.set_str("sensor.temp.01");
        match &v {
            Value::Str(s) => {
                assert_eq!(s, "sensor.temp.01");
                assert_eq!(s.as_ptr(), before);
            }
            other => panic!("not a string: {other:?}"),
        }
    }

    #[test]
    fn compare_across_integer_kinds_and_nulls() {
        assert_eq!(
            Value::Int(-1).compare(&Value::UInt(1)),
            Some(Ordering::Less)
        );
        assert_eq!(
            Value::Float(1.5).compare(&Value::Int(1)),
            Some(Ordering::Greater)
        );
        assert_eq!(Value::Null.compare(&Value::Int(1)), None);
        assert_eq!(Value::Null.sort_cmp(&Value::Int(1)), Ordering::Less);
    }
}
