//! The archive's expensive aggregates (counts, trends, per-country and per-jail figures, top
//! addresses), computed by one worker per archive change and served to all from Redis.
//!
//! An entry holds the archive generation it was computed under. A reader serves an entry of
//! the current generation; otherwise it computes, one worker per aggregate at a time, the
//! others waiting for its answer rather than running the same scan. Whoever changed the
//! archive reads the change at once (no stale answer is ever served after a bump).

use std::time::Duration;

use bangui_store::aggregate_cache::CachedAggregate;
use bangui_store::{StoreError, now_ms};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::{Runtime, RuntimeError};

/// Entries nobody asked for are dropped after this.
const ENTRY_TTL: Duration = Duration::from_secs(600);
/// Longest a computation may hold its lock; others wait for it at most `COMPUTE_WAIT`.
const COMPUTE_LOCK_TTL: Duration = Duration::from_secs(60);
const COMPUTE_WAIT: Duration = Duration::from_secs(30);

impl Runtime {
    /// The aggregate `name` (which must say everything its value depends on), from the cache
    /// or computed by `compute`.
    pub(crate) async fn aggregate<T, F, Fut>(
        &self,
        name: String,
        compute: F,
    ) -> Result<T, RuntimeError>
    where
        T: Serialize + DeserializeOwned + Send + Sync + 'static,
        F: FnOnce(Runtime) -> Fut + Send + 'static,
        Fut: Future<Output = Result<T, StoreError>> + Send,
    {
        let (generation, cached) = self.redis().aggregate::<T>(&name).await?;
        if let Some(entry) = cached.filter(|e| e.generation == generation) {
            return Ok(entry.value);
        }
        let redis = self.redis();
        let lock_name = format!("aggregate:{name}");
        let lock = redis
            .lock_within(
                &lock_name,
                COMPUTE_LOCK_TTL,
                COMPUTE_WAIT,
                Duration::from_millis(20),
            )
            .await?;
        // The worker we waited for has probably stored it.
        let (generation, cached) = redis.aggregate::<T>(&name).await?;
        let result = match cached.filter(|e| e.generation == generation) {
            Some(entry) => Ok(entry.value),
            None => self.compute_aggregate(&name, generation, compute).await,
        };
        if let Some(lock) = lock {
            redis.unlock(lock).await?;
        }
        result
    }

    async fn compute_aggregate<T, F, Fut>(
        &self,
        name: &str,
        generation: u64,
        compute: F,
    ) -> Result<T, RuntimeError>
    where
        T: Serialize,
        F: FnOnce(Runtime) -> Fut,
        Fut: Future<Output = Result<T, StoreError>>,
    {
        let entry = CachedAggregate {
            generation,
            computed_at_ms: now_ms(),
            value: compute(self.clone()).await?,
        };
        self.redis().put_aggregate(name, &entry, ENTRY_TTL).await?;
        Ok(entry.value)
    }

    /// Follows PostgreSQL's notifications that the archive changed, marking the cached
    /// aggregates out of date on each, until `shutdown`. Writes made behind bangui's back (or
    /// while the connection was lost) are caught this way, within moments of their commit.
    pub async fn follow_archive_changes(self, shutdown: impl Future<Output = ()>) {
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                () = &mut shutdown => return,
                e = self.follow_archive_changes_once() => {
                    tracing::warn!(error = %e, "lost the archive's change notifications; listening again");
                }
            }
            tokio::select! {
                () = &mut shutdown => return,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
    }

    /// Listens until an error, which it returns.
    async fn follow_archive_changes_once(&self) -> StoreError {
        let mut changes = match self.db().archive_changes().await {
            Ok(changes) => changes,
            Err(e) => return e,
        };
        // Whatever changed while nobody here listened.
        self.archive_changed().await;
        loop {
            match changes.next().await {
                // A change, or a reconnection that may have missed some: either way, anew.
                Ok(_) => self.archive_changed().await,
                Err(e) => return e,
            }
        }
    }

    /// Says that the archive or the geo cache changed: every cached aggregate is out of date.
    /// Called after the change committed; a failure only delays the news (logged).
    pub async fn archive_changed(&self) {
        if let Err(e) = self.redis().bump_archive_generation().await {
            tracing::warn!(error = %e, "cannot mark the cached aggregates out of date");
        }
    }
}
