//! The Proton ingest seed's client programs (Python `requests`, Node.js `http`, Java OkHttp
//! and curl; /work/shared/seeds/proton-ingest-rest-api.md) run as real programs against
//! tidegate and their rows read back with `SELECT id, name FROM table(foo) ORDER BY id`.
//! Each program is the seed's text with `localhost:3218` replaced by the test server's
//! address (for Node, `hostname: "127.0.0.1"` and a `port` in the options).
//!
//! A test whose toolchain is missing prints why and passes, unless
//! `TIDEGATE_REQUIRE_CLIENTS=1` (set by .ci/run), where a missing toolchain fails it.
#![allow(clippy::unwrap_used)]

mod common;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{Server, assert_request_id_reply, create_stream, proton_post_query, temp_dir};

/// How long one client program may run (the Java launcher compiles the file first).
const CLIENT_RUN_SECONDS_MAX: u64 = 120;
/// Where Debian's libokhttp-java and libokio-java put their jars.
const OKHTTP_JAR: &str = "/usr/share/java/okhttp.jar";
const OKIO_JAR: &str = "/usr/share/java/okio.jar";

const PYTHON_SEED: &str = r#"import requests

url = "http://localhost:3218/proton/v1/ingest/streams/foo"
headers = {
    "Content-Type": "application/json"
}
data = '''
{
  "columns": ["id","name"],
  "data": [
    [1,"hello"],
    [2,"world"]
  ]
}
'''

response = requests.post(url, headers=headers, data=data)
print(response.status_code)
print(response.text)
"#;

const NODE_SEED: &str = r#"const http = require("http");
const options = {
  hostname: "localhost",
  path: "/proton/v1/ingest/streams/foo",
  method: "POST"
};

const data = `
{
  "columns": ["id","name"],
  "data": [
    [1,"hello"],
    [2,"world"]
  ]
}
`;
const request = http.request(options, (resp) => {});
request.on("error", (error) => {
  console.error(error);
});
request.write(data);
request.end();
"#;

const JAVA_SEED: &str = r#"import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;

public class Example {
    public static void main(String[] args) throws IOException {
        OkHttpClient client = new OkHttpClient();

        String url = "http://localhost:3218/proton/v1/ingest/streams/foo";
        MediaType mediaType = MediaType.parse("application/json");
        String data = """
{
  "columns": ["id","name"],
  "data": [
    [1,"hello"],
    [2,"world"]
  ]
}
          """;
        RequestBody body = RequestBody.create(mediaType, data);

        Request request = new Request.Builder()
                .url(url)
                .post(body)
                .build();

        try (Response response = client.newCall(request).execute()) {
            System.out.println(response.code());
            System.out.println(response.body().string());
        }
    }
}
"#;

const CURL_SEED: &str = r#"curl -s -X POST http://localhost:3218/proton/v1/ingest/streams/foo \
-d '{
  "columns": ["id","name"],
  "data": [
    [1,"hello"],
    [2,"world"]
  ]
}
'
"#;

/// The seed's example of the column-list body format (it gives no client code for it),
/// sent the way its curl example sends a body.
const CURL_COLUMNS_EXAMPLE: &str = r#"curl -s -X POST http://localhost:3218/proton/v1/ingest/streams/foo \
-d '{
  "columns": ["key1", "key2"],
  "data": [
    ["value11", "value12"],
    ["value21", "value22"]
  ]
}
'
"#;

/// Ok when `program args` runs and exits 0 (a toolchain probe).
fn probe(program: &str, args: &[&str]) -> Result<(), String> {
    match Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("`{program} {}` exited with {s}", args.join(" "))),
        Err(e) => Err(format!("cannot run `{program}`: {e}")),
    }
}

/// The major version `java --version` prints first (`openjdk 17.0.15 2025-04-15`).
fn java_major() -> Result<u32, String> {
    let out = Command::new("java")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("java 17 or newer (cannot run `java`: {e})"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .nth(1)
        .and_then(|v| v.split(['.', '-', '+']).next())
        .and_then(|v| v.parse().ok())
        .filter(|_| out.status.success())
        .ok_or_else(|| format!("java 17 or newer (`java --version` printed {text:?})"))
}

/// Returns true when the client can run. Otherwise prints why and returns false, or fails
/// the test when `TIDEGATE_REQUIRE_CLIENTS=1`.
fn toolchain_ready(client: &str, check: Result<(), String>) -> bool {
    let Err(why) = check else { return true };
    let required = std::env::var("TIDEGATE_REQUIRE_CLIENTS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "{client} toolchain missing with TIDEGATE_REQUIRE_CLIENTS=1: {why}"
    );
    eprintln!("skipped: the {client} seed client needs {why}");
    false
}

/// What a client program printed and how it ended.
struct Run {
    stdout: String,
    stderr: String,
}

/// Writes `text` to `file_name` in a fresh temporary directory and runs
/// `program args… file_name` there for at most `CLIENT_RUN_SECONDS_MAX`, with output to
/// files; asserts it exits 0. The directory is removed afterwards, also on failure.
fn run_seed(file_name: &str, text: &str, program: &str, args: &[&str]) -> Run {
    struct TempDir(PathBuf);
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    let dir = TempDir(temp_dir("client"));
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join(file_name), text).unwrap();
    let what = format!("{program} {} {file_name}", args.join(" "));
    let (out, err) = (dir.0.join("stdout"), dir.0.join("stderr"));
    let mut child = Command::new(program)
        .args(args)
        .arg(file_name)
        .current_dir(&dir.0)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out).unwrap())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap_or_else(|e| panic!("start {what}: {e}"));
    let deadline = Instant::now() + Duration::from_secs(CLIENT_RUN_SECONDS_MAX);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what} still running after {CLIENT_RUN_SECONDS_MAX} s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let run = Run {
        stdout: std::fs::read_to_string(&out).unwrap(),
        stderr: std::fs::read_to_string(&err).unwrap(),
    };
    assert!(
        status.success(),
        "{what} exited with {status}\nstdout: {}\nstderr: {}",
        run.stdout,
        run.stderr
    );
    run
}

/// The seed's program text aimed at `s`.
fn aimed_at(seed: &str, s: &Server) -> String {
    assert!(seed.contains("localhost:3218"), "the seed's URL moved");
    seed.replace("localhost:3218", &s.addr)
}

/// Asserts the `status code` and `reply text` lines that the Python and Java seeds print.
fn assert_printed_success(run: &Run, what: &str) {
    let mut lines = run.stdout.lines();
    assert_eq!(lines.next(), Some("200"), "{what}: {}", run.stdout);
    assert_request_id_reply(lines.next().unwrap_or_default());
    assert_eq!(lines.next(), None, "{what}: {}", run.stdout);
}

/// A server with the seed's stream `foo`.
fn server_with_foo(tag: &str) -> Server {
    let s = Server::start(tag);
    create_stream(&s, "foo(id int, name string)");
    s
}

fn assert_seed_rows(s: &Server, what: &str) {
    assert_eq!(
        proton_post_query(s, "SELECT id, name FROM table(foo) ORDER BY id"),
        "1\thello\n2\tworld\n",
        "{what}"
    );
}

#[test]
fn python_requests_seed() {
    let check = probe("python3", &["-c", "import requests"])
        .map_err(|e| format!("python3 with the requests package ({e})"));
    if !toolchain_ready("Python", check) {
        return;
    }
    let s = server_with_foo("client-python");
    let run = run_seed("ingest.py", &aimed_at(PYTHON_SEED, &s), "python3", &[]);
    assert_printed_success(&run, "python");
    assert_eq!(run.stderr, "");
    assert_seed_rows(&s, "python");
}

#[test]
fn node_http_seed() {
    let check = probe("node", &["--version"]).map_err(|e| format!("node ({e})"));
    if !toolchain_ready("Node.js", check) {
        return;
    }
    let s = server_with_foo("client-node");
    let port = s.addr.rsplit_once(':').unwrap().1;
    let seed = NODE_SEED.replace(
        "  hostname: \"localhost\",\n",
        &format!("  hostname: \"127.0.0.1\",\n  port: {port},\n"),
    );
    assert_ne!(seed, NODE_SEED, "the seed's options moved");
    // The seed prints nothing on success and the error on failure. It never reads the
    // reply, so Node's keep-alive agent holds the connection open and node exits only when
    // tidegate closes the idle connection (HEAD_READ_TIMEOUT_MS in src/limits.rs, 30 s).
    let run = run_seed("ingest.js", &seed, "node", &[]);
    assert_eq!((run.stdout.as_str(), run.stderr.as_str()), ("", ""));
    assert_seed_rows(&s, "node");
}

#[test]
fn java_okhttp_seed() {
    let check = java_major()
        .and_then(|major| {
            if major >= 17 {
                Ok(())
            } else {
                Err(format!(
                    "java 17 or newer for text blocks; found java {major}"
                ))
            }
        })
        .and_then(|()| {
            let modules = Command::new("java")
                .arg("--list-modules")
                .output()
                .map_err(|e| e.to_string())?;
            if String::from_utf8_lossy(&modules.stdout).contains("jdk.compiler") {
                Ok(())
            } else {
                Err("a JDK (jdk.compiler) to launch a source file; found only a JRE".into())
            }
        })
        .and_then(|()| {
            [OKHTTP_JAR, OKIO_JAR]
                .iter()
                .find(|jar| !Path::new(jar).is_file())
                .map_or(Ok(()), |jar| {
                    Err(format!("{jar} (Debian's libokhttp-java)"))
                })
        });
    if !toolchain_ready("Java OkHttp", check) {
        return;
    }
    let s = server_with_foo("client-java");
    let class_path = format!("{OKHTTP_JAR}:{OKIO_JAR}");
    let run = run_seed(
        "Example.java",
        &aimed_at(JAVA_SEED, &s),
        "java",
        &["-cp", &class_path],
    );
    assert_printed_success(&run, "java");
    assert_seed_rows(&s, "java");
}

#[test]
fn curl_seed_and_the_column_list_example() {
    let check = probe("curl", &["--version"]).map_err(|e| format!("curl ({e})"));
    if !toolchain_ready("curl", check) {
        return;
    }
    let s = server_with_foo("client-curl");
    let run = run_seed("ingest.sh", &aimed_at(CURL_SEED, &s), "sh", &[]);
    assert_request_id_reply(&run.stdout);
    assert_seed_rows(&s, "curl");

    // The body format's own example, into a stream with its two columns.
    let s = Server::start("client-curl-example");
    create_stream(&s, "foo(key1 string, key2 string)");
    let run = run_seed("example.sh", &aimed_at(CURL_COLUMNS_EXAMPLE, &s), "sh", &[]);
    assert_request_id_reply(&run.stdout);
    assert_eq!(
        proton_post_query(&s, "SELECT key1, key2 FROM table(foo) ORDER BY key1"),
        "value11\tvalue12\nvalue21\tvalue22\n"
    );
}
