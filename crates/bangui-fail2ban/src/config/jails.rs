//! The jails of a configuration, active and inactive, with the values fail2ban would give
//! their options (`JailReader` in fail2ban 1.0's `client/jailreader.py`): interpolated, typed
//! as fail2ban types them, each with the file and section it comes from; the filter and the
//! actions with their arguments (`name[arg=value, …]`), and the log paths.

use std::borrow::Cow;
use std::sync::LazyLock;

use indexmap::IndexMap;
use regex::Regex;

use super::reader::{ConfigSet, InterpolationError, Source};

/// How fail2ban converts an option (`ConfigReader.getOptions`'s `CONVERTER`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Bool,
    Int,
    Text,
}

/// The options a jail section may set (`JailReader._configOpts`, filter options included), in
/// fail2ban's order, with their kind and the value used when a file does not set them.
pub const JAIL_OPTIONS: &[(&str, Kind, Option<Typed>)] = &[
    ("enabled", Kind::Bool, Some(Typed::Bool(false))),
    (
        "backend",
        Kind::Text,
        Some(Typed::Text(Cow::Borrowed("auto"))),
    ),
    ("maxretry", Kind::Int, None),
    ("maxmatches", Kind::Int, None),
    ("findtime", Kind::Text, None),
    ("bantime", Kind::Text, None),
    ("bantime.increment", Kind::Bool, None),
    ("bantime.factor", Kind::Text, None),
    ("bantime.formula", Kind::Text, None),
    ("bantime.multipliers", Kind::Text, None),
    ("bantime.maxtime", Kind::Text, None),
    ("bantime.rndtime", Kind::Text, None),
    ("bantime.overalljails", Kind::Bool, None),
    ("ignorecommand", Kind::Text, None),
    ("ignoreself", Kind::Bool, None),
    ("ignoreip", Kind::Text, None),
    ("ignorecache", Kind::Text, None),
    ("filter", Kind::Text, Some(Typed::Text(Cow::Borrowed("")))),
    ("logtimezone", Kind::Text, None),
    ("logencoding", Kind::Text, None),
    ("logpath", Kind::Text, None),
    ("action", Kind::Text, Some(Typed::Text(Cow::Borrowed("")))),
    ("usedns", Kind::Text, None),
    ("prefregex", Kind::Text, None),
    ("ignoreregex", Kind::Text, None),
    ("failregex", Kind::Text, None),
    ("maxlines", Kind::Int, None),
    ("datepattern", Kind::Text, None),
    ("journalmatch", Kind::Text, None),
];

/// A value as fail2ban holds it after conversion.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(untagged)]
pub enum Typed {
    Bool(bool),
    Int(i64),
    Text(Cow<'static, str>),
}

/// One option's effective value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub value: Typed,
    /// Where it was written; `None` for fail2ban's built-in default.
    pub source: Option<Source>,
    /// Set when fail2ban cannot convert the written value and ignores it (`value` is then
    /// the text as written).
    pub warning: Option<String>,
}

/// `name[arg=value, …]`: a filter or an action and the arguments a jail gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub name: String,
    pub args: IndexMap<String, String>,
}

/// One `logpath` line: a path or glob, and whether fail2ban reads it from its `head` or `tail`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPath {
    pub pattern: String,
    pub tail: String,
}

/// A jail as the configuration defines it.
#[derive(Debug, Clone)]
pub struct JailConfig {
    pub name: String,
    pub settings: IndexMap<&'static str, Setting>,
    /// The filter, or why fail2ban cannot parse the line that names it.
    pub filter: Option<Result<Reference, String>>,
    /// The actions in order, each parsed or with why fail2ban cannot parse it.
    pub actions: Vec<Result<Reference, String>>,
    pub logpaths: Vec<LogPath>,
}

impl JailConfig {
    pub fn enabled(&self) -> bool {
        matches!(
            self.settings.get("enabled").map(|s| &s.value),
            Some(Typed::Bool(true))
        )
    }
}

/// What fail2ban adds to `[DEFAULT]` before reading jails (`JailReader.getOptions`).
#[derive(Debug, Clone)]
pub struct Host {
    /// fail2ban's version (`%(fail2ban_version)s`).
    pub version: String,
    /// The configuration directory as fail2ban sees it (`%(fail2ban_confpath)s`).
    pub confpath: String,
}

impl Host {
    /// What fail2ban's client adds to `[DEFAULT]` before reading jails.
    pub fn merge_into(&self, set: &mut ConfigSet) {
        set.merge_defaults([
            ("fail2ban_version", self.version.as_str()),
            ("fail2ban_confpath", self.confpath.as_str()),
        ]);
    }
}

/// Every jail section of `jail` (read with [`ConfigSet::read`]), by name; a jail whose values
/// cannot be interpolated comes with the error fail2ban would stop at.
pub fn jails(
    set: &mut ConfigSet,
    host: &Host,
) -> Vec<(String, Result<JailConfig, InterpolationError>)> {
    host.merge_into(set);
    let names: Vec<String> = set
        .sections()
        .filter(|s| *s != "INCLUDES")
        .map(str::to_owned)
        .collect();
    names
        .into_iter()
        .map(|name| {
            let jail = jail(set, &name);
            (name, jail)
        })
        .collect()
}

/// One jail's options (`ConfigReader.getOptions(jail, _configOpts)`), filter, actions and logs.
pub fn jail(set: &ConfigSet, name: &str) -> Result<JailConfig, InterpolationError> {
    let none = IndexMap::new();
    let mut settings = IndexMap::new();
    for (option, kind, default) in JAIL_OPTIONS {
        let raw = match set.get(name, option, &none) {
            Ok(v) => v,
            Err(InterpolationError::NoOption { .. }) => {
                if let Some(d) = default {
                    settings.insert(
                        *option,
                        Setting {
                            value: d.clone(),
                            source: None,
                            warning: None,
                        },
                    );
                }
                continue;
            }
            Err(e) => return Err(e),
        };
        let source = set.raw(name, option).map(|v| v.source.clone());
        let (value, warning) = match convert(&raw, *kind) {
            Some(v) => (v, None),
            // fail2ban warns and goes on without it; bangui keeps what was written, to show.
            None => (
                Typed::Text(Cow::Owned(raw.clone())),
                Some(format!(
                    "{option} = {} is not a whole number: fail2ban ignores it",
                    python_repr(&raw)
                )),
            ),
        };
        settings.insert(
            *option,
            Setting {
                value,
                source,
                warning,
            },
        );
    }
    let text = |option: &str| match settings.get(option).map(|s| &s.value) {
        Some(Typed::Text(t)) => t.to_string(),
        _ => String::new(),
    };
    let filter_line = text("filter");
    let filter = (!filter_line.is_empty()).then(|| extract_options(&filter_line));
    let actions = split_with_options(&text("action"))
        .iter()
        .map(|a| a.trim())
        .filter(|a| !a.is_empty())
        .map(extract_options)
        .collect();
    let logpaths = text("logpath")
        .split('\n')
        .filter(|_| settings.contains_key("logpath"))
        .map(|line| match line.rsplit_once(' ') {
            Some((pattern, tail)) => LogPath {
                pattern: pattern.to_owned(),
                tail: tail.to_owned(),
            },
            None => LogPath {
                pattern: line.to_owned(),
                tail: "head".to_owned(),
            },
        })
        .collect();
    Ok(JailConfig {
        name: name.to_owned(),
        settings,
        filter,
        actions,
        logpaths,
    })
}

/// fail2ban's conversion of a written value; `None` where Python's `int()` fails.
fn convert(raw: &str, kind: Kind) -> Option<Typed> {
    match kind {
        Kind::Text => Some(Typed::Text(Cow::Owned(raw.to_owned()))),
        // `_as_bool`: anything else is false.
        Kind::Bool => Some(Typed::Bool(matches!(
            raw.to_lowercase().as_str(),
            "1" | "on" | "true" | "yes"
        ))),
        Kind::Int => python_int(raw).map(Typed::Int),
    }
}

/// Python's `int(text)`: surrounding whitespace, a sign, digits with single `_` between them.
pub(crate) fn python_int(raw: &str) -> Option<i64> {
    let t = raw.trim();
    let (negative, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let n: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -n } else { n })
}

/// `OPTION_CRE`: `name` and the text inside its brackets.
static OPTION: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?s)^([^\[]+)(?:\[(.*)\])?\s*\n?$").expect("a constant pattern"));

/// `OPTION_EXTRACT_CRE`: one `arg=value` (quoted or not) after another.
static OPTION_EXTRACT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)\s*([\w\-_\.]+)=(?:"([^"]*)"|'([^']*)'|([^,\]]*))(?:,|\]\s*\[|\n?$|(?P<wrngA>.+))|,?\s*\n?$|(?P<wrngB>.+)"#,
    )
    .expect("a constant pattern")
});

/// `OPTION_SPLIT_CRE` without its look-ahead (checked by hand in [`split_with_options`]).
static OPTION_SPLIT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?s)[^\[\s]+(?:\s*\[\s*(?:[\w\-_\.]+=(?:"[^"]*"|'[^']*'|[^,\]]*)\s*(?:,|\]\s*\[)?\s*)*\])?\s*"#,
    )
    .expect("a constant pattern")
});

static NON_SPACE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\S+").expect("a constant pattern"));

/// fail2ban's `extractOptions`: `name[a=1, b="x, y"][c='z']` → `name` and its arguments.
pub fn extract_options(option: &str) -> Result<Reference, String> {
    let caps = OPTION
        .captures(option)
        .ok_or_else(|| "unexpected option syntax".to_owned())?;
    let name = caps.get(1).map_or("", |m| m.as_str()).to_owned();
    let mut args = IndexMap::new();
    if let Some(inner) = caps.get(2).map(|m| m.as_str()).filter(|s| !s.is_empty()) {
        for m in OPTION_EXTRACT.captures_iter(inner) {
            if let Some(wrong) = m.name("wrngA") {
                return Err(format!(
                    "unexpected syntax at {} after option {}: {}",
                    wrong.start(),
                    python_repr(m.get(1).map_or("", |g| g.as_str())),
                    wrong.as_str().chars().take(25).collect::<String>()
                ));
            }
            if let Some(wrong) = m.name("wrngB") {
                return Err(format!(
                    "expected option, wrong syntax at {}: {}",
                    wrong.start(),
                    wrong.as_str().chars().take(25).collect::<String>()
                ));
            }
            let Some(key) = m.get(1) else { continue };
            let value = m
                .get(2)
                .or_else(|| m.get(3))
                .or_else(|| m.get(4))
                .map_or("", |g| g.as_str());
            args.insert(key.as_str().trim().to_owned(), value.trim().to_owned());
        }
    }
    Ok(Reference { name, args })
}

/// Python's `repr()` of a string, as fail2ban's messages quote names.
pub(crate) fn python_repr(s: &str) -> String {
    let quote = if s.contains('\'') && !s.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// fail2ban's `splitWithOptions`: the actions of an `action =` value, each with its
/// bracketed arguments (which may span lines).
pub fn split_with_options(value: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut at = 0;
    while at < value.len() {
        let Some(m) = OPTION_SPLIT.find_at(value, at) else {
            break;
        };
        // Python requires whitespace or the end after a match; where the bracketed form is
        // followed by more text, its second alternative (`\S+`) takes the whole word.
        let end = m.end();
        let followed_ok = end >= value.len()
            || value[..end].ends_with(char::is_whitespace)
            || value[end..].starts_with(char::is_whitespace);
        let (start, end) = if followed_ok {
            (m.start(), end)
        } else {
            match NON_SPACE.find_at(value, m.start()) {
                Some(w) => (w.start(), w.end()),
                None => break,
            }
        };
        found.push(value[start..end].to_owned());
        at = end.max(at + 1);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_as_fail2ban_extracts_them() {
        let r = extract_options(
            "iptables-multiport[name=SSH, port=\"22,2222\", protocol='tcp'][chain=INPUT]",
        )
        .unwrap();
        assert_eq!(r.name, "iptables-multiport");
        assert_eq!(
            r.args
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>(),
            [
                ("name", "SSH"),
                ("port", "22,2222"),
                ("protocol", "tcp"),
                ("chain", "INPUT")
            ]
        );
        assert_eq!(extract_options("sshd").unwrap().name, "sshd");
        // Answers fail2ban 1.0.2's extractOptions gives.
        assert_eq!(extract_options("x[a=1 b]").unwrap().args["a"], "1 b");
        assert_eq!(
            extract_options("x[a=\"1\" b]").unwrap_err(),
            "unexpected syntax at 5 after option 'a':  b"
        );
        assert_eq!(
            extract_options("x[=1]").unwrap_err(),
            "expected option, wrong syntax at 0: =1"
        );
        assert_eq!(
            extract_options("x[a=1,,b=2]").unwrap_err(),
            "expected option, wrong syntax at 4: ,b=2"
        );
        assert!(extract_options("x[a]").is_err());
        assert!(extract_options("[a=1]").is_err());
    }

    #[test]
    fn actions_split_across_lines_and_brackets() {
        let v = "%(action_)s\n  mail[name=a, dest=\"x y\",\n   sender=z]\nother";
        let parts: Vec<String> = split_with_options(v)
            .into_iter()
            .map(|s| s.trim().to_owned())
            .collect();
        assert_eq!(
            parts,
            [
                "%(action_)s",
                "mail[name=a, dest=\"x y\",\n   sender=z]",
                "other"
            ]
        );
    }

    #[test]
    fn ints_as_python_reads_them() {
        assert_eq!(python_int(" 5 "), Some(5));
        assert_eq!(python_int("-3"), Some(-3));
        assert_eq!(python_int("1_000"), Some(1000));
        assert_eq!(python_int("5m"), None);
        assert_eq!(python_int("1__0"), None);
        assert_eq!(python_int(""), None);
    }
}
