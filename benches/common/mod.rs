//! What the HTTP benchmarks share (`benches/ingest.rs`, `benches/peers.rs`; each includes this
//! file with `#[path = "common/mod.rs"] mod bench_common;`):
//! - `Data`, the generated rows: 1,000 tags, one point a second each, time-major;
//! - `Conn`, a small HTTP/1.1 keep-alive client whose every read and write ends at a deadline,
//!   and `send_bodies`, which sends pre-generated bodies over N such connections;
//! - what /proc says about a server process: CPU time, peak RSS, bytes written;
//! - number formatting for the Markdown tables.
//!
//! Not here: starting servers (each benchmark starts its own) and anything that asserts a
//! speed. Nothing here is a test.
#![allow(dead_code)]

use std::fmt::Write as _;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Distinct tag names; the points per tag follow from the row count.
pub const TAGS_MAX: u64 = 1000;
/// 2024-06-01T00:00:00Z, a whole minute.
pub const TIME_BASE_NS: i64 = 1_717_200_000_000_000_000;
/// Each tag reports once a second; tag `t` reports `t` ms into the second.
pub const POINT_INTERVAL_NS: i64 = 1_000_000_000;
pub const TAG_SKEW_NS: i64 = 1_000_000;
/// Longest reply head the client accepts.
const REPLY_HEAD_BYTES_MAX: usize = 64 << 10;
/// Longest reply body the client accepts: write replies are a few hundred bytes, the peer
/// benchmark's "last value of every tag" about 150 KB.
const REPLY_BODY_BYTES_MAX: usize = 8 << 20;

// ---------------------------------------------------------------------------------------------
// Data: 1000 tags, one point a second each, time-major (every tag reports, then the next second),
// values that drift like temperatures with some noise, rounded to 3 decimals as sensors send them.

fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

pub struct Data {
    pub names: Vec<String>,
}

impl Data {
    pub fn new(tags: u64) -> Data {
        Data {
            names: (0..tags)
                .map(|t| format!("gw{:02}.line{}.sensor{t:04}", t / 100, t % 7))
                .collect(),
        }
    }

    /// Row `i`: (tag name, time ns, value).
    pub fn row(&self, i: u64) -> (&str, i64, f64) {
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
}

// ---------------------------------------------------------------------------------------------
// A small HTTP/1.1 keep-alive client: one request at a time per connection, no pipelining.

pub struct Reply {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    /// N from Machbase's `success, N record(s) inserted|appended`.
    pub fn records(&self) -> Option<u64> {
        let text = self.text();
        let rest = &text[text.find("success, ")? + 9..];
        rest[..rest.find(' ')?].parse().ok()
    }
}

pub struct Conn {
    stream: TcpStream,
    addr: String,
    buf: Vec<u8>,
    deadline: Instant,
}

impl Conn {
    pub fn open(addr: &str, deadline: Instant) -> io::Result<Conn> {
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

    fn head(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        length: Option<usize>,
    ) -> String {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
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

    /// A GET (no body) and its reply.
    pub fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> io::Result<Reply> {
        self.request("GET", path, headers, b"")
    }

    pub fn post(&mut self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> io::Result<Reply> {
        self.request("POST", path, headers, body)
    }

    fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> io::Result<Reply> {
        self.arm()?;
        let head = self.head(method, path, headers, Some(body.len()));
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
    pub fn post_chunked(
        &mut self,
        path: &str,
        headers: &[(&str, &str)],
        chunks_max: u64,
        mut fill: impl FnMut(&mut Vec<u8>) -> bool,
    ) -> io::Result<Reply> {
        self.arm()?;
        let head = self.head("POST", path, headers, None);
        let mut piece = Vec::new();
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
pub fn io_text(e: &io::Error, flag: &str, limit: Duration) -> String {
    match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
            format!("timed out ({flag} {})", limit.as_secs())
        }
        _ => e.to_string(),
    }
}

/// Where and how `send_bodies` posts.
pub struct Upload<'a> {
    pub addr: &'a str,
    pub path: &'a str,
    pub headers: &'a [(&'a str, &'a str)],
    /// Whether a reply acknowledges all `rows` of its body.
    pub accepts: &'a (dyn Fn(&Reply, u64) -> bool + Sync),
    /// The flag that sets the deadline, named in a timeout's message.
    pub timeout_flag: &'a str,
    pub timeout: Duration,
}

/// Sends `bodies` (each with its row count) over `connections` keep-alive connections, each
/// taking the next unsent body, until all are sent or one fails. Bounded by the body count and,
/// per read and write, by `deadline`. Returns the rows acknowledged, or the first failure.
pub fn send_bodies(
    upload: &Upload,
    bodies: &[(Vec<u8>, u64)],
    connections: usize,
    deadline: Instant,
) -> Result<u64, String> {
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
    std::thread::scope(|scope| {
        for _ in 0..connections {
            scope.spawn(|| {
                let mut conn = match Conn::open(upload.addr, deadline) {
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
                    match conn.post(upload.path, upload.headers, body) {
                        Ok(r) if (upload.accepts)(&r, *rows) => {
                            rows_acked.fetch_add(*rows, Ordering::Relaxed);
                        }
                        Ok(r) => {
                            return fail(format!("request {k}: {} {}", r.status, r.text()));
                        }
                        Err(e) => {
                            let text = io_text(&e, upload.timeout_flag, upload.timeout);
                            return fail(format!("request {k}: {text}"));
                        }
                    }
                }
            });
        }
    });
    match failure.into_inner().unwrap_or_else(PoisonError::into_inner) {
        Some(message) => Err(message),
        None => Ok(rows_acked.into_inner()),
    }
}

// ---------------------------------------------------------------------------------------------
// What /proc says about a server process. Each also works on a zombie (exited, not yet
// reaped) except `peak_rss_bytes`: the kernel drops a process's memory map when it exits.

/// Peak resident set (VmHWM) of `pid`, in bytes.
pub fn peak_rss_bytes(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

/// The fields of /proc/PID/stat after the `)` closing the command name: field 3 (the state)
/// is at index 0.
fn stat_fields(pid: u32) -> io::Result<Vec<String>> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    let after = stat
        .rfind(')')
        .map(|i| &stat[i + 1..])
        .ok_or_else(|| io::Error::other("no `)` in /proc/PID/stat"))?;
    Ok(after.split_whitespace().map(str::to_owned).collect())
}

/// User plus system CPU time `pid` used so far, all threads (utime and stime, fields 14, 15).
pub fn cpu_time(pid: u32, ticks_per_s: u64) -> Duration {
    let fields = stat_fields(pid).unwrap();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 1000 / ticks_per_s)
}

/// Whether `pid` has exited and waits to be reaped (state `Z`), or is gone.
pub fn exited(pid: u32) -> bool {
    stat_fields(pid).map_or(true, |f| f.first().is_some_and(|s| s == "Z"))
}

/// `write_bytes` of /proc/PID/io: bytes the process caused to be written to storage (page
/// cache pages it dirtied), all threads, including those that already exited.
pub fn write_bytes(pid: u32) -> u64 {
    let io = std::fs::read_to_string(format!("/proc/{pid}/io")).unwrap();
    let line = io.lines().find(|l| l.starts_with("write_bytes:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

pub fn clock_ticks_per_s() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100)
}

// ---------------------------------------------------------------------------------------------
// Numbers as the tables show them.

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / f64::from(1 << 20)
}

/// `1234567.8` as `1,234,568`.
pub fn group(n: f64) -> String {
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

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            _ => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}
