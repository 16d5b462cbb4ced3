//! `/api/v1/setup`: first-run setup, exactly once across all workers.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bangui_core::{MasterPassword, SessionMinutes, TimeZoneName};
use bangui_store::rate_limit::Decision;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::with_details;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ClientAddr};
use crate::password;
use crate::state::AppState;

/// Whether bangui is set up.
#[derive(Debug, Serialize, ToSchema)]
pub struct SetupStatus {
    pub setup_complete: bool,
}

/// `GET /setup`: whether setup is done (public, for the UI's first screen).
#[utoipa::path(get, path = "/setup", tag = "setup", operation_id = "setup_status",
    responses((status = 200, description = "Whether setup is done.", body = SetupStatus)),
    extensions(("x-error-codes" = json!([ErrorCode::DatabaseUnavailable]))))]
pub async fn status(State(state): State<AppState>) -> Result<Json<SetupStatus>, ApiError> {
    let done = match crate::layers::ensure_setup(&state).await {
        Ok(()) => true,
        Err(e) if e.code() == ErrorCode::SetupRequired => false,
        Err(e) => return Err(e),
    };
    Ok(Json(SetupStatus {
        setup_complete: done,
    }))
}

/// The first run's choices.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub master_password: MasterPassword,
    /// Dates are shown, and imports scheduled, in this zone. Default: UTC.
    #[serde(default)]
    pub timezone: Option<TimeZoneName>,
    /// How long a login lasts. Default: `BANGUI_SESSION_DURATION_MINUTES`.
    #[serde(default)]
    pub session_duration_minutes: Option<SessionMinutes>,
}

/// What setup stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SetupDone {
    pub setup_complete: bool,
    pub timezone: TimeZoneName,
    pub session_duration_minutes: SessionMinutes,
}

/// `POST /setup`: stores the master password (argon2id) and the settings. Of concurrent
/// setups, exactly one gets 201; the others 409 and change nothing. Limited like logins: the
/// hashing is expensive on purpose.
#[utoipa::path(post, path = "/setup", tag = "setup", operation_id = "complete_setup",
    request_body = SetupRequest,
    responses((status = 201, description = "Set up.", body = SetupDone)),
    extensions(("x-error-codes" = json!([
        ErrorCode::WeakPassword, ErrorCode::InvalidTimezone, ErrorCode::InvalidSessionDuration,
        ErrorCode::SetupAlreadyDone, ErrorCode::RateLimited, ErrorCode::StateStoreUnavailable,
        ErrorCode::DatabaseUnavailable
    ]))))]
pub async fn complete(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    request: Result<ApiJson<SetupRequest>, ApiError>,
) -> Result<Response, ApiError> {
    // Counted before the body is looked at, so that every attempt counts.
    if let Decision::Limited { retry_after } = state
        .redis
        .check_rate(&format!("setup:{client}"), state.settings.login_limit)
        .await?
    {
        return Err(ApiError::rate_limited(retry_after));
    }
    let ApiJson(request) = request?;
    let timezone = request.timezone.unwrap_or(TimeZoneName::UTC);
    let minutes = request
        .session_duration_minutes
        .unwrap_or(state.settings.default_session_minutes);
    if crate::layers::ensure_setup(&state).await.is_ok() {
        return Err(ErrorCode::SetupAlreadyDone.into());
    }
    let hash = password::hash(request.master_password).await?;
    let minutes_i32 = i32::try_from(minutes.get()).unwrap_or(i32::MAX);
    if !state
        .db
        .complete_setup(&hash, timezone.name(), minutes_i32)
        .await?
    {
        return Err(ErrorCode::SetupAlreadyDone.into());
    }
    state.setup_done.store(true, Ordering::Release);
    tracing::info!(timezone = timezone.name(), session_minutes = minutes.get(), %client, "setup completed");
    let done = SetupDone {
        setup_complete: true,
        timezone,
        session_duration_minutes: minutes,
    };
    Ok(with_details(
        (StatusCode::CREATED, Json(done.clone())),
        &done,
    ))
}
