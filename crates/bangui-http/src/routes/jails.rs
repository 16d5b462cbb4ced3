//! `/api/v1/jails/*`: the running jails, their settings, bans, ignore lists and control.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_core::{JailName, Network, Page, PageNumber, PageSize, SearchText};
use bangui_runtime::jails::JailDetail;
use bangui_store::banlist::BanEntry;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::audit::with_details;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::paging::Paged;
use crate::state::AppState;

/// A running jail with its counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailSummary {
    pub name: String,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
    pub backend: Option<String>,
    /// Keeps its bans but reads no logs (only known when set through bangui).
    pub idle: bool,
}

/// The running jails, as one page, with fail2ban's state.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailList {
    pub items: Vec<JailSummary>,
    pub total: u64,
    pub page: u32,
    pub page_size: u32,
    pub online: bool,
    /// Age of the shared status the list comes from.
    pub age_ms: u64,
}

/// `GET /jails`: every running jail with its counters, from the shared status snapshot (no
/// fail2ban command per request).
#[utoipa::path(get, path = "/jails", tag = "jails", operation_id = "list_jails",
    responses((status = 200, description = "The running jails.", body = JailList)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<JailList>, ApiError> {
    let overview = state.runtime.jails().await?;
    let items: Vec<JailSummary> = overview
        .status
        .snapshot
        .jails
        .iter()
        .map(|j| JailSummary {
            name: j.name.clone(),
            currently_failed: j.currently_failed,
            total_failed: j.total_failed,
            currently_banned: j.currently_banned,
            total_banned: j.total_banned,
            backend: j.backend.clone(),
            idle: overview.idle.get(&j.name).copied().unwrap_or(false),
        })
        .collect();
    let page = Paged::whole(items);
    Ok(Json(JailList {
        items: page.items,
        total: page.total,
        page: page.page,
        page_size: page.page_size,
        online: overview.status.snapshot.online,
        age_ms: overview.status.age.as_millis() as u64,
    }))
}

/// `GET /jails/{name}`: filter, actions, log paths, times, ignore list, counters.
#[utoipa::path(get, path = "/jails/{name}", tag = "jails", operation_id = "get_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "The jail.", body = JailDetail)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn detail(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Json<JailDetail>, ApiError> {
    Ok(Json(state.runtime.jail_detail(&jail).await?))
}

/// What a route about one jail can answer besides the common errors.
pub(crate) const JAIL_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidJailName,
    ErrorCode::JailNotFound,
    ErrorCode::Fail2banUnavailable,
    ErrorCode::Fail2banError,
];

/// `?page=&page_size=&q=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct BannedQuery {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
    /// Part of the address.
    pub q: Option<SearchText>,
}

/// A ban in force.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BanItem {
    /// The jail, where the list spans jails.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail: Option<JailName>,
    pub ip: String,
    /// Milliseconds since the Unix epoch.
    pub start_ms: i64,
    /// Seconds; `-1` for a permanent ban.
    pub duration_secs: i64,
    /// Milliseconds since the Unix epoch; `null` for a permanent ban.
    pub expiry_ms: Option<i64>,
}

impl BanItem {
    pub fn new(jail: Option<JailName>, e: BanEntry) -> Self {
        Self {
            jail,
            ip: e.ip,
            start_ms: e.start_ms,
            duration_secs: e.duration_secs,
            expiry_ms: e.expiry_ms,
        }
    }
}

/// `GET /jails/{name}/banned?page=&page_size=&q=`: the jail's bans in force, newest first,
/// `q` matching part of the address.
#[utoipa::path(get, path = "/jails/{name}/banned", tag = "jails", operation_id = "jail_bans",
    params(("name" = JailName, Path, description = "The jail."), BannedQuery),
    responses((status = 200, description = "A page of the jail's bans.", body = Paged<BanItem>)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidJailName, ErrorCode::JailNotFound, ErrorCode::InvalidPagination,
        ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn banned(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiQuery(query): ApiQuery<BannedQuery>,
) -> Result<Json<Paged<BanItem>>, ApiError> {
    let page = Page::new(query.page, query.page_size);
    let bans = state.runtime.banned(&jail, query.q.as_ref()).await?;
    Ok(Json(Paged::slice(page, &bans, |e| BanItem::new(None, e))))
}

/// Whether a jail runs, after a start or a stop.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailRunning {
    pub jail: JailName,
    pub running: bool,
    pub was_running: bool,
}

/// `POST /jails/{name}/start`: starts the jail from the configuration.
#[utoipa::path(post, path = "/jails/{name}/start", tag = "jails", operation_id = "start_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "The jail runs.", body = JailRunning)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn start(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Response, ApiError> {
    let started = state.runtime.start_jail(&jail).await?;
    let answer = JailRunning {
        jail,
        running: true,
        was_running: !started,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// `POST /jails/{name}/stop`: stops the jail until the next reload. A stopped jail stays stopped.
#[utoipa::path(post, path = "/jails/{name}/stop", tag = "jails", operation_id = "stop_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "The jail is stopped.", body = JailRunning)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn stop(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Response, ApiError> {
    let was_running = state.runtime.stop_jail(&jail).await?;
    let answer = JailRunning {
        jail,
        running: false,
        was_running,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// A reload done.
#[derive(Debug, Serialize, ToSchema)]
pub struct Reloaded {
    /// The jail reloaded; absent when all were.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail: Option<JailName>,
    pub reloaded: bool,
}

/// `POST /jails/{name}/reload`: re-reads the jail's configuration (one reload at a time across
/// all workers).
#[utoipa::path(post, path = "/jails/{name}/reload", tag = "jails", operation_id = "reload_jail",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "Reloaded.", body = Reloaded)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn reload(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Response, ApiError> {
    state.runtime.reload(Some(&jail)).await?;
    let answer = Reloaded {
        jail: Some(jail),
        reloaded: true,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// `POST /jails/reload`: re-reads the whole configuration.
#[utoipa::path(post, path = "/jails/reload", tag = "jails", operation_id = "reload_all_jails",
    responses((status = 200, description = "Reloaded.", body = Reloaded)),
    extensions(("x-error-codes" = json!([ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError]))))]
pub async fn reload_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.runtime.reload(None).await?;
    let answer = Reloaded {
        jail: None,
        reloaded: true,
    };
    Ok(with_details(Json(&answer), &answer))
}

/// Idle or active.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdleRequest {
    /// Idle: the jail keeps its bans but reads no logs.
    pub on: bool,
}

/// A jail's idle state.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailIdle {
    pub jail: JailName,
    pub idle: bool,
}

/// `POST /jails/{name}/idle {"on": bool}`.
#[utoipa::path(post, path = "/jails/{name}/idle", tag = "jails", operation_id = "set_jail_idle",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = IdleRequest,
    responses((status = 200, description = "The jail's idle state.", body = JailIdle)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn idle(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(request): ApiJson<IdleRequest>,
) -> Result<Response, ApiError> {
    let idle = state.runtime.set_idle(&jail, request.on).await?;
    let answer = JailIdle { jail, idle };
    Ok(with_details(Json(&answer), &answer))
}

/// A jail's ignore list.
#[derive(Debug, Serialize, ToSchema)]
pub struct IgnoreList {
    pub jail: JailName,
    /// Addresses and networks the jail never bans.
    pub ignoreip: Vec<String>,
    /// Whether the jail ignores the addresses of its own host.
    pub ignoreself: bool,
}

/// `GET /jails/{name}/ignoreip`: the addresses and networks the jail never bans.
#[utoipa::path(get, path = "/jails/{name}/ignoreip", tag = "jails", operation_id = "jail_ignore_list",
    params(("name" = JailName, Path, description = "The jail.")),
    responses((status = 200, description = "The ignore list.", body = IgnoreList)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn ignore_list(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
) -> Result<Json<IgnoreList>, ApiError> {
    let (ignoreip, ignoreself) = state.runtime.ignore_list(&jail).await?;
    Ok(Json(IgnoreList {
        jail,
        ignoreip,
        ignoreself,
    }))
}

/// An entry of an ignore list.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRequest {
    pub address: Network,
}

/// A jail's ignore list after a change.
#[derive(Debug, Serialize, ToSchema)]
pub struct IgnoreEntries {
    pub jail: JailName,
    pub ignoreip: Vec<String>,
}

/// What the audit trail keeps of an ignore-list change.
#[derive(Debug, Serialize)]
struct IgnoreChange {
    jail: JailName,
    address: Network,
}

/// The answer to an ignore-list change, with what the audit trail keeps of it.
fn ignore_changed(jail: JailName, address: Network, ignoreip: Vec<String>) -> Response {
    let change = IgnoreChange {
        jail: jail.clone(),
        address,
    };
    with_details(Json(IgnoreEntries { jail, ignoreip }), &change)
}

/// `POST /jails/{name}/ignoreip {"address": "192.0.2.0/24"}`.
#[utoipa::path(post, path = "/jails/{name}/ignoreip", tag = "jails", operation_id = "add_ignore",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = IgnoreRequest,
    responses((status = 200, description = "The ignore list.", body = IgnoreEntries)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidJailName, ErrorCode::InvalidAddress, ErrorCode::JailNotFound,
        ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn add_ignore(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(request): ApiJson<IgnoreRequest>,
) -> Result<Response, ApiError> {
    let ignoreip = state
        .runtime
        .add_ignore(&jail, request.address.net())
        .await?;
    Ok(ignore_changed(jail, request.address, ignoreip))
}

/// `DELETE /jails/{name}/ignoreip {"address": "192.0.2.0/24"}`.
#[utoipa::path(delete, path = "/jails/{name}/ignoreip", tag = "jails", operation_id = "remove_ignore",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = IgnoreRequest,
    responses((status = 200, description = "The ignore list.", body = IgnoreEntries)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidJailName, ErrorCode::InvalidAddress, ErrorCode::JailNotFound,
        ErrorCode::Fail2banUnavailable, ErrorCode::Fail2banError
    ]))))]
pub async fn remove_ignore(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(request): ApiJson<IgnoreRequest>,
) -> Result<Response, ApiError> {
    let ignoreip = state
        .runtime
        .remove_ignore(&jail, request.address.net())
        .await?;
    Ok(ignore_changed(jail, request.address, ignoreip))
}

/// Whether a jail ignores its own host's addresses.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IgnoreSelfRequest {
    pub enabled: bool,
}

/// A jail's `ignoreself`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IgnoreSelf {
    pub jail: JailName,
    pub ignoreself: bool,
}

/// `POST /jails/{name}/ignoreself {"enabled": bool}`.
#[utoipa::path(post, path = "/jails/{name}/ignoreself", tag = "jails", operation_id = "set_ignore_self",
    params(("name" = JailName, Path, description = "The jail.")),
    request_body = IgnoreSelfRequest,
    responses((status = 200, description = "The jail's ignoreself.", body = IgnoreSelf)),
    extensions(("x-error-codes" = json!(JAIL_ERRORS))))]
pub async fn ignore_self(
    State(state): State<AppState>,
    ApiPath(jail): ApiPath<JailName>,
    ApiJson(request): ApiJson<IgnoreSelfRequest>,
) -> Result<Response, ApiError> {
    let ignoreself = state
        .runtime
        .set_ignore_self(&jail, request.enabled)
        .await?;
    let answer = IgnoreSelf { jail, ignoreself };
    Ok(with_details(Json(&answer), &answer))
}
