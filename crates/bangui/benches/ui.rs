//! `make bench`: the web UI in Chromium against two workers (release build, the UI embedded
//! and precompressed) behind HAProxy, with 100,000 active bans and 1,000,000 archived bans.
//!
//! Each of 10 loads is a first visit (a fresh browser context; one unmeasured load of each
//! page first fills the server's caches): the time from navigation to the dashboard's ban
//! table and charts drawn, and to the map drawn, by the page's own clock; and the JavaScript
//! transferred (compressed) until the page was drawn. The charts' chunk loads lazily but
//! alongside the table's data, so the dashboard's figure includes it. The baseline, measured
//! in the same run, is the login page: the app's smallest page, no data.
//!
//! Goals: p95 ≤ 1.5 s for the dashboard and the map; ≤ 250 KB of JavaScript for the
//! dashboard's first load.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

mod common;

use std::path::Path;
use std::process::Command;

use bangui_testkit::Layout;
use bangui_testkit::load_balancer::LoadBalancer;
use chrono::Utc;
use sqlx::postgres::PgPoolOptions;

const ACTIVE: u32 = 100_000;
const ARCHIVED: usize = 1_000_000;
const TIME_GOAL_MS: f64 = 1500.0;
const JS_GOAL_BYTES: f64 = 250.0 * 1024.0;

#[derive(serde::Deserialize)]
struct Load {
    ms: f64,
    #[serde(rename = "jsBytes")]
    js_bytes: f64,
}

#[derive(serde::Deserialize)]
struct Loads {
    login: Vec<Load>,
    dashboard: Vec<Load>,
    map: Vec<Load>,
}

/// Nearest-rank p95.
fn p95(loads: &[Load]) -> f64 {
    let mut ms: Vec<f64> = loads.iter().map(|l| l.ms).collect();
    ms.sort_by(f64::total_cmp);
    let rank = ((ms.len() as f64) * 0.95).ceil() as usize;
    ms[rank.clamp(1, ms.len()) - 1]
}

fn verdict(ok: bool) -> &'static str {
    if ok { "ok" } else { "MISSED" }
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web");
    assert!(
        web.join("dist/index.html").exists() && web.join("node_modules").exists(),
        "build the UI first (make bench does)"
    );
    let stack = common::stack_of(
        2,
        Some(Layout::Bench),
        &[("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32")],
    );
    let cluster = &stack.cluster;
    let balancer = LoadBalancer::start(cluster.ports()).unwrap();
    let base = balancer.url();
    let http = reqwest::Client::new();
    let cookie = common::session(&http, &base).await;

    let pool = PgPoolOptions::new()
        .connect(&cluster.database_url)
        .await
        .unwrap();
    common::archive::load(&pool, ARCHIVED, Utc::now()).await;
    common::ban_bulk(cluster, ACTIVE).await;
    let status = common::get_json(&http, &format!("{base}/api/v1/dashboard/status"), &cookie).await;
    println!(
        "{ACTIVE} active bans, {ARCHIVED} archived; fail2ban reports {} banned",
        status["jails"]
            .as_array()
            .unwrap()
            .iter()
            .map(|j| j["currently_banned"].as_u64().unwrap_or(0))
            .sum::<u64>()
    );

    let output = Command::new("node")
        .arg("bench/ui.mjs")
        .current_dir(&web)
        .env("BANGUI_BENCH_URL", &base)
        .env("BANGUI_BENCH_COOKIE", &cookie)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix("RESULT "))
        .unwrap();
    let loads: Loads = serde_json::from_str(line).unwrap();

    let baseline = p95(&loads.login);
    println!(
        "\n{:<28} {:>10} {:>12} {:>14}",
        "first load (10 each)", "p95 ms", "vs login", "JS KB (first)"
    );
    for (name, l) in [
        ("login (baseline)", &loads.login),
        ("dashboard: table + charts", &loads.dashboard),
        ("map drawn", &loads.map),
    ] {
        let p = p95(l);
        println!(
            "{name:<28} {p:>10.0} {:>11.2}x {:>14.1}",
            p / baseline,
            l[0].js_bytes / 1024.0
        );
    }
    let dashboard = p95(&loads.dashboard);
    let map = p95(&loads.map);
    let js = loads.dashboard[0].js_bytes;
    println!(
        "\ngoal dashboard p95 <= {TIME_GOAL_MS:.0} ms: {} ({dashboard:.0} ms)",
        verdict(dashboard <= TIME_GOAL_MS)
    );
    println!(
        "goal map p95 <= {TIME_GOAL_MS:.0} ms: {} ({map:.0} ms)",
        verdict(map <= TIME_GOAL_MS)
    );
    println!(
        "goal dashboard first-load JS <= 250 KB: {} ({:.1} KB; the login page {:.1} KB)",
        verdict(js <= JS_GOAL_BYTES),
        js / 1024.0,
        loads.login[0].js_bytes / 1024.0
    );
}
