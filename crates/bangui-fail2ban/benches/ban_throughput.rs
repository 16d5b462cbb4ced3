//! `make bench`: banning 2,000 fresh addresses through bangui's client against the same through
//! one `fail2ban-client set <jail> banip <2,000 addresses>`, on two identical sandboxed
//! fail2ban servers, in the same run.
//!
//! Prints the throughput of both and their ratio (goal ≥ 0.9), and the worst latency of a
//! `ping` sent every 50 ms by another client during each batch (goal ≤ 1 s through bangui's
//! client: it cuts the batch into short commands; the single big command holds fail2ban for the
//! whole batch, so every other caller waits seconds).

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::net::IpAddr;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use bangui_core::JailName;
use bangui_fail2ban::{Client, StatusFlavor};
use bangui_testkit::{Fail2ban, Layout};

const BATCH: usize = 2_000;
const PING_EVERY: Duration = Duration::from_millis(50);

struct Run {
    elapsed: Duration,
    worst_ping: Duration,
    pings: usize,
}

impl Run {
    fn rate(&self) -> f64 {
        BATCH as f64 / self.elapsed.as_secs_f64()
    }
}

fn addresses() -> Vec<IpAddr> {
    (0..BATCH as u32)
        .map(|i| IpAddr::from([198, 18, (i / 250) as u8, (i % 250 + 1) as u8]))
        .collect()
}

/// Pings every 50 ms from its own client (as another worker would) until told to stop; returns
/// the worst latency and the number of pings.
fn pinger(f2b: &Fail2ban, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<(Duration, usize)> {
    let client = Client::builder(f2b.socket())
        .timeout(Duration::from_secs(120))
        .build();
    tokio::spawn(async move {
        let (mut worst, mut count) = (Duration::ZERO, 0);
        let mut tick = tokio::time::interval(PING_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let sent = Instant::now();
            client.ping().await.expect("ping");
            worst = worst.max(sent.elapsed());
            count += 1;
        }
        (worst, count)
    })
}

async fn measure(f2b: &Fail2ban, ban: impl Future<Output = ()>) -> Run {
    let stop = Arc::new(AtomicBool::new(false));
    let pings = pinger(f2b, Arc::clone(&stop));
    let started = Instant::now();
    ban.await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::Relaxed);
    let (worst_ping, pings) = pings.await.expect("pinger");
    Run {
        elapsed,
        worst_ping,
        pings,
    }
}

async fn banned(f2b: &Fail2ban) -> u64 {
    let test = JailName::parse("test").expect("jail name");
    Client::new(f2b.socket())
        .jail_status(&test, StatusFlavor::Short)
        .await
        .expect("status")
        .currently_banned
}

#[tokio::main]
async fn main() {
    let ips = addresses();
    let test = JailName::parse("test").expect("jail name");

    let baseline_f2b = Fail2ban::start(Layout::Test).expect("fail2ban for the baseline");
    let mut args = vec!["-s".to_owned(), baseline_f2b.socket().display().to_string()];
    args.extend(["set", "test", "banip"].map(str::to_owned));
    args.extend(ips.iter().map(IpAddr::to_string));
    let baseline = measure(&baseline_f2b, async {
        let args = args.clone();
        let status = tokio::task::spawn_blocking(move || {
            Command::new("fail2ban-client").args(&args).output()
        })
        .await
        .expect("join")
        .expect("fail2ban-client");
        assert!(
            status.status.success(),
            "{}",
            String::from_utf8_lossy(&status.stderr)
        );
    })
    .await;
    assert_eq!(banned(&baseline_f2b).await, BATCH as u64);
    drop(baseline_f2b);

    let client_f2b = Fail2ban::start(Layout::Test).expect("fail2ban for the client");
    let client = Client::new(client_f2b.socket());
    let ours = measure(&client_f2b, async {
        assert_eq!(client.ban(&test, &ips).await.expect("ban"), BATCH as u64);
    })
    .await;
    assert_eq!(banned(&client_f2b).await, BATCH as u64);

    let ratio = ours.rate() / baseline.rate();
    println!(
        "ban {BATCH} fresh addresses, ping every {} ms from another client meanwhile",
        PING_EVERY.as_millis()
    );
    println!(
        "  fail2ban-client, one command: {:>7.1} addresses/s ({:.2} s), worst ping {:>6} ms over {} pings",
        baseline.rate(),
        baseline.elapsed.as_secs_f64(),
        baseline.worst_ping.as_millis(),
        baseline.pings
    );
    println!(
        "  bangui client, chunked:       {:>7.1} addresses/s ({:.2} s), worst ping {:>6} ms over {} pings",
        ours.rate(),
        ours.elapsed.as_secs_f64(),
        ours.worst_ping.as_millis(),
        ours.pings
    );
    println!(
        "  throughput ratio bangui/fail2ban-client: {ratio:.3} (goal >= 0.9) {}",
        if ratio >= 0.9 { "ok" } else { "MISSED" }
    );
    println!(
        "  worst ping during bangui's batch: {} ms (goal <= 1000) {}",
        ours.worst_ping.as_millis(),
        if ours.worst_ping <= Duration::from_secs(1) {
            "ok"
        } else {
            "MISSED"
        }
    );
}
