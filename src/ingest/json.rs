//! A resumable, streaming JSON tokenizer for the ingest path.
//!
//! Modelled on csv-core's reader: bytes go in, counts come out, and every bit
//! of resume state lives in the explicit `State` enum plus a few counters.
//! A chunk boundary anywhere (inside a string, an escape, a `\u` escape, a
//! number, a literal such as `true`, or between tokens) therefore makes no
//! difference to the result. The tokenizer is synchronous and knows nothing of
//! async or I/O; the caller owns the read loop.
//!
//! # What it owns
//!
//! * the grammar state (what may come next) and the container stack, kept as a
//!   bit stack in one `u64` (1 = object, 0 = array), so nesting is bounded by
//!   [`DEPTH_MAX`] and never allocates;
//! * one reusable `Vec<u8>` holding the text of the current key, string or
//!   number. It is the only buffer, it never grows past `text_bytes_max`, and
//!   it keeps its capacity across tokens and [`Tokenizer::reset`], so steady
//!   state tokenizing does not allocate;
//! * position counters (byte offset and line) for error messages.
//!
//! # Invariants
//!
//! * `depth <= DEPTH_MAX` and bit `k` of `stack` describes the container at
//!   depth `depth - k`; bits at or above `depth` are zero.
//! * `text.len() <= text_bytes_max` at all times.
//! * After a [`Token::Key`] or [`Token::String`] the text is valid UTF-8 with
//!   escapes resolved; after a [`Token::Number`] it is the raw ASCII literal.
//!   For any other token the text is left over from an earlier token and
//!   means nothing.
//! * `pos` is the position of the next byte the caller has not yet handed
//!   over (or handed over but had reported as unconsumed).
//! * Once `next` has returned an error, every later call returns that same
//!   error until [`Tokenizer::reset`].
//!
//! # Driving it
//!
//! ```text
//! let mut tok = Tokenizer::new();
//! for chunk in body_chunks {            // each chunk non-empty
//!     let mut rest = &chunk[..];
//!     while !rest.is_empty() {
//!         let (step, consumed) = tok.next(rest)?;
//!         rest = &rest[consumed..];
//!         if let Step::Token(t) = step { /* use t, tok.text() */ }
//!     }                                 // NeedInput consumed everything
//! }
//! loop {                                // end of body
//!     match tok.next(&[])? {
//!         (Step::Token(t), _) => { /* a number that ended the body */ }
//!         (Step::End, _) => break,
//!         (Step::NeedInput, _) => unreachable,
//!     }
//! }
//! ```
//!
//! Never pass an empty slice before the body has ended: it means end of
//! body.
//!
//! # Performance
//!
//! This is the hot ingest path. Runs of plain string bytes and of digits are
//! found eight bytes at a time (SWAR on a `u64`) and copied as one slice;
//! the per-byte state machine only runs for quotes, escapes, control bytes,
//! number punctuation and chunk ends. All-ASCII strings skip UTF-8
//! validation; other strings are validated with `std::str::from_utf8` on the
//! accumulated text, which sees a character split across chunks whole.
//!
//! # Termination
//!
//! An empty `input` means end of body. Only then can a number that ends the
//! body be completed (`123` is reported on the empty call, since until then
//! more digits might follow), and only then is [`Step::End`] returned, when
//! the document is complete. Ending anywhere else (inside a value, inside a
//! container, or before any value in single-value mode) is
//! [`JsonErrorKind::UnexpectedEnd`].
//!
//! # Leniency
//!
//! None: the grammar is strict RFC 8259 (no comments, no trailing commas, no
//! leading zeros, no `NaN`, no BOM, strings must be valid UTF-8). The one
//! opt-in extension is [`Tokenizer::set_multiple_values`], which accepts
//! several top-level values separated by optional whitespace (NDJSON and
//! concatenated JSON). Lone UTF-16 surrogates in `\u` escapes are not an
//! error: like Go's `encoding/json` they decode to U+FFFD.
//!
//! Error texts follow Go's `encoding/json` wording because clients of the
//! peer already see and match on those texts.

use std::fmt;

/// Default cap on the decoded length of one key or string, or the raw length
/// of one number. Bounds the memory a hostile body can make us hold.
pub const TEXT_BYTES_MAX_DEFAULT: usize = 64 * 1024;

/// Maximum container nesting. Fixed at 64 because the container stack is a
/// single `u64` bit stack.
pub const DEPTH_MAX: usize = 64;

/// A completed token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Token {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    /// An object key; its decoded text is in [`Tokenizer::text`].
    Key,
    /// A string value; its decoded text is in [`Tokenizer::text`].
    String,
    /// A number; its raw literal is in [`Tokenizer::text`].
    Number,
    True,
    False,
    Null,
}

/// What one call to [`Tokenizer::next`] achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// One token was completed; for Key/String/Number its text is in `text()`.
    Token(Token),
    /// All of `input` was consumed without completing a token: call again
    /// with the next chunk.
    NeedInput,
    /// Called with empty input (= end of body) and the document was complete.
    End,
}

/// A place in the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Position {
    /// 0-based offset in the whole body.
    pub byte: u64,
    /// 1-based line number; lines are counted by LF.
    pub line: u64,
}

impl Position {
    const START: Self = Self { byte: 0, line: 1 };
}

/// Where in the grammar an unexpected byte was found. Each variant maps to
/// one of Go's `encoding/json` phrases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    BeginningOfValue,
    AfterObjectKey,
    AfterObjectValue,
    AfterArrayValue,
    BeginningOfObjectKey,
    InStringLiteral,
    InStringEscape,
    InNumericLiteral,
    InLiteral {
        expecting: u8,
        literal: &'static str,
    },
    AfterTopLevelValue,
}

/// A tokenizing error and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonError {
    pub kind: JsonErrorKind,
    /// Position of the offending byte; for `UnexpectedEnd`, the end of body.
    pub at: Position,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JsonErrorKind {
    UnexpectedByte {
        found: u8,
        context: Context,
    },
    /// The body ended inside a value, or before any value.
    UnexpectedEnd,
    /// String bytes that are not UTF-8.
    InvalidUtf8,
    /// A `\u` escape without four hex digits.
    InvalidUnicodeEscape,
    TextTooLong {
        limit: usize,
    },
    TooDeep {
        limit: usize,
    },
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BeginningOfValue => f.write_str("looking for beginning of value"),
            Self::AfterObjectKey => f.write_str("after object key"),
            Self::AfterObjectValue => f.write_str("after object key:value pair"),
            Self::AfterArrayValue => f.write_str("after array element"),
            Self::BeginningOfObjectKey => f.write_str("looking for beginning of object key string"),
            Self::InStringLiteral => f.write_str("in string literal"),
            Self::InStringEscape => f.write_str("in string escape code"),
            Self::InNumericLiteral => f.write_str("in numeric literal"),
            Self::InLiteral { expecting, literal } => {
                write!(
                    f,
                    "in literal {literal} (expecting {})",
                    QuoteChar(*expecting)
                )
            }
            Self::AfterTopLevelValue => f.write_str("after top-level value"),
        }
    }
}

/// Quotes a byte the way Go's `encoding/json` `quoteChar` does for ASCII.
/// Bytes >= 0x80 are shown as `'\xNN'`: Go would reinterpret the byte as a
/// Latin-1 code point, which misdescribes the input.
struct QuoteChar(u8);

impl fmt::Display for QuoteChar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            b'\'' => f.write_str(r"'\''"),
            b'"' => f.write_str(r#"'"'"#),
            b'\\' => f.write_str(r"'\\'"),
            0x07 => f.write_str(r"'\a'"),
            0x08 => f.write_str(r"'\b'"),
            0x0c => f.write_str(r"'\f'"),
            b'\n' => f.write_str(r"'\n'"),
            b'\r' => f.write_str(r"'\r'"),
            b'\t' => f.write_str(r"'\t'"),
            0x0b => f.write_str(r"'\v'"),
            c @ 0x20..=0x7e => write!(f, "'{}'", char::from(c)),
            c => write!(f, r"'\x{c:02x}'"),
        }
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            JsonErrorKind::UnexpectedByte { found, context } => {
                write!(f, "invalid character {} {context}", QuoteChar(*found))?;
            }
            JsonErrorKind::UnexpectedEnd => f.write_str("unexpected end of JSON input")?,
            JsonErrorKind::InvalidUtf8 => f.write_str("invalid UTF-8 in string")?,
            JsonErrorKind::InvalidUnicodeEscape => {
                f.write_str("invalid unicode escape in string")?;
            }
            JsonErrorKind::TextTooLong { limit } => {
                write!(f, "string or number longer than {limit} bytes")?;
            }
            JsonErrorKind::TooDeep { limit } => write!(f, "nesting deeper than {limit} levels")?,
        }
        write!(f, " (line {}, byte {})", self.at.line, self.at.byte)
    }
}

impl std::error::Error for JsonError {}

/// What the grammar wants next while we are between tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// At top level before the first value, after `:`, or after `,` in an array.
    Value,
    /// Right after `[`: an empty array may close at once.
    ValueOrArrayEnd,
    /// Right after `{`: an empty object may close at once.
    KeyOrObjectEnd,
    /// After `,` in an object: a trailing comma is not allowed.
    Key,
    /// After a key.
    Colon,
    /// After a complete value; what may follow depends on the stack top.
    AfterValue,
}

/// Progress through `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, named
/// after the last thing read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Num {
    Minus,
    Zero,
    Int,
    Dot,
    Frac,
    E,
    ESign,
    Exp,
}

impl Num {
    /// Whether the literal read so far is a complete number, so that any
    /// non-continuing byte (or the end of body) ends it.
    const fn is_complete(self) -> bool {
        matches!(self, Self::Zero | Self::Int | Self::Frac | Self::Exp)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lit {
    True,
    False,
    Null,
}

impl Lit {
    const fn word(self) -> &'static str {
        match self {
            Self::True => "true",
            Self::False => "false",
            Self::Null => "null",
        }
    }

    const fn token(self) -> Token {
        match self {
            Self::True => Token::True,
            Self::False => Token::False,
            Self::Null => Token::Null,
        }
    }
}

/// The complete resume state apart from the stack, text and counters.
/// `key` in the string states says whether the string will be reported as
/// [`Token::Key`] and is followed by `:`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Between(Expect),
    /// Inside a string, outside any escape.
    Str {
        key: bool,
    },
    /// Right after a backslash.
    Escape {
        key: bool,
    },
    /// Inside `\uXXXX`: `digits` hex digits read so far, accumulated in
    /// `code`. `high` is a pending high surrogate awaiting its low half.
    Unicode {
        key: bool,
        high: Option<u32>,
        code: u32,
        digits: u8,
    },
    /// A high surrogate was decoded; a `\u` low surrogate may follow
    /// (`backslash` = the `\` has been seen). Anything else turns the high
    /// surrogate into U+FFFD and is then processed normally.
    AfterHigh {
        key: bool,
        high: u32,
        backslash: bool,
    },
    Number(Num),
    /// Inside `true`/`false`/`null`, `matched` bytes matched so far.
    Literal {
        lit: Lit,
        matched: u8,
    },
}

/// What a state handler achieved: finished this call with a step and the
/// number of bytes consumed, or moved to another state with `input[i..]`
/// left to read.
enum Flow {
    Done(Step, usize),
    Continue(usize),
}

// Word-at-a-time (SWAR) scanning. Strings and digit runs are the bulk of an
// ingest body; testing eight bytes per step instead of one roughly halves
// the time spent in them, without `unsafe` or platform intrinsics.

/// 0x01 in every byte lane.
const LANES_01: u64 = u64::from_le_bytes([0x01; 8]);
/// 0x80 (the high bit) in every byte lane.
const LANES_80: u64 = u64::from_le_bytes([0x80; 8]);

/// Loads up to eight bytes from `bytes[at..]` as a little-endian word, so
/// that the lowest byte lane is the earliest byte. Lanes past the end are
/// zero, which both scanners treat as a stop byte; returns how many lanes
/// are real.
#[inline]
fn load_word(bytes: &[u8], at: usize) -> (u64, usize) {
    let rest = bytes.get(at..).unwrap_or_default();
    if let Some(chunk) = rest.first_chunk::<8>() {
        return (u64::from_le_bytes(*chunk), 8);
    }
    let mut buf = [0u8; 8];
    for (slot, &b) in buf.iter_mut().zip(rest) {
        *slot = b;
    }
    (u64::from_le_bytes(buf), rest.len().min(8))
}

/// Index of the lowest lane whose high bit is set in `mask` (non-zero).
#[inline]
const fn first_lane(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// Lanes of `x` below `lanes` (< 8), others zeroed.
#[inline]
fn low_lanes(x: u64, lanes: usize) -> u64 {
    let bits = u32::try_from(lanes * 8).unwrap_or(u32::MAX);
    x & !u64::MAX.checked_shl(bits).unwrap_or(0)
}

/// Length of the leading run of `bytes` that needs no special handling
/// inside a string (no `"`, `\\` or control byte), and whether that run
/// contains a non-ASCII byte (so needs UTF-8 validation).
#[inline]
fn plain_string_run(bytes: &[u8]) -> (usize, bool) {
    let mut n = 0;
    let mut seen = 0u64;
    loop {
        let (x, lanes) = load_word(bytes, n);
        // Classic "has zero byte" tests. Each may flag false positives, but
        // only in lanes above its first true hit, so the lowest flagged
        // lane overall is exact.
        let quote = x ^ (LANES_01 * u64::from(b'"'));
        let backslash = x ^ (LANES_01 * u64::from(b'\\'));
        let special = ((quote.wrapping_sub(LANES_01) & !quote)
            | (backslash.wrapping_sub(LANES_01) & !backslash)
            | (x.wrapping_sub(LANES_01 * 0x20) & !x))
            & LANES_80;
        if special != 0 {
            let k = first_lane(special).min(lanes);
            seen |= low_lanes(x, k);
            return (n + k, seen & LANES_80 != 0);
        }
        // Only reachable with a full word: padding lanes are zero, which
        // counts as a control byte.
        seen |= x;
        n += lanes;
    }
}

/// Length of the leading run of ASCII digits in `bytes`.
#[inline]
fn digit_run(bytes: &[u8]) -> usize {
    let mut n = 0;
    loop {
        let (x, lanes) = load_word(bytes, n);
        // Digits become 0..=9 and everything else 10..=255; adding 0x76 to
        // the low seven bits sets the high bit exactly for 10..=127 and can
        // not carry into the next lane, and `| t` catches 128..=255.
        let t = x ^ (LANES_01 * u64::from(b'0'));
        let non_digit = (((t & !LANES_80).wrapping_add(LANES_01 * 0x76)) | t) & LANES_80;
        if non_digit != 0 {
            return n + first_lane(non_digit).min(lanes);
        }
        n += lanes;
    }
}

fn hex_value(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a') + 10),
        b'A'..=b'F' => Some(u32::from(b - b'A') + 10),
        _ => None,
    }
}

/// Streaming JSON tokenizer; see the module documentation.
#[derive(Debug, Clone)]
pub struct Tokenizer {
    state: State,
    /// Container bit stack, top of stack in bit 0; 1 = object, 0 = array.
    stack: u64,
    depth: usize,
    text: Vec<u8>,
    text_bytes_max: usize,
    multiple_values: bool,
    /// Position of the first byte of the next `input`, advanced by the
    /// consumed count on return. `line` is advanced eagerly while skipping
    /// whitespace, which is the only place an LF can legally appear.
    pos: Position,
    token_start: Position,
    /// Start of the token in progress; becomes `token_start` on completion.
    pending_start: Position,
    /// Start (in `text`, and as absolute byte offset) of the raw bytes
    /// copied since the last escape. Escapes emit valid UTF-8 and cannot sit
    /// inside a multi-byte character, so each such segment is validated on
    /// its own, which lets an invalid byte be reported at its exact offset.
    segment_text: usize,
    segment_byte: u64,
    /// Whether the segment holds a byte >= 0x80; all-ASCII segments (the
    /// common case) need no validation.
    segment_non_ascii: bool,
    failed: Option<JsonError>,
}

impl Default for Tokenizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Tokenizer {
    /// One top-level value, text limit [`TEXT_BYTES_MAX_DEFAULT`].
    #[must_use]
    pub fn new() -> Self {
        Self::with_text_bytes_max(TEXT_BYTES_MAX_DEFAULT)
    }

    /// One top-level value; keys, strings and numbers longer than `limit`
    /// bytes are an error.
    #[must_use]
    pub const fn with_text_bytes_max(limit: usize) -> Self {
        Self {
            state: State::Between(Expect::Value),
            stack: 0,
            depth: 0,
            text: Vec::new(),
            text_bytes_max: limit,
            multiple_values: false,
            pos: Position::START,
            token_start: Position::START,
            pending_start: Position::START,
            segment_text: 0,
            segment_byte: 0,
            segment_non_ascii: false,
            failed: None,
        }
    }

    /// NDJSON-style: accept several top-level values separated by optional
    /// whitespace (also none: `{}{}` is two values). In this mode an empty
    /// or whitespace-only body is zero values, not an error.
    #[allow(
        dead_code,
        reason = "part of the decoder API; NDJSON (issue 3) uses it, tests cover it"
    )]
    pub const fn set_multiple_values(&mut self, yes: bool) {
        self.multiple_values = yes;
    }

    /// Reads at most one token from `input`. Returns the step and the number
    /// of bytes of `input` consumed; pass the unconsumed rest on the next
    /// call. `NeedInput` always consumes all of `input`. A `Number` may be
    /// reported with 0 bytes consumed (its terminating byte is not part of
    /// it).
    ///
    /// An empty `input` means end of body. After an error the tokenizer must
    /// not be used again (until reset); it keeps returning the same error.
    ///
    /// # Errors
    ///
    /// Any violation of the JSON grammar, invalid UTF-8 in a string, text
    /// longer than the limit, nesting deeper than [`DEPTH_MAX`], or the body
    /// ending before the document is complete.
    pub fn next(&mut self, input: &[u8]) -> Result<(Step, usize), JsonError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let result = if input.is_empty() {
            self.finish()
        } else {
            self.scan(input)
        };
        match result {
            Ok((step, consumed)) => {
                self.pos.byte += consumed as u64;
                Ok((step, consumed))
            }
            Err(e) => {
                self.failed = Some(e.clone());
                Err(e)
            }
        }
    }

    /// Decoded bytes of the last Key/String (escapes resolved, valid UTF-8),
    /// or the raw literal of the last Number (e.g. `b"-12.5e3"`).
    #[must_use]
    #[allow(
        dead_code,
        reason = "part of the decoder API; NDJSON (issue 3) uses it, tests cover it"
    )]
    pub fn text(&self) -> &[u8] {
        &self.text
    }

    /// Same as [`Tokenizer::text`], as `&str`.
    #[must_use]
    pub fn text_str(&self) -> &str {
        // Valid by construction right after Key/String/Number; only a caller
        // peeking after an error could see partial text, and gets "".
        std::str::from_utf8(&self.text).unwrap_or("")
    }

    /// Current container nesting depth (0 at top level).
    #[must_use]
    pub const fn depth(&self) -> usize {
        self.depth
    }

    /// Position of the next unread byte.
    #[must_use]
    #[allow(
        dead_code,
        reason = "part of the decoder API; NDJSON (issue 3) uses it, tests cover it"
    )]
    pub const fn position(&self) -> Position {
        self.pos
    }

    /// Where the last completed token started.
    #[must_use]
    pub const fn token_start(&self) -> Position {
        self.token_start
    }

    /// Back to the initial state; keeps the buffer capacity and the settings
    /// (text limit, multiple-values mode).
    #[allow(
        dead_code,
        reason = "part of the decoder API; NDJSON (issue 3) uses it, tests cover it"
    )]
    pub fn reset(&mut self) {
        self.state = State::Between(Expect::Value);
        self.stack = 0;
        self.depth = 0;
        self.text.clear();
        self.pos = Position::START;
        self.token_start = Position::START;
        self.pending_start = Position::START;
        self.segment_text = 0;
        self.segment_byte = 0;
        self.segment_non_ascii = false;
        self.failed = None;
    }

    /// Handles the end-of-body call.
    fn finish(&mut self) -> Result<(Step, usize), JsonError> {
        match self.state {
            State::Between(Expect::AfterValue) if self.depth == 0 => Ok((Step::End, 0)),
            // Only reachable before the first value: zero values is a valid
            // NDJSON stream.
            State::Between(Expect::Value) if self.depth == 0 && self.multiple_values => {
                Ok((Step::End, 0))
            }
            State::Number(num) if num.is_complete() => {
                self.state = State::Between(Expect::AfterValue);
                self.token_start = self.pending_start;
                Ok((Step::Token(Token::Number), 0))
            }
            _ => Err(JsonError {
                kind: JsonErrorKind::UnexpectedEnd,
                at: self.pos,
            }),
        }
    }

    /// The main loop. `i` is the index of the next unread byte of `input`.
    /// The common token shapes (separators, plain strings, numbers,
    /// literals) are handled start to end by the `*_body` methods without
    /// coming back here; this loop only re-dispatches on the resume state,
    /// i.e. at the start of a call and after escapes.
    fn scan(&mut self, input: &[u8]) -> Result<(Step, usize), JsonError> {
        let mut i = 0usize;
        loop {
            let flow = match self.state {
                State::Between(expect) => self.between_body(input, i, expect)?,
                State::Str { key } => self.string_body(input, i, key)?,
                State::Number(num) => self.number_body(input, i, i, num)?,
                State::Literal { lit, matched } => self.literal_body(input, i, lit, matched)?,
                State::Escape { key } => self.escape_body(input, i, key)?,
                State::Unicode {
                    key,
                    high,
                    code,
                    digits,
                } => self.unicode_body(input, i, key, high, code, digits)?,
                State::AfterHigh {
                    key,
                    high,
                    backslash,
                } => self.after_high_body(input, i, key, high, backslash)?,
            };
            match flow {
                Flow::Done(step, consumed) => return Ok((step, consumed)),
                Flow::Continue(next) => i = next,
            }
        }
    }

    /// Between tokens: skips whitespace and separators, then starts the next
    /// token or closes a container.
    #[inline]
    fn between_body(
        &mut self,
        input: &[u8],
        mut i: usize,
        mut expect: Expect,
    ) -> Result<Flow, JsonError> {
        loop {
            i = self.skip_whitespace(input, i);
            let Some(&b) = input.get(i) else {
                self.state = State::Between(expect);
                return Ok(Flow::Done(Step::NeedInput, i));
            };
            match expect {
                Expect::Value => {}
                Expect::ValueOrArrayEnd => {
                    if b == b']' {
                        return Ok(self.close(Token::ArrayEnd, i));
                    }
                }
                Expect::KeyOrObjectEnd | Expect::Key => {
                    return match b {
                        b'"' => self.begin_string(input, i, true),
                        b'}' if expect == Expect::KeyOrObjectEnd => {
                            Ok(self.close(Token::ObjectEnd, i))
                        }
                        _ => Err(self.unexpected(b, Context::BeginningOfObjectKey, i)),
                    };
                }
                Expect::Colon => {
                    if b != b':' {
                        return Err(self.unexpected(b, Context::AfterObjectKey, i));
                    }
                    expect = Expect::Value;
                    i += 1;
                    continue;
                }
                Expect::AfterValue => {
                    if self.depth == 0 {
                        if !self.multiple_values {
                            return Err(self.unexpected(b, Context::AfterTopLevelValue, i));
                        }
                    } else if self.stack & 1 == 1 {
                        match b {
                            b',' => expect = Expect::Key,
                            b'}' => return Ok(self.close(Token::ObjectEnd, i)),
                            _ => return Err(self.unexpected(b, Context::AfterObjectValue, i)),
                        }
                        i += 1;
                        continue;
                    } else {
                        match b {
                            b',' => expect = Expect::Value,
                            b']' => return Ok(self.close(Token::ArrayEnd, i)),
                            _ => return Err(self.unexpected(b, Context::AfterArrayValue, i)),
                        }
                        i += 1;
                        continue;
                    }
                }
            }
            return self.begin_value(input, i, b);
        }
    }

    /// Starts a value at byte `b` = `input[i]`.
    #[inline]
    fn begin_value(&mut self, input: &[u8], i: usize, b: u8) -> Result<Flow, JsonError> {
        let num = match b {
            b'"' => return self.begin_string(input, i, false),
            b'-' => Num::Minus,
            b'0' => Num::Zero,
            b'1'..=b'9' => Num::Int,
            b'{' | b'[' => return self.open(b == b'{', i),
            b't' | b'f' | b'n' => {
                let lit = match b {
                    b't' => Lit::True,
                    b'f' => Lit::False,
                    _ => Lit::Null,
                };
                self.pending_start = self.at(i);
                return self.literal_body(input, i + 1, lit, 1);
            }
            _ => return Err(self.unexpected(b, Context::BeginningOfValue, i)),
        };
        self.text.clear();
        self.pending_start = self.at(i);
        self.number_body(input, i, i + 1, num)
    }

    /// Pushes a container opened by `input[i]`.
    fn open(&mut self, object: bool, i: usize) -> Result<Flow, JsonError> {
        if self.depth >= DEPTH_MAX {
            let limit = DEPTH_MAX;
            return Err(self.error(JsonErrorKind::TooDeep { limit }, i));
        }
        self.stack = (self.stack << 1) | u64::from(object);
        self.depth += 1;
        self.token_start = self.at(i);
        let (expect, token) = if object {
            (Expect::KeyOrObjectEnd, Token::ObjectStart)
        } else {
            (Expect::ValueOrArrayEnd, Token::ArrayStart)
        };
        self.state = State::Between(expect);
        Ok(Flow::Done(Step::Token(token), i + 1))
    }

    /// Pops the container closed by `input[i]`, which the caller has checked
    /// matches the stack top.
    fn close(&mut self, token: Token, i: usize) -> Flow {
        self.stack >>= 1;
        self.depth = self.depth.saturating_sub(1);
        self.token_start = self.at(i);
        self.state = State::Between(Expect::AfterValue);
        Flow::Done(Step::Token(token), i + 1)
    }

    /// Starts a string whose opening quote is `input[i]`.
    #[inline]
    fn begin_string(&mut self, input: &[u8], i: usize, key: bool) -> Result<Flow, JsonError> {
        self.text.clear();
        self.pending_start = self.at(i);
        self.resume_string(key, i + 1);
        self.string_body(input, i + 1, key)
    }

    /// Plain string content from `input[i]`. The hot path: the whole run up
    /// to the next quote, backslash or control byte is copied at once.
    #[inline]
    fn string_body(&mut self, input: &[u8], i: usize, key: bool) -> Result<Flow, JsonError> {
        let rest = input.get(i..).unwrap_or_default();
        let (run, non_ascii) = plain_string_run(rest);
        let (plain, tail) = rest.split_at_checked(run).unwrap_or((rest, &[]));
        self.push_text(plain, i)?;
        self.segment_non_ascii |= non_ascii;
        let i = i + run;
        match tail.first() {
            None => Ok(Flow::Done(Step::NeedInput, i)),
            Some(b'"') => {
                self.check_segment()?;
                let (expect, token) = if key {
                    (Expect::Colon, Token::Key)
                } else {
                    (Expect::AfterValue, Token::String)
                };
                self.state = State::Between(expect);
                self.token_start = self.pending_start;
                Ok(Flow::Done(Step::Token(token), i + 1))
            }
            Some(b'\\') => {
                self.check_segment()?;
                self.state = State::Escape { key };
                Ok(Flow::Continue(i + 1))
            }
            Some(&c) => Err(self.unexpected(c, Context::InStringLiteral, i)),
        }
    }

    /// Right after a backslash.
    fn escape_body(&mut self, input: &[u8], i: usize, key: bool) -> Result<Flow, JsonError> {
        let Some(&b) = input.get(i) else {
            return Ok(Flow::Done(Step::NeedInput, i));
        };
        let decoded = match b {
            b'"' | b'\\' | b'/' => b,
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                self.state = State::Unicode {
                    key,
                    high: None,
                    code: 0,
                    digits: 0,
                };
                return Ok(Flow::Continue(i + 1));
            }
            _ => return Err(self.unexpected(b, Context::InStringEscape, i)),
        };
        self.push_text(&[decoded], i)?;
        self.resume_string(key, i + 1);
        Ok(Flow::Continue(i + 1))
    }

    /// Inside `\uXXXX`.
    fn unicode_body(
        &mut self,
        input: &[u8],
        i: usize,
        key: bool,
        high: Option<u32>,
        code: u32,
        digits: u8,
    ) -> Result<Flow, JsonError> {
        let Some(&b) = input.get(i) else {
            return Ok(Flow::Done(Step::NeedInput, i));
        };
        let Some(value) = hex_value(b) else {
            return Err(self.error(JsonErrorKind::InvalidUnicodeEscape, i));
        };
        // At most four digits, so `code` stays <= 0xFFFF.
        let code = (code << 4) | value;
        if digits < 3 {
            self.state = State::Unicode {
                key,
                high,
                code,
                digits: digits + 1,
            };
            return Ok(Flow::Continue(i + 1));
        }
        if let Some(high) = high {
            if (0xDC00..=0xDFFF).contains(&code) {
                let scalar = 0x10000 + ((high - 0xD800) << 10) + (code - 0xDC00);
                self.push_char(char::from_u32(scalar).unwrap_or('\u{FFFD}'), i)?;
                self.resume_string(key, i + 1);
                return Ok(Flow::Continue(i + 1));
            }
            // Not a low half: the pending high surrogate is lone, and this
            // code unit is decoded on its own (as Go does).
            self.push_char('\u{FFFD}', i)?;
        }
        if (0xD800..=0xDBFF).contains(&code) {
            self.state = State::AfterHigh {
                key,
                high: code,
                backslash: false,
            };
            return Ok(Flow::Continue(i + 1));
        }
        // `from_u32` fails exactly for a lone low surrogate.
        self.push_char(char::from_u32(code).unwrap_or('\u{FFFD}'), i)?;
        self.resume_string(key, i + 1);
        Ok(Flow::Continue(i + 1))
    }

    /// After a decoded high surrogate, hoping for `\u` and a low surrogate.
    fn after_high_body(
        &mut self,
        input: &[u8],
        i: usize,
        key: bool,
        high: u32,
        backslash: bool,
    ) -> Result<Flow, JsonError> {
        let Some(&b) = input.get(i) else {
            return Ok(Flow::Done(Step::NeedInput, i));
        };
        match (backslash, b) {
            (false, b'\\') => {
                self.state = State::AfterHigh {
                    key,
                    high,
                    backslash: true,
                };
                Ok(Flow::Continue(i + 1))
            }
            (true, b'u') => {
                self.state = State::Unicode {
                    key,
                    high: Some(high),
                    code: 0,
                    digits: 0,
                };
                Ok(Flow::Continue(i + 1))
            }
            // Lone high surrogate; `b` is not consumed but reprocessed as
            // plain string content or as the escape character.
            (false, _) => {
                self.push_char('\u{FFFD}', i)?;
                self.resume_string(key, i);
                Ok(Flow::Continue(i))
            }
            (true, _) => {
                self.push_char('\u{FFFD}', i)?;
                self.state = State::Escape { key };
                Ok(Flow::Continue(i))
            }
        }
    }

    /// Number bytes from `input[i]`; `input[start..i]` are bytes of this
    /// number not yet copied to the text. The whole number is recognised in
    /// this tight loop and copied at once.
    #[inline]
    fn number_body(
        &mut self,
        input: &[u8],
        start: usize,
        mut i: usize,
        mut num: Num,
    ) -> Result<Flow, JsonError> {
        let end = loop {
            if matches!(num, Num::Int | Num::Frac | Num::Exp) {
                i += digit_run(input.get(i..).unwrap_or_default());
            }
            let Some(&b) = input.get(i) else {
                break None;
            };
            num = match (num, b) {
                (Num::Minus, b'0') => Num::Zero,
                (Num::Minus, b'1'..=b'9') => Num::Int,
                (Num::Zero | Num::Int, b'.') => Num::Dot,
                (Num::Zero | Num::Int | Num::Frac, b'e' | b'E') => Num::E,
                (Num::Dot, b'0'..=b'9') => Num::Frac,
                (Num::E, b'+' | b'-') => Num::ESign,
                (Num::E | Num::ESign, b'0'..=b'9') => Num::Exp,
                // The terminating byte is not consumed: it belongs to
                // whatever follows (and `01` is then rejected there, exactly
                // as Go reports it).
                (Num::Zero | Num::Int | Num::Frac | Num::Exp, _) => break Some(Ok(())),
                _ => break Some(Err(b)),
            };
            i += 1;
        };
        // Copy (and check the limit) before reporting a grammar error, so
        // that which error wins does not depend on where chunks split.
        self.push_text(input.get(start..i).unwrap_or_default(), start)?;
        match end {
            None => {
                self.state = State::Number(num);
                Ok(Flow::Done(Step::NeedInput, i))
            }
            Some(Ok(())) => {
                self.state = State::Between(Expect::AfterValue);
                self.token_start = self.pending_start;
                Ok(Flow::Done(Step::Token(Token::Number), i))
            }
            Some(Err(b)) => Err(self.unexpected(b, Context::InNumericLiteral, i)),
        }
    }

    /// Inside `true`/`false`/`null`, `matched` bytes matched so far.
    fn literal_body(
        &mut self,
        input: &[u8],
        mut i: usize,
        lit: Lit,
        mut matched: u8,
    ) -> Result<Flow, JsonError> {
        let word = lit.word();
        while let Some(&expecting) = word.as_bytes().get(usize::from(matched)) {
            let Some(&b) = input.get(i) else {
                self.state = State::Literal { lit, matched };
                return Ok(Flow::Done(Step::NeedInput, i));
            };
            if b != expecting {
                let context = Context::InLiteral {
                    expecting,
                    literal: word,
                };
                return Err(self.unexpected(b, context, i));
            }
            matched += 1;
            i += 1;
        }
        self.state = State::Between(Expect::AfterValue);
        self.token_start = self.pending_start;
        Ok(Flow::Done(Step::Token(lit.token()), i))
    }

    /// Skips whitespace from `i`, counting lines, and returns the index of
    /// the first other byte (or `input.len()`).
    #[inline]
    fn skip_whitespace(&mut self, input: &[u8], mut i: usize) -> usize {
        while let Some(&b) = input.get(i) {
            match b {
                b' ' | b'\t' | b'\r' => {}
                b'\n' => self.pos.line += 1,
                _ => break,
            }
            i += 1;
        }
        i
    }

    /// Continues plain string content at `input[i]`, starting a new UTF-8
    /// validation segment there.
    #[inline]
    const fn resume_string(&mut self, key: bool, i: usize) {
        self.segment_text = self.text.len();
        self.segment_byte = self.pos.byte + i as u64;
        self.segment_non_ascii = false;
        self.state = State::Str { key };
    }

    /// Validates the raw bytes copied since the last escape (or the opening
    /// quote). Checking per segment, rather than per chunk, is what makes a
    /// multi-byte character split across chunks a non-issue.
    #[inline]
    fn check_segment(&self) -> Result<(), JsonError> {
        if !self.segment_non_ascii {
            return Ok(());
        }
        let segment = self.text.get(self.segment_text..).unwrap_or_default();
        match std::str::from_utf8(segment) {
            Ok(_) => Ok(()),
            // Strings hold no raw LF, so the current line is the string's.
            Err(e) => Err(JsonError {
                kind: JsonErrorKind::InvalidUtf8,
                at: Position {
                    byte: self.segment_byte + e.valid_up_to() as u64,
                    line: self.pos.line,
                },
            }),
        }
    }

    /// Appends to the text, enforcing the limit. `bytes` are raw bytes copied
    /// from `input[i..]`, or one byte decoded from an escape ending at
    /// `input[i]`; either way the error points at the first byte past the
    /// limit.
    #[inline]
    fn push_text(&mut self, bytes: &[u8], i: usize) -> Result<(), JsonError> {
        let room = self.text_bytes_max.saturating_sub(self.text.len());
        if bytes.len() > room {
            let limit = self.text_bytes_max;
            return Err(self.error(JsonErrorKind::TextTooLong { limit }, i + room));
        }
        self.text.extend_from_slice(bytes);
        Ok(())
    }

    fn push_char(&mut self, c: char, i: usize) -> Result<(), JsonError> {
        let mut buf = [0u8; 4];
        let encoded = c.encode_utf8(&mut buf);
        let room = self.text_bytes_max.saturating_sub(self.text.len());
        if encoded.len() > room {
            let limit = self.text_bytes_max;
            return Err(self.error(JsonErrorKind::TextTooLong { limit }, i));
        }
        self.text.extend_from_slice(encoded.as_bytes());
        Ok(())
    }

    /// Absolute position of `input[i]`.
    #[inline]
    const fn at(&self, i: usize) -> Position {
        Position {
            byte: self.pos.byte + i as u64,
            line: self.pos.line,
        }
    }

    #[cold]
    fn error(&self, kind: JsonErrorKind, i: usize) -> JsonError {
        JsonError {
            kind,
            at: self.at(i),
        }
    }

    #[cold]
    fn unexpected(&self, found: u8, context: Context, i: usize) -> JsonError {
        self.error(JsonErrorKind::UnexpectedByte { found, context }, i)
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]
mod tests {
    use super::*;

    fn render(tok: &Tokenizer, token: Token) -> String {
        // text() and text_str() must always agree after a text token.
        if matches!(token, Token::Key | Token::String | Token::Number) {
            assert_eq!(tok.text(), tok.text_str().as_bytes());
        }
        match token {
            Token::ObjectStart => "{".to_owned(),
            Token::ObjectEnd => "}".to_owned(),
            Token::ArrayStart => "[".to_owned(),
            Token::ArrayEnd => "]".to_owned(),
            Token::Key => format!("key:{}", tok.text_str()),
            Token::String => format!("str:{}", tok.text_str()),
            Token::Number => format!("num:{}", tok.text_str()),
            Token::True => "true".to_owned(),
            Token::False => "false".to_owned(),
            Token::Null => "null".to_owned(),
        }
    }

    /// What one tokenizing run produced: tokens (or the error text), and the
    /// start of every token, which must not depend on chunking either.
    type Run = (Result<Vec<String>, String>, Vec<Position>);

    /// Feeds `chunks` the way a real caller does, then ends the body.
    fn run_chunks(mut tok: Tokenizer, chunks: &[&[u8]]) -> Run {
        let mut tokens = Vec::new();
        let mut starts = Vec::new();
        let mut total = 0u64;
        let mut calls = 0usize;
        for chunk in chunks {
            total += chunk.len() as u64;
            let mut rest: &[u8] = chunk;
            // Never pass an empty slice mid-body: that means end of body.
            while !rest.is_empty() {
                calls += 1;
                assert!(calls < 1_000_000, "no progress");
                let (step, consumed) = match tok.next(rest) {
                    Ok(x) => x,
                    Err(e) => return (Err(e.to_string()), starts),
                };
                assert!(consumed <= rest.len());
                rest = &rest[consumed..];
                match step {
                    Step::Token(t) => {
                        tokens.push(render(&tok, t));
                        starts.push(tok.token_start());
                    }
                    Step::NeedInput => assert!(rest.is_empty(), "NeedInput left input"),
                    Step::End => panic!("End on non-empty input"),
                }
            }
        }
        assert_eq!(tok.position().byte, total);
        loop {
            calls += 1;
            assert!(calls < 1_000_000, "no progress at end");
            match tok.next(&[]) {
                Ok((Step::Token(t), 0)) => {
                    tokens.push(render(&tok, t));
                    starts.push(tok.token_start());
                }
                Ok((Step::End, 0)) => break,
                Ok(other) => panic!("unexpected {other:?} at end of body"),
                Err(e) => return (Err(e.to_string()), starts),
            }
        }
        // End is stable.
        assert_eq!(tok.next(&[]), Ok((Step::End, 0)));
        (Ok(tokens), starts)
    }

    fn tokens_every_split_with(body: &[u8], setup: impl Fn(&mut Tokenizer)) -> Run {
        let fresh = || {
            let mut tok = Tokenizer::new();
            setup(&mut tok);
            tok
        };
        let whole = run_chunks(fresh(), &[body]);
        for k in 0..=body.len() {
            let (a, b) = body.split_at(k);
            let split = run_chunks(fresh(), &[a, b]);
            assert_eq!(
                split,
                whole,
                "split at {k} of {:?}",
                String::from_utf8_lossy(body)
            );
        }
        let bytes: Vec<&[u8]> = body.chunks(1).collect();
        let bytewise = run_chunks(fresh(), &bytes);
        assert_eq!(
            bytewise,
            whole,
            "byte by byte: {:?}",
            String::from_utf8_lossy(body)
        );
        whole
    }

    /// Tokenizes `body` whole, split at every byte, and byte by byte; the
    /// token list (with texts) and the error text must agree.
    fn tokens_every_split(body: &[u8]) -> Result<Vec<String>, String> {
        tokens_every_split_with(body, |_| {}).0
    }

    fn multi(body: &[u8]) -> Result<Vec<String>, String> {
        tokens_every_split_with(body, |t| t.set_multiple_values(true)).0
    }

    fn limited(limit: usize, body: &[u8]) -> Result<Vec<String>, String> {
        tokens_every_split_with(body, |t| *t = Tokenizer::with_text_bytes_max(limit)).0
    }

    fn ok(tokens: &[&str]) -> Result<Vec<String>, String> {
        Ok(tokens.iter().map(|s| (*s).to_owned()).collect())
    }

    fn err(text: &str) -> Result<Vec<String>, String> {
        Err(text.to_owned())
    }

    // ---- valid documents -------------------------------------------------

    #[test]
    fn nested_document() {
        let body = br#"{"data":{"columns":["name","time","value"],"rows":[["json-data",1670380342000000000,1.0001],["json-data",1670380343000000000,2.0002]]}}"#;
        assert_eq!(
            tokens_every_split(body),
            ok(&[
                "{",
                "key:data",
                "{",
                "key:columns",
                "[",
                "str:name",
                "str:time",
                "str:value",
                "]",
                "key:rows",
                "[",
                "[",
                "str:json-data",
                "num:1670380342000000000",
                "num:1.0001",
                "]",
                "[",
                "str:json-data",
                "num:1670380343000000000",
                "num:2.0002",
                "]",
                "]",
                "}",
                "}",
            ])
        );
    }

    #[test]
    fn scalars_at_top_level() {
        assert_eq!(tokens_every_split(b"true"), ok(&["true"]));
        assert_eq!(tokens_every_split(b"false"), ok(&["false"]));
        assert_eq!(tokens_every_split(b" null "), ok(&["null"]));
        assert_eq!(tokens_every_split(br#""x""#), ok(&["str:x"]));
        assert_eq!(tokens_every_split(br#""""#), ok(&["str:"]));
    }

    #[test]
    fn number_at_end_of_body() {
        assert_eq!(tokens_every_split(b"123"), ok(&["num:123"]));
        assert_eq!(tokens_every_split(b"0"), ok(&["num:0"]));
        assert_eq!(tokens_every_split(b"-12.5e3"), ok(&["num:-12.5e3"]));
        assert_eq!(tokens_every_split(b"7\n"), ok(&["num:7"]));
    }

    #[test]
    fn number_reported_on_the_empty_call() {
        let mut tok = Tokenizer::new();
        assert_eq!(tok.next(b"12"), Ok((Step::NeedInput, 2)));
        assert_eq!(tok.next(b"3"), Ok((Step::NeedInput, 1)));
        assert_eq!(tok.next(b""), Ok((Step::Token(Token::Number), 0)));
        assert_eq!(tok.text(), b"123");
        assert_eq!(tok.next(b""), Ok((Step::End, 0)));
    }

    #[test]
    fn number_forms() {
        assert_eq!(
            tokens_every_split(b"[0,-0,1,-1,10,1.5,-0.0e-0,1E+2,1e10,123.456e-789,0.5E5]"),
            ok(&[
                "[",
                "num:0",
                "num:-0",
                "num:1",
                "num:-1",
                "num:10",
                "num:1.5",
                "num:-0.0e-0",
                "num:1E+2",
                "num:1e10",
                "num:123.456e-789",
                "num:0.5E5",
                "]",
            ])
        );
    }

    #[test]
    fn number_terminated_without_whitespace() {
        assert_eq!(
            tokens_every_split(br#"{"a":1,"b":[2],"c":3}"#),
            ok(&[
                "{", "key:a", "num:1", "key:b", "[", "num:2", "]", "key:c", "num:3", "}"
            ])
        );
    }

    #[test]
    fn whitespace_everywhere() {
        assert_eq!(
            tokens_every_split(b" \t{ \"a\" :\r\n [ 1 , true ,null ] , \"b\":{ } }\n "),
            ok(&[
                "{", "key:a", "[", "num:1", "true", "null", "]", "key:b", "{", "}", "}"
            ])
        );
    }

    #[test]
    fn empty_containers_and_keys() {
        assert_eq!(
            tokens_every_split(br#"[[],{},{"":""},[[]]]"#),
            ok(&[
                "[", "[", "]", "{", "}", "{", "key:", "str:", "}", "[", "[", "]", "]", "]"
            ])
        );
    }

    #[test]
    fn simple_escapes() {
        assert_eq!(
            tokens_every_split(br#""a\nb\"c\\d\/e\tf\bg\fh\ri""#),
            ok(&["str:a\nb\"c\\d/e\tf\u{8}g\u{c}h\ri"])
        );
    }

    #[test]
    fn unicode_escapes() {
        assert_eq!(tokens_every_split(br#""\u00e9""#), ok(&["str:\u{e9}"]));
        assert_eq!(
            tokens_every_split(br#""\u00E9t\u00e9""#),
            ok(&["str:\u{e9}t\u{e9}"])
        );
        assert_eq!(tokens_every_split(br#""\u20ac""#), ok(&["str:\u{20ac}"]));
        assert_eq!(tokens_every_split(br#""\u0000""#), ok(&["str:\0"]));
        assert_eq!(
            tokens_every_split(br#"{"k\u00e9y":1}"#),
            ok(&["{", "key:k\u{e9}y", "num:1", "}"])
        );
    }

    #[test]
    fn surrogate_pairs() {
        assert_eq!(
            tokens_every_split(br#""\ud83d\ude00""#),
            ok(&["str:\u{1f600}"])
        );
        assert_eq!(
            tokens_every_split(br#""\uD83D\uDE00!""#),
            ok(&["str:\u{1f600}!"])
        );
        // The edges of the surrogate ranges.
        assert_eq!(
            tokens_every_split(br#""\ud800\udc00""#),
            ok(&["str:\u{10000}"])
        );
        assert_eq!(
            tokens_every_split(br#""\udbff\udfff""#),
            ok(&["str:\u{10ffff}"])
        );
        assert_eq!(
            tokens_every_split(br#""\ud7ff\ue000""#),
            ok(&["str:\u{d7ff}\u{e000}"])
        );
    }

    #[test]
    fn lone_surrogates_become_replacement_char() {
        assert_eq!(tokens_every_split(br#""\ud83d""#), ok(&["str:\u{fffd}"]));
        assert_eq!(tokens_every_split(br#""\ude00""#), ok(&["str:\u{fffd}"]));
        assert_eq!(tokens_every_split(br#""\ud83dx""#), ok(&["str:\u{fffd}x"]));
        assert_eq!(
            tokens_every_split(br#""\ud83d\n""#),
            ok(&["str:\u{fffd}\n"])
        );
        assert_eq!(
            tokens_every_split(br#""\ud83d\u0041""#),
            ok(&["str:\u{fffd}A"])
        );
        assert_eq!(
            tokens_every_split(br#""\ud83d\ud83d\ude00""#),
            ok(&["str:\u{fffd}\u{1f600}"])
        );
        assert_eq!(
            tokens_every_split(br#""\ude00\ud83d""#),
            ok(&["str:\u{fffd}\u{fffd}"])
        );
    }

    #[test]
    fn multibyte_utf8_split_across_chunks() {
        let body = "[\"h\u{e9}llo \u{1f600} \u{4e2d}\u{6587}\",\"\u{e9}\\n\u{e9}\"]";
        assert_eq!(
            tokens_every_split(body.as_bytes()),
            ok(&[
                "[",
                "str:h\u{e9}llo \u{1f600} \u{4e2d}\u{6587}",
                "str:\u{e9}\n\u{e9}",
                "]"
            ])
        );
    }

    #[test]
    fn del_is_allowed_in_strings() {
        assert_eq!(tokens_every_split(b"\"a\x7fb\""), ok(&["str:a\u{7f}b"]));
    }

    #[test]
    fn text_of_number_is_raw_literal() {
        let mut tok = Tokenizer::new();
        assert_eq!(
            tok.next(b"[-12.5e3]"),
            Ok((Step::Token(Token::ArrayStart), 1))
        );
        assert_eq!(tok.next(b"-12.5e3]"), Ok((Step::Token(Token::Number), 7)));
        assert_eq!(tok.text(), b"-12.5e3");
        assert_eq!(tok.text_str(), "-12.5e3");
        assert_eq!(tok.next(b"]"), Ok((Step::Token(Token::ArrayEnd), 1)));
        assert_eq!(tok.next(b""), Ok((Step::End, 0)));
    }

    #[test]
    fn positions_and_depth() {
        let body = b"{\n  \"a\": [1,\n  true]\n}";
        let (tokens, starts) = tokens_every_split_with(body, |_| {});
        assert_eq!(tokens, ok(&["{", "key:a", "[", "num:1", "true", "]", "}"]));
        let p = |byte, line| Position { byte, line };
        assert_eq!(
            starts,
            vec![
                p(0, 1),
                p(4, 2),
                p(9, 2),
                p(10, 2),
                p(15, 3),
                p(19, 3),
                p(21, 4)
            ]
        );

        let mut tok = Tokenizer::new();
        let mut rest: &[u8] = body;
        let mut depths = Vec::new();
        while !rest.is_empty() {
            let (step, n) = tok.next(rest).unwrap();
            rest = &rest[n..];
            if let Step::Token(_) = step {
                depths.push(tok.depth());
            }
        }
        assert_eq!(depths, vec![1, 1, 2, 2, 2, 1, 0]);
        assert_eq!(tok.position(), p(22, 4));
    }

    // ---- multiple values ------------------------------------------------

    #[test]
    fn multiple_values_ndjson() {
        assert_eq!(
            multi(b"{\"a\":1}\n{\"a\":2}\n"),
            ok(&["{", "key:a", "num:1", "}", "{", "key:a", "num:2", "}"])
        );
    }

    #[test]
    fn multiple_values_without_separator() {
        assert_eq!(multi(b"{}{}"), ok(&["{", "}", "{", "}"]));
        assert_eq!(multi(br#""a""b"[]"#), ok(&["str:a", "str:b", "[", "]"]));
        assert_eq!(multi(b"1true"), ok(&["num:1", "true"]));
    }

    #[test]
    fn multiple_values_numbers() {
        assert_eq!(multi(b"1 2"), ok(&["num:1", "num:2"]));
        assert_eq!(multi(b"12"), ok(&["num:12"]));
    }

    #[test]
    fn multiple_values_empty_body_is_zero_values() {
        assert_eq!(multi(b""), ok(&[]));
        assert_eq!(multi(b" \n\n"), ok(&[]));
    }

    #[test]
    fn err_multiple_values_truncated_last_value() {
        assert_eq!(
            multi(b"{\"a\":1}\n{\"a\":"),
            err("unexpected end of JSON input (line 2, byte 13)")
        );
    }

    #[test]
    fn err_multiple_values_bad_separator() {
        assert_eq!(
            multi(b"1 ]"),
            err("invalid character ']' looking for beginning of value (line 1, byte 2)")
        );
        assert_eq!(
            multi(b"1,2"),
            err("invalid character ',' looking for beginning of value (line 1, byte 1)")
        );
    }

    #[test]
    fn err_single_mode_rejects_second_value() {
        assert_eq!(
            tokens_every_split(b"{}{}"),
            err("invalid character '{' after top-level value (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"1 2"),
            err("invalid character '2' after top-level value (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"{\"a\":1}\n{\"a\":2}"),
            err("invalid character '{' after top-level value (line 2, byte 8)")
        );
    }

    // ---- errors: end of body ---------------------------------------------

    #[test]
    fn err_empty_body() {
        assert_eq!(
            tokens_every_split(b""),
            err("unexpected end of JSON input (line 1, byte 0)")
        );
    }

    #[test]
    fn err_whitespace_only_body() {
        assert_eq!(
            tokens_every_split(b" \n\t\r\n "),
            err("unexpected end of JSON input (line 3, byte 6)")
        );
    }

    #[test]
    fn err_truncated_literals() {
        assert_eq!(
            tokens_every_split(b"tru"),
            err("unexpected end of JSON input (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"nul"),
            err("unexpected end of JSON input (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"[f"),
            err("unexpected end of JSON input (line 1, byte 2)")
        );
    }

    #[test]
    fn err_truncated_numbers() {
        assert_eq!(
            tokens_every_split(b"-"),
            err("unexpected end of JSON input (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"1."),
            err("unexpected end of JSON input (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"1e"),
            err("unexpected end of JSON input (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"1e+"),
            err("unexpected end of JSON input (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"[1"),
            err("unexpected end of JSON input (line 1, byte 2)")
        );
    }

    #[test]
    fn err_truncated_strings() {
        assert_eq!(
            tokens_every_split(b"\"abc"),
            err("unexpected end of JSON input (line 1, byte 4)")
        );
        assert_eq!(
            tokens_every_split(b"\"ab\\"),
            err("unexpected end of JSON input (line 1, byte 4)")
        );
        assert_eq!(
            tokens_every_split(b"\"\\u00"),
            err("unexpected end of JSON input (line 1, byte 5)")
        );
        assert_eq!(
            tokens_every_split(b"\"\\ud83d"),
            err("unexpected end of JSON input (line 1, byte 7)")
        );
        assert_eq!(
            tokens_every_split(b"\"\\ud83d\\"),
            err("unexpected end of JSON input (line 1, byte 8)")
        );
    }

    #[test]
    fn err_truncated_containers() {
        assert_eq!(
            tokens_every_split(b"["),
            err("unexpected end of JSON input (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"{\"a\""),
            err("unexpected end of JSON input (line 1, byte 4)")
        );
        assert_eq!(
            tokens_every_split(b"{\"a\":"),
            err("unexpected end of JSON input (line 1, byte 5)")
        );
        assert_eq!(
            tokens_every_split(b"{\"a\":1,"),
            err("unexpected end of JSON input (line 1, byte 7)")
        );
        assert_eq!(
            tokens_every_split(b"[[1]\n"),
            err("unexpected end of JSON input (line 2, byte 5)")
        );
    }

    // ---- errors: grammar --------------------------------------------------

    #[test]
    fn err_trailing_comma_in_array() {
        assert_eq!(
            tokens_every_split(b"[1,]"),
            err("invalid character ']' looking for beginning of value (line 1, byte 3)")
        );
    }

    #[test]
    fn err_trailing_comma_in_object() {
        assert_eq!(
            tokens_every_split(br#"{"a":1,}"#),
            err(
                "invalid character '}' looking for beginning of object key string (line 1, byte 7)"
            )
        );
    }

    #[test]
    fn err_missing_colon() {
        assert_eq!(
            tokens_every_split(br#"{"a" 1}"#),
            err("invalid character '1' after object key (line 1, byte 5)")
        );
    }

    #[test]
    fn err_missing_comma() {
        assert_eq!(
            tokens_every_split(br#"{"a":1 "b":2}"#),
            err(r#"invalid character '"' after object key:value pair (line 1, byte 7)"#)
        );
        assert_eq!(
            tokens_every_split(b"[1 2]"),
            err("invalid character '2' after array element (line 1, byte 3)")
        );
    }

    #[test]
    fn err_mismatched_brackets() {
        assert_eq!(
            tokens_every_split(b"[}"),
            err("invalid character '}' looking for beginning of value (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"{]"),
            err(
                "invalid character ']' looking for beginning of object key string (line 1, byte 1)"
            )
        );
        assert_eq!(
            tokens_every_split(b"[1}"),
            err("invalid character '}' after array element (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(br#"{"a":1]"#),
            err("invalid character ']' after object key:value pair (line 1, byte 6)")
        );
    }

    #[test]
    fn err_non_string_keys() {
        assert_eq!(
            tokens_every_split(b"{1:2}"),
            err(
                "invalid character '1' looking for beginning of object key string (line 1, byte 1)"
            )
        );
        assert_eq!(
            tokens_every_split(b"{'a':1}"),
            err(
                r"invalid character '\'' looking for beginning of object key string (line 1, byte 1)"
            )
        );
    }

    #[test]
    fn err_leading_zero() {
        assert_eq!(
            tokens_every_split(b"[01]"),
            err("invalid character '1' after array element (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"01"),
            err("invalid character '1' after top-level value (line 1, byte 1)")
        );
    }

    #[test]
    fn err_bad_number_starts() {
        assert_eq!(
            tokens_every_split(b".5"),
            err("invalid character '.' looking for beginning of value (line 1, byte 0)")
        );
        assert_eq!(
            tokens_every_split(b"[+1]"),
            err("invalid character '+' looking for beginning of value (line 1, byte 1)")
        );
    }

    #[test]
    fn err_in_numeric_literal() {
        assert_eq!(
            tokens_every_split(b"[1.]"),
            err("invalid character ']' in numeric literal (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"-a"),
            err("invalid character 'a' in numeric literal (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"1e+x"),
            err("invalid character 'x' in numeric literal (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"1.e5"),
            err("invalid character 'e' in numeric literal (line 1, byte 2)")
        );
    }

    #[test]
    fn err_number_parts_out_of_order() {
        assert_eq!(
            tokens_every_split(b"[1e5.5]"),
            err("invalid character '.' after array element (line 1, byte 4)")
        );
        assert_eq!(
            tokens_every_split(b"1.5.0"),
            err("invalid character '.' after top-level value (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"1e5e5"),
            err("invalid character 'e' after top-level value (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"-+1"),
            err("invalid character '+' in numeric literal (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"--1"),
            err("invalid character '-' in numeric literal (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"1e--1"),
            err("invalid character '-' in numeric literal (line 1, byte 3)")
        );
    }

    #[test]
    fn err_in_literal() {
        assert_eq!(
            tokens_every_split(b"trux"),
            err("invalid character 'x' in literal true (expecting 'e') (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"[fa1se]"),
            err("invalid character '1' in literal false (expecting 'l') (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"nil"),
            err("invalid character 'i' in literal null (expecting 'u') (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"True"),
            err("invalid character 'T' looking for beginning of value (line 1, byte 0)")
        );
    }

    #[test]
    fn err_trailing_garbage() {
        assert_eq!(
            tokens_every_split(br#"{"a":1} x"#),
            err("invalid character 'x' after top-level value (line 1, byte 8)")
        );
        assert_eq!(
            tokens_every_split(b"truex"),
            err("invalid character 'x' after top-level value (line 1, byte 4)")
        );
        assert_eq!(
            tokens_every_split(b"[]]"),
            err("invalid character ']' after top-level value (line 1, byte 2)")
        );
    }

    #[test]
    fn err_position_counts_lines() {
        assert_eq!(
            tokens_every_split(b"{\n\"a\":\n1,\n}"),
            err(
                "invalid character '}' looking for beginning of object key string (line 4, byte 10)"
            )
        );
    }

    #[test]
    fn err_byte_order_mark_and_non_ascii() {
        assert_eq!(
            tokens_every_split(b"\xef\xbb\xbf{}"),
            err(r"invalid character '\xef' looking for beginning of value (line 1, byte 0)")
        );
        assert_eq!(
            tokens_every_split("[\u{e9}]".as_bytes()),
            err(r"invalid character '\xc3' looking for beginning of value (line 1, byte 1)")
        );
    }

    // ---- errors: strings ------------------------------------------------

    #[test]
    fn err_control_char_in_string() {
        assert_eq!(
            tokens_every_split(b"\"a\tb\""),
            err(r"invalid character '\t' in string literal (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"[\"a\nb\"]"),
            err(r"invalid character '\n' in string literal (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(b"\"\x01\""),
            err(r"invalid character '\x01' in string literal (line 1, byte 1)")
        );
    }

    #[test]
    fn err_bad_escape() {
        assert_eq!(
            tokens_every_split(br#""\x""#),
            err("invalid character 'x' in string escape code (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(br#""\'""#),
            err(r"invalid character '\'' in string escape code (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(br#""\U00e9""#),
            err("invalid character 'U' in string escape code (line 1, byte 2)")
        );
    }

    #[test]
    fn err_bad_unicode_escape() {
        assert_eq!(
            tokens_every_split(br#""\u12g4""#),
            err("invalid unicode escape in string (line 1, byte 5)")
        );
        assert_eq!(
            tokens_every_split(br#""\u""#),
            err("invalid unicode escape in string (line 1, byte 3)")
        );
        assert_eq!(
            tokens_every_split(br#""\ud83d\uZ""#),
            err("invalid unicode escape in string (line 1, byte 9)")
        );
    }

    #[test]
    fn err_invalid_utf8() {
        assert_eq!(
            tokens_every_split(b"\"\xff\""),
            err("invalid UTF-8 in string (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"\"ab\xc3\""),
            err("invalid UTF-8 in string (line 1, byte 3)")
        );
        // Overlong encoding and an encoded surrogate.
        assert_eq!(
            tokens_every_split(b"\"\xc0\x80\""),
            err("invalid UTF-8 in string (line 1, byte 1)")
        );
        assert_eq!(
            tokens_every_split(b"\"x\xed\xa0\x80\""),
            err("invalid UTF-8 in string (line 1, byte 2)")
        );
    }

    #[test]
    fn err_invalid_utf8_around_escapes() {
        // A truncated character right before an escape.
        assert_eq!(
            tokens_every_split(b"\"\xc3\\n\""),
            err("invalid UTF-8 in string (line 1, byte 1)")
        );
        // Valid after an escape, then a truncated character.
        assert_eq!(
            tokens_every_split(b"\"a\\n\xc3\xa9\xc3\""),
            err("invalid UTF-8 in string (line 1, byte 6)")
        );
    }

    #[test]
    fn err_invalid_utf8_in_key_on_second_line() {
        assert_eq!(
            tokens_every_split(b"{\"\xff\":1}"),
            err("invalid UTF-8 in string (line 1, byte 2)")
        );
        assert_eq!(
            tokens_every_split(b"[\n\"ok\",\"\xfe\"]"),
            err("invalid UTF-8 in string (line 2, byte 8)")
        );
    }

    // ---- limits -------------------------------------------------------------

    #[test]
    fn depth_limit_exactly_reached() {
        let body = format!("{}{}", "[".repeat(DEPTH_MAX), "]".repeat(DEPTH_MAX));
        let tokens = tokens_every_split(body.as_bytes()).unwrap();
        assert_eq!(tokens.len(), 2 * DEPTH_MAX);
    }

    #[test]
    fn err_depth_limit() {
        let body = "[".repeat(DEPTH_MAX + 1);
        assert_eq!(
            tokens_every_split(body.as_bytes()),
            err("nesting deeper than 64 levels (line 1, byte 64)")
        );
        let body = format!("{}{{", "{\"k\":".repeat(DEPTH_MAX));
        assert_eq!(
            tokens_every_split(body.as_bytes()),
            err("nesting deeper than 64 levels (line 1, byte 320)")
        );
    }

    #[test]
    fn depth_stack_remembers_container_kinds() {
        // Alternating objects and arrays, 64 deep: every closing bracket must
        // match what the bit stack remembers.
        let body = format!("{}1{}", "{\"k\":[".repeat(32), "]}".repeat(32));
        let tokens = tokens_every_split(body.as_bytes()).unwrap();
        assert_eq!(tokens.len(), 32 * 5 + 1);
        assert_eq!(tokens.last().map(String::as_str), Some("}"));

        let mut tok = Tokenizer::new();
        let mut rest = body.as_bytes();
        let mut deepest = 0;
        while !rest.is_empty() {
            let (_, n) = tok.next(rest).unwrap();
            rest = &rest[n..];
            deepest = deepest.max(tok.depth());
        }
        assert_eq!(deepest, DEPTH_MAX);
        assert_eq!(tok.depth(), 0);

        let wrong = format!("{}1}}", "{\"k\":[".repeat(32));
        assert_eq!(
            tokens_every_split(wrong.as_bytes()),
            err("invalid character '}' after array element (line 1, byte 193)")
        );
    }

    #[test]
    fn text_limit_exactly_reached() {
        assert_eq!(
            limited(4, br#"["abcd",1234,"\u00e9\u00e9"]"#),
            ok(&["[", "str:abcd", "num:1234", "str:\u{e9}\u{e9}", "]"])
        );
    }

    #[test]
    fn err_text_limit_string() {
        assert_eq!(
            limited(4, br#""abcde""#),
            err("string or number longer than 4 bytes (line 1, byte 5)")
        );
        assert_eq!(
            limited(4, br#"{"abcde":1}"#),
            err("string or number longer than 4 bytes (line 1, byte 6)")
        );
    }

    #[test]
    fn err_text_limit_escapes() {
        assert_eq!(
            limited(4, br#""abc\u00e9""#),
            err("string or number longer than 4 bytes (line 1, byte 9)")
        );
        assert_eq!(
            limited(3, br#""abc\n""#),
            err("string or number longer than 3 bytes (line 1, byte 5)")
        );
    }

    #[test]
    fn err_text_limit_number() {
        assert_eq!(
            limited(4, b"12345"),
            err("string or number longer than 4 bytes (line 1, byte 4)")
        );
        assert_eq!(
            limited(4, b"[-1.5e3]"),
            err("string or number longer than 4 bytes (line 1, byte 5)")
        );
    }

    #[test]
    fn err_text_limit_wins_over_later_number_error() {
        // The limit is passed at byte 4, before the bad byte at 7; chunking
        // must not change which error is reported.
        assert_eq!(
            limited(4, b"12345e+x"),
            err("string or number longer than 4 bytes (line 1, byte 4)")
        );
    }

    #[test]
    fn err_text_limit_default() {
        let fits = format!("\"{}\"", "a".repeat(TEXT_BYTES_MAX_DEFAULT));
        let long = format!("\"{}\"", "a".repeat(TEXT_BYTES_MAX_DEFAULT + 1));
        let digits = "7".repeat(TEXT_BYTES_MAX_DEFAULT + 1);
        for size in [usize::MAX, 4096, 7] {
            let chunks = |s: &str| -> Vec<Vec<u8>> {
                s.as_bytes()
                    .chunks(size.min(s.len()))
                    .map(<[u8]>::to_vec)
                    .collect()
            };
            let run = |s: &str| {
                let owned = chunks(s);
                let refs: Vec<&[u8]> = owned.iter().map(Vec::as_slice).collect();
                run_chunks(Tokenizer::new(), &refs).0
            };
            assert_eq!(run(&fits).map(|t| t.len()), Ok(1));
            assert_eq!(
                run(&long),
                err("string or number longer than 65536 bytes (line 1, byte 65537)")
            );
            assert_eq!(
                run(&digits),
                err("string or number longer than 65536 bytes (line 1, byte 65536)")
            );
        }
    }

    // ---- lifecycle -------------------------------------------------------------

    #[test]
    fn err_is_sticky_until_reset() {
        let mut tok = Tokenizer::new();
        assert_eq!(tok.next(b"[1,]"), Ok((Step::Token(Token::ArrayStart), 1)));
        assert_eq!(tok.next(b"1,]"), Ok((Step::Token(Token::Number), 1)));
        let first = tok.next(b",]").unwrap_err();
        assert_eq!(
            first.to_string(),
            "invalid character ']' looking for beginning of value (line 1, byte 3)"
        );
        assert_eq!(tok.next(b"1"), Err(first.clone()));
        assert_eq!(tok.next(b""), Err(first));
    }

    #[test]
    fn reset_reuses_tokenizer_and_keeps_settings() {
        let mut tok = Tokenizer::with_text_bytes_max(8);
        tok.set_multiple_values(true);
        assert!(tok.next(b"}").is_err());

        tok.reset();
        assert_eq!(tok.position(), Position { byte: 0, line: 1 });
        assert_eq!(tok.depth(), 0);
        let (tokens, starts) = run_chunks(tok.clone(), &[b" \"abcdefgh\"\n\"x\""]);
        assert_eq!(tokens, ok(&["str:abcdefgh", "str:x"]));
        assert_eq!(
            starts,
            vec![
                Position { byte: 1, line: 1 },
                Position { byte: 12, line: 2 }
            ]
        );

        tok.reset();
        assert_eq!(
            run_chunks(tok.clone(), &[b"\"abcdefghi\""]).0,
            err("string or number longer than 8 bytes (line 1, byte 9)")
        );

        // Reset mid-document too.
        tok.reset();
        assert_eq!(tok.next(b"[[\"ab"), Ok((Step::Token(Token::ArrayStart), 1)));
        assert_eq!(tok.next(b"[\"ab"), Ok((Step::Token(Token::ArrayStart), 1)));
        assert_eq!(tok.next(b"\"ab"), Ok((Step::NeedInput, 3)));
        tok.reset();
        assert_eq!(run_chunks(tok, &[b"1 2"]).0, ok(&["num:1", "num:2"]));
    }

    #[test]
    fn display_quotes_like_go() {
        let show = |found: u8| {
            JsonError {
                kind: JsonErrorKind::UnexpectedByte {
                    found,
                    context: Context::BeginningOfValue,
                },
                at: Position { byte: 7, line: 2 },
            }
            .to_string()
        };
        let tail = " looking for beginning of value (line 2, byte 7)";
        assert_eq!(show(b'x'), format!("invalid character 'x'{tail}"));
        assert_eq!(show(b' '), format!("invalid character ' '{tail}"));
        assert_eq!(show(b'\''), format!(r"invalid character '\''{tail}"));
        assert_eq!(show(b'"'), format!(r#"invalid character '"'{tail}"#));
        assert_eq!(show(b'\\'), format!(r"invalid character '\\'{tail}"));
        assert_eq!(show(b'\n'), format!(r"invalid character '\n'{tail}"));
        assert_eq!(show(0x01), format!(r"invalid character '\x01'{tail}"));
        assert_eq!(show(0x7f), format!(r"invalid character '\x7f'{tail}"));
        assert_eq!(show(0xff), format!(r"invalid character '\xff'{tail}"));
    }

    #[test]
    fn display_other_kinds() {
        let at = Position { byte: 3, line: 1 };
        let show = |kind| JsonError { kind, at }.to_string();
        assert_eq!(
            show(JsonErrorKind::UnexpectedEnd),
            "unexpected end of JSON input (line 1, byte 3)"
        );
        assert_eq!(
            show(JsonErrorKind::InvalidUtf8),
            "invalid UTF-8 in string (line 1, byte 3)"
        );
        assert_eq!(
            show(JsonErrorKind::InvalidUnicodeEscape),
            "invalid unicode escape in string (line 1, byte 3)"
        );
        assert_eq!(
            show(JsonErrorKind::TextTooLong { limit: 65536 }),
            "string or number longer than 65536 bytes (line 1, byte 3)"
        );
        assert_eq!(
            show(JsonErrorKind::TooDeep { limit: 64 }),
            "nesting deeper than 64 levels (line 1, byte 3)"
        );
    }

    // ---- word-at-a-time scanners and randomized checks ------------------

    fn naive_string_run(bytes: &[u8]) -> (usize, bool) {
        let n = bytes
            .iter()
            .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
            .unwrap_or(bytes.len());
        (n, bytes[..n].iter().any(|&b| b >= 0x80))
    }

    fn naive_digit_run(bytes: &[u8]) -> usize {
        bytes.iter().take_while(|b| b.is_ascii_digit()).count()
    }

    #[test]
    fn swar_scanners_match_naive_for_every_byte_and_lane() {
        for len in 0..=20 {
            for fill in [b'a', b'7', 0xc3] {
                let plain = vec![fill; len];
                assert_eq!(plain_string_run(&plain), naive_string_run(&plain));
                assert_eq!(digit_run(&plain), naive_digit_run(&plain));
                for pos in 0..len {
                    for b in 0..=255u8 {
                        let mut buf = plain.clone();
                        buf[pos] = b;
                        assert_eq!(plain_string_run(&buf), naive_string_run(&buf), "{buf:?}");
                        assert_eq!(digit_run(&buf), naive_digit_run(&buf), "{buf:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn swar_non_ascii_flag_covers_only_the_run() {
        for len in 1..=20 {
            for p in 0..len {
                for q in 0..len {
                    if p == q {
                        continue;
                    }
                    let mut buf = vec![b'x'; len];
                    buf[p] = b'"';
                    buf[q] = 0xe9;
                    assert_eq!(plain_string_run(&buf), (p, q < p), "{buf:?}");
                }
            }
        }
    }

    /// xorshift64*: deterministic, dependency-free randomness for tests.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) % n
        }

        fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
            &items[self.below(items.len() as u64) as usize]
        }
    }

    fn gen_whitespace(rng: &mut Rng, body: &mut Vec<u8>) {
        for _ in 0..rng.below(3) {
            body.push(*rng.pick(b" \t\r\n"));
        }
    }

    /// Appends a randomly escaped string literal; returns its decoded text.
    fn gen_string(rng: &mut Rng, body: &mut Vec<u8>) -> String {
        let chars = [
            'a',
            'Z',
            ' ',
            '/',
            '"',
            '\\',
            '\n',
            '\t',
            '\u{1}',
            '\u{7f}',
            '\u{e9}',
            '\u{4e2d}',
            '\u{1f600}',
            '\u{ffff}',
        ];
        let mut text = String::new();
        body.push(b'"');
        for _ in 0..rng.below(6) {
            let c = *rng.pick(&chars);
            text.push(c);
            let short = match c {
                '"' => Some("\\\""),
                '\\' => Some("\\\\"),
                '\n' => Some("\\n"),
                '\t' => Some("\\t"),
                '/' => Some("\\/"),
                _ => None,
            };
            let must_escape = c < ' ' || c == '"' || c == '\\';
            match (short, rng.below(3)) {
                (Some(esc), 0 | 1) => body.extend_from_slice(esc.as_bytes()),
                (_, 0) if !must_escape => {
                    let mut buf = [0u8; 4];
                    body.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                }
                _ => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        let esc = if rng.below(2) == 0 {
                            format!("\\u{unit:04x}")
                        } else {
                            format!("\\u{unit:04X}")
                        };
                        body.extend_from_slice(esc.as_bytes());
                    }
                }
            }
        }
        body.push(b'"');
        text
    }

    fn gen_number(rng: &mut Rng) -> String {
        let mut n = String::new();
        if rng.below(3) == 0 {
            n.push('-');
        }
        if rng.below(4) == 0 {
            n.push('0');
        } else {
            n.push(*rng.pick(&['1', '5', '9']));
            for _ in 0..rng.below(20) {
                n.push(*rng.pick(&['0', '3', '9']));
            }
        }
        if rng.below(2) == 0 {
            n.push('.');
            for _ in 0..=rng.below(4) {
                n.push(*rng.pick(&['0', '2', '8']));
            }
        }
        if rng.below(3) == 0 {
            n.push(*rng.pick(&['e', 'E']));
            if rng.below(2) == 0 {
                n.push(*rng.pick(&['+', '-']));
            }
            for _ in 0..=rng.below(3) {
                n.push(*rng.pick(&['0', '1', '7']));
            }
        }
        n
    }

    fn gen_value(rng: &mut Rng, depth: usize, body: &mut Vec<u8>, expected: &mut Vec<String>) {
        gen_whitespace(rng, body);
        let kinds = if depth < 4 { 6 } else { 4 };
        match rng.below(kinds) {
            0 => {
                let text = gen_string(rng, body);
                expected.push(format!("str:{text}"));
            }
            1 => {
                let number = gen_number(rng);
                body.extend_from_slice(number.as_bytes());
                expected.push(format!("num:{number}"));
            }
            2 => {
                let word = *rng.pick(&["true", "false", "null"]);
                body.extend_from_slice(word.as_bytes());
                expected.push(word.to_owned());
            }
            3 => {
                let number = gen_number(rng);
                body.extend_from_slice(number.as_bytes());
                expected.push(format!("num:{number}"));
            }
            4 => {
                body.push(b'[');
                expected.push("[".to_owned());
                for k in 0..rng.below(4) {
                    if k > 0 {
                        body.push(b',');
                    }
                    gen_value(rng, depth + 1, body, expected);
                }
                gen_whitespace(rng, body);
                body.push(b']');
                expected.push("]".to_owned());
            }
            _ => {
                body.push(b'{');
                expected.push("{".to_owned());
                for k in 0..rng.below(4) {
                    if k > 0 {
                        body.push(b',');
                    }
                    gen_whitespace(rng, body);
                    let key = gen_string(rng, body);
                    expected.push(format!("key:{key}"));
                    gen_whitespace(rng, body);
                    body.push(b':');
                    gen_value(rng, depth + 1, body, expected);
                }
                gen_whitespace(rng, body);
                body.push(b'}');
                expected.push("}".to_owned());
            }
        }
        gen_whitespace(rng, body);
    }

    #[test]
    fn random_valid_documents_decode_to_what_was_encoded() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut longest = 0;
        for _ in 0..400 {
            let mut body = Vec::new();
            let mut expected = Vec::new();
            gen_value(&mut rng, 0, &mut body, &mut expected);
            longest = longest.max(body.len());
            let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
            assert_eq!(
                tokens_every_split(&body),
                ok(&expected),
                "{:?}",
                String::from_utf8_lossy(&body)
            );
        }
        // The generator must actually produce non-trivial documents.
        assert!(longest > 100, "longest body only {longest} bytes");
    }

    /// The error message without the quoted byte and the position.
    fn error_class(message: &str) -> &str {
        let head = message.split(" (line").next().unwrap_or_default();
        if head.contains(" in literal ") {
            return "in literal";
        }
        let contexts = [
            "looking for beginning of value",
            "after object key:value pair",
            "after object key",
            "after array element",
            "looking for beginning of object key string",
            "in string literal",
            "in string escape code",
            "in numeric literal",
            "after top-level value",
        ];
        contexts
            .into_iter()
            .find(|c| head.ends_with(c))
            .unwrap_or(head)
    }

    #[test]
    fn random_garbage_gives_the_same_answer_however_split() {
        // Mostly-JSON bytes, so that inputs get deep into the grammar before
        // failing; tokens_every_split asserts split invariance, and the
        // depth/text limits are exercised with small values.
        let alphabet: &[&[u8]] = &[
            b"{",
            b"}",
            b"[",
            b"]",
            b"\"",
            b",",
            b":",
            b" ",
            b"\n",
            b"\\",
            b"u",
            b"d8",
            b"dc",
            b"0",
            b"1",
            b"9",
            b"-",
            b".",
            b"e",
            b"+",
            b"true",
            b"fal",
            b"null",
            b"a",
            b"\xc3",
            b"\xa9",
            b"\x01",
            b"\"k\":",
            b"\"v\"",
            b"\"k\":1 ",
            b"\\u00e9",
            b"\\uZ",
        ];
        let mut rng = Rng(42);
        let mut outcomes = [0usize; 2];
        let mut kinds = std::collections::BTreeSet::new();
        for round in 0..1500 {
            let mut body = Vec::new();
            for _ in 0..rng.below(24) {
                let piece = *rng.pick(alphabet);
                body.extend_from_slice(piece);
            }
            let multiple = round % 2 == 0;
            let (result, _) = tokens_every_split_with(&body, |t| {
                *t = Tokenizer::with_text_bytes_max(6);
                t.set_multiple_values(multiple);
            });
            outcomes[usize::from(result.is_ok())] += 1;
            if let Err(e) = result {
                kinds.insert(error_class(&e).to_owned());
            }
        }
        // Valid and invalid outcomes, and most error kinds, must all occur
        // for this to test anything.
        assert!(outcomes[0] > 1000 && outcomes[1] > 30, "{outcomes:?}");
        // Every kind but TooDeep (out of reach of such short inputs).
        assert_eq!(kinds.len(), 14, "{kinds:#?}");
    }

    /// Throughput check, run by hand:
    /// `cargo test --release -- --ignored --nocapture throughput`.
    #[test]
    #[ignore = "throughput check, run by hand in release mode"]
    fn throughput() {
        let mut body = Vec::with_capacity(52 << 20);
        body.push(b'[');
        let mut rows = 0u64;
        while body.len() < 50 << 20 {
            if rows > 0 {
                body.push(b',');
            }
            let row = format!(
                "[\"sensor.temp.{:02}\",{},{}.5]",
                rows % 100,
                1_670_380_342_000_000_000 + rows * 1_000_000_000,
                rows % 40
            );
            body.extend_from_slice(row.as_bytes());
            rows += 1;
        }
        body.push(b']');

        let mut best = f64::MAX;
        for _ in 0..5 {
            let started = std::time::Instant::now();
            let mut tok = Tokenizer::new();
            let mut tokens = 0u64;
            let mut text_bytes = 0usize;
            for chunk in body.chunks(64 * 1024) {
                let mut rest = chunk;
                while !rest.is_empty() {
                    let (step, n) = tok.next(rest).unwrap();
                    rest = &rest[n..];
                    if let Step::Token(_) = step {
                        tokens += 1;
                        text_bytes += tok.text().len();
                    }
                }
            }
            assert_eq!(tok.next(&[]), Ok((Step::End, 0)));
            let secs = started.elapsed().as_secs_f64();
            best = best.min(secs);
            assert_eq!(tokens, 2 + rows * 5);
            assert!(text_bytes > 0);
        }
        let mb = body.len() as f64 / 1e6;
        println!(
            "{mb:.1} MB, {rows} rows, best of 5: {:.1} ms, {:.0} MB/s",
            best * 1e3,
            mb / best
        );
    }
}
