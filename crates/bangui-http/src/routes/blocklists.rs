//! `/api/v1/blocklists/*`: blocklist sources, their schedule, previews, imports and the log.

use std::time::Duration;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use bangui_jobs::blocklist::BlocklistImport;
use bangui_jobs::fetch::{FetchError, check_url, fetch};
use bangui_jobs::import_schedule::{self, ImportSchedule};
use bangui_jobs::parse::parse;
use bangui_jobs::queue;
use bangui_store::blocklists::{BlocklistSource, SourceFields};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::audit::with_details;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery, Paged, Pagination, jail_field};
use crate::state::AppState;

fn source_id(text: &str) -> Result<i64, ApiError> {
    text.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_id",
                "a blocklist source id is a positive number",
                json!({ "field": "id" }),
            )
        })
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("no blocklist source {id}"))
}

async fn existing(state: &AppState, id: i64) -> Result<BlocklistSource, ApiError> {
    state
        .db
        .blocklist_source(id)
        .await?
        .filter(|s| !s.deleted)
        .ok_or_else(|| not_found(id))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceRequest {
    name: String,
    url: String,
    #[serde(default)]
    jail: Option<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

impl SourceRequest {
    fn validated(self) -> Result<SourceFields, ApiError> {
        let name = self.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
            return Err(ApiError::invalid(
                "invalid_name",
                "the name must have 1 to 100 characters, without control characters",
                json!({ "field": "name" }),
            ));
        }
        // Scheme and form here; the address rule is applied to what the name resolves to, at
        // every download.
        let url = check_url(self.url.trim(), true)
            .map_err(|e| ApiError::invalid("invalid_url", e, json!({ "field": "url" })))?
            .to_string();
        let jail =
            jail_field("jail", self.jail.as_deref().unwrap_or("blocklist-import"))?.to_string();
        Ok(SourceFields {
            name,
            url,
            jail,
            enabled: self.enabled.unwrap_or(true),
        })
    }
}

/// `GET /blocklists`: the sources, by name.
pub async fn list(State(state): State<AppState>) -> Result<Json<Paged<BlocklistSource>>, ApiError> {
    let items = state.db.blocklist_sources().await?;
    let total = items.len();
    Ok(Json(Paged {
        items,
        total,
        page: 1,
        page_size: u32::try_from(total).unwrap_or(u32::MAX),
    }))
}

/// `POST /blocklists {"name", "url", "jail"?, "enabled"?}`.
pub async fn create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<Response, ApiError> {
    let fields = request.validated()?;
    let source = state.db.create_blocklist_source(&fields).await?;
    let details = json!({ "source_id": source.id, "name": source.name, "url": source.url, "jail": source.jail });
    Ok(with_details(
        (StatusCode::CREATED, Json(json!(source))),
        details,
    ))
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<BlocklistSource>, ApiError> {
    Ok(Json(existing(&state, source_id(&id)?).await?))
}

/// `PUT /blocklists/{id}`: replaces name, URL, jail and enabled.
pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<Response, ApiError> {
    let id = source_id(&id)?;
    let fields = request.validated()?;
    let source = state
        .db
        .update_blocklist_source(id, &fields)
        .await?
        .ok_or_else(|| not_found(id))?;
    let details = json!({ "source_id": id, "name": source.name, "url": source.url, "jail": source.jail, "enabled": source.enabled });
    Ok(with_details(Json(json!(source)), details))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledRequest {
    enabled: bool,
}

/// `POST /blocklists/{id}/enabled {"enabled": bool}`.
pub async fn set_enabled(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<EnabledRequest>,
) -> Result<Response, ApiError> {
    let id = source_id(&id)?;
    let source = state
        .db
        .set_blocklist_source_enabled(id, request.enabled)
        .await?
        .ok_or_else(|| not_found(id))?;
    Ok(with_details(
        Json(json!(source)),
        json!({ "source_id": id, "enabled": request.enabled }),
    ))
}

/// `DELETE /blocklists/{id}`: the source disappears now; a job lifts the bans only it made.
pub async fn delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = source_id(&id)?;
    if !state.db.mark_blocklist_source_deleted(id).await? {
        return Err(not_found(id));
    }
    let (job_id, _) = enqueue_import(&state, Some(id)).await?;
    let body = json!({ "deleted": true, "job_id": job_id });
    Ok(with_details(
        (StatusCode::ACCEPTED, Json(body)),
        json!({ "source_id": id, "job_id": job_id }),
    ))
}

/// `POST /blocklists/{id}/preview`: downloads the list now and says what is in it.
pub async fn preview(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let source = existing(&state, source_id(&id)?).await?;
    let fetched = fetch(&source.url, &state.settings.blocklist_fetch)
        .await
        .map_err(|e| {
            let (message, permanent) = match e {
                FetchError::Permanent(m) => (m, true),
                FetchError::Transient(m) => (m, false),
            };
            ApiError::BadGateway {
                code: "blocklist_fetch_failed",
                message: format!("could not fetch the list: {message}"),
                details: json!({ "reason": message, "permanent": permanent }),
            }
        })?;
    let text = String::from_utf8_lossy(&fetched.body);
    let first_lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(20)
        .map(|l| l.chars().take(200).collect())
        .collect();
    let list = parse(&fetched.body);
    Ok(Json(json!({
        "source_id": source.id,
        "downloaded_bytes": fetched.downloaded_bytes,
        "first_lines": first_lines,
        "valid": list.valid,
        "invalid": list.invalid,
        "duplicates": list.duplicates,
        "distinct": list.addresses.len(),
    })))
}

/// Longest a worker takes from setting an import's marker to the job being in the queue.
const ENQUEUE_GRACE: Duration = Duration::from_secs(30);

/// Enqueues an import (of one source, or all), unless one is already queued or running:
/// then its job id. Two "import now" at the same moment on two workers make one job.
async fn enqueue_import(state: &AppState, source: Option<i64>) -> Result<(String, bool), ApiError> {
    let key = BlocklistImport::pending_key(source);
    for _ in 0..2 {
        let id = queue::new_job_id();
        let holder = state
            .redis
            .claim(&key, &id, Duration::from_secs(3600))
            .await?;
        if holder != id {
            // A marker whose job is over, or never made it into the queue, is stale. A job not
            // in the queue yet may be being enqueued by the worker that set the marker just now.
            let over = match state.db.job(&holder).await? {
                Some(job) => matches!(job.status.as_str(), "Done" | "Failed" | "Killed"),
                None => queue::job_id_age(&holder).is_none_or(|age| age > ENQUEUE_GRACE),
            };
            if over {
                state.redis.clear_marker(&key, &holder).await?;
                continue;
            }
            return Ok((holder, true));
        }
        let args = BlocklistImport { source_id: source };
        if let Err(e) =
            queue::enqueue(state.db.pool(), BlocklistImport::QUEUE, &id, &args, None, 3).await
        {
            let _ = state.redis.clear_marker(&key, &id).await;
            return Err(ApiError::Internal(format!("enqueueing an import: {e}")));
        }
        return Ok((id, false));
    }
    Err(ApiError::Conflict {
        code: "import_busy",
        message: "an import was just started; try again".into(),
    })
}

fn accepted(job_id: String, already: bool, details: Value) -> Response {
    with_details(
        (
            StatusCode::ACCEPTED,
            Json(json!({ "job_id": job_id, "already_queued": already })),
        ),
        details,
    )
}

/// `POST /blocklists/{id}/import`: imports one source now; answers the job id.
pub async fn import_one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let source = existing(&state, source_id(&id)?).await?;
    let (job_id, already) = enqueue_import(&state, Some(source.id)).await?;
    Ok(accepted(
        job_id.clone(),
        already,
        json!({ "source_id": source.id, "job_id": job_id }),
    ))
}

/// `POST /blocklists/import`: imports every enabled source now.
pub async fn import_all(State(state): State<AppState>) -> Result<Response, ApiError> {
    let (job_id, already) = enqueue_import(&state, None).await?;
    Ok(accepted(
        job_id.clone(),
        already,
        json!({ "job_id": job_id }),
    ))
}

/// `GET /blocklists/runs?page=&page_size=`: the import log, newest first.
pub async fn runs(
    State(state): State<AppState>,
    ApiQuery(page): ApiQuery<Pagination>,
) -> Result<Json<Paged<bangui_store::blocklists::BlocklistRun>>, ApiError> {
    let page = page.validated()?;
    let (items, total) = state.db.blocklist_runs(page.page, page.page_size).await?;
    Ok(page.answer(items, total))
}

/// `GET /blocklists/schedule`.
pub async fn schedule(State(state): State<AppState>) -> Result<Json<ImportSchedule>, ApiError> {
    let schedule = match state.db.setting(import_schedule::SETTING).await? {
        Some(value) => serde_json::from_value(value).unwrap_or_default(),
        None => ImportSchedule::default(),
    };
    Ok(Json(schedule))
}

/// `PUT /blocklists/schedule {"kind": "hourly"|"daily"|"weekly"|"cron"|"off", …}`.
pub async fn set_schedule(
    State(state): State<AppState>,
    ApiJson(schedule): ApiJson<ImportSchedule>,
) -> Result<Response, ApiError> {
    schedule
        .to_cron()
        .map_err(|e| ApiError::invalid("invalid_schedule", e, json!({ "field": "schedule" })))?;
    let value = serde_json::to_value(&schedule).map_err(|e| ApiError::Internal(e.to_string()))?;
    state
        .db
        .put_setting(import_schedule::SETTING, &value)
        .await?;
    Ok(with_details(Json(value.clone()), value).into_response())
}
