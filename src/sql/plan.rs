//! Scan planning: which key ranges a WHERE clause needs. On a tag table, `tag = 'x'` and
//! `tag IN (...)` select those tags' ranges; on any table, comparisons of the key time with
//! constants (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, ISO text or ns integers) narrow the time
//! range. Only top-level AND terms are used.
//!
//! Invariant: planning only skips rows the WHERE clause cannot match; the executor still
//! evaluates the whole clause on every row it reads, so a term planning ignores is never lost.

use super::QueryError;
use super::ast::BinaryOp;
use super::eval::Bound;
use crate::app::App;
use crate::store::{ScanSpec, TagSelection};
use crate::timefmt;
use crate::value::Value;

/// Where the key columns sit in the rows being filtered.
#[derive(Debug, Clone, Copy)]
pub struct KeyColumns {
    pub table_id: u32,
    pub tag: Option<usize>,
    pub time: Option<usize>,
}

/// The planned scan, whether no row can match (an unknown tag, an empty time range), and
/// whether every top-level term was turned into a key range (DELETE needs that).
#[derive(Debug, Clone, PartialEq)]
pub struct Planned {
    pub spec: ScanSpec,
    pub empty: bool,
    pub all_terms_used: bool,
}

pub fn plan_scan(
    app: &App,
    keys: KeyColumns,
    filter: Option<&Bound>,
) -> Result<Planned, QueryError> {
    plan_with(keys, filter, &mut |name| {
        app.store
            .tag_id(keys.table_id, name)
            .map_err(QueryError::from)
    })
}

/// `plan_scan` with the tag-name lookup passed in, so tests need no store.
pub fn plan_with(
    keys: KeyColumns,
    filter: Option<&Bound>,
    tag_id: &mut dyn FnMut(&str) -> Result<Option<u32>, QueryError>,
) -> Result<Planned, QueryError> {
    let mut spec = ScanSpec::all();
    let mut empty = false;
    let mut all_terms_used = true;
    let mut terms = Vec::new();
    if let Some(f) = filter {
        conjuncts(f, &mut terms);
    }
    let literal_time = |b: &Bound| -> Option<i64> {
        match b {
            Bound::Literal(Value::Int(v) | Value::Time(v)) => Some(*v),
            Bound::Literal(Value::Str(s)) => timefmt::parse_best_effort(s),
            _ => None,
        }
    };
    let is_time = |b: &Bound| matches!(b, Bound::Column(i) if Some(*i) == keys.time);
    let is_tag = |b: &Bound| matches!(b, Bound::Column(i) if Some(*i) == keys.tag);
    for term in terms {
        let used = match term {
            Bound::Binary(BinaryOp::Eq, l, r) if is_tag(l) || is_tag(r) => {
                let lit = if is_tag(l) { r } else { l };
                match &**lit {
                    Bound::Literal(Value::Str(name)) => {
                        match tag_id(name)? {
                            Some(id) => {
                                spec.tags = match &spec.tags {
                                    TagSelection::Ids(ids) if !ids.contains(&id) => {
                                        TagSelection::Ids(Vec::new())
                                    }
                                    _ => TagSelection::Ids(vec![id]),
                                }
                            }
                            None => empty = true,
                        }
                        true
                    }
                    _ => false,
                }
            }
            Bound::InList(e, list, false) if is_tag(e) => {
                let mut ids = Vec::new();
                let mut all_literal = true;
                for item in list {
                    match item {
                        Bound::Literal(Value::Str(name)) => {
                            if let Some(id) = tag_id(name)? {
                                ids.push(id);
                            }
                        }
                        _ => all_literal = false,
                    }
                }
                if all_literal {
                    if let TagSelection::Ids(before) = &spec.tags {
                        ids.retain(|id| before.contains(id));
                    }
                    spec.tags = TagSelection::Ids(ids);
                }
                all_literal
            }
            Bound::Binary(op, l, r) if is_time(l) || is_time(r) => {
                let (op, lit) = if is_time(l) {
                    (*op, literal_time(r))
                } else {
                    (mirror(*op), literal_time(l))
                };
                match (lit, op) {
                    (Some(t), BinaryOp::Eq) => {
                        spec.time_min = spec.time_min.max(t);
                        spec.time_max = spec.time_max.min(t);
                        true
                    }
                    (Some(t), BinaryOp::Gt) => {
                        spec.time_min = spec.time_min.max(t.saturating_add(1));
                        true
                    }
                    (Some(t), BinaryOp::GtEq) => {
                        spec.time_min = spec.time_min.max(t);
                        true
                    }
                    (Some(t), BinaryOp::Lt) => {
                        spec.time_max = spec.time_max.min(t.saturating_sub(1));
                        true
                    }
                    (Some(t), BinaryOp::LtEq) => {
                        spec.time_max = spec.time_max.min(t);
                        true
                    }
                    _ => false,
                }
            }
            Bound::Between(e, lo, hi, false) if is_time(e) => {
                match (literal_time(lo), literal_time(hi)) {
                    (Some(lo), Some(hi)) => {
                        spec.time_min = spec.time_min.max(lo);
                        spec.time_max = spec.time_max.min(hi);
                        true
                    }
                    _ => false,
                }
            }
            _ => false,
        };
        all_terms_used &= used;
    }
    empty |= spec.time_min > spec.time_max;
    empty |= matches!(&spec.tags, TagSelection::Ids(ids) if ids.is_empty());
    Ok(Planned {
        spec,
        empty,
        all_terms_used,
    })
}

fn mirror(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Lt => BinaryOp::Gt,
        BinaryOp::LtEq => BinaryOp::GtEq,
        BinaryOp::Gt => BinaryOp::Lt,
        BinaryOp::GtEq => BinaryOp::LtEq,
        other => other,
    }
}

fn conjuncts<'a>(b: &'a Bound, out: &mut Vec<&'a Bound>) {
    if let Bound::Binary(BinaryOp::And, l, r) = b {
        conjuncts(l, out);
        conjuncts(r, out);
    } else {
        out.push(b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::{Dialect, Table};
    use crate::sql::ast::{SelectItem, Statement};
    use crate::sql::eval::{BindContext, bind};
    use crate::sql::parse;
    use crate::sql::schema::Schema;

    /// Plans `where` on Machbase's EXAMPLE table, where tags `a` and `b` have ids 1 and 2.
    fn plan(where_clause: &str) -> Planned {
        let Statement::Select(q) =
            parse(&format!("select * from example where {where_clause}")).unwrap()
        else {
            panic!()
        };
        let _ = SelectItem::Star;
        let table = Table::example(1, "EXAMPLE");
        let schema = Schema::of_table(&table);
        let cx = BindContext {
            schema: &schema,
            relation: "EXAMPLE",
            params: &[],
            dialect: Dialect::Machbase,
            aggregates: false,
        };
        let filter = bind(q.filter.as_ref().unwrap(), &cx).unwrap();
        let keys = KeyColumns {
            table_id: 1,
            tag: table.tag_column,
            time: table.time_column,
        };
        plan_with(keys, Some(&filter), &mut |name| {
            Ok(match name {
                "a" => Some(1),
                "b" => Some(2),
                _ => None,
            })
        })
        .unwrap()
    }

    fn spec(tags: TagSelection, time_min: i64, time_max: i64) -> ScanSpec {
        ScanSpec {
            tags,
            time_min,
            time_max,
            ..ScanSpec::all()
        }
    }

    #[test]
    fn tag_and_time_terms_become_key_ranges() {
        assert_eq!(
            plan("name = 'a' and time >= 10 and time < 20"),
            Planned {
                spec: spec(TagSelection::Ids(vec![1]), 10, 19),
                empty: false,
                all_terms_used: true
            }
        );
        assert_eq!(
            plan("name in ('a', 'b', 'zz') and time between 5 and 6").spec,
            spec(TagSelection::Ids(vec![1, 2]), 5, 6)
        );
        assert_eq!(
            plan("'a' = name and 30 > time").spec,
            spec(TagSelection::Ids(vec![1]), i64::MIN, 29)
        );
        assert_eq!(
            plan("time > '1970-01-01 00:00:01'").spec,
            spec(TagSelection::All, 1_000_000_001, i64::MAX)
        );
    }

    #[test]
    fn unknown_tags_and_empty_ranges_read_nothing() {
        assert!(plan("name = 'nope'").empty);
        assert!(plan("name = 'a' and name = 'b'").empty);
        assert!(plan("time > 10 and time < 5").empty);
        assert!(!plan("name = 'a' or name = 'nope'").empty);
    }

    #[test]
    fn other_terms_are_left_to_the_filter() {
        let p = plan("name = 'a' and value > 3");
        assert_eq!(p.spec, spec(TagSelection::Ids(vec![1]), i64::MIN, i64::MAX));
        assert!(!p.all_terms_used);
        let p = plan("name = 'a' or time > 3");
        assert_eq!(p.spec, ScanSpec::all());
        assert!(!p.all_terms_used);
    }
}
