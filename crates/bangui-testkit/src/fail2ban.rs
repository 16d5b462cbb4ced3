//! [`Fail2ban`]: a real `fail2ban-server` on a sandbox configuration.
//!
//! The only action appends a line to `actions.log` in the server's directory: no firewall is
//! touched, and tests can read what fail2ban did. `backend = polling` because Debian's package
//! brings neither pyinotify nor the systemd bindings.

use std::fmt::Write as _;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::net::fits_socket_path;
use crate::process::{ScratchDir, Spec, Supervised, find_program};

/// Which jails the sandbox has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// For tests: `test` (bans after 3 failures in 10 min, for 10 min), `test-incr` (the same
    /// with `bantime.increment`), `blocklist-import` (permanent bans, fed by imports, without
    /// an action so that big imports are fast), and `disabled-jail` (configured, not enabled).
    Test,
    /// For `make run`: `sshd` and `web-login`, fed by the attack simulator, plus
    /// `blocklist-import`, and `recidive`, `mail-auth` and `ftp-auth` configured but inactive.
    Demo,
    /// For benchmarks: `bulk`, a jail without actions, so that 100,000 bans take seconds.
    Bench,
}

struct JailSpec {
    name: &'static str,
    enabled: bool,
    /// Extra `key = value` lines.
    extra: &'static str,
}

impl Layout {
    fn jails(self) -> &'static [JailSpec] {
        match self {
            Self::Test => &[
                JailSpec {
                    name: "test",
                    enabled: true,
                    extra: "",
                },
                JailSpec {
                    name: "test-incr",
                    enabled: true,
                    extra: "bantime.increment = true\nbantime.factor = 2\nbantime.maxtime = 1w\n",
                },
                JailSpec {
                    name: "blocklist-import",
                    enabled: true,
                    // No action: imports of 20,000 addresses take a second, not two minutes.
                    extra: "bantime = -1\naction =\n",
                },
                JailSpec {
                    name: "disabled-jail",
                    enabled: false,
                    extra: "",
                },
            ],
            Self::Demo => &[
                JailSpec {
                    name: "sshd",
                    enabled: true,
                    extra: "",
                },
                JailSpec {
                    name: "web-login",
                    enabled: true,
                    extra: "maxretry = 4\nbantime = 1h\nbantime.increment = true\nbantime.factor = 2\nbantime.maxtime = 1w\n",
                },
                JailSpec {
                    name: "blocklist-import",
                    enabled: true,
                    extra: "bantime = -1\n",
                },
                JailSpec {
                    name: "recidive",
                    enabled: false,
                    extra: "bantime = 1w\nfindtime = 1d\n",
                },
                // More inactive jails, for the configuration page's Activate.
                JailSpec {
                    name: "mail-auth",
                    enabled: false,
                    extra: "maxretry = 5\n",
                },
                JailSpec {
                    name: "ftp-auth",
                    enabled: false,
                    extra: "",
                },
            ],
            Self::Bench => &[JailSpec {
                name: "bulk",
                enabled: true,
                extra: "action =\nbantime = 1d\n",
            }],
        }
    }

    /// The jails fail2ban runs, sorted as `status` lists them.
    pub fn enabled_jails(self) -> Vec<&'static str> {
        let mut names: Vec<_> = self
            .jails()
            .iter()
            .filter(|j| j.enabled)
            .map(|j| j.name)
            .collect();
        names.sort_unstable();
        names
    }

    pub fn all_jails(self) -> Vec<&'static str> {
        self.jails().iter().map(|j| j.name).collect()
    }
}

/// A running sandboxed fail2ban-server. Stops when dropped.
#[derive(Debug)]
pub struct Fail2ban {
    process: Option<Supervised>,
    dir: PathBuf,
    socket: PathBuf,
    layout: Layout,
    _socket_dir: Option<ScratchDir>,
    /// Declared last: removed after the server stopped.
    _scratch: Option<ScratchDir>,
}

impl Fail2ban {
    /// A sandbox in a temporary directory.
    pub fn start(layout: Layout) -> anyhow::Result<Self> {
        let scratch = ScratchDir::new("bangui-f2b-", Some("fail2ban.pid"))?;
        let dir = scratch.path().to_owned();
        Self::launch(dir, layout, Some(scratch))
    }

    /// A sandbox keeping its configuration, database and logs in `dir` (for `make run`). The
    /// configuration is rewritten at every start; the database and logs are kept.
    pub fn start_in(dir: &Path, layout: Layout) -> anyhow::Result<Self> {
        fs::create_dir_all(dir)?;
        Self::launch(dir.canonicalize()?, layout, None)
    }

    fn launch(dir: PathBuf, layout: Layout, scratch: Option<ScratchDir>) -> anyhow::Result<Self> {
        let mut socket = dir.join("fail2ban.sock");
        let mut socket_dir = None;
        if !fits_socket_path(&socket) {
            // A deep checkout: the socket goes to a short private directory instead.
            let short = ScratchDir::new("bangui-sock-", None)?;
            socket = short.path().join("fail2ban.sock");
            socket_dir = Some(short);
        }
        let mut f2b = Self {
            process: None,
            dir,
            socket,
            layout,
            _socket_dir: socket_dir,
            _scratch: scratch,
        };
        f2b.write_config()?;
        f2b.start_again()?;
        Ok(f2b)
    }

    pub fn socket(&self) -> &Path {
        &self.socket
    }

    /// The configuration directory (`-c`), as `fail2ban-client -c … reload` needs it.
    pub fn config_dir(&self) -> PathBuf {
        self.dir.join("conf")
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// fail2ban's SQLite database.
    pub fn db_path(&self) -> PathBuf {
        self.dir.join("fail2ban.sqlite3")
    }

    /// The log file a jail watches.
    pub fn log_file(&self, jail: &str) -> PathBuf {
        self.dir.join("logs").join(format!("{jail}.log"))
    }

    pub fn layout(&self) -> Layout {
        self.layout
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Supervised::pid)
    }

    /// What the no-op action recorded: one `ban <jail> <ip> <bantime>` or `unban <jail> <ip>`
    /// line per action call.
    pub fn actions_log(&self) -> String {
        fs::read_to_string(self.dir.join("actions.log")).unwrap_or_default()
    }

    /// Appends `count` failed-login lines for `ip`, stamped now, to the jail's log, as an
    /// attacked service would.
    pub fn append_failures(&self, jail: &str, ip: &str, count: usize) -> anyhow::Result<()> {
        append_failures(&self.log_file(jail), ip, count)
    }

    /// Stops the server gracefully (`SIGTERM`: fail2ban removes its socket).
    pub fn stop(&mut self) -> anyhow::Result<()> {
        match self.process.take() {
            Some(p) => p.stop(),
            None => Ok(()),
        }
    }

    /// Freezes the server (`SIGSTOP`): it keeps its socket but answers nothing until
    /// [`resume`](Self::resume), as a fail2ban stuck on a slow firewall would.
    pub fn pause(&self) -> anyhow::Result<()> {
        crate::process::signal(
            self.pid().context("fail2ban-server is not running")?,
            "STOP",
        )
    }

    pub fn resume(&self) -> anyhow::Result<()> {
        crate::process::signal(
            self.pid().context("fail2ban-server is not running")?,
            "CONT",
        )
    }

    /// Kills the server with `SIGKILL`, leaving its socket file behind as a crash does.
    pub fn kill(&mut self) -> anyhow::Result<()> {
        if let Some(p) = self.process.take() {
            p.kill()?;
            p.stop()?;
        }
        Ok(())
    }

    /// Starts the server (again) on the same configuration and socket path.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        if self.process.is_some() {
            bail!("fail2ban-server is already running");
        }
        let program = find_program("fail2ban-server", &["/usr/bin"])
            .context("fail2ban-server is not installed (make deps installs it)")?;
        let spec = Spec::new(program, self.dir.join("server.out")).args([
            "-f".to_owned(),
            // Remove a stale socket left by a crash.
            "-x".into(),
            "-c".into(),
            self.config_dir().display().to_string(),
            "-s".into(),
            self.socket.display().to_string(),
            "-p".into(),
            self.dir.join("fail2ban.pid").display().to_string(),
        ]);
        let process = Supervised::spawn("fail2ban-server", &spec)?;
        // Ready once `status` lists every enabled jail: the socket opens before the jails are
        // all added.
        let expected = self.layout.enabled_jails().join(", ");
        process
            .wait_ready(Duration::from_secs(30), || {
                raw_command(&self.socket, STATUS_REQUEST)
                    .is_some_and(|answer| contains(&answer, expected.as_bytes()))
            })
            .map_err(|e| e.context(self.server_log_tail()))?;
        self.process = Some(process);
        Ok(())
    }

    fn server_log_tail(&self) -> String {
        let text = fs::read_to_string(self.dir.join("fail2ban.log")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    fn write_config(&self) -> anyhow::Result<()> {
        let conf = self.config_dir();
        for sub in ["action.d", "filter.d", "jail.d"] {
            fs::create_dir_all(conf.join(sub))?;
        }
        fs::create_dir_all(self.dir.join("logs"))?;
        let dir = self.dir.display();
        fs::write(
            conf.join("fail2ban.conf"),
            format!(
                "[Definition]\nloglevel = INFO\nlogtarget = {dir}/fail2ban.log\nsyslogsocket = auto\n\
                 socket = {socket}\npidfile = {dir}/fail2ban.pid\ndbfile = {dir}/fail2ban.sqlite3\n\
                 dbpurgeage = 1d\ndbmaxmatches = 10\n",
                socket = self.socket.display()
            ),
        )?;
        fs::write(
            conf.join("action.d/noop.conf"),
            format!(
                "# Records what fail2ban would do instead of touching a firewall.\n[Definition]\n\
                 actionstart =\nactionstop =\nactioncheck =\n\
                 actionban = echo \"ban <name> <ip> <bantime>\" >> \"{dir}/actions.log\"\n\
                 actionunban = echo \"unban <name> <ip>\" >> \"{dir}/actions.log\"\n"
            ),
        )?;
        // `^\s*`: fail2ban matches the text after the date, which keeps its leading space.
        fs::write(
            conf.join("filter.d/bangui-test.conf"),
            "[Definition]\nfailregex = ^\\s*Failed login from <HOST>\\s*$\nignoreregex =\n\
             datepattern = ^%%Y-%%m-%%d %%H:%%M:%%S\n",
        )?;
        let mut jail_conf = String::from(
            "[DEFAULT]\nbackend = polling\nbanaction = noop\naction = noop\nbantime = 600\nfindtime = 600\n\
             maxretry = 3\nignoreself = false\nignoreip = 127.0.0.1/8 ::1 10.99.0.0/16\n",
        );
        for jail in self.layout.jails() {
            let log = self.log_file(jail.name);
            if !log.exists() {
                fs::write(&log, "")?;
            }
            write!(
                jail_conf,
                "\n[{name}]\nenabled = {enabled}\nfilter = bangui-test\nlogpath = {log}\n{extra}",
                name = jail.name,
                enabled = jail.enabled,
                log = log.display(),
                extra = jail.extra
            )?;
        }
        fs::write(conf.join("jail.conf"), jail_conf)?;
        Ok(())
    }
}

/// Appends `count` lines `YYYY-mm-dd HH:MM:SS Failed login from <ip>` to `log`.
pub fn append_failures(log: &Path, ip: &str, count: usize) -> anyhow::Result<()> {
    let stamp = chrono::Local::now().format("%Y-%m-%d %H:%M:%S");
    let lines: String = (0..count)
        .map(|_| format!("{stamp} Failed login from {ip}\n"))
        .collect();
    let mut file = fs::OpenOptions::new().append(true).create(true).open(log)?;
    file.write_all(lines.as_bytes())?;
    Ok(())
}

/// `pickle.dumps(['status'], 4)` without framing, plus the terminator.
const STATUS_REQUEST: &[u8] = b"\x80\x04](\x8c\x06statuse.<F2B_END_COMMAND>";
const END: &[u8] = b"<F2B_END_COMMAND>";

/// Sends raw request bytes and returns the raw answer, or `None` if the server is not there
/// (yet). Enough for a readiness check; bangui's own client lives in `bangui-fail2ban`.
fn raw_command(socket: &Path, request: &[u8]) -> Option<Vec<u8>> {
    let mut stream = UnixStream::connect(socket).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream.write_all(request).ok()?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    while !answer.ends_with(END) {
        let n = stream.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    Some(answer)
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
