//! What an API caller may write into fail2ban's configuration without being able to make
//! fail2ban run a program of their choosing.
//!
//! fail2ban runs commands from its configuration in three ways: an action's `action*` options
//! are shell commands, with the arguments a jail's `action =` line gives pasted in unquoted
//! (`port`, `chain`, `protocol`, … reach them through `%(…)s`); `ignorecommand` is run for
//! every failure; and fail2ban evaluates some values as Python (`bantime.formula`, and the
//! time options, which `MyTime.str2seconds` hands to `eval`). So:
//!
//! - structured edits set only the options [`check_jail_option`] knows, with strict values;
//! - raw writes to `action.d` are refused ([`Guard::check_file_change`]): every value there is a
//!   command or part of one;
//! - raw writes to `jail.d` may change any option, except that code options are refused, action
//!   lines may only name actions and pass plain arguments, and every value that reaches an
//!   action's command or Python's `eval` must be plain text (no quotes, `;`, `|`, `&`, `$`,
//!   backquotes, parentheses, redirections or line breaks);
//! - `filter.d` holds regular expressions, which fail2ban only matches;
//! - `[INCLUDES]` name only files beside the one written, so that nothing unchecked (or
//!   written by someone else, outside the directory) is merged into the jails' configuration.
//!
//! An operator who wants bangui to edit commands too sets `BANGUI_CONFIG_ALLOW_COMMANDS`; the
//! checks here are then skipped by the caller.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use regex::Regex;

use super::ini::{self, IniFile};
use super::jails::{extract_options, split_with_options};
use super::reader::ConfigSet;

/// Options whose value fail2ban runs or evaluates as code.
const CODE_OPTIONS: &[&str] = &["ignorecommand", "bantime.formula", "ignorecache"];
/// Options fail2ban evaluates as Python arithmetic (`str2seconds`) or converts as numbers.
const EVALUATED_OPTIONS: &[&str] = &[
    "bantime",
    "findtime",
    "bantime.maxtime",
    "bantime.rndtime",
    "bantime.factor",
    "bantime.multipliers",
    "maxretry",
    "maxmatches",
    "maxlines",
    "dbpurgeage",
];

/// Options the stock action lines paste into commands: held to plain text wherever they are
/// written, whether or not an action line refers to them yet.
const CONVENTIONALLY_FED: &[&str] = &[
    "port",
    "protocol",
    "chain",
    "mta",
    "sender",
    "destemail",
    "sendername",
    "blocktype",
];

/// `%(name)s`, `%(known/name)s`, `%(section/name)s`: the option names a value refers to.
static REFERENCE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"%\((?:[\w.-]+/)?([\w.-]+)\)s").expect("a constant pattern"));
/// fail2ban's own tags in values (`<known/chain>`, `<fq-hostname>`), filled by fail2ban.
static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<[\w.-]+(?:/[\w.-]+)?>").expect("a constant pattern"));
static ACTION_NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:[\w.-]|%\((?:[\w.-]+/)?[\w.-]+\)s)+$").expect("a constant pattern")
});

/// Whether `key` holds action lines (`action`, `action_mwl`, `banaction`, …).
fn is_action_line(key: &str) -> bool {
    key == "action" || key.starts_with("action_") || key.starts_with("banaction")
}

fn is_code(key: &str) -> bool {
    CODE_OPTIONS.contains(&key) || key.contains("command")
}

/// What the configuration holds now, against which a raw write is checked.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    /// The options whose values reach an action's commands: those the action lines refer
    /// to, and those they refer to in turn (by name, in any section: a safe
    /// over-approximation).
    fed: BTreeSet<String>,
    /// `logpath` and the options its values refer to: lists of paths, one per line (in
    /// stock actions, pasted inside quotes).
    paths: BTreeSet<String>,
    /// Code and action lines the configuration holds already (option, value): writing one
    /// again elsewhere adds no program (the stock `jail.conf` copied to `jail.d`).
    known: BTreeSet<(String, String)>,
    /// The raw values of each option in the proposed configuration, by name.
    values: std::collections::HashMap<String, Vec<String>>,
}

impl Guard {
    /// The guard for a change from the configuration `current` to `proposed` (the same with
    /// the file written).
    pub fn new(current: &ConfigSet, proposed: &ConfigSet) -> Self {
        let set = proposed;
        let mut known = BTreeSet::new();
        for (_, key, value) in current.all_raw() {
            if is_action_line(key) || is_code(key) {
                known.insert((key.to_owned(), value.raw.clone()));
            }
        }
        let mut values: std::collections::HashMap<String, Vec<String>> = Default::default();
        for (_, key, value) in set.all_raw() {
            values
                .entry(key.to_owned())
                .or_default()
                .push(value.raw.clone());
        }
        Self {
            fed: referred_from(&values, is_action_line),
            paths: referred_from(&values, |k| k == "logpath"),
            known,
            values,
        }
    }

    /// Whether `name`'s value reaches an action's commands.
    pub fn feeds_commands(&self, name: &str) -> bool {
        self.fed.contains(name)
    }

    /// Checks one option written in a `jail.d` file (raw).
    pub fn check_option(&self, key: &str, value: &str) -> Result<(), String> {
        let known = || self.known.contains(&(key.to_owned(), value.to_owned()));
        if is_code(key) {
            // Empty is none (the stock jail.conf writes `ignorecommand =`).
            if value.trim().is_empty() || known() {
                return Ok(());
            }
            return Err(format!("{key} is code fail2ban runs"));
        }
        if is_action_line(key) {
            return if known() {
                Ok(())
            } else {
                check_action_line(key, value)?;
                self.check_referred(value)
            };
        }
        if EVALUATED_OPTIONS.contains(&key) {
            let rest = literal_part(value);
            if let Some(c) = rest
                .chars()
                .find(|&c| !(c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '+' | '*' | '-')))
            {
                return Err(format!(
                    "{key}: {c:?} is not allowed: fail2ban evaluates this value (a number or a time such as 10m, 1h 30m, -1)"
                ));
            }
            return Ok(());
        }
        if self.fed.contains(key) || CONVENTIONALLY_FED.contains(&key) {
            return plain(key, value, key == "logpath" || self.paths.contains(key));
        }
        Ok(())
    }

    /// A new action line makes the options it refers to feed commands: their values, wherever
    /// written, must be plain text.
    fn check_referred(&self, line: &str) -> Result<(), String> {
        let mut seen = BTreeSet::new();
        let mut todo: Vec<String> = references(line).collect();
        while let Some(name) = todo.pop() {
            if !seen.insert(name.clone()) || is_action_line(&name) {
                continue;
            }
            for value in self.values.get(&name).into_iter().flatten() {
                plain(
                    &name,
                    value,
                    name == "logpath" || self.paths.contains(&name),
                )?;
                todo.extend(references(value));
            }
        }
        Ok(())
    }

    /// Checks a raw write of `after` over `before` (`None`: a new file) in `dir` (`jail.d`,
    /// `filter.d`, `action.d`): only the options it adds or changes are checked.
    pub fn check_file_change(
        &self,
        dir: &str,
        before: Option<&str>,
        after: &str,
    ) -> Result<(), String> {
        match dir {
            "filter.d" => check_includes(after),
            "action.d" => {
                if before == Some(after) {
                    Ok(())
                } else {
                    Err(
                        "the files of action.d are the commands fail2ban runs: bangui changes \
                         them only where the operator allows it \
                         (BANGUI_CONFIG_ALLOW_COMMANDS=true)"
                            .into(),
                    )
                }
            }
            _ => {
                // A file fail2ban cannot parse is refused by fail2ban as a whole.
                let Ok(new) = ini::parse(after) else {
                    return Ok(());
                };
                check_includes(after)?;
                // A jail's name is pasted into its actions' commands (`f2b-<name>`).
                static SECTION: LazyLock<Regex> = LazyLock::new(|| {
                    Regex::new(r"^[\w.-]+(?:\?[\w.-]+=[\w.-]+)?$").expect("a constant pattern")
                });
                if let Some(bad) = new.sections.keys().find(|name| !SECTION.is_match(name)) {
                    return Err(format!(
                        "[{bad}]: a jail's name is letters, digits, '.', '-' and '_': fail2ban pastes it into commands"
                    ));
                }
                let old = before.and_then(|b| ini::parse(b).ok()).unwrap_or_default();
                for (section, key, value) in options(&new) {
                    if section == "INCLUDES" {
                        continue;
                    }
                    let unchanged = section_of(&old, section)
                        .and_then(|s| s.get(key))
                        .is_some_and(|o| o.value == value);
                    if !unchanged {
                        self.check_option(key, value)
                            .map_err(|e| format!("[{section}] {e}"))?;
                    }
                }
                Ok(())
            }
        }
    }
}

/// The options the values of the options `from` picks refer to, transitively (`logpath`
/// itself included when `from` picks it).
fn referred_from(
    values: &std::collections::HashMap<String, Vec<String>>,
    from: impl Fn(&str) -> bool,
) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut todo: Vec<String> = Vec::new();
    for (key, raws) in values {
        if from(key) {
            todo.extend(raws.iter().flat_map(|raw| references(raw)));
            if !is_action_line(key) {
                found.insert(key.clone());
            }
        }
    }
    while let Some(name) = todo.pop() {
        if found.insert(name.clone()) {
            todo.extend(
                values
                    .get(&name)
                    .into_iter()
                    .flatten()
                    .flat_map(|raw| references(raw)),
            );
        }
    }
    found
}

fn references(value: &str) -> impl Iterator<Item = String> + '_ {
    REFERENCE.captures_iter(value).map(|c| c[1].to_lowercase())
}

/// `value` without its references and fail2ban tags (what is left is pasted as written).
fn literal_part(value: &str) -> String {
    TAG.replace_all(&REFERENCE.replace_all(value, ""), "")
        .into_owned()
}

/// Plain text a shell takes as words: letters, digits, spaces and `. _ , : / @ + = * ? - ~ [ ] !`
/// (globs at most)
/// (and line breaks, for log paths).
fn plain(key: &str, value: &str, lines: bool) -> Result<(), String> {
    let rest = literal_part(value);
    let bad = rest.chars().find(|&c| {
        !(c.is_alphanumeric()
            || matches!(
                c,
                ' ' | '\t'
                    | '.'
                    | '_'
                    | ','
                    | ':'
                    | '/'
                    | '@'
                    | '+'
                    | '='
                    | '*'
                    | '?'
                    | '-'
                    | '~'
                    | '['
                    | ']'
                    | '!'
            )
            || (lines && c == '\n'))
    });
    match bad {
        Some(c) => Err(format!(
            "{key}: {c:?} is not allowed here, since fail2ban pastes this value into commands"
        )),
        None => Ok(()),
    }
}

/// An action line may name actions (or refer to other action lines) and pass them plain
/// arguments; it may not set an action's commands.
fn check_action_line(key: &str, value: &str) -> Result<(), String> {
    for entry in split_with_options(value) {
        let reference = extract_options(entry.trim()).map_err(|e| format!("{key}: {e}"))?;
        if !ACTION_NAME.is_match(reference.name.trim()) {
            return Err(format!(
                "{key}: {:?} is not an action name (letters, digits, '.', '-', '_')",
                reference.name
            ));
        }
        for (arg, value) in &reference.args {
            if is_action_line(arg) || is_code(arg) || arg.starts_with("action") {
                return Err(format!(
                    "{key}: {}[{arg}=…] would set the action's commands",
                    reference.name
                ));
            }
            plain(&format!("{key}: {}[{arg}]", reference.name), value, false)?;
        }
    }
    Ok(())
}

/// `[INCLUDES]` may name only files beside the one written (or below it): an include that
/// climbs out (`../action.d/x.conf`, `/tmp/x`) would merge a file the guard never checked
/// (or one written by someone else) into the jails' configuration.
fn check_includes(text: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^[\w.-]+(?:/[\w.-]+)*$").expect("a constant pattern"));
    let Ok(file) = ini::parse(text) else {
        return Ok(());
    };
    let Some(includes) = file.sections.get("INCLUDES") else {
        return Ok(());
    };
    for (key, option) in includes {
        for name in option.value.split_whitespace() {
            if !NAME.is_match(name) || name.split('/').any(|part| part == "..") {
                return Err(format!(
                    "[INCLUDES] {key}: {name} is not a file beside this one (no absolute paths, no ..)"
                ));
            }
        }
    }
    Ok(())
}

type Section = indexmap::IndexMap<String, ini::RawOption>;

fn section_of<'a>(file: &'a IniFile, name: &str) -> Option<&'a Section> {
    if name == ini::DEFAULT {
        Some(&file.defaults)
    } else {
        file.sections.get(name)
    }
}

fn options(file: &IniFile) -> impl Iterator<Item = (&str, &str, &str)> {
    let defaults = file
        .defaults
        .iter()
        .map(|(k, v)| (ini::DEFAULT, k.as_str(), v.value.as_str()));
    let sections = file.sections.iter().flat_map(|(s, o)| {
        o.iter()
            .map(move |(k, v)| (s.as_str(), k.as_str(), v.value.as_str()))
    });
    defaults.chain(sections)
}

/// A time as fail2ban's `MyTime.str2seconds` reads it: numbers with units (`600`, `10m`,
/// `1h 30m`, `1d12h`, `-1`, `1year-6mo`), joined by spaces or `+ - *`.
pub fn is_time(text: &str) -> bool {
    static TIME: LazyLock<Regex> = LazyLock::new(|| {
        let unit = r"(?:days?|da|dd?|weeks?|wee?|ww?|months?|mon?|years?|yea?|yy?|seconds?|sec?|ss?|minutes?|min?|mm?|hours?|hou?|hh?)";
        let term = format!(r"\d+(?:\.\d+)?\s*{unit}?");
        Regex::new(&format!(
            r"(?i)^\s*[-+]?\s*{term}(?:\s*[-+*]?\s*{term})*\s*$"
        ))
        .expect("a constant pattern")
    });
    TIME.is_match(text)
}

/// The options a structured edit (or an activation) may set, with what their values may hold:
/// none of them can become a command.
pub fn check_jail_option(key: &str, value: &[String]) -> Result<(), String> {
    let one = || -> Result<&str, String> {
        match value {
            [v] => Ok(v.as_str()),
            _ => Err(format!("{key} takes one value")),
        }
    };
    let chars = |v: &str, ok: &dyn Fn(char) -> bool, what: &str| {
        if v.is_empty() || v.len() > 200 || !v.chars().all(ok) {
            Err(format!("{key}: {what}"))
        } else {
            Ok(())
        }
    };
    let word = |allowed: &[&str]| -> Result<(), String> {
        let v = one()?;
        if allowed.contains(&v) {
            Ok(())
        } else {
            Err(format!("{key} is one of {}", allowed.join(", ")))
        }
    };
    match key {
        "enabled" => word(&["true", "false"]),
        "maxretry" | "maxmatches" => chars(one()?, &|c| c.is_ascii_digit(), "a whole number"),
        "bantime" | "findtime" | "bantime.maxtime" | "bantime.rndtime" => {
            let v = one()?;
            chars(
                v,
                &|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-' || c == '.',
                "a time such as 600, 10m, 1h 30m or -1",
            )?;
            if is_time(v) {
                Ok(())
            } else {
                Err(format!("{key}: a time such as 600, 10m, 1h 30m or -1"))
            }
        }
        "bantime.factor" => chars(one()?, &|c| c.is_ascii_digit() || c == '.', "a number"),
        "bantime.multipliers" => chars(one()?, &|c| c.is_ascii_digit() || c == ' ', "numbers"),
        "bantime.increment" | "bantime.overalljails" => word(&["true", "false"]),
        "port" => chars(
            one()?,
            &|c| c.is_ascii_alphanumeric() || matches!(c, ',' | ':' | '-'),
            "port numbers or names, ranges with ':', separated by ','",
        ),
        "protocol" => word(&["tcp", "udp", "sctp", "all"]),
        "chain" => chars(
            one()?,
            &|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'),
            "a chain name",
        ),
        "backend" => word(&["auto", "polling", "pyinotify", "systemd"]),
        "usedns" => word(&["yes", "no", "warn", "raw"]),
        "ignoreip" => chars(
            one()?,
            &|c| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | ' ' | ',' | '-'),
            "addresses, networks and host names",
        ),
        "filter" => chars(
            one()?,
            &|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'),
            "the name of a filter of filter.d",
        ),
        "logpath" => {
            if value.is_empty() || value.len() > 50 {
                return Err("logpath takes 1 to 50 paths".into());
            }
            for line in value {
                // fail2ban reads a file from its head unless the line ends in ` tail`.
                let path = line
                    .strip_suffix(" tail")
                    .or_else(|| line.strip_suffix(" head"))
                    .unwrap_or(line);
                chars(
                    path,
                    &|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '/' | '.' | '_' | '-' | '*' | '?')
                    },
                    "absolute paths of letters, digits, / . _ - and the globs * ?",
                )?;
                if !path.starts_with('/') || path.contains("..") {
                    return Err(format!("logpath: {path} is not an absolute path"));
                }
            }
            Ok(())
        }
        other => Err(format!(
            "{other} cannot be set here (allowed: enabled, bantime, findtime, maxretry, \
             maxmatches, bantime.*, port, protocol, chain, backend, usedns, ignoreip, filter, \
             logpath)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_fail2ban_reads_them() {
        for ok in [
            "600",
            "10m",
            "1h 30m",
            "1d12h",
            "-1",
            "1year-6mo",
            "2 weeks",
            "1.5h",
        ] {
            assert!(is_time(ok), "{ok}");
        }
        for bad in ["", "ten minutes", "1h; x", "1 fortnight", "h", "__import__"] {
            assert!(!is_time(bad), "{bad}");
        }
    }

    #[test]
    fn structured_options_cannot_carry_commands() {
        let one = |v: &str| vec![v.to_owned()];
        for (key, value) in [
            ("maxretry", one("3")),
            ("bantime", one("1h 30m")),
            ("port", one("ssh,2222,8000:8080")),
            (
                "logpath",
                vec![
                    "/var/log/auth.log".into(),
                    "/var/log/nginx/*error.log".into(),
                    "/var/log/a.log tail".into(),
                ],
            ),
            ("ignoreip", one("127.0.0.1/8 ::1 example.org")),
            ("filter", one("sshd")),
            ("enabled", one("false")),
        ] {
            assert!(check_jail_option(key, &value).is_ok(), "{key}");
        }
        for (key, value) in [
            ("port", one("22; rm -rf /")),
            ("port", one("$(id)")),
            ("chain", one("INPUT -j ACCEPT")),
            ("action", one("iptables")),
            ("ignorecommand", one("/bin/true")),
            ("bantime.formula", one("__import__('os').system('id')")),
            ("bantime", one("__import__('os').system('id')")),
            ("banaction", one("x")),
            ("maxretry", one("3\naction = x")),
            ("logpath", one("relative.log")),
            ("logpath", one("/var/log/../../etc/shadow")),
            ("logpath", one("/var/log/a.log more")),
            ("logpath", one("/var/log/a.log;tail")),
            ("backend", one("python")),
            ("filter", one("sshd[mode=x]")),
            ("enabled", one("yes please")),
            ("maxretry", vec![]),
        ] {
            assert!(check_jail_option(key, &value).is_err(), "{key} = {value:?}");
        }
    }

    fn guard() -> Guard {
        Guard {
            fed: ["port", "protocol", "chain", "banaction", "mta", "logpath"]
                .into_iter()
                .map(str::to_owned)
                .collect(),
            paths: ["logpath".to_owned()].into_iter().collect(),
            values: [("custom".to_owned(), vec!["1 | sh".to_owned()])]
                .into_iter()
                .collect(),
            known: [(
                "ignorecommand".to_owned(),
                "%(fail2ban_confpath)s/filter.d/ignorecommands/apache-fakegooglebot <ip>"
                    .to_owned(),
            )]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn raw_jail_files_may_not_add_commands() {
        let ok = [
            "[sshd]\nenabled = true\nport = ssh,2222\n",
            "[sshd]\nbanaction = nftables-multiport\n",
            "[sshd]\naction = %(action_mwl)s\n",
            "[sshd]\naction = iptables-multiport[name=ssh, port=\"%(port)s\", protocol=tcp]\n         sendmail[dest=root@example.org]\n",
            "[sshd]\nchain = <known/chain>\nlogpath = /var/log/auth.log\n          /var/log/secure\n",
            "[sshd]\nfailregex = ^(?P<x>a|b) from <HOST>$\n",
            "[DEFAULT]\nbantime = 1h\nfindtime = 10m\nbantime.maxtime = -1\n",
            "[sshd]\nunrelated = anything (goes) here; it feeds nothing\n",
        ];
        for text in ok {
            assert_eq!(
                guard().check_file_change("jail.d", None, text),
                Ok(()),
                "{text}"
            );
        }
        let refused = [
            "[sshd]\nignorecommand = /usr/bin/curl evil.example\n",
            "[DEFAULT]\nbantime.formula = __import__('os').system('id')\n",
            "[sshd]\nbantime = __import__('os').system('id')\n",
            "[sshd]\nfindtime = 10m; import os\n",
            "[sshd]\naction = iptables[actionban=\"touch /tmp/x\"]\n",
            "[sshd]\naction = iptables[port=\"22; touch /tmp/x\"]\n",
            "[sshd]\naction = $(touch /tmp/x)\n",
            "[sshd]\nport = 22; touch /tmp/x\n",
            "[sshd]\nport = 22 `touch /tmp/x`\n",
            "[sshd]\nchain = INPUT | sh\n",
            "[DEFAULT]\nmta = sendmail > /etc/passwd\n",
            "[sshd]\nbanaction = x'y\n",
            "[sshd]\nport = 22\n   && id\n",
            "[sshd]\nmy_command = id\n",
            // A jail's name reaches its actions' commands.
            "[x$(touch /tmp/x)]\nenabled = true\n",
            "[a b]\nenabled = true\n",
            // Includes that climb out merge files the guard never saw.
            "[INCLUDES]\nbefore = ../filter.d/evil.local\n[sshd]\nport = 22\n",
            "[INCLUDES]\nafter = /tmp/evil.conf\n",
            // An option written earlier, harmless then, fed to a new action line.
            "[sshd]\naction = iptables[port=\"%(custom)s\"]\n",
        ];
        for text in refused {
            assert!(
                guard().check_file_change("jail.d", None, text).is_err(),
                "{text}"
            );
        }
    }

    #[test]
    fn only_changed_options_are_checked() {
        let before = "[sshd]\nignorecommand = /usr/local/bin/check <ip>\n";
        let after = "[sshd]\nignorecommand = /usr/local/bin/check <ip>\nmaxretry = 3\n";
        assert_eq!(
            guard().check_file_change("jail.d", Some(before), after),
            Ok(())
        );
        let changed = "[sshd]\nignorecommand = /bin/sh -c id\n";
        let stock = "[apache-fakegooglebot]\nignorecommand = %(fail2ban_confpath)s/filter.d/ignorecommands/apache-fakegooglebot <ip>\n";
        assert_eq!(guard().check_file_change("jail.d", None, stock), Ok(()));
        assert!(
            guard()
                .check_file_change("jail.d", Some(before), changed)
                .is_err()
        );
    }

    #[test]
    fn action_files_are_commands_and_filters_are_not() {
        let action = "[Definition]\nactionban = touch /tmp/x\n";
        assert!(guard().check_file_change("action.d", None, action).is_err());
        assert!(
            guard()
                .check_file_change("action.d", Some("old"), action)
                .is_err()
        );
        assert_eq!(
            guard().check_file_change("action.d", Some(action), action),
            Ok(())
        );
        let filter =
            "[INCLUDES]\nbefore = common.conf\n[Definition]\nfailregex = ^x <HOST>; $(y)\n";
        assert_eq!(guard().check_file_change("filter.d", None, filter), Ok(()));
        let climbing =
            "[INCLUDES]\nbefore = ../jail.d/x.local\n[Definition]\nfailregex = ^x <HOST>\n";
        assert!(
            guard()
                .check_file_change("filter.d", None, climbing)
                .is_err()
        );
    }

    #[test]
    fn options_feeding_commands_are_found_through_references() {
        use crate::config::LocalConfigDir;
        use crate::config::files::WithFile;
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("jail.conf"),
            "[DEFAULT]\nport = 0:65535\nbanaction = iptables\naction_ = %(banaction)s[port=\"%(port)s\", chain=\"%(chain)s\"]\naction = %(action_)s\nchain = %(mychain)s\nmychain = INPUT\nother = x\n",
        )
        .unwrap();
        let base = LocalConfigDir::new(dir.path());
        let files = WithFile {
            base: &base,
            path: "jail.local",
            content: Some(b"[sshd]\naction = x[a=%(extra)s]\nextra = y\n"),
        };
        let set = ConfigSet::read(&files, "jail").unwrap();
        let guard = Guard::new(&ConfigSet::default(), &set);
        for name in ["banaction", "port", "chain", "mychain", "action_", "extra"] {
            assert!(guard.feeds_commands(name), "{name} in {:?}", guard.fed);
        }
        assert!(!guard.feeds_commands("other"));
    }
}
