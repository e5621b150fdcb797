//! The application state every endpoint shares: catalog, store, server handle, and the UI
//! API's login state.

use std::sync::Arc;

use crate::catalog::Catalog;
use crate::ingest::InflateLimits;
use crate::store::Store;

#[derive(Clone)]
pub struct App {
    pub catalog: Arc<Catalog>,
    pub store: Store,
    /// What a compressed ingest body may inflate to (`--inflated-bytes-max`,
    /// `--inflate-ratio-max`).
    pub inflate: InflateLimits,
    /// Machbase's `/web/api` login: token secret, password, remembered refresh tokens.
    pub web_auth: Arc<crate::api::WebAuth>,
}
