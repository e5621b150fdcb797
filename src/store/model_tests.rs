//! Differential test of the storage engine: random writes (duplicates, out of order, across
//! time windows), deletes, checkpoints with merges, clean restarts and crash restarts are run
//! against the store and against a model kept in plain collections; after every step every kind
//! of scan must answer exactly what the model says. Seeded, so a failure names its seed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::writer::WriterThread;
use super::{Durability, RowBatch, ScanSpec, Store, TagSelection};
use crate::catalog::{Column, ColumnRole, ColumnType, DefaultValue, Table, TableKind};
use crate::limits::PARTITION_WIDTH_NS;
use crate::value::Value;

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

struct Db {
    dir: PathBuf,
    store: Option<Store>,
    writer: Option<WriterThread>,
    tags: Arc<Table>,
    stream: Arc<Table>,
}

fn stream_table() -> Table {
    let col = |name: &str, ty| Column {
        name: name.into(),
        ty,
        nullable: true,
        default: DefaultValue::None,
        role: ColumnRole::Plain,
        summarized: false,
    };
    let time = ColumnType::DateTime {
        precision: 9,
        tz: None,
    };
    Table::new(
        0,
        "s".into(),
        TableKind::Stream,
        vec![
            col("id", ColumnType::Int64),
            col("state", ColumnType::String { len_max: None }),
            col("_tp_time", time),
        ],
    )
    .unwrap()
}

impl Db {
    fn create(name: &str) -> Db {
        let dir =
            std::env::temp_dir().join(format!("tidegate-model-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let opened = Store::open_small_heads(&dir, HEAD_BYTES_MAX).unwrap();
        let tags = smol::block_on(opened.store.create_table(Table::example(0, "T"))).unwrap();
        let stream = smol::block_on(opened.store.create_table(stream_table())).unwrap();
        Db {
            dir,
            store: Some(opened.store),
            writer: Some(opened.writer),
            tags: Arc::new(tags),
            stream: Arc::new(stream),
        }
    }

    fn store(&self) -> &Store {
        self.store.as_ref().unwrap()
    }

    /// Stops the store, after sealing the heads (`crash` false) or as a crash would.
    fn restart(&mut self, crash: bool) {
        let store = self.store.take().unwrap();
        if crash {
            smol::block_on(store.abandon()).unwrap();
        }
        store.close();
        drop(store);
        self.writer.take().unwrap().join();
        let opened = Store::open_small_heads(&self.dir, HEAD_BYTES_MAX)
            .unwrap_or_else(|e| panic!("reopen: {e}"));
        let find = |id: u32| Arc::new(opened.tables.iter().find(|t| t.id == id).unwrap().clone());
        self.tags = find(self.tags.id);
        self.stream = find(self.stream.id);
        self.store = Some(opened.store);
        self.writer = Some(opened.writer);
    }

    fn submit(&self, batch: RowBatch) {
        smol::block_on(async {
            let ack = self.store().submit(batch, Durability::Applied).await;
            ack.unwrap().wait().await.unwrap();
        });
    }

    fn scan(&self, table: &Arc<Table>, spec: ScanSpec) -> Vec<Vec<Value>> {
        let mut scan = self.store().scan(table, spec).unwrap();
        let mut rows = Vec::new();
        let mut row = Vec::new();
        while scan.next_row(&mut row).unwrap() {
            rows.push(row.clone());
        }
        rows
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(store) = self.store.take() {
            store.close();
        }
        if let Some(writer) = self.writer.take() {
            writer.join();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[derive(Default)]
struct Model {
    /// (tag, time) -> value: a repeated key replaces the row.
    tagged: BTreeMap<(String, i64), f64>,
    /// Stream rows: (time, id), ids counting up in arrival order.
    stream: Vec<(i64, i64)>,
    next_id: i64,
}

const TAGS: u64 = 9;
/// A head is sealed (by the sealer thread, beside the writes) every few hundred rows, and
/// parts pile up enough to be merged.
const HEAD_BYTES_MAX: usize = 16 << 10;
/// Times fall on a grid over four windows, so rows repeat times and cross window edges.
const STEPS: u64 = 2_000;

fn time(rng: &mut Rng) -> i64 {
    let step = PARTITION_WIDTH_NS / (STEPS as i64 / 4);
    1_700_000_000_000_000_000 / PARTITION_WIDTH_NS * PARTITION_WIDTH_NS
        + rng.below(STEPS) as i64 * step
        - PARTITION_WIDTH_NS
}

/// A stream row's text column: a few repeated values and NULLs, as a state column has.
fn state(id: i64) -> Value {
    match id % 5 {
        0 => Value::Null,
        k => Value::Str(["idle", "run", "fault", "run"][k as usize - 1].into()),
    }
}

fn write(db: &Db, model: &mut Model, rng: &mut Rng) {
    let rows = 1 + rng.below(300);
    if rng.below(3) > 0 {
        let mut batch = RowBatch::new(Arc::clone(&db.tags), 0);
        for _ in 0..rows {
            let tag = format!("t{}", rng.below(TAGS));
            let t = time(rng);
            let value = rng.below(100_000) as f64 / 1000.0;
            batch
                .push(&[Value::Str(tag.clone()), Value::Time(t), Value::Float(value)])
                .unwrap();
            model.tagged.insert((tag, t), value);
        }
        db.submit(batch);
    } else {
        let mut batch = RowBatch::new(Arc::clone(&db.stream), 0);
        for _ in 0..rows {
            let t = time(rng);
            let id = model.next_id;
            model.next_id += 1;
            batch
                .push(&[Value::Int(id), state(id), Value::Time(t)])
                .unwrap();
            model.stream.push((t, id));
        }
        db.submit(batch);
    }
}

fn delete(db: &Db, model: &mut Model, rng: &mut Rng) {
    let (a, b) = (time(rng), time(rng));
    let (time_min, time_max) = (a.min(b), a.max(b));
    let mut spec = ScanSpec {
        time_min,
        time_max,
        ..ScanSpec::all()
    };
    if rng.below(2) == 0 {
        let chosen: Vec<String> = (0..TAGS)
            .filter(|_| rng.below(3) == 0)
            .map(|t| format!("t{t}"))
            .collect();
        let ids = chosen
            .iter()
            .filter_map(|n| db.store().tag_id(db.tags.id, n).unwrap())
            .collect();
        spec.tags = TagSelection::Ids(ids);
        let before = model.tagged.len();
        model
            .tagged
            .retain(|(tag, t), _| !(chosen.contains(tag) && (time_min..=time_max).contains(t)));
        let deleted = smol::block_on(db.store().delete(&db.tags, spec)).unwrap();
        assert_eq!(deleted as usize, before - model.tagged.len());
    } else {
        let before = model.stream.len();
        model
            .stream
            .retain(|(t, _)| !(time_min..=time_max).contains(t));
        let deleted = smol::block_on(db.store().delete(&db.stream, spec)).unwrap();
        assert_eq!(deleted as usize, before - model.stream.len());
    }
}

fn same(got: Vec<Vec<Value>>, want: Vec<Vec<Value>>, what: &str) {
    if got == want {
        return;
    }
    let first = got.iter().zip(&want).position(|(g, w)| g != w);
    let at = first.unwrap_or(got.len().min(want.len()));
    panic!(
        "{what}: {} rows, want {}; first difference at {at}: {:?} vs {:?}",
        got.len(),
        want.len(),
        got.get(at),
        want.get(at)
    );
}

/// Every kind of scan, against the model.
fn check(db: &Db, model: &Model, rng: &mut Rng, step: &str) {
    let id_of = |name: &str| {
        db.store()
            .tag_id(db.tags.id, name)
            .unwrap()
            .unwrap_or(u32::MAX)
    };
    let (a, b) = (time(rng), time(rng));
    for (time_min, time_max) in [(i64::MIN, i64::MAX), (a.min(b), a.max(b))] {
        let in_range = |t: &i64| (time_min..=time_max).contains(t);
        let mut by_tag: Vec<(u32, i64, String, f64)> = model
            .tagged
            .iter()
            .filter(|((_, t), _)| in_range(t))
            .map(|((tag, t), v)| (id_of(tag), *t, tag.clone(), *v))
            .collect();
        by_tag.sort_by_key(|x| (x.0, x.1));
        let as_rows = |list: &[(u32, i64, String, f64)]| -> Vec<Vec<Value>> {
            list.iter()
                .map(|(_, t, tag, v)| {
                    vec![Value::Str(tag.clone()), Value::Time(*t), Value::Float(*v)]
                })
                .collect()
        };
        for reverse in [false, true] {
            let spec = ScanSpec {
                time_min,
                time_max,
                reverse,
                ..ScanSpec::all()
            };
            let mut want = by_tag.clone();
            if reverse {
                want.reverse();
            }
            same(
                db.scan(&db.tags, spec.clone()),
                as_rows(&want),
                &format!("{step}: tag by tag {spec:?}"),
            );
            let mut by_time = by_tag.clone();
            by_time.sort_by_key(|x| (x.1, x.0));
            if reverse {
                by_time.reverse();
            }
            let merged = ScanSpec {
                by_time: true,
                ..spec.clone()
            };
            same(
                db.scan(&db.tags, merged.clone()),
                as_rows(&by_time),
                &format!("{step}: {merged:?}"),
            );
            let pick = [
                format!("t{}", rng.below(TAGS)),
                format!("t{}", rng.below(TAGS)),
            ];
            let ids: Vec<u32> = pick
                .iter()
                .map(|n| id_of(n))
                .filter(|&i| i != u32::MAX)
                .collect();
            let listed = ScanSpec {
                tags: TagSelection::Ids(ids.clone()),
                ..spec.clone()
            };
            let want: Vec<_> = want
                .iter()
                .filter(|r| ids.contains(&r.0))
                .cloned()
                .collect();
            same(
                db.scan(&db.tags, listed.clone()),
                as_rows(&want),
                &format!("{step}: {listed:?}"),
            );

            let mut stream: Vec<(i64, i64)> = model
                .stream
                .iter()
                .copied()
                .filter(|(t, _)| in_range(t))
                .collect();
            stream.sort();
            if reverse {
                stream.reverse();
            }
            let want: Vec<Vec<Value>> = stream
                .iter()
                .map(|(t, id)| vec![Value::Int(*id), state(*id), Value::Time(*t)])
                .collect();
            same(
                db.scan(&db.stream, spec.clone()),
                want,
                &format!("{step}: stream {spec:?}"),
            );
        }
    }
}

fn run(seed: u64, steps: usize) {
    let mut rng = Rng(seed);
    let mut db = Db::create(&format!("seed{seed}"));
    let mut model = Model::default();
    for step in 0..steps {
        let what = match rng.below(20) {
            0..=11 => {
                write(&db, &mut model, &mut rng);
                "write"
            }
            12..=13 => {
                delete(&db, &mut model, &mut rng);
                "delete"
            }
            14..=16 => {
                smol::block_on(db.store().checkpoint_now()).unwrap();
                "checkpoint"
            }
            17 => {
                db.restart(false);
                "restart"
            }
            _ => {
                db.restart(true);
                "crash"
            }
        };
        check(
            &db,
            &model,
            &mut rng,
            &format!("seed {seed} step {step} ({what})"),
        );
    }
}

#[test]
fn the_store_answers_what_a_plain_model_says() {
    for seed in [0x9e37_79b9, 0x51ed_270b] {
        run(seed, 60);
    }
}
