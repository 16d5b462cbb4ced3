//! A ban archive of any size for the benchmarks, loaded with COPY: 10 jails, a fifth as many
//! distinct addresses as bans (some banned often), 150 countries plus unresolved addresses,
//! all three origins, 400 days.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use bangui_core::CountryCode;
use chrono::{DateTime, SecondsFormat, Utc};
use sqlx::PgPool;

pub const JAILS: usize = 10;
pub const COUNTRIES: usize = 150;
pub const DAYS: f64 = 400.0;

/// splitmix64: the same archive on every run.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// The first 150 ISO codes that name a country.
pub fn countries() -> Vec<String> {
    let mut codes = Vec::new();
    for a in b'A'..=b'Z' {
        for b in b'A'..=b'Z' {
            let code = String::from_utf8(vec![a, b]).unwrap();
            if CountryCode::parse(&code).is_ok_and(|c| c.name().is_some()) {
                codes.push(code);
            }
        }
    }
    codes.truncate(COUNTRIES);
    assert_eq!(codes.len(), COUNTRIES);
    codes
}

/// Address `i` of the archive: nine in ten IPv4, the rest IPv6.
pub fn address(i: usize) -> IpAddr {
    if i % 10 == 9 {
        IpAddr::V6(Ipv6Addr::new(
            0x2001,
            0xdb8,
            0,
            0,
            0,
            0,
            (i >> 16) as u16,
            i as u16,
        ))
    } else {
        IpAddr::V4(Ipv4Addr::from(0x0b00_0000 + (i as u32) * 7))
    }
}

/// Replaces the archive and the geo cache with `bans` generated bans, vacuumed as autovacuum
/// keeps a live archive (not measured while autovacuum digests a fresh bulk load); returns the
/// most banned address (about 1.4% of all bans: 13,700 at 1M).
pub async fn load(pool: &PgPool, bans: usize, now: DateTime<Utc>) -> IpAddr {
    let mut rng = Rng(bans as u64);
    let countries = countries();
    let addresses = bans / 5;
    sqlx::query("TRUNCATE ban_history, geo_cache")
        .execute(pool)
        .await
        .unwrap();

    // Three in a hundred addresses were never looked up, two have no country.
    let mut geo = String::new();
    for i in 0..addresses {
        match rng.below(100) {
            0..=2 => continue,
            3..=4 => writeln!(geo, "{},,mmdb", address(i)).unwrap(),
            _ => {
                // Some countries much more often than others, as in real archives.
                let c = (countries.len() as f64 * rng.unit().powi(2)) as usize;
                writeln!(geo, "{},{},mmdb", address(i), countries[c]).unwrap();
            }
        }
    }
    copy(
        pool,
        "COPY geo_cache (ip, country, source) FROM STDIN (FORMAT csv)",
        geo,
    )
    .await;

    // Every address once, the other bans skewed towards the first addresses.
    let mut who: Vec<usize> = (0..addresses)
        .chain((addresses..bans).map(|_| (addresses as f64 * rng.unit().powi(3)) as usize))
        .collect();
    for i in (1..who.len()).rev() {
        who.swap(i, rng.below(i + 1));
    }
    let span = DAYS * 86_400.0;
    let mut rows = String::with_capacity(bans * 64);
    for (i, &a) in who.iter().enumerate() {
        // One distinct instant per ban, newest first.
        let ago = span * (i as f64 + 0.5) / bans as f64;
        let started = now - chrono::Duration::microseconds((ago * 1e6) as i64);
        let origin = match rng.below(10) {
            0..=6 => "auto",
            7..=8 => "blocklist",
            _ => "manual",
        };
        writeln!(
            rows,
            "jail-{},{},{},600,{origin}",
            rng.below(JAILS),
            address(a),
            started.to_rfc3339_opts(SecondsFormat::Micros, true)
        )
        .unwrap();
    }
    copy(
        pool,
        "COPY ban_history (jail, ip, started_at, duration_secs, origin) FROM STDIN (FORMAT csv)",
        rows,
    )
    .await;
    sqlx::query("VACUUM ANALYZE ban_history")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("VACUUM ANALYZE geo_cache")
        .execute(pool)
        .await
        .unwrap();
    address(0)
}

pub async fn copy(pool: &PgPool, statement: &str, data: String) {
    let mut conn = pool.acquire().await.unwrap();
    let mut copy = conn.copy_in_raw(statement).await.unwrap();
    copy.send(data.into_bytes()).await.unwrap();
    copy.finish().await.unwrap();
}
