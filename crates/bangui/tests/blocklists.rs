//! Blocklist imports with real job workers, a real fail2ban and lists served over HTTP from
//! the test itself.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::{Cluster, ClusterOptions};
use bangui_testkit::postgres::psql;
use common::{Answer, Caller, cluster, eventually, fail2ban_says};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `count` distinct public-looking addresses, one per line.
fn list_of(count: u32, offset: u32) -> Vec<String> {
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

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

fn jail_bans(cluster: &Cluster) -> Vec<String> {
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

async fn create_source(caller: &Caller, base: &str, cookie: &str, name: &str, url: &str) -> i64 {
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
async fn job_when(
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
async fn finished(caller: &Caller, base: &str, cookie: &str, job: &str) -> Answer {
    let over = |job: &Value| matches!(job["state"].as_str(), Some("done" | "failed" | "killed"));
    let timing = (Duration::from_secs(90), Duration::from_millis(100));
    job_when(caller, base, cookie, job, timing, over)
        .await
        .unwrap_or_else(|| panic!("job {job} did not finish in 90 s"))
}

/// Imports `source` now and waits until the job is over.
async fn imported(caller: &Caller, base: &str, cookie: &str, source: i64) -> Answer {
    let job = import_now(caller, base, cookie, source).await;
    finished(caller, base, cookie, &job).await
}

async fn import_now(caller: &Caller, base: &str, cookie: &str, source: i64) -> String {
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
async fn wait_for_progress(caller: &Caller, base: &str, cookie: &str, job: &str) {
    let going = |job: &Value| job["progress"]["done"].as_u64().is_some_and(|d| d >= 500);
    let timing = (Duration::from_secs(20), Duration::from_millis(5));
    job_when(caller, base, cookie, job, timing, going)
        .await
        .expect("the import never got going");
}

fn with_job_workers(mut cluster: Cluster, n: usize, extra: &[(&str, &str)]) -> Cluster {
    for _ in 0..n {
        cluster.start_job_worker(extra).unwrap();
    }
    cluster
}

fn lab() -> ClusterOptions {
    ClusterOptions::workers(2)
        .env("BANGUI_BLOCKLIST_ALLOW_PRIVATE", "true")
        .env("BANGUI_JOB_HEARTBEAT_SECONDS", "2")
}

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

/// The one run of a source in the log, once its job is over.
async fn single_run(caller: &Caller, base: &str, cookie: &str, source: i64) -> Value {
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

/// The country the database itself gives an address (ip-location-db layout).
fn country_in(db: &std::path::Path, ip: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Record {
        country_code: String,
    }
    let reader = maxminddb::Reader::open_readfile(db).unwrap();
    let record: Record = reader
        .lookup(ip.parse().unwrap())
        .unwrap()
        .decode()
        .unwrap()
        .unwrap();
    record.country_code
}

#[tokio::test]
async fn imported_addresses_get_countries_and_a_re_resolve_fills_the_gaps() {
    let real_db = bangui_testkit::geoip_db();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("country.mmdb");
    let server = ListServer::start().unwrap();
    server.put("/first.txt", "8.8.8.8\n1.1.1.1\n193.0.14.129\n");
    server.put("/second.txt", "9.9.9.9\n2a00:1450:4001:800::200e\n");
    let cluster = with_job_workers(
        cluster(lab().env("BANGUI_GEOIP_DB_PATH", db_path.to_str().unwrap())),
        1,
        &[],
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let country = |ip: &'static str| {
        let (caller, base, cookie) = (&caller, base.clone(), cookie.clone());
        async move {
            caller
                .get(&base, &format!("/geo/{ip}"), Some(&cookie))
                .await
                .body
        }
    };
    let geo_rows = || psql(&cluster.database_url, "SELECT count(*) FROM geo_cache").unwrap();

    // Imported before the database exists: stored unresolved, not as some country.
    let first = create_source(&caller, &base, &cookie, "first", &server.url("/first.txt")).await;
    imported(&caller, &base, &cookie, first).await;
    let every = Duration::from_millis(50);
    eventually(Duration::from_secs(10), every, async || {
        (geo_rows() == "3").then_some(())
    })
    .await;
    let before = country("8.8.8.8").await;
    assert_eq!(
        (before["cached"].as_bool(), before["country"].is_null()),
        (Some(true), true),
        "{before}"
    );
    assert_eq!(before["source"], "none");

    std::fs::copy(&real_db, &db_path).unwrap();
    let job = caller
        .post(&base, "/geo/re-resolve", Some(&cookie), json!({}))
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let done = finished(
        &caller,
        &base,
        &cookie,
        job.body["job_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(done.body["result"]["retried"], 3, "{}", done.body);
    for ip in ["8.8.8.8", "1.1.1.1", "193.0.14.129"] {
        let answer = country(ip).await;
        assert_eq!(
            answer["country"],
            country_in(&real_db, ip),
            "{ip}: {answer}"
        );
        assert_eq!(answer["source"], "mmdb");
    }
    assert_eq!(country("8.8.8.8").await["country"], "US");

    // With the database in place, new bans get their country straight away.
    let second = create_source(
        &caller,
        &base,
        &cookie,
        "second",
        &server.url("/second.txt"),
    )
    .await;
    imported(&caller, &base, &cookie, second).await;
    let every = Duration::from_millis(50);
    eventually(Duration::from_secs(10), every, async || {
        (geo_rows() == "5").then_some(())
    })
    .await;
    for ip in ["9.9.9.9", "2a00:1450:4001:800::200e"] {
        let answer = country(ip).await;
        assert_eq!(
            (answer["cached"].as_bool(), answer["country"].as_str()),
            (Some(true), Some(country_in(&real_db, ip).as_str())),
            "{ip}: {answer}"
        );
    }
    assert_eq!(
        caller
            .get(&base, "/geo/not-an-ip", Some(&cookie))
            .await
            .code(),
        "invalid_address"
    );
}

/// Waits (up to 30 s) until fail2ban's jail bans `ip`.
async fn banned_in(cluster: &Cluster, jail: &str, ip: &str) {
    let banned = eventually(
        Duration::from_secs(30),
        Duration::from_millis(100),
        async || {
            let banned = fail2ban_says(cluster, &["get", jail, "banip"]);
            banned
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b == ip)
                .then_some(())
        },
    );
    assert!(banned.await.is_some(), "{jail} never banned {ip}");
}

async fn history_sync(caller: &Caller, base: &str, cookie: &str) -> Value {
    let job = caller
        .post(base, "/history/sync", Some(cookie), json!({}))
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let done = finished(caller, base, cookie, job.body["job_id"].as_str().unwrap()).await;
    assert_eq!(done.body["state"], "done", "{}", done.body);
    done.body["result"].clone()
}

/// `(jail, ip, origin, unbanned_by)` of every archived ban, sorted.
async fn archive(
    caller: &Caller,
    base: &str,
    cookie: &str,
) -> Vec<(String, String, String, Option<String>)> {
    let answer = caller
        .get(base, "/history?page_size=500", Some(cookie))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let mut rows: Vec<_> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["jail"].as_str().unwrap().to_owned(),
                e["ip"].as_str().unwrap().to_owned(),
                e["origin"].as_str().unwrap().to_owned(),
                e["unbanned_by"]
                    .as_str()
                    .map(|by| by.split(':').next().unwrap().to_owned()),
            )
        })
        .collect();
    assert_eq!(answer.body["total"].as_u64(), Some(rows.len() as u64));
    rows.sort();
    rows
}

fn row(
    jail: &str,
    ip: &str,
    origin: &str,
    unbanned_by: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        jail.to_owned(),
        ip.to_owned(),
        origin.to_owned(),
        unbanned_by.map(str::to_owned),
    )
}

#[tokio::test]
async fn the_archive_keeps_filter_manual_and_imported_bans_after_their_unban() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "11.0.1.7\n11.0.2.7\n");
    let cluster = with_job_workers(cluster(lab()), 2, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (base, other) = (cluster.url(0), cluster.url(1));
    let f2b = cluster.fail2ban.as_ref().unwrap();

    // Two bans by the filter, one by hand, two by an import.
    f2b.append_failures("test", "198.51.100.7", 3).unwrap();
    f2b.append_failures("test", "198.51.100.8", 3).unwrap();
    banned_in(&cluster, "test", "198.51.100.7").await;
    banned_in(&cluster, "test", "198.51.100.8").await;
    let ban = caller
        .post(
            &other,
            "/bans",
            Some(&cookie),
            json!({ "ip": "203.0.113.9", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    let source = create_source(&caller, &base, &cookie, "list", &server.url("/list.txt")).await;
    let import = imported(&caller, &base, &cookie, source).await;
    assert_eq!(import.body["state"], "done", "{}", import.body);

    // A filter ban lifted by hand before any sync copied it: fail2ban deletes its row, the
    // archive keeps it.
    let unban = caller
        .delete(
            &other,
            "/bans",
            Some(&cookie),
            json!({ "ip": "198.51.100.8" }),
        )
        .await;
    assert_eq!(unban.status, StatusCode::OK, "{}", unban.body);
    let rows_left = fail2ban_says(&cluster, &["get", "test", "banip"]);
    assert!(
        !rows_left
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "198.51.100.8"),
        "{rows_left}"
    );

    // The first sync backfills the rest; the manual ban, archived as it happened, is not
    // copied twice.
    let first = history_sync(&caller, &base, &cookie).await;
    assert_eq!(first["archived"], 3, "{first}");
    let expected = vec![
        row("blocklist-import", "11.0.1.7", "blocklist", None),
        row("blocklist-import", "11.0.2.7", "blocklist", None),
        row("test", "198.51.100.7", "auto", None),
        row("test", "198.51.100.8", "auto", Some("session")),
        row("test", "203.0.113.9", "manual", None),
    ];
    assert_eq!(archive(&caller, &base, &cookie).await, expected);
    assert_eq!(history_sync(&caller, &other, &cookie).await["archived"], 0);

    // Unbans by hand and by the list dropping an address: the bans stay, marked lifted.
    for ip in ["198.51.100.7", "203.0.113.9"] {
        let unban = caller
            .delete(
                &base,
                "/bans",
                Some(&cookie),
                json!({ "ip": ip, "jail": "test" }),
            )
            .await;
        assert_eq!(unban.body["unbanned"], 1, "{}", unban.body);
    }
    server.put("/list.txt", "11.0.1.7\n");
    let reimport = imported(&caller, &base, &cookie, source).await;
    assert_eq!(reimport.body["state"], "done", "{}", reimport.body);
    assert_eq!(history_sync(&caller, &base, &cookie).await["archived"], 0);
    assert_eq!(
        archive(&caller, &other, &cookie).await,
        vec![
            row("blocklist-import", "11.0.1.7", "blocklist", None),
            row(
                "blocklist-import",
                "11.0.2.7",
                "blocklist",
                Some("blocklist")
            ),
            row("test", "198.51.100.7", "auto", Some("session")),
            row("test", "198.51.100.8", "auto", Some("session")),
            row("test", "203.0.113.9", "manual", Some("session")),
        ]
    );

    // The filter ban keeps its matched lines and failures; filters narrow the list.
    let auto = caller
        .get(&base, "/history?ip=198.51.100.7&range=24h", Some(&cookie))
        .await;
    assert_eq!(auto.body["total"], 1, "{}", auto.body);
    assert_eq!(auto.body["items"][0]["failures"], 3, "{}", auto.body);
    assert_eq!(
        auto.body["items"][0]["matches"].as_array().unwrap().len(),
        3,
        "{}",
        auto.body
    );
    // Lines, whatever shape fail2ban stored them in.
    for line in auto.body["items"][0]["matches"].as_array().unwrap() {
        let line = line.as_str().unwrap_or_default();
        assert!(
            line.ends_with(" Failed login from 198.51.100.7"),
            "{line:?}"
        );
    }
    let manual = caller
        .get(&base, "/history?origin=manual&jail=test", Some(&cookie))
        .await;
    assert_eq!(manual.body["total"], 1, "{}", manual.body);
    let imported = caller
        .get(
            &base,
            "/history?origin=blocklist&page_size=1&page=2",
            Some(&cookie),
        )
        .await;
    assert_eq!(
        (
            imported.body["total"].as_u64(),
            imported.body["items"].as_array().unwrap().len()
        ),
        (Some(2), 1),
        "{}",
        imported.body
    );
    for (query, code) in [
        ("origin=robot", "invalid_origin"),
        ("ip=1.2.3", "invalid_address"),
        ("jail=../etc", "invalid_jail_name"),
        ("page_size=0", "invalid_pagination"),
    ] {
        let answer = caller
            .get(&base, &format!("/history?{query}"), Some(&cookie))
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{query}: {}",
            answer.body
        );
    }
    let bad_range = caller.get(&base, "/history?range=1y", Some(&cookie)).await;
    assert!(bad_range.status.is_client_error(), "{}", bad_range.body);
}
