//! The ban archive: bans by fail2ban's filter, by hand and by imports, kept after fail2ban
//! forgets them, whichever worker lifted them.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use std::time::Duration;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::Cluster;
use common::imports::{create_source, finished, imported, lab, with_job_workers};
use common::{Caller, cluster, eventually, fail2ban_says};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Waits (up to 30 s) until fail2ban's jail bans `ip`.
async fn banned_in(cluster: &Cluster, jail: &str, ip: &str) {
    let banned = eventually(
        Duration::from_secs(30),
        Duration::from_millis(100),
        async || {
            let banned = fail2ban_says(cluster, &["get", jail, "banip"]);
            banned
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b == ip)
                .then_some(())
        },
    );
    assert!(banned.await.is_some(), "{jail} never banned {ip}");
}

async fn history_sync(caller: &Caller, base: &str, cookie: &str) -> Value {
    let job = caller
        .post(base, "/history/sync", Some(cookie), json!({}))
        .await;
    assert_eq!(job.status, StatusCode::ACCEPTED, "{}", job.body);
    let done = finished(caller, base, cookie, job.body["job_id"].as_str().unwrap()).await;
    assert_eq!(done.body["state"], "done", "{}", done.body);
    done.body["result"].clone()
}

/// `(jail, ip, origin, unbanned_by)` of every archived ban, sorted.
async fn archive(
    caller: &Caller,
    base: &str,
    cookie: &str,
) -> Vec<(String, String, String, Option<String>)> {
    let answer = caller
        .get(base, "/history?page_size=500", Some(cookie))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let mut rows: Vec<_> = answer.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["jail"].as_str().unwrap().to_owned(),
                e["ip"].as_str().unwrap().to_owned(),
                e["origin"].as_str().unwrap().to_owned(),
                e["unbanned_by"]
                    .as_str()
                    .map(|by| by.split(':').next().unwrap().to_owned()),
            )
        })
        .collect();
    assert_eq!(answer.body["total"].as_u64(), Some(rows.len() as u64));
    rows.sort();
    rows
}

fn row(
    jail: &str,
    ip: &str,
    origin: &str,
    unbanned_by: Option<&str>,
) -> (String, String, String, Option<String>) {
    (
        jail.to_owned(),
        ip.to_owned(),
        origin.to_owned(),
        unbanned_by.map(str::to_owned),
    )
}

#[tokio::test]
async fn the_archive_keeps_filter_manual_and_imported_bans_after_their_unban() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "11.0.1.7\n11.0.2.7\n");
    let cluster = with_job_workers(cluster(lab()), 2, &[]);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let (base, other) = (cluster.url(0), cluster.url(1));
    let f2b = cluster.fail2ban.as_ref().unwrap();

    // Two bans by the filter, one by hand, two by an import.
    f2b.append_failures("test", "198.51.100.7", 3).unwrap();
    f2b.append_failures("test", "198.51.100.8", 3).unwrap();
    banned_in(&cluster, "test", "198.51.100.7").await;
    banned_in(&cluster, "test", "198.51.100.8").await;
    let ban = caller
        .post(
            &other,
            "/bans",
            Some(&cookie),
            json!({ "ip": "203.0.113.9", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    let source = create_source(&caller, &base, &cookie, "list", &server.url("/list.txt")).await;
    let import = imported(&caller, &base, &cookie, source).await;
    assert_eq!(import.body["state"], "done", "{}", import.body);

    // A filter ban lifted by hand before any sync copied it: fail2ban deletes its row, the
    // archive keeps it.
    let unban = caller
        .delete(
            &other,
            "/bans",
            Some(&cookie),
            json!({ "ip": "198.51.100.8" }),
        )
        .await;
    assert_eq!(unban.status, StatusCode::OK, "{}", unban.body);
    let rows_left = fail2ban_says(&cluster, &["get", "test", "banip"]);
    assert!(
        !rows_left
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "198.51.100.8"),
        "{rows_left}"
    );

    // The first sync backfills the rest; the manual ban, archived as it happened, is not
    // copied twice.
    // (Part of it may already be there: fail2ban's counters grew, which starts a sync.)
    let first = history_sync(&caller, &base, &cookie).await;
    assert!(
        first["archived"].as_u64().is_some_and(|n| n <= 3),
        "{first}"
    );
    let expected = vec![
        row("blocklist-import", "11.0.1.7", "blocklist", None),
        row("blocklist-import", "11.0.2.7", "blocklist", None),
        row("test", "198.51.100.7", "auto", None),
        row("test", "198.51.100.8", "auto", Some("session")),
        row("test", "203.0.113.9", "manual", None),
    ];
    assert_eq!(archive(&caller, &base, &cookie).await, expected);
    assert_eq!(history_sync(&caller, &other, &cookie).await["archived"], 0);

    // Unbans by hand and by the list dropping an address: the bans stay, marked lifted.
    for ip in ["198.51.100.7", "203.0.113.9"] {
        let unban = caller
            .delete(
                &base,
                "/bans",
                Some(&cookie),
                json!({ "ip": ip, "jail": "test" }),
            )
            .await;
        assert_eq!(unban.body["unbanned"], 1, "{}", unban.body);
    }
    server.put("/list.txt", "11.0.1.7\n");
    let reimport = imported(&caller, &base, &cookie, source).await;
    assert_eq!(reimport.body["state"], "done", "{}", reimport.body);
    assert_eq!(history_sync(&caller, &base, &cookie).await["archived"], 0);
    assert_eq!(
        archive(&caller, &other, &cookie).await,
        vec![
            row("blocklist-import", "11.0.1.7", "blocklist", None),
            row(
                "blocklist-import",
                "11.0.2.7",
                "blocklist",
                Some("blocklist")
            ),
            row("test", "198.51.100.7", "auto", Some("session")),
            row("test", "198.51.100.8", "auto", Some("session")),
            row("test", "203.0.113.9", "manual", Some("session")),
        ]
    );

    // The filter ban keeps its matched lines and failures; filters narrow the list.
    let auto = caller
        .get(&base, "/history?ip=198.51.100.7&range=24h", Some(&cookie))
        .await;
    assert_eq!(auto.body["total"], 1, "{}", auto.body);
    assert_eq!(auto.body["items"][0]["failures"], 3, "{}", auto.body);
    assert_eq!(
        auto.body["items"][0]["matches"].as_array().unwrap().len(),
        3,
        "{}",
        auto.body
    );
    // Lines, whatever shape fail2ban stored them in.
    for line in auto.body["items"][0]["matches"].as_array().unwrap() {
        let line = line.as_str().unwrap_or_default();
        assert!(
            line.ends_with(" Failed login from 198.51.100.7"),
            "{line:?}"
        );
    }
    let manual = caller
        .get(&base, "/history?origin=manual&jail=test", Some(&cookie))
        .await;
    assert_eq!(manual.body["total"], 1, "{}", manual.body);
    let imported = caller
        .get(
            &base,
            "/history?origin=blocklist&page_size=1&page=2",
            Some(&cookie),
        )
        .await;
    assert_eq!(
        (
            imported.body["total"].as_u64(),
            imported.body["items"].as_array().unwrap().len()
        ),
        (Some(2), 1),
        "{}",
        imported.body
    );
    for (query, code) in [
        ("origin=robot", "invalid_origin"),
        ("ip=1.2.3", "invalid_address"),
        ("jail=../etc", "invalid_jail_name"),
        ("page_size=0", "invalid_pagination"),
    ] {
        let answer = caller
            .get(&base, &format!("/history?{query}"), Some(&cookie))
            .await;
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, code),
            "{query}: {}",
            answer.body
        );
    }
    let bad_range = caller.get(&base, "/history?range=1y", Some(&cookie)).await;
    assert!(bad_range.status.is_client_error(), "{}", bad_range.body);
}
