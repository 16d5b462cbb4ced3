//! `/api/v1/history/*`: the ban archive.

use axum::Json;
use axum::extract::State;
use axum::response::Response;
use bangui_core::{Address, JailName, Origin, Page, PageNumber, PageSize, TimeRange};
use bangui_jobs::history::HistorySync;
use bangui_store::history::{HistoryEntry, HistoryFilter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::jobs::JobStarted;
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiQuery;
use crate::paging::Paged;
use crate::state::AppState;

/// `?page=&page_size=&ip=&jail=&origin=&range=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
    /// Only this address's bans.
    pub ip: Option<Address>,
    pub jail: Option<JailName>,
    pub origin: Option<Origin>,
    /// Only bans that started in this window.
    pub range: Option<TimeRange>,
}

/// An archived ban.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryItem {
    pub id: i64,
    pub jail: String,
    pub ip: Address,
    pub started_at: DateTime<Utc>,
    /// Seconds; negative: for ever.
    pub duration_secs: i64,
    /// fail2ban's count of this address's bans (repeat offenders).
    pub ban_count: i32,
    pub failures: i32,
    /// The log lines that led to the ban.
    pub matches: Vec<String>,
    pub origin: Origin,
    /// When it was lifted by hand (or by a blocklist dropping the address).
    pub unbanned_at: Option<DateTime<Utc>>,
    /// `session:…` or `blocklist`.
    pub unbanned_by: Option<String>,
}

impl From<HistoryEntry> for HistoryItem {
    fn from(e: HistoryEntry) -> Self {
        let matches = match e.matches {
            serde_json::Value::Array(lines) => lines
                .into_iter()
                .filter_map(|l| match l {
                    serde_json::Value::String(line) => Some(line),
                    _ => None,
                })
                .collect(),
            _ => Vec::new(),
        };
        Self {
            id: e.id,
            jail: e.jail,
            ip: e.ip.ip().into(),
            started_at: e.started_at,
            duration_secs: e.duration_secs,
            ban_count: e.ban_count,
            failures: e.failures,
            matches,
            origin: e.origin,
            unbanned_at: e.unbanned_at,
            unbanned_by: e.unbanned_by,
        }
    }
}

/// `GET /history?page=&page_size=&ip=&jail=&origin=&range=`: archived bans, newest first.
#[utoipa::path(get, path = "/history", tag = "history", operation_id = "history",
    params(HistoryQuery),
    responses((status = 200, description = "A page of the archive.", body = Paged<HistoryItem>)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidPagination, ErrorCode::InvalidAddress, ErrorCode::InvalidJailName,
        ErrorCode::InvalidOrigin, ErrorCode::InvalidRange
    ]))))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<HistoryQuery>,
) -> Result<Json<Paged<HistoryItem>>, ApiError> {
    let page = Page::new(query.page, query.page_size);
    let filter = HistoryFilter {
        ip: query.ip.map(Address::ip),
        jail: query.jail.map(String::from),
        origin: query.origin,
        since: query.range.map(|r| r.since(Utc::now())),
    };
    let (entries, total) = state.db.history_page(&filter, page).await?;
    let items = entries.into_iter().map(HistoryItem::from).collect();
    Ok(Json(Paged::new(page, items, total)))
}

/// `POST /history/sync`: copy fail2ban's new ban rows now; answers the job id.
#[utoipa::path(post, path = "/history/sync", tag = "history", operation_id = "sync_history",
    responses((status = 202, description = "The sync is queued.", body = JobStarted)))]
pub async fn sync(State(state): State<AppState>) -> Result<Response, ApiError> {
    super::jobs::start(&state, &HistorySync {}).await
}
