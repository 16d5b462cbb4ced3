//! Changes to fail2ban made through bangui. Each one updates the shared status before it
//! returns (so every worker's next answer shows it) and is announced as a live event.

use std::net::IpAddr;

use bangui_core::JailName;
use bangui_fail2ban::{BantimeIncrement, Error as F2bError, JailFilter, ServerError, StatusFlavor};
use bangui_store::events::Event;
use ipnetwork::IpNetwork;
use serde::Serialize;

use crate::{Runtime, RuntimeError};

/// Everything bangui shows about one jail.
#[derive(Debug, Clone, Serialize)]
pub struct JailDetail {
    pub name: String,
    pub running: bool,
    /// Idle jails keep their bans but read no logs. Only known when set through bangui:
    /// fail2ban has no getter for it.
    pub idle: bool,
    pub backend: Option<String>,
    pub filter: JailFilter,
    pub actions: Vec<String>,
    pub log_paths: Vec<String>,
    pub journal_matches: Vec<String>,
    pub findtime: i64,
    pub bantime: i64,
    pub maxretry: i64,
    pub bantime_increment: BantimeIncrement,
    pub ignore_ips: Vec<String>,
    pub ignore_self: bool,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
}

/// Where an address stands.
#[derive(Debug, Clone, Serialize)]
pub struct Lookup {
    pub ip: String,
    /// Jails that ban it now.
    pub banned_in: Vec<String>,
    /// Jails whose ignore list covers it.
    pub ignored_in: Vec<String>,
}

fn unknown_jail(e: F2bError, jail: &JailName) -> RuntimeError {
    match e {
        F2bError::Server(ServerError::UnknownJail(_)) => {
            RuntimeError::JailNotFound(jail.to_string())
        }
        other => other.into(),
    }
}

impl Runtime {
    pub async fn jail_detail(&self, jail: &JailName) -> Result<JailDetail, RuntimeError> {
        let c = self.fail2ban();
        let status = c
            .jail_status(jail, StatusFlavor::Short)
            .await
            .map_err(|e| unknown_jail(e, jail))?;
        let idle = self
            .redis()
            .idle_jails()
            .await?
            .get(jail.as_str())
            .copied()
            .unwrap_or(false);
        Ok(JailDetail {
            name: jail.to_string(),
            running: true,
            idle,
            backend: c.backend(jail).await?,
            filter: c.filter(jail).await?,
            actions: c.actions(jail).await?,
            log_paths: status.files,
            journal_matches: status.journal_matches,
            findtime: c.findtime(jail).await?,
            bantime: c.bantime(jail).await?,
            maxretry: c.maxretry(jail).await?,
            bantime_increment: c.bantime_increment(jail).await?,
            ignore_ips: c.ignore_ips(jail).await?,
            ignore_self: c.ignore_self(jail).await?,
            currently_failed: status.currently_failed,
            total_failed: status.total_failed,
            currently_banned: status.currently_banned,
            total_banned: status.total_banned,
        })
    }

    /// Bans an address in a jail. Returns whether it was newly banned.
    pub async fn ban(&self, jail: &JailName, ip: IpAddr) -> Result<bool, RuntimeError> {
        let newly = self
            .fail2ban()
            .ban(jail, &[ip])
            .await
            .map_err(|e| unknown_jail(e, jail))?
            > 0;
        self.refresh_status().await?;
        if newly {
            self.redis()
                .publish(&Event::Ban {
                    jail: jail.to_string(),
                    ip: ip.to_string(),
                })
                .await?;
        }
        Ok(newly)
    }

    /// Lifts the bans of an address, in one jail or in every jail. Returns how many.
    pub async fn unban(&self, ip: IpAddr, jail: Option<&JailName>) -> Result<u64, RuntimeError> {
        let count = match jail {
            Some(j) => self
                .fail2ban()
                .unban(j, &[ip])
                .await
                .map_err(|e| unknown_jail(e, j))?,
            None => self.fail2ban().unban_everywhere(&[ip]).await?,
        };
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

    /// Lifts every ban of every jail. Returns how many.
    pub async fn unban_all(&self) -> Result<u64, RuntimeError> {
        let count = self.fail2ban().unban_all().await?;
        self.refresh_status().await?;
        self.redis().publish(&Event::UnbanAll { count }).await?;
        Ok(count)
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
            ip: ip.to_string(),
            banned_in,
            ignored_in,
        })
    }

    /// Whether fail2ban runs `jail` now (asked, not taken from the shared snapshot).
    async fn is_running(&self, jail: &JailName) -> Result<bool, RuntimeError> {
        let status = self.fail2ban().status().await?;
        Ok(status.jails.iter().any(|j| j == jail.as_str()))
    }

    /// Starts a jail from the configuration (`reload --if-exists <jail>`: `start` alone only
    /// works for a jail fail2ban still knows). Returns whether it was stopped before.
    pub async fn start_jail(&self, jail: &JailName) -> Result<bool, RuntimeError> {
        let was_running = self.is_running(jail).await?;
        if !was_running {
            self.run_reload(&["--if-exists", jail]).await?;
            if !self.is_running(jail).await? {
                return Err(RuntimeError::JailNotFound(jail.to_string()));
            }
        }
        self.refresh_status().await?;
        Ok(!was_running)
    }

    /// Stops a jail (until the next reload). Stopping a stopped jail is not an error. Returns
    /// whether it was running.
    pub async fn stop_jail(&self, jail: &JailName) -> Result<bool, RuntimeError> {
        let was_running = match self.fail2ban().stop_jail(jail).await {
            Ok(()) => true,
            Err(F2bError::Server(ServerError::UnknownJail(_))) => false,
            Err(e) => return Err(e.into()),
        };
        self.redis().drop_ban_list(jail).await?;
        self.refresh_status().await?;
        Ok(was_running)
    }

    /// Reloads one jail, or all jails, from the configuration directory.
    pub async fn reload(&self, jail: Option<&JailName>) -> Result<(), RuntimeError> {
        match jail {
            Some(j) => {
                if !self.is_running(j).await? {
                    return Err(RuntimeError::JailNotFound(j.to_string()));
                }
                self.run_reload(&[j]).await?;
            }
            None => self.run_reload(&[]).await?,
        }
        self.refresh_status().await?;
        self.redis()
            .publish(&Event::JailsReloaded {
                jail: jail.map(ToString::to_string),
            })
            .await?;
        Ok(())
    }

    /// Sets a jail idle (it keeps its bans but reads no logs) or active again.
    pub async fn set_idle(&self, jail: &JailName, idle: bool) -> Result<bool, RuntimeError> {
        let now = self
            .fail2ban()
            .set_idle(jail, idle)
            .await
            .map_err(|e| unknown_jail(e, jail))?;
        self.redis().set_idle_jail(jail, now).await?;
        self.redis()
            .publish(&Event::JailIdle {
                jail: jail.to_string(),
                idle: now,
            })
            .await?;
        Ok(now)
    }

    pub async fn ignore_list(&self, jail: &JailName) -> Result<(Vec<String>, bool), RuntimeError> {
        let c = self.fail2ban();
        let list = c
            .ignore_ips(jail)
            .await
            .map_err(|e| unknown_jail(e, jail))?;
        Ok((list, c.ignore_self(jail).await?))
    }

    pub async fn add_ignore(
        &self,
        jail: &JailName,
        net: IpNetwork,
    ) -> Result<Vec<String>, RuntimeError> {
        self.fail2ban()
            .add_ignore_ip(jail, net)
            .await
            .map_err(|e| unknown_jail(e, jail))
    }

    pub async fn remove_ignore(
        &self,
        jail: &JailName,
        net: IpNetwork,
    ) -> Result<Vec<String>, RuntimeError> {
        self.fail2ban()
            .remove_ignore_ip(jail, net)
            .await
            .map_err(|e| unknown_jail(e, jail))
    }

    pub async fn set_ignore_self(&self, jail: &JailName, on: bool) -> Result<bool, RuntimeError> {
        self.fail2ban()
            .set_ignore_self(jail, on)
            .await
            .map_err(|e| unknown_jail(e, jail))
    }
}
