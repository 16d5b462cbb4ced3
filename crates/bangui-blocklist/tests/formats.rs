//! The list formats operators subscribe to, read from fixtures written in each (see
//! `fixtures/lists/make.py`, which works out the expected answer with Python's `ipaddress`).

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::path::PathBuf;

use bangui_blocklist::parse;
use serde_json::Value;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lists")
}

#[test]
fn every_fixture_reads_as_python_says() {
    let mut checked = 0;
    for entry in std::fs::read_dir(fixtures()).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name.ends_with(".json") || name.ends_with(".py") {
            continue;
        }
        let expected: Value = serde_json::from_slice(
            &std::fs::read(fixtures().join(format!("{name}.expected.json"))).unwrap(),
        )
        .unwrap();
        let list = parse(&std::fs::read(&path).unwrap());
        let (banned, covered) = bangui_core::uncovered(list.entries.clone());
        let mut entries: Vec<String> = banned.iter().map(ToString::to_string).collect();
        entries.sort();
        let want: Vec<String> = serde_json::from_value(expected["entries"].clone()).unwrap();
        assert_eq!(entries, want, "{name}: entries");
        assert_eq!(
            (
                serde_json::to_value(list.format).unwrap(),
                list.valid,
                list.invalid,
                list.duplicates,
                covered
            ),
            (
                expected["format"].clone(),
                expected["valid"].as_u64().unwrap() as usize,
                expected["invalid"].as_u64().unwrap() as usize,
                expected["duplicates"].as_u64().unwrap() as usize,
                expected["covered"].as_u64().unwrap() as usize
            ),
            "{name}: format, valid, invalid, duplicates, covered"
        );
        let counts = bangui_blocklist::FamilyCounts::of(&banned);
        assert_eq!(
            counts.ipv4_addresses
                + counts.ipv4_networks
                + counts.ipv6_addresses
                + counts.ipv6_networks,
            banned.len(),
            "{name}"
        );
        assert_eq!(
            list.skipped.len(),
            list.invalid,
            "{name}: every skipped line kept"
        );
        checked += 1;
    }
    assert_eq!(checked, 7, "one fixture per format");
}
