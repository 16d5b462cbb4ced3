//! Schedules as cron expressions (with seconds).

use std::str::FromStr;
use std::time::Duration;

/// A schedule firing every `interval`, aligned to the clock (every 10 s: at :00, :10, …), so
/// that all workers tick at the same instants.
pub fn every(interval: Duration) -> anyhow::Result<cron::Schedule> {
    let secs = interval.as_secs();
    let expression = match secs {
        0 => anyhow::bail!("a schedule interval must be at least one second"),
        s if s < 60 && 60 % s == 0 => format!("*/{s} * * * * *"),
        s if s % 60 == 0 && s < 3600 && 60 % (s / 60) == 0 => format!("0 */{} * * * *", s / 60),
        s if s % 3600 == 0 && s < 86_400 && 24 % (s / 3600) == 0 => {
            format!("0 0 */{} * * *", s / 3600)
        }
        86_400 => "0 0 0 * * *".to_owned(),
        s => anyhow::bail!(
            "{s} s does not divide a minute, an hour or a day evenly; choose another interval"
        ),
    };
    Ok(cron::Schedule::from_str(&expression)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_become_clock_aligned_schedules() {
        let ticks = |d: u64| {
            let s = every(Duration::from_secs(d)).unwrap();
            let t: Vec<i64> = s
                .upcoming(chrono::Utc)
                .take(3)
                .map(|t| t.timestamp())
                .collect();
            (t[1] - t[0], t[0] % d as i64)
        };
        assert_eq!(ticks(2), (2, 0));
        assert_eq!(ticks(10), (10, 0));
        assert_eq!(ticks(300), (300, 0));
        assert_eq!(ticks(3600), (3600, 0));
        assert!(every(Duration::from_secs(7)).is_err());
        assert!(every(Duration::ZERO).is_err());
    }
}
