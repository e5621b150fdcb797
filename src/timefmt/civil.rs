//! Calendar arithmetic: wall-clock dates and times (`Civil`) in the proleptic Gregorian
//! calendar, and their conversion to and from seconds since the Unix epoch as if in UTC.
//! Zones are not here (`zone.rs` turns a wall time into an instant); neither is text.
//!
//! Invariants:
//! - A `Civil` built by `Civil::new` has every field in range (month 1-12, day within the
//!   month, hour < 24, minute < 60, second < 60, nanosecond < 1e9). `from_unix_seconds` builds
//!   only in-range values too. Years run 0..=9999, the range Go's layouts can write.
//! - `days_from_civil` and `civil_from_days` are exact inverses for every day of those years;
//!   a test walks every day from year 0 to 9999.
//! - Nothing here panics or overflows for any `i64` day count in that range.

use std::fmt::Write;

pub const NS_PER_SECOND: i64 = 1_000_000_000;
pub const SECONDS_PER_DAY: i64 = 86_400;

/// The instants an i64 of nanoseconds can hold, as seconds: tidegate's whole time range
/// (1677-09-21T00:12:43Z to 2262-04-11T23:47:16Z).
pub const SECONDS_MIN: i64 = i64::MIN / NS_PER_SECOND - 1;
pub const SECONDS_MAX: i64 = i64::MAX / NS_PER_SECOND;

/// A wall-clock date and time, no zone attached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    pub year: i32,
    pub month: u8,
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    pub nanosecond: u32,
}

impl Civil {
    /// The wall time, or `None` if a field is out of range (year outside 0..=9999 included).
    pub fn new(
        year: i32,
        month: u8,
        day: u8,
        hour: u8,
        minute: u8,
        second: u8,
        nanosecond: u32,
    ) -> Option<Civil> {
        let in_range = (0..=9999).contains(&year)
            && (1..=12).contains(&month)
            && day >= 1
            && day <= days_in_month(i64::from(year), month)
            && hour < 24
            && minute < 60
            && second < 60
            && i64::from(nanosecond) < NS_PER_SECOND;
        in_range.then_some(Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
            nanosecond,
        })
    }

    /// Whole seconds since 1970-01-01T00:00:00 if this wall time were UTC.
    pub fn seconds_as_utc(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day) * SECONDS_PER_DAY
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The wall time `seconds` after the epoch (UTC), with `nanosecond` as its fraction.
    pub fn from_unix_seconds(seconds: i64, nanosecond: u32) -> Civil {
        let days = seconds.div_euclid(SECONDS_PER_DAY);
        let of_day = seconds.rem_euclid(SECONDS_PER_DAY);
        let (year, month, day) = civil_from_days(days);
        Civil {
            year: i32::try_from(year).unwrap_or(if year < 0 { i32::MIN } else { i32::MAX }),
            month,
            day,
            hour: (of_day / 3600) as u8,
            minute: (of_day / 60 % 60) as u8,
            second: (of_day % 60) as u8,
            nanosecond: nanosecond.min(999_999_999),
        }
    }

    /// Days since 1970-01-01 (negative before).
    pub fn days(&self) -> i64 {
        days_from_civil(i64::from(self.year), self.month, self.day)
    }
}

/// `seconds` and `nanosecond` as i64 ns, or `None` outside tidegate's time range.
pub fn ns_from_parts(seconds: i64, nanosecond: u32) -> Option<i64> {
    // In i128: before 1970 the whole seconds alone can overflow an i64 that the sum fits.
    let ns = i128::from(seconds) * i128::from(NS_PER_SECOND) + i128::from(nanosecond);
    i64::try_from(ns).ok()
}

pub fn is_leap(year: i64) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

/// Days in `month` (1-12) of `year`; 0 for a month out of range.
pub fn days_in_month(year: i64, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to `year-month-day` (Howard Hinnant's `days_from_civil`).
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let m = i64::from(month);
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date `days` after 1970-01-01 as (year, month, day) (Hinnant's `civil_from_days`).
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days.saturating_add(719_468);
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u8;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// 0 = Sunday .. 6 = Saturday, as Go's `time.Weekday`.
pub fn weekday(days: i64) -> u8 {
    // 1970-01-01 was a Thursday.
    (days + 4).rem_euclid(7) as u8
}

/// 1-based day of the year.
pub fn year_day(civil: &Civil) -> u16 {
    (civil.days() - days_from_civil(i64::from(civil.year), 1, 1) + 1) as u16
}

/// `2020-01-01 11:11:11.000` with `precision` fraction digits (0 = none), in UTC.
pub fn format_datetime(ns: i64, precision: u8, out: &mut String) {
    let c = Civil::from_unix_seconds(
        ns.div_euclid(NS_PER_SECOND),
        ns.rem_euclid(NS_PER_SECOND) as u32,
    );
    let _ = write!(
        out,
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02}",
        c.year, c.month, c.day, c.hour, c.minute, c.second
    );
    if precision > 0 {
        let digits = u32::from(precision.min(9));
        let _ = write!(
            out,
            ".{:0width$}",
            c.nanosecond / 10u32.pow(9 - digits),
            width = digits as usize
        );
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
        assert_eq!(fmt(1_577_877_071_123_456_789, 2), "2020-01-01 11:11:11.12");
        assert_eq!(fmt(-1, 9), "1969-12-31 23:59:59.999999999");
        assert_eq!(fmt(i64::MIN, 9), "1677-09-21 00:12:43.145224192");
        assert_eq!(fmt(i64::MAX, 9), "2262-04-11 23:47:16.854775807");
    }

    #[test]
    fn days_round_trip_for_every_day_of_years_0_to_9999() {
        let first = days_from_civil(0, 1, 1);
        let last = days_from_civil(9999, 12, 31);
        let mut expected = (0i64, 1u8, 1u8);
        for days in first..=last {
            let got = civil_from_days(days);
            assert_eq!(got, expected, "day {days}");
            assert_eq!(days_from_civil(got.0, got.1, got.2), days);
            // Advance `expected` by one calendar day.
            let (y, m, d) = expected;
            expected = if d < days_in_month(y, m) {
                (y, m, d + 1)
            } else if m < 12 {
                (y, m + 1, 1)
            } else {
                (y + 1, 1, 1)
            };
        }
    }

    #[test]
    fn known_days_and_weekdays() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(1969, 12, 31), -1);
        assert_eq!(weekday(0), 4, "1970-01-01 was a Thursday");
        assert_eq!(
            weekday(days_from_civil(2006, 1, 2)),
            1,
            "Go's reference day is a Monday"
        );
        assert_eq!(weekday(-1), 3);
        let c = Civil::new(2020, 12, 31, 0, 0, 0, 0).unwrap();
        assert_eq!(year_day(&c), 366);
    }

    #[test]
    fn new_checks_every_field() {
        assert!(Civil::new(2023, 2, 29, 0, 0, 0, 0).is_none());
        assert!(Civil::new(2024, 2, 29, 0, 0, 0, 0).is_some());
        assert!(Civil::new(2024, 13, 1, 0, 0, 0, 0).is_none());
        assert!(Civil::new(2024, 1, 1, 24, 0, 0, 0).is_none());
        assert!(Civil::new(2024, 1, 1, 0, 60, 0, 0).is_none());
        assert!(Civil::new(2024, 1, 1, 0, 0, 60, 0).is_none());
        assert!(Civil::new(2024, 1, 1, 0, 0, 0, 1_000_000_000).is_none());
        assert!(Civil::new(10_000, 1, 1, 0, 0, 0, 0).is_none());
        assert!(Civil::new(-1, 1, 1, 0, 0, 0, 0).is_none());
    }

    #[test]
    fn seconds_round_trip() {
        for s in [0, -1, 1_676_432_361, SECONDS_MIN, SECONDS_MAX] {
            let c = Civil::from_unix_seconds(s, 0);
            assert_eq!(c.seconds_as_utc(), s);
        }
        assert_eq!(ns_from_parts(SECONDS_MAX, 854_775_807), Some(i64::MAX));
        assert_eq!(ns_from_parts(SECONDS_MAX, 854_775_808), None);
        assert_eq!(ns_from_parts(SECONDS_MIN, 145_224_192), Some(i64::MIN));
        assert_eq!(ns_from_parts(SECONDS_MIN, 145_224_191), None);
    }
}
