//! Machbase's `timeformat` parameter: epoch units, the named formats of reference §2.1 and
//! custom Go layouts, read once per request into a `TimeFormat` that parses (the peer's
//! `ParseTime`, reference §2.3) and prints (its `TimeFormatter`) times.
//!
//! Invariants:
//! - `TimeFormat::parse` never fails: as the peer, a parameter that is neither an epoch unit
//!   nor a name is a Go layout, even when it matches nothing (`NS` prints `NS`).
//! - Epoch units are exact-case (`ns`); names are case-insensitive (`rfc3339nano`).
//! - `ns.str`, `us.str`, `ms.str`, `s.str` mean a JSON string of the epoch count, and only
//!   in JSON: elsewhere the peer uses the parameter as a layout, and so does tidegate.

use super::duration::parse_machbase_duration;
use super::epoch::EpochUnit;
use super::error::TimeError;
use super::layout::Layout;
use super::zone::Zone;

/// The named formats (reference §2.1), names upper-case. `DATETIME` is in the peer's server
/// table, not in its client's, so tidegate accepts it both ways.
pub const NAMED_LAYOUTS: &[(&str, &str)] = &[
    ("-", "2006-01-02 15:04:05.999"),
    ("DEFAULT", "2006-01-02 15:04:05.999"),
    ("DEFAULT_MS", "2006-01-02 15:04:05.999"),
    ("DEFAULT_US", "2006-01-02 15:04:05.999999"),
    ("DEFAULT_NS", "2006-01-02 15:04:05.999999999"),
    ("DEFAULT.MS", "2006-01-02 15:04:05.000"),
    ("DEFAULT.US", "2006-01-02 15:04:05.000000"),
    ("DEFAULT.NS", "2006-01-02 15:04:05.000000000"),
    ("NUMERIC", "01/02 03:04:05PM '06 -0700"),
    ("ANSIC", "Mon Jan _2 15:04:05 2006"),
    ("UNIX", "Mon Jan _2 15:04:05 MST 2006"),
    ("RUBY", "Mon Jan 02 15:04:05 -0700 2006"),
    ("RFC822", "02 Jan 06 15:04 MST"),
    ("RFC822Z", "02 Jan 06 15:04 -0700"),
    ("RFC850", "Monday, 02-Jan-06 15:04:05 MST"),
    ("RFC1123", "Mon, 02 Jan 2006 15:04:05 MST"),
    ("RFC1123Z", "Mon, 02 Jan 2006 15:04:05 -0700"),
    ("RFC3339", "2006-01-02T15:04:05Z07:00"),
    ("RFC3339NANO", "2006-01-02T15:04:05.999999999Z07:00"),
    ("DATETIME", "2006-01-02 15:04:05"),
    ("KITCHEN", "3:04:05PM"),
    ("STAMP", "Jan _2 15:04:05"),
    ("STAMPMILLI", "Jan _2 15:04:05.000"),
    ("STAMPMICRO", "Jan _2 15:04:05.000000"),
    ("STAMPNANO", "Jan _2 15:04:05.000000000"),
    ("S_NS", "05.999999999"),
    ("S_US", "05.999999"),
    ("S_MS", "05.999"),
    ("S.NS", "05.000000000"),
    ("S.US", "05.000000"),
    ("S.MS", "05.000"),
];

/// Longest parameter looked up as a name; the longest name is 11 bytes, and one character
/// of it can take 3 bytes before upper-casing.
const NAME_BYTES_MAX: usize = 3 * 11;

/// The layout a name stands for. Upper-cased rune by rune like Go's `strings.ToUpper`
/// (simple case mapping), so `ſ_ns` is `S_NS` as in the peer.
pub fn named_layout(name: &str) -> Option<&'static str> {
    if name.len() > NAME_BYTES_MAX {
        return None;
    }
    let upper: String = name
        .chars()
        .map(|c| {
            let mut mapped = c.to_uppercase();
            match (mapped.next(), mapped.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect();
    NAMED_LAYOUTS
        .iter()
        .find(|(n, _)| *n == upper)
        .map(|(_, layout)| *layout)
}

/// How a time goes into JSON when `timeformat` is an epoch unit: the count in `unit`, as a
/// number, or as a string for the `.str` variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JsonEpoch {
    pub unit: EpochUnit,
    pub quoted: bool,
}

/// A request's `timeformat`, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    Epoch(EpochUnit),
    /// `ns.str` and friends: the unit for JSON output, the layout (the parameter itself)
    /// for everything else.
    EpochString(EpochUnit, Layout),
    /// A named format's layout or a custom one.
    Layout(Layout),
}

impl TimeFormat {
    pub fn parse(param: &str) -> TimeFormat {
        if let Some(unit) = EpochUnit::parse(param) {
            return TimeFormat::Epoch(unit);
        }
        if let Some(unit) = param.strip_suffix(".str").and_then(EpochUnit::parse) {
            return TimeFormat::EpochString(unit, Layout::new(param));
        }
        TimeFormat::Layout(Layout::new(named_layout(param).unwrap_or(param)))
    }

    /// An epoch unit for text output and parsing (`ns`, not `ns.str`).
    pub fn epoch_unit(&self) -> Option<EpochUnit> {
        match self {
            TimeFormat::Epoch(unit) => Some(*unit),
            _ => None,
        }
    }

    /// The peer's `FormatEpoch` for JSON: `Some` when times go out as epoch counts.
    pub fn json_epoch(&self) -> Option<JsonEpoch> {
        match self {
            TimeFormat::Epoch(unit) => Some(JsonEpoch {
                unit: *unit,
                quoted: false,
            }),
            TimeFormat::EpochString(unit, _) => Some(JsonEpoch {
                unit: *unit,
                quoted: true,
            }),
            TimeFormat::Layout(_) => None,
        }
    }

    /// The peer's `TimeFormatter.Format`: an epoch count in decimal, or the layout applied
    /// in `zone`. Appends to `out`.
    pub fn format_time(&self, ns: i64, zone: &Zone, out: &mut String) {
        match self {
            TimeFormat::Epoch(unit) => {
                use std::fmt::Write;
                let _ = write!(out, "{}", unit.count_in(ns));
            }
            TimeFormat::EpochString(_, layout) | TimeFormat::Layout(layout) => {
                layout.format(ns, zone, out);
            }
        }
    }

    /// The peer's `ParseTime(text, timeformat, tz)` (reference §2.3), as i64 ns:
    /// surrounding space is ignored; `now`, `now + 1h`, `now - 2d12h` are `now_ns` moved by a
    /// duration in any format; epoch units read an integer (a decimal is truncated); layouts
    /// read the text in `zone` unless it carries its own offset.
    pub fn parse_time(&self, text: &str, zone: &Zone, now_ns: i64) -> Result<i64, TimeError> {
        let s = text.trim();
        if let Some(after_now) = s.strip_prefix("now") {
            return now_plus(s, after_now.trim(), now_ns);
        }
        match self {
            TimeFormat::Epoch(unit) => {
                let count = epoch_count(s)?;
                unit.to_ns(count)
                    .ok_or_else(|| TimeError::OutsideStoredRange { text: s.into() })
            }
            TimeFormat::EpochString(_, layout) | TimeFormat::Layout(layout) => {
                if layout.text().is_empty() {
                    return Err(TimeError::not_a_time(s));
                }
                layout.parse(s, zone).map_err(|e| match e {
                    TimeError::Layout(cause) => TimeError::Incompatible(cause),
                    other => other,
                })
            }
        }
    }
}

/// `now`, then nothing, or `+`/`-` and a Machbase duration.
fn now_plus(s: &str, rest: &str, now_ns: i64) -> Result<i64, TimeError> {
    if rest.is_empty() {
        return Ok(now_ns);
    }
    let (negative, duration) = if let Some(d) = rest.strip_prefix('+') {
        (false, d.trim())
    } else if let Some(d) = rest.strip_prefix('-') {
        (true, d.trim())
    } else {
        return Err(TimeError::not_a_time(s));
    };
    let ns = parse_machbase_duration(duration).map_err(|cause| TimeError::NowDuration {
        text: s.into(),
        cause,
    })?;
    // Go multiplies by -1, which leaves -2^63 as it is.
    let ns = if negative { ns.wrapping_neg() } else { ns };
    now_ns
        .checked_add(ns)
        .ok_or_else(|| TimeError::OutsideStoredRange { text: s.into() })
}

/// The peer's `ToInt64` for a string: an integer, else a float truncated toward zero.
/// Simplified: Go also takes hex floats (`0x1p4`), and turns `inf`/`nan` into a garbage
/// time; tidegate refuses both.
fn epoch_count(s: &str) -> Result<i64, TimeError> {
    if let Ok(n) = s.parse::<i64>() {
        return Ok(n);
    }
    let not_number = || TimeError::EpochNotNumber { text: s.into() };
    let f: f64 = s.parse().map_err(|_| not_number())?;
    if !f.is_finite() {
        return Err(not_number());
    }
    let truncated = f.trunc();
    // i64::MAX as f64 rounds up to 2^63, so `<` keeps the cast exact.
    if truncated >= -(2f64.powi(63)) && truncated < 2f64.powi(63) {
        Ok(truncated as i64)
    } else {
        Err(TimeError::OutsideStoredRange { text: s.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timefmt::civil::{self, Civil};

    /// 2023-02-15T03:39:21.123456789Z, the clock of these tests.
    const NOW: i64 = 1_676_432_361_123_456_789;
    const S: i64 = 1_000_000_000;
    const MS: i64 = 1_000_000;
    const US: i64 = 1_000;

    fn at(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ns: u32) -> i64 {
        let wall = Civil::new(y, mo, d, h, mi, s, ns).unwrap();
        civil::ns_from_parts(wall.seconds_as_utc(), ns).unwrap()
    }

    fn zone(tz: &str) -> Zone {
        Zone::parse(tz).unwrap()
    }

    fn parse_time(format: &str, text: &str, tz: &str) -> Result<i64, String> {
        TimeFormat::parse(format)
            .parse_time(text, &zone(tz), NOW)
            .map_err(|e| e.to_string())
    }

    fn format_time(format: &str, ns: i64, tz: &str) -> String {
        let mut out = String::new();
        TimeFormat::parse(format).format_time(ns, &zone(tz), &mut out);
        out
    }

    #[test]
    fn parameter_kinds() {
        assert_eq!(TimeFormat::parse("ns"), TimeFormat::Epoch(EpochUnit::Ns));
        assert_eq!(TimeFormat::parse("s"), TimeFormat::Epoch(EpochUnit::S));
        assert_eq!(
            TimeFormat::parse("ms.str"),
            TimeFormat::EpochString(EpochUnit::Ms, Layout::new("ms.str"))
        );
        assert_eq!(
            TimeFormat::parse("NS"),
            TimeFormat::Layout(Layout::new("NS"))
        );
        assert_eq!(
            TimeFormat::parse("NS.str"),
            TimeFormat::Layout(Layout::new("NS.str"))
        );
        let default = TimeFormat::Layout(Layout::new("2006-01-02 15:04:05.999"));
        for name in [
            "-",
            "Default",
            "DEFAULT",
            "default",
            "Default_MS",
            "ſefault",
        ] {
            let want = if name == "ſefault" {
                TimeFormat::Layout(Layout::new(name))
            } else {
                default.clone()
            };
            assert_eq!(TimeFormat::parse(name), want, "{name}");
        }
        // Go's ToUpper maps ſ (long s) to S, so the peer finds `S_NS` here too.
        assert_eq!(named_layout("ſ_ns"), Some("05.999999999"));
        assert_eq!(
            named_layout("rfc3339nano"),
            Some("2006-01-02T15:04:05.999999999Z07:00")
        );
        assert_eq!(named_layout("Kitchen"), Some("3:04:05PM"));
        assert_eq!(named_layout("DateTime"), Some("2006-01-02 15:04:05"));
        assert_eq!(named_layout("2006-01-02"), None);
        assert_eq!(
            TimeFormat::parse("2006/01/02 15:04:05"),
            TimeFormat::Layout(Layout::new("2006/01/02 15:04:05"))
        );
        assert_eq!(TimeFormat::parse("ns").epoch_unit(), Some(EpochUnit::Ns));
        assert_eq!(TimeFormat::parse("ns.str").epoch_unit(), None);
    }

    #[test]
    fn json_epoch_forms() {
        assert_eq!(
            TimeFormat::parse("us").json_epoch(),
            Some(JsonEpoch {
                unit: EpochUnit::Us,
                quoted: false
            })
        );
        assert_eq!(
            TimeFormat::parse("s.str").json_epoch(),
            Some(JsonEpoch {
                unit: EpochUnit::S,
                quoted: true
            })
        );
        assert_eq!(TimeFormat::parse("Default").json_epoch(), None);
    }

    #[test]
    fn format_epoch_units_and_layouts() {
        assert_eq!(format_time("ns", NOW, "Asia/Seoul"), "1676432361123456789");
        assert_eq!(format_time("us", NOW, "UTC"), "1676432361123456");
        assert_eq!(format_time("ms", NOW, "UTC"), "1676432361123");
        assert_eq!(format_time("s", NOW, "UTC"), "1676432361");
        assert_eq!(format_time("s", -1, "UTC"), "-1");
        assert_eq!(
            format_time("ns.str", NOW, "UTC"),
            "ns.str",
            "a layout outside JSON"
        );
        assert_eq!(
            format_time("Default", NOW, "UTC"),
            "2023-02-15 03:39:21.123"
        );
        assert_eq!(
            format_time("DEFAULT.NS", NOW, "KST"),
            "2023-02-15 12:39:21.123456789"
        );
        assert_eq!(
            format_time("Kitchen", NOW, "America/New_York"),
            "10:39:21PM"
        );
        assert_eq!(format_time("S_MS", NOW, "UTC"), "21.123");
        assert_eq!(format_time("S.US", NOW - 123_456_789, "UTC"), "21.000000");
        assert_eq!(
            format_time("RFC1123", NOW, "America/New_York"),
            "Tue, 14 Feb 2023 22:39:21 EST"
        );
        assert_eq!(
            format_time(
                "03:04:05.999999999-SPLIT-2006-01-02",
                NOW,
                "America/New_York"
            ),
            "10:39:21.123456789-SPLIT-2023-02-14"
        );
    }

    /// (precision in ns, the date and clock a year-less layout needs to make an instant).
    fn classify(name: &str) -> (i64, &'static str) {
        match name {
            "-" | "DEFAULT" | "DEFAULT_MS" | "DEFAULT.MS" => (MS, ""),
            "DEFAULT_US" | "DEFAULT.US" => (US, ""),
            "DEFAULT_NS" | "DEFAULT.NS" | "RFC3339NANO" => (1, ""),
            "NUMERIC" | "ANSIC" | "UNIX" | "RUBY" | "RFC850" | "RFC1123" | "RFC1123Z"
            | "RFC3339" | "DATETIME" => (S, ""),
            "RFC822" | "RFC822Z" => (60 * S, ""),
            "KITCHEN" | "STAMP" => (S, "2006-01-02 "),
            "STAMPMILLI" => (MS, "2006-01-02 "),
            "STAMPMICRO" => (US, "2006-01-02 "),
            "STAMPNANO" => (1, "2006-01-02 "),
            "S_NS" | "S.NS" => (1, "2006-01-02 15:04:"),
            "S_US" | "S.US" => (US, "2006-01-02 15:04:"),
            "S_MS" | "S.MS" => (MS, "2006-01-02 15:04:"),
            other => panic!("classify the named format {other} in this test"),
        }
    }

    #[test]
    fn every_named_format_round_trips_at_its_precision() {
        let instants = [
            at(2023, 2, 14, 15, 39, 21, 123_456_789),
            at(1999, 12, 31, 23, 59, 59, 999_999_999),
            at(2038, 1, 19, 3, 14, 8, 500_000_000),
            at(1970, 1, 1, 0, 0, 0, 0),
            at(2004, 2, 29, 12, 0, 0, 1_000),
            at(2023, 7, 4, 0, 5, 6, 7),
        ];
        let zones = [
            "UTC",
            "Asia/Seoul",
            "America/New_York",
            "GMT+9",
            "Asia/Kolkata",
            "CET",
        ];
        for (name, layout) in NAMED_LAYOUTS {
            let (precision, date_prefix) = classify(name);
            for tz in zones {
                let z = zone(tz);
                for ns in instants {
                    let want = ns - ns.rem_euclid(precision);
                    let mut text = String::new();
                    if date_prefix.is_empty() {
                        let format = TimeFormat::parse(name);
                        format.format_time(ns, &z, &mut text);
                        assert_eq!(
                            format.parse_time(&text, &z, NOW),
                            Ok(want),
                            "{name} {tz} {text:?}"
                        );
                    } else {
                        // Go reads these as year 0, which tidegate cannot store; with a date in
                        // front, their fields must come back unchanged.
                        let format = TimeFormat::parse(name);
                        format.format_time(ns, &z, &mut text);
                        assert!(
                            matches!(
                                format.parse_time(&text, &z, NOW),
                                Err(TimeError::Incompatible(_))
                            ),
                            "{name} {text:?}"
                        );
                        let dated = TimeFormat::parse(&format!("{date_prefix}{layout}"));
                        text.clear();
                        dated.format_time(ns, &z, &mut text);
                        assert_eq!(
                            dated.parse_time(&text, &z, NOW),
                            Ok(want),
                            "{name} {tz} {text:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn parse_time_the_references_examples() {
        assert_eq!(
            parse_time(
                "03:04:05.999999999-SPLIT-2006-01-02",
                "10:39:21-SPLIT-2023-02-14 ",
                "America/New_York"
            ),
            Ok(at(2023, 2, 14, 15, 39, 21, 0))
        );
        assert_eq!(
            parse_time("RFC3339Nano", "2023-02-14T22:39:21.000000000-05:00", "UTC"),
            Ok(at(2023, 2, 15, 3, 39, 21, 0))
        );
        assert_eq!(
            parse_time("DEFAULT", "2022-12-07 02:32:22", "Asia/Seoul"),
            Ok(at(2022, 12, 6, 17, 32, 22, 0))
        );
        assert_eq!(
            parse_time("2006/01/02 15:04:05", "2023/02/14 22:39:21", "KST"),
            Ok(at(2023, 2, 14, 13, 39, 21, 0))
        );
        assert_eq!(
            parse_time("DATETIME", "  2023-02-14 22:39:21\n", "UTC"),
            Ok(at(2023, 2, 14, 22, 39, 21, 0))
        );
    }

    #[test]
    fn parse_time_now_forms() {
        const H: i64 = 3600 * S;
        assert_eq!(parse_time("Default", "now", "UTC"), Ok(NOW));
        assert_eq!(parse_time("ns", " now ", "UTC"), Ok(NOW), "in any format");
        assert_eq!(parse_time("s", "now - 1h", "UTC"), Ok(NOW - H));
        assert_eq!(parse_time("s", "now + 1h", "UTC"), Ok(NOW + H));
        assert_eq!(parse_time("s", "now-30m", "UTC"), Ok(NOW - 30 * 60 * S));
        assert_eq!(parse_time("s", "now - 2d", "UTC"), Ok(NOW - 48 * H));
        assert_eq!(parse_time("s", "now-1d12h", "UTC"), Ok(NOW - 36 * H));
        assert_eq!(parse_time("s", "now+1.5h", "UTC"), Ok(NOW + 3 * H / 2));
        assert_eq!(parse_time("s", "now - -1h", "UTC"), Ok(NOW + H));
    }

    #[test]
    fn err_parse_time_now_texts() {
        assert_eq!(
            parse_time("s", "nowhere", "UTC").unwrap_err(),
            "incompatible conv 'nowhere' (string) to time.Time"
        );
        assert_eq!(
            parse_time("s", "now + 1x", "UTC").unwrap_err(),
            r#"incompatible conv 'now + 1x', time: unknown unit "x" in duration "1x""#
        );
        assert_eq!(
            parse_time("s", "now - ", "UTC").unwrap_err(),
            r#"incompatible conv 'now -', time: invalid duration """#
        );
        assert_eq!(
            parse_time("s", "now - 1xd", "UTC").unwrap_err(),
            "incompatible conv 'now - 1xd', incompatible conv '1xd' (string) to time.Duration"
        );
        assert_eq!(
            parse_time("s", "now + 2500000h", "UTC").unwrap_err(),
            "time 'now + 2500000h' is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"
        );
        assert!(parse_time("s", "Now", "UTC").is_err(), "case-sensitive");
    }

    #[test]
    fn parse_time_epoch_units() {
        assert_eq!(parse_time("s", "1670380342", "UTC"), Ok(1_670_380_342 * S));
        assert_eq!(
            parse_time("ms", "1670380342000", "KST"),
            Ok(1_670_380_342 * S)
        );
        assert_eq!(
            parse_time("us", "1670380342000000", "UTC"),
            Ok(1_670_380_342 * S)
        );
        assert_eq!(
            parse_time("ns", "1670380342000000001", "UTC"),
            Ok(1_670_380_342 * S + 1)
        );
        assert_eq!(parse_time("s", " +12 ", "UTC"), Ok(12 * S));
        assert_eq!(parse_time("s", "-1", "UTC"), Ok(-S));
        // A decimal is truncated toward zero, as Go's int64(f).
        assert_eq!(
            parse_time("s", "1670380342.9", "UTC"),
            Ok(1_670_380_342 * S)
        );
        assert_eq!(parse_time("ms", "-1.9", "UTC"), Ok(-MS));
        assert_eq!(parse_time("s", "1e3", "UTC"), Ok(1000 * S));
    }

    #[test]
    fn err_parse_time_epoch_texts() {
        assert_eq!(
            parse_time("s", "abc", "UTC").unwrap_err(),
            "unable parse time in timeformat, incompatible conv 'abc' (string) to int64"
        );
        assert_eq!(
            parse_time("ms", "", "UTC").unwrap_err(),
            "unable parse time in timeformat, incompatible conv '' (string) to int64"
        );
        assert_eq!(
            parse_time("ns", "2023-02-14", "UTC").unwrap_err(),
            "unable parse time in timeformat, incompatible conv '2023-02-14' (string) to int64"
        );
        assert_eq!(
            parse_time("s", "inf", "UTC").unwrap_err(),
            "unable parse time in timeformat, incompatible conv 'inf' (string) to int64"
        );
        assert_eq!(
            parse_time("s", "9999999999999", "UTC").unwrap_err(),
            "time '9999999999999' is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"
        );
        assert_eq!(
            parse_time("ns", "1e30", "UTC").unwrap_err(),
            "time '1e30' is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"
        );
    }

    #[test]
    fn err_parse_time_layout_texts() {
        assert_eq!(
            parse_time("Default", "x", "UTC").unwrap_err(),
            r#"incompatible conv 'x' (string) to time.Time, parsing time "x" as "2006-01-02 15:04:05.999": cannot parse "x" as "2006""#
        );
        assert_eq!(
            parse_time("2006-01-02", "2023-13-01", "UTC").unwrap_err(),
            r#"incompatible conv '2023-13-01' (string) to time.Time, parsing time "2023-13-01": month out of range"#
        );
        assert_eq!(
            parse_time("NS", "1670380342", "UTC").unwrap_err(),
            r#"incompatible conv '1670380342' (string) to time.Time, parsing time "1670380342" as "NS": cannot parse "1670380342" as "NS""#
        );
        assert_eq!(
            parse_time("", "2023", "UTC").unwrap_err(),
            "incompatible conv '2023' (string) to time.Time"
        );
        assert_eq!(
            parse_time("Kitchen", "3:04:05PM", "UTC").unwrap_err(),
            r#"incompatible conv '3:04:05PM' (string) to time.Time, parsing time "3:04:05PM" as "3:04:05PM": time is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"#
        );
    }
}
