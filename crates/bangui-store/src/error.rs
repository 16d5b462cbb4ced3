//! [`StoreError`]: what can go wrong with Redis or PostgreSQL, sorted by what the caller does.

/// A failed storage operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Redis cannot be reached (refused, reset, timed out): 503, retry later.
    #[error("the state store (Redis) is unavailable: {0}")]
    StateStoreUnavailable(String),
    /// PostgreSQL cannot be reached: 503, retry later.
    #[error("the database (PostgreSQL) is unavailable: {0}")]
    DatabaseUnavailable(String),
    /// The change collides with existing data (a name taken, …): 409.
    #[error("{0}")]
    Conflict(String),
    /// Anything else: a bug or corrupt data, not a reason to retry.
    #[error("storage error: {0}")]
    Internal(String),
}

impl StoreError {
    /// Redis or PostgreSQL could not be reached: the same call may succeed later.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            Self::StateStoreUnavailable(_) | Self::DatabaseUnavailable(_)
        )
    }
}

/// Counts a failed operation of `store` for `bangui_store_errors_total`.
fn counted(store: &'static str, error: StoreError) -> StoreError {
    let kind = if error.is_unavailable() {
        "unavailable"
    } else {
        "other"
    };
    metrics::counter!("bangui_store_errors_total", "store" => store, "kind" => kind).increment(1);
    error
}

impl From<redis::RedisError> for StoreError {
    fn from(e: redis::RedisError) -> Self {
        let error = if e.is_io_error()
            || e.is_connection_refusal()
            || e.is_connection_dropped()
            || e.is_timeout()
        {
            Self::StateStoreUnavailable(e.to_string())
        } else {
            Self::Internal(format!("redis: {e}"))
        };
        counted("redis", error)
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        let error = match e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::DatabaseUnavailable(e.to_string()),
            // The server going down mid-query ("terminating connection due to administrator
            // command", SQLSTATE class 57) counts as unavailable too.
            sqlx::Error::Database(ref db)
                if db
                    .code()
                    .is_some_and(|c| c.starts_with("57") || c.starts_with("08")) =>
            {
                Self::DatabaseUnavailable(e.to_string())
            }
            other => Self::Internal(format!("postgres: {other}")),
        };
        counted("postgres", error)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Internal(format!("corrupt stored value: {e}"))
    }
}
