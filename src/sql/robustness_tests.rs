//! Property test of issue 17: random SQL nested up to 10,000 deep, random literals up to
//! 1 MiB and random JSON nesting go through the parser, binding, constant folding, the
//! planner and evaluation, and every input ends in an answer or an error, never a panic or a
//! stack overflow. Inputs come from a seeded generator, so a failure names its seed and
//! replays.

use std::sync::Arc;

use super::ast::{From, Statement};
use super::dml::fold;
use super::eval::{BindContext, bind, eval};
use super::plan::{KeyColumns, plan_with};
use super::schema::Schema;
use super::{Dialect, QueryError, parse};
use crate::catalog::Table;
use crate::ingest::decoder::{RowDecoder, Step};
use crate::ingest::json_rows::{JsonRowsDecoder, Shape};
use crate::json_value;
use crate::limits::{SQL_BYTES_MAX, SQL_DEPTH_MAX};
use crate::value::Value;

/// xorshift64*: deterministic, dependency-free randomness.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Mostly small, sometimes up to `max`: the interesting sizes are at both ends.
    fn size(&mut self, max: usize) -> usize {
        match self.below(4) {
            0 => self.below(max + 1),
            1 => max - self.below(max / 100 + 1),
            _ => self.below(8),
        }
    }
}

/// Text past which the generator stops branching: every statement stays near the SQL
/// size cap, so the test's cost is bounded whatever the seed draws.
const GENERATED_BYTES_MAX: usize = SQL_BYTES_MAX + (SQL_BYTES_MAX >> 1);

/// A random expression of about `depth` levels, mixing every recursive construct.
fn expr(rng: &mut Rng, depth: usize, out: &mut String) {
    if depth == 0 || out.len() > GENERATED_BYTES_MAX {
        leaf(rng, out);
        return;
    }
    match rng.below(11) {
        0 => {
            out.push('(');
            expr(rng, depth - 1, out);
            out.push(')');
        }
        1 => {
            out.push_str("not ");
            expr(rng, depth - 1, out);
        }
        2 => {
            out.push_str("- ");
            expr(rng, depth - 1, out);
        }
        3 => {
            out.push_str(["abs(", "concat(", "round(", "coalesce("][rng.below(4)]);
            expr(rng, depth - 1, out);
            if rng.below(2) == 0 {
                out.push_str(", ");
                leaf(rng, out);
            }
            out.push(')');
        }
        4 => {
            expr(rng, depth - 1, out);
            out.push_str([" + ", " or ", " and ", " * ", " || ", " = "][rng.below(6)]);
            expr(rng, depth / 2, out);
        }
        5 => {
            expr(rng, depth - 1, out);
            out.push_str(" in (");
            for i in 0..rng.size(2_000).max(1) {
                if i > 0 {
                    out.push(',');
                }
                leaf(rng, out);
                if out.len() > GENERATED_BYTES_MAX {
                    break;
                }
            }
            out.push(')');
        }
        6 => {
            expr(rng, depth - 1, out);
            out.push_str(" between ");
            leaf(rng, out);
            out.push_str(" and ");
            leaf(rng, out);
        }
        7 => {
            expr(rng, depth - 1, out);
            out.push_str(" like ");
            leaf(rng, out);
        }
        8 => {
            // A long flat chain: not depth.
            let op = [" or ", " and "][rng.below(2)];
            for i in 0..rng.size(5_000).max(1) {
                if i > 0 {
                    out.push_str(op);
                }
                out.push_str("name = ");
                leaf(rng, out);
                if out.len() > GENERATED_BYTES_MAX {
                    break;
                }
            }
        }
        9 => {
            expr(rng, depth - 1, out);
            out.push_str(" is not null");
        }
        _ => {
            // Garbage in the middle: the parser must still answer.
            let junk = ["(", ")", ",", "select", "'", "*", "not", "in", "?", "\u{0}"];
            out.push_str(junk[rng.below(junk.len())]);
            expr(rng, depth - 1, out);
        }
    }
}

fn leaf(rng: &mut Rng, out: &mut String) {
    match rng.below(8) {
        0 => out.push_str("value"),
        1 => out.push_str("name"),
        2 => out.push_str("time"),
        3 => out.push_str(&rng.next().to_string()),
        4 => out.push_str("'2024-01-01 00:00:00'"),
        5 => out.push_str("now"),
        6 => {
            // A string literal of up to 1 MiB, with quotes to escape.
            let len = rng.size(SQL_BYTES_MAX.saturating_sub(out.len()));
            out.push('\'');
            out.extend(std::iter::repeat_n('a', len));
            out.push_str("''b'");
        }
        _ => out.push_str(&format!(
            "{}.{}e{}",
            rng.below(1000),
            rng.below(1000),
            rng.below(400)
        )),
    }
}

fn statement(rng: &mut Rng) -> String {
    let depth = match rng.below(3) {
        0 => rng.below(SQL_DEPTH_MAX * 2),
        1 => rng.below(10_000),
        _ => rng.below(30),
    };
    let mut e = String::new();
    expr(rng, depth, &mut e);
    match rng.below(6) {
        0 => format!("select {e} from T"),
        1 => format!("select count(*) from T where {e}"),
        2 => {
            let most = if rng.below(2) == 0 {
                10_000
            } else {
                SQL_DEPTH_MAX
            };
            let n = rng.below(most);
            format!(
                "select * from {}T{} where {e}",
                "(select * from ".repeat(n),
                ")".repeat(n)
            )
        }
        3 => format!("select {e} as a from T group by 1, a having a order by a, a"),
        4 => format!("delete from T where {e}"),
        _ => format!("select name from T where {e} order by {e} limit 3"),
    }
}

/// Everything after parsing that a SELECT's WHERE goes through before rows flow, with the
/// store replaced by a lookup that refuses names as the store does.
fn plan_and_evaluate(sql: &str) -> Result<(), QueryError> {
    let statement = parse(sql)?;
    let Statement::Select(select) = statement else {
        return Ok(());
    };
    let table = Arc::new(Table::example(1, "T"));
    let schema = Schema::of_table(&table);
    let cx = BindContext {
        schema: &schema,
        relation: "T",
        params: &[],
        dialect: Dialect::Proton,
        aggregates: false,
    };
    let mut innermost = &select;
    while let Some(From::Subquery(inner)) = &innermost.from {
        innermost = inner;
    }
    let Some(filter) = &innermost.filter else {
        return Ok(());
    };
    let bound = fold(bind(filter, &cx)?, 0);
    let keys = KeyColumns {
        table_id: table.id,
        tag: table.tag_column,
        time: table.time_column,
    };
    plan_with(keys, Some(&bound), &mut |name| {
        Ok((name.len() < 8).then_some(7))
    })?;
    let row = [
        Value::Str("a".into()),
        Value::Time(1_700_000_000_000_000_000),
        Value::Float(1.5),
    ];
    eval(&bound, &row, 0)?;
    Ok(())
}

#[test]
fn random_deep_sql_and_long_literals_answer_or_fail_without_panicking() {
    // Run on a thread with the executor's stack, as requests do.
    let outcome = std::thread::Builder::new()
        .stack_size(crate::limits::EXECUTOR_STACK_BYTES)
        .spawn(|| {
            let mut refused = 0;
            for seed in 1..=300u64 {
                let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
                let sql = statement(&mut rng);
                if plan_and_evaluate(&sql).is_err() {
                    refused += 1;
                }
            }
            refused
        })
        .and_then(|t| t.join().map_err(|_| std::io::Error::other("panicked")));
    let refused = outcome.unwrap();
    // Both outcomes happen, so the generator reaches past the bound and inside it.
    assert!((1..300).contains(&refused), "{refused} of 300 refused");
}

#[test]
fn random_json_nesting_answers_or_fails_without_panicking() {
    let mut rng = Rng(0x5eed);
    for _ in 0..200 {
        let depth = rng.size(10_000);
        let mut doc = String::new();
        let mut closers = Vec::new();
        for _ in 0..depth {
            if rng.below(2) == 0 {
                doc.push_str("{\"data\":");
                closers.push('}');
            } else {
                doc.push('[');
                closers.push(']');
            }
        }
        doc.push_str(["1", "\"x\"", "null", "[]", "{}"][rng.below(5)]);
        // Sometimes left unclosed or closed wrongly.
        let close = match rng.below(4) {
            0 => closers.len() / 2,
            _ => closers.len(),
        };
        doc.extend(closers.iter().rev().take(close));
        if rng.below(4) == 0 {
            doc.push(']');
        }
        let _ = json_value::parse(doc.as_bytes());
        for shape in [Shape::Machbase, Shape::Proton] {
            let mut decoder = JsonRowsDecoder::new(shape);
            let mut input = doc.as_bytes();
            for _ in 0..=doc.len() + 1 {
                match decoder.next(input) {
                    Ok((Step::End, _)) | Err(_) => break,
                    Ok((_, used)) => input = input.get(used..).unwrap_or_default(),
                }
            }
        }
    }
}
