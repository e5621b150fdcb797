//! Open connections are capped by `--max-connections` over all listeners, and idle ones do
//! not lock clients out (issue 17, item 5): at the cap a new client takes the slot of the
//! kept-alive connection idle the longest; only when every connection is in the middle of a
//! request is it refused, with 503, `Retry-After` and a reason in its dialect. With the
//! default cap, 300 keep-alive clients at once, half on each listener, are all served.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier, mpsc};
use std::time::{Duration, Instant};

use common::{
    KeepAlive, Server, create_stream, create_tag_table, enc, query_csv, request, without_elapse,
};

fn start_capped(tag: &str, cap: usize) -> Server {
    Server::start_with_args(tag, &["--max-connections", &cap.to_string()])
}

/// The listener for the `i`th client: half the clients on each.
fn listener(s: &Server, i: usize) -> &str {
    if i.is_multiple_of(2) {
        &s.addr
    } else {
        &s.snapshot_addr
    }
}

/// `n` connections that were each served one request and now wait, kept alive; the first
/// has waited the longest.
fn idle_connections(s: &Server, n: usize) -> Vec<KeepAlive> {
    (0..n)
        .map(|i| {
            let mut c = KeepAlive::open(listener(s, i));
            let r = c.request("GET", "/healthz", &[], b"").unwrap();
            assert_eq!(r.status, 200, "connection {i}");
            // Distinct idle times, so "the longest idle" is one connection.
            std::thread::sleep(Duration::from_millis(10));
            c
        })
        .collect()
}

#[test]
fn a_new_client_takes_the_slot_of_the_longest_idle_connection() {
    const CAP: usize = 8;
    let s = start_capped("cap-idle", CAP);
    let mut idle = idle_connections(&s, CAP);
    // Every slot is held by an idle connection: a new client is served anyway...
    let mut newcomer = KeepAlive::open(&s.addr);
    let r = newcomer.request("GET", "/healthz", &[], b"").unwrap();
    assert_eq!((r.status, r.text()), (200, r#"{"status":"ok"}"#.into()));
    // ...in the slot of the connection idle the longest, which the server closed.
    assert!(idle[0].closed_within(Duration::from_secs(5)));
    // The next one, on the other listener, takes the next longest-idle slot.
    let r = request(&s.snapshot_addr, "GET", "/healthz", &[], b"");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(idle[1].closed_within(Duration::from_secs(5)));
    // The others were left alone and still serve, as does the first newcomer.
    for (i, c) in idle.iter_mut().enumerate().skip(2) {
        let r = c.request("GET", "/healthz", &[], b"").unwrap();
        assert_eq!(r.status, 200, "connection {i}");
    }
    let r = newcomer.request("GET", "/healthz", &[], b"").unwrap();
    assert_eq!(r.status, 200);
}

/// An upload stopped after its first bytes: the server asked for the body (`100 Continue`),
/// so the request is under way and its connection is not idle.
fn upload_in_progress(addr: &str, body: &str) -> KeepAlive {
    let mut c = KeepAlive::open(addr);
    c.send_head(
        "POST",
        "/db/write/T?timeformat=s",
        &[("Content-Type", "text/csv"), ("Expect", "100-continue")],
        body.len(),
    )
    .unwrap();
    assert_eq!(c.read_response().unwrap().status, 100);
    c.send(&body.as_bytes()[..4]).unwrap();
    c
}

const BUSY: &str =
    "all 4 connections (--max-connections) are in the middle of a request; retry in 1 s";

#[test]
fn when_every_connection_is_in_a_request_a_new_client_gets_503_in_its_dialect() {
    let s = start_capped("cap-busy", 4);
    create_tag_table(&s, "T");
    create_stream(&s, "s (id string)");
    let rows: Vec<String> = (0..4)
        .map(|i| format!("tag-{i},1700000000,{i}.5\n"))
        .collect();
    let mut uploads: Vec<KeepAlive> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| upload_in_progress(listener(&s, i), row))
        .collect();

    let sql = enc("select count(*) from T");
    let r = request(&s.addr, "GET", &format!("/db/query?q={sql}"), &[], b"");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        without_elapse(&r.text()),
        format!(r#"{{"success":false,"reason":"{BUSY}"}}"#)
    );

    let r = request(
        &s.snapshot_addr,
        "POST",
        "/proton/v1/ingest/streams/s",
        &[("x-timeplus-request-id", "r-1")],
        br#"{"columns":["id"],"data":[["a"]]}"#,
    );
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(r.header("x-timeplus-exception-code"), Some("202"));
    assert_eq!(
        r.text(),
        format!(
            "{{\"code\":202,\"error_msg\":\"Code: 202. DB::Exception: {BUSY}. (TOO_MANY_SIMULTANEOUS_QUERIES)\",\"request_id\":\"r-1\"}}\n"
        )
    );

    let r = request(&s.addr, "GET", "/?query=select%201", &[], b"");
    assert_eq!(r.status, 503, "{}", r.text());
    assert_eq!(r.header("retry-after"), Some("1"));
    assert_eq!(
        r.text(),
        format!("Code: 202. DB::Exception: {BUSY}. (TOO_MANY_SIMULTANEOUS_QUERIES)\n")
    );

    let r = request(&s.snapshot_addr, "GET", "/healthz", &[], b"");
    assert_eq!((r.status, r.text()), (503, format!("{BUSY}\n")));
    assert_eq!(r.header("retry-after"), Some("1"));

    // The uploads were never disturbed: each finishes and is stored.
    for (c, row) in uploads.iter_mut().zip(&rows) {
        c.send(&row.as_bytes()[4..]).unwrap();
        let r = c.read_response().unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    // Idle now, they make room for new clients again.
    assert_eq!(query_csv(&s, "select count(*) from T"), "count(*)\n4\n\n");
}

#[test]
fn refused_clients_that_send_nothing_are_closed_and_cost_nothing_lasting() {
    let s = start_capped("cap-silent", 2);
    create_tag_table(&s, "T");
    let rows = ["a,1700000000,1.5\n", "b,1700000000,2.5\n"];
    let mut uploads: Vec<KeepAlive> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| upload_in_progress(listener(&s, i), row))
        .collect();
    // More silent clients than are refused at once: each is closed, without a reply, about
    // a second after the server gets to it.
    let mut silent: Vec<KeepAlive> = (0..20).map(|i| KeepAlive::open(listener(&s, i))).collect();
    let started = Instant::now();
    for (i, c) in silent.iter_mut().enumerate() {
        assert!(
            c.closed_within(Duration::from_secs(30)),
            "silent client {i}"
        );
    }
    assert!(started.elapsed() < Duration::from_secs(30));
    // A client that does send its head is still answered.
    let r = request(&s.addr, "GET", "/healthz", &[], b"");
    assert_eq!(r.status, 503, "{}", r.text());
    for (c, row) in uploads.iter_mut().zip(rows) {
        c.send(&row.as_bytes()[4..]).unwrap();
        assert_eq!(c.read_response().unwrap().status, 200);
    }
}

#[test]
fn three_hundred_keep_alive_clients_at_once_each_write_and_query() {
    const CLIENTS: usize = 300;
    let s = Server::start("cap-300");
    create_tag_table(&s, "T");
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let results: Vec<std::io::Result<(u16, String, u16, String)>> = std::thread::scope(|scope| {
        let threads: Vec<_> = (0..CLIENTS)
            .map(|i| {
                let addr = listener(&s, i).to_owned();
                let barrier = Arc::clone(&barrier);
                scope.spawn(move || {
                    let connection = KeepAlive::try_open(&addr);
                    // Every client is connected before any sends: 300 open at once. Nothing
                    // before a wait may panic, or the others would wait forever.
                    barrier.wait();
                    let result = connection.and_then(|mut c| {
                        let row = format!("tag-{i},1700000000,{i}\n");
                        let write = c.request(
                            "POST",
                            "/db/write/T?timeformat=s&method=append",
                            &[("Content-Type", "text/csv")],
                            row.as_bytes(),
                        )?;
                        let sql = enc(&format!("select value from T where name = 'tag-{i}'"));
                        let path = format!("/db/query?format=csv&q={sql}");
                        let query = c.request("GET", &path, &[], b"")?;
                        Ok((c, write, query))
                    });
                    // Connections stay open until every client has its replies.
                    barrier.wait();
                    result.map(|(_c, w, q)| (w.status, w.text(), q.status, q.text()))
                })
            })
            .collect();
        threads.into_iter().map(|t| t.join().unwrap()).collect()
    });
    let mut refused = 0;
    for (i, result) in results.iter().enumerate() {
        let (write_status, write, query_status, query) = result
            .as_ref()
            .unwrap_or_else(|e| panic!("client {i}: {e}"));
        refused += usize::from(*write_status == 503) + usize::from(*query_status == 503);
        assert_eq!(*write_status, 200, "client {i}: {write}");
        assert!(write.contains("success, 1 record(s) appended"), "{write}");
        assert_eq!(*query_status, 200, "client {i}: {query}");
        assert_eq!(
            query.lines().nth(1),
            Some(i.to_string().as_str()),
            "{query}"
        );
    }
    assert_eq!(refused, 0);
}

/// What a server started under `ulimit` printed until it was ready.
struct Output {
    stdout: String,
    stderr: String,
}

fn start_under_ulimit(ulimit: &str) -> Output {
    let dir = common::temp_dir("cap-nofile");
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!("{ulimit} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_tidegate"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--snapshot-listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (lines, received) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if lines.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut out = Vec::new();
    while let Ok(line) = received.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
        let ready = line.ends_with("ready");
        out.push(line);
        if ready {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    Output {
        stdout: out.join("\n"),
        stderr,
    }
}

/// The hard open-file limit this test runs under, from /proc/self/limits.
fn hard_open_file_limit() -> Option<u64> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(4)?.parse().ok()
}

#[test]
fn the_soft_open_file_limit_is_raised_at_start_and_logged() {
    let hard = hard_open_file_limit();
    if hard.is_some_and(|h| h <= 256) {
        eprintln!("skipped: the hard open-file limit {hard:?} leaves nothing to raise");
        return;
    }
    let out = start_under_ulimit("ulimit -S -n 256");
    assert!(
        out.stdout.ends_with("ready"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    let expected = format!(
        "tidegate: open files: up to {} (soft limit raised from 256)",
        hard.map_or_else(|| "1280".to_owned(), |h| h.to_string())
    );
    assert!(out.stdout.contains(&expected), "{}", out.stdout);

    // A hard limit below what the default 1024 connections need: the server starts and says so.
    let out = start_under_ulimit("ulimit -n 600");
    assert!(
        out.stdout.ends_with("ready"),
        "{}\n{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("tidegate: open files: up to 600"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(
            "tidegate: warning: the open-file limit (600) is below the 1280 that --max-connections 1024 needs"
        ),
        "{}",
        out.stderr
    );
}
