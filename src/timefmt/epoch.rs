//! Epoch units (`timeformat` = `s ms us ns`) and the clock.
//!
//! Invariant: conversions that would leave the i64 ns range return `None`; none wraps.

/// An epoch unit as named by Machbase's `timeformat` (`s ms us ns`, case-sensitive: `NS` is a
/// Go layout, not a unit; reference §2.1).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_lowercase_only() {
        assert_eq!(EpochUnit::parse("s"), Some(EpochUnit::S));
        assert_eq!(EpochUnit::parse("ms"), Some(EpochUnit::Ms));
        assert_eq!(EpochUnit::parse("us"), Some(EpochUnit::Us));
        assert_eq!(EpochUnit::parse("ns"), Some(EpochUnit::Ns));
        assert_eq!(EpochUnit::parse("NS"), None);
        assert_eq!(EpochUnit::parse("Ms"), None);
    }

    #[test]
    fn conversions() {
        assert_eq!(
            EpochUnit::Ms.to_ns(1_670_380_342_000),
            Some(1_670_380_342_000_000_000)
        );
        assert_eq!(EpochUnit::S.to_ns(i64::MAX / 10), None);
        assert_eq!(
            EpochUnit::Ms.count_in(1_676_432_361_123_456_789),
            1_676_432_361_123
        );
        assert_eq!(EpochUnit::S.count_in(-1), -1);
    }
}
