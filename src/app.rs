//! The application state every endpoint shares: catalog, store and server handle.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::store::Store;

pub struct App {
    pub catalog: Arc<Catalog>,
    pub store: Store,
}
