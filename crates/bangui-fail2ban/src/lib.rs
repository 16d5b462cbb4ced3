//! Native async client for fail2ban's control socket.
//!
//! fail2ban speaks Python pickles over a Unix socket: one request is `pickle(list_of_args)`
//! followed by `<F2B_END_COMMAND>`, one answer is `pickle((0, value))` or
//! `pickle((1, exception))` followed by the same terminator. This crate has its own small pickle
//! codec ([`pickle`]) that keeps class references as data, so an `UnknownJailException` arrives
//! as [`ServerError::UnknownJail`] rather than as an undecodable blob; a transport ([`transport`])
//! that copes with fail2ban serving one command at a time with a listen backlog of 1; and a typed
//! [`Client`] over the commands bangui needs. [`database`] reads fail2ban's own SQLite file,
//! read-only, for the bans it keeps there. [`config`] reads fail2ban's configuration files as
//! fail2ban reads them.
//!
//! The wire facts here were verified against fail2ban 1.0.2 and 1.1.0 (the fixtures under
//! `tests/fixtures` are real answers).
#![forbid(unsafe_code)]

mod client;
pub mod config;
pub mod database;
mod error;
pub mod filter;
pub mod pickle;
pub mod protocol;
pub mod transport;
mod types;

pub use client::{BanTarget, Client, ClientBuilder};
pub use error::{Error, ServerError};
pub use pickle::Value;
pub use types::{
    BanTime, BantimeIncrement, Capabilities, JailFilter, JailStats, JailStatus, ServerSettings,
    ServerStatus, StatusFlavor,
};

/// Describes this crate's metrics (HELP and unit) to the installed recorder.
pub fn describe_metrics() {
    metrics::describe_histogram!(
        "bangui_fail2ban_command_duration_seconds",
        metrics::Unit::Seconds,
        "Time of one command on fail2ban's socket, connection included, by command word"
    );
}

/// Default path of fail2ban's control socket (Debian and upstream).
pub const DEFAULT_SOCKET: &str = "/var/run/fail2ban/fail2ban.sock";
