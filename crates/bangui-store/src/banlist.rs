//! Ban lists of jails, cached in Redis so that paging through 100,000 bans does not ask
//! fail2ban each time (its `get <jail> banip --with-time` holds the socket for half a second).
//!
//! Two keys per jail: a small header (generation, counters, size) that workers check on every
//! request, and the body, which repeats the header in its first line so that a reader never
//! pairs a header with another generation's entries.

use serde::{Deserialize, Serialize};

use crate::{RedisStore, StoreError};

/// One ban of a jail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BanEntry {
    pub ip: String,
    pub start_ms: i64,
    /// Seconds; `-1` for a permanent ban.
    pub duration_secs: i64,
    /// `None` for a permanent ban.
    pub expiry_ms: Option<i64>,
}

/// What a cached list was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanListHeader {
    /// Changes with every stored list.
    pub generation: i64,
    pub taken_at_ms: i64,
    /// The jail's counters when the list was taken: if fail2ban's counters still match, the
    /// list is still right (a new ban raises the total, a lifted one lowers the current count).
    pub currently_banned: u64,
    pub total_banned: u64,
    pub len: usize,
}

impl RedisStore {
    fn ban_list_keys(&self, jail: &str) -> (String, String) {
        (
            self.key(&format!("banlist:{jail}:header")),
            self.key(&format!("banlist:{jail}:body")),
        )
    }

    pub async fn ban_list_header(&self, jail: &str) -> Result<Option<BanListHeader>, StoreError> {
        let (header_key, _) = self.ban_list_keys(jail);
        let raw: Option<String> = self
            .query("banlist_header", redis::cmd("GET").arg(&header_key))
            .await?;
        raw.map(|r| serde_json::from_str(&r).map_err(StoreError::from))
            .transpose()
    }

    /// The cached list with the header it was stored with.
    pub async fn ban_list(
        &self,
        jail: &str,
    ) -> Result<Option<(BanListHeader, Vec<BanEntry>)>, StoreError> {
        let (_, body_key) = self.ban_list_keys(jail);
        let raw: Option<String> = self
            .query("banlist_body", redis::cmd("GET").arg(&body_key))
            .await?;
        raw.map(|r| decode(&r)).transpose()
    }

    /// Stores a list and its header together (MULTI/EXEC).
    pub async fn put_ban_list(
        &self,
        jail: &str,
        header: &BanListHeader,
        entries: &[BanEntry],
    ) -> Result<(), StoreError> {
        let (header_key, body_key) = self.ban_list_keys(jail);
        let header_json = serde_json::to_string(header)?;
        let body = encode(&header_json, entries);
        let mut pipe = redis::pipe();
        pipe.atomic()
            .cmd("SET")
            .arg(&body_key)
            .arg(body)
            .ignore()
            .cmd("SET")
            .arg(&header_key)
            .arg(&header_json)
            .ignore();
        self.run_pipeline::<()>("banlist_put", &pipe).await
    }

    /// Forgets the cached list of a jail (it was stopped, or the cache must be rebuilt).
    pub async fn drop_ban_list(&self, jail: &str) -> Result<(), StoreError> {
        let (header_key, body_key) = self.ban_list_keys(jail);
        self.query::<()>(
            "banlist_drop",
            redis::cmd("DEL").arg(&header_key).arg(&body_key),
        )
        .await
    }
}

fn encode(header_json: &str, entries: &[BanEntry]) -> String {
    let mut out = String::with_capacity(header_json.len() + 1 + entries.len() * 40);
    out.push_str(header_json);
    out.push('\n');
    for e in entries {
        use std::fmt::Write as _;
        let expiry = e
            .expiry_ms
            .map_or_else(|| "-".to_owned(), |x| x.to_string());
        let _ = writeln!(
            out,
            "{}\t{}\t{}\t{expiry}",
            e.ip, e.start_ms, e.duration_secs
        );
    }
    out
}

fn decode(raw: &str) -> Result<(BanListHeader, Vec<BanEntry>), StoreError> {
    let corrupt = || StoreError::Internal("corrupt cached ban list".into());
    let mut lines = raw.lines();
    let header: BanListHeader = serde_json::from_str(lines.next().ok_or_else(corrupt)?)?;
    let mut entries = Vec::with_capacity(header.len);
    for line in lines {
        let mut f = line.split('\t');
        let (Some(ip), Some(start), Some(duration), Some(expiry)) =
            (f.next(), f.next(), f.next(), f.next())
        else {
            return Err(corrupt());
        };
        entries.push(BanEntry {
            ip: ip.to_owned(),
            start_ms: start.parse().map_err(|_| corrupt())?,
            duration_secs: duration.parse().map_err(|_| corrupt())?,
            expiry_ms: if expiry == "-" {
                None
            } else {
                Some(expiry.parse().map_err(|_| corrupt())?)
            },
        });
    }
    Ok((header, entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_round_trip() {
        let header = BanListHeader {
            generation: 7,
            taken_at_ms: 9,
            currently_banned: 2,
            total_banned: 3,
            len: 2,
        };
        let entries = vec![
            BanEntry {
                ip: "192.0.2.1".into(),
                start_ms: 1000,
                duration_secs: 600,
                expiry_ms: Some(601_000),
            },
            BanEntry {
                ip: "2001:db8::1".into(),
                start_ms: 2000,
                duration_secs: -1,
                expiry_ms: None,
            },
        ];
        let raw = encode(&serde_json::to_string(&header).unwrap(), &entries);
        assert_eq!(decode(&raw).unwrap(), (header, entries));
        assert!(decode("{}\n").is_err());
        assert!(decode("").is_err());
    }
}
