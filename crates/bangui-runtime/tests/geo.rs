//! The country database: both layouts bangui reads, and a file that appears, changes, breaks
//! or goes away while a worker runs.

#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::path::Path;

use bangui_runtime::geo::GeoDb;
use serde::Serialize;

#[derive(Serialize)]
struct GeoLite2 {
    country: IsoCode,
}

#[derive(Serialize)]
struct IsoCode {
    iso_code: &'static str,
}

#[derive(Serialize)]
struct IpLocationDb {
    country_code: &'static str,
}

fn write<T: Serialize>(path: &Path, records: &[(&str, T)]) {
    let mut writer = mmdb_writer::Writer::new("bangui-test");
    for (net, record) in records {
        writer
            .insert(net.parse::<ipnet::IpNet>().unwrap(), record)
            .unwrap();
    }
    // Replaced in one step, as an updater would.
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, writer.to_bytes().unwrap()).unwrap();
    std::fs::rename(&tmp, path).unwrap();
}

fn ips(list: &[&str]) -> Vec<bangui_core::Network> {
    list.iter()
        .map(|ip| bangui_core::parse_network(ip).unwrap())
        .collect()
}

fn codes(list: &[Option<&str>]) -> Vec<Option<String>> {
    list.iter().map(|c| c.map(str::to_owned)).collect()
}

#[test]
fn both_layouts_resolve_and_the_file_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("country.mmdb");
    let geo = GeoDb::new(Some(path.clone()));
    let asked = ips(&["192.0.2.7", "2001:db8::1", "198.51.100.1"]);

    // No file yet: nothing resolves, nothing fails.
    assert!(!geo.available());
    assert_eq!(geo.countries(&asked), vec![None; 3]);

    write(
        &path,
        &[
            (
                "192.0.2.0/24",
                GeoLite2 {
                    country: IsoCode { iso_code: "DE" },
                },
            ),
            (
                "2001:db8::/32",
                GeoLite2 {
                    country: IsoCode { iso_code: "JP" },
                },
            ),
        ],
    );
    geo.check_now();
    assert!(geo.available());
    assert_eq!(
        geo.countries(&asked),
        codes(&[Some("DE"), Some("JP"), None])
    );

    // Updated in place to the ip-location-db layout; lower case and placeholders are
    // normalised or dropped.
    write(
        &path,
        &[
            ("192.0.2.0/24", IpLocationDb { country_code: "fr" }),
            ("198.51.100.0/24", IpLocationDb { country_code: "--" }),
        ],
    );
    geo.check_now();
    assert_eq!(geo.countries(&asked), codes(&[Some("FR"), None, None]));
    // A network's country is its first address's.
    assert_eq!(
        geo.countries(&ips(&["192.0.2.0/25", "192.0.0.0/16"])),
        codes(&[Some("FR"), None])
    );

    // A broken file is not a database; a good one again is.
    std::fs::write(&path, b"not a database").unwrap();
    geo.check_now();
    assert!(!geo.available());
    write(
        &path,
        &[("198.51.100.0/24", IpLocationDb { country_code: "BR" })],
    );
    geo.check_now();
    assert_eq!(geo.countries(&asked), codes(&[None, None, Some("BR")]));

    std::fs::remove_file(&path).unwrap();
    geo.check_now();
    assert!(!geo.available());
}

#[test]
fn without_a_configured_database_nothing_resolves() {
    let geo = GeoDb::new(None);
    assert!(!geo.available());
    assert_eq!(geo.countries(&ips(&["8.8.8.8"])), vec![None]);
}
