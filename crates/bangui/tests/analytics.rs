//! Dashboard, map and history analytics on a seeded archive of known content: every number
//! of every endpoint against a count written here, both workers answering alike, buckets of
//! the setup time zone across daylight-saving changes, and a ban fail2ban makes by itself
//! showing up within seconds.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use bangui_testkit::cluster::{Cluster, ClusterOptions};
use bangui_testkit::postgres::psql;
use chrono::{DateTime, Datelike, FixedOffset, SubsecRound, Timelike, Utc};
use common::imports::{lab, with_job_workers};
use common::{Caller, EventStream, Fixture, PASSWORD, cluster, eventually};
use reqwest::StatusCode;
use serde_json::{Value, json};

const BERLIN: chrono_tz::Tz = chrono_tz::Europe::Berlin;
const RANGES: [&str; 5] = ["24h", "7d", "30d", "365d", "all"];

/// An archived ban of the seed.
#[derive(Debug, Clone)]
struct Seed {
    jail: String,
    ip: String,
    at: DateTime<Utc>,
    origin: &'static str,
    failures: i32,
    matches: usize,
}

/// Addresses of the seed and their countries (`None`: unresolved; the last one has no row in
/// the geo cache at all).
const ADDRESSES: [(&str, Option<&str>); 6] = [
    ("192.0.2.1", Some("DE")),
    ("192.0.2.2", Some("DE")),
    ("198.51.100.1", Some("FR")),
    ("198.51.100.2", Some("FR")),
    ("203.0.113.1", None),
    ("2001:db8::1", None),
];
const MANUAL_IP: &str = "203.0.113.50";

fn country_of(ip: &str) -> Option<&'static str> {
    if ip == MANUAL_IP {
        return MANUAL_COUNTRY.get().and_then(Option::as_deref);
    }
    ADDRESSES
        .iter()
        .find(|(a, _)| *a == ip)
        .and_then(|(_, c)| *c)
}

/// The country the job worker's lookup found for the manual ban's address.
static MANUAL_COUNTRY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// Ages well inside or well outside every range, whatever hour, day or week it is: a range's
/// first bucket starts within one bucket (and a daylight-saving hour) of its nominal length.
fn seed(now: DateTime<Utc>) -> Vec<Seed> {
    let hours = |h: i64| chrono::Duration::hours(h);
    let days = |d: i64| chrono::Duration::days(d);
    let ages = [
        chrono::Duration::minutes(10),
        chrono::Duration::minutes(50),
        hours(3),
        hours(9),
        hours(21),
        hours(26),
        days(2),
        days(5),
        days(8),
        days(12),
        days(20),
        days(27),
        days(32),
        days(100),
        days(200),
        days(350),
        days(380),
        days(500),
    ];
    let jails = ["sshd", "nginx", "postfix"];
    let origins = ["auto", "manual", "blocklist"];
    (0..36)
        .map(|i| {
            let origin = origins[i % 3];
            Seed {
                jail: jails[(i / 2) % 3].to_owned(),
                ip: ADDRESSES[(i * 7 + i / 6) % 6].0.to_owned(),
                at: now - ages[i % 18] - chrono::Duration::minutes(i as i64),
                origin,
                failures: if origin == "auto" { 3 + i as i32 } else { 0 },
                matches: if origin == "auto" { 2 } else { 0 },
            }
        })
        .collect()
}

/// Whether a ban of this age is inside the range (the seed has none near a range's start).
fn inside(range: &str, age: chrono::Duration) -> bool {
    let hours = age.num_minutes() as f64 / 60.0;
    let (inside, outside) = match range {
        "24h" => (22.0, 25.0),
        "7d" => (6.5 * 24.0, 7.1 * 24.0),
        "30d" => (28.5 * 24.0, 30.1 * 24.0),
        "365d" => (363.0 * 24.0, 372.0 * 24.0),
        _ => return true,
    };
    assert!(
        hours < inside || hours > outside,
        "the seed has a ban {hours} h old, too close to the start of {range}"
    );
    hours < inside
}

fn insert(cluster: &Cluster, bans: &[Seed]) {
    let rows: Vec<String> = bans
        .iter()
        .map(|b| {
            let lines: Vec<String> = (0..b.matches)
                .map(|n| format!("\"line {n} of {}\"", b.ip))
                .collect();
            format!(
                "('{}', '{}', '{}', 600, 1, {}, '[{}]', '{}')",
                b.jail,
                b.ip,
                b.at.to_rfc3339(),
                b.failures,
                lines.join(","),
                b.origin
            )
        })
        .collect();
    psql(
        &cluster.database_url,
        &format!(
            "INSERT INTO ban_history (jail, ip, started_at, duration_secs, ban_count, failures, matches, origin) VALUES {}",
            rows.join(", ")
        ),
    )
    .unwrap();
}

/// The same answer from both workers (asked again if a bucket boundary passed in between).
async fn both(caller: &Caller, cluster: &Cluster, cookie: &str, path: &str) -> Value {
    let mut last = None;
    for _ in 0..3 {
        let a = caller.get(&cluster.url(0), path, Some(cookie)).await;
        let b = caller.get(&cluster.url(1), path, Some(cookie)).await;
        assert_eq!(a.status, StatusCode::OK, "{path}: {}", a.body);
        if a.body == b.body {
            return a.body;
        }
        last = Some((a.body, b.body));
    }
    panic!("the workers disagree on {path}: {last:?}");
}

fn time(v: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap()
}

fn origin_filters() -> [Option<&'static str>; 2] {
    [None, Some("auto")]
}

fn query(range: &str, origin: Option<&str>) -> String {
    match origin {
        Some(o) => format!("range={range}&origin={o}"),
        None => format!("range={range}"),
    }
}

#[tokio::test]
async fn every_number_matches_a_count_of_the_seeded_archive() {
    let cluster = with_job_workers(cluster(lab()), 1, &[]);
    let caller = Caller::new();
    let setup = caller
        .post(
            &cluster.url(0),
            "/setup",
            None,
            json!({ "master_password": PASSWORD, "timezone": "Europe/Berlin" }),
        )
        .await;
    assert_eq!(setup.status, StatusCode::CREATED, "{}", setup.body);
    let cookie = caller.login(&cluster.url(1), PASSWORD).await.cookie();

    // The seed, its countries, and one ban made through bangui (archived at once, in force).
    // Whole seconds: PostgreSQL keeps microseconds.
    let now = Utc::now().trunc_subsecs(0);
    let mut bans = seed(now);
    insert(&cluster, &bans);
    psql(
        &cluster.database_url,
        "INSERT INTO geo_cache (ip, country, source) VALUES ('192.0.2.1', 'DE', 'mmdb'), \
         ('192.0.2.2', 'DE', 'mmdb'), ('198.51.100.1', 'FR', 'mmdb'), ('198.51.100.2', 'FR', 'mmdb'), \
         ('203.0.113.1', NULL, 'mmdb')",
    )
    .unwrap();
    let ban = caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": MANUAL_IP, "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    bans.push(Seed {
        jail: "test".into(),
        ip: MANUAL_IP.into(),
        at: Utc::now(),
        origin: "manual",
        failures: 0,
        matches: 0,
    });
    // The manual ban's address gets its country from the job worker's lookup: wait for it.
    let looked_up = eventually(
        Duration::from_secs(30),
        Duration::from_millis(100),
        async || {
            let row = psql(
                &cluster.database_url,
                &format!("SELECT coalesce(country, '-') FROM geo_cache WHERE ip = '{MANUAL_IP}'"),
            )
            .unwrap();
            (!row.is_empty()).then_some(row)
        },
    )
    .await
    .expect("the manual ban's address was never looked up");
    MANUAL_COUNTRY
        .set((looked_up != "-").then_some(looked_up))
        .unwrap();
    let all_time: BTreeMap<String, i64> = bans.iter().fold(BTreeMap::new(), |mut m, b| {
        *m.entry(b.ip.clone()).or_default() += 1;
        m
    });

    for range in RANGES {
        for origin in origin_filters() {
            let q = query(range, origin);
            let mine: Vec<&Seed> = bans
                .iter()
                .filter(|b| inside(range, now - b.at) && origin.is_none_or(|o| b.origin == o))
                .collect();

            // By jail: bans and distinct addresses.
            let by_jail = both(
                &caller,
                &cluster,
                &cookie,
                &format!("/dashboard/bans/by-jail?{q}"),
            )
            .await;
            let mut expected: BTreeMap<String, (i64, BTreeSet<&str>)> = BTreeMap::new();
            for b in &mine {
                let e = expected.entry(b.jail.clone()).or_default();
                e.0 += 1;
                e.1.insert(&b.ip);
            }
            let got: BTreeMap<String, (i64, i64)> = by_jail["jails"]
                .as_array()
                .unwrap()
                .iter()
                .map(|j| {
                    (
                        j["jail"].as_str().unwrap().to_owned(),
                        (
                            j["bans"].as_i64().unwrap(),
                            j["addresses"].as_i64().unwrap(),
                        ),
                    )
                })
                .collect();
            let want: BTreeMap<String, (i64, i64)> = expected
                .iter()
                .map(|(j, (n, ips))| (j.clone(), (*n, ips.len() as i64)))
                .collect();
            assert_eq!(got, want, "by jail, {q}");
            check_since(range, &by_jail["since"], now);

            // By country, the unresolved as one more bucket.
            let by_country = both(
                &caller,
                &cluster,
                &cookie,
                &format!("/dashboard/bans/by-country?{q}"),
            )
            .await;
            let mut expected: BTreeMap<Option<&str>, (i64, BTreeSet<&str>)> = BTreeMap::new();
            for b in &mine {
                let e = expected.entry(country_of(&b.ip)).or_default();
                e.0 += 1;
                e.1.insert(&b.ip);
            }
            let got: BTreeMap<Option<String>, (i64, i64)> = by_country["countries"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| {
                    (
                        c["country"]["code"].as_str().map(str::to_owned),
                        (
                            c["bans"].as_i64().unwrap(),
                            c["addresses"].as_i64().unwrap(),
                        ),
                    )
                })
                .collect();
            let want: BTreeMap<Option<String>, (i64, i64)> = expected
                .iter()
                .map(|(c, (n, ips))| (c.map(str::to_owned), (*n, ips.len() as i64)))
                .collect();
            assert_eq!(got, want, "by country, {q}");
            assert!(by_country["bans"].is_null());

            // The most banned addresses.
            let top = both(
                &caller,
                &cluster,
                &cookie,
                &format!("/dashboard/top-addresses?{q}"),
            )
            .await;
            let mut counts: BTreeMap<&str, (i64, DateTime<Utc>)> = BTreeMap::new();
            for b in &mine {
                let e = counts.entry(&b.ip).or_insert((0, b.at));
                e.0 += 1;
                e.1 = e.1.max(b.at);
            }
            let mut want: Vec<(&str, i64)> = counts.iter().map(|(ip, (n, _))| (*ip, *n)).collect();
            want.sort_by(|a, b| b.1.cmp(&a.1).then(counts[b.0].1.cmp(&counts[a.0].1)));
            let got: Vec<(&str, i64)> = top["addresses"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| (a["ip"].as_str().unwrap(), a["bans"].as_i64().unwrap()))
                .collect();
            assert_eq!(got, want, "top addresses, {q}");

            // The list, newest first, with what each row says about its address.
            let list = both(
                &caller,
                &cluster,
                &cookie,
                &format!("/dashboard/bans?{q}&page_size=500"),
            )
            .await;
            let mut newest: Vec<&Seed> = mine.clone();
            newest.sort_by_key(|b| std::cmp::Reverse(b.at));
            assert_eq!(list["total"].as_u64(), Some(newest.len() as u64), "{q}");
            let items = list["items"].as_array().unwrap();
            let got: Vec<(&str, &str, &str)> = items
                .iter()
                .map(|i| {
                    (
                        i["ip"].as_str().unwrap(),
                        i["jail"].as_str().unwrap(),
                        i["origin"].as_str().unwrap(),
                    )
                })
                .collect();
            let want: Vec<(&str, &str, &str)> = newest
                .iter()
                .map(|b| (b.ip.as_str(), b.jail.as_str(), b.origin))
                .collect();
            assert_eq!(got, want, "bans, {q}");
            for (item, seed) in items.iter().zip(&newest) {
                assert_eq!(item["address_bans"], all_time[&seed.ip], "{item}");
                assert_eq!(
                    item["country"]["code"].as_str(),
                    country_of(&seed.ip),
                    "{item}"
                );
                assert_eq!(item["banned_now"], seed.ip == MANUAL_IP, "{item}");
                let at = time(&item["started_at"]);
                assert!(
                    (at.with_timezone(&Utc) - seed.at).num_seconds().abs() <= 1,
                    "{item}"
                );
                assert_eq!(
                    at.offset(),
                    at.with_timezone(&BERLIN).fixed_offset().offset(),
                    "{item}"
                );
            }

            // The trend: every bucket counted here from the answer's boundaries.
            let trend = both(
                &caller,
                &cluster,
                &cookie,
                &format!("/dashboard/bans/trend?{q}"),
            )
            .await;
            check_trend(range, &trend, &mine, now);
        }
    }

    // A jail's trend and list; a page of the list.
    let sshd: Vec<&Seed> = bans
        .iter()
        .filter(|b| b.jail == "sshd" && inside("30d", now - b.at))
        .collect();
    let trend = both(
        &caller,
        &cluster,
        &cookie,
        "/dashboard/bans/trend?range=30d&jail=sshd",
    )
    .await;
    check_trend("30d", &trend, &sshd, now);
    let page = both(
        &caller,
        &cluster,
        &cookie,
        "/dashboard/bans?range=30d&jail=sshd&page=2&page_size=2",
    )
    .await;
    assert_eq!(page["total"].as_u64(), Some(sshd.len() as u64));
    let mut newest = sshd.clone();
    newest.sort_by_key(|b| std::cmp::Reverse(b.at));
    let got: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = newest
        .iter()
        .skip(2)
        .take(2)
        .map(|b| b.ip.as_str())
        .collect();
    assert_eq!(got, want);

    // The map's companion table: one country's newest bans.
    let de = both(
        &caller,
        &cluster,
        &cookie,
        "/dashboard/bans/by-country?range=365d&country=de",
    )
    .await;
    let mut want: Vec<&Seed> = bans
        .iter()
        .filter(|b| inside("365d", now - b.at) && country_of(&b.ip) == Some("DE"))
        .collect();
    want.sort_by_key(|b| std::cmp::Reverse(b.at));
    let got: Vec<&str> = de["bans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap())
        .collect();
    assert_eq!(got, want.iter().map(|b| b.ip.as_str()).collect::<Vec<_>>());
    assert_eq!(
        de["bans"][0]["country"],
        json!({ "code": "DE", "name": "Germany" })
    );

    // One address's timeline.
    let ip = "192.0.2.1";
    let timeline = both(&caller, &cluster, &cookie, &format!("/history/{ip}")).await;
    let theirs: Vec<&Seed> = bans.iter().filter(|b| b.ip == ip).collect();
    assert_eq!(
        timeline["totals"]["bans"].as_u64(),
        Some(theirs.len() as u64)
    );
    assert_eq!(
        timeline["totals"]["failures"].as_i64(),
        Some(theirs.iter().map(|b| i64::from(b.failures)).sum())
    );
    assert_eq!(
        timeline["totals"]["matches"].as_u64(),
        Some(theirs.iter().map(|b| b.matches as u64).sum())
    );
    assert_eq!(timeline["bans"].as_array().unwrap().len(), theirs.len());
    // Its bans a page at a time, newest first; the totals stay those of all of them.
    assert!(theirs.len() >= 2, "the seed gives {ip} several bans");
    let mut paged = Vec::new();
    for page in 1..=theirs.len() + 1 {
        let one = both(
            &caller,
            &cluster,
            &cookie,
            &format!("/history/{ip}?page={page}&page_size=1"),
        )
        .await;
        assert_eq!(one["totals"], timeline["totals"]);
        assert_eq!(
            (one["page"].as_u64(), one["page_size"].as_u64()),
            (Some(page as u64), Some(1))
        );
        paged.extend(one["bans"].as_array().unwrap().iter().cloned());
    }
    assert_eq!(Value::Array(paged), timeline["bans"]);
    let first = theirs.iter().map(|b| b.at).min().unwrap();
    let last = theirs.iter().map(|b| b.at).max().unwrap();
    assert_eq!(time(&timeline["first_seen"]).with_timezone(&Utc), first);
    assert_eq!(time(&timeline["last_seen"]).with_timezone(&Utc), last);
    assert_eq!(timeline["country"]["code"], "DE");
    assert_eq!(timeline["banned_in"], json!([]));
    let manual = both(&caller, &cluster, &cookie, &format!("/history/{MANUAL_IP}")).await;
    assert_eq!(manual["banned_in"], json!(["test"]));
    assert_eq!(manual["country"]["code"].as_str(), country_of(MANUAL_IP));
    let never = caller
        .get(&cluster.url(0), "/history/192.0.2.200", Some(&cookie))
        .await;
    assert_eq!(
        (never.status, never.code()),
        (StatusCode::NOT_FOUND, "not_found")
    );

    // The history list: all of it, and by the start of an address.
    let everything = both(&caller, &cluster, &cookie, "/history?range=all&page_size=1").await;
    assert_eq!(everything["total"].as_u64(), Some(bans.len() as u64));
    for prefix in ["192.0.2.", "198.51", "2001:DB8:", "203.0.113.5"] {
        let found = both(
            &caller,
            &cluster,
            &cookie,
            &format!("/history?prefix={prefix}&page_size=1"),
        )
        .await;
        let want = bans
            .iter()
            .filter(|b| b.ip.starts_with(&prefix.to_lowercase()))
            .count();
        assert_eq!(found["total"].as_u64(), Some(want as u64), "{prefix}");
    }

    // Bad parameters change nothing and say what was wrong.
    for (path, code) in [
        ("/dashboard/bans?range=1y", "invalid_range"),
        ("/dashboard/bans?origin=x", "invalid_origin"),
        ("/dashboard/bans?page=0", "invalid_pagination"),
        ("/dashboard/bans?page_size=100000", "invalid_pagination"),
        ("/dashboard/bans?jail=../etc", "invalid_jail_name"),
        ("/dashboard/bans/trend?range=1y", "invalid_range"),
        ("/dashboard/bans/by-country?country=1", "invalid_country"),
        ("/dashboard/bans/by-jail?origin=x", "invalid_origin"),
        ("/dashboard/top-addresses?range=", "invalid_range"),
        ("/history/not-an-address", "invalid_address"),
        ("/history?prefix=1%25", "invalid_address_prefix"),
        ("/history?range=1y", "invalid_range"),
    ] {
        let answer = caller.get(&cluster.url(1), path, Some(&cookie)).await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{path}: {}",
            answer.body
        );
    }
    let anonymous = caller
        .get(&cluster.url(0), "/dashboard/bans/trend", None)
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);

    // Weeks of Berlin, not of UTC: bans just before and after Monday midnight around both
    // daylight-saving changes of 2026 fall into the weeks Berlin's wall clock says.
    let dst = [
        ("2026-03-29T21:30:00Z", "2026-03-23T00:00:00+01:00"), // Sunday 23:30 CEST
        ("2026-03-29T22:30:00Z", "2026-03-30T00:00:00+02:00"), // Monday 00:30 CEST
        ("2026-10-25T22:30:00Z", "2026-10-19T00:00:00+02:00"), // Sunday 23:30 CET
        ("2026-10-25T23:30:00Z", "2026-10-26T00:00:00+01:00"), // Monday 00:30 CET
    ];
    let dst_bans: Vec<Seed> = dst
        .iter()
        .map(|(at, _)| Seed {
            jail: "dst".into(),
            ip: "192.0.2.99".into(),
            at: DateTime::parse_from_rfc3339(at)
                .unwrap()
                .with_timezone(&Utc),
            origin: "auto",
            failures: 1,
            matches: 0,
        })
        .collect();
    insert(&cluster, &dst_bans);
    let weeks = both(
        &caller,
        &cluster,
        &cookie,
        "/dashboard/bans/trend?range=all&jail=dst",
    )
    .await;
    let buckets = weeks["buckets"].as_array().unwrap();
    for (_, week) in dst {
        let bucket = buckets
            .iter()
            .find(|b| b["start"] == week)
            .unwrap_or_else(|| panic!("no bucket starts at {week}"));
        assert_eq!(bucket["total"], 1, "{bucket}");
    }
    assert_eq!(
        buckets
            .iter()
            .map(|b| b["total"].as_i64().unwrap())
            .sum::<i64>(),
        4
    );
}

/// The range's first bucket starts where the range says, on a boundary of Berlin's clock.
fn check_since(range: &str, since: &Value, now: DateTime<Utc>) {
    let since = time(since);
    let local = since.with_timezone(&BERLIN);
    let age = (now - since.with_timezone(&Utc)).num_minutes();
    let (min, max) = match range {
        "24h" => (23 * 60, 24 * 60 + 60),
        "7d" => (27 * 6 * 60 - 60, 28 * 6 * 60 + 60),
        "30d" => (29 * 24 * 60 - 60, 30 * 24 * 60 + 60),
        "365d" => (52 * 7 * 24 * 60 - 60, 53 * 7 * 24 * 60 + 60),
        _ => (0, i64::MAX),
    };
    assert!((min..=max).contains(&age), "{range} starts {age} min ago");
    assert_eq!((local.minute(), local.second()), (0, 0), "{since}");
    match range {
        "7d" => assert_eq!(local.hour() % 6, 0, "{since}"),
        "30d" => assert_eq!(local.hour(), 0, "{since}"),
        "365d" | "all" => {
            assert_eq!(
                (local.hour(), local.weekday()),
                (0, chrono::Weekday::Mon),
                "{since}"
            );
        }
        _ => {}
    }
}

fn check_trend(range: &str, trend: &Value, bans: &[&Seed], now: DateTime<Utc>) {
    let buckets = trend["buckets"].as_array().unwrap();
    let expected_count = match range {
        "24h" => Some(24),
        "7d" => Some(28),
        "30d" => Some(30),
        "365d" => Some(53),
        _ => None,
    };
    if let Some(n) = expected_count {
        assert_eq!(buckets.len(), n, "{range}");
    }
    assert_eq!(trend["time_zone"], "Europe/Berlin");
    check_since(range, &buckets[0]["start"], now);
    let starts: Vec<DateTime<Utc>> = buckets
        .iter()
        .map(|b| time(&b["start"]).with_timezone(&Utc))
        .collect();
    assert!(
        starts.windows(2).all(|w| w[0] < w[1]),
        "{range}: unordered buckets"
    );
    let mut want = vec![BTreeMap::<&str, i64>::new(); buckets.len()];
    for b in bans {
        let i = starts.iter().rposition(|s| *s <= b.at).unwrap();
        *want[i].entry(b.origin).or_default() += 1;
    }
    for (bucket, want) in buckets.iter().zip(want) {
        let total: i64 = want.values().sum();
        assert_eq!(bucket["total"], total, "{range}: {bucket}");
        for origin in ["auto", "manual", "blocklist"] {
            assert_eq!(
                bucket[origin],
                want.get(origin).copied().unwrap_or(0),
                "{range}: {bucket}"
            );
        }
    }
}

#[tokio::test]
async fn a_ban_fail2ban_makes_by_itself_reaches_the_dashboard_within_seconds() {
    let cluster = with_job_workers(cluster(lab()), 1, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    // Snapshots already taken: the next one compares with them.
    for i in 0..2 {
        let status = caller
            .get(&cluster.url(i), "/dashboard/status", Some(&cookie))
            .await;
        assert_eq!(status.body["online"], true, "{}", status.body);
    }
    let mut events = EventStream::open(&cluster.url(1), &cookie, None).await;

    let ip = "198.51.100.77";
    let f2b = cluster.fail2ban.as_ref().unwrap();
    f2b.append_failures("test", ip, 3).unwrap();
    let listed = |i: usize| {
        let caller = &caller;
        let cookie = &cookie;
        let cluster = &cluster;
        async move {
            let answer = caller
                .get(&cluster.url(i), "/dashboard/bans?range=24h", Some(cookie))
                .await;
            answer.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .find(|b| b["ip"] == ip)
                .cloned()
        }
    };
    let seen = eventually(
        Duration::from_secs(15),
        Duration::from_millis(250),
        async || listed(0).await,
    )
    .await;
    let seen = seen.unwrap_or_else(|| panic!("{ip} is not on the dashboard after 15 s"));
    assert_eq!(seen["origin"], "auto", "{seen}");
    assert_eq!(seen["jail"], "test", "{seen}");
    assert_eq!(seen["banned_now"], true, "{seen}");
    assert_eq!(listed(1).await, Some(seen));
    // Open pages were told.
    let changed = events.next_of("archive_changed").await;
    assert!(changed.unwrap().data["archived"].as_u64() >= Some(1));
}

/// The aggregates are cached in Redis for all workers; a change made through bangui is in the
/// very next answer of every worker, with no waiting.
#[tokio::test]
async fn cached_aggregates_show_a_change_at_once_on_every_worker() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let c = Some(cookie.as_str());
    let jail_bans = |body: &Value| {
        body["jails"]
            .as_array()
            .unwrap()
            .iter()
            .find(|j| j["jail"] == "test")
            .map_or(0, |j| j["bans"].as_i64().unwrap())
    };
    let paths = [
        "/dashboard/bans?range=24h",
        "/dashboard/bans/by-jail?range=24h",
        "/history?range=24h",
    ];
    let mut before = Vec::new();
    for path in paths {
        // Asked twice: the second answer comes from the cache.
        both(&caller, &cluster, &cookie, path).await;
        before.push(both(&caller, &cluster, &cookie, path).await);
    }
    for (i, ip) in ["203.0.113.61", "203.0.113.62"].into_iter().enumerate() {
        let base = cluster.url(i % 2);
        let ban = caller
            .post(&base, "/bans", c, json!({ "ip": ip, "jail": "test" }))
            .await;
        assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
        let n = i as i64 + 1;
        let bans = both(&caller, &cluster, &cookie, paths[0]).await;
        assert_eq!(bans["total"], before[0]["total"].as_i64().unwrap() + n);
        let by_jail = both(&caller, &cluster, &cookie, paths[1]).await;
        assert_eq!(jail_bans(&by_jail), jail_bans(&before[1]) + n, "{by_jail}");
        let history = both(&caller, &cluster, &cookie, paths[2]).await;
        assert_eq!(history["total"], before[2]["total"].as_i64().unwrap() + n);
    }

    // A row written behind bangui's back: PostgreSQL's notification at commit reaches the
    // workers, which compute afresh.
    psql(
        &cluster.database_url,
        "INSERT INTO ban_history (jail, ip, started_at, duration_secs, origin) \
         VALUES ('test', '203.0.113.63', now(), 600, 'auto')",
    )
    .unwrap();
    let expected = before[0]["total"].as_i64().unwrap() + 3;
    let seen = eventually(
        Duration::from_secs(5),
        Duration::from_millis(50),
        async || {
            let bans = both(&caller, &cluster, &cookie, paths[0]).await;
            (bans["total"] == expected).then_some(())
        },
    )
    .await;
    assert!(seen.is_some(), "a row inserted by psql never counted");
}
