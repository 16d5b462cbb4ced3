//! Background jobs as the API shows them: the queue's own record (PostgreSQL, schema
//! `apalis`) and the progress a running job reports (Redis).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Database, RedisStore, StoreError};

/// A job as the queue keeps it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRecord {
    pub id: String,
    /// The queue, which names the kind of job (`health-probe`, `blocklist-import`, …).
    pub job_type: String,
    /// `Pending`, `Queued`, `Running`, `Done`, `Failed`, `Killed`.
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    /// When a worker took it (last attempt).
    pub lock_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    /// `{"Ok": …}` or `{"Err": "…"}`, as text.
    pub last_result: Option<String>,
    pub idempotency_key: Option<String>,
}

/// How far a running job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub done: u64,
    pub total: u64,
}

impl Database {
    pub async fn job(&self, id: &str) -> Result<Option<JobRecord>, StoreError> {
        Ok(sqlx::query_as::<_, JobRecord>(
            "SELECT id, job_type, status, attempts, max_attempts, run_at, lock_at, done_at, \
             last_result::text AS last_result, idempotency_key FROM apalis.jobs WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// After a failure retrying may fix: the queue takes the job again no earlier than `base`
    /// × 3^(attempts so far) from now, instead of at once. Nothing for a last attempt.
    pub async fn delay_retry(&self, id: &str, base: std::time::Duration) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE apalis.jobs \
             SET run_at = now() + make_interval(secs => $2 * power(3, attempts)) \
             WHERE id = $1 AND attempts + 1 < max_attempts",
        )
        .bind(id)
        .bind(base.as_secs_f64())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Jobs of one kind, oldest first.
    pub async fn jobs_of(&self, job_type: &str) -> Result<Vec<JobRecord>, StoreError> {
        Ok(sqlx::query_as::<_, JobRecord>(
            "SELECT id, job_type, status, attempts, max_attempts, run_at, lock_at, done_at, \
             last_result::text AS last_result, idempotency_key FROM apalis.jobs WHERE job_type = $1 ORDER BY run_at, id",
        )
        .bind(job_type)
        .fetch_all(self.pool())
        .await?)
    }
}

/// Progress is kept a day after the last report.
const PROGRESS_TTL_SECS: u64 = 86_400;

impl RedisStore {
    pub async fn set_job_progress(&self, id: &str, progress: Progress) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("SET");
        cmd.arg(self.key(&format!("job:{id}:progress")))
            .arg(serde_json::to_string(&progress)?)
            .arg("EX")
            .arg(PROGRESS_TTL_SECS);
        self.query::<()>("job_progress_set", &cmd).await
    }

    pub async fn job_progress(&self, id: &str) -> Result<Option<Progress>, StoreError> {
        let raw: Option<String> = self
            .query(
                "job_progress_get",
                redis::cmd("GET").arg(self.key(&format!("job:{id}:progress"))),
            )
            .await?;
        raw.map(|r| serde_json::from_str(&r).map_err(StoreError::from))
            .transpose()
    }
}
