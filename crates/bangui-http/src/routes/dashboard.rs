//! `/api/v1/dashboard/*`.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// `GET /dashboard/status`: fail2ban online or not, its version and per-jail counters, from the
/// runtime snapshot shared by all workers, with its age.
pub async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let served = state.runtime.status().await?;
    let s = served.snapshot;
    Ok(Json(json!({
        "online": s.online,
        "version": s.version,
        "jails": s.jails,
        "error": s.error,
        "taken_at_ms": s.taken_at_ms,
        "age_ms": served.age.as_millis() as u64,
        "stale": served.stale,
    })))
}
