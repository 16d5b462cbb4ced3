//! The running jails: what bangui shows of them, and their control (start, stop, reload,
//! idle, ignore lists). Each change updates the shared status before it returns, so every
//! worker's next answer shows it, and is announced as a live event.

use std::collections::BTreeMap;

use bangui_core::{Event, JailName, SearchText};
use bangui_fail2ban::{BantimeIncrement, Error as F2bError, JailFilter, ServerError, StatusFlavor};
use bangui_store::banlist::BanEntry;
use bangui_store::now_ms;
use ipnetwork::IpNetwork;

use crate::{Runtime, RuntimeError, ServedStatus, unknown_jail};

/// The running jails, from the shared snapshot, and which of them bangui set idle.
#[derive(Debug, Clone)]
pub struct JailsOverview {
    pub status: ServedStatus,
    /// fail2ban has no getter for idle: only what was set through bangui is known.
    pub idle: BTreeMap<String, bool>,
}

/// Everything bangui shows about one running jail.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
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
    /// Seconds.
    pub findtime: i64,
    /// Seconds; negative: for ever.
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

impl Runtime {
    /// Every running jail with its counters: no fail2ban command per request.
    pub async fn jails(&self) -> Result<JailsOverview, RuntimeError> {
        let (status, idle) = tokio::try_join!(self.status(), async {
            Ok(self.redis().idle_jails().await?)
        })?;
        Ok(JailsOverview { status, idle })
    }

    /// A running jail's bans in force whose address matches `q`, newest first.
    pub async fn banned(
        &self,
        jail: &JailName,
        q: Option<&SearchText>,
    ) -> Result<Vec<BanEntry>, RuntimeError> {
        let list = self.ban_list(jail).await?;
        let now = now_ms();
        Ok(list
            .active(now)
            .filter(|e| q.is_none_or(|q| q.matches(&e.ip)))
            .cloned()
            .collect())
    }

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

    /// Whether fail2ban runs `jail` now (asked, not taken from the shared snapshot).
    async fn is_running(&self, jail: &JailName) -> Result<bool, RuntimeError> {
        let status = self.fail2ban().status().await?;
        Ok(status.jails.iter().any(|j| j == jail.as_str()))
    }

    /// Starts a jail from the configuration (`reload --if-exists <jail>`: `start` alone only
    /// works for a jail fail2ban still knows). Returns whether it was stopped before.
    #[tracing::instrument(skip_all, fields(%jail))]
    pub async fn start_jail(&self, jail: &JailName) -> Result<bool, RuntimeError> {
        let was_running = self.is_running(jail).await?;
        if !was_running {
            self.run_reload(&["--if-exists", jail]).await?;
            if !self.is_running(jail).await? {
                return Err(RuntimeError::JailNotFound(jail.to_string()));
            }
        }
        self.refresh_after_reload().await?;
        Ok(!was_running)
    }

    /// Stops a jail (until the next reload). Stopping a stopped jail is not an error. Returns
    /// whether it was running.
    #[tracing::instrument(skip_all, fields(%jail))]
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
    #[tracing::instrument(skip_all, fields(jail = jail.map(JailName::as_str)))]
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
        self.refresh_after_reload().await?;
        self.redis()
            .publish(&Event::JailsReloaded {
                jail: jail.map(ToString::to_string),
            })
            .await?;
        Ok(())
    }

    /// Sets a jail idle (it keeps its bans but reads no logs) or active again.
    #[tracing::instrument(skip_all, fields(%jail))]
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

    #[tracing::instrument(skip_all, fields(%jail))]
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

    #[tracing::instrument(skip_all, fields(%jail))]
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

    #[tracing::instrument(skip_all, fields(%jail))]
    pub async fn set_ignore_self(&self, jail: &JailName, on: bool) -> Result<bool, RuntimeError> {
        self.fail2ban()
            .set_ignore_self(jail, on)
            .await
            .map_err(|e| unknown_jail(e, jail))
    }
}
