//! Geo resolution: countries of banned addresses, from the local country database into the
//! PostgreSQL cache. Addresses the database does not know (or all, while there is no database)
//! are kept unresolved; a re-resolve retries them.

use std::pin::Pin;
use std::time::Duration;

use apalis::prelude::*;
use bangui_core::Network;
use bangui_runtime::{Countries, Followups};
use bangui_store::jobs::Progress;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Job, JobContext, JobQueue, Watch};

/// Resolve these addresses (newly banned ones), and those a blocklist source banned that have
/// no answer yet (an import names its source rather than carrying its addresses through the
/// queue).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GeoResolve {
    #[serde(default)]
    pub ips: Vec<Network>,
    #[serde(default)]
    pub members_of: Option<i64>,
}

impl Job for GeoResolve {
    const QUEUE: &'static str = "geo-resolve";
    const TIMEOUT: Duration = Duration::from_secs(600);
}

impl GeoResolve {
    /// Addresses per job, and per page of a source's members.
    pub const BATCH: usize = 10_000;
}

/// Retry every unresolved address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeoReResolve {}

impl Job for GeoReResolve {
    const QUEUE: &'static str = "geo-re-resolve";
    const TIMEOUT: Duration = Duration::from_secs(3600);
    const WATCH: Watch = Watch::Closely;
}

impl Followups for JobQueue {
    /// In jobs of [`GeoResolve::BATCH`] addresses.
    fn resolve_countries(&self, what: Countries) -> Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move {
            let jobs: Vec<GeoResolve> = match what {
                Countries::Of(ips) => ips
                    .chunks(GeoResolve::BATCH)
                    .map(|batch| GeoResolve {
                        ips: batch.to_vec(),
                        members_of: None,
                    })
                    .collect(),
                Countries::MembersOf(source) => vec![GeoResolve {
                    ips: Vec::new(),
                    members_of: Some(source),
                }],
            };
            for job in jobs {
                if let Err(e) = self.push(&job).await {
                    tracing::warn!(error = %e, "could not enqueue geo resolution");
                }
            }
        })
    }
}

pub(crate) async fn run(job: GeoResolve, context: Data<JobContext>) -> Result<Value, BoxDynError> {
    let runtime = &context.runtime;
    let (mut resolved, mut unresolved) = runtime.resolve_countries(&job.ips).await?;
    if let Some(source) = job.members_of {
        let mut after = None;
        loop {
            let page = context
                .db()
                .uncached_members(source, after, GeoResolve::BATCH as i64)
                .await?;
            let Some(last) = page.last().copied() else {
                break;
            };
            let (r, u) = runtime.resolve_countries(&page).await?;
            (resolved, unresolved) = (resolved + r, unresolved + u);
            after = Some(last);
        }
    }
    Ok(json!({ "resolved": resolved, "unresolved": unresolved }))
}

pub(crate) async fn run_re_resolve(
    _: GeoReResolve,
    context: Data<JobContext>,
    id: TaskId,
) -> Result<Value, BoxDynError> {
    let job_id = id.to_string();
    let (runtime, db) = (&context.runtime, context.db());
    // The database may have been added or updated just now: that is why one re-resolves.
    runtime.geo().check_now();
    let total = u64::try_from(db.unresolved_count().await?).unwrap_or(0);
    let (mut done, mut resolved) = (0u64, 0usize);
    let mut after = None;
    loop {
        let page = db
            .unresolved_addresses(after, GeoResolve::BATCH as i64)
            .await?;
        let Some(last) = page.last().copied() else {
            break;
        };
        resolved += runtime.resolve_countries(&page).await?.0;
        done += page.len() as u64;
        after = Some(last);
        let progress = Progress {
            done,
            total: total.max(done),
        };
        let _ = runtime.redis().set_job_progress(&job_id, progress).await;
    }
    Ok(json!({ "retried": done, "resolved": resolved }))
}
