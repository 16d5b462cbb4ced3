//! Blocklist files: one address per line.

use std::collections::HashSet;
use std::net::IpAddr;

/// What a list contains.
#[derive(Debug, Default)]
pub struct ParsedList {
    /// Distinct addresses, in the order they first appear.
    pub addresses: Vec<IpAddr>,
    pub valid: usize,
    pub invalid: usize,
    pub duplicates: usize,
}

/// Parses a list: IPv4 or IPv6 addresses one per line (the first word counts: some lists add
/// columns), `#` and `;` comments anywhere on a line, blank lines, surrounding blanks and CRLF.
/// Anything else on a line that is not blank or a comment is counted invalid and skipped;
/// networks are invalid too (a blocklist bans addresses).
pub fn parse(body: &[u8]) -> ParsedList {
    let text = String::from_utf8_lossy(body);
    let mut seen = HashSet::new();
    let mut list = ParsedList::default();
    for line in text.lines() {
        let content = line.split(['#', ';']).next().unwrap_or("");
        let Some(word) = content.split_whitespace().next() else {
            continue;
        };
        match bangui_core::parse_address(word) {
            Ok(ip) => {
                list.valid += 1;
                if seen.insert(ip) {
                    list.addresses.push(ip);
                } else {
                    list.duplicates += 1;
                }
            }
            Err(_) => list.invalid += 1,
        }
    }
    list
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_formats_lists_come_in() {
        let body = b"# a comment\r\n192.0.2.1\r\n  192.0.2.2  \n; other comment\n\n192.0.2.3 # inline\n2001:db8::1\t0 some column\n\
192.0.2.1\nnot-an-ip\n192.0.2.0/24\n999.1.1.1\n192.0.2.4;inline\n";
        let list = parse(body);
        let got: Vec<String> = list.addresses.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "192.0.2.1",
                "192.0.2.2",
                "192.0.2.3",
                "2001:db8::1",
                "192.0.2.4"
            ]
        );
        assert_eq!((list.valid, list.invalid, list.duplicates), (6, 3, 1));
    }
}
