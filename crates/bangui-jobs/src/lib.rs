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

    let backoff = queue::BackoffLayer::new(context.db.clone(), settings.retry_after);
    let monitor = Monitor::new()
        .register({
            let (probe, name) = (probe.clone(), name.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-health-probe-tick"))
                    .backend(CronScheduler::new(probe_schedule.clone()))
                    .data(probe.clone())
                    .build(health_probe::tick)
            }
        })
        .register({
            let (context, name, timeout) =
                (context.clone(), name.clone(), settings.health_probe_every);
            move |_| {
                WorkerBuilder::new(format!("{name}-health-probe"))
                    .backend(queue::watched(probe.clone(), Watch::Loosely))
                    .timeout(timeout.max(Duration::from_secs(5)))
                    .data(context.clone())
                    .build(health_probe::run)
            }
        })
        .register({
            let (context, name) = (context.clone(), name.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-blocklist-schedule"))
                    .backend(CronScheduler::new(minutes.clone()))
                    .data(context.clone())
                    .build(import_schedule::tick)
            }
        })
        .register({
            let (context, name, backoff) = (context.clone(), name.clone(), backoff.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-blocklist-import"))
                    .backend(queue::watched(imports.clone(), Watch::Closely))
                    .layer(backoff.clone())
                    // Big lists take minutes against a firewall; a hung run must end.
                    .timeout(Duration::from_secs(3600))
                    .data(context.clone())
                    .build(blocklist::run)
            }
        })
        .register({
            let (context, name, backoff) = (context.clone(), name.clone(), backoff.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-geo-resolve"))
                    .backend(queue::watched(geo_resolve.clone(), Watch::Loosely))
                    .layer(backoff.clone())
                    .timeout(Duration::from_secs(600))
                    .data(context.clone())
                    .build(geo::run)
            }
        })
        .register({
            let (context, name, backoff) = (context.clone(), name.clone(), backoff.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-geo-re-resolve"))
                    .backend(queue::watched(geo_re_resolve.clone(), Watch::Closely))
                    .layer(backoff.clone())
                    .timeout(Duration::from_secs(3600))
                    .data(context.clone())
                    .build(geo::run_re_resolve)
            }
        })
        .register({
            let (context, name) = (context.clone(), name.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-history-sync-tick"))
                    .backend(CronScheduler::new(sync_schedule.clone()))
                    .data(context.clone())
                    .build(history::tick_sync)
            }
        })
        .register({
            let (context, name) = (context.clone(), name.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-history-purge-tick"))
                    .backend(CronScheduler::new(daily.clone()))
                    .data(context.clone())
                    .build(history::tick_purge)
            }
        })
        .register({
            let (context, name, backoff) = (context.clone(), name.clone(), backoff.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-history-sync"))
                    .backend(queue::watched(history_sync.clone(), Watch::Closely))
                    .layer(backoff.clone())
                    .timeout(Duration::from_secs(600))
                    .data(context.clone())
                    .build(history::run_sync)
            }
        })
        .register({
            let (context, name, backoff) = (context.clone(), name.clone(), backoff.clone());
            move |_| {
                WorkerBuilder::new(format!("{name}-history-purge"))
                    .backend(queue::watched(history_purge.clone(), Watch::Loosely))
                    .layer(backoff.clone())
                    .timeout(Duration::from_secs(600))
                    .data(context.clone())
                    .build(history::run_purge)
            }
        })
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
