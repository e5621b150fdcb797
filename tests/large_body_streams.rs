//! A body larger than one batch streams through in chunks and commits batch by batch; an
//! error late in such a body reports exactly how many rows were stored before it.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, chunked, create_tag_table, machbase_query};

fn body(rows: usize, bad_at: Option<usize>) -> Vec<u8> {
    let mut b = String::from(r#"{"data":{"columns":["name","time","value"],"rows":["#);
    for i in 1..=rows {
        if i > 1 {
            b.push(',');
        }
        let value = if Some(i) == bad_at {
            "\"oops\"".to_owned()
        } else {
            format!("{i}.5")
        };
        b.push_str(&format!("[\"tag{}\",{i},{value}]", i % 7));
    }
    b.push_str("]}}");
    b.into_bytes()
}

fn count(s: &Server) -> usize {
    let r = machbase_query(s, "select * from T", "format=csv&header=skip");
    assert_eq!(r.status, 200, "{}", r.text());
    r.text().lines().filter(|l| !l.is_empty()).count()
}

#[test]
fn ten_thousand_rows_in_small_chunks() {
    let s = Server::start("large");
    create_tag_table(&s, "T");
    let wire = chunked(&body(10_000, None), 1000);
    let r = s.request(
        "POST",
        "/db/write/T?timeformat=s",
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
        &wire,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.text().contains("success, 10000 record(s) inserted"),
        "{}",
        r.text()
    );
    assert_eq!(count(&s), 10_000);

    // Row 9000 is bad: the two full batches of 4096 before it are stored, and the reply says so.
    let r = s.request(
        "POST",
        "/db/write/T?timeformat=s",
        &[("Content-Type", "application/json")],
        &body(9_500, Some(9_000)),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text()
            .contains("rows[9000] column[2] is not a double, but string"),
        "{}",
        r.text()
    );
    assert!(
        r.text().ends_with(r#""data":{"affectedRows":8192}}"#),
        "{}",
        r.text()
    );
}
