//! [`Client`]: the typed API over fail2ban's commands.

use std::collections::{BTreeMap, HashMap};
use std::net::IpAddr;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bangui_core::JailName;
use ipnetwork::IpNetwork;
use tokio::time::Instant;

use crate::error::{Error, ServerError};
use crate::pickle::Value;
use crate::protocol;
use crate::transport::{Exchange, Transport, TransportConfig};
use crate::types::{
    BanTime, BantimeIncrement, Capabilities, JailFilter, JailStats, JailStatus, ServerSettings,
    ServerStatus, StatusFlavor, read,
};

/// A handle on one fail2ban server. Cheap to clone; clones share one queue.
///
/// fail2ban executes one command at a time, so the commands of one process wait their turn in
/// a FIFO queue here rather than all hammering the socket. Between processes, the transport's
/// connect retry does the queueing.
#[derive(Debug, Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    transport: Transport,
    turn: tokio::sync::Mutex<()>,
    /// Forgotten whenever fail2ban is unreachable: the next one may be another version.
    capabilities: Mutex<Option<Capabilities>>,
    batch: BatchConfig,
    /// The chunk size each batch command (`set <jail> banip`, …) ended with last time: the
    /// next batch of it starts there instead of probing from `first_chunk` again.
    learned_chunks: Mutex<HashMap<String, usize>>,
}

/// How ban and unban batches are cut into commands.
#[derive(Debug, Clone)]
struct BatchConfig {
    /// Longest a single command should keep fail2ban busy. fail2ban runs every action of every
    /// address synchronously (≈6 ms per address with a trivial action, far more with a real
    /// firewall), and nobody else is served meanwhile.
    target: Duration,
    first_chunk: usize,
    max_chunk: usize,
}

/// Configures a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    socket: PathBuf,
    transport: TransportConfig,
    batch: BatchConfig,
}

impl ClientBuilder {
    /// Bound of one command, waiting for a busy fail2ban included. Default 10 s.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.transport.timeout = timeout;
        self
    }

    /// How long a missing socket is retried before fail2ban counts as down. Default 1 s.
    pub fn down_grace(mut self, grace: Duration) -> Self {
        self.transport.down_grace = grace;
        self
    }

    pub fn max_answer_bytes(mut self, bytes: usize) -> Self {
        self.transport.max_answer_bytes = bytes;
        self
    }

    /// Longest one command of a ban/unban batch should hold fail2ban. Default 300 ms.
    pub fn batch_target(mut self, target: Duration) -> Self {
        self.batch.target = target;
        self
    }

    pub fn build(self) -> Client {
        Client {
            inner: Arc::new(Inner {
                transport: Transport::new(self.socket, self.transport),
                turn: tokio::sync::Mutex::new(()),
                capabilities: Mutex::new(None),
                batch: self.batch,
                learned_chunks: Mutex::default(),
            }),
        }
    }
}

impl Client {
    /// A client with default settings for the socket at `socket`. Nothing is connected yet.
    pub fn new(socket: impl Into<PathBuf>) -> Self {
        Self::builder(socket).build()
    }

    pub fn builder(socket: impl Into<PathBuf>) -> ClientBuilder {
        ClientBuilder {
            socket: socket.into(),
            transport: TransportConfig::default(),
            batch: BatchConfig {
                target: Duration::from_millis(300),
                first_chunk: 25,
                max_chunk: 10000,
            },
        }
    }

    pub fn socket(&self) -> &Path {
        self.inner.transport.path()
    }

    // ---- raw commands -------------------------------------------------------------------

    /// Sends any command and returns fail2ban's answer value.
    pub async fn command(&self, args: &[Value]) -> Result<Value, Error> {
        Ok(self.exchange(args).await?.answer)
    }

    async fn exchange(&self, args: &[Value]) -> Result<Exchange, Error> {
        let request = protocol::encode_request(args)?;
        let name = args.first().and_then(Value::as_str).unwrap_or("?");
        let started = Instant::now();
        let deadline = started + self.inner.transport.config().timeout;
        let result = match tokio::time::timeout_at(deadline, self.inner.turn.lock()).await {
            Ok(_turn) => self.inner.transport.exchange(&request, deadline).await,
            Err(_) => Err(Error::Timeout(self.inner.transport.config().timeout)),
        };
        // Waiting for our turn included: that is the latency a caller sees.
        metrics::histogram!("bangui_fail2ban_command_duration_seconds", "command" => metric_label(name))
            .record(started.elapsed());
        match result {
            Ok(exchange) => {
                // At debug level: one line per command, in the span of the request or job that
                // sent it. The first words name the command; a batch's addresses are counted.
                tracing::debug!(
                    command = %head(args),
                    args = args.len(),
                    service_ms = exchange.service_time.as_millis() as u64,
                    "fail2ban command"
                );
                let answer = protocol::interpret(exchange.answer)?;
                Ok(Exchange {
                    answer,
                    service_time: exchange.service_time,
                })
            }
            Err(e) => {
                if matches!(e, Error::Unreachable { .. }) {
                    self.forget_capabilities();
                }
                Err(e)
            }
        }
    }

    async fn words(&self, words: &[&str]) -> Result<Value, Error> {
        let args: Vec<Value> = words.iter().map(|w| Value::str(*w)).collect();
        self.command(&args).await
    }

    async fn get<T>(
        &self,
        words: &[&str],
        read: impl FnOnce(&Value) -> Option<T>,
    ) -> Result<T, Error> {
        let answer = self.words(words).await?;
        read(&answer).ok_or_else(|| unexpected(words, &answer))
    }

    // ---- server ---------------------------------------------------------------------------

    pub async fn ping(&self) -> Result<(), Error> {
        self.get(&["ping"], |v| (v.as_str() == Some("pong")).then_some(()))
            .await
    }

    pub async fn version(&self) -> Result<String, Error> {
        self.get(&["version"], |v| v.as_str().map(str::to_owned))
            .await
    }

    /// What this fail2ban supports, detected once from its version and remembered until it
    /// becomes unreachable.
    pub async fn capabilities(&self) -> Result<Capabilities, Error> {
        if let Some(known) = self.lock_capabilities().clone() {
            return Ok(known);
        }
        let version = self.version().await?;
        let caps = Capabilities {
            stats: version_at_least(&version, (1, 1)),
            version,
        };
        *self.lock_capabilities() = Some(caps.clone());
        Ok(caps)
    }

    fn lock_capabilities(&self) -> std::sync::MutexGuard<'_, Option<Capabilities>> {
        // The guarded value is a plain cache; a panic elsewhere cannot leave it half-written.
        self.inner
            .capabilities
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn forget_capabilities(&self) {
        *self.lock_capabilities() = None;
    }

    /// `status`: the names of the running jails.
    pub async fn status(&self) -> Result<ServerStatus, Error> {
        self.get(&["status"], read::server_status).await
    }

    /// `status <jail>` (with the banned list) or `status <jail> short` (counters only).
    pub async fn jail_status(
        &self,
        jail: &JailName,
        flavor: StatusFlavor,
    ) -> Result<JailStatus, Error> {
        match flavor {
            StatusFlavor::Full => {
                self.get(&["status", jail], |v| read::jail_status(v, flavor))
                    .await
            }
            StatusFlavor::Short => {
                self.get(&["status", jail, "short"], |v| read::jail_status(v, flavor))
                    .await
            }
        }
    }

    /// Counters of every jail. One `stats` command on fail2ban ≥ 1.1; on older versions,
    /// which lack it, `status` and one `status <jail> short` per jail.
    pub async fn stats(&self) -> Result<BTreeMap<String, JailStats>, Error> {
        if self.capabilities().await?.stats {
            match self.words(&["stats"]).await {
                Ok(answer) => {
                    return read::stats(&answer).ok_or_else(|| unexpected(&["stats"], &answer));
                }
                // The version promised `stats` but the server disagrees: believe the server.
                Err(Error::Server(ServerError::InvalidCommand(_))) => {
                    if let Some(caps) = self.lock_capabilities().as_mut() {
                        caps.stats = false;
                    }
                }
                Err(e) => return Err(e),
            }
        }
        let mut out = BTreeMap::new();
        for jail in self.status().await?.jails {
            let words = ["status", jail.as_str(), "short"];
            match self
                .get(&words, |v| read::jail_status(v, StatusFlavor::Short))
                .await
            {
                Ok(s) => {
                    let backend = (!s.journal_matches.is_empty()).then(|| "systemd".to_owned());
                    out.insert(
                        jail,
                        JailStats {
                            backend,
                            currently_failed: s.currently_failed,
                            total_failed: s.total_failed,
                            currently_banned: s.currently_banned,
                            total_banned: s.total_banned,
                        },
                    );
                }
                // Stopped between `status` and now.
                Err(Error::Server(ServerError::UnknownJail(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// Server-wide settings: log level and target, database file, purge age, max matches.
    pub async fn server_settings(&self) -> Result<ServerSettings, Error> {
        Ok(ServerSettings {
            loglevel: self
                .get(&["get", "loglevel"], |v| v.as_str().map(str::to_owned))
                .await?,
            logtarget: self
                .get(&["get", "logtarget"], |v| v.as_str().map(str::to_owned))
                .await?,
            dbfile: self.get(&["get", "dbfile"], read::opt_string).await?,
            dbpurgeage: self.get(&["get", "dbpurgeage"], read::opt_int).await?,
            dbmaxmatches: self.get(&["get", "dbmaxmatches"], read::opt_int).await?,
        })
    }

    /// `set loglevel`: one of fail2ban's level names.
    pub async fn set_loglevel(&self, level: &str) -> Result<String, Error> {
        const LEVELS: [&str; 8] = [
            "CRITICAL",
            "ERROR",
            "WARNING",
            "NOTICE",
            "INFO",
            "DEBUG",
            "TRACEDEBUG",
            "HEAVYDEBUG",
        ];
        if !LEVELS.contains(&level) {
            return Err(Error::InvalidArgument(format!(
                "log level must be one of {}",
                LEVELS.join(", ")
            )));
        }
        self.get(&["set", "loglevel", level], |v| {
            v.as_str().map(str::to_owned)
        })
        .await
    }

    /// `set dbpurgeage`, in seconds. `None` when fail2ban runs without a database.
    pub async fn set_dbpurgeage(&self, secs: u64) -> Result<Option<i64>, Error> {
        self.get(&["set", "dbpurgeage", &secs.to_string()], read::opt_int)
            .await
    }

    /// `set dbmaxmatches`. `None` when fail2ban runs without a database.
    pub async fn set_dbmaxmatches(&self, n: u32) -> Result<Option<i64>, Error> {
        self.get(&["set", "dbmaxmatches", &n.to_string()], read::opt_int)
            .await
    }

    /// `get syslogsocket`: where fail2ban's syslog target writes (`auto` or a socket path).
    pub async fn syslog_socket(&self) -> Result<String, Error> {
        self.get(&["get", "syslogsocket"], |v| v.as_str().map(str::to_owned))
            .await
    }

    /// `set logtarget`: `STDOUT`, `STDERR`, `SYSLOG`, `SYSTEMD-JOURNAL` or a file path (the
    /// caller decides which paths are allowed).
    pub async fn set_logtarget(&self, target: &str) -> Result<String, Error> {
        if target.is_empty() || target.chars().any(char::is_control) {
            return Err(Error::InvalidArgument(
                "a log target is a name or a path without control characters".into(),
            ));
        }
        self.get(&["set", "logtarget", target], |v| {
            v.as_str().map(str::to_owned)
        })
        .await
    }

    /// `flushlogs`: reopens the log file (after log rotation).
    pub async fn flush_logs(&self) -> Result<String, Error> {
        self.get(&["flushlogs"], |v| v.as_str().map(str::to_owned))
            .await
    }

    // ---- bans ---------------------------------------------------------------------------

    /// `banned`: the banned addresses of every jail.
    pub async fn banned_everywhere(&self) -> Result<BTreeMap<String, Vec<String>>, Error> {
        self.get(&["banned"], read::banned_everywhere).await
    }

    /// `banned IP…`: for each address, the jails that ban it (in the order given).
    pub async fn banned_for<T: BanTarget>(&self, ips: &[T]) -> Result<Vec<Vec<String>>, Error> {
        let mut out = Vec::with_capacity(ips.len());
        for chunk in ips.chunks(500) {
            let mut words = vec![Value::str("banned")];
            words.extend(chunk.iter().map(|ip| Value::Str(ip.to_string())));
            let answer = self.command(&words).await?;
            let jails = answer
                .as_seq()
                .filter(|per_ip| per_ip.len() == chunk.len())
                .and_then(|per_ip| per_ip.iter().map(read::strings).collect::<Option<Vec<_>>>())
                .ok_or_else(|| unexpected(&["banned", "…"], &answer))?;
            out.extend(jails);
        }
        Ok(out)
    }

    /// Bans addresses in a jail; returns how many were newly banned (already banned: 0).
    ///
    /// Big batches are cut into commands that each keep fail2ban busy for about
    /// [`ClientBuilder::batch_target`], sized from how long the previous command took, so other
    /// callers (the dashboard, another worker's ping) get a turn in between. If a command
    /// fails, the error is returned; the commands before it have taken effect.
    pub async fn ban<T: BanTarget>(&self, jail: &JailName, ips: &[T]) -> Result<u64, Error> {
        self.ban_with_progress(jail, ips, |_| {}).await
    }

    /// [`ban`](Self::ban), calling `progress` with the number of addresses done after each
    /// command.
    pub async fn ban_with_progress<T: BanTarget>(
        &self,
        jail: &JailName,
        ips: &[T],
        progress: impl FnMut(usize),
    ) -> Result<u64, Error> {
        self.batch(&["set", jail, "banip"], ips, progress).await
    }

    /// Unbans addresses in a jail; returns how many were banned there. Cut into commands like
    /// [`ban`](Self::ban).
    pub async fn unban<T: BanTarget>(&self, jail: &JailName, ips: &[T]) -> Result<u64, Error> {
        self.unban_with_progress(jail, ips, |_| {}).await
    }

    pub async fn unban_with_progress<T: BanTarget>(
        &self,
        jail: &JailName,
        ips: &[T],
        progress: impl FnMut(usize),
    ) -> Result<u64, Error> {
        self.batch(&["set", jail, "unbanip"], ips, progress).await
    }

    /// `unban IP…`: unbans the addresses in every jail; returns the number of unbans.
    pub async fn unban_everywhere<T: BanTarget>(&self, ips: &[T]) -> Result<u64, Error> {
        self.batch(&["unban"], ips, |_| {}).await
    }

    /// `unban --all`: lifts every ban of every jail; returns how many there were.
    pub async fn unban_all(&self) -> Result<u64, Error> {
        self.get(&["unban", "--all"], read::count).await
    }

    async fn batch<T: BanTarget>(
        &self,
        head: &[&str],
        ips: &[T],
        mut progress: impl FnMut(usize),
    ) -> Result<u64, Error> {
        let batch = &self.inner.batch;
        let mut total = 0;
        let mut done = 0;
        let key = head.join(" ");
        let mut chunk = self.learned_chunk(&key).unwrap_or(batch.first_chunk);
        while done < ips.len() {
            let part = &ips[done..(done + chunk).min(ips.len())];
            let mut args: Vec<Value> = head.iter().map(|w| Value::str(*w)).collect();
            args.extend(part.iter().map(|ip| Value::Str(ip.to_string())));
            let exchange = self.exchange(&args).await?;
            total +=
                read::count(&exchange.answer).ok_or_else(|| unexpected(head, &exchange.answer))?;
            done += part.len();
            progress(done);
            chunk = next_chunk(chunk, part.len(), exchange.service_time, batch);
        }
        if let Ok(mut learned) = self.inner.learned_chunks.lock() {
            learned.insert(key, chunk);
        }
        Ok(total)
    }

    fn learned_chunk(&self, key: &str) -> Option<usize> {
        self.inner.learned_chunks.lock().ok()?.get(key).copied()
    }

    /// `get <jail> banip --with-time`: every ban of the jail with start, duration and expiry,
    /// ordered by expiry.
    pub async fn ban_times(&self, jail: &JailName) -> Result<Vec<BanTime>, Error> {
        let words = ["get", jail, "banip", "--with-time"];
        let answer = self.words(&words).await?;
        answer
            .as_seq()
            .and_then(|lines| lines.iter().map(|l| read::ban_time(l.as_str()?)).collect())
            .ok_or_else(|| unexpected(&words, &answer))
    }

    // ---- jail control -------------------------------------------------------------------

    /// `start <jail>`: starts a jail that fail2ban knows but is not running.
    pub async fn start_jail(&self, jail: &JailName) -> Result<(), Error> {
        self.get(&["start", jail], |v| v.is_none().then_some(()))
            .await
    }

    /// `stop <jail>`: stops the jail and removes it from the running server until the next
    /// reload.
    pub async fn stop_jail(&self, jail: &JailName) -> Result<(), Error> {
        self.get(&["stop", jail], |v| v.is_none().then_some(()))
            .await
    }

    /// `set <jail> idle on|off`: an idle jail keeps its bans but reads no logs. Returns the new
    /// state.
    pub async fn set_idle(&self, jail: &JailName, idle: bool) -> Result<bool, Error> {
        self.get(
            &["set", jail, "idle", if idle { "on" } else { "off" }],
            Value::as_bool,
        )
        .await
    }

    // ---- jail settings ------------------------------------------------------------------

    /// The effective filter: regexes, date pattern, DNS use, line window, log encoding.
    pub async fn filter(&self, jail: &JailName) -> Result<JailFilter, Error> {
        Ok(JailFilter {
            failregex: self.get(&["get", jail, "failregex"], read::strings).await?,
            ignoreregex: self
                .get(&["get", jail, "ignoreregex"], read::strings)
                .await?,
            prefregex: self
                .get(&["get", jail, "prefregex"], read::opt_string)
                .await?
                .filter(|s| !s.is_empty()),
            // (pattern, human name) or (None, 'Default Detectors').
            datepattern: self
                .get(&["get", jail, "datepattern"], |v| match v.as_seq() {
                    Some([pattern, _name]) => read::opt_string(pattern),
                    _ => read::opt_string(v),
                })
                .await?,
            usedns: self
                .get(&["get", jail, "usedns"], |v| v.as_str().map(str::to_owned))
                .await?,
            maxlines: self.get(&["get", jail, "maxlines"], Value::as_i64).await?,
            logencoding: self
                .get(&["get", jail, "logencoding"], |v| {
                    v.as_str().map(str::to_owned)
                })
                .await?,
        })
    }

    /// Names of the jail's actions.
    pub async fn actions(&self, jail: &JailName) -> Result<Vec<String>, Error> {
        self.get(&["get", jail, "actions"], read::strings).await
    }

    /// The backend (`polling`, `pyinotify`, `systemd`, …). fail2ban < 1.1 does not tell it;
    /// then only a systemd jail is recognised (by its journal matches) and others are `None`.
    pub async fn backend(&self, jail: &JailName) -> Result<Option<String>, Error> {
        if self.capabilities().await?.stats {
            return self
                .get(&["status", jail, "stats"], |v| {
                    Some(read::jail_stats(v)?.backend)
                })
                .await;
        }
        let status = self.jail_status(jail, StatusFlavor::Short).await?;
        Ok((!status.journal_matches.is_empty()).then(|| "systemd".to_owned()))
    }

    pub async fn log_paths(&self, jail: &JailName) -> Result<Vec<String>, Error> {
        self.get(&["get", jail, "logpath"], read::strings).await
    }

    /// `set <jail> addlogpath <path> head|tail`; `from_start` reads the file from its beginning.
    /// Returns the new list. The path must be absolute and plain (no `..`).
    pub async fn add_log_path(
        &self,
        jail: &JailName,
        path: &Path,
        from_start: bool,
    ) -> Result<Vec<String>, Error> {
        let path = plain_absolute(path)?;
        let start = if from_start { "head" } else { "tail" };
        self.get(&["set", jail, "addlogpath", path, start], read::strings)
            .await
    }

    pub async fn remove_log_path(
        &self,
        jail: &JailName,
        path: &Path,
    ) -> Result<Vec<String>, Error> {
        let path = plain_absolute(path)?;
        self.get(&["set", jail, "dellogpath", path], read::strings)
            .await
    }

    /// Seconds.
    pub async fn findtime(&self, jail: &JailName) -> Result<i64, Error> {
        self.get(&["get", jail, "findtime"], Value::as_i64).await
    }

    /// Seconds, sent as a plain integer (fail2ban `eval`s time expressions; this never sends
    /// one). Returns the new value.
    pub async fn set_findtime(&self, jail: &JailName, secs: u64) -> Result<i64, Error> {
        self.get(&["set", jail, "findtime", &secs.to_string()], Value::as_i64)
            .await
    }

    /// Seconds; `-1` is permanent.
    pub async fn bantime(&self, jail: &JailName) -> Result<i64, Error> {
        self.get(&["get", jail, "bantime"], Value::as_i64).await
    }

    /// Seconds, `-1` for permanent bans. Returns the new value.
    pub async fn set_bantime(&self, jail: &JailName, secs: i64) -> Result<i64, Error> {
        if secs < -1 {
            return Err(Error::InvalidArgument(
                "ban time must be -1 (permanent) or at least 0 seconds".into(),
            ));
        }
        self.get(&["set", jail, "bantime", &secs.to_string()], Value::as_i64)
            .await
    }

    pub async fn maxretry(&self, jail: &JailName) -> Result<i64, Error> {
        self.get(&["get", jail, "maxretry"], Value::as_i64).await
    }

    pub async fn set_maxretry(&self, jail: &JailName, n: u32) -> Result<i64, Error> {
        self.get(&["set", jail, "maxretry", &n.to_string()], Value::as_i64)
            .await
    }

    /// The `bantime.*` options (ban time increment for repeat offenders).
    pub async fn bantime_increment(&self, jail: &JailName) -> Result<BantimeIncrement, Error> {
        let opt = |name: &'static str| ["get", jail.as_str(), name];
        Ok(BantimeIncrement {
            increment: self
                .get(&opt("bantime.increment"), |v| {
                    if v.is_none() {
                        Some(false)
                    } else {
                        v.as_bool()
                    }
                })
                .await?,
            factor: self.get(&opt("bantime.factor"), read::opt_text).await?,
            formula: self.get(&opt("bantime.formula"), read::opt_text).await?,
            multipliers: self
                .get(&opt("bantime.multipliers"), read::opt_text)
                .await?,
            maxtime: self.get(&opt("bantime.maxtime"), read::opt_int).await?,
            rndtime: self.get(&opt("bantime.rndtime"), read::opt_int).await?,
            overalljails: self
                .get(&opt("bantime.overalljails"), |v| match v {
                    Value::None => Some(None),
                    Value::Str(s) => Some(Some(matches!(
                        s.to_ascii_lowercase().as_str(),
                        "true" | "yes" | "1" | "on"
                    ))),
                    other => other.as_bool().map(Some),
                })
                .await?,
        })
    }

    /// Addresses and networks the jail never bans.
    pub async fn ignore_ips(&self, jail: &JailName) -> Result<Vec<String>, Error> {
        self.get(&["get", jail, "ignoreip"], read::strings).await
    }

    /// Adds an address or network to the ignore list; returns the new list.
    pub async fn add_ignore_ip(
        &self,
        jail: &JailName,
        net: IpNetwork,
    ) -> Result<Vec<String>, Error> {
        self.get(&["set", jail, "addignoreip", &net_text(net)], read::strings)
            .await
    }

    /// Removes an entry from the ignore list; returns the new list.
    pub async fn remove_ignore_ip(
        &self,
        jail: &JailName,
        net: IpNetwork,
    ) -> Result<Vec<String>, Error> {
        self.get(&["set", jail, "delignoreip", &net_text(net)], read::strings)
            .await
    }

    /// Whether the jail ignores the host's own addresses.
    pub async fn ignore_self(&self, jail: &JailName) -> Result<bool, Error> {
        self.get(&["get", jail, "ignoreself"], Value::as_bool).await
    }

    pub async fn set_ignore_self(&self, jail: &JailName, on: bool) -> Result<bool, Error> {
        self.get(
            &["set", jail, "ignoreself", if on { "true" } else { "false" }],
            Value::as_bool,
        )
        .await
    }
}

/// The first three words of a command (`set sshd banip`), for the log.
fn head(args: &[Value]) -> String {
    args.iter()
        .take(3)
        .map(|a| a.as_str().unwrap_or("…"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Bounded label set for metrics: the command word, or `other`.
fn metric_label(command: &str) -> &'static str {
    const KNOWN: [&str; 12] = [
        "ping",
        "version",
        "status",
        "stats",
        "banned",
        "unban",
        "set",
        "get",
        "start",
        "stop",
        "flushlogs",
        "echo",
    ];
    KNOWN.into_iter().find(|k| *k == command).unwrap_or("other")
}

fn unexpected(words: &[&str], answer: &Value) -> Error {
    // Only the command words: the arguments may be long lists of addresses.
    let command = words.iter().take(3).copied().collect::<Vec<_>>().join(" ");
    let mut detail = format!("{answer:?}");
    if detail.len() > 200 {
        let cut = (0..=200)
            .rev()
            .find(|&i| detail.is_char_boundary(i))
            .unwrap_or(0);
        detail.truncate(cut);
        detail.push('…');
    }
    Error::UnexpectedAnswer { command, detail }
}

/// Next chunk size: as many addresses as fit in the target time at the last measured cost per
/// address, growing at most fourfold per step so that one fast answer cannot cause a huge
/// command.
fn next_chunk(current: usize, sent: usize, took: Duration, batch: &BatchConfig) -> usize {
    let per_ip = took.as_secs_f64() / sent.max(1) as f64;
    let fits = if per_ip > 0.0 {
        (batch.target.as_secs_f64() / per_ip) as usize
    } else {
        batch.max_chunk
    };
    fits.clamp(1, batch.max_chunk)
        .min(current.saturating_mul(4))
}

/// `major.minor` comparison of fail2ban versions such as `1.0.2` or `1.1.2.dev1`.
fn version_at_least(version: &str, (major, minor): (u64, u64)) -> bool {
    let mut parts = version.split('.').map(|p| {
        p.chars()
            .take_while(char::is_ascii_digit)
            .collect::<String>()
    });
    let num = |p: Option<String>| p.and_then(|s| s.parse::<u64>().ok()).unwrap_or(0);
    let (a, b) = (num(parts.next()), num(parts.next()));
    (a, b) >= (major, minor)
}

/// What can be banned: an address, or a network ([`bangui_core::Network`], written as
/// fail2ban writes it: an address without prefix, a network as `address/prefix` without host
/// bits). Sealed: no other text reaches a ban command.
pub trait BanTarget: std::fmt::Display + Sync + sealed::Sealed {}

impl BanTarget for IpAddr {}
impl BanTarget for bangui_core::Network {}

mod sealed {
    pub trait Sealed {}
    impl Sealed for std::net::IpAddr {}
    impl Sealed for bangui_core::Network {}
}

/// fail2ban reads a single address better as an address than as a /32 or /128.
fn net_text(net: IpNetwork) -> String {
    if net.prefix() == if net.is_ipv4() { 32 } else { 128 } {
        net.ip().to_string()
    } else {
        net.to_string()
    }
}

fn plain_absolute(path: &Path) -> Result<&str, Error> {
    let text = path
        .to_str()
        .ok_or_else(|| Error::InvalidArgument("log path is not UTF-8".into()))?;
    let plain = path.is_absolute()
        && path
            .components()
            .all(|c| matches!(c, Component::RootDir | Component::Normal(_)))
        && !text.chars().any(char::is_control);
    if plain {
        Ok(text)
    } else {
        Err(Error::InvalidArgument(format!(
            "log path {text:?} must be absolute, without '..'"
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_follow_the_measured_cost() {
        let batch = BatchConfig {
            target: Duration::from_millis(300),
            first_chunk: 25,
            max_chunk: 1000,
        };
        // 6 ms per address → 50 per command.
        assert_eq!(next_chunk(25, 25, Duration::from_millis(150), &batch), 50);
        // A fast answer grows the chunk at most fourfold.
        assert_eq!(next_chunk(25, 25, Duration::from_micros(10), &batch), 100);
        // A very slow action (1 s per address) goes down to one address per command.
        assert_eq!(next_chunk(50, 50, Duration::from_secs(50), &batch), 1);
        assert_eq!(next_chunk(1000, 1000, Duration::ZERO, &batch), 1000);
    }

    #[test]
    fn compares_versions() {
        assert!(!version_at_least("1.0.2", (1, 1)));
        assert!(version_at_least("1.1.0", (1, 1)));
        assert!(version_at_least("1.1.2.dev1", (1, 1)));
        assert!(version_at_least("2.0", (1, 1)));
        assert!(!version_at_least("0.11.2", (1, 1)));
        assert!(!version_at_least("garbage", (1, 1)));
    }

    #[test]
    fn single_addresses_are_sent_bare() {
        assert_eq!(net_text("192.0.2.7/32".parse().unwrap()), "192.0.2.7");
        assert_eq!(net_text("2001:db8::/32".parse().unwrap()), "2001:db8::/32");
        assert_eq!(net_text("2001:db8::1/128".parse().unwrap()), "2001:db8::1");
    }

    #[test]
    fn log_paths_must_be_plain_and_absolute() {
        assert!(plain_absolute(Path::new("/var/log/auth.log")).is_ok());
        for bad in ["relative.log", "/var/log/../../etc/shadow", "/var/log/a\nb"] {
            assert!(plain_absolute(Path::new(bad)).is_err(), "{bad}");
        }
    }
}
