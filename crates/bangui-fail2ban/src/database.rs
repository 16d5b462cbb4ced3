//! fail2ban's SQLite database, read-only: the bans it keeps (`bans` table).
//!
//! The file is fail2ban's: it is opened read-only, with short statements and a busy timeout
//! (fail2ban uses a rollback journal, so a long read would block its writes), never written.
//! Its `bans` table has one row per ban event; rows go after a day (`dbpurgeage`), and a manual
//! unban deletes the rows of what it lifts.

use std::path::Path;
use std::time::Duration;

use bangui_core::Network;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteRow};
use sqlx::{ConnectOptions, Connection, Row};

/// Addresses per statement when reading the rows of given addresses.
const ADDRESSES_PER_READ: usize = 500;

/// One row of the `bans` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanRecord {
    pub jail: String,
    /// An address, or a network banned as one.
    pub ip: Network,
    pub started_at: DateTime<Utc>,
    /// Seconds; negative: for ever.
    pub duration_secs: i64,
    pub ban_count: i32,
    pub failures: i32,
    /// The log lines that led to the ban.
    pub matches: Vec<String>,
}

impl BanRecord {
    /// A ban without failures or matched lines was made by hand (`banip`), not by the filter.
    pub fn is_manual(&self) -> bool {
        self.failures == 0 && self.matches.is_empty()
    }
}

/// Where a reader stopped: the last row read, in `(timeofban, rowid)` order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub timeofban: i64,
    pub rowid: i64,
}

/// Why fail2ban's database could not be read.
#[derive(Debug, thiserror::Error)]
#[error("fail2ban's database: {0}")]
pub struct DatabaseError(#[from] sqlx::Error);

/// An open, read-only connection to fail2ban's database.
#[derive(Debug)]
pub struct Fail2banDatabase {
    conn: SqliteConnection,
}

impl Fail2banDatabase {
    pub async fn open(path: &Path) -> Result<Self, DatabaseError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .read_only(true)
            .create_if_missing(false)
            // The file changes under us: never `immutable`.
            .busy_timeout(Duration::from_secs(2))
            .disable_statement_logging();
        Ok(Self {
            conn: options.connect().await?,
        })
    }

    /// Up to `limit` rows after `after`, oldest first, and the position of the last of them.
    pub async fn bans_after(
        &mut self,
        after: Position,
        limit: i64,
    ) -> Result<(Vec<BanRecord>, Option<Position>), DatabaseError> {
        let rows = sqlx::query(
            "SELECT rowid, jail, ip, timeofban, bantime, bancount, data FROM bans \
             WHERE timeofban > ?1 OR (timeofban = ?1 AND rowid > ?2) ORDER BY timeofban, rowid LIMIT ?3",
        )
        .bind(after.timeofban)
        .bind(after.rowid)
        .bind(limit)
        .fetch_all(&mut self.conn)
        .await?;
        let last = match rows.last() {
            Some(row) => Some(Position {
                timeofban: row.try_get("timeofban")?,
                rowid: row.try_get("rowid")?,
            }),
            None => None,
        };
        Ok((rows.iter().filter_map(record).collect(), last))
    }

    /// Every row of these addresses and networks (as fail2ban writes them: exactly, not rows
    /// of what a network contains).
    pub async fn bans_of(&mut self, ips: &[Network]) -> Result<Vec<BanRecord>, DatabaseError> {
        let mut records = Vec::new();
        for chunk in ips.chunks(ADDRESSES_PER_READ) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT rowid, jail, ip, timeofban, bantime, bancount, data FROM bans WHERE ip IN ({placeholders})"
            );
            // Only "?" placeholders are formatted in; the values are bound.
            let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
            for ip in chunk {
                query = query.bind(ip.to_string());
            }
            let rows = query.fetch_all(&mut self.conn).await?;
            records.extend(rows.iter().filter_map(record));
        }
        Ok(records)
    }

    pub async fn close(self) -> Result<(), DatabaseError> {
        Ok(self.conn.close().await?)
    }
}

/// A row as a record; `None` for a row too damaged to use. `data` is JSON stored as a BLOB
/// (`{"matches": [...], "failures": n}`), read leniently.
fn record(row: &SqliteRow) -> Option<BanRecord> {
    let ip = bangui_core::parse_network(&row.try_get::<String, _>("ip").ok()?).ok()?;
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
    let matches = match &data["matches"] {
        Value::Array(m) => m.iter().filter_map(match_line).collect(),
        _ => Vec::new(),
    };
    Some(BanRecord {
        jail: row.try_get("jail").ok()?,
        ip,
        started_at: DateTime::<Utc>::from_timestamp(started, 0)?,
        duration_secs: row.try_get("bantime").ok()?,
        ban_count: row.try_get::<i64, _>("bancount").ok().unwrap_or(1) as i32,
        failures: data["failures"].as_i64().unwrap_or(0) as i32,
        matches,
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

#[cfg(test)]
mod tests {
    use serde_json::json;

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
