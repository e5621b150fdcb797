//! Deleting fjall keyspaces safely. fjall 3.1 has a bug: after a restart it gives a new
//! keyspace the internal id of the deleted keyspace with the highest id, and a keyspace made
//! with a reused id is gone after the next restart (its stale deletion record wins). A part
//! written then would vanish while its manifest still lists it. The repro, in a scratch crate
//! against fjall 3.1.13: make keyspaces `a`, `b`, `c`; delete `c`; reopen; make `d`; reopen:
//! `d` is missing.
//!
//! So the keyspace with the highest id is never deleted: before deleting any, a new empty
//! sentinel keyspace is made (which gets the highest id), and the previous sentinels go with
//! the others. Ids freed below a live one are never reused.
//!
//! Invariant: whenever a keyspace is deleted, a sentinel newer than it exists.

use fjall::{Database, Keyspace, KeyspaceCreateOptions};

use super::StoreError;

const SENTINEL_PREFIX: &str = "sentinel";

fn sentinel_number(name: &str) -> Option<u64> {
    name.strip_prefix(SENTINEL_PREFIX)?.parse().ok()
}

/// Deletes `keyspaces` (see the module comment). Durable with the next persist.
pub(super) fn delete(db: &Database, keyspaces: Vec<Keyspace>) -> Result<(), StoreError> {
    if keyspaces.is_empty() {
        return Ok(());
    }
    let old: Vec<String> = db
        .list_keyspace_names()
        .iter()
        .filter(|n| sentinel_number(n).is_some())
        .map(|n| n.to_string())
        .collect();
    let next = old
        .iter()
        .filter_map(|n| sentinel_number(n))
        .max()
        .unwrap_or(0)
        + 1;
    db.keyspace(
        &format!("{SENTINEL_PREFIX}{next}"),
        KeyspaceCreateOptions::default,
    )?;
    for name in old {
        db.delete_keyspace(db.keyspace(&name, KeyspaceCreateOptions::default)?)?;
    }
    for keyspace in keyspaces {
        db.delete_keyspace(keyspace)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fjall::PersistMode;

    fn open(dir: &std::path::Path) -> Database {
        Database::builder(dir)
            .manual_journal_persist(true)
            .open()
            .unwrap()
    }

    fn make(db: &Database, name: &str) -> Keyspace {
        let ks = db.keyspace(name, KeyspaceCreateOptions::default).unwrap();
        let mut ingestion = ks.start_ingestion().unwrap();
        ingestion.write(b"k".to_vec(), b"v".to_vec()).unwrap();
        ingestion.finish().unwrap();
        ks
    }

    #[test]
    fn a_keyspace_made_after_deleting_the_newest_survives_restarts() {
        let dir = std::env::temp_dir().join(format!("tidegate-keyspaces-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for round in 0..3 {
            let db = open(&dir);
            let newest = make(&db, &format!("p{round}"));
            db.persist(PersistMode::SyncData).unwrap();
            delete(&db, vec![newest]).unwrap();
            db.persist(PersistMode::SyncData).unwrap();
            drop(db);
            let db = open(&dir);
            make(&db, &format!("kept{round}"));
            db.persist(PersistMode::SyncData).unwrap();
        }
        let db = open(&dir);
        let names: Vec<String> = db
            .list_keyspace_names()
            .iter()
            .map(|n| n.to_string())
            .collect();
        for round in 0..3 {
            assert!(names.contains(&format!("kept{round}")), "{names:?}");
            assert!(!names.contains(&format!("p{round}")), "{names:?}");
        }
        assert_eq!(
            names
                .iter()
                .filter(|n| sentinel_number(n).is_some())
                .count(),
            1
        );
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
