//! Aggregates of the ban archive cached in Redis, valid for one generation of the archive.
//!
//! Whatever writes the archive or the geo cache bumps the generation after it committed: bangui's
//! own writers at once, anything else through PostgreSQL's notification at commit, which every
//! worker follows ([`ArchiveChanges`]). An aggregate computed under an older generation is out
//! of date. A reader that takes the generation before it computes can only store an answer at
//! least as new as that generation.

use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::{RedisStore, StoreError};

const GENERATION: &str = "archive:generation";

/// An aggregate and the archive generation it was computed under.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CachedAggregate<T> {
    pub generation: u64,
    pub computed_at_ms: i64,
    pub value: T,
}

impl RedisStore {
    /// The archive's generation now (0 before any change) and the aggregate cached under
    /// `name`, in one round trip. An entry that no longer parses counts as absent.
    pub async fn aggregate<T: DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<(u64, Option<CachedAggregate<T>>), StoreError> {
        let (generation, raw): (Option<u64>, Option<String>) = self
            .query(
                "aggregate_get",
                redis::cmd("MGET")
                    .arg(self.key(GENERATION))
                    .arg(self.key(&format!("aggregate:{name}"))),
            )
            .await?;
        let cached = raw.and_then(|r| serde_json::from_str(&r).ok());
        Ok((generation.unwrap_or(0), cached))
    }

    pub async fn put_aggregate<T: Serialize>(
        &self,
        name: &str,
        entry: &CachedAggregate<T>,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let raw = serde_json::to_string(entry)?;
        self.query(
            "aggregate_put",
            redis::cmd("SET")
                .arg(self.key(&format!("aggregate:{name}")))
                .arg(raw)
                .arg("PX")
                .arg(ttl.as_millis() as u64),
        )
        .await
    }

    /// Marks every cached aggregate out of date: the archive or the geo cache changed.
    pub async fn bump_archive_generation(&self) -> Result<u64, StoreError> {
        self.query(
            "archive_generation",
            redis::cmd("INCR").arg(self.key(GENERATION)),
        )
        .await
    }
}

/// The channel migration 0007's triggers notify when the archive or the geo cache changed.
const CHANNEL: &str = "bangui_archive_changed";

/// Notifications that the archive or the geo cache changed, on a connection of their own.
#[allow(missing_debug_implementations)] // a live connection
pub struct ArchiveChanges(sqlx::postgres::PgListener);

impl crate::Database {
    /// Starts listening for changes of the archive, whoever makes them.
    pub async fn archive_changes(&self) -> Result<ArchiveChanges, StoreError> {
        let mut listener = sqlx::postgres::PgListener::connect_with(self.pool()).await?;
        listener.listen(CHANNEL).await?;
        Ok(ArchiveChanges(listener))
    }
}

impl ArchiveChanges {
    /// Waits for the next change. `false`: the connection was lost and is back, and changes
    /// made meanwhile were not seen.
    pub async fn next(&mut self) -> Result<bool, StoreError> {
        Ok(self.0.try_recv().await?.is_some())
    }
}
