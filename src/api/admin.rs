//! Operator endpoints: health.

use crate::server::Response;

/// 200 once the store is open and the listeners are bound, which is true whenever a request
/// can reach this handler at all.
pub fn healthz() -> Response {
    Response::json(200, "{\"status\":\"ok\"}")
}
