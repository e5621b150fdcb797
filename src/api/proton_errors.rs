//! Proton's exceptions: which code, name and message a tidegate error becomes, and which HTTP
//! status a code answers with. Both the ClickHouse-style interface (plain text) and the REST
//! endpoints (JSON) print from here, so a code never answers two different statuses.
//!
//! Invariant: every Proton status is decided by [`status_of`] (reference §1.5's table, plus
//! code 202, which tidegate answers 503). The ClickHouse-style handler differs from it only for
//! authentication codes, which tidegate never raises.

use crate::sql::{ParseErrorKind, QueryError};
use crate::store::StoreError;

/// A Proton exception: `Code: {code}. DB::Exception: {message}. ({name})`.
pub struct Exception {
    pub code: u32,
    pub name: &'static str,
    pub message: String,
}

impl Exception {
    pub fn new(code: u32, name: &'static str, message: impl Into<String>) -> Exception {
        Exception {
            code,
            name,
            message: message.into(),
        }
    }

    pub fn status(&self) -> u16 {
        status_of(self.code)
    }

    /// The text ClickHouse's `getExceptionMessage` prints, without the server version.
    pub fn text(&self) -> String {
        format!(
            "Code: {}. DB::Exception: {}. ({})",
            self.code, self.message, self.name
        )
    }
}

/// `exceptionCodeToHTTPStatus` of Proton's REST handler (reference §1.5).
pub fn status_of(code: u32) -> u16 {
    match code {
        192..=194 => 401,
        6 | 25 | 26 | 38 | 41 | 72 | 27 | 37 | 123 | 167 | 168 | 223 | 62 | 117 | 53 => 400,
        60 | 46 | 47 | 50 | 56 | 81 | 115 | 152 | 63 | 73 | 336 | 78 => 404,
        229 => 413,
        48 => 501,
        209 | 76 => 503,
        // Proton's table would answer 500, which clients retry at once or never; tidegate
        // raises 202 only when every connection is busy, where 503 with `Retry-After` tells a
        // client to back off and come back (README compatibility table, "Every connection in
        // a request").
        202 => 503,
        381 => 411,
        _ => 500,
    }
}

/// Every connection is in the middle of a request (`--max-connections`): the nearest of
/// Proton's codes.
pub fn busy(reason: &str) -> Exception {
    Exception::new(202, "TOO_MANY_SIMULTANEOUS_QUERIES", reason)
}

/// The exception Proton raises for the same failure. Messages keep Proton's wording where
/// clients match on it (`Stream default.x doesn't exist`, reference §1.5).
pub fn query_exception(e: &QueryError) -> Exception {
    match e {
        QueryError::Syntax(p) => match p.kind {
            ParseErrorKind::Syntax => Exception::new(62, "SYNTAX_ERROR", p.to_string()),
            ParseErrorKind::TooDeep => Exception::new(167, "TOO_DEEP_AST", p.to_string()),
        },
        QueryError::BadName { .. } => Exception::new(62, "SYNTAX_ERROR", e.to_string()),
        QueryError::UnknownTable(t) => Exception::new(
            60,
            "UNKNOWN_STREAM",
            format!("Stream default.{t} doesn't exist"),
        ),
        QueryError::UnknownColumn { column, table } => Exception::new(
            47,
            "UNKNOWN_IDENTIFIER",
            format!("Missing column: '{column}' in stream {table}"),
        ),
        QueryError::TableExists(t) => Exception::new(
            57,
            "STREAM_ALREADY_EXISTS",
            format!("Stream default.{t} already exists"),
        ),
        QueryError::Unsupported(m) => Exception::new(48, "NOT_IMPLEMENTED", m.clone()),
        QueryError::BadDefinition(m) | QueryError::BadValue(m) => {
            Exception::new(36, "BAD_ARGUMENTS", m.clone())
        }
        QueryError::Limit(m) => Exception::new(396, "TOO_MANY_ROWS_OR_BYTES", m.clone()),
        QueryError::Store(StoreError::Poisoned | StoreError::Closed) => {
            Exception::new(76, "CANNOT_OPEN_FILE", e.to_string())
        }
        QueryError::Store(s) => Exception::new(1000, "STORAGE_ERROR", s.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_protons_table() {
        for (code, status) in [
            (62, 400),
            (117, 400),
            (60, 404),
            (47, 404),
            (73, 404),
            (78, 404),
            (229, 413),
            (48, 501),
            (76, 503),
            (202, 503),
            (16, 500),
            (57, 500),
            (1000, 500),
        ] {
            assert_eq!(status_of(code), status, "code {code}");
        }
    }
}
