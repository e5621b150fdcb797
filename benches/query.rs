//! The query benchmark: median latency of the questions operators ask (DESIGN.md, "Who uses
//! it"), asked over real HTTP (`GET /db/query`, CSV) of the release `tidegate` binary.
//!
//! Data: `--tags` tags (default 10,000) x `--points` points (default 1,000) in one Machbase
//! tag table, one point every 86.4 s so each tag spans one day, loaded with CSV bodies of
//! 100 tags each (`method=append`), then the server is left to settle for a second.
//!
//! Questions, each asked `--runs` times (default 21) of a different tag, timed from connect
//! to the last byte of the reply:
//! 1. last value: `WHERE name = ? ORDER BY time DESC LIMIT 1`;
//! 2. one hour of one tag: `WHERE name = ? AND time BETWEEN ...` (about 42 rows);
//! 3. one-minute averages over the day: `DATE_TRUNC('minute', time) ... GROUP BY`;
//! 4. the newest 10 rows of every tag: `ORDER BY time DESC LIMIT 10` (a merge over all tags);
//! 5. five minutes of every tag: `WHERE time BETWEEN ...` (a seek per tag, ~35,000 rows);
//! 6. the same five minutes, of the tags named in an `IN` list of 25,000 names (every tag,
//!    and names that are not stored);
//! 7. the same five minutes, of 1,000 tags named in 1,000 `OR`ed equalities.
//!
//! Then every row once, streamed, with the server's RSS sampled while it answers.
//!
//! Then, on a second server, the restart case (issue 17): `--restart-tags` tags (default
//! 500,000) x 2 rows, then `count(*)` of every tag and the last value of one tag, each asked
//! `--restart-runs` times (default 3) before a restart and again after the server was
//! restarted on the same data directory, with the ratio of the medians. Every tag's name is
//! resolved by a count over the whole table (each row gets its name), so this is where a name
//! costing a lookup per tag shows. `--restart-only` runs this case alone; `--restart-tags 0`
//! leaves it out.
//!
//! Prints the median, min and max of each. Never a test: nothing here asserts a speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use common::{Server, enc, machbase_ddl, machbase_query};

/// 2024-06-01T00:00:00Z.
const TIME_BASE_NS: i64 = 1_717_200_000_000_000_000;
const DAY_NS: i64 = 86_400_000_000_000;
const HOUR_NS: i64 = 3_600_000_000_000;
const TAGS_PER_BODY: u64 = 100;

struct Args {
    tags: u64,
    points: u64,
    runs: usize,
    restart_tags: u64,
    restart_runs: usize,
    restart_only: bool,
}

fn args() -> Args {
    let mut a = Args {
        tags: 10_000,
        points: 1_000,
        runs: 21,
        restart_tags: 500_000,
        restart_runs: 3,
        restart_only: false,
    };
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < argv.len() {
        let value = || argv.get(i + 1).and_then(|v| v.parse::<u64>().ok());
        match argv[i].as_str() {
            "--tags" => a.tags = value().expect("--tags N"),
            "--points" => a.points = value().expect("--points N"),
            "--runs" => a.runs = value().expect("--runs N") as usize,
            "--restart-tags" => a.restart_tags = value().expect("--restart-tags N"),
            "--restart-runs" => a.restart_runs = value().expect("--restart-runs N") as usize,
            "--restart-only" | "--bench" => {
                a.restart_only |= argv[i] == "--restart-only";
                i += 1;
                continue;
            }
            "--help" => {
                println!(
                    "cargo bench --bench query -- [--tags N] [--points N] [--runs N] \
                     [--restart-tags N] [--restart-runs N] [--restart-only]"
                );
                std::process::exit(0);
            }
            _ => {}
        }
        i += 2;
    }
    a
}

fn load(s: &Server, a: &Args) -> Duration {
    let started = Instant::now();
    let interval = DAY_NS / a.points as i64;
    let mut first = 0;
    while first < a.tags {
        let last = (first + TAGS_PER_BODY).min(a.tags);
        let mut body = String::with_capacity(((last - first) * a.points * 40) as usize);
        for tag in first..last {
            for p in 0..a.points {
                let t = TIME_BASE_NS + p as i64 * interval;
                let v = (tag as f64 * 0.01 + p as f64 * 0.1).sin() * 100.0;
                body.push_str(&format!("tag-{tag},{t},{v:.3}\n"));
            }
        }
        let r = s.post(
            "/db/write/bench?method=append&format=csv",
            "text/csv",
            body.as_bytes(),
        );
        assert_eq!(r.status, 200, "{}", r.text());
        first = last;
    }
    started.elapsed()
}

fn measure(s: &Server, a: &Args, name: &str, sql: &dyn Fn(u64) -> String, rows: usize) {
    let mut times = Vec::with_capacity(a.runs);
    for run in 0..a.runs {
        let tag = (run as u64 * 7919 + 13) % a.tags;
        let q = sql(tag);
        // A long statement goes in a form body (a GET's head holds 16 KiB), encoded before
        // the clock starts.
        let form = (q.len() > 8 << 10).then(|| format!("q={}&format=csv", enc(&q)));
        let started = Instant::now();
        let r = match &form {
            Some(form) => s.post(
                "/db/query",
                "application/x-www-form-urlencoded",
                form.as_bytes(),
            ),
            None => machbase_query(s, &q, "format=csv"),
        };
        times.push(started.elapsed());
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        let lines = r.text().lines().filter(|l| !l.is_empty()).count();
        assert_eq!(lines, rows + 1, "{q}: {}", r.text());
    }
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{name:<32} median {:>8.3} ms   min {:>8.3} ms   max {:>8.3} ms   ({} runs)",
        ms(times[times.len() / 2]),
        ms(times[0]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

fn main() {
    let a = args();
    if !a.restart_only {
        questions(&a);
    }
    if a.restart_tags > 0 {
        restart_case(&a);
    }
}

fn questions(a: &Args) {
    let s = Server::start("bench-query");
    machbase_ddl(
        &s,
        "CREATE TAG TABLE BENCH (NAME varchar(40) primary key, TIME datetime basetime, \
         VALUE double summarized)",
        "Created successfully.",
    );
    let loaded = load(&s, a);
    println!(
        "loaded {} tags x {} points = {} rows in {:.1} s",
        a.tags,
        a.points,
        a.tags * a.points,
        loaded.as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(1));
    let interval = DAY_NS / a.points as i64;
    let hour_start = TIME_BASE_NS + 12 * HOUR_NS;
    let hour_rows = (0..a.points as i64)
        .map(|p| TIME_BASE_NS + p * interval)
        .filter(|t| (hour_start..=hour_start + HOUR_NS).contains(t))
        .count();
    let minutes = {
        let mut m: Vec<i64> = (0..a.points as i64)
            .map(|p| (p * interval) / 60_000_000_000)
            .collect();
        m.dedup();
        m.len()
    };
    measure(
        &s,
        a,
        "last value of one tag",
        &|tag| {
            format!(
                "select time, value from bench where name = 'tag-{tag}' order by time desc limit 1"
            )
        },
        1,
    );
    measure(
        &s,
        a,
        "one hour of one tag",
        &|tag| {
            format!(
                "select time, value from bench where name = 'tag-{tag}' and time between {hour_start} and {}",
                hour_start + HOUR_NS
            )
        },
        hour_rows,
    );
    measure(
        &s,
        a,
        "1-minute averages over a day",
        &|tag| {
            format!(
                "select date_trunc('minute', time) as t, avg(value) from bench where name = 'tag-{tag}' \
                 and time >= {TIME_BASE_NS} and time < {} group by t order by t",
                TIME_BASE_NS + DAY_NS
            )
        },
        minutes,
    );
    // Across every tag: the store merges 10,000 tags' ranges for the newest rows, and
    // seeks each tag's range for a time window.
    measure(
        &s,
        a,
        "newest 10 rows of every tag",
        &|_| "select name, time, value from bench order by time desc limit 10".to_owned(),
        10,
    );
    let window_ns = 5 * 60_000_000_000;
    let window_rows = (0..a.points as i64)
        .map(|p| TIME_BASE_NS + p * interval)
        .filter(|t| (hour_start..=hour_start + window_ns).contains(t))
        .count()
        * a.tags as usize;
    measure(
        &s,
        a,
        "five minutes of every tag",
        &|_| {
            format!(
                "select name, time, value from bench where time between {hour_start} and {}",
                hour_start + window_ns
            )
        },
        window_rows,
    );
    // The same window of the tags named in a list: the names become a set, each looked up
    // once, and the planner seeks only the tags found.
    let per_tag_rows = window_rows / a.tags as usize;
    let between = format!("time between {hour_start} and {}", hour_start + window_ns);
    let listed: Vec<String> = (0..25_000).map(|i| format!("'tag-{i}'")).collect();
    let in_list = format!(
        "select name, time, value from bench where name in ({}) and {between}",
        listed.join(",")
    );
    measure(
        &s,
        a,
        "five minutes, IN of 25,000 names",
        &|_| in_list.clone(),
        per_tag_rows * 25_000.min(a.tags) as usize,
    );
    let ored: Vec<String> = (0..1_000.min(a.tags))
        .map(|i| format!("name = 'tag-{}'", i * (a.tags / 1_000).max(1)))
        .collect();
    let or_chain = format!(
        "select name, time, value from bench where ({}) and {between}",
        ored.join(" or ")
    );
    measure(
        &s,
        a,
        "five minutes, 1,000 ORed names",
        &|_| or_chain.clone(),
        per_tag_rows * ored.len(),
    );
    stream_everything(&s, a.tags * a.points);
}

/// The server's resident memory in KiB, from /proc.
fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|status| {
            let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
            line.split_whitespace().nth(1)?.parse().ok()
        })
        .unwrap_or(0)
}

/// Every row (CSV over one connection), read and discarded as it arrives while the
/// server's RSS is sampled: a streamed answer needs no more memory than a short one.
fn stream_everything(s: &Server, rows: u64) {
    use std::io::{Read, Write};
    let before = rss_kib(s.pid());
    let path = format!(
        "/db/query?format=csv&q={}",
        common::enc("select name, time, value from bench")
    );
    let mut conn = std::net::TcpStream::connect(&s.addr).unwrap();
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let started = Instant::now();
    let (mut bytes, mut newlines, mut peak) = (0u64, 0u64, before);
    let mut buf = vec![0u8; 1 << 16];
    let mut next_sample = 0;
    loop {
        let n = conn.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        bytes += n as u64;
        newlines += buf[..n].iter().filter(|b| **b == b'\n').count() as u64;
        if bytes >= next_sample {
            peak = peak.max(rss_kib(s.pid()));
            next_sample = bytes + (16 << 20);
        }
    }
    let elapsed = started.elapsed();
    assert!(newlines >= rows, "{newlines} lines for {rows} rows");
    println!(
        "every row ({rows} rows, {:.0} MiB CSV)  {:.1} s = {:.0} rows/s   server RSS {:.1} MiB before, peak {:.1} MiB while streaming",
        bytes as f64 / (1 << 20) as f64,
        elapsed.as_secs_f64(),
        rows as f64 / elapsed.as_secs_f64(),
        before as f64 / 1024.0,
        peak as f64 / 1024.0
    );
}

/// `--restart-tags` tags x 2 rows; `count(*)` of every tag and the last value of one tag,
/// before and after a restart on the same data directory.
fn restart_case(a: &Args) {
    let s = Server::start("bench-restart");
    machbase_ddl(
        &s,
        "CREATE TAG TABLE MANY (NAME varchar(40) primary key, TIME datetime basetime, \
         VALUE double)",
        "Created successfully.",
    );
    let started = Instant::now();
    // Every tag's first row, then every tag's second row: the tag dictionary is complete
    // before the journal fills up, so fjall flushes it as one table.
    let tags_per_body = 100_000;
    for p in 0..2i64 {
        let mut first = 0;
        while first < a.restart_tags {
            let last = (first + tags_per_body).min(a.restart_tags);
            let mut body = String::with_capacity(((last - first) * 40) as usize);
            for tag in first..last {
                let t = TIME_BASE_NS + p * HOUR_NS + tag as i64;
                body.push_str(&format!("tag-{tag},{t},{p}.5\n"));
            }
            let r = s.post(
                "/db/write/many?method=append&format=csv",
                "text/csv",
                body.as_bytes(),
            );
            assert_eq!(r.status, 200, "{}", r.text());
            first = last;
        }
    }
    println!(
        "restart case: {} tags x 2 rows loaded in {:.1} s",
        a.restart_tags,
        started.elapsed().as_secs_f64()
    );
    // Time for the flushes and compactions the load set off: fjall moves a lone level-0 table
    // of the tag dictionary to the last level, which is what a restart then reads.
    std::thread::sleep(Duration::from_secs(3));
    let count = "select count(*) from many".to_owned();
    let one = |run: usize| {
        let tag = (run as u64 * 7919 + 13) % a.restart_tags;
        format!("select time, value from many where name = 'tag-{tag}' order by time desc limit 1")
    };
    let rows = a.restart_tags * 2;
    let ask = |s: &Server, sql: &dyn Fn(usize) -> String, runs: usize, want: &str| {
        let mut times: Vec<Duration> = (0..runs)
            .map(|run| {
                let q = sql(run);
                let started = Instant::now();
                let reply = slow_query(s, &q);
                let took = started.elapsed();
                assert!(reply.starts_with("HTTP/1.1 200"), "{q}: {reply}");
                assert!(reply.contains(want), "{q}: {reply}");
                took
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    };
    let lookups = a.runs.max(1);
    let count_before = ask(
        &s,
        &|_| count.clone(),
        a.restart_runs,
        &format!("\n{rows}\n"),
    );
    let one_before = ask(&s, &one, lookups, ",1.5\n");
    let s = s.restart();
    let count_after = ask(
        &s,
        &|_| count.clone(),
        a.restart_runs,
        &format!("\n{rows}\n"),
    );
    let one_after = ask(&s, &one, lookups, ",1.5\n");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for (name, runs, before, after) in [
        (
            "count(*) of every tag",
            a.restart_runs,
            count_before,
            count_after,
        ),
        ("last value of one tag", lookups, one_before, one_after),
    ] {
        println!(
            "{name:<24} before restart {:>10.3} ms   after {:>10.3} ms   after/before {:.2}   (median of {runs})",
            ms(before),
            ms(after),
            after.as_secs_f64() / before.as_secs_f64()
        );
    }
}

/// The raw CSV reply to `sql`, waiting up to 10 minutes: the harness's requests give up after
/// a minute, and a count over every tag took about that long after a restart before the fix.
fn slow_query(s: &Server, sql: &str) -> String {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(&s.addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(600)))
        .unwrap();
    let path = format!("/db/query?format=csv&q={}", common::enc(sql));
    write!(
        conn,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    conn.read_to_string(&mut reply).unwrap();
    reply
}
