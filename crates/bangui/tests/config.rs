//! `/api/v1/config/*` on a real fail2ban's configuration: what its files define, with the
//! source of every value, next to what fail2ban runs, from any worker.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::Fixture;
use serde_json::{Value, json};

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

/// Filters and actions: listed with the jails that use them, read with their sources; a filter
/// of bangui's making created, edited, assigned to a jail (which fail2ban then runs with it),
/// refused while in use, deleted; bad expressions refused with nothing written.
#[tokio::test]
async fn filters_are_listed_created_edited_assigned_and_deleted() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let conf = cluster.fail2ban.as_ref().unwrap().config_dir();
    let (a, b) = (cluster.url(0), cluster.url(1));
    let entry = |list: &Value, name: &str| {
        list["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no {name} in {list}"))
    };

    let filters = caller.get(&a, "/config/filters", Some(&cookie)).await;
    assert_eq!(filters.status.as_u16(), 200, "{}", filters.body);
    let ours = entry(&filters.body, "bangui-test");
    assert_eq!(ours["conf"], "filter.d/bangui-test.conf");
    assert!(
        ours["used_by"].as_array().unwrap().contains(&json!("test")),
        "{ours}"
    );
    assert!(
        ours["used_by_running"]
            .as_array()
            .unwrap()
            .contains(&json!("test"))
    );
    let actions = caller.get(&b, "/config/actions", Some(&cookie)).await;
    assert!(
        entry(&actions.body, "noop")["used_by"]
            .as_array()
            .unwrap()
            .contains(&json!("test"))
    );
    let detail = caller
        .get(&b, "/config/filters/bangui-test", Some(&cookie))
        .await;
    let failregex = detail.body["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "failregex")
        .cloned()
        .unwrap();
    assert_eq!(
        failregex["source"]["file"], "filter.d/bangui-test.conf",
        "{failregex}"
    );
    assert!(failregex["value"].as_str().unwrap().contains("<HOST>"));
    let missing = caller
        .get(&b, "/config/filters/..%2Fjail", Some(&cookie))
        .await;
    assert_eq!(missing.code(), "filter_not_found");
    let no_action = caller.get(&b, "/config/actions/nope", Some(&cookie)).await;
    assert_eq!(no_action.code(), "filter_not_found");
    assert_eq!(
        no_action.body["message"], "no action nope in action.d",
        "{}",
        no_action.body
    );

    // Created through A, seen through B.
    let before: Vec<_> = std::fs::read_dir(conf.join("filter.d")).unwrap().collect();
    for (body, code) in [
        (
            json!({ "name": "bad", "failregex": ["^(unclosed <HOST>"] }),
            "invalid_argument",
        ),
        (
            json!({ "name": "bad", "failregex": [] }),
            "invalid_argument",
        ),
        (json!({ "name": "bad" }), "invalid_argument"),
        (
            json!({ "name": "../bad", "failregex": ["^x <HOST>$"] }),
            "invalid_argument",
        ),
        (
            json!({ "name": "bad", "failregex": ["^x <HOST>$\n[x]"] }),
            "invalid_argument",
        ),
        (
            json!({ "name": "bangui-test", "failregex": ["^x <HOST>$"] }),
            "filter_exists",
        ),
        (
            json!({ "name": "bad", "failregex": ["^x <HOST>$"], "actionban": "id" }),
            "invalid_body",
        ),
    ] {
        let refused = caller
            .post(&a, "/config/filters", Some(&cookie), body.clone())
            .await;
        assert_eq!(refused.code(), code, "{body}: {}", refused.body);
    }
    assert_eq!(
        std::fs::read_dir(conf.join("filter.d")).unwrap().count(),
        before.len()
    );
    let made = caller
        .post(
            &a,
            "/config/filters",
            Some(&cookie),
            json!({ "name": "mine", "failregex": ["^mine: failure from <HOST>$"], "ignoreregex": [] }),
        )
        .await;
    assert_eq!(made.status.as_u16(), 201, "{}", made.body);
    assert_eq!(made.body["local"], "filter.d/mine.local");
    let text = std::fs::read_to_string(conf.join("filter.d/mine.local")).unwrap();
    assert!(
        text.starts_with("[Definition]\nfailregex = ^mine: failure from <HOST>$"),
        "{text}"
    );
    assert_eq!(
        entry(
            &caller.get(&b, "/config/filters", Some(&cookie)).await.body,
            "mine"
        )["used_by"],
        json!([])
    );

    // Edited, then assigned to a running jail: fail2ban runs it with both expressions.
    let edited = caller
        .send(
            reqwest::Method::PATCH,
            format!("{b}/api/v1/config/filters/mine"),
            Some(&cookie),
            true,
            Some(json!({ "failregex": ["^mine: failure from <HOST>$", "^mine: refused <HOST>$"] })),
        )
        .await;
    assert_eq!(edited.status.as_u16(), 200, "{}", edited.body);
    let assigned = caller
        .send(
            reqwest::Method::PATCH,
            format!("{a}/api/v1/config/jails/test"),
            Some(&cookie),
            true,
            Some(json!({ "settings": { "filter": "mine" } })),
        )
        .await;
    assert_eq!(assigned.status.as_u16(), 200, "{}", assigned.body);
    let regexes = common::fail2ban_says(&cluster, &["get", "test", "failregex"]).to_string();
    assert!(regexes.contains("mine: refused"), "{regexes}");

    // In use, and nothing else to fall back on: refused. Assigned back, deleted.
    let delete = |base: String| {
        let caller = &caller;
        let cookie = &cookie;
        async move {
            caller
                .send(
                    reqwest::Method::DELETE,
                    format!("{base}/api/v1/config/filters/mine"),
                    Some(cookie),
                    true,
                    None,
                )
                .await
        }
    };
    let in_use = delete(b.clone()).await;
    assert_eq!(
        (in_use.status.as_u16(), in_use.code()),
        (409, "filter_in_use"),
        "{}",
        in_use.body
    );
    assert!(conf.join("filter.d/mine.local").exists());
    let back = caller
        .send(
            reqwest::Method::PATCH,
            format!("{a}/api/v1/config/jails/test"),
            Some(&cookie),
            true,
            Some(json!({ "settings": { "filter": null } })),
        )
        .await;
    assert_eq!(back.status.as_u16(), 200, "{}", back.body);
    let gone = delete(b.clone()).await;
    assert_eq!(gone.status.as_u16(), 204, "{}", gone.body);
    assert!(!conf.join("filter.d/mine.local").exists());
    let actions = common::revision_actions(&caller, &a, &cookie, "filter.d/mine.local").await;
    assert_eq!(actions, ["delete", "edit", "create"], "{actions:?}");
    // A stock filter has no .local to delete.
    let stock = caller
        .send(
            reqwest::Method::DELETE,
            format!("{a}/api/v1/config/filters/bangui-test"),
            Some(&cookie),
            true,
            None,
        )
        .await;
    assert_eq!(stock.code(), "invalid_argument", "{}", stock.body);
    assert!(conf.join("filter.d/bangui-test.conf").exists());
}
