//! One configuration file, parsed as fail2ban parses it: Python's `configparser` with
//! fail2ban's settings (`inline_comment_prefixes=";"`, strict, `=` and `:` delimiters, option
//! names lower-cased, values continued on deeper-indented lines, blank lines kept inside
//! values).

use indexmap::IndexMap;

/// What Python calls the default section.
pub const DEFAULT: &str = "DEFAULT";

/// One option's raw value and the line it starts on (1-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawOption {
    pub value: String,
    pub line: u32,
}

/// A parsed file: `[DEFAULT]`, then the other sections in the order they first appear.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniFile {
    pub defaults: IndexMap<String, RawOption>,
    pub sections: IndexMap<String, IndexMap<String, RawOption>>,
}

/// Why a file cannot be read; fail2ban refuses to start on the same.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("line {line}: an option before any [section]")]
    MissingSectionHeader { line: u32 },
    #[error("line {line}: section [{section}] appears twice")]
    DuplicateSection { line: u32, section: String },
    #[error("line {line}: option {option:?} appears twice in [{section}]")]
    DuplicateOption {
        line: u32,
        section: String,
        option: String,
    },
    #[error("line {line}: neither a [section] nor an option = value")]
    Syntax { line: u32 },
}

impl ParseError {
    pub fn line(&self) -> u32 {
        match self {
            Self::MissingSectionHeader { line }
            | Self::DuplicateSection { line, .. }
            | Self::DuplicateOption { line, .. }
            | Self::Syntax { line } => *line,
        }
    }
}

/// Python's `str.lower()` for option names (`optionxform`).
pub fn option_key(name: &str) -> String {
    name.to_lowercase()
}

/// Where the current option is: in `[DEFAULT]` or in the section at an index, at an index.
#[derive(Clone, Copy)]
enum Cursor {
    None,
    Defaults,
    Section(usize),
}

/// Parses `text` (already decoded) as one file.
pub fn parse(text: &str) -> Result<IniFile, ParseError> {
    let mut file = IniFile::default();
    // Python reads in universal-newline mode: \r\n and a lone \r end lines too.
    let normalized;
    let text = if text.contains('\r') {
        normalized = text.replace("\r\n", "\n").replace('\r', "\n");
        normalized.as_str()
    } else {
        text
    };
    let mut cursor = Cursor::None;
    // The option whose value continuation lines extend (its index in the cursor's map).
    let mut option: Option<usize> = None;
    let mut indent_level = 0usize;
    let mut first_error: Option<ParseError> = None;

    for (index, line) in text.split('\n').enumerate() {
        let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let comment_start = comment_start(line);
        let value = line[..comment_start.unwrap_or(line.len())].trim();
        let current = match (cursor, option) {
            (Cursor::None, _) | (_, None) => None,
            (Cursor::Defaults, Some(i)) => file.defaults.get_index_mut(i).map(|(_, o)| o),
            (Cursor::Section(s), Some(i)) => file
                .sections
                .get_index_mut(s)
                .and_then(|(_, options)| options.get_index_mut(i))
                .map(|(_, o)| o),
        };
        if value.is_empty() {
            // A blank line (not a comment) is part of the current value.
            if comment_start.is_none()
                && let Some(o) = current
            {
                o.value.push('\n');
            }
            continue;
        }
        let indent = line.find(|c: char| !c.is_whitespace()).unwrap_or(0);
        if indent > indent_level
            && let Some(o) = current
        {
            o.value.push('\n');
            o.value.push_str(value);
            continue;
        }
        indent_level = indent;
        if let Some(header) = section_header(value) {
            if header == DEFAULT {
                cursor = Cursor::Defaults;
            } else {
                if file.sections.contains_key(header) {
                    return Err(ParseError::DuplicateSection {
                        line: line_no,
                        section: header.to_owned(),
                    });
                }
                let (at, _) = file
                    .sections
                    .insert_full(header.to_owned(), IndexMap::new());
                cursor = Cursor::Section(at);
            }
            option = None;
            continue;
        }
        let (section_name, target) = match cursor {
            Cursor::None => return Err(ParseError::MissingSectionHeader { line: line_no }),
            Cursor::Defaults => (DEFAULT, &mut file.defaults),
            Cursor::Section(s) => match file.sections.get_index_mut(s) {
                Some((name, options)) => (name.as_str(), options),
                None => return Err(ParseError::Syntax { line: line_no }),
            },
        };
        let Some((name, raw)) = split_option(value) else {
            first_error.get_or_insert(ParseError::Syntax { line: line_no });
            continue;
        };
        if name.is_empty() {
            first_error.get_or_insert(ParseError::Syntax { line: line_no });
        }
        let key = option_key(name);
        // Each map holds this file's options only: a key already there appeared twice.
        if target.contains_key(&key) {
            return Err(ParseError::DuplicateOption {
                line: line_no,
                section: section_name.to_owned(),
                option: key,
            });
        }
        let (at, _) = target.insert_full(
            key,
            RawOption {
                value: raw.trim().to_owned(),
                line: line_no,
            },
        );
        option = Some(at);
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    // Python joins a value's lines and strips the end.
    for o in file
        .defaults
        .values_mut()
        .chain(file.sections.values_mut().flat_map(|s| s.values_mut()))
    {
        let end = o.value.trim_end().len();
        o.value.truncate(end);
    }
    Ok(file)
}

/// Where a comment starts: a whole line starting with `#` or `;`, or a `;` at the start or after
/// whitespace (fail2ban's inline comments).
fn comment_start(line: &str) -> Option<usize> {
    let trimmed = line.trim();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return Some(0);
    }
    let mut previous: Option<char> = None;
    for (i, c) in line.char_indices() {
        if c == ';' && previous.is_none_or(char::is_whitespace) {
            return Some(i);
        }
        previous = Some(c);
    }
    None
}

/// `[name]` at the start of the line (Python's `\[(?P<header>.+)\]`: the last `]` closes it,
/// anything after it is ignored).
fn section_header(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('[')?;
    let end = rest.rfind(']')?;
    (end > 0).then(|| &rest[..end])
}

/// `name = value` or `name: value`, split at the first delimiter.
fn split_option(value: &str) -> Option<(&str, &str)> {
    let at = value.find(['=', ':'])?;
    Some((value[..at].trim_end(), &value[at + 1..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(file: &IniFile, section: &str) -> Vec<(String, String)> {
        let options = if section == DEFAULT {
            &file.defaults
        } else {
            &file.sections[section]
        };
        options
            .iter()
            .map(|(k, v)| (k.clone(), v.value.clone()))
            .collect()
    }

    #[test]
    fn reads_values_as_python_configparser_does() {
        let file = parse(
            "# comment\n[DEFAULT]\nBanTime = 10m ; inline\nurl = http://x/;y\n\n[sshd]\nenabled: true\nlogpath = /a\n   /b\n\n   /c\n  # not a comment inside? it is\naction = a[x=1]\n[x] trailing\nk=v\n",
        )
        .unwrap();
        assert_eq!(
            values(&file, DEFAULT),
            [
                ("bantime".into(), "10m".into()),
                ("url".into(), "http://x/;y".into())
            ]
        );
        assert_eq!(
            values(&file, "sshd"),
            [
                ("enabled".into(), "true".into()),
                ("logpath".into(), "/a\n/b\n\n/c".into()),
                ("action".into(), "a[x=1]".into())
            ]
        );
        assert_eq!(values(&file, "x"), [("k".into(), "v".into())]);
        assert_eq!(file.sections["sshd"]["logpath"].line, 8);
    }

    #[test]
    fn refuses_what_fail2ban_refuses() {
        assert_eq!(
            parse("a = 1\n"),
            Err(ParseError::MissingSectionHeader { line: 1 })
        );
        assert!(matches!(
            parse("[a]\n[b]\n[a]\n"),
            Err(ParseError::DuplicateSection { line: 3, .. })
        ));
        assert!(matches!(
            parse("[a]\nX = 1\nx = 2\n"),
            Err(ParseError::DuplicateOption { line: 3, .. })
        ));
        assert_eq!(
            parse("[a]\njust words\n"),
            Err(ParseError::Syntax { line: 2 })
        );
        // DEFAULT may come back; its options still may not repeat.
        assert!(parse("[DEFAULT]\na=1\n[DEFAULT]\nb=2\n").is_ok());
    }
}
