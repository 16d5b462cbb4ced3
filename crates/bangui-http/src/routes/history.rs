//! `/api/v1/history/*`: the ban archive.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_jobs::history::HistorySync;
use bangui_store::history::{HistoryEntry, HistoryFilter, Origin};
use chrono::{Duration, Utc};
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::extract::{ApiQuery, Paged, Pagination, address_field, jail_field};
use crate::state::AppState;

/// A time window: `?range=24h|7d|30d|365d`.
#[derive(Debug, Clone, Copy, Deserialize)]
pub enum TimeRange {
    #[serde(rename = "24h")]
    Day,
    #[serde(rename = "7d")]
    Week,
    #[serde(rename = "30d")]
    Month,
    #[serde(rename = "365d")]
    Year,
}

impl TimeRange {
    pub fn duration(self) -> Duration {
        match self {
            Self::Day => Duration::hours(24),
            Self::Week => Duration::days(7),
            Self::Month => Duration::days(30),
            Self::Year => Duration::days(365),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    page: Option<u32>,
    page_size: Option<u32>,
    ip: Option<String>,
    jail: Option<String>,
    origin: Option<String>,
    range: Option<TimeRange>,
}

/// `GET /history?page=&page_size=&ip=&jail=&origin=&range=`: archived bans, newest first.
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Paged<HistoryEntry>>, ApiError> {
    let page = Pagination::of(query.page, query.page_size)?;
    let origin = match query.origin.as_deref() {
        None => None,
        Some("blocklist") => Some(Origin::Blocklist),
        Some("manual") => Some(Origin::Manual),
        Some("auto") => Some(Origin::Auto),
        Some(other) => {
            return Err(ApiError::invalid(
                "invalid_origin",
                format!("origin must be blocklist, manual or auto, not {other:?}"),
                json!({ "field": "origin" }),
            ));
        }
    };
    let filter = HistoryFilter {
        ip: query
            .ip
            .as_deref()
            .map(|ip| address_field("ip", ip))
            .transpose()?,
        jail: query
            .jail
            .as_deref()
            .map(|j| jail_field("jail", j).map(String::from))
            .transpose()?,
        origin,
        since: query.range.map(|r| Utc::now() - r.duration()),
    };
    let (items, total) = state
        .db
        .history_page(&filter, page.page, page.page_size)
        .await?;
    Ok(page.answer(items, total))
}

/// `POST /history/sync`: copy fail2ban's new ban rows now; answers the job id.
pub async fn sync(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::jobs::start(&state, HistorySync::QUEUE, &HistorySync {}).await
}
