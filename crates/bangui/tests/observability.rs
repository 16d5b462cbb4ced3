//! What an operator sees of real workers: log lines that name the request or job behind each
//! fail2ban command, metrics on a listener of their own, traces over OTLP.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::{Cluster, ClusterOptions};
use common::imports::{create_source, finished, import_now, lab, with_job_workers};
use common::{Caller, Fixture, cluster, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Logs with every fail2ban command (debug level) besides the usual info lines.
const COMMAND_LOGS: (&str, &str) = ("RUST_LOG", "info,bangui_fail2ban=debug");

/// The JSON log lines of a process.
fn lines(log: &str) -> Vec<Value> {
    log.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// The fail2ban command lines of `command` (its first three words) in `log`.
fn commands<'a>(log: &'a [Value], command: &str) -> Vec<&'a Value> {
    log.iter()
        .filter(|l| {
            l["fields"]["message"] == "fail2ban command" && l["fields"]["command"] == command
        })
        .collect()
}

/// The value of `field` in the spans a log line happened in.
fn in_spans<'a>(line: &'a Value, field: &str) -> Vec<&'a Value> {
    line["spans"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|span| span.get(field))
        .collect()
}

#[tokio::test]
async fn a_manual_ban_s_fail2ban_command_is_logged_with_its_request_id() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(1).env(COMMAND_LOGS.0, COMMAND_LOGS.1)).await;
    let ban = caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": "203.0.113.21", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    let request_id = ban.headers["x-request-id"].to_str().unwrap().to_owned();

    let log = lines(&cluster.log(0));
    let banip = commands(&log, "set test banip");
    assert_eq!(banip.len(), 1, "{banip:?}");
    assert_eq!(
        in_spans(banip[0], "request_id"),
        [&Value::from(request_id.clone())]
    );
    // The runtime operation's span is there too, between the request and the command.
    let names: Vec<&Value> = banip[0]["spans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| &s["name"])
        .collect();
    assert_eq!(names, [&json!("request"), &json!("ban")], "{}", banip[0]);
    assert_eq!(in_spans(banip[0], "ip"), [&json!("203.0.113.21")]);
    // Not another request's: the status refresh after the ban names it as well.
    let others: Vec<&Value> = log
        .iter()
        .filter(|l| l["fields"]["message"] == "fail2ban command")
        .filter(|l| in_spans(l, "request_id").contains(&&Value::from(request_id.clone())))
        .collect();
    assert!(others.len() >= 2, "{others:?}");
}

#[tokio::test]
async fn an_import_job_s_fail2ban_commands_are_logged_with_its_job_id() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "198.51.100.31\n198.51.100.32\n");
    let cluster = with_job_workers(cluster(lab()), 1, &[COMMAND_LOGS]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "list", &server.url("/list.txt")).await;
    let job = import_now(&caller, &base, &cookie, source).await;
    assert_eq!(
        finished(&caller, &base, &cookie, &job).await.body["state"],
        "done"
    );

    let log = lines(&cluster.job_worker_log(0));
    let banip = commands(&log, "set blocklist-import banip");
    assert!(
        !banip.is_empty(),
        "no banip command in the job worker's log"
    );
    for line in banip {
        let job_span = line["spans"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == "job")
            .unwrap_or_else(|| panic!("not in a job's span: {line}"));
        assert_eq!(
            (
                &job_span["job_id"],
                &job_span["kind"],
                &job_span["attempt"],
                &job_span["source"]
            ),
            (
                &Value::from(job.clone()),
                &json!("blocklist-import"),
                &json!(1),
                &json!(source)
            ),
            "{line}"
        );
    }
}

#[tokio::test]
async fn metrics_can_have_a_listener_of_their_own() {
    let cluster = cluster(ClusterOptions::workers(1).env("BANGUI_METRICS_LISTEN", "127.0.0.1:0"));
    let caller = Caller::new();
    let main = cluster.url(0);
    assert_eq!(
        caller.get(&main, "/health/live", None).await.status,
        StatusCode::OK
    );
    // The worker says where it listens (port 0: the system chose).
    let log = lines(&cluster.log(0));
    let serving = log
        .iter()
        .find(|l| l["fields"]["message"] == "bangui serving")
        .unwrap();
    let address = serving["fields"]["metrics_listen"].as_str().unwrap();
    let address = address.trim_start_matches("Some(").trim_end_matches(')');

    let metrics = caller
        .http
        .get(format!("http://{address}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), StatusCode::OK);
    let text = metrics.text().await.unwrap();
    assert!(
        text.lines()
            .any(|l| l.starts_with("bangui_http_requests_total{")
                && l.contains(r#"route="/api/v1/health/live""#)),
        "{text}"
    );
    // The main listener no longer serves them.
    let elsewhere = caller
        .send(
            reqwest::Method::GET,
            format!("{main}/metrics"),
            None,
            false,
            None,
        )
        .await;
    assert_eq!(
        (elsewhere.status.as_u16(), elsewhere.code()),
        (404, "not_found")
    );
}

#[tokio::test]
async fn traces_go_out_over_otlp_when_an_endpoint_is_set() {
    let collector = ListServer::start().unwrap();
    collector.put("/v1/traces", "");
    let endpoint = collector.url("");
    let cluster = cluster(
        ClusterOptions::workers(1)
            .env("OTEL_EXPORTER_OTLP_ENDPOINT", &endpoint)
            .env("OTEL_BSP_SCHEDULE_DELAY", "100"),
    );
    let caller = Caller::new();
    let live = caller.get(&cluster.url(0), "/health/live", None).await;
    assert_eq!(live.status, StatusCode::OK);
    let exported = eventually(
        Duration::from_secs(20),
        Duration::from_millis(100),
        async || {
            collector
                .received()
                .into_iter()
                .find(|r| r.method == "POST" && r.path == "/v1/traces")
        },
    )
    .await
    .expect("no traces reached the collector");
    assert_eq!(
        exported.content_type.as_deref(),
        Some("application/x-protobuf")
    );
    // Protobuf carries strings as they are: the service and the request span are in it.
    let body = String::from_utf8_lossy(&exported.body);
    assert!(body.contains("bangui"), "{body:?}");
    assert!(body.contains("request"), "{body:?}");
}

/// `fail2ban-client`'s own answer (the program operators run), as text.
fn fail2ban_client(cluster: &Cluster, words: &[&str]) -> String {
    let f2b = cluster.fail2ban.as_ref().unwrap();
    let output = std::process::Command::new("fail2ban-client")
        .arg("-c")
        .arg(f2b.config_dir())
        .arg("-s")
        .arg(f2b.socket())
        .args(words)
        .output()
        .unwrap();
    assert!(output.status.success(), "{words:?}: {output:?}");
    String::from_utf8(output.stdout).unwrap()
}

/// The value after `label` in `fail2ban-client status`'s tree (`|- Currently failed:\t1`).
fn status_field(text: &str, label: &str) -> String {
    text.lines()
        .find_map(|l| {
            l.split_once(&format!("{label}:"))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {label} in {text}"))
}

/// The `f2b_*` series of a worker's scrape, without HELP/TYPE lines, as `name{labels} value`.
async fn f2b_series(caller: &Caller, base: &str) -> Vec<String> {
    let text = caller.metrics(base).await;
    let mut series: Vec<String> = text
        .lines()
        .filter(|l| l.starts_with("f2b_"))
        .map(str::to_owned)
        .collect();
    series.sort();
    series
}

/// What `/metrics` must say of fail2ban, worked out from `fail2ban-client` alone.
fn expected_f2b_series(cluster: &Cluster) -> Vec<String> {
    let overview = fail2ban_client(cluster, &["status"]);
    let jails: Vec<String> = status_field(&overview, "Jail list")
        .split(',')
        .map(|j| j.trim().to_owned())
        .collect();
    let version = fail2ban_client(cluster, &["version"]).trim().to_owned();
    let mut series = vec![
        "f2b_up 1".to_owned(),
        format!("f2b_jails {}", status_field(&overview, "Number of jail")),
        format!(
            "f2b_version{{exporter=\"bangui {}\",fail2ban=\"{version}\"}} 1",
            env!("CARGO_PKG_VERSION")
        ),
    ];
    for jail in &jails {
        let status = fail2ban_client(cluster, &["status", jail]);
        for (metric, label) in [
            ("f2b_jail_failed_current", "Currently failed"),
            ("f2b_jail_failed_total", "Total failed"),
            ("f2b_jail_banned_current", "Currently banned"),
            ("f2b_jail_banned_total", "Total banned"),
        ] {
            series.push(format!(
                "{metric}{{jail=\"{jail}\"}} {}",
                status_field(&status, label)
            ));
        }
        for (metric, setting) in [
            ("f2b_config_jail_ban_time", "bantime"),
            ("f2b_config_jail_find_time", "findtime"),
            ("f2b_config_jail_max_retry", "maxretry"),
            ("f2b_config_jail_max_retries", "maxretry"),
        ] {
            let value = fail2ban_client(cluster, &["get", jail, setting]);
            series.push(format!("{metric}{{jail=\"{jail}\"}} {}", value.trim()));
        }
    }
    series.sort();
    series
}

#[tokio::test]
async fn every_worker_exports_fail2ban_as_fail2ban_client_sees_it() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());
    let f2b = cluster.fail2ban.as_ref().unwrap();

    // Counters that differ per jail: a manual ban, a ban fail2ban makes itself, a failure.
    let banned = caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "jail": "test", "ip": "203.0.113.7" }),
        )
        .await;
    assert_eq!(banned.status, StatusCode::OK, "{}", banned.body);
    f2b.append_failures("test-incr", "198.51.100.9", 3).unwrap();
    f2b.append_failures("test", "198.51.100.10", 1).unwrap();
    let fail2ban_saw = eventually(
        Duration::from_secs(15),
        Duration::from_millis(100),
        async || {
            let incr = fail2ban_client(&cluster, &["status", "test-incr"]);
            let test = fail2ban_client(&cluster, &["status", "test"]);
            (status_field(&incr, "Total banned") == "1"
                && status_field(&test, "Currently failed") == "1")
                .then_some(())
        },
    )
    .await;
    assert!(
        fail2ban_saw.is_some(),
        "fail2ban did not act on the log lines"
    );

    // A reload through bangui rereads the jails' settings at once.
    std::fs::write(
        f2b.config_dir().join("jail.d/metrics.local"),
        "[test]\nbantime = 1234\nmaxretry = 4\n",
    )
    .unwrap();
    let reloaded = caller.post(&w1, "/jails/test/reload", c, json!({})).await;
    assert_eq!(reloaded.status, StatusCode::OK, "{}", reloaded.body);

    let expected = expected_f2b_series(&cluster);
    assert!(expected.contains(&"f2b_config_jail_ban_time{jail=\"test\"} 1234".to_owned()));
    assert!(expected.contains(&"f2b_jail_banned_total{jail=\"test-incr\"} 1".to_owned()));
    // The snapshot refreshes within its maximum age once a worker is asked for the status.
    let seen = eventually(
        Duration::from_secs(15),
        Duration::from_millis(200),
        async || {
            caller.get(&w0, "/jails", c).await;
            let (a, b) = (
                f2b_series(&caller, &w0).await,
                f2b_series(&caller, &w1).await,
            );
            (a == expected && b == expected).then_some(())
        },
    )
    .await;
    assert!(
        seen.is_some(),
        "expected {expected:#?}\nworker 0: {:#?}\nworker 1: {:#?}",
        f2b_series(&caller, &w0).await,
        f2b_series(&caller, &w1).await
    );
}

/// Job workers serving their metrics on a port of their own (the system's choice).
const WORKER_METRICS: (&str, &str) = ("BANGUI_METRICS_LISTEN", "127.0.0.1:0");

/// Where job worker `i` serves its metrics (it logs the address).
fn job_worker_metrics(cluster: &Cluster, i: usize) -> String {
    let log = lines(&cluster.job_worker_log(i));
    let line = log
        .iter()
        .find(|l| l["fields"]["message"] == "serving metrics")
        .unwrap_or_else(|| panic!("job worker {i} does not serve metrics"));
    format!(
        "http://{}/metrics",
        line["fields"]["metrics_listen"].as_str().unwrap()
    )
}

async fn scrape(url: &str) -> String {
    let response = reqwest::get(url).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response.text().await.unwrap()
}

/// `promtool check metrics` on a scrape: what it says, if anything.
fn promtool_check(text: &str) -> Result<(), String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; make deps installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() && said.trim().is_empty() {
        Ok(())
    } else {
        Err(said)
    }
}

/// The value of the sample `series` (name and labels as rendered) in a scrape.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
}

/// The names of the series a scrape holds.
fn series_names(text: &str) -> std::collections::BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// The metric names a PromQL expression reads: its identifiers, less functions, keywords,
/// label names (in braces and in `by`/`without`/`on`/`ignoring` lists) and durations.
fn promql_metrics(expr: &str) -> Vec<String> {
    let braces = regex::Regex::new(r"\{[^}]*\}").unwrap();
    let groupings =
        regex::Regex::new(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
            .unwrap();
    let ranges = regex::Regex::new(r"\[[^\]]*\]").unwrap();
    let strings = regex::Regex::new(r#""[^"]*""#).unwrap();
    let identifier = regex::Regex::new(r"[A-Za-z_:][A-Za-z0-9_:]*(\s*\()?").unwrap();
    let mut text = strings.replace_all(expr, "").into_owned();
    for pattern in [&braces, &groupings, &ranges] {
        text = pattern.replace_all(&text, " ").into_owned();
    }
    const KEYWORDS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "le"];
    identifier
        .find_iter(&text)
        .map(|m| m.as_str())
        .filter(|m| !m.ends_with('('))
        .map(str::trim)
        .filter(|m| !KEYWORDS.contains(m))
        .map(str::to_owned)
        .collect()
}

/// Imports `url` through a source that works, and through one whose jail does not run (a
/// failure retrying cannot fix); both jobs over.
async fn import_one_good_one_broken(caller: &Caller, base: &str, cookie: &str, url: &str) {
    let good = create_source(caller, base, cookie, "good", url).await;
    let broken = caller
        .post(
            base,
            "/blocklists",
            Some(cookie),
            json!({ "name": "broken", "url": url, "jail": "nosuch" }),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    for (source, state) in [(good, "done"), (broken, "failed")] {
        let job = import_now(caller, base, cookie, source).await;
        assert_eq!(
            finished(caller, base, cookie, &job).await.body["state"],
            state
        );
    }
}

#[test]
fn promql_metric_names_are_told_from_functions_and_labels() {
    assert_eq!(
        promql_metrics(
            r#"histogram_quantile(0.95, sum by (route, le) (rate(bangui_http_request_duration_seconds_bucket{status=~"5.."}[5m]))) / on (instance) up or time() - max(f2b_up) > bool 2"#
        ),
        [
            "bangui_http_request_duration_seconds_bucket",
            "up",
            "f2b_up"
        ]
    );
}

#[tokio::test]
async fn a_busy_cluster_s_scrapes_pass_promtool_and_the_dashboard_reads_only_their_series() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "198.51.100.41\n198.51.100.0/28\n");
    let cluster = with_job_workers(cluster(lab()), 1, &[WORKER_METRICS]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (base, c) = (cluster.url(0), Some(cookie.as_str()));

    // A mixed workload: reads, bans of an address and a network, refusals, a lookup, the
    // archive, an import that works and one that fails, a live event stream, a rate limit.
    for path in ["/jails", "/bans/active", "/history", "/dashboard/status"] {
        assert_eq!(caller.get(&base, path, c).await.status, StatusCode::OK);
    }
    for ip in ["203.0.113.77", "203.0.113.0/26"] {
        let ban = caller
            .post(&base, "/bans", c, json!({ "ip": ip, "jail": "test" }))
            .await;
        assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    }
    let bad = caller
        .post(
            &base,
            "/bans",
            c,
            json!({ "ip": "203.0.113.1/24", "jail": "test" }),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    caller.get(&base, "/bans/lookup?ip=203.0.113.9", c).await;
    import_one_good_one_broken(&caller, &base, &cookie, &server.url("/list.txt")).await;
    let events = caller
        .http
        .get(format!("{base}/api/v1/events"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), StatusCode::OK);
    for _ in 0..7 {
        caller
            .post(&base, "/auth/login", None, json!({ "password": "wrong" }))
            .await;
    }

    let web = scrape(&format!("{base}/metrics")).await;
    let worker_url = job_worker_metrics(&cluster, 0);
    // The queue statistics include the import's success once a scrape has refreshed them.
    let worker = eventually(
        Duration::from_secs(20),
        Duration::from_millis(200),
        async || {
            let text = scrape(&worker_url).await;
            (sample(
                &text,
                r#"bangui_job_last_success_timestamp_seconds{kind="blocklist-import"}"#,
            )? > 0.0)
                .then_some(text)
        },
    )
    .await
    .expect("the queue statistics never showed the import's success");
    for (who, text) in [("web worker", &web), ("job worker", &worker)] {
        assert_eq!(promtool_check(text), Ok(()), "{who}:\n{text}");
        for series in [
            "process_resident_memory_bytes",
            "process_open_fds",
            "process_max_fds",
            "process_cpu_seconds_total",
            "process_start_time_seconds",
            "bangui_postgres_pool_max_connections",
            r#"bangui_job_queue_depth{kind="blocklist-import"}"#,
        ] {
            assert!(sample(text, series).is_some(), "{who}: no {series}");
        }
        assert!(
            text.lines().any(|l| l.starts_with("bangui_build_info{")
                && l.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION")))
                && l.ends_with(" 1")),
            "{who}: no build info"
        );
    }
    assert_eq!(sample(&web, "bangui_events_connections"), Some(1.0));
    assert_eq!(sample(&web, "bangui_worker_ready"), Some(1.0));
    assert!(sample(&web, r#"bangui_rate_limit_refusals_total{kind="login"}"#) >= Some(2.0));
    assert_eq!(
        sample(
            &worker,
            r#"bangui_jobs_succeeded_total{kind="blocklist-import"}"#
        ),
        Some(1.0)
    );
    assert_eq!(
        sample(
            &worker,
            r#"bangui_jobs_failed_total{kind="blocklist-import"}"#
        ),
        Some(1.0)
    );
    drop(events);

    // Every query of the dashboard reads series these scrapes hold.
    let exposed: std::collections::BTreeSet<String> = series_names(&web)
        .union(&series_names(&worker))
        .cloned()
        .collect();
    let dashboard: Value = serde_json::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../deploy/observability/bangui-dashboard.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let exprs: Vec<String> = dashboard["panels"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["targets"].as_array().cloned().unwrap_or_default())
        .map(|t| t["expr"].as_str().unwrap().to_owned())
        .collect();
    assert!(exprs.len() >= 20, "{} queries", exprs.len());
    let mut read = std::collections::BTreeSet::new();
    for expr in &exprs {
        for name in promql_metrics(expr) {
            assert!(
                exposed.contains(&name),
                "the dashboard's {expr:?} reads {name}, which no scrape holds"
            );
            read.insert(name);
        }
    }
    assert!(read.len() >= 20, "{read:?}");
}

#[tokio::test]
async fn job_counters_move_on_the_worker_that_ran_them() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "198.51.100.51\n");
    let cluster = with_job_workers(cluster(lab()), 2, &[WORKER_METRICS]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let urls = [
        job_worker_metrics(&cluster, 0),
        job_worker_metrics(&cluster, 1),
    ];
    let counter = |text: &str, name: &str| {
        sample(
            text,
            &format!("bangui_jobs_{name}_total{{kind=\"blocklist-import\"}}"),
        )
        .unwrap()
    };
    let runs = |text: &str| {
        sample(
            text,
            r#"bangui_job_duration_seconds_count{kind="blocklist-import",outcome="succeeded"}"#,
        )
        .unwrap_or(0.0)
            + sample(
                text,
                r#"bangui_job_duration_seconds_count{kind="blocklist-import",outcome="failed"}"#,
            )
            .unwrap_or(0.0)
    };
    let web_before = scrape(&format!("{base}/metrics")).await;
    let mut before = Vec::new();
    for url in &urls {
        before.push(scrape(url).await);
    }

    import_one_good_one_broken(&caller, &base, &cookie, &server.url("/list.txt")).await;

    let (mut succeeded, mut failed, mut started) = (0.0, 0.0, 0.0);
    for (url, before) in urls.iter().zip(&before) {
        let after = scrape(url).await;
        let delta = |name: &str| counter(&after, name) - counter(before, name);
        // Each worker counts what it ran, and only that.
        assert_eq!(
            delta("started"),
            delta("succeeded") + delta("failed"),
            "{url}"
        );
        assert_eq!(runs(&after) - runs(before), delta("started"), "{url}");
        assert_eq!(
            delta("retried"),
            0.0,
            "{url}: a failure retrying cannot fix is not retried"
        );
        (succeeded, failed, started) = (
            succeeded + delta("succeeded"),
            failed + delta("failed"),
            started + delta("started"),
        );
    }
    assert_eq!((succeeded, failed, started), (1.0, 1.0, 2.0));
    // The web worker enqueued both and ran none.
    let web_after = scrape(&format!("{base}/metrics")).await;
    let web_delta = |name: &str| counter(&web_after, name) - counter(&web_before, name);
    assert_eq!((web_delta("enqueued"), web_delta("started")), (2.0, 0.0));
}

#[tokio::test]
async fn the_queue_depth_rises_while_job_workers_are_stopped_and_drains_after() {
    // No job worker at first: what is enqueued waits.
    let mut cluster = cluster(lab());
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    for _ in 0..3 {
        let sync = caller
            .post(&base, "/history/sync", Some(&cookie), json!({}))
            .await;
        assert_eq!(sync.status, StatusCode::ACCEPTED, "{}", sync.body);
    }
    let metrics = format!("{}/metrics", cluster.url(1));
    let depth = |text: &str| sample(text, r#"bangui_job_queue_depth{kind="history-sync"}"#);
    let every = Duration::from_millis(200);
    let waiting = eventually(Duration::from_secs(20), every, async || {
        let text = scrape(&metrics).await;
        (depth(&text)? >= 3.0).then_some(text)
    })
    .await
    .expect("the queue depth never showed the waiting jobs");
    assert!(
        sample(
            &waiting,
            r#"bangui_job_queue_oldest_age_seconds{kind="history-sync"}"#
        ) > Some(0.0)
    );

    cluster.start_job_worker(&[WORKER_METRICS]).unwrap();
    eventually(Duration::from_secs(30), every, async || {
        (depth(&scrape(&metrics).await)? == 0.0).then_some(())
    })
    .await
    .expect("the queue never drained");
    let drained = scrape(&metrics).await;
    assert_eq!(
        sample(
            &drained,
            r#"bangui_job_queue_oldest_age_seconds{kind="history-sync"}"#
        ),
        Some(0.0)
    );
    assert!(
        sample(
            &drained,
            r#"bangui_job_last_success_timestamp_seconds{kind="history-sync"}"#
        ) > Some(0.0)
    );
}

#[test]
fn the_alert_rules_pass_promtool_and_their_unit_tests() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/observability");
    for args in [
        ["check", "rules", "bangui-alerts.yaml"],
        ["test", "rules", "bangui-alerts.test.yaml"],
    ] {
        let out = std::process::Command::new("promtool")
            .args(args)
            .current_dir(&dir)
            .output()
            .expect("promtool (Debian's prometheus package; make deps installs it)");
        let said = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "promtool {}: {said}", args.join(" "));
        assert!(said.contains("SUCCESS"), "{said}");
    }
    // Five alerts, and a unit test that fires each at least once.
    let rules = std::fs::read_to_string(dir.join("bangui-alerts.yaml")).unwrap();
    let tests = std::fs::read_to_string(dir.join("bangui-alerts.test.yaml")).unwrap();
    let alerts: Vec<&str> = rules
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- alert: "))
        .collect();
    assert_eq!(alerts.len(), 5, "{alerts:?}");
    for alert in alerts {
        let fired = tests.split("alertname: ").skip(1).any(|case| {
            case.starts_with(alert) && case.lines().nth(1).is_some_and(|l| !l.contains("[]"))
        });
        assert!(fired, "no unit test fires {alert}");
    }
}
