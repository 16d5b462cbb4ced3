//! Countries of banned addresses: imported addresses get theirs through the job queue, and a
//! re-resolve fills the gaps once a country database is there.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::postgres::psql;
use common::imports::{create_source, finished, imported, lab, with_job_workers};
use common::{Caller, cluster, eventually};
use reqwest::StatusCode;
use serde_json::json;

/// The country the database itself gives an address (ip-location-db layout).
fn country_in(db: &std::path::Path, ip: &str) -> String {
    #[derive(serde::Deserialize)]
    struct Record {
        country_code: String,
    }
    let reader = maxminddb::Reader::open_readfile(db).unwrap();
    let record: Record = reader
        .lookup(ip.parse().unwrap())
        .unwrap()
        .decode()
        .unwrap()
        .unwrap();
    record.country_code
}

#[tokio::test]
async fn imported_addresses_get_countries_and_a_re_resolve_fills_the_gaps() {
    let real_db = bangui_testkit::geoip_db();
    let dir = tempfile::tempdir().unwrap();
    let db_path = dir.path().join("country.mmdb");
    let server = ListServer::start().unwrap();
    server.put("/first.txt", "8.8.8.8\n1.1.1.1\n193.0.14.129\n");
    server.put(
        "/second.txt",
        "9.9.9.9\n2a00:1450:4001:800::200e\n1.0.0.0/24\n",
    );
    let cluster = with_job_workers(
        cluster(lab().env("BANGUI_GEOIP_DB_PATH", db_path.to_str().unwrap())),
        1,
        &[],
    );
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(0);
    let country = |ip: &'static str| {
        let (caller, base, cookie) = (&caller, base.clone(), cookie.clone());
        async move {
            caller
                .get(&base, &format!("/geo/{ip}"), Some(&cookie))
                .await
                .body
        }
    };
    let geo_rows = || psql(&cluster.database_url, "SELECT count(*) FROM geo_cache").unwrap();

    // Imported before the database exists: stored unresolved, not as some country.
    let first = create_source(&caller, &base, &cookie, "first", &server.url("/first.txt")).await;
    imported(&caller, &base, &cookie, first).await;
    let every = Duration::from_millis(50);
    eventually(Duration::from_secs(10), every, async || {
        (geo_rows() == "3").then_some(())
    })
    .await;
    let before = country("8.8.8.8").await;
    assert_eq!(
        (before["cached"].as_bool(), before["country"].is_null()),
        (Some(true), true),
        "{before}"
    );
    assert_eq!(before["source"], "none");

    std::fs::copy(&real_db, &db_path).unwrap();
    let job = caller
        .post(&base, "/geo/re-resolve", Some(&cookie), json!({}))
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let done = finished(
        &caller,
        &base,
        &cookie,
        job.body["job_id"].as_str().unwrap(),
    )
    .await;
    assert_eq!(done.body["result"]["retried"], 3, "{}", done.body);
    for ip in ["8.8.8.8", "1.1.1.1", "193.0.14.129"] {
        let answer = country(ip).await;
        assert_eq!(
            answer["country"],
            country_in(&real_db, ip),
            "{ip}: {answer}"
        );
        assert_eq!(answer["source"], "mmdb");
    }
    assert_eq!(country("8.8.8.8").await["country"], "US");

    // With the database in place, new bans get their country straight away.
    let second = create_source(
        &caller,
        &base,
        &cookie,
        "second",
        &server.url("/second.txt"),
    )
    .await;
    imported(&caller, &base, &cookie, second).await;
    let every = Duration::from_millis(50);
    eventually(Duration::from_secs(10), every, async || {
        (geo_rows() == "6").then_some(())
    })
    .await;
    // A network's country is its first address's, in the cache and on the dashboard.
    let network = country("1.0.0.0%2F24").await;
    assert_eq!(
        (
            network["ip"].as_str(),
            network["cached"].as_bool(),
            network["country"].as_str()
        ),
        (
            Some("1.0.0.0/24"),
            Some(true),
            Some(country_in(&real_db, "1.0.0.0").as_str())
        ),
        "{network}"
    );
    let sync = caller
        .post(&base, "/history/sync", Some(&cookie), json!({}))
        .await;
    finished(
        &caller,
        &base,
        &cookie,
        sync.body["job_id"].as_str().unwrap(),
    )
    .await;
    let bans = caller
        .get(&base, "/dashboard/bans?range=24h", Some(&cookie))
        .await
        .body;
    let row = bans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|b| b["ip"] == "1.0.0.0/24")
        .unwrap_or_else(|| panic!("the network is not on the dashboard: {bans}"));
    assert_eq!(
        row["country"]["code"].as_str(),
        Some(country_in(&real_db, "1.0.0.0").as_str()),
        "{row}"
    );
    assert_eq!(row["origin"], "blocklist", "{row}");
    for ip in ["9.9.9.9", "2a00:1450:4001:800::200e"] {
        let answer = country(ip).await;
        assert_eq!(
            (answer["cached"].as_bool(), answer["country"].as_str()),
            (Some(true), Some(country_in(&real_db, ip).as_str())),
            "{ip}: {answer}"
        );
    }
    assert_eq!(
        caller
            .get(&base, "/geo/not-an-ip", Some(&cookie))
            .await
            .code(),
        "invalid_address"
    );
}
