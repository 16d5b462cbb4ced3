//! Aggregates of the ban archive for the dashboard, the map and the history page.
//!
//! Every query takes the same [`Scope`]: bans that started at or after a moment, optionally of
//! one origin and one jail. Countries come from the geo cache; an address it has no country
//! for counts as unresolved (`None`).

use bangui_core::{Network, Origin};
use chrono::{DateTime, Utc};
use ipnetwork::IpNetwork;
use serde::{Deserialize, Serialize};

use crate::history::HistoryEntry;
use crate::{Database, StoreError};

/// Which archived bans an aggregate covers.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub since: Option<DateTime<Utc>>,
    pub origin: Option<Origin>,
    pub jail: Option<String>,
}

/// The condition of a [`Scope`] on `ban_history h`, binding `$1`–`$3`.
macro_rules! scoped {
    () => {
        "($1::timestamptz IS NULL OR h.started_at >= $1) AND ($2::text IS NULL OR h.origin = $2) \
         AND ($3::text IS NULL OR h.jail = $3)"
    };
}

/// A ban of a window, as the dashboard lists it.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct WindowBan {
    pub id: i64,
    pub jail: String,
    pub ip: IpNetwork,
    pub started_at: DateTime<Utc>,
    pub duration_secs: i64,
    #[sqlx(try_from = "String")]
    pub origin: Origin,
    pub country: Option<String>,
    /// Bans of this address in the whole archive.
    pub address_bans: i64,
}

/// Bans of one origin in one bucket.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct BucketCount {
    #[sqlx(try_from = "String")]
    pub origin: Origin,
    /// 1-based index of the bucket (`width_bucket`).
    pub bucket: i32,
    pub bans: i64,
}

/// Bans and distinct addresses of one group (a country, a jail).
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct GroupCount {
    pub key: Option<String>,
    pub bans: i64,
    pub addresses: i64,
}

/// All archived bans of one address, added up.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct AddressSummary {
    pub bans: i64,
    pub failures: i64,
    /// Matched log lines kept with its bans.
    pub matches: i64,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// The jails that banned it, by name.
    pub jails: Vec<String>,
}

/// An address and its bans in a window.
#[derive(Debug, Clone, sqlx::FromRow, Serialize, Deserialize)]
pub struct AddressCount {
    pub ip: IpNetwork,
    pub bans: i64,
    pub last_started_at: DateTime<Utc>,
    pub jails: Vec<String>,
    pub country: Option<String>,
}

impl Scope {
    fn origin(&self) -> Option<&'static str> {
        self.origin.map(Origin::as_str)
    }

    /// All of the scope in one string, to name what is cached of it.
    pub fn key(&self) -> String {
        format!(
            "{}:{}:{}",
            self.since.map_or(0, |s| s.timestamp_micros()),
            self.origin().unwrap_or("*"),
            self.jail.as_deref().unwrap_or("*")
        )
    }
}

/// Binds a [`Scope`] to `$1`–`$3` of a query written with [`scoped!`].
macro_rules! bind_scope {
    ($query:expr, $scope:expr) => {
        $query
            .bind($scope.since)
            .bind($scope.origin())
            .bind($scope.jail.as_deref())
    };
}

impl Database {
    /// The newest bans of the scope (of one country, with `country`), after skipping `offset`.
    pub async fn window_bans(
        &self,
        scope: &Scope,
        country: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<WindowBan>, StoreError> {
        Ok(bind_scope!(
            sqlx::query_as(concat!(
            "SELECT h.id, h.jail, h.ip, h.started_at, h.duration_secs, h.origin, g.country::text AS country, \
               coalesce(c.bans, 0) AS address_bans \
             FROM ban_history h LEFT JOIN geo_cache g ON g.ip = h.ip \
             LEFT JOIN address_ban_counts c ON c.ip = h.ip WHERE ",
            scoped!(),
            " AND ($4::text IS NULL OR g.country::text = $4) \
             ORDER BY h.started_at DESC, h.id DESC LIMIT $5 OFFSET $6"
        )),
            scope
        )
        .bind(country)
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?)
    }

    /// How many bans the scope holds.
    pub async fn window_count(&self, scope: &Scope) -> Result<i64, StoreError> {
        Ok(bind_scope!(
            sqlx::query_scalar(concat!(
                "SELECT count(*) FROM ban_history h WHERE ",
                scoped!()
            )),
            scope
        )
        .fetch_one(self.pool())
        .await?)
    }

    /// Bans per origin and bucket; `starts` are the buckets' starts, ascending. Empty buckets
    /// are not returned.
    pub async fn bucket_counts(
        &self,
        scope: &Scope,
        starts: &[DateTime<Utc>],
    ) -> Result<Vec<BucketCount>, StoreError> {
        Ok(bind_scope!(
            sqlx::query_as(concat!(
            "SELECT h.origin, width_bucket(h.started_at, $4::timestamptz[]) AS bucket, count(*) AS bans \
             FROM ban_history h WHERE ",
            scoped!(),
            " GROUP BY 1, 2"
        )),
            scope
        )
        .bind(starts)
        .fetch_all(self.pool())
        .await?)
    }

    /// Bans and distinct addresses per country (`None`: unresolved), most bans first.
    pub async fn country_counts(&self, scope: &Scope) -> Result<Vec<GroupCount>, StoreError> {
        Ok(bind_scope!(
            sqlx::query_as(concat!(
            "SELECT g.country::text AS key, count(*) AS bans, count(DISTINCT h.ip) AS addresses \
             FROM ban_history h LEFT JOIN geo_cache g ON g.ip = h.ip WHERE ",
            scoped!(),
            " GROUP BY 1 ORDER BY 2 DESC, 1"
        )),
            scope
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// Bans and distinct addresses per jail, most bans first.
    pub async fn jail_counts(&self, scope: &Scope) -> Result<Vec<GroupCount>, StoreError> {
        Ok(bind_scope!(
            sqlx::query_as(concat!(
                "SELECT h.jail AS key, count(*) AS bans, count(DISTINCT h.ip) AS addresses \
             FROM ban_history h WHERE ",
                scoped!(),
                " GROUP BY 1 ORDER BY 2 DESC, 1"
            )),
            scope
        )
        .fetch_all(self.pool())
        .await?)
    }

    /// The `limit` addresses with the most bans in the scope (ties: the most recent first).
    pub async fn top_addresses(
        &self,
        scope: &Scope,
        limit: i64,
    ) -> Result<Vec<AddressCount>, StoreError> {
        Ok(bind_scope!(
            sqlx::query_as(concat!(
            "SELECT h.ip, count(*) AS bans, max(h.started_at) AS last_started_at, \
               array_agg(DISTINCT h.jail ORDER BY h.jail) AS jails, min(g.country::text) AS country \
             FROM ban_history h LEFT JOIN geo_cache g ON g.ip = h.ip WHERE ",
            scoped!(),
            " GROUP BY h.ip ORDER BY 2 DESC, 3 DESC, 1 LIMIT $4"
        )),
            scope
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }

    /// A page of the archived bans of `ip`, newest first.
    pub async fn address_history(
        &self,
        ip: Network,
        limit: i64,
        offset: i64,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, jail, ip, started_at, duration_secs, ban_count, failures, matches, origin, unbanned_at, unbanned_by \
             FROM ban_history WHERE ip = $1 ORDER BY started_at DESC, id DESC LIMIT $2 OFFSET $3",
        )
        .bind(ip.net())
        .bind(limit)
        .bind(offset)
        .fetch_all(self.pool())
        .await?)
    }

    /// What all archived bans of `ip` add up to; `None` when the archive never saw it.
    pub async fn address_summary(&self, ip: Network) -> Result<Option<AddressSummary>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT count(*) AS bans, coalesce(sum(failures), 0)::bigint AS failures, \
               coalesce(sum(CASE WHEN jsonb_typeof(matches) = 'array' THEN jsonb_array_length(matches) ELSE 0 END), 0)::bigint AS matches, \
               min(started_at) AS first_seen, max(started_at) AS last_seen, \
               array_agg(DISTINCT jail ORDER BY jail) AS jails \
             FROM ban_history WHERE ip = $1 HAVING count(*) > 0",
        )
        .bind(ip.net())
        .fetch_optional(self.pool())
        .await?)
    }

    /// When the oldest archived ban started.
    pub async fn oldest_ban(&self) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT min(started_at) FROM ban_history")
                .fetch_one(self.pool())
                .await?,
        )
    }
}
