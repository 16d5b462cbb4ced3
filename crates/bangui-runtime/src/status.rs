//! The fail2ban status every worker serves from Redis.
//!
//! The snapshot in Redis is served as long as it is fresh; when it is stale, the one worker
//! that wins a Redis lock refreshes it while the others serve the last snapshot, marked with
//! its age. Whoever refreshes compares with the previous snapshot and announces what changed
//! (fail2ban online/offline, jails started or stopped, counters).

use std::collections::BTreeMap;
use std::time::Duration;

use bangui_core::{Event, JailName};
use bangui_fail2ban::{Error as F2bError, ServerError};
use bangui_store::runtime_state::{CapabilityFlags, Fail2banSnapshot, JailCounters, JailSettings};
use bangui_store::{StoreError, now_ms};

use crate::{Runtime, RuntimeError};

const REFRESH_LOCK: &str = "fail2ban-status-refresh";
/// Longer than a refresh can take (fail2ban's own timeout), so the lock does not expire while
/// its holder still works; short enough that a crashed holder blocks nobody for long.
const REFRESH_LOCK_TTL: Duration = Duration::from_secs(15);
/// How long the jail settings in the snapshot are reused instead of asked again (three
/// commands per jail). A reload through bangui rereads them at once; this bounds how long a
/// change made outside bangui takes to show.
const SETTINGS_MAX_AGE: Duration = Duration::from_secs(60);

/// Whether a new snapshot may reuse the jail settings of the previous one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SettingsRead {
    /// Reuse them while younger than [`SETTINGS_MAX_AGE`]; ask only for new jails.
    Reuse,
    /// Ask every jail (after a reload).
    Reread,
}

/// A snapshot and how old it was when served.
#[derive(Debug, Clone)]
pub struct ServedStatus {
    pub snapshot: Fail2banSnapshot,
    pub age: Duration,
    /// Older than the configured maximum age (another worker is refreshing it).
    pub stale: bool,
}

impl ServedStatus {
    pub fn jail(&self, name: &str) -> Option<&JailCounters> {
        self.snapshot.jails.iter().find(|j| j.name == name)
    }
}

/// fail2ban as the shared snapshot last saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fail2banState {
    Online,
    Offline,
    /// No snapshot could be read.
    Unknown,
}

/// What a readiness probe reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Readiness {
    pub redis: bool,
    pub database: bool,
    pub fail2ban: Fail2banState,
}

impl Readiness {
    /// Ready when Redis and PostgreSQL answer; fail2ban never gates readiness (a worker
    /// without fail2ban still serves its UI).
    pub fn is_ready(&self) -> bool {
        self.redis && self.database
    }
}

impl Runtime {
    /// Whether this worker can serve: Redis and PostgreSQL asked now, fail2ban from the shared
    /// snapshot.
    pub async fn readiness(&self) -> Readiness {
        let (redis, database, snapshot) = tokio::join!(
            self.redis().ping(),
            self.db().ping(),
            self.redis().fail2ban_snapshot()
        );
        let fail2ban = match snapshot {
            Ok(Some(s)) if s.online => Fail2banState::Online,
            Ok(Some(_)) => Fail2banState::Offline,
            _ => Fail2banState::Unknown,
        };
        Readiness {
            redis: redis.is_ok(),
            database: database.is_ok(),
            fail2ban,
        }
    }

    /// The current status: the stored snapshot if fresh, else refreshed by this worker if it
    /// wins the lock, else the stale snapshot. With no snapshot at all, waits briefly for the
    /// worker that is taking the first one.
    pub async fn status(&self) -> Result<ServedStatus, RuntimeError> {
        let max_age = self.settings().status_max_age;
        let redis = self.redis();
        let stored = redis.fail2ban_snapshot().await?;
        if let Some(snapshot) = stored.as_ref().filter(|s| age(s) <= max_age) {
            return Ok(serve(snapshot.clone(), max_age));
        }
        if let Some(lock) = redis.try_lock(REFRESH_LOCK, REFRESH_LOCK_TTL).await? {
            // Someone may have refreshed between our read and our lock.
            let latest = redis.fail2ban_snapshot().await?;
            let result = match latest {
                Some(fresh) if age(&fresh) <= max_age => Ok(fresh),
                previous => {
                    self.take_snapshot(previous.as_ref(), SettingsRead::Reuse)
                        .await
                }
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
        Ok(serve(
            self.take_snapshot(None, SettingsRead::Reuse).await?,
            max_age,
        ))
    }

    /// Takes a new snapshot now, after a change made through bangui, so that every worker's
    /// next answer shows it. Waits for a refresh another worker is doing (it may have asked
    /// fail2ban before the change).
    pub async fn refresh_status(&self) -> Result<Fail2banSnapshot, RuntimeError> {
        self.refresh(SettingsRead::Reuse).await
    }

    /// [`Self::refresh_status`] after a reload: the jails' settings are read again too.
    pub(crate) async fn refresh_after_reload(&self) -> Result<Fail2banSnapshot, RuntimeError> {
        self.refresh(SettingsRead::Reread).await
    }

    async fn refresh(&self, settings: SettingsRead) -> Result<Fail2banSnapshot, RuntimeError> {
        let redis = self.redis();
        // Without the lock after two seconds: the holder is stuck; refresh all the same.
        let lock = redis
            .lock_within(
                REFRESH_LOCK,
                REFRESH_LOCK_TTL,
                Duration::from_secs(2),
                Duration::from_millis(10),
            )
            .await?;
        let previous = redis.fail2ban_snapshot().await?;
        let result = self.take_snapshot(previous.as_ref(), settings).await;
        if let Some(lock) = lock {
            redis.unlock(lock).await?;
        }
        Ok(result?)
    }

    /// Asks fail2ban, stores the snapshot, announces the differences to `previous`. An
    /// unreachable fail2ban gives an offline snapshot that keeps the last known jails.
    async fn take_snapshot(
        &self,
        previous: Option<&Fail2banSnapshot>,
        settings: SettingsRead,
    ) -> Result<Fail2banSnapshot, StoreError> {
        let redis = self.redis();
        // Redis's clock, not ours: the ordering of snapshots must not depend on which worker's
        // clock runs ahead.
        let asked_at_ms = redis.clock_ms().await?;
        let snapshot = match self.ask_fail2ban(previous, settings).await {
            Ok(Asked {
                caps,
                jails,
                settings,
                settings_read_at_ms,
            }) => {
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
                    asked_at_ms,
                    error: None,
                    settings,
                    settings_read_at_ms,
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, kind = e.kind(), "fail2ban status refresh failed");
                Fail2banSnapshot {
                    online: false,
                    version: previous.and_then(|p| p.version.clone()),
                    jails: previous.map(|p| p.jails.clone()).unwrap_or_default(),
                    taken_at_ms: now_ms(),
                    asked_at_ms,
                    error: Some(e.kind().to_owned()),
                    settings: previous.map(|p| p.settings.clone()).unwrap_or_default(),
                    settings_read_at_ms: previous.map_or(0, |p| p.settings_read_at_ms),
                }
            }
        };
        if !redis.put_fail2ban_snapshot(&snapshot).await? {
            // A refresh that asked fail2ban later has stored its answer (and announced its
            // changes): that one is the state.
            return Ok(redis.fail2ban_snapshot().await?.unwrap_or(snapshot));
        }
        for event in changes(previous, &snapshot) {
            redis.publish(&event).await?;
        }
        if banned_more(previous, &snapshot) {
            self.follow_new_bans();
        }
        Ok(snapshot)
    }

    async fn ask_fail2ban(
        &self,
        previous: Option<&Fail2banSnapshot>,
        read: SettingsRead,
    ) -> Result<Asked, F2bError> {
        let client = self.fail2ban();
        let caps = client.capabilities().await?;
        let jails: Vec<JailCounters> = client
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
        let reusable = previous.filter(|p| {
            read == SettingsRead::Reuse
                && p.settings_read_at_ms > 0
                && now_ms().saturating_sub(p.settings_read_at_ms)
                    <= SETTINGS_MAX_AGE.as_millis() as i64
        });
        let mut settings = BTreeMap::new();
        for jail in &jails {
            let known = reusable.and_then(|p| p.settings.get(&jail.name)).copied();
            let found = match known {
                Some(s) => Some(s),
                None => self.jail_settings(&jail.name).await?,
            };
            if let Some(s) = found {
                settings.insert(jail.name.clone(), s);
            }
        }
        Ok(Asked {
            caps,
            jails,
            settings,
            settings_read_at_ms: reusable.map_or_else(now_ms, |p| p.settings_read_at_ms),
        })
    }

    /// A jail's settings; `None` if it stopped meanwhile (or has a name bangui would refuse).
    async fn jail_settings(&self, name: &str) -> Result<Option<JailSettings>, F2bError> {
        let Ok(jail) = JailName::parse(name) else {
            return Ok(None);
        };
        let client = self.fail2ban();
        let read = async {
            Ok::<_, F2bError>(JailSettings {
                ban_time: client.bantime(&jail).await?,
                find_time: client.findtime(&jail).await?,
                max_retry: client.maxretry(&jail).await?,
            })
        };
        match read.await {
            Ok(s) => Ok(Some(s)),
            Err(F2bError::Server(ServerError::UnknownJail(_))) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// What one round of questions to fail2ban found.
struct Asked {
    caps: bangui_fail2ban::Capabilities,
    jails: Vec<JailCounters>,
    settings: BTreeMap<String, JailSettings>,
    settings_read_at_ms: i64,
}

/// What changed between two snapshots, as events.
fn changes(previous: Option<&Fail2banSnapshot>, now: &Fail2banSnapshot) -> Vec<Event> {
    let mut events = Vec::new();
    let was_online = previous.map(|p| p.online);
    if was_online != Some(now.online) {
        events.push(if now.online {
            Event::Fail2banOnline {
                version: now.version.clone(),
            }
        } else {
            Event::Fail2banOffline {
                error: now.error.clone(),
            }
        });
    }
    if !now.online {
        return events;
    }
    let before: &[JailCounters] = match previous {
        Some(p) if p.online => &p.jails,
        _ => &[],
    };
    for jail in &now.jails {
        match before.iter().find(|b| b.name == jail.name) {
            None if previous.is_some_and(|p| p.online) => events.push(Event::JailStarted {
                jail: jail.name.clone(),
            }),
            Some(b) if b != jail => events.push(Event::JailCounters {
                jail: jail.name.clone(),
                currently_failed: jail.currently_failed,
                total_failed: jail.total_failed,
                currently_banned: jail.currently_banned,
                total_banned: jail.total_banned,
            }),
            _ => {}
        }
    }
    for gone in before
        .iter()
        .filter(|b| !now.jails.iter().any(|j| j.name == b.name))
    {
        events.push(Event::JailStopped {
            jail: gone.name.clone(),
        });
    }
    events
}

/// Whether a jail banned since `previous` (its total of bans grew, or it is new and banned).
fn banned_more(previous: Option<&Fail2banSnapshot>, now: &Fail2banSnapshot) -> bool {
    let Some(previous) = previous.filter(|p| p.online && now.online) else {
        return false;
    };
    now.jails.iter().any(|j| {
        let before = previous.jails.iter().find(|p| p.name == j.name);
        j.total_banned > before.map_or(0, |b| b.total_banned)
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    fn jail(name: &str, banned: u64) -> JailCounters {
        JailCounters {
            name: name.into(),
            currently_failed: 0,
            total_failed: 0,
            currently_banned: banned,
            total_banned: banned,
            backend: None,
        }
    }

    fn snap(online: bool, jails: Vec<JailCounters>) -> Fail2banSnapshot {
        Fail2banSnapshot {
            online,
            version: Some("1.0.2".into()),
            jails,
            taken_at_ms: 0,
            asked_at_ms: 0,
            error: None,
            settings: BTreeMap::new(),
            settings_read_at_ms: 0,
        }
    }

    #[test]
    fn new_bans_are_a_grown_total() {
        let a = snap(true, vec![jail("sshd", 1), jail("web", 0)]);
        assert!(!banned_more(Some(&a), &a));
        assert!(banned_more(Some(&a), &snap(true, vec![jail("sshd", 2)])));
        assert!(banned_more(Some(&a), &snap(true, vec![jail("new", 1)])));
        // Fewer bans in force, or a first or offline snapshot: nothing new to archive.
        assert!(!banned_more(Some(&a), &snap(true, vec![jail("sshd", 0)])));
        assert!(!banned_more(None, &a));
        assert!(!banned_more(Some(&snap(false, vec![])), &a));
    }

    #[test]
    fn announces_what_changed() {
        let a = snap(true, vec![jail("sshd", 1), jail("web", 0)]);
        let b = snap(true, vec![jail("sshd", 2), jail("new", 0)]);
        assert_eq!(
            changes(Some(&a), &b),
            vec![
                Event::JailCounters {
                    jail: "sshd".into(),
                    currently_failed: 0,
                    total_failed: 0,
                    currently_banned: 2,
                    total_banned: 2
                },
                Event::JailStarted { jail: "new".into() },
                Event::JailStopped { jail: "web".into() },
            ]
        );
        assert_eq!(changes(Some(&a), &a), vec![]);
        let offline = Fail2banSnapshot {
            online: false,
            error: Some("fail2ban_unreachable".into()),
            ..a.clone()
        };
        assert_eq!(
            changes(Some(&a), &offline),
            vec![Event::Fail2banOffline {
                error: Some("fail2ban_unreachable".into())
            }]
        );
        assert_eq!(
            changes(Some(&offline), &a),
            vec![Event::Fail2banOnline {
                version: Some("1.0.2".into())
            }]
        );
        // The first snapshot of a fresh installation only says fail2ban is there.
        assert_eq!(
            changes(None, &a),
            vec![Event::Fail2banOnline {
                version: Some("1.0.2".into())
            }]
        );
    }
}
