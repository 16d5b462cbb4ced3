//! Background jobs on a shared apalis queue in PostgreSQL.
//!
//! Every worker process runs every schedule. A schedule's tick does not do the work: it only
//! enqueues a job whose idempotency key is the job's name and the tick's time, so that N
//! workers ticking at the same second enqueue one job ([`queue::enqueue`]). The job then runs
//! on whichever worker takes it; a worker that dies stops sending heartbeats and its job is
//! handed to another one.
#![forbid(unsafe_code)]

pub mod blocklist;
pub mod fetch;
pub mod geo;
mod health_probe;
pub mod history;
pub mod import_schedule;
pub mod parse;
pub mod queue;
mod schedule;

use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::CronScheduler;
use bangui_runtime::Runtime;
use bangui_store::Database;
use queue::Watch;

pub use health_probe::HealthProbe;
pub use schedule::every;

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
    pub db: Database,
    /// Limits of blocklist downloads.
    pub fetch: fetch::FetchSettings,
    /// fail2ban's SQLite file; `None`: asked from fail2ban.
    pub fail2ban_db: Option<std::path::PathBuf>,
    /// Archived bans older than this many days are purged.
    pub history_retention_days: u32,
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
    backoff: queue::BackoffLayer,
}

/// Registers a schedule's worker: each tick of `$schedule` calls `$handler` with `$data`.
macro_rules! cron_worker {
    ($monitor:expr, $workers:expr, $kind:literal, $schedule:expr, $data:expr, $handler:path) => {{
        let (name, schedule, data) = ($workers.name.clone(), $schedule.clone(), $data.clone());
        $monitor.register(move |_| {
            WorkerBuilder::new(format!("{name}-{}", $kind))
                .backend(CronScheduler::new(schedule.clone()))
                .data(data.clone())
                .build($handler)
        })
    }};
}

/// Registers the worker of one queue: notified and polled (`$watch`), each run bounded by
/// `$timeout`, failed runs retried later ([`queue::BackoffLayer`], outside the timeout).
macro_rules! queue_worker {
    ($monitor:expr, $workers:expr, $storage:expr, $watch:expr, $timeout:expr, $handler:path) => {{
        let (workers, storage, timeout) = ($workers.clone(), $storage.clone(), $timeout);
        $monitor.register(move |_| {
            WorkerBuilder::new(format!("{}-{}", workers.name, storage.config().queue))
                .backend(queue::watched(storage.clone(), $watch))
                .layer(workers.backoff.clone())
                .timeout(timeout)
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
    let pool = context.db.pool().clone();
    let name = queue::worker_name();
    let probe = queue::storage::<HealthProbe>(&pool, HealthProbe::QUEUE, &settings);
    let probe_schedule = every(settings.health_probe_every)?;
    let imports = queue::storage::<blocklist::BlocklistImport>(
        &pool,
        blocklist::BlocklistImport::QUEUE,
        &settings,
    );
    let minutes = every(Duration::from_secs(60))?;
    let history_sync =
        queue::storage::<history::HistorySync>(&pool, history::HistorySync::QUEUE, &settings);
    let history_purge =
        queue::storage::<history::HistoryPurge>(&pool, history::HistoryPurge::QUEUE, &settings);
    let sync_schedule = every(settings.history_sync_every)?;
    let daily = every(Duration::from_secs(86_400))?;
    let geo_resolve = queue::storage::<geo::GeoResolve>(&pool, geo::GeoResolve::QUEUE, &settings);
    let geo_re_resolve =
        queue::storage::<geo::GeoReResolve>(&pool, geo::GeoReResolve::QUEUE, &settings);

    let workers = Workers {
        name: name.clone(),
        backoff: queue::BackoffLayer::new(context.db.clone(), settings.retry_after),
        context,
    };
    let monitor = Monitor::new();
    let monitor = cron_worker!(
        monitor,
        workers,
        "health-probe-tick",
        probe_schedule,
        probe,
        health_probe::tick
    );
    let monitor = queue_worker!(
        monitor,
        workers,
        probe,
        Watch::Loosely,
        settings.health_probe_every.max(Duration::from_secs(5)),
        health_probe::run
    );
    let monitor = cron_worker!(
        monitor,
        workers,
        "blocklist-schedule",
        minutes,
        workers.context,
        import_schedule::tick
    );
    // Big lists take minutes against a firewall; a hung run must end.
    let monitor = queue_worker!(
        monitor,
        workers,
        imports,
        Watch::Closely,
        Duration::from_secs(3600),
        blocklist::run
    );
    let monitor = queue_worker!(
        monitor,
        workers,
        geo_resolve,
        Watch::Loosely,
        Duration::from_secs(600),
        geo::run
    );
    let monitor = queue_worker!(
        monitor,
        workers,
        geo_re_resolve,
        Watch::Closely,
        Duration::from_secs(3600),
        geo::run_re_resolve
    );
    let monitor = cron_worker!(
        monitor,
        workers,
        "history-sync-tick",
        sync_schedule,
        workers.context,
        history::tick_sync
    );
    let monitor = cron_worker!(
        monitor,
        workers,
        "history-purge-tick",
        daily,
        workers.context,
        history::tick_purge
    );
    let monitor = queue_worker!(
        monitor,
        workers,
        history_sync,
        Watch::Closely,
        Duration::from_secs(600),
        history::run_sync
    );
    let monitor = queue_worker!(
        monitor,
        workers,
        history_purge,
        Watch::Loosely,
        Duration::from_secs(600),
        history::run_purge
    )
    .shutdown_timeout(settings.shutdown_timeout);
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
