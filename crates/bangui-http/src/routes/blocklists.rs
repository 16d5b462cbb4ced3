//! `/api/v1/blocklists/*`: blocklist sources, their schedule, previews, imports and the log.

use std::net::IpAddr;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bangui_blocklist::{BlocklistUrl, SourceId, SourceName};
use bangui_core::{ImportSchedule, JailName, JobId};
use bangui_store::blocklists::{BlocklistRun, BlocklistSource, SourceFields};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::audit::PageQuery;
use crate::audit::with_details;
use crate::error::{ApiError, ErrorCode};
use crate::extract::{ApiJson, ApiPath, ApiQuery, ClientAddr};
use crate::paging::Paged;
use crate::state::AppState;

/// A list of addresses to ban, fetched from a URL into a jail.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = BlocklistSource)]
pub struct SourceAnswer {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// The jail its addresses are banned in.
    pub jail: String,
    /// Imported by the schedule (and by "import all").
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<BlocklistSource> for SourceAnswer {
    fn from(s: BlocklistSource) -> Self {
        Self {
            id: s.id,
            name: s.name,
            url: s.url,
            jail: s.jail,
            enabled: s.enabled,
            created_at: s.created_at,
            updated_at: s.updated_at,
        }
    }
}

async fn existing(state: &AppState, id: SourceId) -> Result<BlocklistSource, ApiError> {
    state
        .db
        .blocklist_source(id.get())
        .await?
        .filter(|s| !s.deleted)
        .ok_or_else(|| not_found(id))
}

fn not_found(id: SourceId) -> ApiError {
    ApiError::with_message(ErrorCode::NotFound, format!("no blocklist source {id}"))
}

/// The id in a blocklist route's path.
const ID: &str = "The source's id.";

/// A source as written.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceRequest {
    pub name: SourceName,
    /// Checked for form here; whether its host is public, at every download.
    pub url: BlocklistUrl,
    /// Default: `blocklist-import`.
    #[serde(default)]
    pub jail: Option<JailName>,
    /// Default: true.
    #[serde(default)]
    pub enabled: Option<bool>,
}

impl SourceRequest {
    fn fields(self) -> SourceFields {
        SourceFields {
            name: self.name.as_str().to_owned(),
            url: self.url.as_str().to_owned(),
            jail: self
                .jail
                .map_or_else(|| "blocklist-import".to_owned(), String::from),
            enabled: self.enabled.unwrap_or(true),
        }
    }
}

/// What the audit trail keeps of a source's change.
#[derive(Debug, Serialize)]
struct SourceChange<'a> {
    source_id: i64,
    name: &'a str,
    url: &'a str,
    jail: &'a str,
    enabled: bool,
}

impl<'a> From<&'a SourceAnswer> for SourceChange<'a> {
    fn from(s: &'a SourceAnswer) -> Self {
        Self {
            source_id: s.id,
            name: &s.name,
            url: &s.url,
            jail: &s.jail,
            enabled: s.enabled,
        }
    }
}

const SOURCE_ERRORS: &[ErrorCode] = &[
    ErrorCode::InvalidName,
    ErrorCode::InvalidUrl,
    ErrorCode::InvalidJailName,
    ErrorCode::Conflict,
];

/// `GET /blocklists`: the sources, by name.
#[utoipa::path(get, path = "/blocklists", tag = "blocklists", operation_id = "list_blocklists",
    responses((status = 200, description = "Every source, in one page.", body = Paged<SourceAnswer>)))]
pub async fn list(State(state): State<AppState>) -> Result<Json<Paged<SourceAnswer>>, ApiError> {
    let sources = state.db.blocklist_sources().await?;
    Ok(Json(Paged::whole(
        sources.into_iter().map(SourceAnswer::from).collect(),
    )))
}

/// `POST /blocklists {"name", "url", "jail"?, "enabled"?}`.
#[utoipa::path(post, path = "/blocklists", tag = "blocklists", operation_id = "create_blocklist",
    request_body = SourceRequest,
    responses((status = 201, description = "The new source.", body = SourceAnswer)),
    extensions(("x-error-codes" = json!(SOURCE_ERRORS))))]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<Response, ApiError> {
    let source = SourceAnswer::from(state.db.create_blocklist_source(&request.fields()).await?);
    let change = SourceChange::from(&source);
    Ok(with_details((StatusCode::CREATED, Json(&source)), &change))
}

/// `GET /blocklists/{id}`.
#[utoipa::path(get, path = "/blocklists/{id}", tag = "blocklists", operation_id = "get_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    responses((status = 200, description = "The source.", body = SourceAnswer)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidId, ErrorCode::NotFound]))))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SourceId>,
) -> Result<Json<SourceAnswer>, ApiError> {
    Ok(Json(existing(&state, id).await?.into()))
}

/// `PUT /blocklists/{id}`: replaces name, URL, jail and enabled.
#[utoipa::path(put, path = "/blocklists/{id}", tag = "blocklists", operation_id = "update_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    request_body = SourceRequest,
    responses((status = 200, description = "The source.", body = SourceAnswer)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidId, ErrorCode::NotFound, ErrorCode::InvalidName, ErrorCode::InvalidUrl,
        ErrorCode::InvalidJailName, ErrorCode::Conflict
    ]))))]
pub async fn update(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SourceId>,
    ApiJson(request): ApiJson<SourceRequest>,
) -> Result<Response, ApiError> {
    let source = state
        .db
        .update_blocklist_source(id.get(), &request.fields())
        .await?
        .ok_or_else(|| not_found(id))?;
    let source = SourceAnswer::from(source);
    let change = SourceChange::from(&source);
    Ok(with_details(Json(&source), &change))
}

/// On or off.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnabledRequest {
    pub enabled: bool,
}

/// `POST /blocklists/{id}/enabled {"enabled": bool}`.
#[utoipa::path(post, path = "/blocklists/{id}/enabled", tag = "blocklists", operation_id = "enable_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    request_body = EnabledRequest,
    responses((status = 200, description = "The source.", body = SourceAnswer)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidId, ErrorCode::NotFound]))))]
pub async fn set_enabled(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SourceId>,
    ApiJson(request): ApiJson<EnabledRequest>,
) -> Result<Response, ApiError> {
    let source = state
        .db
        .set_blocklist_source_enabled(id.get(), request.enabled)
        .await?
        .ok_or_else(|| not_found(id))?;
    let source = SourceAnswer::from(source);
    let change = SourceChange::from(&source);
    Ok(with_details(Json(&source), &change))
}

/// A source deleted: the job that lifts the bans only it made.
#[derive(Debug, Serialize, ToSchema)]
pub struct SourceDeleted {
    pub deleted: bool,
    pub job_id: JobId,
}

/// `DELETE /blocklists/{id}`: the source disappears now; a job lifts the bans only it made.
#[utoipa::path(delete, path = "/blocklists/{id}", tag = "blocklists", operation_id = "delete_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    responses((status = 202, description = "Deleted; its bans are being lifted.", body = SourceDeleted)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidId, ErrorCode::NotFound, ErrorCode::ImportBusy]))))]
pub async fn delete(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<SourceId>,
) -> Result<Response, ApiError> {
    if !state.db.mark_blocklist_source_deleted(id.get()).await? {
        return Err(not_found(id));
    }
    let started = state.jobs.import_now(Some(id.get()), None).await?;
    let answer = SourceDeleted {
        deleted: true,
        job_id: started.job_id,
    };
    let details = ImportAudit {
        source_id: Some(id.get()),
        job_id: &answer.job_id,
    };
    Ok(with_details(
        (StatusCode::ACCEPTED, Json(&answer)),
        &details,
    ))
}

/// What a source's list holds now.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = Preview)]
pub struct PreviewAnswer {
    pub source_id: i64,
    #[serde(flatten)]
    pub list: bangui_blocklist::Preview,
}

/// `POST /blocklists/{id}/preview`: downloads the list now and says what is in it.
#[utoipa::path(post, path = "/blocklists/{id}/preview", tag = "blocklists", operation_id = "preview_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    responses((status = 200, description = "What the list holds.", body = PreviewAnswer)),
    extensions(("x-error-codes" = json!([
        ErrorCode::InvalidId, ErrorCode::NotFound, ErrorCode::BlocklistFetchFailed
    ]))))]
pub async fn preview(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(id): ApiPath<SourceId>,
) -> Result<Json<PreviewAnswer>, ApiError> {
    let source = existing(&state, id).await?;
    // What an import would skip; without the jail's ignore list when fail2ban cannot say.
    let lockouts = state
        .runtime
        .preview_lockouts(&source.jail)
        .await
        .asked_from(Some(client));
    let refuse = |entry| lockouts.check(entry).is_some();
    let list =
        bangui_blocklist::preview(&source.url, &state.settings.blocklist_fetch, refuse).await?;
    Ok(Json(PreviewAnswer {
        source_id: source.id,
        list,
    }))
}

/// An import asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportStarted {
    pub job_id: JobId,
    /// An import of the same source(s) was queued or running already: this is its id.
    pub already_queued: bool,
}

/// What the audit trail keeps of an import asked for.
#[derive(Debug, Serialize)]
struct ImportAudit<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    source_id: Option<i64>,
    job_id: &'a JobId,
}

/// Queues an import; no entry may cover `client`, who asked for it.
async fn import(
    state: &AppState,
    source: Option<i64>,
    client: Option<IpAddr>,
) -> Result<Response, ApiError> {
    let started = state.jobs.import_now(source, client).await?;
    let answer = ImportStarted {
        job_id: started.job_id,
        already_queued: started.already_queued,
    };
    let details = ImportAudit {
        source_id: source,
        job_id: &answer.job_id,
    };
    Ok(with_details(
        (StatusCode::ACCEPTED, Json(&answer)),
        &details,
    ))
}

/// `POST /blocklists/{id}/import`: imports one source now; answers the job id.
#[utoipa::path(post, path = "/blocklists/{id}/import", tag = "blocklists", operation_id = "import_blocklist",
    params(("id" = SourceId, Path, description = ID)),
    responses((status = 202, description = "The import is queued.", body = ImportStarted)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidId, ErrorCode::NotFound, ErrorCode::ImportBusy]))))]
pub async fn import_one(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiPath(id): ApiPath<SourceId>,
) -> Result<Response, ApiError> {
    let source = existing(&state, id).await?;
    import(&state, Some(source.id), Some(client)).await
}

/// `POST /blocklists/import`: imports every enabled source now.
#[utoipa::path(post, path = "/blocklists/import", tag = "blocklists", operation_id = "import_all_blocklists",
    responses((status = 202, description = "The import is queued.", body = ImportStarted)),
    extensions(("x-error-codes" = json!([ErrorCode::ImportBusy]))))]
pub async fn import_all(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
) -> Result<Response, ApiError> {
    import(&state, None, Some(client)).await
}

/// One line of the import log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = BlocklistRun)]
pub struct RunAnswer {
    pub id: i64,
    /// `null` once the source is deleted.
    pub source_id: Option<i64>,
    pub source_name: String,
    pub job_id: Option<String>,
    /// `running`, `completed` or `failed`.
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub downloaded_bytes: Option<i64>,
    pub valid: Option<i32>,
    pub invalid: Option<i32>,
    pub duplicates: Option<i32>,
    pub newly_banned: Option<i32>,
    pub already_banned: Option<i32>,
    pub removed: Option<i32>,
    /// Entries inside another listed network, banned with it.
    pub covered: Option<i32>,
    /// Entries not banned because that would lock someone out.
    pub refused: Option<i32>,
    /// The first of them, with why.
    pub refusals: Vec<Refusal>,
    pub error: Option<String>,
}

/// A blocklist entry an import did not ban.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportRefusal)]
pub struct Refusal {
    pub entry: String,
    /// `too_broad`, `loopback`, `trusted_proxy` or `ignored`.
    pub reason: String,
    pub message: String,
}

impl From<BlocklistRun> for RunAnswer {
    fn from(r: BlocklistRun) -> Self {
        Self {
            id: r.id,
            source_id: r.source_id,
            source_name: r.source_name,
            job_id: r.job_id,
            status: r.status,
            started_at: r.started_at,
            finished_at: r.finished_at,
            downloaded_bytes: r.downloaded_bytes,
            valid: r.valid,
            invalid: r.invalid,
            duplicates: r.duplicates,
            newly_banned: r.newly_banned,
            already_banned: r.already_banned,
            removed: r.removed,
            covered: r.covered,
            refused: r.refused,
            refusals: r
                .refusals
                .0
                .into_iter()
                .map(|e| Refusal {
                    entry: e.entry,
                    reason: e.reason,
                    message: e.message,
                })
                .collect(),
            error: r.error,
        }
    }
}

/// `GET /blocklists/runs?page=&page_size=`: the import log, newest first.
#[utoipa::path(get, path = "/blocklists/runs", tag = "blocklists", operation_id = "blocklist_runs",
    params(PageQuery),
    responses((status = 200, description = "A page of the import log.", body = Paged<RunAnswer>)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidPagination]))))]
pub async fn runs(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Paged<RunAnswer>>, ApiError> {
    let page = query.page();
    let (runs, total) = state.db.blocklist_runs(page).await?;
    let items = runs.into_iter().map(RunAnswer::from).collect();
    Ok(Json(Paged::new(page, items, total)))
}

/// `GET /blocklists/schedule`.
#[utoipa::path(get, path = "/blocklists/schedule", tag = "blocklists", operation_id = "import_schedule",
    responses((status = 200, description = "When imports run.", body = ImportSchedule)))]
pub async fn schedule(State(state): State<AppState>) -> Result<Json<ImportSchedule>, ApiError> {
    Ok(Json(state.db.import_schedule().await?))
}

/// `PUT /blocklists/schedule {"kind": "hourly"|"daily"|"weekly"|"cron"|"off", …}`: in the
/// instance's time zone.
#[utoipa::path(put, path = "/blocklists/schedule", tag = "blocklists", operation_id = "set_import_schedule",
    request_body = ImportSchedule,
    responses((status = 200, description = "When imports run.", body = ImportSchedule)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidSchedule]))))]
pub async fn set_schedule(
    State(state): State<AppState>,
    ApiJson(schedule): ApiJson<ImportSchedule>,
) -> Result<Response, ApiError> {
    state.db.put_import_schedule(&schedule).await?;
    Ok(with_details(Json(&schedule), &schedule))
}
