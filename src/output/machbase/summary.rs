//! The reply of a query whose format printed nothing (reference §3.2 step 9): `box` with no
//! rows and `format=discard` answer `{"success":true,"reason":"no rows selected.",
//! "elapse":"..."}`, in the peer's key order and with `spi.MakeUserMessage`'s wording.

use std::time::Instant;

use crate::output::{Encoder, json_string};
use crate::sql::ResultColumn;
use crate::timefmt;
use crate::value::Value;

/// Appends the summary for `rows` rows: `no rows selected.`, `a row selected.` or
/// `<n> rows selected.`.
pub fn selected_summary(rows: u64, started: Instant, out: &mut Vec<u8>) {
    let reason = match rows {
        0 => "no rows selected.".to_owned(),
        1 => "a row selected.".to_owned(),
        n => format!("{n} rows selected."),
    };
    out.extend_from_slice(b"{\"success\":true,\"reason\":");
    json_string(&reason, true, out);
    out.extend_from_slice(b",\"elapse\":");
    let elapse = timefmt::go_duration(started.elapsed().as_nanos() as u64);
    json_string(&elapse, true, out);
    out.push(b'}');
}

/// `format=discard`: reads every row, prints only the summary.
pub struct Discard {
    started: Instant,
}

impl Discard {
    pub fn new(started: Instant) -> Discard {
        Discard { started }
    }
}

impl Encoder for Discard {
    fn begin(&mut self, _columns: &[ResultColumn], _out: &mut Vec<u8>) {}

    fn row(
        &mut self,
        _columns: &[ResultColumn],
        _row: &[Value],
        _out: &mut Vec<u8>,
    ) -> Result<(), String> {
        Ok(())
    }

    fn end(&mut self, rows: u64, out: &mut Vec<u8>) {
        selected_summary(rows, self.started, out);
    }
}

#[cfg(test)]
mod tests {
    use super::super::MachbaseFormat;
    use super::super::test_rows::*;

    fn without_elapse(body: &str) -> &str {
        &body[..body.find(",\"elapse\":").unwrap()]
    }

    #[test]
    fn discard_counts_rows() {
        let out = output(MachbaseFormat::Discard, "ns", "");
        let body = encode(out, &car_columns(), car_rows()).unwrap();
        assert_eq!(
            without_elapse(&body),
            r#"{"success":true,"reason":"2 rows selected.""#
        );
        let out = output(MachbaseFormat::Discard, "ns", "");
        let body = encode(out, &car_columns(), vec![]).unwrap();
        assert_eq!(
            without_elapse(&body),
            r#"{"success":true,"reason":"no rows selected.""#
        );
        let out = output(MachbaseFormat::Discard, "ns", "");
        let one = car_rows().into_iter().take(1).collect();
        let body = encode(out, &car_columns(), one).unwrap();
        assert_eq!(
            without_elapse(&body),
            r#"{"success":true,"reason":"a row selected.""#
        );
    }
}
