//! No self-lockout: a ban by hand must not cover the address the caller is connected from, a
//! trusted proxy or load balancer in front of bangui, a loopback or unspecified address, or an
//! address the jail's own ignore list exempts. Such a ban is refused before anything reaches
//! fail2ban, with the reason.

use std::net::IpAddr;

use bangui_core::JailName;
use ipnetwork::IpNetwork;

use crate::{Runtime, RuntimeError, unknown_jail};

/// Why a ban would lock someone out.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum Lockout {
    /// Loopback or unspecified: the host itself.
    Loopback,
    /// The address the caller is connected from.
    Client,
    /// A trusted proxy or load balancer (`BANGUI_TRUSTED_PROXIES`): every user behind it.
    TrustedProxy { network: String },
    /// The jail's ignore list exempts it (`ignoreip`).
    Ignored { entry: String },
}

impl std::fmt::Display for Lockout {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Loopback => {
                f.write_str("it is a loopback or unspecified address: the host itself")
            }
            Self::Client => f.write_str("it is the address you are connected from"),
            Self::TrustedProxy { network } => write!(
                f,
                "it is a trusted proxy or load balancer in front of bangui ({network}): everyone behind it would be locked out"
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

/// An `ignoreip` entry (an address or a network; host names are not matched here).
fn ignore_entry_covers(entry: &str, ip: IpAddr) -> bool {
    entry
        .parse::<IpNetwork>()
        .or_else(|_| entry.parse::<IpAddr>().map(IpNetwork::from))
        .is_ok_and(|net| net.contains(ip))
}

/// The lockouts a ban of `ip` would cause, apart from the jail's ignore list.
pub fn lockout_of(ip: IpAddr, client: IpAddr, trusted: &[IpNetwork]) -> Option<Lockout> {
    let unmapped = |ip: IpAddr| match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    };
    let (mapped, client) = (unmapped(ip), unmapped(client));
    if mapped.is_loopback() || mapped.is_unspecified() {
        return Some(Lockout::Loopback);
    }
    if mapped == client {
        return Some(Lockout::Client);
    }
    trusted
        .iter()
        .find(|net| net.contains(mapped))
        .map(|net| Lockout::TrustedProxy {
            network: net.to_string(),
        })
}

impl Runtime {
    /// [`Runtime::ban`] by hand, refused when it would lock someone out (see [`Lockout`]).
    pub async fn ban_by_hand(
        &self,
        jail: &JailName,
        ip: IpAddr,
        client: IpAddr,
        trusted: &[IpNetwork],
    ) -> Result<bool, BanError> {
        if let Some(lockout) = lockout_of(ip, client, trusted) {
            return Err(BanError::Lockout(lockout));
        }
        let ignored = self
            .fail2ban()
            .ignore_ips(jail)
            .await
            .map_err(|e| unknown_jail(e, jail))?;
        if let Some(entry) = ignored.into_iter().find(|e| ignore_entry_covers(e, ip)) {
            return Err(BanError::Lockout(Lockout::Ignored { entry }));
        }
        Ok(self.ban(jail, ip).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockouts_are_found() {
        let trusted: Vec<IpNetwork> = vec!["10.20.0.0/16".parse().unwrap()];
        let client: IpAddr = "203.0.113.9".parse().unwrap();
        let of = |ip: &str| lockout_of(ip.parse().unwrap(), client, &trusted);
        assert_eq!(of("127.0.0.1"), Some(Lockout::Loopback));
        assert_eq!(of("::1"), Some(Lockout::Loopback));
        assert_eq!(of("::ffff:127.0.0.2"), Some(Lockout::Loopback));
        assert_eq!(of("0.0.0.0"), Some(Lockout::Loopback));
        assert_eq!(of("203.0.113.9"), Some(Lockout::Client));
        assert_eq!(of("::ffff:203.0.113.9"), Some(Lockout::Client));
        // A client seen on a dual-stack socket.
        let mapped_client: IpAddr = "::ffff:203.0.113.9".parse().unwrap();
        assert_eq!(
            lockout_of("203.0.113.9".parse().unwrap(), mapped_client, &trusted),
            Some(Lockout::Client)
        );
        assert!(matches!(
            of("10.20.3.4"),
            Some(Lockout::TrustedProxy { .. })
        ));
        assert_eq!(of("198.51.100.1"), None);
        assert!(ignore_entry_covers(
            "10.99.0.0/16",
            "10.99.1.2".parse().unwrap()
        ));
        assert!(ignore_entry_covers(
            "192.0.2.7",
            "192.0.2.7".parse().unwrap()
        ));
        assert!(!ignore_entry_covers(
            "example.org",
            "192.0.2.7".parse().unwrap()
        ));
    }
}
