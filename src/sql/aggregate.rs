//! Aggregates and GROUP BY, computed while rows stream by: each input row updates one
//! group's accumulators and is dropped, so memory grows with the number of groups, never
//! with the number of rows.
//!
//! Aggregates: `count(*) count() count(x) sum avg min max stddev (sample) stddev_pop
//! variance sumsq first(time, value) last(time, value)`, plus `any`, which a bare column
//! outside GROUP BY becomes (lenient where the peers refuse).
//!
//! Invariants:
//! - The groups held are at most `GROUP_BYTES_MAX` by the estimate in `group_bytes`;
//!   crossing it is a `QueryError::Limit` naming the bound, never an allocation failure.
//! - Groups come out in the order their first row arrived (time order for a time-ordered
//!   scan), so an ORDER BY on the group key usually finds them sorted.
//! - A SELECT of aggregates without GROUP BY yields exactly one row, even from no input.

use std::collections::HashMap;

use super::QueryError;
use super::eval::{Bound, eval, is_true};
use super::exec::RowSource;
use crate::catalog::{ColumnType, Dialect};
use crate::limits::GROUP_BYTES_MAX;
use crate::value::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AggKind {
    Count,
    Sum,
    Avg,
    Min,
    Max,
    /// Sample standard deviation (n - 1), as Machbase's and SQL's `STDDEV`.
    Stddev,
    StddevPop,
    Variance,
    Sumsq,
    /// `FIRST(time, value)`: the value at the earliest time.
    First,
    /// `LAST(time, value)`: the value at the latest time.
    Last,
    /// Any one value of the group (the first seen).
    Any,
}

impl AggKind {
    /// The aggregate called `name` with `args` arguments, `None` if `name` is not one.
    pub fn parse(name: &str, args: usize) -> Result<Option<AggKind>, QueryError> {
        let kind = match name.to_ascii_lowercase().as_str() {
            "count" => AggKind::Count,
            "sum" => AggKind::Sum,
            "avg" | "mean" => AggKind::Avg,
            "min" => AggKind::Min,
            "max" => AggKind::Max,
            "stddev" | "stddev_samp" | "stddevsamp" => AggKind::Stddev,
            "stddev_pop" | "stddevpop" => AggKind::StddevPop,
            "variance" | "var_samp" => AggKind::Variance,
            "sumsq" => AggKind::Sumsq,
            "first" => AggKind::First,
            "last" => AggKind::Last,
            "any" => AggKind::Any,
            _ => return Ok(None),
        };
        let ok = match kind {
            AggKind::Count => args <= 1,
            AggKind::First | AggKind::Last => args == 2,
            _ => args == 1,
        };
        if !ok {
            let wants = match kind {
                AggKind::Count => "one argument or *",
                AggKind::First | AggKind::Last => "(time, value)",
                _ => "one argument",
            };
            return Err(QueryError::BadValue(format!(
                "{name}() takes {wants}, not {args} arguments"
            )));
        }
        Ok(Some(kind))
    }

    pub fn result_type(self, args: &[ColumnType], dialect: Dialect) -> ColumnType {
        let arg = |i: usize| args.get(i).cloned().unwrap_or(ColumnType::Float64);
        match self {
            // Proton's count() is uint64; Machbase reports a long.
            AggKind::Count if dialect == Dialect::Proton => ColumnType::UInt64,
            AggKind::Count => ColumnType::Int64,
            AggKind::Sum => match arg(0) {
                ColumnType::Float32 | ColumnType::Float64 => ColumnType::Float64,
                _ => ColumnType::Int64,
            },
            AggKind::Min | AggKind::Max | AggKind::Any => arg(0),
            AggKind::First | AggKind::Last => arg(1),
            AggKind::Avg
            | AggKind::Stddev
            | AggKind::StddevPop
            | AggKind::Variance
            | AggKind::Sumsq => ColumnType::Float64,
        }
    }
}

#[derive(Debug, Clone)]
enum Acc {
    Count(i64),
    Sum {
        int: i64,
        float: f64,
        is_float: bool,
        seen: bool,
    },
    Avg {
        sum: f64,
        n: u64,
    },
    Extreme {
        best: Value,
        max: bool,
    },
    /// Welford's running mean and squared deviations: stable for long series.
    Moments {
        n: u64,
        mean: f64,
        m2: f64,
        kind: AggKind,
    },
    Sumsq {
        sum: f64,
        seen: bool,
    },
    Edge {
        time: Option<Value>,
        value: Value,
        last: bool,
    },
    Any(Option<Value>),
}

impl Acc {
    fn new(kind: AggKind) -> Acc {
        match kind {
            AggKind::Count => Acc::Count(0),
            AggKind::Sum => Acc::Sum {
                int: 0,
                float: 0.0,
                is_float: false,
                seen: false,
            },
            AggKind::Avg => Acc::Avg { sum: 0.0, n: 0 },
            AggKind::Min | AggKind::Max => Acc::Extreme {
                best: Value::Null,
                max: kind == AggKind::Max,
            },
            AggKind::Stddev | AggKind::StddevPop | AggKind::Variance => Acc::Moments {
                n: 0,
                mean: 0.0,
                m2: 0.0,
                kind,
            },
            AggKind::Sumsq => Acc::Sumsq {
                sum: 0.0,
                seen: false,
            },
            AggKind::First | AggKind::Last => Acc::Edge {
                time: None,
                value: Value::Null,
                last: kind == AggKind::Last,
            },
            AggKind::Any => Acc::Any(None),
        }
    }

    /// Adds one row's argument values (NULLs are skipped, as SQL aggregates do).
    fn update(&mut self, args: &mut [Value]) {
        let first = args.first().unwrap_or(&Value::Null);
        match self {
            Acc::Count(n) => {
                if args.is_empty() || !first.is_null() {
                    *n += 1;
                }
            }
            Acc::Sum {
                int,
                float,
                is_float,
                seen,
            } => {
                let as_int = match first {
                    Value::Int(v) => Some(*v),
                    Value::UInt(v) => i64::try_from(*v).ok(),
                    _ => None,
                };
                match (as_int, first.as_f64()) {
                    (Some(v), _) if !*is_float => match int.checked_add(v) {
                        Some(s) => *int = s,
                        None => {
                            // Past i64: continue in floating point rather than wrap.
                            *is_float = true;
                            *float = *int as f64 + v as f64;
                        }
                    },
                    (_, Some(f)) if !first.is_null() => {
                        if !*is_float {
                            *is_float = true;
                            *float = *int as f64;
                        }
                        *float += f;
                    }
                    _ => return,
                }
                *seen = true;
            }
            Acc::Avg { sum, n } => {
                if let Some(f) = first.as_f64().filter(|_| !first.is_null()) {
                    *sum += f;
                    *n += 1;
                }
            }
            Acc::Extreme { best, max } => {
                if first.is_null() {
                    return;
                }
                let better = best.is_null()
                    || match first.compare(best) {
                        Some(o) => (o == std::cmp::Ordering::Greater) == *max && o.is_ne(),
                        None => false,
                    };
                if better && let Some(v) = args.first_mut() {
                    *best = std::mem::replace(v, Value::Null);
                }
            }
            Acc::Moments { n, mean, m2, .. } => {
                if let Some(x) = first.as_f64().filter(|_| !first.is_null()) {
                    *n += 1;
                    let delta = x - *mean;
                    *mean += delta / *n as f64;
                    *m2 += delta * (x - *mean);
                }
            }
            Acc::Sumsq { sum, seen } => {
                if let Some(x) = first.as_f64().filter(|_| !first.is_null()) {
                    *sum += x * x;
                    *seen = true;
                }
            }
            Acc::Edge { time, value, last } => {
                if first.is_null() {
                    return;
                }
                let replace = match time {
                    None => true,
                    Some(t) => {
                        let o = first.sort_cmp(t);
                        if *last { o.is_gt() } else { o.is_lt() }
                    }
                };
                if replace && let [t, v, ..] = args {
                    *time = Some(std::mem::replace(t, Value::Null));
                    *value = std::mem::replace(v, Value::Null);
                }
            }
            Acc::Any(v) => {
                if v.is_none()
                    && let Some(a) = args.first_mut()
                {
                    *v = Some(std::mem::replace(a, Value::Null));
                }
            }
        }
    }

    fn finish(&mut self) -> Value {
        match self {
            Acc::Count(n) => Value::Int(*n),
            Acc::Sum {
                int,
                float,
                is_float,
                seen,
            } => match (*seen, *is_float) {
                (false, _) => Value::Null,
                (true, true) => Value::Float(*float),
                (true, false) => Value::Int(*int),
            },
            Acc::Avg { sum, n } => {
                if *n == 0 {
                    Value::Null
                } else {
                    Value::Float(*sum / *n as f64)
                }
            }
            Acc::Extreme { best, .. } => std::mem::replace(best, Value::Null),
            Acc::Moments { n, m2, kind, .. } => {
                let n = *n as f64;
                let var = match kind {
                    AggKind::StddevPop if n >= 1.0 => *m2 / n,
                    AggKind::Stddev | AggKind::Variance if n >= 2.0 => *m2 / (n - 1.0),
                    _ => return Value::Null,
                };
                Value::Float(if *kind == AggKind::Variance {
                    var
                } else {
                    var.sqrt()
                })
            }
            Acc::Sumsq { sum, seen } => {
                if *seen {
                    Value::Float(*sum)
                } else {
                    Value::Null
                }
            }
            Acc::Edge { value, .. } => std::mem::replace(value, Value::Null),
            Acc::Any(v) => v.take().unwrap_or(Value::Null),
        }
    }
}

/// GROUP BY keys and aggregate calls, all bound on the input rows.
#[derive(Debug, Clone, Default)]
pub struct GroupSpec {
    pub keys: Vec<Bound>,
    pub aggregates: Vec<(AggKind, Vec<Bound>)>,
}

impl GroupSpec {
    /// Rewrites `e`, bound on the input rows, into an expression over the group row
    /// (`keys..., aggregates...`), collecting the aggregate calls it contains.
    pub fn rewrite(&mut self, e: &Bound) -> Bound {
        if let Some(i) = self.keys.iter().position(|k| k == e) {
            return Bound::Column(i);
        }
        let nkeys = self.keys.len();
        let add = |spec: &mut GroupSpec, kind: AggKind, args: Vec<Bound>| {
            let j = match spec
                .aggregates
                .iter()
                .position(|(k, a)| *k == kind && *a == args)
            {
                Some(j) => j,
                None => {
                    spec.aggregates.push((kind, args));
                    spec.aggregates.len() - 1
                }
            };
            Bound::Column(nkeys + j)
        };
        let mut r = |x: &Bound| Box::new(self.rewrite(x));
        match e {
            Bound::Aggregate(kind, args) => add(self, *kind, args.clone()),
            Bound::Column(_) => add(self, AggKind::Any, vec![e.clone()]),
            Bound::Literal(_) | Bound::Now => e.clone(),
            Bound::Neg(x) => Bound::Neg(r(x)),
            Bound::Not(x) => Bound::Not(r(x)),
            Bound::Binary(op, a, b) => {
                let a = r(a);
                Bound::Binary(*op, a, r(b))
            }
            Bound::IsNull(x, n) => Bound::IsNull(r(x), *n),
            Bound::Like(x, p, n) => {
                let x = r(x);
                Bound::Like(x, r(p), *n)
            }
            Bound::Between(x, lo, hi, n) => {
                let x = r(x);
                let lo = r(lo);
                Bound::Between(x, lo, r(hi), *n)
            }
            Bound::InList(x, list, n) => {
                let x = r(x);
                let list = list.iter().map(|i| *r(i)).collect();
                Bound::InList(x, list, *n)
            }
            Bound::InSet(x, set, n) => Bound::InSet(r(x), set.clone(), *n),
            Bound::LikePattern(x, p, n) => Bound::LikePattern(r(x), p.clone(), *n),
            Bound::Function(f, args) => Bound::Function(*f, args.iter().map(|a| *r(a)).collect()),
        }
    }
}

/// Bytes one group is estimated to hold: its key twice (map and row), its accumulators,
/// and the map and vector overhead.
fn group_bytes(key: &[u8], values: &[Value], aggregates: usize) -> usize {
    let heap: usize = values.iter().map(Value::heap_bytes).sum();
    2 * key.len() + heap + (values.len() + aggregates) * 48 + 96
}

/// A value's bytes in a group key: a kind byte, then a fixed or length-prefixed body, so
/// distinct values never share an encoding.
pub fn encode_key(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Int(i) => {
            out.push(2);
            out.extend_from_slice(&i.to_be_bytes());
        }
        Value::UInt(u) => {
            out.push(3);
            out.extend_from_slice(&u.to_be_bytes());
        }
        Value::Float(f) => {
            out.push(4);
            // -0 and 0 are one group; every NaN is one group.
            let f = if *f == 0.0 {
                0.0
            } else if f.is_nan() {
                f64::NAN
            } else {
                *f
            };
            out.extend_from_slice(&f.to_bits().to_be_bytes());
        }
        Value::Str(s) => {
            out.push(5);
            out.extend_from_slice(&(s.len() as u64).to_be_bytes());
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(6);
            out.extend_from_slice(&(b.len() as u64).to_be_bytes());
            out.extend_from_slice(b);
        }
        Value::Time(t) => {
            out.push(7);
            out.extend_from_slice(&t.to_be_bytes());
        }
        Value::Date(d) => {
            out.push(8);
            out.extend_from_slice(&d.to_be_bytes());
        }
        Value::Ipv4(a) => {
            out.push(9);
            out.extend_from_slice(a);
        }
        Value::Ipv6(a) => {
            out.push(10);
            out.extend_from_slice(a);
        }
        Value::Uuid(a) => {
            out.push(11);
            out.extend_from_slice(a);
        }
    }
}

pub fn limit_error(what: &str, groups: usize) -> QueryError {
    QueryError::Limit(format!(
        "{what} needs more than group_bytes_max ({GROUP_BYTES_MAX} bytes) of memory \
         ({groups} groups so far); narrow the WHERE clause or group by a coarser key"
    ))
}

/// Pulls every input row on the first call, then yields one row per group:
/// `keys..., aggregate results...`.
pub struct AggregateSource {
    input: Option<Box<dyn RowSource>>,
    spec: GroupSpec,
    /// Whether to yield one row even when there was no input (no GROUP BY).
    global: bool,
    now_ns: i64,
    groups: std::vec::IntoIter<(Vec<Value>, Vec<Acc>)>,
}

impl AggregateSource {
    pub fn new(input: Box<dyn RowSource>, spec: GroupSpec, now_ns: i64) -> AggregateSource {
        let global = spec.keys.is_empty();
        AggregateSource {
            input: Some(input),
            spec,
            global,
            now_ns,
            groups: Vec::new().into_iter(),
        }
    }

    fn consume(&mut self, mut input: Box<dyn RowSource>) -> Result<(), QueryError> {
        let mut index: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut groups: Vec<(Vec<Value>, Vec<Acc>)> = Vec::new();
        let mut bytes = 0usize;
        let mut row = Vec::new();
        let mut key = Vec::new();
        let mut key_values = Vec::new();
        let mut args = Vec::new();
        let fresh = |spec: &GroupSpec| -> Vec<Acc> {
            spec.aggregates.iter().map(|(k, _)| Acc::new(*k)).collect()
        };
        if self.global {
            groups.push((Vec::new(), fresh(&self.spec)));
        }
        while input.next_row(&mut row)? {
            key.clear();
            key_values.clear();
            for k in &self.spec.keys {
                let v = eval(k, &row, self.now_ns)?;
                encode_key(&v, &mut key);
                key_values.push(v);
            }
            let slot = match index.get(&key) {
                Some(&i) => i,
                None if self.global => 0,
                None => {
                    bytes += group_bytes(&key, &key_values, self.spec.aggregates.len());
                    if bytes > GROUP_BYTES_MAX {
                        return Err(limit_error("GROUP BY", groups.len()));
                    }
                    groups.push((std::mem::take(&mut key_values), fresh(&self.spec)));
                    index.insert(key.clone(), groups.len() - 1);
                    groups.len() - 1
                }
            };
            let Some((_, accs)) = groups.get_mut(slot) else {
                continue;
            };
            for ((_, arg_exprs), acc) in self.spec.aggregates.iter().zip(accs.iter_mut()) {
                args.clear();
                for a in arg_exprs {
                    args.push(eval(a, &row, self.now_ns)?);
                }
                acc.update(&mut args);
            }
        }
        self.groups = groups.into_iter();
        Ok(())
    }
}

impl RowSource for AggregateSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        if let Some(input) = self.input.take() {
            self.consume(input)?;
        }
        match self.groups.next() {
            Some((keys, mut accs)) => {
                out.clear();
                out.extend(keys);
                out.extend(accs.iter_mut().map(Acc::finish));
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Keeps rows for which `condition` is TRUE (WHERE, HAVING).
pub struct FilterSource {
    pub input: Box<dyn RowSource>,
    pub condition: Bound,
    pub now_ns: i64,
}

impl RowSource for FilterSource {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        while self.input.next_row(out)? {
            if is_true(&self.condition, out, self.now_ns)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Rows(std::vec::IntoIter<Vec<Value>>);
    impl RowSource for Rows {
        fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
            match self.0.next() {
                Some(r) => {
                    *out = r;
                    Ok(true)
                }
                None => Ok(false),
            }
        }
    }

    /// Counts the rows it hands out, so a test can see the input was streamed.
    struct Counter {
        n: i64,
        end: i64,
    }
    impl RowSource for Counter {
        fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
            if self.n == self.end {
                return Ok(false);
            }
            self.n += 1;
            out.clear();
            out.push(Value::Int(self.n % 3));
            out.push(Value::Float(self.n as f64));
            Ok(true)
        }
    }

    fn collect(mut s: impl RowSource) -> Result<Vec<Vec<Value>>, QueryError> {
        let mut out = Vec::new();
        let mut row = Vec::new();
        while s.next_row(&mut row)? {
            out.push(row.clone());
        }
        Ok(out)
    }

    fn agg(kind: AggKind, args: Vec<Bound>) -> (AggKind, Vec<Bound>) {
        (kind, args)
    }

    #[test]
    fn aggregates_over_groups_in_arrival_order() {
        let spec = GroupSpec {
            keys: vec![Bound::Column(0)],
            aggregates: vec![
                agg(AggKind::Count, vec![]),
                agg(AggKind::Sum, vec![Bound::Column(1)]),
                agg(AggKind::Avg, vec![Bound::Column(1)]),
                agg(AggKind::Min, vec![Bound::Column(1)]),
                agg(AggKind::Max, vec![Bound::Column(1)]),
            ],
        };
        // 1M rows through three groups: memory is three groups, not a million rows.
        let rows = collect(AggregateSource::new(
            Box::new(Counter {
                n: 0,
                end: 1_000_000,
            }),
            spec,
            0,
        ))
        .unwrap();
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0][0], Value::Int(1));
        assert_eq!(rows[0][1], Value::Int(333_334));
        assert_eq!(rows[0][3], Value::Float(500_000.5));
        assert_eq!(rows[0][4], Value::Float(1.0));
        assert_eq!(rows[0][5], Value::Float(999_999.0 + 1.0));
        assert_eq!(rows[2][0], Value::Int(0));
    }

    #[test]
    fn stddev_first_last_and_nulls() {
        let input = vec![
            vec![Value::Time(3), Value::Float(2.0)],
            vec![Value::Time(1), Value::Float(4.0)],
            vec![Value::Time(2), Value::Null],
            vec![Value::Time(4), Value::Float(6.0)],
        ];
        let spec = GroupSpec {
            keys: vec![],
            aggregates: vec![
                agg(AggKind::Stddev, vec![Bound::Column(1)]),
                agg(AggKind::First, vec![Bound::Column(0), Bound::Column(1)]),
                agg(AggKind::Last, vec![Bound::Column(0), Bound::Column(1)]),
                agg(AggKind::Count, vec![Bound::Column(1)]),
                agg(AggKind::Sum, vec![Bound::Column(1)]),
            ],
        };
        let rows = collect(AggregateSource::new(
            Box::new(Rows(input.into_iter())),
            spec,
            0,
        ))
        .unwrap();
        assert_eq!(
            rows,
            vec![vec![
                Value::Float(2.0),
                Value::Float(4.0),
                Value::Float(6.0),
                Value::Int(3),
                Value::Float(12.0),
            ]]
        );
    }

    #[test]
    fn no_input_still_answers_one_row_without_group_by() {
        let spec = GroupSpec {
            keys: vec![],
            aggregates: vec![
                agg(AggKind::Count, vec![]),
                agg(AggKind::Max, vec![Bound::Column(0)]),
            ],
        };
        let rows = collect(AggregateSource::new(
            Box::new(Rows(Vec::new().into_iter())),
            spec,
            0,
        ))
        .unwrap();
        assert_eq!(rows, vec![vec![Value::Int(0), Value::Null]]);
    }

    #[test]
    fn err_too_many_groups_names_the_bound() {
        let spec = GroupSpec {
            keys: vec![Bound::Column(1)],
            aggregates: vec![agg(AggKind::Count, vec![])],
        };
        let e = collect(AggregateSource::new(
            Box::new(Counter {
                n: 0,
                end: 10_000_000,
            }),
            spec,
            0,
        ))
        .unwrap_err();
        let text = e.to_string();
        assert!(
            text.starts_with(&format!(
                "GROUP BY needs more than group_bytes_max ({GROUP_BYTES_MAX} bytes) of memory ("
            )),
            "{text}"
        );
    }

    #[test]
    fn rewrite_maps_keys_and_aggregates_to_group_columns() {
        let mut spec = GroupSpec {
            keys: vec![Bound::Column(2)],
            aggregates: vec![],
        };
        let e = Bound::Binary(
            crate::sql::ast::BinaryOp::Div,
            Box::new(Bound::Aggregate(AggKind::Sum, vec![Bound::Column(1)])),
            Box::new(Bound::Aggregate(AggKind::Count, vec![Bound::Column(1)])),
        );
        assert_eq!(
            spec.rewrite(&e),
            Bound::Binary(
                crate::sql::ast::BinaryOp::Div,
                Box::new(Bound::Column(1)),
                Box::new(Bound::Column(2))
            )
        );
        assert_eq!(spec.rewrite(&Bound::Column(2)), Bound::Column(0));
        assert_eq!(
            spec.rewrite(&Bound::Aggregate(AggKind::Sum, vec![Bound::Column(1)])),
            Bound::Column(1),
            "the same call is computed once"
        );
    }
}
