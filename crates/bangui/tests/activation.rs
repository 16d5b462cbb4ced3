//! Activating an inactive jail through `POST /api/v1/config/jails/{name}/activate`, on a real
//! fail2ban behind two workers: the `.local` written, fail2ban running the jail, every worker
//! seeing it; and when fail2ban would not or cannot start it, the file back as it was,
//! fail2ban's own error in the answer and fail2ban running what it ran before.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::collections::BTreeSet;

use bangui_testkit::cluster::{Cluster, ClusterOptions};
use common::{Fixture, fail2ban_says};
use serde_json::json;

/// The jails fail2ban runs, from its own `status`.
fn running(cluster: &Cluster) -> BTreeSet<String> {
    let status = fail2ban_says(cluster, &["status"]);
    // [["Number of jail", n], ["Jail list", "a, b, c"]]
    let list = status[1][1].as_str().unwrap_or_default();
    let names: BTreeSet<String> = list
        .split(", ")
        .filter(|n| !n.is_empty())
        .map(str::to_owned)
        .collect();
    assert!(!names.is_empty(), "fail2ban's status: {status}");
    names
}

fn jail_d(cluster: &Cluster) -> BTreeSet<String> {
    let dir = cluster
        .fail2ban
        .as_ref()
        .unwrap()
        .config_dir()
        .join("jail.d");
    std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn an_inactive_jail_is_activated_safely_and_a_failing_one_is_rolled_back() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let f2b = cluster.fail2ban.as_ref().unwrap();
    let conf = f2b.config_dir();
    let log = f2b.log_file("test");
    // More inactive jails: two that can start, one whose filter fail2ban cannot compile.
    std::fs::create_dir_all(conf.join("jail.d")).unwrap();
    std::fs::write(
        conf.join("filter.d/broken.conf"),
        "[Definition]\nfailregex = ^(unclosed <HOST>\n",
    )
    .unwrap();
    // One that bangui's check passes and fail2ban refuses: Python's re takes no look-behind
    // of variable width.
    std::fs::write(
        conf.join("filter.d/lookbehind.conf"),
        "[Definition]\nfailregex = (?<=a+)b <HOST>\n",
    )
    .unwrap();
    std::fs::write(
        conf.join("jail.d/extra.conf"),
        format!(
            "[second]\nenabled = false\nfilter = bangui-test\nlogpath = {log}\n\n\
             [third]\nenabled = false\nfilter = bangui-test\nlogpath = {log}\n\n\
             [broken]\nenabled = false\nfilter = broken\nlogpath = {log}\n\n\
             [lookbehind]\nenabled = false\nfilter = lookbehind\nlogpath = {log}\n",
            log = log.display()
        ),
    )
    .unwrap();
    let (a, b) = (cluster.url(0), cluster.url(1));
    let before = running(&cluster);
    assert!(!before.contains("disabled-jail"));

    // Activated through worker A with an override: the .local, fail2ban, worker B agree.
    let done = caller
        .post(
            &a,
            "/config/jails/disabled-jail/activate",
            Some(&cookie),
            json!({ "overrides": { "maxretry": "7" } }),
        )
        .await;
    assert_eq!(done.status.as_u16(), 200, "{}", done.body);
    assert_eq!(done.body["file"], "jail.d/disabled-jail.local");
    let local = std::fs::read_to_string(conf.join("jail.d/disabled-jail.local")).unwrap();
    assert!(
        local.contains("[disabled-jail]")
            && local.contains("enabled = true")
            && local.contains("maxretry = 7"),
        "{local}"
    );
    assert!(running(&cluster).contains("disabled-jail"));
    assert_eq!(
        fail2ban_says(&cluster, &["get", "disabled-jail", "maxretry"]),
        7
    );
    let listed = caller.get(&b, "/config/jails", Some(&cookie)).await;
    let entry = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|j| j["name"] == "disabled-jail")
        .unwrap()
        .clone();
    assert_eq!(
        (&entry["enabled"], &entry["running"]),
        (&json!(true), &json!(true)),
        "{entry}"
    );
    let history = caller
        .get(
            &b,
            "/config/files/jail.d/disabled-jail.local/revisions",
            Some(&cookie),
        )
        .await;
    assert_eq!(
        history.body["items"][0]["action"], "activate",
        "{}",
        history.body
    );

    // Once more: already running. Unknown: not configured.
    let again = caller
        .post(
            &b,
            "/config/jails/disabled-jail/activate",
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(
        (again.status.as_u16(), again.code()),
        (409, "jail_already_active")
    );
    let unknown = caller
        .post(&b, "/config/jails/nope/activate", Some(&cookie), json!({}))
        .await;
    assert_eq!(
        (unknown.status.as_u16(), unknown.code()),
        (404, "jail_not_configured")
    );

    // Overrides that could become commands are refused before anything is written.
    let files_before = jail_d(&cluster);
    for overrides in [
        json!({ "port": "22; touch /tmp/bangui-pwned" }),
        json!({ "action": "iptables" }),
        json!({ "ignorecommand": "/bin/true" }),
        json!({ "bantime.formula": "__import__('os').system('id')" }),
        json!({ "maxretry": "3\naction = x" }),
        json!({ "logpath": ["relative.log"] }),
    ] {
        let refused = caller
            .post(
                &a,
                "/config/jails/second/activate",
                Some(&cookie),
                json!({ "overrides": overrides }),
            )
            .await;
        assert_eq!(
            (refused.status.as_u16(), refused.code()),
            (422, "invalid_argument"),
            "{overrides}: {}",
            refused.body
        );
    }
    assert_eq!(jail_d(&cluster), files_before);
    assert!(!std::path::Path::new("/tmp/bangui-pwned").exists());

    // No log file: fail2ban would not start it (or reload at all); refused before fail2ban
    // is touched, the file as before.
    let running_now = running(&cluster);
    let missing = caller
        .post(
            &b,
            "/config/jails/second/activate",
            Some(&cookie),
            json!({ "overrides": { "logpath": ["/nonexistent/bangui/x.log"] } }),
        )
        .await;
    assert_eq!(
        (missing.status.as_u16(), missing.code()),
        (422, "activation_rejected"),
        "{}",
        missing.body
    );
    assert!(
        missing.body["details"]["hint"]
            .as_str()
            .unwrap()
            .contains("logpath"),
        "{}",
        missing.body
    );
    assert_eq!(jail_d(&cluster), files_before);
    assert_eq!(running(&cluster), running_now);

    // A filter that does not compile: refused before fail2ban is touched, with what is wrong.
    let rejected = caller
        .post(
            &a,
            "/config/jails/broken/activate",
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(
        (rejected.status.as_u16(), rejected.code()),
        (422, "activation_rejected"),
        "{}",
        rejected.body
    );
    assert_eq!(
        rejected.body["details"]["errors"][0]["option"], "failregex",
        "{}",
        rejected.body
    );
    assert_eq!(jail_d(&cluster), files_before);

    // One fail2ban itself refuses: fail2ban's error in the answer, rolled back, recovered.
    let failed = caller
        .post(
            &a,
            "/config/jails/lookbehind/activate",
            Some(&cookie),
            json!({}),
        )
        .await;
    assert_eq!(
        (failed.status.as_u16(), failed.code()),
        (502, "activation_failed"),
        "{}",
        failed.body
    );
    assert_eq!(failed.body["details"]["recovered"], true, "{}", failed.body);
    let said = failed.body["details"]["fail2ban_message"].as_str().unwrap();
    assert!(!said.is_empty(), "{}", failed.body);
    assert_eq!(jail_d(&cluster), files_before);
    assert_eq!(running(&cluster), running_now);

    // Two activations at once on two workers: one after the other, both done.
    let (x, y) = tokio::join!(
        caller.post(
            &a,
            "/config/jails/second/activate",
            Some(&cookie),
            json!({})
        ),
        caller.post(&b, "/config/jails/third/activate", Some(&cookie), json!({})),
    );
    assert_eq!(
        (x.status.as_u16(), y.status.as_u16()),
        (200, 200),
        "{} / {}",
        x.body,
        y.body
    );
    let after = running(&cluster);
    for jail in ["second", "third", "disabled-jail"] {
        assert!(after.contains(jail), "{after:?}");
    }
    assert!(before.is_subset(&after));
}

/// A worker killed between writing the jail's `.local` and reloading fail2ban leaves a note;
/// the health probe (on a job worker) finishes the activation by rolling it back, once the
/// dead worker's lock has expired.
#[tokio::test]
async fn an_activation_whose_worker_dies_halfway_is_rolled_back_by_the_health_probe() {
    let mut cluster = common::imports::with_job_workers(
        common::cluster(
            ClusterOptions::workers(1)
                // Debug builds only: the worker exits right after writing the file.
                .env("BANGUI_TEST_FAULT", "exit-mid-activation")
                .env("BANGUI_FAIL2BAN_RELOAD_TIMEOUT_SECONDS", "2"),
        ),
        1,
        &[("BANGUI_HEALTH_PROBE_SECONDS", "1")],
    );
    let caller = common::Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    let local = conf.join("jail.d/disabled-jail.local");
    let before = running(&cluster);

    let died = common::http_client()
        .post(format!(
            "{}/api/v1/config/jails/disabled-jail/activate",
            cluster.url(0)
        ))
        .header("cookie", &cookie)
        .header("x-bangui-request", "1")
        .json(&json!({}))
        .send()
        .await;
    assert!(died.is_err(), "the worker answered: {died:?}");
    assert!(
        std::fs::read_to_string(&local)
            .unwrap()
            .contains("enabled = true"),
        "the worker died after writing the file"
    );

    let rolled_back = common::eventually(
        std::time::Duration::from_secs(60),
        std::time::Duration::from_millis(250),
        async || (!local.exists()).then_some(()),
    )
    .await;
    assert!(
        rolled_back.is_some(),
        "the health probe did not roll the activation back"
    );
    assert_eq!(
        running(&cluster),
        before,
        "fail2ban runs what it ran before"
    );
    assert!(
        cluster
            .job_worker_log(0)
            .contains("a jail change whose worker died was rolled back")
    );

    // The history says so, and the jail can be activated again.
    cluster.restart(0).unwrap();
    let history = caller
        .get(
            &cluster.url(0),
            "/config/files/jail.d/disabled-jail.local/revisions",
            Some(&cookie),
        )
        .await;
    let actions: Vec<&str> = history.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["recovery", "activate"], "{actions:?}");
}

/// Editing a running jail's options, its log paths and its filter, checking a change without
/// making it, and deactivating it: each through one worker, fail2ban's own answers and the
/// other worker agreeing; refused changes write nothing.
#[tokio::test]
async fn a_jail_is_edited_checked_and_deactivated_through_its_local_file() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let f2b = cluster.fail2ban.as_ref().unwrap();
    let conf = f2b.config_dir();
    let log = f2b.log_file("test");
    let second_log = log.with_file_name("second.log");
    std::fs::write(&second_log, "").unwrap();
    std::fs::create_dir_all(conf.join("jail.d")).unwrap();
    std::fs::write(
        conf.join("filter.d/broken.conf"),
        "[Definition]\nfailregex = ^(unclosed <HOST>\n",
    )
    .unwrap();
    std::fs::write(
        conf.join("filter.d/other.conf"),
        "[Definition]\nfailregex = ^other failure from <HOST>$\n",
    )
    .unwrap();
    let (a, b) = (cluster.url(0), cluster.url(1));
    let local = conf.join("jail.d/test.local");
    let patch = |base: String, body: serde_json::Value| {
        let caller = &caller;
        let cookie = &cookie;
        async move {
            caller
                .send(
                    reqwest::Method::PATCH,
                    format!("{base}/api/v1/config/jails/test"),
                    Some(cookie),
                    true,
                    Some(body),
                )
                .await
        }
    };
    let setting = |jail: &serde_json::Value, name: &str| {
        jail["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .cloned()
            .unwrap()
    };
    let listed = |body: &serde_json::Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["name"] == "test")
            .cloned()
            .unwrap()
    };

    // An edit through A: the .local, fail2ban and B agree.
    let edited = patch(
        a.clone(),
        json!({ "settings": { "maxretry": "9", "findtime": "20m" } }),
    )
    .await;
    assert_eq!(edited.status.as_u16(), 200, "{}", edited.body);
    assert_eq!(edited.body["running"], true);
    let text = std::fs::read_to_string(&local).unwrap();
    assert!(
        text.contains("maxretry = 9") && text.contains("findtime = 20m"),
        "{text}"
    );
    assert_eq!(fail2ban_says(&cluster, &["get", "test", "maxretry"]), 9);
    assert_eq!(fail2ban_says(&cluster, &["get", "test", "findtime"]), 1200);
    let seen = listed(&caller.get(&b, "/config/jails", Some(&cookie)).await.body);
    let maxretry = setting(&seen, "maxretry");
    assert_eq!(maxretry["value"], 9);
    assert_eq!(maxretry["source"]["file"], "jail.d/test.local");

    // Removing an option gives the jail its value from the other files again.
    let removed = patch(b.clone(), json!({ "settings": { "maxretry": null } })).await;
    assert_eq!(removed.status.as_u16(), 200, "{}", removed.body);
    assert!(
        !std::fs::read_to_string(&local)
            .unwrap()
            .contains("maxretry")
    );
    assert_ne!(fail2ban_says(&cluster, &["get", "test", "maxretry"]), 9);

    // Refused before anything is written.
    let unchanged = std::fs::read_to_string(&local).unwrap();
    for (body, code) in [
        (
            json!({ "settings": { "port": "22; touch /tmp/bangui-pwned" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "action": "iptables" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "ignorecommand": "/bin/true" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "enabled": "false" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "bantime": "ten minutes" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "filter": "no-such-filter" } }),
            "invalid_argument",
        ),
        (
            json!({ "settings": { "filter": "../../etc/passwd" } }),
            "invalid_argument",
        ),
        (json!({ "settings": {} }), "invalid_argument"),
        (
            json!({ "settings": { "filter": "broken" } }),
            "activation_rejected",
        ),
        (json!({ "options": {} }), "invalid_body"),
    ] {
        let refused = patch(a.clone(), body.clone()).await;
        assert_eq!(refused.code(), code, "{body}: {}", refused.body);
        assert!(refused.status.is_client_error(), "{body}");
    }
    assert_eq!(std::fs::read_to_string(&local).unwrap(), unchanged);
    assert!(!std::path::Path::new("/tmp/bangui-pwned").exists());

    // A check without a change: the broken filter's expression named, nothing written.
    let checked = caller
        .post(
            &b,
            "/config/jails/test/validate",
            Some(&cookie),
            json!({ "settings": { "filter": "broken" } }),
        )
        .await;
    assert_eq!(checked.status.as_u16(), 200, "{}", checked.body);
    assert_eq!(checked.body["valid"], false);
    assert_eq!(
        checked.body["errors"][0]["option"], "failregex",
        "{}",
        checked.body
    );
    let fine = caller
        .post(&b, "/config/jails/test/validate", Some(&cookie), json!({}))
        .await;
    assert_eq!(
        (fine.body["valid"].clone(), fine.body["errors"].clone()),
        (json!(true), json!([])),
        "{}",
        fine.body
    );
    let gone = caller
        .post(
            &b,
            "/config/jails/missing-log/validate",
            Some(&cookie),
            json!({ "settings": { "logpath": ["/nonexistent/x.log"] } }),
        )
        .await;
    assert_eq!(gone.code(), "jail_not_configured");
    assert_eq!(std::fs::read_to_string(&local).unwrap(), unchanged);

    // Another filter assigned: fail2ban runs the jail with its expression.
    let assigned = patch(a.clone(), json!({ "settings": { "filter": "other" } })).await;
    assert_eq!(assigned.status.as_u16(), 200, "{}", assigned.body);
    let regexes = fail2ban_says(&cluster, &["get", "test", "failregex"]);
    assert!(
        regexes.to_string().contains("other failure from"),
        "{regexes}"
    );

    // Log paths: one added (fail2ban reads both), then removed; the last one stays.
    let second = second_log.display().to_string();
    let added = caller
        .post(
            &a,
            "/config/jails/test/logpaths",
            Some(&cookie),
            json!({ "path": second }),
        )
        .await;
    assert_eq!(added.status.as_u16(), 200, "{}", added.body);
    let paths = fail2ban_says(&cluster, &["get", "test", "logpath"]).to_string();
    assert!(
        paths.contains(&second) && paths.contains(&log.display().to_string()),
        "{paths}"
    );
    let twice = caller
        .post(
            &b,
            "/config/jails/test/logpaths",
            Some(&cookie),
            json!({ "path": second }),
        )
        .await;
    assert_eq!(twice.code(), "invalid_argument", "{}", twice.body);
    let path_query = |p: &str| format!("/config/jails/test/logpaths?path={}", urlencode(p));
    let dropped = caller
        .delete(&b, &path_query(&second), Some(&cookie), json!(null))
        .await;
    assert_eq!(dropped.status.as_u16(), 200, "{}", dropped.body);
    assert!(
        !fail2ban_says(&cluster, &["get", "test", "logpath"])
            .to_string()
            .contains(&second)
    );
    let last = caller
        .delete(
            &a,
            &path_query(&log.display().to_string()),
            Some(&cookie),
            json!(null),
        )
        .await;
    assert_eq!(last.code(), "invalid_argument", "{}", last.body);

    // Deactivated through B: fail2ban stops it, the .local keeps it stopped, A agrees.
    let before = running(&cluster);
    let off = caller
        .post(
            &b,
            "/config/jails/test/deactivate",
            Some(&cookie),
            json!(null),
        )
        .await;
    assert_eq!(
        (off.status.as_u16(), &off.body["running"]),
        (200, &json!(false)),
        "{}",
        off.body
    );
    assert!(!running(&cluster).contains("test"));
    assert!(
        std::fs::read_to_string(&local)
            .unwrap()
            .contains("enabled = false")
    );
    let seen = listed(&caller.get(&a, "/config/jails", Some(&cookie)).await.body);
    assert_eq!(
        (&seen["enabled"], &seen["running"]),
        (&json!(false), &json!(false))
    );
    let actions = common::revision_actions(&caller, &a, &cookie, "jail.d/test.local").await;
    assert_eq!(
        actions,
        ["deactivate", "edit", "edit", "edit", "edit", "edit"]
    );
    // And back.
    let on = caller
        .post(&a, "/config/jails/test/activate", Some(&cookie), json!({}))
        .await;
    assert_eq!(on.status.as_u16(), 200, "{}", on.body);
    assert_eq!(running(&cluster), before);
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
