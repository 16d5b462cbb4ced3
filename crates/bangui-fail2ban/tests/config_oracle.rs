//! bangui's configuration reader against fail2ban's own (`fail2ban.client.configreader`, run
//! by Debian's Python through `tests/oracle/fail2ban_read.py`): on a copy of the stock
//! `/etc/fail2ban` plus files written to try the corners (overrides through `jail.d` and
//! `.local`, `%(known/…)s`, `[INCLUDES]`, conditional sections, broken and undecodable files),
//! every name must merge the same files in the same order and give every option of every
//! section the same value, or the same error.
#![allow(clippy::unwrap_used)] // in tests, a panic is a failed assertion with its backtrace

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use bangui_fail2ban::config::jails::{Host, JailConfig, Reference, Typed, jails};
use bangui_fail2ban::config::reader::ReadError;
use bangui_fail2ban::config::{ConfigSet, InterpolationError, LocalConfigDir};
use indexmap::IndexMap;
use serde_json::{Value, json};

const STOCK: &str = "/etc/fail2ban";
const PYTHON: &str = "/usr/bin/python3";

/// Files that try what the stock configuration does not.
const CORNERS: &[(&str, &str)] = &[
    // An override in jail.d and in jail.local that builds on the value it replaces.
    (
        "jail.d/00-bangui.conf",
        "[sshd]\nport = %(known/port)s,2222\nenabled = true\n\n[nginx-http-auth]\nmaxretry = many\nfilter = nginx-http-auth[mode=\"aggressive\" x]\naction = iptables[name=a, port=\"80,443\",\n   protocol=tcp]\n   sendmail-whois[dest=root@localhost]\n   bad[=x]\n\n[apache-auth]\nport = %(known/port)s,8080\n\n[bangui-new]\nenabled = false\nfilter = bangui-corners[mode=aggressive]\nlogpath = /var/log/a.log\n   /var/log/b*.log\n\n   /var/log/c.log ; a comment\n",
    ),
    (
        "jail.local",
        "[DEFAULT]\nbantime = 1h\nignoreip = 127.0.0.1/8 ::1\n   10.0.0.0/8\n\n[sshd]\nmaxretry: 3\n\n[apache-auth]\nport = %(known/port)s,8443\n",
    ),
    (
        "jail.d/zz-crlf.local",
        "[recidive]\r\nenabled = true\r\nbantime = 2w\r\n",
    ),
    // Hidden files are not matched by fail2ban's glob.
    ("jail.d/.hidden.conf", "[sshd]\nenabled = false\n"),
    // A filter with includes before and after, a .local override, names and section references.
    (
        "filter.d/bangui-corners.conf",
        "[INCLUDES]\nbefore = common.conf\nafter = bangui-corners-after.conf\n\n[Init]\nmode = normal\n\n[Definition]\n_daemon = bangui\nprefix = %(__prefix_line)s\nfailregex = ^%(prefix)s Failed for <HOST>$\n            ^%(prefix)s Bad (?:user|key) <HOST>$\n\n            ^x <HOST>$\nignoreregex =\nliteral = 100%% sure\nwho = %(__name__)s\nfrom_init = %(Init/mode)s\nfrom_default = %(default/_daemon)s\nmissing = %(nothing)s\nbroken = %(oops\nbare = 5%\nloop_a = %(loop_b)s\nloop_b = %(loop_a)s\nUPPER = Kept\n",
    ),
    (
        "filter.d/bangui-corners.local",
        "[Definition]\nfailregex = %(known/failregex)s\n            ^y <HOST>$\nupper = replaced\n",
    ),
    (
        "filter.d/bangui-corners-after.conf",
        "[Definition]\nafter_value = set after\n[Init?family=inet6]\nmode = six\n",
    ),
    // Includes that loop, and one that does not exist.
    (
        "filter.d/bangui-loop.conf",
        "[INCLUDES]\nbefore = bangui-loop-b.conf\n         missing.conf\n[Definition]\na = 1\n",
    ),
    (
        "filter.d/bangui-loop-b.conf",
        "[INCLUDES]\nbefore = bangui-loop.conf\n[Definition]\nb = 2\n",
    ),
    // Files fail2ban refuses to read.
    (
        "filter.d/bangui-duplicate.conf",
        "[Definition]\na = 1\nA = 2\n",
    ),
    ("filter.d/bangui-headless.conf", "a = 1\n[Definition]\n"),
    (
        "filter.d/bangui-nonsense.conf",
        "[Definition]\njust words\n",
    ),
    (
        "action.d/bangui-action.conf",
        "[Definition]\nactionban = echo <ip> >> %(file)s\n[Init]\nfile = /tmp/x\n[Init?family=inet6]\nfile = /tmp/x6\n",
    ),
];

/// A copy of the stock configuration with the corner files added.
fn config_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", &format!("{STOCK}/."), dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success(), "copying {STOCK}");
    for (name, text) in CORNERS {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    // fail2ban skips a file it cannot decode (and logs it): "café" in Latin-1.
    std::fs::write(
        dir.path().join("jail.d/zz-latin1.local"),
        b"[sshd]\nport = caf\xe9\n",
    )
    .unwrap();
    dir
}

/// `jail`, `fail2ban`, and every filter and action (by the names of their `.conf`/`.local`).
fn names(dir: &Path) -> Vec<String> {
    let mut names = vec!["jail".to_owned(), "fail2ban".to_owned()];
    for sub in ["filter.d", "action.d"] {
        let mut found: Vec<String> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .filter_map(|e| e.unwrap().file_name().into_string().ok())
            .filter_map(|n| {
                n.strip_suffix(".conf")
                    .or_else(|| n.strip_suffix(".local"))
                    .map(str::to_owned)
            })
            .filter(|n| !n.starts_with('.'))
            .map(|n| format!("{sub}/{n}"))
            .collect();
        found.sort();
        found.dedup();
        names.extend(found);
    }
    names
}

fn error_class(e: &InterpolationError) -> &'static str {
    match e {
        InterpolationError::NoSection(_) => "NoSectionError",
        InterpolationError::NoOption { .. } => "NoOptionError",
        InterpolationError::Missing { .. } => "InterpolationMissingOptionError",
        InterpolationError::Syntax { .. } => "InterpolationSyntaxError",
        InterpolationError::Depth { .. } => "InterpolationDepthError",
    }
}

fn read_error_class(e: &ReadError) -> &'static str {
    use bangui_fail2ban::config::ini::ParseError;
    match e {
        ReadError::Parse { error, .. } => match error {
            ParseError::MissingSectionHeader { .. } => "MissingSectionHeaderError",
            ParseError::DuplicateSection { .. } => "DuplicateSectionError",
            ParseError::DuplicateOption { .. } => "DuplicateOptionError",
            ParseError::Syntax { .. } => "ParsingError",
        },
        ReadError::Io { .. } => "OSError",
    }
}

/// What bangui reads, in the shape `fail2ban_read.py` prints.
fn bangui_reads(dir: &Path, name: &str) -> Value {
    let files = LocalConfigDir::new(dir);
    let set = match ConfigSet::read(&files, name) {
        Ok(set) => set,
        Err(e) => return json!({ "error": read_error_class(&e) }),
    };
    let none = IndexMap::new();
    let value = |section: &str, option: &str| match set.get(section, option, &none) {
        Ok(v) => Value::String(v),
        Err(e) => Value::String(format!("!{}", error_class(&e))),
    };
    let sections: BTreeMap<String, BTreeMap<String, Value>> = set
        .sections()
        .map(|s| {
            let options = set
                .options(s, true)
                .into_iter()
                .map(|o| (o.to_owned(), value(s, o)))
                .collect();
            (s.to_owned(), options)
        })
        .collect();
    let defaults: BTreeMap<String, Value> = set
        .defaults()
        .keys()
        .map(|o| (o.clone(), value("DEFAULT", o)))
        .collect();
    json!({ "files": set.files(), "defaults": defaults, "sections": sections })
}

#[test]
fn every_option_of_every_stock_configuration_reads_as_fail2ban_reads_it() {
    assert!(
        Path::new(STOCK).join("jail.conf").exists(),
        "fail2ban's stock configuration is missing: `make deps` installs fail2ban"
    );
    let dir = config_dir();
    let names = names(dir.path());
    let output = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/fail2ban_read.py"))
        .arg(dir.path())
        .args(&names)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fail2ban's reader: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fail2ban: BTreeMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();

    let mut differences = Vec::new();
    let mut options = 0;
    for name in &names {
        let theirs = &fail2ban[name];
        let ours = bangui_reads(dir.path(), name);
        if &ours != theirs {
            differences.push(describe(name, &ours, theirs));
        }
        options += theirs["sections"].as_object().map_or(0, |s| {
            s.values()
                .map(|o| o.as_object().map_or(0, |o| o.len()))
                .sum::<usize>()
        });
    }
    println!("{} configurations, {options} options compared", names.len());
    assert!(names.len() > 100, "only {} configurations", names.len());
    assert!(
        differences.is_empty(),
        "{} of {} configurations differ:\n{}",
        differences.len(),
        names.len(),
        differences.join("\n")
    );

    // The corners did what they were written for (so the comparison above saw them).
    let corners = &fail2ban["filter.d/bangui-corners"]["sections"]["Definition"];
    assert_eq!(corners["missing"], "!InterpolationMissingOptionError");
    assert_eq!(corners["loop_a"], "!InterpolationDepthError");
    assert_eq!(corners["who"], "Definition");
    let jails = &fail2ban["jail"]["sections"];
    assert_eq!(jails["sshd"]["port"], "ssh,2222");
    assert_eq!(jails["sshd"]["maxretry"], "3");
    // Two overrides that each build on the one before: `known/port` then names itself, and
    // fail2ban gives up. bangui's editor must write one override per option, not a chain.
    assert_eq!(jails["apache-auth"]["port"], "!InterpolationDepthError");
    assert_eq!(jails["recidive"]["bantime"], "2w");
    assert_eq!(jails["DEFAULT"], Value::Null);
    assert_eq!(
        fail2ban["filter.d/bangui-duplicate"]["error"],
        "DuplicateOptionError"
    );
}

/// The first few options that differ, side by side.
fn describe(name: &str, ours: &Value, theirs: &Value) -> String {
    let mut lines = vec![format!("== {name}")];
    if ours.get("error") != theirs.get("error") || ours.get("files") != theirs.get("files") {
        lines.push(format!(
            "  bangui: error {:?} files {}\n  fail2ban: error {:?} files {}",
            ours.get("error"),
            ours.get("files").unwrap_or(&Value::Null),
            theirs.get("error"),
            theirs.get("files").unwrap_or(&Value::Null)
        ));
    }
    for part in ["defaults", "sections"] {
        let (a, b) = (&ours[part], &theirs[part]);
        if a == b {
            continue;
        }
        let keys: std::collections::BTreeSet<&String> = a
            .as_object()
            .into_iter()
            .chain(b.as_object())
            .flat_map(|m| m.keys())
            .collect();
        for key in keys.into_iter().take(40) {
            if a.get(key) != b.get(key) {
                lines.push(format!(
                    "  {part}.{key}:\n    bangui:   {}\n    fail2ban: {}",
                    a.get(key).unwrap_or(&Value::Null),
                    b.get(key).unwrap_or(&Value::Null)
                ));
            }
        }
    }
    lines.join("\n")
}

/// A jail as `fail2ban_read.py --jails` prints it.
fn jail_json(jail: &JailConfig) -> Value {
    let reference = |r: &Result<Reference, String>| match r {
        Ok(r) => json!({ "name": r.name, "args": r.args }),
        Err(e) => json!({ "error": e }),
    };
    // fail2ban drops a value it cannot convert; bangui keeps it with a warning.
    let options: BTreeMap<&str, &Typed> = jail
        .settings
        .iter()
        .filter(|(_, s)| s.warning.is_none())
        .map(|(k, s)| (*k, &s.value))
        .collect();
    let mut out = json!({
        "options": options,
        "actions": jail.actions.iter().map(reference).collect::<Vec<_>>(),
    });
    if let Some(filter) = &jail.filter {
        out["filter"] = reference(filter);
    }
    if jail.settings.contains_key("logpath") {
        out["logpaths"] = jail
            .logpaths
            .iter()
            .map(|l| json!([l.pattern, l.tail]))
            .collect();
    }
    out
}

#[test]
fn every_jail_reads_as_fail2ban_reads_it() {
    let dir = config_dir();
    let confpath = dir.path().to_str().unwrap();
    let output = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/fail2ban_read.py"))
        .args(["--jails", confpath, "1.0.2"])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fail2ban's reader: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let fail2ban: BTreeMap<String, Value> = serde_json::from_slice(&output.stdout).unwrap();

    let files = LocalConfigDir::new(dir.path());
    let mut set = ConfigSet::read(&files, "jail").unwrap();
    let host = Host {
        version: "1.0.2".to_owned(),
        confpath: confpath.to_owned(),
    };
    let read = jails(&mut set, &host);
    let ours: BTreeMap<String, Value> = read
        .iter()
        .map(|(name, jail)| {
            let json = match jail {
                Ok(j) => jail_json(j),
                Err(e) => json!({ "error": error_class(e) }),
            };
            (name.clone(), json)
        })
        .collect();
    let jails: Vec<&JailConfig> = read.iter().filter_map(|(_, j)| j.as_ref().ok()).collect();
    let names: Vec<&String> = fail2ban.keys().collect();
    assert_eq!(ours.keys().collect::<Vec<_>>(), names, "the same jails");
    let differences: Vec<String> = names
        .iter()
        .filter(|n| ours[**n] != fail2ban[**n])
        .map(|n| {
            format!(
                "== {n}\n  bangui:   {}\n  fail2ban: {}",
                ours[*n], fail2ban[*n]
            )
        })
        .collect();
    println!("{} jails compared", names.len());
    assert!(names.len() > 50, "only {} jails", names.len());
    assert!(
        differences.is_empty(),
        "{} jails differ:\n{}",
        differences.len(),
        differences.join("\n")
    );

    // What only bangui tells: where each value comes from.
    let sshd = jails.iter().find(|j| j.name == "sshd").unwrap();
    assert!(sshd.enabled());
    let port = set.raw("sshd", "port").unwrap();
    assert_eq!(
        (port.source.file.as_str(), port.source.line),
        ("jail.d/00-bangui.conf", 2)
    );
    let maxretry = &sshd.settings["maxretry"];
    assert_eq!(maxretry.value, Typed::Int(3));
    assert_eq!(maxretry.source.as_ref().unwrap().file, "jail.local");
    let bantime = &sshd.settings["bantime"];
    assert_eq!(bantime.value, Typed::Text("1h".into()));
    let source = bantime.source.as_ref().unwrap();
    assert_eq!(
        (source.file.as_str(), source.section.as_str()),
        ("jail.local", "DEFAULT")
    );
    let nginx = jails.iter().find(|j| j.name == "nginx-http-auth").unwrap();
    assert_eq!(
        nginx.settings["maxretry"].warning.as_deref(),
        Some("maxretry = 'many' is not a whole number: fail2ban ignores it")
    );
    let new = jails.iter().find(|j| j.name == "bangui-new").unwrap();
    assert_eq!(
        new.logpaths
            .iter()
            .map(|l| l.pattern.as_str())
            .collect::<Vec<_>>(),
        ["/var/log/a.log", "/var/log/b*.log", "", "/var/log/c.log"]
    );
}

/// Jails that try what the stock ones do not, for the start commands; fail2ban's client
/// accepts all of them (a jail it refuses gets a `config-error` line).
fn stream_corners(dir: &Path) -> String {
    let logs = dir.join("logs");
    std::fs::create_dir_all(&logs).unwrap();
    for f in ["auth.log", "auth.1.log", ".hidden.log"] {
        std::fs::write(logs.join(f), "").unwrap();
    }
    let logs = logs.display();
    format!(
        "[sshd]\nport = %(known/port)s,2222\nmaxretry = 3\nlogpath = {logs}/auth*.log\n   {logs}/missing.log tail\n   {logs}/auth.log tail\n\n\
         [nginx-http-auth]\nfilter = nginx-http-auth[mode=\"fallback\"]\nlogpath = {logs}/auth.log\n\
         action = iptables-multiport[name=web, port=\"80,443\"]\n   sendmail-whois[dest=root@localhost, sender=f2b@localhost]\n   bangui-hook.py[actname=hook, x=1]\n\n\
         [recidive]\nbantime.increment = true\nmaxretry = lots\nignoreip = 127.0.0.1/8, ::1 192.0.2.0/24\n\n\
         [bangui-journal]\nfilter = sshd[mode=aggressive]\nbackend = systemd\nport = 22\n\n\
         [bangui-nofilter]\nfilter = does-not-exist\nlogpath = {logs}/auth.log\n\n\
         [bangui-badaction]\nfilter = sshd\nlogpath = {logs}/auth.log\naction = iptables[=x]\n\n\
         [bangui-noaction]\nfilter = sshd\nlogpath = {logs}/auth.log\naction = no-such-action\n"
    )
}

/// The commands of jail `name` in a stream (its `add`, `set`, `multi-set` and `start`).
fn commands_of<'a>(stream: &'a [Value], name: &str) -> Vec<&'a Value> {
    stream.iter().filter(|c| c[1] == name).collect()
}

#[test]
fn the_start_commands_of_every_jail_equal_what_fail2ban_client_d_prints() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", &format!("{STOCK}/."), dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let corners = stream_corners(dir.path());
    std::fs::write(dir.path().join("jail.d/50-corners.local"), &corners).unwrap();
    // Every jail enabled (the names from bangui's reading; fail2ban reads the same files).
    let files = LocalConfigDir::new(dir.path());
    let names: Vec<String> = ConfigSet::read(&files, "jail")
        .unwrap()
        .sections()
        .filter(|s| *s != "INCLUDES")
        .map(str::to_owned)
        .collect();
    let enable: String = names
        .iter()
        .map(|n| format!("[{n}]\nenabled = true\n\n"))
        .collect();
    std::fs::write(dir.path().join("jail.d/zz-all.local"), enable).unwrap();

    let output = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/fail2ban_read.py"))
        .args(["--dump", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "fail2ban-client -d: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let host = Host {
        version: "1.0.2".to_owned(),
        confpath: dir.path().to_str().unwrap().to_owned(),
    };
    let ours = bangui_fail2ban::config::stream::start_commands(&files, &host).unwrap();

    let mut matching = 0;
    let mut differences = Vec::new();
    for name in &names {
        let (a, b) = (commands_of(&ours, name), commands_of(&theirs, name));
        if a == b {
            matching += 1;
        } else {
            let first = a
                .iter()
                .zip(&b)
                .position(|(x, y)| x != y)
                .unwrap_or(a.len().min(b.len()));
            differences.push(format!(
                "== {name} ({} vs {} commands), first difference:\n  bangui:   {}\n  fail2ban: {}",
                a.len(),
                b.len(),
                a.get(first).map_or("-".to_owned(), |c| c.to_string()),
                b.get(first).map_or("-".to_owned(), |c| c.to_string()),
            ));
        }
    }
    let errors = |s: &[Value]| -> Vec<Value> {
        s.iter()
            .filter(|c| c[0] == "config-error")
            .cloned()
            .collect()
    };
    assert_eq!(
        errors(&ours),
        errors(&theirs),
        "the jails fail2ban skips, and why"
    );
    println!(
        "{matching} of {} jails: the same start commands as fail2ban-client -d",
        names.len()
    );
    // Every expression of every stock filter, as fail2ban would load it, compiles here too.
    let expressions = bangui_fail2ban::config::regex::expressions(&theirs);
    for e in &expressions {
        if let Err(error) = e.compile() {
            panic!("[{}] {} {}: {error}", e.jail, e.option, e.number);
        }
    }
    let compiled = expressions.len();
    println!("{compiled} filter expressions of the stock jails compile as fail2ban's");
    assert!(compiled > 200, "{compiled}");
    assert!(
        differences.is_empty(),
        "{} of {} jails differ:\n{}",
        differences.len(),
        names.len(),
        differences.join("\n")
    );
    // The corners were exercised: globbed log files, a Python action, typed values, journal
    // matches, and the jails fail2ban skips.
    let sshd = commands_of(&theirs, "sshd");
    assert!(
        sshd.iter().any(|c| c[2] == "addlogpath" && c[4] == "tail"),
        "{sshd:?}"
    );
    assert_eq!(errors(&theirs).len(), 3, "{:?}", errors(&theirs));
    let recidive = commands_of(&theirs, "recidive");
    assert!(recidive.contains(&&json!(["set", "recidive", "bantime.increment", true])));
    assert!(recidive.contains(&&json!(["set", "recidive", "maxretry", null])));
    let journal = commands_of(&theirs, "bangui-journal");
    assert!(
        journal.iter().any(|c| c[2] == "addjournalmatch"),
        "{journal:?}"
    );
    let web = commands_of(&theirs, "nginx-http-auth");
    assert!(
        web.iter().any(|c| c[2] == "addaction" && c[3] == "hook"),
        "{web:?}"
    );
}

/// The guard on raw writes does not stand in the way of ordinary configuration: every stock
/// jail file and every stock jail.d file, written as a new `jail.d` file, and every stock
/// filter, written as a new filter, pass it.
#[test]
fn the_stock_jail_files_pass_the_command_guard() {
    use bangui_fail2ban::config::guard::Guard;
    let dir = config_dir();
    let set = ConfigSet::read(&LocalConfigDir::new(dir.path()), "jail").unwrap();
    let guard = Guard::new(&set, &set);
    for name in [
        "port",
        "protocol",
        "chain",
        "banaction",
        "mta",
        "sender",
        "destemail",
        "logpath",
    ] {
        assert!(guard.feeds_commands(name), "{name} feeds the stock actions");
    }
    let mut checked = 0;
    for file in ["jail.conf", "paths-common.conf", "paths-debian.conf"] {
        let text = std::fs::read_to_string(Path::new(STOCK).join(file)).unwrap();
        assert_eq!(
            guard.check_file_change("jail.d", None, &text),
            Ok(()),
            "{file}"
        );
        checked += 1;
    }
    for dir in ["jail.d", "filter.d"] {
        for entry in std::fs::read_dir(Path::new(STOCK).join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if !path.is_file() {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            assert_eq!(
                guard.check_file_change(dir, None, &text),
                Ok(()),
                "{}",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 80, "{checked}");
}

/// The example for real hosts (`deploy/fail2ban/jail.d/00-bangui.local`): fail2ban's client
/// reads it, every iptables action then waits for the xtables lock (`-w 10`), and bangui reads
/// the same start commands.
#[test]
fn the_shipped_example_makes_iptables_wait_for_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new("cp")
        .args(["-a", &format!("{STOCK}/."), dir.path().to_str().unwrap()])
        .status()
        .unwrap();
    assert!(status.success());
    let example =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/fail2ban/jail.d/00-bangui.local");
    std::fs::copy(&example, dir.path().join("jail.d/00-bangui.local")).unwrap();
    let log = dir.path().join("auth.log");
    std::fs::write(&log, "").unwrap();
    std::fs::write(
        dir.path().join("jail.d/zz-test.local"),
        format!("[sshd]\nenabled = true\nbackend = polling\nlogpath = {}\n\n[blocklist-import]\nenabled = true\n", log.display()),
    )
    .unwrap();
    let output = Command::new(PYTHON)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/oracle/fail2ban_read.py"))
        .args(["--dump", dir.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let theirs: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let host = Host {
        version: "1.0.2".to_owned(),
        confpath: dir.path().to_str().unwrap().to_owned(),
    };
    let ours =
        bangui_fail2ban::config::stream::start_commands(&LocalConfigDir::new(dir.path()), &host)
            .unwrap();
    for jail in ["sshd", "blocklist-import"] {
        assert_eq!(
            commands_of(&ours, jail),
            commands_of(&theirs, jail),
            "{jail}"
        );
        let actions: Vec<&Value> = commands_of(&theirs, jail)
            .into_iter()
            .filter(|c| c[0] == "multi-set" && c[2] == "action")
            .collect();
        assert_eq!(actions.len(), 1, "{jail}: one iptables action");
        assert!(
            actions[0][4]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(["lockingopt", "-w 10"])),
            "{jail}: {}",
            actions[0]
        );
    }
}
