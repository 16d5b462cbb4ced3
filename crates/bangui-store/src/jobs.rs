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

/// The queue of one kind of job, cluster-wide, as the metrics show it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, sqlx::FromRow)]
pub struct QueueKindStats {
    pub job_type: String,
    /// Jobs waiting to run (due or not yet).
    pub queued: i64,
    /// When the longest-waiting due job became due (Unix seconds); `None` when none is due.
    pub oldest_due_at: Option<f64>,
    /// When a job of this kind last finished well (Unix seconds).
    pub last_success_at: Option<f64>,
}

/// The whole queue at one moment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct QueueStats {
    pub taken_at_ms: i64,
    pub kinds: Vec<QueueKindStats>,
}

impl Database {
    /// Per kind of job: how many wait, since when the oldest due one waits, and when one last
    /// succeeded. One statement over the queue table (its status index); the metrics read it
    /// through [`RedisStore::queue_stats`], so one worker asks at a time.
    pub async fn queue_stats(&self) -> Result<Vec<QueueKindStats>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT job_type, \
               count(*) FILTER (WHERE status = 'Pending') AS queued, \
               extract(epoch FROM min(run_at) FILTER (WHERE status = 'Pending' AND run_at <= now()))::float8 \
                 AS oldest_due_at, \
               extract(epoch FROM max(done_at) FILTER (WHERE status = 'Done'))::float8 AS last_success_at \
             FROM apalis.jobs WHERE status IN ('Pending', 'Done') GROUP BY job_type ORDER BY job_type",
        )
        .fetch_all(self.pool())
        .await?)
    }
}

const QUEUE_STATS: &str = "metrics:queue-stats";

impl RedisStore {
    /// The queue statistics a worker stored last.
    pub async fn queue_stats(&self) -> Result<Option<QueueStats>, StoreError> {
        let raw: Option<String> = self
            .query(
                "queue_stats_get",
                redis::cmd("GET").arg(self.key(QUEUE_STATS)),
            )
            .await?;
        Ok(raw.and_then(|r| serde_json::from_str(&r).ok()))
    }

    pub async fn put_queue_stats(&self, stats: &QueueStats) -> Result<(), StoreError> {
        let json = serde_json::to_string(stats)?;
        self.query::<()>(
            "queue_stats_put",
            redis::cmd("SET")
                .arg(self.key(QUEUE_STATS))
                .arg(json)
                .arg("EX")
                .arg(3600),
        )
        .await
    }
}
