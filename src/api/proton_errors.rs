//! Proton's exceptions: which code, name and message a tidegate error becomes, and which HTTP
//! status a code answers with. Both the ClickHouse-style interface (plain text) and the REST
//! endpoints (JSON) print from here, so a code never answers two different statuses.
//!
//! Invariant: every Proton status is decided by [`status_of`] (reference §1.5's table, plus
//! code 202, which tidegate answers 503). The ClickHouse-style handler differs from it only for
//! authentication codes, which tidegate never raises.

use crate::ingest::{InflateError, IngestError, IngestErrorKind};
use crate::server::http::BodyErrorKind;
use crate::sql::{ParseErrorKind, QueryError};
use crate::store::StoreError;

/// A Proton exception: `Code: {code}. DB::Exception: {message}. ({name})`.
pub struct Exception {
    pub code: u32,
    pub name: &'static str,
    pub message: String,
    /// A status other than `status_of(code)`, for tidegate's deliberate differences (each
    /// names its README compatibility row where it is set).
    pub status: Option<u16>,
}

impl Exception {
    pub fn new(code: u32, name: &'static str, message: impl Into<String>) -> Exception {
        Exception {
            code,
            name,
            message: message.into(),
            status: None,
        }
    }

    pub fn with_status(mut self, status: u16) -> Exception {
        self.status = Some(status);
        self
    }

    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| status_of(self.code))
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

/// The exception a ClickHouse-interface `INSERT … FORMAT` into `stream` fails with. Texts
/// name the row (`(at row N)`, as ClickHouse's parsers do) and, when earlier batches were
/// committed, how many rows were stored before it.
pub fn ingest_exception(e: &IngestError, stream: &str) -> Exception {
    let at_row = if e.row > 0 {
        format!(": (at row {})", e.row)
    } else {
        String::new()
    };
    let mut x = match &e.kind {
        // Proton answers 500 for these; tidegate answers 400 so that retrying clients stop
        // (README compatibility table, "Proton ingest, unknown column").
        IngestErrorKind::UnknownColumn(c) => Exception::new(
            16,
            "NO_SUCH_COLUMN_IN_TABLE",
            format!("No such column {c} in stream default.{stream}"),
        )
        .with_status(400),
        IngestErrorKind::DuplicateColumn(c) => Exception::new(
            15,
            "DUPLICATE_COLUMN",
            format!("Column {c} specified more than once"),
        )
        .with_status(400),
        IngestErrorKind::RowWidth { got, expected } => Exception::new(
            27,
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            format!(
                "Cannot parse input: a row has {got} values, but {expected} columns are inserted{at_row}"
            ),
        ),
        IngestErrorKind::Convert { column, detail, .. } => Exception::new(
            27,
            "CANNOT_PARSE_INPUT_ASSERTION_FAILED",
            format!("Cannot parse input: column {column}: {detail}{at_row}"),
        ),
        IngestErrorKind::Inflate(
            InflateError::TooLarge { .. } | InflateError::RatioTooHigh { .. },
        ) => Exception::new(229, "QUERY_IS_TOO_LARGE", e.kind.to_string()),
        IngestErrorKind::Inflate(i) => {
            Exception::new(354, "CANNOT_DECOMPRESS", i.to_string()).with_status(400)
        }
        IngestErrorKind::Body(b) => match b.kind {
            BodyErrorKind::TooLarge { .. } => {
                Exception::new(229, "QUERY_IS_TOO_LARGE", b.to_string())
            }
            _ => Exception::new(33, "CANNOT_READ_ALL_DATA", b.to_string()).with_status(400),
        },
        IngestErrorKind::Store(s @ (StoreError::Poisoned | StoreError::Closed)) => {
            Exception::new(76, "CANNOT_OPEN_FILE", s.to_string())
        }
        IngestErrorKind::Store(s) => Exception::new(1000, "STORAGE_ERROR", s.to_string()),
        IngestErrorKind::Native(n) => {
            use crate::ingest::NativeErrorKind as K;
            match &n.kind {
                K::UnknownType(_) => Exception::new(50, "UNKNOWN_TYPE", n.to_string()),
                K::BlockTooLarge | K::TooManyRows(_) => {
                    Exception::new(229, "QUERY_IS_TOO_LARGE", n.to_string())
                }
                K::Truncated => {
                    Exception::new(33, "CANNOT_READ_ALL_DATA", n.to_string()).with_status(400)
                }
                _ => Exception::new(117, "INCORRECT_DATA", n.to_string()),
            }
        }
        IngestErrorKind::RowBinary(r) => match r.kind {
            crate::ingest::RowBinaryErrorKind::Truncated => {
                Exception::new(33, "CANNOT_READ_ALL_DATA", r.to_string()).with_status(400)
            }
            _ => Exception::new(117, "INCORRECT_DATA", r.to_string()),
        },
        IngestErrorKind::Shape(_)
        | IngestErrorKind::NoKnownKey
        | IngestErrorKind::Csv(_)
        | IngestErrorKind::Tsv(_)
        | IngestErrorKind::Batch(_) => Exception::new(
            117,
            "INCORRECT_DATA",
            format!("Cannot parse input: {}{at_row}", e.kind),
        ),
    };
    if e.rows_stored > 0 {
        x.message
            .push_str(&format!("; {} rows were stored before it", e.rows_stored));
    }
    x
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
