//! `/api/v1/health/*`: probes for load balancers and Kubernetes.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::state::AppState;

/// `GET /health/live`: the process serves requests. Touches nothing else.
pub async fn live() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

/// `GET /health/ready`: Redis and PostgreSQL answer. fail2ban's state is reported from the
/// runtime snapshot but never gates readiness: a worker without fail2ban still serves its UI.
pub async fn ready(State(state): State<AppState>) -> Response {
    let (redis, db, snapshot) = tokio::join!(
        state.redis.ping(),
        state.db.ping(),
        state.redis.fail2ban_snapshot()
    );
    let fail2ban = match snapshot {
        Ok(Some(s)) if s.online => "online",
        Ok(Some(_)) => "offline",
        _ => "unknown",
    };
    let verdict =
        |r: &Result<(), bangui_store::StoreError>| if r.is_ok() { "ok" } else { "unavailable" };
    let checks =
        json!({ "redis": verdict(&redis), "database": verdict(&db), "fail2ban": fail2ban });
    if redis.is_ok() && db.is_ok() {
        (
            StatusCode::OK,
            Json(json!({ "status": "ready", "checks": checks })),
        )
            .into_response()
    } else {
        let body = json!({
            "error_code": "not_ready",
            "message": "a dependency of this worker is unavailable",
            "details": checks,
        });
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}
