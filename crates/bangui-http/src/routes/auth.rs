//! `/api/v1/auth/*`: log in with the master password, inspect and end the session.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bangui_store::rate_limit::Decision;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::auth::{AuthSession, cleared_cookie, session_cookie};
use crate::error::ApiError;
use crate::extract::{ApiJson, ClientAddr};
use crate::password;
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    password: String,
    /// Also return the token in the body, for `Authorization: Bearer` clients (scripts, CLI).
    /// Browsers leave it out: their token stays in the HttpOnly cookie, out of JavaScript's reach.
    #[serde(default)]
    issue_token: bool,
}

/// `POST /auth/login`: at most the configured attempts per client address and minute across
/// all workers (checked before anything else, so every attempt counts); a new session and
/// cookie on success.
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    request: Result<ApiJson<LoginRequest>, ApiError>,
) -> Result<Response, ApiError> {
    if let Decision::Limited { retry_after } = state
        .redis
        .check_rate(&format!("login:{client}"), state.settings.login_limit)
        .await?
    {
        tracing::warn!(%client, "login rate limit reached");
        return Err(ApiError::TooManyRequests { retry_after });
    }
    let ApiJson(request) = request?;
    let setup = state.db.setup().await?.ok_or(ApiError::SetupRequired)?;
    if !password::verify(request.password, setup.password_hash).await? {
        tracing::warn!(%client, "login with a wrong password");
        return Err(ApiError::InvalidCredentials);
    }
    let ttl = Duration::from_secs(u64::try_from(setup.session_duration_minutes).unwrap_or(60) * 60);
    let (token, session) = state.redis.create_session(ttl, Some(client)).await?;
    tracing::info!(%client, session = &session.id[..12], "login");
    let mut body = json!({ "authenticated": true, "expires_at_ms": session.expires_at_ms });
    if request.issue_token {
        body["token"] = json!(token.as_str());
    }
    let mut response = crate::audit::with_details(
        Json(body),
        json!({ "session": crate::audit::session_actor(&session.id) }),
    );
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, ttl, state.settings.cookie_secure),
    );
    Ok(response)
}

/// `GET /auth/session`: the caller's session.
pub async fn session(Extension(auth): Extension<AuthSession>) -> Json<Value> {
    Json(json!({
        "authenticated": true,
        "created_at_ms": auth.session.created_at_ms,
        "expires_at_ms": auth.session.expires_at_ms,
    }))
}

/// `POST /auth/logout`: deletes the session in Redis, so it ends on every worker at once.
pub async fn logout(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
) -> Result<Response, ApiError> {
    state.redis.delete_session(&auth.token).await?;
    tracing::info!(session = &auth.session.id[..12], "logout");
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        cleared_cookie(state.settings.cookie_secure),
    );
    Ok(response)
}
