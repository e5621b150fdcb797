//! Expressions bound to a table (column names resolved to indexes once) and their
//! evaluation over a row, with SQL's three-valued logic: a comparison with NULL is NULL,
//! and a WHERE keeps a row only when its condition is TRUE.

use std::cmp::Ordering;

use super::QueryError;
use super::ast::{BinaryOp, Expr};
use crate::catalog::{ColumnType, Table};
use crate::timefmt;
use crate::value::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Literal(Value),
    Column(usize),
    Neg(Box<Bound>),
    Not(Box<Bound>),
    Binary(BinaryOp, Box<Bound>, Box<Bound>),
    IsNull(Box<Bound>, bool),
    InList(Box<Bound>, Vec<Bound>, bool),
    Between(Box<Bound>, Box<Bound>, Box<Bound>, bool),
    Now,
}

/// Resolves column names against `table` (none for a SELECT without FROM) and replaces
/// `?` with `params`.
pub fn bind(expr: &Expr, table: Option<&Table>, params: &[Value]) -> Result<Bound, QueryError> {
    let b = |e: &Expr| bind(e, table, params).map(Box::new);
    Ok(match expr {
        Expr::Literal(v) => Bound::Literal(v.clone()),
        Expr::Column(name) => {
            let index = table.and_then(|t| t.column_index(name));
            match index {
                Some(i) => Bound::Column(i),
                None => {
                    return Err(QueryError::UnknownColumn {
                        column: name.clone(),
                        table: table.map(|t| t.name.to_string()).unwrap_or_default(),
                    });
                }
            }
        }
        Expr::Param(i) => Bound::Literal(params.get(*i).cloned().ok_or_else(|| {
            QueryError::BadValue(format!(
                "the statement has more `?` than the {} bind parameter(s) given in p",
                params.len()
            ))
        })?),
        Expr::Neg(e) => Bound::Neg(b(e)?),
        Expr::Not(e) => Bound::Not(b(e)?),
        Expr::Binary(op, l, r) => Bound::Binary(*op, b(l)?, b(r)?),
        Expr::IsNull(e, negated) => Bound::IsNull(b(e)?, *negated),
        Expr::InList {
            expr,
            list,
            negated,
        } => Bound::InList(
            b(expr)?,
            list.iter()
                .map(|e| bind(e, table, params))
                .collect::<Result<_, _>>()?,
            *negated,
        ),
        Expr::Between {
            expr,
            low,
            high,
            negated,
        } => Bound::Between(b(expr)?, b(low)?, b(high)?, *negated),
        Expr::Function { name, args } => {
            let lower = name.to_ascii_lowercase();
            match lower.as_str() {
                "now" | "now64" | "sysdate" => Bound::Now,
                _ => {
                    let _ = args;
                    return Err(QueryError::Unsupported(format!(
                        "function {name}() is not supported yet"
                    )));
                }
            }
        }
    })
}

/// The result type of a bound expression, for the response's column types.
pub fn result_type(e: &Bound, table: Option<&Table>) -> ColumnType {
    match e {
        Bound::Column(i) => table
            .and_then(|t| t.column(*i))
            .map_or(ColumnType::String { len_max: None }, |c| c.ty.clone()),
        Bound::Literal(v) => match v {
            Value::Int(_) => ColumnType::Int64,
            Value::UInt(_) => ColumnType::UInt64,
            Value::Float(_) => ColumnType::Float64,
            Value::Bool(_) => ColumnType::Bool,
            Value::Time(_) => ColumnType::DateTime {
                precision: 9,
                tz: None,
            },
            _ => ColumnType::String { len_max: None },
        },
        Bound::Now => ColumnType::DateTime {
            precision: 9,
            tz: None,
        },
        Bound::Neg(inner) => result_type(inner, table),
        Bound::Binary(op, l, r) => match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul | BinaryOp::Mod => {
                match (result_type(l, table), result_type(r, table)) {
                    (ColumnType::Float32 | ColumnType::Float64, _)
                    | (_, ColumnType::Float32 | ColumnType::Float64) => ColumnType::Float64,
                    _ => ColumnType::Int64,
                }
            }
            BinaryOp::Div => ColumnType::Float64,
            BinaryOp::Concat => ColumnType::String { len_max: None },
            _ => ColumnType::Bool,
        },
        _ => ColumnType::Bool,
    }
}

/// Compares two values as SQL does, reading a string as a datetime when the other side is
/// one (`time > '2023-02-15 03:39:21'`).
fn sql_compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Time(_), Value::Str(s)) => a.compare(&Value::Time(timefmt::parse_best_effort(s)?)),
        (Value::Str(s), Value::Time(_)) => Value::Time(timefmt::parse_best_effort(s)?).compare(b),
        _ => a.compare(b),
    }
}

fn truth(v: &Value) -> Option<bool> {
    match v {
        Value::Null => None,
        Value::Bool(b) => Some(*b),
        other => other.as_f64().map(|f| f != 0.0),
    }
}

fn from_truth(t: Option<bool>) -> Value {
    t.map_or(Value::Null, Value::Bool)
}

/// Whether `condition` is TRUE for `row`.
pub fn is_true(condition: &Bound, row: &[Value], now_ns: i64) -> Result<bool, QueryError> {
    Ok(truth(&eval(condition, row, now_ns)?) == Some(true))
}

pub fn eval(e: &Bound, row: &[Value], now_ns: i64) -> Result<Value, QueryError> {
    Ok(match e {
        Bound::Literal(v) => v.clone(),
        Bound::Column(i) => row.get(*i).cloned().unwrap_or(Value::Null),
        Bound::Now => Value::Time(now_ns),
        Bound::Neg(inner) => match eval(inner, row, now_ns)? {
            Value::Int(v) => Value::Int(v.wrapping_neg()),
            Value::Float(v) => Value::Float(-v),
            Value::UInt(v) => {
                i64::try_from(v).map_or(Value::Float(-(v as f64)), |v| Value::Int(-v))
            }
            Value::Null => Value::Null,
            other => return Err(QueryError::BadValue(format!("cannot negate {other:?}"))),
        },
        Bound::Not(inner) => from_truth(truth(&eval(inner, row, now_ns)?).map(|b| !b)),
        Bound::IsNull(inner, negated) => {
            Value::Bool(eval(inner, row, now_ns)?.is_null() != *negated)
        }
        Bound::InList(inner, list, negated) => {
            let v = eval(inner, row, now_ns)?;
            if v.is_null() {
                return Ok(Value::Null);
            }
            let mut found = Some(false);
            for item in list {
                match sql_compare(&v, &eval(item, row, now_ns)?) {
                    Some(Ordering::Equal) => {
                        found = Some(true);
                        break;
                    }
                    None => found = None,
                    _ => {}
                }
            }
            from_truth(found.map(|f| f != *negated))
        }
        Bound::Between(inner, low, high, negated) => {
            let v = eval(inner, row, now_ns)?;
            let lo = sql_compare(&v, &eval(low, row, now_ns)?);
            let hi = sql_compare(&v, &eval(high, row, now_ns)?);
            match (lo, hi) {
                (Some(lo), Some(hi)) => {
                    Value::Bool((lo != Ordering::Less && hi != Ordering::Greater) != *negated)
                }
                _ => Value::Null,
            }
        }
        Bound::Binary(op, l, r) => {
            let a = eval(l, row, now_ns)?;
            match op {
                BinaryOp::And => {
                    let ta = truth(&a);
                    if ta == Some(false) {
                        return Ok(Value::Bool(false));
                    }
                    let tb = truth(&eval(r, row, now_ns)?);
                    return Ok(match (ta, tb) {
                        (_, Some(false)) => Value::Bool(false),
                        (Some(true), Some(true)) => Value::Bool(true),
                        _ => Value::Null,
                    });
                }
                BinaryOp::Or => {
                    let ta = truth(&a);
                    if ta == Some(true) {
                        return Ok(Value::Bool(true));
                    }
                    let tb = truth(&eval(r, row, now_ns)?);
                    return Ok(match (ta, tb) {
                        (_, Some(true)) => Value::Bool(true),
                        (Some(false), Some(false)) => Value::Bool(false),
                        _ => Value::Null,
                    });
                }
                _ => {}
            }
            let b = eval(r, row, now_ns)?;
            if a.is_null() || b.is_null() {
                return Ok(Value::Null);
            }
            match op {
                BinaryOp::Eq => from_truth(sql_compare(&a, &b).map(|o| o == Ordering::Equal)),
                BinaryOp::NotEq => from_truth(sql_compare(&a, &b).map(|o| o != Ordering::Equal)),
                BinaryOp::Lt => from_truth(sql_compare(&a, &b).map(|o| o == Ordering::Less)),
                BinaryOp::LtEq => from_truth(sql_compare(&a, &b).map(|o| o != Ordering::Greater)),
                BinaryOp::Gt => from_truth(sql_compare(&a, &b).map(|o| o == Ordering::Greater)),
                BinaryOp::GtEq => from_truth(sql_compare(&a, &b).map(|o| o != Ordering::Less)),
                BinaryOp::Concat => {
                    let mut s = crate::output::plain_text(&a);
                    s.push_str(&crate::output::plain_text(&b));
                    Value::Str(s)
                }
                _ => arithmetic(*op, &a, &b)?,
            }
        }
    })
}

fn arithmetic(op: BinaryOp, a: &Value, b: &Value) -> Result<Value, QueryError> {
    let int = |v: &Value| match v {
        Value::Int(i) | Value::Time(i) => Some(*i),
        Value::UInt(u) => i64::try_from(*u).ok(),
        _ => None,
    };
    if let (Some(x), Some(y)) = (int(a), int(b))
        && op != BinaryOp::Div
    {
        let r = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Sub => x.checked_sub(y),
            BinaryOp::Mul => x.checked_mul(y),
            BinaryOp::Mod => x.checked_rem(y),
            _ => None,
        };
        return Ok(r.map_or(Value::Null, Value::Int));
    }
    let (Some(x), Some(y)) = (a.as_f64(), b.as_f64()) else {
        return Err(QueryError::BadValue(format!(
            "arithmetic needs numbers, got {a:?} and {b:?}"
        )));
    };
    Ok(Value::Float(match op {
        BinaryOp::Add => x + y,
        BinaryOp::Sub => x - y,
        BinaryOp::Mul => x * y,
        BinaryOp::Div => {
            if y == 0.0 {
                return Ok(Value::Null);
            }
            x / y
        }
        BinaryOp::Mod => x % y,
        _ => return Ok(Value::Null),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::ast::{SelectItem, Statement};
    use crate::sql::parse;

    fn value_of(sql_expr: &str) -> Value {
        let Statement::Select(q) = parse(&format!("select {sql_expr}")).unwrap() else {
            panic!()
        };
        let SelectItem::Expr { expr, .. } = &q.items[0] else {
            panic!()
        };
        eval(&bind(expr, None, &[]).unwrap(), &[], 0).unwrap()
    }

    #[test]
    fn three_valued_logic_and_arithmetic() {
        assert_eq!(value_of("1 = 1 and null"), Value::Null);
        assert_eq!(value_of("1 = 2 and null"), Value::Bool(false));
        assert_eq!(value_of("1 = 1 or null"), Value::Bool(true));
        assert_eq!(value_of("null = null"), Value::Null);
        assert_eq!(value_of("2 in (1, 2)"), Value::Bool(true));
        assert_eq!(value_of("3 not in (1, null)"), Value::Null);
        assert_eq!(value_of("5 between 1 and 5"), Value::Bool(true));
        assert_eq!(value_of("1 + 2 * 3"), Value::Int(7));
        assert_eq!(value_of("7 / 2"), Value::Float(3.5));
        assert_eq!(value_of("1 / 0"), Value::Null);
        assert_eq!(value_of("-(2)"), Value::Int(-2));
    }
}
