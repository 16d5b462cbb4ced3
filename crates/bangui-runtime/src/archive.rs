//! The ban archive: fail2ban's bans, kept in bangui's PostgreSQL after fail2ban forgets them.
//!
//! fail2ban keeps a ban's row for a day (`dbpurgeage`) and deletes it at once when the ban is
//! lifted by hand. So the archive copies fail2ban's new rows regularly ([`Runtime::sync_archive`],
//! backfilling everything still there on the first run), archives the bans bangui makes itself
//! as they happen, and copies what fail2ban holds about addresses before bangui lifts their
//! bans ([`Runtime::lifting`]).

use std::path::PathBuf;
use std::time::Duration;

use bangui_core::{Event, JailName, Network, Origin};
use bangui_fail2ban::database::{BanRecord, DatabaseError, Fail2banDatabase, Position};
use bangui_store::StoreError;
use bangui_store::history::ArchivedBan;

use crate::{Runtime, RuntimeError};

/// Rows read per statement.
const PAGE: i64 = 2000;
/// Where the last sync stopped, in the `settings` table.
const POSITION: &str = "history_sync_position";
/// One sync at a time across the cluster: two would read the same rows.
const SYNC_LOCK: &str = "archive-sync";
/// Longer than a sync of new rows takes; a first backfill that outlasts it only risks a second
/// sync reading rows the first one archives (stored once all the same).
const SYNC_LOCK_TTL: Duration = Duration::from_secs(120);
/// How long a sync waits for the one in progress, which may have read fail2ban's database
/// before the rows it is meant to copy.
const SYNC_WAIT: Duration = Duration::from_secs(30);

/// Why the archive could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("fail2ban runs without a database (dbfile = None)")]
    NoDatabase,
    #[error("fail2ban: {0}")]
    Fail2ban(#[from] bangui_fail2ban::Error),
    #[error(transparent)]
    Fail2banDatabase(#[from] DatabaseError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The bans to lift.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Lifted<'a> {
    /// These addresses, in one jail or in every jail.
    Addresses(&'a [Network], Option<&'a JailName>),
    /// Every ban of every jail.
    All,
}

impl Runtime {
    async fn fail2ban_database(&self) -> Result<Fail2banDatabase, ArchiveError> {
        let path: PathBuf = match &self.settings().fail2ban_db {
            Some(p) => p.clone(),
            None => self
                .fail2ban()
                .server_settings()
                .await?
                .dbfile
                .ok_or(ArchiveError::NoDatabase)?
                .into(),
        };
        Ok(Fail2banDatabase::open(&path).await?)
    }

    /// Copies fail2ban's rows newer than the last sync (all of them the first time); returns
    /// how many bans were new to the archive, and announces them. One worker at a time: this
    /// waits for a sync in progress.
    #[tracing::instrument(skip_all, err)]
    pub async fn sync_archive(&self) -> Result<u64, ArchiveError> {
        let redis = self.redis();
        let lock = redis
            .lock_within(
                SYNC_LOCK,
                SYNC_LOCK_TTL,
                SYNC_WAIT,
                Duration::from_millis(100),
            )
            .await?;
        let result = self.copy_new_rows().await;
        if let Some(lock) = lock {
            redis.unlock(lock).await?;
        }
        let archived = result?;
        if archived > 0 {
            redis.publish(&Event::ArchiveChanged { archived }).await?;
        }
        Ok(archived)
    }

    /// Syncs the archive in the background: fail2ban banned by itself (its counters grew), and
    /// pages showing the archive should see it within seconds, not at the next scheduled sync.
    pub(crate) fn follow_new_bans(&self) {
        let runtime = self.clone();
        tokio::spawn(async move {
            match runtime.sync_archive().await {
                Ok(archived) => tracing::debug!(archived, "new bans archived"),
                Err(e) => tracing::warn!(error = %e, "could not archive new bans"),
            }
        });
    }

    async fn copy_new_rows(&self) -> Result<u64, ArchiveError> {
        let db = self.db();
        let mut fail2ban = self.fail2ban_database().await?;
        let mut position: Position = match db.setting(POSITION).await? {
            Some(v) => serde_json::from_value(v).unwrap_or_default(),
            None => Position::default(),
        };
        let mut archived = 0;
        loop {
            let (records, last) = fail2ban.bans_after(position, PAGE).await?;
            let Some(last) = last else { break };
            archived += self.archive(records).await?;
            position = last;
            db.put_setting(
                POSITION,
                &serde_json::to_value(position).map_err(StoreError::from)?,
            )
            .await?;
        }
        fail2ban.close().await?;
        Ok(archived)
    }

    /// Archives what fail2ban holds about these addresses now.
    pub async fn archive_addresses(&self, ips: &[Network]) -> Result<u64, ArchiveError> {
        let mut fail2ban = self.fail2ban_database().await?;
        let records = fail2ban.bans_of(ips).await?;
        fail2ban.close().await?;
        self.archive(records).await
    }

    async fn archive(&self, records: Vec<BanRecord>) -> Result<u64, ArchiveError> {
        let bans: Vec<ArchivedBan> = records.into_iter().map(archived).collect();
        if bans.is_empty() {
            return Ok(0);
        }
        let archived = self.db().archive_bans(&bans).await?;
        self.archive_changed().await;
        Ok(archived)
    }

    /// A ban made through bangui goes into the archive at once: fail2ban's own row would be
    /// deleted by a manual unban before the next sync could copy it. Best effort.
    pub(crate) async fn archive_manual_ban(&self, jail: &JailName, ip: Network) {
        let duration_secs = self.fail2ban().bantime(jail).await.unwrap_or(-1);
        let ban = ArchivedBan {
            jail: jail.to_string(),
            ip,
            started_at: chrono::Utc::now(),
            duration_secs,
            ban_count: 1,
            failures: 0,
            matches: serde_json::Value::Array(Vec::new()),
            origin: Origin::Manual,
        };
        match self.db().archive_bans(&[ban]).await {
            Ok(archived) => {
                self.archive_changed().await;
                // Pages showing the archive refresh on this event; the sync that later finds
                // fail2ban's row of this ban finds it archived and announces nothing.
                if archived > 0
                    && let Err(e) = self
                        .redis()
                        .publish(&Event::ArchiveChanged { archived })
                        .await
                {
                    tracing::warn!(error = %e, "could not announce an archived ban");
                }
            }
            Err(e) => tracing::error!(error = %e, "could not archive a ban"),
        }
    }

    /// Lifts bans with `unban`, keeping the archive whole around it: fail2ban deletes the rows
    /// of what is lifted by hand, so they are archived first, and afterwards the archive marks
    /// them lifted, by `by` (`session:…` or `blocklist`). Archive failures are logged, not
    /// returned: the unban happened.
    pub(crate) async fn lifting(
        &self,
        lifted: Lifted<'_>,
        by: &str,
        unban: impl Future<Output = Result<u64, RuntimeError>>,
    ) -> Result<u64, RuntimeError> {
        let before = match lifted {
            Lifted::Addresses(ips, _) => self.archive_addresses(ips).await,
            Lifted::All => self.sync_archive().await,
        };
        if let Err(e) = before {
            tracing::warn!(error = %e, "could not archive bans before lifting them");
        }
        let count = unban.await?;
        let marked = match lifted {
            Lifted::Addresses(ips, jail) => {
                self.db()
                    .mark_unbanned(jail.map(JailName::as_str), ips, by)
                    .await
            }
            Lifted::All => self.db().mark_all_unbanned(by).await,
        };
        match marked {
            Ok(_) => self.archive_changed().await,
            Err(e) => tracing::error!(error = %e, "could not mark lifted bans in the archive"),
        }
        Ok(count)
    }
}

/// A row of fail2ban's database as the archive keeps it.
fn archived(record: BanRecord) -> ArchivedBan {
    let origin = if record.is_manual() {
        Origin::Manual
    } else {
        Origin::Auto
    };
    ArchivedBan {
        origin,
        jail: record.jail,
        ip: record.ip,
        started_at: record.started_at,
        duration_secs: record.duration_secs,
        ban_count: record.ban_count,
        failures: record.failures,
        matches: serde_json::Value::Array(
            record
                .matches
                .into_iter()
                .map(serde_json::Value::String)
                .collect(),
        ),
    }
}
