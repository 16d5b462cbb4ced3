//! Blocklist import: fetch each source's list and make its jail hold exactly that list.
//!
//! By difference: only addresses the source has not banned yet are banned, and only addresses
//! this source itself added (and no other source of the jail still lists) are unbanned when
//! the list drops them; membership is kept in PostgreSQL. An unchanged list therefore costs one
//! download and no fail2ban command. Work goes in chunks, membership is recorded after each,
//! and progress is reported, so a run interrupted by a dead worker continues where it was
//! when another worker takes the job again.

use std::collections::HashSet;
use std::net::IpAddr;
use std::time::Duration;

use apalis::prelude::*;
use bangui_core::JailName;
use bangui_store::blocklists::{BlocklistSource, RunStats};
use bangui_store::jobs::Progress;
use bangui_store::locks::Lock;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::JobContext;
use crate::fetch::{FetchError, fetch};
use crate::parse::parse;

/// Import one source, or every enabled one.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BlocklistImport {
    pub source_id: Option<i64>,
}

impl BlocklistImport {
    pub const QUEUE: &'static str = "blocklist-import";

    /// Redis key that stands for "an import of this source (or of all) is queued or running",
    /// so that two "import now" at the same moment make one job.
    pub fn pending_key(source_id: Option<i64>) -> String {
        match source_id {
            Some(id) => format!("blocklist-import:pending:{id}"),
            None => "blocklist-import:pending:all".to_owned(),
        }
    }
}

/// Addresses per fail2ban batch and membership update.
const CHUNK: usize = 10_000;
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
    match &result {
        // Done for good (success or a failure retrying cannot fix): the next "import now" may
        // enqueue again.
        Ok(_) | Err(ImportError::Permanent(_)) => {
            if let Some(key) = pending_marker(&context, &job) {
                let _ = context.runtime.redis().clear_marker(&key, &job_id).await;
            }
        }
        Err(ImportError::Transient(_)) => {}
    }
    match result {
        Ok(summary) => Ok(summary),
        Err(ImportError::Permanent(message)) => Err(AbortError::new(Permanent(message)).into()),
        Err(ImportError::Transient(message)) => Err(message.into()),
    }
}

fn pending_marker(_context: &JobContext, job: &BlocklistImport) -> Option<String> {
    Some(BlocklistImport::pending_key(job.source_id))
}

#[derive(Debug)]
enum ImportError {
    Permanent(String),
    Transient(String),
}

impl From<bangui_store::StoreError> for ImportError {
    fn from(e: bangui_store::StoreError) -> Self {
        match e {
            bangui_store::StoreError::Internal(m) | bangui_store::StoreError::Conflict(m) => {
                Self::Permanent(m)
            }
            other => Self::Transient(other.to_string()),
        }
    }
}

async fn import(
    job: &BlocklistImport,
    context: &JobContext,
    job_id: &str,
) -> Result<Value, ImportError> {
    let sources: Vec<BlocklistSource> = match job.source_id {
        Some(id) => match context.db.blocklist_source(id).await? {
            Some(source) => vec![source],
            None => return Err(ImportError::Permanent(format!("no blocklist source {id}"))),
        },
        None => context
            .db
            .blocklist_sources()
            .await?
            .into_iter()
            .filter(|s| s.enabled)
            .collect(),
    };
    let mut runs = Vec::new();
    let mut progress = Progress { done: 0, total: 0 };
    let mut transient = None;
    for source in sources {
        match import_source(&source, context, job_id, &mut progress).await {
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
    job_id: &str,
    progress: &mut Progress,
) -> Result<(i64, RunStats), ImportError> {
    let redis = context.runtime.redis();
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
    let run_id = context.db.start_blocklist_run(source, Some(job_id)).await?;
    let mut stats = RunStats::default();
    let outcome = apply(source, context, job_id, progress, &mut stats).await;
    let error = match &outcome {
        Ok(()) => None,
        Err(ImportError::Permanent(m) | ImportError::Transient(m)) => Some(m.as_str()),
    };
    let finished = context.db.finish_blocklist_run(run_id, &stats, error).await;
    let lock = keeper.stop().await;
    if let Some(lock) = lock {
        let _ = redis.unlock(lock).await;
    }
    outcome?;
    finished?;
    if source.deleted {
        context.db.remove_blocklist_source(source.id).await?;
    }
    tracing::info!(source = source.id, ?stats, "blocklist imported");
    Ok((run_id, stats))
}

async fn apply(
    source: &BlocklistSource,
    context: &JobContext,
    job_id: &str,
    progress: &mut Progress,
    stats: &mut RunStats,
) -> Result<(), ImportError> {
    let jail = JailName::parse(&source.jail)
        .map_err(|e| ImportError::Permanent(format!("jail {:?}: {e}", source.jail)))?;
    let client = context.runtime.fail2ban();
    let banned_now: HashSet<String> = match client
        .jail_status(&jail, bangui_fail2ban::StatusFlavor::Full)
        .await
    {
        Ok(status) => status.banned.unwrap_or_default().into_iter().collect(),
        Err(bangui_fail2ban::Error::Server(bangui_fail2ban::ServerError::UnknownJail(_))) => {
            return Err(ImportError::Permanent(format!(
                "the jail {jail} is not running"
            )));
        }
        Err(e) => return Err(fail2ban_error(e)),
    };

    // A deleted source lists nothing: everything only it banned is lifted.
    let listed: Vec<IpAddr> = if source.deleted {
        Vec::new()
    } else {
        let fetched = fetch(&source.url, &context.fetch)
            .await
            .map_err(|e| match e {
                FetchError::Permanent(m) => ImportError::Permanent(m),
                FetchError::Transient(m) => ImportError::Transient(m),
            })?;
        stats.downloaded_bytes = fetched.downloaded_bytes as i64;
        let list = parse(&fetched.body);
        stats.valid = list.valid as i32;
        stats.invalid = list.invalid as i32;
        stats.duplicates = list.duplicates as i32;
        list.addresses
    };

    let members: HashSet<IpAddr> = context
        .db
        .blocklist_members(source.id)
        .await?
        .into_iter()
        .collect();
    let listed_set: HashSet<IpAddr> = listed.iter().copied().collect();
    // Not yet banned by this source (or banned by it once and lifted by someone since).
    let to_ban: Vec<IpAddr> = listed
        .iter()
        .copied()
        .filter(|ip| !(members.contains(ip) && banned_now.contains(&ip.to_string())))
        .collect();
    let dropped: Vec<IpAddr> = members
        .iter()
        .copied()
        .filter(|ip| !listed_set.contains(ip))
        .collect();
    let kept_by_others = context
        .db
        .listed_by_other_sources(source.id, &source.jail, &dropped)
        .await?;
    let to_unban: Vec<IpAddr> = dropped
        .iter()
        .copied()
        .filter(|ip| !kept_by_others.contains(ip))
        .collect();
    progress.total += (to_ban.len() + to_unban.len()) as u64;
    report(context, job_id, *progress).await;

    for chunk in to_ban.chunks(CHUNK) {
        // Membership first or at once is safe: an address this source claims but fail2ban does
        // not ban is banned again by the next run.
        let (newly, ()) = tokio::try_join!(
            reported(context, job_id, *progress, |tx| {
                client.ban_with_progress(&jail, chunk, move |done| {
                    tx.send_replace(done);
                })
            }),
            async { Ok(context.db.add_blocklist_members(source.id, chunk).await?) },
        )?;
        stats.newly_banned += newly as i32;
        stats.already_banned += (chunk.len() as u64 - newly) as i32;
        progress.done += chunk.len() as u64;
    }
    // Countries of what this run banned, resolved by the geo job (after the bans, which it
    // would slow down).
    if !to_ban.is_empty() {
        crate::geo::enqueue_members_resolution(context.db.pool(), source.id).await;
    }
    // fail2ban deletes the rows of what it unbans: archive them first (best effort; the
    // import must not fail because the archive could not be written).
    let archive = crate::history::Archive {
        db: &context.db,
        runtime: &context.runtime,
        fail2ban_db: context.fail2ban_db.as_deref(),
    };
    if !to_unban.is_empty()
        && let Err(e) = archive.archive_addresses(&to_unban).await
    {
        tracing::warn!(error = %e, "could not archive bans before lifting them");
    }
    for chunk in to_unban.chunks(CHUNK) {
        stats.removed += reported(context, job_id, *progress, |tx| {
            client.unban_with_progress(&jail, chunk, move |done| {
                tx.send_replace(done);
            })
        })
        .await? as i32;
        if let Err(e) = context
            .db
            .mark_unbanned(Some(jail.as_str()), chunk, "blocklist")
            .await
        {
            tracing::error!(error = %e, "could not archive unbans");
        }
        progress.done += chunk.len() as u64;
    }
    // This source no longer claims what it stopped listing, whether or not it was lifted.
    for chunk in dropped.chunks(CHUNK * 20) {
        context
            .db
            .remove_blocklist_members(source.id, chunk)
            .await?;
    }
    Ok(())
}

fn fail2ban_error(e: bangui_fail2ban::Error) -> ImportError {
    match e {
        bangui_fail2ban::Error::Server(bangui_fail2ban::ServerError::UnknownJail(j)) => {
            ImportError::Permanent(format!("the jail {j} is not running"))
        }
        e if e.is_unavailable() => ImportError::Transient(format!("fail2ban: {e}")),
        e => ImportError::Permanent(format!("fail2ban: {e}")),
    }
}

/// Runs one ban or unban batch, reporting progress after each of its fail2ban commands (the
/// batch sends how many addresses it has done on the channel it is given).
async fn reported<Fut>(
    context: &JobContext,
    job_id: &str,
    before: Progress,
    batch: impl FnOnce(tokio::sync::watch::Sender<usize>) -> Fut,
) -> Result<u64, ImportError>
where
    Fut: std::future::Future<Output = Result<u64, bangui_fail2ban::Error>>,
{
    let (tx, mut rx) = tokio::sync::watch::channel(0);
    // Ends when the batch is over and drops its sender.
    let reporter = async {
        while rx.changed().await.is_ok() {
            let done = *rx.borrow_and_update() as u64;
            let now = Progress {
                done: before.done + done,
                total: before.total,
            };
            report(context, job_id, now).await;
        }
    };
    let (outcome, ()) = tokio::join!(batch(tx), reporter);
    outcome.map_err(fail2ban_error)
}

async fn report(context: &JobContext, job_id: &str, progress: Progress) {
    if let Err(e) = context
        .runtime
        .redis()
        .set_job_progress(job_id, progress)
        .await
    {
        tracing::debug!(error = %e, "could not report progress");
    }
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
