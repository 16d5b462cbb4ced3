//! The history archive: fail2ban's ban rows, copied into bangui's PostgreSQL.
//!
//! fail2ban's SQLite file is fail2ban's: it is opened read-only, with short statements and a
//! busy timeout (fail2ban uses a rollback journal, so a long read would block its writes),
//! never written. Its `bans` table has one row per ban event; rows go after a day
//! (`dbpurgeage`) and manual unbans delete them at once, so bangui copies them every few
//! minutes (backfilling everything still there on the first run) and archives the bans and
//! unbans it makes itself as they happen.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use apalis::prelude::*;
use apalis_cron::Tick;
use bangui_runtime::Runtime;
use bangui_store::Database;
use bangui_store::history::{ArchivedBan, Origin};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::Row;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection};

use crate::JobContext;
use crate::queue::{self, Enqueued};

/// Rows read per statement.
const PAGE: i64 = 2000;
/// Where the last sync stopped, in the `settings` table.
const POSITION: &str = "history_sync_position";

/// Copy new rows of fail2ban's database into the archive.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistorySync {}

impl HistorySync {
    pub const QUEUE: &'static str = "history-sync";
}

/// Delete archived bans older than the retention.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct HistoryPurge {
    pub retention_days: u32,
}

impl HistoryPurge {
    pub const QUEUE: &'static str = "history-purge";
}

/// What the archive needs: bangui's database, fail2ban, and where fail2ban's file is.
#[derive(Debug, Clone, Copy)]
pub struct Archive<'a> {
    pub db: &'a Database,
    pub runtime: &'a Runtime,
    /// fail2ban's SQLite file; `None`: asked from fail2ban (`get dbfile`).
    pub fail2ban_db: Option<&'a std::path::Path>,
}

/// Why the archive could not be updated.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    #[error("fail2ban runs without a database (dbfile = None)")]
    NoDatabase,
    #[error("fail2ban: {0}")]
    Fail2ban(#[from] bangui_fail2ban::Error),
    #[error("fail2ban's database: {0}")]
    Sqlite(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] bangui_store::StoreError),
}

impl Archive<'_> {
    async fn open(&self) -> Result<SqliteConnection, ArchiveError> {
        let path: PathBuf = match self.fail2ban_db {
            Some(p) => p.to_owned(),
            None => self
                .runtime
                .fail2ban()
                .server_settings()
                .await?
                .dbfile
                .ok_or(ArchiveError::NoDatabase)?
                .into(),
        };
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            // The file changes under us: never `immutable`.
            .busy_timeout(Duration::from_secs(2))
            .disable_statement_logging();
        Ok(options.connect().await?)
    }

    /// Copies fail2ban's rows newer than the last sync (all of them the first time); returns
    /// how many bans were new to the archive.
    pub async fn sync(&self) -> Result<u64, ArchiveError> {
        let mut conn = self.open().await?;
        let (mut time, mut rowid) = match self.db.setting(POSITION).await? {
            Some(v) => (
                v["timeofban"].as_i64().unwrap_or(0),
                v["rowid"].as_i64().unwrap_or(0),
            ),
            None => (0, 0),
        };
        let mut archived = 0;
        loop {
            let rows = sqlx::query(
                "SELECT rowid, jail, ip, timeofban, bantime, bancount, data FROM bans \
                 WHERE timeofban > ?1 OR (timeofban = ?1 AND rowid > ?2) ORDER BY timeofban, rowid LIMIT ?3",
            )
            .bind(time)
            .bind(rowid)
            .bind(PAGE)
            .fetch_all(&mut conn)
            .await?;
            let Some(last) = rows.last() else { break };
            (time, rowid) = (last.try_get("timeofban")?, last.try_get("rowid")?);
            let bans: Vec<ArchivedBan> = rows.iter().filter_map(row_to_ban).collect();
            archived += self.db.archive_bans(&bans).await?;
            self.db
                .put_setting(POSITION, &json!({ "timeofban": time, "rowid": rowid }))
                .await?;
            if (rows.len() as i64) < PAGE {
                break;
            }
        }
        conn.close().await?;
        Ok(archived)
    }

    /// Archives what fail2ban holds about these addresses now: before an unban through bangui,
    /// which makes fail2ban delete those rows.
    pub async fn archive_addresses(&self, ips: &[IpAddr]) -> Result<u64, ArchiveError> {
        let mut conn = self.open().await?;
        let mut archived = 0;
        for chunk in ips.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT rowid, jail, ip, timeofban, bantime, bancount, data FROM bans WHERE ip IN ({placeholders})"
            );
            // Only "?" placeholders are formatted in; the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ip in chunk {
                query = query.bind(ip.to_string());
            }
            let rows = query.fetch_all(&mut conn).await?;
            let bans: Vec<ArchivedBan> = rows.iter().filter_map(row_to_ban).collect();
            archived += self.db.archive_bans(&bans).await?;
        }
        conn.close().await?;
        Ok(archived)
    }
}

/// One row of fail2ban's `bans` table as an archived ban. `data` is JSON stored as a BLOB
/// (`{"matches": [...], "failures": n}`), read leniently.
fn row_to_ban(row: &sqlx::sqlite::SqliteRow) -> Option<ArchivedBan> {
    let ip: IpAddr = row.try_get::<String, _>("ip").ok()?.parse().ok()?;
    let started: i64 = row.try_get("timeofban").ok()?;
    let data: Value = row
        .try_get::<Vec<u8>, _>("data")
        .ok()
        .or_else(|| {
            row.try_get::<String, _>("data")
                .ok()
                .map(String::into_bytes)
        })
        .and_then(|raw| serde_json::from_slice(&raw).ok())
        .unwrap_or(Value::Null);
    let failures = data["failures"].as_i64().unwrap_or(0) as i32;
    let matches = Value::Array(match &data["matches"] {
        Value::Array(m) => m.iter().filter_map(match_line).map(Value::String).collect(),
        _ => Vec::new(),
    });
    let manual = failures == 0 && matches.as_array().is_some_and(Vec::is_empty);
    Some(ArchivedBan {
        jail: row.try_get("jail").ok()?,
        ip,
        started_at: DateTime::<Utc>::from_timestamp(started, 0)?,
        duration_secs: row.try_get("bantime").ok()?,
        ban_count: row.try_get::<i64, _>("bancount").ok().unwrap_or(1) as i32,
        failures,
        matches,
        origin: if manual { Origin::Manual } else { Origin::Auto },
    })
}

/// One matched log line. fail2ban keeps most as strings, but the first of a ticket as the
/// parts its date pattern split the line into (`["", "2026-11-27 20:03:13", " Failed …"]`).
fn match_line(m: &Value) -> Option<String> {
    match m {
        Value::String(line) => Some(line.clone()),
        Value::Array(parts) => parts.iter().map(Value::as_str).collect::<Option<String>>(),
        _ => None,
    }
}

/// Every worker's tick: enqueue this tick's sync, once across the cluster.
pub(crate) async fn tick_sync(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let key = format!("{}:{}", HistorySync::QUEUE, tick.get_timestamp());
    let id = queue::new_job_id();
    if let Enqueued::New(id) = queue::enqueue(
        context.db.pool(),
        HistorySync::QUEUE,
        &id,
        &HistorySync {},
        Some(&key),
        3,
    )
    .await?
    {
        tracing::debug!(%id, "history sync enqueued");
    }
    Ok(())
}

pub(crate) async fn tick_purge(tick: Tick, context: Data<JobContext>) -> Result<(), BoxDynError> {
    let key = format!("{}:{}", HistoryPurge::QUEUE, tick.get_timestamp());
    let id = queue::new_job_id();
    let args = HistoryPurge {
        retention_days: context.history_retention_days,
    };
    queue::enqueue(
        context.db.pool(),
        HistoryPurge::QUEUE,
        &id,
        &args,
        Some(&key),
        3,
    )
    .await?;
    Ok(())
}

pub(crate) async fn run_sync(
    _: HistorySync,
    context: Data<JobContext>,
) -> Result<Value, BoxDynError> {
    let archive = Archive {
        db: &context.db,
        runtime: &context.runtime,
        fail2ban_db: context.fail2ban_db.as_deref(),
    };
    match archive.sync().await {
        Ok(n) => Ok(json!({ "archived": n })),
        // Nothing to archive from; not worth retrying.
        Err(ArchiveError::NoDatabase) => Err(AbortError::new(ArchiveError::NoDatabase).into()),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn run_purge(
    job: HistoryPurge,
    context: Data<JobContext>,
) -> Result<Value, BoxDynError> {
    let before = Utc::now() - chrono::Duration::days(i64::from(job.retention_days));
    let purged = context.db.purge_history(before).await?;
    Ok(json!({ "purged": purged }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matched_lines_come_out_as_lines_whatever_shape_fail2ban_stored() {
        let stored = json!([
            ["", "2026-11-27 20:03:13", " Failed login from 192.0.2.1"],
            "2026-11-27 20:03:15 Failed login from 192.0.2.1",
            42,
            ["a", 1]
        ]);
        let lines: Vec<String> = stored
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(match_line)
            .collect();
        assert_eq!(
            lines,
            [
                "2026-11-27 20:03:13 Failed login from 192.0.2.1",
                "2026-11-27 20:03:15 Failed login from 192.0.2.1"
            ]
        );
    }
}
