//! Bans through bangui: manual bans and unbans, and where an address stands.
//!
//! Each change keeps the ban archive whole ([`crate::archive`]), refreshes the shared status so
//! every worker's next answer shows it, and is announced as a live event.

use bangui_core::{Event, JailName, Network, SearchText};
use bangui_fail2ban::{Error as F2bError, ServerError};
use bangui_store::banlist::BanEntry;
use bangui_store::now_ms;

use crate::archive::Lifted;
use crate::{Countries, Runtime, RuntimeError, unknown_jail};

/// Where an address or network stands.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub ip: Network,
    /// Jails that ban it now, as itself or inside a banned network.
    pub banned_in: Vec<String>,
    /// The bans in force that are it or cover it, then those inside it (at most
    /// [`LOOKUP_BANS`] in all).
    pub bans: Vec<LookupBan>,
    /// How many there are in all.
    pub bans_total: usize,
    /// Jails whose ignore list overlaps it.
    pub ignored_in: Vec<String>,
}

/// Most bans a lookup lists (a network looked up may hold a whole blocklist).
pub const LOOKUP_BANS: usize = 500;

/// How a ban in force relates to what was looked up (in the order a lookup lists them).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Coverage {
    /// The same address or network.
    Exact,
    /// A banned network that contains it.
    Containing,
    /// A banned address or network inside the network looked up.
    Inside,
}

/// A ban in force that a lookup found.
#[derive(Debug, Clone)]
pub struct LookupBan {
    pub jail: String,
    pub ip: Network,
    pub coverage: Coverage,
}

/// A ban in force, with its jail.
#[derive(Debug, Clone)]
pub struct ActiveBan {
    pub jail: JailName,
    pub ban: BanEntry,
}

impl Runtime {
    /// Bans an address or network in a jail by hand; returns whether it was newly banned. A
    /// new ban is archived at once and its country looked up in the background.
    #[tracing::instrument(skip_all, fields(%jail, %ip))]
    pub async fn ban(&self, jail: &JailName, ip: Network) -> Result<bool, RuntimeError> {
        let newly = self
            .fail2ban()
            .ban(jail, &[ip])
            .await
            .map_err(|e| unknown_jail(e, jail))?
            > 0;
        if newly {
            self.archive_manual_ban(jail, ip).await;
            self.followups()
                .resolve_countries(Countries::Of(vec![ip]))
                .await;
        }
        self.refresh_status().await?;
        if newly {
            let event = Event::Ban {
                jail: jail.to_string(),
                ip: ip.to_string(),
            };
            self.redis().publish(&event).await?;
        }
        Ok(newly)
    }

    /// Lifts the bans of an address or network (as banned: not the addresses inside a
    /// network), in one jail or in every jail; returns how many. `by` is who asked
    /// (`session:…`), for the archive.
    #[tracing::instrument(skip_all, fields(%ip, jail = jail.map(JailName::as_str)))]
    pub async fn unban(
        &self,
        ip: Network,
        jail: Option<&JailName>,
        by: &str,
    ) -> Result<u64, RuntimeError> {
        let unban = async {
            Ok(match jail {
                Some(j) => self
                    .fail2ban()
                    .unban(j, &[ip])
                    .await
                    .map_err(|e| unknown_jail(e, j))?,
                None => self.fail2ban().unban_everywhere(&[ip]).await?,
            })
        };
        let count = self
            .lifting(Lifted::Addresses(&[ip], jail), by, unban)
            .await?;
        self.refresh_status().await?;
        if count > 0 {
            let event = Event::Unban {
                jail: jail.map(ToString::to_string),
                ip: ip.to_string(),
                count,
            };
            self.redis().publish(&event).await?;
        }
        Ok(count)
    }

    /// Lifts every ban of every jail; returns how many.
    #[tracing::instrument(skip_all)]
    pub async fn unban_all(&self, by: &str) -> Result<u64, RuntimeError> {
        let unban = async { Ok(self.fail2ban().unban_all().await?) };
        let count = self.lifting(Lifted::All, by, unban).await?;
        self.refresh_status().await?;
        self.redis().publish(&Event::UnbanAll { count }).await?;
        Ok(count)
    }

    /// The bans in force of every running jail (or of `jail`) whose address matches `q`,
    /// newest first. One status read for all jails; each list from the shared cache.
    pub async fn active_bans(
        &self,
        jail: Option<&JailName>,
        q: Option<&SearchText>,
    ) -> Result<Vec<ActiveBan>, RuntimeError> {
        let status = self.status().await?;
        let jails: Vec<JailName> = match jail {
            Some(j) => vec![j.clone()],
            None => status
                .snapshot
                .jails
                .iter()
                .filter_map(|j| JailName::parse(&j.name).ok())
                .collect(),
        };
        let now = now_ms();
        let mut matching = Vec::new();
        for jail in jails {
            let list = self.ban_list_at(&status, &jail).await?;
            matching.extend(
                list.active(now)
                    .filter(|e| q.is_none_or(|q| q.matches(&e.ip)))
                    .map(|e| ActiveBan {
                        jail: jail.clone(),
                        ban: e.clone(),
                    }),
            );
        }
        matching.sort_by(|a, b| {
            b.ban
                .start_ms
                .cmp(&a.ban.start_ms)
                .then_with(|| a.ban.ip.cmp(&b.ban.ip))
        });
        Ok(matching)
    }

    /// Which jails ban `ip` (as itself or inside a banned network), the bans in force that
    /// cover it or lie inside it, and whose ignore list overlaps it. One status read; each ban
    /// list from the shared cache.
    pub async fn lookup(&self, ip: Network) -> Result<Lookup, RuntimeError> {
        let status = self.status().await?;
        let now = now_ms();
        let (mut banned_in, mut bans, mut ignored_in) = (Vec::new(), Vec::new(), Vec::new());
        for jail in &status.snapshot.jails {
            let Ok(name) = JailName::parse(&jail.name) else {
                continue;
            };
            let list = match self.ban_list_at(&status, &name).await {
                Ok(list) => list,
                // Stopped since the status was read.
                Err(RuntimeError::JailNotFound(_)) => continue,
                Err(e) => return Err(e),
            };
            let mut covered = false;
            for entry in list.active(now) {
                let Ok(banned) = bangui_core::parse_network(&entry.ip) else {
                    continue;
                };
                let coverage = if banned == ip {
                    Coverage::Exact
                } else if banned.covers(ip) {
                    Coverage::Containing
                } else if ip.covers(banned) {
                    Coverage::Inside
                } else {
                    continue;
                };
                covered |= coverage != Coverage::Inside;
                bans.push(LookupBan {
                    jail: jail.name.clone(),
                    ip: banned,
                    coverage,
                });
            }
            if covered {
                banned_in.push(jail.name.clone());
            }
            match self.fail2ban().ignore_ips(&name).await {
                Ok(entries) => {
                    if crate::lockout::ignored_by(ip, &entries).is_some() {
                        ignored_in.push(jail.name.clone());
                    }
                }
                Err(F2bError::Server(ServerError::UnknownJail(_))) => {}
                Err(e) => return Err(e.into()),
            }
        }
        // What bans it first: only bans inside a network looked up are cut off.
        bans.sort_by(|a, b| (a.coverage, &a.jail, a.ip).cmp(&(b.coverage, &b.jail, b.ip)));
        let bans_total = bans.len();
        bans.truncate(LOOKUP_BANS);
        Ok(Lookup {
            ip,
            banned_in,
            bans,
            bans_total,
            ignored_in,
        })
    }
}
