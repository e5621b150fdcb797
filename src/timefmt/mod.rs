//! Time on the wire: epoch units, Go reference layouts and named formats (Machbase's
//! `timeformat`), time zones (Machbase's `tz`), the `YYYY-MM-DD hh:mm:ss[.fff]` text both
//! peers print, Proton's best-effort datetime input, and Go's duration text.
//!
//! Callers use `TimeFormat::parse(timeformat)` and `Zone::parse(tz)` once per request, then
//! `TimeFormat::format_time` / `TimeFormat::parse_time` per value. Not here: where a time
//! goes in a reply (`src/output/`), which parameter holds it (`src/api/`).
//!
//! Invariants:
//! - All times are i64 ns UTC. Conversions that would leave that range fail (`None` or a
//!   `TimeError`); none wraps, none panics, whatever the text or layout.
//! - Go's behaviour is the specification where the peer is written in Go (layouts, zone
//!   choice, DST resolution, durations, error texts); each deliberate difference is named in
//!   the doc comment of the function that makes it.
//!
//! Files: `civil.rs` calendar arithmetic; `epoch.rs` units and the clock; `layout.rs` Go's
//! layout engine; `named.rs` the `timeformat` parameter; `zone.rs` the `tz` parameter;
//! `duration.rs` Go durations; `best_effort.rs` Proton's reader; `error.rs` messages.

mod best_effort;
mod civil;
mod duration;
mod epoch;
mod error;
mod layout;
mod named;
mod zone;

pub use best_effort::parse_best_effort;
pub use civil::{Civil, civil_from_days, days_from_civil, format_datetime, ns_from_parts};
pub use duration::go_duration;
pub use epoch::{EpochUnit, now_ns};
pub use named::TimeFormat;
pub use zone::Zone;
