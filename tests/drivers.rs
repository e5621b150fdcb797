//! Proton's client libraries, pinned and used as their docs show, run as real programs
//! against tidegate on both listeners (snapshot and streaming):
//! timeplus-connect (Python; Native format, LZ4-compressed inserts and replies) and
//! @clickhouse/client (Node.js; JSONEachRow). Each connects, pings, creates a stream,
//! inserts two rows through the driver's insert API, reads them back through its query API,
//! then inserts 100,000 rows and reads back their count.
//!
//! `scripts/install-drivers.sh` installs them under `$HOME/.cache/tidegate-ci` (a venv and
//! an npm prefix) and prints `TIDEGATE_DRIVER_PYTHON` and `TIDEGATE_DRIVER_NODE_MODULES`,
//! which .ci/run exports; without them the tests look in that cache. A driver that is
//! missing is skipped with the reason, unless `TIDEGATE_REQUIRE_CLIENTS=1` (set by .ci/run),
//! where it fails the test.
#![allow(clippy::unwrap_used)]

mod common;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, temp_dir};

/// How long one driver program may run (100,000 rows through each driver included).
const DRIVER_RUN_SECONDS_MAX: u64 = 180;
/// Rows of the large insert.
const BIG_ROWS: u64 = 100_000;

const PYTHON_PROGRAM: &str = r#"import sys
import timeplus_connect

host, port, stream, big = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
client = timeplus_connect.get_client(host=host, port=port)
print("version", client.server_version)
print("ping", client.ping())
client.command(f"CREATE STREAM {stream} (id int32, name string)")
summary = client.insert(stream, [[1, "hello"], [2, "world"]], column_names=["id", "name"])
print("written", summary.written_rows)
result = client.query(f"SELECT id, name FROM table({stream}) ORDER BY id")
print("rows", result.result_rows)
df = client.query_df(f"SELECT id, name FROM table({stream}) ORDER BY id")
print("df", df.to_dict("records"))
client.command(f"CREATE STREAM {stream}_big (id int64, name string, value float64)")
rows = [[i, f"sensor-{i % 100}", i * 0.5] for i in range(big)]
summary = client.insert(f"{stream}_big", rows, column_names=["id", "name", "value"])
print("big written", summary.written_rows)
count = client.query(f"SELECT count() FROM table({stream}_big)").result_rows[0][0]
print("big count", count)
"#;

const NODE_PROGRAM: &str = r#"const { createClient } = require("@clickhouse/client");

const [url, stream, big] = process.argv.slice(2);
(async () => {
  const client = createClient({ url });
  const ping = await client.ping();
  if (!ping.success) throw ping.error;
  console.log("ping", ping.success);
  await client.command({ query: `CREATE STREAM ${stream} (id int32, name string)` });
  await client.insert({
    table: stream,
    values: [{ id: 1, name: "hello" }, { id: 2, name: "world" }],
    format: "JSONEachRow",
  });
  const rs = await client.query({
    query: `SELECT id, name FROM table(${stream}) ORDER BY id`,
    format: "JSONEachRow",
  });
  console.log("rows", JSON.stringify(await rs.json()));
  await client.command({ query: `CREATE STREAM ${stream}_big (id int64, name string, value float64)` });
  const values = [];
  for (let i = 0; i < Number(big); i++) values.push({ id: i, name: `sensor-${i % 100}`, value: i * 0.5 });
  await client.insert({ table: `${stream}_big`, values, format: "JSONEachRow" });
  const count = await client.query({
    query: `SELECT count() AS n FROM table(${stream}_big)`,
    format: "JSONEachRow",
  });
  console.log("big count", JSON.stringify(await count.json()));
  await client.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
"#;

/// The pinned drivers' cache, as scripts/install-drivers.sh lays it out.
fn cache() -> PathBuf {
    std::env::var_os("TIDEGATE_CI_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/tidegate-ci")
        })
}

fn python() -> PathBuf {
    std::env::var_os("TIDEGATE_DRIVER_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join("venv-timeplus-connect-0.8.17/bin/python"))
}

fn node_modules() -> PathBuf {
    std::env::var_os("TIDEGATE_DRIVER_NODE_MODULES")
        .map(PathBuf::from)
        .unwrap_or_else(|| cache().join("npm-clickhouse-client-1.23.1/node_modules"))
}

/// Whether the driver can run; otherwise prints why and returns false, or fails the test
/// when `TIDEGATE_REQUIRE_CLIENTS=1`.
fn driver_ready(driver: &str, present: bool, hint: &Path) -> bool {
    if present {
        return true;
    }
    let required = std::env::var("TIDEGATE_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{driver} missing at {} with TIDEGATE_REQUIRE_CLIENTS=1; run scripts/install-drivers.sh",
        hint.display()
    );
    eprintln!(
        "skipped: {driver} is not installed at {} (run scripts/install-drivers.sh)",
        hint.display()
    );
    false
}

/// Runs `program args…` (the program text written to `file_name` in a temporary directory)
/// for at most `DRIVER_RUN_SECONDS_MAX`; asserts it exits 0 and returns its stdout.
fn run(
    file_name: &str,
    text: &str,
    program: &Path,
    args: &[String],
    env: &[(&str, &Path)],
) -> String {
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = TempDir(temp_dir("driver"));
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join(file_name), text).unwrap();
    let (out, err) = (dir.0.join("stdout"), dir.0.join("stderr"));
    let what = format!("{} {file_name} {}", program.display(), args.join(" "));
    let mut command = Command::new(program);
    command
        .arg(file_name)
        .args(args)
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap());
    for (k, v) in env {
        command.env(k, v);
    }
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(DRIVER_RUN_SECONDS_MAX);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {DRIVER_RUN_SECONDS_MAX} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stdout = std::fs::read_to_string(&out).unwrap();
    let stderr = std::fs::read_to_string(&err).unwrap();
    assert!(
        status.success(),
        "{what} exited with {status}\nstdout: {stdout}\nstderr: {stderr}"
    );
    stdout
}

fn host_port(addr: &str) -> (String, String) {
    let (host, port) = addr.rsplit_once(':').unwrap();
    (host.to_owned(), port.to_owned())
}

#[test]
fn timeplus_connect_on_both_listeners() {
    let python = python();
    let present = Command::new(&python)
        .args(["-c", "import timeplus_connect, pandas"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !driver_ready("timeplus-connect", present, &python) {
        return;
    }
    let s = Server::start("driver-python");
    for (addr, stream) in [(&s.snapshot_addr, "py_snapshot"), (&s.addr, "py_streaming")] {
        let (host, port) = host_port(addr);
        let args = [host, port, stream.to_owned(), BIG_ROWS.to_string()];
        let out = run("driver.py", PYTHON_PROGRAM, &python, &args, &[]);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "version 1.6.1",
                "ping True",
                "written 2",
                "rows [(1, 'hello'), (2, 'world')]",
                "df [{'id': 1, 'name': 'hello'}, {'id': 2, 'name': 'world'}]",
                &format!("big written {BIG_ROWS}"),
                &format!("big count {BIG_ROWS}"),
            ],
            "on {addr}"
        );
    }
}

#[test]
fn clickhouse_js_on_both_listeners() {
    let modules = node_modules();
    let present = modules.join("@clickhouse/client/package.json").is_file()
        && Command::new("node")
            .arg("--version")
            .stdout(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
    if !driver_ready("@clickhouse/client", present, &modules) {
        return;
    }
    let s = Server::start("driver-node");
    for (addr, stream) in [(&s.snapshot_addr, "js_snapshot"), (&s.addr, "js_streaming")] {
        let args = [
            format!("http://{addr}"),
            stream.to_owned(),
            BIG_ROWS.to_string(),
        ];
        let out = run(
            "driver.js",
            NODE_PROGRAM,
            Path::new("node"),
            &args,
            &[("NODE_PATH", &modules)],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "ping true",
                r#"rows [{"id":1,"name":"hello"},{"id":2,"name":"world"}]"#,
                &format!(r#"big count [{{"n":"{BIG_ROWS}"}}]"#),
            ],
            "on {addr}"
        );
    }
}
