//! Test harness: starts the real `tidegate` binary on a free loopback port with a temporary
//! data directory, and a minimal HTTP/1.1 client over std's TcpStream.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

pub struct Server {
    /// The streaming listener (`--listen`), where a Proton `SELECT ... FROM s` is live.
    pub addr: String,
    /// The snapshot listener (`--snapshot-listen`, Proton's batch port 8123).
    pub snapshot_addr: String,
    pub dir: PathBuf,
    child: Option<Child>,
    keep_dir: bool,
}

static NEXT_DIR: AtomicU32 = AtomicU32::new(0);

pub fn temp_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "tidegate-test-{tag}-{}-{}",
        std::process::id(),
        NEXT_DIR.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

impl Server {
    pub fn start(tag: &str) -> Server {
        Server::start_in(temp_dir(tag))
    }

    /// Starts with extra command-line flags.
    pub fn start_with_args(tag: &str, args: &[&str]) -> Server {
        Server::spawn(
            Path::new(env!("CARGO_BIN_EXE_tidegate")),
            temp_dir(tag),
            args,
        )
    }

    /// Starts on `dir` (kept, so a test can restart on the same data).
    pub fn start_in(dir: PathBuf) -> Server {
        Server::spawn(Path::new(env!("CARGO_BIN_EXE_tidegate")), dir, &[])
    }

    /// Starts the binary at `bin` (the ingest benchmark can run a profiling build) on `dir`.
    pub fn start_bin_in(bin: &Path, dir: PathBuf) -> Server {
        Server::spawn(bin, dir, &[])
    }

    /// Starts with extra environment variables (e.g. `TZ` for `tz=Local`).
    pub fn start_with_env(tag: &str, envs: &[(&str, &str)]) -> Server {
        let bin = Path::new(env!("CARGO_BIN_EXE_tidegate"));
        Server::spawn_with(bin, temp_dir(tag), &[], envs)
    }

    fn spawn(bin: &Path, dir: PathBuf, args: &[&str]) -> Server {
        Server::spawn_with(bin, dir, args, &[])
    }

    fn spawn_with(bin: &Path, dir: PathBuf, args: &[&str], envs: &[(&str, &str)]) -> Server {
        let mut child = Command::new(bin)
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--snapshot-listen",
                "127.0.0.1:0",
            ])
            .arg("--data-dir")
            .arg(&dir)
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start tidegate");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let mut addr = None;
        let mut snapshot_addr = None;
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            if let Some(a) = line.strip_prefix("tidegate: listening on http://") {
                match a.split_once(' ') {
                    Some((a, "(snapshot)")) => snapshot_addr = Some(a.to_owned()),
                    _ => addr = Some(a.to_owned()),
                }
            }
            if line.ends_with("ready") {
                break;
            }
        }
        // Keep draining stdout so the server never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Server {
            addr: addr.expect("tidegate printed its address"),
            snapshot_addr: snapshot_addr.expect("tidegate printed its snapshot address"),
            dir,
            child: Some(child),
            keep_dir: false,
        }
    }

    /// The server's process id (the ingest benchmark and idle-RSS checks read /proc).
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Sends SIGTERM and waits for the exit (at most 30 s).
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(s) = child.try_wait().unwrap() {
                return s;
            }
            assert!(
                Instant::now() < deadline,
                "tidegate did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops (SIGTERM) and starts again on the same data directory.
    pub fn restart(mut self) -> Server {
        let status = self.stop();
        assert!(status.success(), "exit status {status:?}");
        self.start_again()
    }

    /// Starts a new process on the data directory of this stopped or killed one.
    pub fn start_again(mut self) -> Server {
        assert!(self.child.is_none(), "stop or kill the server first");
        self.keep_dir = true;
        Server::start_in(self.dir.clone())
    }

    /// Sends SIGKILL (`Child::kill`) and reaps the process: no shutdown code runs, so
    /// nothing is persisted that was not persisted already.
    pub fn kill(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        child.kill().expect("SIGKILL tidegate");
        child.wait().expect("reap tidegate")
    }

    /// Kills (SIGKILL) and starts again on the same data directory.
    pub fn kill_and_restart(mut self) -> Server {
        let status = self.kill();
        assert!(
            !status.success(),
            "a killed process has no exit code: {status:?}"
        );
        self.start_again()
    }

    pub fn request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(&self.addr, method, path, headers, body)
    }

    /// `request` on the snapshot listener (Proton's batch port), where queries are bounded.
    pub fn snapshot_request(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Response {
        request(&self.snapshot_addr, method, path, headers, body)
    }

    pub fn snapshot_get(&self, path: &str) -> Response {
        self.snapshot_request("GET", path, &[], b"")
    }

    pub fn get(&self, path: &str) -> Response {
        self.request("GET", path, &[], b"")
    }

    pub fn post(&self, path: &str, content_type: &str, body: &[u8]) -> Response {
        self.request("POST", path, &[("Content-Type", content_type)], body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if !self.keep_dir {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}

/// A header's value by case-insensitive name.
fn find_header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

/// Percent-encodes a query parameter value.
pub fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// One request on a fresh connection (`Connection: close`); a body is sent with
/// Content-Length unless a `Transfer-Encoding` header is given (then `body` is sent as is).
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    try_request(addr, method, path, headers, body)
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// `request` for a server that may be gone: a refused connection or a reply without a
/// complete head is an error, not a panic.
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> std::io::Result<Response> {
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_secs(60)))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    let chunked = headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("transfer-encoding"));
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !chunked && (method == "POST" || !body.is_empty()) {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    // The server may answer and close before reading a rejected body: ignore write errors.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    // A reset after a complete reply still leaves the reply in `raw`.
    let _ = stream.read_to_end(&mut raw);
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("no complete response head in {} bytes", raw.len()),
        ));
    }
    Ok(parse_response(&raw))
}

/// `try_request` with the whole exchange bounded by `timeout`. The body is written from a
/// second thread while the reply is read, so a server that answers before reading the whole
/// body (a refusal) is seen answering, and one that takes too long is an error, not a hang.
pub fn request_within(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> std::io::Result<Response> {
    let deadline = Instant::now() + timeout;
    let mut stream = TcpStream::connect(addr)?;
    stream.set_read_timeout(Some(Duration::from_millis(200)))?;
    stream.set_write_timeout(Some(timeout))?;
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes())?;
    let mut writer = stream.try_clone()?;
    let mut raw = Vec::new();
    let read = std::thread::scope(|scope| {
        // The server may answer and close before reading a refused body: ignore write errors.
        scope.spawn(move || {
            let _ = writer.write_all(body);
        });
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf) {
                Ok(0) => break Ok(()),
                Ok(n) => raw.extend_from_slice(&buf[..n]),
                Err(e) if is_timeout(&e) && Instant::now() < deadline => {}
                Err(e) if is_timeout(&e) => {
                    // Unblocks the writer too, so the scope ends.
                    let _ = stream.shutdown(std::net::Shutdown::Both);
                    break Err(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        format!("no complete reply within {timeout:?}"),
                    ));
                }
                // A reset after a complete reply still leaves the reply in `raw`.
                Err(_) => break Ok(()),
            }
        }
    });
    read?;
    if !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        return Err(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("no complete response head in {} bytes", raw.len()),
        ));
    }
    Ok(parse_response(&raw))
}

pub fn parse_response(raw: &[u8]) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no response head in {:?}", String::from_utf8_lossy(raw)));
    let (status, headers) = parse_head(&raw[..split]);
    let rest = &raw[split + 4..];
    let is_chunked = headers.iter().any(|(n, v)| {
        n.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    let body = if is_chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

/// The status and headers of a response head (without its blank line).
fn parse_head(raw: &[u8]) -> (u16, Vec<(String, String)>) {
    let head = String::from_utf8_lossy(raw).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap();
    let status: u16 = status_line.split(' ').nth(1).unwrap().parse().unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    (status, headers)
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size =
            usize::from_str_radix(std::str::from_utf8(&rest[..line_end]).unwrap().trim(), 16)
                .unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}

/// Encodes `body` with chunked transfer coding, in pieces of `piece` bytes.
pub fn chunked(body: &[u8], piece: usize) -> Vec<u8> {
    let mut out = Vec::new();
    for c in body.chunks(piece) {
        out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
        out.extend_from_slice(c);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

/// The Machbase reply without its `elapse` value, which changes every time.
pub fn without_elapse(body: &str) -> String {
    match body.find(",\"elapse\":\"") {
        Some(i) => {
            let rest = &body[i + 11..];
            let end = rest.find('"').unwrap();
            format!("{}{}", &body[..i], &rest[end + 1..])
        }
        None => body.to_owned(),
    }
}

/// The tag table of Machbase's documentation; `create_tag_table` makes one by this name.
pub const TAG_TABLE_COLUMNS: &str =
    "(name varchar(40) primary key, time datetime basetime, value double)";

/// Runs a CREATE or DROP through `/db/query` as a form POST (as the seed's `curl
/// --data-urlencode` sends it) and asserts Machbase's exact success reply with `reason`.
pub fn machbase_ddl(s: &Server, sql: &str, reason: &str) {
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        format!("q={}", enc(sql)).as_bytes(),
    );
    assert_eq!(
        (r.status, without_elapse(&r.text())),
        (200, format!(r#"{{"success":true,"reason":"{reason}"}}"#)),
        "{sql}"
    );
}

/// Creates the tag table `name` with `TAG_TABLE_COLUMNS` (NAME, TIME, VALUE).
pub fn create_tag_table(s: &Server, name: &str) {
    machbase_ddl(
        s,
        &format!("create tag table {name} {TAG_TABLE_COLUMNS}"),
        "Created successfully.",
    );
}

/// `GET /db/query?q=<sql>&<params>`; `params` is an already encoded query string or "".
pub fn machbase_query(s: &Server, sql: &str, params: &str) -> Response {
    let sep = if params.is_empty() { "" } else { "&" };
    s.get(&format!("/db/query?q={}{sep}{params}", enc(sql)))
}

/// The CSV reply to `sql` with epoch-second times; asserts status 200.
pub fn query_csv(s: &Server, sql: &str) -> String {
    let r = machbase_query(s, sql, "format=csv&timeformat=s");
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    assert_eq!(r.header("content-type"), Some("text/csv; charset=utf-8"));
    r.text()
}

/// POSTs a JSON body to `/db/write/{target}`, `target` being the table and any query string.
pub fn machbase_write(s: &Server, target: &str, body: &str) -> Response {
    s.post(
        &format!("/db/write/{target}"),
        "application/json",
        body.as_bytes(),
    )
}

/// `machbase_write`, asserting Machbase's exact success reply for `rows` rows.
pub fn machbase_write_ok(s: &Server, target: &str, body: &str, rows: usize) {
    machbase_write_ok_as(s, target, "application/json", body.as_bytes(), rows);
}

/// POSTs `body` as `content_type` to `/db/write/{target}` and asserts Machbase's exact
/// success reply for `rows` rows.
pub fn machbase_write_ok_as(
    s: &Server,
    target: &str,
    content_type: &str,
    body: &[u8],
    rows: usize,
) {
    let verb = if target.contains("method=append") {
        "appended"
    } else {
        "inserted"
    };
    let r = s.post(&format!("/db/write/{target}"), content_type, body);
    assert_eq!(
        (r.status, without_elapse(&r.text())),
        (
            200,
            format!(r#"{{"success":true,"reason":"success, {rows} record(s) {verb}"}}"#)
        ),
        "{target}"
    );
}

/// `CREATE STREAM <definition>` through `/?query=`; asserts the empty 200 reply.
pub fn create_stream(s: &Server, definition: &str) {
    let r = proton_get(s, &format!("CREATE STREAM {definition}"));
    assert_eq!((r.status, r.text()), (200, String::new()), "{definition}");
}

/// `GET /?query=<sql>` (Proton's ClickHouse-style interface) on the snapshot listener, where
/// Proton's batch clients read (port 8123): every query there is bounded.
pub fn proton_get(s: &Server, sql: &str) -> Response {
    let path = format!("/?query={}", enc(sql));
    request(&s.snapshot_addr, "GET", &path, &[], b"")
}

/// The reply to `sql` through `/?query=` (TabSeparated unless it says `FORMAT`); asserts 200.
pub fn proton_query(s: &Server, sql: &str) -> String {
    let r = proton_get(s, sql);
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text()
}

/// The reply to `sql` sent as a POST body to `/` of the snapshot listener, as the seed's
/// `curl -d` reads rows back; asserts 200.
pub fn proton_post_query(s: &Server, sql: &str) -> String {
    let r = request(&s.snapshot_addr, "POST", "/", &[], sql.as_bytes());
    assert_eq!(r.status, 200, "{sql}: {}", r.text());
    r.text()
}

/// POSTs a JSON body to `/proton/v1/ingest/streams/{target}` and asserts Proton's success
/// reply, `{"request_id":"…"}`.
pub fn proton_ingest_ok(s: &Server, target: &str, body: &str) {
    let r = s.post(
        &format!("/proton/v1/ingest/streams/{target}"),
        "application/json",
        body.as_bytes(),
    );
    assert_eq!(r.status, 200, "{target}: {}", r.text());
    assert_request_id_reply(&r.text());
}

/// Asserts Proton's ingest success reply: `{"request_id":"<non-empty id>"}`.
pub fn assert_request_id_reply(text: &str) {
    let id = text
        .strip_prefix("{\"request_id\":\"")
        .and_then(|rest| rest.strip_suffix("\"}"))
        .unwrap_or_else(|| panic!("not an ingest success reply: {text:?}"));
    assert!(
        !id.is_empty() && !id.contains('"'),
        "request id {id:?} in {text:?}"
    );
}

/// `data` as one gzip member (RFC 1952): a fixed header, miniz_oxide's deflate, CRC-32 and
/// length.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    out.extend(miniz_oxide::deflate::compress_to_vec(data, 6));
    let mut crc = crc32fast::Hasher::new();
    crc.update(data);
    out.extend(crc.finalize().to_le_bytes());
    out.extend((data.len() as u32).to_le_bytes());
    out
}

/// One gzip member holding each `(data, times)` segment repeated `times` times, in order.
/// Each segment is compressed once, on its own, and its bytes repeated: a body that inflates
/// to gigabytes costs only its compressed size and milliseconds, and compresses as well as
/// one `data` alone, not better.
pub fn gzip_segments(segments: &[(&[u8], usize)]) -> Vec<u8> {
    use miniz_oxide::deflate::core::{
        CompressorOxide, TDEFLFlush, TDEFLStatus, compress, create_comp_flags_from_zip_params,
    };
    fn deflate(deflater: &mut CompressorOxide, data: &[u8], flush: TDEFLFlush) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0u8; 64 << 10];
        let mut rest = data;
        loop {
            let (status, used, written) = compress(deflater, rest, &mut buf, flush);
            out.extend_from_slice(&buf[..written]);
            rest = &rest[used..];
            match status {
                TDEFLStatus::Done => return out,
                TDEFLStatus::Okay if rest.is_empty() && written < buf.len() => return out,
                TDEFLStatus::Okay => {}
                other => panic!("deflate failed: {other:?}"),
            }
        }
    }
    // Magic, deflate, no flags, no mtime, no extra flags, OS unknown.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    // Level 6, raw deflate (negative window bits), default strategy.
    let mut deflater = CompressorOxide::new(create_comp_flags_from_zip_params(6, -15, 0));
    let mut crc = crc32fast::Hasher::new();
    let mut len = 0u64;
    for &(data, times) in segments {
        let mut data_crc = crc32fast::Hasher::new();
        data_crc.update(data);
        // After a full flush the compressor refers to nothing before it and its output ends
        // on a byte boundary, so these bytes decode to `data` wherever they are placed.
        let copy = deflate(&mut deflater, data, TDEFLFlush::Full);
        for _ in 0..times {
            out.extend_from_slice(&copy);
            crc.combine(&data_crc);
        }
        len += (data.len() * times) as u64;
    }
    out.extend(deflate(&mut deflater, &[], TDEFLFlush::Finish));
    out.extend(crc.finalize().to_le_bytes());
    // ISIZE is the length modulo 2^32 (RFC 1952).
    out.extend((len as u32).to_le_bytes());
    out
}

/// A kept-alive connection: requests one after another, each reply read by its own framing
/// (Content-Length, chunked, or until the server closes). Every read and write is bounded.
pub struct KeepAlive {
    stream: TcpStream,
    addr: String,
    /// Bytes read past the last reply.
    pending: Vec<u8>,
}

impl KeepAlive {
    pub fn open(addr: &str) -> KeepAlive {
        KeepAlive::try_open(addr).unwrap_or_else(|e| panic!("connect {addr}: {e}"))
    }

    pub fn try_open(addr: &str) -> std::io::Result<KeepAlive> {
        let stream = TcpStream::connect(addr)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        stream.set_write_timeout(Some(Duration::from_secs(60)))?;
        Ok(KeepAlive {
            stream,
            addr: addr.to_owned(),
            pending: Vec::new(),
        })
    }

    /// Sends a request head announcing `body_len` body bytes; the body follows with `send`.
    pub fn send_head(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body_len: usize,
    ) -> std::io::Result<()> {
        let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {}\r\n", self.addr);
        for (n, v) in headers {
            head.push_str(&format!("{n}: {v}\r\n"));
        }
        if method == "POST" || body_len > 0 {
            head.push_str(&format!("Content-Length: {body_len}\r\n"));
        }
        head.push_str("\r\n");
        self.send(head.as_bytes())
    }

    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes)
    }

    /// One whole request and its reply.
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> std::io::Result<Response> {
        self.send_head(method, path, headers, body.len())?;
        self.send(body)?;
        self.read_response()
    }

    fn fill(&mut self) -> std::io::Result<()> {
        let mut buf = [0u8; 16 << 10];
        match self.stream.read(&mut buf)? {
            0 => Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "the server closed the connection",
            )),
            n => {
                self.pending.extend_from_slice(&buf[..n]);
                Ok(())
            }
        }
    }

    /// Reads one reply (an interim `100 Continue` too, as its own reply).
    pub fn read_response(&mut self) -> std::io::Result<Response> {
        let split = loop {
            if let Some(p) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                break p;
            }
            self.fill()?;
        };
        let (status, headers) = parse_head(&self.pending[..split]);
        let mut used = split + 4;
        let chunked = find_header(&headers, "transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"));
        let length = find_header(&headers, "content-length").map(|v| v.parse::<usize>().unwrap());
        let body = if status == 100 {
            Vec::new()
        } else if chunked {
            let mut body = Vec::new();
            loop {
                let rest = &self.pending[used..];
                let Some(line_end) = rest.windows(2).position(|w| w == b"\r\n") else {
                    self.fill()?;
                    continue;
                };
                let size = std::str::from_utf8(&rest[..line_end])
                    .ok()
                    .and_then(|t| usize::from_str_radix(t.trim(), 16).ok())
                    .expect("chunk size line");
                if rest.len() < line_end + 2 + size + 2 {
                    self.fill()?;
                    continue;
                }
                body.extend_from_slice(&rest[line_end + 2..line_end + 2 + size]);
                used += line_end + 2 + size + 2;
                if size == 0 {
                    break body;
                }
            }
        } else if let Some(n) = length {
            while self.pending.len() < used + n {
                self.fill()?;
            }
            used += n;
            self.pending[used - n..used].to_vec()
        } else {
            while self.fill().is_ok() {}
            let body = self.pending[used..].to_vec();
            used = self.pending.len();
            body
        };
        self.pending.drain(..used);
        Ok(Response {
            status,
            headers,
            body,
        })
    }

    /// Whether the server closes the connection (EOF or a reset) within `wait`, with no reply.
    pub fn closed_within(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        self.stream
            .set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        let mut buf = [0u8; 1024];
        let closed = loop {
            match self.stream.read(&mut buf) {
                Ok(0) => break true,
                Ok(n) => panic!(
                    "bytes instead of a close: {:?}",
                    String::from_utf8_lossy(&buf[..n])
                ),
                Err(e) if is_timeout(&e) && Instant::now() < deadline => {}
                Err(e) if is_timeout(&e) => break false,
                Err(_) => break true,
            }
        };
        self.stream
            .set_read_timeout(Some(Duration::from_secs(60)))
            .unwrap();
        closed
    }
}

/// A response read while it is produced (a live query): the head is parsed at once, body
/// bytes are read as they arrive, each wait bounded.
pub struct LiveResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    stream: TcpStream,
    /// Raw bytes after the head not yet de-chunked.
    raw: Vec<u8>,
    /// De-chunked body bytes read so far.
    pub body: Vec<u8>,
    /// The terminating zero-length chunk was read.
    pub ended: bool,
}

/// Sends `GET path` to `addr` and returns once the response head arrived (at most 10 s).
pub fn live_get(addr: &str, path: &str) -> LiveResponse {
    live_request(addr, "GET", path, b"")
}

/// Sends a request and returns once the response head arrived (at most 10 s).
pub fn live_request(addr: &str, method: &str, path: &str, body: &[u8]) -> LiveResponse {
    let mut stream = TcpStream::connect(addr).unwrap();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).unwrap();
    stream.write_all(body).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    let split = loop {
        if let Some(p) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            break p;
        }
        assert!(Instant::now() < deadline, "no response head within 10 s");
        match stream.read(&mut buf) {
            Ok(0) => panic!("connection closed before the response head"),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if is_timeout(&e) => {}
            Err(e) => panic!("reading the response head: {e}"),
        }
    };
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines.next().and_then(|l| l.split(' ').nth(1));
    let status: u16 = status.and_then(|s| s.parse().ok()).expect("status line");
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    LiveResponse {
        status,
        headers,
        stream,
        raw: raw[split + 4..].to_vec(),
        body: Vec::new(),
        ended: false,
    }
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

impl LiveResponse {
    /// Moves whole chunks from `raw` to `body`.
    fn dechunk(&mut self) {
        while !self.ended {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return;
            };
            let size = std::str::from_utf8(&self.raw[..line_end])
                .ok()
                .and_then(|t| usize::from_str_radix(t.trim(), 16).ok())
                .expect("chunk size line");
            if self.raw.len() < line_end + 2 + size + 2 {
                return;
            }
            self.body
                .extend_from_slice(&self.raw[line_end + 2..line_end + 2 + size]);
            self.raw.drain(..line_end + 2 + size + 2);
            self.ended = size == 0;
        }
    }

    /// Reads until `done(body so far)` holds, the body ends, or `timeout` passes; returns
    /// whether `done` held.
    pub fn read_until(&mut self, timeout: Duration, done: impl Fn(&str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        let mut buf = [0u8; 4096];
        loop {
            self.dechunk();
            if done(&self.text()) {
                return true;
            }
            if self.ended || Instant::now() >= deadline {
                return false;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => return done(&self.text()),
                Ok(n) => self.raw.extend_from_slice(&buf[..n]),
                Err(e) if is_timeout(&e) => {}
                Err(_) => return done(&self.text()),
            }
        }
    }

    /// Reads until the body ends (the terminating chunk) or `timeout` passes; returns
    /// whether it ended.
    pub fn read_to_end(&mut self, timeout: Duration) -> bool {
        self.read_until(timeout, |_| false);
        self.ended
    }

    /// The body lines read so far.
    pub fn lines(&self) -> Vec<String> {
        self.text().lines().map(str::to_owned).collect()
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        find_header(&self.headers, name)
    }
}
