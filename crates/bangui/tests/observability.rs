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
        format!(
            "f2b_jail_count {}",
            status_field(&overview, "Number of jail")
        ),
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
