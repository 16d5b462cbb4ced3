//! `make bench`: how much an authenticated request costs over an anonymous one, on one real
//! `bangui serve` worker (release build) with real Redis and PostgreSQL.
//!
//! Requests per second of `GET /api/v1/auth/session` (rate limit + session lookup: one pipelined
//! Redis round trip) against `GET /api/v1/health/live` (touches nothing), same worker, same run,
//! same load generator; printed as a ratio (goal ≥ 0.5) with p50/p99 latencies.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

mod common;

use std::time::{Duration, Instant};

const CONCURRENCY: usize = 32;
const WARMUP: Duration = Duration::from_millis(300);
const MEASURE: Duration = Duration::from_secs(2);
/// Rounds alternate between the two endpoints; medians smooth out scheduling luck on a small
/// machine where the load generator, the worker and Redis share the cores.
const ROUNDS: usize = 5;

struct Load {
    rps: f64,
    p50: Duration,
    p99: Duration,
    /// CPU time the worker and Redis spent per request (from /proc).
    worker_cpu: Duration,
    redis_cpu: Duration,
}

/// utime + stime of a process, from `/proc/<pid>/stat` (clock ticks of 10 ms).
fn cpu_time(pid: u32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    Duration::from_millis(ticks * 10)
}

async fn load(http: &reqwest::Client, url: &str, cookie: Option<&str>, pids: (u32, u32)) -> Load {
    let run = |until: Instant| {
        let tasks: Vec<_> = (0..CONCURRENCY)
            .map(|_| {
                let (http, url, cookie) = (http.clone(), url.to_owned(), cookie.map(str::to_owned));
                tokio::spawn(async move {
                    let mut latencies = Vec::new();
                    while Instant::now() < until {
                        let mut request = http.get(&url);
                        if let Some(c) = &cookie {
                            request = request.header("cookie", c);
                        }
                        let started = Instant::now();
                        let response = request.send().await.unwrap();
                        assert!(response.status().is_success(), "{}", response.status());
                        response.bytes().await.unwrap();
                        latencies.push(started.elapsed());
                    }
                    latencies
                })
            })
            .collect();
        async move {
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await.unwrap());
            }
            all
        }
    };
    run(Instant::now() + WARMUP).await;
    let cpu_before = (cpu_time(pids.0), cpu_time(pids.1));
    let started = Instant::now();
    let mut latencies = run(started + MEASURE).await;
    let elapsed = started.elapsed();
    let requests = latencies.len() as u32;
    let worker_cpu = (cpu_time(pids.0) - cpu_before.0) / requests;
    let redis_cpu = (cpu_time(pids.1) - cpu_before.1) / requests;
    latencies.sort_unstable();
    let at = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    Load {
        rps: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: at(0.50),
        p99: at(0.99),
        worker_cpu,
        redis_cpu,
    }
}

/// The round with the median throughput.
fn median(mut rounds: Vec<Load>) -> Load {
    rounds.sort_by(|a, b| a.rps.total_cmp(&b.rps));
    rounds.swap_remove(rounds.len() / 2)
}

#[tokio::main]
async fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let stack = common::stack(None, &[]);
    let (cluster, redis) = (&stack.cluster, &stack.redis);
    let base = cluster.url(0);

    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONCURRENCY)
        .build()
        .unwrap();
    let cookie = common::session(&http, &base).await;

    let pids = (cluster.pid(0).unwrap(), redis.pid().unwrap());
    let (mut lives, mut sessions) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        lives.push(load(&http, &format!("{base}/api/v1/health/live"), None, pids).await);
        sessions.push(
            load(
                &http,
                &format!("{base}/api/v1/auth/session"),
                Some(&cookie),
                pids,
            )
            .await,
        );
    }
    let (live, session) = (median(lives), median(sessions));
    let ratio = session.rps / live.rps;
    println!(
        "one worker, {CONCURRENCY} concurrent keep-alive clients, median of {ROUNDS} alternating rounds of {} s",
        MEASURE.as_secs()
    );
    for (name, l) in [
        ("GET /api/v1/health/live (baseline)", &live),
        ("GET /api/v1/auth/session", &session),
    ] {
        println!(
            "  {name:<36} {:>8.0} req/s  p50 {:>6.2} ms  p99 {:>6.2} ms  CPU/request: worker {:>5.1} µs, Redis {:>5.1} µs",
            l.rps,
            l.p50.as_secs_f64() * 1000.0,
            l.p99.as_secs_f64() * 1000.0,
            l.worker_cpu.as_secs_f64() * 1e6,
            l.redis_cpu.as_secs_f64() * 1e6,
        );
    }
    println!(
        "  ratio session/live: {ratio:.3} (goal >= 0.5) {}",
        if ratio >= 0.5 { "ok" } else { "MISSED" }
    );
}
