//! The real components bangui runs against in tests and in `make run`.
//!
//! Every server starts on a free loopback port (or a private socket path) with its own
//! directory, so any number of test binaries can run side by side. No mocks: Debian's
//! `redis-server`, PostgreSQL 15 from `/usr/lib/postgresql/15/bin`, and `fail2ban-server` on a
//! sandbox configuration whose only action writes to a file.
//!
//! Servers run under a small shell supervisor ([`process::Supervised`]) that stops them when
//! the process that started them goes away for whatever reason, `kill -9` included, so a
//! crashed test run leaves nothing behind.
//!
//! * [`Redis`], [`Postgres`]: start one; [`shared_redis`] / [`shared_postgres`] give every test
//!   of a process the same one (the one `bangui-stack exec` started, if any).
//! * [`Fail2ban`]: a sandboxed server, one per test, since jails are global state.
//! * [`cluster::Cluster`]: N real `bangui serve` workers sharing one Redis and PostgreSQL.
//! * [`demo`]: the attack simulator of `make run`.
#![forbid(unsafe_code)]

pub mod cluster;
pub mod demo;
pub mod fail2ban;
pub mod list_server;
pub mod load_balancer;
pub mod net;
pub mod postgres;
pub mod process;
pub mod redis;

use std::sync::OnceLock;

pub use fail2ban::{Fail2ban, Layout};
pub use list_server::{ListServer, Received};
pub use postgres::Postgres;
pub use redis::Redis;

/// Set by `bangui-stack exec` for the processes it runs.
pub const REDIS_URL_ENV: &str = "BANGUI_TEST_REDIS_URL";
/// Set by `bangui-stack exec`: an admin URL of the shared PostgreSQL (database `postgres`).
pub const DATABASE_URL_ENV: &str = "BANGUI_TEST_DATABASE_URL";

/// Where a shared server can be reached.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub url: String,
}

/// The Redis every test of this process shares: `$BANGUI_TEST_REDIS_URL`, or one started on
/// first use and stopped when the process exits. Tests isolate themselves by key prefix.
pub fn shared_redis() -> &'static Endpoint {
    static SHARED: OnceLock<(Endpoint, Option<Redis>)> = OnceLock::new();
    &SHARED
        .get_or_init(|| match std::env::var(REDIS_URL_ENV) {
            Ok(url) => (Endpoint { url }, None),
            Err(_) => {
                let redis = Redis::start()
                    .unwrap_or_else(|e| panic!("starting Redis for the tests: {e:#}"));
                (Endpoint { url: redis.url() }, Some(redis))
            }
        })
        .0
}

/// The PostgreSQL every test of this process shares: `$BANGUI_TEST_DATABASE_URL`, or one
/// started on first use. The URL names the `postgres` database; tests create their own.
pub fn shared_postgres() -> &'static Endpoint {
    static SHARED: OnceLock<(Endpoint, Option<Postgres>)> = OnceLock::new();
    &SHARED
        .get_or_init(|| match std::env::var(DATABASE_URL_ENV) {
            Ok(url) => (Endpoint { url }, None),
            Err(_) => {
                let pg = Postgres::start()
                    .unwrap_or_else(|e| panic!("starting PostgreSQL for the tests: {e:#}"));
                (
                    Endpoint {
                        url: pg.url("postgres"),
                    },
                    Some(pg),
                )
            }
        })
        .0
}

/// The real country database `make deps` fetches (`.cache/geoip/` of the checkout), or
/// `$BANGUI_GEOIP_DB_PATH`.
pub fn geoip_db() -> std::path::PathBuf {
    let path = std::env::var_os("BANGUI_GEOIP_DB_PATH")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../.cache/geoip/geo-whois-asn-country.mmdb")
        });
    assert!(
        path.is_file(),
        "no country database at {} (make deps fetches it)",
        path.display()
    );
    path
}

/// Polls `check` until it returns `Some`, or fails after `timeout` with `what` in the message.
/// The readiness loop every start-up here uses; tests use it to wait for fail2ban to act.
pub fn wait_for<T>(
    what: &str,
    timeout: std::time::Duration,
    mut check: impl FnMut() -> Option<T>,
) -> anyhow::Result<T> {
    let deadline = std::time::Instant::now() + timeout;
    let mut pause = std::time::Duration::from_millis(5);
    loop {
        if let Some(value) = check() {
            return Ok(value);
        }
        if std::time::Instant::now() >= deadline {
            anyhow::bail!("timed out after {timeout:?} waiting for {what}");
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(std::time::Duration::from_millis(100));
    }
}
