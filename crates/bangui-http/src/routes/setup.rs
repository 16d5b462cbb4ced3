//! `/api/v1/setup`: first-run setup, exactly once across all workers.

use std::sync::atomic::Ordering;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use bangui_core::{MasterPassword, TimeZoneName};
use bangui_store::rate_limit::Decision;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::password;
use crate::state::AppState;

const MAX_SESSION_MINUTES: u32 = 525_600;

/// `GET /setup`: whether setup is done (public, for the UI's first screen).
pub async fn status(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let done = match crate::layers::ensure_setup(&state).await {
        Ok(()) => true,
        Err(ApiError::SetupRequired) => false,
        Err(e) => return Err(e),
    };
    Ok(Json(json!({ "setup_complete": done })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    master_password: String,
    #[serde(default)]
    timezone: Option<String>,
    #[serde(default)]
    session_duration_minutes: Option<u32>,
}

/// `POST /setup`: stores the master password (argon2id) and the settings. Of concurrent
/// setups, exactly one gets 201; the others 409 and change nothing.
pub async fn complete(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<SetupRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    // Hashing is expensive on purpose: limited like logins.
    if let Decision::Limited { retry_after } = state
        .redis
        .check_rate(&format!("setup:{client}"), state.settings.login_limit)
        .await?
    {
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let password = MasterPassword::parse(&request.master_password).map_err(|e| {
        ApiError::invalid(
            "weak_password",
            e.to_string(),
            json!({ "field": "master_password" }),
        )
    })?;
    let timezone = match request.timezone.as_deref() {
        None => TimeZoneName::UTC,
        Some(name) => TimeZoneName::parse(name).map_err(|e| {
            ApiError::invalid(
                "invalid_timezone",
                e.to_string(),
                json!({ "field": "timezone" }),
            )
        })?,
    };
    let minutes = request
        .session_duration_minutes
        .unwrap_or(state.settings.default_session_minutes);
    if !(1..=MAX_SESSION_MINUTES).contains(&minutes) {
        return Err(ApiError::invalid(
            "invalid_session_duration",
            format!("session_duration_minutes must be between 1 and {MAX_SESSION_MINUTES}"),
            json!({ "field": "session_duration_minutes" }),
        ));
    }
    if crate::layers::ensure_setup(&state).await.is_ok() {
        return Err(already_done());
    }
    let hash = password::hash(password).await?;
    let minutes_i32 = i32::try_from(minutes).unwrap_or(i32::MAX);
    if !state
        .db
        .complete_setup(&hash, timezone.name(), minutes_i32)
        .await?
    {
        return Err(already_done());
    }
    state.setup_done.store(true, Ordering::Release);
    tracing::info!(timezone = timezone.name(), session_minutes = minutes, %client, "setup completed");
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "setup_complete": true, "timezone": timezone.name(), "session_duration_minutes": minutes }),
        ),
    ))
}

fn already_done() -> ApiError {
    ApiError::Conflict {
        code: "setup_already_done",
        message: "bangui is already set up".into(),
    }
}
