//! `/api/v1/bans/*`: bans across jails.

use axum::extract::State;
use axum::response::Response;
use axum::{Extension, Json};
use bangui_core::JailName;
use bangui_jobs::history::Archive;
use bangui_store::history::{ArchivedBan, Origin};
use bangui_store::now_ms;
use serde::Deserialize;
use serde_json::{Value, json};

use super::jails::BanItem;
use crate::audit::{session_actor, with_details};
use crate::auth::AuthSession;
use crate::error::ApiError;
use crate::extract::{
    ApiJson, ApiQuery, Paged, Pagination, address_field, jail_field, search_text,
};
use crate::state::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActiveQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    jail: Option<String>,
    q: Option<String>,
}

/// `GET /bans/active?jail=&q=&page=&page_size=`: current bans of every jail (or one), newest
/// first.
pub async fn active(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ActiveQuery>,
) -> Result<Json<Paged<BanItem>>, ApiError> {
    let page = Pagination::of(query.page, query.page_size)?;
    let q = search_text(query.q)?;
    // One status read for all jails.
    let status = state.runtime.status().await?;
    let jails: Vec<JailName> = match query.jail.as_deref() {
        Some(j) => vec![jail_field("jail", j)?],
        None => status
            .snapshot
            .jails
            .iter()
            .filter_map(|j| JailName::parse(&j.name).ok())
            .collect(),
    };
    let now = now_ms();
    let mut matching = Vec::new();
    for jail in &jails {
        let list = state.runtime.ban_list_at(&status, jail).await?;
        matching.extend(
            list.active(now)
                .filter(|e| q.as_deref().is_none_or(|q| e.ip.contains(q)))
                .map(|e| BanItem::new(Some(jail), e)),
        );
    }
    matching.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then_with(|| a.ip.cmp(&b.ip)));
    Ok(page.answer(page.slice(&matching), matching.len()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BanRequest {
    ip: String,
    jail: String,
}

/// `POST /bans {"ip", "jail"}`.
pub async fn ban(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<BanRequest>,
) -> Result<Response, ApiError> {
    let ip = address_field("ip", &request.ip)?;
    let jail = jail_field("jail", &request.jail)?;
    let newly = state.runtime.ban(&jail, ip).await?;
    if newly {
        archive_manual_ban(&state, &jail, ip).await;
        // Its country, for the map; best effort.
        bangui_jobs::geo::enqueue_resolution(state.db.pool(), &[ip]).await;
    }
    let body = json!({ "ip": ip.to_string(), "jail": jail, "newly_banned": newly });
    Ok(with_details(Json(body.clone()), body))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnbanRequest {
    ip: String,
    #[serde(default)]
    jail: Option<String>,
}

/// `DELETE /bans {"ip", "jail"?}`: in one jail, or in every jail.
pub async fn unban(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
    ApiJson(request): ApiJson<UnbanRequest>,
) -> Result<Response, ApiError> {
    let ip = address_field("ip", &request.ip)?;
    let jail = request
        .jail
        .as_deref()
        .map(|j| jail_field("jail", j))
        .transpose()?;
    // fail2ban deletes the rows of what it unbans by hand: archive them first.
    if let Err(e) = archive(&state).archive_addresses(&[ip]).await {
        tracing::warn!(error = %e, "could not archive the ban before unbanning");
    }
    let count = state.runtime.unban(ip, jail.as_ref()).await?;
    let by = session_actor(&auth.session.id);
    if let Err(e) = state.db.mark_unbanned(jail.as_deref(), &[ip], &by).await {
        tracing::error!(error = %e, "could not archive an unban");
    }
    let body = json!({ "ip": ip.to_string(), "jail": jail, "unbanned": count });
    Ok(with_details(Json(body.clone()), body))
}

/// `DELETE /bans/all`: lifts every ban of every jail.
pub async fn unban_all(
    State(state): State<AppState>,
    Extension(auth): Extension<AuthSession>,
) -> Result<Response, ApiError> {
    // fail2ban deletes every ban row: archive them all first.
    if let Err(e) = archive(&state).sync().await {
        tracing::warn!(error = %e, "could not archive the bans before unbanning all");
    }
    let count = state.runtime.unban_all().await?;
    if let Err(e) = state
        .db
        .mark_all_unbanned(&session_actor(&auth.session.id))
        .await
    {
        tracing::error!(error = %e, "could not archive an unban of everything");
    }
    Ok(with_details(
        Json(json!({ "unbanned": count })),
        json!({ "unbanned": count }),
    ))
}

/// The ban archive as this worker reaches it.
fn archive(state: &AppState) -> Archive<'_> {
    Archive {
        db: &state.db,
        runtime: &state.runtime,
        fail2ban_db: state.settings.fail2ban_db.as_deref(),
    }
}

/// A ban made through bangui goes into the archive at once (fail2ban's own row would be
/// deleted by a manual unban before the next sync could copy it).
async fn archive_manual_ban(state: &AppState, jail: &JailName, ip: std::net::IpAddr) {
    let duration_secs = state.runtime.fail2ban().bantime(jail).await.unwrap_or(-1);
    let ban = ArchivedBan {
        jail: jail.to_string(),
        ip,
        started_at: chrono::Utc::now(),
        duration_secs,
        ban_count: 1,
        failures: 0,
        matches: json!([]),
        origin: Origin::Manual,
    };
    if let Err(e) = state.db.archive_bans(&[ban]).await {
        tracing::error!(error = %e, "could not archive a ban");
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookupQuery {
    ip: String,
}

/// `GET /bans/lookup?ip=`: which jails ban the address, and which ignore it.
pub async fn lookup(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<LookupQuery>,
) -> Result<Json<Value>, ApiError> {
    let ip = address_field("ip", &query.ip)?;
    Ok(Json(json!(state.runtime.lookup(ip).await?)))
}
