//! Country of an address from a local `.mmdb` database: the GeoLite2 layout
//! (`country.iso_code`) or the ip-location-db layout (`country_code`). The file is reopened
//! when it changes (checked at most every few seconds), so an updated or newly added database
//! is used without restarting anything.

use std::net::IpAddr;

use bangui_core::Network;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use bangui_store::StoreError;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::Runtime;

const RECHECK: Duration = Duration::from_secs(5);

/// The country database of this worker (absent when not configured or not there yet).
#[derive(Debug)]
pub struct GeoDb {
    path: Option<PathBuf>,
    state: RwLock<State>,
}

#[derive(Debug, Default)]
struct State {
    reader: Option<maxminddb::Reader<Vec<u8>>>,
    /// (modified, length) of the file the reader was opened from.
    version: Option<(SystemTime, u64)>,
    checked: Option<Instant>,
}

/// A database record in either layout.
#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<IsoCountry<'a>>,
    country_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct IsoCountry<'a> {
    iso_code: Option<&'a str>,
}

impl GeoDb {
    pub fn new(path: Option<PathBuf>) -> Self {
        Self {
            path,
            state: RwLock::new(State::default()),
        }
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// ISO country codes of `ips` (`None`: not in the database, or no database); a network's
    /// is its first address's.
    pub fn countries(&self, ips: &[Network]) -> Vec<Option<String>> {
        self.refresh();
        let state = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(reader) = state.reader.as_ref() else {
            return vec![None; ips.len()];
        };
        ips.iter().map(|ip| lookup(reader, ip.first())).collect()
    }

    /// Whether a database is loaded.
    pub fn available(&self) -> bool {
        self.refresh();
        self.state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .reader
            .is_some()
    }

    /// Looks at the file now rather than within a few seconds (a re-resolve asked for it).
    pub fn check_now(&self) {
        self.state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .checked = None;
        self.refresh();
    }

    /// Reopens the file when it appeared, changed or went away.
    fn refresh(&self) {
        let Some(path) = &self.path else { return };
        {
            let state = self
                .state
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if state.checked.is_some_and(|c| c.elapsed() < RECHECK) {
                return;
            }
        }
        let mut state = self
            .state
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        state.checked = Some(Instant::now());
        let version = std::fs::metadata(path)
            .ok()
            .map(|m| (m.modified().unwrap_or(SystemTime::UNIX_EPOCH), m.len()));
        if version == state.version {
            return;
        }
        state.version = version;
        state.reader = match version {
            None => None,
            Some(_) => match maxminddb::Reader::open_readfile(path) {
                Ok(reader) => {
                    tracing::info!(path = %path.display(), "country database loaded");
                    Some(reader)
                }
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot open the country database");
                    None
                }
            },
        };
    }
}

/// Answers per statement when storing countries.
const STORED_PER_STATEMENT: usize = 10_000;

/// Where a country answer comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CountrySource {
    /// The country database.
    Mmdb,
    /// No database was available: the address stays unresolved until a re-resolve.
    None,
}

impl CountrySource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Mmdb => "mmdb",
            Self::None => "none",
        }
    }

    fn parse(s: &str) -> Self {
        if s == "mmdb" { Self::Mmdb } else { Self::None }
    }
}

/// An address's country as bangui knows it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Country {
    /// ISO 3166 code; `null`: unknown.
    pub country: Option<String>,
    pub source: CountrySource,
    /// When it was stored; `null` for a live lookup (reads do not write).
    pub resolved_at: Option<DateTime<Utc>>,
    /// From the cache rather than looked up now.
    pub cached: bool,
}

impl Runtime {
    /// The cached country of `ip`, or a live lookup when it is not cached yet (not stored:
    /// reads do not write).
    pub async fn country(&self, ip: Network) -> Result<Country, StoreError> {
        if let Some(entry) = self.db().country(ip).await? {
            return Ok(Country {
                country: entry.country,
                source: CountrySource::parse(&entry.source),
                resolved_at: Some(entry.resolved_at),
                cached: true,
            });
        }
        let geo = self.geo();
        Ok(Country {
            country: geo.countries(&[ip]).pop().flatten(),
            source: if geo.available() {
                CountrySource::Mmdb
            } else {
                CountrySource::None
            },
            resolved_at: None,
            cached: false,
        })
    }

    /// Looks the addresses up and stores the answers: `(resolved, unresolved)`.
    pub async fn resolve_countries(&self, ips: &[Network]) -> Result<(usize, usize), StoreError> {
        let geo = self.geo();
        let source = if geo.available() {
            CountrySource::Mmdb
        } else {
            CountrySource::None
        };
        let countries = geo.countries(ips);
        let resolved = countries.iter().filter(|c| c.is_some()).count();
        let answers: Vec<(Network, Option<String>)> = ips.iter().copied().zip(countries).collect();
        for chunk in answers.chunks(STORED_PER_STATEMENT) {
            self.db().store_countries(chunk, source.as_str()).await?;
        }
        if !ips.is_empty() {
            // The per-country figures of the archive follow its addresses' countries.
            self.archive_changed().await;
        }
        Ok((resolved, ips.len() - resolved))
    }
}

fn lookup(reader: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<String> {
    let record: Record<'_> = reader.lookup(ip).ok()?.decode().ok()??;
    let code = record
        .country_code
        .or_else(|| record.country.and_then(|c| c.iso_code))?;
    // Some databases mark unknown ranges with placeholders.
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}
