//! The stores against real Redis and PostgreSQL.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::time::Duration;

use bangui_core::Page;
use bangui_store::rate_limit::{Decision, RateLimit};
use bangui_store::sessions::SessionToken;
use bangui_store::{Database, RedisStore, StoreError};
use bangui_testkit::cluster::fresh_database;
use bangui_testkit::{redis, shared_postgres, shared_redis, wait_for};

fn store() -> RedisStore {
    let prefix = format!("store-test-{}", uuid::Uuid::new_v4());
    RedisStore::new(&shared_redis().url, &prefix, Duration::from_secs(2)).unwrap()
}

#[tokio::test]
async fn the_rate_limit_allows_exactly_the_burst() {
    let store = store();
    let limit = RateLimit::per(5, Duration::from_secs(60));
    let mut decisions = Vec::new();
    for _ in 0..10 {
        decisions.push(store.check_rate("login:192.0.2.1", limit).await.unwrap());
    }
    assert!(
        decisions[..5].iter().all(|d| *d == Decision::Allowed),
        "{decisions:?}"
    );
    for d in &decisions[5..] {
        let Decision::Limited { retry_after } = d else {
            panic!("{decisions:?}")
        };
        // One attempt comes back every 12 s.
        assert!(
            *retry_after > Duration::from_secs(10) && *retry_after <= Duration::from_secs(12),
            "{retry_after:?}"
        );
    }
    // Another subject has its own budget.
    assert_eq!(
        store.check_rate("login:192.0.2.2", limit).await.unwrap(),
        Decision::Allowed
    );
}

#[tokio::test]
async fn the_rate_limit_refills_over_time() {
    let store = store();
    let limit = RateLimit {
        burst: 1,
        interval: Duration::from_millis(100),
    };
    assert_eq!(
        store.check_rate("x", limit).await.unwrap(),
        Decision::Allowed
    );
    assert!(matches!(
        store.check_rate("x", limit).await.unwrap(),
        Decision::Limited { .. }
    ));
    let rt = tokio::runtime::Handle::current();
    let s = store.clone();
    tokio::task::spawn_blocking(move || {
        wait_for("the limit to refill", Duration::from_secs(5), || {
            (rt.block_on(s.check_rate("x", limit)).unwrap() == Decision::Allowed).then_some(())
        })
    })
    .await
    .unwrap()
    .unwrap();
}

#[tokio::test]
async fn sessions_are_stored_by_hash_with_their_ttl_and_end_on_delete() {
    let store = store();
    let (token, session) = store
        .create_session(
            Duration::from_secs(3600),
            Some("192.0.2.9".parse().unwrap()),
        )
        .await
        .unwrap();
    assert_eq!(store.session(&token).await.unwrap(), Some(session.clone()));
    assert_eq!(session.id, token.id());
    assert_eq!(session.expires_at_ms - session.created_at_ms, 3_600_000);

    // Redis holds the hash, never the token, and expires the key with the session.
    let port = shared_redis().port().unwrap();
    let key = format!("{}:session:{}", store.prefix(), token.id());
    let ttl: i64 = redis::command_args(port, &["PTTL", &key])
        .unwrap()
        .trim_start_matches(':')
        .trim()
        .parse()
        .unwrap();
    assert!(ttl > 3_590_000 && ttl <= 3_600_000, "{ttl}");
    let keys = redis::command_args(
        port,
        &["KEYS", &format!("{}:*{}*", store.prefix(), token.as_str())],
    )
    .unwrap();
    assert!(
        keys.starts_with("*0"),
        "the raw token appears in a key: {keys}"
    );

    assert!(store.delete_session(&token).await.unwrap());
    assert_eq!(store.session(&token).await.unwrap(), None);
    assert!(!store.delete_session(&token).await.unwrap());
    assert_eq!(
        store
            .session(&SessionToken::generate().unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn the_gate_counts_and_loads_in_one_call() {
    let store = store();
    let (token, session) = store
        .create_session(Duration::from_secs(60), None)
        .await
        .unwrap();
    let limit = RateLimit::per(2, Duration::from_secs(60));
    assert_eq!(
        store.gate("api:a", limit, Some(&token)).await.unwrap(),
        (Decision::Allowed, Some(session))
    );
    assert_eq!(
        store.gate("api:a", limit, None).await.unwrap(),
        (Decision::Allowed, None)
    );
    let (decision, _) = store.gate("api:a", limit, Some(&token)).await.unwrap();
    assert!(matches!(decision, Decision::Limited { .. }));
    let stranger = SessionToken::generate().unwrap();
    assert_eq!(
        store.gate("api:b", limit, Some(&stranger)).await.unwrap(),
        (Decision::Allowed, None)
    );
}

#[tokio::test]
async fn a_lock_is_exclusive_and_only_its_owner_releases_it() {
    let store = store();
    let first = store
        .try_lock("reload", Duration::from_millis(200))
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .try_lock("reload", Duration::from_secs(10))
            .await
            .unwrap()
            .is_none()
    );
    // The first holder's lock expires; a second worker takes it.
    let rt = tokio::runtime::Handle::current();
    let s = store.clone();
    let second = tokio::task::spawn_blocking(move || {
        wait_for("the lock to expire", Duration::from_secs(5), || {
            rt.block_on(s.try_lock("reload", Duration::from_secs(10)))
                .unwrap()
        })
    })
    .await
    .unwrap()
    .unwrap();
    // The late first holder cannot release the second one's lock.
    assert!(!store.unlock(first).await.unwrap());
    assert!(
        store
            .try_lock("reload", Duration::from_secs(10))
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.unlock(second).await.unwrap());
    assert!(
        store
            .try_lock("reload", Duration::from_secs(10))
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn an_unreachable_redis_is_reported_as_unavailable() {
    let port = bangui_testkit::net::free_port().unwrap();
    let store = RedisStore::new(
        &format!("redis://127.0.0.1:{port}"),
        "x",
        Duration::from_millis(500),
    )
    .unwrap();
    assert!(matches!(
        store.ping().await,
        Err(StoreError::StateStoreUnavailable(_))
    ));
    assert!(matches!(
        store
            .check_rate("a", RateLimit::per(1, Duration::from_secs(1)))
            .await,
        Err(StoreError::StateStoreUnavailable(_))
    ));
}

#[tokio::test]
async fn setup_is_stored_exactly_once() {
    let db = Database::connect_lazy(
        &fresh_database(&shared_postgres().url).unwrap(),
        Duration::from_secs(3),
        5,
    )
    .unwrap();
    db.migrate().await.unwrap();
    // Migrating again is a no-op.
    db.migrate().await.unwrap();
    assert!(db.setup().await.unwrap().is_none());
    assert!(
        db.complete_setup("$argon2id$first", "UTC", 60)
            .await
            .unwrap()
    );
    assert!(
        !db.complete_setup("$argon2id$second", "Europe/Berlin", 30)
            .await
            .unwrap()
    );
    let setup = db.setup().await.unwrap().unwrap();
    assert_eq!(
        (
            setup.password_hash.as_str(),
            setup.timezone.as_str(),
            setup.session_duration_minutes
        ),
        ("$argon2id$first", "UTC", 60)
    );
    // The schema refuses what the application should never write.
    assert!(matches!(
        db.complete_setup("h", "UTC", 0).await,
        Err(StoreError::Internal(_))
    ));
}

#[tokio::test]
async fn an_unreachable_database_is_reported_as_unavailable() {
    let port = bangui_testkit::net::free_port().unwrap();
    let db = Database::connect_lazy(
        &format!("postgres://postgres@127.0.0.1:{port}/x"),
        Duration::from_millis(500),
        1,
    )
    .unwrap();
    assert!(matches!(
        db.ping().await,
        Err(StoreError::DatabaseUnavailable(_))
    ));
    assert!(matches!(
        db.setup().await,
        Err(StoreError::DatabaseUnavailable(_))
    ));
}

#[tokio::test]
async fn events_are_ordered_replayable_and_read_as_they_come() {
    use bangui_store::events::{Event, parse_id};
    let store = store();
    assert_eq!(store.last_event_id().await.unwrap(), "0-0");
    let mut reader = store.event_reader().await.unwrap();
    let first = store
        .publish(&Event::Ban {
            jail: "sshd".into(),
            ip: "192.0.2.1".into(),
        })
        .await
        .unwrap();
    let second = store.publish(&Event::UnbanAll { count: 3 }).await.unwrap();
    assert!(parse_id(&second) > parse_id(&first));
    assert_eq!(store.last_event_id().await.unwrap(), second);

    let replay = store.events_after(&first, 10).await.unwrap();
    assert_eq!(replay.len(), 1);
    assert_eq!(replay[0].event, Event::UnbanAll { count: 3 });
    assert_eq!(store.events_after(&second, 10).await.unwrap(), vec![]);

    // A blocking read returns as soon as another client publishes.
    let publisher = store.clone();
    let waiting = tokio::spawn(async move { reader.next_batch(&second).await.unwrap() });
    let third = publisher
        .publish(&Event::JailStopped {
            jail: "sshd".into(),
        })
        .await
        .unwrap();
    let got = waiting.await.unwrap();
    assert_eq!(
        got.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
        [third.as_str()]
    );
}

#[tokio::test]
async fn ban_lists_round_trip_through_redis() {
    use bangui_store::banlist::{BanEntry, BanListHeader};
    let store = store();
    assert_eq!(store.ban_list_header("sshd").await.unwrap(), None);
    let entries: Vec<BanEntry> = (0..1000)
        .map(|i| BanEntry {
            ip: format!("198.51.100.{}", i % 250),
            start_ms: i,
            duration_secs: if i % 2 == 0 { 600 } else { -1 },
            expiry_ms: if i % 2 == 0 { Some(i + 600_000) } else { None },
        })
        .collect();
    let header = BanListHeader {
        generation: 5,
        taken_at_ms: 6,
        currently_banned: 1000,
        total_banned: 1200,
        len: 1000,
    };
    store.put_ban_list("sshd", &header, &entries).await.unwrap();
    assert_eq!(
        store.ban_list_header("sshd").await.unwrap(),
        Some(header.clone())
    );
    assert_eq!(
        store.ban_list("sshd").await.unwrap(),
        Some((header, entries))
    );
    store.drop_ban_list("sshd").await.unwrap();
    assert_eq!(store.ban_list("sshd").await.unwrap(), None);
}

#[tokio::test]
async fn the_archive_deduplicates_marks_unbans_and_purges_by_age() {
    use bangui_store::history::{ArchivedBan, HistoryFilter, Origin};
    use chrono::{Duration as Span, Utc};

    let db = Database::connect_lazy(
        &fresh_database(&shared_postgres().url).unwrap(),
        Duration::from_secs(3),
        5,
    )
    .unwrap();
    db.migrate().await.unwrap();
    let now = Utc::now();
    let ban = |ip: &str, started_at, duration_secs| ArchivedBan {
        jail: "sshd".to_owned(),
        ip: ip.parse().unwrap(),
        started_at,
        duration_secs,
        ban_count: 1,
        failures: 5,
        matches: serde_json::json!(["line"]),
        origin: Origin::Auto,
    };
    let old = now - Span::days(400);
    let bans = [
        ban("192.0.2.1", now, 600),
        // The same ban seen twice in one batch, and a second later (bangui's clock against
        // fail2ban's rounding): one row.
        ban("192.0.2.1", now, 600),
        ban("192.0.2.1", now + Span::seconds(1), 600),
        // A later ban of the same address: its own row.
        ban("192.0.2.1", now + Span::seconds(30), 600),
        // Expired long ago, and permanent.
        ban("192.0.2.2", old, 600),
        ban("192.0.2.3", old, -1),
    ];
    assert_eq!(db.archive_bans(&bans).await.unwrap(), 4);
    assert_eq!(db.archive_bans(&bans).await.unwrap(), 0);
    // The per-address counts the triggers keep: rows that were not inserted do not count.
    let counts = async || -> Vec<(String, i64)> {
        sqlx::query_as("SELECT host(ip), bans FROM address_ban_counts ORDER BY ip")
            .fetch_all(db.pool())
            .await
            .unwrap()
    };
    let count = |ip: &str, n: i64| (ip.to_owned(), n);
    assert_eq!(
        counts().await,
        [
            count("192.0.2.1", 2),
            count("192.0.2.2", 1),
            count("192.0.2.3", 1)
        ]
    );

    // Only bans still in force are marked lifted.
    let ips = [
        "192.0.2.1".parse().unwrap(),
        "192.0.2.2".parse().unwrap(),
        "192.0.2.3".parse().unwrap(),
    ];
    assert_eq!(
        db.mark_unbanned(Some("other-jail"), &ips, "session:ab")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        db.mark_unbanned(Some("sshd"), &ips[2..], "session:ab")
            .await
            .unwrap(),
        1
    );
    assert_eq!(db.mark_all_unbanned("session:cd").await.unwrap(), 2);
    let all = HistoryFilter::default();
    let items = db
        .history_items(&all, Page::of(1, 10).unwrap())
        .await
        .unwrap();
    let total = db.history_count(&all).await.unwrap();
    assert_eq!(total, 4);
    let lifted: Vec<_> = items
        .iter()
        .map(|e| (e.ip.ip().to_string(), e.unbanned_by.as_deref()))
        .collect();
    assert_eq!(
        lifted,
        [
            ("192.0.2.1".to_owned(), Some("session:cd")),
            ("192.0.2.1".to_owned(), Some("session:cd")),
            ("192.0.2.3".to_owned(), Some("session:ab")),
            ("192.0.2.2".to_owned(), None),
        ]
    );

    let recent = HistoryFilter {
        since: Some(now - Span::days(1)),
        ..HistoryFilter::default()
    };
    assert_eq!(db.history_count(&recent).await.unwrap(), 2);
    assert_eq!(db.purge_history(now - Span::days(365)).await.unwrap(), 2);
    assert_eq!(counts().await, [count("192.0.2.1", 2)]);
    assert_eq!(db.history_count(&all).await.unwrap(), 2);
}

#[tokio::test]
async fn a_snapshot_asked_for_earlier_never_replaces_one_asked_for_later() {
    use bangui_store::runtime_state::Fail2banSnapshot;
    let store = store();
    let snapshot = |asked_at_ms: i64, banned: u64| Fail2banSnapshot {
        online: true,
        version: Some("1.0.2".into()),
        jails: vec![bangui_store::runtime_state::JailCounters {
            name: "sshd".into(),
            currently_failed: 0,
            total_failed: 0,
            currently_banned: banned,
            total_banned: banned,
            backend: None,
        }],
        taken_at_ms: asked_at_ms + 50,
        asked_at_ms,
        error: None,
        settings: Default::default(),
        settings_read_at_ms: 0,
    };
    // Snapshots are ordered by Redis's clock, in milliseconds like every other time here.
    let now = store.clock_ms().await.unwrap();
    assert!((now - wall_clock_ms()).abs() < 60_000, "{now}");
    assert!(
        store
            .put_fail2ban_snapshot(&snapshot(200, 1))
            .await
            .unwrap()
    );
    // A slow refresh that asked before the ban finishes after it: it is dropped.
    assert!(
        !store
            .put_fail2ban_snapshot(&snapshot(100, 0))
            .await
            .unwrap()
    );
    let stored = store.fail2ban_snapshot().await.unwrap().unwrap();
    assert_eq!(
        (stored.asked_at_ms, stored.jails[0].currently_banned),
        (200, 1)
    );
    assert!(
        store
            .put_fail2ban_snapshot(&snapshot(300, 2))
            .await
            .unwrap()
    );
    let stored = store.fail2ban_snapshot().await.unwrap().unwrap();
    assert_eq!(
        (stored.asked_at_ms, stored.jails[0].currently_banned),
        (300, 2)
    );
}

fn wall_clock_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}
