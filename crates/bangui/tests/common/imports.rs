//! Blocklist imports as the tests drive them: sources served by the test itself, imports
//! started through the API and followed to their end.

use std::time::Duration;

use bangui_testkit::cluster::{Cluster, ClusterOptions};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::{Answer, Caller, eventually, fail2ban_says};

/// `count` distinct public-looking addresses, one per line.
pub fn list_of(count: u32, offset: u32) -> Vec<String> {
    (offset..offset + count)
        .map(|i| {
            format!(
                "{}.{}.{}.{}",
                11 + i / 65_000,
                (i / 250) % 256,
                i % 250 + 1,
                7
            )
        })
        .collect()
}

pub fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

pub fn jail_bans(cluster: &Cluster) -> Vec<String> {
    let answer = fail2ban_says(cluster, &["get", "blocklist-import", "banip"]);
    sorted(
        answer
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect(),
    )
}

pub async fn create_source(
    caller: &Caller,
    base: &str,
    cookie: &str,
    name: &str,
    url: &str,
) -> i64 {
    let answer = caller
        .post(
            base,
            "/blocklists",
            Some(cookie),
            json!({ "name": name, "url": url }),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.body);
    answer.body["id"].as_i64().unwrap()
}

/// The job's answer once `wanted` holds of it (asked every `every`, for at most `within`).
pub async fn job_when(
    caller: &Caller,
    base: &str,
    cookie: &str,
    job: &str,
    (within, every): (Duration, Duration),
    wanted: impl Fn(&Value) -> bool,
) -> Option<Answer> {
    eventually(within, every, async || {
        let answer = caller
            .get(base, &format!("/jobs/{job}"), Some(cookie))
            .await;
        wanted(&answer.body).then_some(answer)
    })
    .await
}

/// Waits (up to 90 s) until the job is over; returns its last answer.
pub async fn finished(caller: &Caller, base: &str, cookie: &str, job: &str) -> Answer {
    let over = |job: &Value| matches!(job["state"].as_str(), Some("done" | "failed" | "killed"));
    let timing = (Duration::from_secs(90), Duration::from_millis(100));
    job_when(caller, base, cookie, job, timing, over)
        .await
        .unwrap_or_else(|| panic!("job {job} did not finish in 90 s"))
}

/// Imports `source` now and waits until the job is over.
pub async fn imported(caller: &Caller, base: &str, cookie: &str, source: i64) -> Answer {
    let job = import_now(caller, base, cookie, source).await;
    finished(caller, base, cookie, &job).await
}

pub async fn import_now(caller: &Caller, base: &str, cookie: &str, source: i64) -> String {
    let answer = caller
        .post(
            base,
            &format!("/blocklists/{source}/import"),
            Some(cookie),
            json!({}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "{}", answer.body);
    answer.body["job_id"].as_str().unwrap().to_owned()
}

/// Waits until the job has banned its first addresses.
pub async fn wait_for_progress(caller: &Caller, base: &str, cookie: &str, job: &str) {
    let going = |job: &Value| job["progress"]["done"].as_u64().is_some_and(|d| d >= 500);
    let timing = (Duration::from_secs(20), Duration::from_millis(5));
    job_when(caller, base, cookie, job, timing, going)
        .await
        .expect("the import never got going");
}

pub fn with_job_workers(mut cluster: Cluster, n: usize, extra: &[(&str, &str)]) -> Cluster {
    for _ in 0..n {
        cluster.start_job_worker(extra).unwrap();
    }
    cluster
}

pub fn lab() -> ClusterOptions {
    ClusterOptions::workers(2)
        .env("BANGUI_BLOCKLIST_ALLOW_PRIVATE", "true")
        .env("BANGUI_JOB_HEARTBEAT_SECONDS", "2")
}

/// The one run of a source in the log, once its job is over.
pub async fn single_run(caller: &Caller, base: &str, cookie: &str, source: i64) -> Value {
    let runs = caller
        .get(base, "/blocklists/runs", Some(cookie))
        .await
        .body;
    let mine: Vec<&Value> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["source_id"] == source)
        .collect();
    assert_eq!(mine.len(), 1, "{runs}");
    mine[0].clone()
}
