//! fail2ban's date detection (`datetemplate.py`, `datedetector.py`): date patterns turned
//! into regular expressions with the same rewriting rules, fail2ban's default templates with
//! their line-anchored variants, and the detector that remembers which template matched last
//! and where, reorders its templates by use, and prefers the nearest date — so that a line's
//! date, and therefore what is left of the line for the expressions, is the one fail2ban finds.

use std::sync::LazyLock;
use std::time::{SystemTime, UNIX_EPOCH};

use fancy_regex::Regex;

type Caps<'t> = fancy_regex::Captures<'t, str>;

use super::strptime::{self, TIME_RE};

const LINE_BEGIN: u8 = 8;
const LINE_END: u8 = 4;
const WORD_BEGIN: u8 = 2;
const WORD_END: u8 = 1;

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("a constant pattern")
}

static RE_GROUPED: LazyLock<Regex> = LazyLock::new(|| re(r"(?<!(?:\(\?))(?<!\\)\((?!\?)"));
static RE_GROUP: LazyLock<Regex> =
    LazyLock::new(|| re(r"^((?:\(\?\w+\))?\^?(?:\(\?\w+\))?)(.*?)(\$?)$"));
static RE_GLOBALFLAGS: LazyLock<Regex> = LazyLock::new(|| re(r"((?:^|(?!<\\))\(\?[a-z]+\))"));
static RE_EXLINE_NO_BOUNDS: LazyLock<Regex> = LazyLock::new(|| re(r"^\{UNB\}"));
static RE_EXLINE_BOUND_BEG: LazyLock<Regex> = LazyLock::new(|| re(r"^\{\^LN-BEG\}"));
static RE_EXSANC_BOUND_BEG: LazyLock<Regex> = LazyLock::new(|| re(r"^\((?:\?:)?\^\|\\b\|\\W\)"));
static RE_EXEANC_BOUND_BEG: LazyLock<Regex> = LazyLock::new(|| re(r"\(\?=\\b\|\\W\|\$\)$"));
static RE_NO_WRD_BOUND_BEG: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\(*(?:\(\?\w+\))?(?:\^|\(*\*\*|\((?:\?:)?\^)"));
static RE_NO_WRD_BOUND_END: LazyLock<Regex> =
    LazyLock::new(|| re(r"(?<!\\)(?:\$\)?|\\b|\\s|\*\*\)*)$"));
static RE_DEL_WRD_BOUNDS: LazyLock<Regex> =
    LazyLock::new(|| re(r"^\(*(?:\(\?\w+\))?\(*\*\*|(?<!\\)\*\*\)*$"));
static RE_LINE_BOUND_BEG: LazyLock<Regex> =
    LazyLock::new(|| re(r"^(?:\(\?\w+\))?(?:\^|\((?:\?:)?\^(?!\|))"));
static RE_LINE_BOUND_END: LazyLock<Regex> = LazyLock::new(|| re(r"(?<![\\\|])(?:\$\)?)$"));
static RE_ALPHA_PATTERN: LazyLock<Regex> = LazyLock::new(|| re(r"(?<!\%)\%[aAbBpc]"));
static RE_EPOCH_PATTERN: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?<!\\)\{L?EPOCH\}"));
static RE_DATE_PREMATCH: LazyLock<Regex> = LazyLock::new(|| re(r"(?i)(?<!\\)\{DATE\}"));

fn found(regex: &Regex, text: &str) -> bool {
    regex.is_match(text).unwrap_or(false)
}

fn remove(regex: &Regex, text: &str) -> String {
    regex.replace(text, "").into_owned()
}

/// How a template is bounded at its start (`wordBegin`: `True`, `False` or `'start'`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Begin {
    No,
    Word,
    Line,
}

#[derive(Debug, Clone)]
enum Kind {
    /// `DatePatternRegex`, with the pattern it was made from.
    Pattern(String),
    /// `DateEpoch`: the group holding the number, and whether milli/microseconds are allowed.
    Epoch {
        group: usize,
        long: bool,
    },
    Tai64n,
}

/// A date template: its name (as fail2ban names it), expression and bound flags.
#[derive(Debug, Clone)]
pub struct Template {
    pub name: String,
    pub regex: String,
    flags: u8,
    weight: f64,
    kind: Kind,
    compiled: Regex,
}

/// Why a date pattern cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct PatternError(pub String);

/// `DateTemplate.setRegex`: the boundaries and group fail2ban adds around an expression.
fn bound_regex(name: &mut String, regex: &str, begin: Begin, word_end: bool) -> (String, u8) {
    let mut regex = regex.trim().to_owned();
    let global_flags = RE_GLOBALFLAGS
        .captures(regex.as_str())
        .ok()
        .flatten()
        .map(|c| c[1].to_owned());
    if global_flags.is_some() {
        regex = RE_GLOBALFLAGS.replacen(&regex, 1, "").into_owned();
    }
    let bound_begin = begin != Begin::No && !found(&RE_NO_WRD_BOUND_BEG, &regex);
    let bound_end = word_end && !found(&RE_NO_WRD_BOUND_END, &regex);
    if !found(&RE_GROUPED, &regex) {
        regex = RE_GROUP
            .replace(&regex, |c: &Caps| format!("{}({}){}", &c[1], &c[2], &c[3]))
            .into_owned();
    }
    let mut flags = 0;
    if bound_begin {
        if begin == Begin::Line {
            flags |= LINE_BEGIN;
            regex = format!(r"^(?:\W{{0,2}})?{regex}");
            if !name.starts_with("{^LN-BEG}") {
                *name = format!("{{^LN-BEG}}{name}");
            }
        } else {
            flags |= WORD_BEGIN;
            regex = format!(r"(?=^|\b|\W){regex}");
        }
    }
    if bound_end {
        flags |= WORD_END;
        regex.push_str(r"(?=\b|\W|$)");
    }
    if flags & LINE_BEGIN == 0 && found(&RE_LINE_BOUND_BEG, &regex) {
        flags |= LINE_BEGIN;
    }
    if flags & LINE_END == 0 && found(&RE_LINE_BOUND_END, &regex) {
        flags |= LINE_END;
    }
    regex = RE_DEL_WRD_BOUNDS
        .replace_all(&regex, |c: &Caps| c[0].replace("**", ""))
        .into_owned();
    if let Some(flags) = global_flags {
        regex = format!("{flags}{regex}");
    }
    (regex, flags)
}

/// `%X` fields replaced, as `fmt % timeRE` and `fmt % names` do.
fn expand_fields(pattern: &str) -> Result<(String, String), PatternError> {
    let mut regex = String::with_capacity(pattern.len() * 4);
    let mut name = String::with_capacity(pattern.len());
    let mut rest = pattern;
    while let Some(at) = rest.find('%') {
        regex.push_str(&rest[..at]);
        name.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let key = [3, 1]
            .into_iter()
            .filter_map(|n| after.get(..n))
            .find(|k| (k.len() == 1 || k.starts_with("Ex")) && TIME_RE.contains_key(k))
            .ok_or_else(|| {
                PatternError(format!(
                    "Failed to set datepattern '{pattern}' (may be an invalid format or unescaped percent char)"
                ))
            })?;
        regex.push_str(&TIME_RE[key]);
        name.push_str(&strptime::field_name(key));
        rest = &after[key.len()..];
    }
    regex.push_str(rest);
    name.push_str(rest);
    Ok((regex, name))
}

impl Template {
    fn new(
        mut name: String,
        regex: &str,
        begin: Begin,
        word_end: bool,
        kind: Kind,
    ) -> Result<Self, PatternError> {
        let (regex, flags) = bound_regex(&mut name, regex, begin, word_end);
        let compiled = Regex::new(&crate::config::regex::translate(
            &regex,
            crate::config::regex::Dollar::Multiline,
        ))
        .map_err(|e| PatternError(format!("Failed to set datepattern '{name}': {e}")))?;
        Ok(Self {
            name,
            regex,
            flags,
            weight: 1.0,
            kind,
            compiled,
        })
    }

    /// `DatePatternRegex(pattern)`.
    fn pattern(pattern: &str) -> Result<Self, PatternError> {
        let mut text = pattern.to_owned();
        let (mut begin, mut end) = (Begin::Word, true);
        if found(&RE_EXLINE_NO_BOUNDS, &text) {
            text = remove(&RE_EXLINE_NO_BOUNDS, &text);
            (begin, end) = (Begin::No, false);
        }
        if begin != Begin::No && found(&RE_EXLINE_BOUND_BEG, &text) {
            text = remove(&RE_EXLINE_BOUND_BEG, &text);
            begin = Begin::Line;
        }
        let (mut regex, name) = expand_fields(&text)?;
        if found(&RE_ALPHA_PATTERN, &text) {
            regex = format!("(?iu){regex}");
        }
        Self::new(name, &regex, begin, end, Kind::Pattern(pattern.to_owned()))
    }

    /// `DateEpoch(lineBeginOnly, pattern, longFrm)`.
    fn epoch(
        line_begin_only: bool,
        pattern: Option<&str>,
        long: bool,
    ) -> Result<Self, PatternError> {
        let number = if long {
            r"\d{10,11}(?:\d{3}(?:\.\d{1,6}|\d{3})?)?"
        } else {
            r"\d{10,11}\b(?:\.\d{3,6})?"
        };
        let default_name = if long { "LongEpoch" } else { "Epoch" };
        if let Some(pattern) = pattern {
            let inner = RE_EPOCH_PATTERN.replace_all(pattern, |_: &Caps| format!("({number})"));
            let regex = format!("({inner})");
            return Self::new(
                pattern.to_owned(),
                &regex,
                Begin::Word,
                true,
                Kind::Epoch { group: 2, long },
            );
        }
        let kind = Kind::Epoch { group: 1, long };
        if !line_begin_only {
            let regex =                 r"((?:^|(?P<square>(?<=^\[))|(?P<selinux>(?<=\baudit\()))%s)(?:(?(selinux)(?=:\d+\)))|(?(square)(?=\])))".replace("%s", number);
            Self::new(default_name.into(), &regex, Begin::No, true, kind)
        } else {
            let regex = r"((?P<square>(?<=^\[))?%s)(?(square)(?=\]))".replace("%s", number);
            Self::new(default_name.into(), &regex, Begin::Line, true, kind)
        }
    }

    /// `DateTai64n(wordBegin)`.
    fn tai64n(line_begin: bool) -> Result<Self, PatternError> {
        let begin = if line_begin { Begin::Line } else { Begin::No };
        Self::new("TAI64N".into(), "@[0-9a-f]{24}", begin, true, Kind::Tai64n)
    }

    /// `_getPatternTemplate(pattern, key)`.
    fn from_pattern(pattern: &str, key: Option<&str>) -> Result<Self, PatternError> {
        let key = key.map_or_else(
            || {
                if pattern.contains('%') {
                    pattern.to_owned()
                } else {
                    pattern.to_uppercase()
                }
            },
            str::to_owned,
        );
        if key.contains("EPOCH") {
            if found(&RE_EPOCH_PATTERN, pattern) {
                return Self::epoch(false, Some(pattern), key.contains("LEPOCH"));
            }
            if matches!(key.as_str(), "EPOCH" | "{^LN-BEG}EPOCH" | "^EPOCH") {
                return Self::epoch(key != "EPOCH", None, false);
            }
            if matches!(key.as_str(), "LEPOCH" | "{^LN-BEG}LEPOCH" | "^LEPOCH") {
                return Self::epoch(key != "LEPOCH", None, true);
            }
        }
        if matches!(key.as_str(), "TAI64N" | "{^LN-BEG}TAI64N" | "^TAI64N") {
            return Self::tai64n(key != "TAI64N");
        }
        Self::pattern(pattern)
    }

    /// `_getAnchoredTemplate(template, wrap)`.
    fn anchored(&self, wrap: &dyn Fn(&str) -> String) -> Result<Self, PatternError> {
        match &self.kind {
            Kind::Pattern(pattern) => Self::from_pattern(&wrap(pattern), None),
            _ => Self::from_pattern(&wrap(&self.name), None),
        }
    }

    /// `DateTemplate.unboundPattern`.
    fn unbound(pattern: &str) -> String {
        let p = remove(&RE_EXLINE_NO_BOUNDS, pattern);
        let p = remove(&RE_EXLINE_BOUND_BEG, &p);
        let p = remove(&RE_EXSANC_BOUND_BEG, &p);
        remove(&RE_EXEANC_BOUND_BEG, &p)
    }

    fn is_anchored(&self) -> bool {
        self.flags & (LINE_BEGIN | LINE_END) != 0
    }

    /// `getDate`: the Unix time of a match (`spans`: its groups' byte ranges in `line`).
    fn date(
        &self,
        line: &str,
        spans: &[Option<(usize, usize)>],
        default_tz: Option<i32>,
    ) -> Option<f64> {
        let group = |i: usize| spans.get(i).copied().flatten().map(|(s, e)| &line[s..e]);
        match self.kind {
            Kind::Pattern(_) => {
                let fields: Vec<(&str, &str)> = self
                    .compiled
                    .capture_names()
                    .enumerate()
                    .filter_map(|(i, name)| Some((name?, group(i)?)))
                    .collect();
                strptime::to_unix_time(&fields, default_tz, chrono::Local::now().naive_local())
            }
            Kind::Epoch {
                group: group_at,
                long,
            } => {
                let v = group(group_at)?;
                let value: f64 = v.parse().ok()?;
                Some(if long && v.len() >= 13 {
                    if v.len() >= 16 && !v.contains('.') {
                        value / 1_000_000.0
                    } else {
                        value / 1000.0
                    }
                } else {
                    value
                })
            }
            Kind::Tai64n => {
                let v = group(1)?;
                i64::from_str_radix(v.get(2..17)?, 16)
                    .ok()
                    .map(|s| s as f64)
            }
        }
    }
}

/// The seventeen patterns of `DateDetectorCache.DEFAULT_TEMPLATES`, in order.
const DEFAULT_PATTERNS: [&str; 17] = [
    r"%ExY(?P<_sep>[-/.])%m(?P=_sep)%d(?:T|  ?)%H:%M:%S(?:[.,]%f)?(?:\s*%z)?",
    r"(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"(?:%a )?%b %d %ExY %k:%M:%S(?:\.%f)?",
    r"%d(?P<_sep>[-/])%m(?P=_sep)(?:%ExY|%Exy) %k:%M:%S",
    r"%d(?P<_sep>[-/])%b(?P=_sep)%ExY[ :]?%H:%M:%S(?:\.%f)?(?: %z)?",
    r"%m/%d/%ExY:%H:%M:%S",
    r"%m-%d-%ExY %k:%M:%S(?:\.%f)?",
    r"EPOCH",
    r"{^LN-BEG}%H:%M:%S",
    r"^<%m/%d/%Exy@%H:%M:%S>",
    r"%Exy%Exm%Exd  ?%H:%M:%S",
    r"%b %d, %ExY %I:%M:%S %p",
    r"^%b-%d-%Exy %k:%M:%S",
    r"%ExY%Exm%Exd(?:T|  ?)%ExH%ExM%ExS(?:[.,]%f)?(?:\s*%z)?",
    r"(?:%Z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"(?:%z )?(?:%a )?%b %d %k:%M:%S(?:\.%f)?(?: %ExY)?",
    r"TAI64N",
];

/// `DateDetectorCache.defaultTemplates`.
static DEFAULTS: LazyLock<Vec<Template>> = LazyLock::new(|| {
    DEFAULT_PATTERNS
        .iter()
        .map(|p| Template::from_pattern(p, None).expect("fail2ban's default date patterns"))
        .collect()
});

/// `DateDetectorCache.templates`: each default preceded by its line-anchored variant (weight
/// 100) where it is not anchored already.
static DEFAULTS_ANCHORED: LazyLock<Vec<Template>> = LazyLock::new(|| {
    let mut anchored = Vec::new();
    for t in DEFAULTS.iter() {
        if t.name.starts_with("{^LN-BEG}") || t.name.starts_with('^') {
            continue;
        }
        let mut variant = t
            .anchored(&|s| format!("{{^LN-BEG}}{s}"))
            .expect("fail2ban's default date patterns");
        if variant.name != t.name {
            variant.weight = 100.0;
            anchored.push(variant);
        }
    }
    anchored.extend(DEFAULTS.iter().cloned());
    anchored
});

/// `DateDetectorTemplate`: a template with this detector's use of it.
#[derive(Debug, Clone)]
struct Slot {
    template: Template,
    hits: u64,
    last_used: f64,
    distance: usize,
    /// `DateTemplate.hits`: how often its expression found a date at all.
    searches_found: u64,
}

impl Slot {
    fn weight(&self) -> f64 {
        self.hits as f64 * self.template.weight / self.distance.max(1) as f64
    }
}

/// The text either side of a position (`line[p-1:p]`, `line[p:p+1]`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Edge {
    pos: usize,
    before: Option<char>,
    at: Option<char>,
}

/// A date found in a line: its span (group 1, in bytes) and Unix time, if it converts.
#[derive(Debug, Clone, PartialEq)]
pub struct FoundDate {
    pub start: usize,
    pub end: usize,
    pub time: Option<f64>,
    pub template: String,
}

/// `DateDetector`.
#[derive(Debug, Clone)]
pub struct DateDetector {
    slots: Vec<Slot>,
    names: std::collections::HashSet<String>,
    last_pos: Option<(Edge, Edge)>,
    last_index: usize,
    first_unused: usize,
    pub default_tz: Option<i32>,
}

fn now_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

/// Character offsets ↔ byte offsets, as Python counts positions in characters.
fn char_index(line: &str, byte: usize) -> usize {
    if line.is_ascii() {
        byte
    } else {
        line[..byte].chars().count()
    }
}

fn byte_index(line: &str, chars: usize) -> usize {
    if line.is_ascii() {
        chars.min(line.len())
    } else {
        line.char_indices()
            .nth(chars)
            .map_or(line.len(), |(b, _)| b)
    }
}

fn char_at(line: &str, chars: usize) -> Option<char> {
    if line.is_ascii() {
        line.as_bytes().get(chars).map(|&b| b as char)
    } else {
        line.chars().nth(chars)
    }
}

fn char_before(line: &str, chars: usize) -> Option<char> {
    chars.checked_sub(1).and_then(|i| char_at(line, i))
}

fn not_alnum(c: Option<char>) -> bool {
    !c.is_some_and(char::is_alphanumeric)
}

impl Default for DateDetector {
    fn default() -> Self {
        Self {
            slots: Vec::new(),
            names: Default::default(),
            last_pos: None,
            last_index: usize::MAX,
            first_unused: 0,
            default_tz: None,
        }
    }
}

impl DateDetector {
    /// A detector for a filter's `datepattern` (one pattern per line; `None` or empty for
    /// fail2ban's defaults), with its `logtimezone`.
    pub fn new(datepattern: Option<&str>, logtimezone: Option<&str>) -> Result<Self, PatternError> {
        let mut d = Self {
            default_tz: logtimezone
                .map(strptime::zone_offset)
                .transpose()
                .map_err(PatternError)?,
            ..Self::default()
        };
        for pattern in datepattern
            .unwrap_or_default()
            .split('\n')
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            d.append_pattern(pattern)?;
        }
        Ok(d)
    }

    fn append(&mut self, template: Template, ignore_duplicate: bool) -> Result<(), PatternError> {
        if !self.names.insert(template.name.clone()) {
            if ignore_duplicate {
                return Ok(());
            }
            return Err(PatternError(format!(
                "There is already a template with name {}",
                template.name
            )));
        }
        self.slots.push(Slot {
            template,
            hits: 0,
            last_used: 0.0,
            distance: 0x7fff_ffff,
            searches_found: 0,
        });
        Ok(())
    }

    /// `appendTemplate(str)`.
    fn append_pattern(&mut self, pattern: &str) -> Result<(), PatternError> {
        let key = if pattern.contains('%') {
            pattern.to_owned()
        } else {
            pattern.to_uppercase()
        };
        let template = match key.as_str() {
            "{^LN-BEG}" => return self.add_defaults(true, None, true),
            "{DEFAULT}" => return self.add_defaults(false, None, true),
            k if k.contains("{DATE}") => return self.add_defaults(false, Some(pattern), false),
            "{NONE}" => Template::from_pattern("{UNB}^", Some(&key))?,
            _ => Template::from_pattern(pattern, Some(&key))?,
        };
        self.append(template, false)
    }

    /// `addDefaultTemplate(filterTemplate, preMatch, allDefaults)`.
    fn add_defaults(
        &mut self,
        line_begin_only: bool,
        pre_match: Option<&str>,
        all: bool,
    ) -> Result<(), PatternError> {
        let ignore_duplicate = !self.slots.is_empty();
        let list: &[Template] = if all { &DEFAULTS_ANCHORED } else { &DEFAULTS };
        for template in list {
            if line_begin_only && template.flags & LINE_BEGIN == 0 {
                continue;
            }
            let template = match pre_match {
                Some(pre) => template.anchored(&|s| {
                    let s = Template::unbound(s);
                    RE_DATE_PREMATCH
                        .replace_all(pre, |_: &Caps| s.clone())
                        .into_owned()
                })?,
                None => template.clone(),
            };
            self.append(template, ignore_duplicate)?;
        }
        Ok(())
    }

    /// `matchTime` then `getTime`: the date in `line`, if one of the templates finds it.
    pub fn find(&mut self, line: &str) -> Option<FoundDate> {
        if self.slots.is_empty() {
            self.add_defaults(false, None, true)
                .expect("fail2ban's default date patterns");
        }
        self.match_time(line)
    }

    /// Searches with template `i` in `line[from..to]` (character offsets); answers the span of
    /// the whole match and of group 1 (both in characters), and the time.
    fn search(&mut self, i: usize, line: &str, from: usize, to: Option<usize>) -> Option<Match> {
        let slot = &mut self.slots[i];
        let end_byte = to.map_or(line.len(), |t| byte_index(line, t));
        let from_byte = byte_index(line, from);
        if from_byte > end_byte {
            return None;
        }
        let text = &line[..end_byte];
        let caps = slot
            .template
            .compiled
            .captures_from_pos(text, from_byte)
            .ok()
            .flatten()?;
        slot.searches_found += 1;
        let whole = caps.get(0)?;
        Some(Match {
            start: char_index(line, whole.start()),
            end: char_index(line, whole.end()),
            spans: (0..caps.len())
                .map(|g| caps.get(g).map(|m| (m.start(), m.end())))
                .collect(),
        })
    }

    fn match_time(&mut self, line: &str) -> Option<FoundDate> {
        let count = self.slots.len();
        let mut found: Option<(Match, usize)> = None;
        let mut ignore_by_search = usize::MAX;
        let mut matched: Option<Match> = None;
        let mut i = self.last_index;
        if i < count {
            if self.slots[i].template.is_anchored() {
                matched = self.search(i, line, 0, None);
                ignore_by_search = i;
            } else {
                let (start, end) = self.last_pos.clone().unwrap_or_default();
                let same_bounds = (char_before(line, start.pos) == start.before
                    || (char_at(line, start.pos) == start.at && not_alnum(start.at)))
                    && (char_at(line, end.pos) == end.at
                        || (char_before(line, end.pos) == end.before && not_alnum(end.before)));
                if same_bounds {
                    matched = self.search(i, line, start.pos, Some(end.pos));
                } else {
                    matched = self.search(i, line, 0, None);
                    ignore_by_search = i;
                }
            }
            if let Some(m) = matched.take() {
                let (start, end) = self.last_pos.clone().unwrap_or_default();
                if count == 1
                    || self.slots[i].template.is_anchored()
                    || (m.start == start.pos && m.end == end.pos)
                {
                    matched = Some(m);
                } else {
                    found = Some((m, i));
                }
            }
        }
        if matched.is_none() {
            i = 0;
            while i < count {
                if i == ignore_by_search {
                    i += 1;
                    continue;
                }
                if let Some(m) = self.search(i, line, 0, None) {
                    let distance = m.start;
                    if i + 1 >= count || self.slots[i].template.is_anchored() {
                        matched = Some(m);
                        break;
                    }
                    if distance == 0
                        && self.slots[i].hits > 0
                        && self.slots[i + 1].searches_found == 0
                    {
                        matched = Some(m);
                        break;
                    }
                    let last_distance = self.last_pos.as_ref().map_or(1, |(s, _)| s.pos);
                    if distance > self.slots[i].distance || distance > last_distance {
                        if found.as_ref().is_none_or(|(f, _)| distance < f.start) {
                            found = Some((m, i));
                        }
                        i += 1;
                        continue;
                    }
                    matched = Some(m);
                    break;
                }
                i += 1;
            }
            if matched.is_none()
                && let Some((m, at)) = found
            {
                matched = Some(m);
                i = at;
            }
        }
        let m = matched?;
        let slot = &mut self.slots[i];
        slot.hits += 1;
        slot.last_used = now_seconds();
        slot.distance = m.start;
        if self.first_unused == i {
            self.first_unused += 1;
        }
        self.last_pos = Some((
            Edge {
                pos: m.start,
                before: char_before(line, m.start),
                at: char_at(line, m.start),
            },
            Edge {
                pos: m.end,
                before: char_before(line, m.end),
                at: char_at(line, m.end),
            },
        ));
        let time = slot.template.date(line, &m.spans, self.default_tz);
        let (start, end) = m.spans.get(1).copied().flatten().unwrap_or((0, 0));
        let template = slot.template.name.clone();
        if i != 0 && i != self.last_index {
            i = self.reorder(i);
        }
        self.last_index = i;
        Some(FoundDate {
            start,
            end,
            time,
            template,
        })
    }

    /// `_reorderTemplate`: moves a template that matched up the list.
    fn reorder(&mut self, num: usize) -> usize {
        let untime = self.slots[num].last_used - 300.0;
        let weight = self.slots[num].weight();
        let mut pos = if self.first_unused < num {
            self.first_unused
        } else {
            num / 2
        };
        let moveable = |slots: &[Slot], pos: usize| {
            weight > slots[pos].weight() || untime > slots[pos].last_used
        };
        if !moveable(&self.slots, pos) {
            if pos == num - 1 {
                return num;
            }
            pos = num - 1;
            if !moveable(&self.slots, pos) {
                return num;
            }
        }
        let slot = self.slots.remove(num);
        self.slots.insert(pos, slot);
        while self.first_unused < self.slots.len() && self.slots[self.first_unused].hits > 0 {
            self.first_unused += 1;
        }
        pos
    }

    /// The templates in their current order, with the names fail2ban gives them.
    pub fn template_names(&self) -> Vec<&str> {
        self.slots
            .iter()
            .map(|s| s.template.name.as_str())
            .collect()
    }
}

#[derive(Debug)]
struct Match {
    /// Whole match, in characters.
    start: usize,
    end: usize,
    /// Every group's byte range (group 1 is the date fail2ban cuts out of the line).
    spans: Vec<Option<(usize, usize)>>,
}

#[cfg(test)]
pub(crate) fn default_templates() -> Vec<(String, String, u8, f64)> {
    DEFAULTS_ANCHORED
        .iter()
        .map(|t| (t.name.clone(), t.regex.clone(), t.flags, t.weight))
        .collect()
}
