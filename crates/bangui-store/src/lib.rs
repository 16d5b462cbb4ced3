//! bangui's shared state, so that workers hold none.
//!
//! * [`RedisStore`]: short-lived state every worker must see at once: sessions ([`sessions`]),
//!   rate limits ([`rate_limit`]), the fail2ban runtime snapshot ([`runtime_state`]) and locks
//!   ([`locks`]), cached ban lists ([`banlist`]) and live events ([`events`]). Every key lives
//!   under one configurable prefix.
//! * [`Database`]: durable data in PostgreSQL, schema in the top-level `migrations/`:
//!   setup and settings ([`setup`]), the audit trail ([`audit`]).
//!
//! Both report an unreachable server as [`StoreError::StateStoreUnavailable`] /
//! [`StoreError::DatabaseUnavailable`]; pools reconnect by themselves when it returns.
#![forbid(unsafe_code)]

pub mod aggregate_cache;
pub mod analytics;
pub mod audit;
pub mod banlist;
pub mod blocklists;
pub mod config_revisions;
mod database;
mod error;
pub mod events;
pub mod gate;
pub mod geo;
pub mod history;
pub mod jobs;
pub mod locks;
pub mod rate_limit;
mod redis_store;
pub mod runtime_state;
pub mod sessions;
pub mod setup;

pub use database::Database;
pub use error::StoreError;
pub use redis_store::RedisStore;

/// Describes this crate's metrics (HELP and unit) to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_histogram!(
        "bangui_redis_command_duration_seconds",
        metrics::Unit::Seconds,
        "Time of one Redis operation, retries included, by operation"
    );
    metrics::describe_gauge!(
        "bangui_redis_commands_in_flight",
        "Redis operations under way on this process's one (multiplexed) Redis connection"
    );
    metrics::describe_counter!(
        "bangui_store_errors_total",
        "Failed Redis and PostgreSQL operations, by store and kind (unavailable or other)"
    );
    metrics::describe_gauge!(
        "bangui_postgres_pool_connections",
        "This process's PostgreSQL connections, by state (idle or busy)"
    );
    metrics::describe_gauge!(
        "bangui_postgres_pool_max_connections",
        "The most PostgreSQL connections this process opens"
    );
    metrics::gauge!("bangui_redis_commands_in_flight").set(0.0);
    for store in ["redis", "postgres"] {
        for kind in ["unavailable", "other"] {
            metrics::counter!("bangui_store_errors_total", "store" => store, "kind" => kind)
                .absolute(0);
        }
    }
}

/// Addresses and networks as PostgreSQL `inet` values.
fn inets(ips: &[bangui_core::Network]) -> Vec<ipnetwork::IpNetwork> {
    ips.iter().map(|n| n.net()).collect()
}

/// Milliseconds since the Unix epoch, the time unit of everything stored here.
pub fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
