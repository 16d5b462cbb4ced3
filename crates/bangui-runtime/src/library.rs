//! fail2ban's filters and actions (`filter.d`, `action.d`): which exist, which jails use them,
//! what they hold (read as fail2ban reads them), and, for filters, a `.local` of bangui's
//! making: created, edited and deleted with revisions, its expressions compiled in fail2ban's
//! dialect first. Action files are the commands fail2ban runs: bangui reads them, and changes
//! them only through the raw editor where the operator allows it.

use std::collections::{BTreeMap, BTreeSet};

use bangui_fail2ban::config::edit::{edit_options, parses};
use bangui_fail2ban::config::regex::compile;
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir, Source};

use crate::config_files::{ConfigPath, FileChangeError};
use crate::{Runtime, RuntimeError};

/// Filters or actions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Filter,
    Action,
}

impl Kind {
    pub fn noun(self) -> &'static str {
        match self {
            Self::Filter => "filter",
            Self::Action => "action",
        }
    }

    pub fn dir(self) -> &'static str {
        match self {
            Self::Filter => "filter.d",
            Self::Action => "action.d",
        }
    }
}

/// One filter or action, by name.
#[derive(Debug, Clone)]
pub struct LibraryItem {
    pub name: String,
    /// Its `.conf`, relative to the configuration directory, if it has one.
    pub conf: Option<String>,
    /// Its `.local` override, if it has one.
    pub local: Option<String>,
    /// The jails that name it (enabled or not), and which of them fail2ban runs.
    pub used_by: Vec<String>,
    pub used_by_running: Vec<String>,
}

/// One option of a filter or action, as written, with where.
#[derive(Debug, Clone)]
pub struct LibraryOption {
    pub section: String,
    pub name: String,
    pub value: String,
    pub source: Source,
}

/// A filter's or action's content.
#[derive(Debug, Clone)]
pub struct LibraryDetail {
    pub item: LibraryItem,
    /// The files read, in fail2ban's order.
    pub files: Vec<String>,
    pub options: Vec<LibraryOption>,
}

/// The parts of a filter bangui writes (each a list of lines; empty: not written).
#[derive(Debug, Clone, Default)]
pub struct FilterDraft {
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
}

/// Why a filter change was refused.
#[derive(Debug, thiserror::Error)]
pub enum LibraryError {
    #[error("{0}")]
    Invalid(String),
    #[error("no {} {name} in {}", .kind.noun(), .kind.dir())]
    NotFound { kind: Kind, name: String },
    #[error("a filter {0} exists already")]
    Exists(String),
    #[error("{0}")]
    InUse(String),
    #[error(transparent)]
    Files(#[from] FileChangeError),
}

impl From<bangui_store::StoreError> for LibraryError {
    fn from(e: bangui_store::StoreError) -> Self {
        Self::Files(e.into())
    }
}

impl From<RuntimeError> for LibraryError {
    fn from(e: RuntimeError) -> Self {
        Self::Files(e.into())
    }
}

/// The `.local` of filter `name` (a name [`valid_name`] accepts).
fn local_of(name: &str) -> Result<ConfigPath, LibraryError> {
    ConfigPath::parse("filter.d", &format!("{name}.local"))
        .ok_or_else(|| LibraryError::Invalid(ConfigPath::RULES.into()))
}

/// A filter name bangui writes: letters, digits, `-`, `_`, `.` (not first), at most 64.
pub fn valid_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && !name.starts_with('.')
        && !name.contains("..")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
}

/// Checks a draft's expressions as fail2ban would compile them.
fn check_draft(draft: &FilterDraft) -> Result<(), LibraryError> {
    let lines = |v: &Option<Vec<String>>| v.clone().unwrap_or_default();
    for (option, list) in [
        ("failregex", lines(&draft.failregex)),
        ("ignoreregex", lines(&draft.ignoreregex)),
        ("prefregex", draft.prefregex.clone().into_iter().collect()),
    ] {
        if list.len() > 200 {
            return Err(LibraryError::Invalid(format!(
                "{option}: at most 200 lines"
            )));
        }
        for (at, line) in list.iter().enumerate() {
            if line.chars().any(|c| c.is_control()) || line.trim().is_empty() {
                return Err(LibraryError::Invalid(format!(
                    "{option} {}: one expression per line, not empty",
                    at + 1
                )));
            }
            // Values are pasted into the file: no `%` interpolation surprises.
            if line.contains('%') && !line.contains("%%") && line.contains("%(") {
                return Err(LibraryError::Invalid(format!(
                    "{option} {}: %(…)s references are not written through this form",
                    at + 1
                )));
            }
            compile(line, "warn", false)
                .map_err(|e| LibraryError::Invalid(format!("{option} {}: {e}", at + 1)))?;
        }
    }
    if let Some(d) = &draft.datepattern
        && (d.chars().any(char::is_control) || d.len() > 500)
    {
        return Err(LibraryError::Invalid("datepattern: one line".into()));
    }
    if draft.failregex.as_ref().is_some_and(Vec::is_empty) {
        return Err(LibraryError::Invalid(
            "failregex: a filter needs at least one".into(),
        ));
    }
    Ok(())
}

fn draft_values(draft: &FilterDraft) -> Vec<(&'static str, Option<Vec<String>>)> {
    let mut out = Vec::new();
    if let Some(v) = &draft.failregex {
        out.push(("failregex", Some(v.clone())));
    }
    if let Some(v) = &draft.ignoreregex {
        out.push((
            "ignoreregex",
            Some(if v.is_empty() {
                vec![String::new()]
            } else {
                v.clone()
            }),
        ));
    }
    if let Some(v) = &draft.prefregex {
        out.push(("prefregex", Some(vec![v.clone()])));
    }
    if let Some(v) = &draft.datepattern {
        out.push(("datepattern", Some(vec![v.clone()])));
    }
    out
}

impl Runtime {
    /// Every filter or action, with the jails that use it.
    pub async fn library(&self, kind: Kind) -> Result<Vec<LibraryItem>, LibraryError> {
        let configured = self.configured_jails().await?;
        let mut used: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (jail, config) in &configured.jails {
            let Ok(config) = config else { continue };
            let names: Vec<String> = match kind {
                Kind::Filter => config
                    .filter
                    .iter()
                    .filter_map(|f| f.as_ref().ok().map(|r| r.name.clone()))
                    .collect(),
                Kind::Action => config
                    .actions
                    .iter()
                    .filter_map(|a| a.as_ref().ok().map(|r| r.name.clone()))
                    .collect(),
            };
            for name in names {
                used.entry(name).or_default().insert(jail.clone());
            }
        }
        let dir = kind.dir();
        let root = self.settings().config_dir.clone();
        let listed = self
            .files_blocking(move || {
                LocalConfigDir::new(&root)
                    .list(dir)
                    .map_err(|e| RuntimeError::Config(format!("{dir}: {e}")))
            })
            .await??;
        let mut items: BTreeMap<String, LibraryItem> = BTreeMap::new();
        for file in listed {
            let (base, local) = match (file.strip_suffix(".conf"), file.strip_suffix(".local")) {
                (Some(b), _) => (b, false),
                (_, Some(b)) => (b, true),
                _ => continue,
            };
            if base.starts_with('.') || base.is_empty() {
                continue;
            }
            let item = items.entry(base.to_owned()).or_insert_with(|| LibraryItem {
                name: base.to_owned(),
                conf: None,
                local: None,
                used_by: Vec::new(),
                used_by_running: Vec::new(),
            });
            let path = Some(format!("{dir}/{file}"));
            if local {
                item.local = path;
            } else {
                item.conf = path;
            }
        }
        for item in items.values_mut() {
            if let Some(jails) = used.get(&item.name) {
                item.used_by = jails.iter().cloned().collect();
                item.used_by_running = jails
                    .iter()
                    .filter(|j| configured.running.contains(*j))
                    .cloned()
                    .collect();
            }
        }
        Ok(items.into_values().collect())
    }

    /// One filter or action: its files and its options as written.
    pub async fn library_item(
        &self,
        kind: Kind,
        name: &str,
    ) -> Result<LibraryDetail, LibraryError> {
        let missing = || LibraryError::NotFound {
            kind,
            name: name.to_owned(),
        };
        if !valid_name(name) {
            return Err(missing());
        }
        let item = self
            .library(kind)
            .await?
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(missing)?;
        let root = self.settings().config_dir.clone();
        let config = format!("{}/{name}", kind.dir());
        let (files, options) = self
            .files_blocking(move || {
                let set = ConfigSet::read(&LocalConfigDir::new(&root), &config)
                    .map_err(|e| RuntimeError::Config(e.to_string()))?;
                let options = set
                    .all_raw()
                    .filter(|(section, _, _)| !section.starts_with("KNOWN/"))
                    .map(|(section, option, value)| LibraryOption {
                        section: section.to_owned(),
                        name: option.to_owned(),
                        value: value.raw.clone(),
                        source: value.source.clone(),
                    })
                    .collect::<Vec<_>>();
                Ok::<_, RuntimeError>((set.files().to_vec(), options))
            })
            .await??;
        Ok(LibraryDetail {
            item,
            files,
            options,
        })
    }

    /// Creates `filter.d/<name>.local`, a filter of bangui's making.
    pub async fn create_filter(
        &self,
        name: &str,
        draft: &FilterDraft,
        actor: &str,
    ) -> Result<LibraryItem, LibraryError> {
        if !valid_name(name) {
            return Err(LibraryError::Invalid(
                "a filter name is letters, digits, '-', '_' and '.', at most 64".into(),
            ));
        }
        if draft.failregex.is_none() {
            return Err(LibraryError::Invalid(
                "failregex: a filter needs at least one".into(),
            ));
        }
        check_draft(draft)?;
        if self
            .library(Kind::Filter)
            .await?
            .iter()
            .any(|i| i.name == name)
        {
            return Err(LibraryError::Exists(name.to_owned()));
        }
        let text = edit_options("", "Definition", &draft_values(draft));
        self.create_config_file(&local_of(name)?, &text, actor)
            .await?;
        self.filter_item(name).await
    }

    /// Sets parts of a filter in its `.local` (created over a stock `.conf` if needed).
    pub async fn edit_filter(
        &self,
        name: &str,
        draft: &FilterDraft,
        actor: &str,
    ) -> Result<LibraryItem, LibraryError> {
        check_draft(draft)?;
        if draft_values(draft).is_empty() {
            return Err(LibraryError::Invalid("nothing to change".into()));
        }
        let item = self.filter_item(name).await?;
        let path = local_of(name)?;
        // Written over the version read here (If-Match), as the file editor writes it.
        let current = match self.config_file(&path).await {
            Ok(file) => Some(file),
            Err(FileChangeError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let after = edit_options(
            current.as_ref().map_or("", |f| f.content.as_str()),
            "Definition",
            &draft_values(draft),
        );
        if !parses(&after) {
            return Err(LibraryError::Invalid(format!(
                "{} would not parse after the change; fix it in the file editor",
                path.path()
            )));
        }
        match current {
            Some(file) => {
                let tag = format!("\"{}\"", file.etag);
                self.save_config_file(&path, &after, Some(&tag), actor)
                    .await?
            }
            None => self.create_config_file(&path, &after, actor).await?,
        };
        Ok(LibraryItem {
            local: Some(path.path()),
            ..item
        })
    }

    /// Deletes a filter's `.local` (a stock `.conf` is never deleted); refused while a jail
    /// uses a filter that has nothing else.
    pub async fn delete_filter_local(&self, name: &str, actor: &str) -> Result<(), LibraryError> {
        let item = self.filter_item(name).await?;
        let Some(local) = item.local else {
            return Err(LibraryError::Invalid(format!(
                "{name} has no .local: bangui deletes only the overrides and filters it may own"
            )));
        };
        if item.conf.is_none() && !item.used_by.is_empty() {
            return Err(LibraryError::InUse(format!(
                "{name} is used by {}: assign them another filter first",
                item.used_by.join(", ")
            )));
        }
        // Read under the lock: the revision keeps what is deleted, not what was there earlier.
        let lock = self.config_write_lock().await?;
        let root = self.settings().config_dir.clone();
        let p = local.clone();
        let result = async {
            let before = self
                .files_blocking(move || {
                    LocalConfigDir::new(&root)
                        .read(&p)
                        .map_err(|e| RuntimeError::Config(format!("{p}: {e}")))
                })
                .await??
                .map(|b| String::from_utf8_lossy(&b).into_owned());
            self.write_with_revision(&local, before.as_deref(), None, actor, "delete")
                .await
        }
        .await;
        self.redis().unlock(lock).await?;
        Ok(result?)
    }

    async fn filter_item(&self, name: &str) -> Result<LibraryItem, LibraryError> {
        let missing = || LibraryError::NotFound {
            kind: Kind::Filter,
            name: name.to_owned(),
        };
        if !valid_name(name) {
            return Err(missing());
        }
        self.library(Kind::Filter)
            .await?
            .into_iter()
            .find(|i| i.name == name)
            .ok_or_else(missing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drafts_are_checked_before_anything_is_written() {
        let ok = FilterDraft {
            failregex: Some(vec!["^Failed for .* from <HOST>$".into()]),
            ignoreregex: Some(vec![]),
            ..FilterDraft::default()
        };
        assert!(check_draft(&ok).is_ok());
        for bad in [
            FilterDraft {
                failregex: Some(vec!["^(unclosed <HOST>".into()]),
                ..FilterDraft::default()
            },
            FilterDraft {
                failregex: Some(vec!["a <HOST>\nb".into()]),
                ..FilterDraft::default()
            },
            FilterDraft {
                failregex: Some(vec![]),
                ..FilterDraft::default()
            },
            FilterDraft {
                failregex: Some(vec!["%(known/failregex)s <HOST>".into()]),
                ..FilterDraft::default()
            },
        ] {
            assert!(check_draft(&bad).is_err(), "{bad:?}");
        }
        assert!(valid_name("my-filter_2"));
        for bad in ["", "../x", ".hidden", "a/b", "a b", &"x".repeat(65)] {
            assert!(!valid_name(bad), "{bad}");
        }
    }
}
