//! [`RedisStore`]: the Redis connection every worker shares state through.
//!
//! One multiplexed connection per worker (redis' `ConnectionManager`): concurrent requests are
//! pipelined on it, each command costs exactly one round trip, and a lost connection is
//! re-established on the next command. (A checkout pool such as deadpool-redis pings every
//! connection it hands out, which doubles the round trips of every request.)

use std::sync::Arc;
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use crate::error::StoreError;

/// Access to Redis, every key under one prefix. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct RedisStore {
    client: redis::Client,
    conn: ConnectionManager,
    prefix: Arc<str>,
    timeout: Duration,
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
        let client = redis::Client::open(url)
            .map_err(|e| StoreError::Internal(format!("redis configuration: {e}")))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            // One quick retry, then report Redis as unavailable; the next command tries again.
            .set_number_of_retries(1)
            .set_min_delay(Duration::from_millis(50))
            .set_max_delay(Duration::from_millis(500));
        let conn = ConnectionManager::new_lazy_with_config(client.clone(), config)
            .map_err(|e| StoreError::Internal(format!("redis connection manager: {e}")))?;
        Ok(Self {
            client,
            conn,
            prefix: prefix.into(),
            timeout,
        })
    }

    /// `<prefix>:<suffix>`.
    pub fn key(&self, suffix: &str) -> String {
        format!("{}:{suffix}", self.prefix)
    }

    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// For dedicated connections (blocking reads).
    pub(crate) fn client(&self) -> &redis::Client {
        &self.client
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
        let attempts = async {
            match call(self.conn.clone()).await {
                Err(e)
                    if e.is_io_error()
                        || e.is_connection_dropped()
                        || e.is_connection_refusal() =>
                {
                    call(self.conn.clone()).await
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
