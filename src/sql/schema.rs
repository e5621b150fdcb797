//! The columns a relation has: a table, a subquery's result, a virtual table. Expressions
//! are bound against a `Schema`, so the executor treats all of them alike.
//!
//! Invariant: names are looked up with the spelling first, then ignoring ASCII case, as the
//! catalog does for tables.

use crate::catalog::{ColumnType, Table};

#[derive(Debug, Clone, PartialEq)]
pub struct ResultColumn {
    pub name: String,
    pub ty: ColumnType,
    /// The column may hold NULL (Proton prints its type as `nullable(T)`).
    pub nullable: bool,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Schema {
    pub columns: Vec<ResultColumn>,
}

impl Schema {
    pub fn of_table(table: &Table) -> Schema {
        Schema {
            columns: table
                .columns
                .iter()
                .map(|c| ResultColumn {
                    name: c.name.to_string(),
                    ty: c.ty.clone(),
                    nullable: c.nullable,
                })
                .collect(),
        }
    }

    pub fn index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|c| c.name == name)
            .or_else(|| {
                self.columns
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))
            })
    }

    pub fn ty(&self, index: usize) -> Option<&ColumnType> {
        self.columns.get(index).map(|c| &c.ty)
    }
}
