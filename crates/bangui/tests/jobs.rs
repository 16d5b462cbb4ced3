//! Background jobs on the shared queue, with several real worker processes.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::cluster::ClusterOptions;
use bangui_testkit::postgres::psql;
use common::{Caller, EventStream, cluster, eventually};
use reqwest::StatusCode;

/// `(tick, status, attempts, worker)` of every health-probe job, oldest first.
fn probe_jobs(database_url: &str) -> Vec<(u64, String, u32, String)> {
    let rows = psql(
        database_url,
        "SELECT idempotency_key || '|' || status || '|' || attempts || '|' || coalesce(lock_by, '') \
         FROM apalis.jobs WHERE job_type = 'health-probe' ORDER BY idempotency_key",
    )
    .unwrap();
    rows.lines()
        .map(|l| {
            let f: Vec<&str> = l.split('|').collect();
            let tick = f[0].strip_prefix("health-probe:").unwrap().parse().unwrap();
            (
                tick,
                f[1].to_owned(),
                f[2].parse().unwrap(),
                f[3].to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_two_second_schedule_on_three_workers_runs_every_tick_exactly_once() {
    let mut cluster = cluster(ClusterOptions::workers(1));
    for _ in 0..3 {
        cluster
            .start_job_worker(&[
                ("BANGUI_HEALTH_PROBE_SECONDS", "2"),
                ("BANGUI_JOB_HEARTBEAT_SECONDS", "2"),
            ])
            .unwrap();
    }
    // Twenty seconds of ticks: the test is about what happens over that time.
    let mut done = Vec::new();
    eventually(
        Duration::from_secs(40),
        Duration::from_millis(500),
        async || {
            done = probe_jobs(&cluster.database_url)
                .into_iter()
                .filter(|j| j.1 == "Done")
                .collect();
            (done.len() >= 10).then_some(())
        },
    )
    .await;
    assert!(done.len() >= 10, "only {} probes done in 40 s", done.len());

    let all = probe_jobs(&cluster.database_url);
    // One job per tick (the queue's unique idempotency key), no tick missing between the first
    // and the last, each run exactly once.
    for pair in all.windows(2) {
        assert_eq!(
            pair[1].0 - pair[0].0,
            2,
            "ticks {} and {} are not consecutive: {all:?}",
            pair[0].0,
            pair[1].0
        );
    }
    for job in &done {
        assert_eq!(job.2, 1, "tick {} ran {} times", job.0, job.2);
    }
    // Spread over the cluster rather than pinned to one worker.
    let mut workers: Vec<&str> = done.iter().map(|j| j.3.as_str()).collect();
    workers.sort_unstable();
    workers.dedup();
    assert!(workers.len() >= 2, "all probes ran on {workers:?}");
}

#[tokio::test]
async fn a_job_can_be_followed_through_the_api() {
    let cluster = cluster(
        ClusterOptions::workers(1)
            .env("BANGUI_SERVE_JOBS", "true")
            .env("BANGUI_HEALTH_PROBE_SECONDS", "2"),
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let job = eventually(
        Duration::from_secs(10),
        Duration::from_millis(250),
        async || {
            let rows = psql(
            &cluster.database_url,
            "SELECT id FROM apalis.jobs WHERE job_type = 'health-probe' AND status = 'Done' LIMIT 1",
        )
        .unwrap();
            (!rows.is_empty()).then_some(rows)
        },
    );
    let id = job.await.expect("no health probe ran");
    let answer = caller
        .get(&cluster.url(0), &format!("/jobs/{id}"), Some(&cookie))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.body["kind"], "health-probe");
    assert_eq!(answer.body["state"], "done");
    assert!(answer.body["error"].is_null(), "{}", answer.body);

    assert_eq!(
        caller
            .get(
                &cluster.url(0),
                "/jobs/01ARZ3NDEKTSV4RRFFQ69G5FAV",
                Some(&cookie)
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        caller
            .get(&cluster.url(0), "/jobs/..%2Fetc", Some(&cookie))
            .await
            .code(),
        "invalid_job_id"
    );
}

#[tokio::test]
async fn the_probe_alone_notices_fail2ban_leaving_and_returning() {
    // Requests never refresh the status here (an hour counts as fresh): whatever changes, the
    // probe on the job worker changed it.
    let mut cluster =
        cluster(ClusterOptions::workers(1).env("BANGUI_STATUS_MAX_AGE_SECONDS", "3600"));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let online = |answer: common::Answer| answer.body["online"].clone();
    assert_eq!(
        online(caller.get(&base, "/dashboard/status", Some(&cookie)).await),
        true
    );
    let mut events = EventStream::open(&base, &cookie, None).await;
    cluster
        .start_job_worker(&[("BANGUI_HEALTH_PROBE_SECONDS", "1")])
        .unwrap();

    cluster.fail2ban.as_mut().unwrap().stop().unwrap();
    let offline = events
        .next_of("fail2ban_offline")
        .await
        .expect("the probe did not announce that fail2ban went away");
    assert!(offline.data["error"].is_string(), "{}", offline.data);
    assert_eq!(
        online(caller.get(&base, "/dashboard/status", Some(&cookie)).await),
        false
    );

    cluster.fail2ban.as_mut().unwrap().start_again().unwrap();
    let back = events
        .next_of("fail2ban_online")
        .await
        .expect("the probe did not announce that fail2ban returned");
    assert!(back.data["version"].is_string(), "{}", back.data);
    assert_eq!(
        online(caller.get(&base, "/dashboard/status", Some(&cookie)).await),
        true
    );
}
