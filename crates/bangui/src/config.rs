//! Configuration of `bangui serve`, `bangui worker` and `bangui migrate`: `BANGUI_*`
//! environment variables, or flags of the same name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use bangui_core::SessionMinutes;
use bangui_http::HttpSettings;
use bangui_store::rate_limit::RateLimit;
use bangui_store::{Database, RedisStore};
use clap::ArgAction;
use ipnetwork::IpNetwork;

/// bangui's own PostgreSQL.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// PostgreSQL URL (postgres://user:password@host:port/database).
    #[arg(long, env = "BANGUI_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Largest number of PostgreSQL connections of this process.
    #[arg(long, env = "BANGUI_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
}

impl StoreArgs {
    pub fn connect(&self) -> anyhow::Result<Database> {
        Database::connect_lazy(
            &self.database_url,
            Duration::from_secs(3),
            self.database_max_connections,
        )
        .context("BANGUI_DATABASE_URL")
    }
}

/// The shared Redis.
#[derive(Debug, clap::Args)]
pub struct RedisArgs {
    /// Redis URL (redis://[:password@]host:port[/db]).
    #[arg(long, env = "BANGUI_REDIS_URL", hide_env_values = true)]
    pub redis_url: String,
    /// Prefix of every Redis key, so that several installations can share one Redis.
    #[arg(long, env = "BANGUI_REDIS_PREFIX", default_value = "bangui")]
    pub redis_prefix: String,
    /// Seconds a Redis or PostgreSQL operation may take before the request gets a 503.
    #[arg(long, env = "BANGUI_STORE_TIMEOUT_SECONDS", default_value_t = 2)]
    pub store_timeout_seconds: u64,
}

impl RedisArgs {
    pub fn connect(&self) -> anyhow::Result<RedisStore> {
        RedisStore::new(
            &self.redis_url,
            &self.redis_prefix,
            Duration::from_secs(self.store_timeout_seconds),
        )
        .context("BANGUI_REDIS_URL")
    }
}

/// The fail2ban this installation manages.
#[derive(Debug, clap::Args)]
pub struct Fail2banArgs {
    /// fail2ban's control socket.
    #[arg(long, env = "BANGUI_FAIL2BAN_SOCKET", default_value = bangui_fail2ban::DEFAULT_SOCKET)]
    pub fail2ban_socket: PathBuf,
    /// fail2ban's configuration directory.
    #[arg(
        long,
        env = "BANGUI_FAIL2BAN_CONFIG_DIR",
        default_value = "/etc/fail2ban"
    )]
    pub fail2ban_config_dir: PathBuf,
    /// fail2ban's SQLite database (default: asked from fail2ban).
    #[arg(long, env = "BANGUI_FAIL2BAN_DB")]
    pub fail2ban_db: Option<PathBuf>,
    /// The fail2ban-client program, which reloads run (it reads the configuration directory).
    #[arg(
        long,
        env = "BANGUI_FAIL2BAN_CLIENT",
        default_value = "fail2ban-client"
    )]
    pub fail2ban_client: PathBuf,
    /// Age in seconds after which the shared fail2ban status is refreshed on request.
    #[arg(long, env = "BANGUI_STATUS_MAX_AGE_SECONDS", default_value_t = 5)]
    pub status_max_age_seconds: u64,
    /// Country database (.mmdb, GeoLite2 or ip-location-db layout); reloaded when it changes.
    #[arg(long, env = "BANGUI_GEOIP_DB_PATH")]
    pub geoip_db_path: Option<PathBuf>,
    /// Longest a `fail2ban-client reload` may take, in seconds.
    #[arg(
        long,
        env = "BANGUI_FAIL2BAN_RELOAD_TIMEOUT_SECONDS",
        default_value_t = 60
    )]
    pub fail2ban_reload_timeout_seconds: u64,
    /// The directory fail2ban's own log file must be in for bangui to show it (and for a log
    /// target set through bangui).
    #[arg(long, env = "BANGUI_FAIL2BAN_LOG_DIR", default_value = "/var/log")]
    pub fail2ban_log_dir: PathBuf,
    /// Let bangui's file editor change the commands fail2ban runs (files of action.d,
    /// `ignorecommand`, arguments pasted into actions). Off: anyone who can log in to bangui
    /// could otherwise make fail2ban (root) run a program.
    #[arg(long, env = "BANGUI_CONFIG_ALLOW_COMMANDS", default_value_t = false)]
    pub config_allow_commands: bool,
    /// Comma-separated CIDRs of reverse proxies and load balancers: their X-Forwarded-For is
    /// believed, and no ban (by hand or from a blocklist) may cover them.
    #[arg(long, env = "BANGUI_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// The shortest prefix of an IPv4 network bangui bans (by hand or from a blocklist).
    #[arg(long, env = "BANGUI_BAN_BROADEST_IPV4_PREFIX", default_value_t = 8,
          value_parser = clap::value_parser!(u8).range(0..=32))]
    pub ban_broadest_ipv4_prefix: u8,
    /// The shortest prefix of an IPv6 network bangui bans (by hand or from a blocklist).
    #[arg(long, env = "BANGUI_BAN_BROADEST_IPV6_PREFIX", default_value_t = 32,
          value_parser = clap::value_parser!(u8).range(0..=128))]
    pub ban_broadest_ipv6_prefix: u8,
}

impl Fail2banArgs {
    pub fn trusted_proxies(&self) -> anyhow::Result<Vec<IpNetwork>> {
        self.trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNetwork>()
                    .map_err(|e| anyhow::anyhow!("BANGUI_TRUSTED_PROXIES: {s:?}: {e}"))
            })
            .collect()
    }

    /// The runtime: fail2ban, the shared state about it and bangui's own data, handing its
    /// follow-up work to `queue`.
    pub fn runtime(
        &self,
        redis: RedisStore,
        db: Database,
        queue: bangui_jobs::JobQueue,
    ) -> anyhow::Result<bangui_runtime::Runtime> {
        // A user request never waits long for fail2ban: status comes from the shared snapshot.
        let client = bangui_fail2ban::Client::builder(&self.fail2ban_socket)
            .timeout(Duration::from_secs(5))
            .down_grace(Duration::from_millis(500))
            .build();
        let settings = bangui_runtime::RuntimeSettings {
            status_max_age: Duration::from_secs(self.status_max_age_seconds),
            config_dir: self.fail2ban_config_dir.clone(),
            fail2ban_client: self.fail2ban_client.clone(),
            geoip_db: self.geoip_db_path.clone(),
            fail2ban_db: self.fail2ban_db.clone(),
            log_dir: self.fail2ban_log_dir.clone(),
            allow_commands: self.config_allow_commands,
            reload_timeout: Duration::from_secs(self.fail2ban_reload_timeout_seconds.max(1)),
            ban_policy: bangui_runtime::lockout::BanPolicy {
                trusted: self.trusted_proxies()?,
                broadest_v4: self.ban_broadest_ipv4_prefix,
                broadest_v6: self.ban_broadest_ipv6_prefix,
            },
        };
        Ok(bangui_runtime::Runtime::new(
            redis,
            db,
            client,
            settings,
            std::sync::Arc::new(queue),
        ))
    }
}

/// How this process takes part in background jobs.
#[derive(Debug, Clone, clap::Args)]
pub struct JobArgs {
    /// Seconds between two health probes (fail2ban status refresh); must divide a minute.
    #[arg(long, env = "BANGUI_HEALTH_PROBE_SECONDS", default_value_t = 10)]
    pub health_probe_seconds: u64,
    /// Seconds between job-worker heartbeats; a worker silent for three is taken for dead and
    /// its jobs run elsewhere.
    #[arg(long, env = "BANGUI_JOB_HEARTBEAT_SECONDS", default_value_t = 10)]
    pub job_heartbeat_seconds: u64,
    /// Allow blocklist URLs on loopback and private addresses (tests and labs only: otherwise a
    /// blocklist URL could reach internal services).
    #[arg(long, env = "BANGUI_BLOCKLIST_ALLOW_PRIVATE", default_value_t = false, action = ArgAction::Set)]
    pub blocklist_allow_private: bool,
    /// Largest blocklist accepted, in bytes (downloaded, and after gzip).
    #[arg(long, env = "BANGUI_BLOCKLIST_MAX_BYTES", default_value_t = 32 << 20)]
    pub blocklist_max_bytes: u64,
    /// Seconds between two copies of fail2ban's database into the ban archive.
    #[arg(long, env = "BANGUI_HISTORY_SYNC_SECONDS", default_value_t = 300)]
    pub history_sync_seconds: u64,
    /// Archived bans are kept this many days.
    #[arg(long, env = "BANGUI_HISTORY_RETENTION_DAYS", default_value_t = 365)]
    pub history_retention_days: u32,
    /// Seconds before a failed job's second attempt (three times as long before the third).
    #[arg(long, env = "BANGUI_JOB_RETRY_SECONDS", default_value_t = 10)]
    pub job_retry_seconds: u64,
}

impl JobArgs {
    /// What jobs work with.
    pub fn context(
        &self,
        runtime: bangui_runtime::Runtime,
        queue: bangui_jobs::JobQueue,
    ) -> bangui_jobs::JobContext {
        bangui_jobs::JobContext {
            runtime,
            queue,
            fetch: self.fetch_settings(),
            history_retention_days: self.history_retention_days,
        }
    }

    pub fn fetch_settings(&self) -> bangui_blocklist::FetchSettings {
        bangui_blocklist::FetchSettings {
            max_bytes: self.blocklist_max_bytes,
            allow_private: self.blocklist_allow_private,
            ..bangui_blocklist::FetchSettings::default()
        }
    }

    pub fn settings(&self, shutdown_timeout: Duration) -> bangui_jobs::JobSettings {
        bangui_jobs::JobSettings {
            health_probe_every: Duration::from_secs(self.health_probe_seconds),
            history_sync_every: Duration::from_secs(self.history_sync_seconds),
            heartbeat: Duration::from_secs(self.job_heartbeat_seconds.max(1)),
            shutdown_timeout,
            retry_after: Duration::from_secs(self.job_retry_seconds),
        }
    }
}

/// Run the HTTP API: one stateless worker.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BANGUI_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,
    /// Serve /metrics on this address instead of on the main listener (which then answers
    /// it with 404), so that it can stay inside the cluster.
    #[arg(long, env = "BANGUI_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub fail2ban: Fail2banArgs,
    /// Session length offered at setup when none is chosen there (1 to 525600).
    #[arg(long, env = "BANGUI_SESSION_DURATION_MINUTES", default_value_t = 60)]
    pub session_duration_minutes: u32,
    /// Secure flag of the session cookie; turn off only for plain-HTTP development.
    #[arg(long, env = "BANGUI_SESSION_COOKIE_SECURE", default_value_t = true, action = ArgAction::Set)]
    pub session_cookie_secure: bool,
    /// Login attempts per client address and minute, across all workers.
    #[arg(long, env = "BANGUI_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 5)]
    pub login_attempts_per_minute: u32,
    /// API requests per client address and minute, across all workers.
    #[arg(long, env = "BANGUI_API_REQUESTS_PER_MINUTE", default_value_t = 600)]
    pub api_requests_per_minute: u32,
    /// Seconds in-flight requests (and running jobs) get to finish after SIGTERM.
    #[arg(long, env = "BANGUI_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 25)]
    pub shutdown_timeout_seconds: u64,
    /// Seconds the worker keeps serving after SIGTERM while `/health/ready` answers 503, so
    /// that load balancers and Kubernetes stop sending it requests before it drains.
    #[arg(long, env = "BANGUI_SHUTDOWN_DELAY_SECONDS", default_value_t = 5)]
    pub shutdown_delay_seconds: u64,
    /// Also run the background job workers in this process (small installations).
    #[arg(long, env = "BANGUI_SERVE_JOBS", default_value_t = false, action = ArgAction::Set,
          num_args = 0..=1, default_missing_value = "true")]
    pub jobs: bool,
    #[command(flatten)]
    pub job_args: JobArgs,
    /// Apply the PostgreSQL migrations before serving (instead of a separate `bangui migrate`).
    #[arg(long, env = "BANGUI_MIGRATE_ON_START", default_value_t = false, action = ArgAction::Set)]
    pub migrate: bool,
}

impl ServeArgs {
    pub fn http_settings(&self) -> anyhow::Result<HttpSettings> {
        let trusted_proxies = self.fail2ban.trusted_proxies()?;
        Ok(HttpSettings {
            cookie_secure: self.session_cookie_secure,
            trusted_proxies,
            login_limit: RateLimit::per(self.login_attempts_per_minute, Duration::from_secs(60)),
            api_limit: RateLimit::per(self.api_requests_per_minute, Duration::from_secs(60)),
            default_session_minutes: SessionMinutes::new(self.session_duration_minutes)
                .map_err(|e| anyhow::anyhow!("BANGUI_SESSION_DURATION_MINUTES: {e}"))?,
            blocklist_fetch: self.job_args.fetch_settings(),
            ..HttpSettings::default()
        })
    }
}

/// Run the background job workers only (no HTTP).
#[derive(Debug, clap::Args)]
pub struct WorkerArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub redis: RedisArgs,
    #[command(flatten)]
    pub fail2ban: Fail2banArgs,
    #[command(flatten)]
    pub jobs: JobArgs,
    /// Seconds running jobs get to finish after SIGTERM.
    #[arg(long, env = "BANGUI_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 25)]
    pub shutdown_timeout_seconds: u64,
    /// Serve this process's metrics (its jobs, the cluster's queue, the process) on
    /// this address, at /metrics.
    #[arg(long, env = "BANGUI_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

/// Apply the PostgreSQL migrations (bangui's and the job queue's), waiting for the database to
/// come up.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// How long to wait for PostgreSQL to accept connections.
    #[arg(long, default_value_t = 60)]
    pub wait_seconds: u64,
}
