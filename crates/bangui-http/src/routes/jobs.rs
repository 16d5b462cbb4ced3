//! `GET /api/v1/jobs/{id}`: a background job's state, progress and result, for progress bars;
//! and the answer of every route that starts one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use bangui_core::JobId;
use bangui_jobs::{Job, JobState, JobView};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::audit::with_details;
use crate::error::{ApiError, ErrorCode};
use crate::extract::ApiPath;
use crate::state::AppState;

/// A job's state.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobStatus {
    Queued,
    Running,
    /// Failed; another attempt is due at `run_at`.
    Retrying,
    Done,
    /// Retries exhausted, or aborted because retrying cannot help.
    Failed,
    Unknown,
}

impl From<JobState> for JobStatus {
    fn from(s: JobState) -> Self {
        match s {
            JobState::Queued => Self::Queued,
            JobState::Running => Self::Running,
            JobState::Retrying => Self::Retrying,
            JobState::Done => Self::Done,
            JobState::Failed => Self::Failed,
            JobState::Unknown => Self::Unknown,
        }
    }
}

/// How far a running job is.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct JobProgress {
    pub done: u64,
    pub total: u64,
}

/// A background job.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobAnswer {
    pub id: String,
    /// What it does: `blocklist-import`, `geo-resolve`, `geo-re-resolve`, `history-sync`, …
    pub kind: String,
    pub state: JobStatus,
    /// Runs so far, the one under way included.
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it runs (next).
    pub run_at: DateTime<Utc>,
    /// When its last run started.
    pub started_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub progress: Option<JobProgress>,
    /// What it did, when done; its shape depends on the kind.
    pub result: Option<serde_json::Value>,
    /// Why its last run failed.
    pub error: Option<String>,
}

impl From<JobView> for JobAnswer {
    fn from(j: JobView) -> Self {
        Self {
            id: j.id,
            kind: j.kind,
            state: j.state.into(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            started_at: j.started_at,
            done_at: j.done_at,
            progress: j.progress.map(|p| JobProgress {
                done: p.done,
                total: p.total,
            }),
            result: j.result,
            error: j.error,
        }
    }
}

/// `GET /jobs/{id}`.
#[utoipa::path(get, path = "/jobs/{id}", tag = "jobs", operation_id = "get_job",
    params(("id" = JobId, Path, description = "The job's id.")),
    responses((status = 200, description = "The job.", body = JobAnswer)),
    extensions(("x-error-codes" = json!([ErrorCode::InvalidJobId, ErrorCode::NotFound]))))]
pub async fn get(
    State(state): State<AppState>,
    ApiPath(id): ApiPath<JobId>,
) -> Result<Json<JobAnswer>, ApiError> {
    let job = state
        .jobs
        .job(&id)
        .await?
        .ok_or_else(|| ApiError::with_message(ErrorCode::NotFound, format!("no job {id}")))?;
    Ok(Json(job.into()))
}

/// A job started: follow it at `GET /jobs/{job_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobStarted {
    pub job_id: JobId,
}

/// Enqueues a job someone asked for now, and answers `202 {"job_id"}` (audited with its id).
pub(crate) async fn start<J: Job>(state: &AppState, job: &J) -> Result<Response, ApiError> {
    let job_id = state.jobs.push(job).await?;
    let answer = JobStarted { job_id };
    Ok(with_details((StatusCode::ACCEPTED, Json(&answer)), &answer))
}
