//! Acknowledged rows and the catalog survive a SIGTERM restart; SIGTERM exits 0.
#![allow(clippy::unwrap_used)]

mod common;
use common::{Server, enc};

#[test]
fn rows_and_tables_survive_restart() {
    let s = Server::start("restart");
    let q =
        "create tag table T (name varchar(40) primary key, time datetime basetime, value double)";
    assert_eq!(s.get(&format!("/db/query?q={}", enc(q))).status, 200);
    assert_eq!(
        s.get(&format!("/?query={}", enc("CREATE STREAM st (v int64)")))
            .status,
        200
    );
    let rows = r#"{"data":{"rows":[["a",1,1.5],["b",2,2.5]]}}"#;
    assert_eq!(
        s.post(
            "/db/write/T?timeformat=s",
            "application/json",
            rows.as_bytes()
        )
        .status,
        200
    );
    // Append/async rows are applied; the shutdown persist makes them durable too.
    let more = r#"{"data":{"rows":[["a",3,3.5]]}}"#;
    assert_eq!(
        s.post(
            "/db/write/T?timeformat=s&method=append",
            "application/json",
            more.as_bytes()
        )
        .status,
        200
    );
    let st = r#"{"columns":["v"],"data":[[7],[8]]}"#;
    assert_eq!(
        s.post(
            "/proton/v1/ingest/streams/st?mode=async",
            "application/json",
            st.as_bytes()
        )
        .status,
        200
    );

    let s = s.restart();
    let t = s.get(&format!(
        "/db/query?q={}&format=csv&timeformat=s",
        enc("select * from T")
    ));
    assert_eq!(t.text(), "NAME,TIME,VALUE\na,1,1.5\na,3,3.5\nb,2,2.5\n\n");
    let v = s.get(&format!("/?query={}", enc("SELECT v FROM st")));
    assert_eq!(v.text(), "7\n8\n");
    // New tags after restart get fresh ids and do not collide with old ones.
    let new = r#"{"data":{"rows":[["c",4,4.5]]}}"#;
    assert_eq!(
        s.post(
            "/db/write/T?timeformat=s",
            "application/json",
            new.as_bytes()
        )
        .status,
        200
    );
    let c = s.get(&format!(
        "/db/query?q={}&format=csv&timeformat=s",
        enc("select * from T where name = 'c'")
    ));
    assert_eq!(c.text(), "NAME,TIME,VALUE\nc,4,4.5\n\n");
    let a = s.get(&format!(
        "/db/query?q={}&format=csv&timeformat=s",
        enc("select * from T where name = 'a'")
    ));
    assert_eq!(a.text(), "NAME,TIME,VALUE\na,1,1.5\na,3,3.5\n\n");
}

#[test]
fn second_process_on_the_same_data_dir_fails_at_once() {
    let s = Server::start("lock");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tidegate"))
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&s.dir)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("is in use by another tidegate process"),
        "{err}"
    );
    assert_eq!(
        s.get("/healthz").status,
        200,
        "the first process keeps serving"
    );
}
