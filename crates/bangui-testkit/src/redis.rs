//! [`Redis`]: a `redis-server` on a free loopback port.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};

use crate::net::start_on_port;
use crate::process::{ScratchDir, Spec, Supervised, find_program};

/// A running Redis. Stops when dropped.
#[derive(Debug)]
pub struct Redis {
    process: Option<Supervised>,
    port: u16,
    dir: PathBuf,
    /// Declared last: removed after the server stopped.
    _scratch: Option<ScratchDir>,
}

impl Redis {
    /// A throw-away Redis (no persistence) in a temporary directory.
    pub fn start() -> anyhow::Result<Self> {
        let scratch = ScratchDir::new("bangui-redis-", None)?;
        let dir = scratch.path().to_owned();
        let mut redis = Self {
            process: None,
            port: 0,
            dir,
            _scratch: Some(scratch),
        };
        redis.start_again()?;
        Ok(redis)
    }

    /// A Redis keeping its files in `dir` (for `make run`).
    pub fn start_in(dir: &Path) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)?;
        let mut redis = Self {
            process: None,
            port: 0,
            dir: dir.to_owned(),
            _scratch: None,
        };
        redis.start_again()?;
        Ok(redis)
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().map(Supervised::pid)
    }

    /// Stops the server (tests of "Redis went away"). [`start_again`](Self::start_again)
    /// brings it back on the same port.
    pub fn stop(&mut self) -> anyhow::Result<()> {
        match self.process.take() {
            Some(p) => p.stop(),
            None => Ok(()),
        }
    }

    /// Starts the server (again). Keeps the port it had, or finds a free one the first time.
    pub fn start_again(&mut self) -> anyhow::Result<()> {
        let program = find_program("redis-server", &["/usr/sbin"])
            .context("redis-server is not installed (make deps installs it)")?;
        let fixed = (self.port != 0).then_some(self.port);
        let dir = self.dir.clone();
        let (port, process) = start_on_port(
            fixed,
            Duration::from_secs(20),
            |port| {
                let spec = Spec::new(&program, dir.join("redis.log")).args([
                    "--port".to_owned(),
                    port.to_string(),
                    "--bind".into(),
                    "127.0.0.1".into(),
                    "--dir".into(),
                    dir.display().to_string(),
                    "--save".into(),
                    String::new(),
                    "--appendonly".into(),
                    "no".into(),
                    "--daemonize".into(),
                    "no".into(),
                ]);
                Supervised::spawn("redis-server", &spec)
            },
            // Ours when the server on the port reports our process id.
            |process, port| server_pid(port) == Some(process.pid()),
        )?;
        self.port = port;
        self.process = Some(process);
        Ok(())
    }
}

/// `process_id` from `INFO server`, if a Redis answers on the port.
fn server_pid(port: u16) -> Option<u32> {
    let info = command(port, "INFO server").ok()?;
    info.lines()
        .find_map(|l| l.strip_prefix("process_id:"))
        .and_then(|p| p.trim().parse().ok())
}

/// Sends one command given as space-separated words and returns the raw reply.
pub fn command(port: u16, line: &str) -> anyhow::Result<String> {
    command_args(port, &line.split_whitespace().collect::<Vec<_>>())
}

/// Sends one command with arbitrary arguments (RESP-encoded, so values may contain spaces,
/// quotes or newlines) and returns the raw reply.
pub fn command_args(port: u16, args: &[&str]) -> anyhow::Result<String> {
    let mut request = format!("*{}\r\n", args.len());
    for arg in args {
        request.push_str(&format!("${}\r\n{arg}\r\n", arg.len()));
    }
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(2)))?;
    stream.write_all(request.as_bytes())?;
    let mut reply = Vec::new();
    let mut buf = [0u8; 8192];
    while !complete_reply(&reply) {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        reply.extend_from_slice(&buf[..n]);
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    if let Some(err) = reply.strip_prefix('-') {
        bail!("redis: {}", err.trim());
    }
    Ok(reply)
}

/// Whether a RESP simple or bulk reply has fully arrived.
fn complete_reply(reply: &[u8]) -> bool {
    let Some(end) = reply.windows(2).position(|w| w == b"\r\n") else {
        return false;
    };
    match reply.first() {
        Some(b'$') => {
            let len: i64 = std::str::from_utf8(&reply[1..end])
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(0);
            len < 0 || reply.len() >= end + 2 + len as usize + 2
        }
        _ => true,
    }
}
