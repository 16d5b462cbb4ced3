//! `make bench`: bangui as deployed. A web worker's cold start (process start to
//! `/api/v1/health/ready` answering 200) and idle RSS, as the release binary (the baseline) and
//! as the image (`deploy/Dockerfile` built with podman around the same binary, run read-only
//! and without capabilities); the image's size; and requests per second through HAProxy with
//! 1, 2 and 3 web workers.
//!
//! One machine runs everything, the load generator included: with 2 CPUs the throughput curve
//! is CPU-bound, and it is printed as measured, with the CPU count.

#![allow(clippy::unwrap_used)] // a benchmark that cannot set itself up should stop loudly

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bangui_testkit::cluster::http_get;
use bangui_testkit::load_balancer::LoadBalancer;
use bangui_testkit::net::free_port;
use bangui_testkit::{Postgres, Redis};

const STARTS: usize = 10;
const LOAD: Duration = Duration::from_secs(5);
const CONNECTIONS: usize = 32;

/// Polls `/api/v1/health/ready` on `port` (every millisecond) until it answers 200.
fn wait_ready(port: u16, since: Instant) -> Duration {
    loop {
        if http_get(port, "/api/v1/health/ready").is_some_and(|(s, _)| s == 200) {
            return since.elapsed();
        }
        assert!(
            since.elapsed() < Duration::from_secs(60),
            "not ready within 60 s"
        );
        std::thread::sleep(Duration::from_millis(1));
    }
}

fn rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap();
    kb / 1024.0
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Start {
    ready_ms: f64,
    rss_mb: f64,
}

fn summary(what: &str, starts: &[Start]) -> (f64, f64) {
    let ready = median(starts.iter().map(|s| s.ready_ms).collect());
    let rss = median(starts.iter().map(|s| s.rss_mb).collect());
    println!(
        "  {what:<8} cold start to ready {ready:>7.1} ms (median of {STARTS}) | idle RSS {rss:>6.1} MB"
    );
    (ready, rss)
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let binary = Path::new(env!("CARGO_BIN_EXE_bangui"));
    let redis = Redis::start().unwrap();
    let postgres = Postgres::start().unwrap();
    let env = [
        ("BANGUI_DATABASE_URL", postgres.url("postgres")),
        ("BANGUI_REDIS_URL", redis.url()),
        ("BANGUI_LOG_FORMAT", "json".to_owned()),
        ("RUST_LOG", "warn".to_owned()),
        ("BANGUI_SHUTDOWN_DELAY_SECONDS", "0".to_owned()),
    ];
    let migrate = Command::new(binary)
        .arg("migrate")
        .envs(env.iter().map(|(k, v)| (*k, v)))
        .output()
        .unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );
    println!(
        "deploy_at_scale: {} CPUs; web worker cold start and idle RSS, binary (baseline) vs image",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    // The binary.
    let binary_starts: Vec<Start> = (0..STARTS)
        .map(|_| {
            let port = free_port().unwrap();
            let since = Instant::now();
            let mut child = Command::new(binary)
                .arg("serve")
                .envs(env.iter().map(|(k, v)| (*k, v)))
                .env("BANGUI_LISTEN", format!("127.0.0.1:{port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            let ready = wait_ready(port, since);
            std::thread::sleep(Duration::from_millis(300));
            let rss = rss_mb(child.id());
            child.kill().unwrap();
            child.wait().unwrap();
            Start {
                ready_ms: ready.as_secs_f64() * 1e3,
                rss_mb: rss,
            }
        })
        .collect();
    let (binary_ready, binary_rss) = summary("binary", &binary_starts);

    // The image, around the same binary.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let tag = "localhost/bangui:bench";
    let built = Command::new(root.join("deploy/test/build-image.sh"))
        .arg(binary)
        .arg(tag)
        .status()
        .unwrap();
    assert!(built.success(), "building the image");
    let podman = |args: &[&str]| {
        let out = Command::new("podman")
            .env("CONTAINERS_CONF", "/var/tmp/bangui-podman/containers.conf")
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    };
    let size: f64 = podman(&["image", "inspect", "--format", "{{.Size}}", tag])
        .parse()
        .unwrap();
    let base: f64 = podman(&[
        "image",
        "inspect",
        "--format",
        "{{.Size}}",
        "docker.io/library/debian:bookworm-slim",
    ])
    .parse()
    .unwrap();
    let image_starts: Vec<Start> = (0..STARTS)
        .map(|i| {
            let port = free_port().unwrap();
            let name = format!("bangui-bench-{}-{i}", std::process::id());
            let since = Instant::now();
            let mut args = vec![
                "run".to_owned(),
                "-d".into(),
                "--name".into(),
                name.clone(),
                "--network=host".into(),
                "--read-only".into(),
                "--cap-drop=ALL".into(),
                "--no-healthcheck".into(),
                "-e".into(),
                format!("BANGUI_LISTEN=127.0.0.1:{port}"),
            ];
            for (k, v) in &env {
                args.push("-e".into());
                args.push(format!("{k}={v}"));
            }
            args.extend([tag.to_owned(), "serve".to_owned()]);
            podman(&args.iter().map(String::as_str).collect::<Vec<_>>());
            let ready = wait_ready(port, since);
            std::thread::sleep(Duration::from_millis(300));
            let pid: u32 = podman(&["inspect", "--format", "{{.State.Pid}}", &name])
                .parse()
                .unwrap();
            let rss = rss_mb(pid);
            podman(&["rm", "-f", "-t", "0", &name]);
            Start {
                ready_ms: ready.as_secs_f64() * 1e3,
                rss_mb: rss,
            }
        })
        .collect();
    let (image_ready, image_rss) = summary("image", &image_starts);
    println!(
        "  image vs binary: cold start ratio {:.2} (the container runtime's own start included), RSS ratio {:.2}",
        image_ready / binary_ready,
        image_rss / binary_rss
    );
    println!(
        "  image size {:.0} MB: Debian base {:.0} MB (made with mmdebstrap; Docker Hub's bookworm-slim is ~75 MB), fail2ban's client with Python and bangui ({:.0} MB) on top",
        size / 1e6,
        base / 1e6,
        std::fs::metadata(binary).unwrap().len() as f64 / 1e6
    );

    // Requests per second through HAProxy with 1, 2 and 3 workers.
    let stack = common::stack_of(3, None, &[("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32")]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let ports = stack.cluster.ports().to_vec();
    let http = reqwest::Client::new();
    let cookie = runtime.block_on(common::session(&http, &stack.cluster.url(0)));
    let mut first = 0.0;
    println!(
        "  requests/s through HAProxy (GET /api/v1/auth/session, {CONNECTIONS} connections, {}s):",
        LOAD.as_secs()
    );
    for workers in 1..=3 {
        let lb = LoadBalancer::start(&ports[..workers]).unwrap();
        let rps = runtime.block_on(load(lb.url(), cookie.clone()));
        if workers == 1 {
            first = rps;
        }
        println!(
            "    {workers} worker(s): {rps:>8.0} requests/s, ratio to 1 worker {:.2}",
            rps / first
        );
    }
}

/// Requests per second of `CONNECTIONS` clients each sending `GET /api/v1/auth/session` in a
/// loop for `LOAD`; every answer must be 200.
async fn load(base: String, cookie: String) -> f64 {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CONNECTIONS)
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    // Warm-up: every connection opened once.
    let warm = (0..CONNECTIONS).map(|_| {
        let (http, base, cookie) = (http.clone(), base.clone(), cookie.clone());
        tokio::spawn(async move {
            http.get(format!("{base}/api/v1/auth/session"))
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
        })
    });
    for w in warm.collect::<Vec<_>>() {
        w.await.unwrap();
    }
    let start = Instant::now();
    let tasks: Vec<_> = (0..CONNECTIONS)
        .map(|_| {
            let (http, base, cookie, done) =
                (http.clone(), base.clone(), cookie.clone(), done.clone());
            tokio::spawn(async move {
                while start.elapsed() < LOAD {
                    let r = http
                        .get(format!("{base}/api/v1/auth/session"))
                        .header("cookie", &cookie)
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                    r.bytes().await.unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}
