//! Scan planning: which key ranges a WHERE clause needs. On a tag table, `tag = 'x'`,
//! `tag IN (...)` and `tag = 'x' OR tag = 'y' OR …` (which binding made a set, as it does an
//! `IN` list) select those tags' ranges; on any table, comparisons of the key time with
//! constants (`=`, `<`, `<=`, `>`, `>=`, `BETWEEN`, ISO text or ns integers) narrow the time
//! range. Only top-level AND terms are used.
//!
//! Invariants: planning only skips rows the WHERE clause cannot match; the executor still
//! evaluates the whole clause on every row it reads, so a term planning ignores is never lost.
//! The planned tag ids are sorted and distinct, so narrowing one list by another is a binary
//! search per id, not a scan.

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
                                    TagSelection::Ids(ids) if ids.binary_search(&id).is_err() => {
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
            // `IN (…)` and `OR`ed equalities alike, as binding turned both into a set.
            Bound::InSet(e, set, false) if is_tag(e) => {
                // Only text can equal a tag name (a time is compared with the name read as
                // a time), and a NULL item never does.
                let names: Option<Vec<&str>> = set
                    .items()
                    .iter()
                    .filter_map(|v| match v {
                        Value::Str(name) => Some(Some(name.as_str())),
                        Value::Null => None,
                        _ => Some(None),
                    })
                    .collect();
                match names {
                    Some(names) => {
                        // The set's items are distinct: each name is looked up once.
                        let mut ids = Vec::with_capacity(names.len());
                        for name in names {
                            if let Some(id) = tag_id(name)? {
                                ids.push(id);
                            }
                        }
                        ids.sort_unstable();
                        ids.dedup();
                        if let TagSelection::Ids(before) = &spec.tags {
                            // Sorted (the invariant above): a binary search per id.
                            ids.retain(|id| before.binary_search(id).is_ok());
                        }
                        spec.tags = TagSelection::Ids(ids);
                        true
                    }
                    None => false,
                }
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
    use crate::sql::dml::fold;
    use crate::sql::eval::{BindContext, bind};
    use crate::sql::parse;
    use crate::sql::schema::Schema;

    /// Plans `where` on Machbase's EXAMPLE table, where tags `a` and `b` have ids 1 and 2,
    /// bound and folded as a SELECT's WHERE is.
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
        let filter = fold(bind(q.filter.as_ref().unwrap(), &cx).unwrap(), 0);
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
        let p = plan("name = 'a' or name = 'b' or value > 3");
        assert_eq!(p.spec, ScanSpec::all());
        assert!(!p.all_terms_used);
        // A time item could equal a name read as a time: such a list is left to the filter.
        for sql in [
            "name in ('a', to_date('2024-01-01 00:00:00'))",
            "name in ('a', 1)",
        ] {
            let p = plan(sql);
            assert_eq!(p.spec, ScanSpec::all(), "{sql}");
            assert!(!p.all_terms_used, "{sql}");
        }
    }

    #[test]
    fn ored_tag_equalities_select_tags_as_in_does() {
        let p = plan("name = 'b' or name = 'a' or name = 'zz' or name = 'a'");
        assert_eq!(
            p.spec,
            spec(TagSelection::Ids(vec![1, 2]), i64::MIN, i64::MAX)
        );
        assert!(p.all_terms_used);
        assert!(plan("name = 'zz' or name = 'nope'").empty);
        // NULL equals no name.
        assert_eq!(
            plan("(name = 'b' or name = null) and time < 5").spec,
            spec(TagSelection::Ids(vec![2]), i64::MIN, 4)
        );
        assert_eq!(
            plan("name in ('a', 'b') and (name = 'b' or name = 'c')").spec,
            spec(TagSelection::Ids(vec![2]), i64::MIN, i64::MAX)
        );
    }

    /// 100,000 names, each looked up once, narrowed by another 100,000: a list against a
    /// list is a binary search per id, not a scan of the other list.
    #[test]
    fn a_hundred_thousand_names_are_looked_up_once_each() {
        let list = |from: u32| {
            (from..from + 100_000)
                .map(|i| format!("'t{i}'"))
                .collect::<Vec<_>>()
                .join(",")
        };
        let sql = format!(
            "select * from example where name in ({}, {}) and name in ({})",
            list(0),
            list(0),
            list(50_000)
        );
        let Statement::Select(q) = parse(&sql).unwrap() else {
            panic!()
        };
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
        let mut lookups = 0;
        let planned = plan_with(keys, Some(&filter), &mut |name| {
            lookups += 1;
            Ok(name.strip_prefix('t').and_then(|i| i.parse().ok()))
        })
        .unwrap();
        assert_eq!(lookups, 200_000);
        assert_eq!(
            planned.spec.tags,
            TagSelection::Ids((50_000..100_000).collect())
        );
    }
}
