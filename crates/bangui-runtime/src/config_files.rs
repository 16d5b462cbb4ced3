//! The raw files of fail2ban's configuration that bangui may edit: `.conf` and `.local` files
//! (and their `.disabled` twins) in `jail.d`, `filter.d` and `action.d`. Reached through the
//! configuration seam; changed one at a time per fail2ban host (a Redis lock), each change
//! checked against the version its editor saw (an ETag) and kept as a revision in PostgreSQL
//! in the same step, so that two users on two workers never overwrite each other unknowingly
//! and every change can be reverted.

use std::time::Duration;

use bangui_fail2ban::config::files::WithFile;
use bangui_fail2ban::config::guard::Guard;
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir};
use bangui_store::config_revisions::{NewRevision, Revision};
use sha2::{Digest, Sha256};

use crate::{Runtime, RuntimeError};

/// The directories whose files bangui edits.
pub const FILE_DIRS: [&str; 3] = ["jail.d", "filter.d", "action.d"];
/// The largest file bangui writes (fail2ban's own files are a few KB).
pub const MAX_FILE_BYTES: usize = 512 * 1024;
/// What a disabled file's name ends with: fail2ban reads only `*.conf` and `*.local`.
const DISABLED: &str = ".disabled";
const WRITE_LOCK: &str = "fail2ban-config-write";
const LOCK_TTL: Duration = Duration::from_secs(30);
const LOCK_WAIT: Duration = Duration::from_secs(10);

/// A file bangui may touch: one of [`FILE_DIRS`] and a plain name ending in `.conf` or
/// `.local` (optionally `.disabled`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigPath {
    dir: &'static str,
    name: String,
}

impl ConfigPath {
    /// The rules every name must meet; the message says them when one does not.
    pub const RULES: &'static str = "a file of jail.d, filter.d or action.d named with letters, digits, '.', '-' and '_' (not starting with '.'), ending in .conf or .local (or .conf.disabled, .local.disabled), at most 100 characters";

    pub fn parse(dir: &str, name: &str) -> Option<Self> {
        let dir = FILE_DIRS.into_iter().find(|d| *d == dir)?;
        let base = name.strip_suffix(DISABLED).unwrap_or(name);
        let ok = (1..=100).contains(&name.len())
            && !name.starts_with('.')
            && !name.contains("..")
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            && (base.ends_with(".conf") || base.ends_with(".local"))
            && base.len() > ".conf".len();
        ok.then(|| Self {
            dir,
            name: name.to_owned(),
        })
    }

    /// `dir/name`, relative to the configuration directory.
    pub fn path(&self) -> String {
        format!("{}/{}", self.dir, self.name)
    }

    pub fn dir(&self) -> &'static str {
        self.dir
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether fail2ban reads it (not `.disabled`).
    pub fn enabled(&self) -> bool {
        !self.name.ends_with(DISABLED)
    }

    /// The same file enabled or disabled.
    fn toggled(&self, enabled: bool) -> Self {
        let base = self.name.strip_suffix(DISABLED).unwrap_or(&self.name);
        Self {
            dir: self.dir,
            name: if enabled {
                base.to_owned()
            } else {
                format!("{base}{DISABLED}")
            },
        }
    }
}

/// The version tag of a content: its SHA-256, hex (an HTTP entity tag without the quotes).
pub fn etag(content: &[u8]) -> String {
    Sha256::digest(content)
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A file as listed.
#[derive(Debug, Clone)]
pub struct ConfigFileInfo {
    pub path: ConfigPath,
    pub size: u64,
    pub modified_ms: i64,
}

/// A file with its content and version.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: ConfigPath,
    pub content: String,
    pub etag: String,
}

/// Why a file change was refused; nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum FileChangeError {
    #[error("no file {0}")]
    NotFound(String),
    #[error("{0} exists already")]
    Exists(String),
    /// The file changed since the editor read it; `current` is what it holds now.
    #[error("{} changed since it was read", .current.path.path())]
    Changed { current: Box<ConfigFile> },
    #[error("send If-Match with the ETag of the version you edited")]
    PreconditionRequired,
    #[error("the content has {0} bytes; the limit is {MAX_FILE_BYTES}")]
    TooLarge(usize),
    #[error("{0} is not UTF-8 text")]
    NotText(String),
    #[error("revision {0} cannot be reverted: {1}")]
    NotRevertible(i64, String),
    #[error("another change of fail2ban's configuration is still running; try again")]
    Busy,
    /// fail2ban could not parse the content (and would refuse every reload while it is there).
    #[error("{0}")]
    Unparsable(String),
    /// The change would alter the commands fail2ban runs (see `config::guard`).
    #[error("{0}")]
    RunsCommands(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl From<bangui_store::StoreError> for FileChangeError {
    fn from(e: bangui_store::StoreError) -> Self {
        Self::Runtime(e.into())
    }
}

fn io_error(path: &str, e: &std::io::Error) -> FileChangeError {
    FileChangeError::Runtime(RuntimeError::Config(format!("{path}: {e}")))
}

/// Whether `if_match` (an `If-Match` header value) names `etag`.
fn matches(if_match: &str, etag: &str) -> bool {
    if_match.split(',').map(str::trim).any(|tag| {
        let tag = tag.strip_prefix("W/").unwrap_or(tag);
        tag == "*" || tag.trim_matches('"') == etag
    })
}

impl Runtime {
    fn config_dir(&self) -> LocalConfigDir {
        LocalConfigDir::new(&self.settings().config_dir)
    }

    /// Runs file work off the async threads.
    async fn on_files<T: Send + 'static>(
        &self,
        work: impl FnOnce(LocalConfigDir) -> T + Send + 'static,
    ) -> Result<T, FileChangeError> {
        let dir = self.config_dir();
        Ok(self.files_blocking(move || work(dir)).await?)
    }

    /// Every editable file, enabled and disabled, by path.
    pub async fn config_files(&self) -> Result<Vec<ConfigFileInfo>, FileChangeError> {
        self.on_files(|files| {
            let mut found = Vec::new();
            for dir in FILE_DIRS {
                let names = files.list(dir).map_err(|e| io_error(dir, &e))?;
                for name in names {
                    let Some(path) = ConfigPath::parse(dir, &name) else {
                        continue;
                    };
                    if let Some(stat) = files.stat(&path.path()).map_err(|e| io_error(dir, &e))? {
                        found.push(ConfigFileInfo {
                            path,
                            size: stat.size,
                            modified_ms: stat.modified_ms,
                        });
                    }
                }
            }
            found.sort_by_key(|f| f.path.path());
            Ok(found)
        })
        .await?
    }

    /// A file's content and version.
    pub async fn config_file(&self, path: &ConfigPath) -> Result<ConfigFile, FileChangeError> {
        let path = path.clone();
        self.on_files(move |files| {
            read(&files, &path)?.ok_or_else(|| FileChangeError::NotFound(path.path()))
        })
        .await?
    }

    /// Creates a file that does not exist (nor its enabled/disabled twin).
    pub async fn create_config_file(
        &self,
        path: &ConfigPath,
        content: &str,
        actor: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        self.change(path, content, None, actor, "create").await
    }

    /// Replaces a file's content, if it still is the version `if_match` names.
    pub async fn save_config_file(
        &self,
        path: &ConfigPath,
        content: &str,
        if_match: Option<&str>,
        actor: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        let if_match = if_match.ok_or(FileChangeError::PreconditionRequired)?;
        self.change(path, content, Some(if_match), actor, "edit")
            .await
    }

    /// Writes `content` under the write lock: a create when `if_match` is `None`.
    async fn change(
        &self,
        path: &ConfigPath,
        content: &str,
        if_match: Option<&str>,
        actor: &str,
        action: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        if content.len() > MAX_FILE_BYTES {
            return Err(FileChangeError::TooLarge(content.len()));
        }
        let lock = self.config_write_lock().await?;
        let result = self
            .change_locked(path, content, if_match, actor, action)
            .await;
        self.redis().unlock(lock).await?;
        result
    }

    async fn change_locked(
        &self,
        path: &ConfigPath,
        content: &str,
        if_match: Option<&str>,
        actor: &str,
        action: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        let (current, twin) = {
            let (p, t) = (path.clone(), path.toggled(!path.enabled()));
            self.on_files(move |files| {
                Ok::<_, FileChangeError>((read(&files, &p)?, read(&files, &t)?))
            })
            .await??
        };
        let before = match (if_match, current) {
            (None, Some(_)) => return Err(FileChangeError::Exists(path.path())),
            (None, None) if twin.is_some() => {
                return Err(FileChangeError::Exists(
                    path.toggled(!path.enabled()).path(),
                ));
            }
            (None, None) => None,
            (Some(_), None) => return Err(FileChangeError::NotFound(path.path())),
            (Some(tag), Some(current)) if !matches(tag, &current.etag) => {
                return Err(FileChangeError::Changed {
                    current: Box::new(current),
                });
            }
            (Some(_), Some(current)) => Some(current.content),
        };
        check_parses(path, content)?;
        self.check_commands(path, before.as_deref(), content)
            .await?;
        self.write_with_revision(
            &path.path(),
            before.as_deref(),
            Some(content),
            actor,
            action,
        )
        .await?;
        tracing::info!(path = %path.path(), action, "fail2ban configuration file written");
        Ok(ConfigFile {
            path: path.clone(),
            content: content.to_owned(),
            etag: etag(content.as_bytes()),
        })
    }

    /// Refuses a raw write that would change the commands fail2ban runs, unless the operator
    /// allows it: checked against the configuration as it would be once written.
    async fn check_commands(
        &self,
        path: &ConfigPath,
        before: Option<&str>,
        after: &str,
    ) -> Result<(), FileChangeError> {
        if self.settings().allow_commands || before == Some(after) {
            return Ok(());
        }
        let (p, b, a) = (path.clone(), before.map(str::to_owned), after.to_owned());
        self.on_files(move |files| {
            let file = p.path();
            let overlay = WithFile {
                base: &files,
                path: &file,
                content: Some(a.as_bytes()),
            };
            // Unreadable as a whole, fail2ban refuses it; what is written is checked alone.
            let current = ConfigSet::read(&files, "jail").unwrap_or_default();
            let guard = ConfigSet::read(&overlay, "jail")
                .map(|proposed| Guard::new(&current, &proposed))
                .unwrap_or_default();
            guard
                .check_file_change(p.dir(), b.as_deref(), &a)
                .map_err(FileChangeError::RunsCommands)
        })
        .await?
    }

    /// Writes (or, with `None`, removes) `file` with its revision, the revision committed
    /// once the file is written.
    pub(crate) async fn write_with_revision(
        &self,
        file: &str,
        before: Option<&str>,
        after: Option<&str>,
        actor: &str,
        action: &str,
    ) -> Result<(), FileChangeError> {
        let revision = self
            .db()
            .begin_revision(&NewRevision {
                path: file,
                previous_path: None,
                actor,
                action,
                before,
                after,
            })
            .await?;
        let dir = self.settings().config_dir.clone();
        let (f, content) = (file.to_owned(), after.map(str::to_owned));
        self.files_blocking(move || {
            let files = LocalConfigDir::new(&dir);
            match content {
                Some(c) => files.write_atomic(&f, c.as_bytes()),
                None => files.remove(&f),
            }
            .map_err(|e| RuntimeError::Config(format!("{f}: {e}")))
        })
        .await??;
        revision.commit().await?;
        Ok(())
    }

    /// Enables or disables a file (renames it to or from `.disabled`), if it still is the
    /// version `if_match` names.
    pub async fn set_config_file_enabled(
        &self,
        path: &ConfigPath,
        enabled: bool,
        if_match: Option<&str>,
        actor: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        let if_match = if_match.ok_or(FileChangeError::PreconditionRequired)?;
        let lock = self.config_write_lock().await?;
        let result = async {
            let p = path.clone();
            let current = self
                .on_files(move |files| read(&files, &p))
                .await??
                .ok_or_else(|| FileChangeError::NotFound(path.path()))?;
            if !matches(if_match, &current.etag) {
                return Err(FileChangeError::Changed {
                    current: Box::new(current),
                });
            }
            let target = path.toggled(enabled);
            if &target == path {
                return Ok(current);
            }
            if enabled {
                // What fail2ban did not read, it reads now: as new as a new file.
                check_parses(&target, &current.content)?;
                self.check_commands(&target, None, &current.content).await?;
            }
            let revision = self
                .db()
                .begin_revision(&NewRevision {
                    path: &target.path(),
                    previous_path: Some(&path.path()),
                    actor,
                    action: if enabled { "enable" } else { "disable" },
                    before: Some(&current.content),
                    after: Some(&current.content),
                })
                .await?;
            let (from, to) = (path.path(), target.path());
            self.on_files(move |files| {
                files.rename(&from, &to).map_err(|e| match e.kind() {
                    std::io::ErrorKind::AlreadyExists => FileChangeError::Exists(to.clone()),
                    _ => io_error(&from, &e),
                })
            })
            .await??;
            revision.commit().await?;
            Ok(ConfigFile {
                path: target,
                ..current
            })
        }
        .await;
        self.redis().unlock(lock).await?;
        result
    }

    /// The revisions of a file, enabled or disabled, newest first.
    pub async fn config_file_revisions(
        &self,
        path: &ConfigPath,
    ) -> Result<Vec<Revision>, FileChangeError> {
        let names = [path.toggled(true).path(), path.toggled(false).path()];
        Ok(self.db().revisions_of(&names, 200).await?)
    }

    pub async fn config_revision(&self, id: i64) -> Result<Option<Revision>, FileChangeError> {
        Ok(self.db().revision(id).await?)
    }

    /// Puts back the content a file had before revision `id`, as a new revision.
    pub async fn revert_config_revision(
        &self,
        id: i64,
        actor: &str,
    ) -> Result<ConfigFile, FileChangeError> {
        let revision = self
            .db()
            .revision(id)
            .await?
            .ok_or_else(|| FileChangeError::NotFound(format!("revision {id}")))?;
        let Some(before) = revision.before else {
            return Err(FileChangeError::NotRevertible(
                id,
                "it created the file; disable the file instead".to_owned(),
            ));
        };
        let (dir, name) = revision
            .path
            .split_once('/')
            .unwrap_or(("", &revision.path));
        let path = ConfigPath::parse(dir, name).ok_or_else(|| {
            FileChangeError::NotRevertible(id, "its path is not editable".to_owned())
        })?;
        let lock = self.config_write_lock().await?;
        let result = async {
            let p = path.clone();
            let current = self
                .on_files(move |files| read(&files, &p))
                .await??
                .ok_or_else(|| {
                    FileChangeError::NotRevertible(id, format!("{} no longer exists", path.path()))
                })?;
            self.change_locked(&path, &before, Some(&current.etag), actor, "revert")
                .await
        }
        .await;
        self.redis().unlock(lock).await?;
        result
    }

    pub(crate) async fn config_write_lock(
        &self,
    ) -> Result<bangui_store::locks::Lock, FileChangeError> {
        self.config_write_lock_for(LOCK_TTL).await
    }

    /// The configuration write lock if nobody holds it.
    pub(crate) async fn try_config_write_lock(
        &self,
    ) -> Result<Option<bangui_store::locks::Lock>, FileChangeError> {
        Ok(self.redis().try_lock(WRITE_LOCK, LOCK_TTL).await?)
    }

    /// The configuration write lock, held for at most `ttl` (a change that reloads fail2ban
    /// holds it as long as a reload may take).
    pub(crate) async fn config_write_lock_for(
        &self,
        ttl: Duration,
    ) -> Result<bangui_store::locks::Lock, FileChangeError> {
        self.redis()
            .lock_within(WRITE_LOCK, ttl, LOCK_WAIT, Duration::from_millis(20))
            .await?
            .ok_or(FileChangeError::Busy)
    }
}

/// A file fail2ban reads must parse: one that does not makes it refuse every reload.
fn check_parses(path: &ConfigPath, content: &str) -> Result<(), FileChangeError> {
    if !path.enabled() {
        return Ok(());
    }
    bangui_fail2ban::config::ini::parse(content)
        .map(|_| ())
        .map_err(|e| {
            FileChangeError::Unparsable(format!(
                "fail2ban could not read {} ({e}); it would refuse every reload",
                path.path()
            ))
        })
}

/// A file's content and version, `None` if it does not exist.
fn read(files: &dyn ConfigFiles, path: &ConfigPath) -> Result<Option<ConfigFile>, FileChangeError> {
    let p = path.path();
    let Some(bytes) = files.read(&p).map_err(|e| io_error(&p, &e))? else {
        return Ok(None);
    };
    let etag = etag(&bytes);
    let content = String::from_utf8(bytes).map_err(|_| FileChangeError::NotText(p))?;
    Ok(Some(ConfigFile {
        path: path.clone(),
        content,
        etag,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_conf_and_local_names_in_the_three_directories() {
        for (dir, name) in [
            ("jail.d", "sshd.local"),
            ("filter.d", "my-filter.conf"),
            ("action.d", "x_y.local.disabled"),
        ] {
            assert!(ConfigPath::parse(dir, name).is_some(), "{dir}/{name}");
        }
        for (dir, name) in [
            ("jail.d", "../jail.conf"),
            ("jail.d", ".hidden.local"),
            ("jail.d", "a/b.local"),
            ("jail.d", "x.sh"),
            ("jail.d", ".local"),
            ("jail.d", "a..local"),
            ("jail.d", "a b.local"),
            ("jail.d", "a\0.local"),
            ("fail2ban.d", "x.local"),
            ("", "jail.local"),
            ("jail.d", "é.local"),
        ] {
            assert!(ConfigPath::parse(dir, name).is_none(), "{dir}/{name}");
        }
        let p = ConfigPath::parse("jail.d", "a.local").unwrap();
        assert_eq!(p.toggled(false).path(), "jail.d/a.local.disabled");
        assert_eq!(p.toggled(false).toggled(true), p);
    }

    #[test]
    fn if_match_accepts_quoted_weak_and_star() {
        let tag = etag(b"x");
        assert!(matches(&format!("\"{tag}\""), &tag));
        assert!(matches(&format!("W/\"{tag}\", \"other\""), &tag));
        assert!(matches("*", &tag));
        assert!(!matches("\"other\"", &tag));
    }
}
