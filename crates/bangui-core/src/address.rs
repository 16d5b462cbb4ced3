//! IP addresses and networks from user input, strictly: what reaches fail2ban is exactly one
//! address (or network), in canonical form.

use std::fmt;
use std::net::IpAddr;

use ipnetwork::IpNetwork;
use serde::{Serialize, Serializer};

use crate::input::InputKind;

/// Longest text accepted as an address or network (a full IPv6 network is 43 characters).
const MAX_LEN: usize = 64;

/// Why a text is not an address (or network).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("an IP address is required")]
    Empty,
    #[error("longer than {MAX_LEN} characters: not an IP address")]
    TooLong,
    #[error("a single IP address is expected, not a network")]
    Network,
    #[error("{0:?} is not an IPv4 or IPv6 address")]
    NotAnAddress(String),
    #[error("{0:?} is not an IPv4 or IPv6 address or network (CIDR)")]
    NotANetwork(String),
    #[error("{given} has host bits set: the network is {canonical}")]
    HostBits { given: String, canonical: String },
}

impl crate::input::Correction for AddressError {
    fn correction(&self) -> Option<(&'static str, String)> {
        match self {
            Self::HostBits { canonical, .. } => Some(("canonical", canonical.clone())),
            _ => None,
        }
    }
}

fn checked(s: &str) -> Result<&str, AddressError> {
    if s.is_empty() {
        return Err(AddressError::Empty);
    }
    if s.len() > MAX_LEN {
        return Err(AddressError::TooLong);
    }
    Ok(s)
}

/// One IPv4 or IPv6 address, nothing around it: no blanks, brackets, zone, port or prefix.
/// IPv4-mapped IPv6 (`::ffff:192.0.2.1`) becomes the IPv4 address it maps, as fail2ban sees
/// the connection.
pub fn parse_address(s: &str) -> Result<IpAddr, AddressError> {
    let s = checked(s)?;
    if s.contains('/') && matches!(parse_network(s), Ok(_) | Err(AddressError::HostBits { .. })) {
        return Err(AddressError::Network);
    }
    s.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| AddressError::NotAnAddress(s.to_owned()))
}

/// An address or a network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`), in canonical
/// form: a prefix with host bits set (`192.0.2.7/24`) is refused, with the network it meant.
pub fn parse_network(s: &str) -> Result<Network, AddressError> {
    let s = checked(s)?;
    let Some((addr, prefix)) = s.split_once('/') else {
        return s
            .parse::<IpAddr>()
            .map(Network::host)
            .map_err(|_| AddressError::NotANetwork(s.to_owned()));
    };
    let bad = || AddressError::NotANetwork(s.to_owned());
    let addr = addr.parse::<IpAddr>().map_err(|_| bad())?;
    // Digits only: "+8", " 8" or "08" are not prefixes.
    if prefix.is_empty()
        || prefix.len() > 3
        || !prefix.bytes().all(|b| b.is_ascii_digit())
        || (prefix.len() > 1 && prefix.starts_with('0'))
    {
        return Err(bad());
    }
    let prefix: u8 = prefix.parse().map_err(|_| bad())?;
    let net = IpNetwork::new(addr, prefix).map_err(|_| bad())?;
    let canonical = Network::from_net(net);
    if canonical.0.ip() != canonical.0.network() {
        return Err(AddressError::HostBits {
            given: s.to_owned(),
            canonical: Network::from_net(IpNetwork::new(net.network(), prefix).map_err(|_| bad())?)
                .to_string(),
        });
    }
    Ok(canonical)
}

/// One IP address, as [`parse_address`] accepts it: the form every address takes in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Address(pub IpAddr);

impl Address {
    pub fn ip(self) -> IpAddr {
        self.0
    }
}

impl From<IpAddr> for Address {
    fn from(ip: IpAddr) -> Self {
        Self(ip.to_canonical())
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

crate::deserialize_from_str!(Address, InputKind::Address, |s| parse_address(s)
    .map(Address));

crate::string_schema!(
    Address,
    "One IPv4 or IPv6 address, nothing around it (no prefix, port, zone or brackets).",
    max_length = MAX_LEN,
    example = "192.0.2.7"
);

/// An address or a network, as [`parse_network`] accepts it: what fail2ban bans. An address is
/// the network of one address (/32, /128) and is written without a prefix, as fail2ban writes
/// it; an IPv4-mapped IPv6 address or network is the IPv4 one it maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Network(IpNetwork);

impl Network {
    /// The network of one address.
    pub fn host(ip: IpAddr) -> Self {
        Self(IpNetwork::from(ip.to_canonical()))
    }

    /// `net` as it stands (host bits and all), unmapped from IPv4-mapped IPv6.
    pub fn from_net(net: IpNetwork) -> Self {
        match net {
            IpNetwork::V6(v6) if v6.prefix() >= 96 => match v6.ip().to_ipv4_mapped() {
                Some(v4) => Self(
                    IpNetwork::new(IpAddr::V4(v4), v6.prefix() - 96)
                        .expect("a prefix of at most 32"),
                ),
                None => Self(net),
            },
            _ => Self(net),
        }
    }

    pub fn net(self) -> IpNetwork {
        self.0
    }

    /// The first address (the only one, for an address).
    pub fn first(self) -> IpAddr {
        self.0.network()
    }

    pub fn prefix(self) -> u8 {
        self.0.prefix()
    }

    /// One address, not a wider network.
    pub fn is_host(self) -> bool {
        self.0.prefix() == if self.0.is_ipv4() { 32 } else { 128 }
    }

    pub fn is_ipv4(self) -> bool {
        self.0.is_ipv4()
    }

    pub fn contains(self, ip: IpAddr) -> bool {
        self.0.contains(ip.to_canonical())
    }

    /// Whether `other` lies wholly inside this network (or is it).
    pub fn covers(self, other: Network) -> bool {
        self.0.prefix() <= other.0.prefix() && self.0.contains(other.0.network())
    }

    /// Whether the two share an address.
    pub fn overlaps(self, other: Network) -> bool {
        self.covers(other) || other.covers(self)
    }

    /// The address when it is one, for APIs that take addresses only.
    pub fn as_host(self) -> Option<IpAddr> {
        self.is_host().then(|| self.0.ip())
    }
}

impl std::str::FromStr for Network {
    type Err = AddressError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse_network(s)
    }
}

impl From<IpAddr> for Network {
    fn from(ip: IpAddr) -> Self {
        Self::host(ip)
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            self.0.ip().fmt(f)
        } else {
            write!(f, "{}/{}", self.0.network(), self.0.prefix())
        }
    }
}

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

// A network is refused under the same kind as an address: to the caller, both are addresses.
impl<'de> serde::Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <String as serde::Deserialize>::deserialize(d)?;
        parse_network(&text).map_err(|e| crate::input::refuse_with(InputKind::Address, e))
    }
}

crate::string_schema!(
    Network,
    "An IPv4 or IPv6 address, or a network in CIDR notation without host bits (`192.0.2.0/24`).",
    max_length = MAX_LEN,
    example = "192.0.2.0/24"
);

/// Of distinct addresses and networks, those no other one covers (in their order), and how
/// many the others covered: banning those bans all.
pub fn uncovered(distinct: Vec<Network>) -> (Vec<Network>, usize) {
    let all: std::collections::HashSet<Network> = distinct.iter().copied().collect();
    let prefixes = |v4: bool| -> std::collections::BTreeSet<u8> {
        all.iter()
            .filter(|n| n.is_ipv4() == v4 && !n.is_host())
            .map(|n| n.prefix())
            .collect()
    };
    let (v4, v6) = (prefixes(true), prefixes(false));
    let covered_by_other = |n: &Network| {
        let shorter = if n.is_ipv4() { &v4 } else { &v6 };
        shorter.range(..n.prefix()).any(|&p| {
            IpNetwork::new(n.first(), p)
                .and_then(|wide| IpNetwork::new(wide.network(), p))
                .is_ok_and(|wide| all.contains(&Network::from_net(wide)))
        })
    };
    let before = distinct.len();
    let kept: Vec<Network> = distinct
        .into_iter()
        .filter(|n| !covered_by_other(n))
        .collect();
    let covered = before - kept.len();
    (kept, covered)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_strict() {
        assert_eq!(parse_address("192.0.2.1").unwrap().to_string(), "192.0.2.1");
        assert_eq!(
            parse_address("2001:DB8::1").unwrap().to_string(),
            "2001:db8::1"
        );
        assert_eq!(
            parse_address("::ffff:192.0.2.1").unwrap().to_string(),
            "192.0.2.1"
        );
        assert_eq!(parse_address("192.0.2.0/24"), Err(AddressError::Network));
        for bad in [
            " 192.0.2.1",
            "192.0.2.1 ",
            "192.0.2.01",
            "192.0.2",
            "192.0.2.256",
            "[::1]",
            "fe80::1%eth0",
            "192.0.2.1:22",
            "example.com",
            "1.2.3.4;rm -rf /",
            "1.2.3.4<F2B_END_COMMAND>",
            "::g",
            "0x7f.0.0.1",
        ] {
            assert!(
                matches!(parse_address(bad), Err(AddressError::NotAnAddress(_))),
                "{bad:?}"
            );
        }
        assert_eq!(parse_address(""), Err(AddressError::Empty));
        assert_eq!(
            parse_address(&"1".repeat(10_000)),
            Err(AddressError::TooLong)
        );
    }

    #[test]
    fn networks_are_strict() {
        assert_eq!(
            parse_network("192.0.2.0/24").unwrap().to_string(),
            "192.0.2.0/24"
        );
        assert_eq!(
            parse_network("2001:db8::/32").unwrap().to_string(),
            "2001:db8::/32"
        );
        assert_eq!(parse_network("192.0.2.7").unwrap().to_string(), "192.0.2.7");
        assert_eq!(
            parse_network("192.0.2.7/32").unwrap().to_string(),
            "192.0.2.7"
        );
        assert_eq!(
            parse_network("::ffff:192.0.2.0/120").unwrap().to_string(),
            "192.0.2.0/24"
        );
        assert_eq!(
            parse_network("2001:DB8::/64").unwrap().to_string(),
            "2001:db8::/64"
        );
        assert_eq!(
            parse_network("192.0.2.7/24"),
            Err(AddressError::HostBits {
                given: "192.0.2.7/24".into(),
                canonical: "192.0.2.0/24".into()
            })
        );
        assert!(matches!(
            parse_network("2001:db8::1/32"),
            Err(AddressError::HostBits { canonical, .. }) if canonical == "2001:db8::/32"
        ));
        let net = parse_network("10.0.0.0/8").unwrap();
        assert!(net.covers(parse_network("10.1.0.0/16").unwrap()));
        assert!(!parse_network("10.1.0.0/16").unwrap().covers(net));
        assert!(parse_network("10.1.0.0/16").unwrap().overlaps(net));
        assert!(net.contains("::ffff:10.9.9.9".parse().unwrap()));
        assert!(!net.overlaps(parse_network("11.0.0.0/8").unwrap()));
        for bad in [
            "192.0.2.0/33",
            "192.0.2.0/",
            "192.0.2.0/+8",
            "192.0.2.0/08",
            "/24",
            "2001:db8::/129",
            "a/b",
            "192.0.2.0/24/1",
        ] {
            assert!(
                matches!(parse_network(bad), Err(AddressError::NotANetwork(_))),
                "{bad:?}"
            );
        }
    }
}
