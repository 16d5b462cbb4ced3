//! [`ApiError`]: every error an API caller can see, with its status and `error_code`, in one
//! place. Internal causes are logged, never sent.

use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangui_store::StoreError;
use serde_json::{Value, json};

/// An error answer: `{"error_code": …, "message": …, "details": {…}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Syntactically broken request (malformed JSON).
    #[error("{message}")]
    BadRequest { code: &'static str, message: String },
    /// Well-formed but invalid input.
    #[error("{message}")]
    Invalid {
        code: &'static str,
        message: String,
        details: Value,
    },
    #[error("authentication required")]
    Unauthorized,
    #[error("wrong password")]
    InvalidCredentials,
    #[error(
        "state-changing requests authenticated by cookie must carry the header X-BanGUI-Request: 1"
    )]
    CsrfHeaderMissing,
    #[error("{0}")]
    NotFound(String),
    #[error("no jail named {0:?} is running")]
    JailNotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("{message}")]
    Conflict { code: &'static str, message: String },
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("expected a JSON body (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("too many requests")]
    TooManyRequests { retry_after: Duration },
    #[error("bangui is not set up yet: POST /api/v1/setup first")]
    SetupRequired,
    #[error("the state store (Redis) is unavailable")]
    StateStoreUnavailable,
    #[error("the database (PostgreSQL) is unavailable")]
    DatabaseUnavailable,
    #[error("fail2ban cannot be reached")]
    Fail2banUnavailable,
    /// Another upstream (a blocklist server) failed.
    #[error("{message}")]
    BadGateway {
        code: &'static str,
        message: String,
        details: Value,
    },
    /// fail2ban refused or failed; its own message is in `details`.
    #[error("fail2ban could not do it: {message}")]
    Fail2banError { message: String, details: Value },
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(code: &'static str, message: impl Into<String>, details: Value) -> Self {
        Self::Invalid {
            code,
            message: message.into(),
            details,
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            Self::BadRequest { .. } => StatusCode::BAD_REQUEST,
            Self::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthorized | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::CsrfHeaderMissing => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::JailNotFound(_) => StatusCode::NOT_FOUND,
            Self::Fail2banUnavailable | Self::Fail2banError { .. } | Self::BadGateway { .. } => {
                StatusCode::BAD_GATEWAY
            }
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict { .. } => StatusCode::CONFLICT,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::SetupRequired | Self::StateStoreUnavailable | Self::DatabaseUnavailable => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest { code, .. }
            | Self::Invalid { code, .. }
            | Self::Conflict { code, .. }
            | Self::BadGateway { code, .. } => code,
            Self::Unauthorized => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::CsrfHeaderMissing => "csrf_header_missing",
            Self::NotFound(_) => "not_found",
            Self::JailNotFound(_) => "jail_not_found",
            Self::Fail2banUnavailable => "fail2ban_unavailable",
            Self::Fail2banError { .. } => "fail2ban_error",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::TooManyRequests { .. } => "rate_limited",
            Self::SetupRequired => "setup_required",
            Self::StateStoreUnavailable => "state_store_unavailable",
            Self::DatabaseUnavailable => "database_unavailable",
            Self::Internal(_) => "internal_error",
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::StateStoreUnavailable(cause) => {
                tracing::warn!(%cause, "Redis unavailable");
                Self::StateStoreUnavailable
            }
            StoreError::DatabaseUnavailable(cause) => {
                tracing::warn!(%cause, "PostgreSQL unavailable");
                Self::DatabaseUnavailable
            }
            StoreError::Conflict(message) => Self::Conflict {
                code: "conflict",
                message,
            },
            StoreError::Internal(cause) => Self::Internal(cause),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let details = match &self {
            Self::Invalid { details, .. }
            | Self::Fail2banError { details, .. }
            | Self::BadGateway { details, .. } => details.clone(),
            Self::JailNotFound(jail) => json!({ "jail": jail }),
            Self::TooManyRequests { retry_after } => {
                json!({ "retry_after_seconds": retry_after_secs(*retry_after) })
            }
            _ => json!({}),
        };
        let message = match &self {
            Self::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                "internal error".to_owned()
            }
            other => other.to_string(),
        };
        let body =
            Json(json!({ "error_code": self.code(), "message": message, "details": details }));
        let mut response = (status, body).into_response();
        // For the audit trail, which sees responses, not errors.
        response.extensions_mut().insert(ErrorCode(self.code()));
        if let Self::TooManyRequests { retry_after } = self {
            response.headers_mut().insert(
                header::RETRY_AFTER,
                HeaderValue::from(retry_after_secs(retry_after)),
            );
        }
        response
    }
}

/// The `error_code` of an error response, as a response extension.
#[derive(Debug, Clone, Copy)]
pub struct ErrorCode(pub &'static str);

impl From<bangui_runtime::RuntimeError> for ApiError {
    fn from(e: bangui_runtime::RuntimeError) -> Self {
        use bangui_fail2ban::{Error as F2b, ServerError};
        use bangui_runtime::RuntimeError as R;
        match e {
            R::JailNotFound(jail) | R::Fail2ban(F2b::Server(ServerError::UnknownJail(jail))) => {
                Self::JailNotFound(jail)
            }
            R::Fail2ban(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "fail2ban unavailable");
                Self::Fail2banUnavailable
            }
            R::Fail2ban(F2b::InvalidArgument(message)) => {
                Self::invalid("invalid_argument", message, json!({}))
            }
            R::Fail2ban(F2b::Server(server)) => Self::Fail2banError {
                message: server.to_string(),
                details: json!({ "kind": server.kind(), "fail2ban_message": server.to_string() }),
            },
            R::Fail2ban(other) => {
                tracing::error!(error = %other, "fail2ban answered something unexpected");
                Self::Fail2banError {
                    message: other.to_string(),
                    details: json!({ "kind": other.kind() }),
                }
            }
            R::Reload(output) => Self::Fail2banError {
                message: "fail2ban-client reload failed".into(),
                details: json!({ "kind": "reload_failed", "fail2ban_message": output }),
            },
            R::Store(e) => e.into(),
        }
    }
}

/// `Retry-After` in whole seconds, rounded up, at least 1.
fn retry_after_secs(d: Duration) -> u64 {
    d.as_millis().div_ceil(1000).max(1) as u64
}
