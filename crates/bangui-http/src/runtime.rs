//! The fail2ban status every worker serves from Redis.
//!
//! fail2ban answers one command at a time, so N workers must not each ask it on every request.
//! The snapshot in Redis is served as long as it is fresh; when it is stale, the one worker that
//! wins a Redis lock refreshes it while the others serve the last snapshot, marked with its age.

use std::time::Duration;

use bangui_fail2ban::Client;
use bangui_store::runtime_state::{CapabilityFlags, Fail2banSnapshot, JailCounters};
use bangui_store::{RedisStore, StoreError, now_ms};

const REFRESH_LOCK: &str = "fail2ban-status-refresh";
/// Longer than a refresh can take (fail2ban's own timeout), so the lock does not expire while
/// the holder still works; short enough that a crashed holder blocks nobody for long.
const REFRESH_LOCK_TTL: Duration = Duration::from_secs(15);

/// A snapshot and how old it was when served.
#[derive(Debug, Clone)]
pub struct ServedStatus {
    pub snapshot: Fail2banSnapshot,
    pub age: Duration,
    /// Older than the configured maximum age (another worker is refreshing it).
    pub stale: bool,
}

/// The current status: the stored snapshot if fresh, else refreshed by this worker if it wins
/// the lock, else the stale snapshot. With no snapshot at all, waits briefly for the worker
/// that is taking the first one.
pub async fn current_status(
    redis: &RedisStore,
    client: &Client,
    max_age: Duration,
) -> Result<ServedStatus, StoreError> {
    let stored = redis.fail2ban_snapshot().await?;
    if let Some(snapshot) = stored.as_ref().filter(|s| age(s) <= max_age) {
        return Ok(serve(snapshot.clone(), max_age));
    }
    if let Some(lock) = redis.try_lock(REFRESH_LOCK, REFRESH_LOCK_TTL).await? {
        // Someone may have refreshed between our read and our lock.
        let latest = redis.fail2ban_snapshot().await?;
        let result = match latest.filter(|s| age(s) <= max_age) {
            Some(fresh) => Ok(fresh),
            None => refresh(redis, client, stored.as_ref()).await,
        };
        redis.unlock(lock).await?;
        return Ok(serve(result?, max_age));
    }
    if let Some(snapshot) = stored {
        return Ok(serve(snapshot, max_age));
    }
    for _ in 0..60 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        if let Some(snapshot) = redis.fail2ban_snapshot().await? {
            return Ok(serve(snapshot, max_age));
        }
    }
    // The refreshing worker died: answer from here rather than hang.
    Ok(serve(refresh(redis, client, None).await?, max_age))
}

/// Asks fail2ban, stores and returns the new snapshot. An unreachable fail2ban gives an
/// offline snapshot that keeps the last known jails.
pub async fn refresh(
    redis: &RedisStore,
    client: &Client,
    previous: Option<&Fail2banSnapshot>,
) -> Result<Fail2banSnapshot, StoreError> {
    let snapshot = match take(client).await {
        Ok((caps, jails)) => {
            redis
                .put_capability_flags(&CapabilityFlags {
                    version: caps.version.clone(),
                    stats: caps.stats,
                })
                .await?;
            Fail2banSnapshot {
                online: true,
                version: Some(caps.version),
                jails,
                taken_at_ms: now_ms(),
                error: None,
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, kind = e.kind(), "fail2ban status refresh failed");
            Fail2banSnapshot {
                online: false,
                version: previous.and_then(|p| p.version.clone()),
                jails: previous.map(|p| p.jails.clone()).unwrap_or_default(),
                taken_at_ms: now_ms(),
                error: Some(e.kind().to_owned()),
            }
        }
    };
    redis.put_fail2ban_snapshot(&snapshot).await?;
    Ok(snapshot)
}

async fn take(
    client: &Client,
) -> Result<(bangui_fail2ban::Capabilities, Vec<JailCounters>), bangui_fail2ban::Error> {
    let caps = client.capabilities().await?;
    let jails = client
        .stats()
        .await?
        .into_iter()
        .map(|(name, s)| JailCounters {
            name,
            currently_failed: s.currently_failed,
            total_failed: s.total_failed,
            currently_banned: s.currently_banned,
            total_banned: s.total_banned,
            backend: s.backend,
        })
        .collect();
    Ok((caps, jails))
}

fn age(snapshot: &Fail2banSnapshot) -> Duration {
    Duration::from_millis(now_ms().saturating_sub(snapshot.taken_at_ms).max(0) as u64)
}

fn serve(snapshot: Fail2banSnapshot, max_age: Duration) -> ServedStatus {
    let age = age(&snapshot);
    ServedStatus {
        stale: age > max_age,
        age,
        snapshot,
    }
}
