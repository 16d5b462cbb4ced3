//! fail2ban's configuration as its files say, next to what fail2ban runs. The files are read
//! through the configuration seam (`bangui_fail2ban::config::ConfigFiles`), today the local
//! `BANGUI_FAIL2BAN_CONFIG_DIR`.

use std::collections::HashSet;

use bangui_fail2ban::config::jails::{Host, JailConfig, jails};
use bangui_fail2ban::config::{ConfigSet, InterpolationError, LocalConfigDir, ReadWarning};

use crate::status::ServedStatus;
use crate::{Runtime, RuntimeError};

/// Every jail the configuration defines, and which of them fail2ban runs.
#[derive(Debug)]
pub struct ConfiguredJails {
    /// By name, in the order the configuration defines them; a jail whose values cannot be
    /// interpolated comes with the error.
    pub jails: Vec<(String, Result<JailConfig, InterpolationError>)>,
    /// The jails fail2ban runs now (empty while it cannot be reached).
    pub running: HashSet<String>,
    pub status: ServedStatus,
    /// The files read, in fail2ban's order.
    pub files: Vec<String>,
    pub warnings: Vec<ReadWarning>,
}

impl Runtime {
    /// Reads the jail configuration (off the async threads: it is file work).
    pub async fn configured_jails(&self) -> Result<ConfiguredJails, RuntimeError> {
        let status = self.status().await?;
        let dir = self.settings().config_dir.clone();
        let host = Host {
            version: status.snapshot.version.clone().unwrap_or_default(),
            confpath: dir.display().to_string(),
        };
        let (files, warnings, jails) = tokio::task::spawn_blocking(move || {
            let mut set = ConfigSet::read(&LocalConfigDir::new(&dir), "jail")?;
            let jails = jails(&mut set, &host);
            Ok::<_, bangui_fail2ban::config::ReadError>((
                set.files().to_vec(),
                set.warnings().to_vec(),
                jails,
            ))
        })
        .await
        .map_err(|e| RuntimeError::Config(format!("reading the configuration stopped: {e}")))?
        .map_err(|e| RuntimeError::Config(e.to_string()))?;
        if files.is_empty() {
            return Err(RuntimeError::Config(format!(
                "no jail.conf or jail.local in {}",
                self.settings().config_dir.display()
            )));
        }
        let running = status
            .snapshot
            .jails
            .iter()
            .map(|j| j.name.clone())
            .collect();
        Ok(ConfiguredJails {
            jails,
            running,
            status,
            files,
            warnings,
        })
    }
}
