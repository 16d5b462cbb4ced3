//! The typed client against a real fail2ban-server (bangui-testkit's sandbox, one per test).

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

use bangui_core::JailName;
use bangui_fail2ban::{Client, Error, ServerError, StatusFlavor, Value};
use bangui_testkit::{Fail2ban, Layout, wait_for};

fn jail(name: &str) -> JailName {
    JailName::parse(name).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn sandbox() -> (Fail2ban, Client) {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    let client = Client::new(f2b.socket());
    (f2b, client)
}

/// Polls until fail2ban's filter banned `ip` (it reads the log about once a second); returns
/// the jail's banned list then.
async fn banned_eventually(client: &Client, jail: &JailName, ip: &str) -> Vec<String> {
    for _ in 0..300 {
        let banned = client
            .jail_status(jail, StatusFlavor::Full)
            .await
            .unwrap()
            .banned
            .unwrap();
        if banned.iter().any(|b| b == ip) {
            return banned;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("fail2ban did not ban {ip} within 30 s");
}

#[tokio::test]
async fn ping_version_status_and_capabilities() {
    let (_f2b, client) = sandbox();
    client.ping().await.unwrap();
    let version = client.version().await.unwrap();
    assert!(version.starts_with("1."), "{version}");
    let status = client.status().await.unwrap();
    assert_eq!(status.jails, vec!["blocklist-import", "test", "test-incr"]);
    // Debian 12 ships 1.0.2, which has no `stats`.
    let caps = client.capabilities().await.unwrap();
    assert_eq!(caps.version, version);
    assert_eq!(caps.stats, version.as_str() >= "1.1");
}

#[tokio::test]
async fn ban_and_unban_ipv4_and_ipv6_report_what_changed() {
    let (f2b, client) = sandbox();
    let test = jail("test");
    let (v4, v6) = (ip("203.0.113.7"), ip("2001:db8::5"));

    assert_eq!(client.ban(&test, &[v4, v6]).await.unwrap(), 2);
    assert_eq!(
        client.ban(&test, &[v4]).await.unwrap(),
        0,
        "already banned counts 0"
    );

    let status = client.jail_status(&test, StatusFlavor::Full).await.unwrap();
    assert_eq!((status.currently_banned, status.total_banned), (2, 2));
    let mut banned = status.banned.unwrap();
    banned.sort();
    assert_eq!(banned, vec!["2001:db8::5", "203.0.113.7"]);
    let short = client
        .jail_status(&test, StatusFlavor::Short)
        .await
        .unwrap();
    assert_eq!((short.currently_banned, short.banned), (2, None));
    assert_eq!(
        short.files,
        vec![f2b.log_file("test").display().to_string()]
    );

    let times = client.ban_times(&test).await.unwrap();
    assert_eq!(times.len(), 2);
    for t in &times {
        assert_eq!(t.duration_secs, 600);
        assert_eq!(t.expiry.unwrap() - t.start, chrono::Duration::seconds(600));
    }

    let other = ip("198.51.100.9");
    let per_ip = client.banned_for(&[v4, other, v6]).await.unwrap();
    assert_eq!(
        per_ip,
        vec![vec!["test".to_owned()], vec![], vec!["test".to_owned()]]
    );
    let everywhere = client.banned_everywhere().await.unwrap();
    assert_eq!(everywhere["test"].len(), 2);
    assert!(everywhere["test-incr"].is_empty());

    assert_eq!(
        client.unban(&test, &[v4, other]).await.unwrap(),
        1,
        "only v4 was banned"
    );
    assert_eq!(client.unban_everywhere(&[v6]).await.unwrap(), 1);
    assert_eq!(
        client
            .jail_status(&test, StatusFlavor::Short)
            .await
            .unwrap()
            .currently_banned,
        0
    );

    let actions = f2b.actions_log();
    for line in [
        "ban test 203.0.113.7 600",
        "ban test 2001:db8::5 600",
        "unban test 203.0.113.7",
        "unban test 2001:db8::5",
    ] {
        assert!(actions.contains(line), "{line:?} missing from\n{actions}");
    }
}

#[tokio::test]
async fn big_batches_are_split_into_short_commands_and_all_land() {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    // A 50 ms target with ≈6 ms per address: commands of a handful of addresses.
    let client = Client::builder(f2b.socket())
        .batch_target(Duration::from_millis(50))
        .build();
    let ips: Vec<IpAddr> = (0..300u32)
        .map(|i| IpAddr::from([198, 18, (i / 200) as u8, (i % 200 + 1) as u8]))
        .collect();
    let mut steps = Vec::new();
    let banned = client
        .ban_with_progress(&jail("test"), &ips, |done| steps.push(done))
        .await
        .unwrap();

    assert_eq!(banned, 300);
    assert!(
        steps.len() >= 5,
        "300 addresses went in only {} commands: {steps:?}",
        steps.len()
    );
    assert!(
        steps.windows(2).all(|w| w[0] < w[1]) && steps.last() == Some(&300),
        "{steps:?}"
    );
    let status = client
        .jail_status(&jail("test"), StatusFlavor::Full)
        .await
        .unwrap();
    assert_eq!(status.banned.unwrap().len(), 300);

    assert_eq!(client.unban(&jail("test"), &ips).await.unwrap(), 300);
}

#[tokio::test]
async fn a_ping_is_answered_while_a_big_batch_is_still_running() {
    let f2b = Fail2ban::start(Layout::Test).unwrap();
    let batcher = Client::new(f2b.socket());
    // A second client, as another worker process would have.
    let pinger = Client::new(f2b.socket());
    let ips: Vec<IpAddr> = (0..600u32)
        .map(|i| IpAddr::from([198, 19, (i / 200) as u8, (i % 200 + 1) as u8]))
        .collect();

    let test = jail("test");
    let batch = tokio::spawn(async move { batcher.ban(&test, &ips).await });
    // Wait until the batch has started…
    let probe = Client::new(f2b.socket());
    loop {
        if probe
            .jail_status(&jail("test"), StatusFlavor::Short)
            .await
            .unwrap()
            .currently_banned
            > 0
        {
            break;
        }
        tokio::task::yield_now().await;
    }
    // …then a ping gets its turn between two commands of the batch.
    pinger.ping().await.unwrap();
    assert!(!batch.is_finished(), "the ping waited for the whole batch");
    assert_eq!(batch.await.unwrap().unwrap(), 600);
}

#[tokio::test]
async fn many_concurrent_clients_all_get_answers() {
    let (f2b, _) = sandbox();
    // Separate clients share no queue: they meet fail2ban's listen backlog of 1 and retry.
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let client = Client::new(f2b.socket());
            tokio::spawn(async move {
                if i % 2 == 0 {
                    client.ping().await.map(|_| ())
                } else {
                    client.status().await.map(|_| ())
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn unban_all_lifts_every_ban_of_every_jail() {
    let (_f2b, client) = sandbox();
    client
        .ban(&jail("test"), &[ip("192.0.2.1"), ip("192.0.2.2")])
        .await
        .unwrap();
    client
        .ban(&jail("test-incr"), &[ip("2001:db8::1")])
        .await
        .unwrap();
    assert_eq!(client.unban_all().await.unwrap(), 3);
    assert!(
        client
            .banned_everywhere()
            .await
            .unwrap()
            .values()
            .all(Vec::is_empty)
    );
}

#[tokio::test]
async fn an_unknown_jail_is_a_typed_error() {
    let (_f2b, client) = sandbox();
    let nosuch = jail("nosuch");
    let err = client
        .jail_status(&nosuch, StatusFlavor::Full)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Server(ServerError::UnknownJail(name)) if name == "nosuch"),
        "{err:?}"
    );
    assert_eq!(err.kind(), "unknown_jail");
    let err = client.ban(&nosuch, &[ip("192.0.2.1")]).await.unwrap_err();
    assert_eq!(err.kind(), "unknown_jail");
    let err = client.findtime(&nosuch).await.unwrap_err();
    assert_eq!(err.kind(), "unknown_jail");
}

#[tokio::test]
async fn stats_fall_back_to_per_jail_status_without_log_noise() {
    let (f2b, client) = sandbox();
    client
        .ban(&jail("test-incr"), &[ip("192.0.2.9")])
        .await
        .unwrap();
    let stats = client.stats().await.unwrap();
    assert_eq!(
        stats.keys().collect::<Vec<_>>(),
        ["blocklist-import", "test", "test-incr"]
    );
    assert_eq!(
        (
            stats["test-incr"].currently_banned,
            stats["test-incr"].total_banned
        ),
        (1, 1)
    );
    assert_eq!(stats["test"].currently_banned, 0);
    // Asked twice; fail2ban 1.0.2 never saw a `stats` command (it would log an error for it).
    client.stats().await.unwrap();
    let log = std::fs::read_to_string(f2b.dir().join("fail2ban.log")).unwrap();
    assert!(
        !log.contains("'stats'"),
        "fail2ban logged a stats command:\n{log}"
    );
}

#[tokio::test]
async fn jail_settings_read_and_write() {
    let (f2b, client) = sandbox();
    let test = jail("test");

    let filter = client.filter(&test).await.unwrap();
    assert_eq!(filter.failregex.len(), 1);
    assert!(
        filter.failregex[0].contains("Failed login from"),
        "{:?}",
        filter.failregex
    );
    assert!(filter.ignoreregex.is_empty());
    assert_eq!(filter.datepattern.as_deref(), Some("^%Y-%m-%d %H:%M:%S"));
    assert_eq!(filter.prefregex, None);
    assert_eq!(client.actions(&test).await.unwrap(), vec!["noop"]);
    // fail2ban < 1.1 does not say; a polling jail is not recognisable from outside.
    assert_eq!(client.backend(&test).await.unwrap(), None);

    assert_eq!(client.findtime(&test).await.unwrap(), 600);
    assert_eq!(client.set_findtime(&test, 1200).await.unwrap(), 1200);
    assert_eq!(client.findtime(&test).await.unwrap(), 1200);
    assert_eq!(client.bantime(&test).await.unwrap(), 600);
    assert_eq!(client.set_bantime(&test, -1).await.unwrap(), -1);
    assert_eq!(
        client.set_bantime(&test, -5).await.unwrap_err().kind(),
        "invalid_argument"
    );
    assert_eq!(client.maxretry(&test).await.unwrap(), 3);
    assert_eq!(client.set_maxretry(&test, 5).await.unwrap(), 5);
    assert_eq!(client.maxretry(&test).await.unwrap(), 5);

    let incr = client.bantime_increment(&jail("test-incr")).await.unwrap();
    assert!(incr.increment);
    assert_eq!(incr.factor.as_deref(), Some("2"));
    assert_eq!(incr.maxtime, Some(7 * 24 * 3600));
    let plain = client.bantime_increment(&test).await.unwrap();
    assert!(!plain.increment);
    assert_eq!(plain.maxtime, None);

    assert_eq!(
        client.log_paths(&test).await.unwrap(),
        vec![f2b.log_file("test").display().to_string()]
    );
    let extra = f2b.dir().join("logs/extra.log");
    std::fs::write(&extra, "").unwrap();
    let paths = client.add_log_path(&test, &extra, false).await.unwrap();
    assert!(paths.contains(&extra.display().to_string()), "{paths:?}");
    let paths = client.remove_log_path(&test, &extra).await.unwrap();
    assert!(!paths.contains(&extra.display().to_string()), "{paths:?}");
    let err = client
        .add_log_path(&test, Path::new("/var/log/../../etc/shadow"), true)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");

    assert!(client.set_idle(&test, true).await.unwrap());
    assert!(!client.set_idle(&test, false).await.unwrap());
}

#[tokio::test]
async fn ignore_lists_and_ignoreself() {
    let (f2b, client) = sandbox();
    let test = jail("test");
    let initial = client.ignore_ips(&test).await.unwrap();
    assert!(initial.contains(&"127.0.0.0/8".to_owned()), "{initial:?}");

    let list = client
        .add_ignore_ip(&test, "192.0.2.0/24".parse().unwrap())
        .await
        .unwrap();
    assert!(list.contains(&"192.0.2.0/24".to_owned()), "{list:?}");
    let list = client
        .add_ignore_ip(&test, "2001:db8:1::7/128".parse().unwrap())
        .await
        .unwrap();
    assert!(list.contains(&"2001:db8:1::7".to_owned()), "{list:?}");
    // The filter skips ignored addresses: of two attackers whose lines arrive together, only
    // the one outside the ignore list is banned.
    f2b.append_failures("test", "192.0.2.44", 3).unwrap();
    f2b.append_failures("test", "198.51.100.44", 3).unwrap();
    let banned = banned_eventually(&client, &test, "198.51.100.44").await;
    assert_eq!(banned, vec!["198.51.100.44"]);
    let list = client
        .remove_ignore_ip(&test, "192.0.2.0/24".parse().unwrap())
        .await
        .unwrap();
    assert!(!list.contains(&"192.0.2.0/24".to_owned()), "{list:?}");
    assert_eq!(client.ignore_ips(&test).await.unwrap(), list);

    assert!(!client.ignore_self(&test).await.unwrap());
    assert!(client.set_ignore_self(&test, true).await.unwrap());
    assert!(client.ignore_self(&test).await.unwrap());
}

#[tokio::test]
async fn server_settings_and_log_flushing() {
    let (f2b, client) = sandbox();
    let settings = client.server_settings().await.unwrap();
    assert_eq!(settings.loglevel, "INFO");
    assert_eq!(
        settings.logtarget,
        f2b.dir().join("fail2ban.log").display().to_string()
    );
    assert_eq!(settings.dbfile, Some(f2b.db_path().display().to_string()));
    assert_eq!(settings.dbpurgeage, Some(86_400));
    assert_eq!(settings.dbmaxmatches, Some(10));

    assert_eq!(client.set_loglevel("DEBUG").await.unwrap(), "DEBUG");
    assert_eq!(
        client.set_loglevel("LOUD").await.unwrap_err().kind(),
        "invalid_argument"
    );
    assert_eq!(client.set_dbpurgeage(7200).await.unwrap(), Some(7200));
    assert_eq!(client.set_dbmaxmatches(5).await.unwrap(), Some(5));
    assert_eq!(
        client.server_settings().await.unwrap().dbmaxmatches,
        Some(5)
    );
    let flushed = client.flush_logs().await.unwrap();
    assert!(
        flushed == "rolled over" || flushed == "flushed",
        "{flushed}"
    );
}

#[tokio::test]
async fn stopping_a_jail_removes_it_from_the_running_server() {
    let (_f2b, client) = sandbox();
    client.stop_jail(&jail("test")).await.unwrap();
    assert_eq!(
        client.status().await.unwrap().jails,
        vec!["blocklist-import", "test-incr"]
    );
    // `start` only starts a jail that was added; a stopped jail comes back with a reload.
    assert_eq!(
        client.start_jail(&jail("test")).await.unwrap_err().kind(),
        "unknown_jail"
    );
    assert_eq!(
        client.stop_jail(&jail("test")).await.unwrap_err().kind(),
        "unknown_jail"
    );
}

#[tokio::test]
async fn the_filter_bans_an_address_from_appended_log_lines() {
    let (f2b, client) = sandbox();
    let test = jail("test");
    f2b.append_failures("test", "192.0.2.77", 3).unwrap();

    banned_eventually(&client, &test, "192.0.2.77").await;
    let status = client
        .jail_status(&test, StatusFlavor::Short)
        .await
        .unwrap();
    assert_eq!(status.total_failed, 3);
    let times = client.ban_times(&test).await.unwrap();
    assert_eq!(
        times
            .iter()
            .find(|t| t.ip == "192.0.2.77")
            .unwrap()
            .duration_secs,
        600
    );
    wait_for("the ban action", Duration::from_secs(10), || {
        f2b.actions_log()
            .contains("ban test 192.0.2.77 600")
            .then_some(())
    })
    .unwrap();
}

#[tokio::test]
async fn the_same_client_works_across_fail2ban_restarts() {
    let (mut f2b, client) = sandbox();
    client.ping().await.unwrap();
    client
        .ban(&jail("test"), &[ip("192.0.2.50")])
        .await
        .unwrap();
    assert!(!client.capabilities().await.unwrap().stats);

    // Graceful stop: the socket file disappears.
    f2b.stop().unwrap();
    let err = client.ping().await.unwrap_err();
    assert_eq!(err.kind(), "fail2ban_unreachable", "{err:?}");
    assert!(err.is_unavailable());

    f2b.start_again().unwrap();
    client.ping().await.unwrap();
    assert!(!client.capabilities().await.unwrap().stats);
    // fail2ban restores the ban from its database, in the jail's own thread after start-up.
    let mut restored = Vec::new();
    for _ in 0..100 {
        restored = client
            .jail_status(&jail("test"), StatusFlavor::Full)
            .await
            .unwrap()
            .banned
            .unwrap();
        if !restored.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(restored, vec!["192.0.2.50"]);

    // A crash leaves a stale socket file: connections are refused until fail2ban is back.
    f2b.kill().unwrap();
    assert!(f2b.socket().exists());
    assert_eq!(
        client.status().await.unwrap_err().kind(),
        "fail2ban_unreachable"
    );
    f2b.start_again().unwrap();
    assert_eq!(client.status().await.unwrap().jails.len(), 3);
}

#[tokio::test]
async fn the_terminator_is_refused_before_anything_is_sent() {
    let (f2b, client) = sandbox();
    let err = client
        .command(&[Value::str("echo"), Value::str("a<F2B_END_COMMAND>b")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "invalid_argument");
    let log = std::fs::read_to_string(f2b.dir().join("fail2ban.log")).unwrap();
    assert!(!log.contains("F2B_END"), "{log}");
    client.ping().await.unwrap();
}

#[tokio::test]
async fn echo_returns_every_kind_of_argument_unchanged() {
    let (_f2b, client) = sandbox();
    let args = vec![
        Value::str("echo"),
        Value::str("plain"),
        Value::str("é€ unicode 🚫"),
        Value::str("x".repeat(70_000)),
        Value::Int(0),
        Value::Int(255),
        Value::Int(65_536),
        Value::Int(-2),
        Value::Int(i64::MAX),
        Value::Int(i64::MIN),
        Value::Bool(true),
        Value::Bool(false),
        Value::None,
        Value::Float(1.5),
        Value::List(vec![
            Value::str("nested"),
            Value::List(vec![Value::Int(1), Value::List(vec![])]),
        ]),
    ];
    let answer = client.command(&args).await.unwrap();
    assert_eq!(answer, Value::List(args[1..].to_vec()));
}
