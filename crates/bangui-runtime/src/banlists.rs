//! Ban lists of jails, paged and searched without asking fail2ban per request.
//!
//! A jail's list lives in Redis with the jail's counters at the time it was taken. A worker
//! serves it as long as fail2ban's counters (from the status snapshot) still match: a new ban
//! raises the total, a lifted or expired one lowers the current count. Otherwise the one worker
//! that wins a lock asks fail2ban again (`get <jail> banip --with-time`) while the others wait
//! for it. Each worker also keeps the parsed list of the generation it last saw, so paging
//! through 100,000 bans costs one small Redis read, not megabytes.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bangui_core::JailName;
use bangui_store::banlist::{BanEntry, BanListHeader};
use bangui_store::now_ms;
use chrono::{Local, NaiveDateTime, TimeZone};

use crate::{Runtime, RuntimeError, ServedStatus};

const REFRESH_LOCK_TTL: Duration = Duration::from_secs(30);

/// A jail's ban list as a worker holds it.
#[derive(Debug)]
pub struct CachedBanList {
    pub header: BanListHeader,
    /// Newest ban first.
    pub entries: Vec<BanEntry>,
}

impl CachedBanList {
    /// Bans still in force at `now_ms`: the list may be a few seconds old.
    pub fn active(&self, now_ms: i64) -> impl Iterator<Item = &BanEntry> {
        self.entries
            .iter()
            .filter(move |e| e.expiry_ms.is_none_or(|x| x > now_ms))
    }
}

/// The parsed lists this worker last saw, by jail.
#[derive(Debug, Default)]
pub(crate) struct LocalCache(Mutex<HashMap<String, Arc<CachedBanList>>>);

impl LocalCache {
    fn get(&self, jail: &str, generation: i64) -> Option<Arc<CachedBanList>> {
        let map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(jail)
            .filter(|l| l.header.generation == generation)
            .cloned()
    }

    fn put(&self, jail: &str, list: Arc<CachedBanList>) {
        let mut map = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.insert(jail.to_owned(), list);
    }
}

impl Runtime {
    /// The current ban list of a running jail.
    pub async fn ban_list(&self, jail: &JailName) -> Result<Arc<CachedBanList>, RuntimeError> {
        self.ban_list_at(&self.status().await?, jail).await
    }

    /// The ban list of a jail as of `status` (for callers that read several lists).
    pub async fn ban_list_at(
        &self,
        status: &ServedStatus,
        jail: &JailName,
    ) -> Result<Arc<CachedBanList>, RuntimeError> {
        let counters = status
            .jail(jail)
            .ok_or_else(|| RuntimeError::JailNotFound(jail.to_string()))?;
        let (current, total) = (counters.currently_banned, counters.total_banned);
        let redis = self.redis();
        let lock_name = format!("banlist-refresh:{jail}");
        for _ in 0..600 {
            if let Some(header) = redis.ban_list_header(jail).await?
                && header.currently_banned == current
                && header.total_banned == total
            {
                return self.load(jail, header).await;
            }
            if let Some(lock) = redis.try_lock(&lock_name, REFRESH_LOCK_TTL).await? {
                let result = self.refresh_ban_list(jail, current, total).await;
                redis.unlock(lock).await?;
                return result;
            }
            // Another worker is asking fail2ban; its list will match the counters.
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // The refreshing worker is stuck; ask fail2ban ourselves rather than hang.
        self.refresh_ban_list(jail, current, total).await
    }

    /// The list of `header`'s generation: from this worker's memory, or from Redis.
    async fn load(
        &self,
        jail: &JailName,
        header: BanListHeader,
    ) -> Result<Arc<CachedBanList>, RuntimeError> {
        if let Some(list) = self.0.ban_lists.get(jail, header.generation) {
            return Ok(list);
        }
        match self.redis().ban_list(jail).await? {
            Some((header, entries)) => {
                let list = Arc::new(CachedBanList { header, entries });
                self.0.ban_lists.put(jail, Arc::clone(&list));
                Ok(list)
            }
            // Dropped meanwhile (the jail was stopped): take it anew.
            None => {
                self.refresh_ban_list(jail, header.currently_banned, header.total_banned)
                    .await
            }
        }
    }

    /// Asks fail2ban for the jail's bans and stores them with the counters they belong to.
    async fn refresh_ban_list(
        &self,
        jail: &JailName,
        current: u64,
        total: u64,
    ) -> Result<Arc<CachedBanList>, RuntimeError> {
        let taken_at_ms = now_ms();
        let mut entries: Vec<BanEntry> = self
            .fail2ban()
            .ban_times(jail)
            .await?
            .into_iter()
            .map(|b| {
                let start_ms = local_ms(b.start);
                BanEntry {
                    ip: b.ip,
                    start_ms,
                    duration_secs: b.duration_secs,
                    expiry_ms: b.expiry.map(local_ms),
                }
            })
            .collect();
        entries.sort_by(|a, b| b.start_ms.cmp(&a.start_ms).then_with(|| a.ip.cmp(&b.ip)));
        let header = BanListHeader {
            // Unique per stored list: the time, made strictly larger than the last generation.
            generation: taken_at_ms.max(
                self.redis()
                    .ban_list_header(jail)
                    .await?
                    .map_or(0, |h| h.generation + 1),
            ),
            taken_at_ms,
            currently_banned: current,
            total_banned: total,
            len: entries.len(),
        };
        self.redis().put_ban_list(jail, &header, &entries).await?;
        let list = Arc::new(CachedBanList { header, entries });
        self.0.ban_lists.put(jail, Arc::clone(&list));
        Ok(list)
    }
}

/// fail2ban prints ban times in its own local time; bangui runs beside it (same host or pod,
/// same time zone), so its local zone converts them.
fn local_ms(t: NaiveDateTime) -> i64 {
    Local
        .from_local_datetime(&t)
        .earliest()
        .map_or_else(|| t.and_utc().timestamp_millis(), |d| d.timestamp_millis())
}
