//! Proton's live queries over HTTP (reference proton-api.md §2.5, §4, cases 16 and 19): on a
//! streaming listener `SELECT ... FROM s` is unbounded and pushes rows as they are ingested,
//! until LIMIT, the client leaving or shutdown; `table(s)`, `query_mode='table'`, search
//! `mode:"table"` and the snapshot listener stay bounded; `seek_to` replays stored rows
//! first; `tumble`/`hop` windows close on the watermark.

mod common;

use std::time::{Duration, Instant};

use common::*;

const WAIT: Duration = Duration::from_secs(10);

fn ingest(s: &Server, stream: &str, columns: &str, data: &str) {
    proton_ingest_ok(
        s,
        stream,
        &format!(r#"{{"columns":{columns},"data":{data}}}"#),
    );
}

fn live(s: &Server, sql: &str) -> LiveResponse {
    let r = live_get(&s.addr, &format!("/?query={}", enc(sql)));
    assert_eq!(r.status, 200, "{sql}");
    r
}

fn sorted(mut lines: Vec<String>) -> Vec<String> {
    lines.sort();
    lines
}

#[test]
fn live_rows_arrive_after_the_query_started_and_limit_ends_it() {
    let s = Server::start("live-limit");
    create_stream(&s, "s (id string, v int32)");
    ingest(&s, "s", r#"["id","v"]"#, r#"[["old",0]]"#);
    let mut r = live(&s, "select id, v from s limit 3");
    assert_eq!(r.header("transfer-encoding"), Some("chunked"));
    assert!(
        !r.read_until(Duration::from_millis(300), |t| !t.is_empty()),
        "a live query starts at now: stored rows are not answered: {:?}",
        r.text()
    );
    ingest(&s, "s", r#"["id","v"]"#, r#"[["a",1],["b",2]]"#);
    assert!(
        r.read_until(WAIT, |t| t.lines().count() == 2),
        "{:?}",
        r.text()
    );
    assert!(!r.ended, "two rows of LIMIT 3: the query is still open");
    ingest(&s, "s", r#"["id","v"]"#, r#"[["c",3],["d",4]]"#);
    assert!(r.read_to_end(WAIT), "LIMIT 3 ends the body: {:?}", r.text());
    assert_eq!(r.text(), "a\t1\nb\t2\nc\t3\n");
}

#[test]
fn json_formats_close_the_document_when_limit_ends_the_query() {
    let s = Server::start("live-json");
    create_stream(&s, "s (id string)");
    let mut r = live(
        &s,
        "select id from s where id != 'skip' limit 2 format JSONCompact",
    );
    ingest(&s, "s", r#"["id"]"#, r#"[["skip"],["a"]]"#);
    ingest(&s, "s", r#"["id"]"#, r#"[["b"],["c"]]"#);
    assert!(r.read_to_end(WAIT), "{:?}", r.text());
    let text = r.text();
    assert!(text.contains("[\"a\"],\n\t\t[\"b\"]\n\t],"), "{text}");
    assert!(text.contains("\"rows\": 2,"), "{text}");
    assert!(text.trim_end().ends_with('}'), "{text}");
}

#[test]
fn seek_to_earliest_replays_stored_rows_then_continues_live() {
    let s = Server::start("live-seek");
    create_stream(&s, "s (id string)");
    ingest(&s, "s", r#"["id"]"#, r#"[["a"],["b"]]"#);
    let mut r = live(&s, "select id from s limit 3 settings seek_to='earliest'");
    assert!(r.read_until(WAIT, |t| t == "a\nb\n"), "{:?}", r.text());
    ingest(&s, "s", r#"["id"]"#, r#"[["c"]]"#);
    assert!(r.read_to_end(WAIT));
    assert_eq!(r.text(), "a\nb\nc\n");
    // A time: rows whose _tp_time is at or after it, here every row.
    let mut r = live(
        &s,
        "select id from s limit 3 settings seek_to='2020-01-01 00:00:00'",
    );
    assert!(r.read_to_end(WAIT));
    assert_eq!(r.text(), "a\nb\nc\n");
    let mut r = live(&s, "select id from s limit 1 settings seek_to='-1h'");
    assert!(r.read_to_end(WAIT));
    assert_eq!(r.text(), "a\n");
    let bad = proton_get_on(&s.addr, "select id from s settings seek_to='soon'");
    // BAD_ARGUMENTS (36), which Proton's status table answers with 500.
    assert_eq!(bad.status, 500, "{}", bad.text());
    assert!(
        bad.text()
            .starts_with("Code: 36. DB::Exception: invalid seek_to 'soon'"),
        "{}",
        bad.text()
    );
}

fn proton_get_on(addr: &str, sql: &str) -> Response {
    request(addr, "GET", &format!("/?query={}", enc(sql)), &[], b"")
}

#[test]
fn ingest_during_the_replay_boundary_loses_and_duplicates_nothing() {
    let s = Server::start("live-boundary");
    create_stream(&s, "s (n int32)");
    const BATCHES: usize = 20;
    const ROWS: usize = 5;
    let addr = s.addr.clone();
    let writer = std::thread::spawn(move || {
        for b in 0..BATCHES {
            let data: Vec<String> = (0..ROWS).map(|i| format!("[{}]", b * ROWS + i)).collect();
            let body = format!(r#"{{"columns":["n"],"data":[{}]}}"#, data.join(","));
            let r = request(
                &addr,
                "POST",
                "/proton/v1/ingest/streams/s",
                &[],
                body.as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
        }
    });
    // Start while the writer is mid-way, so some batches are stored and some are live.
    std::thread::sleep(Duration::from_millis(30));
    let total = BATCHES * ROWS;
    let mut r = live(
        &s,
        &format!("select n from s limit {total} settings seek_to='earliest'"),
    );
    writer.join().unwrap();
    assert!(r.read_to_end(WAIT), "got {} lines", r.lines().len());
    let mut got: Vec<usize> = r.lines().iter().map(|l| l.parse().unwrap()).collect();
    got.sort_unstable();
    assert_eq!(got, (0..total).collect::<Vec<_>>());
}

#[test]
fn disconnected_clients_free_their_live_queries() {
    // More cycles than the connection cap: a live query whose client left but that kept its
    // connection (in a request, so never evicted) would make the later ones fail with 503.
    let s = Server::start_with_args("live-disconnect", &["--max-connections", "64"]);
    create_stream(&s, "s (id string)");
    for i in 0..300 {
        let mut r = live(&s, "select id from s");
        assert!(
            !r.read_until(Duration::from_millis(1), |t| !t.is_empty()),
            "{i}"
        );
        drop(r);
    }
    assert_eq!(s.get("/healthz").status, 200);
    let mut r = live(&s, "select id from s limit 1");
    ingest(&s, "s", r#"["id"]"#, r#"[["after"]]"#);
    assert!(r.read_to_end(WAIT));
    assert_eq!(r.text(), "after\n");
}

#[test]
fn snapshot_listener_table_function_and_query_mode_table_stay_bounded() {
    let s = Server::start("live-bounded");
    create_stream(&s, "s (id string)");
    ingest(&s, "s", r#"["id"]"#, r#"[["a"],["b"]]"#);
    let bounded = |addr: &str, sql: &str| {
        let r = proton_get_on(addr, sql);
        assert_eq!(r.status, 200, "{sql}: {}", r.text());
        r.text()
    };
    assert_eq!(bounded(&s.snapshot_addr, "select id from s"), "a\nb\n");
    assert_eq!(bounded(&s.addr, "select id from table(s)"), "a\nb\n");
    assert_eq!(
        bounded(&s.addr, "select id from s settings query_mode='table'"),
        "a\nb\n"
    );
    let search = |addr: &str, body: &str| {
        request(
            addr,
            "POST",
            "/proton/v1/search?default_format=TabSeparated",
            &[],
            body.as_bytes(),
        )
    };
    let r = search(&s.addr, r#"{"query":"select id from s","mode":"table"}"#);
    assert_eq!((r.status, r.text()), (200, "a\nb\n".into()));
    let r = search(&s.snapshot_addr, r#"{"query":"select id from s"}"#);
    assert_eq!((r.status, r.text()), (200, "a\nb\n".into()));
    // Without `mode: table`, search on a streaming listener is live; its page ends it.
    let mut r = live_request(
        &s.addr,
        "POST",
        "/proton/v1/search?default_format=TabSeparated",
        br#"{"query":"select id from s","offset":1,"page_size":1}"#,
    );
    assert_eq!(r.status, 200);
    ingest(&s, "s", r#"["id"]"#, r#"[["c"],["d"],["e"]]"#);
    assert!(r.read_to_end(WAIT));
    assert_eq!(r.text(), "d\n");
    // Machbase's /db/query is always bounded, on any listener.
    let r = s.get(&format!(
        "/db/query?format=csv&q={}",
        enc("select id from s")
    ));
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.text().starts_with("ID\na\nb\nc\n") || r.text().starts_with("id\na\nb\nc\n"));
}

#[test]
fn streaming_aggregation_without_a_window_is_refused_not_hung() {
    let s = Server::start("live-global-agg");
    create_stream(&s, "s (id string)");
    let r = proton_get_on(&s.addr, "select count() from s");
    assert_eq!(r.status, 501, "{}", r.text());
    assert!(r.text().contains("not supported yet"), "{}", r.text());
    let r = proton_get_on(&s.addr, "select id from s order by id");
    assert!(r.text().contains("table(stream)"), "{}", r.text());
}

#[test]
fn sigterm_ends_open_live_queries_and_stops_promptly() {
    let mut s = Server::start("live-sigterm");
    create_stream(&s, "s (id string)");
    let mut r = live(&s, "select id from s format JSONEachRow");
    ingest(&s, "s", r#"["id"]"#, r#"[["a"]]"#);
    assert!(
        r.read_until(WAIT, |t| t == "{\"id\":\"a\"}\n"),
        "{:?}",
        r.text()
    );
    let started = Instant::now();
    let status = s.stop();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "stopping took {:?}",
        started.elapsed()
    );
    assert!(
        r.read_to_end(WAIT),
        "the live body ends with its last chunk"
    );
}

/// Case 16 (0002_ingest_and_ddl_case.json id 3), on the streaming listener.
#[test]
fn case_16_seek_to_earliest() {
    let s = Server::start("case16");
    create_stream(
        &s,
        "test2_ingest (id string, location string, value float, content string, timestamp datetime64(3) default now64(3))",
    );
    proton_ingest_ok(
        &s,
        "test2_ingest",
        r#"{"columns":["id","location","value","content","timestamp"],"data":[["dev1","ca",100,"\"create_time\":\"2021-11-02 20:00:01\"","2020-01-01 11:11:11"],["dev2","ca",100,"\"create_time\":\"2021-11-02 20:00:01\"","2020-01-01 11:11:11"],["dev3","ca",100,"\"create_time\":\"2021-11-02 20:00:10\"","2020-01-01 11:11:11"]]}"#,
    );
    let mut r = live(
        &s,
        "select id, location, value, timestamp from test2_ingest settings seek_to = 'earliest'",
    );
    assert!(
        r.read_until(WAIT, |t| t.lines().count() >= 3),
        "{:?}",
        r.text()
    );
    assert_eq!(
        r.text().replace(".000", ""),
        "dev1\tca\t100\t2020-01-01 11:11:11\ndev2\tca\t100\t2020-01-01 11:11:11\ndev3\tca\t100\t2020-01-01 11:11:11\n"
    );
    assert!(!r.ended, "a streaming query stays open");
}

const SMOKE: &str = "test_smoke(id string, location string, value float32, json string, timestamp datetime64(3) default now64(3)) settings event_time_column='timestamp'";
const SMOKE_COLUMNS: &str = r#"["id","location","value","json","timestamp"]"#;
const SMOKE_BATCHES: [&str; 3] = [
    r#"[["dev1","ca",57.3,"\"create_time\":\"2021-11-02 20:00:01\"","2020-02-02 20:00:00"],["dev2","ca",58.3,"\"create_time\":\"2021-11-02 20:00:10\"","2020-02-02 20:00:03"]]"#,
    r#"[["dev6","ca",66,"\"create_time\":\"2021-11-02 20:00:11\"","2020-02-02 20:00:04"]]"#,
    r#"[["dev8","ca",67,"\"create_time\":\"2021-11-02 20:00:11\"","2020-02-02 20:00:10"]]"#,
];

/// Case 19 (0000_smoke_case.json id 0): the 20:00:10 event closes the first 5-s window;
/// dev8's window stays open.
#[test]
fn case_19_tumble_window_closes_on_the_watermark() {
    let s = Server::start("case19");
    create_stream(&s, SMOKE);
    let mut r = live(
        &s,
        "select id, max(value), window_start, window_end from tumble(test_smoke, timestamp, interval 5 second) group by id, window_start, window_end emit stream",
    );
    for (i, batch) in SMOKE_BATCHES.iter().enumerate() {
        ingest(&s, "test_smoke", SMOKE_COLUMNS, batch);
        if i < 2 {
            assert!(
                !r.read_until(Duration::from_millis(200), |t| !t.is_empty()),
                "the window is still open after batch {i}: {:?}",
                r.text()
            );
        }
    }
    assert!(
        r.read_until(WAIT, |t| t.lines().count() >= 3),
        "{:?}",
        r.text()
    );
    assert!(
        !r.read_until(Duration::from_millis(500), |t| t.lines().count() > 3),
        "dev8's window stays open: {:?}",
        r.text()
    );
    assert_eq!(
        sorted(
            r.text()
                .replace(".000", "")
                .lines()
                .map(str::to_owned)
                .collect()
        ),
        [
            "dev1\t57.3\t2020-02-02 20:00:00\t2020-02-02 20:00:05",
            "dev2\t58.3\t2020-02-02 20:00:00\t2020-02-02 20:00:05",
            "dev6\t66\t2020-02-02 20:00:00\t2020-02-02 20:00:05",
        ]
    );
}

#[test]
fn bounded_windows_answer_every_window_and_hop_repeats_rows() {
    let s = Server::start("windows-bounded");
    create_stream(&s, SMOKE);
    for batch in SMOKE_BATCHES {
        ingest(&s, "test_smoke", SMOKE_COLUMNS, batch);
    }
    assert_eq!(
        proton_query(
            &s,
            "select id, max(value), window_start, window_end from tumble(test_smoke, timestamp, 5s) group by id, window_start, window_end order by window_start, id"
        )
        .replace(".000", ""),
        "dev1\t57.3\t2020-02-02 20:00:00\t2020-02-02 20:00:05\n\
         dev2\t58.3\t2020-02-02 20:00:00\t2020-02-02 20:00:05\n\
         dev6\t66\t2020-02-02 20:00:00\t2020-02-02 20:00:05\n\
         dev8\t67\t2020-02-02 20:00:10\t2020-02-02 20:00:15\n"
    );
    // hop(slide 2s, size 4s): 20:00:00 lies in [58,02) and [00,04); 20:00:03 in [00,04)
    // and [02,06); 20:00:04 in [02,06) and [04,08); 20:00:10 in [08,12) and [10,14).
    let r = request(
        &s.addr,
        "GET",
        &format!(
            "/?query={}",
            enc(
                "select count(), window_start from hop(table(test_smoke), timestamp, 2s, 4s) group by window_start order by window_start"
            )
        ),
        &[],
        b"",
    );
    assert_eq!(
        r.text().replace(".000", "").replace("2020-02-02 ", ""),
        "1\t19:59:58\n2\t20:00:00\n2\t20:00:02\n1\t20:00:04\n1\t20:00:08\n1\t20:00:10\n"
    );
}

#[test]
fn live_hop_windows_close_in_order_and_late_rows_are_dropped() {
    let s = Server::start("windows-live-hop");
    create_stream(&s, SMOKE);
    let mut r = live(
        &s,
        "select count() as n, window_start from hop(test_smoke, timestamp, 2s, 4s) group by window_start emit stream after watermark limit 3",
    );
    for batch in SMOKE_BATCHES {
        ingest(&s, "test_smoke", SMOKE_COLUMNS, batch);
    }
    // Late: its windows ended before the watermark (20:00:10).
    ingest(
        &s,
        "test_smoke",
        SMOKE_COLUMNS,
        r#"[["late","ca",1,"","2020-02-02 20:00:01"]]"#,
    );
    assert!(r.read_to_end(WAIT), "{:?}", r.text());
    assert_eq!(
        r.text().replace(".000", "").replace("2020-02-02 ", ""),
        "1\t19:59:58\n2\t20:00:00\n2\t20:00:02\n"
    );
}

#[test]
fn live_windows_without_aggregates_only_add_the_window_columns() {
    let s = Server::start("windows-live-rows");
    create_stream(&s, SMOKE);
    let mut r = live(
        &s,
        "select id, window_start, window_end from hop(test_smoke, timestamp, 2s, 4s) limit 3",
    );
    ingest(&s, "test_smoke", SMOKE_COLUMNS, SMOKE_BATCHES[1]);
    assert!(
        r.read_until(WAIT, |t| t.lines().count() == 2),
        "{:?}",
        r.text()
    );
    ingest(&s, "test_smoke", SMOKE_COLUMNS, SMOKE_BATCHES[2]);
    assert!(r.read_to_end(WAIT), "{:?}", r.text());
    assert_eq!(
        r.text().replace(".000", "").replace("2020-02-02 ", ""),
        "dev6\t20:00:02\t20:00:06\ndev6\t20:00:04\t20:00:08\ndev8\t20:00:08\t20:00:12\n"
    );
}

#[test]
fn a_kv_stream_is_read_bounded_even_on_the_streaming_listener() {
    let s = Server::start("live-kv");
    create_stream(
        &s,
        "kv (k string, v int32) PRIMARY KEY k SETTINGS mode='versioned_kv'",
    );
    ingest(&s, "kv", r#"["k","v"]"#, r#"[["a",1],["b",2],["a",3]]"#);
    let started = Instant::now();
    let r = request(
        &s.addr,
        "GET",
        &format!("/?query={}", enc("select k, v from kv order by k")),
        &[],
        b"",
    );
    assert_eq!((r.status, r.text()), (200, "a\t3\nb\t2\n".to_owned()));
    assert!(started.elapsed() < WAIT, "the reply ended on its own");
}

/// Case 17 (0002 id 10) verbatim: after case 16's rows, the stream is renamed, three more
/// rows go to the new name, and a live query replays all six under it.
#[test]
fn case_17_rename_then_seek_to_earliest() {
    let s = Server::start("case17");
    create_stream(
        &s,
        "test2_ingest (id string, location string, value float, content string, timestamp datetime64(3) default now64(3))",
    );
    let rows = |ids: [&str; 3]| {
        let data: Vec<String> = ids
            .iter()
            .map(|id| {
                format!(
                    r#"["{id}","ca",100,"\"create_time\":\"2021-11-02 20:00:01\"","2020-01-01 11:11:11"]"#
                )
            })
            .collect();
        format!(
            r#"{{"columns":["id","location","value","content","timestamp"],"data":[{}]}}"#,
            data.join(",")
        )
    };
    proton_ingest_ok(&s, "test2_ingest", &rows(["dev1", "dev2", "dev3"]));
    let r = s.request(
        "POST",
        "/",
        &[],
        b"rename stream if exists test2_ingest to test_rename",
    );
    assert_eq!(r.status, 200, "{}", r.text());
    proton_ingest_ok(&s, "test_rename", &rows(["dev7", "dev8", "dev9"]));
    let mut r = live(
        &s,
        "select id, location, value, timestamp from test_rename settings seek_to='earliest'",
    );
    assert!(
        r.read_until(WAIT, |t| t.lines().count() >= 6),
        "{:?}",
        r.text()
    );
    let want: String = ["dev1", "dev2", "dev3", "dev7", "dev8", "dev9"]
        .iter()
        .map(|id| format!("{id}\tca\t100\t2020-01-01 11:11:11\n"))
        .collect();
    assert_eq!(r.text().replace(".000", ""), want);
}
