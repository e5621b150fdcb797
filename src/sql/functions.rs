//! Scalar SQL functions of both dialects: binding by name (checking argument counts and
//! literal arguments once, not per row), evaluation, and result types.
//!
//! Machbase: `ROLLUP(unit, n, time)`, `DATE_TRUNC(unit, time[, n])`, `TO_TIMESTAMP`,
//! `TO_DATE(text[, format])`, `TO_CHAR(x[, format])`, `NOW`/`SYSDATE`. Proton:
//! `to_start_of_minute|hour|day(t)`, `to_start_of_interval(t, INTERVAL n unit)`,
//! `now()`/`now64()`, `to_datetime(x)`. Both: `abs round floor ceil upper lower length
//! coalesce nvl concat`. Aggregates are not here (`aggregate`).
//!
//! Invariants: no function panics or wraps on any input; a time that would leave the i64 ns
//! range is NULL. Buckets are aligned to the Unix epoch (UTC), as both peers align them
//! without an origin argument.

use super::QueryError;
use crate::catalog::ColumnType;
use crate::timefmt::{self, Civil, civil_from_days, days_from_civil};
use crate::value::Value;

const NS_PER_SECOND: i64 = 1_000_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Nanosecond,
    Microsecond,
    Millisecond,
    Second,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimeUnit {
    /// Both peers' spellings: Machbase `nsec usec msec sec min hour day week month year`,
    /// SQL's full words, their plurals, and Proton's `s m h d`.
    pub fn parse(word: &str) -> Option<TimeUnit> {
        let w = word.to_ascii_lowercase();
        let w = w.strip_suffix('s').filter(|s| s.len() > 1).unwrap_or(&w);
        Some(match w {
            "nanosecond" | "nsec" | "ns" => TimeUnit::Nanosecond,
            "microsecond" | "usec" | "us" => TimeUnit::Microsecond,
            "millisecond" | "msec" | "ms" => TimeUnit::Millisecond,
            "second" | "sec" | "s" => TimeUnit::Second,
            "minute" | "min" | "m" => TimeUnit::Minute,
            "hour" | "h" => TimeUnit::Hour,
            "day" | "d" => TimeUnit::Day,
            "week" | "w" => TimeUnit::Week,
            "month" | "mon" => TimeUnit::Month,
            "year" | "y" => TimeUnit::Year,
            _ => return None,
        })
    }

    /// Nanoseconds in one unit; `None` for the calendar units.
    pub fn fixed_ns(self) -> Option<i64> {
        Some(match self {
            TimeUnit::Nanosecond => 1,
            TimeUnit::Microsecond => 1_000,
            TimeUnit::Millisecond => 1_000_000,
            TimeUnit::Second => NS_PER_SECOND,
            TimeUnit::Minute => 60 * NS_PER_SECOND,
            TimeUnit::Hour => 3600 * NS_PER_SECOND,
            TimeUnit::Day => 86_400 * NS_PER_SECOND,
            TimeUnit::Week => 7 * 86_400 * NS_PER_SECOND,
            TimeUnit::Month | TimeUnit::Year => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Func {
    /// The time floored to a multiple of `count` units since the epoch (ROLLUP, DATE_TRUNC,
    /// to_start_of_*). Weeks start on Monday, as Proton's `to_start_of_week` (mode 1) does.
    Truncate {
        unit: TimeUnit,
        count: i64,
        /// Result precision (fraction digits printed by Proton).
        precision: u8,
    },
    /// Machbase `TO_TIMESTAMP(x)`: the nanosecond count as an integer.
    ToTimestamp,
    ToDate,
    ToChar,
    ToDateTime,
    Abs,
    Round,
    Floor,
    Ceil,
    Upper,
    Lower,
    Length,
    Coalesce,
    Concat,
    /// What drivers ask a server when they connect: `version()`, `timezone()`,
    /// `currentDatabase()`, `uptime()`.
    Server(ServerInfo),
}

/// The server facts the zero-argument functions report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerInfo {
    Version,
    Timezone,
    Database,
    Uptime,
}

/// The Proton release whose HTTP dialect tidegate speaks (reference proton-api.md §0), as
/// `version()` reports it. Drivers compare it with ClickHouse versions to pick features:
/// timeplus-connect asks for the block-info prefix of protocol 54405 only from 23.2 on, which
/// a Proton version never reaches.
pub const PROTON_VERSION: &str = "1.6.1";

/// When this process started, for `uptime()`; set by `mark_process_start` at start, else at
/// the first call.
static PROCESS_START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();

/// Records the process start for `uptime()`.
pub fn mark_process_start() {
    PROCESS_START.get_or_init(std::time::Instant::now);
}

fn bad(message: String) -> QueryError {
    QueryError::BadValue(message)
}

fn literal_str(arg: Option<&Value>, function: &str, what: &str) -> Result<String, QueryError> {
    match arg {
        Some(Value::Str(s)) => Ok(s.clone()),
        _ => Err(bad(format!(
            "{function}() needs {what} as a string literal"
        ))),
    }
}

fn literal_int(arg: Option<&Value>, function: &str, what: &str) -> Result<i64, QueryError> {
    match arg {
        Some(Value::Int(n)) if *n > 0 => Ok(*n),
        _ => Err(bad(format!(
            "{function}() needs {what} as a positive integer literal"
        ))),
    }
}

fn unit_of(word: &str, function: &str) -> Result<TimeUnit, QueryError> {
    TimeUnit::parse(word).ok_or_else(|| {
        bad(format!(
            "{function}(): unknown time unit '{word}'; use nsec, usec, msec, sec, min, hour, \
             day, week, month or year"
        ))
    })
}

/// What a function call binds to: a scalar function, or `None` when `name` is not one.
/// `literals[i]` is the value of argument `i` when it is a constant, for units and counts;
/// `args` are the call's arguments, of which the caller keeps the ones `keep` says.
pub struct Binding {
    pub func: Func,
    /// Indexes of the arguments evaluated per row, in order.
    pub keep: Vec<usize>,
}

pub fn bind(name: &str, literals: &[Option<Value>]) -> Result<Option<Binding>, QueryError> {
    let lower = name.to_ascii_lowercase();
    let n = literals.len();
    let lit = |i: usize| literals.get(i).and_then(Option::as_ref);
    let arity = |ok: bool, what: &str| {
        if ok {
            Ok(())
        } else {
            Err(bad(format!("{name}() takes {what}, not {n}")))
        }
    };
    let truncate = |unit, count, precision, keep| {
        Ok(Some(Binding {
            func: Func::Truncate {
                unit,
                count,
                precision,
            },
            keep,
        }))
    };
    let simple = |func| {
        Ok(Some(Binding {
            func,
            keep: (0..n).collect(),
        }))
    };
    match lower.as_str() {
        "rollup" => {
            arity(n == 3 || n == 4, "(unit, n, time[, origin])")?;
            let unit = unit_of(&literal_str(lit(0), name, "the unit")?, name)?;
            let count = literal_int(lit(1), name, "the count")?;
            truncate(unit, count, 9, vec![2])
        }
        "date_trunc" => {
            arity(n == 2 || n == 3, "(unit, time[, n])")?;
            let unit = unit_of(&literal_str(lit(0), name, "the unit")?, name)?;
            let count = if n == 3 {
                literal_int(lit(2), name, "the count")?
            } else {
                1
            };
            truncate(unit, count, 9, vec![1])
        }
        "to_start_of_second"
        | "to_start_of_minute"
        | "to_start_of_five_minutes"
        | "to_start_of_fifteen_minutes"
        | "to_start_of_hour"
        | "to_start_of_day"
        | "to_start_of_week"
        | "to_start_of_month"
        | "to_start_of_year" => {
            arity(n == 1 || n == 2, "(time[, timezone])")?;
            let (unit, count) = match lower.as_str() {
                "to_start_of_second" => (TimeUnit::Second, 1),
                "to_start_of_minute" => (TimeUnit::Minute, 1),
                "to_start_of_five_minutes" => (TimeUnit::Minute, 5),
                "to_start_of_fifteen_minutes" => (TimeUnit::Minute, 15),
                "to_start_of_hour" => (TimeUnit::Hour, 1),
                "to_start_of_day" => (TimeUnit::Day, 1),
                "to_start_of_week" => (TimeUnit::Week, 1),
                "to_start_of_month" => (TimeUnit::Month, 1),
                _ => (TimeUnit::Year, 1),
            };
            truncate(unit, count, 0, vec![0])
        }
        "to_start_of_interval" => {
            arity(n == 2 || n == 3, "(time, INTERVAL n unit[, timezone])")?;
            match lit(1) {
                Some(Value::Str(spec)) => {
                    let (count, unit) = interval_parts(spec).ok_or_else(|| {
                        bad(format!(
                            "{name}() needs INTERVAL n unit as its second argument"
                        ))
                    })?;
                    truncate(unit, count, 0, vec![0])
                }
                _ => Err(bad(format!(
                    "{name}() needs INTERVAL n unit as its second argument"
                ))),
            }
        }
        "to_timestamp" => {
            arity(n == 1, "one argument")?;
            simple(Func::ToTimestamp)
        }
        "to_date" => {
            arity(n == 1 || n == 2, "(text[, format])")?;
            simple(Func::ToDate)
        }
        "to_char" => {
            arity(n == 1 || n == 2, "(value[, format])")?;
            simple(Func::ToChar)
        }
        "to_datetime" | "to_datetime64" | "parse_datetime_best_effort" => {
            arity(n >= 1, "(value[, ...])")?;
            Ok(Some(Binding {
                func: Func::ToDateTime,
                keep: vec![0],
            }))
        }
        "abs" => arity(n == 1, "one argument").and_then(|()| simple(Func::Abs)),
        "round" => arity(n == 1 || n == 2, "(x[, digits])").and_then(|()| simple(Func::Round)),
        "floor" => arity(n == 1, "one argument").and_then(|()| simple(Func::Floor)),
        "ceil" | "ceiling" => arity(n == 1, "one argument").and_then(|()| simple(Func::Ceil)),
        "upper" => arity(n == 1, "one argument").and_then(|()| simple(Func::Upper)),
        "lower" => arity(n == 1, "one argument").and_then(|()| simple(Func::Lower)),
        "length" | "char_length" => {
            arity(n == 1, "one argument").and_then(|()| simple(Func::Length))
        }
        "coalesce" | "nvl" | "ifnull" => {
            arity(n >= 1, "at least one argument").and_then(|()| simple(Func::Coalesce))
        }
        "concat" => simple(Func::Concat),
        "version" | "currentdatabase" | "current_database" | "database" | "timezone"
        | "server_timezone" | "servertimezone" | "uptime" => {
            arity(n == 0, "no arguments")?;
            let info = match lower.as_str() {
                "version" => ServerInfo::Version,
                "currentdatabase" | "current_database" | "database" => ServerInfo::Database,
                "uptime" => ServerInfo::Uptime,
                _ => ServerInfo::Timezone,
            };
            simple(Func::Server(info))
        }
        _ => Ok(None),
    }
}

/// `INTERVAL n unit` is bound to the string `"n unit"`; this reads it back.
pub fn interval_parts(spec: &str) -> Option<(i64, TimeUnit)> {
    let mut words = spec.split_whitespace();
    let count: i64 = words.next()?.parse().ok().filter(|c| *c > 0)?;
    let unit = TimeUnit::parse(words.next()?)?;
    Some((count, unit))
}

pub fn result_type(func: &Func, arg_types: &[ColumnType]) -> ColumnType {
    let first = arg_types.first().cloned();
    match func {
        Func::Truncate { precision, .. } => ColumnType::DateTime {
            precision: *precision,
            tz: None,
        },
        Func::ToTimestamp | Func::Length => ColumnType::Int64,
        Func::ToDate => ColumnType::DateTime {
            precision: 9,
            tz: None,
        },
        Func::ToDateTime => ColumnType::DateTime {
            precision: 0,
            tz: None,
        },
        Func::ToChar | Func::Upper | Func::Lower | Func::Concat => {
            ColumnType::String { len_max: None }
        }
        Func::Round | Func::Floor | Func::Ceil => ColumnType::Float64,
        Func::Abs | Func::Coalesce => first.unwrap_or(ColumnType::Float64),
        Func::Server(ServerInfo::Uptime) => ColumnType::UInt32,
        Func::Server(_) => ColumnType::String { len_max: None },
    }
}

pub fn call(func: &Func, args: &[Value]) -> Result<Value, QueryError> {
    let arg = |i: usize| args.get(i).unwrap_or(&Value::Null);
    if !matches!(func, Func::Coalesce | Func::Concat | Func::Server(_)) && arg(0).is_null() {
        return Ok(Value::Null);
    }
    Ok(match func {
        Func::Truncate { unit, count, .. } => match time_of(arg(0)) {
            Some(t) => truncate(t, *unit, *count).map_or(Value::Null, Value::Time),
            None => return Err(bad(format!("cannot truncate {:?}: not a time", arg(0)))),
        },
        Func::ToTimestamp => match arg(0) {
            Value::Time(t) | Value::Int(t) => Value::Int(*t),
            Value::Str(s) => {
                timefmt::parse_best_effort(s).map_or(Value::Null, Value::Int)
            }
            other => other.as_f64().map_or(Value::Null, |f| Value::Int(f as i64)),
        },
        Func::ToDate => match (arg(0), args.get(1)) {
            (Value::Str(s), Some(Value::Str(format))) => {
                parse_with_format(s, format).map(Value::Time).ok_or_else(|| {
                    bad(format!("TO_DATE: '{s}' does not match the format '{format}'"))
                })?
            }
            (Value::Str(s), _) => timefmt::parse_best_effort(s)
                .or_else(|| parse_with_format(s, MACHBASE_DATE_FORMAT))
                .map(Value::Time)
                .ok_or_else(|| {
                    bad(format!(
                        "TO_DATE: '{s}' is not a date; write 'YYYY-MM-DD HH24:MI:SS' or give a format"
                    ))
                })?,
            (v, _) => time_of(v).map_or(Value::Null, Value::Time),
        },
        Func::ToChar => match (arg(0), args.get(1)) {
            (Value::Time(t), format) => {
                let format = match format {
                    Some(Value::Str(f)) => f.as_str(),
                    _ => MACHBASE_DATE_FORMAT,
                };
                Value::Str(format_with(*t, format))
            }
            (v, _) => Value::Str(crate::output::plain_text(v)),
        },
        Func::ToDateTime => match arg(0) {
            Value::Str(s) => timefmt::parse_best_effort(s)
                .map(Value::Time)
                .ok_or_else(|| bad(format!("cannot parse '{s}' as a datetime")))?,
            Value::Int(secs) => secs
                .checked_mul(NS_PER_SECOND)
                .map_or(Value::Null, Value::Time),
            v => time_of(v).map_or(Value::Null, Value::Time),
        },
        Func::Abs => match arg(0) {
            Value::Int(i) => i.checked_abs().map_or(Value::Null, Value::Int),
            Value::Float(f) => Value::Float(f.abs()),
            v => v.clone(),
        },
        Func::Round => {
            let digits = match args.get(1) {
                Some(Value::Int(d)) => (*d).clamp(-15, 15) as i32,
                _ => 0,
            };
            let scale = 10f64.powi(digits);
            arg(0)
                .as_f64()
                .map_or(Value::Null, |f| Value::Float((f * scale).round() / scale))
        }
        Func::Floor => arg(0).as_f64().map_or(Value::Null, |f| Value::Float(f.floor())),
        Func::Ceil => arg(0).as_f64().map_or(Value::Null, |f| Value::Float(f.ceil())),
        Func::Upper => Value::Str(crate::output::plain_text(arg(0)).to_uppercase()),
        Func::Lower => Value::Str(crate::output::plain_text(arg(0)).to_lowercase()),
        Func::Length => Value::Int(crate::output::plain_text(arg(0)).chars().count() as i64),
        Func::Coalesce => args
            .iter()
            .find(|v| !v.is_null())
            .cloned()
            .unwrap_or(Value::Null),
        Func::Concat => Value::Str(args.iter().map(crate::output::plain_text).collect()),
        Func::Server(info) => match info {
            ServerInfo::Version => Value::Str(PROTON_VERSION.into()),
            // Every time tidegate stores is UTC, and it prints times in UTC.
            ServerInfo::Timezone => Value::Str("UTC".into()),
            // tidegate has one database (README compatibility table).
            ServerInfo::Database => Value::Str("default".into()),
            ServerInfo::Uptime => {
                let start = PROCESS_START.get_or_init(std::time::Instant::now);
                Value::UInt(start.elapsed().as_secs().min(u64::from(u32::MAX)))
            }
        },
    })
}

fn time_of(v: &Value) -> Option<i64> {
    match v {
        Value::Time(t) | Value::Int(t) => Some(*t),
        Value::Str(s) => timefmt::parse_best_effort(s),
        Value::Date(d) => i64::from(*d).checked_mul(86_400 * NS_PER_SECOND),
        _ => None,
    }
}

/// `t` floored to a multiple of `count` units since the epoch; `None` outside the range.
pub fn truncate(t: i64, unit: TimeUnit, count: i64) -> Option<i64> {
    if let Some(unit_ns) = unit.fixed_ns() {
        // 1970-01-01 was a Thursday; Monday-aligned weeks start 3 days earlier.
        let origin = if unit == TimeUnit::Week {
            -3 * 86_400 * NS_PER_SECOND
        } else {
            0
        };
        let width = unit_ns.checked_mul(count)?;
        let shifted = i128::from(t) - i128::from(origin);
        let floored = shifted.div_euclid(i128::from(width)) * i128::from(width);
        return i64::try_from(floored + i128::from(origin)).ok();
    }
    let (year, month, _) = civil_from_days(t.div_euclid(86_400 * NS_PER_SECOND));
    let months = year * 12 + i64::from(month) - 1;
    let per = if unit == TimeUnit::Year { 12i64 } else { 1 }.checked_mul(count)?;
    let start = months.div_euclid(per) * per;
    let days = days_from_civil(start.div_euclid(12), (start.rem_euclid(12) + 1) as u8, 1);
    days.checked_mul(86_400 * NS_PER_SECOND)
}

/// Machbase's default `TO_DATE`/`TO_CHAR` format.
pub const MACHBASE_DATE_FORMAT: &str = "YYYY-MM-DD HH24:MI:SS mmm:uuu:nnn";

/// The fields of Machbase's date formats, longest first so `HH24` wins over `HH`.
const FIELDS: &[(&str, usize)] = &[
    ("YYYY", 4),
    ("HH24", 2),
    ("HH12", 2),
    ("mmm", 3),
    ("uuu", 3),
    ("nnn", 3),
    ("MM", 2),
    ("DD", 2),
    ("HH", 2),
    ("MI", 2),
    ("SS", 2),
    ("YY", 2),
];

fn field_at(format: &str) -> Option<(&'static str, usize)> {
    FIELDS.iter().copied().find(|(name, _)| {
        format.get(..name.len()).is_some_and(|head| {
            if name.bytes().all(|b| b.is_ascii_lowercase()) {
                head == *name
            } else {
                head.eq_ignore_ascii_case(name) && !head.bytes().all(|b| b.is_ascii_lowercase())
            }
        })
    })
}

/// `t` (UTC) written with a Machbase format.
pub fn format_with(t: i64, format: &str) -> String {
    let c = Civil::from_unix_seconds(
        t.div_euclid(NS_PER_SECOND),
        t.rem_euclid(NS_PER_SECOND) as u32,
    );
    let mut out = String::new();
    let mut rest = format;
    while !rest.is_empty() {
        if let Some((name, width)) = field_at(rest) {
            let v: i64 = match name {
                "YYYY" => i64::from(c.year),
                "YY" => i64::from(c.year) % 100,
                "MM" => i64::from(c.month),
                "DD" => i64::from(c.day),
                "HH24" | "HH" => i64::from(c.hour),
                "HH12" => i64::from((c.hour + 11) % 12 + 1),
                "MI" => i64::from(c.minute),
                "SS" => i64::from(c.second),
                "mmm" => i64::from(c.nanosecond / 1_000_000),
                "uuu" => i64::from(c.nanosecond / 1_000 % 1_000),
                _ => i64::from(c.nanosecond % 1_000),
            };
            out.push_str(&format!("{v:0width$}"));
            rest = rest.get(name.len()..).unwrap_or_default();
        } else {
            let mut chars = rest.chars();
            if let Some(ch) = chars.next() {
                out.push(ch);
            }
            rest = chars.as_str();
        }
    }
    out
}

/// Reads `text` with a Machbase format; text may stop early (the missing fields are zero).
pub fn parse_with_format(text: &str, format: &str) -> Option<i64> {
    let (mut year, mut month, mut day) = (1970i64, 1u8, 1u8);
    let (mut hour, mut minute, mut second, mut ns) = (0i64, 0i64, 0i64, 0i64);
    let mut f = format;
    let mut t = text.trim();
    while !f.is_empty() && !t.is_empty() {
        if let Some((name, width)) = field_at(f) {
            let digits = t.bytes().take(width).take_while(u8::is_ascii_digit).count();
            if digits == 0 {
                return None;
            }
            let v: i64 = t.get(..digits)?.parse().ok()?;
            match name {
                "YYYY" => year = v,
                "YY" => year = 2000 + v,
                "MM" => month = u8::try_from(v).ok()?,
                "DD" => day = u8::try_from(v).ok()?,
                "HH24" | "HH" | "HH12" => hour = v,
                "MI" => minute = v,
                "SS" => second = v,
                "mmm" => ns += v * 1_000_000,
                "uuu" => ns += v * 1_000,
                _ => ns += v,
            }
            t = t.get(digits..)?;
            f = f.get(name.len()..)?;
        } else {
            let mut fc = f.chars();
            let mut tc = t.chars();
            if fc.next()? != tc.next()? {
                return None;
            }
            f = fc.as_str();
            t = tc.as_str();
        }
    }
    if !t.trim().is_empty() {
        return None;
    }
    let civil = Civil::new(
        i32::try_from(year).ok()?,
        month,
        day,
        u8::try_from(hour).ok()?,
        u8::try_from(minute).ok()?,
        u8::try_from(second).ok()?,
        u32::try_from(ns).ok()?,
    )?;
    timefmt::ns_from_parts(civil.seconds_as_utc(), civil.nanosecond)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: i64 = 1_705_291_859_123_456_789; // 2024-01-15 04:10:59.123456789 UTC

    #[test]
    fn truncation_to_units_and_calendar() {
        let min = 60 * NS_PER_SECOND;
        assert_eq!(truncate(T, TimeUnit::Minute, 1), Some(T - T % min));
        assert_eq!(
            truncate(T, TimeUnit::Second, 10),
            Some(1_705_291_850_000_000_000)
        );
        assert_eq!(truncate(-1, TimeUnit::Second, 1), Some(-NS_PER_SECOND));
        assert_eq!(
            truncate(T, TimeUnit::Month, 1),
            parse_with_format("2024-01-01", "YYYY-MM-DD")
        );
        assert_eq!(
            truncate(T, TimeUnit::Year, 1),
            parse_with_format("2024-01-01", "YYYY-MM-DD")
        );
        // 2024-01-15 is a Monday.
        assert_eq!(
            truncate(T, TimeUnit::Week, 1),
            parse_with_format("2024-01-15", "YYYY-MM-DD")
        );
        assert_eq!(truncate(i64::MIN, TimeUnit::Day, 1), None);
        assert_eq!(truncate(T, TimeUnit::Year, i64::MAX), None, "no overflow");
        assert_eq!(truncate(T, TimeUnit::Week, i64::MAX), None, "no overflow");
    }

    #[test]
    fn machbase_formats_both_ways() {
        assert_eq!(
            format_with(T, MACHBASE_DATE_FORMAT),
            "2024-01-15 04:10:59 123:456:789"
        );
        assert_eq!(format_with(T, "YYYY/MM/DD HH12:MI"), "2024/01/15 04:10");
        assert_eq!(
            parse_with_format("2024-01-15 04:10:59 123:456:789", MACHBASE_DATE_FORMAT),
            Some(T)
        );
        assert_eq!(
            parse_with_format("2024-01-15", MACHBASE_DATE_FORMAT),
            Some(T - T % (86_400 * NS_PER_SECOND))
        );
        assert_eq!(parse_with_format("2024-13-15", MACHBASE_DATE_FORMAT), None);
        assert_eq!(parse_with_format("x", MACHBASE_DATE_FORMAT), None);
    }

    #[test]
    fn units_of_both_peers() {
        assert_eq!(TimeUnit::parse("sec"), Some(TimeUnit::Second));
        assert_eq!(TimeUnit::parse("MINUTE"), Some(TimeUnit::Minute));
        assert_eq!(TimeUnit::parse("min"), Some(TimeUnit::Minute));
        assert_eq!(TimeUnit::parse("hours"), Some(TimeUnit::Hour));
        assert_eq!(TimeUnit::parse("ms"), Some(TimeUnit::Millisecond));
        assert_eq!(TimeUnit::parse("m"), Some(TimeUnit::Minute));
        assert_eq!(TimeUnit::parse("fortnight"), None);
        assert_eq!(interval_parts("5 second"), Some((5, TimeUnit::Second)));
    }

    #[test]
    fn errors_name_the_function() {
        let e = bind(
            "rollup",
            &[Some(Value::Str("eon".into())), Some(Value::Int(1)), None],
        );
        assert_eq!(
            e.err().map(|e| e.to_string()).unwrap_or_default(),
            "rollup(): unknown time unit 'eon'; use nsec, usec, msec, sec, min, hour, day, week, month or year"
        );
        let e = bind("DATE_TRUNC", &[None]);
        assert_eq!(
            e.err().map(|e| e.to_string()).unwrap_or_default(),
            "DATE_TRUNC() takes (unit, time[, n]), not 1"
        );
    }
}
