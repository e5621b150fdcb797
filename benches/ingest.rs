//! The ingest benchmark: rows/s and the server's peak RSS while the release `tidegate` binary
//! ingests rows into a Machbase tag table through real HTTP on 127.0.0.1.
//!
//! Run it with `cargo bench --bench ingest` (every case, 1,000,000 rows each, 3 runs, plus the
//! 1 GB body), or quickly with `cargo bench --bench ingest -- --rows 100000 --cases json`.
//! `-- --help` lists the flags. DEVELOPERS.md says what the figures mean.
//!
//! One run of one case:
//! 1. A fresh server (`serve --listen 127.0.0.1:0` on a fresh temp data dir), then
//!    `CREATE TAG TABLE BENCH` through `GET /db/query`.
//! 2. A probe: one row in the case's format, encoding and method. A 415 reply marks the case
//!    `unsupported (415)` and the benchmark moves on, so the same program serves before and
//!    after a format lands. The probe's row is sent again in the timed part and replaces itself.
//! 3. The timed part: the pre-generated bodies (`--rows-per-request` rows each) go out over
//!    `--connections` keep-alive connections, each taking the next unsent body.
//!    rows/s = rows acknowledged / wall time from the first byte sent to the last reply read.
//! 4. Peak RSS = the server's `VmHWM` from /proc after the last reply (it includes start-up and
//!    the probe), then SIGTERM.
//!
//! The 1 GB run sends one CSV body with `Transfer-Encoding: chunked`, generated while it is
//! sent and never held whole in memory, to show the server's memory stays bounded by its batch
//! size, not by the body.
//!
//! Bounds: every loop is bounded by a count and by the case's deadline (`--timeout-s`,
//! `--huge-timeout-s`); each socket read and write times out at the deadline. Only 127.0.0.1.
//! This is a benchmark, never a test: nothing here asserts a speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../tests/common/mod.rs"]
mod common;

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use common::{Server, enc};

const CREATE_SQL: &str = "CREATE TAG TABLE BENCH (NAME varchar(40) primary key, \
                          TIME datetime basetime, VALUE double summarized)";
/// Distinct tag names; the points per tag follow from `--rows`.
const TAGS_MAX: u64 = 1000;
/// 2024-06-01T00:00:00Z.
const TIME_BASE_NS: i64 = 1_717_200_000_000_000_000;
/// Each tag reports once a second; tag `t` reports `t` ms into the second.
const POINT_INTERVAL_NS: i64 = 1_000_000_000;
const TAG_SKEW_NS: i64 = 1_000_000;
const JSON_PREFIX: &[u8] = br#"{"data":{"columns":["NAME","TIME","VALUE"],"rows":["#;
const JSON_SUFFIX: &[u8] = b"]}}";
/// The level a gzip command line uses by default.
/// Bytes per chunk of the streamed 1 GB body.
const HUGE_CHUNK_BYTES: usize = 64 << 10;
/// Longest reply head the client accepts.
const REPLY_HEAD_BYTES_MAX: usize = 64 << 10;
/// Longest reply body the client accepts (write and DDL replies are a few hundred bytes).
const REPLY_BODY_BYTES_MAX: usize = 1 << 20;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Format {
    Csv,
    Ndjson,
    Json,
}

impl Format {
    const ALL: [Format; 3] = [Format::Csv, Format::Ndjson, Format::Json];
    fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Ndjson => "ndjson",
            Format::Json => "json",
        }
    }
    fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv",
            Format::Ndjson => "application/x-ndjson",
            Format::Json => "application/json",
        }
    }
}

const ENCODINGS: [&str; 2] = ["plain", "gzip"];
const METHODS: [&str; 2] = ["insert", "append"];

struct Options {
    rows: u64,
    rows_per_request: u64,
    connections: usize,
    repeats: usize,
    formats: Vec<Format>,
    encodings: Vec<&'static str>,
    methods: Vec<&'static str>,
    regular: bool,
    huge: bool,
    huge_bytes: u64,
    huge_method: &'static str,
    huge_format: Format,
    timeout: Duration,
    huge_timeout: Duration,
    server_bin: PathBuf,
}

const HELP: &str = "\
The ingest benchmark (see DEVELOPERS.md). Flags, after `cargo bench --bench ingest --`:
  --rows N               rows per case (default 1000000: 1000 tags x 1000 points)
  --rows-per-request N   rows per request body (default 10000)
  --connections 1|2      concurrent client connections (default 2)
  --repeats N            runs per case, fresh data dir each; the median is reported (default 3)
  --cases LIST           comma-separated: csv, ndjson, json, plain, gzip, insert, append, huge.
                         A case runs if it matches a listed word in every dimension that has
                         one; `huge` (the 1 GB streamed CSV body) runs only when listed or when
                         --cases is absent. Default: every case.
  --huge-bytes N         size of the streamed CSV body (default 1000000000)
  --huge-method M        insert or append for the streamed body (default append)
  --huge-format F        csv or json for the streamed body (default csv; json works on
                         servers that do not take CSV yet)
  --timeout-s N          a run of a case aborts after N seconds (default 120)
  --huge-timeout-s N     the streamed body aborts after N seconds (default 600)
  --server-bin PATH      the tidegate binary to run (default: this build's release binary),
                         e.g. a build with debug info for perf or heaptrack
";

fn parse_options() -> Options {
    let mut o = Options {
        rows: 1_000_000,
        rows_per_request: 10_000,
        connections: 2,
        repeats: 3,
        formats: Format::ALL.to_vec(),
        encodings: ENCODINGS.to_vec(),
        methods: METHODS.to_vec(),
        regular: true,
        huge: true,
        huge_bytes: 1_000_000_000,
        huge_method: "append",
        huge_format: Format::Csv,
        timeout: Duration::from_secs(120),
        huge_timeout: Duration::from_secs(600),
        server_bin: PathBuf::from(env!("CARGO_BIN_EXE_tidegate")),
    };
    let mut args = std::env::args().skip(1);
    let number = |flag: &str, v: Option<String>| -> u64 {
        v.and_then(|v| v.replace('_', "").parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| usage(&format!("{flag} needs a positive number")))
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            // `cargo bench` passes `--bench` to a harness-less bench.
            "--bench" => {}
            "-h" | "--help" => {
                print!("{HELP}");
                std::process::exit(0);
            }
            "--rows" => o.rows = number("--rows", args.next()),
            "--rows-per-request" => {
                o.rows_per_request = number("--rows-per-request", args.next());
            }
            "--connections" => {
                o.connections = match number("--connections", args.next()) {
                    1 => 1,
                    2 => 2,
                    _ => usage("--connections is 1 or 2"),
                }
            }
            "--repeats" => {
                o.repeats = usize::try_from(number("--repeats", args.next()))
                    .ok()
                    .filter(|&n| n <= 20)
                    .unwrap_or_else(|| usage("--repeats is at most 20"));
            }
            "--huge-bytes" => o.huge_bytes = number("--huge-bytes", args.next()),
            "--huge-method" => {
                o.huge_method = match args.next().as_deref() {
                    Some("insert") => "insert",
                    Some("append") => "append",
                    _ => usage("--huge-method is insert or append"),
                }
            }
            "--huge-format" => {
                o.huge_format = match args.next().as_deref() {
                    Some("csv") => Format::Csv,
                    Some("json") => Format::Json,
                    _ => usage("--huge-format is csv or json"),
                }
            }
            "--timeout-s" => o.timeout = Duration::from_secs(number("--timeout-s", args.next())),
            "--huge-timeout-s" => {
                o.huge_timeout = Duration::from_secs(number("--huge-timeout-s", args.next()));
            }
            "--server-bin" => {
                o.server_bin = args
                    .next()
                    .map(PathBuf::from)
                    .unwrap_or_else(|| usage("--server-bin needs a path"));
            }
            "--cases" => {
                let list = args.next().unwrap_or_else(|| usage("--cases needs a list"));
                let words: Vec<&str> = list.split(',').map(str::trim).collect();
                let pick = |all: &[&'static str]| -> Vec<&'static str> {
                    let some: Vec<_> = all.iter().copied().filter(|a| words.contains(a)).collect();
                    if some.is_empty() { all.to_vec() } else { some }
                };
                for w in &words {
                    let known = ["csv", "ndjson", "json", "huge"].contains(w)
                        || ENCODINGS.contains(w)
                        || METHODS.contains(w);
                    if !known {
                        usage(&format!("unknown case word `{w}`"));
                    }
                }
                let formats: Vec<Format> = Format::ALL
                    .into_iter()
                    .filter(|f| words.contains(&f.name()))
                    .collect();
                if !formats.is_empty() {
                    o.formats = formats;
                }
                o.encodings = pick(&ENCODINGS);
                o.methods = pick(&METHODS);
                o.huge = words.contains(&"huge");
                o.regular = words.iter().any(|w| *w != "huge");
            }
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    o
}

fn usage(message: &str) -> ! {
    eprintln!("ingest bench: {message}\n\n{HELP}");
    std::process::exit(2);
}

// ---------------------------------------------------------------------------------------------
// Data: 1000 tags, one point a second each, time-major (every tag reports, then the next second),
// values that drift like temperatures with some noise, rounded to 3 decimals as sensors send them.

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

struct Data {
    names: Vec<String>,
}

impl Data {
    fn new(tags: u64) -> Data {
        Data {
            names: (0..tags)
                .map(|t| format!("gw{:02}.line{}.sensor{t:04}", t / 100, t % 7))
                .collect(),
        }
    }

    /// Row `i`: (tag name, time ns, value).
    fn row(&self, i: u64) -> (&str, i64, f64) {
        let tags = self.names.len() as u64;
        let (tag, point) = (i % tags, i / tags);
        let time = TIME_BASE_NS + point as i64 * POINT_INTERVAL_NS + tag as i64 * TAG_SKEW_NS;
        let noise = (splitmix64(i) >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        let wave = (point as f64 / 600.0 + tag as f64 * 0.618).sin();
        let value = 15.0 + (tag % 23) as f64 + 4.0 * wave + 0.25 * noise;
        (
            &self.names[tag as usize],
            time,
            (value * 1000.0).round() / 1000.0,
        )
    }

    fn write_row(&self, format: Format, i: u64, first: bool, out: &mut Vec<u8>) {
        let (name, time, value) = self.row(i);
        match format {
            Format::Csv => writeln!(out, "{name},{time},{value}"),
            Format::Ndjson => {
                writeln!(out, r#"{{"NAME":"{name}","TIME":{time},"VALUE":{value}}}"#)
            }
            Format::Json => {
                let comma = if first { "" } else { "," };
                write!(out, r#"{comma}["{name}",{time},{value}]"#)
            }
        }
        .unwrap();
    }

    /// One whole request body holding rows `from..to`.
    fn body(&self, format: Format, from: u64, to: u64) -> Vec<u8> {
        let mut out = Vec::with_capacity((to - from) as usize * 64 + 64);
        if format == Format::Json {
            out.extend_from_slice(JSON_PREFIX);
        }
        for i in from..to {
            self.write_row(format, i, i == from, &mut out);
        }
        if format == Format::Json {
            out.extend_from_slice(JSON_SUFFIX);
        }
        out
    }
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 keep-alive client: one request at a time per connection, no pipelining.

struct Reply {
    status: u16,
    body: Vec<u8>,
}

impl Reply {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// N from Machbase's `success, N record(s) inserted|appended`.
    fn records(&self) -> Option<u64> {
        let text = self.text();
        let rest = &text[text.find("success, ")? + 9..];
        rest[..rest.find(' ')?].parse().ok()
    }
}

struct Conn {
    stream: TcpStream,
    addr: String,
    buf: Vec<u8>,
    deadline: Instant,
}

impl Conn {
    fn open(addr: &str, deadline: Instant) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr)?;
        stream.set_nodelay(true)?;
        let mut conn = Conn {
            stream,
            addr: addr.to_owned(),
            buf: Vec::with_capacity(4096),
            deadline,
        };
        conn.arm()?;
        Ok(conn)
    }

    /// Socket timeouts end at the deadline, so no read or write outlives the case.
    fn arm(&mut self) -> io::Result<()> {
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(io::Error::new(io::ErrorKind::TimedOut, "case deadline"));
        }
        self.stream.set_read_timeout(Some(left))?;
        self.stream.set_write_timeout(Some(left))
    }

    fn head(&self, path: &str, headers: &[(&str, &str)], length: Option<usize>) -> String {
        let mut head = format!("POST {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (n, v) in headers {
            let _ = write!(head, "{n}: {v}\r\n");
        }
        match length {
            Some(n) => {
                let _ = write!(head, "Content-Length: {n}\r\n\r\n");
            }
            None => head.push_str("Transfer-Encoding: chunked\r\n\r\n"),
        }
        head
    }

    fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Reply> {
        self.arm()?;
        let head = self.head(path, headers, Some(body.len()));
        let sent = self
            .stream
            .write_all(head.as_bytes())
            .and_then(|()| self.stream.write_all(body));
        // A server that refuses a body may reply and close before reading it: the reply says why.
        match (sent, self.read_reply()) {
            (_, Ok(reply)) => Ok(reply),
            (Err(e), Err(_)) | (Ok(()), Err(e)) => Err(e),
        }
    }

    /// Sends a chunked body; `fill` appends the next piece and returns false after the last.
    fn post_chunked(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        chunks_max: u64,
        mut fill: impl FnMut(&mut Vec<u8>) -> bool,
    ) -> io::Result<Reply> {
        self.arm()?;
        let head = self.head(path, headers, None);
        let mut piece = Vec::with_capacity(HUGE_CHUNK_BYTES + 256);
        let mut send = |conn: &mut Conn| -> io::Result<()> {
            conn.stream.write_all(head.as_bytes())?;
            for _ in 0..chunks_max {
                // Past the deadline this fails, and the body is left unfinished on purpose.
                conn.arm()?;
                piece.clear();
                let more = fill(&mut piece);
                if !piece.is_empty() {
                    let size = format!("{:x}\r\n", piece.len());
                    conn.stream.write_all(size.as_bytes())?;
                    conn.stream.write_all(&piece)?;
                    conn.stream.write_all(b"\r\n")?;
                }
                if !more {
                    return conn.stream.write_all(b"0\r\n\r\n");
                }
            }
            Err(io::Error::other("body generator passed its chunk bound"))
        };
        let sent = send(self);
        match (sent, self.read_reply()) {
            (_, Ok(reply)) => Ok(reply),
            (Err(e), Err(_)) | (Ok(()), Err(e)) => Err(e),
        }
    }

    /// Reads until `buf` holds at least `len` bytes.
    fn fill_to(&mut self, len: usize) -> io::Result<()> {
        let mut chunk = [0u8; 16 << 10];
        while self.buf.len() < len {
            self.arm()?;
            let n = self.stream.read(&mut chunk)?;
            if n == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ));
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
        Ok(())
    }

    fn find_from(&mut self, from: usize, needle: &[u8], bytes_max: usize) -> io::Result<usize> {
        loop {
            if let Some(i) = self.buf[from..]
                .windows(needle.len())
                .position(|w| w == needle)
            {
                return Ok(from + i);
            }
            if self.buf.len() - from > bytes_max {
                return Err(io::Error::other("reply head or chunk line too long"));
            }
            let want = self.buf.len() + 1;
            self.fill_to(want)?;
        }
    }

    fn read_reply(&mut self) -> io::Result<Reply> {
        let head_end = self.find_from(0, b"\r\n\r\n", REPLY_HEAD_BYTES_MAX)?;
        let head = String::from_utf8_lossy(&self.buf[..head_end]).into_owned();
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|l| l.split(' ').nth(1))
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::other(format!("bad status line in {head:?}")))?;
        let (mut length, mut chunked) = (None, false);
        for (name, value) in lines.filter_map(|l| l.split_once(':')) {
            let value = value.trim();
            if name.eq_ignore_ascii_case("content-length") {
                length = value.parse::<usize>().ok();
            } else if name.eq_ignore_ascii_case("transfer-encoding") {
                chunked = value.eq_ignore_ascii_case("chunked");
            }
        }
        let mut at = head_end + 4;
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = self.find_from(at, b"\r\n", 64)?;
                let size_text = String::from_utf8_lossy(&self.buf[at..line_end]).into_owned();
                let size = usize::from_str_radix(size_text.trim(), 16)
                    .map_err(|_| io::Error::other(format!("bad chunk size {size_text:?}")))?;
                at = line_end + 2;
                if size == 0 {
                    self.fill_to(at + 2)?;
                    at += 2;
                    break body;
                }
                if body.len() + size > REPLY_BODY_BYTES_MAX {
                    return Err(io::Error::other("reply body too long"));
                }
                self.fill_to(at + size + 2)?;
                body.extend_from_slice(&self.buf[at..at + size]);
                at += size + 2;
            }
        } else {
            let n = length.unwrap_or(0).min(REPLY_BODY_BYTES_MAX);
            self.fill_to(at + n)?;
            at += n;
            self.buf[head_end + 4..at].to_vec()
        };
        self.buf.drain(..at);
        Ok(Reply { status, body })
    }
}

/// An I/O error as the report shows it; a socket timeout is the case's deadline.
fn io_text(e: &io::Error, flag: &str, limit: Duration) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("timed out ({flag} {})", limit.as_secs())
        }
        _ => e.to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// The server under test and what /proc says about it.

/// Peak resident set (VmHWM) of `pid`, in bytes.
fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// User plus system CPU time `pid` used so far, all threads.
fn cpu_time(pid: u32, ticks_per_s: u64) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the `)` closing the command name start at field 3; utime and stime are 14, 15.
    let after = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 1000 / ticks_per_s)
}

fn clock_ticks_per_s() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

fn start_server(options: &Options) -> Server {
    let server = Server::start_bin_in(&options.server_bin, common::temp_dir("bench"));
    let reply = server.get(&format!("/db/query?q={}", enc(CREATE_SQL)));
    assert_eq!(reply.status, 200, "CREATE TAG TABLE: {}", reply.text());
    server
}

struct Run {
    rows: u64,
    wall: Duration,
    server_cpu: Duration,
    peak_rss_bytes: u64,
}

impl Run {
    fn rows_per_s(&self) -> f64 {
        self.rows as f64 / self.wall.as_secs_f64()
    }
}

enum Outcome {
    Ran(Vec<Run>),
    Unsupported(String),
    Failed(String),
}

struct Request<'a> {
    path: String,
    headers: Vec<(&'a str, &'a str)>,
}

impl<'a> Request<'a> {
    fn new(format: Format, gzip: bool, method: &str) -> Request<'a> {
        let mut headers = vec![("Content-Type", format.content_type())];
        if gzip {
            headers.push(("Content-Encoding", "gzip"));
        }
        Request {
            path: format!("/db/write/BENCH?method={method}"),
            headers,
        }
    }
}

/// Sends one small body; `Err` carries the outcome that ends the case (415 or another failure).
fn probe(
    server: &Server,
    request: &Request,
    body: &[u8],
    deadline: Instant,
) -> Result<(), Outcome> {
    let mut conn =
        Conn::open(&server.addr, deadline).map_err(|e| Outcome::Failed(e.to_string()))?;
    let reply = conn
        .post(&request.path, &request.headers, body)
        .map_err(|e| Outcome::Failed(format!("probe: {e}")))?;
    match reply.status {
        200 => Ok(()),
        415 => Err(Outcome::Unsupported(reply.text())),
        s => Err(Outcome::Failed(format!("probe: {s} {}", reply.text()))),
    }
}

/// One run of one case: a fresh server, the probe, then every body over `connections`.
fn run_once(
    options: &Options,
    ticks_per_s: u64,
    request: &Request,
    probe_body: &[u8],
    bodies: &[(Vec<u8>, u64)],
) -> Result<Run, Outcome> {
    let mut server = start_server(options);
    let deadline = Instant::now() + options.timeout;
    probe(&server, request, probe_body, deadline)?;
    let pid = server.pid();
    let next = AtomicUsize::new(0);
    let rows_acked = AtomicU64::new(0);
    let abort = AtomicBool::new(false);
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let fail = |message: String| {
        abort.store(true, Ordering::Relaxed);
        failure
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_or_insert(message);
    };
    let cpu_before = cpu_time(pid, ticks_per_s);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..options.connections {
            scope.spawn(|| {
                let mut conn = match Conn::open(&server.addr, deadline) {
                    Ok(c) => c,
                    Err(e) => return fail(format!("connect: {e}")),
                };
                // Bounded by the body count; each request also by the deadline.
                for _ in 0..bodies.len() {
                    let k = next.fetch_add(1, Ordering::Relaxed);
                    let Some((body, rows)) = bodies.get(k) else {
                        return;
                    };
                    if abort.load(Ordering::Relaxed) {
                        return;
                    }
                    match conn.post(&request.path, &request.headers, body) {
                        Ok(r) if r.status == 200 && r.records() == Some(*rows) => {
                            rows_acked.fetch_add(*rows, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            return fail(format!("request {k}: {} {}", r.status, r.text()));
                        }
                        Err(e) => {
                            let text = io_text(&e, "--timeout-s", options.timeout);
                            return fail(format!("request {k}: {text}"));
                        }
                    }
                }
            });
        }
    });
    let wall = started.elapsed();
    let server_cpu = cpu_time(pid, ticks_per_s).saturating_sub(cpu_before);
    let peak = peak_rss_bytes(pid);
    server.stop();
    if let Some(message) = failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        return Err(Outcome::Failed(message));
    }
    Ok(Run {
        rows: rows_acked.into_inner(),
        wall,
        server_cpu,
        peak_rss_bytes: peak,
    })
}

/// The 1 GB body: one request, generated chunk by chunk while it is sent.
fn run_huge(options: &Options, ticks_per_s: u64, data: &Data) -> Result<Run, Outcome> {
    let format = options.huge_format;
    let request = Request::new(format, false, options.huge_method);
    let mut server = start_server(options);
    let deadline = Instant::now() + options.huge_timeout;
    probe(&server, &request, &data.body(format, 0, 1), deadline)?;
    let pid = server.pid();
    let mut conn =
        Conn::open(&server.addr, deadline).map_err(|e| Outcome::Failed(e.to_string()))?;
    let (mut row, mut bytes) = (0u64, 0u64);
    let bytes_target = options.huge_bytes;
    let chunks_max = bytes_target / HUGE_CHUNK_BYTES as u64 + 2;
    let cpu_before = cpu_time(pid, ticks_per_s);
    let started = Instant::now();
    let reply = conn.post_chunked(&request.path, &request.headers, chunks_max, |piece| {
        if row == 0 && format == Format::Json {
            piece.extend_from_slice(JSON_PREFIX);
        }
        while piece.len() < HUGE_CHUNK_BYTES && bytes + (piece.len() as u64) < bytes_target {
            data.write_row(format, row, row == 0, piece);
            row += 1;
        }
        bytes += piece.len() as u64;
        let more = bytes < bytes_target;
        if !more && format == Format::Json {
            piece.extend_from_slice(JSON_SUFFIX);
        }
        more
    });
    let wall = started.elapsed();
    let server_cpu = cpu_time(pid, ticks_per_s).saturating_sub(cpu_before);
    let peak = peak_rss_bytes(pid);
    // Closed first: after a timeout the server would wait for the rest of the body.
    drop(conn);
    server.stop();
    let reply = reply.map_err(|e| {
        Outcome::Failed(format!(
            "after {bytes} bytes: {}",
            io_text(&e, "--huge-timeout-s", options.huge_timeout)
        ))
    })?;
    if reply.status != 200 || reply.records() != Some(row) {
        return Err(Outcome::Failed(format!(
            "{} {} (sent {row} rows)",
            reply.status,
            reply.text()
        )));
    }
    Ok(Run {
        rows: row,
        wall,
        server_cpu,
        peak_rss_bytes: peak,
    })
}

fn run_case(
    options: &Options,
    ticks_per_s: u64,
    label: &str,
    request: &Request,
    probe_body: &[u8],
    bodies: &[(Vec<u8>, u64)],
) -> Outcome {
    let mut runs = Vec::new();
    for i in 1..=options.repeats {
        match run_once(options, ticks_per_s, request, probe_body, bodies) {
            Ok(run) => {
                eprintln!("{label} run {i}: {}", describe(&run));
                runs.push(run);
            }
            Err(outcome) => return outcome,
        }
    }
    Outcome::Ran(runs)
}

fn describe(run: &Run) -> String {
    format!(
        "{} rows in {:.2} s = {} rows/s; server CPU {:.2} s ({:.0}% of one core); peak RSS {:.1} MiB",
        group(run.rows as f64),
        run.wall.as_secs_f64(),
        group(run.rows_per_s()),
        run.server_cpu.as_secs_f64(),
        100.0 * run.server_cpu.as_secs_f64() / run.wall.as_secs_f64(),
        mib(run.peak_rss_bytes)
    )
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// `1234567.8` as `1,234,568`.
fn group(n: f64) -> String {
    let digits = format!("{:.0}", n.max(0.0));
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Markdown cells for rows/s and peak RSS.
fn cells(outcome: &Outcome) -> (String, String) {
    match outcome {
        Outcome::Ran(runs) => {
            let mut rates: Vec<f64> = runs.iter().map(Run::rows_per_s).collect();
            rates.sort_by(f64::total_cmp);
            let peak = runs.iter().map(|r| r.peak_rss_bytes).max().unwrap_or(0);
            (group(rates[rates.len() / 2]), format!("{:.1}", mib(peak)))
        }
        Outcome::Unsupported(_) => ("unsupported (415)".into(), "-".into()),
        Outcome::Failed(message) => {
            let short: String = message.chars().take(80).collect();
            (format!("failed: {}", short.replace('|', "/")), "-".into())
        }
    }
}

fn main() {
    let options = parse_options();
    let ticks_per_s = clock_ticks_per_s();
    let tags = TAGS_MAX.min(options.rows);
    let data = Data::new(tags);
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let requests = options.rows.div_ceil(options.rows_per_request);

    println!("# tidegate ingest benchmark\n");
    println!(
        "- server: {} (fresh data dir per run)",
        options.server_bin.display()
    );
    println!(
        "- {} rows per case ({tags} tags x {} points), {} rows per request ({requests} requests), \
         {} keep-alive client connection(s) on 127.0.0.1",
        group(options.rows as f64),
        options.rows.div_ceil(tags),
        group(options.rows_per_request as f64),
        options.connections,
    );
    println!(
        "- the client runs on the same {cpus} CPU(s) as the server, so rows/s include the cost of \
         sending; bodies (and their gzip) are generated before the timing starts"
    );
    println!(
        "- rows/s: median of {} runs, each from the first byte sent to the last reply; peak RSS: \
         the largest server VmHWM of those runs",
        options.repeats
    );
    println!();

    let mut table: Vec<[String; 5]> = Vec::new();
    if options.regular {
        for &format in &options.formats {
            eprintln!("generating {} bodies...", format.name());
            let plain: Vec<(Vec<u8>, u64)> = (0..requests)
                .map(|k| {
                    let from = k * options.rows_per_request;
                    let to = (from + options.rows_per_request).min(options.rows);
                    (data.body(format, from, to), to - from)
                })
                .collect();
            for &encoding in &options.encodings {
                let gzipped = encoding == "gzip";
                let bodies: Vec<(Vec<u8>, u64)> = if gzipped {
                    plain.iter().map(|(b, n)| (common::gzip(b), *n)).collect()
                } else {
                    plain.clone()
                };
                let mut probe_body = data.body(format, 0, 1);
                if gzipped {
                    probe_body = common::gzip(&probe_body);
                }
                let bytes: usize = bodies.iter().map(|(b, _)| b.len()).sum();
                for &method in &options.methods {
                    let label = format!("{} {encoding} {method}", format.name());
                    eprintln!("{label}: {:.1} MiB in {requests} bodies", mib(bytes as u64));
                    let request = Request::new(format, gzipped, method);
                    let outcome = run_case(
                        &options,
                        ticks_per_s,
                        &label,
                        &request,
                        &probe_body,
                        &bodies,
                    );
                    if let Outcome::Unsupported(reason) | Outcome::Failed(reason) = &outcome {
                        eprintln!("{label}: {reason}");
                    }
                    let (rate, rss) = cells(&outcome);
                    table.push([
                        format.name().into(),
                        encoding.into(),
                        method.into(),
                        rate,
                        rss,
                    ]);
                }
            }
        }
    }
    if options.huge {
        let label = format!(
            "{} (one {} MB chunked body)",
            options.huge_format.name(),
            group((options.huge_bytes / 1_000_000) as f64)
        );
        eprintln!("{label}: sending");
        let outcome = match run_huge(&options, ticks_per_s, &data) {
            Ok(run) => {
                eprintln!("{label}: {}", describe(&run));
                Outcome::Ran(vec![run])
            }
            Err(outcome) => outcome,
        };
        if let Outcome::Unsupported(reason) | Outcome::Failed(reason) = &outcome {
            eprintln!("{label}: {reason}");
        }
        let (mut rate, rss) = cells(&outcome);
        if matches!(outcome, Outcome::Ran(_)) {
            rate.push_str(" (one run)");
        }
        table.push([label, "plain".into(), options.huge_method.into(), rate, rss]);
    }

    println!(
        "| format | encoding | method | rows/s (median of {}) | peak RSS MiB |",
        options.repeats
    );
    println!("|---|---|---|---:|---:|");
    for row in &table {
        println!("| {} |", row.join(" | "));
    }
}
