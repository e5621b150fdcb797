//! Expressions bound to a table (column names resolved to indexes once) and their
//! evaluation over a row, with SQL's three-valued logic: a comparison with NULL is NULL,
//! and a WHERE keeps a row only when its condition is TRUE.
//!
//! Binding also prepares what would otherwise be redone for every row: an `IN` list of
//! constants and the `OR`ed equalities of one expression with constants become a hash set
//! (`Bound::InSet`, see `sets`), and a constant `LIKE` pattern is compiled once
//! (`Bound::LikePattern`). Constants that only folding produces (`dml::fold`) get the same
//! treatment there. Either way a row costs one lookup or one match, never a walk over the
//! list or the pattern's text.

use std::cmp::Ordering;
use std::sync::Arc;

use super::QueryError;
use super::aggregate::AggKind;
use super::ast::{BinaryOp, Expr};
use super::functions::{self, Func, TimeUnit};
use super::schema::Schema;
use super::sets::{self, ValueSet};
use crate::catalog::{ColumnType, Dialect};
use crate::timefmt;
use crate::value::Value;
use crate::wildcard::Pattern;

#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    Literal(Value),
    Column(usize),
    Neg(Box<Bound>),
    Not(Box<Bound>),
    Binary(BinaryOp, Box<Bound>, Box<Bound>),
    IsNull(Box<Bound>, bool),
    /// `x [NOT] IN (…)` with an item that is not a constant: compared item by item.
    InList(Box<Bound>, Vec<Bound>, bool),
    /// `x [NOT] IN (constants)`, and `OR`ed equalities of `x` with constants: one lookup.
    InSet(Box<Bound>, Arc<ValueSet>, bool),
    Between(Box<Bound>, Box<Bound>, Box<Bound>, bool),
    /// `x [NOT] LIKE p` with a pattern that is not a constant: compiled for each row.
    Like(Box<Bound>, Box<Bound>, bool),
    /// `x [NOT] LIKE 'constant'`, compiled once.
    LikePattern(Box<Bound>, Arc<Pattern>, bool),
    Function(Func, Vec<Bound>),
    /// An aggregate call; the grouping stage replaces it by a column of the group row, so
    /// evaluating one directly is a planning bug reported as an error.
    Aggregate(AggKind, Vec<Bound>),
    Now,
}

/// What names and `?` mean while binding.
pub struct BindContext<'a> {
    pub schema: &'a Schema,
    /// The relation's name, for unknown-column errors.
    pub relation: &'a str,
    pub params: &'a [Value],
    pub dialect: Dialect,
    /// Aggregates are allowed in the select list, HAVING and ORDER BY, not in WHERE.
    pub aggregates: bool,
}

/// Resolves column names against the context's schema and replaces `?` with parameters.
pub fn bind(expr: &Expr, cx: &BindContext<'_>) -> Result<Bound, QueryError> {
    let b = |e: &Expr| bind(e, cx).map(Box::new);
    Ok(match expr {
        Expr::Literal(v) => Bound::Literal(v.clone()),
        Expr::Column(name) => match cx.schema.index(name) {
            Some(i) => Bound::Column(i),
            // Machbase's `now` and `sysdate` are bare words.
            None if name.eq_ignore_ascii_case("now") || name.eq_ignore_ascii_case("sysdate") => {
                Bound::Now
            }
            None => {
                return Err(QueryError::UnknownColumn {
                    column: name.clone(),
                    table: cx.relation.to_owned(),
                });
            }
        },
        Expr::Param(i) => Bound::Literal(cx.params.get(*i).cloned().ok_or_else(|| {
            QueryError::BadValue(format!(
                "the statement has more `?` than the {} bind parameter(s) given in p",
                cx.params.len()
            ))
        })?),
        Expr::Interval { count, unit } => match TimeUnit::parse(unit) {
            // Alone, an interval is its text; functions read it back (`interval_parts`).
            Some(_) => Bound::Literal(Value::Str(format!("{count} {unit}"))),
            None => {
                return Err(QueryError::BadValue(format!(
                    "unknown interval unit {unit}; use second, minute, hour, day, week, month                      or year"
                )));
            }
        },
        Expr::Neg(e) => Bound::Neg(b(e)?),
        Expr::Not(e) => Bound::Not(b(e)?),
        Expr::Binary(BinaryOp::Or, ..) => sets::absorb_equalities(bind_or(expr, cx)?),
        Expr::Binary(op, l, r) => {
            // `t - INTERVAL 1 HOUR`: a fixed-length interval is its nanoseconds.
            let side = |e: &Expr| -> Result<Box<Bound>, QueryError> {
                if let Expr::Interval { count, unit } = e
                    && let Some(ns) = TimeUnit::parse(unit).and_then(TimeUnit::fixed_ns)
                {
                    return Ok(Box::new(Bound::Literal(Value::Int(
                        count.saturating_mul(ns),
                    ))));
                }
                b(e)
            };
            let op = match (op, cx.dialect) {
                (BinaryOp::Div, Dialect::Machbase) => BinaryOp::IntDiv,
                (op, _) => *op,
            };
            Bound::Binary(op, side(l)?, side(r)?)
        }
        Expr::IsNull(e, negated) => Bound::IsNull(b(e)?, *negated),
        Expr::InList {
            expr,
            list,
            negated,
        } => in_list(
            b(expr)?,
            list.iter().map(|e| bind(e, cx)).collect::<Result<_, _>>()?,
            *negated,
        ),
        Expr::Between {
            expr,
            low,
            high,
            negated,
        } => Bound::Between(b(expr)?, b(low)?, b(high)?, *negated),
        Expr::Like {
            expr,
            pattern,
            negated,
        } => like(b(expr)?, b(pattern)?, *negated),
        Expr::Function { name, args } => {
            let bound: Vec<Bound> = args.iter().map(|e| bind(e, cx)).collect::<Result<_, _>>()?;
            if let Some(kind) = AggKind::parse(name, bound.len())? {
                if !cx.aggregates {
                    return Err(QueryError::BadValue(format!(
                        "aggregate function {name}() is not allowed here (WHERE or inside \
                         another aggregate); use HAVING for conditions on aggregates"
                    )));
                }
                let inner = BindContext {
                    aggregates: false,
                    ..*cx
                };
                let args = args
                    .iter()
                    .map(|e| bind(e, &inner))
                    .collect::<Result<_, _>>()?;
                return Ok(Bound::Aggregate(kind, args));
            }
            let literals: Vec<Option<Value>> = bound
                .iter()
                .map(|a| match a {
                    Bound::Literal(v) => Some(v.clone()),
                    _ => None,
                })
                .collect();
            if let Some(binding) = functions::bind(name, &literals)? {
                let kept = binding
                    .keep
                    .iter()
                    .filter_map(|&i| bound.get(i).cloned())
                    .collect();
                return Ok(Bound::Function(binding.func, kept));
            }
            match name.to_ascii_lowercase().as_str() {
                "now" | "now64" | "sysdate" => Bound::Now,
                _ => {
                    return Err(QueryError::Unsupported(format!(
                        "function {name}() is not supported"
                    )));
                }
            }
        }
    })
}

/// Binds an `OR` tree (nested `OR` nodes bound here, so the tree is prepared once, at its
/// root, by the caller). Recursive over the `OR` nodes, whose depth the parser bounds.
fn bind_or(expr: &Expr, cx: &BindContext<'_>) -> Result<Bound, QueryError> {
    match expr {
        Expr::Binary(BinaryOp::Or, l, r) => Ok(Bound::Binary(
            BinaryOp::Or,
            Box::new(bind_or(l, cx)?),
            Box::new(bind_or(r, cx)?),
        )),
        other => bind(other, cx),
    }
}

/// `x [NOT] IN (list)`: a hash set when every item is a constant.
pub(super) fn in_list(x: Box<Bound>, list: Vec<Bound>, negated: bool) -> Bound {
    if !list.iter().all(|i| matches!(i, Bound::Literal(_))) {
        return Bound::InList(x, list, negated);
    }
    let items = list.into_iter().filter_map(|i| match i {
        Bound::Literal(v) => Some(v),
        _ => None,
    });
    Bound::InSet(x, Arc::new(ValueSet::new(items)), negated)
}

/// `x [NOT] LIKE pattern`: compiled once when the pattern is a constant other than NULL.
/// A pattern that is not text is matched as its text, as `eval` does for each row.
pub(super) fn like(x: Box<Bound>, pattern: Box<Bound>, negated: bool) -> Bound {
    match &*pattern {
        Bound::Literal(Value::Null) => Bound::Like(x, pattern, negated),
        Bound::Literal(Value::Str(p)) => {
            Bound::LikePattern(x, Arc::new(Pattern::new(p.chars(), '%', '_')), negated)
        }
        Bound::Literal(p) => {
            let text = crate::output::plain_text(p);
            Bound::LikePattern(x, Arc::new(Pattern::new(text.chars(), '%', '_')), negated)
        }
        _ => Bound::Like(x, pattern, negated),
    }
}

/// The result type of a bound expression, for the response's column types.
pub fn result_type(e: &Bound, schema: &Schema, dialect: Dialect) -> ColumnType {
    let time = |precision| ColumnType::DateTime {
        precision,
        tz: None,
    };
    match e {
        Bound::Column(i) => schema
            .ty(*i)
            .cloned()
            .unwrap_or(ColumnType::String { len_max: None }),
        Bound::Literal(v) => match v {
            Value::Int(_) => ColumnType::Int64,
            Value::UInt(_) => ColumnType::UInt64,
            Value::Float(_) => ColumnType::Float64,
            Value::Bool(_) => ColumnType::Bool,
            Value::Time(_) => time(9),
            _ => ColumnType::String { len_max: None },
        },
        Bound::Now => time(if dialect == Dialect::Proton { 0 } else { 9 }),
        Bound::Neg(inner) => result_type(inner, schema, dialect),
        Bound::Function(f, args) => {
            let types: Vec<ColumnType> = args
                .iter()
                .map(|a| result_type(a, schema, dialect))
                .collect();
            functions::result_type(f, &types)
        }
        Bound::Aggregate(kind, args) => {
            let types: Vec<ColumnType> = args
                .iter()
                .map(|a| result_type(a, schema, dialect))
                .collect();
            kind.result_type(&types, dialect)
        }
        Bound::Binary(op, l, r) => {
            let is_float = |t: &ColumnType| matches!(t, ColumnType::Float32 | ColumnType::Float64);
            let (lt, rt) = (
                result_type(l, schema, dialect),
                result_type(r, schema, dialect),
            );
            match op {
                BinaryOp::Add
                | BinaryOp::Sub
                | BinaryOp::Mul
                | BinaryOp::Mod
                | BinaryOp::IntDiv => {
                    if is_float(&lt) || is_float(&rt) {
                        ColumnType::Float64
                    } else {
                        ColumnType::Int64
                    }
                }
                BinaryOp::Div => ColumnType::Float64,
                BinaryOp::Concat => ColumnType::String { len_max: None },
                _ => ColumnType::Bool,
            }
        }
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
        Bound::Function(f, args) => {
            let mut values = Vec::with_capacity(args.len());
            for a in args {
                values.push(eval(a, row, now_ns)?);
            }
            functions::call(f, &values)?
        }
        Bound::Aggregate(..) => {
            return Err(QueryError::Unsupported(
                "an aggregate function here needs GROUP BY or a SELECT of aggregates".into(),
            ));
        }
        Bound::Like(inner, pattern, negated) => {
            let (v, p) = (eval(inner, row, now_ns)?, eval(pattern, row, now_ns)?);
            match (&v, &p) {
                (Value::Null, _) | (_, Value::Null) => Value::Null,
                (Value::Str(s), Value::Str(p)) => Value::Bool(like_text(s, p) != *negated),
                _ => Value::Bool(
                    like_text(
                        &crate::output::plain_text(&v),
                        &crate::output::plain_text(&p),
                    ) != *negated,
                ),
            }
        }
        Bound::LikePattern(inner, pattern, negated) => match eval(inner, row, now_ns)? {
            Value::Null => Value::Null,
            Value::Str(s) => Value::Bool(pattern.matches(&s) != *negated),
            v => Value::Bool(pattern.matches(&crate::output::plain_text(&v)) != *negated),
        },
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
        Bound::InSet(inner, set, negated) => from_truth(
            set.lookup(&eval(inner, row, now_ns)?)
                .map(|f| f != *negated),
        ),
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
            BinaryOp::IntDiv => x.checked_div(y),
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
        BinaryOp::Div | BinaryOp::IntDiv => {
            if y == 0.0 {
                return Ok(Value::Null);
            }
            x / y
        }
        BinaryOp::Mod => x % y,
        _ => return Ok(Value::Null),
    }))
}

/// SQL `LIKE`: `%` any run, `_` one character, case-sensitive.
fn like_text(text: &str, pattern: &str) -> bool {
    Pattern::new(pattern.chars(), '%', '_').matches(text)
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
        let schema = Schema::default();
        let cx = BindContext {
            schema: &schema,
            relation: "",
            params: &[],
            dialect: Dialect::Machbase,
            aggregates: false,
        };
        eval(&bind(expr, &cx).unwrap(), &[], 0).unwrap()
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
        assert_eq!(
            value_of("7 / 2"),
            Value::Int(3),
            "Machbase: integer division"
        );
        assert_eq!(value_of("7.0 / 2"), Value::Float(3.5));
        assert_eq!(value_of("'sensor.1' like 'sensor%'"), Value::Bool(true));
        assert_eq!(value_of("'sensor.1' like 's_nsor._'"), Value::Bool(true));
        assert_eq!(value_of("'sensor.1' not like '%x%'"), Value::Bool(true));
        assert_eq!(value_of("'ab' like 'a'"), Value::Bool(false));
        assert_eq!(
            value_of("to_char(to_date('2024-01-15 04:10:59'), 'YYYY/MM/DD HH24:MI')"),
            Value::Str("2024/01/15 04:10".into())
        );
        assert_eq!(
            value_of("rollup('min', 5, 1705291859000000000)"),
            Value::Time(1_705_291_800_000_000_000)
        );
        assert_eq!(
            value_of("date_trunc('hour', '2024-01-15 04:10:59')"),
            Value::Time(1_705_291_200_000_000_000)
        );
        assert_eq!(
            value_of(
                "to_start_of_interval(to_datetime('2024-01-15 04:10:59'), INTERVAL 10 second)"
            ),
            Value::Time(1_705_291_850_000_000_000)
        );
        assert_eq!(
            value_of("to_timestamp(1705291859000000000)"),
            Value::Int(1_705_291_859_000_000_000)
        );
        assert_eq!(value_of("1 / 0"), Value::Null);
        assert_eq!(value_of("-(2)"), Value::Int(-2));
    }

    /// `where` on Machbase's EXAMPLE table (NAME, TIME, VALUE), bound and folded as a
    /// SELECT's WHERE is.
    fn filter(where_clause: &str) -> Bound {
        let Statement::Select(q) =
            parse(&format!("select * from example where {where_clause}")).unwrap()
        else {
            panic!()
        };
        let schema = Schema::of_table(&crate::catalog::Table::example(1, "EXAMPLE"));
        let cx = BindContext {
            schema: &schema,
            relation: "EXAMPLE",
            params: &[Value::Str("p".into())],
            dialect: Dialect::Machbase,
            aggregates: false,
        };
        crate::sql::dml::fold(bind(q.filter.as_ref().unwrap(), &cx).unwrap(), 0)
    }

    fn names(set: &ValueSet) -> Vec<&str> {
        set.items()
            .iter()
            .map(|v| match v {
                Value::Str(s) => s.as_str(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    #[test]
    fn constant_lists_and_or_equalities_become_sets() {
        for sql in [
            "name in ('a', 'b', 'a', ?)",
            "name = 'a' or 'b' = name or name = ?",
            "(name = 'a' or name in ('b', 'a')) or name = ?",
            "name in (lower('A'), 'b', ?)",
            "name = lower('A') or name = 'b' or name = ?",
        ] {
            let Bound::InSet(e, set, false) = filter(sql) else {
                panic!("{sql}: {:?}", filter(sql));
            };
            assert_eq!(*e, Bound::Column(0), "{sql}");
            assert_eq!(names(&set), ["a", "b", "p"], "{sql}");
        }
        let Bound::InSet(_, _, true) = filter("value not in (1, 2.5, null)") else {
            panic!("{:?}", filter("value not in (1, 2.5, null)"));
        };
        assert!(matches!(filter("value in (1, value)"), Bound::InList(..)));
        // The equalities become a set where the first one was; the rest stays in order.
        let Bound::Binary(BinaryOp::Or, l, r) = filter("name = 'a' or value > 1 or name = 'b'")
        else {
            panic!()
        };
        assert!(matches!(*l, Bound::InSet(..)), "{l:?}");
        assert!(matches!(*r, Bound::Binary(BinaryOp::Gt, ..)), "{r:?}");
    }

    #[test]
    fn constant_like_patterns_are_compiled_once() {
        let Bound::LikePattern(_, p, false) = filter("name like 'a%%%b_'") else {
            panic!("{:?}", filter("name like 'a%%%b_'"));
        };
        assert_eq!(*p, Pattern::new("a%b_".chars(), '%', '_'));
        assert!(matches!(
            filter("name not like lower('A%')"),
            Bound::LikePattern(_, _, true)
        ));
        assert!(matches!(filter("name like name"), Bound::Like(..)));
        assert!(matches!(filter("name like null"), Bound::Like(..)));
        let row = |name: &str| [Value::Str(name.into()), Value::Time(0), Value::Float(1.5)];
        let f = filter("value like '1._'");
        assert_eq!(eval(&f, &row("x"), 0).unwrap(), Value::Bool(true));
        let f = filter("name like null");
        assert_eq!(eval(&f, &row("x"), 0).unwrap(), Value::Null);
    }

    /// A hundred thousand `%` before a `b`, over twenty thousand rows: the pattern is one
    /// `%` and a `b` once compiled, so each row is a short match. Compiled for each row, as
    /// before, the rows took a minute in a debug build.
    #[test]
    fn a_pathological_like_pattern_costs_its_length_once() {
        let f = filter(&format!("name like '{}b'", "%".repeat(100_000)));
        let mut matched = 0;
        for i in 0..20_000 {
            let name = if i % 4 == 0 { "tag-b" } else { "tag-a" };
            let row = [Value::Str(name.into()), Value::Time(i), Value::Null];
            matched += usize::from(is_true(&f, &row, 0).unwrap());
        }
        assert_eq!(matched, 5_000);
    }
}
