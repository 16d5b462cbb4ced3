//! The job metrics: what this process's workers ran (counters and run times, per kind), and the
//! queue of the whole cluster (depth, oldest waiting, last success per kind), read from
//! PostgreSQL at most every [`QUEUE_STATS_MAX_AGE`] by one worker and shared through Redis.

use std::time::Duration;

use bangui_store::jobs::QueueStats;
use bangui_store::{Database, RedisStore, StoreError, now_ms};

/// How old the shared queue statistics may be before a scrape refreshes them.
pub const QUEUE_STATS_MAX_AGE: Duration = Duration::from_secs(10);

use crate::Job;

/// Every kind of job, so that each has its series from the start (zero, not absent).
pub const KINDS: [&str; 6] = [
    <crate::blocklist::BlocklistImport as Job>::QUEUE,
    <crate::geo::GeoResolve as Job>::QUEUE,
    <crate::geo::GeoReResolve as Job>::QUEUE,
    <crate::history::HistorySync as Job>::QUEUE,
    <crate::history::HistoryPurge as Job>::QUEUE,
    <crate::HealthProbe as Job>::QUEUE,
];

/// Describes the job metrics (HELP and unit) to the installed recorder.
pub fn describe() {
    metrics::describe_counter!(
        "bangui_jobs_enqueued_total",
        "Jobs this process put in the queue, by kind"
    );
    metrics::describe_counter!(
        "bangui_jobs_started_total",
        "Job runs this process started (every attempt), by kind"
    );
    metrics::describe_counter!(
        "bangui_jobs_succeeded_total",
        "Job runs this process finished well, by kind"
    );
    metrics::describe_counter!(
        "bangui_jobs_failed_total",
        "Job runs this process finished with an error (a retry may follow), by kind"
    );
    metrics::describe_counter!(
        "bangui_jobs_retried_total",
        "Job runs this process started that were a retry of a failed one, by kind"
    );
    metrics::describe_histogram!(
        "bangui_job_duration_seconds",
        metrics::Unit::Seconds,
        "Time of one job run on this process, by kind and outcome"
    );
    metrics::describe_gauge!(
        "bangui_job_queue_depth",
        "Jobs waiting in the cluster's queue, by kind (the same on every worker)"
    );
    metrics::describe_gauge!(
        "bangui_job_queue_oldest_age_seconds",
        metrics::Unit::Seconds,
        "How long the longest-waiting due job of a kind has waited, 0 when none waits"
    );
    metrics::describe_gauge!(
        "bangui_job_last_success_timestamp_seconds",
        metrics::Unit::Seconds,
        "When a job of a kind last succeeded anywhere in the cluster (Unix time; 0: never)"
    );
    metrics::describe_gauge!(
        "bangui_job_queue_stats_age_seconds",
        metrics::Unit::Seconds,
        "Age of the shared queue statistics the bangui_job_queue_* gauges come from"
    );
    for kind in KINDS {
        for name in [
            "bangui_jobs_enqueued_total",
            "bangui_jobs_started_total",
            "bangui_jobs_succeeded_total",
            "bangui_jobs_failed_total",
            "bangui_jobs_retried_total",
        ] {
            metrics::counter!(name, "kind" => kind).absolute(0);
        }
    }
}

/// Sets the queue gauges from the shared statistics, refreshing them first when they are older
/// than [`QUEUE_STATS_MAX_AGE`] and no other worker is refreshing them.
pub async fn record_queue(db: &Database, redis: &RedisStore) -> Result<(), StoreError> {
    let now = now_ms();
    let mut stats = redis.queue_stats().await?;
    let stale = stats
        .as_ref()
        .is_none_or(|s| now - s.taken_at_ms > QUEUE_STATS_MAX_AGE.as_millis() as i64);
    if stale
        && let Some(lock) = redis
            .try_lock("queue-stats", Duration::from_secs(10))
            .await?
    {
        let taken_at_ms = now_ms();
        let kinds = db.queue_stats().await;
        let _ = redis.unlock(lock).await;
        let fresh = QueueStats {
            taken_at_ms,
            kinds: kinds?,
        };
        redis.put_queue_stats(&fresh).await?;
        stats = Some(fresh);
    }
    let Some(stats) = stats else {
        return Ok(());
    };
    let now_secs = now_ms() as f64 / 1000.0;
    metrics::gauge!("bangui_job_queue_stats_age_seconds")
        .set(((now_ms() - stats.taken_at_ms).max(0) as f64) / 1000.0);
    for kind in KINDS {
        let found = stats.kinds.iter().find(|k| k.job_type == kind);
        metrics::gauge!("bangui_job_queue_depth", "kind" => kind)
            .set(found.map_or(0.0, |k| k.queued as f64));
        metrics::gauge!("bangui_job_queue_oldest_age_seconds", "kind" => kind).set(
            found
                .and_then(|k| k.oldest_due_at)
                .map_or(0.0, |due| (now_secs - due).max(0.0)),
        );
        metrics::gauge!("bangui_job_last_success_timestamp_seconds", "kind" => kind)
            .set(found.and_then(|k| k.last_success_at).unwrap_or(0.0));
    }
    Ok(())
}
