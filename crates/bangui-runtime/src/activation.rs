//! Activating a configured but inactive jail, safely, from any worker: one configuration
//! change at a time per fail2ban (the configuration write lock); the jail's
//! `jail.d/<name>.local` set to `enabled = true` (with the overrides asked for), kept as a
//! revision; checked as fail2ban's client would read it (filter, actions, log files) before
//! fail2ban is touched; then `fail2ban-client reload --if-exists <jail>` and a check that
//! fail2ban runs it. On any failure the file is put back as it was, fail2ban is checked to run
//! the jails it ran before, and the answer carries fail2ban's own error text, a hint where one
//! helps, and whether everything was recovered.
//!
//! Overrides are a short list of options with strict values: nothing a caller sends can
//! become a command fail2ban runs (no actions, no `ignorecommand`, no `bantime.formula`, and
//! ports, chains and paths limited to the characters they need, since actions paste them
//! into shell commands).

use std::collections::BTreeSet;

use bangui_core::JailName;
use bangui_fail2ban::config::edit::{parses, set_options};
use bangui_fail2ban::config::guard::check_jail_option;
use bangui_fail2ban::config::jails::Host;
use bangui_fail2ban::config::stream::commands_of_jail;
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir};
use bangui_store::runtime_state::PendingActivation;

use crate::config_files::FileChangeError;
use crate::{Runtime, RuntimeError};

/// Why an activation did not happen, or failed and was rolled back.
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

/// A successful activation.
#[derive(Debug, Clone)]
pub struct Activated {
    pub jail: String,
    /// The file written, relative to the configuration directory.
    pub file: String,
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
    ) -> Result<Activated, ActivationError> {
        for (key, value) in overrides {
            if key == "enabled" || key == "filter" {
                return Err(ActivationError::Invalid(format!(
                    "{key} cannot be set on activation"
                )));
            }
            check_jail_option(key, value).map_err(ActivationError::Invalid)?;
        }
        let keys: BTreeSet<&str> = overrides.iter().map(|(k, _)| k.as_str()).collect();
        if keys.len() != overrides.len() {
            return Err(ActivationError::Invalid("an option is given twice".into()));
        }
        // Held through the reload and a rollback's: longer than a reload may take.
        let ttl = self.settings().reload_timeout * 2 + std::time::Duration::from_secs(10);
        let lock = self.config_write_lock_for(ttl).await?;
        let result = self.activate_locked(jail, overrides, actor).await;
        self.redis().unlock(lock).await?;
        result
    }

    async fn activate_locked(
        &self,
        jail: &JailName,
        overrides: &[(String, Vec<String>)],
        actor: &str,
    ) -> Result<Activated, ActivationError> {
        let name = jail.as_str().to_owned();
        let file = format!("jail.d/{name}.local");
        let running_before: BTreeSet<String> =
            self.fail2ban().status().await?.jails.into_iter().collect();
        if running_before.contains(&name) {
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
        let d = dir.clone();
        let (configured, before) = self
            .files_blocking(move || {
                let files = LocalConfigDir::new(&d);
                let set = ConfigSet::read(&files, "jail")
                    .map_err(|e| RuntimeError::Config(e.to_string()))?;
                let before = files
                    .read(&f)
                    .map_err(|e| RuntimeError::Config(format!("{f}: {e}")))?
                    .map(String::from_utf8);
                Ok::<_, RuntimeError>((set.has_section(&n), before))
            })
            .await??;
        // A file that is not UTF-8 is not rewritten (fail2ban skips it anyway).
        let before = before.transpose().map_err(|_| {
            ActivationError::Invalid(format!("{file} is not UTF-8 text; fix it first"))
        })?;
        if !configured {
            return Err(ActivationError::NotConfigured(name));
        }
        let mut values: Vec<(&str, Vec<String>)> = vec![("enabled", vec!["true".into()])];
        values.extend(overrides.iter().map(|(k, v)| (k.as_str(), v.clone())));
        let after = set_options(before.as_deref().unwrap_or(""), &name, &values);
        if !parses(&after) {
            return Err(ActivationError::Invalid(format!(
                "{file} would not parse after the change; fix it first"
            )));
        }

        // Written with its revision (and a note for the health probe, should this worker die
        // before the end), then checked as fail2ban's client would read it.
        self.redis()
            .set_pending_activation(&PendingActivation {
                jail: name.clone(),
                file: file.clone(),
                before: before.clone(),
                actor: actor.to_owned(),
            })
            .await?;
        let outcome = self
            .activate_written(
                jail,
                &file,
                before.as_deref(),
                &after,
                &host,
                &running_before,
                actor,
            )
            .await;
        self.redis().clear_pending_activation().await?;
        outcome
    }

    #[allow(clippy::too_many_arguments)]
    async fn activate_written(
        &self,
        jail: &JailName,
        file: &str,
        before: Option<&str>,
        after: &str,
        host: &Host,
        running_before: &BTreeSet<String>,
        actor: &str,
    ) -> Result<Activated, ActivationError> {
        let name = jail.as_str().to_owned();
        let dir = self.settings().config_dir.clone();
        self.write_with_revision(file, before, Some(after), actor, "activate")
            .await?;
        #[cfg(debug_assertions)]
        if std::env::var("BANGUI_TEST_FAULT").is_ok_and(|f| f == "exit-mid-activation") {
            // Tests only (debug builds): a worker dying at the worst moment.
            std::process::exit(137);
        }
        let (d, h, n) = (dir.clone(), host.clone(), name.clone());
        let check = self
            .files_blocking(move || commands_of_jail(&LocalConfigDir::new(&d), &h, &n))
            .await?;
        let problem = match check {
            Err(e) => Some(e.to_string()),
            Ok(Err(skipped)) => Some(skipped),
            Ok(Ok(commands)) => {
                let systemd = commands
                    .first()
                    .and_then(|c| c[2].as_str())
                    .is_some_and(|b| b.starts_with("systemd"));
                let logs = commands.iter().any(|c| c[2] == "addlogpath");
                (!systemd && !logs).then(|| {
                    format!("no log file of [{name}] exists: fail2ban would not start it (or reload at all)")
                })
            }
        };
        if let Some(message) = problem {
            self.write_with_revision(file, Some(after), before, actor, "rollback")
                .await?;
            let hint = hint_for(&message);
            return Err(ActivationError::Rejected { message, hint });
        }

        // fail2ban starts it, or the file goes back.
        let started = match self.run_reload(&["--if-exists", &name]).await {
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
        };
        match started {
            Ok(()) => {
                self.refresh_after_reload().await?;
                tracing::info!(jail = %name, "jail activated");
                Ok(Activated {
                    jail: name,
                    file: file.to_owned(),
                })
            }
            Err(e) => {
                let fail2ban_message = match &e {
                    RuntimeError::Reload(output) => Some(output.clone()),
                    other => Some(other.to_string()),
                };
                self.write_with_revision(file, Some(after), before, actor, "rollback")
                    .await?;
                // A reload that failed halfway can leave the jail added but broken: stopped.
                if let Ok(status) = self.fail2ban().status().await
                    && status.jails.contains(&name)
                {
                    let _ = self.fail2ban().stop_jail(jail).await;
                }
                // Recovered when fail2ban runs what it ran before (and the file is back).
                let now: BTreeSet<String> = match self.fail2ban().status().await {
                    Ok(s) => s.jails.into_iter().collect(),
                    Err(_) => BTreeSet::new(),
                };
                let recovered = running_before.is_subset(&now) && !now.contains(&name);
                let _ = self.refresh_status().await;
                let hint = fail2ban_message.as_deref().and_then(hint_for);
                Err(ActivationError::Failed {
                    message: format!(
                        "fail2ban could not start {name}; the configuration is back as it was"
                    ),
                    fail2ban_message,
                    hint,
                    recovered,
                })
            }
        }
    }

    /// The health probe's part: an activation whose worker died before its end (its lock has
    /// expired, its note is still there) is rolled back, since nobody saw it succeed: the file
    /// as it was, the jail stopped if fail2ban lists it. Returns the jail it recovered.
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
            if let Ok(jail) = JailName::parse(&pending.jail)
                && self
                    .fail2ban()
                    .status()
                    .await?
                    .jails
                    .contains(&pending.jail)
            {
                let _ = self.fail2ban().stop_jail(&jail).await;
            }
            self.redis().clear_pending_activation().await?;
            let _ = self.refresh_status().await;
            tracing::warn!(jail = %pending.jail, "an activation whose worker died was rolled back");
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
