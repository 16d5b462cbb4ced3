//! The web UI in a real browser: Debian's Chromium, driven by Playwright (`web/e2e/`), against
//! two `bangui serve` workers behind HAProxy (round robin per request), with real Redis,
//! PostgreSQL and fail2ban. What the browser does is in the Playwright suite; this test starts
//! the stack, runs the suite, and checks that both workers served it.
#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use bangui_testkit::list_server::ListServer;
use bangui_testkit::load_balancer::LoadBalancer;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Requests to `/api/v1/…` that worker `base` answered, from its own metrics.
async fn api_requests(caller: &common::Caller, base: &str) -> u64 {
    caller
        .metrics(base)
        .await
        .lines()
        .filter(|l| l.starts_with("bangui_http_requests_total{") && l.contains("route=\"/api/v1/"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// `n` distinct public addresses, one per line, from 11.0.0.0 on, with a comment line.
fn big_list(n: u32) -> String {
    let mut list = String::from("# bangui browser test list\n");
    for i in 0..n {
        let [a, b, c, d] = (0x0b00_0000_u32 + i).to_be_bytes();
        list.push_str(&format!("{a}.{b}.{c}.{d}\n"));
    }
    list
}

#[tokio::test(flavor = "multi_thread")]
async fn the_web_ui_works_in_chromium_behind_a_load_balancer() {
    let web = web_dir();
    assert!(
        web.join("node_modules/.bin/playwright").exists() && web.join("dist/index.html").exists(),
        "the web UI is not built: run `make ui` (make test does)"
    );
    let geoip = bangui_testkit::geoip_db();
    let cluster = common::imports::with_job_workers(
        common::cluster(
            common::imports::lab()
                .env("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32")
                .env("BANGUI_GEOIP_DB_PATH", geoip.to_str().unwrap()),
        ),
        1,
        &[],
    );
    let balancer = LoadBalancer::start(cluster.ports()).expect("HAProxy starts");
    // The blocklist the suite imports: 100,000 public addresses, so that the active bans
    // table is tried at the size the issue names.
    let lists = ListServer::start().unwrap();
    lists.put("/big.txt", big_list(100_000));

    let output = Command::new("npx")
        .args(["playwright", "test"])
        .current_dir(&web)
        .env("BANGUI_E2E_URL", balancer.url())
        .env("BANGUI_E2E_LIST_URL", lists.url("/big.txt"))
        .env("CI", "1")
        .output()
        .expect("npx runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    assert!(
        output.status.success(),
        "the browser suite failed ({}); worker logs:\n{}\n{}",
        output.status,
        cluster
            .log(0)
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n"),
        cluster
            .log(1)
            .lines()
            .rev()
            .take(30)
            .collect::<Vec<_>>()
            .join("\n"),
    );

    // Round robin spread the browsers' requests over both workers.
    let caller = common::Caller::new();
    for i in 0..2 {
        let served = api_requests(&caller, &cluster.url(i)).await;
        assert!(
            served >= 20,
            "worker {i} answered only {served} API requests"
        );
    }
}
