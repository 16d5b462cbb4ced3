//! `/api/v1/auth/*`: log in with the master password, inspect and end the session.

use std::time::Duration;

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use bangui_core::TimeZoneName;
use bangui_store::rate_limit::Decision;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::audit::with_details;
use crate::auth::{AuthSession, cleared_cookie, session_cookie};
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ClientAddr};
use crate::password;
use crate::state::AppState;

/// A login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The master password.
    pub password: String,
    /// Also return the token in the body, for `Authorization: Bearer` clients (scripts, CLI).
    /// Browsers leave it out: their token stays in the HttpOnly cookie, out of JavaScript's reach.
    #[serde(default)]
    pub issue_token: bool,
}

/// A new session.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginAnswer {
    pub authenticated: bool,
    /// When the session ends, in milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The bearer token, when asked for with `issue_token`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

/// What the audit trail keeps of a login: the session it started, never its token.
#[derive(Debug, Serialize)]
struct LoginAudit {
    session: String,
}

/// `POST /auth/login`: at most the configured attempts per client address and minute across
/// all workers (counted before anything else, so every attempt counts); a new session, with
/// its cookie, on success.
#[utoipa::path(post, path = "/auth/login", tag = "auth", operation_id = "login",
    request_body = LoginRequest,
    responses((status = 200, description = "Logged in; the session cookie is set.", body = LoginAnswer,
        headers(("set-cookie" = String, description = "`bangui_session=…; HttpOnly; SameSite=Lax`")))),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidCredentials, ErrorCode::RateLimited, ErrorCode::SetupRequired,
        ErrorCode::StateStoreUnavailable, ErrorCode::DatabaseUnavailable
    ]))))]
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
        metrics::counter!("bangui_rate_limit_refusals_total", "kind" => "login").increment(1);
        return Err(ApiError::rate_limited(retry_after));
    }
    let ApiJson(request) = request?;
    let setup = state
        .db
        .setup()
        .await?
        .ok_or(ApiError::new(ErrorCode::SetupRequired))?;
    if !password::verify(request.password, setup.password_hash).await? {
        tracing::warn!(%client, "login with a wrong password");
        return Err(ErrorCode::InvalidCredentials.into());
    }
    let ttl = Duration::from_secs(u64::try_from(setup.session_duration_minutes).unwrap_or(60) * 60);
    let (token, session) = state.redis.create_session(ttl, Some(client)).await?;
    tracing::info!(%client, session = &session.id[..12], "login");
    let answer = LoginAnswer {
        authenticated: true,
        expires_at_ms: session.expires_at_ms,
        token: request.issue_token.then(|| token.as_str().to_owned()),
    };
    let audit = LoginAudit {
        session: session.actor(),
    };
    let mut response = with_details(Json(answer), &audit);
    response.headers_mut().insert(
        header::SET_COOKIE,
        session_cookie(&token, ttl, state.settings.cookie_secure),
    );
    Ok(response)
}

/// The caller's session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionInfo {
    pub authenticated: bool,
    /// Milliseconds since the Unix epoch.
    pub created_at_ms: i64,
    /// Milliseconds since the Unix epoch.
    pub expires_at_ms: i64,
    /// The setup time zone, in which the UI shows dates; `null` while this worker cannot read
    /// it (PostgreSQL down before the worker first read it). The session works all the same.
    pub timezone: Option<TimeZoneName>,
    /// bangui's version, as the worker that answered runs it.
    pub version: String,
}

/// `GET /auth/session`: the caller's session, with what the UI needs to show dates and its
/// version.
#[utoipa::path(get, path = "/auth/session", tag = "auth", operation_id = "session",
    responses((status = 200, description = "The caller's session.", body = SessionInfo)))]
pub async fn session(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
) -> Json<SessionInfo> {
    Json(SessionInfo {
        authenticated: true,
        created_at_ms: auth.session.created_at_ms,
        expires_at_ms: auth.session.expires_at_ms,
        timezone: state.runtime.time_zone().await.ok(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
    })
}

/// `POST /auth/logout`: deletes the session in Redis, so it ends on every worker at once.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", operation_id = "logout",
    responses((status = 204, description = "Logged out; the cookie is cleared.")))]
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
