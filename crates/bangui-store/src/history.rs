//! The ban archive in PostgreSQL.

pub use bangui_core::Origin;
use bangui_core::{Network, Page};
use chrono::{DateTime, Utc};
use ipnetwork::IpNetwork;

use crate::{Database, StoreError};

/// A ban to archive.
#[derive(Debug, Clone)]
pub struct ArchivedBan {
    pub jail: String,
    /// An address, or a network banned as one.
    pub ip: Network,
    pub started_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub ban_count: i32,
    pub failures: i32,
    pub matches: serde_json::Value,
    /// `Manual` or `Auto`; an address a blocklist source of the jail lists is archived as
    /// `Blocklist` whatever this says.
    pub origin: Origin,
}

/// An archived ban.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryEntry {
    pub id: i64,
    pub jail: String,
    pub ip: IpNetwork,
    pub started_at: DateTime<Utc>,
    pub duration_secs: i64,
    pub ban_count: i32,
    pub failures: i32,
    pub matches: serde_json::Value,
    #[sqlx(try_from = "String")]
    pub origin: Origin,
    pub unbanned_at: Option<DateTime<Utc>>,
    pub unbanned_by: Option<String>,
}

/// Which archived bans to list.
#[derive(Debug, Clone, Default)]
pub struct HistoryFilter {
    pub ip: Option<Network>,
    pub jail: Option<String>,
    pub origin: Option<Origin>,
    pub since: Option<DateTime<Utc>>,
    /// A `LIKE` pattern the address (as text) must match.
    pub address_like: Option<String>,
}

/// The bans of a batch less those within the dedupe window of an earlier one of the same jail
/// and address (the query only compares against rows already stored).
fn distinct_bans(bans: &[ArchivedBan]) -> Vec<&ArchivedBan> {
    let mut sorted: Vec<&ArchivedBan> = bans.iter().collect();
    sorted.sort_by(|a, b| (&a.jail, a.ip, a.started_at).cmp(&(&b.jail, b.ip, b.started_at)));
    let mut kept: Vec<&ArchivedBan> = Vec::with_capacity(sorted.len());
    for ban in sorted {
        let same = kept.last().is_some_and(|k| {
            k.jail == ban.jail
                && k.ip == ban.ip
                && ban.started_at - k.started_at <= chrono::Duration::seconds(DEDUPE_SECS)
        });
        if !same {
            kept.push(ban);
        }
    }
    kept
}

/// The advisory lock key that serialises archive writes (any constant no other lock uses).
const ARCHIVE_WRITE_LOCK: i64 = 0x6261_6e67_7569_0001;

/// Two bans of one jail and address that start this close are one ban.
const DEDUPE_SECS: i64 = 2;

impl Database {
    /// Archives bans not archived yet, in one statement; returns how many were new. A ban
    /// counts as archived when a row of the same jail and address started within two seconds
    /// of it: bangui archives its own bans at once with its clock, fail2ban rounds to the
    /// second.
    pub async fn archive_bans(&self, bans: &[ArchivedBan]) -> Result<u64, StoreError> {
        let bans = distinct_bans(bans);
        if bans.is_empty() {
            return Ok(0);
        }
        let jails: Vec<&str> = bans.iter().map(|b| b.jail.as_str()).collect();
        let ips: Vec<IpNetwork> = bans.iter().map(|b| b.ip.net()).collect();
        let starts: Vec<DateTime<Utc>> = bans.iter().map(|b| b.started_at).collect();
        let durations: Vec<i64> = bans.iter().map(|b| b.duration_secs).collect();
        let counts: Vec<i32> = bans.iter().map(|b| b.ban_count).collect();
        let failures: Vec<i32> = bans.iter().map(|b| b.failures).collect();
        let matches: Vec<&serde_json::Value> = bans.iter().map(|b| &b.matches).collect();
        let origins: Vec<&str> = bans.iter().map(|b| b.origin.as_str()).collect();
        // One archive write at a time across the cluster: a ban made through bangui is archived
        // by its worker while another worker's sync copies fail2ban's row of it (a second
        // apart). Without the lock both see no neighbour and both insert.
        let mut tx = self.pool().begin().await?;
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(ARCHIVE_WRITE_LOCK)
            .execute(&mut *tx)
            .await?;
        let inserted = sqlx::query(
            "WITH incoming AS ( \
               SELECT DISTINCT ON (jail, ip, started_at) * FROM unnest($1::text[], $2::inet[], $3::timestamptz[], \
                 $4::bigint[], $5::int[], $6::int[], $7::jsonb[], $8::text[]) \
               AS t(jail, ip, started_at, duration_secs, ban_count, failures, matches, origin)) \
             INSERT INTO ban_history (jail, ip, started_at, duration_secs, ban_count, failures, matches, origin) \
             SELECT i.jail, i.ip, i.started_at, i.duration_secs, i.ban_count, i.failures, i.matches, \
               CASE WHEN EXISTS (SELECT 1 FROM blocklist_members m JOIN blocklist_sources s ON s.id = m.source_id \
                                 WHERE m.ip = i.ip AND s.jail = i.jail) THEN 'blocklist' ELSE i.origin END \
             FROM incoming i \
             WHERE NOT EXISTS (SELECT 1 FROM ban_history h WHERE h.jail = i.jail AND h.ip = i.ip \
                               AND h.started_at BETWEEN i.started_at - make_interval(secs => $9) \
                                                    AND i.started_at + make_interval(secs => $9)) \
             ON CONFLICT (jail, ip, started_at) DO NOTHING",
        )
        .bind(&jails)
        .bind(&ips)
        .bind(&starts)
        .bind(&durations)
        .bind(&counts)
        .bind(&failures)
        .bind(&matches)
        .bind(&origins)
        .bind(DEDUPE_SECS as f64)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(inserted.rows_affected())
    }

    /// Marks the bans of `ips` still in force (in `jail`, or in every jail) as lifted now.
    pub async fn mark_unbanned(
        &self,
        jail: Option<&str>,
        ips: &[Network],
        by: &str,
    ) -> Result<u64, StoreError> {
        let nets = crate::inets(ips);
        let updated = sqlx::query(
            "UPDATE ban_history SET unbanned_at = now(), unbanned_by = $3 \
             WHERE ip = ANY($1::inet[]) AND ($2::text IS NULL OR jail = $2) AND unbanned_at IS NULL \
             AND (duration_secs < 0 OR started_at + make_interval(secs => duration_secs) > now())",
        )
        .bind(&nets)
        .bind(jail)
        .bind(by)
        .execute(self.pool())
        .await?;
        Ok(updated.rows_affected())
    }

    /// Marks every ban still in force as lifted now (unban all).
    pub async fn mark_all_unbanned(&self, by: &str) -> Result<u64, StoreError> {
        let updated = sqlx::query(
            "UPDATE ban_history SET unbanned_at = now(), unbanned_by = $1 WHERE unbanned_at IS NULL \
             AND (duration_secs < 0 OR started_at + make_interval(secs => duration_secs) > now())",
        )
        .bind(by)
        .execute(self.pool())
        .await?;
        Ok(updated.rows_affected())
    }

    /// A page of the bans that match, newest first; `page` counts from 1.
    pub async fn history_items(
        &self,
        filter: &HistoryFilter,
        page: Page,
    ) -> Result<Vec<HistoryEntry>, StoreError> {
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        Ok(sqlx::query_as(
            "SELECT id, jail, ip, started_at, duration_secs, ban_count, failures, matches, origin, unbanned_at, unbanned_by \
             FROM ban_history WHERE ($1::inet IS NULL OR ip = $1) AND ($2::text IS NULL OR jail = $2) \
             AND ($3::text IS NULL OR origin = $3) AND ($4::timestamptz IS NULL OR started_at >= $4) \
             AND ($7::text IS NULL OR host(ip) LIKE $7) ORDER BY started_at DESC, id DESC LIMIT $5 OFFSET $6",
        )
        .bind(filter.ip.map(Network::net))
        .bind(filter.jail.as_deref())
        .bind(filter.origin.map(Origin::as_str))
        .bind(filter.since)
        .bind(i64::from(page.size.get()))
        .bind(offset)
        .bind(filter.address_like.as_deref())
        .fetch_all(self.pool())
        .await?)
    }

    /// How many bans match.
    pub async fn history_count(&self, filter: &HistoryFilter) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT count(*) FROM ban_history WHERE ($1::inet IS NULL OR ip = $1) AND ($2::text IS NULL OR jail = $2) \
             AND ($3::text IS NULL OR origin = $3) AND ($4::timestamptz IS NULL OR started_at >= $4) \
             AND ($5::text IS NULL OR host(ip) LIKE $5)",
        )
        .bind(filter.ip.map(Network::net))
        .bind(filter.jail.as_deref())
        .bind(filter.origin.map(Origin::as_str))
        .bind(filter.since)
        .bind(filter.address_like.as_deref())
        .fetch_one(self.pool())
        .await?)
    }

    /// Deletes archived bans that started before `before`; returns how many.
    pub async fn purge_history(&self, before: DateTime<Utc>) -> Result<u64, StoreError> {
        let deleted = sqlx::query("DELETE FROM ban_history WHERE started_at < $1")
            .bind(before)
            .execute(self.pool())
            .await?;
        Ok(deleted.rows_affected())
    }
}
