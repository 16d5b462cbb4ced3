//! `/api/v1/health/*`: probes for load balancers and Kubernetes.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use bangui_runtime::status::{Fail2banState, Readiness};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// The process serves requests.
#[derive(Debug, Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok`.
    pub status: String,
}

/// `GET /health/live`: the process serves requests. Touches nothing else.
#[utoipa::path(get, path = "/health/live", tag = "health", operation_id = "health_live",
    responses((status = 200, description = "The process serves requests.", body = Liveness)))]
pub async fn live() -> Json<Liveness> {
    Json(Liveness {
        status: "ok".to_owned(),
    })
}

/// Whether a dependency answers.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    Ok,
    Unavailable,
}

/// fail2ban as the shared status last saw it.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Fail2banCheck {
    Online,
    Offline,
    Unknown,
}

/// What the readiness probe looked at.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReadinessChecks {
    pub redis: Check,
    pub database: Check,
    /// Reported, never gating readiness.
    pub fail2ban: Fail2banCheck,
}

impl From<Readiness> for ReadinessChecks {
    fn from(r: Readiness) -> Self {
        let check = |ok| if ok { Check::Ok } else { Check::Unavailable };
        Self {
            redis: check(r.redis),
            database: check(r.database),
            fail2ban: match r.fail2ban {
                Fail2banState::Online => Fail2banCheck::Online,
                Fail2banState::Offline => Fail2banCheck::Offline,
                Fail2banState::Unknown => Fail2banCheck::Unknown,
            },
        }
    }
}

/// The worker can serve.
#[derive(Debug, Serialize, ToSchema)]
pub struct Ready {
    /// Always `ready`.
    pub status: String,
    pub checks: ReadinessChecks,
}

/// `GET /health/ready`: Redis and PostgreSQL answer. fail2ban's state is reported from the
/// shared status but never gates readiness: a worker without fail2ban still serves its UI. When
/// not ready, the error's details are the checks; after SIGTERM, `{"draining": true}` (the
/// worker serves on for `BANGUI_SHUTDOWN_DELAY_SECONDS`, then drains).
#[utoipa::path(get, path = "/health/ready", tag = "health", operation_id = "health_ready",
    responses((status = 200, description = "Redis and PostgreSQL answer.", body = Ready)),
    extensions(("x-error-codes" = json!([ErrorCode::NotReady]))))]
pub async fn ready(State(state): State<AppState>) -> Response {
    if state.is_draining() {
        return ApiError::with_message(
            ErrorCode::NotReady,
            "this worker is shutting down; it finishes the requests it has",
        )
        .details(serde_json::json!({ "draining": true }))
        .into_response();
    }
    let readiness = state.runtime.readiness().await;
    let checks = ReadinessChecks::from(readiness);
    if readiness.is_ready() {
        Json(Ready {
            status: "ready".to_owned(),
            checks,
        })
        .into_response()
    } else {
        ApiError::new(ErrorCode::NotReady)
            .details(checks)
            .into_response()
    }
}
