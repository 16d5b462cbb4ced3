//! Rolling restarts behind the load balancer bangui ships (`deploy/haproxy/haproxy.cfg`, run by
//! Debian's HAProxy as an operator would run it): three web workers, a client sending a mix of
//! reads and writes at 50 requests per second with one session. Restarting the workers one by
//! one loses no request, no session and no write; a worker killed with `kill -9` costs only the
//! requests it was serving at that moment.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bangui_testkit::cluster::ClusterOptions;
use bangui_testkit::load_balancer::LoadBalancer;
use common::{Caller, cluster, fail2ban_says};
use serde_json::json;

/// One request of the load and what came of it.
#[derive(Debug, Clone)]
struct Outcome {
    started: Instant,
    finished: Instant,
    /// The address a write banned, for writes.
    banned: Option<String>,
    /// The HTTP status, or `None` when no answer came (connection reset, timeout).
    status: Option<u16>,
}

/// A client sending 50 requests per second through `base` with `cookie`: four reads (the
/// session, the jails, one jail) for every write (a ban of a new address).
struct Load {
    outcomes: Arc<Mutex<Vec<Outcome>>>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl Load {
    fn start(base: String, cookie: String, first: u32) -> Self {
        let outcomes = Arc::new(Mutex::new(Vec::new()));
        let (stop, mut stopped) = tokio::sync::watch::channel(false);
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap();
        let sink = outcomes.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(20));
            let mut requests = tokio::task::JoinSet::new();
            for n in first.. {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stopped.changed() => break,
                }
                let (client, base, cookie, sink) =
                    (client.clone(), base.clone(), cookie.clone(), sink.clone());
                requests.spawn(async move {
                    let started = Instant::now();
                    let (request, banned) = if n % 5 == 0 {
                        let ip = format!("198.18.{}.{}", n / 250 % 250, n % 250 + 1);
                        let request = client
                            .post(format!("{base}/api/v1/bans"))
                            .header("X-BanGUI-Request", "1")
                            .json(&json!({ "ip": ip, "jail": "test" }));
                        (request, Some(ip))
                    } else {
                        let path = ["/auth/session", "/jails", "/jails/test", "/auth/session"]
                            [(n % 5) as usize - 1];
                        (client.get(format!("{base}/api/v1{path}")), None)
                    };
                    let status = request
                        .header("Cookie", &cookie)
                        .send()
                        .await
                        .ok()
                        .map(|r| r.status().as_u16());
                    sink.lock().unwrap().push(Outcome {
                        started,
                        finished: Instant::now(),
                        banned,
                        status,
                    });
                });
            }
            while requests.join_next().await.is_some() {}
        });
        Self {
            outcomes,
            stop,
            task,
        }
    }

    fn done(&self) -> usize {
        self.outcomes.lock().unwrap().len()
    }

    /// Waits until `n` more requests have finished (the load runs on meanwhile).
    async fn wait_for(&self, n: usize) {
        let target = self.done() + n;
        while self.done() < target {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn stop(self) -> Vec<Outcome> {
        self.stop.send(true).unwrap();
        self.task.await.unwrap();
        Arc::try_unwrap(self.outcomes)
            .unwrap()
            .into_inner()
            .unwrap()
    }
}

fn ok(o: &Outcome) -> bool {
    o.status.is_some_and(|s| (200..300).contains(&s))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_restarts_behind_the_shipped_balancer_lose_nothing() {
    let mut cluster = cluster(
        ClusterOptions::workers(3)
            // Long enough for the balancer's one-second check to see the worker go.
            .env("BANGUI_SHUTDOWN_DELAY_SECONDS", "2")
            .env("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32")
            .env("BANGUI_API_REQUESTS_PER_MINUTE", "100000"),
    );
    let ports = cluster.ports();
    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/haproxy/haproxy.cfg");
    let lb = LoadBalancer::shipped(&config, [ports[0], ports[1], ports[2]]).unwrap();
    for i in 0..3 {
        lb.wait_until_up(i, Duration::from_secs(20)).unwrap();
    }
    let cookie = Caller::new().ready_session(&cluster).await;

    // Restart the three workers one by one, each back in rotation before the next goes.
    let load = Load::start(lb.url(), cookie.clone(), 0);
    load.wait_for(50).await;
    for i in 0..3 {
        tokio::task::block_in_place(|| {
            cluster.terminate(i).unwrap();
            cluster.restart(i).unwrap();
            lb.wait_until_up(i, Duration::from_secs(20)).unwrap();
        });
        load.wait_for(25).await;
    }
    let outcomes = load.stop().await;
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !ok(o)).collect();
    let writes: BTreeSet<String> = outcomes
        .iter()
        .filter(|o| ok(o))
        .filter_map(|o| o.banned.clone())
        .collect();
    eprintln!(
        "rolling restart: {} requests ({} writes), {} failed",
        outcomes.len(),
        writes.len(),
        failed.len()
    );
    assert!(outcomes.len() >= 200, "{} requests", outcomes.len());
    // Zero failed requests; zero lost sessions (a lost one would be a 401).
    assert!(
        failed.is_empty(),
        "failed: {:?}",
        &failed[..failed.len().min(5)]
    );
    // Every write is there afterwards: fail2ban bans each address bangui said it banned.
    let banned = fail2ban_says(&cluster, &["get", "test", "banip"]);
    let banned: BTreeSet<String> = banned
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    assert!(writes.len() >= 40, "{} writes", writes.len());
    let missing: Vec<&String> = writes.difference(&banned).collect();
    assert!(missing.is_empty(), "writes lost: {missing:?}");

    // kill -9 under the same load: only what the killed worker was serving may fail.
    let load = Load::start(lb.url(), cookie, 100_000);
    load.wait_for(50).await;
    // The worker dies somewhere between these two instants (kill, then reaping it).
    let killed_at = Instant::now();
    tokio::task::block_in_place(|| cluster.kill(0).unwrap());
    let dead_by = Instant::now();
    load.wait_for(150).await;
    let outcomes = load.stop().await;
    let failed: Vec<&Outcome> = outcomes.iter().filter(|o| !ok(o)).collect();
    let in_flight = outcomes
        .iter()
        .filter(|o| o.started <= dead_by && o.finished >= killed_at)
        .count();
    eprintln!(
        "kill -9: {} requests, {in_flight} in flight when it was killed, {} failed",
        outcomes.len(),
        failed.len()
    );
    assert!(
        failed.iter().all(|o| o.started <= dead_by),
        "a request sent after the kill failed: {:?}",
        &failed[..failed.len().min(5)]
    );
    assert!(failed.len() <= in_flight, "{} failed", failed.len());
    let after = outcomes.iter().filter(|o| o.started > dead_by).count();
    assert!(after >= 100, "{after} requests after the kill");
}
