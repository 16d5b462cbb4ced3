//! The audit trail: every state-changing API call, in PostgreSQL.

use chrono::{DateTime, Utc};
use ipnetwork::IpNetwork;

use bangui_core::Page;

use crate::{Database, StoreError};

/// One audited call, as the HTTP layer describes it.
#[derive(Debug, Clone)]
pub struct AuditRecord {
    pub actor: String,
    pub client: Option<std::net::IpAddr>,
    pub method: String,
    pub route: String,
    pub path: String,
    pub details: serde_json::Value,
    pub status: u16,
    pub error_code: Option<String>,
}

/// One stored entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub client: Option<IpNetwork>,
    pub method: String,
    pub route: String,
    pub path: String,
    pub details: serde_json::Value,
    pub status: i16,
    pub error_code: Option<String>,
}

impl Database {
    pub async fn record_audit(&self, record: &AuditRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO audit_events (actor, client, method, route, path, details, status, error_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(&record.actor)
        .bind(record.client.map(IpNetwork::from))
        .bind(&record.method)
        .bind(&record.route)
        .bind(&record.path)
        .bind(&record.details)
        .bind(i16::try_from(record.status).unwrap_or(i16::MAX))
        .bind(&record.error_code)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Newest first; `page` counts from 1. Returns the page and the total number of entries.
    pub async fn audit_page(&self, page: Page) -> Result<(Vec<AuditEntry>, i64), StoreError> {
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let items = sqlx::query_as::<_, AuditEntry>(
            "SELECT id, at, actor, client, method, route, path, details, status, error_code \
             FROM audit_events ORDER BY at DESC, id DESC LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(page.size.get()))
        .bind(offset)
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
            .fetch_one(self.pool())
            .await?;
        Ok((items, total))
    }
}
