//! Tests of `layout.rs`, written from Go's behaviour: most cases are Go's own
//! (`time/format_test.go`), with Go's answers.

use super::*;

fn zone(name: &str) -> Zone {
    Zone::parse(name).unwrap()
}

/// An instant given as UTC fields.
fn at(y: i32, mo: u8, d: u8, h: u8, mi: u8, s: u8, ns: u32) -> i64 {
    let wall = Civil::new(y, mo, d, h, mi, s, ns).unwrap();
    civil::ns_from_parts(wall.seconds_as_utc(), ns).unwrap()
}

/// The layout with each std chunk in brackets, to pin where Go splits it.
fn describe(layout: &str) -> String {
    let l = Layout::new(layout);
    let mut out = String::new();
    for c in l.chunks.iter() {
        out.push_str(l.slice(c.prefix_start..c.std_start));
        if c.std.is_some() {
            out.push('[');
            out.push_str(l.slice(c.std_start..c.std_end));
            out.push(']');
        }
    }
    out
}

fn fmt(layout: &str, ns: i64, tz: &str) -> String {
    let mut out = String::new();
    Layout::new(layout).format(ns, &zone(tz), &mut out);
    out
}

fn parse(layout: &str, text: &str, tz: &str) -> Result<i64, String> {
    Layout::new(layout)
        .parse(text, &zone(tz))
        .map_err(|e| e.to_string())
}

fn fields(layout: &str, text: &str) -> Result<Civil, String> {
    Layout::new(layout)
        .parse_fields(text)
        .map(|p| p.wall)
        .map_err(|e| e.to_string())
}

#[test]
fn chunks_split_where_go_splits() {
    assert_eq!(
        describe("2006-01-02 15:04:05.999"),
        "[2006]-[01]-[02] [15]:[04]:[05][.999]"
    );
    assert_eq!(
        describe("Hi Janet, the Month is January"),
        "Hi Janet, the Month is [January]"
    );
    assert_eq!(describe("Jan Mon Monday MST"), "[Jan] [Mon] [Monday] [MST]");
    assert_eq!(describe("Jan."), "[Jan].");
    assert_eq!(describe("_2 __2 002 _2006"), "[_2] [__2] [002] _[2006]");
    assert_eq!(describe("2 1 3 4 5 15 03"), "[2] [1] [3] [4] [5] [15] [03]");
    assert_eq!(describe("06 6 _6"), "[06] 6 _6");
    assert_eq!(describe("PM pm Pm"), "[PM] [pm] Pm");
    assert_eq!(
        describe("Z07:00:00 Z070000 Z0700 Z07:00 Z07"),
        "[Z07:00:00] [Z070000] [Z0700] [Z07:00] [Z07]"
    );
    assert_eq!(
        describe("-07:00:00 -070000 -0700 -07:00 -07"),
        "[-07:00:00] [-070000] [-0700] [-07:00] [-07]"
    );
    // A fraction is `.` or `,` and a run of 0 or 9 that no digit follows.
    assert_eq!(describe("05.000 05,999"), "[05][.000] [05][,999]");
    assert_eq!(describe(".0001"), ".00[01]");
    assert_eq!(describe(".9991"), ".999[1]");
    assert_eq!(describe("x.0"), "x[.0]");
    assert_eq!(describe(".5"), ".[5]");
    assert_eq!(describe(""), "");
    assert_eq!(describe("YYYY-MM-DD"), "YYYY-MM-DD");
    assert_eq!(describe("NS"), "NS");
    assert_eq!(describe("é2006"), "é[2006]");
}

#[test]
fn chunk_kinds() {
    let l = Layout::new(".000,99");
    assert_eq!(
        l.chunks.first().and_then(|c| c.std),
        Some(Std::Frac {
            digits: 3,
            trim: false,
            comma: false
        })
    );
    assert_eq!(
        l.chunks.get(1).and_then(|c| c.std),
        Some(Std::Frac {
            digits: 2,
            trim: true,
            comma: true
        })
    );
}

/// Go's TestFormat instant: 2009-02-04 21:00:57.0123456 PST.
const GO_FORMAT_NS: i64 = 1_233_810_057_012_345_600;
const PACIFIC: &str = "America/Los_Angeles";

#[test]
fn format_like_gos_format_tests() {
    let f = |layout| fmt(layout, GO_FORMAT_NS, PACIFIC);
    assert_eq!(f("Mon Jan _2 15:04:05 2006"), "Wed Feb  4 21:00:57 2009");
    assert_eq!(
        f("Mon Jan _2 15:04:05 MST 2006"),
        "Wed Feb  4 21:00:57 PST 2009"
    );
    assert_eq!(
        f("Mon Jan 02 15:04:05 -0700 2006"),
        "Wed Feb 04 21:00:57 -0800 2009"
    );
    assert_eq!(f("02 Jan 06 15:04 MST"), "04 Feb 09 21:00 PST");
    assert_eq!(
        f("Monday, 02-Jan-06 15:04:05 MST"),
        "Wednesday, 04-Feb-09 21:00:57 PST"
    );
    assert_eq!(
        f("Mon, 02 Jan 2006 15:04:05 MST"),
        "Wed, 04 Feb 2009 21:00:57 PST"
    );
    assert_eq!(
        f("Mon, 02 Jan 2006 15:04:05 -0700"),
        "Wed, 04 Feb 2009 21:00:57 -0800"
    );
    assert_eq!(f("2006-01-02T15:04:05Z07:00"), "2009-02-04T21:00:57-08:00");
    assert_eq!(
        f("2006-01-02T15:04:05.999999999Z07:00"),
        "2009-02-04T21:00:57.0123456-08:00"
    );
    assert_eq!(f("3:04PM"), "9:00PM");
    assert_eq!(f("3pm"), "9pm");
    assert_eq!(f("3PM"), "9PM");
    assert_eq!(f("06 01 02"), "09 02 04");
    assert_eq!(
        f("Hi Janet, the Month is January"),
        "Hi Janet, the Month is February"
    );
    assert_eq!(f("Jan _2 15:04:05"), "Feb  4 21:00:57");
    assert_eq!(f("Jan _2 15:04:05.000"), "Feb  4 21:00:57.012");
    assert_eq!(f("Jan _2 15:04:05.000000"), "Feb  4 21:00:57.012345");
    assert_eq!(f("Jan _2 15:04:05.000000000"), "Feb  4 21:00:57.012345600");
    assert_eq!(f("2006-01-02 15:04:05"), "2009-02-04 21:00:57");
    assert_eq!(f("Jan  2 002 __2 2"), "Feb  4 035  35 4");
    assert_eq!(f("2006 6 06 _6 __6 ___6"), "2009 6 09 _6 __6 ___6");
    assert_eq!(f("Jan January 1 01 _1"), "Feb February 2 02 _2");
    assert_eq!(f("2 02 _2 __2"), "4 04  4  35");
    assert_eq!(f("Mon Monday"), "Wed Wednesday");
    assert_eq!(f("15 3 03 _3"), "21 9 09 _9");
    assert_eq!(f("4 04 _4"), "0 00 _0");
    assert_eq!(f("5 05 _5"), "57 57 _57");
}

#[test]
fn format_fractions_and_separators() {
    let ns = at(2023, 2, 15, 3, 39, 21, 120_000_000);
    assert_eq!(fmt("05.000", ns, "UTC"), "21.120");
    assert_eq!(fmt("05.999", ns, "UTC"), "21.12");
    assert_eq!(fmt("05,999", ns, "UTC"), "21,12");
    assert_eq!(fmt("05.9", ns, "UTC"), "21.1");
    assert_eq!(
        fmt("05.99999999999", ns, "UTC"),
        "21.12",
        "at most 9 digits"
    );
    assert_eq!(fmt("05.00000000000", ns, "UTC"), "21.120000000");
    let whole = at(2023, 2, 15, 3, 39, 21, 0);
    assert_eq!(
        fmt("05.999", whole, "UTC"),
        "21",
        "the dot goes with the zeros"
    );
    assert_eq!(fmt("05.000", whole, "UTC"), "21.000");
    // Zeros cut by the width are trimmed too: .05 shown with one digit is nothing.
    assert_eq!(
        fmt("05.9", at(2023, 1, 1, 0, 0, 1, 50_000_000), "UTC"),
        "01"
    );
}

#[test]
fn format_twelve_hour_clock() {
    let afternoon = at(2023, 2, 15, 15, 39, 21, 0);
    assert_eq!(
        fmt("03:04", afternoon, "UTC"),
        "03:39",
        "no PM in the layout: still 12h"
    );
    assert_eq!(fmt("3:04PM", afternoon, "UTC"), "3:39PM");
    assert_eq!(fmt("03:04pm", at(2023, 1, 1, 0, 5, 0, 0), "UTC"), "12:05am");
    assert_eq!(fmt("3PM", at(2023, 1, 1, 12, 0, 0, 0), "UTC"), "12PM");
}

#[test]
fn format_zones() {
    let ns = at(2023, 2, 14, 15, 39, 21, 0);
    assert_eq!(
        fmt("Z07:00 Z0700 Z07 Z07:00:00 Z070000", ns, "UTC"),
        "Z Z Z Z Z"
    );
    assert_eq!(
        fmt("-07:00 -0700 -07 -07:00:00 -070000 MST", ns, "UTC"),
        "+00:00 +0000 +00 +00:00:00 +000000 UTC"
    );
    assert_eq!(
        fmt("2006-01-02 15:04:05 -0700 MST", ns, "America/New_York"),
        "2023-02-14 10:39:21 -0500 EST"
    );
    assert_eq!(
        fmt("2006-01-02 15:04:05 Z07:00 MST", ns, "Asia/Seoul"),
        "2023-02-15 00:39:21 +09:00 KST"
    );
    assert_eq!(fmt("MST -07", ns, "GMT+9"), "+09 +09");
    assert_eq!(fmt("Z07:00", ns, "Asia/Kolkata"), "+05:30");
    // New York's local mean time, -4:56:02, until 1883: offsets with seconds.
    let lmt = at(1871, 1, 1, 5, 33, 2, 0);
    assert_eq!(
        fmt(
            "-070000 -07:00:00 Z07:00:00 -07:00 -07",
            lmt,
            "America/New_York"
        ),
        "-045602 -04:56:02 -04:56:02 -04:56 -04"
    );
}

#[test]
fn format_edges_of_the_range() {
    assert_eq!(
        fmt("2006-01-02T15:04:05.999999999Z07:00", i64::MIN, "UTC"),
        "1677-09-21T00:12:43.145224192Z"
    );
    assert_eq!(
        fmt(
            "2006-01-02T15:04:05.999999999Z07:00",
            i64::MAX,
            "Asia/Seoul"
        ),
        "2262-04-12T08:47:16.854775807+09:00"
    );
    assert_eq!(fmt("Mon 002", 0, "UTC"), "Thu 001");
}

/// Go's TestParse instant: Thu Feb 4 21:00:57 PST 2010, with `digits` of `.0123456789`.
fn go_parse_instant(digits: usize) -> i64 {
    let frac = "012345678".get(..digits.min(9)).unwrap_or("");
    let ns: u32 = format!("{frac:0<9}").parse().unwrap();
    at(2010, 2, 5, 5, 0, 57, ns)
}

#[test]
fn parse_like_gos_parse_tests() {
    // (layout, value, fraction digits); every one is Thu Feb 4 21:00:57 PST 2010 read in
    // Pacific time (Go's tests set Local to it).
    let cases: &[(&str, &str, usize)] = &[
        ("Mon Jan _2 15:04:05 2006", "Thu Feb  4 21:00:57 2010", 0),
        (
            "Mon Jan _2 15:04:05 MST 2006",
            "Thu Feb  4 21:00:57 PST 2010",
            0,
        ),
        (
            "Mon Jan 02 15:04:05 -0700 2006",
            "Thu Feb 04 21:00:57 -0800 2010",
            0,
        ),
        (
            "Monday, 02-Jan-06 15:04:05 MST",
            "Thursday, 04-Feb-10 21:00:57 PST",
            0,
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 21:00:57 PST",
            0,
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 22:00:57 PDT",
            0,
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",
            "Thu, 04 Feb 2010 21:00:57 -0800",
            0,
        ),
        ("2006-01-02T15:04:05Z07:00", "2010-02-04T21:00:57-08:00", 0),
        ("2006-01-02 15:04:05-07", "2010-02-04 21:00:57-08", 0),
        // Optional fractional seconds.
        ("Mon Jan _2 15:04:05 2006", "Thu Feb  4 21:00:57.0 2010", 1),
        (
            "Mon Jan _2 15:04:05 MST 2006",
            "Thu Feb  4 21:00:57.01 PST 2010",
            2,
        ),
        (
            "Mon Jan 02 15:04:05 -0700 2006",
            "Thu Feb 04 21:00:57.012 -0800 2010",
            3,
        ),
        (
            "Monday, 02-Jan-06 15:04:05 MST",
            "Thursday, 04-Feb-10 21:00:57.0123 PST",
            4,
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 MST",
            "Thu, 04 Feb 2010 21:00:57.01234 PST",
            5,
        ),
        (
            "Mon, 02 Jan 2006 15:04:05 -0700",
            "Thu, 04 Feb 2010 21:00:57.01234 -0800",
            5,
        ),
        (
            "2006-01-02T15:04:05Z07:00",
            "2010-02-04T21:00:57.012345678-08:00",
            9,
        ),
        ("2006-01-02 15:04:05", "2010-02-04 21:00:57.0", 0),
        // Amount of white space should not matter.
        ("Mon Jan _2 15:04:05 2006", "Thu Feb 4 21:00:57 2010", 0),
        (
            "Mon Jan _2 15:04:05 2006",
            "Thu      Feb     4     21:00:57     2010",
            0,
        ),
        // Case should not matter.
        ("Mon Jan _2 15:04:05 2006", "THU FEB 4 21:00:57 2010", 0),
        ("Mon Jan _2 15:04:05 2006", "thu feb 4 21:00:57 2010", 0),
        // Fractional seconds.
        (
            "Mon Jan _2 15:04:05.000 2006",
            "Thu Feb  4 21:00:57.012 2010",
            3,
        ),
        (
            "Mon Jan _2 15:04:05.000000 2006",
            "Thu Feb  4 21:00:57.012345 2010",
            6,
        ),
        (
            "Mon Jan _2 15:04:05.000000000 2006",
            "Thu Feb  4 21:00:57.012345678 2010",
            9,
        ),
        (
            "Mon Jan _2 15:04:05,000 2006",
            "Thu Feb  4 21:00:57,012 2010",
            3,
        ),
        (
            "Mon Jan _2 15:04:05,000 2006",
            "Thu Feb  4 21:00:57.012 2010",
            3,
        ),
        // Leading zeros elsewhere are not fractional seconds.
        ("2006.01.02.15.04.05.0", "2010.02.04.21.00.57.0", 1),
        ("2006.01.02.15.04.05.00", "2010.02.04.21.00.57.01", 2),
        // Month and day names only match when not followed by a lower-case letter.
        (
            "Hi Janet, the Month is January: Jan _2 15:04:05 2006",
            "Hi Janet, the Month is February: Feb  4 21:00:57 2010",
            0,
        ),
        // An abbreviation Pacific time does not use: Go keeps the wall time as UTC.
        (
            "Mon Jan _2 15:04:05 MST 2006",
            "Fri Feb  5 05:00:57 GMT-8 2010",
            0,
        ),
        // Any number of fraction digits, none included, for .999...
        (
            "2006-01-02 15:04:05.9999 -0700 MST",
            "2010-02-04 21:00:57 -0800 PST",
            0,
        ),
        (
            "2006-01-02 15:04:05.999999999 -0700 MST",
            "2010-02-04 21:00:57.0123 -0800 PST",
            4,
        ),
        (
            "2006-01-02 15:04:05.9999 -0700 MST",
            "2010-02-04 21:00:57.012345678 -0800 PST",
            9,
        ),
        (
            "2006-01-02T15:04:05.999999999Z07:00",
            "2010-02-04T21:00:57.0123456789-08:00",
            9,
        ),
        // Day of year.
        ("2006-01-02 002 15:04:05", "2010-02-04 035 21:00:57", 0),
        ("2006-01 002 15:04:05", "2010-02 035 21:00:57", 0),
        ("2006-002 15:04:05", "2010-035 21:00:57", 0),
        ("200600201 15:04:05", "201003502 21:00:57", 0),
        ("200600204 15:04:05", "201003504 21:00:57", 0),
    ];
    for &(layout, value, digits) in cases {
        assert_eq!(
            parse(layout, value, PACIFIC),
            Ok(go_parse_instant(digits)),
            "{layout:?} {value:?}"
        );
    }
}

#[test]
fn parse_without_a_year_reads_fields_but_is_outside_tidegate_range() {
    // Go reads these as year 0; tidegate cannot store that.
    let cases: &[(&str, &str, u32)] = &[
        (
            "Jan _2 15:04:05.000000000",
            "Feb  4 21:00:57.012345678",
            12_345_678,
        ),
        (
            "Jan _2 15:04:05.999",
            "Feb  4 21:00:57.012300000",
            12_300_000,
        ),
        (
            "Jan _2 15:04:05.999",
            "Feb  4 21:00:57.012345678",
            12_345_678,
        ),
        (
            "Jan _2 15:04:05.999999999",
            "Feb  4 21:00:57.0123",
            12_300_000,
        ),
    ];
    for &(layout, value, ns) in cases {
        let wall = fields(layout, value).unwrap();
        assert_eq!(
            (
                wall.year,
                wall.month,
                wall.day,
                wall.hour,
                wall.minute,
                wall.second
            ),
            (0, 2, 4, 21, 0, 57),
            "{layout:?}"
        );
        assert_eq!(wall.nanosecond, ns, "{layout:?}");
        assert_eq!(
            parse(layout, value, "UTC").unwrap_err(),
            format!(
                "parsing time {value:?} as {layout:?}: time is outside the range tidegate stores (1677-09-21 to 2262-04-11 UTC)"
            )
        );
    }
}

#[test]
fn parse_the_references_examples() {
    // reference §2.3: a custom layout with a literal `-SPLIT-`, in New York.
    assert_eq!(
        parse(
            "03:04:05.999999999-SPLIT-2006-01-02",
            "10:39:21-SPLIT-2023-02-14",
            "America/New_York"
        ),
        Ok(at(2023, 2, 14, 15, 39, 21, 0))
    );
    // RFC3339Nano: the text's offset wins over the zone.
    assert_eq!(
        parse(
            "2006-01-02T15:04:05.999999999Z07:00",
            "2023-02-14T22:39:21.000000000-05:00",
            "Asia/Seoul"
        ),
        Ok(at(2023, 2, 15, 3, 39, 21, 0))
    );
    // DEFAULT in Seoul.
    assert_eq!(
        parse(
            "2006-01-02 15:04:05.999",
            "2022-12-07 02:32:22",
            "Asia/Seoul"
        ),
        Ok(at(2022, 12, 6, 17, 32, 22, 0))
    );
    assert_eq!(
        parse("2006/01/02 15:04:05", "2023/02/14 22:39:21", "UTC"),
        Ok(at(2023, 2, 14, 22, 39, 21, 0))
    );
}

#[test]
fn parse_twelve_hour_clock() {
    let f = |layout, text| fields(layout, text).map(|w| w.hour);
    assert_eq!(f("3:04:05PM", "9:30:00PM"), Ok(21));
    assert_eq!(f("3:04:05PM", "9:30:00AM"), Ok(9));
    assert_eq!(f("3:04:05PM", "12:00:00AM"), Ok(0));
    assert_eq!(f("3:04:05PM", "12:00:00PM"), Ok(12));
    assert_eq!(f("03:04pm", "11:59pm"), Ok(23));
    // Without PM in the layout, 03 is the hour as written: 0-12 only.
    assert_eq!(f("03:04", "10:39"), Ok(10));
    assert_eq!(
        parse("2006-01-02 03:04:05", "2023-01-01 15:04:05", "UTC"),
        Err(r#"parsing time "2023-01-01 15:04:05": hour out of range"#.into())
    );
    assert_eq!(
        f("3:04PM", "13:00PM"),
        Err(r#"parsing time "13:00PM": hour out of range"#.into())
    );
}

#[test]
fn parse_number_widths() {
    // 15 and 1, 2, 4, 5 take one or two digits; 01, 02, 04, 05 exactly two.
    assert_eq!(
        parse("2006-01-02 15:04", "2023-01-01 9:04", "UTC"),
        Ok(at(2023, 1, 1, 9, 4, 0, 0))
    );
    assert_eq!(
        parse("2006-1-2 15:4:5", "2023-2-3 9:4:5", "UTC"),
        Ok(at(2023, 2, 3, 9, 4, 5, 0))
    );
    assert_eq!(
        parse("2006-01-02", "2023-1-01", "UTC"),
        Err(r#"parsing time "2023-1-01" as "2006-01-02": cannot parse "1-01" as "01""#.into())
    );
    assert_eq!(
        parse("2006-01-02", "23-01-01", "UTC"),
        Err(r#"parsing time "23-01-01" as "2006-01-02": cannot parse "23-01-01" as "2006""#.into())
    );
    // _2 takes a space-padded day.
    assert_eq!(
        parse("Jan _2 2006", "Feb  4 2010", "UTC"),
        Ok(at(2010, 2, 4, 0, 0, 0, 0))
    );
}

#[test]
fn parse_two_digit_years_pivot_at_69() {
    let year = |text| fields("06", text).map(|w| w.year);
    assert_eq!(year("69"), Ok(1969));
    assert_eq!(year("99"), Ok(1999));
    assert_eq!(year("00"), Ok(2000));
    assert_eq!(year("68"), Ok(2068));
    // Go's atoi takes a sign, so these are years too.
    assert_eq!(year("+5"), Ok(2005));
    assert_eq!(year("-1"), Ok(1999));
}

#[test]
fn parse_fractions_000_versus_999() {
    let ms = |text| parse("2006-01-02 15:04:05.000", text, "UTC");
    assert_eq!(
        ms("2022-12-07 02:32:22.123"),
        Ok(at(2022, 12, 7, 2, 32, 22, 123_000_000))
    );
    assert_eq!(
        ms("2022-12-07 02:32:22"),
        Err(r#"parsing time "2022-12-07 02:32:22" as "2006-01-02 15:04:05.000": cannot parse "" as ".000""#.into())
    );
    assert_eq!(
        ms("2022-12-07 02:32:22.1"),
        Err(r#"parsing time "2022-12-07 02:32:22.1" as "2006-01-02 15:04:05.000": cannot parse ".1" as ".000""#.into())
    );
    assert_eq!(
        ms("2022-12-07 02:32:22.1234"),
        Err(r#"parsing time "2022-12-07 02:32:22.1234": extra text: "4""#.into())
    );
    let opt = |text| parse("2006-01-02 15:04:05.999", text, "UTC");
    assert_eq!(
        opt("2022-12-07 02:32:22"),
        Ok(at(2022, 12, 7, 2, 32, 22, 0))
    );
    assert_eq!(
        opt("2022-12-07 02:32:22.1"),
        Ok(at(2022, 12, 7, 2, 32, 22, 100_000_000))
    );
    assert_eq!(
        opt("2022-12-07 02:32:22.123456789123"),
        Ok(at(2022, 12, 7, 2, 32, 22, 123_456_789)),
        "more digits than the layout has, truncated at 9"
    );
    // A fraction after seconds the layout lacks is read anyway.
    assert_eq!(
        parse("2006-01-02 15:04:05", "2022-12-07 02:32:22,5", "UTC"),
        Ok(at(2022, 12, 7, 2, 32, 22, 500_000_000))
    );
}

#[test]
fn parse_zone_text_wins_over_the_zone() {
    let ny = "America/New_York";
    let want = at(2023, 2, 14, 15, 39, 21, 0);
    assert_eq!(
        parse("2006-01-02T15:04:05Z07:00", "2023-02-14T15:39:21Z", ny),
        Ok(want)
    );
    assert_eq!(
        parse("2006-01-02 15:04:05 MST", "2023-02-14 15:39:21 UTC", ny),
        Ok(want)
    );
    assert_eq!(
        parse("2006-01-02 15:04:05 MST", "2023-02-14 10:39:21 EST", ny),
        Ok(want)
    );
    assert_eq!(
        parse("2006-01-02 15:04:05 MST", "2023-02-15 00:39:21 KST", "KST"),
        Ok(want)
    );
    assert_eq!(
        parse("2006-01-02 15:04:05 -0700", "2023-02-15 00:39:21 +0900", ny),
        Ok(want)
    );
    assert_eq!(
        parse(
            "2006-01-02 15:04:05 MST",
            "2023-02-15 00:39:21 +09",
            "GMT+9"
        ),
        Ok(want)
    );
    // An abbreviation the zone does not use: the wall time read as UTC (Go's fake zone).
    assert_eq!(
        parse("2006-01-02 15:04:05 MST", "2023-02-14 15:39:21 XYZ", ny),
        Ok(want)
    );
    // An offset and a name: the offset decides.
    assert_eq!(
        parse(
            "2006-01-02 15:04:05 -0700 MST",
            "2023-02-14 10:39:21 -0500 PST",
            "UTC"
        ),
        Ok(want)
    );
    // No zone in the text: the zone's wall time, DST included.
    assert_eq!(
        parse("2006-01-02 15:04:05", "2023-07-14 11:39:21", ny),
        Ok(at(2023, 7, 14, 15, 39, 21, 0))
    );
}

#[test]
fn parse_wall_times_in_dst_gaps_and_overlaps_as_go() {
    let ny = "America/New_York";
    let l = "2006-01-02 15:04:05";
    assert_eq!(
        parse(l, "2021-03-14 02:30:00", ny),
        Ok(at(2021, 3, 14, 6, 30, 0, 0))
    );
    assert_eq!(
        parse(l, "2021-11-07 01:30:00", ny),
        Ok(at(2021, 11, 7, 5, 30, 0, 0))
    );
}

#[test]
fn parse_zone_abbreviation_shapes() {
    // Go's parseTimeZoneTests.
    let cases: &[(&str, Option<usize>)] = &[
        ("gmt hi there", None),
        ("GMT hi there", Some(3)),
        ("GMT+12 hi there", Some(6)),
        ("GMT+00 hi there", Some(6)),
        ("GMT+", Some(3)),
        ("GMT+3", Some(5)),
        ("GMT+a", Some(3)),
        ("GMT+3a", Some(5)),
        ("GMT-5 hi there", Some(5)),
        ("GMT-51 hi there", Some(3)),
        ("ChST hi there", Some(4)),
        ("MeST hi there", Some(4)),
        ("MSDx", Some(3)),
        ("MSDY", None), // four letters must end in T
        ("ESAST hi", Some(5)),
        ("ESASTT hi", None), // run of upper-case letters too long
        ("ESATY hi", None),  // five letters must end in T
        ("WITA hi", Some(4)),
        ("+03 hi", Some(3)),
        ("-04 hi", Some(3)),
        ("+00", Some(3)),
        ("-11", Some(3)),
        ("-12", Some(3)),
        ("-23", Some(3)),
        ("-24", None),
        ("+13", Some(3)),
        ("+14", Some(3)),
        ("+23", Some(3)),
        ("+24", None),
        ("PS", None),
    ];
    for &(value, want) in cases {
        assert_eq!(parse_time_zone(value.as_bytes()), want, "{value:?}");
    }
}

/// Go's `parseErrorTests`, with the whole message.
#[test]
fn err_parse_texts_as_go() {
    let ansic = "Mon Jan _2 15:04:05 2006";
    let rfc3339 = "2006-01-02T15:04:05Z07:00";
    let stamp_nano = "Jan _2 15:04:05.000000000";
    let cases: &[(&str, &str, &str)] = &[
        (
            ansic,
            "Feb  4 21:00:60 2010",
            r#"parsing time "Feb  4 21:00:60 2010" as "Mon Jan _2 15:04:05 2006": cannot parse "Feb  4 21:00:60 2010" as "Mon""#,
        ),
        (
            ansic,
            "Thu Feb  4 21:00:57 @2010",
            r#"parsing time "Thu Feb  4 21:00:57 @2010" as "Mon Jan _2 15:04:05 2006": cannot parse "@2010" as "2006""#,
        ),
        (
            ansic,
            "Thu Feb  4 21:00:60 2010",
            r#"parsing time "Thu Feb  4 21:00:60 2010": second out of range"#,
        ),
        (
            ansic,
            "Thu Feb  4 21:61:57 2010",
            r#"parsing time "Thu Feb  4 21:61:57 2010": minute out of range"#,
        ),
        (
            ansic,
            "Thu Feb  4 24:00:60 2010",
            r#"parsing time "Thu Feb  4 24:00:60 2010": hour out of range"#,
        ),
        (
            "Mon Jan _2 15:04:05.000 2006",
            "Thu Feb  4 23:00:59x01 2010",
            r#"parsing time "Thu Feb  4 23:00:59x01 2010" as "Mon Jan _2 15:04:05.000 2006": cannot parse "x01 2010" as ".000""#,
        ),
        (
            "Mon Jan _2 15:04:05.000 2006",
            "Thu Feb  4 23:00:59.xxx 2010",
            r#"parsing time "Thu Feb  4 23:00:59.xxx 2010" as "Mon Jan _2 15:04:05.000 2006": cannot parse ".xxx 2010" as ".000""#,
        ),
        (
            "Mon Jan _2 15:04:05.000 2006",
            "Thu Feb  4 23:00:59.-123 2010",
            r#"parsing time "Thu Feb  4 23:00:59.-123 2010": fractional second out of range"#,
        ),
        (
            stamp_nano,
            "Dec  7 11:22:01.000000",
            r#"parsing time "Dec  7 11:22:01.000000" as "Jan _2 15:04:05.000000000": cannot parse ".000000" as ".000000000""#,
        ),
        (
            stamp_nano,
            "Dec  7 11:22:01.0000000000",
            r#"parsing time "Dec  7 11:22:01.0000000000": extra text: "0""#,
        ),
        (
            rfc3339,
            "2006-01-02T15:04:05Z07:00",
            r#"parsing time "2006-01-02T15:04:05Z07:00": extra text: "07:00""#,
        ),
        (
            rfc3339,
            "2006-01-02T15:04_abc",
            r#"parsing time "2006-01-02T15:04_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as ":""#,
        ),
        (
            rfc3339,
            "2006-01-02T15:04:05_abc",
            r#"parsing time "2006-01-02T15:04:05_abc" as "2006-01-02T15:04:05Z07:00": cannot parse "_abc" as "Z07:00""#,
        ),
        (
            rfc3339,
            "2006-01-02T15:04:05Z_abc",
            r#"parsing time "2006-01-02T15:04:05Z_abc": extra text: "_abc""#,
        ),
        (
            rfc3339,
            "2010-02-04T21:00:67.012345678-08:00",
            r#"parsing time "2010-02-04T21:00:67.012345678-08:00": second out of range"#,
        ),
        (
            rfc3339,
            "0000-01-01T00:00:.0+00:00",
            r#"parsing time "0000-01-01T00:00:.0+00:00" as "2006-01-02T15:04:05Z07:00": cannot parse ".0+00:00" as "05""#,
        ),
        (
            "_2 Jan 06 15:04 MST",
            "4 --- 00 00:00 GMT",
            r#"parsing time "4 --- 00 00:00 GMT" as "_2 Jan 06 15:04 MST": cannot parse "--- 00 00:00 GMT" as "Jan""#,
        ),
        (
            "_2 January 06 15:04 MST",
            "4 --- 00 00:00 GMT",
            r#"parsing time "4 --- 00 00:00 GMT" as "_2 January 06 15:04 MST": cannot parse "--- 00 00:00 GMT" as "January""#,
        ),
        (
            "Jan _2 002 2006",
            "Feb  4 034 2006",
            r#"parsing time "Feb  4 034 2006": day-of-year does not match day"#,
        ),
        (
            "Jan _2 002 2006",
            "Feb  4 004 2006",
            r#"parsing time "Feb  4 004 2006": day-of-year does not match month"#,
        ),
        (
            r#""2006-01-02T15:04:05Z07:00""#,
            "0",
            r#"parsing time "0" as "\"2006-01-02T15:04:05Z07:00\"": cannot parse "0" as "\"""#,
        ),
        (
            rfc3339,
            "\"",
            r#"parsing time "\"" as "2006-01-02T15:04:05Z07:00": cannot parse "\"" as "2006""#,
        ),
        (
            rfc3339,
            "0000-01-01T00:00:00+00:+0",
            r#"parsing time "0000-01-01T00:00:00+00:+0" as "2006-01-02T15:04:05Z07:00": cannot parse "+00:+0" as "Z07:00""#,
        ),
        (
            rfc3339,
            "0000-01-01T00:00:00+-0:00",
            r#"parsing time "0000-01-01T00:00:00+-0:00" as "2006-01-02T15:04:05Z07:00": cannot parse "+-0:00" as "Z07:00""#,
        ),
        (
            "2006-01-02",
            "22-10-25",
            r#"parsing time "22-10-25" as "2006-01-02": cannot parse "22-10-25" as "2006""#,
        ),
        (
            "06-01-02",
            "a2-10-25",
            r#"parsing time "a2-10-25" as "06-01-02": cannot parse "a2-10-25" as "06""#,
        ),
        (
            "03:04PM",
            "12:03pM",
            r#"parsing time "12:03pM" as "03:04PM": cannot parse "pM" as "PM""#,
        ),
        (
            "03:04pm",
            "12:03pM",
            r#"parsing time "12:03pM" as "03:04pm": cannot parse "pM" as "pm""#,
        ),
        (
            "-07",
            "-25",
            r#"parsing time "-25": time zone offset hour out of range"#,
        ),
        (
            "-07:00",
            "+25:00",
            r#"parsing time "+25:00": time zone offset hour out of range"#,
        ),
        (
            "-07:00",
            "-23:61",
            r#"parsing time "-23:61": time zone offset minute out of range"#,
        ),
        (
            "-07:00:00",
            "+23:59:61",
            r#"parsing time "+23:59:61": time zone offset second out of range"#,
        ),
        (
            "Z07",
            "-25",
            r#"parsing time "-25": time zone offset hour out of range"#,
        ),
        (
            "Z07:00",
            "+25:00",
            r#"parsing time "+25:00": time zone offset hour out of range"#,
        ),
        (
            "Z07:00",
            "-23:61",
            r#"parsing time "-23:61": time zone offset minute out of range"#,
        ),
        (
            "Z07:00:00",
            "+23:59:61",
            r#"parsing time "+23:59:61": time zone offset second out of range"#,
        ),
        // Go's TestStd0xParseError and TestParseMonthOutOfRange.
        (
            "01 MST",
            "0 MST",
            r#"parsing time "0 MST" as "01 MST": cannot parse "0 MST" as "01""#,
        ),
        (
            "01 MST",
            "1 MST",
            r#"parsing time "1 MST" as "01 MST": cannot parse "1 MST" as "01""#,
        ),
        (
            "Monday, 02-Jan-06 15:04:05 MST",
            "Thursday, 04-Feb-1 21:00:57 PST",
            r#"parsing time "Thursday, 04-Feb-1 21:00:57 PST" as "Monday, 02-Jan-06 15:04:05 MST": cannot parse "1 21:00:57 PST" as "06""#,
        ),
        (
            "01-02",
            "00-01",
            r#"parsing time "00-01": month out of range"#,
        ),
        (
            "01-02",
            "13-01",
            r#"parsing time "13-01": month out of range"#,
        ),
        // The brief's cases. Go leaves the layout out of range and extra-text messages.
        (
            "2006-01-02",
            "2023-13-01",
            r#"parsing time "2023-13-01": month out of range"#,
        ),
        (
            "2006-01-02",
            "2023-02-29",
            r#"parsing time "2023-02-29": day out of range"#,
        ),
        (
            "2006-01-02",
            "2023-02-00",
            r#"parsing time "2023-02-00": day out of range"#,
        ),
        (
            "2006-01-02 15:04:05.999",
            "x",
            r#"parsing time "x" as "2006-01-02 15:04:05.999": cannot parse "x" as "2006""#,
        ),
        (
            "2006-01-02",
            "2023-02-01 10:00",
            r#"parsing time "2023-02-01 10:00": extra text: " 10:00""#,
        ),
        (
            "2006-002",
            "2023-366",
            r#"parsing time "2023-366": day-of-year out of range"#,
        ),
        (
            "2006-002",
            "2023-000",
            r#"parsing time "2023-000": day-of-year out of range"#,
        ),
        // Non-ASCII and control bytes are escaped, also when Go's slicing splits a character.
        // Go compares byte by byte, so the failure starts inside the character.
        (
            "2006é",
            "2023è",
            r#"parsing time "2023\xc3\xa8" as "2006\xc3\xa9": cannot parse "\xa8" as "\xc3\xa9""#,
        ),
        (
            "06",
            "\u{e9}1",
            r#"parsing time "\xc3\xa91" as "06": cannot parse "\xc3\xa91" as "06""#,
        ),
        (
            "2006",
            "2023\n",
            r#"parsing time "2023\x0a": extra text: "\x0a""#,
        ),
    ];
    for &(layout, value, want) in cases {
        assert_eq!(
            parse(layout, value, "UTC").unwrap_err(),
            want,
            "{layout:?} {value:?}"
        );
    }
}

#[test]
fn parse_year_day_leap_years() {
    // Go's TestParseYday for a leap year: every day of 2020.
    for yday in 1..=366u16 {
        let text = format!("2020-{yday:03}");
        let ns = parse("2006-002", &text, "UTC").unwrap();
        let wall = Civil::from_unix_seconds(ns / NS_PER_SECOND, 0);
        assert_eq!((wall.year, civil::year_day(&wall)), (2020, yday), "{text}");
    }
    assert_eq!(
        parse("2006-002", "2020-060", "UTC"),
        Ok(at(2020, 2, 29, 0, 0, 0, 0))
    );
    assert_eq!(
        parse("2006 __2", "2023  60", "UTC"),
        Ok(at(2023, 3, 1, 0, 0, 0, 0))
    );
}

#[test]
fn parse_empty_and_odd_layouts() {
    // An empty layout reads only empty text, as year 0 (outside tidegate's range).
    assert!(fields("", "").is_ok());
    assert_eq!(
        parse("", "x", "UTC").unwrap_err(),
        r#"parsing time "x": extra text: "x""#
    );
    // A run of layout spaces matches any run of spaces, but not none.
    assert_eq!(
        parse("2006 01  02", "2023 01 02", "UTC"),
        Ok(at(2023, 1, 2, 0, 0, 0, 0))
    );
    assert_eq!(
        parse("2006 01 02", "2023    01 02", "UTC"),
        Ok(at(2023, 1, 2, 0, 0, 0, 0))
    );
    assert_eq!(
        parse("2006 01  02", "2023 0102", "UTC").unwrap_err(),
        r#"parsing time "2023 0102" as "2006 01  02": cannot parse "02" as "  ""#
    );
    // Weekdays are checked for syntax only.
    assert_eq!(
        parse("Mon 2006-01-02", "Fri 2023-02-14", "UTC"),
        Ok(at(2023, 2, 14, 0, 0, 0, 0))
    );
}

#[test]
fn parse_never_panics_on_cut_or_garbled_text() {
    let layouts = [
        "2006-01-02T15:04:05.999999999Z07:00",
        "Mon, 02 Jan 2006 15:04:05 MST",
        "Jan _2 __2 002 03:04:05.000PM -07:00:00 Z070000",
        "Monday January 2 06 3 4 5 pm ,999 -07",
    ];
    let texts = [
        "2023-02-14T22:39:21.123456789-05:00",
        "Tue, 14 Feb 2023 22:39:21 KST",
        "Feb 14  45 045 10:39:21.000PM -05:00:00 Z",
        "Tuesday February 14 23 3 4 5 pm ,5 -05",
        "é☺\u{0}\u{7f}+-.,:Z",
    ];
    for layout in layouts {
        for text in texts {
            // Every prefix, cut at every byte (also inside a character).
            let bytes = text.as_bytes();
            for cut in 0..=bytes.len() {
                let cut_text = String::from_utf8_lossy(bytes.get(..cut).unwrap());
                let _ = parse(layout, &cut_text, "America/New_York");
            }
        }
    }
}
