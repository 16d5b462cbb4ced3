//! The health probe: refreshes the shared fail2ban status (and with it the capability flags),
//! announcing online/offline changes, on a fixed cadence whatever the request rate.

use apalis::prelude::*;
use apalis_cron::Tick;
use apalis_postgres::PostgresStorage;
use serde::{Deserialize, Serialize};

use crate::JobContext;
use crate::queue::{self, Enqueued};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HealthProbe {
    /// The tick (Unix seconds) this run belongs to.
    pub tick: u64,
}

impl HealthProbe {
    pub const QUEUE: &'static str = "health-probe";
}

/// Every worker's tick: enqueue the probe of this tick, once across the cluster.
pub(crate) async fn tick(
    tick: Tick,
    storage: Data<PostgresStorage<HealthProbe>>,
) -> Result<(), BoxDynError> {
    let at = tick.get_timestamp();
    let key = format!("{}:{at}", HealthProbe::QUEUE);
    let id = queue::new_job_id();
    let outcome = queue::enqueue(
        storage.pool(),
        HealthProbe::QUEUE,
        &id,
        &HealthProbe { tick: at },
        Some(&key),
        1,
    )
    .await?;
    if let Enqueued::New(id) = outcome {
        tracing::debug!(%id, tick = at, "health probe enqueued");
    }
    Ok(())
}

pub(crate) async fn run(job: HealthProbe, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let snapshot = context.runtime.refresh_status().await?;
    tracing::debug!(tick = job.tick, online = snapshot.online, "health probe");
    Ok(())
}
