//! The peer benchmark: tidegate beside VictoriaMetrics and InfluxDB 1.x, the two time-series
//! servers Debian packages, on the same rows, the same requests and the same client.
//!
//! Run it with `cargo bench --bench peers` (1,000,000 rows, 1 and 4 client connections, 3
//! runs), or quickly with `cargo bench --bench peers -- --rows 100000 --runs 1`.
//! `-- --help` lists the flags; DEVELOPERS.md says how to read the figures.
//!
//! Peers: Debian's `victoria-metrics` and `influxdb` packages, fetched with `apt-get download`
//! and unpacked with `dpkg-deb -x` into `target/peers-cache/`, never installed, and reused by
//! later runs (the recipe of reference/edge-peers-and-crates.md, section 3.3). A peer that
//! cannot be prepared is reported with the reason, and the others still run.
//!
//! One run of one system (tidegate append, tidegate insert, VictoriaMetrics, InfluxDB):
//! 1. a fresh data dir under `target/peers-data/`; the server bound to 127.0.0.1 on a free
//!    port and waited for on its health route; then the table (tidegate) or database (InfluxDB);
//! 2. the timed part: the rows of `benches/common` (1,000 tags x 1,000 points, time-major, the
//!    ingest benchmark's rows) in 10,000-row bodies generated beforehand, over `--clients`
//!    keep-alive connections, each taking the next unsent body. tidegate and VictoriaMetrics
//!    get the very same CSV bytes, InfluxDB the same rows as line protocol.
//!    rows/s = rows acknowledged / time from the first byte sent to the last reply read;
//! 3. VictoriaMetrics only: `/internal/force_flush`, so that its buffered rows are searchable;
//! 4. two questions, each asked once on a new connection and timed from connect to the last
//!    byte of the reply: the last value of every tag, and one-minute averages of one tag over
//!    the whole range (`Question` spells them in each system's language); each answer's row
//!    count is checked. Then an untimed count of every row, which must equal the rows sent;
//! 5. peak RSS: VmHWM from /proc/PID/status, read after the questions, before the count.
//!    Then SIGTERM, and once the server has exited (a zombie: this process has not reaped it
//!    yet) its CPU time (utime + stime, /proc/PID/stat) and `write_bytes` (/proc/PID/io), so
//!    both include the shutdown's flushes. The CPU used while the questions and the count ran
//!    is subtracted: the CPU figure is start-up, ingest, background work and shutdown;
//! 6. the data dir's size once the server has exited: allocated (st_blocks x 512, as `du`)
//!    and apparent (file lengths, as `du --apparent-size`).
//!
//! Each figure is the median of `--runs` runs, figure by figure. The systems take turns within
//! a run number, so a change in the machine's load falls on all of them alike.
//!
//! Bounds: a server must answer its health route within `START_WAIT_MAX`; a run's requests and
//! questions end at `--timeout-s`; a stop waits `STOP_WAIT_MAX`, then kills; each apt-get or
//! dpkg-deb gets `TOOL_TIME_MAX`. Every server belongs to a `Server` guard that kills it when
//! dropped, also when a panic unwinds. Only 127.0.0.1. Never a test: nothing asserts a speed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "common/mod.rs"]
mod bench_common;

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Write as _};
use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use bench_common::{
    Conn, Data, POINT_INTERVAL_NS, Reply, TAGS_MAX, TIME_BASE_NS, Upload, clock_ticks_per_s,
    cpu_time, enc, exited, group, mib, peak_rss_bytes, send_bodies, write_bytes,
};

const CREATE_SQL: &str = "CREATE TAG TABLE BENCH (NAME varchar(40) primary key, \
                          TIME datetime basetime, VALUE double summarized)";
/// VictoriaMetrics' CSV import: column 1 is the `name` label, 2 the time in ns, 3 the value of
/// the metric `value`.
const VM_CSV_FORMAT: &str = "1:label:name,2:time:unix_ns,3:metric:value";
/// InfluxDB's database, and the measurement the rows go to.
const INFLUX_DB: &str = "bench";
const INFLUX_MEASUREMENT: &str = "bench";
const MINUTE_NS: i64 = 60_000_000_000;
const NS_PER_S: i64 = 1_000_000_000;
/// How long a server may take to answer its health route after it is started.
const START_WAIT_MAX: Duration = Duration::from_secs(30);
/// How long a server may take to exit after SIGTERM before it is killed.
const STOP_WAIT_MAX: Duration = Duration::from_secs(60);
/// How long one apt-get or dpkg-deb may take.
const TOOL_TIME_MAX: Duration = Duration::from_secs(300);
/// The end of a server's or tool's stderr kept to explain a failure.
const LOG_TAIL_BYTES_MAX: usize = 2048;
/// Files and directories `dir_size` visits at most.
const DIR_ENTRIES_MAX: usize = 1_000_000;

// ---------------------------------------------------------------------------------------------
// Options.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Peer {
    Tidegate,
    Vm,
    Influx,
}

impl Peer {
    const ALL: [Peer; 3] = [Peer::Tidegate, Peer::Vm, Peer::Influx];
    fn flag_name(self) -> &'static str {
        match self {
            Peer::Tidegate => "tidegate",
            Peer::Vm => "vm",
            Peer::Influx => "influx",
        }
    }
}

struct Options {
    rows: u64,
    rows_per_request: u64,
    clients: Vec<usize>,
    runs: usize,
    peers: Vec<Peer>,
    timeout: Duration,
    cache_dir: PathBuf,
    work_dir: PathBuf,
    server_bin: PathBuf,
}

const HELP: &str = "\
The peer benchmark (see DEVELOPERS.md): tidegate, VictoriaMetrics and InfluxDB 1.x take the
same rows over HTTP on 127.0.0.1. Flags, after `cargo bench --bench peers --`:
  --rows N               rows per run (default 1000000: 1000 tags x 1000 points)
  --rows-per-request N   rows per request body (default 10000)
  --clients LIST         client connection counts to run, comma-separated (default 1,4)
  --runs N               runs per system and client count, fresh data dir each; every figure
                         is the median (default 3)
  --peers LIST           comma-separated: tidegate, vm, influx (default all three)
  --timeout-s N          a run's requests and questions abort after N seconds (default 300)
  --cache-dir PATH       where the Debian packages are downloaded and unpacked
                         (default target/peers-cache)
  --work-dir PATH        where the data dirs live during a run (default target/peers-data)
  --server-bin PATH      the tidegate binary (default: this build's release binary)
";

fn parse_options() -> Options {
    let server_bin = PathBuf::from(env!("CARGO_BIN_EXE_tidegate"));
    // target/release/tidegate -> target
    let target_dir = server_bin
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf);
    let mut o = Options {
        rows: 1_000_000,
        rows_per_request: 10_000,
        clients: vec![1, 4],
        runs: 3,
        peers: Peer::ALL.to_vec(),
        timeout: Duration::from_secs(300),
        cache_dir: target_dir.join("peers-cache"),
        work_dir: target_dir.join("peers-data"),
        server_bin,
    };
    let mut args = std::env::args().skip(1);
    let number = |flag: &str, v: Option<String>| -> u64 {
        v.and_then(|v| v.replace('_', "").parse().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| usage(&format!("{flag} needs a positive number")))
    };
    let path = |flag: &str, v: Option<String>| -> PathBuf {
        v.map(PathBuf::from)
            .unwrap_or_else(|| usage(&format!("{flag} needs a path")))
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
            "--clients" => {
                let list = args
                    .next()
                    .unwrap_or_else(|| usage("--clients needs a list"));
                o.clients = list
                    .split(',')
                    .map(|c| match c.trim().parse::<usize>() {
                        Ok(n @ 1..=64) => n,
                        _ => usage("--clients takes counts from 1 to 64"),
                    })
                    .collect();
            }
            "--runs" => {
                o.runs = usize::try_from(number("--runs", args.next()))
                    .ok()
                    .filter(|&n| n <= 20)
                    .unwrap_or_else(|| usage("--runs is at most 20"));
            }
            "--peers" => {
                let list = args.next().unwrap_or_else(|| usage("--peers needs a list"));
                let words: Vec<&str> = list.split(',').map(str::trim).collect();
                if let Some(w) = words
                    .iter()
                    .find(|w| !Peer::ALL.iter().any(|p| p.flag_name() == **w))
                {
                    usage(&format!("unknown peer `{w}`"));
                }
                o.peers = Peer::ALL
                    .into_iter()
                    .filter(|p| words.contains(&p.flag_name()))
                    .collect();
            }
            "--timeout-s" => o.timeout = Duration::from_secs(number("--timeout-s", args.next())),
            "--cache-dir" => o.cache_dir = path("--cache-dir", args.next()),
            "--work-dir" => o.work_dir = path("--work-dir", args.next()),
            "--server-bin" => o.server_bin = path("--server-bin", args.next()),
            other => usage(&format!("unknown argument `{other}`")),
        }
    }
    o
}

fn usage(message: &str) -> ! {
    eprintln!("peers bench: {message}\n\n{HELP}");
    std::process::exit(2);
}

// ---------------------------------------------------------------------------------------------
// The systems compared: one row of the table each.

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum System {
    TidegateAppend,
    TidegateInsert,
    Vm,
    Influx,
}

impl System {
    fn of(peer: Peer) -> &'static [System] {
        match peer {
            Peer::Tidegate => &[System::TidegateAppend, System::TidegateInsert],
            Peer::Vm => &[System::Vm],
            Peer::Influx => &[System::Influx],
        }
    }

    fn peer(self) -> Peer {
        match self {
            System::TidegateAppend | System::TidegateInsert => Peer::Tidegate,
            System::Vm => Peer::Vm,
            System::Influx => Peer::Influx,
        }
    }

    fn label(self) -> &'static str {
        match self {
            System::TidegateAppend => "tidegate append",
            System::TidegateInsert => "tidegate insert",
            System::Vm => "VictoriaMetrics",
            System::Influx => "InfluxDB",
        }
    }

    /// When a reply comes, and what it promises.
    fn durability(self) -> &'static str {
        match self {
            System::TidegateAppend => "reply once applied; fsync every 1 s",
            System::TidegateInsert => "reply after fsync",
            System::Vm => "reply once buffered; written within seconds",
            System::Influx => "reply after WAL fsync",
        }
    }

    /// The tidegate row a peer's row is compared with.
    fn counterpart(self) -> Option<System> {
        match self {
            System::Vm => Some(System::TidegateAppend),
            System::Influx => Some(System::TidegateInsert),
            System::TidegateAppend | System::TidegateInsert => None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Preparing the peers: Debian packages, downloaded and unpacked, never installed.

/// A server binary ready to run, and the version the report names.
struct Binary {
    path: PathBuf,
    version: String,
}

/// The binaries of the peers asked for; a peer that could not be prepared has its reason.
struct Binaries {
    tidegate: Binary,
    vm: Result<Binary, String>,
    influx: Result<Binary, String>,
}

impl Binaries {
    fn get(&self, peer: Peer) -> Result<&Binary, &str> {
        match peer {
            Peer::Tidegate => Ok(&self.tidegate),
            Peer::Vm => self.vm.as_ref().map_err(String::as_str),
            Peer::Influx => self.influx.as_ref().map_err(String::as_str),
        }
    }
}

fn prepare(options: &Options) -> Binaries {
    let wanted = |peer| options.peers.contains(&peer);
    let not_asked = || Err("not asked for (--peers)".to_owned());
    Binaries {
        tidegate: Binary {
            path: options.server_bin.clone(),
            version: tidegate_version(),
        },
        vm: if wanted(Peer::Vm) {
            prepare_deb(&options.cache_dir, "victoria-metrics", "victoria-metrics")
        } else {
            not_asked()
        },
        influx: if wanted(Peer::Influx) {
            prepare_deb(&options.cache_dir, "influxdb", "influxd")
        } else {
            not_asked()
        },
    }
}

/// The crate version and, when git can tell, the commit.
fn tidegate_version() -> String {
    let commit = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    match commit {
        Some(c) if !c.is_empty() => format!("{} ({c})", env!("CARGO_PKG_VERSION")),
        _ => env!("CARGO_PKG_VERSION").to_owned(),
    }
}

/// `usr/bin/{binary}` of Debian's `package`, unpacked under `cache`: the .deb is fetched with
/// `apt-get download` into `cache/debs` (after an `apt-get update` if the first try fails) and
/// unpacked with `dpkg-deb -x` into `cache/{package}`. Both are kept for the next run.
fn prepare_deb(cache: &Path, package: &str, binary: &str) -> Result<Binary, String> {
    let debs = cache.join("debs");
    fs::create_dir_all(&debs).map_err(|e| format!("cannot create {}: {e}", debs.display()))?;
    let deb = match find_deb(&debs, package) {
        Some(deb) => deb,
        None => {
            eprintln!(
                "peers: downloading Debian's {package} into {}",
                debs.display()
            );
            download_deb(&debs, package)?;
            find_deb(&debs, package)
                .ok_or_else(|| format!("apt-get download left no {package}_*.deb"))?
        }
    };
    let root = cache.join(package);
    let path = root.join("usr/bin").join(binary);
    if !path.exists() {
        eprintln!("peers: unpacking {}", deb.display());
        let unpacking = cache.join(format!("{package}.unpacking"));
        let _ = fs::remove_dir_all(&unpacking);
        run_tool(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&unpacking))?;
        let _ = fs::remove_dir_all(&root);
        fs::rename(&unpacking, &root).map_err(|e| format!("cannot rename: {e}"))?;
    }
    if !path.exists() {
        return Err(format!("{} has no usr/bin/{binary}", deb.display()));
    }
    // `victoria-metrics_1.79.5+ds1-2+b5_amd64.deb` -> `1.79.5+ds1-2+b5`
    let file = deb.file_name().unwrap_or_default().to_string_lossy();
    let version = file.split('_').nth(1).unwrap_or("?").replace("%3a", ":");
    Ok(Binary { path, version })
}

fn find_deb(dir: &Path, package: &str) -> Option<PathBuf> {
    let prefix = format!("{package}_");
    fs::read_dir(dir)
        .ok()?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            let name = p.file_name().unwrap_or_default().to_string_lossy();
            name.starts_with(&prefix) && name.ends_with(".deb")
        })
}

fn download_deb(dir: &Path, package: &str) -> Result<(), String> {
    let download = || {
        run_tool(
            Command::new("apt-get")
                .arg("download")
                .arg(package)
                .current_dir(dir),
        )
    };
    if let Err(first) = download() {
        eprintln!("peers: {first}; running apt-get update and trying again");
        run_tool(Command::new("apt-get").args(["update", "-qq"]))?;
        download()?;
    }
    Ok(())
}

/// Runs a tool to its end, at most `TOOL_TIME_MAX`; a failure says how, with its stderr.
fn run_tool(command: &mut Command) -> Result<(), String> {
    let shown = format!("{command:?}").replace('"', "");
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{shown}: {e}"))?;
    let log = LogTail::drain(child.stderr.take());
    let deadline = Instant::now() + TOOL_TIME_MAX;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => return Err(format!("{shown}: {status}: {}", log.text())),
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{shown}: no end after {} s",
                    TOOL_TIME_MAX.as_secs()
                ));
            }
            Err(e) => return Err(format!("{shown}: {e}")),
        }
    }
}

/// The last `LOG_TAIL_BYTES_MAX` bytes of a child's stderr, read by a thread of its own so the
/// child never blocks on a full pipe.
#[derive(Clone, Default)]
struct LogTail(Arc<Mutex<Vec<u8>>>);

impl LogTail {
    fn drain(from: Option<impl Read + Send + 'static>) -> LogTail {
        let tail = LogTail::default();
        if let Some(mut from) = from {
            let shared = tail.clone();
            std::thread::spawn(move || {
                let mut chunk = [0u8; 4096];
                while let Ok(n @ 1..) = from.read(&mut chunk) {
                    let mut kept = shared.0.lock().unwrap_or_else(PoisonError::into_inner);
                    kept.extend_from_slice(&chunk[..n]);
                    let excess = kept.len().saturating_sub(LOG_TAIL_BYTES_MAX);
                    kept.drain(..excess);
                }
            });
        }
        tail
    }

    /// The kept bytes on one line.
    fn text(&self) -> String {
        let kept = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let text = String::from_utf8_lossy(&kept);
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let last = &lines[lines.len().saturating_sub(3)..];
        if last.is_empty() {
            "(nothing on stderr)".to_owned()
        } else {
            last.join(" / ")
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A server under test: started, asked, stopped, and always killed when dropped.

struct Server {
    label: &'static str,
    child: Option<Child>,
    pid: u32,
    addr: String,
    data_dir: PathBuf,
    /// A config file of this run outside the data dir, removed with it.
    config: Option<PathBuf>,
    log: LogTail,
}

/// What the kernel says about a server after it exited.
struct Exit {
    cpu: Duration,
    write_bytes: u64,
    status: ExitStatus,
}

impl Server {
    /// Starts `command` and waits until `health_path` answers 2xx.
    fn spawn(
        label: &'static str,
        command: &mut Command,
        addr: String,
        data_dir: PathBuf,
        health_path: &str,
    ) -> Result<Server, String> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                let _ = fs::remove_dir_all(&data_dir);
                format!("cannot start {label}: {e}")
            })?;
        let log = LogTail::drain(child.stderr.take());
        let server = Server {
            label,
            pid: child.id(),
            child: Some(child),
            addr,
            data_dir,
            config: None,
            log,
        };
        server.wait_ready(health_path)?;
        Ok(server)
    }

    fn wait_ready(&self, health_path: &str) -> Result<(), String> {
        let started = Instant::now();
        while started.elapsed() < START_WAIT_MAX {
            if exited(self.pid) {
                return Err(format!(
                    "{} exited at start: {}",
                    self.label,
                    self.log.text()
                ));
            }
            let probe_deadline = Instant::now() + Duration::from_secs(1);
            let reply =
                Conn::open(&self.addr, probe_deadline).and_then(|mut c| c.get(health_path, &[]));
            if reply.is_ok_and(|r| (200..300).contains(&r.status)) {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{} did not answer {health_path} within {} s: {}",
            self.label,
            START_WAIT_MAX.as_secs(),
            self.log.text()
        ))
    }

    /// One request on a new connection; anything but `want` is an error naming `what`.
    fn call(
        &self,
        what: &str,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        want: u16,
        deadline: Instant,
    ) -> Result<Reply, String> {
        let mut conn = Conn::open(&self.addr, deadline).map_err(|e| format!("{what}: {e}"))?;
        let reply = match method {
            "GET" => conn.get(path, headers),
            _ => conn.post(path, headers, b""),
        }
        .map_err(|e| format!("{what}: {e}"))?;
        if reply.status != want {
            let text: String = reply.text().chars().take(300).collect();
            return Err(format!("{what}: {} {text}", reply.status));
        }
        Ok(reply)
    }

    /// SIGTERM, then waits for the exit and reads the zombie's CPU time and bytes written
    /// before reaping it. Past `STOP_WAIT_MAX` the server is killed and this is an error.
    fn stop(&mut self, ticks_per_s: u64) -> Result<Exit, String> {
        let Some(mut child) = self.child.take() else {
            return Err(format!("{} was already stopped", self.label));
        };
        let _ = Command::new("kill")
            .args(["-TERM", &self.pid.to_string()])
            .status();
        let started = Instant::now();
        while !exited(self.pid) {
            if started.elapsed() > STOP_WAIT_MAX {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!(
                    "{} did not exit within {} s of SIGTERM",
                    self.label,
                    STOP_WAIT_MAX.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let cpu = cpu_time(self.pid, ticks_per_s);
        let written = write_bytes(self.pid);
        let status = child
            .wait()
            .map_err(|e| format!("reaping {}: {e}", self.label))?;
        Ok(Exit {
            cpu,
            write_bytes: written,
            status,
        })
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.data_dir);
        if let Some(config) = &self.config {
            let _ = fs::remove_file(config);
        }
    }
}

fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}

/// Starts `system` on a fresh data dir and prepares what its rows go into.
fn start(
    system: System,
    binary: &Binary,
    options: &Options,
    run_id: &str,
) -> Result<Server, String> {
    let peer = system.peer();
    let slug = system.label().to_ascii_lowercase().replace(' ', "-");
    let data_dir = options.work_dir.join(format!("{slug}-{run_id}"));
    let _ = fs::remove_dir_all(&data_dir);
    fs::create_dir_all(&data_dir)
        .map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
    let addr = format!("127.0.0.1:{}", free_port()?);
    let deadline = Instant::now() + START_WAIT_MAX;
    let label = system.label();
    match peer {
        Peer::Tidegate => {
            let mut command = Command::new(&binary.path);
            command
                .args(["serve", "--listen", &addr])
                .arg("--data-dir")
                .arg(&data_dir);
            let server = Server::spawn(label, &mut command, addr, data_dir, "/healthz")?;
            let path = format!("/db/query?q={}", enc(CREATE_SQL));
            server.call("CREATE TAG TABLE", "GET", &path, &[], 200, deadline)?;
            Ok(server)
        }
        Peer::Vm => {
            let mut command = Command::new(&binary.path);
            command
                .arg(format!("-storageDataPath={}", data_dir.display()))
                .arg(format!("-httpListenAddr={addr}"))
                // The default one-month retention refuses rows from 2024.
                .arg("-retentionPeriod=100y")
                .arg("-loggerLevel=WARN");
            Server::spawn(label, &mut command, addr, data_dir, "/health")
        }
        Peer::Influx => {
            // The config lives beside the data dir, so the data dir holds only InfluxDB's data.
            let config = options.work_dir.join(format!("influxdb-{run_id}.conf"));
            let rpc_addr = format!("127.0.0.1:{}", free_port()?);
            fs::write(&config, influx_config(&data_dir, &addr, &rpc_addr))
                .map_err(|e| format!("cannot write {}: {e}", config.display()))?;
            let mut command = Command::new(&binary.path);
            command.arg("-config").arg(&config);
            let mut server = Server::spawn(label, &mut command, addr, data_dir, "/ping")
                .inspect_err(|_| {
                    let _ = fs::remove_file(&config);
                })?;
            server.config = Some(config);
            let path = format!("/query?q={}", enc(&format!("CREATE DATABASE {INFLUX_DB}")));
            server.call("CREATE DATABASE", "POST", &path, &[], 200, deadline)?;
            Ok(server)
        }
    }
}

/// reference/edge-peers-and-crates.md, section 3.3: everything under the data dir, both ports
/// on loopback (the RPC port listens on every interface otherwise), no usage reports, no
/// self-monitoring database. `wal-fsync-delay` stays at its default, 0: an fsync per write.
fn influx_config(data_dir: &Path, http_addr: &str, rpc_addr: &str) -> String {
    let dir = data_dir.display();
    format!(
        "reporting-enabled = false\n\
         bind-address = \"{rpc_addr}\"\n\
         [meta]\n  dir = \"{dir}/meta\"\n\
         [data]\n  dir = \"{dir}/data\"\n  wal-dir = \"{dir}/wal\"\n  index-version = \"tsi1\"\n\
         [http]\n  bind-address = \"{http_addr}\"\n  log-enabled = false\n\
         [monitor]\n  store-enabled = false\n\
         [logging]\n  level = \"warn\"\n"
    )
}

// ---------------------------------------------------------------------------------------------
// The rows, as each system takes them.

/// The request bodies of the whole run, each with its row count.
type Bodies = Vec<(Vec<u8>, u64)>;

/// `name,time,value` lines, as `benches/ingest.rs` sends CSV.
fn csv_body(data: &Data, from: u64, to: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((to - from) as usize * 48);
    for i in from..to {
        let (name, time, value) = data.row(i);
        let _ = writeln!(out, "{name},{time},{value}");
    }
    out
}

/// `bench,name=<tag> value=<value> <time>` lines. Tag names hold no character line protocol
/// escapes (space, comma, `=`), and `value=21` is a float in line protocol, as in the CSV.
fn line_protocol_body(data: &Data, from: u64, to: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity((to - from) as usize * 64);
    for i in from..to {
        let (name, time, value) = data.row(i);
        let _ = writeln!(out, "{INFLUX_MEASUREMENT},name={name} value={value} {time}");
    }
    out
}

fn bodies(options: &Options, data: &Data, body: fn(&Data, u64, u64) -> Vec<u8>) -> Bodies {
    let requests = options.rows.div_ceil(options.rows_per_request);
    (0..requests)
        .map(|k| {
            let from = k * options.rows_per_request;
            let to = (from + options.rows_per_request).min(options.rows);
            (body(data, from, to), to - from)
        })
        .collect()
}

fn accepts_tidegate(reply: &Reply, rows: u64) -> bool {
    reply.status == 200 && reply.records() == Some(rows)
}

fn accepts_no_content(reply: &Reply, _rows: u64) -> bool {
    reply.status == 204
}

/// Where `system` takes rows, in which content type, and what a good reply is.
fn write_route(system: System) -> (String, &'static str, fn(&Reply, u64) -> bool) {
    match system {
        System::TidegateAppend => (
            "/db/write/BENCH?method=append".into(),
            "text/csv",
            accepts_tidegate,
        ),
        System::TidegateInsert => (
            "/db/write/BENCH?method=insert".into(),
            "text/csv",
            accepts_tidegate,
        ),
        System::Vm => (
            format!("/api/v1/import/csv?format={VM_CSV_FORMAT}"),
            "text/csv",
            accepts_no_content,
        ),
        System::Influx => (
            format!("/write?db={INFLUX_DB}&precision=ns"),
            "text/plain; charset=utf-8",
            accepts_no_content,
        ),
    }
}

// ---------------------------------------------------------------------------------------------
// The questions, in each system's language.

/// What the rows cover, for the questions.
struct Span {
    tags: u64,
    /// The first row's time and the end of the last second (exclusive), ns.
    start_ns: i64,
    end_ns: i64,
    /// The tag whose one-minute averages are asked for: one in the middle, reporting
    /// 500 ms into each second, so no point sits on a minute boundary.
    tag: String,
    /// Whole minutes from `start_ns` to the minute holding the tag's last point.
    minutes: u64,
}

impl Span {
    fn new(options: &Options, data: &Data) -> Span {
        let tags = data.names.len() as u64;
        let points = options.rows.div_ceil(tags);
        let end_ns = TIME_BASE_NS + points as i64 * POINT_INTERVAL_NS;
        let tag_index = tags / 2;
        // The tag's last row is the last row with its index.
        let last_row = (options.rows - 1 - tag_index) / tags * tags + tag_index;
        let (_, last_ns, _) = data.row(last_row);
        Span {
            tags,
            start_ns: TIME_BASE_NS,
            end_ns,
            tag: data.names[tag_index as usize].clone(),
            minutes: ((last_ns - TIME_BASE_NS) / MINUTE_NS + 1) as u64,
        }
    }
}

#[derive(Clone, Copy)]
enum Question {
    /// The last value of every tag: one row per tag.
    LastValues,
    /// One-minute averages of one tag over the whole range: one row per minute.
    MinuteAverages,
    /// Every row counted (untimed: it checks that every row was stored).
    Count,
}

/// The request path and headers that ask `question` of `peer`.
///
/// Equivalents (DEVELOPERS.md, Benchmarks):
/// - tidegate: SQL over `GET /db/query?format=csv`: `last(time, value) ... GROUP BY name`, and
///   `DATE_TRUNC('minute', time) ... GROUP BY` as in `benches/query.rs`.
/// - VictoriaMetrics: MetricsQL. `last_over_time(value[W])` at the end of the data with W the
///   whole range; `avg_over_time(value{name="T"}[1m])` over `query_range` with a 60 s step,
///   evaluated at each minute's end so each point averages (end - 1m, end], the same minutes.
/// - InfluxDB: InfluxQL with `Accept: application/csv`: `last(value) ... GROUP BY "name"`, and
///   `mean(value) ... GROUP BY time(1m) fill(none)` over the whole range.
fn question_request(
    peer: Peer,
    question: Question,
    span: &Span,
) -> (String, Vec<(&'static str, &'static str)>) {
    let (start, end, tag) = (span.start_ns, span.end_ns, &span.tag);
    let minutes_end = start + span.minutes as i64 * MINUTE_NS;
    let window_s = (end - start) / NS_PER_S + 1;
    match peer {
        Peer::Tidegate => {
            let sql = match question {
                Question::LastValues => {
                    "select name, last(time, value) from BENCH group by name".to_owned()
                }
                Question::MinuteAverages => format!(
                    "select date_trunc('minute', time) as t, avg(value) from BENCH \
                     where name = '{tag}' and time >= {start} and time < {end} \
                     group by t order by t"
                ),
                Question::Count => "select count(*) from BENCH".to_owned(),
            };
            (format!("/db/query?format=csv&q={}", enc(&sql)), vec![])
        }
        Peer::Vm => {
            let end_s = end / NS_PER_S;
            let path = match question {
                Question::LastValues => format!(
                    "/api/v1/query?time={end_s}&query={}",
                    enc(&format!("last_over_time(value[{window_s}s])"))
                ),
                Question::MinuteAverages => format!(
                    "/api/v1/query_range?start={}&end={}&step=60s&query={}",
                    (start + MINUTE_NS) / NS_PER_S,
                    minutes_end / NS_PER_S,
                    enc(&format!("avg_over_time(value{{name=\"{tag}\"}}[1m])"))
                ),
                Question::Count => format!(
                    "/api/v1/query?time={end_s}&query={}",
                    enc(&format!("sum(count_over_time(value[{window_s}s]))"))
                ),
            };
            (path, vec![])
        }
        Peer::Influx => {
            let m = INFLUX_MEASUREMENT;
            let q = match question {
                Question::LastValues => format!("SELECT last(value) FROM {m} GROUP BY \"name\""),
                Question::MinuteAverages => format!(
                    "SELECT mean(value) FROM {m} WHERE \"name\" = '{tag}' \
                     AND time >= {start} AND time < {end} GROUP BY time(1m) fill(none)"
                ),
                Question::Count => format!("SELECT count(value) FROM {m}"),
            };
            (
                format!("/query?db={INFLUX_DB}&epoch=ns&q={}", enc(&q)),
                vec![("Accept", "application/csv")],
            )
        }
    }
}

/// The rows in an answer: CSV lines after the header for tidegate and InfluxDB; series
/// (`"metric":`) or points (`"]`) in VictoriaMetrics' JSON. For `Count`, the count itself.
fn answer_rows(peer: Peer, question: Question, reply: &Reply) -> Result<u64, String> {
    let text = reply.text();
    let unreadable = || {
        format!(
            "cannot read the answer: {}",
            text.chars().take(200).collect::<String>()
        )
    };
    match (peer, question) {
        (Peer::Tidegate | Peer::Influx, Question::Count) => text
            .lines()
            .nth(1)
            .and_then(|l| l.rsplit(',').next())
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(unreadable),
        (Peer::Tidegate | Peer::Influx, _) => Ok(text
            .lines()
            .filter(|l| !l.is_empty())
            .count()
            .saturating_sub(1) as u64),
        // {"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[t,"N"]}]}}
        (Peer::Vm, Question::Count) => text
            .rsplit_once(",\"")
            .and_then(|(_, rest)| rest.split('"').next())
            .and_then(|n| n.parse::<f64>().ok())
            .map(|n| n as u64)
            .ok_or_else(unreadable),
        (Peer::Vm, Question::LastValues) => Ok(text.matches("\"metric\":").count() as u64),
        (Peer::Vm, Question::MinuteAverages) => Ok(text.matches("\"]").count() as u64),
    }
}

/// Asks `question` on a new connection; the time runs from connect to the answer's last byte.
fn ask(
    server: &Server,
    peer: Peer,
    question: Question,
    span: &Span,
    deadline: Instant,
) -> Result<(Duration, u64), String> {
    let (path, headers) = question_request(peer, question, span);
    let started = Instant::now();
    let reply = server.call("query", "GET", &path, &headers, 200, deadline)?;
    let elapsed = started.elapsed();
    Ok((elapsed, answer_rows(peer, question, &reply)?))
}

// ---------------------------------------------------------------------------------------------
// One run.

struct Run {
    rows: u64,
    wall: Duration,
    /// Through the exit, less `cpu_questions`.
    cpu: Duration,
    /// While the questions and the count ran.
    cpu_questions: Duration,
    peak_rss_bytes: u64,
    write_bytes: u64,
    disk: DirSize,
    last_values: Duration,
    minute_averages: Duration,
}

struct DirSize {
    allocated_bytes: u64,
    apparent_bytes: u64,
}

/// Every file and directory under `dir`, each inode once, as `du` counts.
fn dir_size(dir: &Path) -> DirSize {
    let mut size = DirSize {
        allocated_bytes: 0,
        apparent_bytes: 0,
    };
    let mut seen = HashSet::new();
    let mut stack = vec![dir.to_path_buf()];
    let mut visited = 0;
    while let Some(path) = stack.pop() {
        visited += 1;
        if visited > DIR_ENTRIES_MAX {
            break;
        }
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if seen.insert((meta.dev(), meta.ino())) {
            size.allocated_bytes += meta.blocks() * 512;
            size.apparent_bytes += meta.len();
        }
        if meta.is_dir()
            && let Ok(entries) = fs::read_dir(&path)
        {
            stack.extend(entries.filter_map(Result::ok).map(|e| e.path()));
        }
    }
    size
}

/// What one run needs besides the system.
struct Bench<'a> {
    options: &'a Options,
    binaries: &'a Binaries,
    csv: &'a Bodies,
    line_protocol: &'a Bodies,
    span: &'a Span,
    ticks_per_s: u64,
}

fn run_once(bench: &Bench, system: System, clients: usize, run_id: &str) -> Result<Run, String> {
    let options = bench.options;
    let peer = system.peer();
    let binary = bench.binaries.get(peer).map_err(str::to_owned)?;
    let mut server = start(system, binary, options, run_id)?;
    let deadline = Instant::now() + options.timeout;
    let (path, content_type, accepts) = write_route(system);
    let headers = [("Content-Type", content_type)];
    let bodies = if peer == Peer::Influx {
        bench.line_protocol
    } else {
        bench.csv
    };
    let upload = Upload {
        addr: &server.addr,
        path: &path,
        headers: &headers,
        accepts: &accepts,
        timeout_flag: "--timeout-s",
        timeout: options.timeout,
    };
    let started = Instant::now();
    let rows = send_bodies(&upload, bodies, clients, deadline)?;
    let wall = started.elapsed();
    if peer == Peer::Vm {
        server.call(
            "force_flush",
            "GET",
            "/internal/force_flush",
            &[],
            200,
            deadline,
        )?;
    }
    let cpu_before_questions = cpu_time(server.pid, bench.ticks_per_s);
    let (last_values, tags) = ask(&server, peer, Question::LastValues, bench.span, deadline)?;
    let (minute_averages, minutes) = ask(
        &server,
        peer,
        Question::MinuteAverages,
        bench.span,
        deadline,
    )?;
    let peak_rss = peak_rss_bytes(server.pid);
    let (_, stored) = ask(&server, peer, Question::Count, bench.span, deadline)?;
    let cpu_questions =
        cpu_time(server.pid, bench.ticks_per_s).saturating_sub(cpu_before_questions);
    let exit = server.stop(bench.ticks_per_s)?;
    let disk = dir_size(&server.data_dir);
    let span = bench.span;
    if tags != span.tags || minutes != span.minutes || stored != rows {
        return Err(format!(
            "wrong answers: {tags} last values for {} tags, {minutes} averages for {} minutes, \
             {stored} rows counted of {rows} sent",
            span.tags, span.minutes
        ));
    }
    if !exit.status.success() {
        eprintln!(
            "{}: exited with {} after SIGTERM: {}",
            system.label(),
            exit.status,
            server.log.text()
        );
    }
    Ok(Run {
        rows,
        wall,
        cpu: exit.cpu.saturating_sub(cpu_questions),
        cpu_questions,
        peak_rss_bytes: peak_rss,
        write_bytes: exit.write_bytes,
        disk,
        last_values,
        minute_averages,
    })
}

fn describe(run: &Run) -> String {
    format!(
        "{} rows/s ({:.2} s); CPU {:.2} s (+{:.2} s in questions); peak RSS {:.1} MiB; wrote {:.1} MiB; data dir {:.1} \
         MiB ({:.1} apparent); last values {:.1} ms; minute averages {:.1} ms",
        group(run.rows as f64 / run.wall.as_secs_f64()),
        run.wall.as_secs_f64(),
        run.cpu.as_secs_f64(),
        run.cpu_questions.as_secs_f64(),
        mib(run.peak_rss_bytes),
        mib(run.write_bytes),
        mib(run.disk.allocated_bytes),
        mib(run.disk.apparent_bytes),
        ms(run.last_values),
        ms(run.minute_averages),
    )
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

// ---------------------------------------------------------------------------------------------
// The report.

/// The medians of a system's runs, figure by figure.
struct Summary {
    rows_per_s: f64,
    cpu_s: f64,
    peak_rss_bytes: f64,
    write_bytes: f64,
    disk_allocated_bytes: f64,
    disk_apparent_bytes: f64,
    last_values_ms: f64,
    minute_averages_ms: f64,
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let n = values.len();
    match n {
        0 => f64::NAN,
        _ if n % 2 == 1 => values[n / 2],
        _ => (values[n / 2 - 1] + values[n / 2]) / 2.0,
    }
}

impl Summary {
    fn of(runs: &[Run]) -> Summary {
        let m = |f: &dyn Fn(&Run) -> f64| median(runs.iter().map(f).collect());
        Summary {
            rows_per_s: m(&|r| r.rows as f64 / r.wall.as_secs_f64()),
            cpu_s: m(&|r| r.cpu.as_secs_f64()),
            peak_rss_bytes: m(&|r| r.peak_rss_bytes as f64),
            write_bytes: m(&|r| r.write_bytes as f64),
            disk_allocated_bytes: m(&|r| r.disk.allocated_bytes as f64),
            disk_apparent_bytes: m(&|r| r.disk.apparent_bytes as f64),
            last_values_ms: m(&|r| ms(r.last_values)),
            minute_averages_ms: m(&|r| ms(r.minute_averages)),
        }
    }
}

enum Outcome {
    Ran(Vec<Run>),
    Failed(String),
}

/// One row of the report: a system at a client count.
struct Entry {
    clients: usize,
    system: System,
    outcome: Outcome,
}

fn figure_cells(summary: &Summary, rows: u64) -> Vec<String> {
    let mb = |bytes: f64| format!("{:.1}", bytes / f64::from(1 << 20));
    vec![
        group(summary.rows_per_s),
        format!("{:.2}", summary.cpu_s),
        mb(summary.peak_rss_bytes),
        format!(
            "{} ({:.0} B/row)",
            mb(summary.write_bytes),
            summary.write_bytes / rows as f64
        ),
        format!(
            "{} / {}",
            mb(summary.disk_allocated_bytes),
            mb(summary.disk_apparent_bytes)
        ),
        format!("{:.1}", summary.last_values_ms),
        format!("{:.1}", summary.minute_averages_ms),
    ]
}

/// tidegate's figure divided by the peer's.
fn ratio_cells(ours: &Summary, theirs: &Summary) -> Vec<String> {
    let r = |a: f64, b: f64| {
        if b > 0.0 && a.is_finite() {
            format!("{:.2}x", a / b)
        } else {
            "-".to_owned()
        }
    };
    vec![
        r(ours.rows_per_s, theirs.rows_per_s),
        r(ours.cpu_s, theirs.cpu_s),
        r(ours.peak_rss_bytes, theirs.peak_rss_bytes),
        r(ours.write_bytes, theirs.write_bytes),
        r(ours.disk_allocated_bytes, theirs.disk_allocated_bytes),
        r(ours.last_values_ms, theirs.last_values_ms),
        r(ours.minute_averages_ms, theirs.minute_averages_ms),
    ]
}

fn markdown_row(cells: &[String]) -> String {
    let cells: Vec<String> = cells.iter().map(|c| c.replace('|', "/")).collect();
    format!("| {} |", cells.join(" | "))
}

fn print_figures(entries: &[Entry], binaries: &Binaries, rows: u64) {
    println!(
        "| clients | system | replies | rows/s | CPU s | peak RSS MiB | written MiB | data dir \
         MiB (allocated / apparent) | last value of every tag ms | 1-min averages of one tag ms |"
    );
    println!("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for entry in entries {
        let name = match binaries.get(entry.system.peer()) {
            Ok(b) => format!("{} {}", entry.system.label(), b.version),
            Err(_) => entry.system.label().to_owned(),
        };
        let mut cells = vec![
            entry.clients.to_string(),
            name,
            entry.system.durability().to_owned(),
        ];
        match &entry.outcome {
            Outcome::Ran(list) => cells.extend(figure_cells(&Summary::of(list), rows)),
            Outcome::Failed(why) => {
                let short: String = why.chars().take(160).collect();
                cells.push(format!("not run: {short}"));
                cells.extend((0..6).map(|_| "-".to_owned()));
            }
        }
        println!("{}", markdown_row(&cells));
    }
}

fn print_ratios(entries: &[Entry]) {
    let summary = |clients: usize, system: System| {
        entries
            .iter()
            .find(|e| e.clients == clients && e.system == system)
            .and_then(|e| match &e.outcome {
                Outcome::Ran(list) => Some(Summary::of(list)),
                Outcome::Failed(_) => None,
            })
    };
    let mut lines = Vec::new();
    for entry in entries {
        let Some(ours) = entry.system.counterpart() else {
            continue;
        };
        let (Some(theirs), Some(ours_summary)) = (
            summary(entry.clients, entry.system),
            summary(entry.clients, ours),
        ) else {
            continue;
        };
        let mut cells = vec![
            entry.clients.to_string(),
            format!("{} / {}", ours.label(), entry.system.label()),
        ];
        cells.extend(ratio_cells(&ours_summary, &theirs));
        lines.push(markdown_row(&cells));
    }
    if lines.is_empty() {
        return;
    }
    println!();
    println!(
        "Ratios, tidegate's figure divided by the peer's (rows/s: above 1 is faster; every other \
         column: below 1 is less, or sooner):\n"
    );
    println!(
        "| clients | compared | rows/s | CPU | peak RSS | written | data dir (allocated) | last \
         values | 1-min averages |"
    );
    println!("|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    for line in lines {
        println!("{line}");
    }
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".to_owned())
}

fn print_preamble(options: &Options, binaries: &Binaries, span: &Span) {
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    let requests = options.rows.div_ceil(options.rows_per_request);
    println!("# tidegate beside its peers\n");
    println!(
        "- {} rows ({} tags x {} points, time-major), {} rows per request ({requests} \
         requests), over {} keep-alive client connection(s) on 127.0.0.1",
        group(options.rows as f64),
        span.tags,
        options.rows.div_ceil(span.tags),
        group(options.rows_per_request as f64),
        options
            .clients
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" and "),
    );
    println!(
        "- tidegate and VictoriaMetrics get the same CSV bodies; InfluxDB the same rows as line \
         protocol. Bodies are generated before the clock starts"
    );
    println!(
        "- every figure is the median of {} run(s), each on a fresh data dir; the client runs \
         on the same {cpus} CPU(s) as the server; load average at the start: {}",
        options.runs,
        load_average()
    );
    for peer in [Peer::Vm, Peer::Influx] {
        if let (true, Err(why)) = (options.peers.contains(&peer), binaries.get(peer)) {
            println!("- {} could not be prepared: {why}", peer.flag_name());
        }
    }
    println!();
}

fn main() {
    let options = parse_options();
    let ticks_per_s = clock_ticks_per_s();
    let data = Data::new(TAGS_MAX.min(options.rows));
    let span = Span::new(&options, &data);
    if let Err(e) = fs::create_dir_all(&options.work_dir) {
        usage(&format!(
            "cannot create {}: {e}",
            options.work_dir.display()
        ));
    }
    let binaries = prepare(&options);
    for (peer, prepared) in [(Peer::Vm, &binaries.vm), (Peer::Influx, &binaries.influx)] {
        match prepared {
            Ok(b) => eprintln!(
                "peers: {} {} at {}",
                peer.flag_name(),
                b.version,
                b.path.display()
            ),
            Err(why) if options.peers.contains(&peer) => {
                eprintln!("peers: {} cannot run: {why}", peer.flag_name());
            }
            Err(_) => {}
        }
    }
    let systems: Vec<System> = options
        .peers
        .iter()
        .flat_map(|&p| System::of(p).iter().copied())
        .collect();
    let uses = |peer: Peer| systems.iter().any(|s| s.peer() == peer);
    eprintln!("peers: generating bodies");
    let csv = if uses(Peer::Tidegate) || uses(Peer::Vm) {
        bodies(&options, &data, csv_body)
    } else {
        Vec::new()
    };
    let line_protocol = if uses(Peer::Influx) {
        bodies(&options, &data, line_protocol_body)
    } else {
        Vec::new()
    };
    let bench = Bench {
        options: &options,
        binaries: &binaries,
        csv: &csv,
        line_protocol: &line_protocol,
        span: &span,
        ticks_per_s,
    };
    print_preamble(&options, &binaries, &span);

    let mut entries: Vec<Entry> = Vec::new();
    for &clients in &options.clients {
        let first = entries.len();
        for &system in &systems {
            let outcome = match binaries.get(system.peer()) {
                Ok(_) => Outcome::Ran(Vec::new()),
                Err(why) => Outcome::Failed(why.to_owned()),
            };
            entries.push(Entry {
                clients,
                system,
                outcome,
            });
        }
        for run in 1..=options.runs {
            for entry in &mut entries[first..] {
                let Outcome::Ran(list) = &mut entry.outcome else {
                    continue;
                };
                let label = format!("{} x{clients} run {run}", entry.system.label());
                match run_once(&bench, entry.system, clients, &format!("c{clients}-r{run}")) {
                    Ok(r) => {
                        eprintln!("{label}: {}", describe(&r));
                        list.push(r);
                    }
                    Err(why) => {
                        eprintln!("{label}: failed: {why}");
                        entry.outcome = Outcome::Failed(why);
                    }
                }
            }
        }
    }
    print_figures(&entries, &binaries, options.rows);
    print_ratios(&entries);
    println!("\nLoad average at the end: {}", load_average());
    let _ = fs::remove_dir(&options.work_dir);
}
