//! [`Event`]: what happened to fail2ban, announced to every open page at once.

use serde::{Deserialize, Serialize};

/// Something the UI should know about at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Ban {
        jail: String,
        ip: String,
    },
    Unban {
        jail: Option<String>,
        ip: String,
        count: u64,
    },
    UnbanAll {
        count: u64,
    },
    JailStarted {
        jail: String,
    },
    JailStopped {
        jail: String,
    },
    JailIdle {
        jail: String,
        idle: bool,
    },
    JailsReloaded {
        jail: Option<String>,
    },
    /// fail2ban's counters of a jail changed (its filter banned, or a ban expired).
    JailCounters {
        jail: String,
        currently_failed: u64,
        total_failed: u64,
        currently_banned: u64,
        total_banned: u64,
    },
    /// New bans reached the ban archive: what the dashboard, map and history show of it is
    /// out of date.
    ArchiveChanged {
        archived: u64,
    },
    Fail2banOnline {
        version: Option<String>,
    },
    Fail2banOffline {
        error: Option<String>,
    },
}
