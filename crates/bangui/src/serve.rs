//! `bangui serve`: one stateless HTTP worker, optionally with job workers beside it.

use std::time::Duration;

use anyhow::Context;
use bangui_http::AppState;
use bangui_jobs::JobQueue;

use crate::config::ServeArgs;
use crate::shutdown::Shutdown;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.http_settings()?;
    let redis = args.redis.connect()?;
    let db = args.store.connect()?;
    if args.migrate {
        crate::migrate::apply_all(&db)
            .await
            .context("BANGUI_MIGRATE_ON_START")?;
    }
    let queue = JobQueue::new(db.clone(), redis.clone());
    let runtime = args
        .fail2ban
        .runtime(redis.clone(), db.clone(), queue.clone())?;
    let metrics = crate::telemetry::install_metrics()?;
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let metrics_listener = match args.metrics_listen {
        Some(addr) => Some(
            tokio::net::TcpListener::bind(addr)
                .await
                .with_context(|| format!("BANGUI_METRICS_LISTEN: listening on {addr}"))?,
        ),
        None => None,
    };
    // With a listener of their own, the metrics are not served on the main one.
    let state_metrics = metrics_listener.is_none().then(|| metrics.clone());
    let state = AppState::new(
        redis.clone(),
        db.clone(),
        runtime.clone(),
        queue.clone(),
        settings,
        state_metrics,
    );
    tracing::info!(
        listen = %listener.local_addr()?,
        metrics_listen = ?metrics_listener.as_ref().and_then(|l| l.local_addr().ok()),
        redis_prefix = %args.redis.redis_prefix,
        fail2ban_socket = %args.fail2ban.fail2ban_socket.display(),
        jobs = args.jobs,
        version = env!("CARGO_PKG_VERSION"),
        "bangui serving"
    );

    let shutdown = Shutdown::listen();
    let grace = Duration::from_secs(args.shutdown_timeout_seconds);
    let delay = Duration::from_secs(args.shutdown_delay_seconds);
    // On SIGTERM: not ready at once, serving on while load balancers notice, then draining.
    let draining = {
        let (state, shutdown) = (state.clone(), shutdown.clone());
        async move {
            shutdown.requested().await;
            state.start_draining();
            tracing::info!(?delay, "not ready; serving on before draining");
            tokio::time::sleep(delay).await;
            tracing::info!("draining: finishing in-flight requests");
        }
    };
    tokio::spawn(
        runtime
            .clone()
            .follow_archive_changes(shutdown.clone().requested()),
    );
    let jobs = args.jobs.then(|| {
        let context = args.job_args.context(runtime, queue);
        tokio::spawn(bangui_jobs::run(
            context,
            args.job_args.settings(grace),
            shutdown.clone().requested(),
        ))
    });
    let metrics_server = metrics_listener.map(|listener| {
        let scrape = bangui_http::routes::metrics::Scrape {
            handle: metrics,
            redis,
            db,
            app: Some(state.clone()),
        };
        tokio::spawn(bangui_http::serve_metrics(
            listener,
            scrape,
            shutdown.clone().requested(),
        ))
    });
    let server = bangui_http::serve(listener, state, draining);
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => result.context("serving HTTP")?,
        () = async { shutdown.clone().requested().await; tokio::time::sleep(delay + grace).await } => {
            tracing::warn!(?grace, "in-flight requests did not finish in time; exiting anyway");
        }
    }
    if let Some(metrics_server) = metrics_server {
        metrics_server.await.context("metrics listener")??;
    }
    if let Some(jobs) = jobs {
        jobs.await.context("job workers")??;
    }
    tracing::info!("stopped");
    Ok(())
}
