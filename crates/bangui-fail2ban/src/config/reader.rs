//! A configuration as fail2ban's `ConfigReader` assembles it: `<name>.conf`, `<name>.d/*.conf`,
//! `<name>.local`, `<name>.d/*.local`, each with its `.local` companion and its `[INCLUDES]`
//! `before`/`after` files, merged in that order; later files override earlier ones option by
//! option, and the overridden values stay reachable as `%(known/<option>)s`.
//!
//! The rules follow fail2ban 1.0's `client/configparserinc.py` and `client/configreader.py`
//! (Debian's package); `tests/config_oracle.rs` compares every value with fail2ban's own reader
//! on the same files.

use std::collections::HashMap;
use std::rc::Rc;

use indexmap::IndexMap;

use super::files::{ConfigFiles, parent};
use super::ini::{self, DEFAULT, IniFile, ParseError, RawOption, option_key};

/// Where an effective value was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    /// The file, relative to the configuration directory.
    pub file: String,
    /// The section as written there (`DEFAULT`, `sshd`, `Init?family=inet6`, …).
    pub section: String,
    pub line: u32,
}

/// A raw (not interpolated) value and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Value {
    pub raw: String,
    pub source: Source,
}

/// Why a configuration cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{file}: {error}")]
    Parse { file: String, error: ParseError },
    #[error("reading {file}: {error}")]
    Io { file: String, error: std::io::Error },
}

/// Why a value cannot be interpolated (Python's `Interpolation*Error`s).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InterpolationError {
    #[error("no section [{0}]")]
    NoSection(String),
    #[error("no option {option:?} in [{section}]")]
    NoOption { section: String, option: String },
    #[error("[{section}] {option}: %({missing})s refers to nothing")]
    Missing {
        section: String,
        option: String,
        missing: String,
    },
    #[error("[{section}] {option}: bad interpolation syntax")]
    Syntax { section: String, option: String },
    #[error("[{section}] {option}: interpolation nested too deeply")]
    Depth { section: String, option: String },
}

/// Something fail2ban would log and go on from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadWarning {
    pub file: String,
    pub message: String,
}

/// Python's `MAX_INTERPOLATION_DEPTH`.
const MAX_DEPTH: usize = 10;

type Options = IndexMap<String, Value>;

/// The merged configuration of one name (`jail`, `filter.d/sshd`, `action.d/iptables`, …).
#[derive(Debug, Clone, Default)]
pub struct ConfigSet {
    files: Vec<String>,
    defaults: Options,
    /// Sections by name, `KNOWN/<name>` ones included (the values later files overrode).
    sections: IndexMap<String, Options>,
    warnings: Vec<ReadWarning>,
}

impl ConfigSet {
    /// Reads `<name>.conf` and everything fail2ban reads with it. A name without any file
    /// gives an empty set (fail2ban logs "Found no accessible config files").
    pub fn read(files: &dyn ConfigFiles, name: &str) -> Result<Self, ReadError> {
        Self::read_cached(files, name, &mut FileCache::default())
    }

    /// [`read`](Self::read), parsing each file once across reads (filters share `common.conf`;
    /// fail2ban's client shares its parsers the same way).
    pub fn read_cached(
        files: &dyn ConfigFiles,
        name: &str,
        cache: &mut FileCache,
    ) -> Result<Self, ReadError> {
        let mut reader = Reader {
            files,
            cache,
            warnings: Vec::new(),
        };
        let mut top = vec![format!("{name}.conf")];
        top.extend(reader.listed(&format!("{name}.d"), ".conf")?);
        top.push(format!("{name}.local"));
        top.extend(reader.listed(&format!("{name}.d"), ".local")?);
        let mut existing = Vec::new();
        for file in top {
            if reader.parsed(&file)?.is_some() {
                existing.push(file);
            }
        }
        let order = reader.includes_of(&existing, &[])?;
        let mut set = Self::default();
        for file in order {
            if let Some(parsed) = reader.parsed(&file)? {
                set.merge(&file, &parsed);
                set.files.push(file);
            }
        }
        set.warnings = reader.warnings;
        Ok(set)
    }

    /// The files read, in the order they were merged.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    pub fn warnings(&self) -> &[ReadWarning] {
        &self.warnings
    }

    /// The sections, in the order they first appeared (without `KNOWN/…`).
    pub fn sections(&self) -> impl Iterator<Item = &str> {
        self.sections
            .keys()
            .map(String::as_str)
            .filter(|s| !s.starts_with("KNOWN/"))
    }

    pub fn has_section(&self, section: &str) -> bool {
        self.sections.contains_key(section)
    }

    /// The options of `section`, its own first, then `[DEFAULT]`'s it does not set.
    pub fn options(&self, section: &str, with_defaults: bool) -> Vec<&str> {
        let Some(own) = self.sections.get(section) else {
            return Vec::new();
        };
        let mut names: Vec<&str> = own.keys().map(String::as_str).collect();
        if with_defaults {
            names.extend(
                self.defaults
                    .keys()
                    .map(String::as_str)
                    .filter(|k| !own.contains_key(*k)),
            );
        }
        names
    }

    /// Every raw value: `[DEFAULT]`'s (with the section `DEFAULT`), then each section's.
    pub fn all_raw(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        let defaults = self
            .defaults
            .iter()
            .map(|(k, v)| (super::ini::DEFAULT, k.as_str(), v));
        let sections = self
            .sections
            .iter()
            .flat_map(|(s, o)| o.iter().map(move |(k, v)| (s.as_str(), k.as_str(), v)));
        defaults.chain(sections)
    }

    pub fn defaults(&self) -> &IndexMap<String, Value> {
        &self.defaults
    }

    /// The raw value of `option` in `section` (or `[DEFAULT]`), with its source.
    pub fn raw(&self, section: &str, option: &str) -> Option<&Value> {
        let key = option_key(option);
        self.sections
            .get(section)
            .and_then(|s| s.get(&key))
            .or_else(|| self.defaults.get(&key))
    }

    /// The value of `option` in `section` with `%(…)s` interpolated, looking names up in
    /// `vars` first, then the section, then `[DEFAULT]` (Python's `ConfigParser.get`).
    pub fn get(
        &self,
        section: &str,
        option: &str,
        vars: &IndexMap<String, String>,
    ) -> Result<String, InterpolationError> {
        self.get_with(section, option, &Vars::new(vars))
    }

    /// [`get`](Self::get) with `vars` prepared once for many calls.
    pub fn get_with(
        &self,
        section: &str,
        option: &str,
        vars: &Vars,
    ) -> Result<String, InterpolationError> {
        let key = option_key(option);
        let own = if section == DEFAULT {
            None
        } else {
            Some(
                self.sections
                    .get(section)
                    .ok_or_else(|| InterpolationError::NoSection(section.to_owned()))?,
            )
        };
        let lookup = Lookup {
            set: self,
            section,
            own,
            vars,
        };
        let raw = lookup
            .base(&key)
            .ok_or_else(|| InterpolationError::NoOption {
                section: section.to_owned(),
                option: key.clone(),
            })?;
        let mut out = String::with_capacity(raw.len());
        lookup.interpolate(&key, raw, &[], &mut out, 1)?;
        Ok(out)
    }

    /// Sets `[DEFAULT]` options that no file wrote (fail2ban adds its version and
    /// configuration path before reading jails).
    pub fn merge_defaults<'a>(&mut self, values: impl IntoIterator<Item = (&'a str, &'a str)>) {
        for (key, value) in values {
            self.defaults.insert(
                option_key(key),
                Value {
                    raw: value.to_owned(),
                    source: Source {
                        file: String::new(),
                        section: DEFAULT.to_owned(),
                        line: 0,
                    },
                },
            );
        }
    }

    /// `get_ex`: like [`get`](Self::get), but `section/option` names another section's option
    /// (`known/…` the value this section's option had before a later file overrode it,
    /// `default/…` `[DEFAULT]`'s), each read without `vars`; if none has it, the name is looked
    /// up as it is.
    pub fn get_ex(
        &self,
        section: &str,
        option: &str,
        vars: &Vars,
    ) -> Result<String, InterpolationError> {
        if let Some((sec, opt)) = section_option(option) {
            let candidates = match sec.to_lowercase().as_str() {
                "known" => vec![format!("KNOWN/{section}"), section.to_owned()],
                "default" => vec![DEFAULT.to_owned()],
                _ => vec![sec.to_owned()],
            };
            let none = Vars::default();
            for candidate in candidates {
                match self.get_with(&candidate, opt, &none) {
                    Ok(v) => return Ok(v),
                    Err(InterpolationError::NoSection(_) | InterpolationError::NoOption { .. }) => {
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        self.get_with(section, option, vars)
    }

    /// `merge_section`: sets options of `section` (created if missing) as no file wrote them;
    /// with a `prefix`, each name gets it (fail2ban keeps a jail's filter values as `known/…`).
    pub fn merge_section(
        &mut self,
        section: &str,
        options: &IndexMap<String, String>,
        prefix: &str,
    ) {
        let target = self.sections.entry(section.to_owned()).or_default();
        for (key, value) in options {
            if !prefix.is_empty() && (key.starts_with(prefix) || key == "__name__") {
                continue;
            }
            target.insert(
                format!("{prefix}{key}"),
                Value {
                    raw: value.clone(),
                    source: Source {
                        file: String::new(),
                        section: section.to_owned(),
                        line: 0,
                    },
                },
            );
        }
    }

    /// Adds one file's sections and defaults (`SafeConfigParserWithIncludes.read`).
    fn merge(&mut self, file: &str, parsed: &IniFile) {
        let value = |section: &str, o: &RawOption| Value {
            raw: o.value.clone(),
            source: Source {
                file: file.to_owned(),
                section: section.to_owned(),
                line: o.line,
            },
        };
        for (k, o) in &parsed.defaults {
            self.defaults.insert(k.clone(), value(DEFAULT, o));
        }
        for (written, options) in &parsed.sections {
            // `[name?cond]`: its options join `[name]` as `option?cond`.
            let (name, condition) = match split_condition(written) {
                Some((name, cond)) => (name, Some(cond)),
                None => (written.as_str(), None),
            };
            let renamed: Options = options
                .iter()
                .map(|(k, o)| {
                    let key = match condition {
                        Some(c) => format!("{k}{c}"),
                        None => k.clone(),
                    };
                    (key, value(written, o))
                })
                .collect();
            match self.sections.get_mut(name) {
                Some(existing) => {
                    let overridden: Options = existing
                        .iter()
                        .filter(|(k, _)| renamed.contains_key(*k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    existing.extend(renamed);
                    self.sections
                        .entry(format!("KNOWN/{name}"))
                        .or_default()
                        .extend(overridden);
                }
                None => {
                    self.sections.insert(name.to_owned(), renamed);
                }
            }
        }
    }
}

/// `^([\w\-]+)/([^\s>]+)$` (fail2ban's `SECTION_OPTNAME_CRE`): `section/option`.
fn section_option(name: &str) -> Option<(&str, &str)> {
    let (sec, opt) = name.split_once('/')?;
    let sec_ok = !sec.is_empty() && sec.chars().all(|c| is_word(c) || c == '-');
    let opt_ok = !opt.is_empty() && !opt.chars().any(|c| c.is_whitespace() || c == '>');
    (sec_ok && opt_ok).then_some((sec, opt))
}

/// `name?cond` (fail2ban's `CONDITIONAL_RE`, `^(\w+)(\?.+)$`): the name and `?cond`.
pub(crate) fn split_condition(section: &str) -> Option<(&str, &str)> {
    let at = section.find('?')?;
    let (name, cond) = section.split_at(at);
    let word = !name.is_empty() && name.chars().all(is_word);
    (word && cond.len() > 1).then_some((name, cond))
}

/// Python's `\w` (Unicode word characters, close enough: letters, digits, `_`).
fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Files already parsed (`None`: missing or skipped), and why one was skipped.
#[derive(Debug, Default)]
pub struct FileCache {
    parsed: HashMap<String, Option<Rc<IniFile>>>,
    skipped: HashMap<String, String>,
}

/// The file-level work of one read: parsed files (each once) and the include order.
struct Reader<'a> {
    files: &'a dyn ConfigFiles,
    cache: &'a mut FileCache,
    warnings: Vec<ReadWarning>,
}

impl Reader<'_> {
    /// `dir/*<ext>`, sorted as Python's `sorted(glob(...))` (no hidden files).
    fn listed(&self, dir: &str, ext: &str) -> Result<Vec<String>, ReadError> {
        let mut names: Vec<String> = self
            .files
            .list(dir)
            .map_err(|error| ReadError::Io {
                file: dir.to_owned(),
                error,
            })?
            .into_iter()
            .filter(|n| n.ends_with(ext) && !n.starts_with('.'))
            .map(|n| format!("{dir}/{n}"))
            .collect();
        names.sort();
        Ok(names)
    }

    /// The parsed file, `None` if it does not exist or is not UTF-8 (fail2ban skips both).
    fn parsed(&mut self, file: &str) -> Result<Option<Rc<IniFile>>, ReadError> {
        if let Some(done) = self.cache.parsed.get(file) {
            let done = done.clone();
            if let Some(why) = self.cache.skipped.get(file).cloned() {
                self.warn(file, &why);
            }
            return Ok(done);
        }
        let parsed = match super::files::clean(file) {
            None => {
                self.skip(file, "outside the configuration directory: not read");
                None
            }
            Some(clean) => match self.files.read(&clean).map_err(|error| ReadError::Io {
                file: file.to_owned(),
                error,
            })? {
                None => None,
                Some(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => Some(Rc::new(ini::parse(&text).map_err(|error| {
                        ReadError::Parse {
                            file: file.to_owned(),
                            error,
                        }
                    })?)),
                    Err(_) => {
                        self.skip(file, "not UTF-8: skipped, as fail2ban does");
                        None
                    }
                },
            },
        };
        self.cache.parsed.insert(file.to_owned(), parsed.clone());
        Ok(parsed)
    }

    fn skip(&mut self, file: &str, why: &str) {
        self.cache.skipped.insert(file.to_owned(), why.to_owned());
        self.warn(file, why);
    }

    fn warn(&mut self, file: &str, message: &str) {
        self.warnings.push(ReadWarning {
            file: file.to_owned(),
            message: message.to_owned(),
        });
    }

    /// `_getIncludes`: each file with its `.local` companion, each with its includes around it.
    fn includes_of(&mut self, files: &[String], seen: &[String]) -> Result<Vec<String>, ReadError> {
        let mut expanded = Vec::new();
        for file in files {
            expanded.push(file.clone());
            let local = format!("{}.local", strip_extension(file));
            if !files.contains(&local) && self.parsed(&local)?.is_some() {
                expanded.push(local);
            }
        }
        let mut order = Vec::new();
        for file in &expanded {
            order.extend(self.includes_uncached(file, seen)?);
        }
        Ok(order)
    }

    /// `__getIncludesUncached`: `before` files, the file, `after` files.
    fn includes_uncached(&mut self, file: &str, seen: &[String]) -> Result<Vec<String>, ReadError> {
        let Some(parsed) = self.parsed(file)? else {
            return Ok(Vec::new());
        };
        let mut before = Vec::new();
        let mut after = Vec::new();
        if let Some(includes) = parsed.sections.get("INCLUDES") {
            // The values are interpolated within the file itself.
            let single = {
                let mut set = ConfigSet::default();
                set.merge(file, &parsed);
                set
            };
            for (option, list) in [("before", &mut before), ("after", &mut after)] {
                if !includes.contains_key(option) {
                    continue;
                }
                let value = match single.get("INCLUDES", option, &IndexMap::new()) {
                    Ok(v) => v,
                    Err(e) => {
                        self.warn(file, &format!("[INCLUDES] {option}: {e}"));
                        continue;
                    }
                };
                for resource in value.split('\n') {
                    let path = if resource.starts_with('/') {
                        resource.to_owned()
                    } else {
                        let dir = parent(file);
                        if dir.is_empty() {
                            resource.to_owned()
                        } else {
                            format!("{dir}/{resource}")
                        }
                    };
                    if seen.contains(&path) {
                        continue;
                    }
                    let mut deeper = seen.to_vec();
                    deeper.push(file.to_owned());
                    list.extend(self.includes_of(&[path], &deeper)?);
                }
            }
        }
        before.push(file.to_owned());
        before.extend(after);
        Ok(before)
    }
}

/// `os.path.splitext(path)[0]`.
fn strip_extension(path: &str) -> &str {
    let name_start = path.rfind('/').map_or(0, |i| i + 1);
    match path[name_start..].rfind('.') {
        // A leading dot is not an extension (`.hidden`).
        Some(dot) if path[name_start..][..dot].chars().any(|c| c != '.') => {
            &path[..name_start + dot]
        }
        _ => path,
    }
}

/// `configparser`'s `vars`: names (lower-cased) that come before a section's own options.
#[derive(Debug, Clone, Default)]
pub struct Vars(HashMap<String, String>);

impl Vars {
    pub fn new(vars: &IndexMap<String, String>) -> Self {
        Self(
            vars.iter()
                .map(|(k, v)| (option_key(k), v.clone()))
                .collect(),
        )
    }
}

/// The names a value of `section` may refer to, as Python's `ChainMap(vars, section, DEFAULT)`.
struct Lookup<'a> {
    set: &'a ConfigSet,
    section: &'a str,
    own: Option<&'a Options>,
    vars: &'a Vars,
}

impl<'a> Lookup<'a> {
    fn base(&self, name: &str) -> Option<&'a str> {
        self.vars
            .0
            .get(name)
            .map(String::as_str)
            .or_else(|| self.own.and_then(|s| s.get(name)).map(|v| v.raw.as_str()))
            .or_else(|| self.set.defaults.get(name).map(|v| v.raw.as_str()))
    }

    /// A name as Python's interpolation finds it: `__name__` is the section, then the
    /// `section/option` names found on the way, then `vars`, the section, `[DEFAULT]`.
    fn find<'n>(&self, name: &str, found: &'n [(String, String)]) -> Option<&'n str>
    where
        'a: 'n,
    {
        if name == "__name__" {
            return Some(self.section);
        }
        found
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .or_else(|| self.base(name))
    }

    /// `BasicInterpolationWithName._interpolate_some` with fail2ban's `_map_section_options`:
    /// at every level `__name__` is the section, and `%(section/option)s`, `%(known/option)s`
    /// and `%(default/option)s` found in `rest` are added to the names.
    fn interpolate(
        &self,
        option: &str,
        rest: &str,
        outer: &[(String, String)],
        out: &mut String,
        depth: usize,
    ) -> Result<(), InterpolationError> {
        if depth > MAX_DEPTH {
            return Err(InterpolationError::Depth {
                section: self.section.to_owned(),
                option: option.to_owned(),
            });
        }
        // Python copies its map at every level; only a level that adds names needs a copy.
        let added = self.map_section_options(rest, outer);
        let grown: Vec<(String, String)>;
        let names: &[(String, String)] = if added.is_empty() {
            outer
        } else {
            grown = outer.iter().cloned().chain(added).collect();
            &grown
        };
        let mut rest = rest;
        while let Some(p) = rest.find('%') {
            out.push_str(&rest[..p]);
            rest = &rest[p..];
            let next = rest[1..].chars().next();
            match next {
                Some('%') => {
                    out.push('%');
                    rest = &rest[2..];
                }
                Some('(') => {
                    // `%\(([^)]+)\)s`
                    let close = rest
                        .find(')')
                        .filter(|&c| c > 2 && rest[c + 1..].starts_with('s'));
                    let Some(close) = close else {
                        return Err(InterpolationError::Syntax {
                            section: self.section.to_owned(),
                            option: option.to_owned(),
                        });
                    };
                    let var = option_key(&rest[2..close]);
                    rest = &rest[close + 2..];
                    let value =
                        self.find(&var, names)
                            .ok_or_else(|| InterpolationError::Missing {
                                section: self.section.to_owned(),
                                option: option.to_owned(),
                                missing: var.clone(),
                            })?;
                    if value.contains('%') {
                        self.interpolate(option, value, names, out, depth + 1)?;
                    } else {
                        out.push_str(value);
                    }
                }
                _ => {
                    return Err(InterpolationError::Syntax {
                        section: self.section.to_owned(),
                        option: option.to_owned(),
                    });
                }
            }
        }
        out.push_str(rest);
        Ok(())
    }

    /// `_map_section_options`: values for `%(sec/opt)s` names not known yet.
    fn map_section_options(&self, rest: &str, known: &[(String, String)]) -> Vec<(String, String)> {
        let mut added: Vec<(String, String)> = Vec::new();
        if !rest.contains('/') || !rest.contains("%(") {
            return added;
        }
        for (sopt, sec, opt) in section_refs(rest) {
            let seen = |list: &[(String, String)]| list.iter().any(|(k, _)| k == sopt);
            if seen(known) || seen(&added) || self.base(sopt).is_some() {
                continue;
            }
            let lower = sec.to_lowercase();
            let found = if lower == "default" {
                None
            } else if lower == "known" {
                self.set
                    .sections
                    .get(&format!("KNOWN/{}", self.section))
                    .and_then(|s| s.get(opt))
                    .map(|v| v.raw.clone())
            } else {
                let Some(other) = self.set.sections.get(sec) else {
                    continue;
                };
                other.get(opt).map(|v| v.raw.clone())
            };
            let value = match found {
                Some(v) => v,
                None => match self.set.defaults.get(opt) {
                    Some(v) => v.raw.clone(),
                    None => continue,
                },
            };
            added.push((sopt.to_owned(), value));
        }
        added
    }
}

/// `%\(([\w\-]+/([^\)]+))\)s` matches: (`sec/opt`, `sec`, `opt`).
fn section_refs(text: &str) -> Vec<(&str, &str, &str)> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(start) = text[from..].find("%(").map(|i| from + i) {
        let inner_start = start + 2;
        let Some(close) = text[inner_start..].find(')').map(|i| inner_start + i) else {
            break;
        };
        let inner = &text[inner_start..close];
        if text[close + 1..].starts_with('s')
            && let Some((sec, opt)) = inner.split_once('/')
            && !sec.is_empty()
            && sec.chars().all(|c| is_word(c) || c == '-')
            && !opt.is_empty()
        {
            found.push((inner, sec, opt));
            from = close + 2;
        } else {
            from = inner_start;
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_as_python_splits_them() {
        assert_eq!(strip_extension("jail.conf"), "jail");
        assert_eq!(strip_extension("jail.d/a.b.conf"), "jail.d/a.b");
        assert_eq!(strip_extension("jail.d/.hidden"), "jail.d/.hidden");
        assert_eq!(strip_extension("a.d/noext"), "a.d/noext");
    }

    #[test]
    fn conditions_and_section_references() {
        assert_eq!(
            split_condition("Init?family=inet6"),
            Some(("Init", "?family=inet6"))
        );
        assert_eq!(split_condition("a-b?x"), None);
        assert_eq!(
            section_refs("x %(known/failregex)s %(Definition/a b)s %(nope)s"),
            [
                ("known/failregex", "known", "failregex"),
                ("Definition/a b", "Definition", "a b")
            ]
        );
    }
}
