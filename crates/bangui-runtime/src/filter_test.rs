//! The filter test: a filter (stock or of bangui's making, a jail's own, or a draft) run over
//! pasted lines or the last lines of a jail's log, with the answers `fail2ban-regex` gives
//! ([`bangui_fail2ban::filter`]). Nothing is written and nothing reaches fail2ban.

use std::path::{Path, PathBuf};

use bangui_core::JailName;
use bangui_fail2ban::config::edit::edit_options;
use bangui_fail2ban::config::files::WithFile;
use bangui_fail2ban::config::jails::Host;
use bangui_fail2ban::config::stream::{commands_of_jail, filter_commands};
use bangui_fail2ban::config::{ConfigFiles, ConfigSet, LocalConfigDir};
use bangui_fail2ban::filter::{Filter, FilterSpec, Report};
use serde_json::Value;

use crate::library::valid_name;
use crate::server::SCAN_LIMIT;
use crate::{Runtime, RuntimeError};

/// At most this many lines are tested at once (pasted or read from a log).
pub const MAX_LINES: usize = 10_000;
/// Lines read from a jail's log when the request does not say.
pub const DEFAULT_LOG_LINES: usize = 200;
/// A pasted line longer than this is refused (fail2ban's own lines are far shorter).
pub const MAX_LINE_BYTES: usize = 16 * 1024;

/// What to test and on which lines.
#[derive(Debug, Clone, Default)]
pub struct FilterTest {
    /// A filter of `filter.d` by name, with fail2ban's options (`sshd[mode=aggressive]`).
    pub filter: Option<String>,
    /// A jail: its own filter (as fail2ban runs it) unless `filter` or a draft `failregex`
    /// is given, and its log unless `lines` are.
    pub jail: Option<String>,
    /// Draft parts; each replaces the named filter's (or the jail's).
    pub failregex: Option<Vec<String>>,
    pub ignoreregex: Option<Vec<String>>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub maxlines: Option<usize>,
    /// Pasted lines (`None`: the last `log_lines` lines of the jail's log).
    pub lines: Option<Vec<String>>,
    pub log_lines: Option<usize>,
}

/// The answer: where the filter and lines came from, and the report.
#[derive(Debug, Clone)]
pub struct FilterTestResult {
    pub filter: Option<String>,
    pub jail: Option<String>,
    /// The log file read, when lines came from a jail's log.
    pub log: Option<String>,
    /// The lines tested (pasted or read), in order: `report.lines[i].number` is 1-based here.
    pub lines: Vec<String>,
    /// Whether the log was read only partly (its last 16 MB).
    pub truncated: bool,
    /// The filter as run: the named one's (or the jail's) parts, interpolated, with the
    /// draft's over them.
    pub effective: FilterSpec,
    pub report: Report,
}

/// Why a test could not run.
#[derive(Debug, thiserror::Error)]
pub enum FilterTestError {
    /// The request or the filter is not usable (the message says which part, and why).
    #[error("{0}")]
    Invalid(String),
    #[error("no filter {0} in filter.d")]
    FilterNotFound(String),
    #[error("no jail {0} in the configuration")]
    JailNotFound(String),
    /// The jail's log cannot be read here (the journal, a path outside the allowed directory,
    /// no file yet).
    #[error("{0}")]
    NoLog(String),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

impl FilterTest {
    fn check(&self) -> Result<(), FilterTestError> {
        let invalid = |m: &str| Err(FilterTestError::Invalid(m.to_owned()));
        if self.filter.is_none() && self.jail.is_none() && self.failregex.is_none() {
            return invalid("name a filter or a jail, or give a failregex");
        }
        if self.lines.is_none() && self.jail.is_none() {
            return invalid("give lines to test, or a jail whose log to read");
        }
        if let Some(lines) = &self.lines {
            if lines.is_empty() {
                return invalid("lines: give at least one");
            }
            if lines.len() > MAX_LINES {
                return Err(FilterTestError::Invalid(format!(
                    "lines: at most {MAX_LINES}"
                )));
            }
            if lines
                .iter()
                .any(|l| l.len() > MAX_LINE_BYTES || l.contains(['\n', '\0']))
            {
                return Err(FilterTestError::Invalid(format!(
                    "lines: one log line each, without NUL, at most {MAX_LINE_BYTES} bytes"
                )));
            }
        }
        if self.log_lines.is_some_and(|n| n == 0 || n > MAX_LINES) {
            return Err(FilterTestError::Invalid(format!(
                "log_lines: from 1 to {MAX_LINES}"
            )));
        }
        if self.maxlines.is_some_and(|n| n == 0 || n > 1000) {
            return invalid("maxlines: from 1 to 1000");
        }
        let lists = [&self.failregex, &self.ignoreregex];
        if lists
            .iter()
            .any(|l| l.as_ref().is_some_and(|l| l.len() > 200))
        {
            return invalid("at most 200 expressions per list");
        }
        let texts = lists
            .iter()
            .flat_map(|l| l.iter().flatten())
            .chain(&self.prefregex)
            .chain(&self.datepattern);
        for text in texts {
            if text.len() > 8192 || text.chars().any(|c| c.is_control() && c != '\n') {
                return invalid("expressions: at most 8 KB each, no control characters");
            }
        }
        if self.failregex.as_ref().is_some_and(Vec::is_empty) {
            return invalid("failregex: a filter needs at least one");
        }
        if let Some(filter) = &self.filter {
            let name = filter.split('[').next().unwrap_or_default();
            if !valid_name(name) || filter.len() > 512 || filter.contains(['\n', '\0']) {
                return Err(FilterTestError::FilterNotFound(filter.clone()));
            }
        }
        if let Some(jail) = &self.jail
            && JailName::parse(jail).is_err()
        {
            return Err(FilterTestError::JailNotFound(jail.clone()));
        }
        Ok(())
    }

    /// The filter to run: the named one or the jail's, with the draft's parts over it.
    fn spec(&self, commands: Option<&[Value]>) -> FilterSpec {
        let mut spec = commands.map_or_else(
            || FilterSpec {
                maxlines: 1,
                ..FilterSpec::default()
            },
            FilterSpec::from_commands,
        );
        if let Some(v) = &self.failregex {
            spec.failregex.clone_from(v);
        }
        if let Some(v) = &self.ignoreregex {
            spec.ignoreregex.clone_from(v);
        }
        if let Some(v) = &self.prefregex {
            spec.prefregex = Some(v.clone()).filter(|p| !p.is_empty());
        }
        if let Some(v) = &self.datepattern {
            spec.datepattern = Some(v.clone()).filter(|p| !p.trim().is_empty());
        }
        if let Some(n) = self.maxlines {
            spec.maxlines = n;
        }
        spec
    }
}

/// The commands fail2ban would run for `jail` once enabled (its `.local` says `enabled =
/// true` in an overlay; nothing is written).
fn jail_commands(
    files: &dyn ConfigFiles,
    host: &Host,
    jail: &str,
) -> Result<Vec<Value>, FilterTestError> {
    let set = ConfigSet::read(files, "jail").map_err(|e| RuntimeError::Config(e.to_string()))?;
    if !set.has_section(jail) {
        return Err(FilterTestError::JailNotFound(jail.to_owned()));
    }
    let file = format!("jail.d/{jail}.local");
    let current = files
        .read(&file)
        .map_err(|e| RuntimeError::Config(format!("{file}: {e}")))?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default();
    let enabled = edit_options(&current, jail, &[("enabled", Some(vec!["true".into()]))]);
    let overlay = WithFile {
        base: files,
        path: &file,
        content: Some(enabled.as_bytes()),
    };
    commands_of_jail(&overlay, host, jail)
        .map_err(|e| RuntimeError::Config(e.to_string()))?
        .map_err(|e| FilterTestError::Invalid(format!("fail2ban would not run [{jail}]: {e}")))
}

/// The log file a jail's commands read first, if it may be read here.
fn jail_log(commands: &[Value], jail: &str, log_dir: &Path) -> Result<PathBuf, FilterTestError> {
    let backend = commands
        .iter()
        .find(|c| c[0] == "add")
        .and_then(|c| c[2].as_str())
        .unwrap_or("auto");
    if backend.starts_with("systemd") {
        return Err(FilterTestError::NoLog(format!(
            "[{jail}] reads the systemd journal, not a file: paste the lines to test"
        )));
    }
    let Some(path) = commands
        .iter()
        .find(|c| c[2] == "addlogpath")
        .and_then(|c| c[3].as_str())
    else {
        return Err(FilterTestError::NoLog(format!(
            "[{jail}] has no log file yet: paste the lines to test"
        )));
    };
    let real = Path::new(path).canonicalize().ok();
    let inside = match (&real, log_dir.canonicalize()) {
        (Some(real), Ok(dir)) => real.starts_with(dir),
        _ => false,
    };
    real.filter(|_| inside).ok_or_else(|| {
        FilterTestError::NoLog(format!(
            "[{jail}] reads {path}, which is not a file in {} (BANGUI_FAIL2BAN_LOG_DIR): paste the lines to test",
            log_dir.display()
        ))
    })
}

impl Runtime {
    /// Runs `test` (see [`FilterTest`]): reads what it names, then the lines, then the filter.
    pub async fn test_filter(&self, test: FilterTest) -> Result<FilterTestResult, FilterTestError> {
        test.check()?;
        let version = self.fail2ban().version().await.unwrap_or_default();
        let dir = self.settings().config_dir.clone();
        let log_dir = self.settings().log_dir.clone();
        self.files_blocking(move || {
            let files = LocalConfigDir::new(&dir);
            let host = Host {
                version,
                confpath: dir.display().to_string(),
            };
            let jail_commands = match &test.jail {
                Some(jail) => Some(jail_commands(&files, &host, jail)?),
                None => None,
            };
            let commands = match (&test.filter, &jail_commands) {
                (Some(filter), _) => Some(
                    filter_commands(&files, filter, "bangui-filter-test")
                        .map_err(|e| RuntimeError::Config(e.to_string()))?
                        .map_err(|_| FilterTestError::FilterNotFound(filter.clone()))?,
                ),
                (None, Some(c)) if test.failregex.is_none() => Some(c.clone()),
                _ => None,
            };
            let spec = test.spec(commands.as_deref());
            let mut filter =
                Filter::new(&spec).map_err(|e| FilterTestError::Invalid(e.to_string()))?;
            let (lines, log, truncated) = match (&test.lines, &test.jail, &jail_commands) {
                (Some(lines), _, _) => (lines.clone(), None, false),
                (None, Some(jail), Some(commands)) => {
                    let path = jail_log(commands, jail, &log_dir)?;
                    let path = path.display().to_string();
                    let count = test.log_lines.unwrap_or(DEFAULT_LOG_LINES);
                    let (lines, truncated) = files
                        .tail(&path, count, None, SCAN_LIMIT)
                        .map_err(|e| FilterTestError::NoLog(format!("reading {path}: {e}")))?;
                    (lines, Some(path), truncated)
                }
                _ => {
                    return Err(FilterTestError::Invalid(
                        "give lines to test, or a jail whose log to read".into(),
                    ));
                }
            };
            let report = filter.process(lines.iter().map(String::as_str));
            Ok(FilterTestResult {
                filter: test.filter.clone(),
                jail: test.jail.clone(),
                lines,
                log,
                truncated,
                effective: spec,
                report,
            })
        })
        .await?
    }
}
