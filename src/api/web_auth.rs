//! Logging in to Machbase Neo's UI API (`/web/api/...`), as the peer's `mods/server/http.go`
//! does it: `POST /web/api/login` trades `{"loginName","password"}` for an HS256 access token
//! (5 minutes) and a refresh token (1 hour); `POST /web/api/relogin` trades a remembered
//! refresh token for a new pair; `POST /web/api/logout` forgets one. Every other UI route
//! needs `Authorization: Bearer <access token>` (`authorize`). Replies keep the peer's shapes,
//! statuses and texts (`LoginRsp`, `handleJwtToken`), because the peer's UI and scripts read
//! them.
//!
//! The one user is `sys` (any case, as Machbase user names); its password is `--password`
//! (`manager` by default).
//!
//! Why the signing secret is random per data directory and kept in it (`jwt-secret`, 32
//! bytes from the kernel's generator, mode 0600): the peer signs with a constant compiled
//! into every copy (`__secr3t__`), so anyone can forge its tokens; a per-process secret would
//! log every UI out at each restart of a gateway. Kept beside the data, tokens outlive a
//! restart and are worthless on any other gateway. Deleting the file logs everyone out.
//!
//! Invariants: at most `REFRESH_TOKENS_MAX` refresh tokens are remembered; tokens are only
//! ever checked by `jwt::verify` (HS256 alone, signature before claims); the password is
//! compared in constant time.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::Instant;

use crate::app::App;
use crate::json_value::{self, JsonValue};
use crate::jwt::{self, Claims, JwtError};
use crate::limits::{
    ACCESS_TOKEN_TTL_S, CONTROL_BODY_BYTES_MAX, REFRESH_TOKEN_TTL_S, REFRESH_TOKENS_MAX,
};
use crate::output::json_string;
use crate::server::http::{BodyErrorKind, parse_form};
use crate::server::{Request, Response};
use crate::timefmt;

/// The secret's file in the data directory.
pub const SECRET_FILE: &str = "jwt-secret";
const SECRET_BYTES: usize = 32;
/// The only user, as Machbase names its administrator.
const USER: &str = "sys";
/// The issuer the peer writes into its tokens.
const ISSUER: &str = "machbase-neo";

pub struct WebAuth {
    secret: [u8; SECRET_BYTES],
    password: String,
    /// Refresh tokens that `/web/api/relogin` accepts, by token id: the token and its expiry.
    refresh: Mutex<HashMap<String, (String, i64)>>,
}

impl WebAuth {
    /// Reads the data directory's secret, making one on first start.
    pub fn open(data_dir: &Path, password: String) -> Result<WebAuth, String> {
        Ok(WebAuth {
            secret: load_or_create_secret(data_dir)?,
            password,
            refresh: Mutex::new(HashMap::new()),
        })
    }

    fn password_matches(&self, given: &str) -> bool {
        // Equal-length MACs compared without an early exit: the time taken says nothing
        // about the password, not even its length.
        let want = jwt::hmac_sha256(&self.secret, self.password.as_bytes());
        let got = jwt::hmac_sha256(&self.secret, given.as_bytes());
        want.iter().zip(got).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
    }

    /// A new access token and refresh token for `subject`; the refresh token is remembered.
    fn issue(&self, subject: &str) -> (String, String) {
        let now_s = timefmt::now_ns().div_euclid(1_000_000_000);
        let claims = |ttl_s: i64| Claims {
            issuer: ISSUER.into(),
            subject: subject.into(),
            expires_at_s: now_s + ttl_s,
            not_before_s: now_s,
            issued_at_s: now_s,
            id: super::uuid_v4(),
        };
        let access = jwt::sign(&claims(ACCESS_TOKEN_TTL_S), &self.secret);
        let refresh_claims = claims(REFRESH_TOKEN_TTL_S);
        let refresh = jwt::sign(&refresh_claims, &self.secret);
        let mut remembered = self.refresh.lock().unwrap_or_else(|p| p.into_inner());
        if remembered.len() >= REFRESH_TOKENS_MAX {
            remembered.retain(|_, (_, exp)| *exp > now_s);
        }
        while remembered.len() >= REFRESH_TOKENS_MAX {
            let Some(oldest) = remembered
                .iter()
                .min_by_key(|(_, (_, exp))| *exp)
                .map(|(id, _)| id.clone())
            else {
                break;
            };
            remembered.remove(&oldest);
        }
        remembered.insert(
            refresh_claims.id,
            (refresh.clone(), refresh_claims.expires_at_s),
        );
        (access, refresh)
    }

    fn verify(&self, token: &str) -> Result<Claims, JwtError> {
        jwt::verify(token, &self.secret, timefmt::now_ns())
    }
}

fn load_or_create_secret(dir: &Path) -> Result<[u8; SECRET_BYTES], String> {
    let path = dir.join(SECRET_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => <[u8; SECRET_BYTES]>::try_from(bytes.as_slice()).map_err(|_| {
            format!(
                "{} holds {} bytes, not {SECRET_BYTES}: delete it to make a new secret (tokens issued before stop working)",
                path.display(),
                bytes.len()
            )
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = [0u8; SECRET_BYTES];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| f.read_exact(&mut secret))
                .map_err(|e| format!("cannot read /dev/urandom for the token secret: {e}"))?;
            write_secret(dir, &secret)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            Ok(secret)
        }
        Err(e) => Err(format!("cannot read {}: {e}", path.display())),
    }
}

/// Writes the secret whole or not at all: a temporary file, fsynced, renamed, directory
/// fsynced, so a crash never leaves a short secret behind.
fn write_secret(dir: &Path, secret: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let temporary = dir.join(format!("{SECRET_FILE}.tmp"));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&temporary)?;
    file.write_all(secret)?;
    file.sync_all()?;
    std::fs::rename(&temporary, dir.join(SECRET_FILE))?;
    std::fs::File::open(dir)?.sync_all()
}

/// The peer's `LoginRsp` (key order `success, accessToken, refreshToken, reason, elapse`,
/// `server` only on success), through gin's `ctx.JSON`.
fn login_reply(
    status: u16,
    tokens: Option<(String, String)>,
    reason: &str,
    started: Instant,
) -> Response {
    let (access, refresh) = tokens.clone().unwrap_or_default();
    let mut body = Vec::with_capacity(160 + access.len() + refresh.len());
    body.extend_from_slice(if tokens.is_some() {
        b"{\"success\":true,\"accessToken\":"
    } else {
        b"{\"success\":false,\"accessToken\":"
    });
    json_string(&access, true, &mut body);
    body.extend_from_slice(b",\"refreshToken\":");
    json_string(&refresh, true, &mut body);
    body.extend_from_slice(b",\"reason\":");
    json_string(reason, true, &mut body);
    body.extend_from_slice(b",\"elapse\":");
    json_string(
        &timefmt::go_duration(started.elapsed().as_nanos() as u64),
        true,
        &mut body,
    );
    if tokens.is_some() {
        body.extend_from_slice(b",\"server\":{\"version\":");
        json_string(
            concat!("v", env!("CARGO_PKG_VERSION"), " (tidegate)"),
            true,
            &mut body,
        );
        body.push(b'}');
    }
    body.push(b'}');
    Response::json(status, body)
}

/// Reads the named string members of a JSON or form body, as gin's `ctx.Bind` into the
/// peer's request struct (`struct_name`) would: JSON names match exactly, else ignoring
/// case; a member of another type is Go's type error. An empty body is Go's `EOF`.
async fn read_fields<const N: usize>(
    request: &mut Request,
    struct_name: &str,
    names: [&str; N],
) -> Result<[String; N], (u16, String)> {
    let body = request
        .body
        .read_to_vec(CONTROL_BODY_BYTES_MAX, "control_body_bytes_max")
        .await
        .map_err(|e| {
            let status = match e.kind {
                BodyErrorKind::TooLarge { .. } => 413,
                BodyErrorKind::TimedOut => 408,
                _ => 400,
            };
            (status, e.to_string())
        })?;
    let mut fields: [String; N] = std::array::from_fn(|_| String::new());
    if request.content_type() == "application/x-www-form-urlencoded" {
        let pairs = parse_form(&String::from_utf8_lossy(&body));
        for (field, name) in fields.iter_mut().zip(names) {
            if let Some((_, v)) = pairs.iter().find(|(k, _)| k == name) {
                field.clone_from(v);
            }
        }
        return Ok(fields);
    }
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err((400, "EOF".into()));
    }
    let members = match json_value::parse(&body) {
        Ok(JsonValue::Object(members)) => members,
        Ok(JsonValue::Null) => Vec::new(),
        Ok(other) => {
            return Err((
                400,
                format!(
                    "json: cannot unmarshal {} into Go value of type server.{struct_name}",
                    json_kind(&other)
                ),
            ));
        }
        Err(e) => return Err((400, e.to_string())),
    };
    for (field, name) in fields.iter_mut().zip(names) {
        let found = members
            .iter()
            .find(|(k, _)| k == name)
            .or_else(|| members.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)));
        match found.map(|(_, v)| v) {
            None | Some(JsonValue::Null) => {}
            Some(JsonValue::String(s)) => field.clone_from(s),
            Some(other) => {
                return Err((
                    400,
                    format!(
                        "json: cannot unmarshal {} into Go struct field {struct_name}.{name} of type string",
                        json_kind(other)
                    ),
                ));
            }
        }
    }
    Ok(fields)
}

fn json_kind(v: &JsonValue) -> &'static str {
    match v {
        JsonValue::Null => "null",
        JsonValue::Bool(_) => "bool",
        JsonValue::Number(_) => "number",
        JsonValue::String(_) => "string",
        JsonValue::Array(_) => "array",
        JsonValue::Object(_) => "object",
    }
}

/// `POST /web/api/login`.
pub async fn login(app: &App, request: &mut Request, started: Instant) -> Response {
    let [login_name, password] =
        match read_fields(request, "LoginReq", ["loginName", "password"]).await {
            Ok(f) => f,
            Err((status, reason)) => return login_reply(status, None, &reason, started),
        };
    if login_name.is_empty() {
        return login_reply(400, None, "missing required loginName field", started);
    }
    if !login_name.eq_ignore_ascii_case(USER) || !app.web_auth.password_matches(&password) {
        // The peer's status and text (`UserAuth`): 404, `invalid username or password`.
        return login_reply(404, None, "invalid username or password", started);
    }
    let tokens = app.web_auth.issue(&login_name);
    login_reply(200, Some(tokens), "success", started)
}

/// `POST /web/api/relogin`: a new pair for a refresh token that was issued and not forgotten.
pub async fn relogin(app: &App, request: &mut Request, started: Instant) -> Response {
    let [refresh] = match read_fields(request, "ReLoginReq", ["refreshToken"]).await {
        Ok(f) => f,
        Err((status, reason)) => return login_reply(status, None, &reason, started),
    };
    let claims = match app.web_auth.verify(&refresh) {
        Ok(c) => c,
        Err(e) => return login_reply(401, None, &e.to_string(), started),
    };
    let stored = {
        let remembered = app
            .web_auth
            .refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        remembered
            .get(&claims.id)
            .map(|(token, _)| *token == refresh)
    };
    match stored {
        None => login_reply(401, None, "refresh token not found", started),
        Some(false) => login_reply(401, None, "invalid refresh token", started),
        Some(true) => {
            let tokens = app.web_auth.issue(&claims.subject);
            login_reply(200, Some(tokens), "success", started)
        }
    }
}

/// `POST /web/api/logout`: forgets the refresh token if it is one of ours; always succeeds.
pub async fn logout(app: &App, request: &mut Request, started: Instant) -> Response {
    let [refresh] = match read_fields(request, "LogoutReq", ["refreshToken"]).await {
        Ok(f) => f,
        Err((status, reason)) => return super::machbase::fail(status, &reason, started),
    };
    if let Ok(claims) = app.web_auth.verify(&refresh) {
        app.web_auth
            .refresh
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&claims.id);
    }
    super::machbase::reply_success(started)
}

/// The peer's `handleJwtToken`: a valid `Authorization: Bearer <token>` (prefix in any case),
/// else its 401. On `/web/api/relogin` an expired token is enough, so a client can renew.
pub fn authorize(app: &App, request: &Request, relogin: bool) -> Result<(), Response> {
    let mut headers = request
        .headers
        .iter()
        .filter(|(n, _)| n.eq_ignore_ascii_case("authorization"))
        .map(|(_, v)| v.as_str())
        .peekable();
    if headers.peek().is_none() {
        return Err(unauthorized("missing authorization header"));
    }
    for value in headers {
        let Some(token) = value
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("bearer "))
            .and_then(|_| value.get(7..))
        else {
            continue;
        };
        return match app.web_auth.verify(token) {
            Ok(_) => Ok(()),
            Err(JwtError::Expired(_)) if relogin => Ok(()),
            Err(e) => Err(unauthorized(&e.to_string())),
        };
    }
    Err(unauthorized("user not found or wrong password"))
}

/// gin's `AsciiJSON` of `{"success":false,"reason":…}`: a Go map, so keys sorted; every
/// non-ASCII character escaped; content type without charset.
fn unauthorized(reason: &str) -> Response {
    let mut quoted = Vec::with_capacity(reason.len() + 2);
    json_string(reason, true, &mut quoted);
    let mut body = String::with_capacity(quoted.len() + 32);
    body.push_str("{\"reason\":");
    for c in String::from_utf8_lossy(&quoted).chars() {
        if c.is_ascii() {
            body.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                body.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    body.push_str(",\"success\":false}");
    Response::new(401, "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unauthorized_is_gins_ascii_json() {
        let r = unauthorized("token is expired by 1.5µs");
        assert_eq!(r.status, 401);
        match r.body {
            crate::server::ResponseBody::Bytes(b) => assert_eq!(
                String::from_utf8(b).unwrap(),
                r#"{"reason":"token is expired by 1.5\u00b5s","success":false}"#
            ),
            _ => panic!("a whole body"),
        }
    }

    fn temp_dir(tag: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("tidegate-webauth-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn secret_is_made_once_and_kept() {
        let dir = temp_dir("secret");
        let first = load_or_create_secret(&dir).unwrap();
        assert_eq!(load_or_create_secret(&dir).unwrap(), first);
        assert_ne!(first, [0u8; SECRET_BYTES]);
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(SECRET_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(dir.join(SECRET_FILE), b"short").unwrap();
        assert!(
            load_or_create_secret(&dir)
                .unwrap_err()
                .contains("holds 5 bytes, not 32")
        );
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn refresh_tokens_are_bounded() {
        let dir = temp_dir("bounded");
        let auth = WebAuth::open(&dir, "manager".into()).unwrap();
        assert!(auth.password_matches("manager"));
        assert!(!auth.password_matches("Manager"));
        assert!(!auth.password_matches(""));
        for _ in 0..REFRESH_TOKENS_MAX + 10 {
            auth.issue("sys");
        }
        assert_eq!(auth.refresh.lock().unwrap().len(), REFRESH_TOKENS_MAX);
        let (access, refresh) = auth.issue("sys");
        assert_eq!(auth.verify(&access).unwrap().subject, "sys");
        let id = auth.verify(&refresh).unwrap().id;
        assert!(auth.refresh.lock().unwrap().contains_key(&id));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
