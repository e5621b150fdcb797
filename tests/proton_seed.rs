//! Every request of the Proton ingest seed works as written (curl, Python requests,
//! Node.js http and Java OkHttp send the same body with different headers), and the rows
//! read back through `/?query=` in each output format.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    Server, assert_request_id_reply, create_stream, enc, proton_ingest_ok, proton_post_query,
    proton_query,
};

const SEED_BODY: &str = r#"
{
  "columns": ["id","name"],
  "data": [
    [1,"hello"],
    [2,"world"]
  ]
}
"#;

#[test]
fn each_client_of_the_seed_ingests_and_reads_back() {
    let s = Server::start("proton-seed");
    // curl -d sends application/x-www-form-urlencoded; Node sends no Content-Type;
    // Python and Java send application/json. Proton ignores Content-Type.
    let clients: [(&str, &[(&str, &str)]); 4] = [
        (
            "curl",
            &[("Content-Type", "application/x-www-form-urlencoded")],
        ),
        ("node", &[]),
        ("python", &[("Content-Type", "application/json")]),
        (
            "java",
            &[("Content-Type", "application/json; charset=utf-8")],
        ),
    ];
    for (name, headers) in clients {
        let stream = format!("foo_{name}");
        create_stream(&s, &format!("{stream}(id int, name string)"));
        let r = s.request(
            "POST",
            &format!("/proton/v1/ingest/streams/{stream}"),
            headers,
            SEED_BODY.as_bytes(),
        );
        assert_eq!(r.status, 200, "{name}: {}", r.text());
        assert_request_id_reply(&r.text());
        assert_eq!(
            r.header("content-type"),
            Some("application/json; charset=UTF-8")
        );
        assert_eq!(
            proton_post_query(
                &s,
                &format!("SELECT id, name FROM table({stream}) ORDER BY id")
            ),
            "1\thello\n2\tworld\n",
            "{name}"
        );
    }
}

#[test]
fn request_id_is_echoed_and_formats_read_back() {
    let s = Server::start("proton-formats");
    create_stream(&s, "foo(id int, name string)");
    let r = s.request(
        "POST",
        "/proton/v1/ingest/streams/foo?mode=async",
        &[("x-timeplus-request-id", "req-42")],
        SEED_BODY.as_bytes(),
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "{\"request_id\":\"req-42\"}".to_owned())
    );
    assert_eq!(
        proton_query(
            &s,
            "SELECT id, name FROM table(foo) ORDER BY id FORMAT JSONEachRow"
        ),
        "{\"id\":1,\"name\":\"hello\"}\n{\"id\":2,\"name\":\"world\"}\n"
    );
    let text = proton_query(
        &s,
        "SELECT id, name FROM table(foo) ORDER BY id DESC FORMAT JSONCompact",
    );
    assert!(
        text.contains("[2, \"world\"],\n\t\t[1, \"hello\"]"),
        "{text}"
    );
    assert!(text.contains("\"rows\": 2"), "{text}");
    let star = s.get(&format!(
        "/?query={}&default_format=TabSeparatedWithNames",
        enc("SELECT * FROM table(foo) LIMIT 1")
    ));
    assert!(
        star.text().starts_with("id\tname\t_tp_time\n1\thello\t"),
        "{}",
        star.text()
    );
    let ping = s.get("/proton/ping");
    assert_eq!(
        (ping.status, ping.text()),
        (200, "{\"status\":\"UP\"}".to_owned())
    );
    assert_eq!(s.get("/timeplusd/ping").status, 200);
    assert_eq!(s.get("/healthz").status, 200);
}

#[test]
fn proton_value_conversion() {
    let s = Server::start("proton-convert");
    create_stream(
        &s,
        "t (i int32, u uint8, f float64, s string, t datetime64(3), n nullable(int32))",
    );
    let body = r#"{"columns":["i","u","f","s","t","n"],"data":[["123",1234567,"1.5",42,1700000000000,null],[null,true,2,"x","2020-01-01 11:11:11",7]]}"#;
    proton_ingest_ok(&s, "t", body);
    assert_eq!(
        proton_query(&s, "SELECT i, u, f, s, t, n FROM table(t) ORDER BY i"),
        "0\t1\t2\tx\t2020-01-01 11:11:11.000\t7\n123\t135\t1.5\t42\t2023-11-14 22:13:20.000\t\\N\n"
    );
}
