//! What the cross-worker tests share: a cluster of real workers and a caller that says
//! exactly what each request carries.

#![allow(dead_code)] // each test binary uses its own part of it

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

pub mod imports;

use bangui_testkit::cluster::{Cluster, ClusterOptions};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

pub const PASSWORD: &str = "Str0ng!pass";

/// Asks `check` every `every` until it answers `Some`, for at most `within`; `None` if it never
/// did. The readiness check of tests that wait for something another process does.
pub async fn eventually<T>(
    within: Duration,
    every: Duration,
    mut check: impl AsyncFnMut() -> Option<T>,
) -> Option<T> {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return Some(found);
        }
        if tokio::time::Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(every).await;
    }
}

pub fn binary() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_bangui"))
}

pub fn cluster(options: ClusterOptions) -> Cluster {
    Cluster::start(binary(), options).unwrap()
}

/// The fixture of the cross-worker tests: a cluster of real `bangui serve` workers (and, by
/// default, a sandboxed fail2ban), set up through worker 0, with a caller and its session.
pub struct Fixture {
    pub cluster: Cluster,
    pub caller: Caller,
    /// `bangui_session=<token>`.
    pub cookie: String,
}

impl Fixture {
    pub async fn start(options: ClusterOptions) -> Self {
        let cluster = cluster(options);
        let caller = Caller::new();
        let cookie = caller.ready_session(&cluster).await;
        Self {
            cluster,
            caller,
            cookie,
        }
    }
}

/// A caller without cookie jar: every request says exactly what it carries.
pub struct Caller {
    pub http: reqwest::Client,
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["error_code"].as_str().unwrap_or("")
    }

    /// `bangui_session=<token>` from `Set-Cookie`.
    pub fn cookie(&self) -> String {
        let set = self
            .headers
            .get("set-cookie")
            .expect("no Set-Cookie")
            .to_str()
            .unwrap();
        set.split(';').next().unwrap().to_owned()
    }
}

/// An HTTP client (reqwest is built without a TLS provider of its own; the process installs
/// ring, as `bangui` does).
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::new()
}

impl Caller {
    pub fn new() -> Self {
        Self {
            http: http_client(),
        }
    }

    pub async fn send(
        &self,
        method: Method,
        url: String,
        cookie: Option<&str>,
        csrf: bool,
        body: Option<Value>,
    ) -> Answer {
        let mut request = self.http.request(method, url);
        if let Some(cookie) = cookie {
            request = request.header("cookie", cookie);
        }
        if csrf {
            request = request.header("x-bangui-request", "1");
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        Answer {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, base: &str, path: &str, cookie: Option<&str>) -> Answer {
        self.send(
            Method::GET,
            format!("{base}/api/v1{path}"),
            cookie,
            false,
            None,
        )
        .await
    }

    pub async fn post(&self, base: &str, path: &str, cookie: Option<&str>, body: Value) -> Answer {
        self.send(
            Method::POST,
            format!("{base}/api/v1{path}"),
            cookie,
            true,
            Some(body),
        )
        .await
    }

    pub async fn setup(&self, base: &str, password: &str) -> Answer {
        self.post(base, "/setup", None, json!({ "master_password": password }))
            .await
    }

    pub async fn login(&self, base: &str, password: &str) -> Answer {
        self.post(base, "/auth/login", None, json!({ "password": password }))
            .await
    }

    /// Setup through worker 0 and a login; returns the session cookie.
    /// The Prometheus text a worker's `GET /metrics` answers (`base`: its main or metrics
    /// listener).
    pub async fn metrics(&self, base: &str) -> String {
        self.http
            .get(format!("{base}/metrics"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    pub async fn ready_session(&self, cluster: &Cluster) -> String {
        assert_eq!(
            self.setup(&cluster.url(0), PASSWORD).await.status,
            StatusCode::CREATED
        );
        let login = self.login(&cluster.url(0), PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "{}", login.body);
        login.cookie()
    }
}

/// fail2ban's own answer, through `bangui fail2ban` on the cluster's fail2ban socket.
pub fn fail2ban_says(cluster: &Cluster, words: &[&str]) -> Value {
    let f2b = cluster
        .fail2ban
        .as_ref()
        .expect("the cluster has no fail2ban");
    let output = std::process::Command::new(binary())
        .arg("fail2ban")
        .arg("--socket")
        .arg(f2b.socket())
        .args(words)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{words:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A server-sent event as a browser sees it.
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: String,
    pub event: String,
    pub data: Value,
}

/// A live connection to `/api/v1/events`.
pub struct EventStream {
    response: reqwest::Response,
    buffer: String,
}

impl EventStream {
    /// Connects; when this returns the worker has subscribed, so nothing published afterwards
    /// is missed.
    pub async fn open(base: &str, cookie: &str, last_event_id: Option<&str>) -> Self {
        let mut request = http_client()
            .get(format!("{base}/api/v1/events"))
            .header("cookie", cookie);
        if let Some(id) = last_event_id {
            request = request.header("last-event-id", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next message's fields (`id`, `event`, `data`, `retry`; comments have none), or
    /// `None` after 10 s without one.
    async fn next_message(&mut self) -> Option<HashMap<String, String>> {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                return Some(
                    block
                        .lines()
                        .filter_map(|l| l.split_once(':'))
                        .filter(|(name, _)| !name.is_empty())
                        .map(|(name, value)| (name.to_owned(), value.trim_start().to_owned()))
                        .collect(),
                );
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk())
                .await
                .ok()?
                .unwrap()?;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The next event (keep-alive comments and id-only messages skipped), or `None` after 10 s
    /// without one.
    pub async fn next(&mut self) -> Option<Sse> {
        loop {
            let mut fields = self.next_message().await?;
            if let (Some(id), Some(event), Some(data)) = (
                fields.remove("id"),
                fields.remove("event"),
                fields.remove("data"),
            ) {
                return Some(Sse {
                    id,
                    event,
                    data: serde_json::from_str(&data).unwrap(),
                });
            }
        }
    }

    /// The stream's first message: an id with no event, where a browser would resume from.
    pub async fn opening(&mut self) -> (String, Option<String>) {
        let mut fields = self.next_message().await.expect("an opening message");
        assert_eq!(
            fields.get("data"),
            None,
            "the opening message is not an event"
        );
        let id = fields.remove("id").expect("the opening message has an id");
        (id, fields.remove("retry"))
    }

    /// Skips events until one of type `event` arrives.
    pub async fn next_of(&mut self, event: &str) -> Option<Sse> {
        loop {
            let e = self.next().await?;
            if e.event == event {
                return Some(e);
            }
        }
    }
}

impl Caller {
    pub async fn delete(
        &self,
        base: &str,
        path: &str,
        cookie: Option<&str>,
        body: Value,
    ) -> Answer {
        self.send(
            Method::DELETE,
            format!("{base}/api/v1{path}"),
            cookie,
            true,
            Some(body),
        )
        .await
    }
}

pub fn banned_ips(answer: &Value) -> Vec<String> {
    let mut ips: Vec<String> = answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    ips
}

/// The addresses fail2ban itself bans in `jail`.
pub fn fail2ban_bans(cluster: &Cluster, jail: &str) -> Vec<String> {
    let mut ips: Vec<String> = fail2ban_says(cluster, &["get", jail, "banip"])
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ips.sort();
    ips
}

/// Two workers whose `test` jail bans one address, and what fail2ban holds then (every jail's
/// bans, the `test` jail's ignore list): what bad input must leave alone.
pub async fn before_bad_input() -> (Fixture, (Value, Value)) {
    let fixture = Fixture::start(ClusterOptions::workers(2)).await;
    let ban = fixture
        .caller
        .post(
            &fixture.cluster.url(1),
            "/bans",
            Some(&fixture.cookie),
            json!({ "ip": "192.0.2.200", "jail": "test" }),
        )
        .await;
    assert_eq!(ban.status, StatusCode::OK, "{}", ban.body);
    let before = fail2ban_state(&fixture.cluster);
    (fixture, before)
}

/// What bad input must leave alone: every jail's bans and the `test` jail's ignore list.
pub fn fail2ban_state(cluster: &Cluster) -> (Value, Value) {
    (
        fail2ban_says(cluster, &["banned"]),
        fail2ban_says(cluster, &["get", "test", "ignoreip"]),
    )
}

/// Sends each `(method, path, body)` with the session and the CSRF header; each must be
/// answered with its `(status, error_code)`.
pub async fn assert_answers(
    caller: &Caller,
    base: &str,
    cookie: Option<&str>,
    cases: Vec<(Method, &str, Option<Value>, u16, &str)>,
) {
    for (method, path, body, status, code) in cases {
        let answer = caller
            .send(
                method.clone(),
                format!("{base}/api/v1{path}"),
                cookie,
                true,
                body,
            )
            .await;
        assert_eq!(
            (answer.status.as_u16(), answer.code()),
            (status, code),
            "{method} {path}: {}",
            answer.body
        );
    }
}

/// The actions of a configuration file's revisions, newest first (`edit`, `create`, …).
pub async fn revision_actions(
    caller: &Caller,
    base: &str,
    cookie: &str,
    path: &str,
) -> Vec<String> {
    let history = caller
        .get(
            base,
            &format!("/config/files/{path}/revisions"),
            Some(cookie),
        )
        .await;
    history.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("revisions of {path}: {}", history.body))
        .iter()
        .map(|r| r["action"].as_str().unwrap_or_default().to_owned())
        .collect()
}
