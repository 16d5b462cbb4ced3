//! `/api/v1/history/*`: the ban archive.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_core::{
    AddressPrefix, JailName, Network, Origin, Page, PageNumber, PageSize, TimeRange,
};
use bangui_jobs::history::HistorySync;
use bangui_runtime::analytics::{AddressTimeline, ArchivedBan, HistoryQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::jobs::JobStarted;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiPath, ApiQuery};
use crate::paging::Paged;
use crate::state::AppState;

/// `?page=&page_size=&ip=&prefix=&jail=&origin=&range=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryParams {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
    /// Only this address's (or network's) bans.
    pub ip: Option<Network>,
    /// Only addresses that start with this (`192.0.2.`).
    pub prefix: Option<AddressPrefix>,
    pub jail: Option<JailName>,
    pub origin: Option<Origin>,
    /// Only bans that started in this window; the whole archive without it (or with `all`).
    pub range: Option<TimeRange>,
}

/// `?page=&page_size=` of an address's bans.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TimelineParams {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
}

/// `GET /history`: archived bans, newest first.
#[utoipa::path(get, path = "/history", tag = "history", operation_id = "history",
    params(HistoryParams),
    responses((status = 200, description = "A page of the archive.", body = Paged<ArchivedBan>)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidPagination, ErrorCode::InvalidAddress, ErrorCode::InvalidAddressPrefix,
        ErrorCode::InvalidJailName, ErrorCode::InvalidOrigin, ErrorCode::InvalidRange
    ]))))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<HistoryParams>,
) -> Result<Json<Paged<ArchivedBan>>, ApiError> {
    let page = Page::new(p.page, p.page_size);
    let query = HistoryQuery {
        ip: p.ip,
        prefix: p.prefix,
        jail: p.jail,
        origin: p.origin,
        range: p.range,
    };
    let (items, total) = state.runtime.history_page(&query, page).await?;
    Ok(Json(Paged::new(page, items, total)))
}

/// `GET /history/{ip}`: everything the archive knows about an address: totals, country, first
/// and last seen, where it is banned now, and a page of its bans (newest first) with their
/// matched lines and how each ended.
#[utoipa::path(get, path = "/history/{ip}", tag = "history", operation_id = "address_history",
    params(("ip" = Network, Path, description = "The address or network (`/` as `%2F`)."), TimelineParams),
    responses((status = 200, description = "The address's timeline.", body = AddressTimeline)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidAddress, ErrorCode::NotFound]))))]
pub async fn address(
    State(state): State<AppState>,
    ApiPath(ip): ApiPath<Network>,
    ApiQuery(p): ApiQuery<TimelineParams>,
) -> Result<Json<AddressTimeline>, ApiError> {
    state
        .runtime
        .address_timeline(ip, Page::new(p.page, p.page_size))
        .await?
        .map(Json)
        .ok_or_else(|| {
            ApiError::with_message(ErrorCode::NotFound, format!("the archive never saw {ip}"))
        })
}

/// `POST /history/sync`: copy fail2ban's new ban rows now; answers the job id.
#[utoipa::path(post, path = "/history/sync", tag = "history", operation_id = "sync_history",
    responses((status = 202, description = "The sync is queued.", body = JobStarted)))]
pub async fn sync(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::jobs::start(&state, &HistorySync {}).await
}
