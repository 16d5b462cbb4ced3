//! The fail2ban runtime state every worker serves and changes.
//!
//! fail2ban answers one command at a time, and its answers for big jails are expensive, so
//! workers read what fail2ban looks like from Redis ([`status`], [`banlists`]) and only the one
//! worker that wins a lock asks fail2ban when that is stale. Every change made through bangui
//! ([`operations`]) updates that shared state before it returns, so the next answer of any
//! worker shows it, and is announced as a live event ([`events`]).
#![forbid(unsafe_code)]

pub mod banlists;
pub mod events;
pub mod geo;
pub mod operations;
mod reload;
pub mod status;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use bangui_fail2ban::Client;
use bangui_store::{RedisStore, StoreError};

pub use banlists::CachedBanList;
pub use events::EventHub;
pub use status::ServedStatus;

/// How a worker talks to fail2ban and how fresh the shared state must be.
#[derive(Debug, Clone)]
pub struct RuntimeSettings {
    /// A status snapshot older than this is refreshed on the next request.
    pub status_max_age: Duration,
    /// fail2ban's configuration directory, for `fail2ban-client -c … reload`.
    pub config_dir: PathBuf,
    /// The `fail2ban-client` program.
    pub fail2ban_client: PathBuf,
    /// Longest a reload may take.
    pub reload_timeout: Duration,
    /// Country database (`.mmdb`); `None`: countries unknown.
    pub geoip_db: Option<PathBuf>,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            status_max_age: Duration::from_secs(5),
            config_dir: PathBuf::from("/etc/fail2ban"),
            fail2ban_client: PathBuf::from("fail2ban-client"),
            reload_timeout: Duration::from_secs(60),
            geoip_db: None,
        }
    }
}

/// Why a runtime operation failed.
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    #[error(transparent)]
    Fail2ban(#[from] bangui_fail2ban::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// `fail2ban-client reload` failed; its output says why.
    #[error("fail2ban-client reload failed: {0}")]
    Reload(String),
    /// A jail that is neither running nor startable from the configuration.
    #[error("no jail named {0:?}")]
    JailNotFound(String),
}

/// The runtime of one worker: shared state in Redis, a fail2ban client, and the worker's copies
/// of big cached lists. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    redis: RedisStore,
    fail2ban: Client,
    settings: RuntimeSettings,
    ban_lists: banlists::LocalCache,
    events: EventHub,
    geo: geo::GeoDb,
}

impl Runtime {
    pub fn new(redis: RedisStore, fail2ban: Client, settings: RuntimeSettings) -> Self {
        let events = EventHub::new(redis.clone());
        let geo = geo::GeoDb::new(settings.geoip_db.clone());
        Self(Arc::new(Inner {
            redis,
            fail2ban,
            settings,
            ban_lists: banlists::LocalCache::default(),
            events,
            geo,
        }))
    }

    pub fn redis(&self) -> &RedisStore {
        &self.0.redis
    }

    pub fn fail2ban(&self) -> &Client {
        &self.0.fail2ban
    }

    pub fn settings(&self) -> &RuntimeSettings {
        &self.0.settings
    }

    /// The country database.
    pub fn geo(&self) -> &geo::GeoDb {
        &self.0.geo
    }

    /// Live events of all workers.
    pub fn events(&self) -> &EventHub {
        &self.0.events
    }
}
