//! `/api/v1/jails/*`: the running jails, their settings, bans, ignore lists and control.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_store::banlist::BanEntry;
use bangui_store::now_ms;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::audit::with_details;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, JailPath, Paged, Pagination, search_text};
use crate::state::AppState;

#[derive(Debug, Serialize)]
pub struct JailSummary {
    name: String,
    currently_failed: u64,
    total_failed: u64,
    currently_banned: u64,
    total_banned: u64,
    backend: Option<String>,
    idle: bool,
}

/// `GET /jails`: every running jail with its counters, from the shared status snapshot (no
/// fail2ban command per request).
pub async fn list(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let (status, idle) = tokio::try_join!(
        async { state.runtime.status().await.map_err(ApiError::from) },
        async { state.redis.idle_jails().await.map_err(ApiError::from) }
    )?;
    let items: Vec<JailSummary> = status
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
            idle: idle.get(&j.name).copied().unwrap_or(false),
        })
        .collect();
    Ok(Json(json!({
        "total": items.len(),
        "page": 1,
        "page_size": items.len(),
        "items": items,
        "online": status.snapshot.online,
        "age_ms": status.age.as_millis() as u64,
    })))
}

/// `GET /jails/{name}`: filter, actions, log paths, times, ignore list, counters.
pub async fn detail(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
) -> Result<Json<Value>, ApiError> {
    let detail = state.runtime.jail_detail(&jail).await?;
    Ok(Json(json!(detail)))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BannedQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    q: Option<String>,
}

/// A ban as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BanItem {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jail: Option<String>,
    pub ip: String,
    pub start_ms: i64,
    pub duration_secs: i64,
    pub expiry_ms: Option<i64>,
}

impl BanItem {
    pub fn new(jail: Option<&str>, e: &BanEntry) -> Self {
        Self {
            jail: jail.map(str::to_owned),
            ip: e.ip.clone(),
            start_ms: e.start_ms,
            duration_secs: e.duration_secs,
            expiry_ms: e.expiry_ms,
        }
    }
}

/// `GET /jails/{name}/banned?page=&page_size=&q=`: the jail's bans, newest first, `q` matching
/// part of the address.
pub async fn banned(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
    ApiQuery(query): ApiQuery<BannedQuery>,
) -> Result<Json<Paged<BanItem>>, ApiError> {
    let page = Pagination::of(query.page, query.page_size)?;
    let q = search_text(query.q)?;
    let list = state.runtime.ban_list(&jail).await?;
    let now = now_ms();
    let matching: Vec<&BanEntry> = list
        .active(now)
        .filter(|e| q.as_deref().is_none_or(|q| e.ip.contains(q)))
        .collect();
    let items = page
        .slice(&matching)
        .into_iter()
        .map(|e| BanItem::new(None, e))
        .collect();
    Ok(page.answer(items, matching.len()))
}

/// `POST /jails/{name}/start`: starts the jail from the configuration.
pub async fn start(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
) -> Result<Response, ApiError> {
    let started = state.runtime.start_jail(&jail).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "running": true, "was_running": !started })),
        json!({ "jail": jail }),
    ))
}

/// `POST /jails/{name}/stop`: stops the jail until the next reload. A stopped jail stays stopped.
pub async fn stop(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
) -> Result<Response, ApiError> {
    let was_running = state.runtime.stop_jail(&jail).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "running": false, "was_running": was_running })),
        json!({ "jail": jail }),
    ))
}

/// `POST /jails/{name}/reload`: re-reads the jail's configuration (one reload at a time across
/// all workers).
pub async fn reload(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
) -> Result<Response, ApiError> {
    state.runtime.reload(Some(&jail)).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "reloaded": true })),
        json!({ "jail": jail }),
    ))
}

/// `POST /jails/reload`: re-reads the whole configuration.
pub async fn reload_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    state.runtime.reload(None).await?;
    Ok(with_details(Json(json!({ "reloaded": true })), json!({})))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdleRequest {
    on: bool,
}

/// `POST /jails/{name}/idle {"on": bool}`.
pub async fn idle(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
    ApiJson(request): ApiJson<IdleRequest>,
) -> Result<Response, ApiError> {
    let idle = state.runtime.set_idle(&jail, request.on).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "idle": idle })),
        json!({ "jail": jail, "idle": idle }),
    ))
}

/// `GET /jails/{name}/ignoreip`: the addresses and networks the jail never bans.
pub async fn ignore_list(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
) -> Result<Json<Value>, ApiError> {
    let (list, ignore_self) = state.runtime.ignore_list(&jail).await?;
    Ok(Json(
        json!({ "jail": jail, "ignoreip": list, "ignoreself": ignore_self }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreRequest {
    address: String,
}

fn network(value: &str) -> Result<ipnetwork::IpNetwork, ApiError> {
    bangui_core::parse_network(value).map_err(|e| {
        ApiError::invalid(
            "invalid_address",
            e.to_string(),
            json!({ "field": "address" }),
        )
    })
}

/// `POST /jails/{name}/ignoreip {"address": "192.0.2.0/24"}`.
pub async fn add_ignore(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
    ApiJson(request): ApiJson<IgnoreRequest>,
) -> Result<Response, ApiError> {
    let net = network(&request.address)?;
    let list = state.runtime.add_ignore(&jail, net).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "ignoreip": list })),
        json!({ "jail": jail, "address": net.to_string() }),
    ))
}

/// `DELETE /jails/{name}/ignoreip {"address": "192.0.2.0/24"}`.
pub async fn remove_ignore(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
    ApiJson(request): ApiJson<IgnoreRequest>,
) -> Result<Response, ApiError> {
    let net = network(&request.address)?;
    let list = state.runtime.remove_ignore(&jail, net).await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "ignoreip": list })),
        json!({ "jail": jail, "address": net.to_string() }),
    ))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IgnoreSelfRequest {
    enabled: bool,
}

/// `POST /jails/{name}/ignoreself {"enabled": bool}`.
pub async fn ignore_self(
    State(state): State<AppState>,
    JailPath(jail): JailPath,
    ApiJson(request): ApiJson<IgnoreSelfRequest>,
) -> Result<Response, ApiError> {
    let enabled = state
        .runtime
        .set_ignore_self(&jail, request.enabled)
        .await?;
    Ok(with_details(
        Json(json!({ "jail": jail, "ignoreself": enabled })),
        json!({ "jail": jail, "enabled": enabled }),
    ))
}
