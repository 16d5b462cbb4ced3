//! `GET /api/v1/audit`: the audit trail, newest first.

use axum::Json;
use axum::extract::State;
use bangui_core::{Page, PageNumber, PageSize};
use bangui_store::audit::AuditEntry;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiQuery;
use crate::paging::Paged;
use crate::state::AppState;

/// `?page=&page_size=`.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    #[serde(default)]
    pub page: PageNumber,
    #[serde(default)]
    pub page_size: PageSize,
}

impl PageQuery {
    pub fn page(&self) -> Page {
        Page::new(self.page, self.page_size)
    }
}

/// One audited call: who, when, what, from where, with which result.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    pub id: i64,
    pub at: DateTime<Utc>,
    /// `session:<first 16 hex digits of the session id>`, or `anonymous` (setup, login).
    pub actor: String,
    /// The client's address.
    pub client: Option<String>,
    pub method: String,
    /// The route pattern (`/api/v1/jails/{name}`).
    pub route: String,
    /// The path as called.
    pub path: String,
    /// What the call did, as its route describes it.
    pub details: serde_json::Value,
    /// The answer's HTTP status.
    pub status: i16,
    pub error_code: Option<ErrorCode>,
}

impl From<AuditEntry> for AuditItem {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            client: e.client.map(|c| c.ip().to_string()),
            method: e.method,
            route: e.route,
            path: e.path,
            details: e.details,
            status: e.status,
            error_code: e
                .error_code
                .and_then(|c| serde_json::from_value(serde_json::Value::String(c)).ok()),
        }
    }
}

/// `GET /audit?page=&page_size=`: the audit trail, newest first.
#[utoipa::path(get, path = "/audit", tag = "audit", operation_id = "audit_trail",
    params(PageQuery),
    responses((status = 200, description = "A page of the audit trail.", body = Paged<AuditItem>)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidPagination]))))]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Paged<AuditItem>>, ApiError> {
    let page = query.page();
    let (entries, total) = state.db.audit_page(page).await?;
    let items = entries.into_iter().map(AuditItem::from).collect();
    Ok(Json(Paged::new(page, items, total)))
}
