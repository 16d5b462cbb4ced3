//! The audit trail: who changed what, when, from where, with which result, whichever worker
//! the change went through.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::Fixture;
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn every_change_is_in_the_audit_trail_with_who_what_and_result() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let session = caller
        .get(&cluster.url(0), "/auth/session", Some(&cookie))
        .await;
    assert_eq!(session.status, StatusCode::OK);
    caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.33", "jail": "test" }),
        )
        .await;
    caller
        .post(
            &cluster.url(1),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.33", "jail": "nosuch" }),
        )
        .await;
    caller.get(&cluster.url(1), "/jails", Some(&cookie)).await; // reads are not audited

    let audit = caller
        .get(&cluster.url(1), "/audit?page_size=10", Some(&cookie))
        .await
        .body;
    let items = audit["items"].as_array().unwrap();
    let routes: Vec<&str> = items.iter().map(|i| i["route"].as_str().unwrap()).collect();
    assert_eq!(
        routes,
        [
            "/api/v1/bans",
            "/api/v1/bans",
            "/api/v1/auth/login",
            "/api/v1/setup"
        ],
        "{audit}"
    );
    let (failed, ok) = (&items[0], &items[1]);
    assert_eq!(
        ok["details"],
        json!({ "ip": "192.0.2.33", "jail": "test", "newly_banned": true })
    );
    assert_eq!(
        (ok["status"].as_u64(), ok["method"].as_str()),
        (Some(200), Some("POST"))
    );
    assert_eq!(ok["client"], "127.0.0.1");
    assert!(
        ok["actor"].as_str().unwrap().starts_with("session:"),
        "{ok}"
    );
    assert_eq!(ok["actor"], failed["actor"]);
    assert!(
        !audit
            .to_string()
            .contains(cookie.trim_start_matches("bangui_session=")),
        "a token in the audit trail"
    );
    assert_eq!(
        (failed["status"].as_u64(), failed["error_code"].as_str()),
        (Some(404), Some("jail_not_found"))
    );
    assert_eq!(items[2]["actor"], "anonymous");
    assert_eq!(items[2]["details"]["session"], ok["actor"]);
    assert_eq!(audit["total"], 4);

    let bad_page = caller
        .get(&cluster.url(0), "/audit?page_size=0", Some(&cookie))
        .await;
    assert_eq!(
        (bad_page.status.as_u16(), bad_page.code()),
        (422, "invalid_pagination")
    );
}
