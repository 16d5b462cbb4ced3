//! `/api/v1/config/server*`: fail2ban's server settings through its socket, and the tail of
//! its own log.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_runtime::server::{ServerChange, ServerError, ServerView};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::with_details;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiQuery};
use crate::state::AppState;

/// fail2ban's server settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServerSettingsBody {
    /// CRITICAL, ERROR, WARNING, NOTICE, INFO, DEBUG, TRACEDEBUG or HEAVYDEBUG.
    pub loglevel: String,
    /// STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a file.
    pub logtarget: String,
    /// Read-only: where the SYSLOG target writes.
    pub syslogsocket: String,
    /// Read-only: fail2ban's database (`null` without one).
    pub dbfile: Option<String>,
    /// Seconds fail2ban keeps bans in its database.
    pub dbpurgeage: Option<i64>,
    /// Log lines kept per ban.
    pub dbmaxmatches: Option<i64>,
    /// What deserves a second look (a purge age under a day, …).
    pub warnings: Vec<String>,
}

/// Settings to change; those left out stay as they are.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServerSettingsChange {
    pub loglevel: Option<String>,
    /// STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a `.log` file directly in the allowed log
    /// directory (BANGUI_FAIL2BAN_LOG_DIR).
    pub logtarget: Option<String>,
    /// Seconds.
    pub dbpurgeage: Option<u64>,
    pub dbmaxmatches: Option<u32>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LogQuery {
    /// How many lines, from the end (1 to 5000; 200 when left out).
    pub lines: Option<usize>,
    /// Only lines containing this text (at most 200 characters).
    pub filter: Option<String>,
}

/// The last lines of fail2ban's log.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogTailBody {
    pub path: String,
    /// Oldest first.
    pub lines: Vec<String>,
    /// The scan stopped at 16 MB from the end before finding as many lines as asked.
    pub truncated: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FlushedBody {
    /// fail2ban's answer.
    pub result: String,
}

impl From<ServerError> for ApiError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Invalid(m) => Self::with_message(ErrorCode::InvalidArgument, m),
            ServerError::NotAFile(m) => Self::with_message(ErrorCode::Fail2banLogNotAFile, m),
            ServerError::Runtime(e) => e.into(),
        }
    }
}

fn body(view: ServerView) -> ServerSettingsBody {
    ServerSettingsBody {
        loglevel: view.settings.loglevel,
        logtarget: view.settings.logtarget,
        syslogsocket: view.syslog_socket,
        dbfile: view.settings.dbfile,
        dbpurgeage: view.settings.dbpurgeage,
        dbmaxmatches: view.settings.dbmaxmatches,
        warnings: view.warnings,
    }
}

/// `GET /config/server`: fail2ban's server settings, as it answers them now.
#[utoipa::path(get, path = "/config/server", tag = "config", operation_id = "get_server_settings",
    responses((status = 200, description = "The settings.", body = ServerSettingsBody)),
    extensions(("x-error-codes" = json!(["fail2ban_unavailable"]))))]
pub async fn get(State(state): State<AppState>) -> Result<Json<ServerSettingsBody>, ApiError> {
    Ok(Json(body(state.runtime.server_view().await?)))
}

/// `PUT /config/server`: sets log level, log target, purge age and match limit (each checked
/// before any is set); answers the settings fail2ban has then.
#[utoipa::path(put, path = "/config/server", tag = "config", operation_id = "set_server_settings",
    request_body = ServerSettingsChange,
    responses((status = 200, description = "The settings now.", body = ServerSettingsBody)),
    extensions(("x-error-codes" = json!(["invalid_argument", "fail2ban_unavailable", "fail2ban_error"]))))]
pub async fn set(
    State(state): State<AppState>,
    ApiJson(change): ApiJson<ServerSettingsChange>,
) -> Result<Response, ApiError> {
    let view = state
        .runtime
        .change_server(&ServerChange {
            loglevel: change.loglevel.clone(),
            logtarget: change.logtarget.clone(),
            dbpurgeage: change.dbpurgeage,
            dbmaxmatches: change.dbmaxmatches,
        })
        .await?;
    let details = serde_json::json!({
        "loglevel": change.loglevel, "logtarget": change.logtarget,
        "dbpurgeage": change.dbpurgeage, "dbmaxmatches": change.dbmaxmatches,
    });
    Ok(with_details(Json(body(view)), &details))
}

/// `POST /config/server/flushlogs`: fail2ban reopens its log file (after a rotation).
#[utoipa::path(post, path = "/config/server/flushlogs", tag = "config", operation_id = "flush_fail2ban_logs",
    responses((status = 200, description = "Flushed.", body = FlushedBody)),
    extensions(("x-error-codes" = json!(["fail2ban_unavailable"]))))]
pub async fn flush(State(state): State<AppState>) -> Result<Response, ApiError> {
    let result = state.runtime.flush_logs().await?;
    Ok(with_details(
        Json(FlushedBody { result }),
        &serde_json::json!({}),
    ))
}

/// `GET /config/server/log`: the last lines of fail2ban's own log file, read from its end;
/// 400 when fail2ban logs elsewhere than a file in the allowed log directory.
#[utoipa::path(get, path = "/config/server/log", tag = "config", operation_id = "get_fail2ban_log",
    params(LogQuery),
    responses((status = 200, description = "The last lines.", body = LogTailBody)),
    extensions(("x-error-codes" = json!(["fail2ban_log_not_a_file", "invalid_query", "fail2ban_unavailable"]))))]
pub async fn log(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LogQuery>,
) -> Result<Json<LogTailBody>, ApiError> {
    let lines = query.lines.unwrap_or(200);
    if !(1..=5000).contains(&lines) {
        return Err(
            ApiError::with_message(ErrorCode::InvalidQuery, "lines is 1 to 5000")
                .detail("field", "lines"),
        );
    }
    let filter = query.filter.filter(|f| !f.is_empty());
    if filter
        .as_ref()
        .is_some_and(|f| f.chars().count() > 200 || f.chars().any(char::is_control))
    {
        return Err(ApiError::with_message(
            ErrorCode::InvalidQuery,
            "filter is at most 200 characters, without control characters",
        )
        .detail("field", "filter"));
    }
    let tail = state.runtime.fail2ban_log(lines, filter).await?;
    Ok(Json(LogTailBody {
        path: tail.path,
        lines: tail.lines,
        truncated: tail.truncated,
    }))
}
