//! Changing one jail's configuration safely, from any worker: activating a configured but
//! inactive jail, editing a jail's options, deactivating it. One configuration change at a
//! time per fail2ban (the configuration write lock); the jail's `jail.d/<name>.local` changed
//! (never a stock `.conf`) and kept as a revision; checked as fail2ban's client would read it
//! (filter, actions, log files) before fail2ban is touched; then, if fail2ban runs or is to
//! run the jail, `fail2ban-client reload --if-exists <jail>` (or `stop <jail>`) and a check
//! that fail2ban runs what it should. On any failure the file is put back as it was, fail2ban
//! is brought back to the jails it ran before, and the answer carries fail2ban's own error
//! text, a hint where one helps, and whether everything was recovered.
//!
//! Options are a short list with strict values (`config::guard::check_jail_option`): nothing
//! a caller sends can become a command fail2ban runs.

use std::collections::BTreeSet;

use bangui_core::JailName;
use bangui_fail2ban::config::edit::{edit_options, parses};
use bangui_fail2ban::config::guard::check_jail_option;
use bangui_fail2ban::config::jails::{Host, jails};
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir};
use bangui_store::runtime_state::PendingActivation;

use crate::config_files::FileChangeError;
use crate::{Runtime, RuntimeError};

/// Why a jail change did not happen, or failed and was rolled back.
#[derive(Debug, thiserror::Error)]
pub enum ActivationError {
    /// The request itself is wrong (unknown jail, a refused override); nothing was touched.
    #[error("{0}")]
    Invalid(String),
    #[error("no jail [{0}] in fail2ban's configuration")]
    NotConfigured(String),
    #[error("fail2ban runs {0} already")]
    AlreadyActive(String),
    /// fail2ban's client would not start the jail as configured (its filter or an action
    /// missing, no log file); nothing reached fail2ban and the file is as it was.
    #[error("{message}")]
    Rejected {
        message: String,
        hint: Option<String>,
        /// Everything the check found (the message is the first).
        errors: Vec<crate::validation::Finding>,
    },
    /// fail2ban refused or failed to start it; the file was put back.
    #[error("{message}")]
    Failed {
        message: String,
        fail2ban_message: Option<String>,
        hint: Option<String>,
        /// fail2ban runs the jails it ran before, and the file is as it was.
        recovered: bool,
    },
    #[error(transparent)]
    Files(#[from] FileChangeError),
}

impl From<RuntimeError> for ActivationError {
    fn from(e: RuntimeError) -> Self {
        Self::Files(FileChangeError::Runtime(e))
    }
}

impl From<bangui_fail2ban::Error> for ActivationError {
    fn from(e: bangui_fail2ban::Error) -> Self {
        RuntimeError::from(e).into()
    }
}

impl From<bangui_store::StoreError> for ActivationError {
    fn from(e: bangui_store::StoreError) -> Self {
        Self::Files(e.into())
    }
}

/// What a change does to the jail.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JailChange {
    /// Start a configured jail fail2ban does not run (`enabled = true`).
    Activate,
    /// Change options; a running jail is reloaded with them.
    Edit,
    /// Stop it and keep it stopped (`enabled = false`).
    Deactivate,
}

impl JailChange {
    fn name(self) -> &'static str {
        match self {
            Self::Activate => "activate",
            Self::Edit => "edit",
            Self::Deactivate => "deactivate",
        }
    }
}

/// A jail changed.
#[derive(Debug, Clone)]
pub struct JailChanged {
    pub jail: String,
    /// The file written, relative to the configuration directory.
    pub file: String,
    /// fail2ban runs the jail now.
    pub running: bool,
}

/// One option to set (`Some`) or to remove from the jail's `.local` (`None`).
pub type OptionChange = (String, Option<Vec<String>>);

/// A log path added to or removed from the jail's effective list (written whole to its
/// `.local`, worked out under the write lock so that two changes never lose one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogPathChange {
    Add(String),
    Remove(String),
}

/// A hint for fail2ban's error text, where one helps.
fn hint_for(message: &str) -> Option<String> {
    let m = message.to_lowercase();
    if m.contains("unknownjailexception") || m.contains("log file") || m.contains("logpath") {
        Some("check the jail's logpath: fail2ban starts a jail only when one of its log files exists".into())
    } else if m.contains("regex") || m.contains("failregex") || m.contains("unable to compile") {
        Some("check the filter's failregex and ignoreregex: fail2ban could not compile one".into())
    } else if m.contains("action") {
        Some("check the jail's actions: one of them is missing or broken".into())
    } else {
        None
    }
}

impl Runtime {
    /// Activates `jail` (configured, not running) with `overrides`; see the module.
    pub async fn activate_jail(
        &self,
        jail: &JailName,
        overrides: &[(String, Vec<String>)],
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        for (key, _) in overrides {
            if key == "enabled" || key == "filter" {
                return Err(ActivationError::Invalid(format!(
                    "{key} cannot be set on activation"
                )));
            }
        }
        let mut values: Vec<OptionChange> = vec![("enabled".into(), Some(vec!["true".into()]))];
        values.extend(overrides.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        self.change_jail(jail, JailChange::Activate, values, None, actor)
            .await
    }

    /// Sets or removes options of `jail` in its `jail.d/<name>.local`; a running jail is
    /// reloaded with them (and the file put back if fail2ban refuses them).
    pub async fn edit_jail(
        &self,
        jail: &JailName,
        values: Vec<OptionChange>,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        if values.is_empty() {
            return Err(ActivationError::Invalid("no option to change".into()));
        }
        if values.iter().any(|(k, _)| k == "enabled") {
            return Err(ActivationError::Invalid(
                "enabled is changed by activating or deactivating the jail".into(),
            ));
        }
        self.change_jail(jail, JailChange::Edit, values, None, actor)
            .await
    }

    /// Adds a log path to `jail` or removes one (the jail keeps at least one).
    pub async fn change_jail_log_path(
        &self,
        jail: &JailName,
        change: LogPathChange,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        let (LogPathChange::Add(path) | LogPathChange::Remove(path)) = &change;
        check_jail_option("logpath", std::slice::from_ref(path))
            .map_err(ActivationError::Invalid)?;
        self.change_jail(jail, JailChange::Edit, Vec::new(), Some(change), actor)
            .await
    }

    /// Stops `jail` and writes `enabled = false` to its `.local`, so that it stays stopped.
    pub async fn deactivate_jail(
        &self,
        jail: &JailName,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        let values = vec![("enabled".into(), Some(vec!["false".into()]))];
        self.change_jail(jail, JailChange::Deactivate, values, None, actor)
            .await
    }

    async fn change_jail(
        &self,
        jail: &JailName,
        change: JailChange,
        values: Vec<OptionChange>,
        log_path: Option<LogPathChange>,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        for (key, value) in &values {
            if let Some(value) = value {
                check_jail_option(key, value).map_err(ActivationError::Invalid)?;
            } else if key == "enabled" {
                return Err(ActivationError::Invalid("enabled cannot be removed".into()));
            }
        }
        let keys: BTreeSet<&str> = values.iter().map(|(k, _)| k.as_str()).collect();
        if keys.len() != values.len() {
            return Err(ActivationError::Invalid("an option is given twice".into()));
        }
        // Held through the reload and a rollback's: longer than a reload may take.
        let ttl = self.settings().reload_timeout * 2 + std::time::Duration::from_secs(10);
        let lock = self.config_write_lock_for(ttl).await?;
        let result = self
            .change_jail_locked(jail, change, values, log_path, actor)
            .await;
        self.redis().unlock(lock).await?;
        result
    }

    async fn change_jail_locked(
        &self,
        jail: &JailName,
        change: JailChange,
        mut values: Vec<OptionChange>,
        log_path: Option<LogPathChange>,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        let name = jail.as_str().to_owned();
        let file = format!("jail.d/{name}.local");
        let running_before: BTreeSet<String> =
            self.fail2ban().status().await?.jails.into_iter().collect();
        let was_running = running_before.contains(&name);
        if change == JailChange::Activate && was_running {
            return Err(ActivationError::AlreadyActive(name));
        }
        let version = self.fail2ban().version().await.unwrap_or_default();
        let dir = self.settings().config_dir.clone();
        let host = Host {
            version,
            confpath: dir.display().to_string(),
        };

        // The file as it is, and as it will be.
        let (n, f) = (name.clone(), file.clone());
        let filters: Vec<String> = values
            .iter()
            .filter(|(k, _)| k == "filter")
            .filter_map(|(_, v)| v.as_ref()?.first().cloned())
            .collect();
        let (d, h) = (dir.clone(), host.clone());
        let (configured, missing_filter, before, log_paths) = self
            .files_blocking(move || {
                let files = LocalConfigDir::new(&d);
                let mut set = ConfigSet::read(&files, "jail")
                    .map_err(|e| RuntimeError::Config(e.to_string()))?;
                let configured = set.has_section(&n);
                // The jail's log paths as written (with `tail` where it says so).
                let log_paths: Option<Vec<String>> = jails(&mut set, &h)
                    .into_iter()
                    .find(|(j, _)| *j == n)
                    .and_then(|(_, j)| j.ok())
                    .map(|j| {
                        j.logpaths
                            .into_iter()
                            .filter(|l| !l.pattern.trim().is_empty())
                            .map(|l| {
                                if l.tail == "head" {
                                    l.pattern
                                } else {
                                    format!("{} {}", l.pattern, l.tail)
                                }
                            })
                            .collect()
                    });
                let missing_filter = filters.into_iter().find(|f| {
                    [".conf", ".local"].iter().all(|ext| {
                        !matches!(files.stat(&format!("filter.d/{f}{ext}")), Ok(Some(_)))
                    })
                });
                let before = files
                    .read(&f)
                    .map_err(|e| RuntimeError::Config(format!("{f}: {e}")))?
                    .map(String::from_utf8);
                Ok::<_, RuntimeError>((configured, missing_filter, before, log_paths))
            })
            .await??;
        // A file that is not UTF-8 is not rewritten (fail2ban skips it anyway).
        let before = before.transpose().map_err(|_| {
            ActivationError::Invalid(format!("{file} is not UTF-8 text; fix it first"))
        })?;
        if !configured {
            return Err(ActivationError::NotConfigured(name));
        }
        if let Some(filter) = missing_filter {
            return Err(ActivationError::Invalid(format!(
                "no filter {filter} in filter.d"
            )));
        }
        if let Some(log_path) = log_path {
            let mut paths = log_paths.unwrap_or_default();
            let pattern = |line: &str| {
                line.strip_suffix(" tail")
                    .or_else(|| line.strip_suffix(" head"))
                    .unwrap_or(line)
                    .to_owned()
            };
            match log_path {
                LogPathChange::Add(path) => {
                    if paths.iter().any(|p| pattern(p) == pattern(&path)) {
                        return Err(ActivationError::Invalid(format!(
                            "{path} is a log path of {name} already"
                        )));
                    }
                    paths.push(path);
                }
                LogPathChange::Remove(path) => {
                    let count = paths.len();
                    paths.retain(|p| pattern(p) != pattern(&path));
                    if paths.len() == count {
                        return Err(ActivationError::Invalid(format!(
                            "{path} is not a log path of {name}"
                        )));
                    }
                    if paths.is_empty() {
                        return Err(ActivationError::Invalid(format!(
                            "{path} is the last log path of {name}: a jail reads at least one"
                        )));
                    }
                }
            }
            check_jail_option("logpath", &paths).map_err(ActivationError::Invalid)?;
            values.push(("logpath".into(), Some(paths)));
        }
        let edits: Vec<(&str, Option<Vec<String>>)> = values
            .iter()
            .map(|(k, v)| (k.as_str(), v.clone()))
            .collect();
        let after = edit_options(before.as_deref().unwrap_or(""), &name, &edits);
        if !parses(&after) {
            return Err(ActivationError::Invalid(format!(
                "{file} would not parse after the change; fix it first"
            )));
        }
        let action = change.name();
        // Checked before anything is written: as the jail would run (or could, if enabled).
        if change != JailChange::Deactivate {
            let (d, h, n, text) = (dir.clone(), host.clone(), name.clone(), after.clone());
            let will_run = change == JailChange::Activate || was_running;
            let found = self
                .files_blocking(move || {
                    crate::validation::validate_with(
                        &LocalConfigDir::new(&d),
                        &h,
                        &n,
                        &text,
                        will_run,
                    )
                })
                .await??;
            if let Some(found) = found
                && let Some(first) = found.errors.first()
            {
                let message = first.message.clone();
                return Err(ActivationError::Rejected {
                    hint: hint_for(&message),
                    message,
                    errors: found.errors,
                });
            }
        }
        // A jail fail2ban neither runs nor is to run: the file is all there is to change.
        if change != JailChange::Activate && !was_running {
            if before.as_deref() != Some(after.as_str()) {
                self.write_with_revision(&file, before.as_deref(), Some(&after), actor, action)
                    .await?;
            }
            return Ok(JailChanged {
                jail: name,
                file,
                running: false,
            });
        }

        // Written with its revision (and a note for the health probe, should this worker die
        // before the end), then checked as fail2ban's client would read it.
        self.redis()
            .set_pending_activation(&PendingActivation {
                jail: name.clone(),
                file: file.clone(),
                before: before.clone(),
                actor: actor.to_owned(),
                was_running,
            })
            .await?;
        let outcome = self
            .change_written(
                jail,
                change,
                &file,
                before.as_deref(),
                &after,
                &running_before,
                actor,
            )
            .await;
        self.redis().clear_pending_activation().await?;
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn change_written(
        &self,
        jail: &JailName,
        change: JailChange,
        file: &str,
        before: Option<&str>,
        after: &str,
        running_before: &BTreeSet<String>,
        actor: &str,
    ) -> Result<JailChanged, ActivationError> {
        let name = jail.as_str().to_owned();
        let was_running = running_before.contains(&name);
        // Checked before it was written (`validation`): what remains is fail2ban's own word.
        self.write_with_revision(file, before, Some(after), actor, change.name())
            .await?;
        #[cfg(debug_assertions)]
        if std::env::var("BANGUI_TEST_FAULT").is_ok_and(|f| f == "exit-mid-activation") {
            // Tests only (debug builds): a worker dying at the worst moment.
            std::process::exit(137);
        }
        // fail2ban takes the change, or the file goes back.
        let applied = match change {
            JailChange::Deactivate => self
                .fail2ban()
                .stop_jail(jail)
                .await
                .map_err(RuntimeError::from),
            JailChange::Activate | JailChange::Edit => {
                match self.run_reload(&["--if-exists", &name]).await {
                    Ok(()) => self
                        .fail2ban()
                        .status()
                        .await
                        .map_err(RuntimeError::from)
                        .and_then(|s| {
                            if s.jails.contains(&name) {
                                Ok(())
                            } else {
                                Err(RuntimeError::Reload(format!(
                                    "fail2ban does not run {name} after the reload"
                                )))
                            }
                        }),
                    Err(e) => Err(e),
                }
            }
        };
        match applied {
            Ok(()) => {
                if change == JailChange::Deactivate {
                    self.redis().drop_ban_list(jail).await?;
                }
                self.refresh_after_reload().await?;
                tracing::info!(jail = %name, change = change.name(), "jail configuration changed");
                Ok(JailChanged {
                    jail: name,
                    file: file.to_owned(),
                    running: change != JailChange::Deactivate,
                })
            }
            Err(e) => {
                let fail2ban_message = match &e {
                    RuntimeError::Reload(output) => Some(output.clone()),
                    other => Some(other.to_string()),
                };
                self.write_with_revision(file, Some(after), before, actor, "rollback")
                    .await?;
                self.restore_jail(jail, was_running).await;
                // Recovered when fail2ban runs what it ran before (and the file is back).
                let now: BTreeSet<String> = match self.fail2ban().status().await {
                    Ok(s) => s.jails.into_iter().collect(),
                    Err(_) => BTreeSet::new(),
                };
                let recovered =
                    running_before.is_subset(&now) && (was_running || !now.contains(&name));
                let _ = self.refresh_status().await;
                let hint = fail2ban_message.as_deref().and_then(hint_for);
                let what = match change {
                    JailChange::Activate => "start",
                    JailChange::Edit => "reload",
                    JailChange::Deactivate => "stop",
                };
                Err(ActivationError::Failed {
                    message: format!(
                        "fail2ban could not {what} {name}; the configuration is back as it was"
                    ),
                    fail2ban_message,
                    hint,
                    recovered,
                })
            }
        }
    }

    /// After the file went back: the jail as fail2ban ran it before. One that ran is reloaded
    /// from the restored file; one that did not (a reload that failed halfway can leave it
    /// added but broken) is stopped.
    async fn restore_jail(&self, jail: &JailName, was_running: bool) {
        if was_running {
            if let Err(e) = self.run_reload(&["--if-exists", jail.as_str()]).await {
                tracing::warn!(%jail, error = %e, "reloading the jail as it was failed");
            }
        } else if let Ok(status) = self.fail2ban().status().await
            && status.jails.iter().any(|j| j == jail.as_str())
        {
            let _ = self.fail2ban().stop_jail(jail).await;
        }
    }

    /// The health probe's part: a jail change whose worker died before its end (its lock has
    /// expired, its note is still there) is rolled back, since nobody saw it succeed: the file
    /// as it was, the jail as fail2ban ran it before. Returns the jail it recovered.
    pub async fn complete_pending_activation(&self) -> Result<Option<String>, ActivationError> {
        if self.redis().pending_activation().await?.is_none() {
            return Ok(None);
        }
        // An activation holding the lock is still at work.
        let Some(lock) = self.try_config_write_lock().await? else {
            return Ok(None);
        };
        let result = async {
            let Some(pending) = self.redis().pending_activation().await? else {
                return Ok(None);
            };
            let dir = self.settings().config_dir.clone();
            let f = pending.file.clone();
            let current = self
                .files_blocking(move || {
                    LocalConfigDir::new(&dir)
                        .read(&f)
                        .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
                        .map_err(|e| RuntimeError::Config(format!("{f}: {e}")))
                })
                .await??;
            if current != pending.before {
                self.write_with_revision(
                    &pending.file,
                    current.as_deref(),
                    pending.before.as_deref(),
                    "health-probe",
                    "recovery",
                )
                .await?;
            }
            if let Ok(jail) = JailName::parse(&pending.jail) {
                self.restore_jail(&jail, pending.was_running).await;
            }
            self.redis().clear_pending_activation().await?;
            let _ = self.refresh_status().await;
            tracing::warn!(jail = %pending.jail, "a jail change whose worker died was rolled back");
            Ok(Some(pending.jail))
        }
        .await;
        self.redis().unlock(lock).await?;
        result
    }

    /// Runs file work off the async threads.
    pub(crate) async fn files_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, RuntimeError> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| RuntimeError::Config(format!("file work stopped: {e}")))
    }
}
