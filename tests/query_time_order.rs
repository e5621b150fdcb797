//! `ORDER BY time` across several tags of a tag table: the rows of every selected tag come
//! back in one time order (the store merges the tags' ranges; see `store::merge`), with
//! LIMIT, OFFSET, time ranges and `IN` lists, in both directions.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_tag_table, machbase_write_ok_as, query_csv};

/// Three tags written in an order unlike time order: `t<k>` has a row every 3 s from
/// k seconds, and `late` has rows before and after every other tag's.
fn fixture() -> (Server, Vec<(String, i64)>) {
    let s = Server::start("time-order");
    create_tag_table(&s, "T");
    let mut rows = Vec::new();
    for tag in ["t2", "t0", "t1"] {
        let k: i64 = tag[1..].parse().unwrap();
        for i in 0..40 {
            rows.push((tag.to_owned(), 1_700_000_000 + k + 3 * i));
        }
    }
    rows.push(("late".to_owned(), 1_600_000_000));
    rows.push(("late".to_owned(), 1_800_000_000));
    // Equal times across tags.
    rows.push(("late".to_owned(), 1_700_000_030));
    let csv: String = rows
        .iter()
        .map(|(tag, t)| format!("{tag},{t},{t}\n"))
        .collect();
    let body = format!("NAME,TIME,VALUE\n{csv}");
    machbase_write_ok_as(
        &s,
        "T?timeformat=s&header=columns",
        "text/csv",
        body.as_bytes(),
        rows.len(),
    );
    (s, rows)
}

fn expected(rows: &[(String, i64)], keep: impl Fn(&(String, i64)) -> bool, desc: bool) -> String {
    let mut rows: Vec<_> = rows.iter().filter(|r| keep(r)).cloned().collect();
    // Equal times: ascending merges answer in tag id order, which is first-written order
    // (t2, t0, t1, late); the test data has equal times only between `late` and `t0`.
    rows.sort_by_key(|(tag, t)| (*t, tag != "t0"));
    if desc {
        rows.reverse();
    }
    rows.iter().map(|(tag, t)| format!("{tag},{t}\n")).collect()
}

#[test]
fn order_by_time_merges_every_tag() {
    let (s, rows) = fixture();
    let all = |_: &(String, i64)| true;
    assert_eq!(
        query_csv(&s, "select name, time from T order by time"),
        format!("NAME,TIME\n{}\n", expected(&rows, all, false))
    );
    assert_eq!(
        query_csv(&s, "select name, time from T order by time desc"),
        format!("NAME,TIME\n{}\n", expected(&rows, all, true))
    );
    let newest: String = expected(&rows, all, true)
        .lines()
        .skip(2)
        .take(5)
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(
        query_csv(&s, "select name, time from T order by time desc limit 2, 5"),
        format!("NAME,TIME\n{newest}\n")
    );
}

#[test]
fn order_by_time_with_tag_lists_and_time_ranges() {
    let (s, rows) = fixture();
    let listed = |r: &(String, i64)| r.0 == "t1" || r.0 == "late";
    assert_eq!(
        query_csv(
            &s,
            "select name, time from T where name in ('late', 't1') order by time"
        ),
        format!("NAME,TIME\n{}\n", expected(&rows, listed, false))
    );
    let window = |r: &(String, i64)| (1_700_000_010..=1_700_000_040).contains(&r.1);
    assert_eq!(
        query_csv(
            &s,
            "select name, time from T where time between 1700000010000000000 \
             and 1700000040000000000 order by time desc"
        ),
        format!("NAME,TIME\n{}\n", expected(&rows, window, true))
    );
    // The same window without ORDER BY reads tag by tag: every row once.
    let body = query_csv(
        &s,
        "select name, time from T where time between 1700000010000000000 and 1700000040000000000",
    );
    let mut got: Vec<&str> = body.lines().skip(1).filter(|l| !l.is_empty()).collect();
    got.sort_unstable();
    let want = expected(&rows, window, false);
    let mut want: Vec<&str> = want.lines().collect();
    want.sort_unstable();
    assert_eq!(got, want);
}
