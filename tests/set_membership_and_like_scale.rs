//! Issue 18, set membership: `IN (…)` lists and `OR`ed equalities of 100,000 constants cost
//! about one scan (a hash lookup per row; on the tag name, a key lookup per name), and a
//! `LIKE` pattern of 100,000 `%` costs what a short one costs. Before, each row compared
//! every item (25,000 names took 78 s in a release build) and re-read the whole pattern.
//!
//! Every request is bounded by `QUERY_TIMEOUT`: far above what each takes (seconds in a
//! debug build), far below what each took before (many minutes to hours in a debug build).

mod common;

use std::time::{Duration, Instant};

use common::*;

const QUERY_TIMEOUT: Duration = Duration::from_secs(120);

/// Tag names of three characters, so 100,000 `n='abc'or ` terms fit `SQL_BYTES_MAX`.
const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

fn tag(i: usize) -> String {
    let n = ALPHABET.len();
    [i / (n * n), i / n, i]
        .iter()
        .map(|&d| char::from(ALPHABET[d % n]))
        .collect()
}

/// `sql` through `POST /db/query` (JSON body, CSV reply) within `QUERY_TIMEOUT`: the
/// reply's one value, and the time it took.
fn count(s: &Server, sql: &str) -> (String, Duration) {
    let body = format!(r#"{{"q":"{sql}","format":"csv","heading":false}}"#);
    let started = Instant::now();
    let r = request_within(
        &s.addr,
        "POST",
        "/db/query",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
        QUERY_TIMEOUT,
    )
    .unwrap_or_else(|e| panic!("{}…: {e}", &sql[..80.min(sql.len())]));
    let took = started.elapsed();
    assert_eq!(r.status, 200, "{}", r.text());
    (r.text().trim().to_owned(), took)
}

#[test]
fn a_hundred_thousand_tag_names_in_an_in_list_or_an_or_chain() {
    let s = Server::start("sets-names");
    machbase_ddl(
        &s,
        "create tag table S (n varchar(8) primary key, t datetime basetime, v double)",
        "Created successfully.",
    );
    const STORED: usize = 30_000;
    let body: String = (0..STORED)
        .map(|i| format!("{},1000,{i}\n", tag(i)))
        .collect();
    machbase_write_ok_as(
        &s,
        "S?format=csv&method=append",
        "text/csv",
        body.as_bytes(),
        STORED,
    );
    // 100,000 distinct names: the first 20,000 stored, then 80,000 that are not.
    let asked: Vec<String> = (0..20_000)
        .chain(STORED..STORED + 80_000)
        .map(tag)
        .collect();

    let list = asked
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(",");
    let (got, took) = count(&s, &format!("select count(*) from S where n in ({list})"));
    assert_eq!(got, "20000", "IN");
    eprintln!("100,000 names IN: {took:?}");

    // `'abc'or` needs no space: 10 bytes a term, 1,000,000 in all, under SQL_BYTES_MAX.
    let terms = asked
        .iter()
        .map(|n| format!("n='{n}'"))
        .collect::<Vec<_>>()
        .join("or ");
    let sql = format!("select count(*) from S where {terms}");
    assert!(sql.len() < 1 << 20, "{} bytes", sql.len());
    let (got, took) = count(&s, &sql);
    assert_eq!(got, "20000", "OR");
    eprintln!("100,000 names ORed: {took:?}");

    // Neither of these selects tags: every stored row is read and looked up in the set.
    let (got, took) = count(&s, &format!("select count(*) from S where {terms}or v < 0"));
    assert_eq!(got, "20000", "OR with another term");
    eprintln!("100,000 names ORed with another term, over {STORED} tags: {took:?}");
    let sql = format!("select count(*) from S where n not in ({list})");
    let (got, took) = count(&s, &sql);
    assert_eq!(got, "10000", "NOT IN");
    eprintln!("100,000 names NOT IN, over {STORED} tags: {took:?}");
}

#[test]
fn a_hundred_thousand_numbers_and_percent_signs_over_300_000_rows() {
    let s = Server::start("sets-values");
    create_tag_table(&s, "V");
    const ROWS: usize = 300_000;
    for first in (0..ROWS).step_by(50_000) {
        // Values 0, 0.5, 1, …, 149,999.5 over three tags.
        let body: String = (first..first + 50_000)
            .map(|i| format!("tag{},{},{}\n", i % 3, 1_000 + i, i as f64 / 2.0))
            .collect();
        machbase_write_ok_as(
            &s,
            "V?format=csv&method=append",
            "text/csv",
            body.as_bytes(),
            50_000,
        );
    }
    // A double column against integer literals: 0.0 = 0, 1.0 = 1, …; 0.5 equals none.
    let list = (0..100_000)
        .map(|i| i.to_string())
        .collect::<Vec<_>>()
        .join(",");
    let sql = format!("select count(*) from V where value in ({list})");
    let (got, took) = count(&s, &sql);
    assert_eq!(got, "100000");
    eprintln!("value in (0, …, 99999) over {ROWS} rows: {took:?}");
    let sql = format!("select count(*) from V where value not in ({list}, null)");
    assert_eq!(count(&s, &sql).0, "0", "NOT IN with a NULL is never TRUE");

    // A hundred thousand `%` and one character: the rows of `tag2`.
    let pattern = format!("{}2", "%".repeat(100_000));
    let (got, took) = count(
        &s,
        &format!("select count(*) from V where name like '{pattern}'"),
    );
    assert_eq!(got, "100000", "LIKE");
    eprintln!("LIKE '<100,000 × %>2' over {ROWS} rows: {took:?}");
    let sql = format!("select count(*) from V where name not like '{pattern}'");
    assert_eq!(count(&s, &sql).0, "200000", "NOT LIKE");
}
