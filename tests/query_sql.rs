//! The SQL users run, through `/db/query` (Machbase reference §6.2, Q2-Q13, Q15-Q17, Q19,
//! Q21) and `/?query=` (Proton reference §5, cases 16, 18 and 25), on data the tests load.
//! Bodies are compared exactly.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    Server, create_stream, enc, machbase_ddl, machbase_query, machbase_write_ok, proton_get,
    proton_ingest_ok, proton_post_query, proton_query, query_csv, without_elapse,
};

/// Machbase's test fixture (`mods/server/server_test.go`): EXAMPLE with `temp` at
/// 1705291859 s = 3.14 and `test.query` at 1705291859 + i s = 1.5 * i for i = 1..10.
fn fixture() -> Server {
    let s = Server::start("query-sql");
    machbase_ddl(
        &s,
        "CREATE TAG TABLE example (name VARCHAR(40) PRIMARY KEY, time DATETIME BASETIME, \
         value DOUBLE SUMMARIZED) TAG_PARTITION_COUNT=1, TAG_DUPLICATE_CHECK_DURATION=1",
        "Created successfully.",
    );
    let mut rows = vec!["[\"temp\",1705291859,3.14]".to_owned()];
    for i in 1..=10 {
        rows.push(format!(
            "[\"test.query\",{},{}]",
            1705291859 + i,
            1.5 * f64::from(i)
        ));
    }
    machbase_write_ok(
        &s,
        "example?timeformat=s",
        &format!(
            "{{\"data\":{{\"columns\":[\"name\",\"time\",\"value\"],\"rows\":[{}]}}}}",
            rows.join(",")
        ),
        11,
    );
    s
}

fn json(s: &Server, sql: &str, params: &str) -> (u16, String) {
    let r = machbase_query(s, sql, params);
    (r.status, without_elapse(&r.text()))
}

const Q2_BODY: &str = r#"{"data":{"columns":["(MIN(MIN_TIME))","(MAX(MAX_TIME))"],"types":["datetime","datetime"],"rows":[[1705291859000000000,1705291859000000000]]},"success":true,"reason":"success"}"#;

#[test]
fn machbase_reference_queries() {
    let s = fixture();
    // Q2, Q3: V$T_STAT with a literal and with a bind parameter.
    let q2 = "select (MIN(MIN_TIME)),(MAX(MAX_TIME)) from v$EXAMPLE_stat where name = 'temp'";
    assert_eq!(json(&s, q2, ""), (200, Q2_BODY.to_owned()));
    let q3 = "select (MIN(MIN_TIME)),(MAX(MAX_TIME)) from v$EXAMPLE_stat where name = ?";
    assert_eq!(
        json(&s, q3, &format!("p={}", enc(r#"["temp"]"#))),
        (200, Q2_BODY.to_owned())
    );
    // Q4, Q5: lower-case text names the columns; CSV; header=skip and timeformat=s.
    let q4 = "select (min(min_time)),(max(max_time)) from v$EXAMPLE_stat where name = ?";
    let r = machbase_query(&s, q4, &format!("p={}&format=csv", enc(r#"["temp"]"#)));
    assert_eq!(
        (r.status, r.text()),
        (
            200,
            "(min(min_time)),(max(max_time))\n1705291859000000000,1705291859000000000\n\n"
                .to_owned()
        )
    );
    let r = machbase_query(
        &s,
        q4,
        &format!(
            "p={}&format=csv&header=skip&timeformat=s",
            enc(r#"["temp"]"#)
        ),
    );
    assert_eq!(
        (r.status, r.text()),
        (200, "1705291859,1705291859\n\n".into())
    );
    // Q9: a subquery grouped by an integer-divided time, then regrouped.
    let q9 = "SELECT to_timestamp((mTime)) AS TIME, SUM(SUMMVAL) / SUM(CNTMVAL) AS VALUE FROM \
              (SELECT TIME / (1000 * 1000 * 1000) * (1000 * 1000 * 1000) as mtime, sum(VALUE) \
              as SUMMVAL, count(VALUE) as CNTMVAL FROM EXAMPLE WHERE NAME = 'test.query' AND \
              TIME BETWEEN 1705291858000000000 and 1705291958000000000 GROUP BY mTime) GROUP \
              BY TIME ORDER by TIME LIMIT 400";
    let rows: Vec<String> = (1..=10)
        .map(|i| format!("[{}000000000,{}]", 1705291859 + i, 1.5 * f64::from(i)))
        .collect();
    assert_eq!(
        json(&s, q9, ""),
        (
            200,
            format!(
                r#"{{"data":{{"columns":["TIME","VALUE"],"types":["int64","double"],"rows":[{}]}},"success":true,"reason":"success"}}"#,
                rows.join(",")
            )
        )
    );
    // Q15: the same as a form POST, lower-case columns.
    let r = s.post(
        "/db/query",
        "application/x-www-form-urlencoded",
        format!("q={}&p={}", enc(q4), enc(r#"["temp"]"#)).as_bytes(),
    );
    assert_eq!(
        (r.status, without_elapse(&r.text())),
        (
            200,
            Q2_BODY
                .replace("MIN(MIN_TIME)", "min(min_time)")
                .replace("MAX(MAX_TIME)", "max(max_time)")
        )
    );
    // Q16, Q17: bind parameters must be scalars.
    let (status, body) = json(&s, q3, &format!("p={}", enc(r#"[["temp"]]"#)));
    assert_eq!(status, 400);
    assert!(body.contains("bind parameter must be scalar"), "{body}");
    let r = s.post(
        "/db/query",
        "application/json",
        format!(r#"{{"q":"{q3}","p":[{{"name":"temp"}}]}}"#).as_bytes(),
    );
    assert_eq!(r.status, 400);
    assert!(
        r.text().contains("bind parameter must be scalar"),
        "{}",
        r.text()
    );
    // Q19: an unknown zone.
    let (status, body) = json(&s, q2, "tz=Invalid/Location");
    assert_eq!(status, 400);
    assert!(
        body.contains("unknown time zone Invalid/Location"),
        "{body}"
    );
    // `select 123 as VaLue`: Machbase upper-cases the alias.
    assert_eq!(
        json(&s, "select 123 as VaLue", ""),
        (
            200,
            r#"{"data":{"columns":["VALUE"],"types":["int64"],"rows":[[123]]},"success":true,"reason":"success"}"#.into()
        )
    );
}

#[test]
fn machbase_mutations_reply_the_peers_reasons() {
    let s = Server::start("query-sql-mutation");
    let post = |q: &str| {
        let r = s.post(
            "/db/query",
            "application/json",
            format!("{{\"q\":\"{q}\"}}").as_bytes(),
        );
        (r.status, without_elapse(&r.text()))
    };
    let ok = |reason: &str| (200, format!(r#"{{"success":true,"reason":"{reason}"}}"#));
    // Q10-Q13.
    assert_eq!(
        post(
            "CREATE TAG TABLE IF NOT EXISTS T (name varchar(40) primary key, time datetime basetime, value double summarized)"
        ),
        ok("Created successfully.")
    );
    for i in 0..3 {
        assert_eq!(
            post(&format!(
                "INSERT INTO T VALUES('http-query-mutation', {}, 3.14)",
                1705291859000000000i64 + i
            )),
            ok("a row inserted.")
        );
    }
    assert_eq!(
        post(
            "INSERT INTO T (name, time, value) VALUES('other', '2024-01-15 04:10:59', 1), ('other', now, 2)"
        ),
        ok("2 rows inserted.")
    );
    assert_eq!(
        query_csv(
            &s,
            "select name, time, value from t where name = 'http-query-mutation'"
        ),
        "NAME,TIME,VALUE\nhttp-query-mutation,1705291859,3.14\nhttp-query-mutation,1705291859,3.14\nhttp-query-mutation,1705291859,3.14\n\n"
    );
    assert_eq!(
        post("DELETE FROM T WHERE name='http-query-mutation'"),
        ok("3 rows deleted.")
    );
    assert_eq!(
        post("DELETE FROM T BEFORE TO_DATE('2024-01-15 04:11:00')"),
        ok("a row deleted.")
    );
    assert_eq!(
        post("DELETE FROM T WHERE name = 'nobody'"),
        ok("no rows deleted.")
    );
    let (status, body) = post("DELETE FROM T WHERE value > 1");
    assert_eq!(status, 400);
    assert!(
        body.contains("DELETE supports only conditions on NAME (= or IN) and TIME"),
        "{body}"
    );
    assert_eq!(query_csv(&s, "select count(*) from t"), "count(*)\n1\n\n");
    assert_eq!(post("DROP TABLE T"), ok("Dropped successfully."));
    // Q21: a binary value inserted as hex text, with `now`.
    machbase_ddl(
        &s,
        "create tag table test_bin (name varchar(40) primary key, time datetime base time, value binary)",
        "Created successfully.",
    );
    assert_eq!(
        post("INSERT INTO test_bin VALUES('name', now, '0x0102A0B0')"),
        ok("a row inserted.")
    );
    let (_, body) = json(&s, "SELECT NAME, VALUE FROM test_bin", "");
    assert!(body.contains(r#"["name","0x0102a0b0"]"#), "{body}");
    assert_eq!(
        query_csv(&s, "SELECT NAME, VALUE FROM test_bin"),
        "NAME,VALUE\nname,0x0102a0b0\n\n"
    );
}

#[test]
fn aggregates_functions_and_planning() {
    let s = fixture();
    let q = |sql: &str| query_csv(&s, sql);
    // The newest row of one tag, oldest first, a time window.
    assert_eq!(
        q("select time, value from example where name = 'test.query' order by time desc limit 1"),
        "TIME,VALUE\n1705291869,15\n\n"
    );
    assert_eq!(
        q(
            "select time, value from example where name = 'test.query' and time > '2024-01-15 04:11:05' order by time limit 2 offset 1"
        ),
        "TIME,VALUE\n1705291867,12\n1705291868,13.5\n\n"
    );
    assert_eq!(
        q(
            "select name, count(*), sum(value), avg(value), min(value), max(value) from example group by name order by name"
        ),
        "NAME,count(*),sum(value),avg(value),min(value),max(value)\ntemp,1,3.14,3.14,3.14,3.14\ntest.query,10,82.5,8.25,1.5,15\n\n"
    );
    assert_eq!(
        q(
            "select first(time, value), last(time, value), stddev(value) from example where name = 'temp'"
        ),
        "\"first(time, value)\",\"last(time, value)\",stddev(value)\n3.14,3.14,NULL\n\n"
    );
    assert_eq!(
        q(
            "select rollup('sec', 5, time) as t, count(*) as n, max(value) m from example where name = 'test.query' group by t order by t"
        ),
        "T,N,M\n1705291860,5,7.5\n1705291865,5,15\n\n"
    );
    assert_eq!(
        q(
            "select date_trunc('minute', time) t, avg(value) from example where name in ('temp', 'test.query') group by t having count(*) > 1"
        ),
        "T,avg(value)\n1705291860,8.25\n\n"
    );
    assert_eq!(
        q("select distinct name from example where value between 1 and 4 order by name desc"),
        "NAME\ntest.query\ntemp\n\n"
    );
    assert_eq!(
        q(
            "select to_char(time, 'YYYY-MM-DD HH24:MI:SS') from example where name like 'te_p' and time = to_date('2024-01-15 04:10:59')"
        ),
        "\"to_char(time, 'YYYY-MM-DD HH24:MI:SS')\"\n2024-01-15 04:10:59\n\n"
    );
    assert_eq!(
        q("select name from _example_meta order by _id"),
        "NAME\ntemp\ntest.query\n\n"
    );
    assert_eq!(
        q("select * from v$example_stat where name = 'test.query'"),
        "NAME,ROW_COUNT,MIN_TIME,MAX_TIME,MIN_VALUE,MIN_VALUE_TIME,MAX_VALUE,MAX_VALUE_TIME,RECENT_ROW_TIME\ntest.query,10,1705291860,1705291869,1.5,1705291860,15,1705291869,1705291869\n\n"
    );
}

#[test]
fn catalog_statements_and_errors() {
    let s = fixture();
    assert_eq!(
        query_csv(&s, "show tables"),
        "DB,USER,NAME,TYPE\nMACHBASEDB,SYS,EXAMPLE,Tag Table\n\n"
    );
    assert_eq!(
        query_csv(&s, "desc example"),
        "NAME,TYPE,LENGTH\nNAME,STRING tag name,40\nTIME,DATETIME basetime,8\nVALUE,DOUBLE summarized,8\n\n"
    );
    assert_eq!(
        query_csv(&s, "show create table example"),
        "statement\n\"CREATE TAG TABLE EXAMPLE (NAME VARCHAR(40) PRIMARY KEY, TIME DATETIME BASETIME, VALUE DOUBLE SUMMARIZED)\"\n\n"
    );
    assert_eq!(
        json(&s, "select value from example where nme = 'x'", ""),
        (
            400,
            r#"{"success":false,"reason":"column nme does not exist in table EXAMPLE"}"#.into()
        )
    );
    assert_eq!(
        json(&s, "select value fro example", ""),
        (
            400,
            r#"{"success":false,"reason":"syntax error at byte 17: expected the end of the statement, but found `example`"}"#.into()
        )
    );
    assert_eq!(
        json(&s, "select * from nosuch", ""),
        (
            400,
            r#"{"success":false,"reason":"table nosuch does not exist"}"#.into()
        )
    );
}

const TEST_REST: &str =
    "test_rest (id string, location string, value float, timestamp datetime64(3) default now64(3))";

#[test]
fn proton_reference_queries() {
    let s = Server::start("query-sql-proton");
    // Case 25: rows by ingest and by INSERT, read back ordered, TSV and JSON.
    create_stream(&s, TEST_REST);
    proton_ingest_ok(
        &s,
        "test_rest",
        r#"{"columns":["id","location","value","timestamp"],"data":[["dev1","ca",100,"2020-01-01 11:11:11"],["dev2","ca",100,"2020-01-01 11:11:11"]]}"#,
    );
    proton_ingest_ok(
        &s,
        "test_rest",
        r#"{"columns":["id","value","timestamp"],"data":[["dev3",100,"2020-01-01 11:11:11"]]}"#,
    );
    assert_eq!(
        proton_post_query(
            &s,
            "insert into test_rest (id, value, timestamp) values ('dev777', 100, '2020-01-01 11:11:11')"
        ),
        ""
    );
    assert_eq!(
        proton_post_query(
            &s,
            "select id, location, value, value, timestamp from test_rest order by id"
        ),
        "dev1\tca\t100\t100\t2020-01-01 11:11:11.000\ndev2\tca\t100\t100\t2020-01-01 11:11:11.000\ndev3\t\t100\t100\t2020-01-01 11:11:11.000\ndev777\t\t100\t100\t2020-01-01 11:11:11.000\n"
    );
    // Case 16 and 18: settings are accepted; a filter on a stream.
    assert_eq!(
        proton_query(
            &s,
            "select id, location, value, timestamp from test_rest where id = 'dev1' settings seek_to = 'earliest'"
        ),
        "dev1\tca\t100\t2020-01-01 11:11:11.000\n"
    );
    assert_eq!(
        proton_query(
            &s,
            "select count() as n, max(value), to_start_of_minute(timestamp) as m from table(test_rest) group by m"
        ),
        "4\t100\t2020-01-01 11:11:00\n"
    );
    assert_eq!(
        proton_query(
            &s,
            "select id from test_rest where timestamp >= to_datetime('2020-01-01 11:11:11') and id like 'dev7%' limit 1, 5"
        ),
        ""
    );
    assert_eq!(proton_query(&s, "show streams"), "test_rest\n");
    assert_eq!(
        proton_query(&s, "describe test_rest"),
        // TabSeparated escapes `'` as ClickHouse does.
        "id\tstring\t\t\t\t\t\nlocation\tstring\t\t\t\t\t\nvalue\tfloat32\t\t\t\t\t\ntimestamp\tdatetime64(3)\tDEFAULT\tnow64(3, \\'UTC\\')\t\t\t\n_tp_time\tdatetime64(3, \\'UTC\\')\tDEFAULT\tnow64(3, \\'UTC\\')\t\t\t\n"
    );
    let r = proton_get(&s, "select nope from test_rest");
    assert_eq!(
        (r.status, r.text()),
        (
            404,
            "Code: 47. DB::Exception: Missing column: 'nope' in stream test_rest. (UNKNOWN_IDENTIFIER)\n".into()
        )
    );
}
