//! Proton's catalog statements beyond CREATE and DROP (reference proton-api.md §3.3, §3.4,
//! §5 cases 17, 23 and 24): `RENAME STREAM` and the kv stream modes, their errors in
//! Proton's codes, and that both survive a restart and a SIGKILL.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, create_stream, proton_get, proton_ingest_ok, proton_query};

const INGEST_COLUMNS: &str = r#""columns":["id","location","value","content","timestamp"]"#;

fn ingest_devices(s: &Server, stream: &str, ids: &[&str]) {
    let rows: Vec<String> = ids
        .iter()
        .map(|id| {
            format!(
                r#"["{id}","ca",100,"\"create_time\":\"2021-11-02 20:00:01\"","2020-01-01 11:11:11"]"#
            )
        })
        .collect();
    let body = format!(r#"{{{INGEST_COLUMNS},"data":[{}]}}"#, rows.join(","));
    proton_ingest_ok(s, stream, &body);
}

fn devices(s: &Server, stream: &str) -> String {
    proton_query(
        s,
        &format!("SELECT id, location, value, timestamp FROM table({stream}) ORDER BY id"),
    )
}

fn six_devices() -> String {
    ["dev1", "dev2", "dev3", "dev7", "dev8", "dev9"]
        .iter()
        .map(|id| format!("{id}\tca\t100\t2020-01-01 11:11:11.000\n"))
        .collect()
}

/// Asserts a `/?query=` exception reply: status, `Code: N. DB::Exception: …` text, header.
fn expect_exception(r: &common::Response, status: u16, code: u32, text: &str) {
    assert_eq!(
        (r.status, r.text()),
        (status, format!("Code: {code}. DB::Exception: {text}\n"))
    );
    assert_eq!(
        r.header("x-timeplus-exception-code"),
        Some(code.to_string().as_str())
    );
}

#[test]
fn rename_stream_case_17_moves_rows_and_the_name_durably() {
    let s = Server::start("proton-rename");
    create_stream(
        &s,
        "test2_ingest (id string, location string, value float, content string, timestamp datetime64(3) default now64(3))",
    );
    ingest_devices(&s, "test2_ingest", &["dev1", "dev2", "dev3"]);
    let r = s.request(
        "POST",
        "/",
        &[],
        b"rename stream if exists test2_ingest to test_rename",
    );
    assert_eq!((r.status, r.text()), (200, String::new()));
    ingest_devices(&s, "test_rename", &["dev7", "dev8", "dev9"]);
    assert_eq!(devices(&s, "test_rename"), six_devices());

    // The old name is gone for ingest (case 7's shape) and for queries.
    let gone = |s: &Server| {
        let r = s.post(
            "/proton/v1/ingest/streams/test2_ingest",
            "application/json",
            br#"{"columns":["id"],"data":[["x"]]}"#,
        );
        assert_eq!(r.status, 404);
        assert!(
            r.text().starts_with(
                "{\"code\":60,\"error_msg\":\"Code: 60. DB::Exception: Stream default.test2_ingest doesn't exist. (UNKNOWN_STREAM)\""
            ),
            "{}",
            r.text()
        );
        expect_exception(
            &proton_get(s, "SELECT * FROM table(test2_ingest)"),
            404,
            60,
            "Stream default.test2_ingest doesn't exist. (UNKNOWN_STREAM)",
        );
    };
    gone(&s);

    // Durable: after an orderly restart and after SIGKILL, only the new name holds the rows.
    let s = s.restart();
    assert_eq!(devices(&s, "test_rename"), six_devices());
    gone(&s);
    let r = s.request("POST", "/", &[], b"RENAME STREAM test_rename TO test_again");
    assert_eq!(r.status, 200, "{}", r.text());
    let s = s.kill_and_restart();
    assert_eq!(devices(&s, "test_again"), six_devices());
    expect_exception(
        &proton_get(&s, "SELECT count() FROM table(test_rename)"),
        404,
        60,
        "Stream default.test_rename doesn't exist. (UNKNOWN_STREAM)",
    );
    let listed = proton_query(&s, "SHOW STREAMS");
    assert_eq!(listed, "test_again\n");
}

#[test]
fn rename_errors_use_protons_codes() {
    let s = Server::start("proton-rename-errors");
    create_stream(&s, "a (i int)");
    create_stream(&s, "b (i int)");
    proton_ingest_ok(&s, "a", r#"{"columns":["i"],"data":[[1]]}"#);
    // The target exists.
    expect_exception(
        &proton_get(&s, "RENAME STREAM a TO b"),
        500,
        57,
        "Stream default.b already exists. (STREAM_ALREADY_EXISTS)",
    );
    // The source is missing: an error, or nothing with IF EXISTS.
    expect_exception(
        &proton_get(&s, "RENAME STREAM nosuch TO c"),
        404,
        60,
        "Stream default.nosuch doesn't exist. (UNKNOWN_STREAM)",
    );
    let r = proton_get(&s, "RENAME STREAM IF EXISTS nosuch TO c");
    assert_eq!((r.status, r.text()), (200, String::new()));
    // Names tidegate cannot hold: another database, an empty name, a control character.
    // A bad name is the client's mistake: 400, as for any malformed statement.
    expect_exception(
        &proton_get(&s, "RENAME STREAM a TO other.c"),
        400,
        62,
        "invalid name \"other.c\": tidegate has one database, `default`; a name cannot hold a `.`. (SYNTAX_ERROR)",
    );
    expect_exception(
        &proton_get(&s, "RENAME STREAM a TO ``"),
        400,
        62,
        "invalid name \"\": it is empty. (SYNTAX_ERROR)",
    );
    expect_exception(
        &proton_get(&s, "RENAME STREAM a TO `c\td`"),
        400,
        62,
        "invalid name \"c\\td\": it holds the control character U+0009. (SYNTAX_ERROR)",
    );
    let r = proton_get(&s, "RENAME STREAM a TO");
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.text().starts_with("Code: 62."), "{}", r.text());
    // Nothing changed; `default.` may qualify the new name.
    assert_eq!(proton_query(&s, "SELECT i FROM table(a)"), "1\n");
    let r = proton_get(&s, "RENAME STREAM default.a TO default.c");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(proton_query(&s, "SELECT i FROM table(c)"), "1\n");
    assert_eq!(proton_query(&s, "SHOW STREAMS"), "b\nc\n");
}

#[test]
fn machbase_alter_table_rename_to() {
    let s = Server::start("machbase-rename");
    common::create_tag_table(&s, "example");
    common::machbase_write_ok(
        &s,
        "EXAMPLE",
        r#"{"data":{"columns":["NAME","TIME","VALUE"],"rows":[["t1",1700000000000000000,1.5]]}}"#,
        1,
    );
    common::machbase_ddl(
        &s,
        "alter table example rename to renamed",
        "Altered successfully.",
    );
    assert_eq!(
        common::query_csv(&s, "select name, value from renamed"),
        "NAME,VALUE\nt1,1.5\n\n"
    );
    let r = common::machbase_query(&s, "select * from example", "");
    assert_eq!(r.status, 400, "{}", r.text());
}

#[test]
fn versioned_kv_keeps_the_greatest_version_per_key_across_restarts() {
    let s = Server::start("proton-versioned-kv");
    create_stream(
        &s,
        "vk (k string, v int64, note string) PRIMARY KEY k SETTINGS mode='versioned_kv', version_column='v'",
    );
    let ingest = |s: &Server, rows: &str| {
        proton_ingest_ok(
            s,
            "vk",
            &format!(r#"{{"columns":["k","v","note"],"data":[{rows}]}}"#),
        )
    };
    ingest(&s, r#"["a",1,"a1"],["b",5,"b5"],["a",3,"a3"]"#);
    // An older version arriving later loses; an equal one wins as the later arrival.
    ingest(&s, r#"["a",2,"a2 late"],["b",5,"b5 again"],["c",0,"c0"]"#);
    let latest = "a\t3\ta3\nb\t5\tb5 again\nc\t0\tc0\n";
    let read = |s: &Server| proton_query(s, "SELECT k, v, note FROM table(vk) ORDER BY k");
    assert_eq!(read(&s), latest);
    assert_eq!(proton_query(&s, "SELECT count() FROM table(vk)"), "3\n");
    let s = s.kill_and_restart();
    assert_eq!(read(&s), latest);
    // The index survived too: versions still compare against what was stored.
    ingest(&s, r#"["a",2,"a2 after restart"],["c",1,"c1"]"#);
    assert_eq!(read(&s), "a\t3\ta3\nb\t5\tb5 again\nc\t1\tc1\n");
    let s = s.restart();
    assert_eq!(read(&s), "a\t3\ta3\nb\t5\tb5 again\nc\t1\tc1\n");
}

#[test]
fn versioned_kv_defaults_to_tp_time_and_takes_composite_keys() {
    let s = Server::start("proton-versioned-kv-time");
    create_stream(
        &s,
        "vt (site string, dev int, x int) PRIMARY KEY (site, dev) SETTINGS mode='versioned_kv'",
    );
    let ingest = |rows: &str| {
        proton_ingest_ok(
            &s,
            "vt",
            &format!(r#"{{"columns":["site","dev","x","_tp_time"],"data":[{rows}]}}"#),
        )
    };
    ingest(
        r#"["s1",1,10,"2024-01-01 00:00:02"],["s1",2,20,"2024-01-01 00:00:01"],["s2",1,30,"2024-01-01 00:00:01"]"#,
    );
    ingest(r#"["s1",1,11,"2024-01-01 00:00:01"],["s1",2,21,"2024-01-01 00:00:03"]"#);
    assert_eq!(
        proton_query(&s, "SELECT site, dev, x FROM table(vt) ORDER BY site, dev"),
        "s1\t1\t10\ns1\t2\t21\ns2\t1\t30\n"
    );
}

#[test]
fn changelog_kv_upserts_and_deletes_by_tp_delta() {
    let s = Server::start("proton-changelog-kv");
    create_stream(
        &s,
        "ck (k string, x int) PRIMARY KEY k SETTINGS mode='changelog_kv'",
    );
    assert_eq!(
        proton_query(&s, "DESCRIBE ck")
            .lines()
            .map(|l| l.split('\t').take(2).collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>(),
        [
            "k string",
            "x int32",
            "_tp_delta int8",
            r"_tp_time datetime64(3, \'UTC\')"
        ]
    );
    let ingest = |s: &Server, body: &str| proton_ingest_ok(s, "ck", body);
    ingest(
        &s,
        r#"{"columns":["k","x"],"data":[["a",1],["b",2],["c",3]]}"#,
    );
    ingest(
        &s,
        r#"{"columns":["k","x","_tp_delta"],"data":[["a",1,-1],["b",20,1],["d",4,-1]]}"#,
    );
    let read = |s: &Server| proton_query(s, "SELECT k, x, _tp_delta FROM table(ck) ORDER BY k");
    assert_eq!(read(&s), "b\t20\t1\nc\t3\t1\n");
    let s = s.kill_and_restart();
    assert_eq!(read(&s), "b\t20\t1\nc\t3\t1\n");
    // A deleted key comes back with a later upsert.
    ingest(&s, r#"{"columns":["k","x"],"data":[["a",100]]}"#);
    assert_eq!(read(&s), "a\t100\t1\nb\t20\t1\nc\t3\t1\n");
}

#[test]
fn kv_modes_over_rest_case_24_and_changelog_case_23() {
    let s = Server::start("proton-kv-rest");
    let post = |body: &str| {
        s.request(
            "POST",
            "/proton/v1/ddl/streams",
            &[("x-proton-query-id", "1403")],
            body.as_bytes(),
        )
    };
    for mode in ["changelog_kv", "versioned_kv"] {
        let r = post(&format!(
            r#"{{"name":"t_{mode}","columns":[{{"name":"i","type":"int"}},{{"name":"k","type":"string"}}],"mode":"{mode}","primary_key":"k"}}"#
        ));
        assert_eq!(
            (r.status, r.text()),
            (200, r#"{"request_id":"1403"}"#.into())
        );
        let r = post(&format!(
            r#"{{"name":"u_{mode}","columns":[{{"name":"i","type":"int"}}],"mode":"{mode}"}}"#
        ));
        assert_eq!(
            (r.status, r.text()),
            (
                400,
                r#"{"code":408,"error_msg":"changelog kv or versioned kv storage mode requires 'PRIMARY KEY'","request_id":"1403"}"#.into()
            )
        );
    }
    let r = s.request(
        "GET",
        "/proton/v1/ddl/streams/default/t_changelog_kv",
        &[("x-proton-query-id", "1403")],
        b"",
    );
    assert_eq!(r.status, 200);
    let text = r.text();
    assert!(text.contains(r#""mode":"changelog_kv""#), "{text}");
    assert!(text.contains(r#""primary_key":"k""#), "{text}");
    assert!(text.contains(r#""name":"_tp_delta""#), "{text}");
    proton_ingest_ok(
        &s,
        "t_versioned_kv",
        r#"{"columns":["i","k"],"data":[[1,"x"],[2,"x"],[3,"y"]]}"#,
    );
    assert_eq!(
        proton_query(&s, "SELECT k, i FROM table(t_versioned_kv) ORDER BY k"),
        "x\t2\ny\t3\n"
    );
    // Case 23's changelog stream keeps every row with its `_tp_delta`.
    let r = post(r#"{"name":"cl","columns":[{"name":"i","type":"int"}],"mode":"changelog"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    proton_ingest_ok(
        &s,
        "cl",
        r#"{"columns":["i","_tp_delta"],"data":[[1,1],[1,-1],[2,1]]}"#,
    );
    assert_eq!(
        proton_query(&s, "SELECT i, _tp_delta FROM table(cl)"),
        "1\t1\n1\t-1\n2\t1\n"
    );
}

#[test]
fn bad_stream_modes_in_sql() {
    let s = Server::start("proton-kv-sql-errors");
    let cases = [
        (
            "CREATE STREAM s (k string) SETTINGS mode='kv'",
            500,
            36,
            "Storage 'mode' can be only 'append', 'changelog', 'changelog_kv' or 'versioned_kv'. (BAD_ARGUMENTS)",
        ),
        (
            "CREATE STREAM s (k string) SETTINGS mode='versioned_kv'",
            500,
            36,
            "changelog kv or versioned kv storage mode requires 'PRIMARY KEY'. (BAD_ARGUMENTS)",
        ),
        (
            "CREATE STREAM s (k string) PRIMARY KEY nope SETTINGS mode='changelog_kv'",
            404,
            47,
            "Missing column: 'nope' in stream s. (UNKNOWN_IDENTIFIER)",
        ),
        (
            "CREATE STREAM s (k string) PRIMARY KEY k SETTINGS mode='versioned_kv', version_column='nope'",
            404,
            47,
            "Missing column: 'nope' in stream s. (UNKNOWN_IDENTIFIER)",
        ),
        (
            "CREATE STREAM s (k string) SETTINGS version_column='k'",
            500,
            36,
            "version_column k needs mode='versioned_kv'. (BAD_ARGUMENTS)",
        ),
    ];
    for (sql, status, code, text) in cases {
        expect_exception(&proton_get(&s, sql), status, code, text);
    }
    assert_eq!(proton_query(&s, "SHOW STREAMS"), "");
    // An append stream may name a PRIMARY KEY (Proton orders parts by it): accepted, kept append.
    create_stream(
        &s,
        "ok (k string) PRIMARY KEY k ORDER BY k SETTINGS mode='append'",
    );
    proton_ingest_ok(&s, "ok", r#"{"columns":["k"],"data":[["a"],["a"]]}"#);
    assert_eq!(proton_query(&s, "SELECT count() FROM table(ok)"), "2\n");
}
