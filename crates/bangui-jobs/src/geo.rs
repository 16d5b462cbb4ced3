//! Geo resolution: countries of banned addresses, from the local country database into the
//! PostgreSQL cache. Addresses the database does not know (or all, while there is no database)
//! are kept unresolved; a re-resolve retries them.

use std::net::IpAddr;

use apalis::prelude::*;
use bangui_store::jobs::Progress;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::JobContext;

/// Resolve these addresses (newly banned ones), and those a blocklist source banned that have
/// no answer yet (an import names its source rather than carrying its addresses through the
/// queue).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct GeoResolve {
    #[serde(default)]
    pub ips: Vec<IpAddr>,
    #[serde(default)]
    pub members_of: Option<i64>,
}

impl GeoResolve {
    pub const QUEUE: &'static str = "geo-resolve";
    /// Addresses per job.
    pub const BATCH: usize = 10_000;
}

/// Enqueues the resolution of these addresses (in jobs of [`GeoResolve::BATCH`]).
pub async fn enqueue_resolution(pool: &sqlx::PgPool, ips: &[IpAddr]) {
    for batch in ips.chunks(GeoResolve::BATCH) {
        enqueue(
            pool,
            &GeoResolve {
                ips: batch.to_vec(),
                members_of: None,
            },
        )
        .await;
    }
}

/// Enqueues the resolution of what a blocklist source banned and is not cached yet.
pub async fn enqueue_members_resolution(pool: &sqlx::PgPool, source_id: i64) {
    enqueue(
        pool,
        &GeoResolve {
            ips: Vec::new(),
            members_of: Some(source_id),
        },
    )
    .await;
}

/// Best effort: a failure is logged, and the addresses get their country when they are banned
/// again.
async fn enqueue(pool: &sqlx::PgPool, args: &GeoResolve) {
    let id = crate::queue::new_job_id();
    if let Err(e) = crate::queue::enqueue(pool, GeoResolve::QUEUE, &id, args, None, 3).await {
        tracing::warn!(error = %e, "could not enqueue geo resolution");
    }
}

/// Retry every unresolved address.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GeoReResolve {}

impl GeoReResolve {
    pub const QUEUE: &'static str = "geo-re-resolve";
}

/// Looks the addresses up and stores the answers: `(resolved, unresolved)`.
pub async fn resolve(
    context: &JobContext,
    ips: &[IpAddr],
) -> Result<(usize, usize), bangui_store::StoreError> {
    let geo = context.runtime.geo();
    let source = if geo.available() { "mmdb" } else { "none" };
    let countries = geo.countries(ips);
    let resolved = countries.iter().filter(|c| c.is_some()).count();
    let answers: Vec<(IpAddr, Option<String>)> = ips.iter().copied().zip(countries).collect();
    for chunk in answers.chunks(GeoResolve::BATCH) {
        context.db.store_countries(chunk, source).await?;
    }
    Ok((resolved, ips.len() - resolved))
}

pub(crate) async fn run(job: GeoResolve, context: Data<JobContext>) -> Result<Value, BoxDynError> {
    let (mut resolved, mut unresolved) = resolve(&context, &job.ips).await?;
    if let Some(source) = job.members_of {
        let mut after = None;
        loop {
            let page = context
                .db
                .uncached_members(source, after, GeoResolve::BATCH as i64)
                .await?;
            let Some(last) = page.last().copied() else {
                break;
            };
            let (r, u) = resolve(&context, &page).await?;
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
    // The database may have been added or updated just now: that is why one re-resolves.
    context.runtime.geo().check_now();
    let total = u64::try_from(context.db.unresolved_count().await?).unwrap_or(0);
    let (mut done, mut resolved) = (0u64, 0usize);
    let mut after = None;
    loop {
        let page = context
            .db
            .unresolved_addresses(after, GeoResolve::BATCH as i64)
            .await?;
        let Some(last) = page.last().copied() else {
            break;
        };
        resolved += resolve(&context, &page).await?.0;
        done += page.len() as u64;
        after = Some(last);
        let _ = context
            .runtime
            .redis()
            .set_job_progress(
                &job_id,
                Progress {
                    done,
                    total: total.max(done),
                },
            )
            .await;
    }
    Ok(json!({ "retried": done, "resolved": resolved }))
}
