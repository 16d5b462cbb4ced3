//! `make bench`: reading a large fail2ban configuration. The stock `/etc/fail2ban` plus 50
//! `jail.d` files (each enabling and tuning two stock jails), read into the start commands of
//! every enabled jail by bangui (`config::stream::start_commands`, in process) and by
//! `fail2ban-client -c <dir> -d` (what fail2ban itself does at start), in the same run.
//!
//! Prints the median of 10 reads each and their ratio (goal: bangui ≤ 0.1 × fail2ban).

use std::process::Command;
use std::time::{Duration, Instant};

use bangui_fail2ban::config::LocalConfigDir;
use bangui_fail2ban::config::jails::Host;
use bangui_fail2ban::config::stream::start_commands;

const RUNS: usize = 10;
const FILES: usize = 50;

/// Stock jails the added files enable, two per file, round robin.
const JAILS: &[&str] = &[
    "sshd",
    "nginx-http-auth",
    "nginx-botsearch",
    "apache-auth",
    "apache-badbots",
    "postfix",
    "dovecot",
    "recidive",
    "pure-ftpd",
    "vsftpd",
    "proftpd",
    "courier-auth",
    "exim",
    "named-refused",
    "mysqld-auth",
    "grafana",
    "gitlab",
    "roundcube-auth",
    "php-url-fopen",
    "selinux-ssh",
];

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let dir = tempfile::tempdir().expect("a scratch directory");
    let copied = Command::new("cp")
        .args([
            "-a",
            "/etc/fail2ban/.",
            dir.path().to_str().expect("utf-8 path"),
        ])
        .status()
        .expect("cp runs");
    assert!(
        copied.success(),
        "copying /etc/fail2ban (make deps installs fail2ban)"
    );
    for i in 0..FILES {
        let (a, b) = (
            JAILS[(2 * i) % JAILS.len()],
            JAILS[(2 * i + 1) % JAILS.len()],
        );
        std::fs::write(
            dir.path().join(format!("jail.d/bench-{i:02}.local")),
            format!(
                "# bench file {i}\n[{a}]\nenabled = true\nmaxretry = {}\nfindtime = {}m\n\n[{b}]\nenabled = true\nbantime = {}h\nignoreip = 127.0.0.1/8 192.0.2.{i}\n",
                3 + i % 5,
                10 + i,
                1 + i % 24
            ),
        )
        .expect("writing a jail.d file");
    }
    let confpath = dir.path().to_str().expect("utf-8 path").to_owned();
    let files = LocalConfigDir::new(dir.path());
    let host = Host {
        version: "1.0.2".to_owned(),
        confpath: confpath.clone(),
    };

    // The same jails on both sides (fail2ban's dump also holds its server settings).
    let expected = start_commands(&files, &host).expect("bangui reads it");
    let ours_jails = expected.iter().filter(|c| c[0] == "add").count();
    let mut ours = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        let commands = start_commands(&files, &host).expect("bangui reads it");
        ours.push(start.elapsed());
        assert_eq!(commands, expected);
    }
    let mut theirs = Vec::new();
    let mut their_jails = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let out = Command::new("fail2ban-client")
            .args(["-c", &confpath, "-d"])
            .output()
            .expect("fail2ban-client runs");
        theirs.push(start.elapsed());
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        their_jails = out
            .stdout
            .split(|b| *b == b'\n')
            .filter(|l| l.starts_with(b"['add'"))
            .count();
    }
    assert_eq!(ours_jails, their_jails, "both read the same enabled jails");
    let (ours, theirs) = (median(ours), median(theirs));
    let ratio = ours.as_secs_f64() / theirs.as_secs_f64();
    println!("stock configuration + {FILES} jail.d files: {ours_jails} enabled jails");
    println!("{:<36} {:>10}", "full read (median of 10)", "ms");
    println!(
        "{:<36} {:>10.1}",
        "fail2ban-client -d (baseline)",
        theirs.as_secs_f64() * 1e3
    );
    println!(
        "{:<36} {:>10.1}",
        "bangui start_commands",
        ours.as_secs_f64() * 1e3
    );
    let verdict = if ratio <= 0.1 { "ok" } else { "MISSED" };
    println!("goal bangui / fail2ban <= 0.10: {verdict} ({ratio:.3})");
}
