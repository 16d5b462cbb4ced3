//! The history archive's jobs: copying fail2ban's new bans (the runtime's
//! [`sync_archive`](bangui_runtime::Runtime::sync_archive)) and purging old ones.

use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::Tick;
use bangui_runtime::ArchiveError;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::queue::Enqueued;
use crate::{Job, JobContext, Watch};

/// Copy new rows of fail2ban's database into the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistorySync {}

impl Job for HistorySync {
    const QUEUE: &'static str = "history-sync";
    const TIMEOUT: Duration = Duration::from_secs(600);
    const WATCH: Watch = Watch::Closely;
}

/// Delete archived bans older than the retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryPurge {
    pub retention_days: u32,
}

impl Job for HistoryPurge {
    const QUEUE: &'static str = "history-purge";
    const TIMEOUT: Duration = Duration::from_secs(600);
}

/// Every worker's tick: enqueue this tick's sync, once across the cluster.
pub(crate) async fn tick_sync(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let key = format!("{}:{}", HistorySync::QUEUE, tick.get_timestamp());
    if let Enqueued::New(id) = context.queue.push_once(&HistorySync {}, &key).await? {
        tracing::debug!(%id, "history sync enqueued");
    }
    Ok(())
}

pub(crate) async fn tick_purge(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let key = format!("{}:{}", HistoryPurge::QUEUE, tick.get_timestamp());
    let job = HistoryPurge {
        retention_days: context.history_retention_days,
    };
    context.queue.push_once(&job, &key).await?;
    Ok(())
}

pub(crate) async fn run_sync(
    _: HistorySync,
    context: Data<JobContext>,
) -> Result<Value, BoxDynError> {
    match context.runtime.sync_archive().await {
        Ok(n) => Ok(json!({ "archived": n })),
        // Nothing to archive from; not worth retrying.
        Err(ArchiveError::NoDatabase) => Err(AbortError::new(ArchiveError::NoDatabase).into()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn run_purge(
    job: HistoryPurge,
    context: Data<JobContext>,
) -> Result<Value, BoxDynError> {
    let before = Utc::now() - chrono::Duration::days(i64::from(job.retention_days));
    let purged = context.db().purge_history(before).await?;
    if purged > 0 {
        context.runtime.archive_changed().await;
    }
    Ok(json!({ "purged": purged }))
}
