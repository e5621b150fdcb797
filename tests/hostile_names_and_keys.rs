//! Issue 17, items 2 and 7: no request value reaches the store as a key unchecked, and
//! names with control characters are refused. A name longer than any stored key matches
//! nothing; a tag or kv key too long to store, or a name with a control character, is a 400
//! in the caller's dialect; stored rows stay intact and the server keeps serving.

mod common;

use common::*;

/// `STORED_KEY_BYTES_MAX` and `NAME_BYTES_MAX` in `src/limits.rs`.
const STORED_KEY_BYTES_MAX: usize = 4 << 10;
const NAME_BYTES_MAX: usize = 255;

fn setup() -> Server {
    let s = Server::start("hostile-names");
    create_tag_table(&s, "T");
    machbase_write_ok_as(&s, "T?timeformat=s", "text/csv", b"a,1,1\nb,2,2\n", 2);
    s
}

/// A Machbase query sent as a JSON POST (the SQL may be larger than a URL allows); the CSV
/// body without its header.
fn machbase_rows(s: &Server, sql: &str) -> String {
    let body = format!(r#"{{"q":"{sql}","format":"csv","heading":false,"timeformat":"s"}}"#);
    let r = s.post("/db/query", "application/json", body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

fn proton_rows(s: &Server, sql: &str) -> String {
    let r = s.snapshot_request("POST", "/", &[], sql.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    r.text()
}

#[test]
fn names_longer_than_any_stored_key_match_nothing() {
    let s = setup();
    for len in [STORED_KEY_BYTES_MAX + 1, 70_000, 400_000] {
        let long = "a".repeat(len);
        for sql in [
            format!("select count(*) from T where name = '{long}'"),
            format!("select count(*) from T where '{long}' = name"),
            format!("select count(*) from T where name in ('{long}', 'x{long}')"),
            format!("select count(*) from T where name like '{long}%'"),
            format!("select count(*) from T where name >= '{long}' and name = '{long}'"),
            format!("select count(*) from v$T_stat where name = '{long}'"),
        ] {
            assert_eq!(machbase_rows(&s, &sql), "0\n\n", "{len}");
            assert_eq!(proton_rows(&s, &sql), "0\n", "{len}");
        }
        // A long name beside a stored one still finds the stored one.
        let sql = format!("select count(*) from T where name in ('{long}', 'a')");
        assert_eq!(machbase_rows(&s, &sql), "1\n\n");
        let body = format!(r#"{{"q":"delete from T where name = '{long}'"}}"#);
        let r = s.post("/db/query", "application/json", body.as_bytes());
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(r.text().contains("no rows deleted."), "{}", r.text());
    }
    // The UI API's lookup of a tag by name (as long as a request line holds).
    let r = s.post(
        "/web/api/login",
        "application/json",
        br#"{"loginName":"sys","password":"manager"}"#,
    );
    let token = r
        .text()
        .split(r#""accessToken":""#)
        .nth(1)
        .and_then(|t| t.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let path = format!("/web/api/tables/T/tags/{}/stat", "a".repeat(10_000));
    let auth = format!("Bearer {token}");
    let r = s.request("GET", &path, &[("Authorization", &auth)], b"");
    assert_eq!(r.status, 404, "{}", r.text());
    assert_eq!(
        machbase_rows(&s, "select name, time, value from T"),
        "a,1,1\nb,2,2\n\n"
    );
}

#[test]
fn a_tag_or_kv_key_too_long_to_store_is_refused_at_ingest() {
    let s = setup();
    machbase_ddl(
        &s,
        "create tag table W (name varchar(100000) primary key, time datetime basetime, value double)",
        "Created successfully.",
    );
    let longest = "k".repeat(STORED_KEY_BYTES_MAX);
    machbase_write_ok_as(
        &s,
        "W",
        "text/csv",
        format!("{longest},3,3\n").as_bytes(),
        1,
    );
    // 60,000 bytes: the longest a CSV field may be is 64 KiB.
    for len in [STORED_KEY_BYTES_MAX + 1, 60_000] {
        let csv = format!("c,4,4\n{},5,5\n", "t".repeat(len));
        let r = s.post("/db/write/W", "text/csv", csv.as_bytes());
        assert_eq!(r.status, 400, "{}", r.text());
        assert!(
            r.text().contains(&format!(
                "it is {len} bytes, longer than stored_key_bytes_max (4096)"
            )),
            "{}",
            r.text()
        );
    }
    assert_eq!(
        machbase_rows(
            &s,
            &format!("select count(*) from W where name = '{longest}'")
        ),
        "1\n\n"
    );
    assert_eq!(machbase_rows(&s, "select count(*) from W"), "1\n\n");

    create_stream(
        &s,
        "kv (k string, v int) PRIMARY KEY k SETTINGS mode='versioned_kv'",
    );
    let body = format!(
        r#"{{"columns":["k","v"],"data":[["short",1],["{}",2]]}}"#,
        "k".repeat(STORED_KEY_BYTES_MAX + 100)
    );
    let r = s.post(
        "/proton/v1/ingest/streams/kv",
        "application/json",
        body.as_bytes(),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(
        r.text().contains("stored_key_bytes_max (4096)"),
        "{}",
        r.text()
    );
    proton_ingest_ok(&s, "kv", r#"{"columns":["k","v"],"data":[["short",1]]}"#);
    assert_eq!(proton_query(&s, "select k, v from table(kv)"), "short\t1\n");
}

#[test]
fn names_with_control_characters_or_too_long_are_refused_in_both_dialects() {
    let s = setup();
    let bad_names = [
        ("\"A\u{0}B\"", "U+0000"),
        ("\"A\nB\"", "U+000A"),
        ("\"A\u{7f}\"", "U+007F"),
        ("\"\"", "it is empty"),
    ];
    let too_long = format!("\"{}\"", "N".repeat(NAME_BYTES_MAX + 1));
    let too_long_problem = format!(
        "it is {} bytes, longer than name_bytes_max (255)",
        NAME_BYTES_MAX + 1
    );
    let mut cases: Vec<(String, String)> = bad_names
        .iter()
        .map(|(n, p)| ((*n).to_owned(), (*p).to_owned()))
        .collect();
    cases.push((too_long, too_long_problem));
    for (name, problem) in &cases {
        for sql in [
            format!(
                "create tag table {name} (name varchar(20) primary key, time datetime basetime, value double)"
            ),
            format!(
                "create tag table ok1 ({name} varchar(20) primary key, time datetime basetime, value double)"
            ),
            format!("create table {name} (v double)"),
        ] {
            let r = s.post(
                "/db/query",
                "application/x-www-form-urlencoded",
                format!("q={}", enc(&sql)).as_bytes(),
            );
            assert_eq!(r.status, 400, "{sql:?}: {}", r.text());
            assert!(r.text().contains("invalid name"), "{sql:?}: {}", r.text());
            assert!(r.text().contains(problem.as_str()), "{sql:?}: {}", r.text());
        }
        for sql in [
            format!("CREATE STREAM {name} (i int)"),
            format!("CREATE STREAM ok2 ({name} int)"),
        ] {
            let r = proton_get(&s, &sql);
            assert_eq!(r.status, 400, "{sql:?}: {}", r.text());
            assert!(r.text().starts_with("Code: 62."), "{sql:?}: {}", r.text());
            assert!(r.text().contains(problem.as_str()), "{sql:?}: {}", r.text());
        }
        let json_name = name
            .trim_matches('"')
            .replace('\n', "\\n")
            .replace('\u{0}', "\\u0000")
            .replace('\u{7f}', "\\u007f");
        for body in [
            format!(r#"{{"name":"{json_name}","columns":[{{"name":"i","type":"int"}}]}}"#),
            format!(r#"{{"name":"ok3","columns":[{{"name":"{json_name}","type":"int"}}]}}"#),
        ] {
            let r = s.post(
                "/proton/v1/ddl/streams",
                "application/json",
                body.as_bytes(),
            );
            assert_eq!(r.status, 400, "{body:?}: {}", r.text());
            assert!(
                r.text().contains("Invalid stream name")
                    || r.text().contains("Invalid column name")
                    || r.text().contains(problem.as_str()),
                "{body:?}: {}",
                r.text()
            );
        }
    }
    // Tag names come from the rows.
    for tag in ["a\u{0}b", "a\tb", "\u{1b}[31mred"] {
        let body = format!(
            r#"{{"data":{{"columns":["NAME","TIME","VALUE"],"rows":[["{}",9,9]]}}}}"#,
            tag.replace('\u{0}', "\\u0000")
                .replace('\t', "\\t")
                .replace('\u{1b}', "\\u001b")
        );
        let r = machbase_write(&s, "T", &body);
        assert_eq!(r.status, 400, "{tag:?}: {}", r.text());
        assert!(
            r.text().contains("control character"),
            "{tag:?}: {}",
            r.text()
        );
    }
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        b"q=show%20tables",
    );
    assert_eq!(r.status, 200);
    assert!(
        !r.text().contains("OK1") && !r.text().contains("ok2"),
        "{}",
        r.text()
    );
    assert_eq!(proton_query(&s, "SHOW STREAMS"), "");
    assert_eq!(
        machbase_rows(&s, "select name, time, value from T"),
        "a,1,1\nb,2,2\n\n"
    );
}
