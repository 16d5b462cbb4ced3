//! Configuration of `bangui serve` and `bangui migrate`: `BANGUI_*` environment variables, or
//! flags of the same name.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use bangui_http::HttpSettings;
use bangui_store::rate_limit::RateLimit;
use clap::ArgAction;
use ipnetwork::IpNetwork;

/// Where bangui keeps its state.
#[derive(Debug, clap::Args)]
pub struct StoreArgs {
    /// PostgreSQL URL (postgres://user:password@host:port/database).
    #[arg(long, env = "BANGUI_DATABASE_URL", hide_env_values = true)]
    pub database_url: String,
    /// Largest number of PostgreSQL connections of this worker.
    #[arg(long, env = "BANGUI_DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub database_max_connections: u32,
}

/// Run the HTTP API: one stateless worker.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BANGUI_LISTEN", default_value = "0.0.0.0:8000")]
    pub listen: SocketAddr,
    #[command(flatten)]
    pub store: StoreArgs,
    /// Redis URL (redis://[:password@]host:port[/db]).
    #[arg(long, env = "BANGUI_REDIS_URL", hide_env_values = true)]
    pub redis_url: String,
    /// Prefix of every Redis key, so that several installations can share one Redis.
    #[arg(long, env = "BANGUI_REDIS_PREFIX", default_value = "bangui")]
    pub redis_prefix: String,
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
    /// Country database (.mmdb) for geolocation.
    #[arg(long, env = "BANGUI_GEOIP_DB_PATH")]
    pub geoip_db_path: Option<PathBuf>,
    /// Session length offered at setup when none is chosen there.
    #[arg(long, env = "BANGUI_SESSION_DURATION_MINUTES", default_value_t = 60)]
    pub session_duration_minutes: u32,
    /// Secure flag of the session cookie; turn off only for plain-HTTP development.
    #[arg(long, env = "BANGUI_SESSION_COOKIE_SECURE", default_value_t = true, action = ArgAction::Set)]
    pub session_cookie_secure: bool,
    /// Comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed.
    #[arg(long, env = "BANGUI_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: String,
    /// Login attempts per client address and minute, across all workers.
    #[arg(long, env = "BANGUI_LOGIN_ATTEMPTS_PER_MINUTE", default_value_t = 5)]
    pub login_attempts_per_minute: u32,
    /// API requests per client address and minute, across all workers.
    #[arg(long, env = "BANGUI_API_REQUESTS_PER_MINUTE", default_value_t = 600)]
    pub api_requests_per_minute: u32,
    /// Age in seconds after which the shared fail2ban status is refreshed.
    #[arg(long, env = "BANGUI_STATUS_MAX_AGE_SECONDS", default_value_t = 5)]
    pub status_max_age_seconds: u64,
    /// Seconds in-flight requests get to finish after SIGTERM.
    #[arg(long, env = "BANGUI_SHUTDOWN_TIMEOUT_SECONDS", default_value_t = 25)]
    pub shutdown_timeout_seconds: u64,
    /// Seconds a Redis or PostgreSQL operation may take before the request gets a 503.
    #[arg(long, env = "BANGUI_STORE_TIMEOUT_SECONDS", default_value_t = 2)]
    pub store_timeout_seconds: u64,
    /// The fail2ban-client program, which reloads run (it reads the configuration directory).
    #[arg(
        long,
        env = "BANGUI_FAIL2BAN_CLIENT",
        default_value = "fail2ban-client"
    )]
    pub fail2ban_client: PathBuf,
    /// Apply the PostgreSQL migrations before serving (instead of a separate `bangui migrate`).
    #[arg(long, env = "BANGUI_MIGRATE_ON_START", default_value_t = false, action = ArgAction::Set)]
    pub migrate: bool,
}

impl ServeArgs {
    pub fn runtime_settings(&self) -> bangui_runtime::RuntimeSettings {
        bangui_runtime::RuntimeSettings {
            status_max_age: Duration::from_secs(self.status_max_age_seconds),
            config_dir: self.fail2ban_config_dir.clone(),
            fail2ban_client: self.fail2ban_client.clone(),
            ..bangui_runtime::RuntimeSettings::default()
        }
    }

    pub fn http_settings(&self) -> anyhow::Result<HttpSettings> {
        let trusted_proxies = self
            .trusted_proxies
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNetwork>()
                    .map_err(|e| anyhow::anyhow!("BANGUI_TRUSTED_PROXIES: {s:?}: {e}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(HttpSettings {
            cookie_secure: self.session_cookie_secure,
            trusted_proxies,
            login_limit: RateLimit::per(self.login_attempts_per_minute, Duration::from_secs(60)),
            api_limit: RateLimit::per(self.api_requests_per_minute, Duration::from_secs(60)),
            default_session_minutes: self.session_duration_minutes,
            ..HttpSettings::default()
        })
    }
}

/// Apply the PostgreSQL migrations, waiting for the database to come up.
#[derive(Debug, clap::Args)]
pub struct MigrateArgs {
    #[command(flatten)]
    pub store: StoreArgs,
    /// How long to wait for PostgreSQL to accept connections.
    #[arg(long, default_value_t = 60)]
    pub wait_seconds: u64,
}
