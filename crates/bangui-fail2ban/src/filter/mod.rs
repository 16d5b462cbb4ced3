//! fail2ban's filter, run outside fail2ban: what `fail2ban-regex` answers for a filter and some
//! log lines, computed here so that a draft filter can be tried before fail2ban loads it.
//!
//! [`Filter::process`] follows `Filter.processLine`/`findFailure` (fail2ban 1.0/1.1) as
//! `fail2ban-regex` drives them: the date found by fail2ban's [`dates::DateDetector`] is cut out
//! of the line before the expressions see it; `prefregex` must match first (its `<F-CONTENT>`
//! replaces the line); every `failregex` is tried (`--check-all` is `fail2ban-regex`'s
//! default); an `ignoreregex` matching the failure makes the line ignored; multi-line failures
//! (`<F-MLFID>`, `<F-NOFAIL>`, `<F-MLFFORGET>`, `<F-MLFGAINED>`) are merged per connection id;
//! `maxlines` > 1 buffers lines. Hosts are reported as written (`fail2ban-regex --raw`): names
//! are not resolved, since a test must not send DNS queries for whatever a pasted line holds.

pub mod dates;
pub mod strptime;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::net::IpAddr;

use serde::Serialize;

use crate::config::regex::{self, FailRegex};
use dates::DateDetector;

/// What a filter is made of, as fail2ban's start commands give it.
#[derive(Debug, Clone, Default)]
pub struct FilterSpec {
    pub failregex: Vec<String>,
    pub ignoreregex: Vec<String>,
    pub prefregex: Option<String>,
    /// One pattern per line, as in a filter's `datepattern`.
    pub datepattern: Option<String>,
    pub maxlines: usize,
    /// The jail's `logtimezone`.
    pub logtimezone: Option<String>,
    /// The jail's `usedns` (`warn` when unset): `no` makes `<HOST>` match addresses only.
    pub usedns: Option<String>,
}

impl FilterSpec {
    /// The filter fail2ban's start commands describe (as `config::stream` gives them, for one
    /// jail or from [`crate::config::stream::filter_commands`]), read as `fail2ban-regex` reads
    /// them: the first `datepattern` and `maxlines` win.
    pub fn from_commands(commands: &[serde_json::Value]) -> Self {
        use serde_json::Value;
        let texts = |v: &Value| -> Vec<String> {
            match v {
                Value::Array(list) => list.iter().map(text_of).collect(),
                other => vec![text_of(other)],
            }
        };
        let mut spec = Self {
            maxlines: 1,
            ..Self::default()
        };
        let (mut maxlines_set, mut datepattern_set) = (false, false);
        for c in commands {
            let (Some(verb), Some(option)) = (c[0].as_str(), c[2].as_str()) else {
                continue;
            };
            let value = if verb == "multi-set" {
                texts(&c[3])
            } else {
                c.as_array()
                    .map(|a| a.iter().skip(3).map(text_of).collect())
                    .unwrap_or_default()
            };
            match option {
                "addfailregex" => spec.failregex.extend(value),
                "addignoreregex" => spec.ignoreregex.extend(value),
                "prefregex" => spec.prefregex = value.into_iter().last(),
                "usedns" => spec.usedns = value.into_iter().last(),
                "logtimezone" => spec.logtimezone = value.into_iter().last(),
                "maxlines" if !maxlines_set => {
                    if let Some(n) = value.first().and_then(|v| v.trim().parse().ok()) {
                        spec.maxlines = n;
                        maxlines_set = true;
                    }
                }
                "datepattern" if !datepattern_set => {
                    spec.datepattern = value.into_iter().next();
                    datepattern_set = true;
                }
                _ => {}
            }
        }
        spec
    }
}

fn text_of(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A filter that cannot be built, and why (fail2ban would refuse it the same way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    #[error("failregex {index}: {message}")]
    FailRegex { index: usize, message: String },
    #[error("ignoreregex {index}: {message}")]
    IgnoreRegex { index: usize, message: String },
    #[error("prefregex: {0}")]
    PrefRegex(String),
    #[error("datepattern: {0}")]
    DatePattern(String),
    #[error("a filter needs at least one failregex")]
    NoFailRegex,
    #[error("maxlines must be an integer greater than zero")]
    MaxLines,
}

/// How `fail2ban-regex` counts a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineStatus {
    Matched,
    Ignored,
    Missed,
}

/// One failure found on a line.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Failure {
    /// 1-based index of the `failregex` that found it.
    pub failregex: usize,
    /// The failure id: the address (a network if the expression captured a prefix), or the
    /// host name or `<F-ID>` as written.
    pub id: Option<String>,
    /// Unix time of the line's date, as fail2ban reads it.
    pub time: Option<f64>,
    /// Failures fail2ban counts as no failure (`<F-NOFAIL>`, a successful login) are kept
    /// here, and make the line count as ignored.
    pub nofail: bool,
    /// `<F-USER>` (or `<F-ALT_USER>`), when the expression captured one.
    pub user: Option<String>,
}

/// The answer for one tested line.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct LineResult {
    /// 1-based line number in the input (comment and empty lines keep their numbers but are
    /// not tested, as `fail2ban-regex` skips them).
    pub number: usize,
    pub status: LineStatus,
    /// The date text fail2ban cut out of the line, and its Unix time.
    pub date: Option<String>,
    pub time: Option<f64>,
    pub failures: Vec<Failure>,
}

/// The whole answer: per line, then the summary `fail2ban-regex` prints.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub lines: Vec<LineResult>,
    pub summary: Summary,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Summary {
    /// Lines tested (comment and empty lines are not).
    pub tested: usize,
    pub matched: usize,
    pub ignored: usize,
    pub missed: usize,
    /// Matches per `failregex`, in order.
    pub failregex_matches: Vec<usize>,
    /// Matches per `ignoreregex`, in order.
    pub ignoreregex_matches: Vec<usize>,
    /// Lines on which `prefregex` matched.
    pub prefregex_matched: usize,
    /// Lines whose date a template found, per template name (most used first).
    pub date_templates: Vec<DateTemplateHits>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct DateTemplateHits {
    pub template: String,
    pub hits: usize,
}

/// A line split around its date, as fail2ban keeps it (`tupleLine`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct TupleLine {
    before: String,
    date: String,
    after: String,
}

impl TupleLine {
    fn without_date(&self) -> String {
        format!("{}{}", self.before, self.after)
    }
    fn whole(&self) -> String {
        format!("{}{}{}", self.before, self.date, self.after)
    }
}

/// `Regex._tupleLinesBuf`.
fn lines_buf(lines: &[TupleLine]) -> String {
    let mut buf = lines
        .iter()
        .map(TupleLine::without_date)
        .collect::<Vec<_>>()
        .join("\n");
    buf.push('\n');
    buf
}

/// A search of one expression over the buffer (`Regex.search` and what it remembers).
struct Found {
    groups: Groups,
    matched: Vec<TupleLine>,
    unmatched: Vec<TupleLine>,
}

/// A failure's groups (`groupdict()`, `None` kept: it overrides in `update`).
#[derive(Debug, Clone, Default)]
struct Groups {
    values: HashMap<String, Option<String>>,
    users: Option<BTreeSet<String>>,
    pending: bool,
}

impl Groups {
    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(|v| v.as_deref())
    }
    /// Python's truthiness of `fail.get(key)`.
    fn truthy(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }
    fn pop(&mut self, key: &str) -> Option<String> {
        self.values.remove(key).flatten()
    }
}

#[derive(Debug)]
struct Expression {
    regex: FailRegex,
    /// `alt_*` groups, with the option each stands in for.
    alternatives: Vec<(String, String)>,
}

impl Expression {
    /// `single_line`: searched in buffers of one line only (`maxlines = 1`).
    fn new(text: &str, use_dns: &str, multiline: bool, single_line: bool) -> Result<Self, String> {
        let regex = regex::compile_with(text, use_dns, multiline, single_line)?;
        let mut alternatives: Vec<(String, String)> = regex
            .regex
            .capture_names()
            .flatten()
            .filter_map(|name| {
                let rest = name.strip_prefix("alt_")?;
                let base = rest
                    .rsplit_once('_')
                    .filter(|(_, n)| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                    .map_or(rest, |(b, _)| b);
                Some((name.to_owned(), base.to_owned()))
            })
            .collect();
        alternatives.sort();
        Ok(Self {
            regex,
            alternatives,
        })
    }

    fn has_group(&self, names: &[&str]) -> bool {
        self.regex
            .regex
            .capture_names()
            .flatten()
            .any(|n| names.contains(&n))
    }

    /// `Regex.search(buf, orgLines)`.
    fn search(&self, buf: &str, lines: &[TupleLine]) -> Option<Found> {
        let caps = self.regex.regex.captures(buf).ok().flatten()?;
        let mut values: HashMap<String, Option<String>> = self
            .regex
            .regex
            .capture_names()
            .enumerate()
            .filter_map(|(i, name)| {
                Some((name?.to_owned(), caps.get(i).map(|m| m.as_str().to_owned())))
            })
            .collect();
        for (alt, base) in &self.alternatives {
            let v = values.get(alt).cloned().flatten();
            let has_base = values
                .get(base)
                .and_then(|b| b.as_deref())
                .is_some_and(|b| !b.is_empty());
            if let Some(v) = v.filter(|v| !v.is_empty())
                && !has_base
            {
                values.insert(base.clone(), Some(v));
            }
        }
        let whole = caps.get(0)?;
        let (matched, unmatched) = if lines.len() <= 1 {
            (lines.to_vec(), Vec::new())
        } else {
            let line_start = buf[..(whole.start() + 1).min(buf.len())]
                .rfind('\n')
                .map_or(0, |p| p + 1);
            let line_end = buf[whole.end().saturating_sub(1)..]
                .find('\n')
                .map_or(buf.len(), |p| whole.end().saturating_sub(1) + p + 1);
            let first = buf[..line_start].matches('\n').count();
            let last = buf[..line_end].matches('\n').count().min(lines.len());
            let first = first.min(last);
            let mut matched: Vec<TupleLine> = lines[first..last].to_vec();
            let mut unmatched: Vec<TupleLine> = lines[..first].to_vec();
            // Lines a <SKIPLINES> passed over are not part of the failure.
            let mut skipped = Vec::new();
            for n in 0.. {
                let Some(i) = self
                    .regex
                    .regex
                    .capture_names()
                    .position(|c| c == Some(&format!("skiplines{n}")))
                else {
                    break;
                };
                if let Some(m) = caps.get(i) {
                    skipped.push(m.as_str().to_owned());
                }
            }
            let mut k = 0;
            for skipped_line in skipped.concat().lines() {
                if let Some(m) = matched[k..]
                    .iter()
                    .position(|l| l.without_date() == skipped_line)
                {
                    unmatched.push(matched.remove(k + m));
                    k += m;
                }
            }
            unmatched.extend_from_slice(&lines[last..]);
            (matched, unmatched)
        };
        Some(Found {
            groups: Groups {
                values,
                ..Groups::default()
            },
            matched,
            unmatched,
        })
    }
}

/// `IPAddr(ip, cidr)` as a string: an address in its normal form, a network when a prefix
/// shorter than the address was captured, anything else as written.
fn address_text(ip: &str, cidr: Option<&str>) -> String {
    let Ok(addr) = ip.parse::<IpAddr>() else {
        return ip.to_owned();
    };
    let full = if addr.is_ipv4() { 32 } else { 128 };
    match cidr.and_then(|c| c.parse::<u8>().ok()) {
        Some(prefix) if prefix < full => match ipnetwork::IpNetwork::new(addr, prefix) {
            Ok(net) => format!("{}/{prefix}", net.network()),
            Err(_) => addr.to_string(),
        },
        _ => addr.to_string(),
    }
}

/// `Utils.Cache(maxCount=100)`: the connection ids of multi-line failures, oldest first.
#[derive(Debug, Default)]
struct MlfidCache {
    entries: VecDeque<(String, Groups)>,
}

impl MlfidCache {
    const MAX: usize = 100;

    fn get(&self, key: &str) -> Option<&Groups> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
    fn set(&mut self, key: &str, value: Groups) {
        if let Some(e) = self.entries.iter_mut().find(|(k, _)| k == key) {
            e.1 = value;
            return;
        }
        if self.entries.len() >= Self::MAX {
            self.entries.pop_front();
        }
        self.entries.push_back((key.to_owned(), value));
    }
    fn unset(&mut self, key: &str) {
        self.entries.retain(|(k, _)| k != key);
    }
}

/// fail2ban's filter with `fail2ban-regex`'s settings.
#[derive(Debug)]
pub struct Filter {
    prefregex: Option<Expression>,
    failregex: Vec<Expression>,
    ignoreregex: Vec<Expression>,
    max_lines: usize,
    detector: DateDetector,
    buffer: Vec<TupleLine>,
    last_time_text: String,
    last_date: Option<f64>,
    mlfid: MlfidCache,
    /// Whether an ignoreregex matched while the current line was processed.
    line_ignored: bool,
    ignore_hits: Vec<usize>,
}

/// The date found in a line: its text, Unix time and the template that found it.
struct LineDate {
    text: String,
    time: Option<f64>,
    template: String,
}

/// One `[failRegexIndex, fid, date, fail]` of `findFailure`.
struct Hit {
    index: usize,
    id: Option<String>,
    time: Option<f64>,
    nofail: bool,
    user: Option<String>,
}

impl Filter {
    pub fn new(spec: &FilterSpec) -> Result<Self, FilterError> {
        if spec.maxlines == 0 {
            return Err(FilterError::MaxLines);
        }
        let multiline = spec.maxlines > 1;
        let use_dns = spec.usedns.as_deref().unwrap_or("warn");
        let prefregex = spec
            .prefregex
            .as_deref()
            .filter(|p| !p.is_empty())
            .map(|p| Expression::new(p, use_dns, false, !multiline))
            .transpose()
            .map_err(FilterError::PrefRegex)?;
        if spec.failregex.is_empty() {
            return Err(FilterError::NoFailRegex);
        }
        const IDS: [&str; 5] = ["fid", "ip4", "ip6", "dns", "mlfid"];
        let mut failregex = Vec::new();
        for (i, text) in spec.failregex.iter().enumerate() {
            let error = |message: String| FilterError::FailRegex {
                index: i + 1,
                message,
            };
            let e = Expression::new(text, use_dns, multiline, !multiline).map_err(error)?;
            if !e.has_group(&IDS) && !prefregex.as_ref().is_some_and(|p| p.has_group(&IDS)) {
                return Err(error(format!(
                    "No failure-id group in '{}'",
                    e.regex.resolved
                )));
            }
            failregex.push(e);
        }
        let ignoreregex = spec
            .ignoreregex
            .iter()
            .enumerate()
            .map(|(i, text)| {
                Expression::new(text, use_dns, false, !multiline).map_err(|message| {
                    FilterError::IgnoreRegex {
                        index: i + 1,
                        message,
                    }
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let detector = DateDetector::new(spec.datepattern.as_deref(), spec.logtimezone.as_deref())
            .map_err(|e| FilterError::DatePattern(e.0))?;
        Ok(Self {
            prefregex,
            ignore_hits: vec![0; ignoreregex.len()],
            failregex,
            ignoreregex,
            max_lines: spec.maxlines,
            detector,
            buffer: Vec::new(),
            last_time_text: String::new(),
            last_date: None,
            mlfid: MlfidCache::default(),
            line_ignored: false,
        })
    }

    fn now() -> f64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0.0, |d| d.as_secs_f64())
    }

    /// `Filter.processLine`: the line's date, then its failures.
    fn process_line(&mut self, line: &str) -> (Option<LineDate>, Vec<Hit>, bool) {
        let mut date = None;
        let mut tuple = TupleLine {
            before: String::new(),
            date: String::new(),
            after: line.to_owned(),
        };
        let recent = |last: Option<f64>| last.is_some_and(|d| d != 0.0 && d > Self::now() - 60.0);
        let mut date_text = None;
        if let Some(found) = self.detector.find(line) {
            let text = &line[found.start..found.end];
            tuple = TupleLine {
                before: line[..found.start].to_owned(),
                date: text.to_owned(),
                after: line[found.end..].to_owned(),
            };
            if !text.is_empty() {
                if let Some(t) = found.time {
                    date = Some(t);
                    self.last_time_text = text.to_owned();
                    self.last_date = Some(t);
                }
                date_text = Some(LineDate {
                    text: text.to_owned(),
                    time: found.time,
                    template: found.template,
                });
            } else if recent(self.last_date) {
                tuple = TupleLine {
                    before: String::new(),
                    date: self.last_time_text.clone(),
                    after: line.to_owned(),
                };
                date = self.last_date;
            } else {
                date = Some(Self::now());
            }
        }
        let mut no_date = false;
        if date.is_none() {
            no_date = true;
            if recent(self.last_date) {
                tuple = TupleLine {
                    before: String::new(),
                    date: self.last_time_text.clone(),
                    after: line.to_owned(),
                };
                date = self.last_date;
            }
        }
        let _ = no_date; // fail2ban-regex only warns (checkFindTime is off).
        let (hits, prefregex_matched) = self.find_failure(tuple, date);
        (date_text, hits, prefregex_matched)
    }

    /// `_ignoreLine`: the first ignoreregex matching (all are tried and counted).
    fn ignore_line(
        &mut self,
        buf: &str,
        lines: &[TupleLine],
        fail: Option<&Found>,
    ) -> Option<usize> {
        let (buf, lines) = match fail {
            Some(f) if self.max_lines > 1 => (lines_buf(&f.matched), f.matched.clone()),
            _ => (buf.to_owned(), lines.to_vec()),
        };
        let mut first = None;
        for i in 0..self.ignoreregex.len() {
            if self.ignoreregex[i].search(&buf, &lines).is_some() {
                first.get_or_insert(i);
                self.line_ignored = true;
                self.ignore_hits[i] += 1;
                if self.max_lines > 1
                    && let Some(f) = fail
                {
                    self.buffer = f.unmatched.clone();
                }
            }
        }
        first
    }

    /// `Filter.findFailure` with `checkAllRegex` (and `ignorePending` off), as
    /// `fail2ban-regex` sets it. Answers the hits and whether `prefregex` matched.
    fn find_failure(&mut self, tuple: TupleLine, date: Option<f64>) -> (Vec<Hit>, bool) {
        let mut hits = Vec::new();
        if self.max_lines > 1 {
            self.buffer.push(tuple);
            let excess = self.buffer.len().saturating_sub(self.max_lines);
            self.buffer.drain(..excess);
        } else {
            self.buffer = vec![tuple];
        }
        let org = self.buffer.clone();
        let mut buf = Some(lines_buf(&org));
        if !self.ignoreregex.is_empty()
            && (self.ignoreregex.len() as isize) < self.failregex.len() as isize - 2
            && self
                .ignore_line(buf.as_deref().unwrap_or_default(), &org, None)
                .is_some()
        {
            return (hits, false);
        }
        let mut pre_groups = Groups::default();
        let mut prefregex_matched = false;
        if let Some(pref) = &self.prefregex {
            let Some(found) = pref.search(buf.as_deref().unwrap_or_default(), &org) else {
                return (hits, false);
            };
            prefregex_matched = true;
            pre_groups = found.groups;
            if let Some(content) = pre_groups.pop("content").filter(|c| !c.is_empty()) {
                self.buffer = vec![TupleLine {
                    before: String::new(),
                    date: String::new(),
                    after: content,
                }];
                buf = None;
            }
        }
        for index in 0..self.failregex.len() {
            let text = buf.get_or_insert_with(|| lines_buf(&self.buffer)).clone();
            let Some(found) = self.failregex[index].search(&text, &org) else {
                continue;
            };
            if !self.ignoreregex.is_empty() && self.ignore_line(&text, &org, Some(&found)).is_some()
            {
                buf = None;
                continue;
            }
            if self.max_lines > 1 {
                self.buffer = found.unmatched.clone();
                buf = None;
            }
            let mut fail = if pre_groups.values.is_empty() {
                found.groups
            } else {
                let mut merged = pre_groups.clone();
                merged.values.extend(found.groups.values);
                merged
            };
            let mlfid = fail.get("mlfid").map(str::to_owned);
            let mut cached = false;
            if let Some(id) = &mlfid {
                (fail, cached) = self.merge_failure(id, fail);
            }
            let mut raw_id = fail.get("fid").map(str::to_owned);
            // (the address as written, and as fail2ban's `IPAddr` gives it)
            let ip = if let Some(ip4) = fail.get("ip4") {
                Some((ip4.to_owned(), address_text(ip4, fail.get("cidr"))))
            } else if let Some(ip6) = fail.get("ip6") {
                Some((ip6.to_owned(), address_text(ip6, fail.get("cidr"))))
            } else if let Some(dns) = fail.get("dns") {
                Some((dns.to_owned(), dns.to_owned()))
            } else {
                if raw_id.is_none() && mlfid.is_none() {
                    // `getFailID` finds no group: fail2ban logs the error and goes on.
                    continue;
                }
                raw_id.clone().map(|id| (id.clone(), id))
            };
            let id = match ip {
                None => {
                    fail.pending = true;
                    if cached && let Some(id) = &mlfid {
                        self.mlfid.set(id, fail.clone());
                    }
                    None
                }
                Some((written, ip)) => match raw_id.take() {
                    Some(fid) if fid != written => Some(fid),
                    _ => Some(ip),
                },
            };
            hits.push(Hit {
                index,
                id,
                time: date,
                nofail: fail.truthy("nofail"),
                user: fail.get("user").map(str::to_owned),
            });
        }
        (hits, prefregex_matched)
    }

    /// `_updateUsers`.
    fn update_users(groups: &mut Groups, user: Option<String>) -> usize {
        if let Some(user) = user {
            groups.users.get_or_insert_with(BTreeSet::new).insert(user);
        }
        groups.users.as_ref().map_or(0, BTreeSet::len)
    }

    /// `_mergeFailure`: a failure merged with what is known of its connection. Answers the
    /// merged failure and whether it stays cached (fail2ban keeps the same object in its cache,
    /// so later changes to it are seen there too).
    fn merge_failure(&mut self, mlfid: &str, mut fail: Groups) -> (Groups, bool) {
        let mut flags = 0u8;
        if fail.truthy("mlfgained") {
            flags |= 8 | 1;
            if !fail.truthy("nofail") {
                let gained = fail.values.get("mlfgained").cloned().flatten();
                fail.values.insert("nofail".into(), gained);
            }
        } else if fail.truthy("nofail") {
            flags |= 1;
        }
        if fail.pop("mlfforget").is_some_and(|v| !v.is_empty()) {
            flags |= 2;
        }
        let user = fail.get("user").map(str::to_owned);
        let users;
        let cached;
        if let Some(known) = self.mlfid.get(mlfid).cloned() {
            let mut merged = known;
            users = Self::update_users(&mut merged, user);
            if merged.pop("nofail").is_some_and(|v| !v.is_empty()) {
                flags |= 4;
            }
            if merged.pop("mlfgained").is_some_and(|v| !v.is_empty()) {
                flags |= 4;
            }
            if flags & 8 != 0 {
                merged.pending = false;
            }
            for (k, v) in fail.values {
                if v.is_some() {
                    merged.values.insert(k, v);
                }
            }
            fail = merged;
            if flags & 2 != 0 {
                self.mlfid.unset(mlfid);
                cached = false;
            } else {
                cached = true;
            }
        } else if flags & 2 == 0 {
            users = Self::update_users(&mut fail, user);
            cached = true;
        } else {
            users = fail.users.as_ref().map_or(0, BTreeSet::len);
            cached = false;
        }
        if std::mem::take(&mut fail.pending) || users > 1 {
            fail.pop("nofail");
            fail.pop("mlfgained");
        }
        if cached {
            self.mlfid.set(mlfid, fail.clone());
        }
        (fail, cached)
    }

    /// Runs `fail2ban-regex`'s `process` over `lines`: each line tested, with what it counts.
    pub fn process<'a>(&mut self, lines: impl IntoIterator<Item = &'a str>) -> Report {
        let mut results: Vec<LineResult> = Vec::new();
        let mut texts: Vec<String> = Vec::new();
        let mut summary = Summary {
            tested: 0,
            matched: 0,
            ignored: 0,
            missed: 0,
            failregex_matches: vec![0; self.failregex.len()],
            ignoreregex_matches: Vec::new(),
            prefregex_matched: 0,
            date_templates: Vec::new(),
        };
        let mut templates: HashMap<String, usize> = HashMap::new();
        for (number, line) in lines.into_iter().enumerate() {
            let line = line.trim_end_matches(['\r', '\n']);
            if line.starts_with('#') || line.is_empty() {
                continue;
            }
            let before = (self.max_lines > 1).then(|| self.buffer.clone());
            self.line_ignored = false;
            let (date, hits, pref) = self.process_line(line);
            if pref {
                summary.prefregex_matched += 1;
            }
            let mut ignored = self.line_ignored;
            let mut matched = false;
            let mut failures = Vec::new();
            for hit in hits {
                summary.failregex_matches[hit.index] += 1;
                if hit.nofail {
                    ignored = true;
                } else {
                    matched = true;
                }
                failures.push(Failure {
                    failregex: hit.index + 1,
                    id: hit.id,
                    time: hit.time,
                    nofail: hit.nofail,
                    user: hit.user,
                });
            }
            // Multi-line: buffered lines the failure took are counted matched after all.
            if let Some(before) = before {
                let full = before.len() >= self.max_lines;
                for old in before.iter().skip(usize::from(full)) {
                    if !self.buffer.contains(old) {
                        let text = old.whole();
                        if let Some(at) = results
                            .iter()
                            .zip(&texts)
                            .position(|(r, t)| r.status == LineStatus::Missed && *t == text)
                        {
                            results[at].status = LineStatus::Matched;
                        }
                        summary.matched += 1;
                        summary.missed = summary.missed.saturating_sub(1);
                    }
                }
            }
            let status = if ignored {
                summary.ignored += 1;
                LineStatus::Ignored
            } else if matched {
                summary.matched += 1;
                LineStatus::Matched
            } else {
                summary.missed += 1;
                LineStatus::Missed
            };
            summary.tested += 1;
            let (date, time) = match date {
                Some(d) => {
                    *templates.entry(d.template).or_default() += 1;
                    (Some(d.text), d.time)
                }
                None => (None, None),
            };
            results.push(LineResult {
                number: number + 1,
                status,
                date,
                time,
                failures,
            });
            texts.push(line.to_owned());
        }
        summary.ignoreregex_matches = self.ignore_hits.clone();
        let mut templates: Vec<DateTemplateHits> = templates
            .into_iter()
            .map(|(template, hits)| DateTemplateHits { template, hits })
            .collect();
        templates.sort_by(|a, b| b.hits.cmp(&a.hits).then(a.template.cmp(&b.template)));
        summary.date_templates = templates;
        Report {
            lines: results,
            summary,
        }
    }
}

#[cfg(test)]
mod tests;
