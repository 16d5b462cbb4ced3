//! Several real `bangui serve` workers sharing one Redis and one PostgreSQL database: a user
//! must not be able to tell which worker answered.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

mod common;

use bangui_testkit::cluster::ClusterOptions;
use bangui_testkit::postgres::psql as query;
use bangui_testkit::{Postgres, Redis, redis};
use common::{Caller, PASSWORD, cluster, fail2ban_says};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

#[tokio::test]
async fn a_session_made_on_one_worker_works_on_all_workers() {
    let cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    for i in 0..3 {
        let answer = caller
            .get(&cluster.url(i), "/auth/session", Some(&cookie))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "worker {i}: {}", answer.body);
        assert_eq!(answer.body["authenticated"], true);
    }
}

#[tokio::test]
async fn logout_on_one_worker_ends_the_session_on_all_workers() {
    let cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let other = caller.login(&cluster.url(1), PASSWORD).await.cookie();

    let logout = caller
        .post(&cluster.url(2), "/auth/logout", Some(&cookie), json!({}))
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT);
    assert!(
        logout.headers["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    for i in 0..3 {
        let answer = caller
            .get(&cluster.url(i), "/auth/session", Some(&cookie))
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "worker {i}");
        assert_eq!(answer.code(), "unauthorized");
    }
    // Another session of the same user is untouched.
    assert_eq!(
        caller
            .get(&cluster.url(0), "/auth/session", Some(&other))
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn wrong_passwords_are_limited_across_workers() {
    let cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    assert_eq!(
        caller.setup(&cluster.url(0), PASSWORD).await.status,
        StatusCode::CREATED
    );

    let mut statuses = Vec::new();
    for attempt in 0..10 {
        let answer = caller
            .login(&cluster.url(attempt % 3), "Wr0ng!password")
            .await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            let retry_after: u64 = answer.headers["retry-after"]
                .to_str()
                .unwrap()
                .parse()
                .unwrap();
            assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
            assert_eq!(answer.code(), "rate_limited");
        } else {
            assert_eq!(answer.code(), "invalid_credentials");
        }
        statuses.push(answer.status.as_u16());
    }
    assert_eq!(statuses, [401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
    // The right password is refused too while the limit holds: attempts are attempts.
    assert_eq!(
        caller.login(&cluster.url(1), PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_trusted_proxies() {
    let cluster = cluster(ClusterOptions::workers(2).env("BANGUI_TRUSTED_PROXIES", "127.0.0.1/32"));
    let caller = Caller::new();
    assert_eq!(
        caller.setup(&cluster.url(0), PASSWORD).await.status,
        StatusCode::CREATED
    );
    let attempt = |worker: usize, forwarded: &'static str| {
        let url = format!("{}/api/v1/auth/login", cluster.url(worker));
        let http = caller.http.clone();
        async move {
            http.post(url)
                .header("x-forwarded-for", forwarded)
                .json(&json!({ "password": "Wr0ng!password" }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..5 {
        assert_eq!(
            attempt(i % 2, "203.0.113.1").await,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        attempt(0, "203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the same proxy has its own budget.
    assert_eq!(attempt(1, "203.0.113.2").await, StatusCode::UNAUTHORIZED);
    // A forged hop left of the real client changes nothing.
    assert_eq!(
        attempt(1, "198.51.100.7, 203.0.113.1").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

#[tokio::test]
async fn concurrent_setups_on_two_workers_store_exactly_one() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let (a, b) = ("First!pass1", "Second!pass2");
    let (url0, url1) = (cluster.url(0), cluster.url(1));
    let (first, second) = tokio::join!(caller.setup(&url0, a), caller.setup(&url1, b));
    let mut statuses = [first.status.as_u16(), second.status.as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [201, 409]);
    let (winner, loser) = if first.status == StatusCode::CREATED {
        (a, b)
    } else {
        (b, a)
    };
    let conflict = if first.status == StatusCode::CONFLICT {
        &first
    } else {
        &second
    };
    assert_eq!(conflict.code(), "setup_already_done");

    assert_eq!(
        query(&cluster.database_url, "SELECT count(*) FROM setup").unwrap(),
        "1"
    );
    assert_eq!(
        caller.login(&cluster.url(1), winner).await.status,
        StatusCode::OK
    );
    assert_eq!(
        caller.login(&cluster.url(0), loser).await.status,
        StatusCode::UNAUTHORIZED
    );
    let hash = query(&cluster.database_url, "SELECT password_hash FROM setup").unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
}

#[tokio::test]
async fn sessions_survive_a_killed_worker() {
    let mut cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    cluster.kill(0).unwrap();
    assert!(!cluster.is_running(0));
    for i in 1..3 {
        assert_eq!(
            caller
                .get(&cluster.url(i), "/auth/session", Some(&cookie))
                .await
                .status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn a_redis_outage_gives_503_and_workers_recover_by_themselves() {
    let mut redis = Redis::start().unwrap();
    let mut options = ClusterOptions::workers(2);
    options.redis_url = Some(redis.url());
    let cluster = cluster(options);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;

    redis.stop().unwrap();
    for i in 0..2 {
        let answer = caller
            .get(&cluster.url(i), "/auth/session", Some(&cookie))
            .await;
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.code(), "state_store_unavailable");
        let login = caller.login(&cluster.url(i), PASSWORD).await;
        assert_eq!(login.code(), "state_store_unavailable");
        let ready = caller.get(&cluster.url(i), "/health/ready", None).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready.body["details"]["redis"], "unavailable");
        assert_eq!(ready.body["details"]["database"], "ok");
        assert_eq!(
            caller
                .get(&cluster.url(i), "/health/live", None)
                .await
                .status,
            StatusCode::OK
        );
    }

    redis.start_again().unwrap();
    // This Redis keeps nothing across a restart, so sessions are gone; a new login works on
    // every worker without restarting any.
    for i in 0..2 {
        let login = caller.login(&cluster.url(i), PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "worker {i}: {}", login.body);
        let session = caller
            .get(&cluster.url(1 - i), "/auth/session", Some(&login.cookie()))
            .await;
        assert_eq!(session.status, StatusCode::OK);
        assert_eq!(
            caller
                .get(&cluster.url(i), "/health/ready", None)
                .await
                .status,
            StatusCode::OK
        );
        assert!(cluster.is_running(i));
    }
}

/// Calls per Redis command, from `INFO commandstats`.
fn command_calls(port: u16) -> std::collections::BTreeMap<String, u64> {
    let info = redis::command(port, "INFO commandstats").unwrap();
    info.lines()
        .filter_map(|l| l.strip_prefix("cmdstat_"))
        .filter_map(|l| {
            let (name, rest) = l.split_once(':')?;
            let calls = rest
                .strip_prefix("calls=")?
                .split(',')
                .next()?
                .parse()
                .ok()?;
            Some((name.to_owned(), calls))
        })
        .collect()
}

#[tokio::test]
async fn an_authenticated_request_costs_one_redis_command() {
    let redis_server = Redis::start().unwrap();
    let mut options = ClusterOptions::workers(2);
    options.redis_url = Some(redis_server.url());
    let cluster = cluster(options);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    // Warm-up: each worker's connection is open and has the script loaded.
    for i in 0..2 {
        assert_eq!(
            caller
                .get(&cluster.url(i), "/auth/session", Some(&cookie))
                .await
                .status,
            StatusCode::OK
        );
    }
    let before = command_calls(redis_server.port());
    for i in 0..50 {
        assert_eq!(
            caller
                .get(&cluster.url(i % 2), "/auth/session", Some(&cookie))
                .await
                .status,
            StatusCode::OK
        );
    }
    let after = command_calls(redis_server.port());
    let delta: std::collections::BTreeMap<_, _> = after
        .iter()
        .filter(|(name, _)| name.as_str() != "info")
        .map(|(name, calls)| (name.clone(), calls - before.get(name).copied().unwrap_or(0)))
        .filter(|(_, d)| *d > 0)
        .collect();
    // One EVALSHA per request, no PING or other chatter. (Redis also counts the commands the
    // script runs inside: TIME, GET and SET of the rate limit, GET of the session.)
    let expected = [("evalsha", 50), ("get", 100), ("set", 50), ("time", 50)];
    assert_eq!(
        delta,
        expected
            .map(|(name, n)| (name.to_owned(), n))
            .into_iter()
            .collect(),
        "{delta:?}"
    );
}

#[tokio::test]
async fn a_postgres_outage_gives_503_and_workers_recover_by_themselves() {
    let mut pg = Postgres::start().unwrap();
    let mut options = ClusterOptions::workers(2);
    options.postgres_admin_url = Some(pg.url("postgres"));
    let cluster = cluster(options);
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;

    pg.stop().unwrap();
    for i in 0..2 {
        let login = caller.login(&cluster.url(i), PASSWORD).await;
        assert_eq!(login.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(login.code(), "database_unavailable");
        let ready = caller.get(&cluster.url(i), "/health/ready", None).await;
        assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready.body["details"]["database"], "unavailable");
        // Sessions live in Redis: a logged-in user keeps working.
        assert_eq!(
            caller
                .get(&cluster.url(i), "/auth/session", Some(&cookie))
                .await
                .status,
            StatusCode::OK
        );
    }

    pg.start_again().unwrap();
    for i in 0..2 {
        let login = caller.login(&cluster.url(i), PASSWORD).await;
        assert_eq!(login.status, StatusCode::OK, "worker {i}: {}", login.body);
        assert_eq!(
            caller
                .get(&cluster.url(i), "/health/ready", None)
                .await
                .status,
            StatusCode::OK
        );
        assert!(cluster.is_running(i));
    }
}

#[tokio::test]
async fn cookie_mutations_need_the_csrf_header_and_every_private_route_a_session() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let base = cluster.url(1);

    let no_header = caller
        .send(
            Method::POST,
            format!("{base}/api/v1/auth/logout"),
            Some(&cookie),
            false,
            None,
        )
        .await;
    assert_eq!(no_header.status, StatusCode::FORBIDDEN);
    assert_eq!(no_header.code(), "csrf_header_missing");
    assert_eq!(
        caller
            .get(&base, "/auth/session", Some(&cookie))
            .await
            .status,
        StatusCode::OK,
        "session intact"
    );

    for (method, path) in [
        (Method::GET, "/auth/session"),
        (Method::POST, "/auth/logout"),
        (Method::GET, "/dashboard/status"),
        (Method::GET, "/jails"),
        (Method::DELETE, "/bans/all"),
        (Method::GET, "/config/files/../../etc/passwd"),
    ] {
        let answer = caller
            .send(
                method.clone(),
                format!("{base}/api/v1{path}"),
                None,
                true,
                None,
            )
            .await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{method} {path}");
        assert_eq!(answer.code(), "unauthorized");
        let forged =
            "bangui_session=0000000000000000000000000000000000000000000000000000000000000000";
        let answer = caller
            .send(
                method.clone(),
                format!("{base}/api/v1{path}"),
                Some(forged),
                true,
                None,
            )
            .await;
        assert_eq!(
            answer.status,
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a forged cookie"
        );
    }
    // With a session, unknown routes are plain 404s.
    assert_eq!(
        caller
            .get(&base, "/jails-that-do-not-exist", Some(&cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn bearer_tokens_work_like_the_cookie_without_the_csrf_header() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    caller.ready_session(&cluster).await;
    let login = caller
        .post(
            &cluster.url(0),
            "/auth/login",
            None,
            json!({ "password": PASSWORD, "issue_token": true }),
        )
        .await;
    let token = login.body["token"].as_str().unwrap().to_owned();
    // Without issue_token the token stays in the HttpOnly cookie only.
    assert!(
        caller
            .login(&cluster.url(0), PASSWORD)
            .await
            .body
            .get("token")
            .is_none()
    );

    let bearer = |method: Method, path: &str| {
        caller
            .http
            .request(method, format!("{}/api/v1{path}", cluster.url(1)))
            .bearer_auth(&token)
            .send()
    };
    assert_eq!(
        bearer(Method::GET, "/auth/session").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        bearer(Method::POST, "/auth/logout").await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        bearer(Method::GET, "/auth/session").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn before_setup_everything_but_setup_and_health_answers_setup_required() {
    let cluster = cluster(ClusterOptions::workers(2));
    let caller = Caller::new();
    let base = cluster.url(0);
    assert_eq!(
        caller.get(&base, "/setup", None).await.body,
        json!({ "setup_complete": false })
    );
    assert_eq!(
        caller.get(&base, "/health/live", None).await.status,
        StatusCode::OK
    );
    for answer in [
        caller.login(&base, PASSWORD).await,
        caller.get(&base, "/dashboard/status", None).await,
        caller.get(&base, "/auth/session", None).await,
        caller.get(&base, "/jails", None).await,
    ] {
        assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.code(), "setup_required");
    }
    assert_eq!(
        caller.setup(&cluster.url(1), PASSWORD).await.status,
        StatusCode::CREATED
    );
    // The other worker sees it at once.
    assert_eq!(
        caller.get(&base, "/setup", None).await.body,
        json!({ "setup_complete": true })
    );
    assert_eq!(caller.login(&base, PASSWORD).await.status, StatusCode::OK);
}

#[tokio::test]
async fn bad_setup_and_login_input_gets_a_clear_4xx_and_changes_nothing() {
    let cluster =
        cluster(ClusterOptions::workers(1).env("BANGUI_LOGIN_ATTEMPTS_PER_MINUTE", "1000"));
    let caller = Caller::new();
    let base = cluster.url(0);
    let setup_url = format!("{base}/api/v1/setup");
    let raw = |body: &'static str, content_type: Option<&'static str>| {
        let mut request = caller
            .http
            .post(&setup_url)
            .header("x-bangui-request", "1")
            .body(body);
        if let Some(ct) = content_type {
            request = request.header("content-type", ct);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status();
            let body: Value = response.json().await.unwrap();
            (status, body["error_code"].as_str().unwrap().to_owned())
        }
    };
    let json_type = Some("application/json");
    let cases = [
        (raw("{not json", json_type).await, (400, "malformed_json")),
        (
            raw(r#"{"master_password": "Str0ng!pass"}"#, None).await,
            (415, "unsupported_media_type"),
        ),
        (
            raw(r#"{"master_password": 12345678}"#, json_type).await,
            (422, "invalid_body"),
        ),
        (
            raw(r#"{"timezone": "UTC"}"#, json_type).await,
            (422, "invalid_body"),
        ),
        (
            raw(
                r#"{"master_password": "Str0ng!pass", "admin": true}"#,
                json_type,
            )
            .await,
            (422, "invalid_body"),
        ),
        (
            raw(r#"{"master_password": "weakpass"}"#, json_type).await,
            (422, "weak_password"),
        ),
        (
            raw(
                r#"{"master_password": "Str0ng!pass", "timezone": "Mars/Base"}"#,
                json_type,
            )
            .await,
            (422, "invalid_timezone"),
        ),
        (
            raw(
                r#"{"master_password": "Str0ng!pass", "timezone": "../../etc/passwd"}"#,
                json_type,
            )
            .await,
            (422, "invalid_timezone"),
        ),
        (
            raw(
                r#"{"master_password": "Str0ng!pass", "session_duration_minutes": 0}"#,
                json_type,
            )
            .await,
            (422, "invalid_session_duration"),
        ),
        (
            raw(
                r#"{"master_password": "Str0ng!pass", "session_duration_minutes": -5}"#,
                json_type,
            )
            .await,
            (422, "invalid_body"),
        ),
    ];
    for ((status, code), (want_status, want_code)) in cases {
        assert_eq!((status.as_u16(), code.as_str()), (want_status, want_code));
    }
    let huge = json!({ "master_password": format!("A1!{}", "x".repeat(100_000)) });
    let answer = caller.post(&base, "/setup", None, huge).await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (413, "payload_too_large")
    );
    assert_eq!(
        caller.get(&base, "/setup", None).await.body,
        json!({ "setup_complete": false })
    );

    assert_eq!(
        caller.setup(&base, PASSWORD).await.status,
        StatusCode::CREATED
    );
    let answer = caller
        .post(&base, "/auth/login", None, json!({ "password": 5 }))
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (422, "invalid_body")
    );
    let answer = caller
        .post(
            &base,
            "/auth/login",
            None,
            json!({ "password": "x".repeat(10_000) }),
        )
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (401, "invalid_credentials")
    );
    let answer = caller
        .send(
            Method::PUT,
            format!("{base}/api/v1/auth/login"),
            None,
            true,
            None,
        )
        .await;
    assert_eq!(
        (answer.status.as_u16(), answer.code()),
        (405, "method_not_allowed")
    );
}

#[tokio::test]
async fn forty_concurrent_status_calls_on_a_stale_snapshot_ask_fail2ban_once() {
    let cluster = cluster(ClusterOptions::workers(3));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let f2b = cluster.fail2ban.as_ref().unwrap();
    // fail2ban logs every command it receives at HEAVYDEBUG.
    fail2ban_says(&cluster, &["set", "loglevel", "HEAVYDEBUG"]);
    let stale = json!({ "online": true, "version": "1.0.2", "jails": [], "error": null,
        "taken_at_ms": chrono_like_now_ms() - 600_000 });
    let port = bangui_testkit::Endpoint {
        url: cluster.redis_url.clone(),
    }
    .port()
    .unwrap();
    redis::command_args(
        port,
        &[
            "SET",
            &format!("{}:state:fail2ban", cluster.redis_prefix),
            &stale.to_string(),
        ],
    )
    .unwrap();
    let marker = format!("marker-{}", std::process::id());
    fail2ban_says(&cluster, &["echo", &marker]);

    let requests = (0..40).map(|i| {
        let (caller, cookie, base) = (&caller, &cookie, cluster.url(i % 3));
        async move { caller.get(&base, "/dashboard/status", Some(cookie)).await }
    });
    let answers = futures::future::join_all(requests).await;

    for answer in &answers {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(answer.body["online"], true);
    }
    let fresh: Vec<_> = answers
        .iter()
        .filter(|a| a.body["stale"] == false)
        .collect();
    assert!(!fresh.is_empty(), "nobody refreshed the snapshot");
    assert_eq!(
        fresh[0].body["jails"].as_array().unwrap().len(),
        3,
        "{}",
        fresh[0].body
    );

    let log = std::fs::read_to_string(f2b.dir().join("fail2ban.log")).unwrap();
    let after_marker = &log[log.find(&marker).expect("marker not logged")..];
    let commands = after_marker
        .lines()
        .filter(|l| l.contains("Command: ["))
        .count();
    eprintln!("{commands} fail2ban commands for 40 concurrent status requests");
    // One refresh on fail2ban 1.0.2: version, status and `status <jail> short` per jail, and,
    // as the stale snapshot holds no jail settings, `get <jail> bantime|findtime|maxretry`
    // (2 + 3 + 9). A second refresh would add at least 5.
    assert!(
        (1..=14).contains(&commands),
        "{commands} fail2ban commands for 40 requests:\n{after_marker}"
    );
}

#[tokio::test]
async fn fail2ban_down_is_reported_offline_and_comes_back() {
    let mut cluster = cluster(ClusterOptions::workers(2).env("BANGUI_STATUS_MAX_AGE_SECONDS", "0"));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let status = caller
        .get(&cluster.url(0), "/dashboard/status", Some(&cookie))
        .await;
    assert_eq!(status.body["online"], true, "{}", status.body);
    assert_eq!(status.body["version"], "1.0.2");

    cluster.fail2ban.as_mut().unwrap().stop().unwrap();
    let status = caller
        .get(&cluster.url(1), "/dashboard/status", Some(&cookie))
        .await;
    assert_eq!(status.status, StatusCode::OK);
    assert_eq!(status.body["online"], false, "{}", status.body);
    assert_eq!(status.body["error"], "fail2ban_unreachable");
    // The last known jails stay visible while fail2ban is away.
    assert_eq!(status.body["jails"].as_array().unwrap().len(), 3);

    cluster.fail2ban.as_mut().unwrap().start_again().unwrap();
    let status = caller
        .get(&cluster.url(0), "/dashboard/status", Some(&cookie))
        .await;
    assert_eq!(status.body["online"], true, "{}", status.body);
}

#[tokio::test]
async fn operations_metrics_logs_headers_and_graceful_stop() {
    let mut cluster = cluster(ClusterOptions::workers(1));
    let caller = Caller::new();
    let live = caller.get(&cluster.url(0), "/health/live", None).await;
    for (header, value) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
        ("cache-control", "no-store"),
    ] {
        assert_eq!(live.headers[header], value, "{header}");
    }
    assert!(
        live.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let request_id = live.headers["x-request-id"].to_str().unwrap().to_owned();

    let metrics = caller.metrics(&cluster.url(0)).await;
    let line = metrics
        .lines()
        .find(|l| {
            l.starts_with("bangui_http_requests_total{")
                && l.contains(r#"route="/api/v1/health/live""#)
        })
        .unwrap_or_else(|| panic!("no request counter for /health/live in\n{metrics}"));
    assert!(line.contains(r#"status="200""#), "{line}");
    assert!(
        metrics.contains("bangui_http_request_duration_seconds_bucket{"),
        "{metrics}"
    );

    let log = cluster.log(0);
    let entry = log
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|entry| entry["span"]["request_id"] == request_id.as_str())
        .unwrap_or_else(|| panic!("no JSON log line for request {request_id} in\n{log}"));
    assert_eq!(entry["span"]["path"], "/api/v1/health/live");
    assert!(entry["timestamp"].is_string() && entry["level"].is_string());

    cluster.terminate(0).unwrap();
    assert!(!cluster.is_running(0));
    assert!(
        cluster.log(0).contains("SIGTERM: shutting down"),
        "{}",
        cluster.log(0)
    );
    assert!(
        cluster.log(0).lines().last().unwrap().contains("stopped"),
        "{}",
        cluster.log(0)
    );
}

fn chrono_like_now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

#[tokio::test]
async fn on_sigterm_a_worker_reports_not_ready_serves_on_then_drains() {
    let mut cluster = cluster(ClusterOptions::workers(2).env("BANGUI_SHUTDOWN_DELAY_SECONDS", "3"));
    let caller = Caller::new();
    let cookie = caller.ready_session(&cluster).await;
    let url = cluster.url(0);
    bangui_testkit::process::signal(cluster.pid(0).unwrap(), "TERM").unwrap();

    // Not ready at once (the load balancer's cue), while it still serves everything else.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    let draining = loop {
        let ready = caller.get(&url, "/health/ready", None).await;
        if ready.status.as_u16() == 503 {
            break ready;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "still ready: {}",
            ready.body
        );
        tokio::task::yield_now().await;
    };
    assert_eq!(draining.code(), "not_ready");
    assert_eq!(
        draining.body["details"]["draining"], true,
        "{}",
        draining.body
    );
    let served = caller.get(&url, "/auth/session", Some(&cookie)).await;
    assert_eq!(served.status.as_u16(), 200, "{}", served.body);
    assert_eq!(
        caller.get(&url, "/health/live", None).await.status.as_u16(),
        200
    );
    // The other worker is unaffected.
    assert_eq!(
        caller
            .get(&cluster.url(1), "/health/ready", None)
            .await
            .status
            .as_u16(),
        200
    );

    // Then it drains and exits by itself, well within its grace period.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while cluster.is_running(0) {
        assert!(std::time::Instant::now() < deadline, "still running");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let log = cluster.log(0);
    for step in [
        "SIGTERM: shutting down",
        "not ready; serving on before draining",
        "draining: finishing in-flight requests",
        "stopped",
    ] {
        assert!(log.contains(step), "no {step:?} in\n{log}");
    }
    cluster.terminate(0).unwrap();
}

#[tokio::test]
async fn the_healthcheck_command_exits_0_only_for_a_ready_worker() {
    let mut cluster = cluster(ClusterOptions::workers(1));
    let listen = cluster.url(0).trim_start_matches("http://").to_owned();
    let healthcheck = |listen: &str, extra: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_bangui"))
            .args(["healthcheck", "--listen", listen, "--timeout", "2"])
            .args(extra)
            .output()
            .unwrap()
    };
    let ready = healthcheck(&listen, &[]);
    assert!(
        ready.status.success(),
        "{}",
        String::from_utf8_lossy(&ready.stderr)
    );
    assert!(healthcheck(&listen, &["--live"]).status.success());
    // `0.0.0.0:<port>` (the image's BANGUI_LISTEN) is asked on loopback.
    let port = listen.rsplit(':').next().unwrap();
    assert!(
        healthcheck(&format!("0.0.0.0:{port}"), &[])
            .status
            .success()
    );
    cluster.terminate(0).unwrap();
    let gone = healthcheck(&listen, &[]);
    assert_eq!(gone.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&gone.stderr).contains("/api/v1/health/ready"));
}
