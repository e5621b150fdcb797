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

#[path = "common/mod.rs"]
mod bench_common;
#[path = "../tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use bench_common::{
    Conn, Data, TAGS_MAX, Upload, clock_ticks_per_s, cpu_time, group, io_text, mib, peak_rss_bytes,
    send_bodies,
};
use common::{Server, enc};

const CREATE_SQL: &str = "CREATE TAG TABLE BENCH (NAME varchar(40) primary key, \
                          TIME datetime basetime, VALUE double summarized)";
const JSON_PREFIX: &[u8] = br#"{"data":{"columns":["NAME","TIME","VALUE"],"rows":["#;
const JSON_SUFFIX: &[u8] = b"]}}";
/// The level a gzip command line uses by default.
/// Bytes per chunk of the streamed 1 GB body.
const HUGE_CHUNK_BYTES: usize = 64 << 10;

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
// Request bodies of the shared rows (`bench_common::Data`) in each format.

impl Data {
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
// The server under test.

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
    let accepts = |r: &bench_common::Reply, rows: u64| r.status == 200 && r.records() == Some(rows);
    let upload = Upload {
        addr: &server.addr,
        path: &request.path,
        headers: &request.headers,
        accepts: &accepts,
        timeout_flag: "--timeout-s",
        timeout: options.timeout,
    };
    let cpu_before = cpu_time(pid, ticks_per_s);
    let started = Instant::now();
    let sent = send_bodies(&upload, bodies, options.connections, deadline);
    let wall = started.elapsed();
    let server_cpu = cpu_time(pid, ticks_per_s).saturating_sub(cpu_before);
    let peak = peak_rss_bytes(pid);
    server.stop();
    Ok(Run {
        rows: sent.map_err(Outcome::Failed)?,
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
