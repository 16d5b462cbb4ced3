//! The fail2ban runtime state every worker serves: a snapshot of what fail2ban runs and counts,
//! refreshed by one worker at a time, and the capability flags of the fail2ban version.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::{RedisStore, StoreError};

/// Counters of one jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailCounters {
    pub name: String,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
    pub backend: Option<String>,
}

/// Sets the snapshot unless the stored one's `asked_at_ms` is later than ARGV[2].
static PUT_IF_NEWER: LazyLock<redis::Script> = LazyLock::new(|| {
    redis::Script::new(
        r"
local current = redis.call('GET', KEYS[1])
if current then
  local ok, stored = pcall(cjson.decode, current)
  if ok and type(stored) == 'table' and tonumber(stored.asked_at_ms or 0) > tonumber(ARGV[2]) then
    return 0
  end
end
redis.call('SET', KEYS[1], ARGV[1])
return 1
",
    )
});

/// What fail2ban looked like when the snapshot was taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fail2banSnapshot {
    pub online: bool,
    pub version: Option<String>,
    pub jails: Vec<JailCounters>,
    pub taken_at_ms: i64,
    /// When fail2ban was first asked for it, by Redis's clock: of two snapshots, the one asked
    /// later is newer, whichever finished first (0 in snapshots stored before this field
    /// existed).
    #[serde(default)]
    pub asked_at_ms: i64,
    /// Why fail2ban could not be asked, when it could not.
    pub error: Option<String>,
    /// Settings of the running jails by name. Read less often than the counters: they change
    /// only with a reload, which rereads them.
    #[serde(default)]
    pub settings: BTreeMap<String, JailSettings>,
    /// When `settings` were read from fail2ban (0: never).
    #[serde(default)]
    pub settings_read_at_ms: i64,
}

/// The settings of a jail that the fail2ban exporter's metrics show, in seconds and failures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct JailSettings {
    pub ban_time: i64,
    pub find_time: i64,
    pub max_retry: i64,
}

/// An activation under way: enough to put the configuration back if its worker dies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingActivation {
    pub jail: String,
    /// The file it writes, relative to fail2ban's configuration directory.
    pub file: String,
    /// The file's content before (`None`: it did not exist).
    pub before: Option<String>,
    pub actor: String,
    /// fail2ban ran the jail before the change (an edit): recovery reloads it rather than
    /// stopping it.
    #[serde(default)]
    pub was_running: bool,
}

/// What the connected fail2ban version can do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CapabilityFlags {
    pub version: String,
    pub stats: bool,
}

impl RedisStore {
    pub async fn fail2ban_snapshot(&self) -> Result<Option<Fail2banSnapshot>, StoreError> {
        self.get_json("state:fail2ban").await
    }

    /// Redis's clock, in milliseconds since the Unix epoch: the one clock all workers share,
    /// whatever their own clocks say.
    pub async fn clock_ms(&self) -> Result<i64, StoreError> {
        let (secs, micros): (i64, i64) = self.query("clock", &redis::cmd("TIME")).await?;
        Ok(secs * 1000 + micros / 1000)
    }

    /// Stores the snapshot unless the stored one was asked for later; returns whether it was
    /// stored. A refresh that waited on a slow fail2ban (or gave up waiting for the refresh
    /// lock) must not put back counters from before a ban another worker just counted.
    pub async fn put_fail2ban_snapshot(
        &self,
        snapshot: &Fail2banSnapshot,
    ) -> Result<bool, StoreError> {
        let mut invocation = PUT_IF_NEWER.key(self.key("state:fail2ban"));
        invocation
            .arg(serde_json::to_string(snapshot)?)
            .arg(snapshot.asked_at_ms);
        let stored: i64 = self.invoke("state_put_if_newer", &invocation).await?;
        Ok(stored == 1)
    }

    pub async fn capability_flags(&self) -> Result<Option<CapabilityFlags>, StoreError> {
        self.get_json("state:capabilities").await
    }

    pub async fn put_capability_flags(&self, flags: &CapabilityFlags) -> Result<(), StoreError> {
        self.put_json("state:capabilities", flags).await
    }

    /// Jails set idle through bangui. fail2ban has no getter for it, so bangui remembers.
    pub async fn idle_jails(&self) -> Result<std::collections::BTreeMap<String, bool>, StoreError> {
        let raw: std::collections::BTreeMap<String, String> = self
            .query(
                "idle_get",
                redis::cmd("HGETALL").arg(self.key("state:idle")),
            )
            .await?;
        Ok(raw.into_iter().map(|(jail, v)| (jail, v == "1")).collect())
    }

    pub async fn set_idle_jail(&self, jail: &str, idle: bool) -> Result<(), StoreError> {
        let mut cmd = redis::cmd("HSET");
        cmd.arg(self.key("state:idle"))
            .arg(jail)
            .arg(if idle { "1" } else { "0" });
        self.query::<()>("idle_set", &cmd).await
    }

    /// The activation a worker has started and not finished (one at a time: the configuration
    /// write lock is held through it).
    pub async fn pending_activation(&self) -> Result<Option<PendingActivation>, StoreError> {
        self.get_json("state:pending-activation").await
    }

    pub async fn set_pending_activation(
        &self,
        pending: &PendingActivation,
    ) -> Result<(), StoreError> {
        self.put_json("state:pending-activation", pending).await
    }

    pub async fn clear_pending_activation(&self) -> Result<(), StoreError> {
        let key = self.key("state:pending-activation");
        let _: i64 = self.query("state_del", redis::cmd("DEL").arg(&key)).await?;
        Ok(())
    }

    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        suffix: &str,
    ) -> Result<Option<T>, StoreError> {
        let key = self.key(suffix);
        let raw: Option<String> = self.query("state_get", redis::cmd("GET").arg(&key)).await?;
        raw.map(|r| serde_json::from_str(&r).map_err(StoreError::from))
            .transpose()
    }

    async fn put_json<T: Serialize>(&self, suffix: &str, value: &T) -> Result<(), StoreError> {
        let key = self.key(suffix);
        let raw = serde_json::to_string(value)?;
        self.query("state_put", redis::cmd("SET").arg(&key).arg(raw))
            .await
    }
}
