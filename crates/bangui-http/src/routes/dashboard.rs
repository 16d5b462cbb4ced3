//! `/api/v1/dashboard/*`: what the landing page shows.

use axum::Json;
use axum::extract::State;
use bangui_core::{CountryCode, JailName, Origin, Page, PageNumber, PageSize, TimeRange};
use bangui_runtime::analytics::{ByCountry, ByJail, RangeBan, RangeQuery, TopAddresses, Trend};
use bangui_store::runtime_state::JailCounters;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiQuery;
use crate::paging::Paged;
use crate::state::AppState;

/// A jail's counters.
#[derive(Debug, Serialize, ToSchema)]
pub struct JailStatus {
    pub name: String,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
    /// How the jail reads its logs (`polling`, `systemd`, …), where fail2ban says.
    pub backend: Option<String>,
}

impl From<JailCounters> for JailStatus {
    fn from(j: JailCounters) -> Self {
        Self {
            name: j.name,
            currently_failed: j.currently_failed,
            total_failed: j.total_failed,
            currently_banned: j.currently_banned,
            total_banned: j.total_banned,
            backend: j.backend,
        }
    }
}

/// fail2ban as all workers see it: a shared snapshot and its age.
#[derive(Debug, Serialize, ToSchema)]
pub struct Fail2banStatus {
    pub online: bool,
    pub version: Option<String>,
    pub jails: Vec<JailStatus>,
    /// Why fail2ban could not be asked, when it could not (`fail2ban_unreachable`, …).
    pub error: Option<String>,
    /// When the snapshot was taken, in milliseconds since the Unix epoch.
    pub taken_at_ms: i64,
    pub age_ms: u64,
    /// Older than the configured maximum age: another worker is refreshing it.
    pub stale: bool,
}

/// `GET /dashboard/status`: fail2ban online or not, its version and per-jail counters, from the
/// runtime snapshot shared by all workers, with its age.
#[utoipa::path(get, path = "/dashboard/status", tag = "dashboard", operation_id = "fail2ban_status",
    responses((status = 200, description = "fail2ban's status.", body = Fail2banStatus)))]
pub async fn status(State(state): State<AppState>) -> Result<Json<Fail2banStatus>, ApiError> {
    let served = state.runtime.status().await?;
    let s = served.snapshot;
    Ok(Json(Fail2banStatus {
        online: s.online,
        version: s.version,
        jails: s.jails.into_iter().map(JailStatus::from).collect(),
        error: s.error,
        taken_at_ms: s.taken_at_ms,
        age_ms: served.age.as_millis() as u64,
        stale: served.stale,
    }))
}

/// `?range=&origin=&jail=`: which archived bans an aggregate covers.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeParams {
    /// The window, cut into buckets of the setup time zone; `24h` by default.
    #[serde(default = "day")]
    #[param(default = "24h")]
    pub range: TimeRange,
    /// Only bans of this origin.
    pub origin: Option<Origin>,
    /// Only bans of this jail.
    pub jail: Option<JailName>,
}

fn day() -> TimeRange {
    TimeRange::Day
}

impl RangeParams {
    fn query(self) -> RangeQuery {
        RangeQuery {
            range: self.range,
            origin: self.origin,
            jail: self.jail,
        }
    }
}

/// `?range=&origin=&jail=&page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeBansParams {
    #[serde(default = "day")]
    #[param(default = "24h")]
    pub range: TimeRange,
    pub origin: Option<Origin>,
    pub jail: Option<JailName>,
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
}

/// `?range=&origin=&country=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ByCountryParams {
    #[serde(default = "day")]
    #[param(default = "24h")]
    pub range: TimeRange,
    pub origin: Option<Origin>,
    /// Also list this country's 200 newest bans of the range.
    pub country: Option<CountryCode>,
}

/// `?range=&origin=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RangeOriginParams {
    #[serde(default = "day")]
    #[param(default = "24h")]
    pub range: TimeRange,
    pub origin: Option<Origin>,
}

impl RangeOriginParams {
    fn query(self) -> RangeQuery {
        RangeQuery {
            range: self.range,
            origin: self.origin,
            jail: None,
        }
    }
}

/// `GET /dashboard/bans`: the bans of a range, newest first, with country, the address's
/// number of bans and whether it is banned now.
#[utoipa::path(get, path = "/dashboard/bans", tag = "dashboard", operation_id = "range_bans",
    params(RangeBansParams),
    responses((status = 200, description = "A page of the range's bans.", body = Paged<RangeBan>)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidRange, ErrorCode::InvalidOrigin, ErrorCode::InvalidJailName,
        ErrorCode::InvalidPagination
    ]))))]
pub async fn bans(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RangeBansParams>,
) -> Result<Json<Paged<RangeBan>>, ApiError> {
    let page = Page::new(p.page, p.page_size);
    let query = RangeQuery {
        range: p.range,
        origin: p.origin,
        jail: p.jail,
    };
    let (items, total) = state.runtime.range_bans(&query, page).await?;
    Ok(Json(Paged::new(page, items, total)))
}

/// `GET /dashboard/bans/trend`: the range's bans per bucket (24h: hours, 7d: six hours, 30d:
/// days, 365d and all: weeks of the setup time zone), per origin and in total, zero-filled.
#[utoipa::path(get, path = "/dashboard/bans/trend", tag = "dashboard", operation_id = "ban_trend",
    params(RangeParams),
    responses((status = 200, description = "The range's buckets, oldest first.", body = Trend)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidRange, ErrorCode::InvalidOrigin, ErrorCode::InvalidJailName
    ]))))]
pub async fn trend(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RangeParams>,
) -> Result<Json<Trend>, ApiError> {
    Ok(Json(state.runtime.ban_trend(&p.query()).await?))
}

/// `GET /dashboard/bans/by-country`: bans and distinct addresses per country (unresolved
/// addresses as one more bucket); with `country`, that country's 200 newest bans.
#[utoipa::path(get, path = "/dashboard/bans/by-country", tag = "dashboard",
    operation_id = "bans_by_country",
    params(ByCountryParams),
    responses((status = 200, description = "Bans per country, most first.", body = ByCountry)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidRange, ErrorCode::InvalidOrigin, ErrorCode::InvalidCountry
    ]))))]
pub async fn by_country(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<ByCountryParams>,
) -> Result<Json<ByCountry>, ApiError> {
    let query = RangeQuery {
        range: p.range,
        origin: p.origin,
        jail: None,
    };
    Ok(Json(
        state.runtime.bans_by_country(&query, p.country).await?,
    ))
}

/// `GET /dashboard/bans/by-jail`: bans and distinct addresses per jail.
#[utoipa::path(get, path = "/dashboard/bans/by-jail", tag = "dashboard", operation_id = "bans_by_jail",
    params(RangeOriginParams),
    responses((status = 200, description = "Bans per jail, most first.", body = ByJail)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidRange, ErrorCode::InvalidOrigin]))))]
pub async fn by_jail(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RangeOriginParams>,
) -> Result<Json<ByJail>, ApiError> {
    Ok(Json(state.runtime.bans_by_jail(&p.query()).await?))
}

/// `GET /dashboard/top-addresses`: the 20 addresses banned most often in the range.
#[utoipa::path(get, path = "/dashboard/top-addresses", tag = "dashboard",
    operation_id = "top_addresses",
    params(RangeOriginParams),
    responses((status = 200, description = "The most banned addresses, most first.", body = TopAddresses)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidRange, ErrorCode::InvalidOrigin]))))]
pub async fn top_addresses(
    State(state): State<AppState>,
    ApiQuery(p): ApiQuery<RangeOriginParams>,
) -> Result<Json<TopAddresses>, ApiError> {
    Ok(Json(state.runtime.top_addresses(&p.query()).await?))
}
