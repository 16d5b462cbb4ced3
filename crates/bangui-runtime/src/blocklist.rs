//! A blocklist applied to its jail by difference.
//!
//! Entries that would lock someone out (a trusted proxy, loopback, the jail's ignore list, a
//! network broader than allowed: [`crate::lockout`]) are skipped and reported in the run's log
//! line; nothing of them reaches fail2ban.
//!
//! Only addresses the source has not banned yet are banned, and only addresses this source
//! itself added (and no other source of the jail still lists) are lifted when the list drops
//! them; membership is kept in PostgreSQL. An unchanged list therefore costs no fail2ban
//! command. Work goes in chunks, membership is recorded after each, and progress is reported, so
//! a run interrupted by a dead worker continues where it was when another worker runs it again.

use std::collections::HashSet;

use bangui_core::{JailName, Network};
use bangui_fail2ban::StatusFlavor;
use bangui_store::blocklists::{BlocklistSource, RefusedEntry, RunStats};
use bangui_store::jobs::Progress;

use crate::archive::Lifted;
use crate::{Countries, Runtime, RuntimeError, unknown_jail};

/// Addresses per fail2ban batch and membership update.
const CHUNK: usize = 10_000;

/// How far an import is, published where its job's progress bar reads it.
#[derive(Debug)]
pub struct ImportProgress {
    job_id: String,
    progress: Progress,
}

impl ImportProgress {
    pub fn new(job_id: impl Into<String>) -> Self {
        Self {
            job_id: job_id.into(),
            progress: Progress { done: 0, total: 0 },
        }
    }

    async fn publish(&self, runtime: &Runtime, progress: Progress) {
        if let Err(e) = runtime
            .redis()
            .set_job_progress(&self.job_id, progress)
            .await
        {
            tracing::debug!(error = %e, "could not report progress");
        }
    }
}

impl Runtime {
    /// Makes `source`'s jail hold what `listed` says for this source (nothing, for a deleted
    /// source), by difference; counts what it did in `stats`. `listed` holds distinct
    /// addresses and networks; one inside another listed network is banned with it, not on its
    /// own. Entries that would lock out `requested_from` (who asked for the import) and the
    /// others of [`crate::lockout`] are skipped and counted.
    #[tracing::instrument(skip_all, fields(source = source.id, jail = %source.jail))]
    pub async fn apply_blocklist(
        &self,
        source: &BlocklistSource,
        listed: &[Network],
        requested_from: Option<std::net::IpAddr>,
        progress: &mut ImportProgress,
        stats: &mut RunStats,
    ) -> Result<(), RuntimeError> {
        let jail = JailName::parse(&source.jail)
            .map_err(|_| RuntimeError::JailNotFound(source.jail.clone()))?;
        let db = self.db();
        let banned_now: HashSet<Network> = self
            .fail2ban()
            .jail_status(&jail, StatusFlavor::Full)
            .await
            .map_err(|e| unknown_jail(e, &jail))?
            .banned
            .unwrap_or_default()
            .iter()
            .filter_map(|ip| bangui_core::parse_network(ip).ok())
            .collect();
        let lockouts = self.jail_lockouts(&jail).await?.asked_from(requested_from);
        let mut allowed = Vec::with_capacity(listed.len());
        for &entry in listed {
            match lockouts.check(entry) {
                None => allowed.push(entry),
                Some(lockout) => {
                    stats.refused += 1;
                    if stats.refusals.len() < RunStats::KEPT_REFUSALS {
                        stats.refusals.push(RefusedEntry {
                            entry: entry.to_string(),
                            reason: lockout.reason().to_owned(),
                            message: lockout.to_string(),
                        });
                    }
                }
            }
        }
        if stats.refused > 0 {
            tracing::warn!(
                refused = stats.refused,
                "blocklist entries skipped: they would lock someone out"
            );
        }
        // Covering is worked out among what may be banned: a refused `0.0.0.0/0` covers nothing.
        let (listed, covered) = bangui_core::uncovered(allowed);
        stats.covered = covered as i32;
        let members: HashSet<Network> =
            db.blocklist_members(source.id).await?.into_iter().collect();
        let listed_set: HashSet<Network> = listed.iter().copied().collect();
        // Not yet banned by this source (or banned by it once and lifted by someone since).
        let to_ban: Vec<Network> = listed
            .iter()
            .copied()
            .filter(|ip| !(members.contains(ip) && banned_now.contains(ip)))
            .collect();
        let dropped: Vec<Network> = members
            .iter()
            .copied()
            .filter(|ip| !listed_set.contains(ip))
            .collect();
        let kept_by_others = db
            .listed_by_other_sources(source.id, &source.jail, &dropped)
            .await?;
        let to_unban: Vec<Network> = dropped
            .iter()
            .copied()
            .filter(|ip| !kept_by_others.contains(ip))
            .collect();
        progress.progress.total += (to_ban.len() + to_unban.len()) as u64;
        progress.publish(self, progress.progress).await;

        let client = self.fail2ban();
        for chunk in to_ban.chunks(CHUNK) {
            // Membership first or at once is safe: an address this source claims but fail2ban
            // does not ban is banned again by the next run.
            let (newly, ()) = tokio::try_join!(
                self.reported(progress, |tx| {
                    client.ban_with_progress(&jail, chunk, move |done| {
                        tx.send_replace(done);
                    })
                }),
                async { Ok(db.add_blocklist_members(source.id, chunk).await?) },
            )?;
            stats.newly_banned += newly as i32;
            stats.already_banned += (chunk.len() as u64 - newly) as i32;
            progress.progress.done += chunk.len() as u64;
        }
        // Countries of what this run banned, looked up by a job (after the bans, which it
        // would slow down).
        if !to_ban.is_empty() {
            self.followups()
                .resolve_countries(Countries::MembersOf(source.id))
                .await;
        }
        for chunk in to_unban.chunks(CHUNK) {
            let unban = self.reported(progress, |tx| {
                client.unban_with_progress(&jail, chunk, move |done| {
                    tx.send_replace(done);
                })
            });
            let lifted = Lifted::Addresses(chunk, Some(&jail));
            stats.removed += self.lifting(lifted, "blocklist", unban).await? as i32;
            progress.progress.done += chunk.len() as u64;
        }
        // This source no longer claims what it stopped listing, whether or not it was lifted.
        for chunk in dropped.chunks(CHUNK * 20) {
            db.remove_blocklist_members(source.id, chunk).await?;
        }
        Ok(())
    }

    /// Runs one ban or unban batch, publishing progress after each of its fail2ban commands
    /// (the batch sends how many addresses it has done on the channel it is given).
    async fn reported<Fut>(
        &self,
        progress: &ImportProgress,
        batch: impl FnOnce(tokio::sync::watch::Sender<usize>) -> Fut,
    ) -> Result<u64, RuntimeError>
    where
        Fut: Future<Output = Result<u64, bangui_fail2ban::Error>>,
    {
        let before = progress.progress;
        let (tx, mut rx) = tokio::sync::watch::channel(0);
        // Ends when the batch is over and drops its sender.
        let reporter = async {
            while rx.changed().await.is_ok() {
                let done = *rx.borrow_and_update() as u64;
                let now = Progress {
                    done: before.done + done,
                    total: before.total,
                };
                progress.publish(self, now).await;
            }
        };
        let (outcome, ()) = tokio::join!(batch(tx), reporter);
        Ok(outcome?)
    }
}
