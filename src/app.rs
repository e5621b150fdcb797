//! The application state every endpoint shares: catalog, store, server handle, and the UI
//! API's login state.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::store::Store;

#[derive(Clone)]
pub struct App {
    pub catalog: Arc<Catalog>,
    pub store: Store,
    /// Cap on a compressed ingest body's inflated size (`--inflated-bytes-max`).
    pub inflated_bytes_max: u64,
    /// Machbase's `/web/api` login: token secret, password, remembered refresh tokens.
    pub web_auth: Arc<crate::api::WebAuth>,
}
