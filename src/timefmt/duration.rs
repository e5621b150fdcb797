//! Go durations: `time.Duration.String()` for Machbase's `elapse`.

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
}
