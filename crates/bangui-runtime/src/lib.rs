//! The fail2ban runtime every worker serves and changes, and the operations on it.
//!
//! fail2ban answers one command at a time, and its answers for big jails are expensive, so
//! workers read what fail2ban looks like from Redis ([`status`], [`banlists`]) and only the one
//! worker that wins a lock asks fail2ban when that is stale. Every change made through bangui
//! ([`jails`], [`bans`], [`blocklist`]) is one operation here, called alike by HTTP handlers and
//! jobs: it updates that shared state before it returns, so the next answer of any worker shows
//! it, keeps the ban archive ([`archive`]) whole, hands follow-up work to the job queue
//! ([`Followups`]) and is announced as a live event ([`events`]).
#![forbid(unsafe_code)]

pub mod activation;
mod aggregates;
pub mod analytics;
pub mod archive;
pub mod banlists;
pub mod bans;
pub mod blocklist;
pub mod config;
pub mod config_files;
pub mod events;
pub mod filter_test;
pub mod geo;
pub mod jails;
pub mod library;
pub mod lockout;
mod reload;
pub mod server;
pub mod status;
pub mod validation;

use std::fmt;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use bangui_core::Network;
use bangui_fail2ban::{Client, Error as F2bError, ServerError};
use bangui_store::{Database, RedisStore, StoreError};

pub use archive::ArchiveError;
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
    /// fail2ban's SQLite file, which the ban archive reads; `None`: asked from fail2ban.
    pub fail2ban_db: Option<PathBuf>,
    /// The directory fail2ban's log file must be in for bangui to show it or to point
    /// fail2ban's log target at it.
    pub log_dir: PathBuf,
    /// Whether raw writes may change the commands fail2ban runs (action files,
    /// `ignorecommand`, action arguments); off unless the operator allows it.
    pub allow_commands: bool,
    /// What no ban may cover (trusted proxies, the broadest network).
    pub ban_policy: lockout::BanPolicy,
}

impl Default for RuntimeSettings {
    fn default() -> Self {
        Self {
            status_max_age: Duration::from_secs(5),
            config_dir: PathBuf::from("/etc/fail2ban"),
            fail2ban_client: PathBuf::from("fail2ban-client"),
            reload_timeout: Duration::from_secs(60),
            geoip_db: None,
            fail2ban_db: None,
            log_dir: PathBuf::from("/var/log"),
            allow_commands: false,
            ban_policy: lockout::BanPolicy::default(),
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
    /// fail2ban's configuration files cannot be read (missing, unreadable, or a file fail2ban
    /// would refuse too); the message names the file and line.
    #[error("fail2ban's configuration cannot be read: {0}")]
    Config(String),
}

impl RuntimeError {
    /// Whether trying again later may succeed: fail2ban, Redis or PostgreSQL could not be
    /// reached. Anything else (an unknown jail, a refused command) fails the same way again.
    pub fn is_transient(&self) -> bool {
        match self {
            Self::Fail2ban(e) => e.is_unavailable(),
            Self::Store(e) => e.is_unavailable(),
            Self::Reload(_) | Self::JailNotFound(_) | Self::Config(_) => false,
        }
    }
}

/// fail2ban's "unknown jail" as the runtime says it.
pub(crate) fn unknown_jail(e: F2bError, jail: &bangui_core::JailName) -> RuntimeError {
    match e {
        F2bError::Server(ServerError::UnknownJail(_)) => {
            RuntimeError::JailNotFound(jail.to_string())
        }
        other => other.into(),
    }
}

/// Addresses whose countries are wanted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Countries {
    /// These addresses and networks.
    Of(Vec<Network>),
    /// What a blocklist source banned that has no country yet.
    MembersOf(i64),
}

/// Work an operation leaves to the job queue rather than do while its caller waits. The job
/// crate implements it; the runtime cannot depend on the crate whose jobs call it.
pub trait Followups: Send + Sync + fmt::Debug {
    /// Looks up the countries of `what` in the background. Best effort: a failure to enqueue
    /// is logged, and the addresses get their country when they are banned again.
    fn resolve_countries(&self, what: Countries) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// The runtime of one worker: fail2ban, the shared state about it in Redis, bangui's own data
/// in PostgreSQL, and the worker's copies of big cached lists. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Runtime(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    redis: RedisStore,
    db: Database,
    fail2ban: Client,
    settings: RuntimeSettings,
    ban_lists: banlists::LocalCache,
    events: EventHub,
    geo: geo::GeoDb,
    time_zone: analytics::SetupZone,
    followups: Arc<dyn Followups>,
}

impl Runtime {
    pub fn new(
        redis: RedisStore,
        db: Database,
        fail2ban: Client,
        settings: RuntimeSettings,
        followups: Arc<dyn Followups>,
    ) -> Self {
        let events = EventHub::new(redis.clone());
        let geo = geo::GeoDb::new(settings.geoip_db.clone());
        Self(Arc::new(Inner {
            redis,
            db,
            fail2ban,
            settings,
            ban_lists: banlists::LocalCache::default(),
            events,
            geo,
            time_zone: analytics::SetupZone::default(),
            followups,
        }))
    }

    pub fn redis(&self) -> &RedisStore {
        &self.0.redis
    }

    pub fn db(&self) -> &Database {
        &self.0.db
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

    pub(crate) fn followups(&self) -> &dyn Followups {
        self.0.followups.as_ref()
    }
}
