//! Machbase's virtual tables over a tag table T: `V$T_STAT` (per-tag statistics) and
//! `_T_META` (the tag list), readable with any SELECT.
//!
//! `V$T_STAT` is computed by scanning at query time, one tag at a time: exact whatever
//! happened (crashes, deletes), costing a read of each selected tag's rows. A `NAME = 'x'` or
//! `NAME IN (...)` condition reads only those tags. The value statistics use the first
//! SUMMARIZED column, else the first numeric column (the peer has no value statistics
//! without SUMMARIZED; tidegate is lenient). RECENT_ROW_TIME is the newest time, since the
//! store keeps no arrival order for tag rows.
//!
//! Invariant: memory is one tag's statistics at a time, never the tag list.

use std::sync::Arc;

use super::QueryError;
use super::exec::RowSource;
use super::plan::{KeyColumns, Planned};
use super::schema::{ResultColumn, Schema};
use crate::app::App;
use crate::catalog::{ColumnRole, ColumnType, Table, TableKind};
use crate::store::{Scan, ScanSpec, TagNames, TagSelection};
use crate::value::Value;

pub enum Virtual {
    Stat(Arc<Table>),
    Meta(Arc<Table>),
}

/// `V$T_STAT` or `_T_META` of an existing tag table T (any case), else `None`.
pub fn resolve(app: &App, name: &str) -> Result<Option<Virtual>, QueryError> {
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
        }
    }

    pub fn open(self, app: &App, planned: Planned) -> Result<Box<dyn RowSource>, QueryError> {
        let (table, stat) = match self {
            Virtual::Stat(t) => (t, true),
            Virtual::Meta(t) => (t, false),
        };
        let tags = if planned.empty {
            Tags::Listed(Vec::new().into_iter())
        } else {
            match planned.spec.tags {
                TagSelection::All => Tags::All(app.store.tags(table.id)),
                TagSelection::Ids(ids) => Tags::Listed(ids.into_iter()),
            }
        };
        Ok(Box::new(TagRows {
            store: app.store.clone(),
            value: value_column(&table),
            table,
            tags,
            stat,
            row: Vec::new(),
        }))
    }
}

enum Tags {
    All(TagNames),
    Listed(std::vec::IntoIter<u32>),
}

struct TagRows {
    store: crate::store::Store,
    table: Arc<Table>,
    value: Option<usize>,
    tags: Tags,
    stat: bool,
    row: Vec<Value>,
}

impl TagRows {
    fn next_tag(&mut self) -> Result<Option<(u32, String)>, QueryError> {
        match &mut self.tags {
            Tags::All(names) => Ok(names.next().transpose()?),
            Tags::Listed(ids) => {
                for id in ids.by_ref() {
                    if let Some(name) = self.store.tag_name(self.table.id, id)? {
                        return Ok(Some((id, name)));
                    }
                }
                Ok(None)
            }
        }
    }

    /// One `V$T_STAT` row from a scan of the tag's rows.
    fn stat(&mut self, id: u32, name: String, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        let spec = ScanSpec {
            tags: TagSelection::Ids(vec![id]),
            ..ScanSpec::all()
        };
        let mut scan: Scan = self.store.scan(&self.table, spec)?;
        let time_at = self.table.time_column.unwrap_or(usize::MAX);
        let mut count = 0i64;
        let (mut min_t, mut max_t) = (None::<i64>, None::<i64>);
        let mut min_v: Option<(f64, i64)> = None;
        let mut max_v: Option<(f64, i64)> = None;
        while scan.next_row(&mut self.row)? {
            let Some(Value::Time(t)) = self.row.get(time_at) else {
                continue;
            };
            let t = *t;
            count += 1;
            min_t = Some(min_t.map_or(t, |m| m.min(t)));
            max_t = Some(max_t.map_or(t, |m| m.max(t)));
            if let Some(v) = self
                .value
                .and_then(|i| self.row.get(i))
                .filter(|v| !v.is_null())
                .and_then(Value::as_f64)
            {
                if min_v.is_none_or(|(m, _)| v < m) {
                    min_v = Some((v, t));
                }
                if max_v.is_none_or(|(m, _)| v > m) {
                    max_v = Some((v, t));
                }
            }
        }
        if count == 0 {
            // A tag whose rows were all deleted: the peer keeps no statistics row for it.
            return Ok(false);
        }
        let t = |v: Option<i64>| v.map_or(Value::Null, Value::Time);
        out.clear();
        out.extend([
            Value::Str(name),
            Value::Int(count),
            t(min_t),
            t(max_t),
            min_v.map_or(Value::Null, |(v, _)| Value::Float(v)),
            t(min_v.map(|(_, t)| t)),
            max_v.map_or(Value::Null, |(v, _)| Value::Float(v)),
            t(max_v.map(|(_, t)| t)),
            t(max_t),
        ]);
        Ok(true)
    }
}

impl RowSource for TagRows {
    fn next_row(&mut self, out: &mut Vec<Value>) -> Result<bool, QueryError> {
        while let Some((id, name)) = self.next_tag()? {
            if !self.stat {
                out.clear();
                out.push(Value::Int(i64::from(id)));
                out.push(Value::Str(name));
                return Ok(true);
            }
            if self.stat(id, name, out)? {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
