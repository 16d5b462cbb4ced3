//! Countries of addresses (and of networks: their first address's), cached in PostgreSQL.

use bangui_core::Network;
use chrono::{DateTime, Utc};
use ipnetwork::IpNetwork;

use crate::{Database, StoreError};

/// A cached answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct GeoEntry {
    pub ip: IpNetwork,
    /// ISO code, or `None` while unresolved.
    pub country: Option<String>,
    pub source: String,
    pub resolved_at: DateTime<Utc>,
    pub attempts: i32,
}

impl Database {
    /// Stores answers for addresses in one statement. A country already known is not replaced
    /// by "unknown".
    pub async fn store_countries(
        &self,
        answers: &[(Network, Option<String>)],
        source: &str,
    ) -> Result<(), StoreError> {
        let ips: Vec<IpNetwork> = answers.iter().map(|(ip, _)| ip.net()).collect();
        let countries: Vec<Option<String>> = answers.iter().map(|(_, c)| c.clone()).collect();
        sqlx::query(
            "INSERT INTO geo_cache (ip, country, source) SELECT * FROM unnest($1::inet[], $2::text[], \
             array_fill($3::text, ARRAY[cardinality($1::inet[])])) \
             ON CONFLICT (ip) DO UPDATE SET country = COALESCE(excluded.country, geo_cache.country), \
             source = CASE WHEN excluded.country IS NULL THEN geo_cache.source ELSE excluded.source END, \
             resolved_at = now(), attempts = geo_cache.attempts + 1",
        )
        .bind(&ips)
        .bind(&countries)
        .bind(source)
        .execute(self.pool())
        .await?;
        Ok(())
    }

    pub async fn country(&self, ip: Network) -> Result<Option<GeoEntry>, StoreError> {
        Ok(sqlx::query_as("SELECT ip, country::text AS country, source, resolved_at, attempts FROM geo_cache WHERE ip = $1")
            .bind(ip.net())
            .fetch_optional(self.pool())
            .await?)
    }

    /// Unresolved addresses after `after` (in address order), at most `limit`: a re-resolve
    /// walks them in pages.
    pub async fn unresolved_addresses(
        &self,
        after: Option<Network>,
        limit: i64,
    ) -> Result<Vec<Network>, StoreError> {
        let rows: Vec<IpNetwork> = sqlx::query_scalar(
            "SELECT ip FROM geo_cache WHERE country IS NULL AND ($1::inet IS NULL OR ip > $1) ORDER BY ip LIMIT $2",
        )
        .bind(after.map(Network::net))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Network::from_net).collect())
    }

    /// Addresses a blocklist source banned that have no cached answer yet, after `after` (in
    /// address order), at most `limit`.
    pub async fn uncached_members(
        &self,
        source_id: i64,
        after: Option<Network>,
        limit: i64,
    ) -> Result<Vec<Network>, StoreError> {
        let rows: Vec<IpNetwork> = sqlx::query_scalar(
            "SELECT m.ip FROM blocklist_members m WHERE m.source_id = $1 AND ($2::inet IS NULL OR m.ip > $2) \
             AND NOT EXISTS (SELECT 1 FROM geo_cache g WHERE g.ip = m.ip) ORDER BY m.ip LIMIT $3",
        )
        .bind(source_id)
        .bind(after.map(Network::net))
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(rows.into_iter().map(Network::from_net).collect())
    }

    pub async fn unresolved_count(&self) -> Result<i64, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT count(*) FROM geo_cache WHERE country IS NULL")
                .fetch_one(self.pool())
                .await?,
        )
    }
}
