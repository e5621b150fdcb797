//! Test helpers shared by the Machbase encoders' unit tests: a result from literal rows, and
//! one function that encodes it whole for any `MachbaseOutput`.

use std::time::Instant;

use super::{MachbaseFormat, MachbaseOutput, TimeText, ValueFormat};
use crate::catalog::ColumnType;
use crate::output::QueryBody;
use crate::sql::{QueryError, ResultColumn, RowSource};
use crate::timefmt::{TimeFormat, Zone};
use crate::value::Value;

pub struct Rows(pub std::vec::IntoIter<Vec<Value>>);

impl RowSource for Rows {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        match self.0.next() {
            Some(row) => {
                *out = row;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

pub fn column(name: &str, ty: ColumnType) -> ResultColumn {
    ResultColumn {
        name: name.into(),
        ty,
        nullable: false,
    }
}

pub fn datetime() -> ColumnType {
    ColumnType::DateTime {
        precision: 9,
        tz: None,
    }
}

pub fn string() -> ColumnType {
    ColumnType::String { len_max: None }
}

/// Output options with defaults as the peer's `NewQueryRequest`, `format` and `timeformat`
/// in `tz`.
pub fn output(format: MachbaseFormat, timeformat: &str, tz: &str) -> MachbaseOutput {
    let time = TimeText::new(TimeFormat::parse(timeformat), Zone::parse(tz).unwrap());
    MachbaseOutput {
        format,
        values: ValueFormat::new(time),
        rownum: false,
        heading: true,
        started: Instant::now(),
    }
}

/// Encodes `rows` of `columns` whole; `Err` if the body ended early.
pub fn encode(
    output: MachbaseOutput,
    columns: &[ResultColumn],
    rows: Vec<Vec<Value>>,
) -> Result<String, String> {
    let body = QueryBody::new(
        columns.to_vec(),
        Box::new(Rows(rows.into_iter())),
        output.into_encoder(),
    );
    body.into_bytes()
        .map(|bytes| String::from_utf8(bytes).unwrap())
}

/// The result of the peer's json/csv encoder tests: name, time, value.
pub fn car_columns() -> Vec<ResultColumn> {
    vec![
        column("name", string()),
        column("time", datetime()),
        column("value", ColumnType::Float64),
    ]
}

pub fn car_rows() -> Vec<Vec<Value>> {
    vec![
        vec![
            Value::Str("my-car".into()),
            Value::Time(1_670_380_342_000_000_000),
            Value::Float(1.0001),
        ],
        vec![
            Value::Str("my-car".into()),
            Value::Time(1_670_380_343_000_000_000),
            Value::Float(2.0002),
        ],
    ]
}

/// The row layout of the peer's csv/box encoder tests (`col1`..`col6`, KITCHEN times).
pub fn kitchen_columns() -> Vec<ResultColumn> {
    vec![
        column("col1", ColumnType::Int8),
        column("col2", ColumnType::Float64),
        column("col3", string()),
        column("col4", datetime()),
        column("col5", ColumnType::Int64),
        column("col6", ColumnType::Int16),
    ]
}

/// The float of the peer's csv/box encoder tests.
#[expect(
    clippy::approx_constant,
    reason = "the peer's test value, 3.141592, not pi"
)]
pub const PEER_FLOAT: f64 = 3.141592;

/// `time.Unix(1691800174, 123456789)`, the peer's test time.
pub const TEST_TIME_NS: i64 = 1_691_800_174_123_456_789;

pub fn kitchen_rows() -> Vec<Vec<Value>> {
    vec![
        vec![
            Value::Int(1),
            Value::Float(PEER_FLOAT),
            Value::Str("text some".into()),
            Value::Time(TEST_TIME_NS),
            Value::Int(98765),
            Value::Int(16),
        ],
        vec![
            Value::Int(1),
            Value::Float(f64::from(PEER_FLOAT as f32)),
            Value::Str("text some".into()),
            Value::Time(TEST_TIME_NS),
            Value::Int(98765),
            Value::Null,
        ],
    ]
}
