//! `/api/v1/config/*` on a real fail2ban's configuration: what its files define, with the
//! source of every value, next to what fail2ban runs, from any worker.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::Fixture;
use serde_json::Value;

fn setting<'a>(jail: &'a Value, name: &str) -> &'a Value {
    jail["settings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no setting {name} in {jail}"))
}

#[tokio::test]
async fn every_configured_jail_is_listed_with_its_sources_and_whether_it_runs() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    // An override in jail.d, and a file fail2ban cannot decode (it skips it, and so do we).
    std::fs::write(
        conf.join("jail.d/tuning.local"),
        "[disabled-jail]\nmaxretry = 7\nfindtime = 1h\naction = noop[name=x]\n",
    )
    .unwrap();
    std::fs::write(
        conf.join("jail.d/latin1.local"),
        b"[test]\nport = caf\xe9\n",
    )
    .unwrap();

    let answer = caller
        .get(&cluster.url(1), "/config/jails", Some(&cookie))
        .await;
    assert_eq!(answer.status.as_u16(), 200, "{}", answer.body);
    let list = &answer.body;
    assert_eq!(list["online"], true);
    // fail2ban's order; the file it cannot decode is skipped with a warning.
    assert_eq!(
        list["files"],
        serde_json::json!(["jail.conf", "jail.d/tuning.local"])
    );
    assert_eq!(list["warnings"][0]["file"], "jail.d/latin1.local");

    let items = list["items"].as_array().unwrap();
    let by_name = |n: &str| items.iter().find(|j| j["name"] == n).unwrap();
    // Every jail fail2ban runs is configured and marked running; the disabled one is neither.
    let running = common::fail2ban_says(&cluster, &["status"]);
    let running = running.to_string();
    for jail in ["test", "test-incr", "blocklist-import"] {
        assert!(running.contains(jail), "{running}");
        let j = by_name(jail);
        assert_eq!(
            (&j["enabled"], &j["running"]),
            (&Value::Bool(true), &Value::Bool(true)),
            "{j}"
        );
    }
    let disabled = by_name("disabled-jail");
    assert_eq!(
        (&disabled["enabled"], &disabled["running"]),
        (&Value::Bool(false), &Value::Bool(false))
    );

    // Values typed as fail2ban types them, each with where it was written.
    let maxretry = setting(disabled, "maxretry");
    assert_eq!(maxretry["value"], 7);
    assert_eq!(maxretry["source"]["file"], "jail.d/tuning.local");
    assert_eq!(maxretry["source"]["section"], "disabled-jail");
    assert_eq!(maxretry["source"]["line"], 2);
    let bantime = setting(disabled, "bantime");
    assert_eq!(bantime["value"], "600");
    assert_eq!(
        (&bantime["source"]["file"], &bantime["source"]["section"]),
        (&Value::from("jail.conf"), &Value::from("DEFAULT"))
    );
    assert_eq!(setting(disabled, "enabled")["value"], false);
    assert_eq!(disabled["filter"]["name"], "bangui-test");
    assert_eq!(disabled["actions"][0]["name"], "noop");
    assert_eq!(disabled["actions"][0]["args"]["name"], "x");
    let log = disabled["logpaths"][0]["pattern"].as_str().unwrap();
    assert!(log.ends_with("disabled-jail.log"), "{disabled}");
    let backend = setting(by_name("test"), "backend");
    assert_eq!(backend["value"], "polling");
    assert_eq!(backend["source"]["section"], "DEFAULT");

    // Signed-in only.
    let anonymous = caller.get(&cluster.url(0), "/config/jails", None).await;
    assert_eq!(anonymous.status.as_u16(), 401);
}

#[tokio::test]
async fn a_configuration_fail2ban_would_refuse_is_a_502_that_names_the_file_and_line() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(1)).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    std::fs::write(
        conf.join("jail.d/dup.local"),
        "[test]\nmaxretry = 1\nmaxretry = 2\n",
    )
    .unwrap();
    let answer = caller
        .get(&cluster.url(0), "/config/jails", Some(&cookie))
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (502, "fail2ban_config_unreadable"),
        "{}",
        answer.body
    );
    let message = answer.body["message"].as_str().unwrap();
    assert!(
        message.contains("jail.d/dup.local") && message.contains("line 3"),
        "{message}"
    );
    // Fixed on disk, it reads again: nothing was cached.
    std::fs::remove_file(conf.join("jail.d/dup.local")).unwrap();
    let again = caller
        .get(&cluster.url(0), "/config/jails", Some(&cookie))
        .await;
    assert_eq!(again.status.as_u16(), 200, "{}", again.body);
}
