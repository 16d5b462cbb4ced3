//! [`Supervised`]: a server process that cannot outlive the process that started it.
//!
//! The server runs under `sh`, which reads its stdin (a pipe from us) until end-of-file. When
//! [`Supervised`] is dropped or stopped, or when our process dies in any way, the pipe closes and
//! `sh` sends the stop signal and waits for the server. [`ScratchDir`] uses the same trick to
//! remove a temporary directory. No `unsafe`, no `prctl`, and nothing left behind after a
//! crashed test.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

use anyhow::{Context, bail};

const SUPERVISOR: &str = r#"
"$@" >>"$BANGUI_SUPERVISED_LOG" 2>&1 &
child=$!
echo "$child"
read -r _ || true
kill -"$BANGUI_SUPERVISED_SIGNAL" "$child" 2>/dev/null
wait "$child"
"#;

const JANITOR: &str = r#"
read -r _ || true
i=0
# Wait (at most 30 s) while the server named in its pid file is still alive.
while [ -n "$BANGUI_WAIT_GONE" ] && [ -e "$BANGUI_WAIT_GONE" ] && [ "$i" -lt 300 ] \
    && kill -0 "$(head -n 1 "$BANGUI_WAIT_GONE")" 2>/dev/null; do
  sleep 0.1
  i=$((i + 1))
done
rm -rf "$BANGUI_SCRATCH"
"#;

/// How to start a supervised server.
#[derive(Debug, Clone)]
pub struct Spec {
    pub program: PathBuf,
    pub args: Vec<String>,
    /// stdout and stderr of the server are appended here.
    pub log: PathBuf,
    /// Signal name that stops the server cleanly (`TERM`; PostgreSQL wants `INT`).
    pub stop_signal: &'static str,
    /// Run as this (uid, gid): PostgreSQL refuses to run as root.
    pub user: Option<(u32, u32)>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
}

impl Spec {
    pub fn new(program: impl Into<PathBuf>, log: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            log: log.into(),
            stop_signal: "TERM",
            user: None,
            env: Vec::new(),
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }
}

/// A running server under its supervisor.
#[derive(Debug)]
pub struct Supervised {
    name: String,
    supervisor: Child,
    stdin: Option<ChildStdin>,
    pid: u32,
    log: PathBuf,
}

impl Supervised {
    pub fn spawn(name: &str, spec: &Spec) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt;

        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(SUPERVISOR)
            .arg(name)
            .arg(&spec.program)
            .args(&spec.args)
            .env("BANGUI_SUPERVISED_LOG", &spec.log)
            .env("BANGUI_SUPERVISED_SIGNAL", spec.stop_signal)
            .envs(spec.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            // Own process group: a Ctrl-C in the terminal reaches whoever started us, who then
            // stops the servers in order (or dies, which closes the pipe: same result).
            .process_group(0);
        if let Some((uid, gid)) = spec.user {
            cmd.uid(uid).gid(gid);
        }
        let mut supervisor = cmd
            .spawn()
            .with_context(|| format!("starting {name} ({})", spec.program.display()))?;
        let stdout = supervisor.stdout.take().context("supervisor stdout")?;
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .with_context(|| format!("reading the pid of {name}"))?;
        let pid = line
            .trim()
            .parse()
            .with_context(|| format!("{name}: supervisor printed {line:?}, not a pid"))?;
        Ok(Self {
            name: name.to_owned(),
            stdin: supervisor.stdin.take(),
            supervisor,
            pid,
            log: spec.log.clone(),
        })
    }

    /// PID of the server itself (not of its supervisor).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Whether the server process still runs (a zombie counts as gone).
    pub fn is_running(&self) -> bool {
        process_state(self.pid).is_some_and(|state| state != 'Z' && state != 'X')
    }

    /// Waits until `ready` says yes, failing early (with the server's output) if the server
    /// exits, or after `timeout`.
    pub fn wait_ready(
        &self,
        timeout: Duration,
        mut ready: impl FnMut() -> bool,
    ) -> anyhow::Result<()> {
        let outcome = crate::wait_for(&self.name, timeout, || {
            if !self.is_running() {
                return Some(false);
            }
            ready().then_some(true)
        });
        match outcome {
            Ok(true) => Ok(()),
            Ok(false) => bail!("{} exited:\n{}", self.name, self.log_tail()),
            Err(e) => Err(e.context(self.log_tail())),
        }
    }

    /// What the server wrote so far, for error messages.
    pub fn log_tail(&self) -> String {
        let text = fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Sends `SIGKILL` to the server, as a crash would. The supervisor stays until [`stop`].
    ///
    /// [`stop`]: Self::stop
    pub fn kill(&self) -> anyhow::Result<()> {
        signal(self.pid, "KILL")
    }

    /// Stops the server with its stop signal and waits until it has exited.
    pub fn stop(mut self) -> anyhow::Result<()> {
        self.shutdown()
    }

    fn shutdown(&mut self) -> anyhow::Result<()> {
        let Some(stdin) = self.stdin.take() else {
            return Ok(());
        };
        drop(stdin);
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.supervisor.try_wait()? {
                if status.success() || !self.is_running() {
                    return Ok(());
                }
                bail!("{} supervisor exited with {status}", self.name);
            }
            if std::time::Instant::now() >= deadline {
                let _ = signal(self.pid, "KILL");
                let _ = self.supervisor.kill();
                let _ = self.supervisor.wait();
                bail!("{} did not stop within 30 s; killed", self.name);
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if let Err(e) = self.shutdown() {
            eprintln!("bangui-testkit: {e:#}");
        }
    }
}

/// A temporary directory that is removed when dropped, or when this process dies in any way.
///
/// A `tempfile::TempDir` in a `static` is never dropped; this one is removed by a supervisor
/// shell once our end of its pipe closes, after the server named in `wait_gone` (a pid file
/// inside the directory) has exited.
#[derive(Debug)]
pub struct ScratchDir {
    path: PathBuf,
    janitor: Child,
    stdin: Option<ChildStdin>,
}

impl ScratchDir {
    pub fn new(prefix: &str, wait_gone: Option<&str>) -> anyhow::Result<Self> {
        use std::os::unix::process::CommandExt;

        let path = tempfile::Builder::new().prefix(prefix).tempdir()?.keep();
        let wait_gone = wait_gone.map(|name| path.join(name)).unwrap_or_default();
        let mut janitor = Command::new("/bin/sh")
            .arg("-c")
            .arg(JANITOR)
            .env("BANGUI_SCRATCH", &path)
            .env("BANGUI_WAIT_GONE", &wait_gone)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .process_group(0)
            .spawn()
            .context("starting the janitor of a scratch directory")?;
        Ok(Self {
            path,
            stdin: janitor.stdin.take(),
            janitor,
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.janitor.wait();
    }
}

/// Sends a signal by name with `kill(1)`.
pub fn signal(pid: u32, name: &str) -> anyhow::Result<()> {
    let status = Command::new("kill")
        .arg(format!("-{name}"))
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status()?;
    if !status.success() {
        bail!("kill -{name} {pid} failed: {status}");
    }
    Ok(())
}

/// The state letter from `/proc/<pid>/stat` (`R`, `S`, `Z`, …), or `None` if there is no such
/// process.
fn process_state(pid: u32) -> Option<char> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name is in parentheses and may contain spaces; the state follows it.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Looks up a program on `PATH`, or in the given fallback directories.
pub fn find_program(name: &str, fallbacks: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(fallbacks.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// `true` when running as root (then servers that refuse root run as another user).
pub fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self")
        .map(|m| m.uid() == 0)
        .unwrap_or(false)
}

/// uid and gid of a system user, from `/etc/passwd`.
pub fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let passwd = fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        if fields.next()? != name {
            return None;
        }
        let _password = fields.next()?;
        Some((fields.next()?.parse().ok()?, fields.next()?.parse().ok()?))
    })
}

/// Runs a command to completion, failing with its output when it fails.
pub fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let output = cmd
        .output()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !output.status.success() {
        bail!(
            "{:?} failed with {}:\n{}{}",
            cmd.get_program(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dropped_handle_stops_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let server = Supervised::spawn(
            "sleeper",
            &Spec::new("/bin/sleep", dir.path().join("log")).arg("600"),
        )
        .unwrap();
        let pid = server.pid();
        assert!(server.is_running());
        drop(server);
        assert!(
            process_state(pid).is_none_or(|s| s == 'Z'),
            "sleep {pid} survived its handle"
        );
    }

    #[test]
    fn a_scratch_dir_is_removed_on_drop() {
        let scratch = ScratchDir::new("bangui-test-", None).unwrap();
        let path = scratch.path().to_owned();
        fs::write(path.join("file"), "x").unwrap();
        drop(scratch);
        assert!(!path.exists());
    }

    #[test]
    fn finds_programs_on_the_path() {
        assert!(find_program("sh", &[]).is_some());
        assert!(find_program("no-such-program-bangui", &[]).is_none());
    }
}
