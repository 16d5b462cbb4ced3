//! What the benchmarks share.

#![allow(dead_code)] // each benchmark uses its own part of it

use std::path::Path;

pub mod archive;

use bangui_testkit::cluster::{Cluster, ClusterOptions};
use bangui_testkit::{Layout, Postgres, Redis};

/// A benchmark's own Redis, PostgreSQL and `bangui serve` workers (release build) on them,
/// with no API rate limit and warnings-only logs. Dropped in field order: the worker first.
pub struct Stack {
    pub cluster: Cluster,
    pub redis: Redis,
    pub postgres: Postgres,
}

/// Starts a [`Stack`] with `fail2ban` (or none) and the benchmark's own `env` settings.
pub fn stack(fail2ban: Option<Layout>, env: &[(&str, &str)]) -> Stack {
    stack_of(1, fail2ban, env)
}

/// [`stack`] with `workers` workers.
pub fn stack_of(workers: usize, fail2ban: Option<Layout>, env: &[(&str, &str)]) -> Stack {
    let redis = Redis::start().unwrap();
    let postgres = Postgres::start().unwrap();
    let mut options = ClusterOptions::workers(workers)
        .env("BANGUI_API_REQUESTS_PER_MINUTE", "1000000000")
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        options = options.env(k, v);
    }
    options.fail2ban = fail2ban;
    options.redis_url = Some(redis.url());
    options.postgres_admin_url = Some(postgres.url("postgres"));
    let cluster = Cluster::start(Path::new(env!("CARGO_BIN_EXE_bangui")), options).unwrap();
    Stack {
        cluster,
        redis,
        postgres,
    }
}

/// Sets bangui up through `base` and logs in; returns the session cookie.
pub async fn session(http: &reqwest::Client, base: &str) -> String {
    let setup = http
        .post(format!("{base}/api/v1/setup"))
        .json(&serde_json::json!({ "master_password": "Str0ng!pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(setup.status(), 201);
    let login = http
        .post(format!("{base}/api/v1/auth/login"))
        .json(&serde_json::json!({ "password": "Str0ng!pass" }))
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

/// `GET url` with the session cookie; the JSON answer.
pub async fn get_json(http: &reqwest::Client, url: &str, cookie: &str) -> serde_json::Value {
    http.get(url)
        .header("cookie", cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Bans `n` addresses (10.0.0.0 on) in the `bulk` jail of `Layout::Bench`, straight through
/// fail2ban's socket, in one command; returns the client it used.
pub async fn ban_bulk(cluster: &Cluster, n: u32) -> bangui_fail2ban::Client {
    let f2b = cluster.fail2ban.as_ref().unwrap();
    let client = bangui_fail2ban::Client::builder(f2b.socket())
        .timeout(std::time::Duration::from_secs(60))
        .build();
    let ips: Vec<std::net::IpAddr> = (0..n)
        .map(|i| std::net::IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]))
        .collect();
    let bulk = bangui_core::JailName::parse("bulk").unwrap();
    assert_eq!(client.ban(&bulk, &ips).await.unwrap(), u64::from(n));
    client
}
