//! The process-wide Prometheus recorder every `bangui serve` and `bangui worker` installs, with
//! the HELP text of every metric and `bangui_build_info`.

use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Installs the recorder (histogram buckets for every `*_duration_seconds`) and describes
/// every metric bangui records.
pub fn install_metrics() -> anyhow::Result<PrometheusHandle> {
    const BUCKETS: &[f64] = &[
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
        60.0, 300.0,
    ];
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)?
        .install_recorder()
        .context("installing the metrics recorder")?;
    bangui_http::describe_metrics();
    bangui_store::describe_metrics();
    bangui_fail2ban::describe_metrics();
    bangui_jobs::metrics::describe();
    metrics::describe_gauge!(
        "bangui_build_info",
        "Always 1: the version of bangui this process runs, and the target it was built for"
    );
    metrics::gauge!(
        "bangui_build_info",
        "version" => env!("CARGO_PKG_VERSION"),
        "target" => std::env::consts::ARCH,
    )
    .set(1.0);
    Ok(handle)
}
