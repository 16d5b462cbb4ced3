//! The attack simulator of `make run`: it appends failed-login lines to the demo jails' logs,
//! from a changing crowd of attackers, so that bans appear within a minute and keep coming.

use std::collections::VecDeque;
use std::hash::{BuildHasher, RandomState};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::fail2ban::append_failures;

/// A running simulator; stops when dropped.
#[derive(Debug)]
pub struct AttackSimulator {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

struct Attacker {
    ip: IpAddr,
    log: usize,
    attempts_left: u32,
}

impl AttackSimulator {
    /// Starts writing to `logs` (one attacker targets one log), one line every `pace`.
    pub fn start(logs: Vec<PathBuf>, pace: Duration) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let mut rng = Rng::new();
            let mut crowd: VecDeque<Attacker> = VecDeque::new();
            while !flag.load(Ordering::Relaxed) {
                if crowd.len() < 3 || rng.below(4) == 0 {
                    let log = rng.below(logs.len() as u64) as usize;
                    // Enough attempts to cross maxretry (3 for sshd, 4 for web-login).
                    crowd.push_back(Attacker {
                        ip: rng.public_ip(),
                        log,
                        attempts_left: 3 + rng.below(3) as u32,
                    });
                }
                if let Some(mut attacker) = crowd.pop_front() {
                    if let Err(e) =
                        append_failures(&logs[attacker.log], &attacker.ip.to_string(), 1)
                    {
                        eprintln!("attack simulator: {e:#}");
                    }
                    attacker.attempts_left -= 1;
                    if attacker.attempts_left > 0 {
                        // Interleave attackers, as real traffic does.
                        let at = rng.below(crowd.len() as u64 + 1) as usize;
                        crowd.insert(at.min(crowd.len()), attacker);
                    }
                }
                std::thread::sleep(pace);
            }
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for AttackSimulator {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// xorshift64*, seeded from the standard library's random hasher keys.
struct Rng(u64);

impl Rng {
    fn new() -> Self {
        Self(RandomState::new().hash_one(std::time::SystemTime::now()) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    /// A globally routable address, so that the world map has countries to show: IPv4 from
    /// blocks that are allocated to regional registries, now and then an IPv6 one.
    fn public_ip(&mut self) -> IpAddr {
        const FIRST_OCTETS: &[u8] = &[
            1, 2, 5, 14, 27, 31, 36, 37, 39, 41, 42, 45, 46, 49, 58, 59, 61, 62, 77, 78, 79, 80,
            81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91, 92, 93, 94, 95, 101, 102, 103, 105, 106,
            109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125,
            138, 141, 151, 154, 175, 176, 177, 178, 179, 180, 181, 182, 183, 185, 186, 187, 188,
            189, 190, 191, 193, 194, 195, 196, 197, 200, 201, 202, 203, 210, 211, 212, 213, 217,
            218, 219, 220, 221, 222,
        ];
        if self.below(8) == 0 {
            // 2a00::/12 (RIPE) and 2400::/12 (APNIC).
            let top: u16 = if self.below(2) == 0 { 0x2a00 } else { 0x2400 };
            let r = self.next();
            return IpAddr::V6(Ipv6Addr::new(
                top | (r as u16 & 0x000f),
                (r >> 16) as u16,
                (r >> 32) as u16,
                0,
                0,
                0,
                0,
                (r >> 48) as u16 | 1,
            ));
        }
        loop {
            let first = FIRST_OCTETS[self.below(FIRST_OCTETS.len() as u64) as usize];
            let r = self.next();
            let v4 = Ipv4Addr::new(
                first,
                (r >> 8) as u8,
                (r >> 16) as u8,
                ((r >> 24) as u8).clamp(1, 254),
            );
            // 203.0.113.0/24 is documentation (one draw in about 6 million): drawn again.
            if !v4.is_documentation() {
                return IpAddr::V4(v4);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_are_public() {
        let mut rng = Rng::new();
        for _ in 0..10_000 {
            match rng.public_ip() {
                IpAddr::V4(v4) => assert!(
                    !(v4.is_private()
                        || v4.is_loopback()
                        || v4.is_link_local()
                        || v4.is_documentation()
                        || v4.is_broadcast()
                        || v4.is_unspecified()
                        || v4.octets()[0] >= 224),
                    "{v4}"
                ),
                IpAddr::V6(v6) => {
                    assert!(matches!(v6.segments()[0] & 0xfff0, 0x2a00 | 0x2400), "{v6}")
                }
            }
        }
    }

    #[test]
    fn writes_lines_fail2ban_can_parse() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("auth.log");
        std::fs::write(&log, "").unwrap();
        let sim = AttackSimulator::start(vec![log.clone()], Duration::from_millis(1));
        crate::wait_for("simulated failures", Duration::from_secs(10), || {
            (std::fs::read_to_string(&log).unwrap().lines().count() >= 20).then_some(())
        })
        .unwrap();
        drop(sim);
        let text = std::fs::read_to_string(&log).unwrap();
        let re_like = |l: &str| {
            let (stamp, rest) = l.split_at(19);
            chrono::NaiveDateTime::parse_from_str(stamp, "%Y-%m-%d %H:%M:%S").is_ok()
                && rest
                    .strip_prefix(" Failed login from ")
                    .is_some_and(|ip| ip.parse::<IpAddr>().is_ok())
        };
        assert!(text.lines().all(re_like), "{text}");
    }
}
