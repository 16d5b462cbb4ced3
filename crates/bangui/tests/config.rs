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

/// `fail2ban-regex --raw` on `lines` with filter `name` of `conf`: (matched, ignored, missed).
fn fail2ban_regex(conf: &std::path::Path, name: &str, lines: &[&str]) -> (u64, u64, u64) {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("lines.log");
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let out = std::process::Command::new("fail2ban-regex")
        .arg("--raw")
        .arg("-c")
        .arg(conf)
        .arg(&log)
        .arg(name)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let summary = text
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .unwrap_or_else(|| panic!("fail2ban-regex printed no summary: {text}"));
    let count = |what: &str| {
        summary
            .split(", ")
            .find(|p| p.ends_with(what))
            .and_then(|p| p.split(' ').rev().nth(1)?.parse().ok())
            .unwrap_or_else(|| panic!("no {what} in {summary}"))
    };
    (count(" matched"), count(" ignored"), count(" missed"))
}

#[tokio::test]
async fn the_filter_test_answers_what_fail2ban_regex_answers_from_any_worker() {
    // Jail logs live in the test fail2ban's temporary directory: allowed. /etc is not.
    let tmp = std::env::temp_dir();
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(
        ClusterOptions::workers(2).env("BANGUI_FAIL2BAN_LOG_DIR", tmp.to_str().unwrap()),
    )
    .await;
    let f2b = cluster.fail2ban.as_ref().unwrap();
    let conf = f2b.config_dir();
    let (a, b) = (cluster.url(0), cluster.url(1));

    // Pasted lines against a filter by name, as fail2ban-regex reads them.
    let lines = [
        "2026-12-04 10:00:01 Failed login from 192.0.2.50",
        "2026-12-04 10:00:02 Failed login from 2001:DB8::5",
        "# a comment is not tested",
        "2026-12-04 10:00:03 Accepted login from 192.0.2.51",
        "Failed login from 192.0.2.52",
        "",
        "2026-12-04 10:00:04 Failed login from host.example.org",
    ];
    let named = caller
        .post(
            &a,
            "/config/filter-test",
            Some(&cookie),
            json!({ "filter": "bangui-test", "lines": lines }),
        )
        .await;
    assert_eq!(named.status.as_u16(), 200, "{}", named.body);
    // The filter as it ran: interpolated (`%%` is `%` once read).
    assert_eq!(
        named.body["effective"],
        json!({
            "failregex": ["^\\s*Failed login from <HOST>\\s*$"],
            "ignoreregex": [],
            "prefregex": null,
            "datepattern": "^%Y-%m-%d %H:%M:%S",
            "maxlines": 1,
        })
    );
    let s = &named.body["summary"];
    let (matched, ignored, missed) = fail2ban_regex(&conf, "bangui-test", &lines);
    assert_eq!(
        (
            s["matched"].as_u64(),
            s["ignored"].as_u64(),
            s["missed"].as_u64()
        ),
        (Some(matched), Some(ignored), Some(missed)),
        "{s}"
    );
    // A line without a date is tested all the same (fail2ban dates it "now").
    assert_eq!((matched, missed, s["tested"].as_u64()), (4, 1, Some(5)));
    let tested = named.body["lines"].as_array().unwrap();
    let ids: Vec<&str> = tested
        .iter()
        .flat_map(|l| l["failures"].as_array().unwrap())
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "192.0.2.50",
            "2001:db8::5",
            "192.0.2.52",
            "host.example.org"
        ]
    );
    assert_eq!(tested[0]["number"], 1);
    assert_eq!(tested[0]["text"], lines[0]);
    assert_eq!(tested[0]["date"], "2026-12-04 10:00:01");
    let local = chrono::NaiveDate::from_ymd_opt(2026, 12, 4)
        .unwrap()
        .and_hms_opt(10, 0, 1)
        .unwrap()
        .and_local_timezone(chrono::Local)
        .unwrap()
        .timestamp();
    assert_eq!(tested[0]["time"].as_f64(), Some(local as f64));
    assert_eq!(tested[2]["number"], 4);
    assert_eq!(tested[2]["status"], "missed");
    assert_eq!(
        (tested[3]["number"].as_u64(), &tested[3]["date"]),
        (Some(5), &Value::Null)
    );

    // A draft over it: an ignoreregex, and a failregex of its own.
    let draft = caller
        .post(
            &b,
            "/config/filter-test",
            Some(&cookie),
            json!({
                "filter": "bangui-test",
                "ignoreregex": ["from 2001:"],
                "lines": lines,
            }),
        )
        .await;
    assert_eq!(draft.status.as_u16(), 200, "{}", draft.body);
    assert_eq!(draft.body["summary"]["ignored"], 1);
    assert_eq!(draft.body["summary"]["ignoreregex_matches"], json!([1]));
    let own = caller
        .post(
            &b,
            "/config/filter-test",
            Some(&cookie),
            json!({
                "failregex": ["(?:Failed|Accepted) login from <ADDR>$"],
                "datepattern": "{NONE}",
                "lines": lines,
            }),
        )
        .await;
    assert_eq!(own.status.as_u16(), 200, "{}", own.body);
    // <ADDR>: addresses only; {NONE}: no date is looked for.
    assert_eq!(own.body["summary"]["matched"], 4, "{}", own.body["summary"]);
    assert_eq!(own.body["lines"][0]["date"], Value::Null);

    // A jail's own filter on the last lines of its log, read from the end.
    f2b.append_failures("test", "198.51.100.60", 3).unwrap();
    let log = caller
        .post(
            &a,
            "/config/filter-test",
            Some(&cookie),
            json!({ "jail": "test", "log_lines": 2 }),
        )
        .await;
    assert_eq!(log.status.as_u16(), 200, "{}", log.body);
    assert_eq!(
        log.body["log"].as_str().map(std::path::PathBuf::from),
        Some(f2b.log_file("test").canonicalize().unwrap())
    );
    assert_eq!(log.body["summary"]["tested"], 2);
    assert_eq!(log.body["summary"]["matched"], 2);
    assert_eq!(
        log.body["lines"][1]["failures"][0]["id"], "198.51.100.60",
        "{}",
        log.body
    );

    // A jail whose log is outside the allowed directory, and one that does not exist.
    std::fs::write(
        conf.join("jail.d/outside.local"),
        "[outside]\nenabled = false\nfilter = bangui-test\nlogpath = /etc/passwd\n",
    )
    .unwrap();
    let outside = caller
        .post(
            &b,
            "/config/filter-test",
            Some(&cookie),
            json!({ "jail": "outside" }),
        )
        .await;
    assert_eq!(outside.status.as_u16(), 400, "{}", outside.body);
    assert_eq!(outside.code(), "jail_log_unreadable");
    // …yet its filter can be tried on pasted lines.
    let pasted = caller
        .post(
            &b,
            "/config/filter-test",
            Some(&cookie),
            json!({ "jail": "outside", "lines": [lines[0]] }),
        )
        .await;
    assert_eq!(pasted.body["summary"]["matched"], 1, "{}", pasted.body);

    // What cannot be tested is refused, with nothing run.
    let many: Vec<String> = (0..10_001).map(|i| format!("line {i}")).collect();
    let refused = [
        (json!({ "lines": lines }), 422, "invalid_argument"),
        (json!({ "filter": "bangui-test" }), 422, "invalid_argument"),
        (
            json!({ "filter": "nope", "lines": lines }),
            404,
            "filter_not_found",
        ),
        (
            json!({ "filter": "../jail", "lines": lines }),
            404,
            "filter_not_found",
        ),
        (json!({ "jail": "nope" }), 404, "jail_not_configured"),
        (json!({ "jail": "a/b" }), 404, "jail_not_configured"),
        (
            json!({ "failregex": ["(unclosed <HOST>"], "lines": lines }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "failregex": ["no host group"], "lines": lines }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "failregex": [], "lines": lines }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "datepattern": "%Q", "lines": lines }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "maxlines": 0, "lines": lines }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "lines": [] }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "lines": many }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "lines": ["a\u{0}b"] }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "lines": ["a\nb"] }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "jail": "test", "log_lines": 0 }),
            422,
            "invalid_argument",
        ),
        (
            json!({ "filter": "bangui-test", "lines": lines, "extra": 1 }),
            422,
            "invalid_body",
        ),
    ];
    for (body, status, code) in refused {
        let answer = caller
            .post(&a, "/config/filter-test", Some(&cookie), body.clone())
            .await;
        let shown: String = body.to_string().chars().take(300).collect();
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{shown}: {}",
            answer.body
        );
    }
    let anonymous = caller
        .post(
            &a,
            "/config/filter-test",
            None,
            json!({ "filter": "bangui-test", "lines": lines }),
        )
        .await;
    assert_eq!(anonymous.status.as_u16(), 401);
}
