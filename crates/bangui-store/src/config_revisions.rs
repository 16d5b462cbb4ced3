//! Revisions of fail2ban's configuration files: every change bangui makes, in PostgreSQL.

use chrono::{DateTime, Utc};

use crate::{Database, StoreError};

/// A change about to be recorded.
#[derive(Debug, Clone)]
pub struct NewRevision<'a> {
    pub path: &'a str,
    pub previous_path: Option<&'a str>,
    pub actor: &'a str,
    pub action: &'a str,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
}

/// One recorded change.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Revision {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub path: String,
    pub previous_path: Option<String>,
    pub actor: String,
    pub action: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A revision written but not committed: commit it once the file is changed, so that a file
/// is never changed without its revision (PostgreSQL down refuses the change).
#[derive(Debug)]
pub struct PendingRevision {
    tx: sqlx::Transaction<'static, sqlx::Postgres>,
    pub id: i64,
}

impl PendingRevision {
    pub async fn commit(self) -> Result<i64, StoreError> {
        self.tx.commit().await?;
        Ok(self.id)
    }
}

impl Database {
    pub async fn begin_revision(&self, r: &NewRevision<'_>) -> Result<PendingRevision, StoreError> {
        let mut tx = self.pool().begin().await?;
        let id: (i64,) = sqlx::query_as(
            "INSERT INTO config_revisions (path, previous_path, actor, action, before, after) \
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
        )
        .bind(r.path)
        .bind(r.previous_path)
        .bind(r.actor)
        .bind(r.action)
        .bind(r.before)
        .bind(r.after)
        .fetch_one(&mut *tx)
        .await?;
        Ok(PendingRevision { tx, id: id.0 })
    }

    /// The revisions of a file under any of its `names` (enabled and disabled), newest first.
    pub async fn revisions_of(
        &self,
        names: &[String],
        limit: i64,
    ) -> Result<Vec<Revision>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, path, previous_path, actor, action, before, after FROM config_revisions \
             WHERE host = 'local' AND (path = ANY($1) OR previous_path = ANY($1)) \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(names)
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn revision(&self, id: i64) -> Result<Option<Revision>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, at, path, previous_path, actor, action, before, after FROM config_revisions \
             WHERE host = 'local' AND id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }
}
