//! `make bench`: the dashboard, map and history answers over an archive of 100,000 and of
//! 1,000,000 bans, on two real workers (release build) with real Redis, PostgreSQL and
//! fail2ban.
//!
//! The archive has 10 jails, a fifth as many distinct addresses as bans (some banned often),
//! 150 countries plus unresolved addresses, all three origins, and spans 400 days; it is
//! loaded with COPY. Each request is first sent once, alone, after the load: that answer is
//! computed from the archive (printed as "first"). Then a client sends 20 requests per
//! second, alternating between the workers, round-robin over every endpoint for 24h, 30d and
//! 365d, with and without an origin filter: the aggregates then come from the cache in Redis
//! until the archive changes.
//!
//! Goals: every p95 ≤ 100 ms at 1M, and p95(1M) / p95(100k) ≤ 2 for each. The plain
//! `SELECT count(*)` of the archive at each size is printed as the yardstick.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

mod common;

use std::net::IpAddr;
use std::time::{Duration, Instant};

use bangui_store::RedisStore;
use bangui_testkit::Layout;
use chrono::Utc;
use common::archive::{countries, load};
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;

const SIZES: [usize; 2] = [100_000, 1_000_000];
/// Requests per second, all endpoints together.
const RATE: u32 = 20;
/// Requests per endpoint and parameter set, at each size.
const ROUNDS: usize = 40;
const P95_GOAL: Duration = Duration::from_millis(100);
const RATIO_GOAL: f64 = 2.0;

/// The median of five plain `SELECT count(*)` of the archive.
async fn count_time(pool: &PgPool) -> Duration {
    let mut times = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT count(*) FROM ban_history")
            .fetch_one(pool)
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort_unstable();
    times[2]
}

/// Every request of a round: its label and its path under `/api/v1`.
fn requests(address: IpAddr, country: &str) -> Vec<(String, String)> {
    let mut all = Vec::new();
    for range in ["24h", "30d", "365d"] {
        for origin in ["", "&origin=auto"] {
            let label = |what: &str| {
                format!(
                    "{what:<26} {range:>4}{}",
                    if origin.is_empty() { "" } else { " auto" }
                )
            };
            let q = format!("range={range}{origin}");
            all.extend([
                (label("dashboard/bans"), format!("/dashboard/bans?{q}")),
                (
                    label("dashboard/bans/trend"),
                    format!("/dashboard/bans/trend?{q}"),
                ),
                (
                    label("by-country"),
                    format!("/dashboard/bans/by-country?{q}"),
                ),
                (
                    label(&format!("by-country&country={country}")),
                    format!("/dashboard/bans/by-country?{q}&country={country}"),
                ),
                (label("by-jail"), format!("/dashboard/bans/by-jail?{q}")),
                (
                    label("top-addresses"),
                    format!("/dashboard/top-addresses?{q}"),
                ),
                (label("history"), format!("/history?{q}")),
            ]);
        }
    }
    all.push((
        format!("{:<31}", "history/{ip}"),
        format!("/history/{address}"),
    ));
    all.push((
        format!("{:<31}", "history?prefix=11.0.1"),
        "/history?range=all&prefix=11.0.1".to_owned(),
    ));
    all
}

/// `GET url` with the session cookie, read to the end; how long it took. A failed answer
/// stops the benchmark.
async fn timed_get(http: &reqwest::Client, url: &str, cookie: &str) -> Duration {
    let started = Instant::now();
    let response = http.get(url).header("cookie", cookie).send().await.unwrap();
    let status = response.status();
    let body = response.bytes().await.unwrap();
    assert!(status.is_success(), "{url}: {status} {body:?}");
    started.elapsed()
}

/// Sends each request once, one after the other; how long each took.
async fn first_answers(
    http: &reqwest::Client,
    bases: &[String; 2],
    cookie: &str,
    requests: &[(String, String)],
) -> Vec<Duration> {
    let mut took = Vec::new();
    for (i, (_, path)) in requests.iter().enumerate() {
        let url = format!("{}/api/v1{path}", bases[i % 2]);
        took.push(timed_get(http, &url, cookie).await);
    }
    took
}

/// Sends `requests` round-robin, `ROUNDS` times, at `RATE` per second alternating between the
/// workers; returns each request's latencies, sorted.
async fn measure(
    http: &reqwest::Client,
    bases: &[String; 2],
    cookie: &str,
    requests: &[(String, String)],
) -> Vec<Vec<Duration>> {
    let mut tick = tokio::time::interval(Duration::from_secs(1) / RATE);
    let mut inflight = Vec::new();
    let mut n = 0usize;
    for _ in 0..ROUNDS {
        for (i, (_, path)) in requests.iter().enumerate() {
            tick.tick().await;
            let url = format!("{}/api/v1{path}", bases[n % 2]);
            let (http, cookie) = (http.clone(), cookie.to_owned());
            inflight.push(tokio::spawn(async move {
                (i, timed_get(&http, &url, &cookie).await)
            }));
            n += 1;
        }
    }
    let mut latencies = vec![Vec::new(); requests.len()];
    for t in inflight {
        let (i, took) = t.await.unwrap();
        latencies[i].push(took);
    }
    for l in &mut latencies {
        l.sort_unstable();
    }
    latencies
}

fn percentile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = common::stack_of(2, Some(Layout::Bench), &[]);
    let cluster = &stack.cluster;
    let redis = RedisStore::new(
        &stack.redis.url(),
        &cluster.redis_prefix,
        Duration::from_secs(5),
    )
    .unwrap();
    let bases = [cluster.url(0), cluster.url(1)];
    let http = reqwest::Client::new();
    let cookie = common::session(&http, &bases[0]).await;
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect(&cluster.database_url)
        .await
        .unwrap();
    let country = countries()[0].clone();

    let mut results = Vec::new();
    let mut labels = Vec::new();
    for bans in SIZES {
        let started = Instant::now();
        let address = load(&pool, bans, Utc::now()).await;
        // Written behind bangui's back: the workers hear of it at commit, but say so now, as
        // bangui's own writers do, so that no answer below can come from the previous size.
        redis.bump_archive_generation().await.unwrap();
        println!(
            "loaded {bans} bans ({} addresses) in {:.1} s",
            bans / 5,
            started.elapsed().as_secs_f64()
        );
        let requests = requests(address, &country);
        labels = requests.iter().map(|(l, _)| l.clone()).collect();
        let count = count_time(&pool).await;
        let first = first_answers(&http, &bases, &cookie, &requests).await;
        let latencies = measure(&http, &bases, &cookie, &requests).await;
        println!(
            "  SELECT count(*) FROM ban_history: {:.1} ms (yardstick)",
            ms(count)
        );
        results.push((first, latencies));
    }

    println!(
        "latency at {RATE} requests/s over two workers, {ROUNDS} of each; p95 goal {} ms at 1M, \
         ratio goal <= {RATIO_GOAL}",
        P95_GOAL.as_millis()
    );
    println!(
        "  {:<31} {:>9} {:>9} {:>9} {:>9} {:>7} {:>10} {:>10}",
        "endpoint, range, origin",
        "p50 100k",
        "p95 100k",
        "p50 1M",
        "p95 1M",
        "ratio",
        "first 100k",
        "first 1M"
    );
    let (mut slow, mut steep) = (0, 0);
    for (i, label) in labels.iter().enumerate() {
        let (small, large) = (&results[0].1[i], &results[1].1[i]);
        let ratio = ms(percentile(large, 0.95)) / ms(percentile(small, 0.95));
        let over = percentile(large, 0.95) > P95_GOAL;
        slow += usize::from(over);
        steep += usize::from(ratio > RATIO_GOAL);
        println!(
            "  {label:<31} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>7.2} {:>10.1} {:>10.1}{}",
            ms(percentile(small, 0.5)),
            ms(percentile(small, 0.95)),
            ms(percentile(large, 0.5)),
            ms(percentile(large, 0.95)),
            ratio,
            ms(results[0].0[i]),
            ms(results[1].0[i]),
            match (over, ratio > RATIO_GOAL) {
                (false, false) => "",
                (true, false) => "  p95 MISSED",
                (false, true) => "  ratio MISSED",
                (true, true) => "  p95 and ratio MISSED",
            }
        );
    }
    println!(
        "  goal p95 <= {} ms at 1M: {}",
        P95_GOAL.as_millis(),
        if slow == 0 {
            "ok".to_owned()
        } else {
            format!("MISSED by {slow}")
        }
    );
    println!(
        "  goal p95(1M) / p95(100k) <= {RATIO_GOAL}: {}",
        if steep == 0 {
            "ok".to_owned()
        } else {
            format!("MISSED by {steep}")
        }
    );
}
