//! `bangui worker`: background job workers only.

use std::time::Duration;

use anyhow::Context;
use bangui_jobs::JobQueue;

use crate::config::WorkerArgs;
use crate::shutdown::Shutdown;

pub async fn run(args: WorkerArgs) -> anyhow::Result<()> {
    let redis = args.redis.connect()?;
    let db = args.store.connect()?;
    let queue = JobQueue::new(db.clone(), redis.clone());
    let runtime = args
        .fail2ban
        .runtime(redis.clone(), db.clone(), queue.clone())?;
    let settings = args
        .jobs
        .settings(Duration::from_secs(args.shutdown_timeout_seconds));
    let shutdown = Shutdown::listen();
    let metrics = crate::telemetry::install_metrics()?;
    let metrics_server = match args.metrics_listen {
        Some(addr) => {
            let listener = tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("BANGUI_METRICS_LISTEN: listening on {addr}"))?;
            tracing::info!(metrics_listen = %listener.local_addr()?, "serving metrics");
            let scrape = bangui_http::routes::metrics::Scrape {
                handle: metrics,
                redis,
                db,
                app: None,
            };
            Some(tokio::spawn(bangui_http::serve_metrics(
                listener,
                scrape,
                shutdown.clone().requested(),
            )))
        }
        None => None,
    };
    bangui_jobs::run(
        args.jobs.context(runtime, queue),
        settings,
        shutdown.requested(),
    )
    .await?;
    if let Some(server) = metrics_server {
        server.await.context("metrics listener")??;
    }
    Ok(())
}
