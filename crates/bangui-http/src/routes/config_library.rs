//! `/api/v1/config/filters` and `/api/v1/config/actions`: fail2ban's filters and actions,
//! which jails use them and what they hold; filters of bangui's making (`filter.d/<name>.local`)
//! created, edited and deleted, their expressions compiled in fail2ban's dialect first; and the
//! filter test (`/api/v1/config/filter-test`), which answers what `fail2ban-regex` would.

use axum::Extension;
use axum::Json;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bangui_fail2ban::filter::{Failure, LineStatus, Summary};
use bangui_runtime::filter_test::{FilterTest, FilterTestError, FilterTestResult};
use bangui_runtime::library::{FilterDraft, Kind, LibraryDetail, LibraryError, LibraryItem};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::config::ConfigSource;
use crate::audit::with_details;
use crate::auth::AuthSession;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath};
use crate::state::AppState;

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(filters, create_filter))
        .routes(routes!(filter, edit_filter, delete_filter))
        .routes(routes!(actions))
        .routes(routes!(action))
        // Up to 10,000 pasted log lines.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(test_filter))
                .layer(DefaultBodyLimit::max(FILTER_TEST_BODY_LIMIT)),
        )
}

/// The filter test's body limit: 10,000 log lines of a few hundred bytes, as JSON.
const FILTER_TEST_BODY_LIMIT: usize = 4 << 20;

/// A filter or action.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryEntry {
    pub name: String,
    /// Its `.conf`, if it has one.
    pub conf: Option<String>,
    /// Its `.local` override (or, without a `.conf`, the whole of it), if it has one.
    pub local: Option<String>,
    /// The jails that name it, enabled or not.
    pub used_by: Vec<String>,
    /// Those of them fail2ban runs: a change reaches them when they are reloaded.
    pub used_by_running: Vec<String>,
}

impl From<LibraryItem> for LibraryEntry {
    fn from(i: LibraryItem) -> Self {
        Self {
            name: i.name,
            conf: i.conf,
            local: i.local,
            used_by: i.used_by,
            used_by_running: i.used_by_running,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryList {
    pub items: Vec<LibraryEntry>,
}

/// One option as written.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryOptionEntry {
    /// `Definition`, `Init`, `INCLUDES`, `DEFAULT`, …
    pub section: String,
    pub name: String,
    /// As written (not interpolated).
    pub value: String,
    pub source: ConfigSource,
}

/// A filter's or action's content.
#[derive(Debug, Serialize, ToSchema)]
pub struct LibraryDetailBody {
    #[serde(flatten)]
    pub entry: LibraryEntry,
    /// The files fail2ban reads for it, in its order.
    pub files: Vec<String>,
    pub options: Vec<LibraryOptionEntry>,
}

impl From<LibraryDetail> for LibraryDetailBody {
    fn from(d: LibraryDetail) -> Self {
        Self {
            entry: d.item.into(),
            files: d.files,
            options: d
                .options
                .into_iter()
                .map(|o| LibraryOptionEntry {
                    section: o.section,
                    name: o.name,
                    value: o.value,
                    source: ConfigSource {
                        file: o.source.file,
                        section: o.source.section,
                        line: o.source.line,
                    },
                })
                .collect(),
        }
    }
}

impl From<LibraryError> for ApiError {
    fn from(e: LibraryError) -> Self {
        let message = e.to_string();
        match e {
            LibraryError::Invalid(_) => Self::with_message(ErrorCode::InvalidArgument, message),
            LibraryError::NotFound { .. } => Self::with_message(ErrorCode::FilterNotFound, message),
            LibraryError::Exists(_) => Self::with_message(ErrorCode::FilterExists, message),
            LibraryError::InUse(_) => Self::with_message(ErrorCode::FilterInUse, message),
            LibraryError::Files(e) => e.into(),
        }
    }
}

/// `GET /config/filters`: every filter of `filter.d`, with the jails that use it.
#[utoipa::path(get, path = "/config/filters", tag = "config", operation_id = "list_filters",
    responses((status = 200, description = "The filters.", body = LibraryList)))]
pub async fn filters(State(state): State<AppState>) -> Result<Json<LibraryList>, ApiError> {
    list(&state, Kind::Filter).await
}

/// `GET /config/actions`: every action of `action.d`, with the jails that use it.
#[utoipa::path(get, path = "/config/actions", tag = "config", operation_id = "list_actions",
    responses((status = 200, description = "The actions.", body = LibraryList)))]
pub async fn actions(State(state): State<AppState>) -> Result<Json<LibraryList>, ApiError> {
    list(&state, Kind::Action).await
}

async fn list(state: &AppState, kind: Kind) -> Result<Json<LibraryList>, ApiError> {
    let items = state.runtime.library(kind).await?;
    Ok(Json(LibraryList {
        items: items.into_iter().map(Into::into).collect(),
    }))
}

/// `GET /config/filters/{name}`: a filter's files and options as written.
#[utoipa::path(get, path = "/config/filters/{name}", tag = "config", operation_id = "get_filter",
    params(("name" = String, Path, description = "The filter.")),
    responses((status = 200, description = "The filter.", body = LibraryDetailBody)),
    extensions(("x-error-codes" = json!(["filter_not_found"]))))]
pub async fn filter(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<LibraryDetailBody>, ApiError> {
    Ok(Json(
        state
            .runtime
            .library_item(Kind::Filter, &name)
            .await?
            .into(),
    ))
}

/// `GET /config/actions/{name}`: an action's files and options as written.
#[utoipa::path(get, path = "/config/actions/{name}", tag = "config", operation_id = "get_action",
    params(("name" = String, Path, description = "The action.")),
    responses((status = 200, description = "The action.", body = LibraryDetailBody)),
    extensions(("x-error-codes" = json!(["filter_not_found"]))))]
pub async fn action(
    State(state): State<AppState>,
    ApiPath(name): ApiPath<String>,
) -> Result<Json<LibraryDetailBody>, ApiError> {
    Ok(Json(
        state
            .runtime
            .library_item(Kind::Action, &name)
            .await?
            .into(),
    ))
}

/// The parts of a filter bangui writes to its `[Definition]`; one expression per line.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterBody {
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
}

impl From<FilterBody> for FilterDraft {
    fn from(b: FilterBody) -> Self {
        Self {
            failregex: b.failregex,
            ignoreregex: b.ignoreregex,
            prefregex: b.prefregex,
            datepattern: b.datepattern,
        }
    }
}

/// A new filter.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewFilter {
    /// Letters, digits, `-`, `_` and `.`, at most 64.
    pub name: String,
    #[serde(flatten)]
    pub filter: FilterBody,
}

/// `POST /config/filters`: creates `filter.d/<name>.local`, its expressions compiled in
/// fail2ban's dialect first.
#[utoipa::path(post, path = "/config/filters", tag = "config", operation_id = "create_filter",
    request_body = NewFilter,
    responses((status = 201, description = "Created.", body = LibraryEntry)),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_exists", "conflict"]))))]
pub async fn create_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiJson(body): ApiJson<NewFilter>,
) -> Result<Response, ApiError> {
    let draft: FilterDraft = body.filter.into();
    let item = state
        .runtime
        .create_filter(&body.name, &draft, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": item.name, "file": item.local });
    Ok(with_details(
        (StatusCode::CREATED, Json(LibraryEntry::from(item))).into_response(),
        &details,
    ))
}

/// `PATCH /config/filters/{name}`: sets parts of a filter in its `.local` (created over a
/// stock `.conf` if needed). Jails that use it see the change when they are reloaded.
#[utoipa::path(patch, path = "/config/filters/{name}", tag = "config", operation_id = "edit_filter",
    params(("name" = String, Path, description = "The filter.")),
    request_body = FilterBody,
    responses((status = 200, description = "Changed.", body = LibraryEntry)),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_not_found", "config_file_not_text", "conflict"]))))]
pub async fn edit_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(name): ApiPath<String>,
    ApiJson(body): ApiJson<FilterBody>,
) -> Result<Response, ApiError> {
    let item = state
        .runtime
        .edit_filter(&name, &body.into(), &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": item.name, "file": item.local });
    Ok(with_details(Json(LibraryEntry::from(item)), &details))
}

/// `DELETE /config/filters/{name}`: deletes the filter's `.local` (never a stock `.conf`),
/// kept as a revision; refused while a jail uses a filter that has nothing else.
#[utoipa::path(delete, path = "/config/filters/{name}", tag = "config", operation_id = "delete_filter",
    params(("name" = String, Path, description = "The filter.")),
    responses((status = 204, description = "Deleted.")),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_not_found", "filter_in_use", "conflict"]))))]
pub async fn delete_filter(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiPath(name): ApiPath<String>,
) -> Result<Response, ApiError> {
    state
        .runtime
        .delete_filter_local(&name, &auth.session.actor())
        .await?;
    let details = serde_json::json!({ "filter": name });
    Ok(with_details(
        StatusCode::NO_CONTENT.into_response(),
        &details,
    ))
}

/// A filter test: which filter, on which lines. Name a filter or a jail (its own filter, as
/// fail2ban runs it), or give a draft `failregex`; draft parts replace the named filter's.
/// Lines are pasted, or the last `log_lines` of the jail's log.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterTestBody {
    /// A filter of `filter.d`, with options as a jail names it: `sshd[mode=aggressive]`.
    pub filter: Option<String>,
    pub jail: Option<String>,
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    /// One pattern per line, as in a filter's `datepattern` (`{^LN-BEG}`, `%Y-%m-%d %H:%M:%S`, `EPOCH`, …).
    pub datepattern: Option<String>,
    /// Lines fail2ban buffers for multi-line expressions (1 to 1000).
    pub maxlines: Option<usize>,
    /// Log lines to test, one per entry (at most 10,000; comment and empty lines are skipped,
    /// as `fail2ban-regex` skips them).
    pub lines: Option<Vec<String>>,
    /// With `jail` and no `lines`: how many of the log's last lines (1 to 10,000; 200).
    pub log_lines: Option<usize>,
}

/// One tested line.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilterTestLine {
    /// 1-based, in the lines given or read.
    pub number: usize,
    pub text: String,
    pub status: LineStatus,
    /// The date fail2ban found and cut out of the line, and its Unix time.
    pub date: Option<String>,
    pub time: Option<f64>,
    pub failures: Vec<Failure>,
}

/// What `fail2ban-regex` would answer: per line, and in total.
#[derive(Debug, Serialize, ToSchema)]
pub struct FilterTestReport {
    pub filter: Option<String>,
    pub jail: Option<String>,
    /// The log file read, when the lines came from the jail's log.
    pub log: Option<String>,
    /// The log was read from its last 16 MB only.
    pub truncated: bool,
    /// The filter as it ran: its expressions interpolated, the draft's parts over them.
    pub effective: EffectiveFilter,
    pub summary: Summary,
    /// Every tested line (comment and empty lines are not tested).
    pub lines: Vec<FilterTestLine>,
}

/// A filter's parts as fail2ban runs them.
#[derive(Debug, Serialize, ToSchema)]
pub struct EffectiveFilter {
    pub failregex: Vec<String>,
    pub ignoreregex: Vec<String>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub maxlines: usize,
}

impl From<FilterTestResult> for FilterTestReport {
    fn from(r: FilterTestResult) -> Self {
        let texts = r.lines;
        Self {
            filter: r.filter,
            jail: r.jail,
            log: r.log,
            truncated: r.truncated,
            effective: EffectiveFilter {
                failregex: r.effective.failregex,
                ignoreregex: r.effective.ignoreregex,
                prefregex: r.effective.prefregex,
                datepattern: r.effective.datepattern,
                maxlines: r.effective.maxlines,
            },
            summary: r.report.summary,
            lines: r
                .report
                .lines
                .into_iter()
                .map(|l| FilterTestLine {
                    text: texts.get(l.number - 1).cloned().unwrap_or_default(),
                    number: l.number,
                    status: l.status,
                    date: l.date,
                    time: l.time,
                    failures: l.failures,
                })
                .collect(),
        }
    }
}

impl From<FilterTestError> for ApiError {
    fn from(e: FilterTestError) -> Self {
        let message = e.to_string();
        match e {
            FilterTestError::Invalid(_) => Self::with_message(ErrorCode::InvalidArgument, message),
            FilterTestError::FilterNotFound(_) => {
                Self::with_message(ErrorCode::FilterNotFound, message)
            }
            FilterTestError::JailNotFound(_) => {
                Self::with_message(ErrorCode::JailNotConfigured, message)
            }
            FilterTestError::NoLog(_) => Self::with_message(ErrorCode::JailLogUnreadable, message),
            FilterTestError::Runtime(e) => e.into(),
        }
    }
}

/// `POST /config/filter-test`: runs a filter over log lines as `fail2ban-regex` does (the
/// date cut out first, prefregex, every failregex, ignoreregex, multi-line failures) and
/// answers per line matched, ignored or missed, with the address and time found. Changes
/// nothing; host names are reported as written, never resolved.
#[utoipa::path(post, path = "/config/filter-test", tag = "config", operation_id = "test_filter",
    request_body = FilterTestBody,
    responses((status = 200, description = "The lines, tested.", body = FilterTestReport)),
    extensions(("x-error-codes" = json!(["invalid_argument", "filter_not_found", "jail_not_configured", "jail_log_unreadable", "fail2ban_config_unreadable"]))))]
pub async fn test_filter(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<FilterTestBody>,
) -> Result<Json<FilterTestReport>, ApiError> {
    let test = FilterTest {
        filter: body.filter,
        jail: body.jail,
        failregex: body.failregex,
        ignoreregex: body.ignoreregex,
        prefregex: body.prefregex,
        datepattern: body.datepattern,
        maxlines: body.maxlines,
        lines: body.lines,
        log_lines: body.log_lines,
    };
    let result = state.runtime.test_filter(test).await?;
    Ok(Json(result.into()))
}
