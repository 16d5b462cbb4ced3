//! `GET /metrics`: Prometheus text format: this worker's own metrics (requests, fail2ban and
//! store operations, jobs, the process), the cluster's job queue, then fail2ban's as the
//! fail2ban exporter names them (`f2b_*`), from the shared snapshot.

use std::fmt::Write as _;

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use bangui_store::runtime_state::{Fail2banSnapshot, JailCounters, JailSettings};
use bangui_store::{Database, RedisStore, now_ms};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::error::{ApiError, ErrorCode};
use crate::state::AppState;

/// `GET /metrics`: this worker's metrics, unless they are served on their own listener
/// (`BANGUI_METRICS_LISTEN`), where this same route answers.
#[utoipa::path(get, path = "/metrics", tag = "operations", operation_id = "metrics",
    responses((status = 200, description = "Prometheus text format. Besides bangui's own \
        metrics, fail2ban's under the names of the fail2ban exporter (`f2b_up`, \
        `f2b_jails`, `f2b_jail_banned_current`, …), read from the snapshot all workers \
        share: the same on every worker, and no fail2ban command per scrape.",
        content_type = "text/plain; version=0.0.4", body = String)),
    extensions(("x-error-codes" = json!([ErrorCode::NotFound]))))]
pub async fn render(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(handle) => {
            Scrape {
                handle: handle.clone(),
                redis: state.redis.clone(),
                db: state.db.clone(),
                app: Some(state.clone()),
            }
            .exposition()
            .await
        }
        None => ApiError::with_message(
            ErrorCode::NotFound,
            "metrics are served on their own listener (BANGUI_METRICS_LISTEN)",
        )
        .into_response(),
    }
}

/// What a scrape reads: the process's recorder, and the shared stores for what is
/// cluster-wide.
#[derive(Clone, Debug)]
pub struct Scrape {
    pub handle: PrometheusHandle,
    pub redis: RedisStore,
    pub db: Database,
    /// The HTTP worker, whose readiness `bangui_worker_ready` reports (`None`: a job worker).
    pub app: Option<AppState>,
}

impl Scrape {
    async fn exposition(&self) -> Response {
        // Gauges read at scrape time: the process, the connection pool, the shared queue.
        metrics_process::Collector::default().collect();
        self.db.record_pool_metrics();
        if let Some(app) = &self.app {
            let ready = !app.is_draining() && app.runtime.readiness().await.is_ready();
            metrics::gauge!("bangui_worker_ready").set(if ready { 1.0 } else { 0.0 });
        }
        if let Err(e) = bangui_jobs::metrics::record_queue(&self.db, &self.redis).await {
            tracing::debug!(error = %e, "queue metrics not refreshed");
        }
        let mut text = self.handle.render();
        // Redis unreachable reads as fail2ban unknown: reported down, as the exporter does
        // when it cannot ask.
        let snapshot = self.redis.fail2ban_snapshot().await.ok().flatten();
        fail2ban_metrics(&mut text, snapshot.as_ref(), now_ms());
        ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text).into_response()
    }
}

/// The router of the metrics listener: `/metrics` and nothing else.
pub fn only(scrape: Scrape) -> Router {
    Router::new().route(
        "/metrics",
        get(move || async move { scrape.exposition().await }),
    )
}

/// Appends fail2ban's metrics as the fail2ban exporter (hectorjsmith/fail2ban-prometheus-
/// exporter) names them, so that its dashboards and alerts work unchanged.
fn fail2ban_metrics(out: &mut String, snapshot: Option<&Fail2banSnapshot>, now_ms: i64) {
    let up = snapshot.is_some_and(|s| s.online);
    family(
        out,
        "f2b_up",
        "Whether fail2ban answered the last status refresh",
    );
    let _ = writeln!(out, "f2b_up {}", u8::from(up));
    let Some(snapshot) = snapshot else {
        return;
    };
    family(
        out,
        "bangui_fail2ban_snapshot_age_seconds",
        "Age of the shared fail2ban snapshot the f2b_* metrics come from",
    );
    let age = now_ms.saturating_sub(snapshot.taken_at_ms).max(0) as f64 / 1000.0;
    let _ = writeln!(out, "bangui_fail2ban_snapshot_age_seconds {age}");
    if let Some(version) = &snapshot.version {
        family(
            out,
            "f2b_version",
            "Version of bangui and of the fail2ban server",
        );
        let _ = writeln!(
            out,
            "f2b_version{{exporter=\"bangui {}\",fail2ban=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION"),
            escape(version)
        );
    }
    if !up {
        return;
    }
    // The exporter's `f2b_jail_count`: Prometheus' naming rules keep `_count` for histograms
    // and summaries.
    family(
        out,
        "f2b_jails",
        "Number of running jails (the fail2ban exporter's f2b_jail_count)",
    );
    let _ = writeln!(out, "f2b_jails {}", snapshot.jails.len());
    let counters: [PerJail<JailCounters, u64>; 4] = [
        (
            "f2b_jail_banned_current",
            "Number of IPs currently banned in this jail",
            |j| j.currently_banned,
        ),
        (
            "f2b_jail_banned_total",
            "Total number of IPs banned by this jail (includes expired bans)",
            |j| j.total_banned,
        ),
        (
            "f2b_jail_failed_current",
            "Number of current failures on this jail's filter",
            |j| j.currently_failed,
        ),
        (
            "f2b_jail_failed_total",
            "Number of total failures on this jail's filter",
            |j| j.total_failed,
        ),
    ];
    for (name, help, value) in counters {
        // The exporter's `*_total` are counters of fail2ban (they restart with it).
        if name.ends_with("_total") {
            counter_family(out, name, help);
        } else {
            family(out, name, help);
        }
        for jail in &snapshot.jails {
            let _ = writeln!(
                out,
                "{name}{{jail=\"{}\"}} {}",
                escape(&jail.name),
                value(jail)
            );
        }
    }
    let settings: [PerJail<JailSettings, i64>; 4] = [
        (
            "f2b_config_jail_ban_time",
            "How long an IP is banned for in this jail (in seconds)",
            |s| s.ban_time,
        ),
        (
            "f2b_config_jail_find_time",
            "How far back will the filter look for failures in this jail (in seconds)",
            |s| s.find_time,
        ),
        (
            "f2b_config_jail_max_retry",
            "The number of failures allowed until the IP is banned by this jail",
            |s| s.max_retry,
        ),
        (
            "f2b_config_jail_max_retries",
            "The number of failures allowed until the IP is banned by this jail \
             (the fail2ban exporter's spelling of f2b_config_jail_max_retry)",
            |s| s.max_retry,
        ),
    ];
    for (name, help, value) in settings {
        family(out, name, help);
        for (jail, s) in &snapshot.settings {
            let _ = writeln!(out, "{name}{{jail=\"{}\"}} {}", escape(jail), value(s));
        }
    }
}

/// A per-jail gauge: name, help, and its value from what the snapshot holds of a jail.
type PerJail<T, V> = (&'static str, &'static str, fn(&T) -> V);

fn family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} gauge");
}

fn counter_family(out: &mut String, name: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} counter");
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn snapshot(online: bool) -> Fail2banSnapshot {
        Fail2banSnapshot {
            online,
            version: Some("1.0.2".into()),
            jails: vec![JailCounters {
                name: "ss\"hd".into(),
                currently_failed: 1,
                total_failed: 2,
                currently_banned: 3,
                total_banned: 4,
                backend: None,
            }],
            taken_at_ms: 1_000,
            asked_at_ms: 0,
            error: None,
            settings: BTreeMap::from([(
                "ss\"hd".into(),
                JailSettings {
                    ban_time: 600,
                    find_time: 60,
                    max_retry: 5,
                },
            )]),
            settings_read_at_ms: 1_000,
        }
    }

    #[test]
    fn names_fail2ban_as_the_exporter_does() {
        let mut out = String::new();
        fail2ban_metrics(&mut out, Some(&snapshot(true)), 3_500);
        for line in [
            "f2b_up 1",
            "f2b_jails 1",
            "# TYPE f2b_jail_banned_total counter",
            "f2b_jail_banned_current{jail=\"ss\\\"hd\"} 3",
            "f2b_jail_banned_total{jail=\"ss\\\"hd\"} 4",
            "f2b_jail_failed_current{jail=\"ss\\\"hd\"} 1",
            "f2b_jail_failed_total{jail=\"ss\\\"hd\"} 2",
            "f2b_config_jail_ban_time{jail=\"ss\\\"hd\"} 600",
            "f2b_config_jail_find_time{jail=\"ss\\\"hd\"} 60",
            "f2b_config_jail_max_retry{jail=\"ss\\\"hd\"} 5",
            "f2b_config_jail_max_retries{jail=\"ss\\\"hd\"} 5",
            "bangui_fail2ban_snapshot_age_seconds 2.5",
            "# TYPE f2b_up gauge",
        ] {
            assert!(out.lines().any(|l| l == line), "{line} missing in\n{out}");
        }
        assert!(out.contains("f2b_version{exporter=\"bangui "));
    }

    #[test]
    fn offline_or_unknown_is_down_without_jails() {
        let mut out = String::new();
        fail2ban_metrics(&mut out, Some(&snapshot(false)), 1_000);
        assert!(out.lines().any(|l| l == "f2b_up 0"));
        assert!(!out.contains("f2b_jail_"));
        let mut out = String::new();
        fail2ban_metrics(&mut out, None, 1_000);
        assert_eq!(
            out.lines()
                .filter(|l| !l.starts_with('#'))
                .collect::<Vec<_>>(),
            ["f2b_up 0"]
        );
    }
}
