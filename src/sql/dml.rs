//! INSERT and DELETE statements.
//!
//! INSERT converts each value with the ingest path's rules (`ingest::convert`), so a value
//! means the same in `INSERT` and in `/db/write`; rows go to the store's writer as one
//! `RowBatch` per `BATCH_ROWS_MAX` rows and are acknowledged once fsynced.
//!
//! DELETE accepts only what maps to key ranges (the tag name with `=`, `IN` or `=`s joined by
//! OR, the time with comparisons or `BETWEEN`, joined by AND, or Machbase's `BEFORE <time>`),
//! because the writer removes whole key ranges; any other condition is refused rather than
//! half-applied.
//!
//! Invariant: only the writer thread changes stored rows (`Store::submit`, `Store::delete`).

use super::QueryError;
use super::ast::{Delete, Expr, Insert};
use super::eval::{BindContext, bind, eval};
use super::plan::{KeyColumns, plan_scan};
use super::schema::Schema;
use crate::app::App;
use crate::catalog::{Column, ColumnType, Dialect, TableKind};
use crate::ingest::convert::{self, Scalar};
use crate::ingest::{ConvertOptions, Rules};
use crate::store::{Durability, RowBatch};
use crate::timefmt::{self, TimeFormat, Zone};
use crate::value::Value;

/// Converts an evaluated literal into `column`'s type, as `/db/write` would store it.
fn store_value(
    column: &Column,
    v: Value,
    opts: &ConvertOptions,
    slot: &mut Value,
) -> Result<(), QueryError> {
    let failed = |detail: String| QueryError::BadValue(format!("column {}: {detail}", column.name));
    match (&column.ty, v) {
        (_, Value::Null) => {
            return convert::json_scalar(column, Scalar::Null, "", opts, slot)
                .map_err(|e| failed(e.detail));
        }
        (ColumnType::DateTime { .. }, Value::Time(t)) => *slot = Value::Time(t),
        // SQL datetime text: '2023-02-15 03:39:21', read in UTC as the peers read it.
        (ColumnType::DateTime { .. }, Value::Str(s)) if s.contains('-') => {
            *slot = Value::Time(
                timefmt::parse_best_effort(&s)
                    .ok_or_else(|| failed(format!("cannot parse '{s}' as a datetime")))?,
            );
        }
        (_, Value::Str(s)) => convert::json_scalar(column, Scalar::String, &s, opts, slot)
            .map_err(|e| failed(e.detail))?,
        (_, Value::Bool(b)) => {
            let kind = if b { Scalar::True } else { Scalar::False };
            convert::json_scalar(column, kind, "", opts, slot).map_err(|e| failed(e.detail))?
        }
        (_, v) => {
            let text = crate::output::plain_text(&v);
            convert::json_scalar(column, Scalar::Number, &text, opts, slot)
                .map_err(|e| failed(e.detail))?
        }
    }
    Ok(())
}

/// Runs an INSERT; answers the rows stored.
pub async fn insert(
    app: &App,
    insert: &Insert,
    params: &[Value],
    dialect: Dialect,
) -> Result<u64, QueryError> {
    let table = app
        .catalog
        .get(&insert.table)
        .ok_or_else(|| QueryError::UnknownTable(insert.table.clone()))?;
    let targets: Vec<usize> = if insert.columns.is_empty() {
        (0..table.columns.len()).collect()
    } else {
        insert
            .columns
            .iter()
            .map(|name| {
                table
                    .column_index(name)
                    .ok_or_else(|| QueryError::UnknownColumn {
                        column: name.clone(),
                        table: table.name.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?
    };
    let now_ns = timefmt::now_ns();
    let opts = ConvertOptions {
        rules: match dialect {
            Dialect::Machbase => Rules::Machbase,
            Dialect::Proton => Rules::Proton,
        },
        time_format: TimeFormat::parse("ns"),
        zone: Zone::utc(),
        now_ns,
    };
    let empty = Schema::default();
    let cx = BindContext {
        schema: &empty,
        relation: &table.name,
        params,
        dialect,
        aggregates: false,
    };
    let mut batch = RowBatch::new(table.clone(), now_ns);
    let mut stored = 0u64;
    let mut values = Vec::with_capacity(table.columns.len());
    for (n, row) in insert.rows.iter().enumerate() {
        if row.len() != targets.len() {
            return Err(QueryError::BadValue(format!(
                "row {} has {} values for {} columns",
                n + 1,
                row.len(),
                targets.len()
            )));
        }
        values.clear();
        for c in &table.columns {
            let mut slot = Value::Null;
            convert::default_value(c, now_ns, &mut slot);
            values.push(slot);
        }
        for (expr, &index) in row.iter().zip(&targets) {
            let v = eval(&bind(expr, &cx)?, &[], now_ns)?;
            if let (Some(column), Some(slot)) = (table.columns.get(index), values.get_mut(index)) {
                store_value(column, v, &opts, slot)?;
            }
        }
        batch
            .push(&values)
            .map_err(|e| QueryError::BadValue(format!("row {}: {e}", n + 1)))?;
        if batch.is_full() {
            let full = std::mem::replace(&mut batch, RowBatch::new(table.clone(), now_ns));
            stored += full.rows() as u64;
            app.store
                .submit(full, Durability::Synced)
                .await?
                .wait()
                .await?;
        }
    }
    if !batch.is_empty() {
        stored += batch.rows() as u64;
        app.store
            .submit(batch, Durability::Synced)
            .await?
            .wait()
            .await?;
    }
    Ok(stored)
}

/// Runs a DELETE; answers the rows deleted.
pub async fn delete(app: &App, delete: &Delete, params: &[Value]) -> Result<u64, QueryError> {
    let table = app
        .catalog
        .get(&delete.table)
        .ok_or_else(|| QueryError::UnknownTable(delete.table.clone()))?;
    let schema = Schema::of_table(&table);
    let cx = BindContext {
        schema: &schema,
        relation: &table.name,
        params,
        dialect: Dialect::Machbase,
        aggregates: false,
    };
    let time_name = table
        .time_column
        .and_then(|i| table.columns.get(i))
        .map(|c| c.name.to_string());
    // `BEFORE t` is `time < t` on the key time.
    let condition = match (&delete.filter, &delete.before, &time_name) {
        (Some(f), _, _) => Some(f.clone()),
        (None, Some(t), Some(time)) => Some(Expr::Binary(
            super::ast::BinaryOp::Lt,
            Box::new(Expr::Column(time.clone())),
            Box::new(t.clone()),
        )),
        (None, Some(_), None) => {
            return Err(QueryError::Unsupported(format!(
                "DELETE ... BEFORE needs a time column; {} has none",
                table.name
            )));
        }
        (None, None, _) => None,
    };
    let now_ns = timefmt::now_ns();
    // Constant sub-expressions (`TO_DATE('...')`, `now - 1`) become literals the planner
    // can read.
    let bound = condition
        .map(|c| bind(&c, &cx).map(|b| fold(b, now_ns)))
        .transpose()?;
    let keys = KeyColumns {
        table_id: table.id,
        tag: table.tag_column,
        time: table.time_column,
    };
    let planned = plan_scan(app, keys, bound.as_ref())?;
    if !planned.all_terms_used {
        return Err(QueryError::Unsupported(format!(
            "DELETE supports only conditions on {} (= or IN) and {} (<, <=, >, >=, =, \
             BETWEEN) joined by AND",
            table
                .tag_column
                .and_then(|i| table.columns.get(i))
                .map_or("the tag name", |c| &c.name),
            time_name.as_deref().unwrap_or("the time")
        )));
    }
    if table.kind != TableKind::Tag
        && matches!(planned.spec.tags, crate::store::TagSelection::Ids(_))
    {
        return Err(QueryError::Unsupported(
            "only tag tables have tag names".into(),
        ));
    }
    if planned.empty {
        return Ok(0);
    }
    Ok(app.store.delete(&table, planned.spec).await?)
}

/// Evaluates every sub-expression without column references. An `IN` list, `OR`ed
/// equalities or a `LIKE` pattern whose constants only now became literals are prepared as
/// binding prepares them (`eval::in_list`, `sets::absorb_equalities`, `eval::like`).
pub(super) fn fold(b: super::eval::Bound, now_ns: i64) -> super::eval::Bound {
    use super::ast::BinaryOp;
    use super::eval::{Bound, in_list, like};
    use super::sets::absorb_equalities;
    fn constant(b: &Bound) -> bool {
        match b {
            Bound::Literal(_) | Bound::Now => true,
            Bound::Column(_) | Bound::Aggregate(..) => false,
            Bound::Neg(x)
            | Bound::Not(x)
            | Bound::IsNull(x, _)
            | Bound::InSet(x, ..)
            | Bound::LikePattern(x, ..) => constant(x),
            Bound::Binary(_, a, b) | Bound::Like(a, b, _) => constant(a) && constant(b),
            Bound::Between(a, b, c, _) => constant(a) && constant(b) && constant(c),
            Bound::InList(x, l, _) => constant(x) && l.iter().all(constant),
            Bound::Function(_, args) => args.iter().all(constant),
        }
    }
    /// Folds the leaves of an `OR` tree, keeping its nodes, so that it is prepared once at
    /// its root. Recursive over the `OR` nodes, whose depth the parser bounds.
    fn fold_or(b: Bound, now_ns: i64) -> Bound {
        match b {
            Bound::Binary(BinaryOp::Or, l, r) => Bound::Binary(
                BinaryOp::Or,
                Box::new(fold_or(*l, now_ns)),
                Box::new(fold_or(*r, now_ns)),
            ),
            other => fold(other, now_ns),
        }
    }
    if constant(&b) {
        return match eval(&b, &[], now_ns) {
            Ok(v) => Bound::Literal(v),
            Err(_) => b,
        };
    }
    let f = |x: Box<Bound>| Box::new(fold(*x, now_ns));
    match b {
        Bound::Binary(BinaryOp::Or, ..) => absorb_equalities(fold_or(b, now_ns)),
        Bound::Binary(op, l, r) => Bound::Binary(op, f(l), f(r)),
        Bound::Between(x, lo, hi, n) => Bound::Between(f(x), f(lo), f(hi), n),
        Bound::InList(x, l, n) => {
            in_list(f(x), l.into_iter().map(|i| fold(i, now_ns)).collect(), n)
        }
        Bound::Like(x, p, n) => like(f(x), f(p), n),
        other => other,
    }
}
