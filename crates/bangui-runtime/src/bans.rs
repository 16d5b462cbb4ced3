//! Bans through bangui: manual bans and unbans, and where an address stands.
//!
//! Each change keeps the ban archive whole ([`crate::archive`]), refreshes the shared status so
//! every worker's next answer shows it, and is announced as a live event.

use std::net::IpAddr;

use bangui_core::{Event, JailName, SearchText};
use bangui_fail2ban::{Error as F2bError, ServerError};
use bangui_store::banlist::BanEntry;
use bangui_store::now_ms;
use ipnetwork::IpNetwork;

use crate::archive::Lifted;
use crate::{Countries, Runtime, RuntimeError, unknown_jail};

/// Where an address stands.
#[derive(Debug, Clone)]
pub struct Lookup {
    pub ip: IpAddr,
    /// Jails that ban it now.
    pub banned_in: Vec<String>,
    /// Jails whose ignore list covers it.
    pub ignored_in: Vec<String>,
}

/// A ban in force, with its jail.
#[derive(Debug, Clone)]
pub struct ActiveBan {
    pub jail: JailName,
    pub ban: BanEntry,
}

impl Runtime {
    /// Bans an address in a jail by hand; returns whether it was newly banned. A new ban is
    /// archived at once and its country looked up in the background.
    #[tracing::instrument(skip_all, fields(%jail, %ip))]
    pub async fn ban(&self, jail: &JailName, ip: IpAddr) -> Result<bool, RuntimeError> {
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

    /// Lifts the bans of an address, in one jail or in every jail; returns how many. `by` is
    /// who asked (`session:…`), for the archive.
    #[tracing::instrument(skip_all, fields(%ip, jail = jail.map(JailName::as_str)))]
    pub async fn unban(
        &self,
        ip: IpAddr,
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

    /// Which jails ban `ip`, and whose ignore list covers it.
    pub async fn lookup(&self, ip: IpAddr) -> Result<Lookup, RuntimeError> {
        let c = self.fail2ban();
        let banned_in = c
            .banned_for(&[ip])
            .await?
            .into_iter()
            .next()
            .unwrap_or_default();
        let mut ignored_in = Vec::new();
        for name in c.status().await?.jails {
            let Ok(jail) = JailName::parse(&name) else {
                continue;
            };
            match c.ignore_ips(&jail).await {
                Ok(entries) => {
                    if entries
                        .iter()
                        .filter_map(|e| e.parse::<IpNetwork>().ok())
                        .any(|net| net.contains(ip))
                    {
                        ignored_in.push(name);
                    }
                }
                // Stopped between the two commands.
                Err(F2bError::Server(ServerError::UnknownJail(_))) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(Lookup {
            ip,
            banned_in,
            ignored_in,
        })
    }
}
