//! Blocklist import: fetch each source's list and have the runtime apply it to its jail.
//!
//! A source is imported under a lock (one run per source across the cluster, renewed while
//! the run lasts), and each run writes its line of the import log. The difference itself, with
//! its bans, unbans and their archive, is the runtime's ([`Runtime::apply_blocklist`]).
//!
//! [`Runtime::apply_blocklist`]: bangui_runtime::Runtime::apply_blocklist

use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::Tick;
use bangui_blocklist::{FetchError, fetch, parse};
use bangui_core::Network;
use bangui_runtime::RuntimeError;
use bangui_runtime::blocklist::ImportProgress;
use bangui_store::blocklists::{BlocklistSource, RunStats};
use bangui_store::locks::Lock;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::queue::Enqueued;
use crate::{Job, JobContext, Watch};

/// Import one source, or every enabled one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlocklistImport {
    pub source_id: Option<i64>,
    /// The address of whoever asked for it ("import now"), which no entry may cover; `None`
    /// for a scheduled import.
    #[serde(default)]
    pub requested_from: Option<std::net::IpAddr>,
}

impl Job for BlocklistImport {
    const QUEUE: &'static str = "blocklist-import";
    // Big lists take minutes against a firewall; a hung run must end.
    const TIMEOUT: Duration = Duration::from_secs(3600);
    const WATCH: Watch = Watch::Closely;
}

impl BlocklistImport {
    /// Redis key that stands for "an import of this source (or of all) is queued or running",
    /// so that two "import now" at the same moment make one job.
    pub fn pending_key(source_id: Option<i64>) -> String {
        match source_id {
            Some(id) => format!("blocklist-import:pending:{id}"),
            None => "blocklist-import:pending:all".to_owned(),
        }
    }
}

/// The per-source lock lives this long unless renewed; renewed every third of it.
const SOURCE_LOCK_TTL: Duration = Duration::from_secs(30);

/// A run failed for a reason retrying cannot fix.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Permanent(String);

pub(crate) async fn run(
    job: BlocklistImport,
    context: Data<JobContext>,
    id: TaskId,
) -> Result<Value, BoxDynError> {
    let job_id = id.to_string();
    let result = import(&job, &context, &job_id).await;
    if !matches!(result, Err(ImportError::Transient(_))) {
        // Done for good (success or a failure retrying cannot fix): the next "import now" may
        // enqueue again.
        let key = BlocklistImport::pending_key(job.source_id);
        let _ = context.runtime.redis().clear_marker(&key, &job_id).await;
    }
    match result {
        Ok(summary) => Ok(summary),
        Err(ImportError::Permanent(message)) => Err(AbortError::new(Permanent(message)).into()),
        Err(ImportError::Transient(message)) => Err(message.into()),
    }
}

#[derive(Debug)]
enum ImportError {
    Permanent(String),
    Transient(String),
}

impl From<bangui_store::StoreError> for ImportError {
    fn from(e: bangui_store::StoreError) -> Self {
        RuntimeError::from(e).into()
    }
}

impl From<RuntimeError> for ImportError {
    fn from(e: RuntimeError) -> Self {
        use bangui_fail2ban::{Error as F2b, ServerError};
        match e {
            RuntimeError::JailNotFound(jail)
            | RuntimeError::Fail2ban(F2b::Server(ServerError::UnknownJail(jail))) => {
                Self::Permanent(format!("the jail {jail} is not running"))
            }
            e if e.is_transient() => Self::Transient(e.to_string()),
            e => Self::Permanent(e.to_string()),
        }
    }
}

impl From<FetchError> for ImportError {
    fn from(e: FetchError) -> Self {
        match e {
            FetchError::Permanent(m) => Self::Permanent(m),
            FetchError::Transient(m) => Self::Transient(m),
        }
    }
}

async fn import(
    job: &BlocklistImport,
    context: &JobContext,
    job_id: &str,
) -> Result<Value, ImportError> {
    let db = context.db();
    let sources: Vec<BlocklistSource> = match job.source_id {
        Some(id) => match db.blocklist_source(id).await? {
            Some(source) => vec![source],
            None => return Err(ImportError::Permanent(format!("no blocklist source {id}"))),
        },
        None => db
            .blocklist_sources()
            .await?
            .into_iter()
            .filter(|s| s.enabled)
            .collect(),
    };
    let mut runs = Vec::new();
    let mut progress = ImportProgress::new(job_id);
    let mut transient = None;
    for source in sources {
        match import_source(&source, context, job, job_id, &mut progress).await {
            Ok((run_id, stats)) => {
                runs.push(json!({ "source_id": source.id, "run_id": run_id, "stats": stats }))
            }
            // One source failing for good does not stop the others.
            Err(ImportError::Permanent(message)) => {
                runs.push(json!({ "source_id": source.id, "error": message }));
                if job.source_id.is_some() {
                    return Err(ImportError::Permanent(message));
                }
            }
            Err(e @ ImportError::Transient(_)) => transient = Some(e),
        }
    }
    if let Some(e) = transient {
        return Err(e);
    }
    // Bans changed: every worker's next answer shows it.
    let _ = context.runtime.refresh_status().await;
    Ok(json!({ "runs": runs }))
}

/// Takes the source's lock (waiting for a run another worker may still be finishing), keeps it
/// alive while importing, and writes the run's log line.
async fn import_source(
    source: &BlocklistSource,
    context: &JobContext,
    job: &BlocklistImport,
    job_id: &str,
    progress: &mut ImportProgress,
) -> Result<(i64, RunStats), ImportError> {
    tracing::Span::current().record("source", source.id);
    let redis = context.runtime.redis();
    let db = context.db();
    let lock_name = format!("blocklist-source:{}", source.id);
    let mut lock = None;
    for _ in 0..((SOURCE_LOCK_TTL.as_millis() * 2) / 250) {
        if let Some(l) = redis.try_lock(&lock_name, SOURCE_LOCK_TTL).await? {
            lock = Some(l);
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let lock = lock.ok_or_else(|| {
        ImportError::Transient(format!("source {} is being imported elsewhere", source.id))
    })?;
    let keeper = keep_alive(redis.clone(), lock);
    let run_id = db.start_blocklist_run(source, Some(job_id)).await?;
    let mut stats = RunStats::default();
    let outcome = apply(source, context, job.requested_from, progress, &mut stats).await;
    let error = match &outcome {
        Ok(()) => None,
        Err(ImportError::Permanent(m) | ImportError::Transient(m)) => Some(m.as_str()),
    };
    let finished = db.finish_blocklist_run(run_id, &stats, error).await;
    let lock = keeper.stop().await;
    if let Some(lock) = lock {
        let _ = redis.unlock(lock).await;
    }
    outcome?;
    finished?;
    if source.deleted {
        db.remove_blocklist_source(source.id).await?;
    }
    tracing::info!(source = source.id, ?stats, "blocklist imported");
    Ok((run_id, stats))
}

/// Downloads the source's list (a deleted source lists nothing: everything only it banned is
/// lifted) and has the runtime apply it.
async fn apply(
    source: &BlocklistSource,
    context: &JobContext,
    requested_from: Option<std::net::IpAddr>,
    progress: &mut ImportProgress,
    stats: &mut RunStats,
) -> Result<(), ImportError> {
    let listed: Vec<Network> = if source.deleted {
        Vec::new()
    } else {
        let fetched = fetch(&source.url, &context.fetch).await?;
        stats.downloaded_bytes = fetched.downloaded_bytes as i64;
        let list = parse(&fetched.body);
        stats.valid = list.valid as i32;
        stats.invalid = list.invalid as i32;
        stats.duplicates = list.duplicates as i32;
        list.entries
    };
    context
        .runtime
        .apply_blocklist(source, &listed, requested_from, progress, stats)
        .await?;
    Ok(())
}

/// Renews a lock in the background until stopped.
struct KeepAlive {
    stop: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Option<Lock>>,
}

fn keep_alive(redis: bangui_store::RedisStore, lock: Lock) -> KeepAlive {
    let (stop, mut stopped) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = &mut stopped => return Some(lock),
                () = tokio::time::sleep(SOURCE_LOCK_TTL / 3) => {
                    if !matches!(redis.renew_lock(&lock, SOURCE_LOCK_TTL).await, Ok(true)) {
                        tracing::warn!("lost the lock of a blocklist source while importing it");
                    }
                }
            }
        }
    });
    KeepAlive { stop, task }
}

impl KeepAlive {
    async fn stop(self) -> Option<Lock> {
        let _ = self.stop.send(());
        self.task.await.ok().flatten()
    }
}

/// Every worker's minute tick: if the import schedule fires in this minute, enqueue that
/// occurrence's import (keyed by its time, so once across the cluster). The schedule is a
/// setting that can change at any time, so it is read at each tick rather than baked into the
/// workers; it runs in the instance's time zone (chosen at setup).
pub(crate) async fn tick(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let now = DateTime::<Utc>::from_timestamp(tick.get_timestamp() as i64, 0)
        .ok_or("tick out of range")?;
    let db = context.db();
    let schedule = db.import_schedule().await?;
    let tz = match db.setup().await? {
        Some(setup) => setup
            .timezone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::UTC),
        // Not set up: nothing to import into yet.
        None => return Ok(()),
    };
    let Some(occurrence) = schedule.fires_in_minute_before(now, &tz) else {
        return Ok(());
    };
    let key = format!(
        "{}:scheduled:{}",
        BlocklistImport::QUEUE,
        occurrence.timestamp()
    );
    let job = BlocklistImport {
        source_id: None,
        requested_from: None,
    };
    if let Enqueued::New(id) = context.queue.push_once(&job, &key).await? {
        tracing::info!(%id, %occurrence, "scheduled blocklist import enqueued");
    }
    Ok(())
}
