//! Go reference-time layouts (`2006-01-02 15:04:05.999`): a port of Go's `time/format.go`,
//! compiled once per request into chunks, then used to print (`Time.Format`) and to read
//! (`time.ParseInLocation`) any number of times. Which layout a `timeformat` names is
//! `named.rs`'s business; which zone a `tz` names is `zone.rs`'s.
//!
//! Invariants:
//! - A layout splits into chunks exactly where Go's `nextStdChunk` splits it: `Jan` is a month
//!   but `Janet` is text, `2006` is a year before `2` is a day, a fraction is `.` or `,`
//!   followed by a run of `0` or `9` that no digit follows. Every layout is valid: what is
//!   not a chunk is literal text.
//! - `parse` accepts what Go accepts and fails with Go's message (`error.rs`), checked against
//!   cases from Go's own tests. The one addition: a time outside i64 ns (years before 1677 or
//!   after 2262, and layouts without a year, which Go reads as year 0) is refused.
//! - `format` prints what Go prints for every instant tidegate can hold, in any zone.
//! - Nothing here panics on any text or layout: every slice is `get`, every number checked.

use std::ops::Range;

use super::civil::{self, Civil, NS_PER_SECOND};
use super::error::{ParseError, ParseErrorKind, TimeError};
use super::zone::Zone;

/// One std chunk of Go's layout language; the comment is its layout text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Std {
    LongMonth,             // January
    Month,                 // Jan
    NumMonth,              // 1
    ZeroMonth,             // 01
    LongWeekDay,           // Monday
    WeekDay,               // Mon
    Day,                   // 2
    UnderDay,              // _2
    ZeroDay,               // 02
    UnderYearDay,          // __2
    ZeroYearDay,           // 002
    Hour,                  // 15
    Hour12,                // 3
    ZeroHour12,            // 03
    Minute,                // 4
    ZeroMinute,            // 04
    Second,                // 5
    ZeroSecond,            // 05
    LongYear,              // 2006
    Year,                  // 06
    Pm,                    // PM
    PmLower,               // pm
    Tz,                    // MST
    Iso8601Tz,             // Z0700
    Iso8601SecondsTz,      // Z070000
    Iso8601ShortTz,        // Z07
    Iso8601ColonTz,        // Z07:00
    Iso8601ColonSecondsTz, // Z07:00:00
    NumTz,                 // -0700
    NumSecondsTz,          // -070000
    NumShortTz,            // -07
    NumColonTz,            // -07:00
    NumColonSecondsTz,     // -07:00:00
    /// `.000` (`trim` false) or `.999` (`trim` true); `,` instead of `.` prints a comma.
    Frac {
        digits: usize,
        trim: bool,
        comma: bool,
    },
}

/// Literal text `prefix_start..std_start` of the layout, then the std chunk
/// `std_start..std_end`. The last chunk has no std: its prefix is the layout's tail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Chunk {
    prefix_start: usize,
    std_start: usize,
    std_end: usize,
    std: Option<Std>,
}

/// A compiled Go layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    text: Box<str>,
    chunks: Box<[Chunk]>,
}

/// `s[at..]` starts with `word`.
fn has_at(s: &[u8], at: usize, word: &[u8]) -> bool {
    s.get(at..at + word.len()) == Some(word)
}

fn is_digit_at(s: &[u8], at: usize) -> bool {
    s.get(at).is_some_and(u8::is_ascii_digit)
}

/// Go's `nextStdChunk` from `from`: where the next std chunk starts and ends, and what it is;
/// `None` with `layout.len()` twice when the rest is all literal.
fn next_std_chunk(layout: &[u8], from: usize) -> (usize, usize, Option<Std>) {
    let at = |i: usize| layout.get(i).copied().unwrap_or(0);
    // Go refuses `Mon` or `Jan` right before a lower-case letter (`Monday` aside), so that
    // words like `Month` stay text.
    let lower_at = |i: usize| at(i).is_ascii_lowercase();
    let mut i = from;
    while i < layout.len() {
        let found = |len: usize, std: Std| (i, i + len, Some(std));
        match at(i) {
            b'J' if has_at(layout, i, b"Jan") => {
                if has_at(layout, i, b"January") {
                    return found(7, Std::LongMonth);
                }
                if !lower_at(i + 3) {
                    return found(3, Std::Month);
                }
            }
            b'M' if layout.len() >= i + 3 => {
                if has_at(layout, i, b"Mon") {
                    if has_at(layout, i, b"Monday") {
                        return found(6, Std::LongWeekDay);
                    }
                    if !lower_at(i + 3) {
                        return found(3, Std::WeekDay);
                    }
                }
                if has_at(layout, i, b"MST") {
                    return found(3, Std::Tz);
                }
            }
            b'0' => {
                let zero_x = [
                    Std::ZeroMonth,
                    Std::ZeroDay,
                    Std::ZeroHour12,
                    Std::ZeroMinute,
                    Std::ZeroSecond,
                    Std::Year,
                ];
                if let Some(&std) = at(i + 1)
                    .checked_sub(b'1')
                    .and_then(|k| zero_x.get(usize::from(k)))
                {
                    return found(2, std);
                }
                if at(i + 1) == b'0' && at(i + 2) == b'2' {
                    return found(3, Std::ZeroYearDay);
                }
            }
            b'1' => {
                if at(i + 1) == b'5' {
                    return found(2, Std::Hour);
                }
                return found(1, Std::NumMonth);
            }
            b'2' => {
                if has_at(layout, i, b"2006") {
                    return found(4, Std::LongYear);
                }
                return found(1, Std::Day);
            }
            b'_' => {
                if at(i + 1) == b'2' {
                    // `_2006` is a literal `_` and then the year.
                    if has_at(layout, i + 1, b"2006") {
                        return (i + 1, i + 5, Some(Std::LongYear));
                    }
                    return found(2, Std::UnderDay);
                }
                if at(i + 1) == b'_' && at(i + 2) == b'2' {
                    return found(3, Std::UnderYearDay);
                }
            }
            b'3' => return found(1, Std::Hour12),
            b'4' => return found(1, Std::Minute),
            b'5' => return found(1, Std::Second),
            b'P' if at(i + 1) == b'M' => return found(2, Std::Pm),
            b'p' if at(i + 1) == b'm' => return found(2, Std::PmLower),
            b'-' => {
                for (word, std) in [
                    (&b"-070000"[..], Std::NumSecondsTz),
                    (b"-07:00:00", Std::NumColonSecondsTz),
                    (b"-0700", Std::NumTz),
                    (b"-07:00", Std::NumColonTz),
                    (b"-07", Std::NumShortTz),
                ] {
                    if has_at(layout, i, word) {
                        return found(word.len(), std);
                    }
                }
            }
            b'Z' => {
                for (word, std) in [
                    (&b"Z070000"[..], Std::Iso8601SecondsTz),
                    (b"Z07:00:00", Std::Iso8601ColonSecondsTz),
                    (b"Z0700", Std::Iso8601Tz),
                    (b"Z07:00", Std::Iso8601ColonTz),
                    (b"Z07", Std::Iso8601ShortTz),
                ] {
                    if has_at(layout, i, word) {
                        return found(word.len(), std);
                    }
                }
            }
            sep @ (b'.' | b',') if matches!(at(i + 1), b'0' | b'9') => {
                let ch = at(i + 1);
                let mut j = i + 1;
                while at(j) == ch && j < layout.len() {
                    j += 1;
                }
                // Only a fraction is all digits: `.0001` is not one.
                if !is_digit_at(layout, j) {
                    let std = Std::Frac {
                        digits: j - (i + 1),
                        trim: ch == b'9',
                        comma: sep == b',',
                    };
                    return (i, j, Some(std));
                }
            }
            _ => {}
        }
        i += 1;
    }
    (layout.len(), layout.len(), None)
}

const LONG_DAY_NAMES: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const LONG_MONTH_NAMES: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Go's `appendInt`: `x` in decimal, zero-padded to `width` digits after any `-`.
fn push_int(out: &mut String, x: i64, width: usize) {
    use std::fmt::Write;
    if x < 0 {
        out.push('-');
    }
    let digits = x.unsigned_abs();
    let _ = write!(out, "{digits:0width$}");
}

/// `names[index]`, or `?` for an index the calendar code never produces.
fn name_at(names: &[&'static str], index: usize, len: usize) -> &'static str {
    let name = names.get(index).copied().unwrap_or("?");
    name.get(..len.min(name.len())).unwrap_or(name)
}

impl Layout {
    /// Compiles `layout`; every string is a layout (text Go does not know is literal).
    pub fn new(layout: &str) -> Layout {
        let bytes = layout.as_bytes();
        let mut chunks = Vec::new();
        let mut from = 0;
        loop {
            let (std_start, std_end, std) = next_std_chunk(bytes, from);
            chunks.push(Chunk {
                prefix_start: from,
                std_start,
                std_end,
                std,
            });
            if std.is_none() {
                break;
            }
            from = std_end;
        }
        Layout {
            text: layout.into(),
            chunks: chunks.into_boxed_slice(),
        }
    }

    /// The layout as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    fn slice(&self, range: Range<usize>) -> &str {
        self.text.get(range).unwrap_or_default()
    }

    /// Go's `Time.Format` for the instant `ns` shown in `zone`, appended to `out`.
    pub fn format(&self, ns: i64, zone: &Zone, out: &mut String) {
        let offset = zone.offset_at_utc(ns);
        let offset_s = offset.seconds();
        let wall = Civil::from_unix_seconds(
            ns.div_euclid(NS_PER_SECOND) + i64::from(offset_s),
            ns.rem_euclid(NS_PER_SECOND) as u32,
        );
        for chunk in self.chunks.iter() {
            out.push_str(self.slice(chunk.prefix_start..chunk.std_start));
            let Some(std) = chunk.std else { break };
            let hour12 = match wall.hour % 12 {
                0 => 12,
                h => h,
            };
            match std {
                Std::Year => push_int(out, i64::from(wall.year).abs() % 100, 2),
                Std::LongYear => push_int(out, i64::from(wall.year), 4),
                Std::Month | Std::LongMonth => {
                    let len = if std == Std::Month { 3 } else { usize::MAX };
                    let index = usize::from(wall.month).wrapping_sub(1);
                    out.push_str(name_at(&LONG_MONTH_NAMES, index, len));
                }
                Std::NumMonth => push_int(out, i64::from(wall.month), 0),
                Std::ZeroMonth => push_int(out, i64::from(wall.month), 2),
                Std::WeekDay | Std::LongWeekDay => {
                    let len = if std == Std::WeekDay { 3 } else { usize::MAX };
                    let index = usize::from(civil::weekday(wall.days()));
                    out.push_str(name_at(&LONG_DAY_NAMES, index, len));
                }
                Std::Day => push_int(out, i64::from(wall.day), 0),
                Std::UnderDay => {
                    if wall.day < 10 {
                        out.push(' ');
                    }
                    push_int(out, i64::from(wall.day), 0);
                }
                Std::ZeroDay => push_int(out, i64::from(wall.day), 2),
                Std::UnderYearDay => {
                    let yday = civil::year_day(&wall);
                    if yday < 100 {
                        out.push(' ');
                        if yday < 10 {
                            out.push(' ');
                        }
                    }
                    push_int(out, i64::from(yday), 0);
                }
                Std::ZeroYearDay => push_int(out, i64::from(civil::year_day(&wall)), 3),
                Std::Hour => push_int(out, i64::from(wall.hour), 2),
                Std::Hour12 => push_int(out, i64::from(hour12), 0),
                Std::ZeroHour12 => push_int(out, i64::from(hour12), 2),
                Std::Minute => push_int(out, i64::from(wall.minute), 0),
                Std::ZeroMinute => push_int(out, i64::from(wall.minute), 2),
                Std::Second => push_int(out, i64::from(wall.second), 0),
                Std::ZeroSecond => push_int(out, i64::from(wall.second), 2),
                Std::Pm => out.push_str(if wall.hour >= 12 { "PM" } else { "AM" }),
                Std::PmLower => out.push_str(if wall.hour >= 12 { "pm" } else { "am" }),
                Std::Tz => {
                    let name = offset.abbreviation();
                    if name.is_empty() {
                        // No name known: Go prints the -0700 form.
                        push_offset(out, offset_s, Std::NumTz);
                    } else {
                        out.push_str(name);
                    }
                }
                Std::Frac {
                    digits,
                    trim,
                    comma,
                } => push_fraction(out, wall.nanosecond, digits, trim, comma),
                tz => push_offset(out, offset_s, tz),
            }
        }
    }

    /// Go's `time.ParseInLocation(layout, text, zone)`, as i64 ns.
    pub fn parse(&self, text: &str, zone: &Zone) -> Result<i64, TimeError> {
        let parsed = self.parse_fields(text).map_err(TimeError::Layout)?;
        self.resolve(&parsed, text, zone).map_err(TimeError::Layout)
    }

    /// Reads `text` into wall-clock fields and zone information, as Go's `parse` does before
    /// it calls `Date`.
    fn parse_fields(&self, text: &str) -> Result<Parsed, ParseError> {
        let all = text.as_bytes();
        let layout = self.text.as_bytes();
        let at = |rest: &[u8]| all.len() - rest.len();
        let fail = |kind| ParseError::new(&self.text, text, kind);
        let mut value = all;
        let mut f = Fields {
            text_len: all.len(),
            ..Fields::default()
        };
        for (index, chunk) in self.chunks.iter().enumerate() {
            let prefix = layout
                .get(chunk.prefix_start..chunk.std_start)
                .unwrap_or_default();
            value = skip(value, prefix).map_err(|rest| {
                fail(ParseErrorKind::CannotParse {
                    at: at(rest),
                    elem: chunk.prefix_start..chunk.std_start,
                })
            })?;
            let Some(std) = chunk.std else {
                if !value.is_empty() {
                    return Err(fail(ParseErrorKind::ExtraText { at: at(value) }));
                }
                break;
            };
            let next_std = self.chunks.get(index + 1).and_then(|c| c.std);
            let hold = value;
            let mut range_error: Option<&'static str> = None;
            let step = f.read(std, next_std, value, &mut range_error);
            if let Some(rest) = step {
                value = rest;
            }
            if let Some(what) = range_error {
                return Err(fail(ParseErrorKind::Message(what)));
            }
            if step.is_none() {
                return Err(fail(ParseErrorKind::CannotParse {
                    at: at(hold),
                    elem: chunk.std_start..chunk.std_end,
                }));
            }
        }
        f.finish()
            .map_err(|what| fail(ParseErrorKind::Message(what)))
    }

    /// Go's end of `parse`: an explicit `Z`/`UTC` wins, then a numeric offset, then a zone
    /// abbreviation looked up in `zone`, and last `zone` itself for the wall time.
    fn resolve(&self, parsed: &Parsed, text: &str, zone: &Zone) -> Result<i64, ParseError> {
        let out_of_range = || ParseError::new(&self.text, text, ParseErrorKind::OutsideStoredRange);
        let wall = &parsed.wall;
        let as_utc = wall.seconds_as_utc();
        let with_offset =
            |offset_s: i32| civil::ns_from_parts(as_utc - i64::from(offset_s), wall.nanosecond);
        let ns = match &parsed.zone {
            ParsedZone::Utc => with_offset(0),
            ParsedZone::Offset(offset_s) => with_offset(*offset_s),
            ParsedZone::Name(range) => {
                // An abbreviation `zone` does not use leaves the instant at the wall time read
                // as UTC: Go attaches a made-up zone (`GMT-8` even with its offset) to the
                // time but never moves the instant by it.
                let name = text.get(range.clone()).unwrap_or_default();
                with_offset(zone.offset_for_abbreviation(name, as_utc).unwrap_or(0))
            }
            ParsedZone::Default => zone.local_to_utc(wall),
        };
        ns.ok_or_else(out_of_range)
    }
}

/// Go's `appendNano`.
fn push_fraction(out: &mut String, nanosecond: u32, digits: usize, trim: bool, comma: bool) {
    if trim && nanosecond == 0 {
        return;
    }
    let sep = if comma { ',' } else { '.' };
    let mut nine = [b'0'; 9];
    let mut rest = nanosecond;
    for digit in nine.iter_mut().rev() {
        *digit = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut shown = nine.get(..digits.min(9)).unwrap_or(&nine);
    if trim {
        while let Some((b'0', head)) = shown.split_last() {
            shown = head;
        }
        if shown.is_empty() {
            return;
        }
    }
    out.push(sep);
    out.extend(shown.iter().map(|&b| char::from(b)));
}

/// Go's numeric zone forms; the `Z` forms print `Z` for UTC.
fn push_offset(out: &mut String, offset_s: i32, std: Std) {
    use Std::*;
    let iso = matches!(
        std,
        Iso8601Tz | Iso8601SecondsTz | Iso8601ShortTz | Iso8601ColonTz | Iso8601ColonSecondsTz
    );
    if offset_s == 0 && iso {
        out.push('Z');
        return;
    }
    let mut minutes = offset_s / 60;
    let mut abs_s = offset_s;
    if minutes < 0 {
        out.push('-');
        minutes = -minutes;
        abs_s = -abs_s;
    } else {
        out.push('+');
    }
    push_int(out, i64::from(minutes / 60), 2);
    if matches!(
        std,
        Iso8601ColonTz | NumColonTz | Iso8601ColonSecondsTz | NumColonSecondsTz
    ) {
        out.push(':');
    }
    if !matches!(std, NumShortTz | Iso8601ShortTz) {
        push_int(out, i64::from(minutes % 60), 2);
    }
    if matches!(
        std,
        Iso8601SecondsTz | NumSecondsTz | NumColonSecondsTz | Iso8601ColonSecondsTz
    ) {
        if matches!(std, NumColonSecondsTz | Iso8601ColonSecondsTz) {
            out.push(':');
        }
        push_int(out, i64::from(abs_s % 60), 2);
    }
}

/// Go's `skip`: `prefix` must start `value`, where a run of spaces in the layout matches any
/// run of spaces (none too) in the value. On failure, the value from where it differed.
fn skip<'v>(mut value: &'v [u8], mut prefix: &[u8]) -> Result<&'v [u8], &'v [u8]> {
    let cut_spaces = |s: &'v [u8]| -> &'v [u8] {
        let n = s.iter().take_while(|&&b| b == b' ').count();
        s.get(n..).unwrap_or_default()
    };
    while let Some(&p) = prefix.first() {
        if p == b' ' {
            if value.first().is_some_and(|&b| b != b' ') {
                return Err(value);
            }
            let n = prefix.iter().take_while(|&&b| b == b' ').count();
            prefix = prefix.get(n..).unwrap_or_default();
            value = cut_spaces(value);
            continue;
        }
        match value.split_first() {
            Some((&v, rest)) if v == p => value = rest,
            _ => return Err(value),
        }
        prefix = prefix.get(1..).unwrap_or_default();
    }
    Ok(value)
}

/// Go's `getnum`: one or two digits (exactly two when `fixed`).
fn getnum(s: &[u8], fixed: bool) -> Option<(i32, &[u8])> {
    let d0 = i32::from(*s.first().filter(|b| b.is_ascii_digit())? - b'0');
    match s.get(1).filter(|b| b.is_ascii_digit()) {
        Some(&d1) => Some((
            d0 * 10 + i32::from(d1 - b'0'),
            s.get(2..).unwrap_or_default(),
        )),
        None if fixed => None,
        None => Some((d0, s.get(1..).unwrap_or_default())),
    }
}

/// Go's `getnum3`: one to three digits (exactly three when `fixed`).
fn getnum3(s: &[u8], fixed: bool) -> Option<(i32, &[u8])> {
    let n = s.iter().take(3).take_while(|b| b.is_ascii_digit()).count();
    if n == 0 || (fixed && n != 3) {
        return None;
    }
    let value = s
        .iter()
        .take(n)
        .fold(0, |acc, d| acc * 10 + i32::from(d - b'0'));
    Some((value, s.get(n..).unwrap_or_default()))
}

/// Go's `leadingInt`: leading digits, `None` past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut x: u64 = 0;
    for &c in s.iter().take(n) {
        if x > (1 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > 1 << 63 {
            return None;
        }
    }
    Some((x, s.get(n..).unwrap_or_default()))
}

/// Go's `atoi` (time package): an optional sign, then only digits; `-` or `+` alone is 0.
fn atoi(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.split_first() {
        Some((b'-', rest)) => (true, rest),
        Some((b'+', rest)) => (false, rest),
        _ => (false, s),
    };
    let (x, rest) = leading_int(digits)?;
    if !rest.is_empty() {
        return None;
    }
    let x = x as i64; // 2^63 wraps to i64::MIN, as Go's int(q).
    Some(if negative { x.wrapping_neg() } else { x })
}

/// Go's `parseNanoseconds`: `value` starts with the separator, `nbytes` counts it; digits
/// past the ninth are dropped. `Err(Some(..))` is a range error, `Err(None)` a bad value.
fn parse_nanoseconds(value: &[u8], nbytes: usize) -> Result<i32, Option<&'static str>> {
    if !matches!(value.first(), Some(b'.' | b',')) {
        return Err(None);
    }
    let nbytes = nbytes.min(10);
    let ns = atoi(value.get(1..nbytes).ok_or(None)?).ok_or(None)?;
    if ns < 0 {
        return Err(Some("fractional second out of range"));
    }
    let scaled = (nbytes..10).fold(ns, |acc, _| acc.saturating_mul(10));
    i32::try_from(scaled).map_err(|_| None)
}

/// Go's `parseSignedOffset`: length of `+N`/`-N` with N ≤ 23, or 0.
fn parse_signed_offset(value: &[u8]) -> usize {
    let Some((b'+' | b'-', digits)) = value.split_first() else {
        return 0;
    };
    match leading_int(digits) {
        Some((x, rest)) if rest.len() != digits.len() && x <= 23 => value.len() - rest.len(),
        _ => 0,
    }
}

/// Go's `parseTimeZone`: the length of a zone abbreviation at the start of `value`.
fn parse_time_zone(value: &[u8]) -> Option<usize> {
    if value.len() < 3 {
        return None;
    }
    if has_at(value, 0, b"ChST") || has_at(value, 0, b"MeST") {
        return Some(4);
    }
    if has_at(value, 0, b"GMT") {
        let rest = value.get(3..).unwrap_or_default();
        return Some(if rest.is_empty() {
            3
        } else {
            3 + parse_signed_offset(rest)
        });
    }
    if matches!(value.first(), Some(b'+' | b'-')) {
        let n = parse_signed_offset(value);
        return (n > 0).then_some(n);
    }
    let upper = value
        .iter()
        .take(6)
        .take_while(|b| b.is_ascii_uppercase())
        .count();
    match upper {
        3 => Some(3),
        4 if value.get(3) == Some(&b'T') || has_at(value, 0, b"WITA") => Some(4),
        5 if value.get(4) == Some(&b'T') => Some(5),
        _ => None,
    }
}

/// Go's `lookup`: which of `names` starts `value`, ignoring ASCII case.
fn lookup<'v>(names: &[&str], value: &'v [u8], len: Option<usize>) -> Option<(usize, &'v [u8])> {
    names.iter().enumerate().find_map(|(i, name)| {
        let name = name.as_bytes();
        let name = name.get(..len.unwrap_or(name.len())).unwrap_or(name);
        let head = value.get(..name.len())?;
        head.eq_ignore_ascii_case(name)
            .then(|| (i, value.get(name.len()..).unwrap_or_default()))
    })
}

/// The zone information a text carried.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ParsedZone {
    /// None: the text is a wall time in the request's zone.
    Default,
    /// `Z` or `UTC`.
    Utc,
    /// A numeric offset, seconds east of UTC.
    Offset(i32),
    /// An abbreviation (`KST`, `GMT+9`, `+09`), at this byte range of the text.
    Name(Range<usize>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Parsed {
    wall: Civil,
    zone: ParsedZone,
}

/// What Go's `parse` accumulates while reading: `-1` is "not seen", as there.
struct Fields {
    year: i64,
    month: i64,
    day: i64,
    year_day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    nanosecond: i32,
    pm: bool,
    am: bool,
    utc: bool,
    offset_s: Option<i32>,
    zone_name: Option<Range<usize>>,
    /// Bytes of the whole text, to turn a zone name slice into a range.
    text_len: usize,
}

impl Default for Fields {
    fn default() -> Fields {
        Fields {
            year: 0,
            month: -1,
            day: -1,
            year_day: -1,
            hour: 0,
            minute: 0,
            second: 0,
            nanosecond: 0,
            pm: false,
            am: false,
            utc: false,
            offset_s: None,
            zone_name: None,
            text_len: 0,
        }
    }
}

const DAYS_BEFORE: [i64; 13] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365];

impl Fields {
    /// One std chunk of Go's `parse` loop: the value after it, or `None` for "cannot parse".
    /// A range error goes to `range_error`, which Go reports before a parse failure.
    fn read<'v>(
        &mut self,
        std: Std,
        next_std: Option<Std>,
        value: &'v [u8],
        range_error: &mut Option<&'static str>,
    ) -> Option<&'v [u8]> {
        let rest = |n: usize| value.get(n..).unwrap_or_default();
        match std {
            Std::Year => {
                let p = value.get(..2)?;
                let year = atoi(p)?;
                // Go's pivot: 69-99 are 19xx (Unix time starts Dec 31 1969 in some zones).
                self.year = if year >= 69 { year + 1900 } else { year + 2000 };
                Some(rest(2))
            }
            Std::LongYear => {
                if value.len() < 4 || !is_digit_at(value, 0) {
                    return None;
                }
                self.year = atoi(value.get(..4)?)?;
                Some(rest(4))
            }
            Std::Month | Std::LongMonth => {
                let len = (std == Std::Month).then_some(3);
                let (i, rest) = lookup(&LONG_MONTH_NAMES, value, len)?;
                self.month = i as i64 + 1;
                Some(rest)
            }
            Std::NumMonth | Std::ZeroMonth => {
                let (month, rest) = getnum(value, std == Std::ZeroMonth)?;
                self.month = i64::from(month);
                if !(1..=12).contains(&month) {
                    *range_error = Some("month out of range");
                }
                Some(rest)
            }
            Std::WeekDay | Std::LongWeekDay => {
                // Checked for syntax, otherwise ignored, as in Go.
                let len = (std == Std::WeekDay).then_some(3);
                lookup(&LONG_DAY_NAMES, value, len).map(|(_, rest)| rest)
            }
            Std::Day | Std::UnderDay | Std::ZeroDay => {
                let value = match value.split_first() {
                    Some((b' ', rest)) if std == Std::UnderDay => rest,
                    _ => value,
                };
                let (day, rest) = getnum(value, std == Std::ZeroDay)?;
                // Any one- or two-digit day; checked against the month at the end.
                self.day = i64::from(day);
                Some(rest)
            }
            Std::UnderYearDay | Std::ZeroYearDay => {
                let mut value = value;
                for _ in 0..2 {
                    if std == Std::UnderYearDay
                        && let Some((b' ', rest)) = value.split_first()
                    {
                        value = rest;
                    }
                }
                let (year_day, rest) = getnum3(value, std == Std::ZeroYearDay)?;
                self.year_day = i64::from(year_day);
                Some(rest)
            }
            Std::Hour => {
                let (hour, rest) = getnum(value, false)?;
                self.hour = i64::from(hour);
                if hour >= 24 {
                    *range_error = Some("hour out of range");
                }
                Some(rest)
            }
            Std::Hour12 | Std::ZeroHour12 => {
                let (hour, rest) = getnum(value, std == Std::ZeroHour12)?;
                self.hour = i64::from(hour);
                if hour > 12 {
                    *range_error = Some("hour out of range");
                }
                Some(rest)
            }
            Std::Minute | Std::ZeroMinute => {
                let (minute, rest) = getnum(value, std == Std::ZeroMinute)?;
                self.minute = i64::from(minute);
                if minute >= 60 {
                    *range_error = Some("minute out of range");
                }
                Some(rest)
            }
            Std::Second | Std::ZeroSecond => {
                let (second, rest) = getnum(value, std == Std::ZeroSecond)?;
                self.second = i64::from(second);
                if second >= 60 {
                    *range_error = Some("second out of range");
                    return Some(rest);
                }
                // A fraction after the seconds is read even when the layout has none.
                let has_fraction = matches!(rest.first(), Some(b'.' | b','))
                    && is_digit_at(rest, 1)
                    && !matches!(next_std, Some(Std::Frac { .. }));
                if !has_fraction {
                    return Some(rest);
                }
                let n = 2 + rest
                    .iter()
                    .skip(2)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                self.read_fraction(rest, n, range_error)
            }
            Std::Pm | Std::PmLower => {
                let (pm, am): (&[u8], &[u8]) = if std == Std::Pm {
                    (b"PM", b"AM")
                } else {
                    (b"pm", b"am")
                };
                let p = value.get(..2)?;
                if p == pm {
                    self.pm = true;
                } else if p == am {
                    self.am = true;
                } else {
                    return None;
                }
                Some(rest(2))
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
                if value.first() == Some(&b'Z') =>
            {
                self.utc = true;
                Some(rest(1))
            }
            Std::Iso8601Tz
            | Std::Iso8601SecondsTz
            | Std::Iso8601ShortTz
            | Std::Iso8601ColonTz
            | Std::Iso8601ColonSecondsTz
            | Std::NumTz
            | Std::NumSecondsTz
            | Std::NumShortTz
            | Std::NumColonTz
            | Std::NumColonSecondsTz => self.read_offset(std, value, range_error),
            Std::Tz => {
                if has_at(value, 0, b"UTC") {
                    self.utc = true;
                    return Some(rest(3));
                }
                let n = parse_time_zone(value)?;
                let start = self.text_len - value.len();
                self.zone_name = Some(start..start + n);
                Some(rest(n))
            }
            Std::Frac {
                digits,
                trim: false,
                ..
            } => {
                // `.000`: exactly the layout's digits, either separator.
                let n = 1 + digits;
                if value.len() < n {
                    return None;
                }
                self.read_fraction(value, n, range_error)
            }
            Std::Frac { trim: true, .. } => {
                // `.999`: optional; when present, any number of digits, as after seconds.
                if !(matches!(value.first(), Some(b'.' | b',')) && is_digit_at(value, 1)) {
                    return Some(value);
                }
                let n = 1 + value
                    .iter()
                    .skip(1)
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                self.read_fraction(value, n, range_error)
            }
        }
    }

    /// The fraction in `value[..n]` (separator included); the value after it.
    fn read_fraction<'v>(
        &mut self,
        value: &'v [u8],
        n: usize,
        range_error: &mut Option<&'static str>,
    ) -> Option<&'v [u8]> {
        match parse_nanoseconds(value, n) {
            Ok(ns) => self.nanosecond = ns,
            Err(Some(what)) => *range_error = Some(what),
            Err(None) => return None,
        }
        Some(value.get(n..).unwrap_or_default())
    }

    fn read_offset<'v>(
        &mut self,
        std: Std,
        value: &'v [u8],
        range_error: &mut Option<&'static str>,
    ) -> Option<&'v [u8]> {
        use Std::*;
        let part = |r: Range<usize>| value.get(r).unwrap_or_default();
        let (hour, minute, second, used): (&[u8], &[u8], &[u8], usize) = match std {
            Iso8601ColonTz | NumColonTz => {
                if value.len() < 6 || value.get(3) != Some(&b':') {
                    return None;
                }
                (part(1..3), part(4..6), b"00", 6)
            }
            NumShortTz | Iso8601ShortTz => {
                if value.len() < 3 {
                    return None;
                }
                (part(1..3), b"00", b"00", 3)
            }
            Iso8601ColonSecondsTz | NumColonSecondsTz => {
                if value.len() < 9 || value.get(3) != Some(&b':') || value.get(6) != Some(&b':') {
                    return None;
                }
                (part(1..3), part(4..6), part(7..9), 9)
            }
            Iso8601SecondsTz | NumSecondsTz => {
                if value.len() < 7 {
                    return None;
                }
                (part(1..3), part(3..5), part(5..7), 7)
            }
            _ => {
                if value.len() < 5 {
                    return None;
                }
                (part(1..3), part(3..5), b"00", 5)
            }
        };
        let hh = getnum(hour, true);
        let mm = hh.and_then(|_| getnum(minute, true));
        let ss = mm.and_then(|_| getnum(second, true));
        let number = |n: Option<(i32, &[u8])>| n.map_or(0, |(v, _)| v);
        let (hr, mi, se) = (number(hh), number(mm), number(ss));
        // `>` rather than `>=`: some write offsets of 24 hours or 60 minutes (Go's comment).
        if hr > 24 {
            *range_error = Some("time zone offset hour out of range");
        }
        if mi > 60 {
            *range_error = Some("time zone offset minute out of range");
        }
        if se > 60 {
            *range_error = Some("time zone offset second out of range");
        }
        let rest = value.get(used..).unwrap_or_default();
        if range_error.is_some() {
            // Reported by the caller before any parse failure, as Go does.
            return Some(rest);
        }
        let magnitude = (hr * 60 + mi) * 60 + se;
        let offset = match (value.first(), ss) {
            (Some(b'+'), Some(_)) => magnitude,
            (Some(b'-'), Some(_)) => -magnitude,
            _ => return None,
        };
        self.offset_s = Some(offset);
        Some(rest)
    }

    /// Go's checks after the loop: AM/PM, day of year, day of month.
    fn finish(mut self) -> Result<Parsed, &'static str> {
        if self.pm && self.hour < 12 {
            self.hour += 12;
        } else if self.am && self.hour == 12 {
            self.hour = 0;
        }
        if self.year_day >= 0 {
            let (mut month, mut day) = (0, 0);
            let mut year_day = self.year_day;
            if civil::is_leap(self.year) {
                if year_day == 31 + 29 {
                    month = 2;
                    day = 29;
                } else if year_day > 31 + 29 {
                    year_day -= 1;
                }
            }
            if !(1..=365).contains(&year_day) {
                return Err("day-of-year out of range");
            }
            if month == 0 {
                month = (year_day - 1) / 31 + 1;
                if DAYS_BEFORE
                    .get(month as usize)
                    .is_some_and(|&d| d < year_day)
                {
                    month += 1;
                }
                day = year_day - DAYS_BEFORE.get(month as usize - 1).copied().unwrap_or(0);
            }
            if self.month >= 0 && self.month != month {
                return Err("day-of-year does not match month");
            }
            self.month = month;
            if self.day >= 0 && self.day != day {
                return Err("day-of-year does not match day");
            }
            self.day = day;
        } else {
            if self.month < 0 {
                self.month = 1;
            }
            if self.day < 0 {
                self.day = 1;
            }
        }
        let month = self.month as u8; // 1..=12 here: out of range was reported in the loop
        if self.day < 1 || self.day > i64::from(civil::days_in_month(self.year, month)) {
            return Err("day out of range");
        }
        let zone = if self.utc {
            ParsedZone::Utc
        } else if let Some(offset) = self.offset_s {
            ParsedZone::Offset(offset)
        } else if let Some(name) = self.zone_name {
            ParsedZone::Name(name)
        } else {
            ParsedZone::Default
        };
        // Every field was range-checked above; the year is 0..=9999 by construction.
        Ok(Parsed {
            wall: Civil {
                year: self.year as i32,
                month,
                day: self.day as u8,
                hour: self.hour as u8,
                minute: self.minute as u8,
                second: self.second as u8,
                nanosecond: self.nanosecond as u32,
            },
            zone,
        })
    }
}

#[cfg(test)]
#[path = "layout_tests.rs"]
mod tests;
