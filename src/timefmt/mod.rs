//! Time on the wire: epoch units, the `YYYY-MM-DD hh:mm:ss[.fff]` text both peers print,
//! Proton's best-effort datetime input, and Go's duration text for Machbase's `elapse`.
//!
//! Invariant: all times are i64 ns UTC. Conversions that can overflow return `None`, never
//! wrap.
//!
//! Files: `civil.rs` calendar arithmetic; `epoch.rs` units and the clock; `duration.rs` Go
//! durations; `best_effort.rs` Proton's reader.

mod best_effort;
mod civil;
mod duration;
mod epoch;

pub use best_effort::parse_best_effort;
pub use civil::format_datetime;
pub use duration::go_duration;
pub use epoch::{EpochUnit, now_ns};
