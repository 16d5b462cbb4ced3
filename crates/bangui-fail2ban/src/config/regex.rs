//! fail2ban's regular expressions: its tags (`<HOST>`, `<F-USER>…</F-USER>`, `<SKIPLINES>`)
//! replaced as `failregex.Regex._resolveHostTag` replaces them, then compiled by an engine close
//! to Python's `re` (fancy-regex: look-around, back-references, `(?P<name>…)`), with the few
//! spellings where the two differ translated. One difference is left: fancy-regex takes a
//! variable-width look-behind that Python refuses; fail2ban then refuses the expression when it
//! loads it, and a change that brought it is rolled back.

use std::collections::HashSet;
use std::sync::LazyLock;

use fancy_regex::Regex as Fancy;
use regex::{Captures, Regex};

const IP_4: &str = r"(?:\d{1,3}\.){3}\d{1,3}";
const IP_6: &str = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|(?<=:):)";
const IP_6_NO_LOOKBEHIND: &str = r"(?:[0-9a-fA-F]{1,4}::?|::){1,7}(?:[0-9a-fA-F]{1,4}|:)";

static FTAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"</?[\w\-]+/?>").expect("a constant pattern"));
static FCUSTNAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(/?)F-([A-Z0-9_\-]+)$").expect("a constant pattern"));
/// `R_GLOB2LOCFLAGS`: `((?i)x)` → `(?i:x)` (a look-behind in Python, checked by hand here).
static GLOBAL_FLAGS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\((?:\?:)?(\(\?[a-z]+)\)").expect("a constant pattern"));

fn ip4() -> String {
    format!("(?:::f{{4,6}}:)?(?P<ip4>{IP_4})")
}
fn ip6() -> String {
    format!("(?P<ip6>{IP_6})")
}
fn dns() -> &'static str {
    r"(?P<dns>[\w\-.^_]*\w)"
}
fn addr() -> String {
    format!(r"\[?(?:{}|{})\]?", ip4(), ip6())
}

/// The expression a tag stands for (`RH4TAG` and `<HOST>`), if it is one of fail2ban's.
fn static_tag(tag: &str, use_dns: &str) -> Option<String> {
    Some(match tag {
        "HOST" => {
            if use_dns == "no" {
                addr()
            } else {
                format!("(?:{}|{})", addr(), dns())
            }
        }
        "IP4" | "F-IP4/" => ip4(),
        "IP6" | "F-IP6/" => ip6(),
        "ADDR" | "F-ADDR/" => addr(),
        "CIDR" | "F-CIDR/" => r"(?P<cidr>\d+)".into(),
        "SUBNET" | "F-SUBNET/" => format!(r"\[?(?:{}|{})(?:/(?P<cidr>\d+))?\]?", ip4(), ip6()),
        "DNS" | "F-DNS/" => dns().into(),
        "F-ID/" => r"(?P<fid>\S+)".into(),
        "F-PORT/" => r"(?P<fport>\w+)".into(),
        _ => return None,
    })
}

/// `mapTag2Opt`.
fn group_name(tag: &str) -> String {
    let tag = tag.to_lowercase();
    match tag.as_str() {
        "id" => "fid".into(),
        "port" => "fport".into(),
        _ => tag,
    }
}

/// `Regex._resolveHostTag`, then `R_GLOB2LOCFLAGS`: the expression Python compiles.
pub fn resolve_tags(regex: &str, use_dns: &str) -> String {
    let mut open: HashSet<String> = HashSet::new();
    let mut skiplines = 0;
    let resolved = FTAG.replace_all(regex, |c: &Captures| {
        let tag = &c[0];
        let name = &tag[1..tag.len() - 1];
        if name == "SKIPLINES" {
            skiplines += 1;
            return format!(r"\n(?P<skiplines{}>(?:(?:.*\n)*?))", skiplines - 1);
        }
        if let Some(expr) = static_tag(name, use_dns) {
            return expr;
        }
        if let Some(m) = FCUSTNAME.captures(name) {
            let custom = m[2].to_owned();
            if !m[1].is_empty() {
                return if open.contains(&custom) {
                    ")".into()
                } else {
                    tag.to_owned()
                };
            }
            let group = group_name(&custom);
            open.insert(custom);
            return format!("(?P<{group}>");
        }
        tag.to_owned()
    });
    // Python's look-behind `(?<!\\)`: a group not escaped.
    let mut out = String::with_capacity(resolved.len());
    let mut last = 0;
    for c in GLOBAL_FLAGS.captures_iter(&resolved) {
        let whole = c.get(0).expect("group 0");
        if resolved[..whole.start()].ends_with('\\') {
            continue;
        }
        out.push_str(&resolved[last..whole.start()]);
        out.push_str(&c[1]);
        out.push(':');
        last = whole.end();
    }
    out.push_str(&resolved[last..]);
    out
}

/// How Python's `$` is spelled for fancy-regex.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Dollar {
    /// Multi-line mode: before any newline, as in fancy-regex.
    Multiline,
    /// At the end, or before a newline that ends the text (`(?=\n?\z)`).
    Python,
    /// The text is one line ending with a newline (fail2ban's buffer for `maxlines = 1`):
    /// Python's `$` is then exactly a multi-line `$`, which needs no look-ahead.
    SingleLine,
}

/// Python's spelling → fancy-regex's where they differ: `\Z` is `\z`; a `{` that does not
/// start a repetition is a literal; unknown escapes of punctuation are the character; `\<`,
/// `\>` are the characters; `(?(name)…)` tests a named group; `$` as [`Dollar`] says.
pub(crate) fn translate(python: &str, dollar: Dollar) -> String {
    let chars: Vec<char> = python.chars().collect();
    let mut out = String::with_capacity(python.len());
    let mut i = 0;
    let mut in_class = false;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() => {
                let next = chars[i + 1];
                match next {
                    'Z' if !in_class => out.push_str(r"\z"),
                    // Word boundaries in fancy-regex, the characters themselves in Python.
                    '<' | '>' => out.push(next),
                    _ => {
                        out.push('\\');
                        out.push(next);
                    }
                }
                i += 2;
                continue;
            }
            '[' if !in_class => {
                in_class = true;
                out.push(c);
                // `[]` and `[^]` take a first `]` literally, as in Python.
                if chars.get(i + 1) == Some(&'^') {
                    out.push('^');
                    i += 1;
                }
                if chars.get(i + 1) == Some(&']') {
                    out.push_str(r"\]");
                    i += 1;
                }
            }
            '[' if in_class => out.push_str(r"\["),
            ']' if in_class => {
                in_class = false;
                out.push(c);
            }
            '$' if !in_class && dollar == Dollar::Python => out.push_str(r"(?=\n?\z)"),
            '$' if !in_class && dollar == Dollar::SingleLine => out.push_str("(?m:$)"),
            // Python's `(?(name)yes|no)` is fancy-regex's `(?(<name>)yes|no)`.
            '(' if !in_class && chars[i + 1..].starts_with(&['?', '(']) => {
                let name: String = chars[i + 3..]
                    .iter()
                    .take_while(|c| c.is_alphanumeric() || **c == '_')
                    .collect();
                let closed = chars.get(i + 3 + name.chars().count()) == Some(&')');
                if closed && name.chars().next().is_some_and(|c| !c.is_ascii_digit()) {
                    out.push_str(&format!("(?(<{name}>)"));
                    i += 4 + name.chars().count();
                    continue;
                }
                out.push(c);
            }
            '{' if !in_class && !starts_repetition(&chars[i..]) => out.push_str(r"\{"),
            '}' if !in_class && !closes_repetition(&chars[..=i]) => out.push_str(r"\}"),
            _ => out.push(c),
        }
        i += 1;
    }
    out
}

/// `{m}`, `{m,}`, `{,n}`, `{m,n}`: what Python takes as a repetition.
fn starts_repetition(rest: &[char]) -> bool {
    let Some(end) = rest.iter().position(|&c| c == '}') else {
        return false;
    };
    let inner: String = rest[1..end].iter().collect();
    let (a, b) = inner.split_once(',').unwrap_or((&inner, ""));
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    !inner.is_empty()
        && digits(a)
        && digits(b)
        && (!a.is_empty() || !b.is_empty())
        && (inner.contains(',') || !a.is_empty())
}

/// Whether the `}` ending `upto` closes a repetition.
fn closes_repetition(upto: &[char]) -> bool {
    let before = upto;
    let Some(start) = before.iter().rposition(|&c| c == '{') else {
        return false;
    };
    (start == 0 || before[start - 1] != '\\') && starts_repetition(&before[start..])
}

/// A compiled fail2ban expression.
#[derive(Debug, Clone)]
pub struct FailRegex {
    /// The expression as fail2ban compiles it (tags resolved).
    pub resolved: String,
    pub regex: Fancy,
}

/// Compiles `regex` as fail2ban's `Regex(regex, multiline, useDns=use_dns)` does, or says why
/// fail2ban could not (an empty expression, a syntax error, a group defined twice).
pub fn compile(regex: &str, use_dns: &str, multiline: bool) -> Result<FailRegex, String> {
    compile_with(regex, use_dns, multiline, false)
}

/// [`compile`] for searching fail2ban's buffer of one line (`maxlines = 1`) when
/// `single_line`: the same matches, found without the look-arounds Python's `$` and `<HOST>`
/// would otherwise need (which fancy-regex runs in its slower backtracking VM).
pub(crate) fn compile_with(
    regex: &str,
    use_dns: &str,
    multiline: bool,
    single_line: bool,
) -> Result<FailRegex, String> {
    let resolved = resolve_tags(regex, use_dns);
    if resolved.trim_start().is_empty() {
        return Err("Cannot add empty regex".into());
    }
    let mut pattern = String::new();
    if multiline {
        pattern.push_str("(?m)");
    }
    let dollar = match (multiline, single_line) {
        (true, _) => Dollar::Multiline,
        (false, true) => Dollar::SingleLine,
        (false, false) => Dollar::Python,
    };
    // The look-behind ending `<IP6>` always holds where it is tried (every repetition before
    // it ends with `:`), so it can go.
    let translated = translate(&resolved, dollar).replace(IP_6, IP_6_NO_LOOKBEHIND);
    pattern.push_str(&translated);
    let regex = fancy_regex::RegexBuilder::new(&pattern)
        .build()
        .map_err(|e| format!("Unable to compile regular expression '{resolved}': {e}"))?;
    // Python refuses a group name defined twice (`<HOST>` used twice, for one).
    let mut names = HashSet::new();
    for name in regex.capture_names().flatten() {
        if !names.insert(name) {
            return Err(format!(
                "Unable to compile regular expression '{resolved}': redefinition of group name '{name}'"
            ));
        }
    }
    Ok(FailRegex { resolved, regex })
}

/// One expression a stream of start commands gives fail2ban for a jail, with the settings it
/// is compiled with (the jail's `usedns`, and multi-line when `maxlines` > 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression<'a> {
    pub jail: &'a str,
    /// `failregex`, `ignoreregex` or `prefregex`.
    pub option: &'static str,
    /// 1-based, within the option.
    pub number: usize,
    pub text: &'a str,
    pub use_dns: &'a str,
    pub multiline: bool,
}

impl Expression<'_> {
    pub fn compile(&self) -> Result<FailRegex, String> {
        compile(self.text, self.use_dns, self.multiline)
    }
}

/// Every `addfailregex`, `addignoreregex` and `prefregex` of `commands` (fail2ban's start
/// commands, as `config::stream` gives them).
pub fn expressions(commands: &[serde_json::Value]) -> Vec<Expression<'_>> {
    use serde_json::Value;
    let setting = |jail: &Value, name: &str| {
        commands
            .iter()
            .find(|c| c[0] == "set" && &c[1] == jail && c[2] == name)
            .map(|c| &c[3])
    };
    let mut found = Vec::new();
    for command in commands {
        let option = match command[2].as_str() {
            Some("addfailregex") => "failregex",
            Some("addignoreregex") => "ignoreregex",
            Some("prefregex") => "prefregex",
            _ => continue,
        };
        let jail = &command[1];
        let use_dns = setting(jail, "usedns")
            .and_then(Value::as_str)
            .unwrap_or("warn");
        let multiline = setting(jail, "maxlines").is_some_and(|v| {
            v.as_i64()
                .or_else(|| v.as_str()?.trim().parse().ok())
                .unwrap_or(1)
                > 1
        });
        let texts: Vec<&str> = match &command[3] {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            Value::String(one) => vec![one.as_str()],
            _ => Vec::new(),
        };
        for (at, text) in texts.into_iter().enumerate() {
            found.push(Expression {
                jail: jail.as_str().unwrap_or_default(),
                option,
                number: at + 1,
                text,
                use_dns,
                multiline,
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_resolve_as_fail2ban_resolves_them() {
        let r = resolve_tags(
            "^Failed for <F-USER>.+</F-USER> from <HOST> port <F-PORT/>$",
            "yes",
        );
        assert!(r.starts_with("^Failed for (?P<user>.+) from (?:"), "{r}");
        assert!(r.contains("(?P<dns>"));
        assert!(r.ends_with(r" port (?P<fport>\w+)$"));
        // usedns = no: addresses only; an unopened closing tag stays as written.
        let r = resolve_tags("<HOST></F-X><UNKNOWN>", "no");
        assert!(!r.contains("dns"));
        assert!(r.ends_with("</F-X><UNKNOWN>"));
        assert_eq!(resolve_tags("a((?i)b)", "yes"), "a(?i:b)");
        assert_eq!(resolve_tags(r"a\((?i)b)", "yes"), r"a\((?i)b)");
        assert!(resolve_tags("a<SKIPLINES>b<SKIPLINES>", "yes").contains("skiplines1"));
    }

    #[test]
    fn compiles_what_python_compiles_and_refuses_what_it_refuses() {
        let ok = compile(r"^x (?P<a>y)(?P=a) <HOST>\Z", "yes", false).unwrap();
        assert!(ok.regex.is_match("x yy 192.0.2.1").unwrap());
        assert!(compile("^a{ <HOST> }b{2}", "yes", false).is_ok());
        assert!(
            compile("[]x] <HOST>", "yes", false)
                .unwrap()
                .regex
                .is_match("] 1.2.3.4")
                .unwrap()
        );
        assert!(compile("(?<=ab)c <HOST>", "yes", false).is_ok());
        for bad in ["^(unclosed <HOST>", "<HOST> and <HOST>", "   ", "*x"] {
            assert!(compile(bad, "yes", false).is_err(), "{bad}");
        }
        // Python's conditionals on a named group.
        let c = compile(r"^(?P<a>x )?(?(a)y|z)$", "yes", false).unwrap();
        assert!(c.regex.is_match("x y\n").unwrap() && c.regex.is_match("z").unwrap());
        assert!(!c.regex.is_match("x z").unwrap());
        let m = compile("^from <ADDR>$", "yes", false).unwrap();
        let caps = m.regex.captures("from 2001:db8::1").unwrap().unwrap();
        assert_eq!(caps.name("ip6").unwrap().as_str(), "2001:db8::1");
    }
}
