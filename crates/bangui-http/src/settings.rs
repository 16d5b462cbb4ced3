//! [`HttpSettings`]: how a worker behaves, from `bangui serve`'s configuration.

use std::time::Duration;

use bangui_blocklist::FetchSettings;
use bangui_core::SessionMinutes;
use bangui_store::rate_limit::RateLimit;
use ipnetwork::IpNetwork;

#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// `Secure` flag on the session cookie (off only for plain-HTTP development).
    pub cookie_secure: bool,
    /// Peers whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpNetwork>,
    /// Login (and setup) attempts per client address.
    pub login_limit: RateLimit,
    /// All other API requests per client address.
    pub api_limit: RateLimit,
    /// Session length offered at setup when the request names none.
    pub default_session_minutes: SessionMinutes,
    /// Largest accepted request body.
    pub body_limit: usize,
    /// Limits of blocklist previews (the same as imports).
    pub blocklist_fetch: FetchSettings,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            cookie_secure: true,
            trusted_proxies: Vec::new(),
            login_limit: RateLimit::per(5, Duration::from_secs(60)),
            api_limit: RateLimit::per(600, Duration::from_secs(60)),
            default_session_minutes: SessionMinutes::new(60).unwrap_or_else(|_| unreachable!()),
            body_limit: 64 * 1024,
            blocklist_fetch: FetchSettings::default(),
        }
    }
}
