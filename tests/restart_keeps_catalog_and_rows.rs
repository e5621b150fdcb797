//! Acknowledged rows and the catalog survive a SIGTERM restart; SIGTERM exits 0.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    Server, create_stream, create_tag_table, machbase_write_ok, proton_ingest_ok, proton_query,
    query_csv,
};

#[test]
fn rows_and_tables_survive_restart() {
    let s = Server::start("restart");
    create_tag_table(&s, "T");
    create_stream(&s, "st (v int64)");
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        r#"{"data":{"rows":[["a",1,1.5],["b",2,2.5]]}}"#,
        2,
    );
    // Append/async rows are applied; the shutdown persist makes them durable too.
    machbase_write_ok(
        &s,
        "T?timeformat=s&method=append",
        r#"{"data":{"rows":[["a",3,3.5]]}}"#,
        1,
    );
    proton_ingest_ok(&s, "st?mode=async", r#"{"columns":["v"],"data":[[7],[8]]}"#);

    let s = s.restart();
    assert_eq!(
        query_csv(&s, "select * from T"),
        "NAME,TIME,VALUE\na,1,1.5\na,3,3.5\nb,2,2.5\n\n"
    );
    assert_eq!(proton_query(&s, "SELECT v FROM st"), "7\n8\n");
    // New tags after restart get fresh ids and do not collide with old ones.
    machbase_write_ok(
        &s,
        "T?timeformat=s",
        r#"{"data":{"rows":[["c",4,4.5]]}}"#,
        1,
    );
    assert_eq!(
        query_csv(&s, "select * from T where name = 'c'"),
        "NAME,TIME,VALUE\nc,4,4.5\n\n"
    );
    assert_eq!(
        query_csv(&s, "select * from T where name = 'a'"),
        "NAME,TIME,VALUE\na,1,1.5\na,3,3.5\n\n"
    );
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
