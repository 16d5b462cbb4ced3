//! Country of an address from a local `.mmdb` database: the GeoLite2 layout
//! (`country.iso_code`) or the ip-location-db layout (`country_code`). The file is reopened
//! when it changes (checked at most every few seconds), so an updated or newly added database
//! is used without restarting anything.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::RwLock;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

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

#[derive(Deserialize)]
struct Record<'a> {
    #[serde(borrow)]
    country: Option<Country<'a>>,
    country_code: Option<&'a str>,
}

#[derive(Deserialize)]
struct Country<'a> {
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

    /// ISO country codes of `ips` (`None`: not in the database, or no database).
    pub fn countries(&self, ips: &[IpAddr]) -> Vec<Option<String>> {
        self.refresh();
        let state = self
            .state
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let Some(reader) = state.reader.as_ref() else {
            return vec![None; ips.len()];
        };
        ips.iter().map(|ip| lookup(reader, *ip)).collect()
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

fn lookup(reader: &maxminddb::Reader<Vec<u8>>, ip: IpAddr) -> Option<String> {
    let record: Record<'_> = reader.lookup(ip).ok()?.decode().ok()??;
    let code = record
        .country_code
        .or_else(|| record.country.and_then(|c| c.iso_code))?;
    // Some databases mark unknown ranges with placeholders.
    (code.len() == 2 && code.bytes().all(|b| b.is_ascii_alphabetic()))
        .then(|| code.to_ascii_uppercase())
}
