//! Cluster-wide locks: `SET NX PX` with a random owner token, released only by its owner.

use std::sync::LazyLock;
use std::time::Duration;

use crate::sessions::SessionToken;
use crate::{RedisStore, StoreError};

/// Deletes the key only if it still holds our token: a lock that expired and was taken by
/// another worker is not ours to release.
static RELEASE: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
",
    )
});

static RENEW: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
",
    )
});

/// Sets the key unless set; either way returns the value it holds.
static CLAIM: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then
  return ARGV[1]
end
return redis.call('GET', KEYS[1])
",
    )
});

/// A held lock. Expires by itself after its TTL if its holder dies.
#[derive(Debug)]
pub struct Lock {
    key: String,
    owner: String,
}

impl RedisStore {
    /// Takes the lock `name` for at most `ttl`, or returns `None` if someone holds it.
    pub async fn try_lock(&self, name: &str, ttl: Duration) -> Result<Option<Lock>, StoreError> {
        let key = self.key(&format!("lock:{name}"));
        // Random owner tokens come from the same CSPRNG as session tokens.
        let owner = SessionToken::generate()?.as_str().to_owned();
        let ttl_ms = ttl.as_millis().max(1) as u64;
        let taken: Option<String> = self
            .query(
                "lock",
                redis::cmd("SET")
                    .arg(&key)
                    .arg(&owner)
                    .arg("NX")
                    .arg("PX")
                    .arg(ttl_ms),
            )
            .await?;
        Ok(taken.map(|_| Lock { key, owner }))
    }

    /// Takes the lock `name` for at most `ttl`, asking again every `every` while someone
    /// holds it; `None` when it is still held after `wait` (its holder may be stuck: the
    /// caller decides whether to go on without it).
    pub async fn lock_within(
        &self,
        name: &str,
        ttl: Duration,
        wait: Duration,
        every: Duration,
    ) -> Result<Option<Lock>, StoreError> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(lock) = self.try_lock(name, ttl).await? {
                return Ok(Some(lock));
            }
            if tokio::time::Instant::now() >= deadline {
                return Ok(None);
            }
            tokio::time::sleep(every).await;
        }
    }

    /// Extends a lock we hold by `ttl`. Returns whether it was still ours.
    pub async fn renew_lock(&self, lock: &Lock, ttl: Duration) -> Result<bool, StoreError> {
        let mut invocation = RENEW.key(&lock.key);
        invocation
            .arg(&lock.owner)
            .arg(ttl.as_millis().max(1) as u64);
        let renewed: i64 = self.invoke("renew_lock", &invocation).await?;
        Ok(renewed == 1)
    }

    /// Claims the marker `name` for `value` (for `ttl`) unless someone claimed it; returns the
    /// value that holds it now: `value` if this call won.
    pub async fn claim(
        &self,
        name: &str,
        value: &str,
        ttl: Duration,
    ) -> Result<String, StoreError> {
        let mut invocation = CLAIM.key(self.key(&format!("marker:{name}")));
        invocation.arg(value).arg(ttl.as_millis().max(1) as u64);
        self.invoke("claim", &invocation).await
    }

    /// Clears the marker `name` if `value` still holds it.
    pub async fn clear_marker(&self, name: &str, value: &str) -> Result<bool, StoreError> {
        let mut invocation = RELEASE.key(self.key(&format!("marker:{name}")));
        invocation.arg(value);
        let cleared: i64 = self.invoke("clear_marker", &invocation).await?;
        Ok(cleared == 1)
    }

    /// Releases a lock if it is still ours. Returns whether it was.
    pub async fn unlock(&self, lock: Lock) -> Result<bool, StoreError> {
        let mut invocation = RELEASE.key(&lock.key);
        invocation.arg(&lock.owner);
        let released: i64 = self.invoke("unlock", &invocation).await?;
        Ok(released == 1)
    }
}
