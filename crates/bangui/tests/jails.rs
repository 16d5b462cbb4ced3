//! The running jails through several real workers: ignore lists, idle, stop, start and
//! reload, each checked against fail2ban's own answer.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::{
    Fixture, assert_answers, before_bad_input, fail2ban_bans, fail2ban_says, fail2ban_state,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn ignore_lists_change_in_fail2ban_and_count_in_lookups() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Ignore list.
    let added = caller
        .post(
            &w0,
            "/jails/test/ignoreip",
            c,
            json!({ "address": "198.51.100.0/24" }),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(
        fail2ban_says(&cluster, &["get", "test", "ignoreip"])
            .as_array()
            .unwrap()
            .contains(&json!("198.51.100.0/24"))
    );
    let listed = caller.get(&w1, "/jails/test/ignoreip", c).await.body;
    assert!(
        listed["ignoreip"]
            .as_array()
            .unwrap()
            .contains(&json!("198.51.100.0/24"))
    );
    let lookup = caller
        .get(&w1, "/bans/lookup?ip=198.51.100.7", c)
        .await
        .body;
    assert_eq!(lookup["ignored_in"], json!(["test"]));
    caller
        .delete(
            &w1,
            "/jails/test/ignoreip",
            c,
            json!({ "address": "198.51.100.0/24" }),
        )
        .await;
    assert!(
        !fail2ban_says(&cluster, &["get", "test", "ignoreip"])
            .as_array()
            .unwrap()
            .contains(&json!("198.51.100.0/24"))
    );
    let on = caller
        .post(&w0, "/jails/test/ignoreself", c, json!({ "enabled": true }))
        .await;
    assert_eq!(on.body["ignoreself"], true);
    assert_eq!(
        fail2ban_says(&cluster, &["get", "test", "ignoreself"]),
        json!(true)
    );
}

#[tokio::test]
async fn idle_is_what_fail2ban_answers_and_every_worker_reports_it() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Idle: fail2ban answers the new state; every worker reports it.
    let idle = caller
        .post(&w0, "/jails/test/idle", c, json!({ "on": true }))
        .await;
    assert_eq!(idle.body["idle"], true);
    assert_eq!(caller.get(&w1, "/jails/test", c).await.body["idle"], true);
    let idle = caller
        .post(&w1, "/jails/test/idle", c, json!({ "on": false }))
        .await;
    assert_eq!(idle.body["idle"], false);
    assert_eq!(
        caller.get(&w0, "/jails", c).await.body["items"][1]["idle"],
        false
    );
}

#[tokio::test]
async fn stopped_started_and_reloaded_jails_match_fail2ban() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Stop, stop again (not an error), start.
    caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "192.0.2.90", "jail": "test-incr" }),
        )
        .await;
    let stop = caller.post(&w0, "/jails/test/stop", c, json!({})).await;
    assert_eq!(
        (stop.status, stop.body["was_running"].clone()),
        (StatusCode::OK, json!(true))
    );
    assert_eq!(
        fail2ban_says(&cluster, &["status"])[1][1],
        "blocklist-import, test-incr"
    );
    let names: Vec<Value> = caller.get(&w1, "/jails", c).await.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|j| j["name"].clone())
        .collect();
    assert_eq!(names, [json!("blocklist-import"), json!("test-incr")]);
    assert_eq!(
        caller.get(&w1, "/jails/test", c).await.code(),
        "jail_not_found"
    );
    let again = caller.post(&w1, "/jails/test/stop", c, json!({})).await;
    assert_eq!(
        (again.status, again.body["was_running"].clone()),
        (StatusCode::OK, json!(false))
    );
    let start = caller.post(&w1, "/jails/test/start", c, json!({})).await;
    assert_eq!(start.status, StatusCode::OK, "{}", start.body);
    assert_eq!(
        fail2ban_says(&cluster, &["status"])[1][1],
        "blocklist-import, test, test-incr"
    );
    assert_eq!(
        caller.get(&w0, "/jails/test", c).await.body["running"],
        true
    );

    // Reload one jail and all jails: the jails run, and bans survive.
    let reload = caller
        .post(&w0, "/jails/test-incr/reload", c, json!({}))
        .await;
    assert_eq!(reload.status, StatusCode::OK, "{}", reload.body);
    let reload = caller.post(&w1, "/jails/reload", c, json!({})).await;
    assert_eq!(reload.status, StatusCode::OK, "{}", reload.body);
    assert_eq!(
        fail2ban_says(&cluster, &["status"])[1][1],
        "blocklist-import, test, test-incr"
    );
    assert_eq!(fail2ban_bans(&cluster, "test-incr"), ["192.0.2.90"]);
    assert_eq!(
        caller
            .post(&w1, "/jails/disabled-jail/reload", c, json!({}))
            .await
            .code(),
        "jail_not_found"
    );
}

#[tokio::test]
async fn two_reloads_at_the_same_moment_run_one_after_the_other() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let (a, b) = tokio::join!(
        caller.post(&w0, "/jails/reload", Some(&cookie), json!({})),
        caller.post(&w1, "/jails/reload", Some(&cookie), json!({}))
    );
    assert_eq!(
        (a.status, b.status),
        (StatusCode::OK, StatusCode::OK),
        "{} {}",
        a.body,
        b.body
    );

    // Each worker logged when its fail2ban-client started and finished: the spans are disjoint.
    let span = |i: usize| {
        let log = cluster.log(i);
        let at = |message: &str| {
            log.lines()
                .filter_map(|l| serde_json::from_str::<Value>(l).ok())
                .find(|e| e["fields"]["message"] == message)
                .map(|e| e["timestamp"].as_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("worker {i} did not log {message:?}:\n{log}"))
        };
        (at("reloading fail2ban"), at("fail2ban reloaded"))
    };
    let (s0, e0) = span(0);
    let (s1, e1) = span(1);
    assert!(
        e0 <= s1 || e1 <= s0,
        "reloads overlapped: [{s0}, {e0}] and [{s1}, {e1}]"
    );
}

#[tokio::test]
async fn bad_jail_input_gets_a_clear_4xx_and_changes_nothing_in_fail2ban() {
    let (
        Fixture {
            cluster,
            caller,
            cookie,
        },
        before,
    ) = before_bad_input().await;
    let c = Some(cookie.as_str());
    let base = cluster.url(1);

    let cases: Vec<(Method, &str, Option<Value>, u16, &str)> = vec![
        (Method::GET, "/jails/nosuch", None, 404, "jail_not_found"),
        (
            Method::GET,
            "/jails/..%2F..%2Fetc%2Fpasswd",
            None,
            422,
            "invalid_jail_name",
        ),
        (
            Method::POST,
            "/jails/%3B%20reboot/start",
            None,
            422,
            "invalid_jail_name",
        ),
        (
            Method::POST,
            "/jails/test/ignoreip",
            Some(json!({ "address": "not-an-ip" })),
            422,
            "invalid_address",
        ),
        (
            Method::POST,
            "/jails/test/ignoreip",
            Some(json!({ "address": "10.0.0.0/33" })),
            422,
            "invalid_address",
        ),
        (
            Method::POST,
            "/jails/test/ignoreip",
            Some(json!({ "address": "example.com" })),
            422,
            "invalid_address",
        ),
        (
            Method::POST,
            "/jails/test/idle",
            Some(json!({ "on": "yes" })),
            422,
            "invalid_body",
        ),
        (
            Method::POST,
            "/jails/test/ignoreself",
            Some(json!({})),
            422,
            "invalid_body",
        ),
        (
            Method::GET,
            "/jails/test/banned?page=0",
            None,
            422,
            "invalid_pagination",
        ),
        (
            Method::GET,
            "/jails/test/banned?page_size=100000",
            None,
            422,
            "invalid_pagination",
        ),
        (
            Method::GET,
            "/jails/test/banned?page=abc",
            None,
            422,
            "invalid_query",
        ),
    ];
    assert_answers(&caller, &base, c, cases).await;
    let long_q = format!("/jails/test/banned?q={}", "x".repeat(1000));
    assert_eq!(caller.get(&base, &long_q, c).await.code(), "invalid_query");

    assert_eq!(
        before,
        fail2ban_state(&cluster),
        "bad input changed fail2ban's state"
    );
}

#[tokio::test]
async fn fail2ban_refusing_a_command_is_a_502_with_its_own_message() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(1)).await;
    // A jail that exists in the configuration but is disabled cannot be reloaded on its own;
    // fail2ban-client says why.
    std::fs::write(
        cluster
            .fail2ban
            .as_ref()
            .unwrap()
            .config_dir()
            .join("jail.d/broken.local"),
        "[test]\nfilter = does-not-exist\n",
    )
    .unwrap();
    let reload = caller
        .post(
            &cluster.url(0),
            "/jails/test/reload",
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(
        (reload.status.as_u16(), reload.code()),
        (502, "fail2ban_error"),
        "{}",
        reload.body
    );
    let message = reload.body["details"]["fail2ban_message"].as_str().unwrap();
    assert!(message.contains("does-not-exist"), "{message}");
}
