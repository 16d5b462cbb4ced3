//! What an operator sees of real workers: log lines that name the request or job behind each
//! fail2ban command, metrics on a listener of their own, traces over OTLP.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::ClusterOptions;
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
