//! Background jobs on a shared apalis queue in PostgreSQL.
//!
//! A job is a [`Job`]: its arguments, its queue and how the queue treats it. Anyone enqueues
//! through a [`JobQueue`] (the HTTP API starts jobs and reads their state with it); the workers
//! of this crate run them ([`run`]), each run in its own span (job id, kind, attempt), calling
//! the runtime's operations as HTTP handlers do.
//!
//! Every worker process runs every schedule. A schedule's tick does not do the work: it only
//! enqueues a job whose idempotency key is the job's name and the tick's time, so that N
//! workers ticking at the same second enqueue one job. The job then runs on whichever worker
//! takes it; a worker that dies stops sending heartbeats and its job is handed to another one.
#![forbid(unsafe_code)]

pub mod blocklist;
pub mod geo;
mod health_probe;
pub mod history;
mod layer;
pub mod metrics;
mod queue;
mod schedule;

use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::CronScheduler;
use bangui_blocklist::FetchSettings;
use bangui_runtime::Runtime;
use bangui_store::Database;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use health_probe::HealthProbe;
pub use queue::{EnqueueError, Enqueued, JobQueue, JobState, JobView, Started, Watch};
pub use schedule::every;

/// A kind of background job: its arguments (the type itself, stored as JSON in the queue) and
/// how the queue treats it.
///
/// Retry policy: a run that fails for a reason retrying may fix runs again after
/// [`JobSettings::retry_after`], the next time three times as long after, up to
/// [`ATTEMPTS`](Job::ATTEMPTS) runs in all; a run that ends in `AbortError` (a failure retrying
/// cannot fix) or exceeds [`TIMEOUT`](Job::TIMEOUT) is not retried beyond that either.
pub trait Job: Serialize + DeserializeOwned + Send + Sync + Unpin + 'static {
    /// The queue, which also names the kind of job in the API (`blocklist-import`, …).
    const QUEUE: &'static str;
    /// Runs in all, the first included.
    const ATTEMPTS: usize = 3;
    /// Longest a run may take; then it fails (and may be retried).
    const TIMEOUT: Duration;
    /// How closely workers watch the queue.
    const WATCH: Watch = Watch::Loosely;
}

/// How often scheduled jobs run, and how jobs are supervised.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Health probe: refreshes the shared fail2ban status.
    pub health_probe_every: Duration,
    /// History archive: how often fail2ban's database is copied.
    pub history_sync_every: Duration,
    /// A worker that missed heartbeats for this long is dead; its running jobs go to others.
    pub heartbeat: Duration,
    /// Jobs still running this long after SIGTERM are abandoned (and re-run elsewhere).
    pub shutdown_timeout: Duration,
    /// A job that failed for a reason retrying may fix runs again after this, then three times
    /// as long.
    pub retry_after: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            health_probe_every: Duration::from_secs(10),
            history_sync_every: Duration::from_secs(300),
            heartbeat: Duration::from_secs(10),
            shutdown_timeout: Duration::from_secs(25),
            retry_after: Duration::from_secs(10),
        }
    }
}

/// What jobs work with. Cheap to clone.
#[derive(Debug, Clone)]
pub struct JobContext {
    pub runtime: Runtime,
    /// Where jobs enqueue the jobs that follow them.
    pub queue: JobQueue,
    /// Limits of blocklist downloads.
    pub fetch: FetchSettings,
    /// Archived bans older than this many days are purged.
    pub history_retention_days: u32,
}

impl JobContext {
    fn db(&self) -> &Database {
        self.runtime.db()
    }
}

/// Applies the queue's own migrations (schema `apalis`; needs the `hstore` extension).
pub async fn setup(db: &Database) -> anyhow::Result<()> {
    apalis_postgres::PostgresStorage::<()>::setup(db.pool()).await?;
    Ok(())
}

/// What every worker of this process shares.
#[derive(Clone)]
struct Workers {
    /// This process' worker name, unique in the cluster.
    name: String,
    context: JobContext,
    settings: JobSettings,
}

/// Registers a schedule's worker: each tick of `$schedule` calls `$handler` with the context.
macro_rules! cron_worker {
    ($monitor:expr, $workers:expr, $kind:literal, $schedule:expr, $handler:path) => {{
        let (name, schedule, context) = (
            $workers.name.clone(),
            $schedule.clone(),
            $workers.context.clone(),
        );
        $monitor.register(move |_| {
            WorkerBuilder::new(format!("{name}-{}", $kind))
                .backend(CronScheduler::new(schedule.clone()))
                .data(context.clone())
                .build($handler)
        })
    }};
}

/// Registers the worker of job type `$job`: notified and polled as its [`Job::WATCH`] says,
/// each run in a span and bounded by [`Job::TIMEOUT`], failed runs retried later (the layer is
/// outside the timeout, so a timed-out run backs off too).
macro_rules! queue_worker {
    ($monitor:expr, $workers:expr, $job:ty, $handler:path) => {{
        let workers = $workers.clone();
        let pool = workers.context.db().pool().clone();
        $monitor.register(move |_| {
            let storage = queue::storage::<$job>(&pool, &workers.settings);
            WorkerBuilder::new(format!("{}-{}", workers.name, <$job as Job>::QUEUE))
                .backend(queue::watched(storage, <$job as Job>::WATCH))
                .layer(layer::JobLayer::new(
                    <$job as Job>::QUEUE,
                    workers.context.db().clone(),
                    workers.settings.retry_after,
                ))
                .timeout(<$job as Job>::TIMEOUT)
                .data(workers.context.clone())
                .build($handler)
        })
    }};
}

/// Runs this process' job workers and schedules until `shutdown` resolves, then lets running
/// jobs finish (up to [`JobSettings::shutdown_timeout`]).
pub async fn run(
    context: JobContext,
    settings: JobSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let name = queue::worker_name();
    let probes = every(settings.health_probe_every)?;
    let minutes = every(Duration::from_secs(60))?;
    let syncs = every(settings.history_sync_every)?;
    let days = every(Duration::from_secs(86_400))?;
    let shutdown_timeout = settings.shutdown_timeout;
    let workers = Workers {
        name: name.clone(),
        context,
        settings,
    };
    let monitor = Monitor::new();
    let monitor = cron_worker!(
        monitor,
        workers,
        "health-probe-tick",
        probes,
        health_probe::tick
    );
    let monitor = queue_worker!(monitor, workers, HealthProbe, health_probe::run);
    let monitor = cron_worker!(
        monitor,
        workers,
        "blocklist-schedule",
        minutes,
        blocklist::tick
    );
    let monitor = queue_worker!(monitor, workers, blocklist::BlocklistImport, blocklist::run);
    let monitor = queue_worker!(monitor, workers, geo::GeoResolve, geo::run);
    let monitor = queue_worker!(monitor, workers, geo::GeoReResolve, geo::run_re_resolve);
    let monitor = cron_worker!(
        monitor,
        workers,
        "history-sync-tick",
        syncs,
        history::tick_sync
    );
    let monitor = cron_worker!(
        monitor,
        workers,
        "history-purge-tick",
        days,
        history::tick_purge
    );
    let monitor = queue_worker!(monitor, workers, history::HistorySync, history::run_sync);
    let monitor = queue_worker!(monitor, workers, history::HistoryPurge, history::run_purge)
        .shutdown_timeout(shutdown_timeout);
    tracing::info!(worker = %name, "job workers running");
    monitor
        .run_with_signal(async move {
            shutdown.await;
            Ok(())
        })
        .await?;
    tracing::info!("job workers stopped");
    Ok(())
}
