//! tidegate: a single-binary time-series store for IoT gateways. Sensors POST readings in
//! Machbase Neo's or Timeplus Proton's HTTP dialect; tidegate stores them durably and answers
//! SQL in both dialects. See DESIGN.md beside the repository for the path of a row.
//!
//! This file starts and stops the process: configuration, the open-file limit, the store and
//! its writer thread, the executor threads, the listeners, and the orderly shutdown on
//! SIGTERM/SIGINT.

mod api;
mod app;
mod base64;
mod bytes;
mod catalog;
mod config;
mod ingest;
mod json_value;
mod jwt;
mod limits;
mod output;
mod server;
mod sql;
mod store;
mod timefmt;
mod value;
mod wildcard;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use smol::stream::StreamExt;

use app::App;
use catalog::Catalog;
use config::{Command, Config};
use ingest::InflateLimits;
use limits::{EXECUTOR_STACK_BYTES, FILE_DESCRIPTORS_RESERVED};
use server::{Handler, Server};
use store::Store;

/// How long in-flight requests may take to finish after SIGTERM.
const SHUTDOWN_GRACE_MS: u64 = 30_000;

fn main() -> ExitCode {
    let command = config::parse(std::env::args().skip(1), |k| std::env::var(k).ok());
    match command {
        Ok(Command::Help) => {
            print!("{}", config::HELP);
            ExitCode::SUCCESS
        }
        Ok(Command::Version) => {
            println!("tidegate {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Ok(Command::Serve(config)) => match serve(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(message) => {
                eprintln!("tidegate: {message}");
                ExitCode::FAILURE
            }
        },
        Err(message) => {
            eprintln!("tidegate: {message}");
            ExitCode::from(2)
        }
    }
}

fn serve(config: Config) -> Result<(), String> {
    // `uptime()` counts from here.
    sql::mark_process_start();
    warn_if_clock_is_unset();
    let opened = Store::open(&config.data_dir, config.sync_interval).map_err(|e| e.to_string())?;
    let store = opened.store;
    let web_auth = api::WebAuth::open(&config.data_dir, config.password.clone())?;
    let listeners = server::bind(&config.listen)?
        .into_iter()
        .map(|l| (l, false))
        .chain(
            server::bind(&config.snapshot_listen)?
                .into_iter()
                .map(|l| (l, true)),
        )
        .collect::<Vec<_>>();
    raise_open_file_limit(config.connections_max);
    let server = Server::new(
        config.body_bytes_max,
        config.connections_max,
        config.write_timeout,
        Arc::new(api::busy),
    );
    let app = Arc::new(App {
        catalog: Arc::new(Catalog::new(opened.tables)),
        store: store.clone(),
        inflate: InflateLimits::new(config.inflated_bytes_max, config.inflate_ratio_max),
        web_auth: Arc::new(web_auth),
    });
    let handler: Handler = {
        let app = Arc::clone(&app);
        Arc::new(move |request| {
            let app = Arc::clone(&app);
            Box::pin(async move { api::route(&app, request).await })
        })
    };

    let ex = Arc::new(smol::Executor::new());
    let (stop_threads, threads_stopped) = smol::channel::bounded::<()>(1);
    let mut threads = Vec::new();
    // Requests run only on these threads, whose stacks are sized for the deepest statement
    // the parser lets through (`EXECUTOR_STACK_BYTES`); the main thread only waits for
    // signals.
    for i in 0..config.threads.max(1) {
        let ex = Arc::clone(&ex);
        let stopped = threads_stopped.clone();
        let thread = std::thread::Builder::new()
            .name(format!("tidegate-{i}"))
            .stack_size(EXECUTOR_STACK_BYTES)
            .spawn(move || smol::block_on(ex.run(async { stopped.recv().await.ok() })))
            .map_err(|e| format!("cannot start executor thread: {e}"))?;
        threads.push(thread);
    }
    for (listener, snapshot) in listeners {
        if let Ok(addr) = listener.local_addr() {
            // Test harnesses read the address up to the first space.
            let mode = if snapshot { " (snapshot)" } else { "" };
            println!("tidegate: listening on http://{addr}{mode}");
        }
        let serving =
            Arc::clone(&server).serve(Arc::clone(&ex), listener, snapshot, Arc::clone(&handler));
        ex.spawn(serving).detach();
    }
    println!("tidegate: data in {}, ready", config.data_dir.display());

    let outcome = smol::block_on(async {
        let mut signals =
            async_signal::Signals::new([async_signal::Signal::Term, async_signal::Signal::Int])
                .map_err(|e| format!("cannot install signal handlers: {e}"))?;
        let fatal = smol::future::or(
            async {
                signals.next().await;
                None
            },
            async { opened.fatal.recv().await.ok() },
        )
        .await;
        server.shutdown();
        let left = server
            .drained(Duration::from_millis(SHUTDOWN_GRACE_MS))
            .await;
        if left > 0 {
            eprintln!("tidegate: {left} connection(s) still open after the grace period");
        }
        match fatal {
            Some(e) => Err(format!("stopping after a storage fault: {e}")),
            None => Ok(()),
        }
    });

    stop_threads.close();
    for thread in threads {
        let _ = thread.join();
    }
    drop(handler);
    drop(app);
    store.close();
    drop(store);
    opened.writer.join();
    if outcome.is_ok() {
        println!("tidegate: stopped");
    }
    outcome
}

/// Raises the soft open-file limit to the hard one, as every connection is a file descriptor
/// and services often start with a soft limit of 1024, below `--max-connections` plus the
/// store's own files. Logs the limit it got, and warns when that cannot cover them.
fn raise_open_file_limit(connections_max: usize) {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    let needed = (connections_max as u64).saturating_add(FILE_DESCRIPTORS_RESERVED);
    let limit = getrlimit(Resource::Nofile);
    let text = |n: Option<u64>| n.map_or_else(|| "unlimited".to_owned(), |n| n.to_string());
    // The kernel refuses an unlimited soft limit for open files: ask for what is needed.
    let target = limit
        .maximum
        .unwrap_or(needed.max(limit.current.unwrap_or(0)));
    let got = match limit.current {
        Some(soft) if soft < target => {
            let raised = Rlimit {
                current: Some(target),
                maximum: limit.maximum,
            };
            match setrlimit(Resource::Nofile, raised) {
                Ok(()) => {
                    println!(
                        "tidegate: open files: up to {target} (soft limit raised from {soft})"
                    );
                    Some(target)
                }
                Err(e) => {
                    eprintln!(
                        "tidegate: warning: cannot raise the open-file limit from {soft} to {target}: {e}"
                    );
                    Some(soft)
                }
            }
        }
        soft => {
            println!("tidegate: open files: up to {}", text(soft));
            soft
        }
    };
    if got.is_some_and(|got| got < needed) {
        eprintln!(
            "tidegate: warning: the open-file limit ({}) is below the {needed} that \
             --max-connections {connections_max} needs; raise it (systemd LimitNOFILE=, \
             ulimit -n) or lower --max-connections",
            text(got)
        );
    }
}

/// Gateways often boot without a real-time clock; rows stamped "now" would be in 1970.
fn warn_if_clock_is_unset() {
    const BUILD_YEAR_START_S: u64 = 1_767_225_600; // 2026-01-01T00:00:00Z
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    if now < BUILD_YEAR_START_S {
        eprintln!(
            "tidegate: warning: the system clock reads {now} s since 1970, before this build; \
             rows stamped with the server time will be wrong until the clock is set"
        );
    }
}
