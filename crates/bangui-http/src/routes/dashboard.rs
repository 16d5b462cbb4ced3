//! `/api/v1/dashboard/*`: what the landing page shows.

use axum::Json;
use axum::extract::State;
use bangui_store::runtime_state::JailCounters;
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::ApiError;
use crate::state::AppState;

/// A jail's counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailStatus {
    pub name: String,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
    /// How the jail reads its logs (`polling`, `systemd`, …), where fail2ban says.
    pub backend: Option<String>,
}

impl From<JailCounters> for JailStatus {
    fn from(j: JailCounters) -> Self {
        Self {
            name: j.name,
            currently_failed: j.currently_failed,
            total_failed: j.total_failed,
            currently_banned: j.currently_banned,
            total_banned: j.total_banned,
            backend: j.backend,
        }
    }
}

/// fail2ban as all workers see it: a shared snapshot and its age.
#[derive(Debug, Serialize, ToSchema)]
pub struct Fail2banStatus {
    pub online: bool,
    pub version: Option<String>,
    pub jails: Vec<JailStatus>,
    /// Why fail2ban could not be asked, when it could not (`fail2ban_unreachable`, …).
    pub error: Option<String>,
    /// When the snapshot was taken, in milliseconds since the Unix epoch.
    pub taken_at_ms: i64,
    pub age_ms: u64,
    /// Older than the configured maximum age: another worker is refreshing it.
    pub stale: bool,
}

/// `GET /dashboard/status`: fail2ban online or not, its version and per-jail counters, from the
/// runtime snapshot shared by all workers, with its age.
#[utoipa::path(get, path = "/dashboard/status", tag = "dashboard", operation_id = "fail2ban_status",
    responses((status = 200, description = "fail2ban's status.", body = Fail2banStatus)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<Fail2banStatus>, ApiError> {
    let served = state.runtime.status().await?;
    let s = served.snapshot;
    Ok(Json(Fail2banStatus {
        online: s.online,
        version: s.version,
        jails: s.jails.into_iter().map(JailStatus::from).collect(),
        error: s.error,
        taken_at_ms: s.taken_at_ms,
        age_ms: served.age.as_millis() as u64,
        stale: served.stale,
    }))
}
