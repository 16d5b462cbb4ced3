//! The OpenAPI document against the router it describes, and against the OpenAPI 3.1 schema.
//! In-process: building the router needs no Redis, PostgreSQL or fail2ban (pools are lazy).

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use bangui_http::{AppState, HttpSettings, router};
use bangui_jobs::JobQueue;
use bangui_runtime::{Runtime, RuntimeSettings};
use bangui_store::{Database, RedisStore};
use serde_json::Value;

/// The interactive reference's own routes: its page and assets, not API operations.
const REFERENCE: &str = "/api/docs";

fn document() -> Value {
    serde_json::to_value(bangui_http::document()).unwrap()
}

/// A worker's router on pools that never connect.
fn app() -> axum::Router {
    let redis = RedisStore::new("redis://127.0.0.1:1", "doc", Duration::from_secs(1)).unwrap();
    let db = Database::connect_lazy("postgres://doc@127.0.0.1:1/doc", Duration::from_secs(1), 1)
        .unwrap();
    let queue = JobQueue::new(db.clone(), redis.clone());
    let runtime = Runtime::new(
        redis.clone(),
        db.clone(),
        bangui_fail2ban::Client::new("/nonexistent/fail2ban.sock"),
        RuntimeSettings::default(),
        Arc::new(queue.clone()),
    );
    let state = AppState::new(redis, db, runtime, queue, HttpSettings::default(), None);
    router(state)
}

/// `(METHOD, path)` of every operation of the document.
fn documented(doc: &Value) -> BTreeSet<(String, String)> {
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.to_uppercase(), path.clone()));
        }
    }
    operations
}

/// `(METHOD, path)` of every route of the router, read from its structure: axum exposes it
/// only through `Debug`, which lists each route's path and the methods it allows (`allow_header`,
/// what a 405 answers in `Allow`). `HEAD` comes with every `GET`.
fn routed(router: &axum::Router) -> BTreeSet<(String, String)> {
    let text = format!("{router:?}");
    let start = text
        .find("path_router: PathRouter { routes: {")
        .expect("axum's Debug output changed: update this walk");
    let routes = &text[start..];
    let nodes = routes
        .find("node: Node { paths: {")
        .expect("axum's Debug output changed: update this walk");
    let (routes, paths) = (&routes[..nodes], &routes[nodes..]);
    let paths = &paths[..paths.find("} }").unwrap()];
    let id = |chunk: &str| chunk[..chunk.find(')').unwrap()].to_owned();
    let path_of: std::collections::BTreeMap<String, String> = paths
        .split("RouteId(")
        .skip(1)
        .map(|chunk| {
            let quoted = &chunk[chunk.find('"').unwrap() + 1..];
            (id(chunk), quoted[..quoted.find('"').unwrap()].to_owned())
        })
        .collect();
    let mut operations = BTreeSet::new();
    for chunk in routes.split("RouteId(").skip(1) {
        let path = &path_of[&id(chunk)];
        let marker = "allow_header: Bytes(b\"";
        let Some(at) = chunk.find(marker) else {
            panic!("route {path} allows no listed methods: {chunk}");
        };
        let allowed = &chunk[at + marker.len()..];
        for method in allowed[..allowed.find('"').unwrap()].split(',') {
            if method != "HEAD" {
                operations.insert((method.to_owned(), path.clone()));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_route_is_documented_and_every_documented_route_exists() {
    let routes: BTreeSet<_> = routed(&app())
        .into_iter()
        .filter(|(_, path)| !path.starts_with(REFERENCE))
        .collect();
    assert!(routes.len() > 30, "the walk found only {routes:?}");
    let doc = documented(&document());
    let undocumented: Vec<_> = routes.difference(&doc).collect();
    let missing: Vec<_> = doc.difference(&routes).collect();
    assert!(
        undocumented.is_empty(),
        "routes missing from the document: {undocumented:?}"
    );
    assert!(
        missing.is_empty(),
        "documented routes the router lacks: {missing:?}"
    );
}

#[test]
fn the_document_is_valid_openapi_3_1() {
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let doc = document();
    let errors: Vec<String> = validator
        .iter_errors(&doc)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{}", errors.join("\n"));
    assert_eq!(doc["openapi"], "3.1.0");
}

#[test]
fn every_reference_in_the_document_resolves() {
    fn refs<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map {
                    match (key.as_str(), v) {
                        ("$ref", Value::String(r)) => found.push(r),
                        _ => refs(v, found),
                    }
                }
            }
            Value::Array(items) => items.iter().for_each(|v| refs(v, found)),
            _ => {}
        }
    }
    let doc = document();
    let mut found = Vec::new();
    refs(&doc, &mut found);
    assert!(found.len() > 100, "{found:?}");
    let dangling: BTreeSet<&str> = found
        .into_iter()
        .filter(|r| {
            let pointer = r.strip_prefix('#').unwrap_or(r);
            doc.pointer(pointer).is_none()
        })
        .collect();
    assert!(dangling.is_empty(), "references to nothing: {dangling:?}");
}

#[test]
fn the_error_codes_are_documented_as_they_are_sent() {
    let doc = document();
    let documented = &doc["components"]["schemas"]["ErrorCode"]["enum"];
    let sent: Vec<Value> = bangui_http::ErrorCode::ALL
        .iter()
        .map(|c| serde_json::to_value(c).unwrap())
        .collect();
    assert_eq!(documented, &Value::Array(sent));
}

#[test]
fn a_broken_document_fails_the_validation() {
    // The validator catches what utoipa lets through (a response without description).
    let schema: Value =
        serde_json::from_str(include_str!("fixtures/openapi-3.1-schema.json")).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let mut doc = document();
    doc["paths"]["/api/v1/jails"]["get"]["responses"]["200"]
        .as_object_mut()
        .unwrap()
        .remove("description");
    assert!(!validator.is_valid(&doc));
}

#[test]
fn every_operation_says_who_may_call_it_and_what_it_can_answer() {
    let doc = document();
    let public: BTreeSet<&str> = [
        "/api/v1/health/live",
        "/api/v1/health/ready",
        "/api/v1/setup",
        "/api/v1/auth/login",
        "/api/v1/openapi.json",
        "/metrics",
    ]
    .into();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let name = format!("{method} {path}");
            assert!(op["operationId"].is_string(), "{name}: no operationId");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            assert_eq!(secured, !public.contains(path.as_str()), "{name}: security");
            let csrf = op["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| p["name"] == "x-bangui-request" && p["in"] == "header");
            assert_eq!(csrf, secured && method != "get", "{name}: CSRF header");
            let responses = op["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|s| s.starts_with('2')),
                "{name}: no success answer"
            );
            for (status, response) in responses {
                let code: u16 = status.parse().unwrap();
                let listed: Vec<String> = op["x-error-codes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|c| c.as_str().unwrap().to_owned())
                    .filter(|c| {
                        bangui_http::ErrorCode::ALL
                            .iter()
                            .any(|e| e.as_str() == c && e.status().as_u16() == code)
                    })
                    .collect();
                assert_eq!(
                    code >= 400,
                    !listed.is_empty(),
                    "{name} {status}: codes {listed:?}"
                );
                if code >= 400 {
                    let response = resolve(&doc, response);
                    let codes = &response["content"]["application/json"]["schema"]["allOf"][1]["properties"]
                        ["error_code"]["enum"];
                    assert_eq!(codes, &serde_json::json!(listed), "{name} {status}");
                }
            }
            if secured {
                for code in ["unauthorized", "rate_limited", "setup_required"] {
                    assert!(
                        op["x-error-codes"]
                            .as_array()
                            .unwrap()
                            .contains(&Value::from(code)),
                        "{name}: {code}"
                    );
                }
            }
        }
    }
}

/// A response, or the shared one it refers to.
fn resolve<'a>(doc: &'a Value, response: &'a Value) -> &'a Value {
    match response["$ref"].as_str() {
        Some(r) => &doc["components"]["responses"][r.rsplit('/').next().unwrap()],
        None => response,
    }
}
