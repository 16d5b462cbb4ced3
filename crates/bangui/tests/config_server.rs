//! `/api/v1/config/server*` against a real fail2ban: settings read and set through its socket
//! (checked with fail2ban's own answers), the log target kept to safe places, and the tail of
//! fail2ban's log only from a file in the allowed directory.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::cluster::ClusterOptions;
use common::{Fixture, eventually, fail2ban_says};
use reqwest::Method;
use serde_json::{Value, json};

#[tokio::test]
async fn server_settings_round_trip_and_the_log_is_read_only_from_the_allowed_directory() {
    let logs = tempfile::tempdir().unwrap();
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(
        ClusterOptions::workers(2).env("BANGUI_FAIL2BAN_LOG_DIR", logs.path().to_str().unwrap()),
    )
    .await;
    let (a, b) = (cluster.url(0), cluster.url(1));
    let put = |base: String, body: Value| {
        let (caller, cookie) = (&caller, &cookie);
        async move {
            caller
                .send(
                    Method::PUT,
                    format!("{base}/api/v1/config/server"),
                    Some(cookie),
                    true,
                    Some(body),
                )
                .await
        }
    };

    // What bangui shows is what fail2ban answers.
    let shown = caller.get(&a, "/config/server", Some(&cookie)).await;
    assert_eq!(shown.status.as_u16(), 200, "{}", shown.body);
    for key in [
        "loglevel",
        "logtarget",
        "dbpurgeage",
        "dbmaxmatches",
        "syslogsocket",
    ] {
        assert_eq!(
            shown.body[key],
            fail2ban_says(&cluster, &["get", key]),
            "{key}"
        );
    }
    let sandbox_log = shown.body["logtarget"].as_str().unwrap().to_owned();

    // fail2ban logs to a file outside the allowed directory: not shown.
    let outside = caller.get(&b, "/config/server/log", Some(&cookie)).await;
    assert_eq!(
        (outside.status.as_u16(), outside.code()),
        (400, "fail2ban_log_not_a_file"),
        "{}",
        outside.body
    );

    // Set through one worker, seen by fail2ban (and the other worker); a short purge age warns.
    let set = put(
        a.clone(),
        json!({ "loglevel": "debug", "dbpurgeage": 3600, "dbmaxmatches": 7 }),
    )
    .await;
    assert_eq!(set.status.as_u16(), 200, "{}", set.body);
    assert_eq!(fail2ban_says(&cluster, &["get", "loglevel"]), "DEBUG");
    assert_eq!(fail2ban_says(&cluster, &["get", "dbpurgeage"]), 3600);
    assert_eq!(fail2ban_says(&cluster, &["get", "dbmaxmatches"]), 7);
    let seen = caller.get(&b, "/config/server", Some(&cookie)).await;
    assert_eq!(
        (&seen.body["loglevel"], &seen.body["dbpurgeage"]),
        (&json!("DEBUG"), &json!(3600))
    );
    assert!(
        seen.body["warnings"][0]
            .as_str()
            .unwrap()
            .contains("under a day"),
        "{}",
        seen.body
    );

    // Refused, and nothing changed: a level fail2ban has not, a log file fail2ban (as root)
    // would write outside the allowed directory, read-only settings, absurd values.
    for bad in [
        json!({ "loglevel": "LOUD" }),
        json!({ "logtarget": "/etc/cron.d/evil.log" }),
        json!({ "logtarget": format!("{}/../evil.log", logs.path().display()) }),
        json!({ "logtarget": format!("{}/evil.sh", logs.path().display()) }),
        json!({ "logtarget": "relative.log" }),
        json!({ "dbfile": "/tmp/other.sqlite3" }),
        json!({ "syslogsocket": "/tmp/sock" }),
        json!({ "dbpurgeage": -1 }),
        json!({ "dbmaxmatches": 10_000_000 }),
    ] {
        let refused = put(b.clone(), bad.clone()).await;
        assert_eq!(refused.status.as_u16(), 422, "{bad}: {}", refused.body);
    }
    assert_eq!(
        fail2ban_says(&cluster, &["get", "logtarget"]),
        json!(sandbox_log)
    );
    assert_eq!(fail2ban_says(&cluster, &["get", "loglevel"]), "DEBUG");

    // Pointed at a file in the allowed directory, fail2ban's log is shown from its end.
    let target = logs.path().join("fail2ban.log");
    let moved = put(a.clone(), json!({ "logtarget": target.to_str().unwrap() })).await;
    assert_eq!(moved.status.as_u16(), 200, "{}", moved.body);
    assert_eq!(
        fail2ban_says(&cluster, &["get", "logtarget"]),
        json!(target.to_str().unwrap())
    );
    let banned = caller
        .post(
            &a,
            "/bans",
            Some(&cookie),
            json!({ "jail": "test", "ip": "192.0.2.201" }),
        )
        .await;
    assert_eq!(banned.status.as_u16(), 200, "{}", banned.body);
    let tail = eventually(
        Duration::from_secs(10),
        Duration::from_millis(100),
        async || {
            let tail = caller
                .get(
                    &b,
                    "/config/server/log?lines=20&filter=192.0.2.201",
                    Some(&cookie),
                )
                .await;
            let lines = tail.body["lines"].as_array()?.clone();
            lines
                .iter()
                .any(|l| l.as_str().is_some_and(|l| l.contains("Ban 192.0.2.201")))
                .then_some(tail.body)
        },
    )
    .await
    .expect("fail2ban's log shows the ban");
    assert!(
        tail["lines"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.as_str().unwrap().contains("192.0.2.201"))
    );
    assert_eq!(tail["path"], json!(target.to_str().unwrap()));
    let flushed = caller
        .post(&b, "/config/server/flushlogs", Some(&cookie), json!({}))
        .await;
    assert_eq!(flushed.status.as_u16(), 200, "{}", flushed.body);

    for bad in [
        "lines=0",
        "lines=5001",
        "lines=ten",
        &format!("filter={}", "x".repeat(201)),
    ] {
        let refused = caller
            .get(&b, &format!("/config/server/log?{bad}"), Some(&cookie))
            .await;
        assert_eq!(refused.status.as_u16(), 422, "{bad}: {}", refused.body);
    }
    // To stderr: nothing to show, said clearly.
    let to_stderr = put(a.clone(), json!({ "logtarget": "stderr" })).await;
    assert_eq!(to_stderr.status.as_u16(), 200, "{}", to_stderr.body);
    let none = caller.get(&b, "/config/server/log", Some(&cookie)).await;
    assert_eq!(
        (none.status.as_u16(), none.code()),
        (400, "fail2ban_log_not_a_file")
    );
    assert!(
        none.body["message"].as_str().unwrap().contains("STDERR"),
        "{}",
        none.body
    );
}
