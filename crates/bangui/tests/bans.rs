//! Bans by hand through several real workers, each checked against fail2ban's own answer.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::{
    Caller, EventStream, Fixture, assert_answers, banned_ips, before_bad_input, cluster,
    fail2ban_bans, fail2ban_says, fail2ban_state,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_ban_through_one_worker_shows_on_another_at_once_with_a_live_event() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
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
async fn fifty_concurrent_bans_over_three_workers_all_land() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(3)).await;
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
async fn an_unban_lifts_the_address_in_every_jail_or_in_one() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
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
}

#[tokio::test]
async fn unban_all_lifts_every_ban_of_every_jail() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Two bans in two jails.
    for (ip, jail) in [("2001:db8::80", "test"), ("192.0.2.81", "blocklist-import")] {
        caller
            .post(&w0, "/bans", c, json!({ "ip": ip, "jail": jail }))
            .await;
    }
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
}

#[tokio::test]
async fn bad_ban_input_gets_a_clear_4xx_and_changes_nothing_in_fail2ban() {
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
            json!({ "ip": "192.0.2.1/24", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "192.0.2.0/33", "jail": "test" }),
            422,
            "invalid_address",
        ),
        (
            json!({ "ip": "192.0.2.0/024", "jail": "test" }),
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
    let cases: Vec<(Method, &str, Option<Value>, u16, &str)> = vec![
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
            "/bans/active?jail=..%2Fetc",
            None,
            422,
            "invalid_jail_name",
        ),
    ];
    assert_answers(&caller, &base, c, cases).await;
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

    assert_eq!(
        before,
        fail2ban_state(&cluster),
        "bad input changed fail2ban's state"
    );
}

#[tokio::test]
async fn fail2ban_down_gives_502_and_everything_works_again_when_it_returns() {
    let Fixture {
        mut cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2).env("BANGUI_STATUS_MAX_AGE_SECONDS", "0")).await;
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
async fn bans_that_would_lock_someone_out_are_refused_and_reach_no_fail2ban() {
    // Workers behind a proxy at 127.0.0.1 and a load balancer network; the client is
    // 203.0.113.9 (as X-Forwarded-For says through the trusted proxy).
    let cluster = cluster(
        ClusterOptions::workers(2).env("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32,10.20.0.0/16"),
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let from_client = |ip: &str, jail: &str| {
        let (caller, cookie, base) = (&caller, &cookie, &base);
        let body = json!({ "ip": ip, "jail": jail });
        async move {
            caller
                .http
                .post(format!("{base}/api/v1/bans"))
                .header("Cookie", cookie)
                .header("X-BanGUI-Request", "1")
                .header("X-Forwarded-For", "203.0.113.9")
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let attempts = [
        ("203.0.113.9", "client"),
        ("::ffff:203.0.113.9", "client"),
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "loopback"),
        ("::", "loopback"),
        ("10.20.0.1", "trusted_proxy"),
        ("10.20.255.254", "trusted_proxy"),
        // The test jail's ignoreip: 127.0.0.1/8 ::1 10.99.0.0/16.
        ("10.99.0.1", "ignored"),
        ("10.99.200.3", "ignored"),
        // Networks: the client's /24, broader than /8 or /32, over a proxy, an ignore-list
        // network or loopback.
        ("203.0.113.0/24", "client"),
        ("::ffff:203.0.113.0/120", "client"),
        ("0.0.0.0/0", "too_broad"),
        ("::/0", "too_broad"),
        ("10.0.0.0/7", "too_broad"),
        ("2001:db8::/31", "too_broad"),
        ("10.0.0.0/8", "trusted_proxy"),
        ("10.20.7.0/24", "trusted_proxy"),
        ("10.99.0.0/24", "ignored"),
        ("10.98.0.0/15", "ignored"),
        ("127.0.0.0/8", "loopback"),
        ("::/96", "loopback"),
    ];
    for (ip, reason) in attempts {
        let answer = from_client(ip, "test").await;
        let status = answer.status().as_u16();
        let body: Value = answer.json().await.unwrap();
        assert_eq!(
            (
                status,
                body["error_code"].as_str(),
                body["details"]["reason"].as_str()
            ),
            (422, Some("ban_would_lock_out"), Some(reason)),
            "{ip}: {body}"
        );
        assert!(
            body["message"]
                .as_str()
                .unwrap()
                .starts_with("not banned: "),
            "{body}"
        );
    }
    assert_eq!(
        fail2ban_says(&cluster, &["get", "test", "banip"]),
        json!([]),
        "nothing reached fail2ban"
    );
    // A neighbour of each is banned as usual: an address, and networks as broad as allowed.
    for ip in [
        "203.0.113.10",
        "10.21.0.1",
        "10.98.0.1",
        "203.0.112.0/24",
        "11.0.0.0/8",
        "2001:db8::/32",
    ] {
        let answer = from_client(ip, "test").await;
        assert_eq!(answer.status().as_u16(), 200, "{ip}");
    }
    let banned = fail2ban_says(&cluster, &["get", "test", "banip"]);
    assert_eq!(banned.as_array().unwrap().len(), 6, "{banned}");
}

#[tokio::test]
async fn networks_are_banned_unbanned_and_looked_up_in_canonical_form_across_workers() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());

    // Host bits set: refused with the network meant, nothing reaches fail2ban.
    for (given, canonical) in [
        ("192.0.2.7/24", "192.0.2.0/24"),
        ("2001:db8:0:1::5/64", "2001:db8:0:1::/64"),
    ] {
        let refused = caller
            .post(&w0, "/bans", c, json!({ "ip": given, "jail": "test" }))
            .await;
        assert_eq!(
            refused.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}",
            refused.body
        );
        assert_eq!(refused.code(), "invalid_address");
        assert_eq!(
            refused.body["details"]["canonical"], canonical,
            "{}",
            refused.body
        );
    }
    assert_eq!(
        fail2ban_says(&cluster, &["get", "test", "banip"]),
        json!([])
    );

    // Networks of both families, in two jails, through one worker.
    for (ip, jail) in [
        ("192.0.2.0/24", "test"),
        ("192.0.2.0/24", "test-incr"),
        ("2001:db8:0:1::/64", "test"),
        ("198.51.100.7", "test"),
    ] {
        let ban = caller
            .post(&w0, "/bans", c, json!({ "ip": ip, "jail": jail }))
            .await;
        assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
        assert_eq!(ban.body["ip"], ip);
        assert_eq!(ban.body["newly_banned"], true);
    }
    let mut listed: Vec<String> =
        serde_json::from_value(fail2ban_says(&cluster, &["get", "test", "banip"])).unwrap();
    listed.sort();
    assert_eq!(
        listed,
        ["192.0.2.0/24", "198.51.100.7", "2001:db8:0:1::/64"],
        "fail2ban lists the networks as banned"
    );
    // The other worker shows them, and finds them from an address inside.
    let active = caller.get(&w1, "/bans/active?jail=test", c).await.body;
    let mut shown = banned_ips(&active);
    shown.sort();
    assert_eq!(shown, listed);
    let inside = caller.get(&w1, "/bans/lookup?ip=192.0.2.77", c).await.body;
    assert_eq!(
        inside["banned_in"],
        json!(["test", "test-incr"]),
        "{inside}"
    );
    assert_eq!(
        inside["bans"],
        json!([
            { "jail": "test", "ip": "192.0.2.0/24", "coverage": "containing" },
            { "jail": "test-incr", "ip": "192.0.2.0/24", "coverage": "containing" },
        ])
    );
    // fail2ban itself only knows the network as such.
    assert_eq!(
        fail2ban_says(&cluster, &["banned", "192.0.2.77"]),
        json!([[]])
    );
    let v6 = caller
        .get(&w1, "/bans/lookup?ip=2001:db8:0:1:abcd::1", c)
        .await
        .body;
    assert_eq!(v6["banned_in"], json!(["test"]), "{v6}");
    // A wider network looked up finds what lies inside it, but is not banned itself.
    let wider = caller
        .get(&w1, "/bans/lookup?ip=198.51.100.0/24", c)
        .await
        .body;
    assert_eq!(wider["banned_in"], json!([]), "{wider}");
    assert_eq!(
        wider["bans"],
        json!([{ "jail": "test", "ip": "198.51.100.7", "coverage": "inside" }])
    );
    assert_eq!(wider["bans_total"], 1);
    let exact = caller
        .get(&w1, "/bans/lookup?ip=192.0.2.0/24", c)
        .await
        .body;
    assert_eq!(exact["bans"][0]["coverage"], "exact", "{exact}");
    let outside = caller.get(&w1, "/bans/lookup?ip=192.0.3.1", c).await.body;
    assert_eq!(
        (outside["banned_in"].clone(), outside["bans"].clone()),
        (json!([]), json!([]))
    );

    // Unban the network in one jail through the other worker, then everywhere.
    let unban = caller
        .delete(
            &w1,
            "/bans",
            c,
            json!({ "ip": "192.0.2.0/24", "jail": "test-incr" }),
        )
        .await;
    assert_eq!(unban.body["unbanned"], 1, "{}", unban.body);
    assert_eq!(
        fail2ban_says(&cluster, &["banned", "192.0.2.0/24"]),
        json!([["test"]])
    );
    let unban = caller
        .delete(&w0, "/bans", c, json!({ "ip": "192.0.2.0/24" }))
        .await;
    assert_eq!(unban.body["unbanned"], 1, "{}", unban.body);
    let after = caller.get(&w0, "/bans/lookup?ip=192.0.2.77", c).await.body;
    assert_eq!(after["banned_in"], json!([]), "{after}");
    let mut left: Vec<String> =
        serde_json::from_value(fail2ban_says(&cluster, &["get", "test", "banip"])).unwrap();
    left.sort();
    assert_eq!(left, ["198.51.100.7", "2001:db8:0:1::/64"]);

    // The archive keeps the network, lifted by the session.
    let history = caller.get(&w1, "/history?ip=192.0.2.0/24", c).await.body;
    let jails: Vec<(&str, &str, bool)> = history["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| {
            (
                b["jail"].as_str().unwrap(),
                b["ip"].as_str().unwrap(),
                b["unbanned_at"].is_string(),
            )
        })
        .collect();
    assert_eq!(jails.len(), 2, "{history}");
    assert!(
        jails
            .iter()
            .all(|(_, ip, lifted)| *ip == "192.0.2.0/24" && *lifted),
        "{history}"
    );
    let timeline = caller.get(&w0, "/history/192.0.2.0%2F24", c).await;
    assert_eq!(timeline.status, StatusCode::OK, "{}", timeline.body);
    assert_eq!(timeline.body["ip"], "192.0.2.0/24");
    assert_eq!(timeline.body["totals"]["bans"], 2);
}
