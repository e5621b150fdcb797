//! After a SIGKILL and a restart on the same data directory, every acknowledged request is
//! there, whole and exactly once. Machbase `method=insert` and Proton ingest without `mode`
//! reply only after an fsync that covers the rows (README, Durability). A request that was
//! in flight is whole or absent; a body still streaming when the process died leaves nothing
//! or a prefix of whole batches. The store opens and keeps serving.
#![allow(clippy::unwrap_used)]

mod common;
use std::io::Write;
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use common::{
    Server, create_stream, create_tag_table, machbase_write_ok, proton_ingest_ok, proton_query,
    query_csv, try_request,
};

/// `BATCH_ROWS_MAX` in src/limits.rs: a body longer than this is committed in batches of it.
const BATCH_ROWS: usize = 4096;

/// A Machbase body with rows `[tag, t, t + 0.5]` for each epoch second `t` in `times`.
fn machbase_rows(tag: &str, times: std::ops::RangeInclusive<usize>) -> String {
    let rows: Vec<String> = times.map(|t| format!(r#"["{tag}",{t},{t}.5]"#)).collect();
    format!(r#"{{"data":{{"rows":[{}]}}}}"#, rows.join(","))
}

/// The CSV lines `tag,t,t.5` that `machbase_rows(tag, times)` reads back as.
fn machbase_csv(tag: &str, times: std::ops::RangeInclusive<usize>) -> String {
    times.map(|t| format!("{tag},{t},{t}.5\n")).collect()
}

/// A Proton body with rows `[id, "n<id>", _tp_time]`, every row at the same `_tp_time`: if
/// the row sequence restarted after a crash, a new row would replace an old one.
fn proton_rows(ids: std::ops::RangeInclusive<usize>) -> String {
    let rows: Vec<String> = ids
        .map(|i| format!(r#"[{i},"n{i}","2024-01-01 00:00:00"]"#))
        .collect();
    format!(
        r#"{{"columns":["id","name","_tp_time"],"data":[{}]}}"#,
        rows.join(",")
    )
}

/// The TabSeparated lines that `proton_rows(ids)` reads back as, ordered by id.
fn proton_tsv(ids: std::ops::RangeInclusive<usize>) -> String {
    ids.map(|i| format!("{i}\tn{i}\n")).collect()
}

#[test]
fn acknowledged_rows_survive_sigkill() {
    const TAGS: usize = 10;
    const ROWS_PER_REQUEST: usize = 50;
    let mut s = Server::start("kill-acked");
    create_tag_table(&s, "T");
    create_stream(&s, "st (id int64, name string)");
    // Two rounds, so the second kill replays a journal written after a recovery.
    for round in 0..2 {
        for tag in 0..TAGS {
            let first = round * ROWS_PER_REQUEST + 1;
            let times = first..=first + ROWS_PER_REQUEST - 1;
            machbase_write_ok(
                &s,
                "T?timeformat=s&method=insert",
                &machbase_rows(&format!("t{tag}"), times),
                ROWS_PER_REQUEST,
            );
            let first_id = (round * TAGS + tag) * ROWS_PER_REQUEST + 1;
            proton_ingest_ok(
                &s,
                "st",
                &proton_rows(first_id..=first_id + ROWS_PER_REQUEST - 1),
            );
        }
        s = s.kill_and_restart();

        let mut expected = String::from("NAME,TIME,VALUE\n");
        for tag in 0..TAGS {
            expected.push_str(&machbase_csv(
                &format!("t{tag}"),
                1..=(round + 1) * ROWS_PER_REQUEST,
            ));
        }
        expected.push('\n');
        assert_eq!(query_csv(&s, "select * from T"), expected, "round {round}");
        assert_eq!(
            proton_query(&s, "SELECT id, name FROM table(st) ORDER BY id"),
            proton_tsv(1..=(round + 1) * TAGS * ROWS_PER_REQUEST),
            "round {round}"
        );
    }
}

/// Sends `POST /db/write/T` with a chunked body of rows `["backfill", i, i.5]` for i from 1
/// up to `rows_max`, and never ends the body, so the request is never acknowledged. Counts
/// the rows written to the socket in `rows_sent`; stops at the first write error.
fn stream_backfill(addr: String, rows_max: usize, rows_sent: Arc<AtomicUsize>) {
    const ROWS_PER_CHUNK: usize = 256;
    let Ok(mut stream) = TcpStream::connect(&addr) else {
        return;
    };
    let head = format!(
        "POST /db/write/T?timeformat=s HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    let mut piece = String::from(r#"{"data":{"columns":["name","time","value"],"rows":["#);
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    for start in (1..=rows_max).step_by(ROWS_PER_CHUNK) {
        for i in start..(start + ROWS_PER_CHUNK).min(rows_max + 1) {
            if i > 1 {
                piece.push(',');
            }
            piece.push_str(&format!(r#"["backfill",{i},{i}.5]"#));
        }
        let chunk = format!("{:x}\r\n{piece}\r\n", piece.len());
        if stream.write_all(chunk.as_bytes()).is_err() {
            return;
        }
        piece.clear();
        rows_sent.store((start + ROWS_PER_CHUNK - 1).min(rows_max), Ordering::SeqCst);
    }
}

/// The latest time (epoch seconds) of `tag` in table T, 0 when it has no rows.
fn latest_time(s: &Server, tag: &str) -> usize {
    let csv = query_csv(
        s,
        &format!("select time from T where name = '{tag}' order by time desc limit 1"),
    );
    csv.lines().nth(1).map_or(0, |l| l.parse().unwrap_or(0))
}

/// What one acknowledged-writer thread saw before the server died.
struct WriterLog {
    /// Requests answered with the exact success reply.
    acked: usize,
    /// A reply other than success that came before the kill (a failure of the test).
    unexpected: Option<String>,
}

/// One kind of acknowledged request: where it goes and what success looks like.
struct Writer {
    path: &'static str,
    headers: &'static [(&'static str, &'static str)],
    /// The body for the rows with these times or ids.
    body: fn(std::ops::RangeInclusive<usize>) -> String,
    /// A success reply is this, a value, and `"}`.
    success_prefix: &'static str,
}

/// Sends `writer`'s requests of 20 rows one after another until one is not acknowledged, or
/// 2,000 were; request `n` (0-based) carries times or ids `20 n + 1 ..= 20 n + 20`.
fn write_until_killed(
    addr: &str,
    killed: &AtomicBool,
    acked_total: &AtomicUsize,
    writer: &Writer,
) -> WriterLog {
    let requests_max = 2_000;
    let mut log = WriterLog {
        acked: 0,
        unexpected: None,
    };
    for n in 0..requests_max {
        let body = (writer.body)(n * 20 + 1..=n * 20 + 20);
        let reply = try_request(addr, "POST", writer.path, writer.headers, body.as_bytes());
        match reply {
            Ok(r)
                if r.status == 200
                    && r.text().starts_with(writer.success_prefix)
                    && r.text().ends_with("\"}") =>
            {
                log.acked += 1;
                acked_total.fetch_add(1, Ordering::SeqCst);
            }
            other => {
                if !killed.load(Ordering::SeqCst) {
                    log.unexpected = Some(format!("request {n}: {other:?}"));
                }
                return log;
            }
        }
    }
    log
}

/// Asserts that a writer with `acked` requests acknowledged has exactly the ids (or times)
/// `1..=20 n` stored, once each, where `n` is `acked`, or `acked + 1` when the request in
/// flight at the kill was committed whole.
fn assert_stored_requests(stored: &[usize], acked: usize, what: &str) {
    let n = stored.len() / 20;
    assert!(
        n == acked || n == acked + 1,
        "{what}: {} rows stored for {acked} acknowledged requests of 20",
        stored.len()
    );
    assert_eq!(
        stored,
        (1..=n * 20).collect::<Vec<_>>(),
        "{what}: not exactly the rows of the first {n} requests, once each"
    );
}

#[test]
fn kill_during_a_streaming_body_and_concurrent_writes() {
    const BACKFILL_ROWS_MAX: usize = 2_000_000;
    const BACKFILL_ROWS_BEFORE_KILL: usize = 5 * BATCH_ROWS;
    const ACKED_BEFORE_KILL: usize = 6;
    let s = Server::start("kill-streaming");
    create_tag_table(&s, "T");
    create_stream(&s, "st (id int64)");

    let killed = Arc::new(AtomicBool::new(false));
    let acked_total = Arc::new(AtomicUsize::new(0));
    let rows_sent = Arc::new(AtomicUsize::new(0));
    let backfill = {
        let (addr, rows_sent) = (s.addr.clone(), Arc::clone(&rows_sent));
        thread::spawn(move || stream_backfill(addr, BACKFILL_ROWS_MAX, rows_sent))
    };
    let spawn = |writer: Writer| {
        let (addr, killed, acked_total) = (
            s.addr.clone(),
            Arc::clone(&killed),
            Arc::clone(&acked_total),
        );
        thread::spawn(move || write_until_killed(&addr, &killed, &acked_total, &writer))
    };
    let machbase_writer = spawn(Writer {
        path: "/db/write/T?timeformat=s&method=insert",
        headers: &[("Content-Type", "application/json")],
        body: |times| machbase_rows("acked", times),
        success_prefix: r#"{"success":true,"reason":"success, 20 record(s) inserted","elapse":""#,
    });
    let proton_writer = spawn(Writer {
        path: "/proton/v1/ingest/streams/st",
        headers: &[],
        body: |ids| {
            let rows: Vec<String> = ids.map(|i| format!("[{i}]")).collect();
            format!(r#"{{"columns":["id"],"data":[{}]}}"#, rows.join(","))
        },
        success_prefix: r#"{"request_id":""#,
    });

    // Kill once the server has applied several of the backfill's batches (they are visible
    // to queries) and both writers are going, or after 60 s in any case (the assertions
    // below then say what was missing).
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut backfill_visible = 0;
    while Instant::now() < deadline {
        if acked_total.load(Ordering::SeqCst) >= ACKED_BEFORE_KILL {
            backfill_visible = latest_time(&s, "backfill");
            if backfill_visible >= BACKFILL_ROWS_BEFORE_KILL {
                break;
            }
        }
        thread::sleep(Duration::from_millis(20));
    }
    let mut s = s;
    killed.store(true, Ordering::SeqCst);
    s.kill();
    let rows_sent = rows_sent.load(Ordering::SeqCst);
    backfill.join().unwrap();
    let machbase_log = machbase_writer.join().unwrap();
    let proton_log = proton_writer.join().unwrap();
    assert_eq!(machbase_log.unexpected, None);
    assert_eq!(proton_log.unexpected, None);
    assert!(
        backfill_visible >= BACKFILL_ROWS_BEFORE_KILL && rows_sent < BACKFILL_ROWS_MAX,
        "the backfill was in flight at the kill: {rows_sent} rows sent, {backfill_visible} visible"
    );
    assert!(
        machbase_log.acked + proton_log.acked >= ACKED_BEFORE_KILL,
        "{} + {} requests acknowledged before the kill",
        machbase_log.acked,
        proton_log.acked
    );

    let s = s.start_again();
    let times = |tag: &str| -> Vec<usize> {
        let csv = query_csv(
            &s,
            &format!("select time from T where name = '{tag}' order by time"),
        );
        csv.lines()
            .skip(1)
            .filter(|l| !l.is_empty())
            .map(|l| l.parse().unwrap())
            .collect()
    };
    assert_stored_requests(&times("acked"), machbase_log.acked, "machbase insert");
    let ids: Vec<usize> = proton_query(&s, "SELECT id FROM table(st) ORDER BY id")
        .lines()
        .map(|l| l.parse().unwrap())
        .collect();
    assert_stored_requests(&ids, proton_log.acked, "proton sync ingest");

    // The unfinished backfill: absent, or its first k rows where k is a whole number of
    // batches, with the values it sent.
    let backfill = query_csv(
        &s,
        "select time, value from T where name = 'backfill' order by time",
    );
    let k = backfill.lines().skip(1).filter(|l| !l.is_empty()).count();
    assert!(
        k % BATCH_ROWS == 0 && k <= rows_sent,
        "{k} backfill rows stored, {rows_sent} sent"
    );
    let expected: String = (1..=k).map(|t| format!("{t},{t}.5\n")).collect();
    assert_eq!(backfill, format!("TIME,VALUE\n{expected}\n"));
    eprintln!(
        "killed with {rows_sent} backfill rows sent, {backfill_visible} visible, {k} stored after the restart; {} machbase and {} proton requests acknowledged",
        machbase_log.acked, proton_log.acked
    );

    // Still serving: the backfill's next rows go in, and a clean stop exits 0.
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        &machbase_rows("backfill", k + 1..=k + 10),
        10,
    );
    let s = s.restart();
    assert_eq!(latest_time(&s, "backfill"), k + 10);
}
