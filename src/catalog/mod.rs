//! The catalog: every table's definition, in memory for lookups, persisted by the store.
//!
//! Owns: table and column definitions (`table`), the type system and both vendors' type names
//! (`types`), the persisted form (`codec`), and name resolution.
//! Not here: writing definitions to disk (the store's writer does, so DDL is ordered with
//! rows), tag-name ids (the store), SQL parsing (`sql`).
//!
//! Invariants:
//! - A table is visible in the catalog only after its definition was persisted with
//!   `SyncData`; a dropped table disappears from the catalog before its data is deleted.
//! - DDL statements run one at a time (`Catalog::ddl_lock`).

pub mod codec;
pub mod table;
pub mod types;

pub use table::{
    Column, ColumnRole, DefaultValue, StreamMode, TP_DELTA, TP_TIME, Table, TableError, TableKind,
    name_problem,
};
pub use types::{ColumnType, Dialect, TypeArg, TypeName};

use std::sync::{Arc, RwLock};

pub struct Catalog {
    tables: RwLock<Vec<Arc<Table>>>,
    /// Held across a whole DDL statement (check, persist, publish).
    pub ddl_lock: smol::lock::Mutex<()>,
}

/// Strips the database/user qualifiers clients put before a table name: Machbase's
/// `MACHBASEDB.SYS.T` and `SYS.T`, Proton's `default.t`. tidegate has one namespace.
pub fn unqualified(name: &str) -> &str {
    let mut rest = name;
    for prefix in ["machbasedb.", "sys.", "default."] {
        if let Some(head) = rest.get(..prefix.len())
            && head.eq_ignore_ascii_case(prefix)
        {
            rest = rest.get(prefix.len()..).unwrap_or(rest);
        }
    }
    rest
}

impl Catalog {
    pub fn new(tables: Vec<Table>) -> Catalog {
        Catalog {
            tables: RwLock::new(tables.into_iter().map(Arc::new).collect()),
            ddl_lock: smol::lock::Mutex::new(()),
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Vec<Arc<Table>>> {
        // A poisoned lock only means a panic elsewhere mid-update of a Vec of Arcs, which
        // leaves the Vec itself intact; keep serving.
        self.tables.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Vec<Arc<Table>>> {
        self.tables.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Finds a table: exact spelling first, then ignoring ASCII case.
    pub fn get(&self, name: &str) -> Option<Arc<Table>> {
        let name = unqualified(name);
        let tables = self.read();
        tables
            .iter()
            .find(|t| &*t.name == name)
            .or_else(|| tables.iter().find(|t| t.name.eq_ignore_ascii_case(name)))
            .cloned()
    }

    /// Every table, in creation order (a snapshot; later DDL does not change it).
    pub fn tables(&self) -> Vec<Arc<Table>> {
        self.read().clone()
    }

    pub fn insert(&self, table: Table) -> Arc<Table> {
        let table = Arc::new(table);
        self.write().push(Arc::clone(&table));
        table
    }

    pub fn remove(&self, id: u32) {
        self.write().retain(|t| t.id != id);
    }

    /// Swaps in a new definition of the table with the same id (RENAME), keeping its place.
    pub fn replace(&self, table: Table) -> Arc<Table> {
        let table = Arc::new(table);
        let mut tables = self.write();
        match tables.iter_mut().find(|t| t.id == table.id) {
            Some(slot) => *slot = Arc::clone(&table),
            None => tables.push(Arc::clone(&table)),
        }
        table
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_table(id: u32, name: &str) -> Table {
        Table::new(
            id,
            name.into(),
            TableKind::Log,
            vec![Column {
                name: "V".into(),
                ty: ColumnType::Int32,
                nullable: true,
                default: DefaultValue::None,
                role: ColumnRole::Plain,
                summarized: false,
            }],
        )
        .unwrap()
    }

    #[test]
    fn lookup_prefers_exact_case_then_ignores_case_and_qualifiers() {
        let c = Catalog::new(vec![
            log_table(1, "foo"),
            log_table(2, "FOO"),
            log_table(3, "BAR"),
        ]);
        assert_eq!(c.get("foo").unwrap().id, 1);
        assert_eq!(c.get("FOO").unwrap().id, 2);
        assert_eq!(c.get("bar").unwrap().id, 3);
        assert_eq!(c.get("sys.bar").unwrap().id, 3);
        assert_eq!(c.get("MACHBASEDB.SYS.bar").unwrap().id, 3);
        assert_eq!(c.get("default.foo").unwrap().id, 1);
        assert!(c.get("baz").is_none());
        c.remove(3);
        assert!(c.get("bar").is_none());
    }
}
