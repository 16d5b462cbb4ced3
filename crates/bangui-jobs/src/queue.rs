//! The queue: putting jobs on it (once per key, with an id the caller knows), and reading what
//! became of them.

use std::time::Duration;

use apalis::prelude::{PollWith, Strategy, TaskBuilder, TaskId};
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use bangui_core::JobId;
use bangui_store::jobs::{JobRecord, Progress};
use bangui_store::{Database, RedisStore, StoreError};
use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::PgPool;
use ulid::Ulid;

use crate::blocklist::BlocklistImport;
use crate::{Job, JobSettings};

/// Storage of one job type, with heartbeats that let a dead worker's jobs come back within
/// about three heartbeats.
pub(crate) fn storage<J: Job>(pool: &PgPool, settings: &JobSettings) -> PostgresStorage<J> {
    let config = Config::default()
        .queue(J::QUEUE)
        .heartbeat_interval(settings.heartbeat)
        .missed_heartbeats(3)
        .batch_size(1);
    PostgresStorage::new(pool).with_config(config)
}

/// How often a worker looks at its queue besides being notified of new jobs. apalis writes a
/// finished job's outcome when its worker next wakes (the wake at the end of a job can come
/// before the outcome is handed over), and a notification can be lost while the listening
/// connection reconnects: the poll bounds both.
#[derive(Debug, Clone, Copy)]
pub enum Watch {
    /// Jobs someone is watching (a progress bar): their outcome within a second.
    Closely,
    /// Background jobs.
    Loosely,
}

impl Watch {
    fn every(self) -> Duration {
        match self {
            Self::Closely => Duration::from_secs(1),
            Self::Loosely => Duration::from_secs(10),
        }
    }
}

/// The queue as a worker consumes it: notified of new jobs (PostgreSQL `LISTEN`), and polled.
pub(crate) fn watched<Args>(
    storage: PostgresStorage<Args>,
    watch: Watch,
) -> PollWith<PostgresStorage<Args>, Strategy> {
    let listener = Pubsub::new(storage.pool().clone(), storage.config().queue.to_string());
    let strategy = Strategy::new().stream(listener).interval(watch.every());
    PollWith::new(storage, strategy)
}

/// Why a job could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("job arguments: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("job queue: {0}")]
    Queue(#[from] apalis_postgres::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Two "import now" raced and neither could tell which job stands: try again.
    #[error("an import was just started; try again")]
    Busy,
}

/// What became of an enqueue with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job with this id.
    New(JobId),
    /// A job with this key was already enqueued (by another worker's tick, or an earlier call).
    AlreadyThere,
}

/// A job someone asked for: its id, and whether it was queued already (then the id is the
/// one of the job that was).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Started {
    pub job_id: JobId,
    pub already_queued: bool,
}

/// A job's state as the API names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    Queued,
    Running,
    /// Failed; another attempt is due at `run_at`.
    Retrying,
    Done,
    /// Retries exhausted, or aborted because retrying cannot help.
    Failed,
    Unknown,
}

/// A job as the API shows it: the queue's record with its progress and outcome read out.
#[derive(Debug, Clone)]
pub struct JobView {
    pub id: String,
    pub kind: String,
    pub state: JobState,
    /// Runs so far, the one under way included.
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub done_at: Option<DateTime<Utc>>,
    pub progress: Option<Progress>,
    /// What a successful run answered.
    pub result: Option<Value>,
    /// Why the last run failed.
    pub error: Option<String>,
}

impl JobView {
    fn of(job: JobRecord, progress: Option<Progress>) -> Self {
        let state = match job.status.as_str() {
            "Pending" | "Queued" => JobState::Queued,
            "Running" => JobState::Running,
            "Done" => JobState::Done,
            "Failed" if job.attempts < job.max_attempts => JobState::Retrying,
            "Failed" | "Killed" => JobState::Failed,
            _ => JobState::Unknown,
        };
        let outcome: Option<Value> = job
            .last_result
            .as_deref()
            .and_then(|r| serde_json::from_str(r).ok());
        let (result, error) = match outcome {
            // An abort (a failure retrying cannot fix) is spelled "AbortError: …" by the queue.
            Some(Value::Object(mut map)) if map.contains_key("Err") => {
                let error = map.remove("Err").map(|e| match e {
                    Value::String(m) => m.trim_start_matches("AbortError: ").to_owned(),
                    other => other.to_string(),
                });
                (None, error)
            }
            Some(Value::Object(mut map)) if map.contains_key("Ok") => (map.remove("Ok"), None),
            other => (other, None),
        };
        Self {
            // The queue counts attempts when they end; the API counts the one under way too.
            attempts: job.attempts + i32::from(job.status == "Running"),
            id: job.id,
            kind: job.job_type,
            state,
            max_attempts: job.max_attempts,
            run_at: job.run_at,
            started_at: job.lock_at,
            done_at: job.done_at,
            progress,
            result,
            error,
        }
    }
}

/// Longest a worker takes from setting an import's marker to the job being in the queue.
const ENQUEUE_GRACE: Duration = Duration::from_secs(30);

/// Puts jobs on the queue and reads what became of them. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JobQueue {
    db: Database,
    redis: RedisStore,
}

impl JobQueue {
    pub fn new(db: Database, redis: RedisStore) -> Self {
        Self { db, redis }
    }

    /// Enqueues `job` to run now; returns its id.
    pub async fn push<J: Job>(&self, job: &J) -> Result<JobId, EnqueueError> {
        match self.enqueue(job, Ulid::generate(), None).await? {
            Enqueued::New(id) => Ok(id),
            Enqueued::AlreadyThere => unreachable_without_key(),
        }
    }

    /// Enqueues `job` unless a job of its kind with this key was enqueued before (by any
    /// worker): the queue's unique index on (kind, key) refuses the second one.
    pub async fn push_once<J: Job>(&self, job: &J, key: &str) -> Result<Enqueued, EnqueueError> {
        self.enqueue(job, Ulid::generate(), Some(key)).await
    }

    async fn enqueue<J: Job>(
        &self,
        job: &J,
        id: Ulid,
        key: Option<&str>,
    ) -> Result<Enqueued, EnqueueError> {
        let mut builder = TaskBuilder::new(serde_json::to_vec(job)?)
            .task_id(TaskId::from_ulid(id))
            .max_attempts(J::ATTEMPTS);
        if let Some(key) = key {
            builder = builder.idempotency_key(key);
        }
        let mut conn = self.db.pool().acquire().await.map_err(StoreError::from)?;
        match apalis_postgres::queries::push_tasks(&mut *conn, J::QUEUE, vec![builder.build()])
            .await
        {
            Ok(()) => {
                metrics::counter!("bangui_jobs_enqueued_total", "kind" => J::QUEUE).increment(1);
                Ok(Enqueued::New(job_id(id)))
            }
            Err(e) if is_duplicate_key(&e) => Ok(Enqueued::AlreadyThere),
            Err(e) => Err(e.into()),
        }
    }

    /// Imports one source (or every enabled one) now, unless an import of it is already
    /// queued or running: then that job's id. Two "import now" at the same moment on two
    /// workers make one job.
    pub async fn import_now(
        &self,
        source: Option<i64>,
        requested_from: Option<std::net::IpAddr>,
    ) -> Result<Started, EnqueueError> {
        let key = BlocklistImport::pending_key(source);
        for _ in 0..2 {
            let id = Ulid::generate();
            let text = id.to_string();
            let holder = self
                .redis
                .claim(&key, &text, Duration::from_secs(3600))
                .await?;
            if holder != text {
                // A marker whose job is over, or never made it into the queue, is stale. A job
                // not in the queue yet may be being enqueued by the worker that set the marker
                // just now.
                let over = match self.db.job(&holder).await? {
                    Some(job) => matches!(job.status.as_str(), "Done" | "Failed" | "Killed"),
                    None => job_id_age(&holder).is_none_or(|age| age > ENQUEUE_GRACE),
                };
                if over {
                    self.redis.clear_marker(&key, &holder).await?;
                    continue;
                }
                let job_id = JobId::parse(&holder)
                    .map_err(|e| StoreError::Internal(format!("import marker: {e}")))?;
                return Ok(Started {
                    job_id,
                    already_queued: true,
                });
            }
            let job = BlocklistImport {
                source_id: source,
                requested_from,
            };
            if let Err(e) = self.enqueue(&job, id, None).await {
                let _ = self.redis.clear_marker(&key, &text).await;
                return Err(e);
            }
            return Ok(Started {
                job_id: job_id(id),
                already_queued: false,
            });
        }
        Err(EnqueueError::Busy)
    }

    /// A job with its progress, as the API shows it.
    pub async fn job(&self, id: &JobId) -> Result<Option<JobView>, StoreError> {
        let (job, progress) = tokio::try_join!(
            self.db.job(id.as_str()),
            self.redis.job_progress(id.as_str())
        )?;
        Ok(job.map(|job| JobView::of(job, progress)))
    }
}

/// Without an idempotency key nothing can collide; apalis answering "duplicate" then would be
/// a broken queue, reported as such rather than a panic.
fn unreachable_without_key<T>() -> Result<T, EnqueueError> {
    Err(EnqueueError::Store(StoreError::Internal(
        "the queue refused a job without an idempotency key as a duplicate".into(),
    )))
}

/// The id of the job enqueued as `id` (apalis' ids are ULIDs).
fn job_id(id: Ulid) -> JobId {
    JobId::parse(&id.to_string())
        .unwrap_or_else(|_| unreachable!("a ULID's text is 26 letters and digits"))
}

/// How long ago a job id was made (ULIDs carry their creation time); `None` for an id that is
/// not a ULID, or one from the future.
pub(crate) fn job_id_age(id: &str) -> Option<Duration> {
    let made = Ulid::from_string(id).ok()?.datetime();
    std::time::SystemTime::now().duration_since(made).ok()
}

fn is_duplicate_key(e: &apalis_postgres::Error) -> bool {
    let text = e.to_string();
    text.contains("idx_jobs_idempotency_key")
        || text.contains("23505")
        || text.contains("duplicate key")
}

/// A name for this process' workers, unique in the cluster (apalis tracks workers by name to
/// hand a dead one's jobs to others).
pub(crate) fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
    format!(
        "{}-{}-{}",
        host.trim(),
        std::process::id(),
        &Ulid::generate().to_string()[20..]
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_job_id_tells_its_age() {
        assert!(job_id_age(&Ulid::generate().to_string()).unwrap() < Duration::from_secs(5));
        // 2020-01-01T00:00:00Z.
        let old = Ulid::from_parts(1_577_836_800_000, 7).to_string();
        assert!(job_id_age(&old).unwrap() > Duration::from_secs(86_400 * 365));
        assert_eq!(job_id_age("not-a-ulid"), None);
    }
}
