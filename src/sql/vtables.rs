//! Machbase's virtual tables over a tag table T: `V$T_STAT` (per-tag statistics) and
//! `_T_META` (the tag list), readable with any SELECT; and the door to ClickHouse's
//! `system.*` tables (`system_tables`).
//!
//! `V$T_STAT` is computed at query time by one scan of the selected tags' rows, tag after
//! tag in id order: exact whatever happened (crashes, deletes), costing a read of those rows,
//! with each tag's name from the scan (which walks the tag dictionary alongside the rows, so
//! a name costs no lookup). A `NAME = 'x'` or `NAME IN (...)` condition reads only those tags. The value statistics use the first
//! SUMMARIZED column, else the first numeric column (the peer has no value statistics
//! without SUMMARIZED; tidegate is lenient). RECENT_ROW_TIME is the newest time, since the
//! store keeps no arrival order for tag rows.
//!
//! Invariant: memory is one tag's statistics at a time, never the tag list.

use std::sync::Arc;

use super::QueryError;
use super::exec::{RowSource, VecSource};
use super::plan::{KeyColumns, Planned};
use super::schema::{ResultColumn, Schema};
use crate::app::App;
use crate::catalog::{ColumnRole, ColumnType, Table, TableKind};
use crate::store::{Scan, ScanSpec, TagNames, TagSelection};
use crate::value::Value;

pub enum Virtual {
    Stat(Arc<Table>),
    Meta(Arc<Table>),
    /// `system.settings`, `system.tables`, ... (`system_tables`).
    System(super::system_tables::SystemTable),
}

/// `V$T_STAT` or `_T_META` of an existing tag table T (any case), else `None`.
pub fn resolve(app: &App, name: &str) -> Result<Option<Virtual>, QueryError> {
    if let Some(system) = super::system_tables::resolve(name) {
        return Ok(Some(Virtual::System(system)));
    }
    let upper = name.to_ascii_uppercase();
    let upper = upper.rsplit('.').next().unwrap_or(&upper);
    let tag_table = |t: &str| {
        app.catalog
            .get(t)
            .filter(|table| table.kind == TableKind::Tag)
    };
    if let Some(base) = upper
        .strip_prefix("V$")
        .and_then(|r| r.strip_suffix("_STAT"))
    {
        return Ok(tag_table(base).map(Virtual::Stat));
    }
    if let Some(base) = upper
        .strip_prefix('_')
        .and_then(|r| r.strip_suffix("_META"))
    {
        return Ok(tag_table(base).map(Virtual::Meta));
    }
    Ok(None)
}

fn column(name: &str, ty: ColumnType) -> ResultColumn {
    ResultColumn {
        name: name.into(),
        ty,
        nullable: false,
    }
}

fn time() -> ColumnType {
    ColumnType::DateTime {
        precision: 9,
        tz: None,
    }
}

/// The column whose statistics `V$T_STAT` reports.
fn value_column(table: &Table) -> Option<usize> {
    let numeric = |c: &&crate::catalog::Column| {
        !matches!(
            c.ty,
            ColumnType::String { .. }
                | ColumnType::Json
                | ColumnType::Binary
                | ColumnType::DateTime { .. }
                | ColumnType::Date
                | ColumnType::Ipv4
                | ColumnType::Ipv6
                | ColumnType::Uuid
        ) && c.role == ColumnRole::Plain
    };
    let position =
        |pred: &dyn Fn(&crate::catalog::Column) -> bool| table.columns.iter().position(pred);
    position(&|c| c.summarized && numeric(&c)).or_else(|| position(&|c| numeric(&c)))
}

impl Virtual {
    pub fn schema(&self) -> Schema {
        match self {
            Virtual::Stat(_) => Schema {
                columns: vec![
                    column("NAME", ColumnType::String { len_max: None }),
                    column("ROW_COUNT", ColumnType::Int64),
                    column("MIN_TIME", time()),
                    column("MAX_TIME", time()),
                    column("MIN_VALUE", ColumnType::Float64),
                    column("MIN_VALUE_TIME", time()),
                    column("MAX_VALUE", ColumnType::Float64),
                    column("MAX_VALUE_TIME", time()),
                    column("RECENT_ROW_TIME", time()),
                ],
            },
            Virtual::Meta(t) => Schema {
                columns: vec![
                    column("_ID", ColumnType::Int64),
                    column(
                        t.tag_column
                            .and_then(|i| t.columns.get(i))
                            .map_or("NAME", |c| &c.name),
                        ColumnType::String { len_max: None },
                    ),
                ],
            },
            Virtual::System(t) => t.schema(),
        }
    }

    /// The tag-name column, so the planner can pick tags as it does for the table.
    pub fn key_columns(&self) -> KeyColumns {
        match self {
            Virtual::Stat(t) => KeyColumns {
                table_id: t.id,
                tag: Some(0),
                time: None,
            },
            Virtual::Meta(t) => KeyColumns {
                table_id: t.id,
                tag: Some(1),
                time: None,
            },
            // No tags: the executor filters every row.
            Virtual::System(_) => KeyColumns {
                table_id: 0,
                tag: None,
                time: None,
            },
        }
    }

    pub fn open(self, app: &App, planned: Planned) -> Result<Box<dyn RowSource>, QueryError> {
        match self {
            Virtual::Stat(table) => {
                if planned.empty {
                    return Ok(Box::new(VecSource(Vec::new().into_iter())));
                }
                let spec = ScanSpec {
                    tags: planned.spec.tags,
                    ..ScanSpec::all()
                };
                Ok(Box::new(StatRows {
                    scan: Some(app.store.scan(&table, spec)?),
                    value: value_column(&table),
                    table,
                    row: Vec::new(),
                    tag: None,
                }))
            }
            Virtual::Meta(table) => {
                let tags = match planned.spec.tags {
                    _ if planned.empty => Tags::Listed(Vec::new().into_iter()),
                    TagSelection::All => Tags::All(app.store.tags(table.id)),
                    TagSelection::Ids(ids) => Tags::Listed(ids.into_iter()),
                };
                Ok(Box::new(TagRows {
                    store: app.store.clone(),
                    table,
                    tags,
                }))
            }
            Virtual::System(t) => Ok(t.open(app)),
        }
    }
}

enum Tags {
    All(TagNames),
    Listed(std::vec::IntoIter<u32>),
}

/// `_T_META`: one row per tag.
struct TagRows {
    store: crate::store::Store,
    table: Arc<Table>,
    tags: Tags,
}

impl RowSource for TagRows {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        let tag = match &mut self.tags {
            Tags::All(names) => names.next().transpose()?,
            Tags::Listed(ids) => loop {
                let Some(id) = ids.next() else { break None };
                if let Some(name) = self.store.tag_name(self.table.id, id)? {
                    break Some((id, name));
                }
            },
        };
        let Some((id, name)) = tag else {
            return Ok(false);
        };
        out.clear();
        out.push(Value::Int(i64::from(id)));
        out.push(Value::Str(name));
        Ok(true)
    }
}

/// `V$T_STAT`: the statistics of each tag, gathered from one scan, a tag's rows in a run.
struct StatRows {
    /// Dropped once it ends.
    scan: Option<Scan>,
    table: Arc<Table>,
    value: Option<usize>,
    row: Vec<Value>,
    /// The statistics of the tag being read.
    tag: Option<TagStat>,
}

struct TagStat {
    name: String,
    count: i64,
    min_time: i64,
    max_time: i64,
    min_value: Option<(f64, i64)>,
    max_value: Option<(f64, i64)>,
}

impl TagStat {
    fn new(name: &str, time: i64) -> TagStat {
        TagStat {
            name: name.to_owned(),
            count: 0,
            min_time: time,
            max_time: time,
            min_value: None,
            max_value: None,
        }
    }

    fn add(&mut self, time: i64, value: Option<f64>) {
        self.count += 1;
        self.min_time = self.min_time.min(time);
        self.max_time = self.max_time.max(time);
        if let Some(v) = value {
            if self.min_value.is_none_or(|(m, _)| v < m) {
                self.min_value = Some((v, time));
            }
            if self.max_value.is_none_or(|(m, _)| v > m) {
                self.max_value = Some((v, time));
            }
        }
    }

    fn write(self, out: &mut Vec<Value>) {
        let t = |v: Option<i64>| v.map_or(Value::Null, Value::Time);
        out.clear();
        out.extend([
            Value::Str(self.name),
            Value::Int(self.count),
            Value::Time(self.min_time),
            Value::Time(self.max_time),
            self.min_value.map_or(Value::Null, |(v, _)| Value::Float(v)),
            t(self.min_value.map(|(_, t)| t)),
            self.max_value.map_or(Value::Null, |(v, _)| Value::Float(v)),
            t(self.max_value.map(|(_, t)| t)),
            // The store keeps no arrival order for tag rows: the newest time stands in.
            Value::Time(self.max_time),
        ]);
    }
}

impl RowSource for StatRows {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        let time_at = self.table.time_column.unwrap_or(usize::MAX);
        let name_at = self.table.tag_column.unwrap_or(usize::MAX);
        while let Some(scan) = self.scan.as_mut() {
            if !scan.next_row(&mut self.row)? {
                self.scan = None;
                break;
            }
            let (Some(Value::Time(time)), Some(Value::Str(name))) =
                (self.row.get(time_at), self.row.get(name_at))
            else {
                continue;
            };
            let value = self
                .value
                .and_then(|i| self.row.get(i))
                .filter(|v| !v.is_null())
                .and_then(Value::as_f64);
            // A tag's rows come in one run: a new name ends the tag before it.
            match &mut self.tag {
                Some(stat) if stat.name == *name => stat.add(*time, value),
                slot => {
                    let mut next = TagStat::new(name, *time);
                    next.add(*time, value);
                    if let Some(done) = slot.replace(next) {
                        done.write(out);
                        return Ok(true);
                    }
                }
            }
        }
        match self.tag.take() {
            Some(stat) => {
                stat.write(out);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
