//! Command line and environment: what `tidegate serve` runs with.
//!
//! Precedence: flags, then environment (`TIDEGATE_*`), then the embedded defaults, so a
//! bare `tidegate` serves on Machbase's and Proton's ports with data in `./tidegate-data`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::limits::{
    BODY_BYTES_MAX_DEFAULT, CONNECTIONS_MAX_DEFAULT, INFLATE_RATIO_MAX_DEFAULT,
    INFLATED_BYTES_MAX_DEFAULT, SYNC_INTERVAL_MS_DEFAULT, WRITE_TIMEOUT_MS_DEFAULT,
};

pub const DEFAULT_DATA_DIR: &str = "./tidegate-data";
/// Machbase Neo's HTTP port and Proton's REST (streaming) port.
pub const DEFAULT_LISTEN: &[&str] = &["127.0.0.1:5654", "127.0.0.1:3218"];
/// Machbase's factory password of `sys`, so the peer's clients log in unchanged.
pub const DEFAULT_PASSWORD: &str = "manager";
/// Proton's batch port, where every Proton-dialect query runs with `query_mode='table'`.
pub const DEFAULT_SNAPSHOT_LISTEN: &[&str] = &["127.0.0.1:8123"];

#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    pub data_dir: PathBuf,
    pub listen: Vec<SocketAddr>,
    /// Listeners where Proton-dialect SELECTs are historical (`query_mode='table'`).
    pub snapshot_listen: Vec<SocketAddr>,
    pub sync_interval: Duration,
    pub body_bytes_max: u64,
    pub inflated_bytes_max: u64,
    /// Inflated bytes per compressed byte a gzip/deflate body may reach past
    /// `INFLATE_RATIO_EXEMPT_BYTES`.
    pub inflate_ratio_max: u64,
    /// Open connections over all listeners.
    pub connections_max: usize,
    pub threads: usize,
    /// How long a response write may wait for the client to accept any byte.
    pub write_timeout: Duration,
    /// Password of Machbase's `sys` user for `POST /web/api/login`.
    pub password: String,
}

#[derive(Debug, PartialEq)]
pub enum Command {
    Serve(Config),
    Help,
    Version,
}

pub const HELP: &str = "\
tidegate: a time-series store for IoT gateways, speaking Machbase Neo and Timeplus Proton HTTP.

Usage:
  tidegate [serve] [OPTIONS]

Options:
  --data-dir DIR          where data is stored (env TIDEGATE_DATA_DIR; default ./tidegate-data)
  --listen ADDR           address to serve on, repeatable; every listener serves every route
                          (env TIDEGATE_LISTEN, comma-separated;
                          default 127.0.0.1:5654 and 127.0.0.1:3218); there a Proton
                          `SELECT ... FROM stream` is a live, unbounded streaming query
  --snapshot-listen ADDR  address to serve on in snapshot mode, repeatable: Proton's batch port,
                          where every Proton query runs with query_mode='table' and ends
                          (env TIDEGATE_SNAPSHOT_LISTEN, comma-separated; default 127.0.0.1:8123).
                          Giving any --listen or --snapshot-listen (or either variable) replaces
                          all the default addresses
  --sync-interval DUR     how often rows written with method=append / mode=async are fsynced,
                          e.g. 1000ms or 1s (env TIDEGATE_SYNC_INTERVAL; default 1000ms)
  --body-bytes-max BYTES  largest request body accepted, as sent (env TIDEGATE_BODY_BYTES_MAX;
                          default 64GiB); BYTES is a number with an optional KiB, MiB or GiB
  --inflated-bytes-max BYTES
                          largest gzip/deflate body after decompression; larger ones (gzip
                          bombs) are refused with 413 (env TIDEGATE_INFLATED_BYTES_MAX;
                          default 64GiB)
  --inflate-ratio-max N   most times its compressed size a gzip/deflate body may inflate to,
                          checked once 64MiB were inflated; real sensor data compresses 5-20
                          times, larger ratios are refused with 413
                          (env TIDEGATE_INFLATE_RATIO_MAX; default 200)
  --max-connections N     open connections over all listeners; at the cap a new client takes
                          the slot of the longest-idle kept-alive connection, and gets 503
                          only when every connection is in a request
                          (env TIDEGATE_MAX_CONNECTIONS; default 1024)
  --threads N             executor threads (env TIDEGATE_THREADS; default: the CPU count, at most 4)
  --write-timeout DUR     close a connection whose client accepts no byte of a reply for this
                          long, e.g. 60s or 2000ms (env TIDEGATE_WRITE_TIMEOUT; default 60s)
  --password PASSWORD     password of the user sys for Machbase's POST /web/api/login
                          (env TIDEGATE_PASSWORD, which other users cannot read from the
                          process list; default manager)
  -h, --help              print this help
  -V, --version           print the version

Signals: SIGTERM or SIGINT stops accepting, finishes in-flight requests, persists, exits 0.
";

fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (digits, scale_ms) = if let Some(d) = t.strip_suffix("ms") {
        (d, 1)
    } else if let Some(d) = t.strip_suffix('s') {
        (d, 1000)
    } else {
        (t, 1)
    };
    let n: u64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("invalid duration `{text}` (use e.g. 1000ms or 1s)"))?;
    let ms = n
        .checked_mul(scale_ms)
        .filter(|&ms| ms > 0)
        .ok_or_else(|| format!("invalid duration `{text}`: must be between 1ms and 2^64 ms"))?;
    Ok(Duration::from_millis(ms))
}

/// A byte count: digits with an optional `KiB`, `MiB` or `GiB` suffix.
fn parse_bytes(text: &str, what: &str) -> Result<u64, String> {
    let t = text.trim();
    let (digits, shift) = [("KiB", 10), ("MiB", 20), ("GiB", 30)]
        .iter()
        .find_map(|(suffix, shift)| t.strip_suffix(suffix).map(|d| (d, *shift)))
        .unwrap_or((t, 0));
    digits
        .trim()
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(1 << shift))
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("invalid {what} `{text}` (use e.g. 1048576 or 64MiB)"))
}

/// A whole number from 1 up.
fn parse_count(text: &str, what: &str) -> Result<u64, String> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("invalid {what} `{text}` (use a whole number from 1 up)"))
}

fn parse_connections(text: &str, what: &str) -> Result<usize, String> {
    parse_count(text, what)
        .and_then(|n| usize::try_from(n).map_err(|_| format!("{what} `{text}` is too large")))
}

fn parse_listen(list: &str) -> Result<Vec<SocketAddr>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(|a| {
            a.parse()
                .map_err(|_| format!("invalid listen address `{a}` (use e.g. 127.0.0.1:5654)"))
        })
        .collect()
}

/// Parses `args` (without the program name) with `env` looking up environment variables.
pub fn parse(
    args: impl IntoIterator<Item = String>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let mut data_dir = env("TIDEGATE_DATA_DIR").map(PathBuf::from);
    let mut listen_env = env("TIDEGATE_LISTEN")
        .map(|v| parse_listen(&v))
        .transpose()?;
    let mut listen_flags: Vec<SocketAddr> = Vec::new();
    let mut snapshot_env = env("TIDEGATE_SNAPSHOT_LISTEN")
        .map(|v| parse_listen(&v))
        .transpose()?;
    let mut snapshot_flags: Vec<SocketAddr> = Vec::new();
    let mut sync_interval = env("TIDEGATE_SYNC_INTERVAL")
        .map(|v| parse_duration(&v))
        .transpose()?;
    let mut body_bytes_max = env("TIDEGATE_BODY_BYTES_MAX")
        .map(|v| parse_bytes(&v, "TIDEGATE_BODY_BYTES_MAX"))
        .transpose()?;
    let mut inflated_bytes_max = env("TIDEGATE_INFLATED_BYTES_MAX")
        .map(|v| parse_bytes(&v, "TIDEGATE_INFLATED_BYTES_MAX"))
        .transpose()?;
    let mut inflate_ratio_max = env("TIDEGATE_INFLATE_RATIO_MAX")
        .map(|v| parse_count(&v, "TIDEGATE_INFLATE_RATIO_MAX"))
        .transpose()?;
    let mut connections_max = env("TIDEGATE_MAX_CONNECTIONS")
        .map(|v| parse_connections(&v, "TIDEGATE_MAX_CONNECTIONS"))
        .transpose()?;
    let mut write_timeout = env("TIDEGATE_WRITE_TIMEOUT")
        .map(|v| parse_duration(&v))
        .transpose()?;
    let mut threads = env("TIDEGATE_THREADS")
        .map(|v| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| format!("invalid TIDEGATE_THREADS `{v}`"))
        })
        .transpose()?;

    let mut password = env("TIDEGATE_PASSWORD");

    let mut args = args.into_iter().peekable();
    if args.peek().map(String::as_str) == Some("serve") {
        args.next();
    }
    while let Some(arg) = args.next() {
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_owned(), Some(v.to_owned())),
            _ => (arg.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "-h" | "--help" | "help" => return Ok(Command::Help),
            "-V" | "--version" => return Ok(Command::Version),
            "--data-dir" => data_dir = Some(PathBuf::from(value()?)),
            "--listen" => listen_flags.extend(parse_listen(&value()?)?),
            "--snapshot-listen" => snapshot_flags.extend(parse_listen(&value()?)?),
            "--sync-interval" => sync_interval = Some(parse_duration(&value()?)?),
            "--write-timeout" => write_timeout = Some(parse_duration(&value()?)?),
            "--body-bytes-max" => body_bytes_max = Some(parse_bytes(&value()?, &flag)?),
            "--inflated-bytes-max" => inflated_bytes_max = Some(parse_bytes(&value()?, &flag)?),
            "--inflate-ratio-max" => inflate_ratio_max = Some(parse_count(&value()?, &flag)?),
            "--max-connections" => connections_max = Some(parse_connections(&value()?, &flag)?),
            "--password" => password = Some(value()?),
            "--threads" => {
                let v = value()?;
                threads = Some(v.parse().map_err(|_| format!("invalid --threads `{v}`"))?)
            }
            other => return Err(format!("unknown argument `{other}`; see tidegate --help")),
        }
    }
    if !listen_flags.is_empty() {
        listen_env = Some(listen_flags);
    }
    if !snapshot_flags.is_empty() {
        snapshot_env = Some(snapshot_flags);
    }
    let defaults = |list: &[&str]| list.iter().filter_map(|a| a.parse().ok()).collect();
    // Any address given replaces every default, so `--listen 127.0.0.1:0` alone never
    // also binds the fixed snapshot port.
    let (listen, snapshot_listen) = match (listen_env, snapshot_env) {
        (None, None) => (defaults(DEFAULT_LISTEN), defaults(DEFAULT_SNAPSHOT_LISTEN)),
        (l, s) => (l.unwrap_or_default(), s.unwrap_or_default()),
    };
    if listen.is_empty() && snapshot_listen.is_empty() {
        return Err("no listen address given".into());
    }
    let threads = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get().min(4)))
        .clamp(1, 64);
    Ok(Command::Serve(Config {
        data_dir: data_dir.unwrap_or_else(|| PathBuf::from(DEFAULT_DATA_DIR)),
        listen,
        snapshot_listen,
        sync_interval: sync_interval.unwrap_or(Duration::from_millis(SYNC_INTERVAL_MS_DEFAULT)),
        body_bytes_max: body_bytes_max.unwrap_or(BODY_BYTES_MAX_DEFAULT),
        inflated_bytes_max: inflated_bytes_max.unwrap_or(INFLATED_BYTES_MAX_DEFAULT),
        inflate_ratio_max: inflate_ratio_max.unwrap_or(INFLATE_RATIO_MAX_DEFAULT),
        connections_max: connections_max.unwrap_or(CONNECTIONS_MAX_DEFAULT),
        threads,
        write_timeout: write_timeout.unwrap_or(Duration::from_millis(WRITE_TIMEOUT_MS_DEFAULT)),
        password: match password {
            Some(p) if p.is_empty() => return Err("the password must not be empty".into()),
            Some(p) => p,
            None => DEFAULT_PASSWORD.into(),
        },
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    fn serve(c: Command) -> Config {
        match c {
            Command::Serve(c) => c,
            other => panic!("not serve: {other:?}"),
        }
    }

    #[test]
    fn defaults_without_arguments() {
        let c = serve(parse(args(&[]), |_| None).unwrap());
        assert_eq!(c.data_dir, PathBuf::from("./tidegate-data"));
        assert_eq!(
            c.listen,
            vec![
                "127.0.0.1:5654".parse().unwrap(),
                "127.0.0.1:3218".parse().unwrap()
            ]
        );
        assert_eq!(c.snapshot_listen, vec!["127.0.0.1:8123".parse().unwrap()]);
        assert_eq!(c.sync_interval, Duration::from_secs(1));
        assert_eq!(c.write_timeout, Duration::from_secs(60));
        assert_eq!(c.password, "manager");
        assert_eq!(c.inflate_ratio_max, 200);
        assert_eq!(c.connections_max, 1024);
    }

    #[test]
    fn max_connections_from_flag_or_environment() {
        let env = |k: &str| (k == "TIDEGATE_MAX_CONNECTIONS").then(|| "4096".to_string());
        assert_eq!(serve(parse(args(&[]), env).unwrap()).connections_max, 4096);
        let c = serve(parse(args(&["--max-connections", "16"]), env).unwrap());
        assert_eq!(c.connections_max, 16);
        assert_eq!(
            parse(args(&["--max-connections=0"]), |_| None).unwrap_err(),
            "invalid --max-connections `0` (use a whole number from 1 up)"
        );
        assert_eq!(
            parse(args(&["--max-connections", "-1"]), |_| None).unwrap_err(),
            "invalid --max-connections `-1` (use a whole number from 1 up)"
        );
    }

    #[test]
    fn inflate_ratio_from_flag_or_environment() {
        let env = |k: &str| (k == "TIDEGATE_INFLATE_RATIO_MAX").then(|| "50".to_string());
        assert_eq!(serve(parse(args(&[]), env).unwrap()).inflate_ratio_max, 50);
        let c = serve(parse(args(&["--inflate-ratio-max=1000"]), env).unwrap());
        assert_eq!(c.inflate_ratio_max, 1000);
        assert_eq!(
            parse(args(&["--inflate-ratio-max", "0"]), |_| None).unwrap_err(),
            "invalid --inflate-ratio-max `0` (use a whole number from 1 up)"
        );
        assert_eq!(
            parse(args(&[]), |k| (k == "TIDEGATE_INFLATE_RATIO_MAX")
                .then(|| "lots".to_string()))
            .unwrap_err(),
            "invalid TIDEGATE_INFLATE_RATIO_MAX `lots` (use a whole number from 1 up)"
        );
    }

    #[test]
    fn write_timeout_from_flag_or_environment() {
        let env = |k: &str| (k == "TIDEGATE_WRITE_TIMEOUT").then(|| "90s".to_string());
        assert_eq!(
            serve(parse(args(&[]), env).unwrap()).write_timeout,
            Duration::from_secs(90)
        );
        assert_eq!(
            serve(parse(args(&["--write-timeout", "2000ms"]), env).unwrap()).write_timeout,
            Duration::from_secs(2)
        );
        assert_eq!(
            serve(parse(args(&["--write-timeout=2s"]), |_| None).unwrap()).write_timeout,
            Duration::from_secs(2)
        );
        assert_eq!(
            parse(args(&["--write-timeout", "soon"]), |_| None).unwrap_err(),
            "invalid duration `soon` (use e.g. 1000ms or 1s)"
        );
        assert_eq!(
            parse(args(&["--write-timeout", "0s"]), |_| None).unwrap_err(),
            "invalid duration `0s`: must be between 1ms and 2^64 ms"
        );
        assert!(
            parse(args(&[]), |k| (k == "TIDEGATE_WRITE_TIMEOUT")
                .then(|| "x".into()))
            .is_err()
        );
    }

    #[test]
    fn password_from_flag_or_environment() {
        let env = |k: &str| (k == "TIDEGATE_PASSWORD").then(|| "from-env".to_string());
        assert_eq!(serve(parse(args(&[]), env).unwrap()).password, "from-env");
        assert_eq!(
            serve(parse(args(&["--password=s3cret"]), env).unwrap()).password,
            "s3cret"
        );
        assert_eq!(
            parse(args(&["--password", ""]), |_| None).unwrap_err(),
            "the password must not be empty"
        );
    }

    #[test]
    fn any_listen_address_replaces_every_default() {
        let c = serve(parse(args(&["--listen", "127.0.0.1:0"]), |_| None).unwrap());
        assert_eq!(c.listen, vec!["127.0.0.1:0".parse().unwrap()]);
        assert!(c.snapshot_listen.is_empty());
        let c = serve(parse(args(&["--snapshot-listen=127.0.0.1:7"]), |_| None).unwrap());
        assert!(c.listen.is_empty());
        assert_eq!(c.snapshot_listen, vec!["127.0.0.1:7".parse().unwrap()]);
        let env = |k: &str| (k == "TIDEGATE_SNAPSHOT_LISTEN").then(|| "127.0.0.1:8".to_string());
        let c = serve(parse(args(&["--listen", "127.0.0.1:9"]), env).unwrap());
        assert_eq!(c.listen, vec!["127.0.0.1:9".parse().unwrap()]);
        assert_eq!(c.snapshot_listen, vec!["127.0.0.1:8".parse().unwrap()]);
        assert!(parse(args(&[]), |k| (k == "TIDEGATE_LISTEN").then(String::new)).is_err());
    }

    #[test]
    fn flags_beat_environment() {
        let env = |k: &str| match k {
            "TIDEGATE_DATA_DIR" => Some("/env".to_string()),
            "TIDEGATE_LISTEN" => Some("127.0.0.1:1, 127.0.0.1:2".to_string()),
            _ => None,
        };
        let c = serve(parse(args(&[]), env).unwrap());
        assert_eq!(c.data_dir, PathBuf::from("/env"));
        assert_eq!(c.listen.len(), 2);
        let c = serve(
            parse(
                args(&[
                    "serve",
                    "--data-dir",
                    "/flag",
                    "--listen=127.0.0.1:9",
                    "--sync-interval",
                    "2s",
                ]),
                env,
            )
            .unwrap(),
        );
        assert_eq!(c.data_dir, PathBuf::from("/flag"));
        assert_eq!(c.listen, vec!["127.0.0.1:9".parse().unwrap()]);
        assert_eq!(c.sync_interval, Duration::from_secs(2));
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            parse(args(&["--bogus"]), |_| None).unwrap_err(),
            "unknown argument `--bogus`; see tidegate --help"
        );
        assert_eq!(
            parse(args(&["--listen"]), |_| None).unwrap_err(),
            "--listen needs a value"
        );
        assert_eq!(
            parse(args(&["--listen", "nowhere"]), |_| None).unwrap_err(),
            "invalid listen address `nowhere` (use e.g. 127.0.0.1:5654)"
        );
        assert_eq!(parse(args(&["-h"]), |_| None).unwrap(), Command::Help);
        assert_eq!(
            parse(args(&["--inflated-bytes-max", "lots"]), |_| None).unwrap_err(),
            "invalid --inflated-bytes-max `lots` (use e.g. 1048576 or 64MiB)"
        );
    }

    #[test]
    fn byte_counts_take_binary_suffixes() {
        let c = serve(
            parse(
                args(&["--inflated-bytes-max=2MiB", "--body-bytes-max", "1GiB"]),
                |_| None,
            )
            .unwrap(),
        );
        assert_eq!(c.inflated_bytes_max, 2 << 20);
        assert_eq!(c.body_bytes_max, 1 << 30);
        let env = |k: &str| (k == "TIDEGATE_INFLATED_BYTES_MAX").then(|| "4096".to_string());
        assert_eq!(
            serve(parse(args(&[]), env).unwrap()).inflated_bytes_max,
            4096
        );
        assert!(parse(args(&["--body-bytes-max", "0"]), |_| None).is_err());
    }
}
