//! Proton's `best_effort` datetime input for the forms clients send, and SQL literals compared
//! with datetimes. Not Go layouts (`layout.rs`): this is ClickHouse's lenient reader.
//!
//! Invariant: the result is `None` for anything unrecognised or outside i64 ns; text without
//! an offset is read in UTC.

use super::civil::{self, Civil};

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || s.len() > 9 || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter()
        .try_fold(0u32, |acc, d| Some(acc * 10 + u32::from(d - b'0')))
}

fn digits_u8(s: &[u8]) -> Option<u8> {
    u8::try_from(digits(s)?).ok()
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
    let year = i32::try_from(digits(s.get(0..4)?)?).ok()?;
    if s.get(4) != Some(&b'-') {
        return None;
    }
    let month = digits_u8(s.get(5..7)?)?;
    let (day, mut rest) = match s.get(7) {
        None => (1, s.get(7..)?),
        Some(b'-') => (digits_u8(s.get(8..10)?)?, s.get(10..)?),
        _ => return None,
    };
    let (mut hour, mut minute, mut second, mut nanos) = (0u8, 0u8, 0u8, 0u32);
    if let Some((&sep, tail)) = rest.split_first()
        && (sep == b' ' || sep == b'T' || sep == b't')
    {
        hour = digits_u8(tail.get(0..2)?)?;
        if tail.get(2) != Some(&b':') {
            return None;
        }
        minute = digits_u8(tail.get(3..5)?)?;
        rest = tail.get(5..)?;
        if rest.first() == Some(&b':') {
            second = digits_u8(rest.get(1..3)?)?;
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
    }
    let offset_s: i64 = match rest {
        [] | [b'Z' | b'z'] => 0,
        [sign @ (b'+' | b'-'), tail @ ..] => {
            let (h, m) = match tail {
                [a, b] => (digits(&[*a, *b])?, 0),
                [a, b, b':', c, d] | [a, b, c, d] => (digits(&[*a, *b])?, digits(&[*c, *d])?),
                _ => return None,
            };
            let secs = i64::from(h * 3600 + m * 60);
            // The bound of the `time` crate's UtcOffset this reader was first written on.
            if secs > 25 * 3600 + 59 * 60 + 59 {
                return None;
            }
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    let wall = Civil::new(year, month, day, hour, minute, second, nanos)?;
    civil::ns_from_parts(wall.seconds_as_utc() - offset_s, nanos)
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(at("1969-12-31 23:59:59.999999999"), Some(-1));
        assert_eq!(at("2021-13-01"), None);
        assert_eq!(at("2021-02-29"), None);
        assert_eq!(at("2021-01-01 25:00:00"), None);
        assert_eq!(at("2021-01-01 10:00:00+26:00"), None);
        assert_eq!(at("yesterday"), None);
        assert_eq!(at("2021-01-01 10:00:00 junk"), None);
        assert_eq!(at("2300-01-01"), None, "beyond i64 ns");
        assert_eq!(at("2021-01-01 10:00:00é"), None);
    }
}
