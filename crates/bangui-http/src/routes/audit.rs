//! `GET /api/v1/audit`: the audit trail, newest first.

use axum::Json;
use axum::extract::State;
use bangui_store::audit::AuditEntry;

use crate::error::ApiError;
use crate::extract::{ApiQuery, Paged, Pagination};
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<Pagination>,
) -> Result<Json<Paged<AuditEntry>>, ApiError> {
    let page = page.validated()?;
    let (items, total) = state.db.audit_page(page.page, page.page_size).await?;
    Ok(page.answer(items, total))
}
