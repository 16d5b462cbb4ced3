//! Every error an API caller can see: one [`ErrorCode`] per kind, with its HTTP status, and
//! [`ApiError`], the answer `{"error_code": …, "message": …, "details": {…}}`. The errors of
//! the crates below are mapped to codes here, in one place. Internal causes are logged, never
//! sent.

use std::fmt;
use std::time::Duration;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bangui_core::input::InputKind;
use bangui_runtime::RuntimeError;
use bangui_store::StoreError;
use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

/// Declares [`ErrorCode`]: each variant with its `error_code`, its status and the message it
/// answers with unless a more precise one is given.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident = $code:literal, $status:ident, $message:literal;)*) => {
        /// The `error_code` of an error answer.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $code)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[Self] = &[$(Self::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code,)* }
            }

            pub fn status(self) -> StatusCode {
                match self { $(Self::$variant => StatusCode::$status,)* }
            }

            /// What the code means, and the message of an error that has no more precise one.
            pub fn meaning(self) -> &'static str {
                match self { $(Self::$variant => $message,)* }
            }
        }
    };
}

error_codes! {
    MalformedJson = "malformed_json", BAD_REQUEST, "the body is not valid JSON";
    /// A request the server cannot read (a path that does not decode, …).
    BadRequest = "bad_request", BAD_REQUEST, "the request cannot be read";
    InvalidBody = "invalid_body", UNPROCESSABLE_ENTITY,
        "the body does not have the fields and types this route takes";
    InvalidQuery = "invalid_query", UNPROCESSABLE_ENTITY,
        "the query string does not have the parameters and types this route takes";
    InvalidAddress = "invalid_address", UNPROCESSABLE_ENTITY, "not an IP address (or network)";
    InvalidJailName = "invalid_jail_name", UNPROCESSABLE_ENTITY, "not a valid jail name";
    InvalidOrigin = "invalid_origin", UNPROCESSABLE_ENTITY,
        "origin must be auto, manual or blocklist";
    InvalidRange = "invalid_range", UNPROCESSABLE_ENTITY, "range must be 24h, 7d, 30d, 365d or all";
    InvalidCountry = "invalid_country", UNPROCESSABLE_ENTITY,
        "country must be a two-letter ISO 3166 code";
    InvalidAddressPrefix = "invalid_address_prefix", UNPROCESSABLE_ENTITY,
        "an address prefix has 1 to 45 hex digits, dots and colons";
    InvalidPagination = "invalid_pagination", UNPROCESSABLE_ENTITY,
        "page must be at least 1 and page_size between 1 and 500";
    InvalidJobId = "invalid_job_id", UNPROCESSABLE_ENTITY, "a job id has 26 letters and digits";
    InvalidId = "invalid_id", UNPROCESSABLE_ENTITY, "an id is a positive number";
    InvalidName = "invalid_name", UNPROCESSABLE_ENTITY,
        "the name must have 1 to 100 characters, without control characters";
    InvalidUrl = "invalid_url", UNPROCESSABLE_ENTITY,
        "only http and https URLs without user or password, on public addresses";
    InvalidSchedule = "invalid_schedule", UNPROCESSABLE_ENTITY, "not a valid import schedule";
    InvalidTimezone = "invalid_timezone", UNPROCESSABLE_ENTITY, "not an IANA time zone name";
    WeakPassword = "weak_password", UNPROCESSABLE_ENTITY,
        "the password breaks the policy (8+ characters, upper case, digit, special character)";
    InvalidSessionDuration = "invalid_session_duration", UNPROCESSABLE_ENTITY,
        "session_duration_minutes must be between 1 and 525600";
    /// fail2ban's client refused an argument before sending it.
    InvalidArgument = "invalid_argument", UNPROCESSABLE_ENTITY, "an argument fail2ban cannot take";
    /// fail2ban logs to syslog, the journal, stdout, or a file outside BANGUI_FAIL2BAN_LOG_DIR.
    Fail2banLogNotAFile = "fail2ban_log_not_a_file", BAD_REQUEST,
        "fail2ban does not log to a file bangui may read";
    JailLogUnreadable = "jail_log_unreadable", BAD_REQUEST,
        "the jail's log is not a file bangui may read (the journal, outside BANGUI_FAIL2BAN_LOG_DIR, none yet): paste the lines";
    /// fail2ban's client would not start the jail as configured; details.hint may say why.
    BanWouldLockOut = "ban_would_lock_out", UNPROCESSABLE_ENTITY,
        "the ban would lock out the caller, a trusted proxy, the host or an address the jail ignores; details.reason says which";
    ActivationRejected = "activation_rejected", UNPROCESSABLE_ENTITY,
        "fail2ban would not start this jail as configured; nothing was changed";
    InvalidConfigPath = "invalid_config_path", UNPROCESSABLE_ENTITY,
        "not a file bangui edits: a .conf or .local file of jail.d, filter.d or action.d";
    /// A file of fail2ban's configuration that is not UTF-8 text (bangui does not edit it).
    ConfigFileNotText = "config_file_not_text", UNPROCESSABLE_ENTITY, "the file is not UTF-8 text";
    /// fail2ban could not parse the content (details in the message: the line and why).
    ConfigFileInvalid = "config_file_invalid", UNPROCESSABLE_ENTITY,
        "fail2ban could not read this content; it would refuse every reload";
    Unauthorized = "unauthorized", UNAUTHORIZED, "authentication required";
    InvalidCredentials = "invalid_credentials", UNAUTHORIZED, "wrong password";
    /// The change would alter the commands fail2ban runs; the operator has not allowed that
    /// (BANGUI_CONFIG_ALLOW_COMMANDS).
    ConfigRunsCommands = "config_runs_commands", FORBIDDEN,
        "the change would alter the commands fail2ban runs, which this bangui does not allow";
    CsrfHeaderMissing = "csrf_header_missing", FORBIDDEN,
        "state-changing requests authenticated by cookie must carry the header X-BanGUI-Request: 1";
    NotFound = "not_found", NOT_FOUND, "not found";
    JailNotFound = "jail_not_found", NOT_FOUND, "no jail of this name is running";
    ConfigFileNotFound = "config_file_not_found", NOT_FOUND, "no such file in fail2ban's configuration";
    JailNotConfigured = "jail_not_configured", NOT_FOUND, "no jail of this name in fail2ban's configuration";
    FilterNotFound = "filter_not_found", NOT_FOUND, "no filter (or action) of this name";
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED, "method not allowed";
    Conflict = "conflict", CONFLICT, "the change collides with existing data";
    SetupAlreadyDone = "setup_already_done", CONFLICT, "bangui is already set up";
    ImportBusy = "import_busy", CONFLICT, "an import was just started; try again";
    ConfigFileExists = "config_file_exists", CONFLICT, "a file of that name exists";
    FilterExists = "filter_exists", CONFLICT, "a filter of that name exists";
    /// A jail uses the filter and has nothing else to use.
    FilterInUse = "filter_in_use", CONFLICT, "a jail uses this filter";
    JailAlreadyActive = "jail_already_active", CONFLICT, "fail2ban runs this jail already";
    /// details.current_etag and details.current_content hold the version the file has now.
    ConfigFileChanged = "config_file_changed", CONFLICT,
        "the file changed since it was read; details hold its current version";
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE, "request body too large";
    PreconditionRequired = "precondition_required", PRECONDITION_REQUIRED,
        "send If-Match with the ETag of the version you changed";
    UnsupportedMediaType = "unsupported_media_type", UNSUPPORTED_MEDIA_TYPE,
        "expected a JSON body (Content-Type: application/json)";
    RateLimited = "rate_limited", TOO_MANY_REQUESTS,
        "too many requests; details.retry_after_seconds says when to try again";
    InternalError = "internal_error", INTERNAL_SERVER_ERROR, "internal error";
    Fail2banUnavailable = "fail2ban_unavailable", BAD_GATEWAY, "fail2ban cannot be reached";
    Fail2banError = "fail2ban_error", BAD_GATEWAY,
        "fail2ban refused or failed; details.fail2ban_message says why";
    BlocklistFetchFailed = "blocklist_fetch_failed", BAD_GATEWAY, "the list could not be downloaded";
    /// details.fail2ban_message is fail2ban's error, details.recovered whether fail2ban runs
    /// what it ran before (the configuration is put back either way), details.hint a hint.
    ActivationFailed = "activation_failed", BAD_GATEWAY,
        "fail2ban could not start the jail; the configuration was put back";
    /// A file of fail2ban's configuration is missing, unreadable, or one fail2ban would refuse.
    Fail2banConfigUnreadable = "fail2ban_config_unreadable", BAD_GATEWAY,
        "fail2ban's configuration cannot be read";
    SetupRequired = "setup_required", SERVICE_UNAVAILABLE,
        "bangui is not set up yet: POST /api/v1/setup first";
    StateStoreUnavailable = "state_store_unavailable", SERVICE_UNAVAILABLE,
        "the state store (Redis) is unavailable";
    DatabaseUnavailable = "database_unavailable", SERVICE_UNAVAILABLE,
        "the database (PostgreSQL) is unavailable";
    NotReady = "not_ready", SERVICE_UNAVAILABLE, "a dependency of this worker is unavailable";
}

// By hand: utoipa's derive does not see the `rename`s a macro writes.
impl utoipa::PartialSchema for ErrorCode {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some(
                "The kind of an error: what a program tells errors apart by.",
            ))
            .enum_values(Some(Self::ALL.iter().map(|c| c.as_str())))
            .into()
    }
}

impl ToSchema for ErrorCode {}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl ErrorCode {
    /// The code for a value a domain type refused.
    pub fn for_input(kind: InputKind) -> Self {
        match kind {
            InputKind::Address => Self::InvalidAddress,
            InputKind::JailName => Self::InvalidJailName,
            InputKind::Origin => Self::InvalidOrigin,
            InputKind::TimeRange => Self::InvalidRange,
            InputKind::Page => Self::InvalidPagination,
            // A search text too long is a query the route does not take.
            InputKind::SearchText => Self::InvalidQuery,
            InputKind::AddressPrefix => Self::InvalidAddressPrefix,
            InputKind::Country => Self::InvalidCountry,
            InputKind::JobId => Self::InvalidJobId,
            InputKind::SourceId => Self::InvalidId,
            InputKind::SourceName => Self::InvalidName,
            InputKind::Url => Self::InvalidUrl,
            InputKind::Schedule => Self::InvalidSchedule,
            InputKind::TimeZone => Self::InvalidTimezone,
            InputKind::Password => Self::WeakPassword,
            InputKind::SessionLength => Self::InvalidSessionDuration,
        }
    }
}

/// An error answer as the document describes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error_code: ErrorCode,
    /// For people: what went wrong and, where it helps, what to do.
    pub message: String,
    /// For programs: the field at fault (`field`), when to retry (`retry_after_seconds`),
    /// fail2ban's own message (`fail2ban_message`), … depending on the code.
    pub details: Map<String, Value>,
}

/// An error answer.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: String,
    details: Map<String, Value>,
    /// Logged when answered; never sent.
    cause: Option<String>,
}

impl ApiError {
    /// An error with the code's own message.
    pub fn new(code: ErrorCode) -> Self {
        Self::with_message(code, code.meaning())
    }

    pub fn with_message(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: Map::new(),
            cause: None,
        }
    }

    /// An internal error: the caller sees `internal_error`, the log says `cause`.
    pub fn internal(cause: impl fmt::Display) -> Self {
        Self {
            cause: Some(cause.to_string()),
            ..Self::new(ErrorCode::InternalError)
        }
    }

    /// A 429 with the time to wait, in `Retry-After` and in the details.
    pub fn rate_limited(retry_after: Duration) -> Self {
        // Whole seconds, rounded up, at least 1.
        let secs = retry_after.as_millis().div_ceil(1000).max(1) as u64;
        Self::new(ErrorCode::RateLimited).detail("retry_after_seconds", secs)
    }

    /// Adds `key: value` to the details.
    pub fn detail(mut self, key: &str, value: impl Serialize) -> Self {
        self.details.insert(
            key.to_owned(),
            serde_json::to_value(value).unwrap_or(Value::Null),
        );
        self
    }

    /// Adds the fields of `value` (an object) to the details.
    pub fn details(mut self, value: impl Serialize) -> Self {
        if let Ok(Value::Object(map)) = serde_json::to_value(value) {
            self.details.extend(map);
        }
        self
    }

    pub fn code(&self) -> ErrorCode {
        self.code
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl From<ErrorCode> for ApiError {
    fn from(code: ErrorCode) -> Self {
        Self::new(code)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Some(cause) = &self.cause {
            tracing::error!(%cause, "internal error");
        }
        let retry_after = self
            .details
            .get("retry_after_seconds")
            .and_then(Value::as_u64);
        let body = ErrorBody {
            error_code: self.code,
            message: self.message,
            details: self.details,
        };
        let mut response = (self.code.status(), Json(body)).into_response();
        // For the audit trail, which sees responses, not errors.
        response.extensions_mut().insert(self.code);
        if let (ErrorCode::RateLimited, Some(secs)) = (self.code, retry_after) {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::StateStoreUnavailable(cause) => {
                tracing::warn!(%cause, "Redis unavailable");
                Self::new(ErrorCode::StateStoreUnavailable)
            }
            StoreError::DatabaseUnavailable(cause) => {
                tracing::warn!(%cause, "PostgreSQL unavailable");
                Self::new(ErrorCode::DatabaseUnavailable)
            }
            StoreError::Conflict(message) => Self::with_message(ErrorCode::Conflict, message),
            StoreError::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<RuntimeError> for ApiError {
    fn from(e: RuntimeError) -> Self {
        use bangui_fail2ban::{Error as F2b, ServerError};
        match e {
            RuntimeError::JailNotFound(jail)
            | RuntimeError::Fail2ban(F2b::Server(ServerError::UnknownJail(jail))) => {
                Self::with_message(
                    ErrorCode::JailNotFound,
                    format!("no jail named {jail:?} is running"),
                )
                .detail("jail", jail)
            }
            RuntimeError::Fail2ban(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "fail2ban unavailable");
                Self::new(ErrorCode::Fail2banUnavailable)
            }
            RuntimeError::Fail2ban(F2b::InvalidArgument(message)) => {
                Self::with_message(ErrorCode::InvalidArgument, message)
            }
            RuntimeError::Fail2ban(F2b::Server(server)) => fail2ban_error(
                format!("fail2ban could not do it: {server}"),
                server.kind(),
                Some(server.to_string()),
            ),
            RuntimeError::Fail2ban(other) => {
                tracing::error!(error = %other, "fail2ban answered something unexpected");
                fail2ban_error(
                    format!("fail2ban could not do it: {other}"),
                    other.kind(),
                    None,
                )
            }
            RuntimeError::Reload(output) => fail2ban_error(
                "fail2ban could not do it: fail2ban-client reload failed".to_owned(),
                "reload_failed",
                Some(output),
            ),
            RuntimeError::Store(e) => e.into(),
            RuntimeError::Config(message) => {
                tracing::warn!(error = %message, "fail2ban's configuration cannot be read");
                Self::with_message(ErrorCode::Fail2banConfigUnreadable, message)
            }
        }
    }
}

fn fail2ban_error(message: String, kind: &str, fail2ban_message: Option<String>) -> ApiError {
    let error = ApiError::with_message(ErrorCode::Fail2banError, message).detail("kind", kind);
    match fail2ban_message {
        Some(m) => error.detail("fail2ban_message", m),
        None => error,
    }
}

impl From<bangui_jobs::EnqueueError> for ApiError {
    fn from(e: bangui_jobs::EnqueueError) -> Self {
        use bangui_jobs::EnqueueError as E;
        match e {
            E::Store(e) => e.into(),
            E::Busy => Self::new(ErrorCode::ImportBusy),
            other => Self::internal(format!("enqueueing a job: {other}")),
        }
    }
}

impl From<bangui_blocklist::FetchError> for ApiError {
    fn from(e: bangui_blocklist::FetchError) -> Self {
        use bangui_blocklist::FetchError as F;
        let (reason, permanent) = match e {
            F::Permanent(m) => (m, true),
            F::Transient(m) => (m, false),
        };
        Self::with_message(
            ErrorCode::BlocklistFetchFailed,
            format!("could not fetch the list: {reason}"),
        )
        .detail("reason", reason)
        .detail("permanent", permanent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_is_an_error_status_with_a_meaning() {
        for code in ErrorCode::ALL {
            assert!(
                code.status().is_client_error() || code.status().is_server_error(),
                "{code}"
            );
            assert!(!code.meaning().is_empty(), "{code}");
            assert_eq!(
                serde_json::to_value(code).unwrap(),
                Value::String(code.as_str().to_owned())
            );
        }
    }
}
