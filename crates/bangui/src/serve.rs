//! `bangui serve`: one stateless HTTP worker.

use std::time::Duration;

use anyhow::Context;
use bangui_fail2ban::Client;
use bangui_http::AppState;
use bangui_store::RedisStore;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::config::ServeArgs;
use crate::shutdown::Shutdown;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let settings = args.http_settings()?;
    let store_timeout = Duration::from_secs(args.store_timeout_seconds);
    let redis = RedisStore::new(&args.redis_url, &args.redis_prefix, store_timeout)
        .context("BANGUI_REDIS_URL")?;
    let db = crate::migrate::connect(&args.store)?;
    if args.migrate {
        db.migrate()
            .await
            .context("applying migrations (BANGUI_MIGRATE_ON_START)")?;
    }
    // A user request never waits long for fail2ban: status comes from the shared snapshot.
    let fail2ban = Client::builder(&args.fail2ban_socket)
        .timeout(Duration::from_secs(5))
        .down_grace(Duration::from_millis(500))
        .build();
    let metrics = install_metrics()?;
    let runtime = bangui_runtime::Runtime::new(redis.clone(), fail2ban, args.runtime_settings());
    let state = AppState::new(redis, db, runtime, settings, Some(metrics));

    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    let local = listener.local_addr()?;
    tracing::info!(
        listen = %local,
        redis_prefix = %args.redis_prefix,
        fail2ban_socket = %args.fail2ban_socket.display(),
        version = env!("CARGO_PKG_VERSION"),
        "bangui serving"
    );

    let shutdown = Shutdown::listen();
    let server = bangui_http::serve(listener, state, shutdown.clone().requested());
    tokio::pin!(server);
    let grace = Duration::from_secs(args.shutdown_timeout_seconds);
    tokio::select! {
        result = &mut server => result.context("serving HTTP")?,
        () = async { shutdown.requested().await; tokio::time::sleep(grace).await } => {
            tracing::warn!(?grace, "in-flight requests did not finish in time; exiting anyway");
        }
    }
    tracing::info!("stopped");
    Ok(())
}

/// The process-wide Prometheus recorder, with histogram buckets for every `*_duration_seconds`.
fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    const BUCKETS: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ];
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)?
        .install_recorder()
        .context("installing the metrics recorder")
}
