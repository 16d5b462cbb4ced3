//! Live events: what a browser connected to one worker sees of changes made through another,
//! and what it is sent when it reconnects.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use common::{EventStream, Fixture};
use serde_json::json;

#[tokio::test]
async fn a_reconnecting_browser_gets_what_it_missed_once() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let mut first = EventStream::open(&cluster.url(0), &cookie, None).await;
    for ip in ["192.0.2.1", "192.0.2.2", "192.0.2.3"] {
        caller
            .post(
                &cluster.url(0),
                "/bans",
                Some(&cookie),
                json!({ "ip": ip, "jail": "test" }),
            )
            .await;
    }
    let seen = first.next_of("ban").await.unwrap();
    assert_eq!(seen.data["ip"], "192.0.2.1");
    drop(first);

    // Reconnect to the other worker with the id of the last event seen.
    let mut resumed = EventStream::open(&cluster.url(1), &cookie, Some(&seen.id)).await;
    let mut bans = Vec::new();
    while bans.len() < 2 {
        let e = resumed
            .next()
            .await
            .expect("missed events were not replayed");
        assert!(
            e.id > seen.id || e.id.len() > seen.id.len(),
            "replayed {} again",
            e.id
        );
        if e.event == "ban" {
            bans.push(e.data["ip"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(bans, ["192.0.2.2", "192.0.2.3"]);
    // Then live ones, no duplicates.
    caller
        .post(
            &cluster.url(0),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.4", "jail": "test" }),
        )
        .await;
    assert_eq!(
        resumed.next_of("ban").await.unwrap().data["ip"],
        "192.0.2.4"
    );
}

/// A browser's connection can drop before any event reached it (its worker killed while all
/// was quiet). The stream's opening message gives it an id to resume from all the same, so the
/// ban made while it was away is replayed when it reconnects to another worker.
#[tokio::test]
async fn a_stream_that_drops_before_its_first_event_resumes_where_it_began() {
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2)).await;
    let mut quiet = EventStream::open(&cluster.url(0), &cookie, None).await;
    let (opened_at, retry) = quiet.opening().await;
    assert!(
        bangui_store::events::parse_id(&opened_at).is_some(),
        "{opened_at}"
    );
    assert_eq!(retry.as_deref(), Some("1000"), "reconnect delay in ms");
    drop(quiet);

    caller
        .post(
            &cluster.url(1),
            "/bans",
            Some(&cookie),
            json!({ "ip": "192.0.2.9", "jail": "test" }),
        )
        .await;
    let mut resumed = EventStream::open(&cluster.url(1), &cookie, Some(&opened_at)).await;
    let (resumed_at, _) = resumed.opening().await;
    assert_eq!(resumed_at, opened_at, "it resumes from the id it was given");
    let missed = resumed
        .next_of("ban")
        .await
        .expect("the missed ban is replayed");
    assert_eq!(missed.data["ip"], "192.0.2.9");
    assert!(
        bangui_store::events::parse_id(&missed.id) > bangui_store::events::parse_id(&opened_at)
    );
}
