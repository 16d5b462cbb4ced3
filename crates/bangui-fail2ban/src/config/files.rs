//! The one seam through which fail2ban's configuration files are reached: today a local
//! directory (`BANGUI_FAIL2BAN_CONFIG_DIR`), later a `bangui agent` on another host.
//!
//! Paths are relative to the configuration directory and use `/`. [`clean`] is the only way a
//! path reaches an implementation: nothing outside the directory can be named.

use std::collections::HashMap;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Component, Path, PathBuf};

/// Read access to a fail2ban configuration directory.
pub trait ConfigFiles {
    /// The file's bytes, or `None` if it does not exist (or is not a regular file).
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;
    /// The names of the regular files directly in `dir` (not recursive), in no given order;
    /// empty if `dir` does not exist.
    fn list(&self, dir: &str) -> io::Result<Vec<String>>;
    /// The existing paths on fail2ban's host that a `logpath` glob matches, as fail2ban's
    /// client finds them (Python's `glob.glob`, in directory order, dangling links left out).
    fn glob(&self, pattern: &str) -> Vec<String>;
    /// The last `count` lines of the file at `path` on fail2ban's host (an absolute path, a
    /// log fail2ban reads or writes) containing `filter`, oldest first, read from the end and
    /// at most `limit` bytes; and whether the limit cut the scan short. The caller decides
    /// which paths may be read.
    fn tail(
        &self,
        path: &str,
        count: usize,
        filter: Option<&str>,
        limit: u64,
    ) -> io::Result<(Vec<String>, bool)>;
    /// Size and modification time of a regular file, `None` if it does not exist there.
    fn stat(&self, path: &str) -> io::Result<Option<FileStat>>;
    /// Replaces (or creates) a regular file in one step: readers see the old content or the
    /// new, never a part. Refuses to write through a symlink.
    fn write_atomic(&self, path: &str, bytes: &[u8]) -> io::Result<()>;
    /// Renames a regular file within the directory; fails if `to` exists.
    fn rename(&self, from: &str, to: &str) -> io::Result<()>;
    /// Removes a regular file (never a symlink's target, never a directory).
    fn remove(&self, path: &str) -> io::Result<()>;
}

/// A configuration directory as it would be with one file changed (`None`: removed), for
/// checking a change before it is written. Writes go to the directory underneath.
#[allow(missing_debug_implementations)] // holds a `dyn ConfigFiles`
pub struct WithFile<'a> {
    pub base: &'a dyn ConfigFiles,
    /// The changed file's path (clean, relative).
    pub path: &'a str,
    pub content: Option<&'a [u8]>,
}

impl ConfigFiles for WithFile<'_> {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        if clean(path).as_deref() == Some(self.path) {
            return Ok(self.content.map(<[u8]>::to_vec));
        }
        self.base.read(path)
    }

    fn list(&self, dir: &str) -> io::Result<Vec<String>> {
        let mut names = self.base.list(dir)?;
        let (file_dir, name) = self.path.rsplit_once('/').unwrap_or(("", self.path));
        if clean(dir).unwrap_or_default() == file_dir {
            names.retain(|n| n != name);
            if self.content.is_some() {
                names.push(name.to_owned());
            }
        }
        Ok(names)
    }

    fn glob(&self, pattern: &str) -> Vec<String> {
        self.base.glob(pattern)
    }

    fn tail(
        &self,
        path: &str,
        count: usize,
        filter: Option<&str>,
        limit: u64,
    ) -> io::Result<(Vec<String>, bool)> {
        self.base.tail(path, count, filter, limit)
    }

    fn stat(&self, path: &str) -> io::Result<Option<FileStat>> {
        if clean(path).as_deref() == Some(self.path) {
            return Ok(self.content.map(|c| FileStat {
                size: c.len() as u64,
                modified_ms: 0,
            }));
        }
        self.base.stat(path)
    }

    fn write_atomic(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        self.base.write_atomic(path, bytes)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        self.base.rename(from, to)
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        self.base.remove(path)
    }
}

/// What [`ConfigFiles::stat`] tells of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub size: u64,
    /// Milliseconds since the Unix epoch.
    pub modified_ms: i64,
}

/// A configuration directory on this machine.
#[derive(Debug, Clone)]
pub struct LocalConfigDir {
    root: PathBuf,
    /// The root with symlinks resolved, once.
    real_root: std::sync::OnceLock<PathBuf>,
    /// Directories inside it already resolved (one read walks each once).
    dirs: std::sync::Arc<std::sync::Mutex<HashMap<String, Option<PathBuf>>>>,
}

impl LocalConfigDir {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self {
            root: root.into(),
            real_root: std::sync::OnceLock::new(),
            dirs: std::sync::Arc::default(),
        }
    }

    fn real_root(&self) -> io::Result<&Path> {
        if let Some(root) = self.real_root.get() {
            return Ok(root);
        }
        let root = self.root.canonicalize()?;
        Ok(self.real_root.get_or_init(|| root))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The real path of `path` if it stays inside the directory once symlinks are resolved.
    fn resolve(&self, path: &str) -> io::Result<Option<PathBuf>> {
        let Some(rel) = clean(path) else {
            return Ok(None);
        };
        let full = self.root.join(&rel);
        // A plain file in a directory already resolved needs one lstat, not a realpath walk.
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
        if let Some(Some(real_dir)) = self.resolved_dirs().get(dir)
            && let Ok(meta) = full.symlink_metadata()
            && !meta.file_type().is_symlink()
        {
            return Ok(Some(real_dir.join(name)));
        }
        let real = match full.canonicalize() {
            Ok(p) => p,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let inside = real.starts_with(self.real_root()?);
        if inside && real.is_dir() {
            self.resolved_dirs().insert(rel.clone(), Some(real.clone()));
        }
        Ok(inside.then_some(real))
    }

    /// Where `path` may be written: its directory resolved inside the configuration directory,
    /// and the file itself not a symlink and not anything but a regular file.
    fn writable(&self, path: &str) -> io::Result<PathBuf> {
        let rel = clean(path).ok_or_else(|| denied("outside the configuration directory"))?;
        let (dir, name) = rel.rsplit_once('/').unwrap_or(("", rel.as_str()));
        let real_dir = self
            .resolve(dir)?
            .filter(|d| d.is_dir())
            .ok_or_else(|| denied("no such directory in the configuration directory"))?;
        let target = real_dir.join(name);
        match target.symlink_metadata() {
            Ok(meta) if !meta.file_type().is_file() => Err(denied("not a regular file")),
            Ok(_) | Err(_) => Ok(target),
        }
    }

    /// Directories resolved so far, by relative path (`""` is the root).
    fn resolved_dirs(&self) -> std::sync::MutexGuard<'_, HashMap<String, Option<PathBuf>>> {
        let mut dirs = self
            .dirs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if dirs.is_empty()
            && let Ok(root) = self.real_root()
        {
            dirs.insert(String::new(), Some(root.to_path_buf()));
        }
        dirs
    }
}

impl ConfigFiles for LocalConfigDir {
    fn glob(&self, pattern: &str) -> Vec<String> {
        python_glob(pattern)
    }

    fn tail(
        &self,
        path: &str,
        count: usize,
        filter: Option<&str>,
        limit: u64,
    ) -> io::Result<(Vec<String>, bool)> {
        tail_file(Path::new(path), count, filter, limit)
    }

    fn stat(&self, path: &str) -> io::Result<Option<FileStat>> {
        let Some(real) = self.resolve(path)? else {
            return Ok(None);
        };
        let meta = std::fs::metadata(real)?;
        if !meta.is_file() {
            return Ok(None);
        }
        let modified_ms = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        Ok(Some(FileStat {
            size: meta.len(),
            modified_ms,
        }))
    }

    fn write_atomic(&self, path: &str, bytes: &[u8]) -> io::Result<()> {
        let target = self.writable(path)?;
        let dir = target.parent().ok_or_else(|| denied("no directory"))?;
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| denied("no file name"))?;
        // A hidden name in the same directory: fail2ban's globs skip it, and the rename
        // below cannot cross file systems.
        static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.bangui-{}-{n}", std::process::id()));
        let result = (|| {
            use std::io::Write;
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&temp)?;
            // A file keeps its permissions when replaced.
            if let Ok(meta) = std::fs::metadata(&target) {
                file.set_permissions(meta.permissions())?;
            }
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&temp, &target)?;
            std::fs::File::open(dir)?.sync_all()
        })();
        if result.is_err() {
            let _ = std::fs::remove_file(&temp);
        }
        result
    }

    fn remove(&self, path: &str) -> io::Result<()> {
        let target = self.writable(path)?;
        std::fs::remove_file(target)
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let source = self.writable(from)?;
        let target = self.writable(to)?;
        if source.symlink_metadata().is_err() {
            return Err(io::Error::new(io::ErrorKind::NotFound, "no such file"));
        }
        if target.symlink_metadata().is_ok() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "the new name is taken",
            ));
        }
        std::fs::rename(source, target)
    }

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
            let kind = entry.file_type()?;
            if kind.is_file() {
                names.push(name);
            } else if kind.is_symlink() {
                // A symlink counts if it leads to a file inside the directory.
                let rel = if dir.is_empty() {
                    name.clone()
                } else {
                    format!("{dir}/{name}")
                };
                if self.resolve(&rel)?.is_some_and(|p| p.is_file()) {
                    names.push(name);
                }
            }
        }
        Ok(names)
    }
}

fn denied(why: &str) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, why.to_owned())
}

/// Python's `glob.glob(pattern)` on this machine, keeping what exists (`os.path.exists`).
pub fn python_glob(pattern: &str) -> Vec<String> {
    glob_paths(pattern, false)
        .into_iter()
        .filter(|p| Path::new(p).exists())
        .collect()
}

fn has_magic(s: &str) -> bool {
    s.contains(['*', '?', '['])
}

/// The last `count` lines of `path` containing `filter`, oldest first, reading blocks from
/// the end and at most `limit` bytes; and whether the limit cut the scan short.
pub fn tail_file(
    path: &Path,
    count: usize,
    filter: Option<&str>,
    limit: u64,
) -> std::io::Result<(Vec<String>, bool)> {
    const BLOCK: u64 = 64 * 1024;
    let mut file = std::fs::File::open(path)?;
    let size = file.metadata()?.len();
    let mut end = size;
    let mut found: Vec<String> = Vec::new();
    // Bytes of the line that continues into the block read next (which lies before it).
    let mut carry: Vec<u8> = Vec::new();
    let mut first = true;
    let keep = |line: &[u8], found: &mut Vec<String>| {
        let text = String::from_utf8_lossy(line);
        let text = text.strip_suffix('\r').unwrap_or(&text);
        if filter.is_none_or(|f| text.contains(f)) {
            found.push(text.to_owned());
        }
    };
    while end > 0 && found.len() < count {
        if size - end >= limit {
            found.reverse();
            return Ok((found, true));
        }
        let start = end.saturating_sub(BLOCK);
        let mut block = vec![0; usize::try_from(end - start).unwrap_or(0)];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block)?;
        block.extend_from_slice(&carry);
        let mut rest: &[u8] = &block;
        // The file's last newline ends its last line; it does not start an empty one.
        if first && rest.last() == Some(&b'\n') {
            rest = &rest[..rest.len() - 1];
        }
        first = false;
        while let Some(at) = rest.iter().rposition(|b| *b == b'\n') {
            keep(&rest[at + 1..], &mut found);
            rest = &rest[..at];
            if found.len() >= count {
                break;
            }
        }
        carry = rest.to_vec();
        end = start;
        if end == 0 && found.len() < count && !carry.is_empty() {
            keep(&carry, &mut found);
        }
    }
    found.truncate(count);
    found.reverse();
    Ok((found, false))
}

/// `glob._iglob` (not recursive): the directory part first, then the name in each directory.
fn glob_paths(pattern: &str, dirs_only: bool) -> Vec<String> {
    let (dir, name) = match pattern.rfind('/') {
        // `os.path.split` keeps a root's slashes: "/x" → ("/", "x").
        Some(at) => {
            let head = &pattern[..at];
            let head = if head.chars().all(|c| c == '/') {
                &pattern[..=at]
            } else {
                head.trim_end_matches('/')
            };
            (head, &pattern[at + 1..])
        }
        None => ("", pattern),
    };
    if !has_magic(pattern) {
        let exists = if name.is_empty() {
            Path::new(dir).is_dir()
        } else {
            Path::new(pattern).symlink_metadata().is_ok()
        };
        return if exists {
            vec![pattern.to_owned()]
        } else {
            Vec::new()
        };
    }
    if dir.is_empty() {
        return matching_names(".", name, dirs_only);
    }
    let dirs = if dir != pattern && has_magic(dir) {
        glob_paths(dir, true)
    } else {
        vec![dir.to_owned()]
    };
    let mut found = Vec::new();
    for d in dirs {
        let names = if has_magic(name) {
            matching_names(&d, name, dirs_only)
        } else if name.is_empty() {
            if Path::new(&d).is_dir() {
                vec![String::new()]
            } else {
                Vec::new()
            }
        } else if Path::new(&d).join(name).symlink_metadata().is_ok() {
            vec![name.to_owned()]
        } else {
            Vec::new()
        };
        for n in names {
            found.push(if d.ends_with('/') {
                format!("{d}{n}")
            } else {
                format!("{d}/{n}")
            });
        }
    }
    found
}

/// `glob._glob1`: the names in `dir` (directory order) that `pattern` matches; hidden names
/// only for a pattern that starts with a dot.
fn matching_names(dir: &str, pattern: &str, dirs_only: bool) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let hidden_ok = pattern.starts_with('.');
    entries
        .filter_map(Result::ok)
        .filter(|e| !dirs_only || e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| hidden_ok || !n.starts_with('.'))
        .filter(|n| fnmatch(n, pattern))
        .collect()
}

/// `fnmatch.fnmatchcase`: `*`, `?`, `[set]`, `[!set]`; an unclosed `[` is a literal.
pub fn fnmatch(name: &str, pattern: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    let pattern: Vec<char> = pattern.chars().collect();
    fn matches(n: &[char], p: &[char]) -> bool {
        match p.first() {
            None => n.is_empty(),
            Some('*') => (0..=n.len()).any(|i| matches(&n[i..], &p[1..])),
            Some('?') => !n.is_empty() && matches(&n[1..], &p[1..]),
            Some('[') => match class_end(p) {
                Some(end) => {
                    let Some(&c) = n.first() else { return false };
                    in_class(c, &p[1..end]) && matches(&n[1..], &p[end + 1..])
                }
                None => n.first() == Some(&'[') && matches(&n[1..], &p[1..]),
            },
            Some(&c) => n.first() == Some(&c) && matches(&n[1..], &p[1..]),
        }
    }
    matches(&name, &pattern)
}

/// Where the `]` closing the class at `p[0]` is (a `]` right after `[` or `[!` is literal).
fn class_end(p: &[char]) -> Option<usize> {
    let mut i = 1;
    if p.get(i) == Some(&'!') {
        i += 1;
    }
    if p.get(i) == Some(&']') {
        i += 1;
    }
    while i < p.len() {
        if p[i] == ']' {
            return Some(i);
        }
        i += 1;
    }
    None
}

fn in_class(c: char, class: &[char]) -> bool {
    let (negated, class) = match class.first() {
        Some('!') => (true, &class[1..]),
        _ => (false, class),
    };
    let mut hit = false;
    let mut i = 0;
    while i < class.len() {
        if i + 2 < class.len() && class[i + 1] == '-' {
            if class[i] <= c && c <= class[i + 2] {
                hit = true;
            }
            i += 3;
        } else {
            if class[i] == c {
                hit = true;
            }
            i += 1;
        }
    }
    hit != negated
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

    fn file_with(lines: &[String]) -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(f.path(), lines.join("\n") + "\n").unwrap();
        f
    }

    #[test]
    fn tails_from_the_end_across_blocks() {
        let lines: Vec<String> = (0..20_000)
            .map(|i| {
                format!(
                    "2026-12-04 line {i} {}",
                    if i % 7 == 0 { "Ban" } else { "Found" }
                )
            })
            .collect();
        let f = file_with(&lines);
        let (last, cut) = tail_file(f.path(), 3, None, 16 << 20).unwrap();
        assert_eq!(last, lines[19_997..].to_vec());
        assert!(!cut);
        let (bans, _) = tail_file(f.path(), 5, Some("Ban"), 16 << 20).unwrap();
        let matching: Vec<String> = lines
            .iter()
            .filter(|l| l.contains("Ban"))
            .cloned()
            .collect();
        let expected = matching[matching.len() - 5..].to_vec();
        assert_eq!(bans, expected);
        let (all, _) = tail_file(f.path(), 50_000, None, 16 << 20).unwrap();
        assert_eq!(all, lines);
        // The scan limit stops a filter that matches nothing from reading the whole file.
        let (none, cut) = tail_file(f.path(), 5, Some("nothing"), 100_000).unwrap();
        assert!(none.is_empty() && cut);
    }

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
    fn fnmatch_as_python_matches() {
        assert!(fnmatch("error.log", "*error.log"));
        assert!(fnmatch("access-1.log", "access-?.log"));
        assert!(fnmatch("b.log", "[abc].log"));
        assert!(!fnmatch("d.log", "[abc].log"));
        assert!(fnmatch("d.log", "[!abc].log"));
        assert!(fnmatch("[x", "[x"));
        assert!(fnmatch("]", "[]]"));
        assert!(!fnmatch("a.log.1", "*.log"));
    }

    #[test]
    fn globs_find_what_exists_and_skip_hidden_names() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_str().unwrap();
        for f in ["a/x.log", "a/.hidden.log", "b/y.log", "b/z.txt"] {
            let p = dir.path().join(f);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, "").unwrap();
        }
        std::os::unix::fs::symlink(
            dir.path().join("nowhere"),
            dir.path().join("a/dangling.log"),
        )
        .unwrap();
        let mut found = python_glob(&format!("{root}/*/*.log"));
        found.sort();
        assert_eq!(
            found,
            [format!("{root}/a/x.log"), format!("{root}/b/y.log")]
        );
        assert_eq!(
            python_glob(&format!("{root}/b/z.txt")),
            [format!("{root}/b/z.txt")]
        );
        assert!(python_glob(&format!("{root}/c/*.log")).is_empty());
    }

    #[test]
    fn writes_replace_whole_files_and_never_follow_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("jail.d")).unwrap();
        let outside = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(outside.path(), "keep").unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("jail.d/link.local")).unwrap();
        let files = LocalConfigDir::new(dir.path());
        files.write_atomic("jail.d/a.local", b"[a]\n").unwrap();
        files.write_atomic("jail.d/a.local", b"[b]\n").unwrap();
        assert_eq!(
            std::fs::read(dir.path().join("jail.d/a.local")).unwrap(),
            b"[b]\n"
        );
        assert!(files.write_atomic("jail.d/link.local", b"x").is_err());
        assert!(files.write_atomic("../x.local", b"x").is_err());
        assert!(files.write_atomic("nodir/x.local", b"x").is_err());
        assert_eq!(std::fs::read_to_string(outside.path()).unwrap(), "keep");
        files
            .rename("jail.d/a.local", "jail.d/a.local.disabled")
            .unwrap();
        assert!(files.rename("jail.d/a.local", "jail.d/b.local").is_err());
        files.write_atomic("jail.d/c.local", b"").unwrap();
        assert!(
            files
                .rename("jail.d/c.local", "jail.d/a.local.disabled")
                .is_err()
        );
        let mut names = std::fs::read_dir(dir.path().join("jail.d"))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect::<Vec<_>>();
        names.sort();
        // No temporary file left behind.
        assert_eq!(names, ["a.local.disabled", "c.local", "link.local"]);
        assert_eq!(
            files.stat("jail.d/a.local.disabled").unwrap().unwrap().size,
            4
        );
        assert_eq!(files.stat("jail.d/a.local").unwrap(), None);
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
