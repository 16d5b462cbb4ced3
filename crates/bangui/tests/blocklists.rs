//! Blocklist imports with real job workers, a real fail2ban and lists served over HTTP from
//! the test itself: sources, previews, schedules, imports by difference, refusals, and imports
//! that survive their worker.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::ClusterOptions;
use bangui_testkit::postgres::psql;
use common::imports::{
    create_source, finished, import_now, imported, jail_bans, job_when, lab, list_of, single_run,
    sorted, wait_for_progress, with_job_workers,
};
use common::{Answer, Caller, cluster, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_20000_address_import_survives_the_kill_of_its_worker() {
    let server = ListServer::start().unwrap();
    let addresses = list_of(20_000, 0);
    server.put("/big.txt", addresses.join("\n"));
    let mut cluster = with_job_workers(cluster(lab()), 2, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "big", &server.url("/big.txt")).await;
    let job = import_now(&caller, &base, &cookie, source).await;

    // Halfway (at least one chunk banned), freeze fail2ban so that the run is stuck on it, and
    // kill -9 the worker running it.
    wait_for_progress(&caller, &cluster.url(1), &cookie, &job).await;
    let f2b = cluster.fail2ban.as_ref().unwrap();
    f2b.pause().unwrap();
    let lock_by = psql(
        &cluster.database_url,
        &format!("SELECT lock_by FROM apalis.jobs WHERE id = '{job}'"),
    )
    .unwrap();
    let victim = (0..2)
        .find(|&i| lock_by.contains(&format!("-{}-", cluster.job_worker_pid(i))))
        .expect("no worker runs it");
    cluster.kill_job_worker(victim).unwrap();
    cluster.fail2ban.as_ref().unwrap().resume().unwrap();

    let done = finished(&caller, &base, &cookie, &job).await;
    assert_eq!(done.body["state"], "done", "{}", done.body);
    assert!(
        done.body["attempts"].as_u64().unwrap() >= 2,
        "the job did not run again: {}",
        done.body
    );
    assert_eq!(jail_bans(&cluster), sorted(addresses));

    let runs = caller
        .get(&base, "/blocklists/runs", Some(&cookie))
        .await
        .body;
    assert_eq!(runs["total"], 1, "{runs}");
    let run = &runs["items"][0];
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(run["valid"], 20_000);
    // The second attempt did what the first had not recorded yet.
    let redone = run["newly_banned"].as_u64().unwrap() + run["already_banned"].as_u64().unwrap();
    assert!(redone > 0 && redone < 20_000, "{run}");
}

#[tokio::test]
async fn a_stopping_worker_finishes_the_import_it_runs() {
    let server = ListServer::start().unwrap();
    let addresses = list_of(20_000, 0);
    server.put("/big.txt", addresses.join("\n"));
    // One job worker: nobody else could finish the run for it.
    let cluster = with_job_workers(cluster(lab()), 1, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "big", &server.url("/big.txt")).await;
    let job = import_now(&caller, &base, &cookie, source).await;

    // SIGTERM while the run waits for a frozen fail2ban; it carries on when fail2ban does.
    wait_for_progress(&caller, &base, &cookie, &job).await;
    cluster.fail2ban.as_ref().unwrap().pause().unwrap();
    let running = caller
        .get(&base, &format!("/jobs/{job}"), Some(&cookie))
        .await;
    assert_eq!(running.body["state"], "running", "{}", running.body);
    assert_eq!(running.body["attempts"], 1, "{}", running.body);
    assert!(
        running.body["progress"]["done"].as_u64() < running.body["progress"]["total"].as_u64(),
        "{}",
        running.body
    );
    cluster.ask_job_worker_to_stop(0).unwrap();
    let often = Duration::from_millis(10);
    let told = eventually(Duration::from_secs(5), often, async || {
        cluster.job_worker_log(0).contains("SIGTERM").then_some(())
    });
    assert!(told.await.is_some());
    cluster.fail2ban.as_ref().unwrap().resume().unwrap();
    let stopped = eventually(Duration::from_secs(30), often, async || {
        (!cluster.job_worker_is_running(0)).then_some(())
    });
    assert!(stopped.await.is_some(), "the worker did not stop");

    let done = caller
        .get(&base, &format!("/jobs/{job}"), Some(&cookie))
        .await;
    assert_eq!(done.body["state"], "done", "{}", done.body);
    assert_eq!(done.body["attempts"], 1, "{}", done.body);
    assert_eq!(jail_bans(&cluster), sorted(addresses));
    let runs = caller
        .get(&base, "/blocklists/runs", Some(&cookie))
        .await
        .body;
    assert_eq!(runs["items"][0]["status"], "completed", "{runs}");
}

#[tokio::test]
async fn a_failure_retrying_may_fix_is_retried_after_a_delay() {
    let server = ListServer::start().unwrap();
    server.put_with("/flaky.txt", 503, "try later", &[]);
    let cluster = with_job_workers(cluster(lab()), 1, &[("BANGUI_JOB_RETRY_SECONDS", "3")]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "flaky", &server.url("/flaky.txt")).await;
    let job = import_now(&caller, &base, &cookie, source).await;

    let timing = (Duration::from_secs(10), Duration::from_millis(20));
    let retrying = job_when(&caller, &base, &cookie, &job, timing, |job| {
        job["state"] == "retrying"
    })
    .await
    .expect("the first failure did not leave the job retrying");
    // The list server recovers; the second attempt, not before it is due, imports the list.
    server.put("/flaky.txt", "192.0.2.10\n192.0.2.11\n");
    assert_eq!(retrying.body["attempts"], 1, "{}", retrying.body);
    assert!(
        retrying.body["error"].as_str().unwrap().contains("503"),
        "{}",
        retrying.body
    );
    // Due three seconds after the failure (which came after the attempt started), not at once.
    let at = |answer: &Answer, field: &str| {
        chrono::DateTime::parse_from_rfc3339(answer.body[field].as_str().unwrap()).unwrap()
    };
    let retry_at = at(&retrying, "run_at");
    assert!(
        retry_at - at(&retrying, "started_at") >= chrono::Duration::milliseconds(2900),
        "retry due at once: {}",
        retrying.body
    );
    let run = single_run(&caller, &base, &cookie, source).await;
    assert_eq!(run["status"], "failed", "{run}");

    let done = finished(&caller, &base, &cookie, &job).await;
    assert_eq!(done.body["state"], "done", "{}", done.body);
    assert_eq!(done.body["attempts"], 2, "{}", done.body);
    assert!(
        at(&done, "started_at") >= retry_at,
        "ran before due: {}",
        done.body
    );
    assert_eq!(jail_bans(&cluster), ["192.0.2.10", "192.0.2.11"]);
    let run = single_run(&caller, &base, &cookie, source).await;
    assert_eq!(run["status"], "completed", "{run}");
}

#[tokio::test]
async fn the_schedule_imports_the_enabled_sources_once_across_the_cluster() {
    let server = ListServer::start().unwrap();
    server.put("/a.txt", "192.0.2.20\n192.0.2.21\n");
    server.put("/b.txt", "198.51.100.20\n");
    server.put("/off.txt", "203.0.113.20\n");
    let cluster = with_job_workers(cluster(lab()), 3, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (base, c) = (cluster.url(0), Some(cookie.as_str()));
    let a = create_source(&caller, &base, &cookie, "a", &server.url("/a.txt")).await;
    let b = create_source(&caller, &base, &cookie, "b", &server.url("/b.txt")).await;
    let off = create_source(&caller, &base, &cookie, "off", &server.url("/off.txt")).await;
    let disabled = caller
        .post(
            &base,
            &format!("/blocklists/{off}/enabled"),
            c,
            json!({ "enabled": false }),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.body);
    // Every minute: the workers tick on the minute, so this waits for the next one.
    let every_minute = caller
        .send(
            reqwest::Method::PUT,
            format!("{base}/api/v1/blocklists/schedule"),
            c,
            true,
            Some(json!({ "kind": "cron", "expression": "* * * * *" })),
        )
        .await;
    assert_eq!(every_minute.status, StatusCode::OK, "{}", every_minute.body);

    let mut runs = Value::Null;
    eventually(
        Duration::from_secs(75),
        Duration::from_millis(100),
        async || {
            runs = caller.get(&base, "/blocklists/runs", c).await.body;
            let completed = runs["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|r| r["status"] == "completed")
                .count();
            (completed >= 2).then_some(())
        },
    )
    .await;
    let mut imported: Vec<i64> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["source_id"].as_i64().unwrap())
        .collect();
    imported.sort_unstable();
    assert_eq!(imported, [a, b], "{runs}");
    let scheduled = psql(
        &cluster.database_url,
        "SELECT count(*) FROM apalis.jobs WHERE job_type = 'blocklist-import' \
         AND idempotency_key LIKE 'blocklist-import:scheduled:%'",
    )
    .unwrap();
    assert_eq!(scheduled.trim(), "1", "three workers, one tick, one job");
    assert_eq!(
        jail_bans(&cluster),
        ["192.0.2.20", "192.0.2.21", "198.51.100.20"]
    );
}

#[tokio::test]
async fn reimports_change_only_the_difference() {
    let server = ListServer::start().unwrap();
    let addresses = list_of(1000, 0);
    server.put("/list.txt", addresses.join("\n"));
    let cluster = with_job_workers(cluster(lab()), 2, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "list", &server.url("/list.txt")).await;
    let stats = |answer: &Answer| answer.body["result"]["runs"][0]["stats"].clone();

    let first = imported(&caller, &base, &cookie, source).await;
    assert_eq!(stats(&first)["newly_banned"], 1000, "{}", first.body);
    assert_eq!(jail_bans(&cluster), sorted(addresses.clone()));

    let again = finished(
        &caller,
        &cluster.url(1),
        &cookie,
        &import_now(&caller, &cluster.url(1), &cookie, source).await,
    )
    .await;
    let s = stats(&again);
    assert_eq!(
        (
            s["newly_banned"].as_u64(),
            s["already_banned"].as_u64(),
            s["removed"].as_u64()
        ),
        (Some(0), Some(0), Some(0)),
        "{s}"
    );

    // 100 lines removed: exactly those 100 are unbanned.
    let kept: Vec<String> = addresses[100..].to_vec();
    server.put("/list.txt", kept.join("\n"));
    let shrunk = imported(&caller, &base, &cookie, source).await;
    assert_eq!(stats(&shrunk)["removed"], 100, "{}", shrunk.body);
    assert_eq!(jail_bans(&cluster), sorted(kept.clone()));

    // An address another source also lists stays banned when this one drops it.
    server.put("/other.txt", addresses[100..110].join("\n"));
    let other = create_source(&caller, &base, &cookie, "other", &server.url("/other.txt")).await;
    imported(&caller, &base, &cookie, other).await;
    server.put("/list.txt", addresses[110..].join("\n"));
    let dropped = imported(&caller, &base, &cookie, source).await;
    assert_eq!(stats(&dropped)["removed"], 0, "{}", dropped.body);
    assert_eq!(jail_bans(&cluster), sorted(kept));

    // Deleting a source lifts what only it banned.
    let deleted = caller
        .delete(
            &base,
            &format!("/blocklists/{source}"),
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(deleted.status, StatusCode::ACCEPTED, "{}", deleted.body);
    finished(
        &caller,
        &base,
        &cookie,
        deleted.body["job_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(jail_bans(&cluster), sorted(addresses[100..110].to_vec()));
    assert_eq!(
        caller
            .get(&base, &format!("/blocklists/{source}"), Some(&cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn refused_lists_fail_with_a_clear_error_and_change_nothing() {
    let server = ListServer::start().unwrap();
    server.put("/huge.txt", list_of(2000, 0).join("\n"));
    server.put("/ok.txt", "192.0.2.1\n");
    let cluster = with_job_workers(
        cluster(lab().env("BANGUI_BLOCKLIST_MAX_BYTES", "10000")),
        1,
        &[],
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);

    let huge = create_source(&caller, &base, &cookie, "huge", &server.url("/huge.txt")).await;
    let nojail = caller
        .post(
            &base,
            "/blocklists",
            Some(&cookie),
            json!({ "name": "nojail", "url": server.url("/ok.txt"), "jail": "nosuch" }),
        )
        .await
        .body["id"]
        .as_i64()
        .unwrap();
    let ftp = create_source(&caller, &base, &cookie, "ftp", &server.url("/ok.txt")).await;
    // The API refuses other schemes; a source stored by other means is refused at import.
    let refused = caller
        .post(
            &base,
            "/blocklists",
            Some(&cookie),
            json!({ "name": "f", "url": "ftp://example.org/x" }),
        )
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.code()),
        (422, "invalid_url")
    );
    psql(
        &cluster.database_url,
        &format!("UPDATE blocklist_sources SET url = 'ftp://example.org/list' WHERE id = {ftp}"),
    )
    .unwrap();

    for (source, why) in [
        (huge, "larger than the limit"),
        (nojail, "jail nosuch is not running"),
        (ftp, "only http and https"),
    ] {
        let job = imported(&caller, &base, &cookie, source).await;
        assert_eq!(job.body["state"], "failed", "{}", job.body);
        // Retrying cannot help: one attempt of three.
        assert_eq!(job.body["attempts"], 1, "{}", job.body);
        let run = single_run(&caller, &base, &cookie, source).await;
        assert_eq!(run["status"], "failed", "{run}");
        assert!(run["error"].as_str().unwrap().contains(why), "{run}");
    }
    assert_eq!(jail_bans(&cluster), Vec::<String>::new());
}

#[tokio::test]
async fn loopback_lists_are_refused_unless_allowed() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "192.0.2.1\n");
    server.put_with("/redirect", 302, "", &[("Location", "/list.txt")]);
    let cluster = with_job_workers(
        cluster(ClusterOptions::workers(1).env("BANGUI_JOB_HEARTBEAT_SECONDS", "2")),
        1,
        &[],
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(&caller, &base, &cookie, "local", &server.url("/list.txt")).await;
    let job = imported(&caller, &base, &cookie, source).await;
    assert_eq!(job.body["state"], "failed", "{}", job.body);
    let run = single_run(&caller, &base, &cookie, source).await;
    assert!(
        run["error"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{run}"
    );
    let preview = caller
        .post(
            &base,
            &format!("/blocklists/{source}/preview"),
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(
        (preview.status.as_u16(), preview.code()),
        (502, "blocklist_fetch_failed")
    );
    assert!(
        preview.body["message"]
            .as_str()
            .unwrap()
            .contains("not a public address"),
        "{}",
        preview.body
    );
    assert_eq!(jail_bans(&cluster), Vec::<String>::new());
}

#[tokio::test]
async fn two_import_now_at_the_same_moment_make_one_run() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", list_of(300, 0).join("\n"));
    let cluster = with_job_workers(cluster(lab()), 2, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let source = create_source(
        &caller,
        &cluster.url(0),
        &cookie,
        "list",
        &server.url("/list.txt"),
    )
    .await;
    let path = format!("/blocklists/{source}/import");
    let (url0, url1) = (cluster.url(0), cluster.url(1));
    let (a, b) = tokio::join!(
        caller.post(&url0, &path, Some(&cookie), json!({})),
        caller.post(&url1, &path, Some(&cookie), json!({}))
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::ACCEPTED, StatusCode::ACCEPTED)
    );
    assert_eq!(a.body["job_id"], b.body["job_id"], "{} {}", a.body, b.body);
    finished(&caller, &url0, &cookie, a.body["job_id"].as_str().unwrap()).await;
    let run = single_run(&caller, &url0, &cookie, source).await;
    assert_eq!(run["newly_banned"], 300);
    // Once it is over, "import now" starts a new job.
    let next = import_now(&caller, &url1, &cookie, source).await;
    assert_ne!(next, a.body["job_id"].as_str().unwrap());
}

#[tokio::test]
async fn sources_schedule_and_preview_through_the_api() {
    let server = ListServer::start().unwrap();
    server.put(
        "/list.txt",
        "# header\n192.0.2.1\n192.0.2.1\n192.0.2.2 ; inline\nnot-an-ip\n2001:db8::1\n",
    );
    let cluster = cluster(lab());
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (base, c) = (cluster.url(0), Some(cookie.as_str()));

    let id = create_source(
        &caller,
        &base,
        &cookie,
        "lab list",
        &server.url("/list.txt"),
    )
    .await;
    let dup = caller
        .post(
            &base,
            "/blocklists",
            c,
            json!({ "name": "lab list", "url": server.url("/x") }),
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT, "{}", dup.body);
    for (body, code) in [
        (
            json!({ "name": "", "url": "https://example.org/x" }),
            "invalid_name",
        ),
        (
            json!({ "name": "x", "url": "https://user:pw@example.org/x" }),
            "invalid_url",
        ),
        (
            json!({ "name": "x", "url": "javascript:alert(1)" }),
            "invalid_url",
        ),
        (
            json!({ "name": "x", "url": "https://example.org/x", "jail": "../etc" }),
            "invalid_jail_name",
        ),
        (
            json!({ "name": "x", "url": "https://example.org/x", "cron": "* * * * *" }),
            "invalid_body",
        ),
    ] {
        assert_eq!(
            caller
                .post(&base, "/blocklists", c, body.clone())
                .await
                .code(),
            code,
            "{body}"
        );
    }

    let preview = caller
        .post(
            &cluster.url(1),
            &format!("/blocklists/{id}/preview"),
            c,
            json!({}),
        )
        .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(
        (
            preview.body["valid"].as_u64(),
            preview.body["invalid"].as_u64(),
            preview.body["duplicates"].as_u64()
        ),
        (Some(4), Some(1), Some(1))
    );
    assert_eq!(preview.body["first_lines"][0], "# header");

    let updated = caller
        .send(
            reqwest::Method::PUT,
            format!("{base}/api/v1/blocklists/{id}"),
            c,
            true,
            Some(json!({ "name": "renamed", "url": server.url("/list.txt"), "enabled": false })),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK, "{}", updated.body);
    assert_eq!(
        (
            updated.body["name"].as_str(),
            updated.body["enabled"].as_bool()
        ),
        (Some("renamed"), Some(false))
    );
    let enabled = caller
        .post(
            &base,
            &format!("/blocklists/{id}/enabled"),
            c,
            json!({ "enabled": true }),
        )
        .await;
    assert_eq!(enabled.body["enabled"], true);
    let listed = caller.get(&cluster.url(1), "/blocklists", c).await.body;
    assert_eq!(listed["items"][0]["name"], "renamed");

    assert_eq!(
        caller.get(&base, "/blocklists/schedule", c).await.body,
        json!({ "kind": "daily", "at": "03:00" })
    );
    let put = |body: Value| {
        let (caller, base) = (&caller, base.clone());
        async move {
            caller
                .send(
                    reqwest::Method::PUT,
                    format!("{base}/api/v1/blocklists/schedule"),
                    c,
                    true,
                    Some(body),
                )
                .await
        }
    };
    let weekly = json!({ "kind": "weekly", "day": "mon", "at": "04:30" });
    assert_eq!(put(weekly.clone()).await.status, StatusCode::OK);
    assert_eq!(
        caller
            .get(&cluster.url(1), "/blocklists/schedule", c)
            .await
            .body,
        weekly
    );
    for bad in [
        json!({ "kind": "daily", "at": "25:00" }),
        json!({ "kind": "cron", "expression": "nope" }),
        json!({ "kind": "yearly" }),
    ] {
        assert_eq!(
            put(bad.clone()).await.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}"
        );
    }
    assert_eq!(
        caller.get(&base, "/blocklists/abc", c).await.code(),
        "invalid_id"
    );
    assert_eq!(
        caller.get(&base, "/blocklists/999999", c).await.status,
        StatusCode::NOT_FOUND
    );
}

/// The fixtures of bangui-blocklist: one list per format, and what Python's `ipaddress` says
/// importing it leaves banned.
fn fixture(name: &str) -> (Vec<u8>, Value) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../bangui-blocklist/tests/fixtures/lists");
    let body = std::fs::read(dir.join(name)).unwrap();
    let expected =
        serde_json::from_slice(&std::fs::read(dir.join(format!("{name}.expected.json"))).unwrap())
            .unwrap();
    (body, expected)
}

/// fail2ban's list of the import jail, canonical (as bangui writes addresses and networks).
fn canonical_bans(cluster: &bangui_testkit::cluster::Cluster) -> Vec<String> {
    sorted(
        jail_bans(cluster)
            .iter()
            .map(|ip| bangui_core::parse_network(ip).unwrap().to_string())
            .collect(),
    )
}

#[tokio::test]
async fn every_list_format_imports_what_it_lists() {
    let server = ListServer::start().unwrap();
    let cluster = with_job_workers(cluster(lab()), 1, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    server.put("/list", "");
    let source = create_source(&caller, &base, &cookie, "list", &server.url("/list")).await;
    // One source whose list changes format from run to run: each import also replaces what
    // the one before banned, by difference.
    for name in [
        "firehol_level3.netset",
        "spamhaus_drop.txt",
        "dshield_block.txt",
        "blocklist_de_all.txt",
        "cins_badguys.txt",
        "et_compromised_ips.txt",
        "abuseipdb.csv",
    ] {
        let (body, expected) = fixture(name);
        server.put("/list", body);
        let preview = caller
            .post(
                &cluster.url(1),
                &format!("/blocklists/{source}/preview"),
                Some(&cookie),
                json!({}),
            )
            .await;
        assert_eq!(preview.status, StatusCode::OK, "{name}: {}", preview.body);
        let p = &preview.body;
        assert_eq!(
            (
                &p["format"],
                &p["valid"],
                &p["invalid"],
                &p["duplicates"],
                &p["covered"]
            ),
            (
                &expected["format"],
                &expected["valid"],
                &expected["invalid"],
                &expected["duplicates"],
                &expected["covered"]
            ),
            "{name}: {p}"
        );
        let wanted: Vec<String> = serde_json::from_value(expected["entries"].clone()).unwrap();
        assert_eq!(p["distinct"], wanted.len(), "{name}");
        let counted: u64 = [
            "ipv4_addresses",
            "ipv4_networks",
            "ipv6_addresses",
            "ipv6_networks",
        ]
        .iter()
        .map(|k| p["counts"][k].as_u64().unwrap())
        .sum();
        assert_eq!(counted, wanted.len() as u64, "{name}: {p}");
        let skipped = p["skipped"].as_array().unwrap();
        assert_eq!(skipped.len() as u64, expected["invalid"].as_u64().unwrap());
        assert!(
            skipped
                .iter()
                .all(|s| s["line"].as_u64().unwrap() > 0 && s["reason"].is_string()),
            "{name}: {p}"
        );

        let job = imported(&caller, &base, &cookie, source).await;
        assert_eq!(job.body["state"], "done", "{name}: {}", job.body);
        let stats = &job.body["result"]["runs"][0]["stats"];
        assert_eq!(
            (&stats["valid"], &stats["covered"], &stats["refused"]),
            (&expected["valid"], &expected["covered"], &json!(0)),
            "{name}: {stats}"
        );
        assert_eq!(canonical_bans(&cluster), wanted, "{name}: fail2ban's list");
    }
}

#[tokio::test]
async fn a_netset_reimported_without_100_networks_unbans_exactly_those() {
    let networks: Vec<String> = (0..1000u32)
        .map(|i| format!("{}.{}.{}.0/24", 11 + i / 256, i % 256, (i * 7) % 256))
        .collect();
    let server = ListServer::start().unwrap();
    server.put(
        "/level3.netset",
        format!(
            "# firehol_level3\n# ipv4 hash:net\n{}\n",
            networks.join("\n")
        ),
    );
    let cluster = with_job_workers(cluster(lab()), 1, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let url = server.url("/level3.netset");
    let source = create_source(&caller, &base, &cookie, "level3", &url).await;
    let stats = |answer: &Answer| answer.body["result"]["runs"][0]["stats"].clone();

    let first = imported(&caller, &base, &cookie, source).await;
    assert_eq!(stats(&first)["newly_banned"], 1000, "{}", first.body);
    assert_eq!(canonical_bans(&cluster), sorted(networks.clone()));

    // Every tenth network dropped.
    let kept: Vec<String> = networks
        .iter()
        .enumerate()
        .filter(|(i, _)| i % 10 != 3)
        .map(|(_, n)| n.clone())
        .collect();
    assert_eq!(kept.len(), 900);
    server.put("/level3.netset", kept.join("\n"));
    let again = imported(&caller, &cluster.url(1), &cookie, source).await;
    let s = stats(&again);
    assert_eq!(
        (
            s["removed"].as_u64(),
            s["newly_banned"].as_u64(),
            s["already_banned"].as_u64()
        ),
        (Some(100), Some(0), Some(0)),
        "{s}"
    );
    assert_eq!(canonical_bans(&cluster), sorted(kept));
    // The archive marks exactly those lifted by the blocklist.
    let lifted = psql(
        &cluster.database_url,
        "SELECT count(*) FROM ban_history WHERE unbanned_by = 'blocklist' AND masklen(ip) = 24",
    )
    .unwrap();
    assert_eq!(lifted, "100");
}

#[tokio::test]
async fn imports_skip_what_would_lock_someone_out_and_report_it() {
    let proxies = ("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32,10.20.0.0/16");
    let server = ListServer::start().unwrap();
    let refused = [
        ("0.0.0.0/0", "too_broad"),
        ("::/0", "too_broad"),
        ("10.0.0.0/7", "too_broad"),
        ("2001:db8::/31", "too_broad"),
        ("127.0.0.0/8", "loopback"),
        ("::1", "loopback"),
        ("10.20.1.0/24", "trusted_proxy"),
        ("10.20.0.7", "trusted_proxy"),
        // The import jail's ignoreip: 127.0.0.1/8 ::1 10.99.0.0/16.
        ("10.99.0.0/24", "ignored"),
        ("10.98.0.0/15", "ignored"),
        // Whoever asks for the import is at 203.0.113.9.
        ("203.0.113.0/24", "client"),
    ];
    let allowed = [
        "11.0.0.0/8",
        "198.51.100.0/24",
        "203.0.113.5",
        "2001:db8::/32",
    ];
    let body: Vec<&str> = refused.iter().map(|(e, _)| *e).chain(allowed).collect();
    server.put("/list.netset", body.join("\n"));
    let cluster = with_job_workers(cluster(lab().env(proxies.0, proxies.1)), 1, &[proxies]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let source = create_source(
        &caller,
        &base,
        &cookie,
        "risky",
        &server.url("/list.netset"),
    )
    .await;
    // Asked through the trusted proxy for a client at 203.0.113.9.
    let from_client = |path: String| {
        let (caller, cookie, base) = (&caller, &cookie, &base);
        async move {
            let response = caller
                .http
                .post(format!("{base}/api/v1{path}"))
                .header("Cookie", cookie)
                .header("X-BanGUI-Request", "1")
                .header("X-Forwarded-For", "203.0.113.9")
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let (status, headers) = (response.status(), response.headers().clone());
            let body: Value = response.json().await.unwrap();
            Answer {
                status,
                headers,
                body,
            }
        }
    };
    // The preview says so before anything is imported.
    let preview = from_client(format!("/blocklists/{source}/preview")).await;
    assert_eq!(
        (
            &preview.body["refused"],
            &preview.body["distinct"],
            &preview.body["covered"]
        ),
        (&json!(refused.len()), &json!(allowed.len()), &json!(0)),
        "{}",
        preview.body
    );
    let started = from_client(format!("/blocklists/{source}/import")).await;
    assert_eq!(started.status, StatusCode::ACCEPTED, "{}", started.body);
    let job = finished(
        &caller,
        &base,
        &cookie,
        started.body["job_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(job.body["state"], "done", "{}", job.body);
    assert_eq!(
        canonical_bans(&cluster),
        sorted(allowed.iter().map(ToString::to_string).collect()),
        "nothing refused reached fail2ban"
    );
    let run = single_run(&caller, &base, &cookie, source).await;
    assert_eq!(run["refused"], refused.len(), "{run}");
    assert_eq!(run["newly_banned"], allowed.len(), "{run}");
    let reported: Vec<(String, String)> = run["refusals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            assert!(!r["message"].as_str().unwrap().is_empty(), "{r}");
            (
                r["entry"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut expected: Vec<(String, String)> = refused
        .iter()
        .map(|(e, r)| (e.to_string(), r.to_string()))
        .collect();
    let mut got = reported;
    expected.sort();
    got.sort();
    assert_eq!(got, expected);
}
