//! [`RedisStore`]: the Redis connection every worker shares state through.
//!
//! One multiplexed connection per worker (redis' `ConnectionManager`): concurrent requests are
//! pipelined on it, each command costs exactly one round trip, and a lost connection is
//! re-established on the next command. (A checkout pool such as deadpool-redis pings every
//! connection it hands out, which doubles the round trips of every request.)
//!
//! With Redis Sentinel (`redis+sentinel://[:password@]host:port[,host:port…]/<service>[/db]`)
//! the master is asked of the sentinels on first use, and again whenever the connection is
//! lost or the server answers that it is a read-only replica (after a failover).

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::sentinel::{SentinelClient, SentinelClientBuilder, SentinelServerType};

use crate::error::StoreError;

/// Access to Redis, every key under one prefix. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct RedisStore {
    /// The server commands go to (`None`: a master not asked of the sentinels yet).
    current: Arc<RwLock<Option<Current>>>,
    sentinel: Option<Arc<tokio::sync::Mutex<SentinelClient>>>,
    config: ConnectionManagerConfig,
    prefix: Arc<str>,
    timeout: Duration,
}

#[derive(Clone)]
struct Current {
    client: redis::Client,
    conn: ConnectionManager,
}

/// `redis+sentinel://[[user]:password@]host:port[,host:port…]/<service>[/<db>]`: the sentinels,
/// the monitored service, and the password and database of the Redis servers.
fn sentinel_client(url: &str) -> Result<Option<SentinelClient>, String> {
    let Some(rest) = url.strip_prefix("redis+sentinel://") else {
        return Ok(None);
    };
    let (auth, rest) = match rest.rsplit_once('@') {
        Some((auth, rest)) => (Some(auth), rest),
        None => (None, rest),
    };
    let (hosts, path) = rest
        .split_once('/')
        .ok_or("redis+sentinel:// URLs name the service: …/<service>[/<db>]")?;
    let mut path = path.split('/');
    let service = path
        .next()
        .filter(|s| !s.is_empty())
        .ok_or("no service name")?;
    let db = path
        .next()
        .filter(|d| !d.is_empty())
        .map(|d| d.parse::<i64>().map_err(|_| "the database is a number"))
        .transpose()?;
    let mut sentinels = Vec::new();
    for host in hosts.split(',') {
        let (h, port) = host.rsplit_once(':').unwrap_or((host, "26379"));
        let port = port
            .parse::<u16>()
            .map_err(|_| "a sentinel port is a number")?;
        sentinels.push(redis::ConnectionAddr::Tcp(
            h.trim_start_matches('[').trim_end_matches(']').to_owned(),
            port,
        ));
    }
    let mut builder = SentinelClientBuilder::new(sentinels, service, SentinelServerType::Master)
        .map_err(|e| e.to_string())?;
    if let Some(auth) = auth {
        let (user, password) = auth.split_once(':').unwrap_or(("", auth));
        if !user.is_empty() {
            builder = builder.set_client_to_redis_username(user);
        }
        if !password.is_empty() {
            builder = builder.set_client_to_redis_password(password);
        }
    }
    if let Some(db) = db {
        builder = builder.set_client_to_redis_db(db);
    }
    builder.build().map(Some).map_err(|e| e.to_string())
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password: never printed.
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store for `url`; nothing is connected until the first command, so a worker starts
    /// even while Redis is down. Every operation gives up after `timeout`. Must be called
    /// inside a Tokio runtime.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, StoreError> {
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            // One quick retry, then report Redis as unavailable; the next command tries again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let sentinel = sentinel_client(url)
            .map_err(|e| StoreError::Internal(format!("redis configuration: {e}")))?;
        let current = match sentinel {
            Some(_) => None,
            None => {
                let client = redis::Client::open(url)
                    .map_err(|e| StoreError::Internal(format!("redis configuration: {e}")))?;
                Some(Self::current_for(client, &config)?)
            }
        };
        Ok(Self {
            current: Arc::new(RwLock::new(current)),
            sentinel: sentinel.map(|s| Arc::new(tokio::sync::Mutex::new(s))),
            config,
            prefix: prefix.into(),
            timeout,
        })
    }

    fn current_for(
        client: redis::Client,
        config: &ConnectionManagerConfig,
    ) -> Result<Current, StoreError> {
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config.clone())
            .map_err(|e| StoreError::Internal(format!("redis connection manager: {e}")))?;
        Ok(Current { client, conn })
    }

    /// The server to talk to: the one known, or (Sentinel) the master the sentinels name.
    async fn current(&self) -> Result<Current, redis::RedisError> {
        let known = self
            .current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone();
        match known {
            Some(current) => Ok(current),
            None => self.find_master().await,
        }
    }

    /// Asks the sentinels for the master (again) and talks to it from now on.
    async fn find_master(&self) -> Result<Current, redis::RedisError> {
        let Some(sentinel) = &self.sentinel else {
            return Err(redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "no Redis server configured",
            )));
        };
        let client = sentinel.lock().await.async_get_client().await?;
        let current = Self::current_for(client, &self.config).map_err(|e| {
            redis::RedisError::from((
                redis::ErrorKind::InvalidClientConfig,
                "sentinel",
                e.to_string(),
            ))
        })?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(current.clone());
        Ok(current)
    }

    /// `<prefix>:<suffix>`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// For dedicated connections (blocking reads).
    pub(crate) async fn client(&self) -> Result<redis::Client, StoreError> {
        Ok(self.current().await?.client)
    }

    /// Runs one command.
    pub(crate) async fn query<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        cmd: &redis::Cmd,
    ) -> Result<T, StoreError> {
        self.run(op, |mut c| async move { cmd.query_async(&mut c).await })
            .await
    }

    /// Runs a pipeline.
    pub(crate) async fn run_pipeline<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        pipe: &redis::Pipeline,
    ) -> Result<T, StoreError> {
        self.run(op, |mut c| async move { pipe.query_async(&mut c).await })
            .await
    }

    /// Runs one script (`EVALSHA`, loading it first if Redis does not know it yet).
    pub(crate) async fn invoke<T: redis::FromRedisValue>(
        &self,
        op: &'static str,
        invocation: &redis::ScriptInvocation<'_>,
    ) -> Result<T, StoreError> {
        self.run(
            op,
            |mut c| async move { invocation.invoke_async(&mut c).await },
        )
        .await
    }

    /// Runs `call` on the connection, bounded by the store's timeout and recorded in
    /// `bangui_redis_command_duration_seconds{op}`.
    ///
    /// A connection lost while Redis was away fails the first command sent on it (which is
    /// what makes the connection manager reconnect); that command is sent once more on the
    /// new connection, so the first request after Redis returns succeeds.
    async fn run<T, F>(
        &self,
        op: &'static str,
        call: impl Fn(ConnectionManager) -> F,
    ) -> Result<T, StoreError>
    where
        F: Future<Output = Result<T, redis::RedisError>>,
    {
        let started = Instant::now();
        let _in_flight = InFlight::new();
        let attempts = async {
            let current = self.current().await?;
            match call(current.conn.clone()).await {
                Err(e)
                    if e.is_io_error()
                        || e.is_connection_dropped()
                        || e.is_connection_refusal()
                        || e.kind()
                            == redis::ErrorKind::Server(redis::ServerErrorKind::ReadOnly) =>
                {
                    // Sentinel: the master may have changed (a failover); otherwise the same
                    // server, on the connection the manager re-established.
                    let retry = match &self.sentinel {
                        Some(_) => self.find_master().await?,
                        None => current,
                    };
                    call(retry.conn.clone()).await
                }
                other => other,
            }
        };
        let result = tokio::time::timeout(self.timeout, attempts)
            .await
            .unwrap_or_else(|_| {
                Err(redis::RedisError::from(std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("no answer within {:?}", self.timeout),
                )))
            })
            .map_err(StoreError::from);
        metrics::histogram!("bangui_redis_command_duration_seconds", "op" => op)
            .record(started.elapsed());
        result
    }

    /// `PING`: readiness.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.query::<String>("ping", &redis::cmd("PING"))
            .await
            .map(|_| ())
    }
}

/// One Redis operation under way, counted in `bangui_redis_commands_in_flight` while it lives
/// (cancelled ones included): the use of the one multiplexed connection a process has.
struct InFlight;

impl InFlight {
    fn new() -> Self {
        metrics::gauge!("bangui_redis_commands_in_flight").increment(1.0);
        Self
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        metrics::gauge!("bangui_redis_commands_in_flight").decrement(1.0);
    }
}
