//! The health probe: refreshes the shared fail2ban status (and with it the capability flags),
//! announcing online/offline changes, on a fixed cadence whatever the request rate; and rolls
//! back an activation whose worker died halfway.

use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::Tick;
use serde::{Deserialize, Serialize};

use crate::queue::Enqueued;
use crate::{Job, JobContext};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthProbe {
    /// The tick (Unix seconds) this run belongs to.
    pub tick: u64,
}

impl Job for HealthProbe {
    const QUEUE: &'static str = "health-probe";
    /// The next tick probes again: a failed probe is not retried.
    const ATTEMPTS: usize = 1;
    /// Longer than a status refresh can take (fail2ban's own timeout is 5 s).
    const TIMEOUT: Duration = Duration::from_secs(10);
}

/// Every worker's tick: enqueue the probe of this tick, once across the cluster.
pub(crate) async fn tick(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let at = tick.get_timestamp();
    let key = format!("{}:{at}", HealthProbe::QUEUE);
    if let Enqueued::New(id) = context
        .queue
        .push_once(&HealthProbe { tick: at }, &key)
        .await?
    {
        tracing::debug!(%id, tick = at, "health probe enqueued");
    }
    Ok(())
}

pub(crate) async fn run(job: HealthProbe, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let snapshot = context.runtime.refresh_status().await?;
    tracing::debug!(tick = job.tick, online = snapshot.online, "health probe");
    // An activation whose worker died halfway is rolled back here.
    if let Err(e) = context.runtime.complete_pending_activation().await {
        tracing::warn!(error = %e, "cannot complete a pending activation yet");
    }
    Ok(())
}
