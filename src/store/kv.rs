//! kv streams (`changelog_kv`, `versioned_kv`): one stored row per primary key.
//!
//! A kv stream's rows live in its keyspace in the ordinary stream layout (`time | sequence`,
//! `keys`), so scans, time ranges and DELETE need nothing new; only the latest row of each
//! key is kept there. An index in the `tags` keyspace finds a key's row:
//! `table id u32 | 2 | key bytes` -> `row key (16 bytes) | version bytes`. The tag entries
//! use markers 0 and 1 under the same table prefix, so DROP removes the index with them.
//!
//! Writing one batch (`plan`): rows are folded in arrival order into the final state of each
//! key they touch, starting from the stored index entry. A `changelog_kv` row replaces the
//! key's row, or deletes it when `_tp_delta` is negative. A `versioned_kv` row replaces it
//! when its version is not less than the current one (ties: the later arrival wins). Then
//! each touched key's old row is removed and its final row and index entry written, all in
//! the one fjall batch the writer commits: a crash keeps the old state or the new one.
//!
//! Invariants:
//! - A key's index entry names the only row of that key in the keyspace.
//! - A fjall batch never writes the same key twice (the fold keeps one state per key), so
//!   the batch's order of operations cannot matter.
//! - Key bytes are injective over the key columns' values; version bytes order like the
//!   version column's values (numbers by value, strings and bytes bytewise, NULL first).

use std::collections::HashMap;

use crate::bytes::put_bytes;
use crate::catalog::{StreamMode, TP_DELTA, Table};
use crate::limits::STORED_KEY_BYTES_MAX;
use crate::value::Value;

use super::keys::SEQ_KEY_BYTES;

/// What a kv row carries besides its time and row value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KvParts<'a> {
    pub key: &'a [u8],
    pub version: &'a [u8],
    pub delete: bool,
}

/// The key bytes of a row's key-column values: each value's version bytes, length-prefixed.
fn key_bytes<'v>(values: impl IntoIterator<Item = &'v Value>) -> Vec<u8> {
    let mut out = Vec::new();
    let mut one = Vec::new();
    for value in values {
        one.clear();
        put_version(value, &mut one);
        put_bytes(&mut out, &one);
    }
    out
}

/// Appends the order-preserving bytes of a version value to `out`.
pub fn put_version(value: &Value, out: &mut Vec<u8>) {
    let flip = |i: i64| ((i as u64) ^ (1 << 63)).to_be_bytes();
    match value {
        Value::Null => out.push(0),
        Value::Bool(b) => out.extend_from_slice(&[1, u8::from(*b)]),
        Value::Int(i) | Value::Time(i) => {
            out.push(1);
            out.extend_from_slice(&flip(*i));
        }
        Value::UInt(u) => {
            out.push(1);
            out.extend_from_slice(&u.to_be_bytes());
        }
        Value::Date(d) => {
            out.push(1);
            out.extend_from_slice(&flip(i64::from(*d)));
        }
        Value::Float(f) => {
            // IEEE 754 bits in total order: negative numbers flipped whole, others signed.
            let bits = f.to_bits();
            let ordered = if bits >> 63 == 1 {
                !bits
            } else {
                bits ^ (1 << 63)
            };
            out.push(1);
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::Str(s) => {
            out.push(1);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Bytes(b) => {
            out.push(1);
            out.extend_from_slice(b);
        }
        Value::Ipv4(a) => {
            out.push(1);
            out.extend_from_slice(a);
        }
        Value::Ipv6(a) | Value::Uuid(a) => {
            out.push(1);
            out.extend_from_slice(a);
        }
    }
}

/// Appends a kv row's parts to a batch record: key, version, delete flag.
/// Appends a row's kv parts to `out`. Refuses (answering the key's length) a key longer than
/// `STORED_KEY_BYTES_MAX`, which could not become a storage key; `out` is then unchanged.
pub fn put_parts(table: &Table, values: &[Value], out: &mut Vec<u8>) -> Result<(), usize> {
    let key = key_bytes(
        table
            .key_columns
            .iter()
            .map(|&i| values.get(i).unwrap_or(&Value::Null)),
    );
    if key.len() > STORED_KEY_BYTES_MAX {
        return Err(key.len());
    }
    put_bytes(out, &key);
    let mut version = Vec::new();
    if table.mode == StreamMode::VersionedKv
        && let Some(v) = table.version_column.and_then(|i| values.get(i))
    {
        put_version(v, &mut version);
    }
    put_bytes(out, &version);
    let delete = table.mode == StreamMode::ChangelogKv
        && table
            .column_index(TP_DELTA)
            .and_then(|i| values.get(i))
            .is_some_and(|v| matches!(v, Value::Int(d) if *d < 0));
    out.push(u8::from(delete));
    Ok(())
}

pub fn index_key(table_id: u32, key: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + key.len());
    out.extend_from_slice(&table_id.to_be_bytes());
    out.push(2);
    out.extend_from_slice(key);
    out
}

/// (row key, version bytes) of an index entry; `None` if it is too short.
pub fn split_entry(entry: &[u8]) -> Option<(&[u8], &[u8])> {
    (entry.len() >= SEQ_KEY_BYTES).then(|| entry.split_at(SEQ_KEY_BYTES))
}

/// A row a batch wants stored: its time, version bytes and row value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRow<'a> {
    pub time_ns: i64,
    pub version: &'a [u8],
    pub value: &'a [u8],
}

/// The final state of one key after a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change<'a> {
    pub key: &'a [u8],
    /// The stored row to remove (from the index entry before the batch).
    pub old_row: Option<Vec<u8>>,
    /// The row to write, or `None` when the batch deleted the key.
    pub new_row: Option<NewRow<'a>>,
}

/// Folds a batch's rows into one change per touched key, in first-touch order. `stored`
/// answers a key's index entry before the batch. Keys whose state did not change (a
/// versioned row older than the stored one, a delete of an absent key) are left out.
pub fn plan<'a, E>(
    mode: StreamMode,
    rows: impl Iterator<Item = (i64, KvParts<'a>, &'a [u8])>,
    mut stored: impl FnMut(&[u8]) -> Result<Option<Vec<u8>>, E>,
) -> Result<Vec<Change<'a>>, E> {
    struct State<'a> {
        key: &'a [u8],
        old: Option<Vec<u8>>,
        current: Option<NewRow<'a>>,
        changed: bool,
    }
    let mut states: Vec<State<'a>> = Vec::new();
    let mut at: HashMap<&'a [u8], usize> = HashMap::new();
    for (time_ns, parts, value) in rows {
        let i = match at.get(parts.key) {
            Some(&i) => i,
            None => {
                states.push(State {
                    key: parts.key,
                    old: stored(parts.key)?,
                    current: None,
                    changed: false,
                });
                let i = states.len() - 1;
                at.insert(parts.key, i);
                i
            }
        };
        let Some(state) = states.get_mut(i) else {
            continue;
        };
        let current_version: Option<&[u8]> = match &state.current {
            Some(row) => Some(row.version),
            None if state.changed => None,
            None => state
                .old
                .as_deref()
                .and_then(split_entry)
                .map(|(_, version)| version),
        };
        if parts.delete {
            let exists = current_version.is_some();
            state.current = None;
            state.changed |= exists;
            continue;
        }
        if mode == StreamMode::VersionedKv && current_version.is_some_and(|v| parts.version < v) {
            continue;
        }
        state.current = Some(NewRow {
            time_ns,
            version: parts.version,
            value,
        });
        state.changed = true;
    }
    Ok(states
        .into_iter()
        .filter(|s| s.changed)
        .map(|s| Change {
            key: s.key,
            old_row: s
                .old
                .as_deref()
                .and_then(split_entry)
                .map(|(row, _)| row.to_vec()),
            new_row: s.current,
        })
        .collect())
}

/// An index entry: the row key, then the version bytes.
pub fn entry(row_key: &[u8], version: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(row_key.len() + version.len());
    out.extend_from_slice(row_key);
    out.extend_from_slice(version);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(value: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        put_version(value, &mut out);
        out
    }

    #[test]
    fn version_bytes_order_like_values() {
        let ints = [i64::MIN, -5, -1, 0, 1, 7, i64::MAX].map(Value::Int);
        let floats =
            [f64::NEG_INFINITY, -2.5, -0.0, 0.0, 1e-9, 3.0, f64::INFINITY].map(Value::Float);
        for list in [&ints[..], &floats[..]] {
            for pair in list.windows(2) {
                assert!(v(&pair[0]) <= v(&pair[1]), "{pair:?}");
            }
        }
        assert!(v(&Value::Null) < v(&Value::Int(i64::MIN)));
        assert!(v(&Value::Str("a".into())) < v(&Value::Str("ab".into())));
        assert!(v(&Value::Time(-1)) < v(&Value::Time(0)));
    }

    #[test]
    fn composite_keys_do_not_collide() {
        let s = |t: &str| Value::Str(t.into());
        assert_ne!(key_bytes(&[s("ab"), s("")]), key_bytes(&[s("a"), s("b")]));
        assert_ne!(key_bytes(&[Value::Null]), key_bytes(&[s("")]));
        assert_eq!(
            key_bytes(&[s("a"), Value::Int(1)]),
            key_bytes(&[s("a"), Value::Int(1)])
        );
    }

    fn row<'a>(
        t: i64,
        key: &'a [u8],
        version: &'a [u8],
        delete: bool,
        value: &'a [u8],
    ) -> (i64, KvParts<'a>, &'a [u8]) {
        (
            t,
            KvParts {
                key,
                version,
                delete,
            },
            value,
        )
    }

    fn stored_entry(version: &[u8]) -> Vec<u8> {
        entry(&[9; SEQ_KEY_BYTES], version)
    }

    #[test]
    fn versioned_keeps_the_greatest_version_and_the_later_tie() {
        let rows = vec![
            row(1, b"k", b"\x05", false, b"a"),
            row(2, b"k", b"\x03", false, b"older"),
            row(3, b"k", b"\x05", false, b"tie"),
            row(4, b"j", b"\x01", false, b"below stored"),
        ];
        let changes = plan(StreamMode::VersionedKv, rows.into_iter(), |k| {
            Ok::<_, ()>((k == b"j").then(|| stored_entry(b"\x02")))
        })
        .unwrap();
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].key, b"k");
        assert_eq!(changes[0].old_row, None);
        assert_eq!(changes[0].new_row.as_ref().unwrap().value, b"tie");
    }

    #[test]
    fn changelog_deletes_and_reinserts() {
        let rows = vec![
            row(1, b"k", b"", true, b"gone"),
            row(2, b"j", b"", true, b"absent"),
            row(3, b"i", b"", false, b"x"),
            row(4, b"i", b"", true, b"x gone"),
            row(5, b"i", b"", false, b"y"),
        ];
        let changes = plan(StreamMode::ChangelogKv, rows.into_iter(), |k| {
            Ok::<_, ()>((k == b"k").then(|| stored_entry(b"")))
        })
        .unwrap();
        let got: Vec<_> = changes
            .iter()
            .map(|c| {
                (
                    c.key,
                    c.old_row.is_some(),
                    c.new_row.as_ref().map(|r| r.value),
                )
            })
            .collect();
        assert_eq!(
            got,
            [(&b"k"[..], true, None), (&b"i"[..], false, Some(&b"y"[..]))]
        );
    }
}
