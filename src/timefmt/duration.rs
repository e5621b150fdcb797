//! Go durations: `time.Duration.String()` for Machbase's `elapse`, `time.ParseDuration` for
//! `now - 1h`, and Machbase's `ParseDuration` that adds a `<N>d` day prefix (reference §2.3).
//!
//! Invariants: parsing is a port of Go's: the same inputs are accepted, the same values come
//! out (fractions go through f64 as in Go), and errors print Go's text word for word, because
//! the peer puts them in its replies. Overflow is an error, never a wrapped value.

use std::fmt;

use super::error::GoQuoted;

/// Go's `time.Duration.String()`: `0s`, `845.708µs`, `1.887042ms`, `2.5s`, `1m2.5s`.
/// Machbase replies carry it as `elapse` (reference §1.9).
pub fn go_duration(ns: u64) -> String {
    fn trimmed(whole: u64, frac: u64, frac_digits: usize) -> String {
        let mut s = format!("{whole}");
        if frac > 0 {
            let f = format!("{frac:0frac_digits$}");
            s.push('.');
            s.push_str(f.trim_end_matches('0'));
        }
        s
    }
    if ns == 0 {
        "0s".into()
    } else if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{}µs", trimmed(ns / 1_000, ns % 1_000, 3))
    } else if ns < 1_000_000_000 {
        format!("{}ms", trimmed(ns / 1_000_000, ns % 1_000_000, 6))
    } else {
        let total_s = ns / 1_000_000_000;
        let frac = ns % 1_000_000_000;
        let (h, m, s) = (total_s / 3600, total_s / 60 % 60, total_s % 60);
        let secs = format!("{}s", trimmed(s, frac, 9));
        match (h, m) {
            (0, 0) => secs,
            (0, m) => format!("{m}m{secs}"),
            (h, m) => format!("{h}h{m}m{secs}"),
        }
    }
}

/// A duration text Go or Machbase refuses. Display is the peer's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DurationError {
    /// `time: invalid duration "<text>"`
    Invalid { text: Box<str> },
    /// `time: missing unit in duration "<text>"`
    MissingUnit { text: Box<str> },
    /// `time: unknown unit "<unit>" in duration "<text>"`
    UnknownUnit { unit: Box<str>, text: Box<str> },
    /// Machbase's day form failed: `incompatible conv '<text>' (string) to time.Duration`
    Days { text: Box<str> },
}

impl fmt::Display for DurationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DurationError::Invalid { text } => {
                write!(f, "time: invalid duration {}", GoQuoted(text.as_bytes()))
            }
            DurationError::MissingUnit { text } => {
                write!(
                    f,
                    "time: missing unit in duration {}",
                    GoQuoted(text.as_bytes())
                )
            }
            DurationError::UnknownUnit { unit, text } => write!(
                f,
                "time: unknown unit {} in duration {}",
                GoQuoted(unit.as_bytes()),
                GoQuoted(text.as_bytes())
            ),
            DurationError::Days { text } => {
                write!(f, "incompatible conv '{text}' (string) to time.Duration")
            }
        }
    }
}

impl std::error::Error for DurationError {}

const NS_PER_UNIT: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", 1_000),
    ("µs", 1_000), // U+00B5 micro sign
    ("μs", 1_000), // U+03BC Greek mu
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

const OVERFLOW_AT: u64 = 1 << 63;

/// Go's `leadingInt`: the leading digits of `s` and the rest; `None` past 2^63.
fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (head, rest) = s.split_at(n);
    let mut x: u64 = 0;
    for &c in head {
        if x > OVERFLOW_AT / 10 {
            return None;
        }
        x = x * 10 + u64::from(c - b'0');
        if x > OVERFLOW_AT {
            return None;
        }
    }
    Some((x, rest))
}

/// Go's `leadingFraction`: digits after the point, and 10^(digits kept) as f64. Digits past
/// what a u64 holds are skipped, not an error.
fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let n = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let (head, rest) = s.split_at(n);
    let (mut x, mut scale, mut overflow) = (0u64, 1f64, false);
    for &c in head {
        if overflow {
            continue;
        }
        if x > (OVERFLOW_AT - 1) / 10 {
            overflow = true;
            continue;
        }
        let y = x * 10 + u64::from(c - b'0');
        if y > OVERFLOW_AT {
            overflow = true;
            continue;
        }
        x = y;
        scale *= 10.0;
    }
    (x, scale, rest)
}

/// Go's `time.ParseDuration`: `300ms`, `-1.5h`, `2h45m`, in ns.
pub fn parse_go_duration(text: &str) -> Result<i64, DurationError> {
    let invalid = || DurationError::Invalid { text: text.into() };
    let mut s = text.as_bytes();
    let mut negative = false;
    if let Some((&c, rest)) = s.split_first()
        && (c == b'-' || c == b'+')
    {
        negative = c == b'-';
        s = rest;
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u64 = 0;
    while let Some(&first) = s.first() {
        if !(first == b'.' || first.is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (whole, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();
        let (mut frac, mut scale, mut post) = (0u64, 1f64, false);
        if let Some((b'.', rest)) = s.split_first() {
            let before = rest.len();
            (frac, scale, s) = leading_fraction(rest);
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let unit_len = s
            .iter()
            .take_while(|&&c| c != b'.' && !c.is_ascii_digit())
            .count();
        if unit_len == 0 {
            return Err(DurationError::MissingUnit { text: text.into() });
        }
        let (unit, rest) = s.split_at(unit_len);
        s = rest;
        let Some(&(_, ns_per_unit)) = NS_PER_UNIT.iter().find(|(name, _)| name.as_bytes() == unit)
        else {
            return Err(DurationError::UnknownUnit {
                unit: String::from_utf8_lossy(unit).into(),
                text: text.into(),
            });
        };
        if whole > OVERFLOW_AT / ns_per_unit {
            return Err(invalid());
        }
        let mut v = whole * ns_per_unit;
        if frac > 0 {
            // As Go: f64 keeps fractions of an hour exact to the nanosecond.
            v += (frac as f64 * (ns_per_unit as f64 / scale)) as u64;
            if v > OVERFLOW_AT {
                return Err(invalid());
            }
        }
        total += v;
        if total > OVERFLOW_AT {
            return Err(invalid());
        }
    }
    if negative {
        // 2^63 as i64 is i64::MIN, and its negation is itself: Go returns -2^63 there too.
        return Ok((total as i64).wrapping_neg());
    }
    i64::try_from(total).map_err(|_| invalid())
}

const NS_PER_DAY: i64 = 86_400_000_000_000;

/// Machbase's `ParseDuration`: a Go duration, or `<N>d` optionally followed by one, where the
/// part after `d` extends the days away from zero (`-1d2h` is -26h). As the peer, any `d`
/// after the first byte selects the day form (`1h30md` fails as days, not as a Go duration).
pub fn parse_machbase_duration(text: &str) -> Result<i64, DurationError> {
    let days_error = || DurationError::Days { text: text.into() };
    let Some(at) = text.find('d').filter(|&at| at > 0) else {
        return parse_go_duration(text);
    };
    let (count, rest) = (
        text.get(..at).unwrap_or(""),
        text.get(at + 1..).unwrap_or(""),
    );
    let days: i64 = count.parse().map_err(|_| days_error())?;
    let day_ns = days.checked_mul(NS_PER_DAY).ok_or_else(days_error)?;
    if rest.is_empty() {
        return Ok(day_ns);
    }
    let extra = parse_go_duration(rest).map_err(|_| days_error())?;
    let total = if day_ns >= 0 {
        day_ns.checked_add(extra)
    } else {
        day_ns.checked_sub(extra)
    };
    total.ok_or_else(days_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;
    const S: i64 = 1_000 * MS;
    const H: i64 = 3600 * S;

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(845_708), "845.708µs");
        assert_eq!(go_duration(1_887_042), "1.887042ms");
        assert_eq!(go_duration(2_500_000_000), "2.5s");
        assert_eq!(go_duration(62_500_000_000), "1m2.5s");
        assert_eq!(go_duration(999), "999ns");
        assert_eq!(go_duration(3_723_000_000_000), "1h2m3s");
    }

    fn parse(s: &str) -> Result<i64, String> {
        parse_go_duration(s).map_err(|e| e.to_string())
    }

    #[test]
    fn parse_go_duration_values_from_gos_tests() {
        assert_eq!(parse("0"), Ok(0));
        assert_eq!(parse("5s"), Ok(5 * S));
        assert_eq!(parse("30s"), Ok(30 * S));
        assert_eq!(parse("1478s"), Ok(1478 * S));
        assert_eq!(parse("-5s"), Ok(-5 * S));
        assert_eq!(parse("+5s"), Ok(5 * S));
        assert_eq!(parse("-0"), Ok(0));
        assert_eq!(parse("5.0s"), Ok(5 * S));
        assert_eq!(parse("5.6s"), Ok(5 * S + 600 * MS));
        assert_eq!(parse("5.s"), Ok(5 * S));
        assert_eq!(parse(".5s"), Ok(500 * MS));
        assert_eq!(parse("1.004s"), Ok(S + 4 * MS));
        assert_eq!(parse("100.00100s"), Ok(100 * S + MS));
        assert_eq!(parse("10ns"), Ok(10));
        assert_eq!(parse("11us"), Ok(11_000));
        assert_eq!(parse("12µs"), Ok(12_000));
        assert_eq!(parse("12μs"), Ok(12_000));
        assert_eq!(parse("13ms"), Ok(13 * MS));
        assert_eq!(parse("14s"), Ok(14 * S));
        assert_eq!(parse("15m"), Ok(15 * 60 * S));
        assert_eq!(parse("16h"), Ok(16 * H));
        assert_eq!(parse("3h30m"), Ok(3 * H + 30 * 60 * S));
        assert_eq!(parse("10.5s4m"), Ok(4 * 60 * S + 10 * S + 500 * MS));
        assert_eq!(parse("-2m3.4s"), Ok(-(2 * 60 * S + 3 * S + 400 * MS)));
        assert_eq!(
            parse("1h2m3s4ms5us6ns"),
            Ok(H + 2 * 60 * S + 3 * S + 4 * MS + 5_000 + 6)
        );
        assert_eq!(
            parse("39h9m14.425s"),
            Ok(39 * H + 9 * 60 * S + 14 * S + 425 * MS)
        );
        assert_eq!(parse("52763797000ns"), Ok(52_763_797_000));
        assert_eq!(parse("0.3333333333333333333h"), Ok(20 * 60 * S));
        assert_eq!(parse("9007199254740993ns"), Ok(9_007_199_254_740_993));
        assert_eq!(parse("9223372036854775807ns"), Ok(i64::MAX));
        assert_eq!(parse("9223372036s854ms775us807ns"), Ok(i64::MAX));
        assert_eq!(parse("-9223372036854775808ns"), Ok(i64::MIN));
        assert_eq!(parse("-9223372036s854ms775us808ns"), Ok(i64::MIN));
        assert_eq!(parse("0.100000000000000000000h"), Ok(6 * 60 * S));
        assert_eq!(
            parse("0.830103483285477580700h"),
            Ok(49 * 60 * S + 48 * S + 372_539_827)
        );
    }

    #[test]
    fn err_parse_go_duration_texts() {
        assert_eq!(parse(""), Err(r#"time: invalid duration """#.into()));
        assert_eq!(
            parse("3"),
            Err(r#"time: missing unit in duration "3""#.into())
        );
        assert_eq!(parse("-"), Err(r#"time: invalid duration "-""#.into()));
        assert_eq!(parse("s"), Err(r#"time: invalid duration "s""#.into()));
        assert_eq!(parse("."), Err(r#"time: invalid duration ".""#.into()));
        assert_eq!(parse("-.s"), Err(r#"time: invalid duration "-.s""#.into()));
        assert_eq!(parse(".s"), Err(r#"time: invalid duration ".s""#.into()));
        assert_eq!(parse("+.s"), Err(r#"time: invalid duration "+.s""#.into()));
        assert_eq!(
            parse("1d"),
            Err(r#"time: unknown unit "d" in duration "1d""#.into())
        );
        assert_eq!(
            parse("9223372036854775810ns"),
            Err(r#"time: invalid duration "9223372036854775810ns""#.into())
        );
        assert_eq!(
            parse("9223372036854775808ns"),
            Err(r#"time: invalid duration "9223372036854775808ns""#.into())
        );
        assert_eq!(
            parse("-9223372036854775809ns"),
            Err(r#"time: invalid duration "-9223372036854775809ns""#.into())
        );
        assert_eq!(
            parse("1é"),
            Err(r#"time: unknown unit "\xc3\xa9" in duration "1\xc3\xa9""#.into())
        );
    }

    #[test]
    fn machbase_days() {
        let p = |s| parse_machbase_duration(s).map_err(|e| e.to_string());
        assert_eq!(p("2d"), Ok(48 * H));
        assert_eq!(p("1d12h"), Ok(36 * H));
        assert_eq!(p("-1d2h"), Ok(-26 * H));
        assert_eq!(p("30m"), Ok(30 * 60 * S));
        assert_eq!(
            p("xd"),
            Err("incompatible conv 'xd' (string) to time.Duration".into())
        );
        assert_eq!(
            p("1d2x"),
            Err("incompatible conv '1d2x' (string) to time.Duration".into())
        );
        assert_eq!(
            p("1h30md"),
            Err("incompatible conv '1h30md' (string) to time.Duration".into())
        );
        assert_eq!(
            p("99999999999d"),
            Err("incompatible conv '99999999999d' (string) to time.Duration".into())
        );
        assert_eq!(p("d1h"), Err(r#"time: invalid duration "d1h""#.into()));
        assert_eq!(
            p("1x"),
            Err(r#"time: unknown unit "x" in duration "1x""#.into())
        );
    }
}
