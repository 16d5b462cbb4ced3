//! No self-lockout: a ban (by hand, or from a blocklist) must not cover the address the caller
//! is connected from, a trusted proxy or load balancer in front of bangui, a loopback or
//! unspecified address, or anything the jail's own ignore list exempts; and no network may be
//! broader than the operator allows (`/8` for IPv4, `/32` for IPv6 unless configured). Such a
//! ban is refused before anything reaches fail2ban, with the reason.

use std::net::{IpAddr, Ipv6Addr};

use bangui_core::{JailName, Network};
use ipnetwork::IpNetwork;

use crate::{Runtime, RuntimeError, unknown_jail};

/// What no ban may cover, for the whole installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanPolicy {
    /// Trusted proxies and load balancers (`BANGUI_TRUSTED_PROXIES`).
    pub trusted: Vec<IpNetwork>,
    /// The shortest prefix a banned IPv4 network may have.
    pub broadest_v4: u8,
    /// The shortest prefix a banned IPv6 network may have.
    pub broadest_v6: u8,
}

impl Default for BanPolicy {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            broadest_v4: 8,
            broadest_v6: 32,
        }
    }
}

/// Why a ban would lock someone out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Lockout {
    /// Broader than the operator allows.
    TooBroad { prefix: u8, broadest: u8 },
    /// Covers a loopback or unspecified address: the host itself.
    Loopback,
    /// Covers the address the caller is connected from.
    Client,
    /// Covers a trusted proxy or load balancer (`BANGUI_TRUSTED_PROXIES`): every user behind
    /// it.
    TrustedProxy { network: String },
    /// Overlaps what the jail's ignore list exempts (`ignoreip`).
    Ignored { entry: String },
}

impl Lockout {
    /// The reason as a word (`too_broad`, `client`, …), for counts.
    pub fn reason(&self) -> &'static str {
        match self {
            Self::TooBroad { .. } => "too_broad",
            Self::Loopback => "loopback",
            Self::Client => "client",
            Self::TrustedProxy { .. } => "trusted_proxy",
            Self::Ignored { .. } => "ignored",
        }
    }
}

impl std::fmt::Display for Lockout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooBroad { prefix, broadest } => write!(
                f,
                "a /{prefix} network is broader than the /{broadest} this installation allows"
            ),
            Self::Loopback => {
                f.write_str("it covers a loopback or unspecified address: the host itself")
            }
            Self::Client => f.write_str("it covers the address you are connected from"),
            Self::TrustedProxy { network } => write!(
                f,
                "it covers a trusted proxy or load balancer in front of bangui ({network}): everyone behind it would be locked out"
            ),
            Self::Ignored { entry } => {
                write!(f, "the jail's ignore list exempts it ({entry})")
            }
        }
    }
}

/// Why a ban by hand was not made.
#[derive(Debug, thiserror::Error)]
pub enum BanError {
    #[error("not banned: {0}")]
    Lockout(Lockout),
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

fn nets_overlap(a: IpNetwork, b: IpNetwork) -> bool {
    a.is_ipv4() == b.is_ipv4() && (a.contains(b.network()) || b.contains(a.network()))
}

/// Whether `target` shares an address with `net`, an IPv4 `net` also in its IPv4-mapped IPv6
/// form (`::ffff:192.0.2.0/120`), which a broad IPv6 ban would cover.
fn overlaps(target: Network, net: IpNetwork) -> bool {
    let mapped = match net {
        IpNetwork::V4(v4) => {
            IpNetwork::new(IpAddr::V6(v4.network().to_ipv6_mapped()), v4.prefix() + 96).ok()
        }
        IpNetwork::V6(_) => None,
    };
    let net = IpNetwork::new(net.network(), net.prefix()).unwrap_or(net);
    nets_overlap(target.net(), net) || mapped.is_some_and(|m| nets_overlap(target.net(), m))
}

/// An `ignoreip` entry as a network (an address or a network; host names are not matched
/// here).
fn ignore_entry(entry: &str) -> Option<IpNetwork> {
    entry
        .parse::<IpNetwork>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNetwork::from))
        .ok()
}

/// The first lockout a ban of `target` would cause, apart from the jail's ignore list and
/// the caller's address: what an import checks too.
pub fn policy_lockout(target: Network, policy: &BanPolicy) -> Option<Lockout> {
    let broadest = if target.is_ipv4() {
        policy.broadest_v4
    } else {
        policy.broadest_v6
    };
    if target.prefix() < broadest {
        return Some(Lockout::TooBroad {
            prefix: target.prefix(),
            broadest,
        });
    }
    let host_itself = [
        IpNetwork::new(IpAddr::from([127, 0, 0, 0]), 8),
        IpNetwork::new(IpAddr::from([0, 0, 0, 0]), 32),
        IpNetwork::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 128),
        IpNetwork::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 128),
    ];
    if host_itself
        .into_iter()
        .flatten()
        .any(|net| overlaps(target, net))
    {
        return Some(Lockout::Loopback);
    }
    policy
        .trusted
        .iter()
        .find(|net| overlaps(target, **net))
        .map(|net| Lockout::TrustedProxy {
            network: net.to_string(),
        })
}

/// The lockouts a ban of `target` by a caller connected from `client` would cause, apart from
/// the jail's ignore list.
pub fn lockout_of(target: Network, client: IpAddr, policy: &BanPolicy) -> Option<Lockout> {
    if let Some(lockout) = policy_lockout(target, policy) {
        return Some(lockout);
    }
    overlaps(target, IpNetwork::from(client.to_canonical())).then_some(Lockout::Client)
}

/// The first entry of a jail's ignore list that `target` overlaps.
pub fn ignored_by(target: Network, ignoreip: &[String]) -> Option<Lockout> {
    ignoreip
        .iter()
        .find(|e| ignore_entry(e).is_some_and(|net| overlaps(target, net)))
        .map(|entry| Lockout::Ignored {
            entry: entry.clone(),
        })
}

/// What no ban in one jail may cover, apart from the caller's address: the installation's
/// [`BanPolicy`] and the jail's ignore list, read once for many entries (an import).
#[derive(Debug, Clone)]
pub struct JailLockouts {
    policy: BanPolicy,
    ignoreip: Vec<String>,
    client: Option<IpAddr>,
}

impl JailLockouts {
    /// Also refuses what covers `client` (whoever asked), if known.
    pub fn asked_from(mut self, client: Option<IpAddr>) -> Self {
        self.client = client;
        self
    }

    pub fn check(&self, target: Network) -> Option<Lockout> {
        match self.client {
            Some(client) => lockout_of(target, client, &self.policy),
            None => policy_lockout(target, &self.policy),
        }
        .or_else(|| ignored_by(target, &self.ignoreip))
    }
}

impl Runtime {
    /// The lockouts of bans in `jail` (its ignore list asked of fail2ban).
    pub async fn jail_lockouts(&self, jail: &JailName) -> Result<JailLockouts, RuntimeError> {
        let ignoreip = self
            .fail2ban()
            .ignore_ips(jail)
            .await
            .map_err(|e| unknown_jail(e, jail))?;
        Ok(JailLockouts {
            policy: self.settings().ban_policy.clone(),
            ignoreip,
            client: None,
        })
    }

    /// [`Runtime::jail_lockouts`] for a preview: without the ignore list when fail2ban cannot
    /// give it (or the jail does not run), rather than no preview.
    pub async fn preview_lockouts(&self, jail: &str) -> JailLockouts {
        let ignoreip = match JailName::parse(jail) {
            Ok(jail) => self.fail2ban().ignore_ips(&jail).await.unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        JailLockouts {
            policy: self.settings().ban_policy.clone(),
            ignoreip,
            client: None,
        }
    }

    /// [`Runtime::ban`] by hand, refused when it would lock someone out (see [`Lockout`]).
    pub async fn ban_by_hand(
        &self,
        jail: &JailName,
        target: Network,
        client: IpAddr,
    ) -> Result<bool, BanError> {
        // What needs no fail2ban first: refused even while it cannot be asked.
        if let Some(lockout) = lockout_of(target, client, &self.settings().ban_policy) {
            return Err(BanError::Lockout(lockout));
        }
        if let Some(lockout) = self.jail_lockouts(jail).await?.check(target) {
            return Err(BanError::Lockout(lockout));
        }
        Ok(self.ban(jail, target).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> Network {
        bangui_core::parse_network(s).unwrap()
    }

    #[test]
    fn lockouts_are_found() {
        let policy = BanPolicy {
            trusted: vec!["10.20.0.0/16".parse().unwrap()],
            ..BanPolicy::default()
        };
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let of = |s: &str| lockout_of(net(s), client, &policy).map(|l| l.reason());
        for (target, reason) in [
            ("127.0.0.1", Some("loopback")),
            ("127.0.0.0/8", Some("loopback")),
            ("::1", Some("loopback")),
            ("::ffff:127.0.0.2", Some("loopback")),
            ("0.0.0.0", Some("loopback")),
            ("::", Some("loopback")),
            ("0.0.0.0/0", Some("too_broad")),
            ("::/0", Some("too_broad")),
            ("10.0.0.0/7", Some("too_broad")),
            ("2001:db8::/31", Some("too_broad")),
            ("203.0.113.9", Some("client")),
            ("203.0.113.0/24", Some("client")),
            ("::ffff:203.0.113.9", Some("client")),
            ("10.20.3.4", Some("trusted_proxy")),
            ("10.0.0.0/8", Some("trusted_proxy")),
            ("10.20.3.0/24", Some("trusted_proxy")),
            ("198.51.100.1", None),
            ("198.51.100.0/24", None),
            ("11.0.0.0/8", None),
            ("2001:db8::/32", None),
        ] {
            assert_eq!(of(target), reason, "{target}");
        }
        // A client seen on a dual-stack socket.
        let mapped_client: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            lockout_of(net("203.0.113.9"), mapped_client, &policy),
            Some(Lockout::Client)
        );
        // An IPv6 network over the IPv4-mapped space covers IPv4 clients.
        let wide = BanPolicy {
            broadest_v6: 0,
            ..policy.clone()
        };
        assert_eq!(
            lockout_of(net("::fffe:0:0/95"), client, &wide).map(|l| l.reason()),
            Some("loopback")
        );
        let ignore = vec![
            "10.99.0.0/16".to_owned(),
            "192.0.2.7".to_owned(),
            "example.org".to_owned(),
        ];
        assert!(ignored_by(net("10.99.1.2"), &ignore).is_some());
        assert!(ignored_by(net("10.99.1.0/24"), &ignore).is_some());
        assert!(ignored_by(net("10.98.0.0/15"), &ignore).is_some());
        assert!(ignored_by(net("192.0.2.0/24"), &ignore).is_some());
        assert!(ignored_by(net("192.0.2.8"), &ignore).is_none());
    }
}
