//! Checking a jail's configuration, as it is or with proposed changes, before fail2ban sees it:
//! its options well-typed, its filter and actions present and parsed, every expression of its
//! filter compiling in fail2ban's dialect, its log files present (unless it reads the journal).
//! Blocking errors stop a change; warnings are advice.

use bangui_core::JailName;
use bangui_fail2ban::config::edit::{edit_options, parses};
use bangui_fail2ban::config::files::WithFile;
use bangui_fail2ban::config::guard::{check_jail_option, is_time};
use bangui_fail2ban::config::jails::{Host, Typed, jail};
use bangui_fail2ban::config::regex::expressions;
use bangui_fail2ban::config::stream::commands_of_jail_in;
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir};

use crate::activation::{ActivationError, OptionChange};
use crate::{Runtime, RuntimeError};

/// One finding: the option it concerns (if one) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub option: Option<String>,
    pub message: String,
}

/// What a check found.
#[derive(Debug, Clone, Default)]
pub struct Validation {
    /// fail2ban would refuse the jail (or not start it).
    pub errors: Vec<Finding>,
    /// fail2ban would run it, but probably not as meant.
    pub warnings: Vec<Finding>,
}

impl Validation {
    fn error(&mut self, option: Option<&str>, message: impl Into<String>) {
        self.errors.push(Finding {
            option: option.map(str::to_owned),
            message: message.into(),
        });
    }

    fn warn(&mut self, option: Option<&str>, message: impl Into<String>) {
        self.warnings.push(Finding {
            option: option.map(str::to_owned),
            message: message.into(),
        });
    }
}

/// Options whose values fail2ban reads as times.
const TIMES: &[&str] = &["bantime", "findtime", "bantime.maxtime", "bantime.rndtime"];

/// Checks jail `name` of the configuration `files` (which holds any proposed change), as it
/// would run if enabled. `missing_logs_block`: a jail without any log file is an error (it is
/// to run) rather than a warning.
pub fn validate(
    files: &dyn ConfigFiles,
    host: &Host,
    name: &str,
    missing_logs_block: bool,
) -> Result<Option<Validation>, RuntimeError> {
    let mut found = Validation::default();
    let mut set =
        ConfigSet::read(files, "jail").map_err(|e| RuntimeError::Config(e.to_string()))?;
    if !set.has_section(name) {
        return Ok(None);
    }
    host.merge_into(&mut set);
    let jail = match jail(&set, name) {
        Ok(jail) => jail,
        Err(e) => {
            found.error(None, e.to_string());
            return Ok(Some(found));
        }
    };
    for (option, setting) in &jail.settings {
        if let Some(w) = &setting.warning {
            found.warn(Some(option), w.clone());
        }
        if TIMES.contains(option)
            && let Typed::Text(t) = &setting.value
            && !is_time(t)
        {
            found.error(
                Some(option),
                format!("{option} = {t} is not a time fail2ban reads (600, 10m, 1h 30m, -1)"),
            );
        }
    }
    let backend = match jail.settings.get("backend").map(|s| &s.value) {
        Some(Typed::Text(b)) => b.to_string(),
        _ => "auto".into(),
    };
    let journal = backend.starts_with("systemd");
    if !journal {
        if jail.logpaths.is_empty() {
            found.error(
                Some("logpath"),
                "no logpath: fail2ban reads the log files it names",
            );
        }
        for path in &jail.logpaths {
            if files.glob(&path.pattern).is_empty() {
                found.warn(
                    Some("logpath"),
                    format!("{} matches no file on fail2ban's host", path.pattern),
                );
            }
        }
    }

    // As fail2ban's client would send it (with the jail enabled).
    let commands = match commands_of_jail_in(&mut set, files, host, name)
        .map_err(|e| RuntimeError::Config(e.to_string()))?
    {
        Ok(commands) => commands,
        Err(skipped) => {
            found.error(None, skipped);
            return Ok(Some(found));
        }
    };
    for expression in expressions(&commands) {
        if let Err(e) = expression.compile() {
            let option = expression.option;
            found.error(Some(option), format!("{option} {}: {e}", expression.number));
        }
    }
    if !journal && !commands.iter().any(|c| c[2] == "addlogpath") && !jail.logpaths.is_empty() {
        let message = "none of its log files exists: fail2ban would not start it";
        if missing_logs_block {
            found.error(Some("logpath"), message);
        } else {
            found.warn(Some("logpath"), message);
        }
    }
    Ok(Some(found))
}

impl Runtime {
    /// Checks `jail` with `changes` applied to its `jail.d/<name>.local` (none: as it is), as
    /// it would run once enabled. `None`: no such jail in the configuration.
    pub async fn validate_jail(
        &self,
        jail: &JailName,
        changes: Vec<OptionChange>,
    ) -> Result<Option<Validation>, ActivationError> {
        let mut invalid = Validation::default();
        for (key, value) in &changes {
            if let Some(value) = value
                && let Err(e) = check_jail_option(key, value)
            {
                invalid.error(Some(key), e);
            }
        }
        if !invalid.errors.is_empty() {
            return Ok(Some(invalid));
        }
        let version = self.fail2ban().version().await.unwrap_or_default();
        let dir = self.settings().config_dir.clone();
        let name = jail.as_str().to_owned();
        Ok(self
            .files_blocking(move || {
                let host = Host {
                    version,
                    confpath: dir.display().to_string(),
                };
                let files = LocalConfigDir::new(&dir);
                // The jail must be configured already: the probe would add its section.
                let set = ConfigSet::read(&files, "jail")
                    .map_err(|e| RuntimeError::Config(e.to_string()))?;
                if !set.has_section(&name) {
                    return Ok(None);
                }
                let file = format!("jail.d/{name}.local");
                let before = files
                    .read(&file)
                    .map_err(|e| RuntimeError::Config(format!("{file}: {e}")))?
                    .map(|b| String::from_utf8_lossy(&b).into_owned());
                let edits: Vec<(&str, Option<Vec<String>>)> = changes
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.clone()))
                    .collect();
                let after = edit_options(before.as_deref().unwrap_or(""), &name, &edits);
                validate_with(&files, &host, &name, &after, true)
            })
            .await??)
    }
}

/// [`validate`] with the jail's `jail.d/<name>.local` holding `text` (and `enabled = true`);
/// the jail must be configured (the caller checked).
pub(crate) fn validate_with(
    files: &dyn ConfigFiles,
    host: &Host,
    name: &str,
    text: &str,
    missing_logs_block: bool,
) -> Result<Option<Validation>, RuntimeError> {
    let file = format!("jail.d/{name}.local");
    let probe = edit_options(text, name, &[("enabled", Some(vec!["true".into()]))]);
    if !parses(&probe) {
        let mut v = Validation::default();
        v.error(None, format!("{file} would not parse after the change"));
        return Ok(Some(v));
    }
    let overlay = WithFile {
        base: files,
        path: &file,
        content: Some(probe.as_bytes()),
    };
    validate(&overlay, host, name, missing_logs_block)
}
