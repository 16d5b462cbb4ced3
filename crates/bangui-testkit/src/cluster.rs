//! [`Cluster`]: several real `bangui serve` processes sharing one Redis and one PostgreSQL
//! database, as behind a load balancer.

use std::hash::{BuildHasher, RandomState};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};

use crate::net::start_on_port;
use crate::postgres::psql;
use crate::process::{Spec, Supervised};
use crate::{Endpoint, Fail2ban, Layout};

/// How to start a cluster.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    pub workers: usize,
    /// Redis URL; default: the shared one. Tests that stop Redis bring their own.
    pub redis_url: Option<String>,
    /// Admin URL (database `postgres`) of the PostgreSQL server to create the test database
    /// on; default: the shared one.
    pub postgres_admin_url: Option<String>,
    /// Start a sandboxed fail2ban with these jails for the workers.
    pub fail2ban: Option<Layout>,
    /// Extra `BANGUI_*` variables for every worker.
    pub env: Vec<(String, String)>,
}

impl ClusterOptions {
    pub fn workers(n: usize) -> Self {
        Self {
            workers: n,
            redis_url: None,
            postgres_admin_url: None,
            fail2ban: Some(Layout::Test),
            env: Vec::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> Self {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }
}

/// Running workers, their fresh database, their Redis key prefix and (optionally) their
/// fail2ban. Everything stops when dropped; the test database stays until the PostgreSQL
/// server goes.
#[derive(Debug)]
pub struct Cluster {
    binary: PathBuf,
    workers: Vec<Option<Supervised>>,
    ports: Vec<u16>,
    pub database_url: String,
    pub redis_url: String,
    pub redis_prefix: String,
    pub fail2ban: Option<Fail2ban>,
    env: Vec<(String, String)>,
    job_workers: Vec<Supervised>,
    logs: tempfile::TempDir,
}

impl Cluster {
    /// Creates a fresh database, migrates it with `bangui migrate`, and starts the workers.
    pub fn start(binary: &Path, options: ClusterOptions) -> anyhow::Result<Self> {
        let id = unique_id();
        let redis_url = options
            .redis_url
            .clone()
            .unwrap_or_else(|| crate::shared_redis().url.clone());
        let admin_url = options
            .postgres_admin_url
            .clone()
            .unwrap_or_else(|| crate::shared_postgres().url.clone());
        let database_url = fresh_database(&admin_url)?;
        let fail2ban = options.fail2ban.map(Fail2ban::start).transpose()?;

        let mut env = vec![
            ("BANGUI_DATABASE_URL".to_owned(), database_url.clone()),
            ("BANGUI_REDIS_URL".to_owned(), redis_url.clone()),
            ("BANGUI_REDIS_PREFIX".to_owned(), format!("test-{id}")),
            (
                "BANGUI_SESSION_COOKIE_SECURE".to_owned(),
                "false".to_owned(),
            ),
            ("BANGUI_LOG_FORMAT".to_owned(), "json".to_owned()),
            ("RUST_LOG".to_owned(), "info".to_owned()),
            // Tests stop workers often; the drain delay is tested where it matters.
            ("BANGUI_SHUTDOWN_DELAY_SECONDS".to_owned(), "0".to_owned()),
        ];
        if let Some(f2b) = &fail2ban {
            env.push((
                "BANGUI_FAIL2BAN_SOCKET".to_owned(),
                f2b.socket().display().to_string(),
            ));
            env.push((
                "BANGUI_FAIL2BAN_CONFIG_DIR".to_owned(),
                f2b.config_dir().display().to_string(),
            ));
        }
        env.extend(options.env.iter().cloned());

        let status = Command::new(binary)
            .arg("migrate")
            .envs(env.iter().map(|(k, v)| (k, v)))
            .status()?;
        if !status.success() {
            bail!("bangui migrate failed: {status}");
        }
        let mut cluster = Self {
            binary: binary.to_owned(),
            workers: Vec::new(),
            ports: Vec::new(),
            database_url,
            redis_url,
            redis_prefix: format!("test-{id}"),
            fail2ban,
            env,
            job_workers: Vec::new(),
            logs: tempfile::tempdir()?,
        };
        for i in 0..options.workers {
            let (port, worker) = cluster.spawn(i, None)?;
            cluster.ports.push(port);
            cluster.workers.push(Some(worker));
        }
        Ok(cluster)
    }

    fn spawn(&self, index: usize, port: Option<u16>) -> anyhow::Result<(u16, Supervised)> {
        start_on_port(
            port,
            Duration::from_secs(30),
            |port| {
                let mut spec = Spec::new(&self.binary, self.log_path(index)).arg("serve");
                spec.env = self.env.clone();
                spec.env
                    .push(("BANGUI_LISTEN".to_owned(), format!("127.0.0.1:{port}")));
                Supervised::spawn(&format!("bangui worker {index}"), &spec)
            },
            |_, port| {
                http_get(port, "/api/v1/health/live").is_some_and(|(status, _)| status == 200)
            },
        )
    }

    pub fn len(&self) -> usize {
        self.ports.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ports.is_empty()
    }

    /// The ports the workers listen on, in order.
    pub fn ports(&self) -> &[u16] {
        &self.ports
    }

    /// `http://127.0.0.1:<port>` of worker `i`.
    pub fn url(&self, i: usize) -> String {
        format!("http://127.0.0.1:{}", self.ports[i])
    }

    pub fn pid(&self, i: usize) -> Option<u32> {
        self.workers[i].as_ref().map(Supervised::pid)
    }

    pub fn is_running(&self, i: usize) -> bool {
        self.workers[i].as_ref().is_some_and(Supervised::is_running)
    }

    /// What worker `i` wrote to stdout and stderr (its JSON log lines).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(self.log_path(i)).unwrap_or_default()
    }

    fn log_path(&self, i: usize) -> PathBuf {
        self.logs.path().join(format!("worker-{i}.log"))
    }

    /// Starts a `bangui worker` process (background jobs only) with the cluster's settings and
    /// `extra` variables; returns its index among the job workers.
    pub fn start_job_worker(&mut self, extra: &[(&str, &str)]) -> anyhow::Result<usize> {
        let index = self.job_workers.len();
        let log = self.logs.path().join(format!("job-worker-{index}.log"));
        let mut spec = Spec::new(&self.binary, &log).arg("worker");
        spec.env = self.env.clone();
        spec.env.extend(
            extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let worker = Supervised::spawn(&format!("bangui job worker {index}"), &spec)?;
        worker.wait_ready(Duration::from_secs(30), || {
            std::fs::read_to_string(&log).is_ok_and(|l| l.contains("job workers running"))
        })?;
        self.job_workers.push(worker);
        Ok(index)
    }

    /// What job worker `i` logged.
    pub fn job_worker_log(&self, i: usize) -> String {
        std::fs::read_to_string(self.logs.path().join(format!("job-worker-{i}.log")))
            .unwrap_or_default()
    }

    /// PID of job worker `i`.
    pub fn job_worker_pid(&self, i: usize) -> u32 {
        self.job_workers[i].pid()
    }

    /// `kill -9` of job worker `i`.
    pub fn kill_job_worker(&mut self, i: usize) -> anyhow::Result<()> {
        self.job_workers[i].kill()
    }

    /// `SIGTERM` to job worker `i`, without waiting: it drains its running jobs first.
    pub fn ask_job_worker_to_stop(&self, i: usize) -> anyhow::Result<()> {
        crate::process::signal(self.job_workers[i].pid(), "TERM")
    }

    pub fn job_worker_is_running(&self, i: usize) -> bool {
        self.job_workers[i].is_running()
    }

    /// `kill -9` of worker `i`, as a crash or an OOM kill would.
    pub fn kill(&mut self, i: usize) -> anyhow::Result<()> {
        if let Some(worker) = self.workers[i].take() {
            worker.kill()?;
            worker.stop()?;
        }
        Ok(())
    }

    /// `SIGTERM` to worker `i`; waits until it has exited.
    pub fn terminate(&mut self, i: usize) -> anyhow::Result<()> {
        match self.workers[i].take() {
            Some(worker) => worker.stop(),
            None => Ok(()),
        }
    }

    /// Starts worker `i` again on its port.
    pub fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        let (_, worker) = self.spawn(i, Some(self.ports[i]))?;
        self.workers[i] = Some(worker);
        Ok(())
    }
}

/// A minimal HTTP/1.0 GET: `(status, body)`, or `None` if nothing answers.
pub fn http_get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(format!("GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
}

/// Creates an empty database `bangui_test_<random>` on the server of `admin_url` and returns
/// its URL.
pub fn fresh_database(admin_url: &str) -> anyhow::Result<String> {
    let database = format!("bangui_test_{}", unique_id());
    psql(admin_url, &format!("CREATE DATABASE {database}"))?;
    replace_database(admin_url, &database)
}

fn replace_database(url: &str, database: &str) -> anyhow::Result<String> {
    let (base, _) = url
        .rsplit_once('/')
        .context("database URL without a path")?;
    Ok(format!("{base}/{database}"))
}

/// 16 hex digits, unique enough to keep parallel tests apart.
fn unique_id() -> String {
    format!(
        "{:016x}",
        RandomState::new().hash_one(std::time::SystemTime::now())
    )
}

impl Endpoint {
    /// The port of a `redis://host:port` endpoint.
    pub fn port(&self) -> Option<u16> {
        self.url.rsplit(':').next()?.split('/').next()?.parse().ok()
    }
}
