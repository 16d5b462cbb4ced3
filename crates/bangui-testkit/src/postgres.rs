//! [`Postgres`]: a PostgreSQL 15 server on a free loopback port with its own data directory.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::net::start_on_port;
use crate::process::{ScratchDir, Spec, Supervised, lookup_user, run, running_as_root};

/// Where Debian's `postgresql-15` package puts the server binaries.
pub const BIN_DIR: &str = "/usr/lib/postgresql/15/bin";

/// A running PostgreSQL. Stops when dropped.
#[derive(Debug)]
pub struct Postgres {
    process: Option<Supervised>,
    port: u16,
    /// Holds `data/` and the server log.
    dir: PathBuf,
    durable: bool,
    user: Option<(u32, u32)>,
    /// Declared last: removed after the server stopped.
    _scratch: Option<ScratchDir>,
}

impl Postgres {
    /// A throw-away server tuned for tests (no fsync), in a temporary directory.
    pub fn start() -> anyhow::Result<Self> {
        let scratch = ScratchDir::new("bangui-pg-", Some("data/postmaster.pid"))?;
        let dir = scratch.path().to_owned();
        let mut pg = Self {
            process: None,
            port: 0,
            dir,
            durable: false,
            user: None,
            _scratch: Some(scratch),
        };
        pg.init()?;
        pg.start_again()?;
        Ok(pg)
    }

    /// A durable server keeping its data in `dir` (for `make run`); initialised on first use.
    pub fn start_in(dir: &Path) -> anyhow::Result<Self> {
        fs::create_dir_all(dir)?;
        let mut pg = Self {
            process: None,
            port: 0,
            dir: dir.to_owned(),
            durable: true,
            user: None,
            _scratch: None,
        };
        pg.init()?;
        pg.start_again()?;
        Ok(pg)
    }

    /// URL of a database on this server, as the superuser `postgres` (trust authentication,
    /// loopback only).
    pub fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Supervised::pid)
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Creates the data directory with `initdb` unless it exists. PostgreSQL refuses to run as
    /// root, so as root everything runs as the `postgres` user, which must own the directory
    /// and be able to reach it.
    fn init(&mut self) -> anyhow::Result<()> {
        if running_as_root() {
            let user = lookup_user("postgres")
                .context("PostgreSQL cannot run as root and there is no 'postgres' user (make deps installs postgresql-15)")?;
            self.user = Some(user);
            std::os::unix::fs::chown(&self.dir, Some(user.0), Some(user.1))?;
            fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700))?;
            let probe = Command::new("/usr/bin/test")
                .arg("-w")
                .arg(&self.dir)
                .uid_gid(user)
                .status()?;
            if !probe.success() {
                bail!(
                    "the postgres user cannot reach {}: a parent directory is closed to other users",
                    self.dir.display()
                );
            }
        }
        if self.data_dir().join("PG_VERSION").exists() {
            return Ok(());
        }
        let mut initdb = Command::new(Path::new(BIN_DIR).join("initdb"));
        initdb
            .arg("-D")
            .arg(self.data_dir())
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
            ])
            .uid_gid_opt(self.user);
        if !self.durable {
            initdb.arg("--no-sync");
        }
        run(&mut initdb).context("initdb")
    }

    /// Stops the server ("database went away" tests). [`start_again`](Self::start_again)
    /// brings it back on the same port.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        match self.process.take() {
            Some(p) => p.stop(),
            None => Ok(()),
        }
    }

    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let fixed = (self.port != 0).then_some(self.port);
        let (dir, data_dir) = (self.dir.clone(), self.data_dir());
        let (durable, user) = (self.durable, self.user);
        let pid_file = data_dir.join("postmaster.pid");
        let (port, process) = start_on_port(
            fixed,
            Duration::from_secs(60),
            |port| {
                let mut args = vec![
                    "-D".to_owned(),
                    data_dir.display().to_string(),
                    "-p".into(),
                    port.to_string(),
                    "-c".into(),
                    "listen_addresses=127.0.0.1".into(),
                    // TCP only: socket paths under a deep checkout can exceed the 107-byte limit.
                    "-c".into(),
                    "unix_socket_directories=".into(),
                    "-c".into(),
                    "max_connections=300".into(),
                ];
                if !durable {
                    for setting in [
                        "fsync=off",
                        "synchronous_commit=off",
                        "full_page_writes=off",
                    ] {
                        args.extend(["-c".to_owned(), setting.to_owned()]);
                    }
                }
                let mut spec = Spec::new(
                    Path::new(BIN_DIR).join("postgres"),
                    dir.join("postgres.log"),
                )
                .args(args);
                // SIGINT is PostgreSQL's fast shutdown; SIGTERM would wait for clients to leave.
                spec.stop_signal = "INT";
                spec.user = user;
                Supervised::spawn("postgres", &spec)
            },
            |_, port| ready_on(&pid_file, port),
        )?;
        self.port = port;
        self.process = Some(process);
        Ok(())
    }

    /// Runs SQL with `psql` as the superuser; returns its unaligned output.
    pub fn psql(&self, database: &str, sql: &str) -> anyhow::Result<String> {
        psql(&self.url(database), sql)
    }
}

/// Runs SQL with `psql` against a database URL; returns its unaligned, tuples-only output.
pub fn psql(url: &str, sql: &str) -> anyhow::Result<String> {
    let output = Command::new(Path::new(BIN_DIR).join("psql"))
        .args([
            "-X",
            "-A",
            "-t",
            "-v",
            "ON_ERROR_STOP=1",
            "-d",
            url,
            "-c",
            sql,
        ])
        .output()
        .context("running psql")?;
    if !output.status.success() {
        bail!("psql: {}", String::from_utf8_lossy(&output.stderr));
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// PostgreSQL writes its port on line 4 of `postmaster.pid` and `ready` on line 8 once it
/// accepts connections; reading our own data directory's file proves it is *our* server.
fn ready_on(pid_file: &Path, port: u16) -> bool {
    let Ok(text) = fs::read_to_string(pid_file) else {
        return false;
    };
    let lines: Vec<&str> = text.lines().collect();
    lines.get(3).is_some_and(|p| p.trim() == port.to_string())
        && lines.get(7).is_some_and(|s| s.trim() == "ready")
}

trait CommandUser {
    fn uid_gid(&mut self, user: (u32, u32)) -> &mut Self;
    fn uid_gid_opt(&mut self, user: Option<(u32, u32)>) -> &mut Self;
}

impl CommandUser for Command {
    fn uid_gid(&mut self, (uid, gid): (u32, u32)) -> &mut Self {
        use std::os::unix::process::CommandExt;
        self.uid(uid).gid(gid)
    }

    fn uid_gid_opt(&mut self, user: Option<(u32, u32)>) -> &mut Self {
        match user {
            Some(user) => self.uid_gid(user),
            None => self,
        }
    }
}
