//! `bangui worker`: background job workers only.

use std::time::Duration;

use bangui_jobs::JobQueue;

use crate::config::WorkerArgs;
use crate::shutdown::Shutdown;

pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let redis = args.redis.connect()?;
    let db = args.store.connect()?;
    let queue = JobQueue::new(db.clone(), redis.clone());
    let runtime = args.fail2ban.runtime(redis, db, queue.clone())?;
    let settings = args
        .jobs
        .settings(Duration::from_secs(args.shutdown_timeout_seconds));
    let shutdown = Shutdown::listen();
    bangui_jobs::run(
        args.jobs.context(runtime, queue),
        settings,
        shutdown.requested(),
    )
    .await
}
