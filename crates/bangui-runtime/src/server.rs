//! fail2ban's server settings (log level and target, database purge age and match limit),
//! read and set through its socket, and the tail of its own log file.

use std::path::{Path, PathBuf};

use bangui_fail2ban::ServerSettings;
pub use bangui_fail2ban::config::files::tail_file as tail;
use bangui_fail2ban::config::{ConfigFiles, LocalConfigDir};

use crate::{Runtime, RuntimeError};

/// Log targets that are not files.
const NAMED_TARGETS: [&str; 4] = ["STDOUT", "STDERR", "SYSLOG", "SYSTEMD-JOURNAL"];
/// Below a day, the ban history fail2ban keeps (and bangui's archive copies) is short.
pub const SHORT_PURGE_AGE_SECS: i64 = 86_400;
/// The most a log read scans backwards for matching lines.
pub const SCAN_LIMIT: u64 = 16 << 20;

/// The server settings and what deserves a second look.
#[derive(Debug, Clone)]
pub struct ServerView {
    pub settings: ServerSettings,
    pub syslog_socket: String,
    pub warnings: Vec<String>,
}

/// Settings to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default)]
pub struct ServerChange {
    pub loglevel: Option<String>,
    pub logtarget: Option<String>,
    pub dbpurgeage: Option<u64>,
    pub dbmaxmatches: Option<u32>,
}

/// Why a change or a log read was refused.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("{0}")]
    Invalid(String),
    /// fail2ban does not log to a file bangui may read.
    #[error("{0}")]
    NotAFile(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<bangui_fail2ban::Error> for ServerError {
    fn from(e: bangui_fail2ban::Error) -> Self {
        Self::Runtime(e.into())
    }
}

/// The last lines of fail2ban's log.
#[derive(Debug, Clone)]
pub struct LogTail {
    pub path: String,
    /// Oldest first.
    pub lines: Vec<String>,
    /// The scan stopped at its limit before finding as many lines as asked.
    pub truncated: bool,
}

fn warnings(settings: &ServerSettings) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(age) = settings.dbpurgeage
        && age < SHORT_PURGE_AGE_SECS
    {
        out.push(format!(
            "dbpurgeage is {age} s, under a day: fail2ban forgets bans (and repeat offenders) that soon"
        ));
    }
    out
}

/// `target` if fail2ban may be pointed at it: a named target, or a `.log` file directly
/// under `log_dir` (fail2ban writes it as root: nowhere else).
fn allowed_target(target: &str, log_dir: &Path) -> Result<String, ServerError> {
    let upper = target.to_uppercase();
    if NAMED_TARGETS.contains(&upper.as_str()) {
        return Ok(upper);
    }
    let path = Path::new(target);
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let plain_name = name.ends_with(".log")
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let parent = path.parent().and_then(|p| p.canonicalize().ok());
    let dir = log_dir.canonicalize().ok();
    if !path.is_absolute() || !plain_name || parent.is_none() || parent != dir {
        return Err(ServerError::Invalid(format!(
            "logtarget is STDOUT, STDERR, SYSLOG, SYSTEMD-JOURNAL or a .log file directly in {}",
            log_dir.display()
        )));
    }
    Ok(target.to_owned())
}

impl Runtime {
    pub async fn server_view(&self) -> Result<ServerView, ServerError> {
        let c = self.fail2ban();
        let settings = c.server_settings().await?;
        let syslog_socket = c.syslog_socket().await?;
        let warnings = warnings(&settings);
        Ok(ServerView {
            settings,
            syslog_socket,
            warnings,
        })
    }

    /// Applies `change` (each setting checked before any is set) and answers the settings
    /// fail2ban has then.
    pub async fn change_server(&self, change: &ServerChange) -> Result<ServerView, ServerError> {
        let target = change
            .logtarget
            .as_deref()
            .map(|t| allowed_target(t, &self.settings().log_dir))
            .transpose()?;
        if change.dbpurgeage.is_some_and(|s| s > 100 * 365 * 86_400) {
            return Err(ServerError::Invalid(
                "dbpurgeage is at most 100 years".into(),
            ));
        }
        if change.dbmaxmatches.is_some_and(|n| n > 1_000_000) {
            return Err(ServerError::Invalid(
                "dbmaxmatches is at most 1,000,000".into(),
            ));
        }
        let c = self.fail2ban();
        if let Some(level) = &change.loglevel {
            c.set_loglevel(&level.to_uppercase())
                .await
                .map_err(|e| match e {
                    bangui_fail2ban::Error::InvalidArgument(m) => ServerError::Invalid(m),
                    other => other.into(),
                })?;
        }
        if let Some(target) = &target {
            c.set_logtarget(target).await?;
        }
        if let Some(age) = change.dbpurgeage {
            c.set_dbpurgeage(age).await?;
        }
        if let Some(n) = change.dbmaxmatches {
            c.set_dbmaxmatches(n).await?;
        }
        self.server_view().await
    }

    pub async fn flush_logs(&self) -> Result<String, ServerError> {
        Ok(self.fail2ban().flush_logs().await?)
    }

    /// The last `lines` lines of fail2ban's log (those containing `filter`, if given), read
    /// from the end of the file: only a file under the allowed log directory.
    pub async fn fail2ban_log(
        &self,
        lines: usize,
        filter: Option<String>,
    ) -> Result<LogTail, ServerError> {
        let settings = self.fail2ban().server_settings().await?;
        let target = settings.logtarget;
        if NAMED_TARGETS.contains(&target.to_uppercase().as_str()) {
            return Err(ServerError::NotAFile(format!(
                "fail2ban logs to {target}, not to a file: read it where that goes"
            )));
        }
        let log_dir = self.settings().log_dir.clone();
        let path = PathBuf::from(&target);
        let real = path.canonicalize().ok();
        let inside = match (&real, log_dir.canonicalize()) {
            (Some(real), Ok(dir)) => real.starts_with(dir),
            _ => false,
        };
        let Some(real) = real.filter(|_| inside) else {
            return Err(ServerError::NotAFile(format!(
                "fail2ban logs to {target}, which is not a file in {} (BANGUI_FAIL2BAN_LOG_DIR)",
                log_dir.display()
            )));
        };
        let files = LocalConfigDir::new(&self.settings().config_dir);
        let real = real.display().to_string();
        tokio::task::spawn_blocking(move || files.tail(&real, lines, filter.as_deref(), SCAN_LIMIT))
            .await
            .map_err(|e| RuntimeError::Config(format!("reading the log stopped: {e}")))?
            .map(|(lines, truncated)| LogTail {
                path: target,
                lines,
                truncated,
            })
            .map_err(|e| RuntimeError::Config(format!("reading fail2ban's log: {e}")).into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_named_targets_or_log_files_directly_in_the_log_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(allowed_target("syslog", dir.path()).unwrap(), "SYSLOG");
        let ok = dir.path().join("fail2ban.log");
        assert!(allowed_target(ok.to_str().unwrap(), dir.path()).is_ok());
        for bad in ["/etc/cron.d/evil.log", "relative.log", "/tmp/../etc/x.log"] {
            assert!(allowed_target(bad, dir.path()).is_err(), "{bad}");
        }
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        for bad in [
            sub.join("x.log"),
            dir.path().join("x.sh"),
            dir.path().join(".x.log"),
        ] {
            assert!(
                allowed_target(bad.to_str().unwrap(), dir.path()).is_err(),
                "{}",
                bad.display()
            );
        }
    }
}
