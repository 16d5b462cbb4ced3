//! `make bench`: the jail pages with 100,000 addresses banned in one jail, on a real worker
//! (release build) with real Redis, PostgreSQL and fail2ban.
//!
//! * latency of `GET /api/v1/jails` and `GET /api/v1/jails/bulk/banned?page=1` (goal p95 ≤ 50 ms
//!   each), against `GET /api/v1/health/live` measured the same way as the baseline;
//! * fail2ban socket commands per minute while those pages are requested at 1 and at 200
//!   requests per second (goal: the same): workers serve them from the shared state and only
//!   the worker that wins a lock asks fail2ban when that state is stale.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

mod common;

use std::time::{Duration, Instant};

use bangui_testkit::Layout;
use bangui_testkit::cluster::Cluster;

const BANS: u32 = 100_000;
const SAMPLES: usize = 300;
const WINDOW: Duration = Duration::from_secs(15);

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

async fn latencies(http: &reqwest::Client, url: &str, cookie: &str) -> Vec<Duration> {
    let mut all = Vec::with_capacity(SAMPLES);
    for _ in 0..SAMPLES {
        let started = Instant::now();
        let response = http.get(url).header("cookie", cookie).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.unwrap();
        all.push(started.elapsed());
    }
    all.sort_unstable();
    all
}

/// Lines fail2ban logged for received commands so far (it logs each at HEAVYDEBUG).
fn commands_logged(cluster: &Cluster) -> usize {
    let log = std::fs::read_to_string(
        cluster
            .fail2ban
            .as_ref()
            .unwrap()
            .dir()
            .join("fail2ban.log"),
    )
    .unwrap();
    log.lines().filter(|l| l.contains("Command: [")).count()
}

/// Requests both jail pages at `rate` per second for `WINDOW`; returns fail2ban commands per
/// minute meanwhile.
async fn commands_per_minute(
    cluster: &Cluster,
    http: &reqwest::Client,
    cookie: &str,
    rate: u32,
) -> f64 {
    let base = cluster.url(0);
    let urls = [
        format!("{base}/api/v1/jails"),
        format!("{base}/api/v1/jails/bulk/banned?page=1"),
    ];
    let before = commands_logged(cluster);
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1) / rate);
    let mut inflight = Vec::new();
    let mut n = 0usize;
    while started.elapsed() < WINDOW {
        tick.tick().await;
        let (http, url, cookie) = (http.clone(), urls[n % 2].clone(), cookie.to_owned());
        inflight.push(tokio::spawn(async move {
            let r = http.get(url).header("cookie", cookie).send().await.unwrap();
            assert!(r.status().is_success());
            r.bytes().await.unwrap();
        }));
        n += 1;
    }
    for t in inflight {
        t.await.unwrap();
    }
    let commands = commands_logged(cluster) - before;
    commands as f64 * 60.0 / started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = common::stack(Some(Layout::Bench), &[]);
    let cluster = &stack.cluster;
    let base = cluster.url(0);

    let started = Instant::now();
    let client = common::ban_bulk(cluster, BANS).await;
    println!(
        "banned {BANS} addresses in jail bulk in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let http = reqwest::Client::new();
    let cookie = common::session(&http, &base).await;

    // The first request takes the ban list from fail2ban; measured separately.
    let first = Instant::now();
    let page = common::get_json(
        &http,
        &format!("{base}/api/v1/jails/bulk/banned?page=1"),
        &cookie,
    )
    .await;
    assert_eq!(page["total"], BANS);
    println!(
        "first ban-list page (taking 100,000 bans from fail2ban): {:.0} ms",
        first.elapsed().as_secs_f64() * 1000.0
    );

    let live = latencies(&http, &format!("{base}/api/v1/health/live"), &cookie).await;
    let jails = latencies(&http, &format!("{base}/api/v1/jails"), &cookie).await;
    let banned = latencies(
        &http,
        &format!("{base}/api/v1/jails/bulk/banned?page=1"),
        &cookie,
    )
    .await;
    let search = latencies(
        &http,
        &format!("{base}/api/v1/jails/bulk/banned?page=1&q=10.1.2"),
        &cookie,
    )
    .await;
    println!("latency over {SAMPLES} sequential requests, {BANS} bans in one jail");
    for (name, l) in [
        ("GET /api/v1/health/live (baseline)", &live),
        ("GET /api/v1/jails", &jails),
        ("GET /api/v1/jails/bulk/banned?page=1", &banned),
        ("  the same with q=10.1.2", &search),
    ] {
        let p95 = percentile(l, 0.95);
        println!(
            "  {name:<40} p50 {:>6.2} ms  p95 {:>6.2} ms  p99 {:>6.2} ms  ({:.1}x baseline p95)",
            percentile(l, 0.5).as_secs_f64() * 1000.0,
            p95.as_secs_f64() * 1000.0,
            percentile(l, 0.99).as_secs_f64() * 1000.0,
            p95.as_secs_f64() / percentile(&live, 0.95).as_secs_f64(),
        );
    }
    for (name, l) in [("jails", &jails), ("banned", &banned)] {
        let ok = percentile(l, 0.95) <= Duration::from_millis(50);
        println!(
            "  goal p95 <= 50 ms for {name}: {}",
            if ok { "ok" } else { "MISSED" }
        );
    }

    // fail2ban logs every command it receives at HEAVYDEBUG.
    client.set_loglevel("HEAVYDEBUG").await.unwrap();
    let slow = commands_per_minute(cluster, &http, &cookie, 1).await;
    let fast = commands_per_minute(cluster, &http, &cookie, 200).await;
    println!("fail2ban socket commands per minute while the jail pages are requested:");
    println!("  at   1 request/s: {slow:>6.1}");
    println!(
        "  at 200 requests/s: {fast:>6.1}  (ratio {:.2}; goal: the same)",
        fast / slow.max(1.0)
    );
}
