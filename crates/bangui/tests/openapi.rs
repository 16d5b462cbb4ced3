//! The API against its own document, on real workers: every answer of every route family,
//! error answers included, has a status the document lists for its route and a body its
//! schema accepts (with no field the schema does not name); and every route asks for a session
//! exactly when the document says so.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::ListServer;
use bangui_testkit::cluster::ClusterOptions;
use common::imports::{finished, with_job_workers};
use common::{Answer, Caller, Fixture};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The document as a worker serves it, ready to check answers.
struct Contract {
    doc: Value,
    /// The document's components, their object schemas closed (see [`close`]), so that a
    /// field the document does not name fails the check.
    components: Value,
}

impl Contract {
    async fn fetch(caller: &Caller, base: &str) -> Self {
        let answer = caller.get(base, "/openapi.json", None).await;
        assert_eq!(answer.status, StatusCode::OK);
        assert_eq!(answer.headers["content-type"], "application/json");
        let doc = answer.body;
        let mut components = doc["components"].clone();
        // A schema others extend (`allOf`) stays open: what they add is checked at the top.
        let mut extended = Vec::new();
        extensions(&doc, &mut extended);
        for (name, schema) in components["schemas"].as_object_mut().unwrap() {
            if !extended.contains(name) {
                close(schema);
            }
        }
        Self { doc, components }
    }

    /// Checks `answer` to `method path` (the route's pattern, `/api/v1/jails/{name}`) against
    /// the document; returns the answer for more checks.
    fn check<'a>(&self, method: &Method, path: &str, answer: &'a Answer) -> &'a Answer {
        let what = format!("{method} {path} → {}: {}", answer.status, answer.body);
        let operation = &self.doc["paths"][path][method.as_str().to_lowercase()];
        assert!(operation.is_object(), "undocumented route: {what}");
        let mut response = &operation["responses"][answer.status.as_str()];
        assert!(response.is_object(), "undocumented status: {what}");
        if let Some(name) = response["$ref"].as_str() {
            response = &self.doc["components"]["responses"][name.rsplit('/').next().unwrap()];
        }
        let content = &response["content"];
        let Some(schema) = content["application/json"].get("schema") else {
            if content.as_object().is_none_or(|c| c.is_empty()) {
                assert!(
                    answer.body.is_null(),
                    "a body where the document has none: {what}"
                );
            }
            return answer;
        };
        let root = json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": self.components,
            "allOf": [schema],
            // Sees through `allOf`: the fields of an extended schema and its extension.
            "unevaluatedProperties": false,
        });
        let validator = jsonschema::draft202012::new(&root).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&answer.body)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{what}\n{}", errors.join("\n"));
        answer
    }
}

/// The names of the schemas `value` extends (`allOf` of a `$ref` and more).
fn extensions(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for item in map
                .get("allOf")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if let Some(r) = item["$ref"].as_str() {
                    found.push(r.rsplit('/').next().unwrap().to_owned());
                }
            }
            map.values().for_each(|v| extensions(v, found));
        }
        Value::Array(items) => items.iter().for_each(|v| extensions(v, found)),
        _ => {}
    }
}

/// Closes an object schema and the object schemas it holds.
fn close(schema: &mut Value) {
    let Some(map) = schema.as_object_mut() else {
        return;
    };
    if map.contains_key("properties") && !map.contains_key("additionalProperties") {
        map.insert("additionalProperties".into(), Value::Bool(false));
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(variants)) = map.get_mut(key) {
            variants.iter_mut().for_each(close);
        }
    }
}

#[tokio::test]
async fn every_route_family_answers_as_its_document_says() {
    let server = ListServer::start().unwrap();
    server.put("/list.txt", "198.51.100.1\n198.51.100.2\n# a comment\n");
    let Fixture {
        cluster,
        caller,
        cookie,
    } = Fixture::start(ClusterOptions::workers(2).env("BANGUI_BLOCKLIST_ALLOW_PRIVATE", "true"))
        .await;
    let cluster = with_job_workers(cluster, 1, &[]);
    let (w0, w1) = (cluster.url(0), cluster.url(1));
    let c = Some(cookie.as_str());
    let contract = Contract::fetch(&caller, &w1).await;
    let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    let api = |p: &str| format!("/api/v1{p}");
    let check = |method: &Method, route: &str, answer: Answer| {
        contract.check(method, &api(route), &answer);
        answer
    };

    // Health and setup, public.
    check(
        &get,
        "/health/live",
        caller.get(&w0, "/health/live", None).await,
    );
    check(
        &get,
        "/health/ready",
        caller.get(&w0, "/health/ready", None).await,
    );
    check(&get, "/setup", caller.get(&w0, "/setup", None).await);
    let again = caller.setup(&w1, common::PASSWORD).await;
    assert_eq!(check(&post, "/setup", again).code(), "setup_already_done");

    // Sessions.
    let login = caller
        .post(
            &w0,
            "/auth/login",
            None,
            json!({ "password": common::PASSWORD, "issue_token": true }),
        )
        .await;
    assert!(check(&post, "/auth/login", login).body["token"].is_string());
    let wrong = caller.login(&w1, "Wr0ng!pass").await;
    assert_eq!(
        check(&post, "/auth/login", wrong).code(),
        "invalid_credentials"
    );
    check(
        &get,
        "/auth/session",
        caller.get(&w1, "/auth/session", c).await,
    );
    let anonymous = caller.get(&w1, "/auth/session", None).await;
    assert_eq!(
        check(&get, "/auth/session", anonymous).code(),
        "unauthorized"
    );

    // fail2ban's status, jails and bans.
    check(
        &get,
        "/dashboard/status",
        caller.get(&w0, "/dashboard/status", c).await,
    );
    check(&get, "/jails", caller.get(&w1, "/jails", c).await);
    check(
        &get,
        "/jails/{name}",
        caller.get(&w0, "/jails/test", c).await,
    );
    let nosuch = caller.get(&w0, "/jails/nosuch", c).await;
    assert_eq!(
        check(&get, "/jails/{name}", nosuch).code(),
        "jail_not_found"
    );
    let ban = caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "203.0.113.7", "jail": "test" }),
        )
        .await;
    assert_eq!(check(&post, "/bans", ban).body["newly_banned"], true);
    let bad = caller
        .post(
            &w0,
            "/bans",
            c,
            json!({ "ip": "203.0.113.1/24", "jail": "test" }),
        )
        .await;
    assert_eq!(check(&post, "/bans", bad).code(), "invalid_address");
    let unsafe_ban = caller
        .send(
            post.clone(),
            format!("{w0}/api/v1/bans"),
            c,
            false,
            Some(json!({})),
        )
        .await;
    assert_eq!(
        check(&post, "/bans", unsafe_ban).code(),
        "csrf_header_missing"
    );
    let banned = check(
        &get,
        "/jails/{name}/banned",
        caller.get(&w1, "/jails/test/banned", c).await,
    );
    assert_eq!(banned.body["items"][0]["ip"], "203.0.113.7");
    check(
        &get,
        "/bans/active",
        caller.get(&w1, "/bans/active?q=203", c).await,
    );
    let page = caller.get(&w1, "/bans/active?page=0", c).await;
    assert_eq!(
        check(&get, "/bans/active", page).code(),
        "invalid_pagination"
    );
    check(
        &get,
        "/bans/lookup",
        caller.get(&w1, "/bans/lookup?ip=203.0.113.7", c).await,
    );
    check(
        &get,
        "/jails/{name}/ignoreip",
        caller.get(&w0, "/jails/test/ignoreip", c).await,
    );
    let ignore = caller
        .post(
            &w0,
            "/jails/test/ignoreip",
            c,
            json!({ "address": "192.0.2.0/24" }),
        )
        .await;
    check(&post, "/jails/{name}/ignoreip", ignore);
    let idle = caller
        .post(&w1, "/jails/test/idle", c, json!({ "on": false }))
        .await;
    check(&post, "/jails/{name}/idle", idle);
    let not_json = caller
        .http
        .post(format!("{w1}/api/v1/jails/test/idle"))
        .header("cookie", &cookie)
        .header("x-bangui-request", "1")
        .body("on")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let unban = caller
        .delete(&w1, "/bans", c, json!({ "ip": "203.0.113.7" }))
        .await;
    assert_eq!(check(&delete, "/bans", unban).body["unbanned"], 1);
    check(
        &delete,
        "/bans/all",
        caller.delete(&w0, "/bans/all", c, json!({})).await,
    );

    // Blocklists, their jobs, and the archive.
    let source = caller
        .post(
            &w0,
            "/blocklists",
            c,
            json!({ "name": "list", "url": server.url("/list.txt") }),
        )
        .await;
    let id = check(&post, "/blocklists", source).body["id"]
        .as_i64()
        .unwrap();
    let refused = caller
        .post(
            &w0,
            "/blocklists",
            c,
            json!({ "name": "ftp", "url": "ftp://example.org/x" }),
        )
        .await;
    assert_eq!(check(&post, "/blocklists", refused).code(), "invalid_url");
    check(&get, "/blocklists", caller.get(&w1, "/blocklists", c).await);
    let one = format!("/blocklists/{id}");
    check(&get, "/blocklists/{id}", caller.get(&w1, &one, c).await);
    let missing = caller.get(&w1, "/blocklists/999999", c).await;
    assert_eq!(check(&get, "/blocklists/{id}", missing).code(), "not_found");
    let renamed = caller
        .send(
            put.clone(),
            format!("{w1}/api/v1{one}"),
            c,
            true,
            Some(json!({ "name": "renamed", "url": server.url("/list.txt") })),
        )
        .await;
    check(&put, "/blocklists/{id}", renamed);
    let enabled = caller
        .post(
            &w0,
            &format!("{one}/enabled"),
            c,
            json!({ "enabled": true }),
        )
        .await;
    check(&post, "/blocklists/{id}/enabled", enabled);
    let preview = caller
        .post(&w0, &format!("{one}/preview"), c, json!({}))
        .await;
    assert_eq!(
        check(&post, "/blocklists/{id}/preview", preview).body["distinct"],
        2
    );
    check(
        &get,
        "/blocklists/schedule",
        caller.get(&w0, "/blocklists/schedule", c).await,
    );
    let schedule = caller
        .send(
            put.clone(),
            format!("{w0}/api/v1/blocklists/schedule"),
            c,
            true,
            Some(json!({ "kind": "hourly", "minute": 61 })),
        )
        .await;
    assert_eq!(
        check(&put, "/blocklists/schedule", schedule).code(),
        "invalid_schedule"
    );
    let import = caller
        .post(&w1, &format!("{one}/import"), c, json!({}))
        .await;
    let job = check(&post, "/blocklists/{id}/import", import).body["job_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let done = finished(&caller, &w0, &cookie, &job).await;
    assert_eq!(check(&get, "/jobs/{id}", done).body["state"], "done");
    let bad_job = caller.get(&w0, "/jobs/not-a-job", c).await;
    assert_eq!(check(&get, "/jobs/{id}", bad_job).code(), "invalid_job_id");
    check(
        &get,
        "/blocklists/runs",
        caller.get(&w0, "/blocklists/runs", c).await,
    );
    check(
        &post,
        "/blocklists/import",
        caller.post(&w0, "/blocklists/import", c, json!({})).await,
    );
    let sync = caller.post(&w1, "/history/sync", c, json!({})).await;
    check(&post, "/history/sync", sync);
    check(
        &get,
        "/history",
        caller
            .get(&w1, "/history?range=24h&origin=blocklist", c)
            .await,
    );
    let origin = caller.get(&w1, "/history?origin=robot", c).await;
    assert_eq!(check(&get, "/history", origin).code(), "invalid_origin");
    let timeline = caller.get(&w0, "/history/203.0.113.7", c).await;
    assert_eq!(
        check(&get, "/history/{ip}", timeline).body["totals"]["bans"],
        1
    );
    let unseen = caller.get(&w0, "/history/192.0.2.250", c).await;
    assert_eq!(check(&get, "/history/{ip}", unseen).code(), "not_found");

    // Analytics of the archive.
    for (path, query) in [
        ("/dashboard/bans", "?range=7d&page_size=5"),
        ("/dashboard/bans/trend", "?range=24h&origin=manual"),
        ("/dashboard/bans/by-country", "?range=30d&country=DE"),
        ("/dashboard/bans/by-jail", "?range=all"),
        ("/dashboard/top-addresses", "?range=365d"),
    ] {
        let answer = caller.get(&w1, &format!("{path}{query}"), c).await;
        check(&get, path, answer);
        let bad = caller.get(&w0, &format!("{path}?range=1y"), c).await;
        assert_eq!(check(&get, path, bad).code(), "invalid_range");
    }
    check(
        &get,
        "/geo/{ip}",
        caller.get(&w0, "/geo/198.51.100.1", c).await,
    );
    let not_ip = caller.get(&w0, "/geo/not-an-ip", c).await;
    assert_eq!(check(&get, "/geo/{ip}", not_ip).code(), "invalid_address");
    check(
        &post,
        "/geo/re-resolve",
        caller.post(&w0, "/geo/re-resolve", c, json!({})).await,
    );
    let deleted = caller.delete(&w0, &one, c, json!({})).await;
    check(&delete, "/blocklists/{id}", deleted);

    // The audit trail, and the end of the session.
    check(
        &get,
        "/audit",
        caller.get(&w0, "/audit?page_size=5", c).await,
    );
    let logout = caller.post(&w1, "/auth/logout", c, json!({})).await;
    assert_eq!(
        check(&post, "/auth/logout", logout).status,
        StatusCode::NO_CONTENT
    );
}

/// A value for each path parameter, so that a route can be called.
fn fill(path: &str) -> String {
    path.replace("{name}", "test")
        .replace("{id}", "1")
        .replace("{ip}", "192.0.2.1")
}

#[tokio::test]
async fn a_route_asks_for_a_session_exactly_when_its_document_says_so() {
    let Fixture {
        cluster, caller, ..
    } = Fixture::start(ClusterOptions::workers(1)).await;
    let base = cluster.url(0);
    let doc = caller.get(&base, "/openapi.json", None).await.body;
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let secured = operation["security"]
                .as_array()
                .is_some_and(|s| !s.is_empty());
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            // Without any credential, and with a body that cannot do anything.
            let answer = caller
                .send(
                    method.clone(),
                    format!("{base}{}", fill(path)),
                    None,
                    true,
                    Some(json!([])),
                )
                .await;
            let unauthorized = answer.status == StatusCode::UNAUTHORIZED;
            assert_eq!(
                unauthorized, secured,
                "{method} {path}: {} {}",
                answer.status, answer.body
            );
            checked += 1;
        }
    }
    assert!(checked > 40, "only {checked} operations");
}
