//! Machbase Neo's UI API (`/web/api/...`) as the peer answers it: JWT login, relogin and
//! logout (`mods/server/http.go`), the token check in front of every other route, and the
//! listings of reference machbase-neo-api.md §3.5 and §6.2 Q22-Q24, byte for byte (without
//! `elapse`) on the peer's test fixture.
#![allow(clippy::unwrap_used)]

mod common;
use common::{
    Response, Server, create_stream, enc, machbase_ddl, machbase_write_ok, without_elapse,
};

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The peer's fixture (`mods/server/server_test.go`): `temp` at 1705291859 s with 3.14 and
/// `test.query` at 1705291859+i s with 1.5·i for i = 1..10; plus the log table LOG_DATA and
/// a Proton stream `foo`.
fn fixture(tag: &str) -> Server {
    fixture_with(Server::start(tag))
}

fn fixture_with(s: Server) -> Server {
    machbase_ddl(
        &s,
        "CREATE TAG TABLE example (name VARCHAR(40) PRIMARY KEY, time DATETIME BASETIME, value DOUBLE SUMMARIZED)",
        "Created successfully.",
    );
    let mut rows = vec!["[\"temp\",1705291859,3.14]".to_owned()];
    for i in 1..=10 {
        rows.push(format!(
            "[\"test.query\",{},{}]",
            1705291859 + i,
            1.5 * i as f64
        ));
    }
    machbase_write_ok(
        &s,
        "EXAMPLE?timeformat=s",
        &format!(r#"{{"data":{{"rows":[{}]}}}}"#, rows.join(",")),
        11,
    );
    machbase_ddl(
        &s,
        "CREATE TABLE log_data (time datetime, short_value short, str_value varchar(400))",
        "Created successfully.",
    );
    create_stream(&s, "foo(id int)");
    s
}

fn login_as(s: &Server, body: &str) -> Response {
    s.post("/web/api/login", "application/json", body.as_bytes())
}

/// The access and refresh tokens of a successful login.
fn login(s: &Server) -> (String, String) {
    let r = login_as(s, r#"{"loginName":"sys","password":"manager"}"#);
    assert_eq!(r.status, 200, "{}", r.text());
    tokens(&r)
}

fn tokens(r: &Response) -> (String, String) {
    let text = r.text();
    let field = |name: &str| {
        let start = text.find(&format!("\"{name}\":\"")).unwrap() + name.len() + 4;
        let end = start + text[start..].find('"').unwrap();
        text[start..end].to_owned()
    };
    (field("accessToken"), field("refreshToken"))
}

fn get_with(s: &Server, path: &str, authorization: &str) -> Response {
    s.request("GET", path, &[("Authorization", authorization)], b"")
}

fn get_as(s: &Server, path: &str, token: &str) -> Response {
    get_with(s, path, &format!("Bearer {token}"))
}

/// A UI listing's status, content type and body without `elapse`.
fn listing(r: &Response) -> (u16, String, String) {
    (
        r.status,
        r.header("content-type").unwrap_or_default().to_owned(),
        without_elapse(&r.text()),
    )
}

fn ok_listing(body: &str) -> (u16, String, String) {
    (
        200,
        "application/json; charset=utf-8".into(),
        format!(r#"{{"success":true,"reason":"success","data":{body}}}"#),
    )
}

fn failed(status: u16, reason: &str) -> (u16, String, String) {
    (
        status,
        "application/json; charset=utf-8".into(),
        format!(r#"{{"success":false,"reason":"{reason}"}}"#),
    )
}

/// The 401 of the peer's token check: gin's AsciiJSON of a map, keys sorted.
fn refused(r: &Response) -> (u16, String, String) {
    (
        r.status,
        r.header("content-type").unwrap_or_default().to_owned(),
        r.text(),
    )
}

fn unauthorized(reason: &str) -> (u16, String, String) {
    (
        401,
        "application/json".into(),
        format!(r#"{{"reason":"{reason}","success":false}}"#),
    )
}

fn base64url(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for group in bytes.chunks(3) {
        let b = |i: usize| u32::from(group.get(i).copied().unwrap_or(0));
        let v = (b(0) << 16) | (b(1) << 8) | b(2);
        for k in 0..=group.len() {
            out.push(A[((v >> (18 - 6 * k)) & 63) as usize] as char);
        }
    }
    out
}

/// A token signed with the server's own secret (read from its data directory), so a test can
/// make tokens the server would accept but for one thing.
fn forge(s: &Server, header: &str, claims: &str) -> String {
    let secret = std::fs::read(s.dir.join("jwt-secret")).unwrap();
    let input = format!(
        "{}.{}",
        base64url(header.as_bytes()),
        base64url(claims.as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(&secret).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", base64url(&mac.finalize().into_bytes()))
}

fn now_s() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

const HS256: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

fn claims(exp: i64) -> String {
    format!(
        r#"{{"iss":"machbase-neo","sub":"sys","exp":{exp},"nbf":{},"iat":{},"jti":"test"}}"#,
        now_s() - 3600,
        now_s() - 3600
    )
}

#[test]
fn login_answers_the_peers_login_reply() {
    let s = Server::start("web-login");
    let r = login_as(&s, r#"{"loginName":"sys","password":"manager"}"#);
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    let (access, refresh) = tokens(&r);
    let text = without_elapse(&r.text());
    assert_eq!(
        text,
        format!(
            r#"{{"success":true,"accessToken":"{access}","refreshToken":"{refresh}","reason":"success","server":{{"version":"v{} (tidegate)"}}}}"#,
            env!("CARGO_PKG_VERSION")
        )
    );
    // golang-jwt's HS256 header, three segments, two different tokens.
    for token in [&access, &refresh] {
        assert!(
            token.starts_with("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."),
            "{token}"
        );
        assert_eq!(token.split('.').count(), 3);
    }
    assert_ne!(access, refresh);
    // User names ignore case, as Machbase's; a form body works too.
    assert_eq!(
        login_as(&s, r#"{"loginName":"SYS","password":"manager"}"#).status,
        200
    );
    let r = s.post(
        "/web/api/login",
        "application/x-www-form-urlencoded",
        b"loginName=sys&password=manager",
    );
    assert_eq!(r.status, 200, "{}", r.text());

    let login_failed = |status: u16, reason: &str| {
        (
            status,
            format!(
                r#"{{"success":false,"accessToken":"","refreshToken":"","reason":"{reason}"}}"#
            ),
        )
    };
    let attempt = |body: &str| {
        let r = login_as(&s, body);
        (r.status, without_elapse(&r.text()))
    };
    // The peer's statuses and texts.
    assert_eq!(
        attempt(r#"{"loginName":"sys","password":"Manager"}"#),
        login_failed(404, "invalid username or password")
    );
    assert_eq!(
        attempt(r#"{"loginName":"root","password":"manager"}"#),
        login_failed(404, "invalid username or password")
    );
    assert_eq!(
        attempt(r#"{"password":"manager"}"#),
        login_failed(400, "missing required loginName field")
    );
    assert_eq!(attempt(""), login_failed(400, "EOF"));
    assert_eq!(
        attempt(r#"{"loginName":1}"#),
        login_failed(
            400,
            "json: cannot unmarshal number into Go struct field LoginReq.loginName of type string"
        )
    );
    assert_eq!(
        attempt("[]"),
        login_failed(
            400,
            "json: cannot unmarshal array into Go value of type server.LoginReq"
        )
    );
    // Login is POST only; other UI paths are 404 before any token is asked for.
    assert_eq!(s.get("/web/api/login").status, 404);
    assert_eq!(s.get("/web/api/nothing").status, 404);
    assert_eq!(
        s.post("/web/api/tables", "application/json", b"{}").status,
        404
    );
}

#[test]
fn password_comes_from_the_flag_or_the_environment() {
    let s = Server::start_with_args("web-password-flag", &["--password", "s3cret"]);
    assert_eq!(
        login_as(&s, r#"{"loginName":"sys","password":"manager"}"#).status,
        404
    );
    assert_eq!(
        login_as(&s, r#"{"loginName":"sys","password":"s3cret"}"#).status,
        200
    );
    let s = Server::start_with_env("web-password-env", &[("TIDEGATE_PASSWORD", "from env")]);
    assert_eq!(
        login_as(&s, r#"{"loginName":"sys","password":"from env"}"#).status,
        200
    );
    assert_eq!(
        login_as(&s, r#"{"loginName":"sys","password":"manager"}"#).status,
        404
    );
}

#[test]
fn every_route_but_login_needs_a_valid_bearer_token() {
    let s = fixture("web-tokens");
    let (access, _) = login(&s);
    let path = "/web/api/tables";
    assert_eq!(get_as(&s, path, &access).status, 200);
    // The prefix in any case, as the peer.
    assert_eq!(get_with(&s, path, &format!("bearer {access}")).status, 200);
    assert_eq!(get_with(&s, path, &format!("BEARER {access}")).status, 200);
    assert_eq!(
        refused(&s.get(path)),
        unauthorized("missing authorization header")
    );
    assert_eq!(
        refused(&get_with(&s, path, &format!("Basic {access}"))),
        unauthorized("user not found or wrong password")
    );
    assert_eq!(
        refused(&get_as(&s, path, "garbage")),
        unauthorized("token contains an invalid number of segments")
    );
    assert_eq!(
        refused(&get_as(&s, path, "a.b.c")),
        unauthorized("token is malformed: the header is not base64url JSON")
    );
    // Another token's signature on this token's header and claims.
    let (other, _) = login(&s);
    let (signed, _) = access.rsplit_once('.').unwrap();
    let (_, foreign_signature) = other.rsplit_once('.').unwrap();
    assert_eq!(
        refused(&get_as(&s, path, &format!("{signed}.{foreign_signature}"))),
        unauthorized("signature is invalid")
    );
    // alg none, with or without a signature, and any other algorithm.
    let payload = base64url(claims(now_s() + 600).as_bytes());
    for header in [
        r#"{"alg":"none","typ":"JWT"}"#,
        r#"{"alg":"HS512","typ":"JWT"}"#,
    ] {
        let unsigned = format!("{}.{payload}.", base64url(header.as_bytes()));
        assert_eq!(
            refused(&get_as(&s, path, &unsigned)),
            unauthorized("unexpected signing method"),
            "{header}"
        );
        assert_eq!(
            refused(&get_as(
                &s,
                path,
                &forge(&s, header, &claims(now_s() + 600))
            )),
            unauthorized("unexpected signing method"),
            "{header}"
        );
    }
    // Signed with the right secret: accepted until it expires.
    assert_eq!(
        get_as(&s, path, &forge(&s, HS256, &claims(now_s() + 600))).status,
        200
    );
    let expired = forge(&s, HS256, &claims(now_s() - 120));
    let (status, content_type, body) = refused(&get_as(&s, path, &expired));
    assert_eq!((status, content_type.as_str()), (401, "application/json"));
    assert!(
        body.starts_with(r#"{"reason":"token is expired by 2m"#)
            && body.ends_with(r#"s","success":false}"#),
        "{body}"
    );
    // The query route is behind the token too.
    let q = format!(
        "/web/api/query?q={}&format=csv&timeformat=s",
        enc("select * from example where name = 'temp'")
    );
    assert_eq!(s.get(&q).status, 401);
    let r = get_as(&s, &q, &access);
    assert_eq!(
        (r.status, r.text()),
        (200, "NAME,TIME,VALUE\ntemp,1705291859,3.14\n\n".to_owned())
    );
    let r = s.request(
        "POST",
        "/web/api/query",
        &[
            ("Authorization", &format!("Bearer {access}")),
            ("Content-Type", "application/json"),
        ],
        br#"{"q":"select count(*) from example","format":"csv"}"#,
    );
    assert_eq!((r.status, r.text()), (200, "count(*)\n11\n\n".to_owned()));
}

#[test]
fn relogin_renews_and_logout_forgets() {
    let s = Server::start("web-relogin");
    let (access, refresh) = login(&s);
    let post = |token: &str, path: &str, body: String| {
        s.request(
            "POST",
            path,
            &[
                ("Authorization", &format!("Bearer {token}")),
                ("Content-Type", "application/json"),
            ],
            body.as_bytes(),
        )
    };
    let body = |refresh: &str| format!(r#"{{"refreshToken":"{refresh}"}}"#);
    let r = post(&access, "/web/api/relogin", body(&refresh));
    assert_eq!(r.status, 200, "{}", r.text());
    let (new_access, new_refresh) = tokens(&r);
    assert_eq!(get_as(&s, "/web/api/tables", &new_access).status, 200);
    // An expired access token is enough to ask for a renewal, as the peer allows.
    let expired = forge(&s, HS256, &claims(now_s() - 60));
    assert_eq!(
        post(&expired, "/web/api/relogin", body(&new_refresh)).status,
        200
    );
    assert_eq!(
        refused(&get_as(&s, "/web/api/tables", &expired)).0,
        401,
        "but not for anything else"
    );
    // Only refresh tokens the server issued and still remembers.
    let failed = |r: Response| (r.status, without_elapse(&r.text()));
    let login_failed = |reason: &str| {
        (
            401,
            format!(
                r#"{{"success":false,"accessToken":"","refreshToken":"","reason":"{reason}"}}"#
            ),
        )
    };
    assert_eq!(
        failed(post(&access, "/web/api/relogin", body(&access))),
        login_failed("refresh token not found")
    );
    assert_eq!(
        failed(post(&access, "/web/api/relogin", body("x.y.z"))),
        login_failed("token is malformed: the header is not base64url JSON")
    );
    let r = post(&access, "/web/api/logout", body(&new_refresh));
    assert_eq!(
        (r.status, without_elapse(&r.text())),
        (200, r#"{"success":true,"reason":"success"}"#.to_owned())
    );
    assert_eq!(
        failed(post(&access, "/web/api/relogin", body(&new_refresh))),
        login_failed("refresh token not found")
    );
    // Logout needs a token like every route but login.
    assert_eq!(
        s.post(
            "/web/api/logout",
            "application/json",
            body(&refresh).as_bytes()
        )
        .status,
        401
    );
}

#[test]
fn tokens_survive_a_restart() {
    let s = Server::start("web-restart");
    let (access, _) = login(&s);
    let secret = std::fs::read(s.dir.join("jwt-secret")).unwrap();
    assert_eq!(secret.len(), 32);
    let s = s.restart();
    assert_eq!(std::fs::read(s.dir.join("jwt-secret")).unwrap(), secret);
    assert_eq!(get_as(&s, "/web/api/tables", &access).status, 200);
    // A fresh data directory has its own secret, so the token is worthless there.
    let elsewhere = Server::start("web-restart-elsewhere");
    assert_eq!(
        refused(&get_as(&elsewhere, "/web/api/tables", &access)),
        unauthorized("signature is invalid")
    );
}

const TABLE_COLUMNS: &str = r#"{"columns":["ROWNUM","DB","USER","NAME","TYPE"],"types":["int32","string","string","string","string"],"rows":"#;

fn table_rows(names: &[(&str, &str)]) -> String {
    let rows: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(i, (name, kind))| format!(r#"[{},"MACHBASEDB","SYS","{name}","{kind}"]"#, i + 1))
        .collect();
    format!("{TABLE_COLUMNS}[{}]}}", rows.join(","))
}

#[test]
fn q22_tables() {
    let s = fixture("web-q22");
    let (token, _) = login(&s);
    let tables = |query: &str| listing(&get_as(&s, &format!("/web/api/tables{query}"), &token));
    assert_eq!(
        tables(""),
        ok_listing(&table_rows(&[
            ("EXAMPLE", "Tag Table"),
            ("LOG_DATA", "Log Table"),
            ("foo", "Stream"),
        ]))
    );
    // tidegate's only hidden table is each tag table's tag list.
    assert_eq!(
        tables("?showall=true"),
        ok_listing(&table_rows(&[
            ("EXAMPLE", "Tag Table"),
            ("LOG_DATA", "Log Table"),
            ("_EXAMPLE_META", "Lookup Table (meta)"),
            ("foo", "Stream"),
        ]))
    );
    // The filter is upper-cased: a prefix, or a glob with `*` or `?`.
    assert_eq!(
        tables("?name=ex"),
        ok_listing(&table_rows(&[("EXAMPLE", "Tag Table")]))
    );
    assert_eq!(
        tables("?name=*DATA*"),
        ok_listing(&table_rows(&[("LOG_DATA", "Log Table")]))
    );
    assert_eq!(
        tables("?name=*_meta&showall=1"),
        ok_listing(&table_rows(&[("_EXAMPLE_META", "Lookup Table (meta)")]))
    );
    assert_eq!(tables("?name=_"), ok_listing(&table_rows(&[])));
    assert_eq!(
        tables("?name=F"),
        ok_listing(&table_rows(&[("foo", "Stream")]))
    );
    assert_eq!(
        tables("?name=?OG*"),
        ok_listing(&table_rows(&[("LOG_DATA", "Log Table")]))
    );
}

#[test]
fn q23_tags() {
    let s = fixture("web-q23");
    let (token, _) = login(&s);
    let tags = |path: &str| listing(&get_as(&s, path, &token));
    let rows = |rows: &str| {
        ok_listing(&format!(
            r#"{{"columns":["ROWNUM","NAME"],"types":["int32","string"],"rows":[{rows}]}}"#
        ))
    };
    assert_eq!(
        tags("/web/api/tables/example/tags"),
        rows(r#"[1,"temp"],[2,"test.query"]"#)
    );
    assert_eq!(
        tags("/web/api/tables/EXAMPLE/tags?name=TEST"),
        rows(r#"[1,"test.query"]"#)
    );
    assert_eq!(tags("/web/api/tables/example/tags?name=x"), rows(""));
    assert_eq!(
        tags("/web/api/tables/log_data/tags"),
        failed(400, "table 'LOG_DATA' is not a tag table")
    );
    assert_eq!(
        tags("/web/api/tables/nope/tags"),
        failed(404, "table 'NOPE' does not exist")
    );
}

#[test]
fn q24_tag_stat() {
    let s = fixture("web-q24");
    let (token, _) = login(&s);
    let stat = |path: &str| listing(&get_as(&s, path, &token));
    let columns = r#"{"columns":["ROWNUM","NAME","ROW_COUNT","MIN_TIME","MAX_TIME","MIN_VALUE","MIN_VALUE_TIME","MAX_VALUE","MAX_VALUE_TIME","RECENT_ROW_TIME"],"types":["int32","string","int64","datetime","datetime","double","datetime","double","datetime","datetime"],"rows":"#;
    let row = |row: &str| ok_listing(&format!("{columns}[{row}]}}"));
    assert_eq!(
        stat("/web/api/tables/example/tags/temp/stat"),
        row(
            r#"[1,"temp",1,1705291859000000000,1705291859000000000,3.14,1705291859000000000,3.14,1705291859000000000,1705291859000000000]"#
        )
    );
    assert_eq!(
        stat("/web/api/tables/example/tags/test.query/stat?timeformat=s"),
        row(r#"[1,"test.query",10,1705291860,1705291869,1.5,1705291860,15,1705291869,1705291869]"#)
    );
    assert_eq!(
        stat("/web/api/tables/example/tags/temp/stat?timeformat=Default&tz=Asia/Seoul"),
        row(
            r#"[1,"temp",1,"2024-01-15 13:10:59","2024-01-15 13:10:59",3.14,"2024-01-15 13:10:59",3.14,"2024-01-15 13:10:59","2024-01-15 13:10:59"]"#
        )
    );
    assert_eq!(
        stat("/web/api/tables/example/tags/temp/stat?timeformat=ms&tz=UTC"),
        row(
            r#"[1,"temp",1,1705291859000,1705291859000,3.14,1705291859000,3.14,1705291859000,1705291859000]"#
        )
    );
    // Tag names are exact, as the peer's.
    assert_eq!(
        stat("/web/api/tables/example/tags/TEMP/stat"),
        failed(404, "tag 'TEMP' does not exist in table 'EXAMPLE'")
    );
    assert_eq!(
        stat("/web/api/tables/log_data/tags/temp/stat"),
        failed(400, "table 'LOG_DATA' is not a tag table")
    );
    let r = get_as(
        &s,
        "/web/api/tables/example/tags/temp/stat?tz=Nowhere/Land",
        &token,
    );
    assert_eq!(
        (r.status, r.text()),
        (
            400,
            r#"{"error":"unknown time zone Nowhere/Land"}"#.to_owned()
        )
    );
}
