//! Time on the wire: epoch units, the `YYYY-MM-DD hh:mm:ss[.fff]` text both peers print,
//! Proton's best-effort datetime parsing, and Go's duration text for Machbase's `elapse`.
//!
//! All times are i64 ns UTC. Conversions that can overflow return `None`, never wrap.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset};

/// An epoch unit as named by Machbase's `timeformat` (`s ms us ns`, case-sensitive).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochUnit {
    S,
    Ms,
    Us,
    Ns,
}

impl EpochUnit {
    pub fn parse(name: &str) -> Option<EpochUnit> {
        match name {
            "s" => Some(EpochUnit::S),
            "ms" => Some(EpochUnit::Ms),
            "us" => Some(EpochUnit::Us),
            "ns" => Some(EpochUnit::Ns),
            _ => None,
        }
    }

    pub fn ns_per_unit(self) -> i64 {
        match self {
            EpochUnit::S => 1_000_000_000,
            EpochUnit::Ms => 1_000_000,
            EpochUnit::Us => 1_000,
            EpochUnit::Ns => 1,
        }
    }

    /// `value` in this unit as ns; `None` on overflow.
    pub fn to_ns(self, value: i64) -> Option<i64> {
        value.checked_mul(self.ns_per_unit())
    }

    /// `ns` as a whole number of this unit, truncated toward negative infinity like Go's
    /// `UnixMilli` family does for times after 1970.
    pub fn count_in(self, ns: i64) -> i64 {
        ns.div_euclid(self.ns_per_unit())
    }
}

pub fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn to_datetime(ns: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ns)).ok()
}

/// `2020-01-01 11:11:11.000` with `precision` fraction digits (0 = none), in UTC.
pub fn format_datetime(ns: i64, precision: u8, out: &mut String) {
    use std::fmt::Write;
    let Some(dt) = to_datetime(ns) else {
        let _ = write!(out, "{ns}");
        return;
    };
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        dt.year(),
        u8::from(dt.month()),
        dt.day(),
        dt.hour(),
        dt.minute(),
        dt.second()
    );
    if precision > 0 {
        let digits = usize::from(precision.min(9));
        let frac = format!("{:09}", dt.nanosecond());
        out.push('.');
        out.push_str(frac.get(..digits).unwrap_or(&frac));
    }
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
}

/// Parses a datetime the way Proton's `best_effort` input does for the forms clients send:
/// `2021-01-01`, `2021-04` (first day), `2021-01-01 23:23:00`, `2021-01-01T23:23:00.123`,
/// with an optional `Z` or `±hh[:mm]` offset, and a bare integer as epoch seconds. Text
/// without an offset is read in UTC.
pub fn parse_best_effort(text: &str) -> Option<i64> {
    let s = text.trim().as_bytes();
    if !s.is_empty() && s.iter().all(u8::is_ascii_digit) && s.len() != 8 {
        let secs: i64 = text.trim().parse().ok()?;
        return secs.checked_mul(1_000_000_000);
    }
    let year = digits(s.get(0..4)?)? as i32;
    if s.get(4) != Some(&b'-') {
        return None;
    }
    let month = digits(s.get(5..7)?)? as u8;
    let (day, mut rest) = match s.get(7) {
        None => (1, &s[7..]),
        Some(b'-') => (digits(s.get(8..10)?)? as u8, s.get(10..)?),
        _ => return None,
    };
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let mut time = Time::MIDNIGHT;
    let mut offset = UtcOffset::UTC;
    if let Some((&sep, tail)) = rest.split_first()
        && (sep == b' ' || sep == b'T' || sep == b't')
    {
        let hour = digits(tail.get(0..2)?)? as u8;
        if tail.get(2) != Some(&b':') {
            return None;
        }
        let minute = digits(tail.get(3..5)?)? as u8;
        let mut second = 0u8;
        let mut nanos = 0u32;
        rest = tail.get(5..)?;
        if rest.first() == Some(&b':') {
            second = digits(rest.get(1..3)?)? as u8;
            rest = rest.get(3..)?;
            if rest.first() == Some(&b'.') || rest.first() == Some(&b',') {
                let frac_len = rest
                    .get(1..)?
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                if frac_len == 0 {
                    return None;
                }
                let frac = rest.get(1..1 + frac_len.min(9))?;
                nanos = digits(frac)? * 10u32.pow(9 - frac.len() as u32);
                rest = rest.get(1 + frac_len..)?;
            }
        }
        time = Time::from_hms_nano(hour, minute, second, nanos).ok()?;
    }
    match rest {
        [] => {}
        [b'Z' | b'z'] => {}
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [a, b] => (digits(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                _ => return None,
            };
            let secs = i32::try_from(h * 3600 + m * 60).ok()?;
            let secs = if *sign == b'-' { -secs } else { secs };
            offset = UtcOffset::from_whole_seconds(secs).ok()?;
        }
        _ => return None,
    }
    let dt = PrimitiveDateTime::new(date, time).assume_offset(offset);
    i64::try_from(dt.unix_timestamp_nanos()).ok()
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ns: i64, p: u8) -> String {
        let mut s = String::new();
        format_datetime(ns, p, &mut s);
        s
    }

    #[test]
    fn datetime_text() {
        assert_eq!(fmt(1_577_877_071_000_000_000, 3), "2020-01-01 11:11:11.000");
        assert_eq!(fmt(1_577_877_071_123_456_789, 0), "2020-01-01 11:11:11");
        assert_eq!(fmt(-1, 9), "1969-12-31 23:59:59.999999999");
    }

    #[test]
    fn best_effort_forms() {
        let at = |s| parse_best_effort(s);
        assert_eq!(at("2020-01-01 11:11:11"), Some(1_577_877_071_000_000_000));
        assert_eq!(
            at("2020-01-01T11:11:11.5Z"),
            Some(1_577_877_071_500_000_000)
        );
        assert_eq!(
            at("2020-01-01T12:11:11+01:00"),
            Some(1_577_877_071_000_000_000)
        );
        assert_eq!(
            at("2020-01-01 06:11:11-0500"),
            Some(1_577_877_071_000_000_000)
        );
        assert_eq!(at("2021-04"), Some(1_617_235_200_000_000_000));
        assert_eq!(at("2021-04-01"), Some(1_617_235_200_000_000_000));
        assert_eq!(at("1577877071"), Some(1_577_877_071_000_000_000));
        assert_eq!(at("2021-13-01"), None);
        assert_eq!(at("2021-01-01 25:00:00"), None);
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("2021-01-01 10:00:00 junk"), None);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration(0), "0s");
        assert_eq!(go_duration(845_708), "845.708µs");
        assert_eq!(go_duration(1_887_042), "1.887042ms");
        assert_eq!(go_duration(2_500_000_000), "2.5s");
        assert_eq!(go_duration(62_500_000_000), "1m2.5s");
        assert_eq!(go_duration(999), "999ns");
    }
}
