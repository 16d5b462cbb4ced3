//! `make bench`: the Log tab's tail of fail2ban's own log on a 1 GB file. bangui reads it from
//! the end (`server::tail`, in process); the baseline is coreutils' `tail -n 200` on the same
//! file in the same run (a process of its own, which also reads from the end).
//!
//! Prints the p95 of 50 tails of 200 lines each (goal: ≤ 50 ms), with and without a substring
//! filter, and the ratio to the baseline. The file's end is in the page cache after the first
//! read, as it is for a log fail2ban writes to.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use bangui_runtime::server::{SCAN_LIMIT, tail};

const RUNS: usize = 50;
const SIZE: u64 = 1 << 30;
const LINES: usize = 200;

fn p95(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[(samples.len() * 95).div_ceil(100) - 1]
}

fn measure(mut run: impl FnMut()) -> Duration {
    run(); // warm-up
    p95((0..RUNS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed()
        })
        .collect())
}

fn main() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let path = dir.path().join("fail2ban.log");
    let mut out = std::io::BufWriter::with_capacity(
        1 << 20,
        std::fs::File::create(&path).expect("the log file"),
    );
    let mut written = 0u64;
    let mut n = 0u64;
    while written < SIZE {
        let line = if n.is_multiple_of(50) {
            format!(
                "2026-12-04 10:{:02}:{:02},123 fail2ban.actions [1234]: NOTICE  [sshd] Ban 192.0.2.{}\n",
                n / 60 % 60,
                n % 60,
                n % 250
            )
        } else {
            format!(
                "2026-12-04 10:{:02}:{:02},123 fail2ban.filter  [1234]: INFO    [sshd] Found 198.51.100.{} - 2026-12-04 10:00:00\n",
                n / 60 % 60,
                n % 60,
                n % 250
            )
        };
        out.write_all(line.as_bytes()).expect("writing the log");
        written += line.len() as u64;
        n += 1;
    }
    out.flush().expect("writing the log");
    drop(out);
    println!("log_tail: {n} lines, {:.2} GB", written as f64 / 1e9);

    let baseline = measure(|| {
        let done = Command::new("tail")
            .args(["-n", &LINES.to_string()])
            .arg(&path)
            .output()
            .expect("tail runs");
        assert!(done.status.success() && done.stdout.len() > 10_000);
    });
    let plain = measure(|| {
        let (lines, _) = tail(&path, LINES, None, SCAN_LIMIT).expect("tail reads");
        assert_eq!(lines.len(), LINES);
    });
    // One line in 50 holds "Ban": 10,000 lines scanned for 200.
    let filtered = measure(|| {
        let (lines, _) = tail(&path, LINES, Some("Ban"), SCAN_LIMIT).expect("tail reads");
        assert_eq!(lines.len(), LINES);
    });
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "log_tail: coreutils tail -n {LINES} (baseline)  p95 {:8.3} ms",
        ms(baseline)
    );
    println!(
        "log_tail: bangui tail {LINES} lines           p95 {:8.3} ms  ratio {:.3}  (goal: p95 <= 50 ms)",
        ms(plain),
        ms(plain) / ms(baseline)
    );
    println!(
        "log_tail: bangui tail {LINES} lines with \"Ban\" p95 {:8.3} ms  ratio {:.3}  (goal: p95 <= 50 ms)",
        ms(filtered),
        ms(filtered) / ms(baseline)
    );
}
