//! Typed answers of the fail2ban commands bangui uses, and how to read them out of [`Value`]s.

use std::collections::BTreeMap;

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::pickle::Value;

/// `status`: the running jails, sorted by name as fail2ban sorts them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerStatus {
    pub jails: Vec<String>,
}

/// How much `status <jail>` should return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFlavor {
    /// Counters and files only: constant size, cheap to poll.
    Short,
    /// Also the list of banned addresses.
    Full,
}

/// `status <jail> [short]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JailStatus {
    pub currently_failed: u64,
    pub total_failed: u64,
    /// Watched log files (file-based backends).
    pub files: Vec<String>,
    /// Journal matches (systemd backend).
    pub journal_matches: Vec<String>,
    pub currently_banned: u64,
    pub total_banned: u64,
    /// Banned addresses, ordered by end of ban; `None` for [`StatusFlavor::Short`].
    pub banned: Option<Vec<String>>,
}

/// Counters of one jail, as `stats` (fail2ban ≥ 1.1) reports them for all jails at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct JailStats {
    /// `polling`, `pyinotify`, `systemd`…; unknown on fail2ban < 1.1 for file backends.
    pub backend: Option<String>,
    pub currently_failed: u64,
    pub total_failed: u64,
    pub currently_banned: u64,
    pub total_banned: u64,
}

/// What the connected fail2ban can do, detected once from its version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    pub version: String,
    /// `stats` and `status <jail> stats` exist (1.1+).
    pub stats: bool,
}

/// One entry of `get <jail> banip --with-time`.
///
/// fail2ban prints times in its own local time zone; they are kept as the wall-clock times it
/// printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BanTime {
    pub ip: String,
    pub start: NaiveDateTime,
    /// Seconds; `-1` for a permanent ban.
    pub duration_secs: i64,
    /// `None` for a permanent ban.
    pub expiry: Option<NaiveDateTime>,
}

/// The effective filter of a jail (its regexes after fail2ban expanded `<HOST>` and friends).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct JailFilter {
    pub failregex: Vec<String>,
    pub ignoreregex: Vec<String>,
    pub prefregex: Option<String>,
    pub datepattern: Option<String>,
    pub usedns: String,
    pub maxlines: i64,
    pub logencoding: String,
}

/// `bantime.*` options of a jail.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, utoipa::ToSchema)]
pub struct BantimeIncrement {
    pub increment: bool,
    pub factor: Option<String>,
    pub formula: Option<String>,
    pub multipliers: Option<String>,
    /// Seconds.
    pub maxtime: Option<i64>,
    /// Seconds.
    pub rndtime: Option<i64>,
    pub overalljails: Option<bool>,
}

/// Server-wide settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServerSettings {
    pub loglevel: String,
    pub logtarget: String,
    /// `None` when fail2ban runs without a database.
    pub dbfile: Option<String>,
    pub dbpurgeage: Option<i64>,
    pub dbmaxmatches: Option<i64>,
}

/// Reading typed values out of an answer; `None` means "not the shape we expected".
pub(crate) mod read {
    use super::*;

    /// Value of `key` in fail2ban's list of `(key, value)` pairs.
    pub fn field<'a>(pairs: &'a Value, key: &str) -> Option<&'a Value> {
        pairs
            .as_seq()?
            .iter()
            .find_map(|pair| match pair.as_seq()? {
                [k, v] if k.as_str() == Some(key) => Some(v),
                _ => None,
            })
    }

    pub fn count(v: &Value) -> Option<u64> {
        u64::try_from(v.as_i64()?).ok()
    }

    pub fn strings(v: &Value) -> Option<Vec<String>> {
        v.as_seq()?
            .iter()
            .map(|s| s.as_str().map(str::to_owned))
            .collect()
    }

    pub fn opt_string(v: &Value) -> Option<Option<String>> {
        match v {
            Value::None => Some(None),
            Value::Str(s) => Some(Some(s.clone())),
            _ => None,
        }
    }

    /// A string, or an int spelled as a string (`bantime.factor` comes back as configured).
    pub fn opt_text(v: &Value) -> Option<Option<String>> {
        match v {
            Value::Int(i) => Some(Some(i.to_string())),
            Value::Float(f) => Some(Some(f.to_string())),
            other => opt_string(other),
        }
    }

    pub fn opt_int(v: &Value) -> Option<Option<i64>> {
        match v {
            Value::None => Some(None),
            Value::Float(f) => Some(Some(*f as i64)),
            other => other.as_i64().map(Some),
        }
    }

    pub fn server_status(v: &Value) -> Option<ServerStatus> {
        let list = field(v, "Jail list")?.as_str()?;
        let jails = list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect();
        Some(ServerStatus { jails })
    }

    pub fn jail_status(v: &Value, flavor: StatusFlavor) -> Option<JailStatus> {
        let filter = field(v, "Filter")?;
        let actions = field(v, "Actions")?;
        let files = field(filter, "File list").map_or(Some(Vec::new()), strings)?;
        let journal_matches = match field(filter, "Journal matches") {
            // fail2ban lists journal matches as lists of words.
            Some(m) => m
                .as_seq()?
                .iter()
                .map(|x| {
                    x.as_str()
                        .map(str::to_owned)
                        .or_else(|| Some(strings(x)?.join(" ")))
                })
                .collect::<Option<_>>()?,
            None => Vec::new(),
        };
        let banned = match flavor {
            StatusFlavor::Short => None,
            StatusFlavor::Full => Some(strings(field(actions, "Banned IP list")?)?),
        };
        Some(JailStatus {
            currently_failed: count(field(filter, "Currently failed")?)?,
            total_failed: count(field(filter, "Total failed")?)?,
            files,
            journal_matches,
            currently_banned: count(field(actions, "Currently banned")?)?,
            total_banned: count(field(actions, "Total banned")?)?,
            banned,
        })
    }

    /// `[backend, (failed_now, failed_total), (banned_now, banned_total)]` (fail2ban ≥ 1.1).
    pub fn jail_stats(v: &Value) -> Option<JailStats> {
        let [backend, failed, banned] = v.as_seq()? else {
            return None;
        };
        let [failed_now, failed_total] = failed.as_seq()? else {
            return None;
        };
        let [banned_now, banned_total] = banned.as_seq()? else {
            return None;
        };
        Some(JailStats {
            backend: backend.as_str().map(str::to_owned),
            currently_failed: count(failed_now)?,
            total_failed: count(failed_total)?,
            currently_banned: count(banned_now)?,
            total_banned: count(banned_total)?,
        })
    }

    pub fn stats(v: &Value) -> Option<BTreeMap<String, JailStats>> {
        let Value::Dict(items) = v else { return None };
        items
            .iter()
            .map(|(k, v)| Some((k.as_str()?.to_owned(), jail_stats(v)?)))
            .collect()
    }

    /// `banned`: `[{jail: [ip…]}, …]`.
    pub fn banned_everywhere(v: &Value) -> Option<BTreeMap<String, Vec<String>>> {
        let mut out = BTreeMap::new();
        for entry in v.as_seq()? {
            let Value::Dict(items) = entry else {
                return None;
            };
            for (jail, ips) in items {
                out.insert(jail.as_str()?.to_owned(), strings(ips)?);
            }
        }
        Some(out)
    }

    /// `IP \t2026-11-27 16:32:45 + 600 = 2026-11-27 16:42:45`; permanent bans end in
    /// `+ -1 = 9999-12-31 23:59:59`.
    pub fn ban_time(line: &str) -> Option<BanTime> {
        const FORMAT: &str = "%Y-%m-%d %H:%M:%S";
        let (ip, rest) = line.split_once(" \t")?;
        let (start, rest) = rest.split_once(" + ")?;
        let (duration, end) = rest.split_once(" = ")?;
        let duration_secs: i64 = duration.trim().parse().ok()?;
        let start = NaiveDateTime::parse_from_str(start.trim(), FORMAT).ok()?;
        // fail2ban prints the end from its own float sum, truncated to the second: it can be a
        // second off `start + duration` (the flaky 601 s of a 600 s ban). The start and the
        // duration are what it keeps; the end follows from them.
        NaiveDateTime::parse_from_str(end.trim(), FORMAT).ok()?;
        let expiry = (duration_secs >= 0)
            .then(|| start.checked_add_signed(chrono::Duration::seconds(duration_secs)))
            .flatten();
        Some(BanTime {
            ip: ip.trim().to_owned(),
            start,
            duration_secs,
            expiry,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::read::*;
    use super::*;

    fn pair(k: &str, v: Value) -> Value {
        Value::Tuple(vec![Value::str(k), v])
    }

    #[test]
    fn reads_status_with_journal_matches() {
        let status = Value::List(vec![
            pair(
                "Filter",
                Value::List(vec![
                    pair("Currently failed", Value::Int(1)),
                    pair("Total failed", Value::Int(7)),
                    pair(
                        "Journal matches",
                        Value::List(vec![Value::List(vec![
                            Value::str("_SYSTEMD_UNIT=sshd.service"),
                            Value::str("+"),
                        ])]),
                    ),
                ]),
            ),
            pair(
                "Actions",
                Value::List(vec![
                    pair("Currently banned", Value::Int(0)),
                    pair("Total banned", Value::Int(2)),
                    pair("Banned IP list", Value::List(vec![])),
                ]),
            ),
        ]);
        let s = jail_status(&status, StatusFlavor::Full).unwrap();
        assert_eq!(s.journal_matches, vec!["_SYSTEMD_UNIT=sshd.service +"]);
        assert!(s.files.is_empty());
        assert_eq!(
            (s.currently_failed, s.total_failed, s.total_banned),
            (1, 7, 2)
        );
        assert_eq!(s.banned, Some(vec![]));
    }

    #[test]
    fn reads_stats_of_fail2ban_1_1() {
        // {'test': ['polling', (0, 0), (2, 2)]}
        let v = Value::Dict(vec![(
            Value::str("test"),
            Value::List(vec![
                Value::str("polling"),
                Value::Tuple(vec![Value::Int(0), Value::Int(3)]),
                Value::Tuple(vec![Value::Int(2), Value::Int(5)]),
            ]),
        )]);
        let stats = stats(&v).unwrap();
        assert_eq!(
            stats["test"],
            JailStats {
                backend: Some("polling".into()),
                currently_failed: 0,
                total_failed: 3,
                currently_banned: 2,
                total_banned: 5
            }
        );
    }

    #[test]
    fn reads_ban_times_including_permanent_ones() {
        let t = ban_time("2001:db8::5 \t2026-11-27 16:32:45 + 600 = 2026-11-27 16:42:45").unwrap();
        assert_eq!(t.ip, "2001:db8::5");
        assert_eq!(t.duration_secs, 600);
        assert_eq!(t.expiry.unwrap() - t.start, chrono::Duration::seconds(600));
        // The end fail2ban prints a second late after its float rounding.
        let late = ban_time("192.0.2.1 \t2026-11-27 16:32:45 + 600 = 2026-11-27 16:42:46").unwrap();
        assert_eq!(
            late.expiry.unwrap() - late.start,
            chrono::Duration::seconds(600)
        );
        let p = ban_time("192.0.2.1 \t2026-11-27 16:32:45 + -1 = 9999-12-31 23:59:59").unwrap();
        assert_eq!((p.duration_secs, p.expiry), (-1, None));
        assert!(ban_time("192.0.2.1").is_none());
        assert!(ban_time("192.0.2.1 \tyesterday + 1 = today").is_none());
    }
}
