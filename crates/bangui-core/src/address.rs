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
    if s.contains('/') && parse_network(s).is_ok() {
        return Err(AddressError::Network);
    }
    s.parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| AddressError::NotAnAddress(s.to_owned()))
}

/// An address or a network in CIDR notation (`192.0.2.0/24`, `2001:db8::/32`).
pub fn parse_network(s: &str) -> Result<IpNetwork, AddressError> {
    let s = checked(s)?;
    if !s.contains('/') {
        return s
            .parse::<IpAddr>()
            .map(|ip| IpNetwork::from(ip.to_canonical()))
            .map_err(|_| AddressError::NotANetwork(s.to_owned()));
    }
    let (addr, prefix) = s
        .split_once('/')
        .ok_or_else(|| AddressError::NotANetwork(s.to_owned()))?;
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
    IpNetwork::new(addr, prefix).map_err(|_| bad())
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

/// An address or a network in CIDR notation, as [`parse_network`] accepts it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network(pub IpNetwork);

impl Network {
    pub fn net(self) -> IpNetwork {
        self.0
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl Serialize for Network {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

// A network is refused under the same kind as an address: to the caller, both are addresses.
crate::deserialize_from_str!(Network, InputKind::Address, |s| parse_network(s)
    .map(Network));

crate::string_schema!(
    Network,
    "An IPv4 or IPv6 address, or a network in CIDR notation.",
    max_length = MAX_LEN,
    example = "192.0.2.0/24"
);

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
        assert_eq!(
            parse_network("192.0.2.7").unwrap().to_string(),
            "192.0.2.7/32"
        );
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
