//! The HTTP endpoints: one router for every listener, one file per dialect.
//!
//! Peer paths, parameter names and messages are kept as the peers have them, because clients
//! match on them; every deliberate difference names its README compatibility row. Each file
//! turns its errors into responses in one function, so no error escapes as a dropped
//! connection.

mod admin;
mod clickhouse;
mod clickhouse_insert;
mod clickhouse_reply;
mod machbase;
mod machbase_web;
mod proton;
mod proton_ddl;
mod proton_errors;
mod proton_json;
mod proton_search;
mod query_request;
mod web_auth;

pub use web_auth::WebAuth;

use std::time::Instant;

use crate::app::App;
use crate::server::{Body, Request, Response};

pub async fn route(app: &App, mut request: Request) -> (Response, Body) {
    let started = Instant::now();
    let response = dispatch(app, &mut request, started).await;
    (response, request.body)
}

async fn dispatch(app: &App, request: &mut Request, started: Instant) -> Response {
    let path = request.path.clone();
    let method = request.method.clone();
    match (method.as_str(), path.as_str()) {
        ("GET" | "HEAD", "/healthz") => admin::healthz(),
        ("GET" | "HEAD", "/ping") => clickhouse::ping(),
        (_, "/db/query") => machbase::query(app, request, started).await,
        (_, p) if p.starts_with("/web/api/") => machbase_web::route(app, request, started).await,
        (_, p) if p == "/db/write" || p.starts_with("/db/write/") => {
            let table = p.strip_prefix("/db/write/").unwrap_or("").to_owned();
            machbase::write(app, request, &table, started).await
        }
        (_, p) if p.starts_with("/proton/") || p.starts_with("/timeplusd/") => {
            proton::route(app, request).await
        }
        ("GET" | "POST", "/") => clickhouse::query(app, request, started).await,
        _ => Response::text(404, format!("no route for {method} {path}\n")),
    }
}

/// The reply to a request refused because every connection is in the middle of a request
/// (`--max-connections`; see `server::BusyReply`), in the dialect its path names, from its
/// head alone. Proton's shapes carry code 202 `TOO_MANY_SIMULTANEOUS_QUERIES`.
pub fn busy(request: &Request, reason: &str) -> Response {
    let path = request.path.as_str();
    if path.starts_with("/db/") || path.starts_with("/web/api/") {
        machbase::fail(503, reason, Instant::now())
    } else if path.starts_with("/proton/") || path.starts_with("/timeplusd/") {
        proton::exception_reply(&proton_errors::busy(reason), &proton::request_id(request))
    } else if path == "/" || path == "/ping" {
        clickhouse::exception_reply(&proton_errors::busy(reason))
    } else {
        Response::text(503, format!("{reason}\n"))
    }
}

/// A random UUID v4 in text form, for Proton request ids. Uses std's per-process random hash
/// keys, so no random-number crate is needed.
pub fn uuid_v4() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut words = [0u64; 2];
    for w in &mut words {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
        h.write_i64(crate::timefmt::now_ns());
        *w = h.finish();
    }
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&words[0].to_be_bytes());
    b[8..].copy_from_slice(&words[1].to_be_bytes());
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn uuids_are_v4_and_distinct() {
        let a = super::uuid_v4();
        let b = super::uuid_v4();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
    }
}
