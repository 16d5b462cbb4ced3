//! Putting jobs on the queue: once per key, with an id the caller knows.

use std::time::Duration;

use std::pin::Pin;
use std::task::Poll;

use apalis::prelude::{
    AbortError, BoxDynError, Layer, PollWith, Service, Strategy, Task, TaskBuilder,
};
use apalis_postgres::{Config, PostgresStorage, Pubsub};
use serde::Serialize;
use sqlx::PgPool;
use ulid::Ulid;

use crate::JobSettings;

/// Storage of one job type, with heartbeats that let a dead worker's jobs come back within
/// about three heartbeats.
pub fn storage<Args>(pool: &PgPool, queue: &str, settings: &JobSettings) -> PostgresStorage<Args> {
    let config = Config::default()
        .queue(queue)
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
pub fn watched<Args>(
    storage: PostgresStorage<Args>,
    watch: Watch,
) -> PollWith<PostgresStorage<Args>, Strategy> {
    let listener = Pubsub::new(storage.pool().clone(), storage.config().queue.to_string());
    let strategy = Strategy::new().stream(listener).interval(watch.every());
    PollWith::new(storage, strategy)
}

/// Puts a job's next attempt off after a failure retrying may fix: apalis-postgres would take
/// the job again at once (its result query leaves `run_at` alone and ignores
/// `RetryAfterError`). Outside the timeout layer, so a timed-out run backs off too; aborted
/// jobs are not retried anyway.
#[derive(Debug, Clone)]
pub struct BackoffLayer {
    db: bangui_store::Database,
    base: Duration,
}

impl BackoffLayer {
    /// The second attempt `base` after the first failure, the third three times as long after.
    pub fn new(db: bangui_store::Database, base: Duration) -> Self {
        Self { db, base }
    }
}

impl<S> Layer<S> for BackoffLayer {
    type Service = Backoff<S>;

    fn layer(&self, inner: S) -> Backoff<S> {
        Backoff {
            inner,
            layer: self.clone(),
        }
    }
}

/// See [`BackoffLayer`].
#[derive(Debug, Clone)]
pub struct Backoff<S> {
    inner: S,
    layer: BackoffLayer,
}

impl<S, Args> Service<Task<Args>> for Backoff<S>
where
    S: Service<Task<Args>, Error = BoxDynError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = BoxDynError;
    type Future = Pin<Box<dyn Future<Output = Result<S::Response, BoxDynError>> + Send>>;

    fn poll_ready(&mut self, cx: &mut std::task::Context<'_>) -> Poll<Result<(), BoxDynError>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, task: Task<Args>) -> Self::Future {
        let id = task.ctx().task_id().map(ToString::to_string);
        let run = self.inner.call(task);
        let BackoffLayer { db, base } = self.layer.clone();
        Box::pin(async move {
            let outcome = run.await;
            let retryable = match &outcome {
                Err(e) if e.downcast_ref::<AbortError>().is_none() => Some(e.to_string()),
                _ => None,
            };
            if let (Some(error), Some(id)) = (retryable, id) {
                tracing::warn!(job = %id, %error, "job failed");
                if let Err(delay) = db.delay_retry(&id, base).await {
                    tracing::warn!(job = %id, error = %delay, "could not put off the retry");
                }
            }
            outcome
        })
    }
}

/// Why a job could not be enqueued.
#[derive(Debug, thiserror::Error)]
pub enum EnqueueError {
    #[error("job arguments: {0}")]
    Encode(#[from] serde_json::Error),
    #[error("job queue: {0}")]
    Queue(#[from] apalis_postgres::Error),
    #[error("{0:?} is not a job id")]
    BadId(String),
}

/// What became of an enqueue with an idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Enqueued {
    /// A new job with this id.
    New(String),
    /// A job with this key was already enqueued (by another worker's tick, or an earlier call).
    AlreadyThere,
}

/// A new job id (a ULID, as apalis uses).
pub fn new_job_id() -> String {
    Ulid::generate().to_string()
}

/// How long ago a job id was made (ULIDs carry their creation time); `None` for an id that is
/// not a ULID, or one from the future.
pub fn job_id_age(id: &str) -> Option<Duration> {
    let made = Ulid::from_string(id).ok()?.datetime();
    std::time::SystemTime::now().duration_since(made).ok()
}

/// Enqueues `args` on `queue` under the id `id` (see [`new_job_id`]). With a `key`, a second
/// enqueue with the same key (from any worker) enqueues nothing: the queue's unique index on
/// (job type, idempotency key) refuses it.
pub async fn enqueue<Args: Serialize>(
    pool: &PgPool,
    queue: &str,
    id: &str,
    args: &Args,
    key: Option<&str>,
    max_attempts: usize,
) -> Result<Enqueued, EnqueueError> {
    let id: Ulid = id.parse().map_err(|_| EnqueueError::BadId(id.to_owned()))?;
    let mut builder = TaskBuilder::new(serde_json::to_vec(args)?)
        .task_id(apalis::prelude::TaskId::from_ulid(id))
        .max_attempts(max_attempts);
    if let Some(key) = key {
        builder = builder.idempotency_key(key);
    }
    let mut conn = pool.acquire().await.map_err(apalis_postgres::Error::from)?;
    match apalis_postgres::queries::push_tasks(&mut *conn, queue, vec![builder.build()]).await {
        Ok(()) => Ok(Enqueued::New(id.to_string())),
        Err(e) if is_duplicate_key(&e) => Ok(Enqueued::AlreadyThere),
        Err(e) => Err(e.into()),
    }
}

fn is_duplicate_key(e: &apalis_postgres::Error) -> bool {
    let text = e.to_string();
    text.contains("idx_jobs_idempotency_key")
        || text.contains("23505")
        || text.contains("duplicate key")
}

/// A name for this process' workers, unique in the cluster (apalis tracks workers by name to
/// hand a dead one's jobs to others).
pub fn worker_name() -> String {
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
        assert!(job_id_age(&new_job_id()).unwrap() < Duration::from_secs(5));
        // 2020-01-01T00:00:00Z.
        let old = Ulid::from_parts(1_577_836_800_000, 7).to_string();
        assert!(job_id_age(&old).unwrap() > Duration::from_secs(86_400 * 365));
        assert_eq!(job_id_age("not-a-ulid"), None);
    }
}
