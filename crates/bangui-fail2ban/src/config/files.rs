//! The one seam through which fail2ban's configuration files are reached: today a local
//! directory (`BANGUI_FAIL2BAN_CONFIG_DIR`), later a `bangui agent` on another host.
//!
//! Paths are relative to the configuration directory and use `/`. [`clean`] is the only way a
//! path reaches an implementation: nothing outside the directory can be named.

use std::io;
use std::path::{Component, Path, PathBuf};

/// Read access to a fail2ban configuration directory.
pub trait ConfigFiles {
    /// The file's bytes, or `None` if it does not exist (or is not a regular file).
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
    /// The names of the regular files directly in `dir` (not recursive), in no given order;
    /// empty if `dir` does not exist.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
}

/// A configuration directory on this machine.
#[derive(Debug, Clone)]
pub struct LocalConfigDir {
    root: PathBuf,
}

impl LocalConfigDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of `path` if it stays inside the directory once symlinks are resolved.
    fn resolve(&self, path: &str) -> io::Result<Option<PathBuf>> {
        let Some(rel) = clean(path) else {
            return Ok(None);
        };
        let full = self.root.join(rel);
        let real = match full.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let root = self.root.canonicalize()?;
        Ok(real.starts_with(&root).then_some(real))
    }
}

impl ConfigFiles for LocalConfigDir {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        if !real.is_file() {
            return Ok(None);
        }
        std::fs::read(real).map(Some)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let Some(real) = self.resolve(dir)? else {
            return Ok(Vec::new());
        };
        if !real.is_dir() {
            return Ok(Vec::new());
        }
        let mut names = Vec::new();
        for entry in std::fs::read_dir(real)? {
            let entry = entry?;
            let Ok(name) = entry.file_name().into_string() else {
                continue;
            };
            let rel = if dir.is_empty() {
                name.clone()
            } else {
                format!("{dir}/{name}")
            };
            // A symlink counts if it leads to a file inside the directory.
            if self.resolve(&rel)?.is_some_and(|p| p.is_file()) {
                names.push(name);
            }
        }
        Ok(names)
    }
}

/// `path` relative to the configuration directory, with `.` and `..` resolved lexically, or
/// `None` if it is absolute, leaves the directory, or holds NUL or control characters.
pub fn clean(path: &str) -> Option<String> {
    if path.chars().any(char::is_control) {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for component in Path::new(path).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a relative path (`""` for a file at the top).
pub(crate) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_keeps_paths_inside() {
        assert_eq!(clean("jail.conf").as_deref(), Some("jail.conf"));
        assert_eq!(clean("./jail.d/a.local").as_deref(), Some("jail.d/a.local"));
        assert_eq!(clean("filter.d/../jail.conf").as_deref(), Some("jail.conf"));
        assert_eq!(clean("../etc/passwd"), None);
        assert_eq!(clean("jail.d/../../x"), None);
        assert_eq!(clean("/etc/passwd"), None);
        assert_eq!(clean("jail\0.conf"), None);
        assert_eq!(clean("jail\n.conf"), None);
    }

    #[test]
    fn a_symlink_out_of_the_directory_reads_as_missing() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(outside.path(), "[x]\na = 1\n").unwrap();
        std::fs::write(dir.path().join("in.conf"), "[y]\n").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("out.conf")).unwrap();
        let files = LocalConfigDir::new(dir.path());
        assert_eq!(files.read("in.conf").unwrap().unwrap(), b"[y]\n");
        assert_eq!(files.read("out.conf").unwrap(), None);
        assert_eq!(files.list("").unwrap(), vec!["in.conf".to_owned()]);
    }
}
