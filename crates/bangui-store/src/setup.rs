//! First-run setup: the master password and the instance settings, stored exactly once.

use chrono::{DateTime, Utc};

use crate::{Database, StoreError};

/// The completed setup.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SetupRecord {
    /// argon2id PHC string.
    pub password_hash: String,
    pub timezone: String,
    pub session_duration_minutes: i32,
    pub completed_at: DateTime<Utc>,
}

impl Database {
    /// The setup, or `None` while it has not been done.
    pub async fn setup(&self) -> Result<Option<SetupRecord>, StoreError> {
        Ok(sqlx::query_as::<_, SetupRecord>(
            "SELECT password_hash, timezone, session_duration_minutes, completed_at FROM setup WHERE id = 1",
        )
        .fetch_optional(self.pool())
        .await?)
    }

    /// Stores the setup unless one exists. Returns `true` if this call stored it: of two
    /// concurrent setups, exactly one wins (the row has a fixed primary key).
    pub async fn complete_setup(
        &self,
        password_hash: &str,
        timezone: &str,
        session_duration_minutes: i32,
    ) -> Result<bool, StoreError> {
        let inserted = sqlx::query(
            "INSERT INTO setup (id, password_hash, timezone, session_duration_minutes) VALUES (1, $1, $2, $3) \
             ON CONFLICT (id) DO NOTHING",
        )
        .bind(password_hash)
        .bind(timezone)
        .bind(session_duration_minutes)
        .execute(self.pool())
        .await?;
        Ok(inserted.rows_affected() == 1)
    }
}
