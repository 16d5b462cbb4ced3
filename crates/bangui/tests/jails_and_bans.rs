//! Jails, bans and ignore lists through several real workers, each change checked against
//! fail2ban's own answer, with live events and the audit trail.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::{Caller, EventStream, cluster, fail2ban_says};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn banned_ips(answer: &Value) -> Vec<String> {
    let mut ips: Vec<String> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    ips
}

/// The addresses fail2ban itself bans in `jail`.
fn fail2ban_bans(cluster: &bangui_testkit::cluster::Cluster, jail: &str) -> Vec<String> {
    let mut ips: Vec<String> = fail2ban_says(cluster, &["get", jail, "banip"])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    ips
}

#[tokio::test]
async fn a_ban_through_one_worker_shows_on_another_at_once_with_a_live_event() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    // Both workers have served the jail list and its (empty) ban list before the change.
    assert_eq!(
        caller.get(&w1, "/jails", Some(&cookie)).await.status,
        StatusCode::OK
    );
    assert_eq!(
        caller.get(&w1, "/bans/active", Some(&cookie)).await.body["total"],
        0
    );
    let mut events = EventStream::open(&w1, &cookie, None).await;

    let ban = caller
        .post(
            &w0,
            "/bans",
            Some(&cookie),
            json!({ "ip": "203.0.113.50", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    assert_eq!(ban.body["newly_banned"], true);

    let jails = caller.get(&w1, "/jails", Some(&cookie)).await.body;
    let test = jails["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "test")
        .unwrap();
    assert_eq!(
        (
            test["currently_banned"].as_u64(),
            test["total_banned"].as_u64()
        ),
        (Some(1), Some(1))
    );
    let active = caller.get(&w1, "/bans/active", Some(&cookie)).await.body;
    assert_eq!(banned_ips(&active), ["203.0.113.50"]);
    assert_eq!(active["items"][0]["jail"], "test");
    let in_jail = caller
        .get(&w1, "/jails/test/banned", Some(&cookie))
        .await
        .body;
    assert_eq!(banned_ips(&in_jail), ["203.0.113.50"]);
    assert_eq!(in_jail["items"][0]["duration_secs"], 600);

    let event = events
        .next_of("ban")
        .await
        .expect("no ban event on the other worker");
    assert_eq!(event.data["ip"], "203.0.113.50");
    assert_eq!(event.data["jail"], "test");
    assert_eq!(event.data["id"], event.id.as_str());
}

#[tokio::test]
async fn a_reconnecting_browser_gets_what_it_missed_once() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let mut first = EventStream::open(&cluster.url(0), &cookie, None).await;
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        caller
            .post(
                &cluster.url(0),
                "/bans",
                Some(&cookie),
                json!({ "ip": ip, "jail": "test" }),
            )
            .await;
    }
    let seen = first.next_of("ban").await.unwrap();
    assert_eq!(seen.data["ip"], "192.0.2.1");
    drop(first);

    // Reconnect to the other worker with the id of the last event seen.
    let mut resumed = EventStream::open(&cluster.url(1), &cookie, Some(&seen.id)).await;
    let mut bans = Vec::new();
    while bans.len() < 2 {
        let e = resumed
            .next()
            .await
            .expect("missed events were not replayed");
        assert!(
            e.id > seen.id || e.id.len() > seen.id.len(),
            "replayed {} again",
            e.id
        );
        if e.event == "ban" {
            bans.push(e.data["ip"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(bans, ["192.0.2.2", "192.0.2.3"]);
    // Then live ones, no duplicates.
    caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.4", "jail": "test" }),
        )
        .await;
    assert_eq!(
        resumed.next_of("ban").await.unwrap().data["ip"],
        "192.0.2.4"
    );
}

#[tokio::test]
async fn fifty_concurrent_bans_over_three_workers_all_land() {
    let cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let ips: Vec<String> = (1..=50).map(|i| format!("198.51.100.{i}")).collect();
    let bans = ips.iter().enumerate().map(|(i, ip)| {
        let (caller, cookie, base) = (&caller, &cookie, cluster.url(i % 3));
        async move {
            caller
                .post(
                    &base,
                    "/bans",
                    Some(cookie),
                    json!({ "ip": ip, "jail": "test" }),
                )
                .await
        }
    });
    for answer in futures::future::join_all(bans).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["newly_banned"], true);
    }
    let mut expected = ips.clone();
    expected.sort();
    assert_eq!(fail2ban_bans(&cluster, "test"), expected);
    let listed = caller
        .get(
            &cluster.url(2),
            "/jails/test/banned?page_size=100",
            Some(&cookie),
        )
        .await
        .body;
    assert_eq!(listed["total"], 50);
    assert_eq!(banned_ips(&listed), expected);
}

#[tokio::test]
async fn unbans_ignore_lists_idle_and_jail_control_match_fail2ban() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Unban from every jail.
    for jail in ["test", "test-incr"] {
        caller
            .post(&w0, "/bans", c, json!({ "ip": "192.0.2.80", "jail": jail }))
            .await;
    }
    assert_eq!(
        fail2ban_says(&cluster, &["banned", "192.0.2.80"]),
        json!([["test", "test-incr"]])
    );
    let lookup = caller.get(&w1, "/bans/lookup?ip=192.0.2.80", c).await.body;
    assert_eq!(lookup["banned_in"], json!(["test", "test-incr"]));
    let unban = caller
        .delete(&w1, "/bans", c, json!({ "ip": "192.0.2.80" }))
        .await;
    assert_eq!(unban.body["unbanned"], 2);
    assert_eq!(
        fail2ban_says(&cluster, &["banned", "192.0.2.80"]),
        json!([[]])
    );

    // Unban in one jail only.
    for jail in ["test", "test-incr"] {
        caller
            .post(
                &w0,
                "/bans",
                c,
                json!({ "ip": "2001:db8::80", "jail": jail }),
            )
            .await;
    }
    let unban = caller
        .delete(
            &w0,
            "/bans",
            c,
            json!({ "ip": "2001:db8::80", "jail": "test-incr" }),
        )
        .await;
    assert_eq!(unban.body["unbanned"], 1);
    assert_eq!(
        fail2ban_says(&cluster, &["banned", "2001:db8::80"]),
        json!([["test"]])
    );

    // Unban all.
    caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "192.0.2.81", "jail": "blocklist-import" }),
        )
        .await;
    let all = caller.delete(&w1, "/bans/all", c, json!({})).await;
    assert_eq!(all.body["unbanned"], 2);
    let everywhere = fail2ban_says(&cluster, &["banned"]);
    assert!(
        everywhere.as_array().unwrap().iter().all(|j| j
            .as_object()
            .unwrap()
            .values()
            .all(|v| v == &json!([]))),
        "{everywhere}"
    );
    assert_eq!(caller.get(&w0, "/bans/active", c).await.body["total"], 0);

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
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
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
async fn bad_input_gets_a_clear_4xx_and_changes_nothing_in_fail2ban() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let c = Some(cookie.as_str());
    let base = cluster.url(1);
    caller
        .post(
            &base,
            "/bans",
            c,
            json!({ "ip": "192.0.2.200", "jail": "test" }),
        )
        .await;
    let before = (
        fail2ban_says(&cluster, &["banned"]),
        fail2ban_says(&cluster, &["get", "test", "ignoreip"]),
    );

    let long = "1".repeat(10_000);
    let ban_cases: Vec<(Value, u16, &str)> = vec![
        (
            json!({ "ip": "256.1.1.1", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "192.168.001.001", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "192.0.2.1/32", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "192.0.2.0/24", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "::ffff:999.1.1.1", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "fe80::1%eth0", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "[2001:db8::1]", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "2001:db8:::1", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": " 192.0.2.1", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "example.com", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "../../etc/passwd", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "1.2.3.4; rm -rf /", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "$(reboot)", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "1.2.3.4<F2B_END_COMMAND>", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": long, "jail": "test" }),
            422,
            "invalid_address",
        ),
        (json!({ "ip": "", "jail": "test" }), 422, "invalid_address"),
        (
            json!({ "ip": 3_221_225_985u32, "jail": "test" }),
            422,
            "invalid_body",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": ["test"] }),
            422,
            "invalid_body",
        ),
        (json!({ "ip": "192.0.2.1" }), 422, "invalid_body"),
        (
            json!({ "ip": "192.0.2.1", "jail": "test", "bantime": 1 }),
            422,
            "invalid_body",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": "nosuch" }),
            404,
            "jail_not_found",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": "../etc" }),
            422,
            "invalid_jail_name",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": "--all" }),
            422,
            "invalid_jail_name",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": "test<F2B_END_COMMAND>" }),
            422,
            "invalid_jail_name",
        ),
        (
            json!({ "ip": "192.0.2.1", "jail": "a".repeat(10_000) }),
            422,
            "invalid_jail_name",
        ),
    ];
    for (body, status, code) in &ban_cases {
        let answer = caller.post(&base, "/bans", c, body.clone()).await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (*status, *code),
            "POST /bans {body}"
        );
        assert!(
            answer.body["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{}",
            answer.body
        );
    }
    let other_cases: Vec<(Method, &str, Option<Value>, u16, &str)> = vec![
        (
            Method::DELETE,
            "/bans",
            Some(json!({ "ip": "not-an-ip" })),
            422,
            "invalid_address",
        ),
        (
            Method::DELETE,
            "/bans",
            Some(json!({ "ip": "192.0.2.200", "jail": "nosuch" })),
            404,
            "jail_not_found",
        ),
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
            "/bans/lookup?ip=foo",
            None,
            422,
            "invalid_address",
        ),
        (Method::GET, "/bans/lookup", None, 422, "invalid_query"),
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
        (
            Method::GET,
            "/bans/active?jail=..%2Fetc",
            None,
            422,
            "invalid_jail_name",
        ),
        (
            Method::GET,
            "/audit?page_size=0",
            None,
            422,
            "invalid_pagination",
        ),
    ];
    for (method, path, body, status, code) in other_cases {
        let answer = caller
            .send(
                method.clone(),
                format!("{base}/api/v1{path}"),
                c,
                true,
                body,
            )
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{method} {path}: {}",
            answer.body
        );
    }
    let long_q = format!("/jails/test/banned?q={}", "x".repeat(1000));
    assert_eq!(caller.get(&base, &long_q, c).await.code(), "invalid_query");
    let huge = caller
        .post(
            &base,
            "/bans",
            c,
            json!({ "ip": "1".repeat(100_000), "jail": "test" }),
        )
        .await;
    assert_eq!(
        (huge.status.as_u16(), huge.code()),
        (413, "payload_too_large")
    );
    let raw = caller
        .http
        .post(format!("{base}/api/v1/bans"))
        .header("cookie", &cookie)
        .header("x-bangui-request", "1")
        .header("content-type", "application/json")
        .body("{\"ip\": \"192.0.2.1\",")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), StatusCode::BAD_REQUEST);

    let after = (
        fail2ban_says(&cluster, &["banned"]),
        fail2ban_says(&cluster, &["get", "test", "ignoreip"]),
    );
    assert_eq!(before, after, "bad input changed fail2ban's state");
}

#[tokio::test]
async fn fail2ban_down_gives_502_and_everything_works_again_when_it_returns() {
    let mut cluster = cluster(ClusterOptions::workers(2).env("BANGUI_STATUS_MAX_AGE_SECONDS", "0"));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let c = Some(cookie.as_str());
    let (w0, w1) = (cluster.url(0), cluster.url(1));

    cluster.fail2ban.as_mut().unwrap().stop().unwrap();
    let ban = caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "192.0.2.60", "jail": "test" }),
        )
        .await;
    assert_eq!(
        (ban.status.as_u16(), ban.code()),
        (502, "fail2ban_unavailable")
    );
    assert_eq!(
        caller.get(&w1, "/jails/test", c).await.code(),
        "fail2ban_unavailable"
    );
    assert_eq!(
        caller.post(&w1, "/jails/reload", c, json!({})).await.status,
        StatusCode::BAD_GATEWAY
    );
    let status = caller.get(&w1, "/dashboard/status", c).await;
    assert_eq!(status.body["online"], false, "{}", status.body);

    cluster.fail2ban.as_mut().unwrap().start_again().unwrap();
    let ban = caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "192.0.2.60", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    assert_eq!(
        caller.get(&w1, "/dashboard/status", c).await.body["online"],
        true
    );
    assert_eq!(fail2ban_bans(&cluster, "test"), ["192.0.2.60"]);
}

#[tokio::test]
async fn fail2ban_refusing_a_command_is_a_502_with_its_own_message() {
    let cluster = cluster(ClusterOptions::workers(1));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
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

#[tokio::test]
async fn every_change_is_in_the_audit_trail_with_who_what_and_result() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let session = caller
        .get(&cluster.url(0), "/auth/session", Some(&cookie))
        .await;
    assert_eq!(session.status, StatusCode::OK);
    caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.33", "jail": "test" }),
        )
        .await;
    caller
        .post(
            &cluster.url(1),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.33", "jail": "nosuch" }),
        )
        .await;
    caller.get(&cluster.url(1), "/jails", Some(&cookie)).await; // reads are not audited

    let audit = caller
        .get(&cluster.url(1), "/audit?page_size=10", Some(&cookie))
        .await
        .body;
    let items = audit["items"].as_array().unwrap();
    let routes: Vec<&str> = items.iter().map(|i| i["route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        [
            "/api/v1/bans",
            "/api/v1/bans",
            "/api/v1/auth/login",
            "/api/v1/setup"
        ],
        "{audit}"
    );
    let (failed, ok) = (&items[0], &items[1]);
    assert_eq!(
        ok["details"],
        json!({ "ip": "192.0.2.33", "jail": "test", "newly_banned": true })
    );
    assert_eq!(
        (ok["status"].as_u64(), ok["method"].as_str()),
        (Some(200), Some("POST"))
    );
    assert_eq!(ok["client"], "127.0.0.1");
    assert!(
        ok["actor"].as_str().unwrap().starts_with("session:"),
        "{ok}"
    );
    assert_eq!(ok["actor"], failed["actor"]);
    assert!(
        !audit
            .to_string()
            .contains(cookie.trim_start_matches("bangui_session=")),
        "a token in the audit trail"
    );
    assert_eq!(
        (failed["status"].as_u64(), failed["error_code"].as_str()),
        (Some(404), Some("jail_not_found"))
    );
    assert_eq!(items[2]["actor"], "anonymous");
    assert_eq!(items[2]["details"]["session"], ok["actor"]);
    assert_eq!(audit["total"], 4);
}
