//! The commands fail2ban's client sends to start the configured jails (what
//! `fail2ban-client -d` prints): each enabled jail read with its filter and actions the way
//! fail2ban 1.0's `JailReader`, `FilterReader`, `ActionReader` and `DefinitionInitConfigReader`
//! read them, `<tag>`s substituted as `substituteRecursiveTags` does, and turned into
//! `add`/`set`/`multi-set`/`start` commands. Values are JSON: strings, whole numbers, booleans
//! and lists, as Python holds them.
//!
//! The oracle test (`tests/config_oracle.rs`) compares this stream with `fail2ban-client -d`
//! jail by jail.

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use indexmap::IndexMap;
use serde_json::{Value, json};

use super::files::ConfigFiles;
use super::jails::{Host, JAIL_OPTIONS, Kind, extract_options, split_with_options};
use super::reader::{ConfigSet, FileCache, InterpolationError, ReadError, Vars, split_condition};

/// Python's dict of option values (`None` is `Value::Null`).
type Opts = IndexMap<String, Value>;

/// Why the commands cannot be produced (fail2ban's client stops on the same).
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("[{jail}]: {error}")]
    Interpolation {
        jail: String,
        error: InterpolationError,
    },
    #[error("[{jail}]: {message}")]
    Invalid { jail: String, message: String },
}

/// A jail fail2ban would skip, and why (`config-error`).
#[derive(Debug)]
struct JailDefError(String);

/// `FilterReader._configOpts` and `ActionReader._configOpts`.
const FILTER_OPTIONS: &[(&str, Kind)] = &[
    ("usedns", Kind::Text),
    ("prefregex", Kind::Text),
    ("ignoreregex", Kind::Text),
    ("failregex", Kind::Text),
    ("maxlines", Kind::Int),
    ("datepattern", Kind::Text),
    ("journalmatch", Kind::Text),
];
const ACTION_OPTIONS: &[(&str, Kind)] = &[
    ("actionstart", Kind::Text),
    ("actionstart_on_demand", Kind::Bool),
    ("actionstop", Kind::Text),
    ("actionflush", Kind::Text),
    ("actionreload", Kind::Text),
    ("actioncheck", Kind::Text),
    ("actionrepair", Kind::Text),
    ("actionrepair_on_unban", Kind::Bool),
    ("actionban", Kind::Text),
    ("actionprolong", Kind::Text),
    ("actionreban", Kind::Text),
    ("actionunban", Kind::Text),
    ("norestored", Kind::Bool),
];
/// `CommandAction._escapedTags` plus what `ActionReader.convert` leaves for the server.
const ACTION_IGNORED_TAGS: &[&str] = &[
    "matches",
    "ipmatches",
    "ipjailmatches",
    "timeout",
    "bantime",
];

/// Python's `str(value)`.
fn py_str(v: &Value) -> String {
    match v {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `configparser`'s `vars`: every value as `str()`, `None`s left out.
fn vars_of(opts: &Opts) -> IndexMap<String, String> {
    opts.iter()
        .filter(|(_, v)| !v.is_null())
        .map(|(k, v)| (k.clone(), py_str(v)))
        .collect()
}

/// `{**x, **y}`.
fn merged(x: &Opts, y: &Opts) -> Opts {
    let mut out = x.clone();
    for (k, v) in y {
        out.insert(k.clone(), v.clone());
    }
    out
}

/// `_as_bool`.
fn as_bool(v: &Value) -> bool {
    match v {
        Value::String(s) => matches!(s.to_lowercase().as_str(), "1" | "on" | "true" | "yes"),
        Value::Bool(b) => *b,
        Value::Null => false,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        _ => true,
    }
}

/// Python's `int()` of a value (`None` where it raises).
fn as_int(v: &Value) -> Option<i64> {
    match v {
        Value::String(s) => super::jails::python_int(s),
        Value::Number(n) => n.as_i64(),
        Value::Bool(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// `ConfigReaderUnshared.getOptions(sec, options, pOptions, convert)`.
fn get_options(
    set: &ConfigSet,
    section: &str,
    options: &[(&str, Kind, Option<Value>)],
    p_options: &Opts,
    convert: bool,
) -> Result<Opts, InterpolationError> {
    let vars = Vars::new(&vars_of(p_options));
    let mut values = Opts::new();
    for (name, kind, default) in options {
        if p_options.contains_key(*name) {
            continue;
        }
        match set.get_with(section, name, &vars) {
            Ok(v) => {
                let v = Value::String(v);
                let converted = if convert {
                    match kind {
                        Kind::Bool => Value::Bool(as_bool(&v)),
                        Kind::Int => match as_int(&v) {
                            Some(i) => json!(i),
                            None => default.clone().unwrap_or(Value::Null),
                        },
                        Kind::Text => v,
                    }
                } else {
                    v
                };
                values.insert((*name).to_owned(), converted);
            }
            Err(InterpolationError::NoSection(_)) => {
                values.insert((*name).to_owned(), default.clone().unwrap_or(Value::Null));
            }
            Err(InterpolationError::NoOption { .. }) => {
                if let Some(d) = default {
                    values.insert((*name).to_owned(), d.clone());
                }
            }
            Err(e) => return Err(e),
        }
    }
    Ok(values)
}

fn without_defaults(options: &[(&'static str, Kind)]) -> Vec<(&'static str, Kind, Option<Value>)> {
    options.iter().map(|(n, k)| (*n, *k, None)).collect()
}

/// `DefinitionInitConfigReader`: a filter or an action file read for one jail.
struct Definition {
    set: Rc<ConfigSet>,
    jail: String,
    config_opts: &'static [(&'static str, Kind)],
    init_opts: Opts,
    /// `_pOpts` as `vars`.
    p_vars: Vars,
    opts: Opts,
    def_cache: HashMap<String, Option<String>>,
}

impl Definition {
    fn new(
        set: Rc<ConfigSet>,
        jail: &str,
        init_opts: Opts,
        config_opts: &'static [(&'static str, Kind)],
    ) -> Self {
        Self {
            set,
            jail: jail.to_owned(),
            config_opts,
            init_opts,
            p_vars: Vars::default(),
            opts: Opts::new(),
            def_cache: HashMap::new(),
        }
    }

    /// `FilterReader.applyAutoOptions(backend)`: `logtype` from the backend unless set.
    fn apply_auto_options(&mut self, backend: &str) {
        let has_logtype = self
            .init_opts
            .get("logtype")
            .is_some_and(|v| !py_str(v).is_empty() && !v.is_null())
            || self.set.options("Definition", false).contains(&"logtype");
        if !has_logtype {
            let logtype = if backend.starts_with("systemd") {
                "journal"
            } else {
                "file"
            };
            self.init_opts.insert("logtype".to_owned(), json!(logtype));
        }
    }

    /// `getOptions(pOpts, all)`.
    fn get_options(&mut self, p_opts: &Opts, all: bool) -> Result<(), InterpolationError> {
        let p = if self.init_opts.is_empty() {
            p_opts.clone()
        } else {
            merged(p_opts, &self.init_opts)
        };
        self.opts = get_options(
            &self.set,
            "Definition",
            &without_defaults(self.config_opts),
            &p,
            false,
        )?;
        self.p_vars = Vars::new(&vars_of(&p));
        if self.set.has_section("Init") {
            let none = Vars::default();
            for opt in self.set.options("Init", false) {
                if opt == "__name__" {
                    continue;
                }
                let mut v: Option<String> = None;
                if !opt.starts_with("known/") {
                    let got = self.set.get_with("Init", opt, &none)?;
                    self.init_opts
                        .insert(format!("known/{opt}"), Value::String(got.clone()));
                    v = Some(got);
                }
                if !self.init_opts.contains_key(opt) {
                    let got = match v {
                        Some(v) => v,
                        None => self.set.get_with("Init", opt, &none)?,
                    };
                    self.init_opts.insert(opt.to_owned(), Value::String(got));
                }
            }
        }
        if all && self.set.has_section("Definition") {
            let none = Vars::default();
            for opt in self.set.options("Definition", false) {
                if opt == "__name__" || self.opts.contains_key(opt) {
                    continue;
                }
                let v = self.set.get_with("Definition", opt, &none)?;
                self.opts.insert(opt.to_owned(), Value::String(v));
            }
        }
        Ok(())
    }

    /// `getCombOption`: a `<tag>` looked up in `[Definition]` (with `section/option` names).
    fn comb_option(&mut self, name: &str) -> Result<Option<String>, InterpolationError> {
        if let Some(v) = self.def_cache.get(name) {
            return Ok(v.clone());
        }
        let v = match self.set.get_ex("Definition", name, &self.p_vars) {
            Ok(v) => Some(v),
            Err(InterpolationError::NoSection(_) | InterpolationError::NoOption { .. }) => None,
            Err(e) => return Err(e),
        };
        self.def_cache.insert(name.to_owned(), v.clone());
        Ok(v)
    }

    /// `getCombined(ignore)`.
    fn combined(&mut self, ignore: &[&str]) -> Result<Opts, StreamError> {
        let combined = if self.init_opts.is_empty() {
            self.opts.clone()
        } else {
            merged(&self.opts, &self.init_opts)
        };
        if combined.is_empty() {
            return Ok(Opts::new());
        }
        let mut ignored: HashSet<String> = ignore.iter().map(|s| (*s).to_owned()).collect();
        for key in combined.keys() {
            if let Some((name, _)) = split_condition(key) {
                ignored.insert(name.to_owned());
            }
        }
        let jail = self.jail.clone();
        let mut failure: Option<InterpolationError> = None;
        let substituted =
            substitute_recursive_tags(&combined, &ignored, |tag| match self.comb_option(tag) {
                Ok(v) => v,
                Err(e) => {
                    failure.get_or_insert(e);
                    None
                }
            });
        if let Some(error) = failure {
            return Err(StreamError::Interpolation { jail, error });
        }
        let mut opts = substituted.map_err(|message| StreamError::Invalid { jail, message })?;
        // `convertOptions`.
        for (name, kind) in self.config_opts {
            let Some(v) = opts.get(*name) else { continue };
            if v.is_null() {
                continue;
            }
            let converted = match kind {
                Kind::Int => as_int(v).map_or(Value::Null, |i| json!(i)),
                Kind::Bool => Value::Bool(as_bool(v)),
                Kind::Text => continue,
            };
            opts.insert((*name).to_owned(), converted);
        }
        Ok(opts)
    }
}

/// `TAG_CRE.search(value, from)`: `<name>` with no space or angle bracket inside.
fn find_tag(value: &str, from: usize) -> Option<(usize, usize)> {
    let bytes = value.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if bytes[i] == b'<' {
            let mut j = i + 1;
            while j < bytes.len() && !matches!(bytes[j], b' ' | b'<' | b'>') {
                j += 1;
            }
            if j > i + 1 && j < bytes.len() && bytes[j] == b'>' {
                return Some((i, j + 1));
            }
        }
        i += 1;
    }
    None
}

/// fail2ban's `MAX_TAG_REPLACE_COUNT`.
const MAX_TAG_REPLACE: usize = 25;

/// `substituteRecursiveTags(tags, ignore=…, addrepl=…)`: `<tag>`s replaced by the values of
/// other tags (or what `extra` finds), repeatedly, until none can be.
fn substitute_recursive_tags(
    input: &Opts,
    ignore: &HashSet<String>,
    mut extra: impl FnMut(&str) -> Option<String>,
) -> Result<Opts, String> {
    let mut tags = input.clone();
    let keys: Vec<String> = tags.keys().cloned().collect();
    let mut done: HashSet<String> = HashSet::new();
    let mut rep_counts: HashMap<String, HashMap<String, usize>> = HashMap::new();
    loop {
        let mut repeat = false;
        for tag in &keys {
            if ignore.contains(tag) || done.contains(tag) {
                continue;
            }
            // Most values hold no tag: nothing to copy or search.
            if !tags[tag].as_str().is_some_and(|v| v.contains('<')) {
                done.insert(tag.clone());
                continue;
            }
            let original = py_str(&tags[tag]);
            let mut value = original.clone();
            let mut counts = rep_counts.get(tag).cloned().unwrap_or_default();
            let mut search = find_tag(&value, 0);
            while let Some((start, end)) = search {
                let rtag = value[start + 1..end - 1].to_owned();
                if ignore.contains(&rtag) {
                    search = find_tag(&value, end);
                    continue;
                }
                if &rtag == tag || counts.get(&rtag).copied().unwrap_or(1) > MAX_TAG_REPLACE {
                    return Err(format!(
                        "properties contain self referencing definitions and cannot be resolved, fail tag: {tag}, found: {rtag}, value: {value}"
                    ));
                }
                let repl = match tags.get(&rtag) {
                    Some(v) if !v.is_null() => Some(py_str(v)),
                    _ => extra(&rtag),
                };
                let Some(repl) = repl else {
                    search = find_tag(&value, end);
                    continue;
                };
                value = value.replace(&format!("<{rtag}>"), &repl);
                *counts.entry(rtag).or_insert(0) += 1;
                search = find_tag(&value, start);
            }
            if original != value {
                if find_tag(&value, 0).is_some() {
                    rep_counts.insert(tag.clone(), counts);
                    repeat = true;
                }
                tags.insert(tag.clone(), Value::String(value.clone()));
            }
            if !value.contains('<') {
                done.insert(tag.clone());
            }
        }
        if !repeat {
            return Ok(tags);
        }
    }
}

/// `FilterReader._fillStream`: regexes, `usedns`/`maxlines`/`prefregex` first, date pattern,
/// journal matches.
fn fill_stream(stream: &mut Vec<Value>, opts: &Opts, jail: &str) {
    let mut prio0 = 0;
    for (opt, value) in opts {
        if value.is_null() {
            continue;
        }
        match opt.as_str() {
            "failregex" | "ignoreregex" => {
                let text = py_str(value);
                let multi: Vec<&str> = text.split('\n').filter(|r| !r.is_empty()).collect();
                if multi.len() > 1 {
                    stream.push(json!(["multi-set", jail, format!("add{opt}"), multi]));
                } else if let Some(one) = multi.first() {
                    stream.push(json!(["set", jail, format!("add{opt}"), one]));
                }
            }
            "usedns" | "maxlines" | "prefregex" => {
                let at = if opt == "usedns" { 0 } else { prio0 };
                stream.insert(at.min(stream.len()), json!(["set", jail, opt, value]));
                prio0 += 1;
            }
            "journalmatch" => {
                for line in py_str(value).split('\n').filter(|m| !m.is_empty()) {
                    let mut command = vec![json!("set"), json!(jail), json!("addjournalmatch")];
                    command.extend(shlex_split(line).into_iter().map(Value::String));
                    stream.push(Value::Array(command));
                }
            }
            // `opt in ('datepattern')` is a substring test in fail2ban.
            other if "datepattern".contains(other) => {
                stream.push(json!(["set", jail, opt, value]));
            }
            _ => {}
        }
    }
}

/// Python's `shlex.split` (POSIX mode, no comments).
fn shlex_split(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut word));
                    in_word = false;
                }
            }
            '\\' => {
                in_word = true;
                if let Some(n) = chars.next() {
                    word.push(n);
                }
            }
            '\'' => {
                in_word = true;
                for n in chars.by_ref() {
                    if n == '\'' {
                        break;
                    }
                    word.push(n);
                }
            }
            '"' => {
                in_word = true;
                while let Some(n) = chars.next() {
                    match n {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('\\' | '"')) => {
                            if let Some(e) = chars.next() {
                                word.push(e);
                            }
                        }
                        n => word.push(n),
                    }
                }
            }
            c => {
                in_word = true;
                word.push(c);
            }
        }
    }
    if in_word {
        words.push(word);
    }
    words
}

/// `json.dumps` of a flat dict of strings, as Python writes it (`", "`, `": "`, ASCII only).
fn python_json(args: &IndexMap<String, String>) -> String {
    let quote = |s: &str| {
        let mut out = String::from('"');
        for c in s.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                '\u{8}' => out.push_str("\\b"),
                '\u{c}' => out.push_str("\\f"),
                c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                    let mut buf = [0u16; 2];
                    for unit in c.encode_utf16(&mut buf) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out.push('"');
        out
    };
    let body: Vec<String> = args
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
        .collect();
    format!("{{{}}}", body.join(", "))
}

/// What a jail's `action` line names: an action file read for the jail, or a Python action.
enum Action {
    File {
        name: String,
        definition: Box<Definition>,
    },
    Python(Value),
}

/// Configurations read once per name (fail2ban shares them between jails the same way).
struct Library<'f> {
    files: &'f dyn ConfigFiles,
    sets: HashMap<String, Option<Rc<ConfigSet>>>,
    parsed: FileCache,
}

impl Library<'_> {
    /// The configuration of `name`, `None` if no file of it exists.
    fn get(&mut self, name: &str) -> Result<Option<Rc<ConfigSet>>, ReadError> {
        if let Some(found) = self.sets.get(name) {
            return Ok(found.clone());
        }
        let set = ConfigSet::read_cached(self.files, name, &mut self.parsed)?;
        let found = (!set.files().is_empty()).then(|| Rc::new(set));
        self.sets.insert(name.to_owned(), found.clone());
        Ok(found)
    }
}

/// The start commands of every enabled jail of `jail.conf` and friends, then a `start` for each
/// jail read without error. Jails that fail2ban would skip give `config-error` commands.
pub fn start_commands(files: &dyn ConfigFiles, host: &Host) -> Result<Vec<Value>, StreamError> {
    let mut set = ConfigSet::read(files, "jail")?;
    host.merge_into(&mut set);
    let mut library = Library {
        files,
        sets: HashMap::new(),
        parsed: FileCache::default(),
    };
    let names: Vec<String> = set
        .sections()
        .filter(|s| *s != "INCLUDES")
        .map(str::to_owned)
        .collect();
    let mut stream = Vec::new();
    let mut started = Vec::new();
    for name in &names {
        match jail_commands(&mut set, &mut library, name, host)? {
            None => {}
            Some(Ok(commands)) => {
                stream.extend(commands);
                started.push(name.clone());
            }
            Some(Err(JailDefError(e))) => stream.push(json!([
                "config-error",
                format!("Jail '{name}' skipped, because of wrong configuration: {e}")
            ])),
        }
    }
    for name in started {
        stream.push(json!(["start", name]));
    }
    Ok(stream)
}

/// What fail2ban's client would make of one jail: its start commands, or why it would skip
/// it (a disabled jail is skipped too).
pub fn commands_of_jail(
    files: &dyn ConfigFiles,
    host: &Host,
    jail: &str,
) -> Result<Result<Vec<Value>, String>, StreamError> {
    let mut set = ConfigSet::read(files, "jail")?;
    host.merge_into(&mut set);
    commands_of_jail_in(&mut set, files, host, jail)
}

/// [`commands_of_jail`] on a configuration already read (with [`Host::merge_into`]).
pub fn commands_of_jail_in(
    set: &mut ConfigSet,
    files: &dyn ConfigFiles,
    host: &Host,
    jail: &str,
) -> Result<Result<Vec<Value>, String>, StreamError> {
    if !set.has_section(jail) {
        return Ok(Err(format!("no jail [{jail}] in the configuration")));
    }
    let mut library = Library {
        files,
        sets: HashMap::new(),
        parsed: FileCache::default(),
    };
    Ok(match jail_commands(set, &mut library, jail, host)? {
        None => Err(format!("[{jail}] is not enabled")),
        Some(Ok(commands)) => Ok(commands),
        Some(Err(JailDefError(e))) => Err(e),
    })
}

/// What `fail2ban-regex` reads of a filter named `reference` (`name` or `name[arg=value, …]`,
/// from `filter.d`): the commands its `FilterReader` gives for a jail named `jail`
/// (expressions, `maxlines`, `datepattern`, …), or why it cannot read it.
pub fn filter_commands(
    files: &dyn ConfigFiles,
    reference: &str,
    jail: &str,
) -> Result<Result<Vec<Value>, String>, StreamError> {
    let r = match extract_options(reference) {
        Ok(r) => r,
        Err(e) => {
            return Ok(Err(format!(
                "Invalid filter definition {}: {e}",
                super::jails::python_repr(reference)
            )));
        }
    };
    let mut library = Library {
        files,
        sets: HashMap::new(),
        parsed: FileCache::default(),
    };
    let Some(set) = library.get(&format!("filter.d/{}", r.name))? else {
        return Ok(Err(format!(
            "Unable to read the filter {}",
            super::jails::python_repr(&r.name)
        )));
    };
    let init = r
        .args
        .into_iter()
        .map(|(k, v)| (k, Value::String(v)))
        .collect();
    let mut f = Definition::new(set, jail, init, FILTER_OPTIONS);
    f.apply_auto_options("auto");
    f.get_options(&Opts::new(), false)
        .map_err(|error| StreamError::Interpolation {
            jail: jail.to_owned(),
            error,
        })?;
    let combined = f.combined(&[])?;
    let mut stream = Vec::new();
    if !combined.is_empty() {
        fill_stream(&mut stream, &combined, jail);
    }
    Ok(Ok(stream))
}

/// `_configOpts1st`.
fn first_options(set: &ConfigSet, jail: &str) -> Result<Opts, StreamError> {
    let first: Vec<(&str, Kind, Option<Value>)> = vec![
        ("enabled", Kind::Bool, Some(Value::Bool(false))),
        ("backend", Kind::Text, Some(json!("auto"))),
        ("filter", Kind::Text, Some(json!(""))),
    ];
    get_options(set, jail, &first, &Opts::new(), true).map_err(|error| StreamError::Interpolation {
        jail: jail.to_owned(),
        error,
    })
}

/// One jail's commands (`JailReader.getOptions` then `convert(allow_no_files=True)`); `None`
/// for a disabled jail.
fn jail_commands(
    set: &mut ConfigSet,
    library: &mut Library<'_>,
    name: &str,
    host: &Host,
) -> Result<Option<Result<Vec<Value>, JailDefError>>, StreamError> {
    let interpolation = |error| StreamError::Interpolation {
        jail: name.to_owned(),
        error,
    };
    let first = first_options(set, name)?;
    if !as_bool(first.get("enabled").unwrap_or(&Value::Null)) {
        return Ok(None);
    }
    let backend_first = first.get("backend").map(py_str).unwrap_or_default();
    let filter_line = first.get("filter").map(py_str).unwrap_or_default();
    let mut filter_init: Option<(String, Opts)> = None;
    if !filter_line.is_empty() {
        match extract_options(&filter_line) {
            Ok(r) => {
                filter_init = Some((
                    r.name,
                    r.args
                        .into_iter()
                        .map(|(k, v)| (k, Value::String(v)))
                        .collect(),
                ));
            }
            Err(e) => {
                return Ok(Some(Err(JailDefError(format!(
                    "Invalid filter definition {}: {e}",
                    super::jails::python_repr(&filter_line)
                )))));
            }
        }
    }
    let mut filter = None;
    if let Some((filter_name, init)) = filter_init {
        let Some(filter_set) = library.get(&format!("filter.d/{filter_name}"))? else {
            return Ok(Some(Err(JailDefError(format!(
                "Unable to read the filter {}",
                super::jails::python_repr(&filter_name)
            )))));
        };
        let mut f = Definition::new(filter_set, name, init, FILTER_OPTIONS);
        f.apply_auto_options(&backend_first);
        f.get_options(&first, true).map_err(interpolation)?;
        let combined = f.combined(&[])?;
        let as_text: IndexMap<String, String> = combined
            .iter()
            .map(|(k, v)| (k.clone(), py_str(v)))
            .collect();
        set.merge_section(name, &as_text, "known/");
        filter = Some(f);
    }
    let jail_options: Vec<(&str, Kind, Option<Value>)> = JAIL_OPTIONS
        .iter()
        .map(|(n, k, d)| {
            (
                *n,
                *k,
                d.as_ref()
                    .map(|d| serde_json::to_value(d).unwrap_or(Value::Null)),
            )
        })
        .collect();
    let opts = get_options(set, name, &jail_options, &Opts::new(), true).map_err(interpolation)?;
    if let Some(f) = filter.as_mut() {
        f.get_options(&opts, false).map_err(interpolation)?;
    }
    // Action files, read before the borrows below.
    let action_line = opts.get("action").map(py_str).unwrap_or_default();
    let mut parsed_actions = Vec::new();
    for action in split_with_options(&action_line) {
        let action = action.trim().to_owned();
        if action.is_empty() {
            continue;
        }
        match extract_options(&action) {
            Ok(r) => parsed_actions.push(r),
            Err(e) => {
                return Ok(Some(Err(JailDefError(format!(
                    "Invalid action definition {}: {e}",
                    super::jails::python_repr(&action)
                )))));
            }
        }
    }
    let mut actions = Vec::new();
    for r in parsed_actions {
        if let Some(stem) = r.name.strip_suffix(".py") {
            let mut args = r.args.clone();
            let actname = args
                .shift_remove("actname")
                .unwrap_or_else(|| stem.to_owned());
            actions.push(Action::Python(json!([
                "set",
                name,
                "addaction",
                actname,
                format!(
                    "{}/action.d/{}",
                    host.confpath.trim_end_matches('/'),
                    r.name
                ),
                python_json(&args)
            ])));
            continue;
        }
        let Some(action_set) = library.get(&format!("action.d/{}", r.name))? else {
            return Ok(Some(Err(JailDefError(format!(
                "Unable to read action {}",
                super::jails::python_repr(&r.name)
            )))));
        };
        // `ActionReader.__init__`: `name` defaults to the jail, `actname` to the file (with
        // the name's difference from the jail's).
        let mut init: Opts = r
            .args
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let n = match init.get("name") {
            Some(v) => py_str(v),
            None => {
                init.insert("name".to_owned(), json!(name));
                name.to_owned()
            }
        };
        let actname = match init.get("actname") {
            Some(v) => py_str(v),
            None => {
                let mut actname = r.name.clone();
                if n != name {
                    match n.strip_prefix(name) {
                        Some(rest) => actname.push_str(rest),
                        None => {
                            actname.push('-');
                            actname.push_str(&n);
                        }
                    }
                }
                init.insert("actname".to_owned(), json!(actname));
                actname
            }
        };
        let mut definition = Definition::new(action_set, name, init, ACTION_OPTIONS);
        definition
            .get_options(&opts, false)
            .map_err(|error| StreamError::Invalid {
                jail: name.to_owned(),
                message: format!(
                    "Error in action definition {}: {error}",
                    super::jails::python_repr(&r.name)
                ),
            })?;
        actions.push(Action::File {
            name: actname,
            definition: Box::new(definition),
        });
    }

    // `convert(allow_no_files=True)`.
    let mut stream = Vec::new();
    if let Some(f) = filter.as_mut() {
        let combined = f.combined(&[])?;
        if !combined.is_empty() {
            fill_stream(&mut stream, &combined, name);
        }
    }
    fill_stream(&mut stream, &opts, name);
    let ignored: HashSet<&str> = ["action", "filter", "enabled"]
        .into_iter()
        .chain(FILTER_OPTIONS.iter().map(|(n, _)| *n))
        .collect();
    let mut logs = Vec::new();
    let mut backend = String::new();
    for (opt, value) in &opts {
        match opt.as_str() {
            "logpath" => {
                if opts
                    .get("backend")
                    .map(py_str)
                    .unwrap_or_default()
                    .starts_with("systemd")
                {
                    continue;
                }
                for line in py_str(value).split('\n') {
                    let (path, tail) = match line.rsplit_once(' ') {
                        Some((p, t)) => (p, t),
                        None => (line, "head"),
                    };
                    for found in library.files.glob(path) {
                        logs.push(json!(["set", name, "addlogpath", found, tail]));
                    }
                }
            }
            "backend" => backend = py_str(value),
            "ignoreip" => {
                let mut command = vec![json!("set"), json!(name), json!("addignoreip")];
                command.extend(splitwords(&py_str(value)).into_iter().map(Value::String));
                stream.push(Value::Array(command));
            }
            other if !ignored.contains(other) => stream.push(json!(["set", name, opt, value])),
            _ => {}
        }
    }
    stream.extend(logs);
    for action in actions {
        match action {
            Action::Python(command) => stream.push(command),
            Action::File {
                name: actname,
                mut definition,
            } => {
                let opts = definition.combined(ACTION_IGNORED_TAGS)?;
                stream.push(json!(["set", name, "addaction", actname]));
                let mut multi: Vec<Value> = Vec::new();
                let own: HashSet<&str> = ACTION_OPTIONS.iter().map(|(n, _)| *n).collect();
                for (opt, value) in &opts {
                    if own.contains(opt.as_str()) && !opt.starts_with("known/") {
                        multi.push(json!([opt, value]));
                    }
                }
                for (opt, value) in &definition.init_opts {
                    if !own.contains(opt.as_str()) && !opt.starts_with("known/") {
                        multi.push(json!([opt, value]));
                    }
                }
                if multi.len() > 1 {
                    stream.push(json!(["multi-set", name, "action", actname, multi]));
                } else if let Some(Value::Array(one)) = multi.pop() {
                    let mut command =
                        vec![json!("set"), json!(name), json!("action"), json!(actname)];
                    command.extend(one);
                    stream.push(Value::Array(command));
                }
            }
        }
    }
    stream.insert(0, json!(["add", name, backend]));
    Ok(Some(Ok(stream)))
}

/// `splitwords`: words separated by commas, spaces or newlines.
fn splitwords(s: &str) -> Vec<String> {
    s.split([' ', ',', '\n'])
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_substituted_recursively() {
        let mut opts = Opts::new();
        opts.insert("a".into(), json!("3"));
        opts.insert("b".into(), json!("<a>_3"));
        opts.insert("c".into(), json!("<b>/<missing>/<a>"));
        let out = substitute_recursive_tags(&opts, &HashSet::new(), |t| {
            (t == "x").then(|| "X".to_owned())
        })
        .unwrap();
        assert_eq!(out["c"], "3_3/<missing>/3");
        opts.insert("d".into(), json!("<d>"));
        assert!(substitute_recursive_tags(&opts, &HashSet::new(), |_| None).is_err());
    }

    #[test]
    fn shell_words_as_shlex_splits_them() {
        assert_eq!(
            shlex_split("_SYSTEMD_UNIT=sshd.service + _COMM=sshd"),
            ["_SYSTEMD_UNIT=sshd.service", "+", "_COMM=sshd"]
        );
        assert_eq!(
            shlex_split("a \"b c\" d\\ e 'f g'"),
            ["a", "b c", "d e", "f g"]
        );
    }

    #[test]
    fn python_json_of_arguments() {
        let mut args = IndexMap::new();
        args.insert("a".to_owned(), "x \"y\"".to_owned());
        args.insert("b".to_owned(), "é".to_owned());
        assert_eq!(
            python_json(&args),
            "{\"a\": \"x \\\"y\\\"\", \"b\": \"\\u00e9\"}"
        );
    }
}
