//! Blocklist files: addresses and networks, in the formats lists are published in, each
//! recognised from its content rather than from its name.
//!
//! - plain lists, one address per line (blocklist.de, CINS Army, Emerging Threats'
//!   compromised-ips), with `#` comments;
//! - netsets, addresses and networks in CIDR notation (FireHOL level1/2/3), `#` comments;
//! - Spamhaus DROP/EDROP: `192.0.2.0/24 ; SBL123`, `;` comments;
//! - DShield's block list: columns start address, end address, prefix length (a header line
//!   names them);
//! - exports with more columns (AbuseIPDB CSV: `ipAddress,countryCode,…` with a header): the
//!   first column counts;
//! - ranges `start-end` (or start and end columns without a prefix), split into the networks
//!   they are made of.
//!
//! Every line that is neither blank, a comment nor an entry is skipped with its reason. Entries
//! are canonical: a network with host bits set is skipped (with the network it meant), not
//! guessed at. Entries listed twice count once; an entry inside a listed network is covered by
//! it and not banned on its own.

use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

use bangui_core::{AddressError, Network, parse_network};
use ipnetwork::IpNetwork;

/// Skipped lines kept with their text; the rest are only counted.
const KEPT_SKIPPED: usize = 50;
/// Characters of a skipped line kept.
const KEPT_CHARS: usize = 120;
/// Most networks one range may split into (a range of two arbitrary addresses splits into at
/// most 62 IPv4 or 254 IPv6 networks; more means a mistake).
const MAX_RANGE_PARTS: usize = 256;

/// The layout a list was recognised as.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Format {
    /// One address per line.
    #[default]
    Plain,
    /// Addresses and CIDR networks (FireHOL).
    Netset,
    /// Spamhaus DROP/EDROP (`network ; SBL…`).
    SpamhausDrop,
    /// Start, end and prefix columns (DShield).
    Dshield,
    /// Comma-separated columns with the address first (AbuseIPDB and other exports).
    Csv,
    /// Address ranges (`start-end`).
    Ranges,
}

/// Why a line was skipped.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Column names.
    Header,
    /// Not an address, network or range.
    NotAnAddress,
    /// A network with host bits set (`192.0.2.7/24`).
    HostBits,
    /// Start, end and prefix that do not describe one network.
    RangeMismatch,
    /// A range whose end is before its start, mixes families, or splits into too many
    /// networks.
    BadRange,
}

impl SkipReason {
    pub fn describe(self) -> &'static str {
        match self {
            Self::Header => "column names",
            Self::NotAnAddress => "not an IP address or network",
            Self::HostBits => "host bits set: not a network's first address",
            Self::RangeMismatch => "start, end and prefix do not describe one network",
            Self::BadRange => "not a usable range",
        }
    }
}

/// A skipped line.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SkippedLine {
    /// From 1.
    pub line: usize,
    /// Its text, shortened.
    pub text: String,
    pub reason: SkipReason,
    /// What it should have been, if that is clear (the canonical network).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
}

/// Entries by family and kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FamilyCounts {
    pub ipv4_addresses: usize,
    pub ipv4_networks: usize,
    pub ipv6_addresses: usize,
    pub ipv6_networks: usize,
}

impl FamilyCounts {
    pub fn of(entries: &[Network]) -> Self {
        let mut c = Self::default();
        for e in entries {
            match (e.is_ipv4(), e.is_host()) {
                (true, true) => c.ipv4_addresses += 1,
                (true, false) => c.ipv4_networks += 1,
                (false, true) => c.ipv6_addresses += 1,
                (false, false) => c.ipv6_networks += 1,
            }
        }
        c
    }
}

/// What a list contains.
#[derive(Debug, Default)]
pub struct ParsedList {
    pub format: Format,
    /// Distinct entries, in the order they first appear. Some may cover others: what an import
    /// bans is [`bangui_core::uncovered`] of those it does not refuse.
    pub entries: Vec<Network>,
    /// Entries read (a range counts as the networks it splits into), duplicates and covered
    /// ones included.
    pub valid: usize,
    /// Lines skipped (neither blank, a comment nor an entry).
    pub invalid: usize,
    /// Entries listed again.
    pub duplicates: usize,
    /// The first skipped lines.
    pub skipped: Vec<SkippedLine>,
    /// Skipped lines per reason.
    pub skipped_by_reason: BTreeMap<SkipReason, usize>,
}

/// What one line says.
enum Line {
    Nothing,
    Entries(Vec<Network>),
    Skipped(SkipReason, Option<String>),
}

/// The signs of a format a line shows.
#[derive(Default)]
struct Evidence {
    dshield: usize,
    spamhaus: usize,
    csv: usize,
    ranges: usize,
    networks: usize,
}

/// Reads a list (see the module documentation for the formats).
pub fn parse(body: &[u8]) -> ParsedList {
    let text = String::from_utf8_lossy(body);
    let mut list = ParsedList::default();
    let mut evidence = Evidence::default();
    let mut seen = HashSet::new();
    let mut distinct = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim_start_matches('\u{feff}').trim();
        match read_line(line, distinct.is_empty(), &mut evidence) {
            Line::Nothing => {}
            Line::Entries(entries) => {
                for entry in entries {
                    list.valid += 1;
                    if seen.insert(entry) {
                        distinct.push(entry);
                    } else {
                        list.duplicates += 1;
                    }
                }
            }
            Line::Skipped(reason, hint) => {
                list.invalid += 1;
                *list.skipped_by_reason.entry(reason).or_default() += 1;
                if list.skipped.len() < KEPT_SKIPPED {
                    list.skipped.push(SkippedLine {
                        line: index + 1,
                        text: line.chars().take(KEPT_CHARS).collect(),
                        reason,
                        hint,
                    });
                }
            }
        }
    }
    list.entries = distinct;
    list.format = if evidence.dshield > 0 {
        Format::Dshield
    } else if evidence.spamhaus > 0 {
        Format::SpamhausDrop
    } else if evidence.csv > 0 {
        Format::Csv
    } else if evidence.ranges > 0 {
        Format::Ranges
    } else if evidence.networks > 0 {
        Format::Netset
    } else {
        Format::Plain
    };
    list
}

fn read_line(line: &str, before_entries: bool, evidence: &mut Evidence) -> Line {
    if line.is_empty() || line.starts_with(['#', ';']) || line.starts_with("//") {
        return Line::Nothing;
    }
    // `;` starts a comment in Spamhaus' lists, `#` in the others.
    let (content, comment) = match line.find(['#', ';']) {
        Some(i) => (line[..i].trim(), Some(&line[i..])),
        None => (line, None),
    };
    // `start - end` is one field.
    let spaced;
    let content = if content.contains(" - ") {
        spaced = content.replace(" - ", "-");
        spaced.as_str()
    } else {
        content
    };
    let comma = content.contains(',');
    let fields: Vec<&str> = if comma {
        content
            .split(',')
            .map(|f| f.trim().trim_matches('"').trim())
            .collect()
    } else {
        content.split_whitespace().collect()
    };
    let Some(&first) = fields.first() else {
        return Line::Nothing;
    };
    // `start-end` in one field.
    if let Some((a, b)) = first.split_once('-')
        && let (Ok(start), Ok(end)) = (a.trim().parse::<IpAddr>(), b.trim().parse::<IpAddr>())
    {
        evidence.ranges += 1;
        return range(start, end);
    }
    let entry = match parse_network(first) {
        Ok(entry) => entry,
        Err(AddressError::HostBits { canonical, .. }) => {
            return Line::Skipped(SkipReason::HostBits, Some(canonical));
        }
        Err(_) => {
            let header = before_entries && first.chars().any(|c| c.is_ascii_alphabetic());
            return Line::Skipped(
                if header {
                    SkipReason::Header
                } else {
                    SkipReason::NotAnAddress
                },
                None,
            );
        }
    };
    // Start and end columns: DShield's with a prefix, or a plain range.
    if entry.is_host()
        && let Some(end) = fields.get(1).and_then(|f| f.parse::<IpAddr>().ok())
    {
        let start = entry.first();
        let prefix = fields
            .get(2)
            .filter(|f| (1..=3).contains(&f.len()) && f.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|f| f.parse::<u8>().ok());
        return match prefix {
            Some(prefix) => {
                evidence.dshield += 1;
                dshield_row(start, end, prefix)
            }
            None => {
                evidence.ranges += 1;
                range(start, end)
            }
        };
    }
    // Spamhaus: networks with `; SBL…` references.
    if comment.is_some_and(|c| c.starts_with(';') && (!entry.is_host() || c.contains("SBL"))) {
        evidence.spamhaus += 1;
    }
    if comma {
        evidence.csv += 1;
    }
    if !entry.is_host() {
        evidence.networks += 1;
    }
    Line::Entries(vec![entry])
}

/// DShield's row: the network from `start` with `prefix`, which must end at `end`.
fn dshield_row(start: IpAddr, end: IpAddr, prefix: u8) -> Line {
    let Ok(net) = IpNetwork::new(start, prefix) else {
        return Line::Skipped(SkipReason::RangeMismatch, None);
    };
    if net.network() != start || net.broadcast() != end {
        return Line::Skipped(SkipReason::RangeMismatch, None);
    }
    Line::Entries(vec![Network::from_net(net)])
}

/// The networks `start..=end` is made of, largest first from the start.
fn range(start: IpAddr, end: IpAddr) -> Line {
    let parts = match (start, end) {
        (IpAddr::V4(s), IpAddr::V4(e)) => {
            split(u128::from(u32::from(s)), u128::from(u32::from(e)), 32)
        }
        (IpAddr::V6(s), IpAddr::V6(e)) => split(u128::from(s), u128::from(e), 128),
        _ => None,
    };
    let Some(parts) = parts else {
        return Line::Skipped(SkipReason::BadRange, None);
    };
    let v4 = start.is_ipv4();
    Line::Entries(
        parts
            .into_iter()
            .filter_map(|(first, prefix)| {
                let ip = if v4 {
                    IpAddr::from(std::net::Ipv4Addr::from(u32::try_from(first).ok()?))
                } else {
                    IpAddr::from(std::net::Ipv6Addr::from(first))
                };
                IpNetwork::new(ip, prefix).ok().map(Network::from_net)
            })
            .collect(),
    )
}

/// `[start, end]` of a `bits`-bit space as (first address, prefix) blocks; `None` when the
/// range is empty or needs more than [`MAX_RANGE_PARTS`].
fn split(mut start: u128, end: u128, bits: u8) -> Option<Vec<(u128, u8)>> {
    if start > end {
        return None;
    }
    // The last address of the block of 2^k addresses at `start` (aligned: cannot overflow).
    let last_of = |start: u128, k: u32| {
        if k >= 128 {
            u128::MAX
        } else {
            start + ((1u128 << k) - 1)
        }
    };
    let mut parts = Vec::new();
    loop {
        // The largest block aligned at `start` that does not pass `end`.
        let mut k = start.trailing_zeros().min(u32::from(bits));
        while k > 0 && last_of(start, k) > end {
            k -= 1;
        }
        parts.push((start, bits - k as u8));
        if parts.len() > MAX_RANGE_PARTS {
            return None;
        }
        let last = last_of(start, k);
        if last >= end {
            return Some(parts);
        }
        start = last + 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What an import of the list bans.
    fn texts(list: &ParsedList) -> Vec<String> {
        bangui_core::uncovered(list.entries.clone())
            .0
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn reads_plain_lists_with_their_comment_styles() {
        let body = b"# a comment\r\n192.0.2.1\r\n  192.0.2.2  \n; other comment\n\n192.0.2.3 # inline\n2001:db8::1\t0 some column\n\
192.0.2.1\nnot-an-ip\n999.1.1.1\n192.0.2.4;inline\n";
        let list = parse(body);
        assert_eq!(
            texts(&list),
            [
                "192.0.2.1",
                "192.0.2.2",
                "192.0.2.3",
                "2001:db8::1",
                "192.0.2.4"
            ]
        );
        assert_eq!((list.valid, list.invalid, list.duplicates), (6, 2, 1));
        assert_eq!(list.format, Format::Plain);
        assert_eq!(
            list.skipped
                .iter()
                .map(|s| (s.line, s.reason))
                .collect::<Vec<_>>(),
            [
                (9, SkipReason::NotAnAddress),
                (10, SkipReason::NotAnAddress)
            ]
        );
    }

    #[test]
    fn netsets_ban_a_network_once_and_count_what_it_covers() {
        let body = b"#\n# firehol_level1\n# ipv4 hash:net\n#\n192.0.2.0/24\n192.0.2.7\n10.0.0.0/8\n10.1.0.0/16\n\
198.51.100.9\n192.0.2.0/24\n192.0.2.9/24\n2001:db8::/32\n2001:db8:1::/48\n";
        let list = parse(body);
        assert_eq!(
            texts(&list),
            [
                "192.0.2.0/24",
                "10.0.0.0/8",
                "198.51.100.9",
                "2001:db8::/32"
            ]
        );
        assert_eq!(list.format, Format::Netset);
        let (kept, covered) = bangui_core::uncovered(list.entries.clone());
        assert_eq!((list.valid, list.duplicates, covered), (8, 1, 3));
        assert_eq!(
            FamilyCounts::of(&kept),
            FamilyCounts {
                ipv4_addresses: 1,
                ipv4_networks: 2,
                ipv6_addresses: 0,
                ipv6_networks: 1
            }
        );
        assert_eq!(list.skipped[0].reason, SkipReason::HostBits);
        assert_eq!(list.skipped[0].hint.as_deref(), Some("192.0.2.0/24"));
    }

    #[test]
    fn spamhaus_drop() {
        let body = b"; Spamhaus DROP List 2026/12/01 - (c) 2026 The Spamhaus Project SLU\n\
; https://www.spamhaus.org/drop/drop.txt\n; Last-Modified: Tue, 01 Dec 2026 01:02:03 GMT\n\
1.10.16.0/20 ; SBL256894\n1.19.0.0/16 ; SBL434604\n223.254.0.0/16 ; SBL212803\n";
        let list = parse(body);
        assert_eq!(list.format, Format::SpamhausDrop);
        assert_eq!(
            texts(&list),
            ["1.10.16.0/20", "1.19.0.0/16", "223.254.0.0/16"]
        );
        assert_eq!(list.invalid, 0);
    }

    #[test]
    fn dshield_columns() {
        let body = b"#\n#   DShield.org Recommended Block List\n#\nStart\tEnd\tNetblock\tAttacks\tName\tCountry\temail\n\
45.148.10.0\t45.148.10.255\t24\t8226\tTECHOFF\tNL\tabuse@example.net\n\
80.94.95.0\t80.94.95.255\t24\t5061\t\tBG\t\n\
80.94.95.0\t80.94.95.127\t24\t1\tBAD\t\t\n";
        let list = parse(body);
        assert_eq!(list.format, Format::Dshield);
        assert_eq!(texts(&list), ["45.148.10.0/24", "80.94.95.0/24"]);
        assert_eq!(
            list.skipped.iter().map(|s| s.reason).collect::<Vec<_>>(),
            [SkipReason::Header, SkipReason::RangeMismatch]
        );
    }

    #[test]
    fn csv_exports_with_a_header() {
        let body = b"ipAddress,countryCode,abuseConfidenceScore,lastReportedAt\n\
\"192.0.2.1\",US,100,2026-12-01T00:00:00+00:00\n2001:db8::5,DE,87,2026-12-01T00:00:00+00:00\n";
        let list = parse(body);
        assert_eq!(list.format, Format::Csv);
        assert_eq!(texts(&list), ["192.0.2.1", "2001:db8::5"]);
        assert_eq!(list.skipped_by_reason[&SkipReason::Header], 1);
    }

    #[test]
    fn ranges_split_into_networks() {
        let list =
            parse(b"192.0.2.0-192.0.2.255\n198.51.100.3 - 198.51.100.10\n10.0.0.9-10.0.0.1\n");
        assert_eq!(list.format, Format::Ranges);
        assert_eq!(
            texts(&list),
            [
                "192.0.2.0/24",
                "198.51.100.3",
                "198.51.100.4/30",
                "198.51.100.8/31",
                "198.51.100.10"
            ]
        );
        assert_eq!(list.skipped_by_reason[&SkipReason::BadRange], 1);
        assert_eq!(split(0, u128::from(u32::MAX), 32), Some(vec![(0, 0)]));
        assert_eq!(split(0, u128::MAX, 128), Some(vec![(0, 0)]));
    }
}
