//! Set membership for `x IN (constants)` and for `OR`ed equalities of one expression with
//! constants (`x = 1 OR x = 2 OR …`): one hash lookup per row instead of one comparison per
//! item, so 100,000 items cost about what a plain scan costs.
//!
//! Not here: binding and evaluation (`eval`), which build and consult a `ValueSet`; the
//! planner (`plan`), which reads a set on the tag column as a list of tag names.
//!
//! Invariant: `ValueSet::lookup(v)` answers exactly what comparing `v` with each item in
//! turn answers in `eval` (`sql_compare`): TRUE when some item is equal, otherwise NULL when
//! some comparison is NULL (a NULL item, a NaN, kinds that do not compare, text that is not
//! a time), otherwise FALSE. Equality across kinds follows `Value::compare`: integers and
//! times exactly, other numeric pairs as f64 (so `1 = 1.0` and `true = 1`), text against a
//! time read as a time. So every item is kept under its exact key and, when numeric, under
//! its f64 image, both tagged with its kind, and a lookup asks for the keys `v`'s kind
//! compares with. The tests check this against the item-by-item evaluation on random values.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use super::ast::BinaryOp;
use super::eval::Bound;
use crate::timefmt;
use crate::value::Value;

/// The kind of a non-NULL value, as a bit of `ValueSet::kinds`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Bool,
    Int,
    UInt,
    Float,
    Time,
    Date,
    Str,
    Bytes,
    Ipv4,
    Ipv6,
    Uuid,
}

impl Kind {
    fn of(v: &Value) -> Option<Kind> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) => Kind::Int,
            Value::UInt(_) => Kind::UInt,
            Value::Float(_) => Kind::Float,
            Value::Time(_) => Kind::Time,
            Value::Date(_) => Kind::Date,
            Value::Str(_) => Kind::Str,
            Value::Bytes(_) => Kind::Bytes,
            Value::Ipv4(_) => Kind::Ipv4,
            Value::Ipv6(_) => Kind::Ipv6,
            Value::Uuid(_) => Kind::Uuid,
        })
    }

    const fn bit(self) -> u16 {
        1 << self as u16
    }
}

/// The kinds `Value::as_f64` reads: every pair of them compares, exactly or as f64.
const NUMERIC: u16 = Kind::Bool.bit()
    | Kind::Int.bit()
    | Kind::UInt.bit()
    | Kind::Float.bit()
    | Kind::Time.bit()
    | Kind::Date.bit();

/// The numeric kinds a value of kind `k` compares with as f64 rather than exactly
/// (`Value::compare`'s fallback arm).
fn f64_partners(k: Kind) -> &'static [Kind] {
    use Kind::*;
    match k {
        Int => &[Float, Date, Bool],
        UInt => &[Time, Float, Date, Bool],
        Time => &[UInt, Float, Date, Bool],
        Float => &[Bool, Int, UInt, Float, Time, Date],
        Date => &[Bool, Int, UInt, Float, Time],
        Bool => &[Int, UInt, Float, Time, Date],
        Str | Bytes | Ipv4 | Ipv6 | Uuid => &[],
    }
}

/// The kinds a value of kind `k` compares with at all; an item of another kind makes a
/// non-match NULL.
fn comparable(k: Kind) -> u16 {
    match k {
        Kind::Bool | Kind::Int | Kind::UInt | Kind::Float | Kind::Date => NUMERIC,
        Kind::Time => NUMERIC | Kind::Str.bit(),
        Kind::Str => Kind::Str.bit() | Kind::Time.bit(),
        other => other.bit(),
    }
}

/// A hash key of an item that is not text or bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Bool(bool),
    Int(i64),
    UInt(u64),
    Time(i64),
    Date(i32),
    Ipv4([u8; 4]),
    Ipv6([u8; 16]),
    Uuid([u8; 16]),
    /// A text item that reads as this time, for a time value (`time IN ('2024-01-01')`).
    StrTime(i64),
    /// A numeric item of this kind, as f64 bits (never NaN; -0.0 as 0.0).
    F64(Kind, u64),
}

/// f64 bits under which equal numbers are equal: `0.0 == -0.0`. NaN is never a key.
fn f64_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

/// The distinct constants of an `IN` list or an `OR` of equalities, hashed for lookup.
#[derive(Clone, Default)]
pub struct ValueSet {
    /// Distinct items in first-seen order (what `items` answers and the planner reads).
    items: Vec<Value>,
    keys: HashSet<Key>,
    strs: HashSet<String>,
    bytes: HashSet<Vec<u8>>,
    /// `Kind::bit`s of the items' kinds.
    kinds: u16,
    null: bool,
    /// A Float item is NaN: it compares with nothing.
    nan: bool,
    /// A text item does not read as a time: compared with a time, it is NULL.
    str_not_time: bool,
}

impl ValueSet {
    pub fn new(items: impl IntoIterator<Item = Value>) -> ValueSet {
        let mut set = ValueSet::default();
        for v in items {
            set.insert(v);
        }
        set
    }

    /// The distinct items, in the order first given.
    pub fn items(&self) -> &[Value] {
        &self.items
    }

    fn insert(&mut self, v: Value) {
        let Some(kind) = Kind::of(&v) else {
            if !self.null {
                self.null = true;
                self.items.push(v);
            }
            return;
        };
        // Every number is also kept as its f64 image, for the kinds compared as f64.
        let new_f64 = match v.as_f64() {
            Some(x) if !x.is_nan() => self.keys.insert(Key::F64(kind, f64_bits(x))),
            _ => false,
        };
        let new = match &v {
            Value::Null => false,
            Value::Bool(b) => self.keys.insert(Key::Bool(*b)),
            Value::Int(i) => self.keys.insert(Key::Int(*i)),
            Value::UInt(u) => self.keys.insert(Key::UInt(*u)),
            Value::Time(t) => self.keys.insert(Key::Time(*t)),
            Value::Date(d) => self.keys.insert(Key::Date(*d)),
            Value::Ipv4(a) => self.keys.insert(Key::Ipv4(*a)),
            Value::Ipv6(a) => self.keys.insert(Key::Ipv6(*a)),
            Value::Uuid(a) => self.keys.insert(Key::Uuid(*a)),
            // A float's only key is its f64 image (-0.0 and 0.0 are one item, as they
            // compare equal); NaN has none and is kept once.
            Value::Float(x) if x.is_nan() => !std::mem::replace(&mut self.nan, true),
            Value::Float(_) => new_f64,
            Value::Str(s) => {
                let new = !self.strs.contains(s.as_str());
                if new {
                    self.strs.insert(s.clone());
                    match timefmt::parse_best_effort(s) {
                        Some(t) => {
                            self.keys.insert(Key::StrTime(t));
                        }
                        None => self.str_not_time = true,
                    }
                }
                new
            }
            Value::Bytes(b) => self.bytes.insert(b.clone()),
        };
        if new {
            self.kinds |= kind.bit();
            self.items.push(v);
        }
    }

    /// `v IN (items)` before negation: `Some(true)` when an item equals `v`, `None` when
    /// none does but a comparison is NULL, `Some(false)` otherwise.
    pub fn lookup(&self, v: &Value) -> Option<bool> {
        // NULL is in no set: the answer is NULL.
        let kind = Kind::of(v)?;
        let has = |k: Key| self.keys.contains(&k);
        let exact = match v {
            Value::Null => false,
            Value::Bool(b) => has(Key::Bool(*b)),
            Value::Int(i) => {
                has(Key::Int(*i))
                    || has(Key::Time(*i))
                    || u64::try_from(*i).is_ok_and(|u| has(Key::UInt(u)))
            }
            Value::UInt(u) => {
                has(Key::UInt(*u)) || i64::try_from(*u).is_ok_and(|i| has(Key::Int(i)))
            }
            Value::Time(t) => has(Key::Time(*t)) || has(Key::Int(*t)) || has(Key::StrTime(*t)),
            Value::Date(d) => has(Key::Date(*d)),
            Value::Float(_) => false,
            Value::Str(s) => {
                self.strs.contains(s.as_str())
                    || (self.kinds & Kind::Time.bit() != 0
                        && timefmt::parse_best_effort(s).is_some_and(|t| has(Key::Time(t))))
            }
            Value::Bytes(b) => self.bytes.contains(b.as_slice()),
            Value::Ipv4(a) => has(Key::Ipv4(*a)),
            Value::Ipv6(a) => has(Key::Ipv6(*a)),
            Value::Uuid(a) => has(Key::Uuid(*a)),
        };
        let x = v.as_f64();
        let by_f64 = || {
            x.is_some_and(|x| {
                !x.is_nan()
                    && f64_partners(kind)
                        .iter()
                        .any(|&k| self.kinds & k.bit() != 0 && has(Key::F64(k, f64_bits(x))))
            })
        };
        if exact || by_f64() {
            return Some(true);
        }
        let numeric = NUMERIC & kind.bit() != 0;
        let null = self.null
            || self.kinds & !comparable(kind) != 0
            // A NaN compares with no number, on either side.
            || (numeric && self.nan)
            || (x.is_some_and(f64::is_nan) && self.kinds & NUMERIC != 0)
            || (kind == Kind::Time && self.str_not_time)
            || (kind == Kind::Str
                && self.kinds & Kind::Time.bit() != 0
                && matches!(v, Value::Str(s) if timefmt::parse_best_effort(s).is_none()));
        if null { None } else { Some(false) }
    }
}

impl PartialEq for ValueSet {
    fn eq(&self, other: &ValueSet) -> bool {
        self.items == other.items
    }
}

/// Items beyond this many are left out of `Debug`: a set can hold a million.
const DEBUG_ITEMS_MAX: usize = 8;

impl fmt::Debug for ValueSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut list = f.debug_list();
        list.entries(self.items.iter().take(DEBUG_ITEMS_MAX));
        if self.items.len() > DEBUG_ITEMS_MAX {
            list.entry(&format_args!("… {} items", self.items.len()));
        }
        list.finish()
    }
}

/// Distinct expressions the equalities of one `OR` tree are grouped by. Equalities on
/// further expressions stay as they are, so grouping costs at most this many expression
/// comparisons per leaf.
const OR_GROUPS_MAX: usize = 16;

/// What becomes of each leaf of an `OR` tree.
#[derive(Debug, Clone, Copy)]
enum Leaf {
    Keep,
    /// The first equality of a group: replaced by the group's set (an index into the sets).
    Set(usize),
    /// A later equality of a group: its item is in the set, the leaf goes.
    Drop,
}

/// An `OR` leaf that tests one expression against constants: `e = c`, `c = e`, or a
/// non-negated `e IN (…)` set; the expression and the constants.
fn equality(leaf: &Bound) -> Option<(&Bound, &[Value])> {
    match leaf {
        Bound::Binary(BinaryOp::Eq, l, r) => match (&**l, &**r) {
            (Bound::Literal(_), Bound::Literal(_)) => None,
            (e, Bound::Literal(c)) | (Bound::Literal(c), e) => Some((e, std::slice::from_ref(c))),
            _ => None,
        },
        Bound::InSet(e, set, false) => Some((e, set.items())),
        _ => None,
    }
}

/// Rewrites the `OR` tree `tree` (nested `Binary(Or)` nodes; anything else is a leaf) so
/// that the equalities of one expression with constants, two or more, become one set
/// lookup (`Bound::InSet`) in place of the first of them, and the others leave the tree.
/// Other leaves stay, in their order, and the tree keeps its shape, so it grows no deeper.
///
/// The result is the same for every row: `e = c` is `e IN (c)`, and `OR` takes TRUE over
/// NULL over FALSE whatever the order. Only errors can differ, and only by vanishing: a leaf
/// between two equalities that would fail on a row is skipped when the set (evaluated
/// where the first equality was) is TRUE.
pub fn absorb_equalities(tree: Bound) -> Bound {
    let (actions, mut sets) = {
        let mut leaves: Vec<&Bound> = Vec::new();
        let mut stack = vec![&tree];
        while let Some(node) = stack.pop() {
            match node {
                Bound::Binary(BinaryOp::Or, l, r) => {
                    stack.push(r);
                    stack.push(l);
                }
                leaf => leaves.push(leaf),
            }
        }
        let mut groups: Vec<(&Bound, Vec<usize>)> = Vec::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let Some((e, _)) = equality(leaf) else {
                continue;
            };
            if let Some((_, members)) = groups.iter_mut().find(|(g, _)| *g == e) {
                members.push(i);
            } else if groups.len() < OR_GROUPS_MAX {
                groups.push((e, vec![i]));
            }
        }
        let mut actions = vec![Leaf::Keep; leaves.len()];
        let mut sets = Vec::new();
        for (e, members) in groups.iter().filter(|(_, m)| m.len() > 1) {
            let items = members
                .iter()
                .filter_map(|&i| leaves.get(i).and_then(|leaf| equality(leaf)))
                .flat_map(|(_, items)| items.iter().cloned());
            let set = Bound::InSet(
                Box::new((*e).clone()),
                Arc::new(ValueSet::new(items)),
                false,
            );
            for (n, &i) in members.iter().enumerate() {
                if let Some(action) = actions.get_mut(i) {
                    *action = if n == 0 {
                        Leaf::Set(sets.len())
                    } else {
                        Leaf::Drop
                    };
                }
            }
            sets.push(Some(set));
        }
        (actions, sets)
    };
    if sets.is_empty() {
        return tree;
    }
    let mut next = 0;
    // An OR of no terms is FALSE; the tree keeps at least the first set, so this is moot.
    rebuild(tree, &actions, &mut next, &mut sets).unwrap_or(Bound::Literal(Value::Bool(false)))
}

/// `tree` with each leaf kept, dropped or replaced by its set, as `actions` say (leaves in
/// left-to-right order, `next` counting them). Recursive over the `OR` nodes only, whose
/// depth the parser bounds.
fn rebuild(
    tree: Bound,
    actions: &[Leaf],
    next: &mut usize,
    sets: &mut [Option<Bound>],
) -> Option<Bound> {
    match tree {
        Bound::Binary(BinaryOp::Or, l, r) => {
            let l = rebuild(*l, actions, next, sets);
            let r = rebuild(*r, actions, next, sets);
            match (l, r) {
                (Some(l), Some(r)) => Some(Bound::Binary(BinaryOp::Or, Box::new(l), Box::new(r))),
                (one, None) | (None, one) => one,
            }
        }
        leaf => {
            let action = actions.get(*next).copied().unwrap_or(Leaf::Keep);
            *next += 1;
            match action {
                Leaf::Keep => Some(leaf),
                Leaf::Set(k) => sets.get_mut(k).and_then(Option::take),
                Leaf::Drop => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::eval::eval;

    /// xorshift64*: deterministic, dependency-free randomness.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: usize) -> usize {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
        }
    }

    /// Values that meet at the edges of every cross-kind rule: equal across kinds (`1`,
    /// `1.0`, `true`, `UInt 1`), equal as times (an epoch second as text), lost in f64
    /// (2^53 + 1), NaN and both zeros, text that is and is not a time.
    fn pool() -> Vec<Value> {
        let two53 = 1i64 << 53;
        let second = 1_000_000_000;
        let new_year = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
        vec![
            Value::Null,
            Value::Bool(true),
            Value::Bool(false),
            Value::Int(0),
            Value::Int(1),
            Value::Int(-1),
            Value::Int(2),
            Value::Int(two53),
            Value::Int(two53 + 1),
            Value::Int(second),
            Value::Int(new_year),
            Value::Int(i64::MIN),
            Value::Int(i64::MAX),
            Value::UInt(0),
            Value::UInt(1),
            Value::UInt(two53 as u64 + 1),
            Value::UInt(u64::MAX),
            Value::UInt(1 << 63),
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(1.0),
            Value::Float(1.5),
            Value::Float(-1.0),
            Value::Float(two53 as f64),
            Value::Float(f64::NAN),
            Value::Float(f64::INFINITY),
            Value::Float(1e9),
            Value::Float(9.223_372_036_854_776e18),
            Value::Time(0),
            Value::Time(1),
            Value::Time(second),
            Value::Time(two53 + 1),
            Value::Time(new_year),
            Value::Date(0),
            Value::Date(1),
            Value::Date(19_723),
            Value::Str(String::new()),
            Value::Str("a".into()),
            Value::Str("b".into()),
            Value::Str("1".into()),
            Value::Str("1970-01-01 00:00:01".into()),
            Value::Str("2024-01-01".into()),
            Value::Str("2024-01-01 00:00:00".into()),
            Value::Str("tag-1".into()),
            Value::Bytes(vec![1]),
            Value::Bytes(vec![]),
            Value::Ipv4([127, 0, 0, 1]),
            Value::Ipv4([10, 0, 0, 1]),
            Value::Ipv6([0; 16]),
            Value::Uuid([0; 16]),
            Value::Uuid([1; 16]),
        ]
    }

    fn lit(v: &Value) -> Bound {
        Bound::Literal(v.clone())
    }

    /// `x [NOT] IN (items)` evaluated item by item and through the set answer the same for
    /// every value, and so does an `OR` of `x = item` leaves (either side) before and after
    /// its equalities are absorbed.
    #[test]
    fn set_lookup_agrees_with_item_by_item_evaluation() {
        let pool = pool();
        let mut rng = Rng(0x5eed_0f5e_7500);
        let x = || Box::new(Bound::Column(0));
        for round in 0..8_000 {
            let items: Vec<Value> = (0..1 + rng.below(6))
                .map(|_| pool[rng.below(pool.len())].clone())
                .collect();
            let set = Arc::new(ValueSet::new(items.clone()));
            let list: Vec<Bound> = items.iter().map(lit).collect();
            let leaves: Vec<Bound> = items
                .iter()
                .map(|v| {
                    let (l, r) = if rng.below(2) == 0 {
                        (x(), Box::new(lit(v)))
                    } else {
                        (Box::new(lit(v)), x())
                    };
                    Bound::Binary(BinaryOp::Eq, l, r)
                })
                .collect();
            let or = leaves
                .into_iter()
                .reduce(|a, b| Bound::Binary(BinaryOp::Or, Box::new(a), Box::new(b)))
                .unwrap();
            let absorbed = absorb_equalities(or.clone());
            if items.len() > 1 {
                assert!(matches!(absorbed, Bound::InSet(..)), "{absorbed:?}");
            }
            for v in &pool {
                let row = [v.clone()];
                for negated in [false, true] {
                    let linear = eval(&Bound::InList(x(), list.clone(), negated), &row, 0).unwrap();
                    let hashed = eval(&Bound::InSet(x(), set.clone(), negated), &row, 0).unwrap();
                    assert_eq!(
                        hashed,
                        linear,
                        "round {round}: {v:?} {}IN {items:?}",
                        if negated { "NOT " } else { "" }
                    );
                }
                assert_eq!(
                    eval(&absorbed, &row, 0).unwrap(),
                    eval(&or, &row, 0).unwrap(),
                    "round {round}: {v:?} against OR of {items:?}"
                );
            }
        }
    }

    #[test]
    fn items_are_distinct_in_first_seen_order() {
        let set = ValueSet::new([
            Value::Str("b".into()),
            Value::Str("a".into()),
            Value::Str("b".into()),
            Value::Null,
            Value::Null,
            Value::Float(0.0),
            Value::Float(-0.0),
            Value::Float(f64::NAN),
            Value::Float(f64::NAN),
            Value::Int(0),
        ]);
        assert_eq!(set.items().len(), 6);
        assert_eq!(
            set.items()[..2],
            [Value::Str("b".into()), Value::Str("a".into())]
        );
        assert_eq!(set.items()[5], Value::Int(0));
    }

    fn col(i: usize) -> Box<Bound> {
        Box::new(Bound::Column(i))
    }

    fn eq(i: usize, v: i64) -> Bound {
        Bound::Binary(
            BinaryOp::Eq,
            col(i),
            Box::new(Bound::Literal(Value::Int(v))),
        )
    }

    fn or(a: Bound, b: Bound) -> Bound {
        Bound::Binary(BinaryOp::Or, Box::new(a), Box::new(b))
    }

    fn set_of(i: usize, items: &[i64]) -> Bound {
        Bound::InSet(
            col(i),
            Arc::new(ValueSet::new(items.iter().map(|&v| Value::Int(v)))),
            false,
        )
    }

    #[test]
    fn equalities_of_each_expression_become_one_set_where_the_first_was() {
        let gt = Bound::Binary(
            BinaryOp::Gt,
            col(1),
            Box::new(Bound::Literal(Value::Int(3))),
        );
        // ((c0 = 1 OR c1 > 3) OR (c0 = 2 OR c1 = 7)) OR (c1 = 8 OR c0 = 4)
        let tree = or(
            or(or(eq(0, 1), gt.clone()), or(eq(0, 2), eq(1, 7))),
            or(eq(1, 8), eq(0, 4)),
        );
        assert_eq!(
            absorb_equalities(tree),
            or(or(set_of(0, &[1, 2, 4]), gt.clone()), set_of(1, &[7, 8]))
        );
        // One equality per expression: nothing to gain, the tree is returned as it was.
        let single = or(eq(0, 1), or(gt.clone(), eq(1, 2)));
        assert_eq!(absorb_equalities(single.clone()), single);
        // An `IN` set joins the equalities of its expression; `NOT IN` does not.
        let not_in = Bound::InSet(col(0), Arc::new(ValueSet::new([Value::Int(9)])), true);
        let tree = or(or(set_of(0, &[1, 2]), not_in.clone()), eq(0, 3));
        assert_eq!(absorb_equalities(tree), or(set_of(0, &[1, 2, 3]), not_in));
        // `c = c` between two constants is not an equality of an expression.
        let constants = Bound::Binary(
            BinaryOp::Eq,
            Box::new(Bound::Literal(Value::Int(1))),
            Box::new(Bound::Literal(Value::Int(1))),
        );
        let tree = or(constants.clone(), constants.clone());
        assert_eq!(absorb_equalities(tree.clone()), tree);
    }

    #[test]
    fn a_hundred_thousand_equalities_become_one_set() {
        let mut level: Vec<Bound> = (0..100_000).map(|v| eq(0, v)).collect();
        while level.len() > 1 {
            let mut next = Vec::with_capacity(level.len().div_ceil(2));
            let mut it = level.into_iter();
            while let Some(a) = it.next() {
                next.push(match it.next() {
                    Some(b) => or(a, b),
                    None => a,
                });
            }
            level = next;
        }
        let tree = level.pop().unwrap();
        let Bound::InSet(e, set, false) = absorb_equalities(tree) else {
            panic!("not one set");
        };
        assert_eq!(*e, Bound::Column(0));
        assert_eq!(set.items().len(), 100_000);
        assert_eq!(set.lookup(&Value::Float(99_999.0)), Some(true));
        assert_eq!(set.lookup(&Value::Int(100_000)), Some(false));
    }

    #[test]
    fn equalities_beyond_the_group_bound_are_left_as_they_are() {
        let leaves = (0..OR_GROUPS_MAX + 1).flat_map(|i| [eq(i, 1), eq(i, 2)]);
        let tree = leaves.reduce(or).unwrap();
        let absorbed = absorb_equalities(tree);
        let mut sets = 0;
        let mut stack = vec![&absorbed];
        while let Some(node) = stack.pop() {
            match node {
                Bound::Binary(BinaryOp::Or, l, r) => stack.extend([&**l, &**r]),
                Bound::InSet(..) => sets += 1,
                _ => {}
            }
        }
        assert_eq!(sets, OR_GROUPS_MAX);
    }
}
