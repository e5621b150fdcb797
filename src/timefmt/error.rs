//! Errors of timefmt. Every message is the peer's, word for word (reference §2.2-2.4),
//! because Machbase puts them in its `reason` and clients match on them; where tidegate
//! refuses something the peer accepts, the message says so in its own words.
//!
//! Invariants:
//! - Text from the request is quoted as Go's `time` package quotes it (`GoQuoted`): bytes
//!   below 0x20 and above 0x7f print as `\xNN`, so a stray control byte cannot garble a reply.
//! - Value and layout elements are kept as offsets into the text they came from, so an error
//!   costs two copies of the input at most.

use std::fmt;
use std::ops::Range;

use super::duration::DurationError;

/// Go's `time.quote`: `"` and `\` escaped with `\`; bytes below space and every byte of a
/// non-ASCII character as `\xNN`.
pub struct GoQuoted<'a>(pub &'a [u8]);

impl fmt::Display for GoQuoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        f.write_str("\"")?;
        for &b in self.0 {
            if !(b' '..0x80).contains(&b) {
                let hi = char::from(HEX.get(usize::from(b >> 4)).copied().unwrap_or(b'0'));
                let lo = char::from(HEX.get(usize::from(b & 15)).copied().unwrap_or(b'0'));
                write!(f, "\\x{hi}{lo}")?;
            } else {
                if b == b'"' || b == b'\\' {
                    f.write_str("\\")?;
                }
                write!(f, "{}", char::from(b))?;
            }
        }
        f.write_str("\"")
    }
}

/// Go's `*time.ParseError`: the whole value and layout, and what failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub(super) layout: Box<str>,
    pub(super) value: Box<str>,
    pub(super) kind: ParseErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ParseErrorKind {
    /// `: cannot parse "<value[at..]>" as "<layout[elem]>"`
    CannotParse { at: usize, elem: Range<usize> },
    /// `: extra text: "<value[at..]>"`
    ExtraText { at: usize },
    /// `: <what>`, e.g. `month out of range`, `day-of-year does not match day`.
    Message(&'static str),
    /// Go takes years 0-9999; tidegate stores i64 ns. Not a peer message.
    OutsideStoredRange,
}

impl ParseError {
    pub(super) fn new(layout: &str, value: &str, kind: ParseErrorKind) -> ParseError {
        ParseError {
            layout: layout.into(),
            value: value.into(),
            kind,
        }
    }

    /// The text that failed, as given.
    pub fn value(&self) -> &str {
        &self.value
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.value.as_bytes();
        let tail = |at: usize| value.get(at..).unwrap_or_default();
        write!(f, "parsing time {}", GoQuoted(value))?;
        match &self.kind {
            ParseErrorKind::CannotParse { at, elem } => write!(
                f,
                " as {}: cannot parse {} as {}",
                GoQuoted(self.layout.as_bytes()),
                GoQuoted(tail(*at)),
                GoQuoted(self.layout.as_bytes().get(elem.clone()).unwrap_or_default())
            ),
            ParseErrorKind::ExtraText { at } => write!(f, ": extra text: {}", GoQuoted(tail(*at))),
            ParseErrorKind::Message(what) => write!(f, ": {what}"),
            ParseErrorKind::OutsideStoredRange => write!(
                f,
                " as {}: time is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)",
                GoQuoted(self.layout.as_bytes())
            ),
        }
    }
}

/// A time text that cannot be read. Display is the peer's message (reference §2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeError {
    /// A Go layout refused the text: Go's `time.ParseInLocation` error, as `Layout::parse`
    /// returns it.
    Layout(ParseError),
    /// The same inside Machbase's `ParseTime`:
    /// `incompatible conv '<text>' (string) to time.Time, <Go's error>`.
    Incompatible(ParseError),
    /// `now` followed by neither `+` nor `-`, or an empty `timeformat`:
    /// `incompatible conv '<text>' (string) to time.Time`.
    NotATime { text: Box<str> },
    /// `now ± <duration>` with a bad duration: `incompatible conv '<text>', <duration error>`.
    NowDuration {
        text: Box<str>,
        cause: DurationError,
    },
    /// An epoch value that is no number:
    /// `unable parse time in timeformat, incompatible conv '<text>' (string) to int64`.
    EpochNotNumber { text: Box<str> },
    /// A time past what i64 ns holds (the peer wraps silently; tidegate refuses).
    OutsideStoredRange { text: Box<str> },
}

impl TimeError {
    pub(super) fn not_a_time(text: &str) -> TimeError {
        TimeError::NotATime { text: text.into() }
    }
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TimeError::Layout(e) => write!(f, "{e}"),
            TimeError::Incompatible(e) => write!(
                f,
                "incompatible conv '{}' (string) to time.Time, {e}",
                e.value()
            ),
            TimeError::NotATime { text } => {
                write!(f, "incompatible conv '{text}' (string) to time.Time")
            }
            TimeError::NowDuration { text, cause } => {
                write!(f, "incompatible conv '{text}', {cause}")
            }
            TimeError::EpochNotNumber { text } => write!(
                f,
                "unable parse time in timeformat, incompatible conv '{text}' (string) to int64"
            ),
            TimeError::OutsideStoredRange { text } => write!(
                f,
                "time '{text}' is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"
            ),
        }
    }
}

impl std::error::Error for TimeError {}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(s: &[u8]) -> String {
        GoQuoted(s).to_string()
    }

    #[test]
    fn quotes_like_go_time_quote() {
        // Go's TestQuote (issue 45391).
        assert_eq!(quoted(br#"""#), r#""\"""#);
        assert_eq!(quoted(br#"abc"xyz""#), r#""abc\"xyz\"""#);
        assert_eq!(quoted(b""), r#""""#);
        assert_eq!(quoted(b"abc"), r#""abc""#);
        assert_eq!(quoted("☺".as_bytes()), r#""\xe2\x98\xba""#);
        assert_eq!(
            quoted("☺ hello ☺ hello".as_bytes()),
            r#""\xe2\x98\xba hello \xe2\x98\xba hello""#
        );
        assert_eq!(quoted(b"\x04"), r#""\x04""#);
        assert_eq!(quoted(b"a\\b"), r#""a\\b""#);
    }
}
