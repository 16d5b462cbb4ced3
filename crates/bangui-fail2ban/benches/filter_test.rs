//! `make bench`: the filter test on 10,000 log lines against `fail2ban-regex` on the same lines.
//!
//! For stock `sshd` (a prefregex, 20-odd failregexes, multi-line merging by connection id) and
//! `nginx-http-auth`, read from `/etc/fail2ban`, on a generated log mixing failures, successes
//! and unrelated lines. bangui's time covers reading the filter, building it and testing every
//! line (the p50 of 5 runs, in process); the baseline is `fail2ban-regex --raw` on the same file
//! in the same run, both as its own "processed in" figure (Python already started, filter
//! loaded) and as the whole command. Goal: ratio ≤ 1 against the stricter, first one.

use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use bangui_fail2ban::config::LocalConfigDir;
use bangui_fail2ban::config::stream::filter_commands;
use bangui_fail2ban::filter::{Filter, FilterSpec};

const LINES: usize = 10_000;
const STOCK: &str = "/etc/fail2ban";

fn sshd_line(n: usize) -> String {
    let (mon, day) = (["Jan", "Feb", "Mar"][n % 3], 1 + n % 28);
    let time = format!(
        "{mon} {day:>2} {:02}:{:02}:{:02}",
        n / 3600 % 24,
        n / 60 % 60,
        n % 60
    );
    let ip = format!("198.51.{}.{}", n / 250 % 250, n % 250);
    let pid = 1000 + n / 4;
    match n % 8 {
        0..=2 => format!(
            "{time} host sshd[{pid}]: Failed password for invalid user u{n} from {ip} port {} ssh2",
            40000 + n % 20000
        ),
        3 => format!("{time} host sshd[{pid}]: Invalid user admin{n} from {ip} port 22"),
        4 => format!(
            "{time} host sshd[{pid}]: Accepted publickey for alice from {ip} port 50022 ssh2: RSA SHA256:abc"
        ),
        5 => format!(
            "{time} host sshd[{pid}]: Connection closed by authenticating user root {ip} port 4222 [preauth]"
        ),
        6 => format!(
            "{time} host CRON[{pid}]: pam_unix(cron:session): session opened for user root by (uid=0)"
        ),
        _ => format!(
            "{time} host sshd[{pid}]: Received disconnect from {ip} port 22:11: Bye Bye [preauth]"
        ),
    }
}

fn nginx_line(n: usize) -> String {
    let ip = format!("203.0.{}.{}", n / 250 % 250, n % 250);
    match n % 4 {
        0 | 1 => format!(
            "2026/12/04 10:{:02}:{:02} [error] 1234#0: *{n} user \"bob{n}\": password mismatch, client: {ip}, server: example.org, request: \"GET /admin HTTP/1.1\", host: \"example.org\"",
            n / 60 % 60,
            n % 60
        ),
        2 => format!(
            "2026/12/04 10:{:02}:{:02} [error] 1234#0: *{n} no user/password was provided for basic authentication, client: {ip}, server: example.org, request: \"GET / HTTP/1.1\", host: \"example.org\"",
            n / 60 % 60,
            n % 60
        ),
        _ => format!(
            "2026/12/04 10:{:02}:{:02} [notice] 1234#0: signal process started",
            n / 60 % 60,
            n % 60
        ),
    }
}

fn ours(filter: &str, text: &str) -> (Duration, usize) {
    let files = LocalConfigDir::new(STOCK);
    let mut times = Vec::new();
    let mut matched = 0;
    for _ in 0..5 {
        let start = Instant::now();
        let commands = filter_commands(&files, filter, "bench")
            .expect("the stock filter reads")
            .expect("the stock filter exists");
        let mut f =
            Filter::new(&FilterSpec::from_commands(&commands)).expect("the stock filter builds");
        let report = f.process(text.split('\n'));
        times.push(start.elapsed());
        matched = report.summary.matched;
    }
    times.sort();
    (times[times.len() / 2], matched)
}

/// fail2ban-regex's own "[processed in X sec]", the whole command's time, and its matched count.
fn theirs(filter: &str, log: &std::path::Path) -> (Duration, Duration, usize) {
    let start = Instant::now();
    let out = Command::new("fail2ban-regex")
        .args(["--raw", "--print-no-missed", "--print-no-ignored"])
        .arg(log)
        .arg(format!("{STOCK}/filter.d/{filter}.conf"))
        .output()
        .expect("fail2ban-regex runs");
    let whole = start.elapsed();
    let text = String::from_utf8_lossy(&out.stdout);
    let processed = text
        .split("[processed in ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|secs| secs.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
        .expect("fail2ban-regex prints how long it processed");
    let matched = text
        .lines()
        .find(|l| l.starts_with("Lines:"))
        .and_then(|l| l.split(", ").find(|p| p.ends_with(" matched")))
        .and_then(|p| p.split(' ').next()?.parse().ok())
        .unwrap_or(0);
    (processed, whole, matched)
}

fn main() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    println!("filter_test: {LINES} lines, bangui (p50 of 5, in process) vs fail2ban-regex --raw");
    for (filter, line) in [
        ("sshd", sshd_line as fn(usize) -> String),
        ("nginx-http-auth", nginx_line),
    ] {
        let text: String = (0..LINES).map(|n| line(n) + "\n").collect();
        let log = dir.path().join(format!("{filter}.log"));
        std::fs::File::create(&log)
            .and_then(|mut f| f.write_all(text.as_bytes()))
            .expect("writing the log");
        let (bangui, ours_matched) = ours(filter, &text);
        let (processed, whole, their_matched) = theirs(filter, &log);
        assert_eq!(
            ours_matched, their_matched,
            "{filter}: both count the same matches"
        );
        println!(
            "  {filter:<16} bangui {:>8.1} ms | fail2ban-regex {:>8.1} ms processing, {:>8.1} ms command | ratio {:.3} (goal <= 1), {:.3} vs the command | {ours_matched} matched",
            bangui.as_secs_f64() * 1e3,
            processed.as_secs_f64() * 1e3,
            whole.as_secs_f64() * 1e3,
            bangui.as_secs_f64() / processed.as_secs_f64(),
            bangui.as_secs_f64() / whole.as_secs_f64(),
        );
    }
}
