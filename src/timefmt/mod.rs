//! Time on the wire: epoch units, time zones (Machbase's `tz`), the
//! `YYYY-MM-DD hh:mm:ss[.fff]` text both peers print, Proton's best-effort datetime input,
//! and Go's duration text for Machbase's `elapse`.
//!
//! Invariants:
//! - All times are i64 ns UTC. Conversions that would leave that range fail; none wraps.
//! - Go's behaviour is the specification where the peer is written in Go (zone choice, DST
//!   resolution, durations); each deliberate difference is named in the doc comment of the
//!   function that makes it.
//!
//! Files: `civil.rs` calendar arithmetic; `epoch.rs` units and the clock; `zone.rs` the `tz`
//! parameter; `duration.rs` Go durations; `best_effort.rs` Proton's reader.

// Zones are wired into `/db/query` with the layout engine that prints in them.
#![cfg_attr(
    not(test),
    expect(
        dead_code,
        unused_imports,
        reason = "zones are used once the layout engine prints and reads in them"
    )
)]
#![cfg_attr(
    test,
    allow(
        unused_imports,
        reason = "the re-exports are for the rest of the crate"
    )
)]

mod best_effort;
mod civil;
mod duration;
mod epoch;
mod zone;

pub use best_effort::parse_best_effort;
pub use civil::{Civil, format_datetime};
pub use duration::go_duration;
pub use epoch::{EpochUnit, now_ns};
pub use zone::{Zone, ZoneError, ZoneOffset};
