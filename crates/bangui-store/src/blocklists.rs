//! Blocklist sources, what each one banned, and the import log, in PostgreSQL.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use ipnetwork::IpNetwork;
use serde::Serialize;

use bangui_core::{ImportSchedule, Network, Page};

use crate::{Database, StoreError};

/// The setting that holds the import schedule.
const IMPORT_SCHEDULE: &str = "blocklist_schedule";

/// A list of addresses to ban, fetched from a URL into a jail.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BlocklistSource {
    pub id: i64,
    pub name: String,
    pub url: String,
    pub jail: String,
    pub enabled: bool,
    /// Deleted, until the job that lifts its bans is done.
    pub deleted: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The editable part of a source, already validated.
#[derive(Debug, Clone)]
pub struct SourceFields {
    pub name: String,
    pub url: String,
    pub jail: String,
    pub enabled: bool,
}

/// What one import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RunStats {
    pub downloaded_bytes: i64,
    pub valid: i32,
    pub invalid: i32,
    pub duplicates: i32,
    /// Entries inside another listed network (banned with it).
    pub covered: i32,
    pub newly_banned: i32,
    pub already_banned: i32,
    pub removed: i32,
    /// Entries skipped because banning them would lock someone out.
    pub refused: i32,
    /// The first of those, with why.
    pub refusals: Vec<RefusedEntry>,
}

impl RunStats {
    /// Refused entries a run's log line keeps.
    pub const KEPT_REFUSALS: usize = 100;
}

/// A blocklist entry an import did not ban, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RefusedEntry {
    pub entry: String,
    /// `too_broad`, `loopback`, `trusted_proxy` or `ignored`.
    pub reason: String,
    pub message: String,
}

/// One line of the import log.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlocklistRun {
    pub id: i64,
    pub source_id: Option<i64>,
    pub source_name: String,
    pub job_id: Option<String>,
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub downloaded_bytes: Option<i64>,
    pub valid: Option<i32>,
    pub invalid: Option<i32>,
    pub duplicates: Option<i32>,
    pub newly_banned: Option<i32>,
    pub already_banned: Option<i32>,
    pub removed: Option<i32>,
    pub covered: Option<i32>,
    pub refused: Option<i32>,
    pub refusals: sqlx::types::Json<Vec<RefusedEntry>>,
    pub error: Option<String>,
}

/// The columns of [`BlocklistSource`], as a literal (sqlx accepts only literal SQL).
macro_rules! source_columns {
    () => {
        "id, name, url, jail, enabled, deleted, created_at, updated_at"
    };
}

/// Maps the unique constraint on names to a clear conflict.
fn name_taken(e: sqlx::Error) -> StoreError {
    match &e {
        sqlx::Error::Database(db) if db.constraint() == Some("blocklist_sources_name_key") => {
            StoreError::Conflict("a blocklist source with this name exists".into())
        }
        _ => e.into(),
    }
}

impl Database {
    /// Sources not being deleted, by name.
    pub async fn blocklist_sources(&self) -> Result<Vec<BlocklistSource>, StoreError> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            source_columns!(),
            " FROM blocklist_sources WHERE NOT deleted ORDER BY name"
        ))
        .fetch_all(self.pool())
        .await?)
    }

    /// A source, including one being deleted.
    pub async fn blocklist_source(&self, id: i64) -> Result<Option<BlocklistSource>, StoreError> {
        Ok(sqlx::query_as(concat!(
            "SELECT ",
            source_columns!(),
            " FROM blocklist_sources WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    pub async fn create_blocklist_source(
        &self,
        f: &SourceFields,
    ) -> Result<BlocklistSource, StoreError> {
        sqlx::query_as(concat!("INSERT INTO blocklist_sources (name, url, jail, enabled) VALUES ($1, $2, $3, $4) RETURNING ", source_columns!()))
        .bind(&f.name)
        .bind(&f.url)
        .bind(&f.jail)
        .bind(f.enabled)
        .fetch_one(self.pool())
        .await
        .map_err(name_taken)
    }

    pub async fn update_blocklist_source(
        &self,
        id: i64,
        f: &SourceFields,
    ) -> Result<Option<BlocklistSource>, StoreError> {
        sqlx::query_as(concat!("UPDATE blocklist_sources SET name = $2, url = $3, jail = $4, enabled = $5, updated_at = now() \
             WHERE id = $1 AND NOT deleted RETURNING ", source_columns!()))
        .bind(id)
        .bind(&f.name)
        .bind(&f.url)
        .bind(&f.jail)
        .bind(f.enabled)
        .fetch_optional(self.pool())
        .await
        .map_err(name_taken)
    }

    pub async fn set_blocklist_source_enabled(
        &self,
        id: i64,
        enabled: bool,
    ) -> Result<Option<BlocklistSource>, StoreError> {
        Ok(sqlx::query_as(concat!("UPDATE blocklist_sources SET enabled = $2, updated_at = now() WHERE id = $1 AND NOT deleted \
             RETURNING ", source_columns!()))
        .bind(id)
        .bind(enabled)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Marks a source deleted (its next run lifts what it banned); returns whether it existed.
    pub async fn mark_blocklist_source_deleted(&self, id: i64) -> Result<bool, StoreError> {
        let r = sqlx::query(
            "UPDATE blocklist_sources SET deleted = true, enabled = false, updated_at = now() WHERE id = $1 AND NOT deleted",
        )
        .bind(id)
        .execute(self.pool())
        .await?;
        Ok(r.rows_affected() == 1)
    }

    /// Removes a deleted source for good (its members with it).
    pub async fn remove_blocklist_source(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM blocklist_sources WHERE id = $1 AND deleted")
            .bind(id)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// The addresses and networks a source banned.
    pub async fn blocklist_members(&self, source_id: i64) -> Result<Vec<Network>, StoreError> {
        let rows: Vec<IpNetwork> =
            sqlx::query_scalar("SELECT ip FROM blocklist_members WHERE source_id = $1")
                .bind(source_id)
                .fetch_all(self.pool())
                .await?;
        Ok(rows.into_iter().map(Network::from_net).collect())
    }

    pub async fn add_blocklist_members(
        &self,
        source_id: i64,
        ips: &[Network],
    ) -> Result<(), StoreError> {
        let nets = crate::inets(ips);
        sqlx::query(
            "INSERT INTO blocklist_members (source_id, ip) SELECT $1, unnest($2::inet[]) ON CONFLICT DO NOTHING",
        )
        .bind(source_id)
        .bind(&nets)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn remove_blocklist_members(
        &self,
        source_id: i64,
        ips: &[Network],
    ) -> Result<(), StoreError> {
        let nets = crate::inets(ips);
        sqlx::query("DELETE FROM blocklist_members WHERE source_id = $1 AND ip = ANY($2::inet[])")
            .bind(source_id)
            .bind(&nets)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    /// Of `ips`, those another source of the same jail also banned (they must stay banned).
    pub async fn listed_by_other_sources(
        &self,
        source_id: i64,
        jail: &str,
        ips: &[Network],
    ) -> Result<HashSet<Network>, StoreError> {
        let nets = crate::inets(ips);
        let rows: Vec<IpNetwork> = sqlx::query_scalar(
            "SELECT DISTINCT m.ip FROM blocklist_members m JOIN blocklist_sources s ON s.id = m.source_id \
             WHERE m.source_id <> $1 AND s.jail = $2 AND NOT s.deleted AND m.ip = ANY($3::inet[])",
        )
        .bind(source_id)
        .bind(jail)
        .bind(&nets)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Network::from_net).collect())
    }

    /// Opens the log line of a run. A retried job (same job id, same source) takes its earlier
    /// line up again, so that a run interrupted by a dead worker shows once.
    pub async fn start_blocklist_run(
        &self,
        source: &BlocklistSource,
        job_id: Option<&str>,
    ) -> Result<i64, StoreError> {
        if let Some(job_id) = job_id {
            let existing: Option<i64> = sqlx::query_scalar(
                "UPDATE blocklist_runs SET status = 'running', error = NULL, finished_at = NULL                  WHERE job_id = $1 AND source_id = $2 RETURNING id",
            )
            .bind(job_id)
            .bind(source.id)
            .fetch_optional(self.pool())
            .await?;
            if let Some(id) = existing {
                return Ok(id);
            }
        }
        Ok(sqlx::query_scalar("INSERT INTO blocklist_runs (source_id, source_name, job_id) VALUES ($1, $2, $3) RETURNING id")
            .bind(source.id)
            .bind(&source.name)
            .bind(job_id)
            .fetch_one(self.pool())
            .await?)
    }

    /// Closes a run: completed with its numbers, or failed with what is known and why.
    pub async fn finish_blocklist_run(
        &self,
        run_id: i64,
        stats: &RunStats,
        error: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE blocklist_runs SET status = $2, finished_at = now(), downloaded_bytes = $3, valid = $4, \
             invalid = $5, duplicates = $6, newly_banned = $7, already_banned = $8, removed = $9, error = $10, \
             covered = $11, refused = $12, refusals = $13 WHERE id = $1",
        )
        .bind(run_id)
        .bind(if error.is_some() { "failed" } else { "completed" })
        .bind(stats.downloaded_bytes)
        .bind(stats.valid)
        .bind(stats.invalid)
        .bind(stats.duplicates)
        .bind(stats.newly_banned)
        .bind(stats.already_banned)
        .bind(stats.removed)
        .bind(error)
        .bind(stats.covered)
        .bind(stats.refused)
        .bind(sqlx::types::Json(&stats.refusals))
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Newest first; `page` counts from 1.
    pub async fn blocklist_runs(&self, page: Page) -> Result<(Vec<BlocklistRun>, i64), StoreError> {
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let items = sqlx::query_as(
            "SELECT id, source_id, source_name, job_id, status, started_at, finished_at, downloaded_bytes, valid, \
             invalid, duplicates, newly_banned, already_banned, removed, covered, refused, refusals, error \
             FROM blocklist_runs ORDER BY started_at DESC, id DESC LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(page.size.get()))
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let total = sqlx::query_scalar("SELECT count(*) FROM blocklist_runs")
            .fetch_one(self.pool())
            .await?;
        Ok((items, total))
    }

    /// When blocklist imports run (the default schedule until one is set).
    pub async fn import_schedule(&self) -> Result<ImportSchedule, StoreError> {
        Ok(match self.setting(IMPORT_SCHEDULE).await? {
            // A stored schedule that no longer reads is replaced by the default, not an error.
            Some(value) => serde_json::from_value(value).unwrap_or_default(),
            None => ImportSchedule::default(),
        })
    }

    pub async fn put_import_schedule(&self, schedule: &ImportSchedule) -> Result<(), StoreError> {
        self.put_setting(IMPORT_SCHEDULE, &serde_json::to_value(schedule)?)
            .await
    }

    pub async fn setting(&self, key: &str) -> Result<Option<serde_json::Value>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                .bind(key)
                .fetch_optional(self.pool())
                .await?,
        )
    }

    pub async fn put_setting(
        &self,
        key: &str,
        value: &serde_json::Value,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (key, value) VALUES ($1, $2) \
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = now()",
        )
        .bind(key)
        .bind(value)
        .execute(self.pool())
        .await?;
        Ok(())
    }
}
