//! bangui's filter test against `fail2ban-regex` itself (fail2ban's `Fail2banRegex`, run by
//! Debian's Python through `tests/oracle/fail2ban_regex.py`): for stock filters read from
//! `/etc/fail2ban` and the sample logs fail2ban's own test suite ships, every line must count
//! the same (matched, ignored, missed) and every failregex must find the same failures, with
//! the same ids and times, in the same order.
#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::collections::BTreeMap;
use std::process::Command;

use bangui_fail2ban::config::LocalConfigDir;
use bangui_fail2ban::config::stream::filter_commands;
use bangui_fail2ban::filter::{Filter, FilterSpec, LineStatus, Report};
use serde_json::Value;

const STOCK: &str = "/etc/fail2ban";
const PYTHON: &str = "/usr/bin/python3";
const LOGS: &str = "/usr/lib/python3/dist-packages/fail2ban/tests/files/logs";

/// The filters the issue names, which must agree line for line.
const REQUIRED: &[&str] = &[
    "sshd",
    "sshd[mode=aggressive]",
    "nginx-http-auth",
    "apache-auth",
    "postfix",
    "postfix[mode=aggressive]",
    "recidive",
    "dovecot",
    "pam-generic",
    "selinux-ssh",
];

/// A filter as the test gives it: a stock filter by name, or a draft as `fail2ban-regex`'s
/// command line takes one.
#[derive(Clone, Default)]
struct Draft {
    failregex: &'static str,
    ignoreregex: Option<&'static str>,
    datepattern: Option<&'static str>,
    maxlines: Option<usize>,
    timezone: Option<&'static str>,
}

fn oracle(reference: &str, log: &str, draft: Option<&Draft>) -> Value {
    let mut extra = serde_json::Map::new();
    if let Some(d) = draft {
        if let Some(v) = d.ignoreregex {
            extra.insert("ignoreregex".into(), v.into());
        }
        if let Some(v) = d.datepattern {
            extra.insert("datepattern".into(), v.into());
        }
        if let Some(v) = d.maxlines {
            extra.insert("maxlines".into(), v.into());
        }
        if let Some(v) = d.timezone {
            extra.insert("timezone".into(), v.into());
        }
    }
    let out = Command::new(PYTHON)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/oracle/fail2ban_regex.py"
        ))
        .args([STOCK, reference, log, &Value::Object(extra).to_string()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ours(reference: &str, log: &str, draft: Option<&Draft>) -> Result<Report, String> {
    let spec = match draft {
        None => {
            let files = LocalConfigDir::new(STOCK);
            let commands = filter_commands(&files, reference, "fail2ban-regex-jail")
                .map_err(|e| e.to_string())??;
            FilterSpec::from_commands(&commands)
        }
        Some(d) => FilterSpec {
            failregex: vec![d.failregex.to_owned()],
            ignoreregex: d.ignoreregex.into_iter().map(str::to_owned).collect(),
            datepattern: d.datepattern.map(str::to_owned),
            maxlines: d.maxlines.unwrap_or(1),
            logtimezone: d.timezone.map(str::to_owned),
            ..FilterSpec::default()
        },
    };
    let mut filter = Filter::new(&spec).map_err(|e| e.to_string())?;
    let bytes = std::fs::read(log).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    Ok(filter.process(text.split('\n')))
}

/// Differences between the two answers, empty when they agree.
fn compare(reference: &str, log: &str, draft: Option<&Draft>) -> Vec<String> {
    let want = oracle(reference, log, draft);
    if want.get("error").is_some() {
        return vec!["fail2ban-regex cannot read it".into()];
    }
    let got = match ours(reference, log, draft) {
        Ok(r) => r,
        Err(e) => return vec![format!("bangui cannot run it: {e}")],
    };
    let mut diffs = Vec::new();
    let s = &got.summary;
    for (name, ours) in [
        ("tested", s.tested),
        ("matched", s.matched),
        ("missed", s.missed),
        ("ignored", s.ignored),
    ] {
        if want[name].as_u64() != Some(ours as u64) {
            diffs.push(format!(
                "{name}: fail2ban-regex {} bangui {ours}",
                want[name]
            ));
        }
    }
    let text = std::fs::read_to_string(log)
        .unwrap_or_else(|_| String::from_utf8_lossy(&std::fs::read(log).unwrap()).into_owned());
    let all: Vec<&str> = text.split('\n').collect();
    for (status, key) in [
        (LineStatus::Matched, "matched_lines"),
        (LineStatus::Missed, "missed_lines"),
        (LineStatus::Ignored, "ignored_lines"),
    ] {
        let mut ours: BTreeMap<String, i32> = BTreeMap::new();
        for l in got.lines.iter().filter(|l| l.status == status) {
            *ours
                .entry(all[l.number - 1].trim_end_matches('\r').to_owned())
                .or_default() += 1;
        }
        let mut theirs: BTreeMap<String, i32> = BTreeMap::new();
        for l in want[key].as_array().unwrap() {
            *theirs.entry(l.as_str().unwrap().to_owned()).or_default() += 1;
        }
        if ours != theirs {
            let only_ours: Vec<_> = ours
                .keys()
                .filter(|k| ours.get(*k) != theirs.get(*k))
                .take(3)
                .collect();
            let only_theirs: Vec<_> = theirs
                .keys()
                .filter(|k| ours.get(*k) != theirs.get(*k))
                .take(3)
                .collect();
            diffs.push(format!(
                "{key}: bangui {only_ours:?} vs fail2ban-regex {only_theirs:?}"
            ));
        }
    }
    // Failures per failregex, in order.
    let mut found: Vec<Vec<(Option<String>, Option<f64>)>> =
        vec![Vec::new(); s.failregex_matches.len()];
    for line in &got.lines {
        for f in &line.failures {
            found[f.failregex - 1].push((f.id.clone(), f.time));
        }
    }
    let theirs: Vec<Vec<(Option<String>, Option<f64>)>> = want["failregex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|m| (m[0].as_str().map(str::to_owned), m[1].as_f64()))
                .collect()
        })
        .collect();
    // A line without a date is dated "now" by both, a few milliseconds apart.
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let as_now = |v: &mut Vec<Vec<(Option<String>, Option<f64>)>>| {
        for (_, t) in v.iter_mut().flatten() {
            if t.is_some_and(|t| (now - t).abs() < 300.0) {
                *t = Some(0.0);
            }
        }
    };
    let (mut found, mut theirs) = (found, theirs);
    as_now(&mut found);
    as_now(&mut theirs);
    if found != theirs {
        for (i, (a, b)) in found.iter().zip(&theirs).enumerate() {
            if a != b {
                let at = a
                    .iter()
                    .zip(b)
                    .position(|(x, y)| x != y)
                    .unwrap_or(a.len().min(b.len()));
                diffs.push(format!(
                    "failregex {}: {} vs {} failures, first difference at {at}: {:?} vs {:?}",
                    i + 1,
                    a.len(),
                    b.len(),
                    a.get(at),
                    b.get(at)
                ));
            }
        }
        if found.len() != theirs.len() {
            diffs.push(format!("{} vs {} failregexes", found.len(), theirs.len()));
        }
    }
    let ignored: Vec<u64> = want["ignoreregex"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap())
        .collect();
    if s.ignoreregex_matches
        .iter()
        .map(|&n| n as u64)
        .collect::<Vec<_>>()
        != ignored
    {
        diffs.push(format!(
            "ignoreregex: bangui {:?} vs {ignored:?}",
            s.ignoreregex_matches
        ));
    }
    diffs
}

#[test]
fn filter_tests_answer_what_fail2ban_regex_answers() {
    let mut agree = Vec::new();
    let mut disagree = BTreeMap::new();
    let mut cases: Vec<(String, String)> = REQUIRED
        .iter()
        .map(|r| {
            (
                r.to_string(),
                format!("{LOGS}/{}", r.split('[').next().unwrap()),
            )
        })
        .collect();
    // Every other stock filter with a sample log of its name.
    for entry in std::fs::read_dir(LOGS).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        let path = format!("{LOGS}/{name}");
        if std::path::Path::new(&format!("{STOCK}/filter.d/{name}.conf")).exists()
            && std::path::Path::new(&path).is_file()
            && !cases.iter().any(|(r, _)| *r == name)
        {
            cases.push((name, path));
        }
    }
    cases.sort();
    for (reference, log) in &cases {
        let diffs = compare(reference, log, None);
        if diffs.is_empty() {
            agree.push(reference.clone());
        } else {
            disagree.insert(reference.clone(), diffs);
        }
    }
    eprintln!(
        "filter test vs fail2ban-regex: {} of {} filter/log pairs agree line for line",
        agree.len(),
        cases.len()
    );
    for (reference, diffs) in &disagree {
        eprintln!("  {reference}: {diffs:#?}");
    }
    let missing: Vec<_> = REQUIRED
        .iter()
        .filter(|r| disagree.contains_key(**r))
        .collect();
    assert!(missing.is_empty(), "required filters disagree: {missing:?}");
    assert!(disagree.is_empty(), "{} pairs disagree", disagree.len());
}

/// Lines a user might paste, with the dates and hosts the stock samples do not try.
const PASTED: &str = "\
1700000000.123 Failed login from 192.0.2.1
[1700000100] Failed login from 192.0.2.2
@4000000065537f1c2d5b8a9c Failed login from 192.0.2.3
2024-01-02T03:04:05+0200 Failed login from 2001:DB8::7
2024-01-02 03:04:06 CET Failed login from 198.51.100.0/24 subnet
Jan  2 03:04:07 host app[12]: Failed login from host.example.org
Jan  2 03:04:08 host app[12]: Failed login from 192.0.2.4 (trusted)
[02/Jan/2024:03:04:09 +0100] Failed login from 192.0.2.5
# a comment line is not tested

02-01-2024 03:04:10 Failed login from 192.0.2.6
Tue, 02 Jan 2024 03:04:11 Failed login from 192.0.2.7
no date at all: Failed login from 192.0.2.8
Jan  2 03:04:12 host app[12]: Something else from 192.0.2.9
Jan  2 03:04:13 host app[12]: Failed login from 192.0.2.10 user=\u{e9}t\u{e9}
";

#[test]
fn drafts_answer_what_fail2ban_regex_answers() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("pasted.log");
    std::fs::write(&log, PASTED).unwrap();
    let log = log.to_str().unwrap();
    let host = r"Failed login from <HOST>";
    let drafts = [
        Draft {
            failregex: host,
            ..Draft::default()
        },
        Draft {
            failregex: r"Failed login from <SUBNET>",
            ..Draft::default()
        },
        Draft {
            failregex: host,
            ignoreregex: Some(r"\(trusted\)"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("EPOCH"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("{^LN-BEG}EPOCH"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("TAI64N"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("{NONE}"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("{^LN-BEG}"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some(r"^\[{DATE}\]"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("%Y-%m-%d %H:%M:%S"),
            ..Draft::default()
        },
        Draft {
            failregex: host,
            datepattern: Some("%d-%m-%Y %H:%M:%S"),
            timezone: Some("UTC+0300"),
            ..Draft::default()
        },
        Draft {
            failregex: r"^ Failed login from <ADDR>$",
            ..Draft::default()
        },
        Draft {
            failregex: r"app\[<F-ID>\d+</F-ID>\]: Something",
            ..Draft::default()
        },
        Draft {
            failregex: r"^(?:\S+ )?Something else<SKIPLINES>user=\S+ from <HOST>",
            maxlines: Some(3),
            ..Draft::default()
        },
        Draft {
            failregex: r"Something else from <HOST>\n.*user=",
            maxlines: Some(2),
            ..Draft::default()
        },
    ];
    let mut disagree = BTreeMap::new();
    for (i, draft) in drafts.iter().enumerate() {
        let diffs = compare(draft.failregex, log, Some(draft));
        if !diffs.is_empty() {
            disagree.insert(
                format!("{i}: {} / {:?}", draft.failregex, draft.datepattern),
                diffs,
            );
        }
    }
    assert!(disagree.is_empty(), "{disagree:#?}");
}
