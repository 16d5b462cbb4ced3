//! The web UI in a real browser: Debian's Chromium, driven by Playwright (`web/e2e/`), against
//! two `bangui serve` workers behind HAProxy (round robin per request), with real Redis,
//! PostgreSQL and fail2ban. What the browser does is in the Playwright suite; this test starts
//! the stack, runs the suite, and checks that both workers served it.
#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bangui_testkit::cluster::{Cluster, http_get};
use bangui_testkit::list_server::ListServer;
use bangui_testkit::load_balancer::LoadBalancer;

fn web_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Requests to `/api/v1/…` that the worker on `port` answered since it started, from its own
/// metrics.
fn api_requests(port: u16) -> u64 {
    let (_, metrics) = http_get(port, "/metrics").unwrap_or_default();
    metrics
        .lines()
        .filter(|l| l.starts_with("bangui_http_requests_total{") && l.contains("route=\"/api/v1/"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

/// The cluster under test behind its balancer, and the API requests each worker answered
/// before it was last killed (a restarted worker's metrics start from zero).
struct Workers {
    cluster: Cluster,
    balancer: LoadBalancer,
    served_before: Vec<u64>,
}

impl Workers {
    fn served(&self, i: usize) -> u64 {
        self.served_before[i] + api_requests(self.cluster.ports()[i])
    }
}

/// What the browser suite may ask of this harness while it runs, over HTTP on 127.0.0.1:
/// `POST /workers/{i}/kill` (`kill -9`, as a crash would) and `POST /workers/{i}/restart`
/// (answers once the balancer sends it requests again). Returns the port.
fn serve_control(workers: Arc<Mutex<Workers>>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(&stream);
            let mut request = String::new();
            let _ = reader.read_line(&mut request);
            let mut header = String::new();
            while reader.read_line(&mut header).is_ok_and(|n| n > 2) {
                header.clear();
            }
            let path = request.split_whitespace().nth(1).unwrap_or("");
            let action = path
                .strip_prefix("/workers/")
                .and_then(|r| r.split_once('/'));
            let outcome = match action {
                Some((i, verb)) if request.starts_with("POST ") => {
                    let mut w = workers.lock().unwrap();
                    match (i.parse::<usize>(), verb) {
                        (Ok(i), "kill") if i < w.cluster.len() => {
                            let served = api_requests(w.cluster.ports()[i]);
                            w.served_before[i] += served;
                            w.cluster.kill(i).map_err(|e| e.to_string())
                        }
                        (Ok(i), "restart") if i < w.cluster.len() => w
                            .cluster
                            .restart(i)
                            .and_then(|()| w.balancer.wait_until_up(i, Duration::from_secs(15)))
                            .map_err(|e| e.to_string()),
                        _ => Err(format!("no such action: {path}")),
                    }
                }
                _ => Err(format!("no such action: {request}")),
            };
            let (status, body) = match outcome {
                Ok(()) => ("200 OK", "done".to_owned()),
                Err(e) => ("400 Bad Request", e),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    port
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
    // An inactive jail fail2ban cannot start (Python's re takes no look-behind of variable
    // width, which bangui's own check lets through), for the configuration page's rollback.
    let f2b = cluster
        .fail2ban
        .as_ref()
        .expect("the cluster runs fail2ban");
    std::fs::write(
        f2b.config_dir().join("filter.d/broken.conf"),
        "[Definition]\nfailregex = (?<=a+)b <HOST>\n",
    )
    .unwrap();
    std::fs::create_dir_all(f2b.config_dir().join("jail.d")).unwrap();
    std::fs::write(
        f2b.config_dir().join("jail.d/extra.conf"),
        format!(
            "[broken]\nenabled = false\nfilter = broken\nlogpath = {}\n",
            f2b.log_file("test").display()
        ),
    )
    .unwrap();
    let balancer = LoadBalancer::start(cluster.ports()).expect("HAProxy starts");
    let url = balancer.url();
    let workers = Arc::new(Mutex::new(Workers {
        served_before: vec![0; cluster.len()],
        cluster,
        balancer,
    }));
    let control = serve_control(workers.clone());
    // The blocklist the suite imports: 100,000 public addresses, so that the active bans
    // table is tried at the size the issue names.
    let lists = ListServer::start().unwrap();
    lists.put("/big.txt", big_list(100_000));

    let output = Command::new("npx")
        .args(["playwright", "test"])
        .current_dir(&web)
        .env("BANGUI_E2E_URL", url)
        .env("BANGUI_E2E_LIST_URL", lists.url("/big.txt"))
        .env(
            "BANGUI_E2E_CONTROL_URL",
            format!("http://127.0.0.1:{control}"),
        )
        .env("CI", "1")
        .output()
        .expect("npx runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    println!("{stdout}\n{stderr}");
    let workers = workers.lock().unwrap();
    let cluster = &workers.cluster;
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
    for i in 0..2 {
        let served = workers.served(i);
        assert!(
            served >= 20,
            "worker {i} answered only {served} API requests"
        );
    }
}
