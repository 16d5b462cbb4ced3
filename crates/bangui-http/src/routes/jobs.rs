//! `GET /api/v1/jobs/{id}`: a background job's state, progress and result, for progress bars.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use crate::error::ApiError;
use crate::state::AppState;

/// The queue's statuses as the API names them: `queued`, `running`, `retrying` (failed, another
/// attempt is due at `run_at`), `done`, `failed` (retries exhausted, or aborted because retrying
/// cannot help).
fn api_state(status: &str, attempts: i32, max_attempts: i32) -> &'static str {
    match status {
        "Pending" | "Queued" => "queued",
        "Running" => "running",
        "Done" => "done",
        "Failed" if attempts < max_attempts => "retrying",
        "Failed" | "Killed" => "failed",
        _ => "unknown",
    }
}

pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    // Job ids are ULIDs: 26 characters of Crockford base32.
    if id.len() != 26 || !id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ApiError::invalid(
            "invalid_job_id",
            "a job id has 26 letters and digits",
            json!({ "field": "id" }),
        ));
    }
    let (job, progress) = tokio::try_join!(
        async { state.db.job(&id).await.map_err(ApiError::from) },
        async { state.redis.job_progress(&id).await.map_err(ApiError::from) }
    )?;
    let job = job.ok_or_else(|| ApiError::NotFound(format!("no job {id}")))?;
    let outcome: Option<Value> = job
        .last_result
        .as_deref()
        .and_then(|r| serde_json::from_str(r).ok());
    let (result, error) = match outcome {
        // An abort (a failure retrying cannot fix) is spelled "AbortError: …" by the queue.
        Some(Value::Object(map)) if map.contains_key("Err") => (
            None,
            map.get("Err").map(|e| {
                json!(e.as_str().map_or_else(
                    || e.to_string(),
                    |m| m.trim_start_matches("AbortError: ").to_owned()
                ))
            }),
        ),
        Some(Value::Object(map)) if map.contains_key("Ok") => (map.get("Ok").cloned(), None),
        other => (other, None),
    };
    // The queue counts attempts when they end; the API counts the one under way too.
    let attempts = job.attempts + i32::from(job.status == "Running");
    Ok(Json(json!({
        "id": job.id,
        "kind": job.job_type,
        "state": api_state(&job.status, job.attempts, job.max_attempts),
        "attempts": attempts,
        "max_attempts": job.max_attempts,
        "run_at": job.run_at,
        "started_at": job.lock_at,
        "done_at": job.done_at,
        "progress": progress,
        "result": result,
        "error": error,
    })))
}

/// Enqueues a job someone asked for now, and answers `202 {"job_id"}` (audited with its id).
pub(crate) async fn start<Args: serde::Serialize>(
    state: &AppState,
    queue: &str,
    args: &Args,
) -> Result<axum::response::Response, ApiError> {
    let id = bangui_jobs::queue::new_job_id();
    bangui_jobs::queue::enqueue(state.db.pool(), queue, &id, args, None, 3)
        .await
        .map_err(|e| ApiError::Internal(format!("enqueueing a {queue} job: {e}")))?;
    Ok(crate::audit::with_details(
        (
            axum::http::StatusCode::ACCEPTED,
            Json(json!({ "job_id": id })),
        ),
        json!({ "job_id": id }),
    ))
}
