//! ClickHouse's `INSERT INTO s [(cols)] FORMAT x` over the HTTP interface, with the data
//! after the statement (reference proton-api.md §2.5): what drivers send for `insert()`.
//!
//! The data goes through the same pipeline as Proton's ingest (`ingest::ingest`): decoded
//! as it arrives, converted with Proton's rules, committed in bounded batches, fsynced
//! before the reply (an INSERT is synchronous). A body that fits one batch is stored whole
//! or not at all; a larger one batch by batch, and an error names the row and says how many
//! rows were stored before it (also in the summary header's `written_rows`).
//!
//! Formats: JSONEachRow, CSV, CSVWithNames, TabSeparated, TabSeparatedWithNames,
//! JSONCompactEachRow, Native, RowBinary (and ClickHouse's aliases for them).

use std::time::Instant;

use crate::app::App;
use crate::ingest::{
    BodyFormat, ChunkSource, ConvertOptions, Header, IngestErrorKind, IngestPlan, ingest,
};
use crate::server::Response;
use crate::sql::insert_format::InsertHead;
use crate::store::Durability;
use crate::timefmt;

use super::clickhouse::exception_reply;
use super::clickhouse_reply::{Summary, WithSummary};
use super::proton_errors::{Exception, ingest_exception};

/// The body format a ClickHouse format name means for input, if tidegate reads it.
fn body_format(name: &str) -> Option<BodyFormat> {
    Some(match name.to_ascii_lowercase().as_str() {
        "jsoneachrow" | "ndjson" | "jsonlines" => BodyFormat::Ndjson,
        "jsoncompacteachrow" => BodyFormat::JsonCompact,
        "csv" => BodyFormat::Csv {
            delimiter: b',',
            header: Header::None,
        },
        "csvwithnames" => BodyFormat::Csv {
            delimiter: b',',
            header: Header::Columns,
        },
        "tabseparated" | "tsv" => BodyFormat::Tsv { with_names: false },
        "tabseparatedwithnames" | "tsvwithnames" => BodyFormat::Tsv { with_names: true },
        "native" => BodyFormat::Native,
        "rowbinary" => BodyFormat::RowBinary,
        _ => return None,
    })
}

pub(super) async fn insert<S: ChunkSource>(
    app: &App,
    head: InsertHead,
    data: &mut S,
    started: Instant,
) -> Response {
    // tidegate has one database, `default`.
    let name = head.table.strip_prefix("default.").unwrap_or(&head.table);
    let Some(table) = app.catalog.get(name) else {
        let e = Exception::new(
            60,
            "UNKNOWN_STREAM",
            format!("Stream default.{name} doesn't exist"),
        );
        return exception_reply(&e);
    };
    let Some(format) = body_format(&head.format) else {
        let e = Exception::new(
            73,
            "UNKNOWN_FORMAT",
            format!(
                "Unknown input format {}; tidegate reads JSONEachRow, JSONCompactEachRow, CSV, CSVWithNames, TabSeparated, TabSeparatedWithNames, Native and RowBinary",
                head.format
            ),
        );
        return exception_reply(&e);
    };
    let plan = IngestPlan {
        table,
        format,
        // `data` comes inflated (`clickhouse::answer`).
        encoding: None,
        inflate: app.inflate,
        durability: Durability::Synced,
        convert: ConvertOptions::proton(timefmt::now_ns()),
        columns: head.columns,
    };
    match ingest(&app.store, data, plan).await {
        Ok(rows) => Response::text(200, "").with_summary(
            &Summary {
                written_rows: rows,
                ..Summary::default()
            },
            started,
        ),
        Err(e) => {
            let summary = Summary {
                written_rows: e.rows_stored,
                ..Summary::default()
            };
            let mut r =
                exception_reply(&ingest_exception(&e, name)).with_summary(&summary, started);
            // The rest of the body was not read.
            r.close = matches!(e.kind, IngestErrorKind::Body(_));
            r
        }
    }
}
