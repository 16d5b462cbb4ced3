//! What the dashboard, the map and the history page show of the ban archive: a range's bans,
//! their trend, their countries, jails and most banned addresses, and one address's timeline.
//!
//! Every answer covers the buckets of its range in the setup time zone ([`Window`]) and shows
//! its times in that zone. Whether an address is banned now comes from the shared ban lists
//! (no fail2ban command per request).

use std::collections::HashSet;
use std::sync::OnceLock;

use bangui_core::{
    AddressPrefix, BucketWidth, CountryCode, JailName, NamedCountry, Network, Origin, Page,
    TimeRange, TimeZoneName, Window,
};
use bangui_store::StoreError;
use bangui_store::analytics::{BucketCount, GroupCount, Scope, WindowBan};
use bangui_store::history::{HistoryEntry, HistoryFilter};
use chrono::{DateTime, FixedOffset, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{Runtime, RuntimeError};

/// Newest bans of a country that [`Runtime::bans_by_country`] lists with it.
pub const COUNTRY_BANS: i64 = 200;
/// Addresses [`Runtime::top_addresses`] ranks.
pub const TOP_ADDRESSES: i64 = 20;

/// What an aggregate is asked for.
#[derive(Debug, Clone)]
pub struct RangeQuery {
    pub range: TimeRange,
    pub origin: Option<Origin>,
    pub jail: Option<JailName>,
}

/// A ban of a range, as the dashboard lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RangeBan {
    pub id: i64,
    /// When the ban started, in the setup time zone.
    pub started_at: DateTime<FixedOffset>,
    pub ip: Network,
    pub jail: String,
    pub origin: Origin,
    /// Seconds; negative: for ever.
    pub duration_secs: i64,
    /// `null`: not resolved (no country database, or the address is not in it).
    pub country: Option<NamedCountry>,
    /// How many bans of this address the archive holds (more than one: a repeat offender).
    pub address_bans: i64,
    /// Whether the jail bans the address now; `null` when fail2ban cannot be asked.
    pub banned_now: Option<bool>,
}

/// Bans of one bucket, per origin and in total.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct TrendBucket {
    /// Where the bucket starts, in the setup time zone; it ends where the next one starts (the
    /// last one: now).
    pub start: DateTime<FixedOffset>,
    pub total: i64,
    pub auto: i64,
    pub manual: i64,
    pub blocklist: i64,
}

/// The bans of a range, bucket by bucket, oldest first; empty buckets are there with zeros.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Trend {
    pub range: TimeRange,
    pub width: BucketWidth,
    /// The setup time zone the buckets follow.
    pub time_zone: TimeZoneName,
    pub buckets: Vec<TrendBucket>,
}

/// Bans and distinct addresses of a country.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountryBans {
    /// `null`: the unresolved addresses.
    pub country: Option<NamedCountry>,
    pub bans: i64,
    pub addresses: i64,
}

/// Bans per country, most first, with a country's newest bans when one was asked for.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ByCountry {
    pub range: TimeRange,
    /// Since when, in the setup time zone.
    pub since: DateTime<FixedOffset>,
    pub countries: Vec<CountryBans>,
    /// The newest bans (at most 200) of the country asked for with `country`.
    pub bans: Option<Vec<RangeBan>>,
}

/// Bans and distinct addresses of a jail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct JailBans {
    pub jail: String,
    pub bans: i64,
    pub addresses: i64,
}

/// Bans per jail, most first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ByJail {
    pub range: TimeRange,
    pub since: DateTime<FixedOffset>,
    pub jails: Vec<JailBans>,
}

/// An address and its bans in a range.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressBans {
    pub ip: Network,
    pub bans: i64,
    pub last_seen: DateTime<FixedOffset>,
    /// The jails that banned it, by name.
    pub jails: Vec<String>,
    pub country: Option<NamedCountry>,
}

/// The addresses with the most bans in a range (at most 20), most first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TopAddresses {
    pub range: TimeRange,
    pub since: DateTime<FixedOffset>,
    pub addresses: Vec<AddressBans>,
}

/// An archived ban, every detail.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArchivedBan {
    pub id: i64,
    pub jail: String,
    pub ip: Network,
    /// In the setup time zone.
    pub started_at: DateTime<FixedOffset>,
    /// Seconds; negative: for ever.
    pub duration_secs: i64,
    /// fail2ban's count of this address's bans when it banned it.
    pub ban_count: i32,
    pub failures: i32,
    /// The log lines that led to the ban.
    pub matches: Vec<String>,
    pub origin: Origin,
    /// When it was lifted by hand or by a blocklist dropping the address.
    pub unbanned_at: Option<DateTime<FixedOffset>>,
    /// `session:…` or `blocklist`.
    pub unbanned_by: Option<String>,
}

/// Sums over an address's archived bans.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TimelineTotals {
    pub bans: i64,
    pub failures: i64,
    pub matches: i64,
}

/// Everything the archive knows about an address.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AddressTimeline {
    pub ip: Network,
    pub country: Option<NamedCountry>,
    pub first_seen: DateTime<FixedOffset>,
    pub last_seen: DateTime<FixedOffset>,
    pub totals: TimelineTotals,
    /// The jails banning it now; `null` when fail2ban cannot be asked.
    pub banned_in: Option<Vec<String>>,
    /// The page of `bans` (from 1) and its size; `totals.bans` says how many there are.
    pub page: u32,
    pub page_size: u32,
    /// A page of its bans, newest first.
    pub bans: Vec<ArchivedBan>,
}

/// The history list's filters.
#[derive(Debug, Clone, Default)]
pub struct HistoryQuery {
    pub ip: Option<Network>,
    pub prefix: Option<AddressPrefix>,
    pub jail: Option<JailName>,
    pub origin: Option<Origin>,
    pub range: Option<TimeRange>,
}

/// The setup time zone, read once per worker (it is chosen at setup and never changes).
#[derive(Debug, Default)]
pub(crate) struct SetupZone(OnceLock<TimeZoneName>);

impl Runtime {
    /// The time zone chosen at setup (UTC before setup).
    pub async fn time_zone(&self) -> Result<TimeZoneName, StoreError> {
        if let Some(tz) = self.0.time_zone.0.get() {
            return Ok(*tz);
        }
        let Some(setup) = self.db().setup().await? else {
            return Ok(TimeZoneName::UTC);
        };
        let tz = TimeZoneName::parse(&setup.timezone).unwrap_or(TimeZoneName::UTC);
        Ok(*self.0.time_zone.0.get_or_init(|| tz))
    }

    async fn window(&self, range: TimeRange) -> Result<(Window, TimeZoneName), StoreError> {
        let tz = self.time_zone().await?;
        let oldest = match range {
            TimeRange::All => self.db().oldest_ban().await?,
            _ => None,
        };
        Ok((Window::new(range, Utc::now(), tz.tz(), oldest), tz))
    }

    async fn scope(&self, query: &RangeQuery) -> Result<(Scope, Window, TimeZoneName), StoreError> {
        let (window, tz) = self.window(query.range).await?;
        let scope = Scope {
            since: Some(window.since()),
            origin: query.origin,
            jail: query.jail.as_ref().map(|j| j.as_str().to_owned()),
        };
        Ok((scope, window, tz))
    }

    /// A page of the range's bans, newest first, and how many there are.
    pub async fn range_bans(
        &self,
        query: &RangeQuery,
        page: Page,
    ) -> Result<(Vec<RangeBan>, i64), RuntimeError> {
        let (scope, _, tz) = self.scope(query).await?;
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let limit = i64::from(page.size.get());
        let (rows, total) = tokio::try_join!(
            async { Ok(self.db().window_bans(&scope, None, limit, offset).await?) },
            self.window_count(&scope)
        )?;
        Ok((self.range_bans_of(rows, tz).await, total))
    }

    /// How many bans `scope` holds (cached: a count of a year is a scan).
    async fn window_count(&self, scope: &Scope) -> Result<i64, RuntimeError> {
        let owned = scope.clone();
        self.aggregate(format!("count:{}", scope.key()), move |rt| async move {
            rt.db().window_count(&owned).await
        })
        .await
    }

    async fn range_bans_of(&self, rows: Vec<WindowBan>, tz: TimeZoneName) -> Vec<RangeBan> {
        let banned = self.banned_now(rows.iter().map(|r| r.jail.as_str())).await;
        rows.into_iter()
            .map(|r| {
                let ip = Network::from_net(r.ip);
                RangeBan {
                    banned_now: banned.as_ref().map(|b| b.contains(&(r.jail.clone(), ip))),
                    id: r.id,
                    started_at: local(r.started_at, tz),
                    ip,
                    jail: r.jail,
                    origin: r.origin,
                    duration_secs: r.duration_secs,
                    country: NamedCountry::of(r.country.as_deref()),
                    address_bans: r.address_bans,
                }
            })
            .collect()
    }

    /// The bans in force of `jails` as `(jail, address)`; `None` when fail2ban cannot be
    /// asked. A jail that does not run bans nothing.
    async fn banned_now<'a>(
        &self,
        jails: impl Iterator<Item = &'a str>,
    ) -> Option<HashSet<(String, Network)>> {
        let status = self.status().await.ok().filter(|s| s.snapshot.online)?;
        let now = bangui_store::now_ms();
        let mut banned = HashSet::new();
        let wanted: HashSet<&str> = jails.collect();
        for name in wanted {
            let Ok(jail) = JailName::parse(name) else {
                continue;
            };
            match self.ban_list_at(&status, &jail).await {
                Ok(list) => banned.extend(
                    list.active(now)
                        .filter_map(|e| bangui_core::parse_network(&e.ip).ok())
                        .map(|ip| (name.to_owned(), ip)),
                ),
                Err(RuntimeError::JailNotFound(_)) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cannot tell which archived bans are in force");
                    return None;
                }
            }
        }
        Some(banned)
    }

    /// The range's bans per bucket and origin.
    pub async fn ban_trend(&self, query: &RangeQuery) -> Result<Trend, RuntimeError> {
        let (scope, window, tz) = self.scope(query).await?;
        let starts = window.starts.clone();
        let name = format!("trend:{}:{}:{}", tz.name(), starts.len(), scope.key());
        let counts: Vec<BucketCount> = self
            .aggregate(name, move |rt| async move {
                rt.db().bucket_counts(&scope, &starts).await
            })
            .await?;
        let mut buckets: Vec<TrendBucket> = window
            .starts
            .iter()
            .map(|s| TrendBucket {
                start: local(*s, tz),
                ..TrendBucket::default()
            })
            .collect();
        for c in counts {
            // Bucket 0 holds what started before the first bucket: nothing, by the scope.
            let Some(bucket) = usize::try_from(c.bucket)
                .ok()
                .and_then(|i| i.checked_sub(1))
                .and_then(|i| buckets.get_mut(i))
            else {
                continue;
            };
            bucket.total += c.bans;
            match c.origin {
                Origin::Auto => bucket.auto += c.bans,
                Origin::Manual => bucket.manual += c.bans,
                Origin::Blocklist => bucket.blocklist += c.bans,
            }
        }
        Ok(Trend {
            range: query.range,
            width: window.width,
            time_zone: tz,
            buckets,
        })
    }

    /// Bans per country; with `country`, also that country's newest bans.
    pub async fn bans_by_country(
        &self,
        query: &RangeQuery,
        country: Option<CountryCode>,
    ) -> Result<ByCountry, RuntimeError> {
        let (scope, window, tz) = self.scope(query).await?;
        let owned = scope.clone();
        let countries = self
            .aggregate(format!("countries:{}", scope.key()), move |rt| async move {
                rt.db().country_counts(&owned).await
            })
            .await?
            .into_iter()
            .map(|g: GroupCount| CountryBans {
                country: NamedCountry::of(g.key.as_deref()),
                bans: g.bans,
                addresses: g.addresses,
            })
            .collect();
        let bans = match country {
            Some(code) => {
                // Cached (finding a rare country's newest bans can take a long walk); whether
                // each is in force is asked afresh.
                let name = format!("country-bans:{code}:{}", scope.key());
                let rows = self
                    .aggregate(name, move |rt| async move {
                        rt.db()
                            .window_bans(&scope, Some(code.as_str()), COUNTRY_BANS, 0)
                            .await
                    })
                    .await?;
                Some(self.range_bans_of(rows, tz).await)
            }
            None => None,
        };
        Ok(ByCountry {
            range: query.range,
            since: local(window.since(), tz),
            countries,
            bans,
        })
    }

    /// Bans per jail.
    pub async fn bans_by_jail(&self, query: &RangeQuery) -> Result<ByJail, RuntimeError> {
        let (scope, window, tz) = self.scope(query).await?;
        let jails = self
            .aggregate(format!("jails:{}", scope.key()), move |rt| async move {
                rt.db().jail_counts(&scope).await
            })
            .await?
            .into_iter()
            .map(|g| JailBans {
                jail: g.key.unwrap_or_default(),
                bans: g.bans,
                addresses: g.addresses,
            })
            .collect();
        Ok(ByJail {
            range: query.range,
            since: local(window.since(), tz),
            jails,
        })
    }

    /// The most banned addresses of the range.
    pub async fn top_addresses(&self, query: &RangeQuery) -> Result<TopAddresses, RuntimeError> {
        let (scope, window, tz) = self.scope(query).await?;
        let addresses = self
            .aggregate(format!("top:{}", scope.key()), move |rt| async move {
                rt.db().top_addresses(&scope, TOP_ADDRESSES).await
            })
            .await?
            .into_iter()
            .map(|a| AddressBans {
                ip: Network::from_net(a.ip),
                bans: a.bans,
                last_seen: local(a.last_started_at, tz),
                jails: a.jails,
                country: NamedCountry::of(a.country.as_deref()),
            })
            .collect();
        Ok(TopAddresses {
            range: query.range,
            since: local(window.since(), tz),
            addresses,
        })
    }

    /// The archive's timeline of `ip` with a page of its bans; `None` when it never saw the
    /// address.
    pub async fn address_timeline(
        &self,
        ip: Network,
        page: Page,
    ) -> Result<Option<AddressTimeline>, RuntimeError> {
        let tz = self.time_zone().await?;
        let offset = i64::try_from(page.offset()).unwrap_or(i64::MAX);
        let limit = i64::from(page.size.get());
        // Cached: a repeat offender can have thousands of bans to add up.
        let summary = self.aggregate(format!("address:{ip}"), move |rt| async move {
            rt.db().address_summary(ip).await
        });
        let (summary, entries, country) = tokio::try_join!(
            summary,
            async { Ok(self.db().address_history(ip, limit, offset).await?) },
            async { Ok(self.db().country(ip).await?) }
        )?;
        let Some(summary) = summary else {
            return Ok(None);
        };
        let banned_in = self
            .banned_now(summary.jails.iter().map(String::as_str))
            .await
            .map(|banned| {
                let mut in_force: Vec<String> = banned
                    .into_iter()
                    .filter(|(_, i)| *i == ip)
                    .map(|(jail, _)| jail)
                    .collect();
                in_force.sort();
                in_force
            });
        Ok(Some(AddressTimeline {
            ip,
            country: NamedCountry::of(country.and_then(|c| c.country).as_deref()),
            first_seen: local(summary.first_seen, tz),
            last_seen: local(summary.last_seen, tz),
            totals: TimelineTotals {
                bans: summary.bans,
                failures: summary.failures,
                matches: summary.matches,
            },
            banned_in,
            page: page.number.get(),
            page_size: page.size.get(),
            bans: entries.into_iter().map(|e| archived(e, tz)).collect(),
        }))
    }

    /// A page of the archive, newest first, and how many bans match.
    pub async fn history_page(
        &self,
        query: &HistoryQuery,
        page: Page,
    ) -> Result<(Vec<ArchivedBan>, i64), RuntimeError> {
        let tz = self.time_zone().await?;
        let since = match query.range {
            // `all` reaches back to the oldest ban: no bound.
            None | Some(TimeRange::All) => None,
            Some(range) => Some(Window::new(range, Utc::now(), tz.tz(), None).since()),
        };
        let filter = HistoryFilter {
            ip: query.ip,
            jail: query.jail.as_ref().map(|j| j.as_str().to_owned()),
            origin: query.origin,
            since,
            address_like: query.prefix.as_ref().map(AddressPrefix::like_pattern),
        };
        // Cached: a count of a year, or of a short prefix, is a scan. Without an address
        // filter, it is the dashboard's count of the same scope.
        let count = async {
            let scope = Scope {
                since: filter.since,
                origin: filter.origin,
                jail: filter.jail.clone(),
            };
            match (filter.ip, &filter.address_like) {
                (None, None) => self.window_count(&scope).await,
                (ip, like) => {
                    let name = format!(
                        "history-count:{}:{}:{}",
                        ip.map(|i| i.to_string()).unwrap_or_default(),
                        like.as_deref().unwrap_or_default(),
                        scope.key()
                    );
                    let filter = filter.clone();
                    self.aggregate(name, move |rt| async move {
                        rt.db().history_count(&filter).await
                    })
                    .await
                }
            }
        };
        let (entries, total) = tokio::try_join!(
            async { Ok(self.db().history_items(&filter, page).await?) },
            count
        )?;
        Ok((
            entries.into_iter().map(|e| archived(e, tz)).collect(),
            total,
        ))
    }
}

fn local(t: DateTime<Utc>, tz: TimeZoneName) -> DateTime<FixedOffset> {
    t.with_timezone(&tz.tz()).fixed_offset()
}

fn archived(e: HistoryEntry, tz: TimeZoneName) -> ArchivedBan {
    let matches = match e.matches {
        serde_json::Value::Array(lines) => lines
            .into_iter()
            .filter_map(|l| match l {
                serde_json::Value::String(line) => Some(line),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    ArchivedBan {
        id: e.id,
        jail: e.jail,
        ip: Network::from_net(e.ip),
        started_at: local(e.started_at, tz),
        duration_secs: e.duration_secs,
        ban_count: e.ban_count,
        failures: e.failures,
        matches,
        origin: e.origin,
        unbanned_at: e.unbanned_at.map(|t| local(t, tz)),
        unbanned_by: e.unbanned_by,
    }
}
