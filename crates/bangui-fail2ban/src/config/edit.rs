//! Setting options of one section in a configuration file's text, keeping everything else
//! (comments, other sections, other options) as it was.

use super::ini::{option_key, parse};

/// `text` with `values` set in `[section]` (added at its end if missing; the section is
/// appended if the file has none). A value of several lines is written as fail2ban's
/// continuation lines. Values must not hold control characters other than those line breaks
/// (the caller checks what it accepts).
pub fn set_options(text: &str, section: &str, values: &[(&str, Vec<String>)]) -> String {
    let values: Vec<(&str, Option<Vec<String>>)> =
        values.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    edit_options(text, section, &values)
}

/// [`set_options`], where `None` removes the option (with its continuation lines) if the
/// section sets it.
pub fn edit_options(text: &str, section: &str, values: &[(&str, Option<Vec<String>>)]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let header = lines.iter().position(|l| is_header(l, section));
    let (start, mut end) = match header {
        Some(h) => {
            let end = lines[h + 1..]
                .iter()
                .position(|l| is_any_header(l))
                .map_or(lines.len(), |i| h + 1 + i);
            (h + 1, end)
        }
        None => {
            if lines.last().is_some_and(|l| !l.trim().is_empty()) {
                lines.push(String::new());
            }
            lines.push(format!("[{section}]"));
            (lines.len(), lines.len())
        }
    };
    for (key, value) in values {
        let rendered = value.as_deref().map(|v| render(key, v)).unwrap_or_default();
        let found = lines[start..end]
            .iter()
            .position(|l| defines(l, key))
            .map(|i| start + i);
        match found {
            Some(at) => {
                // The option's continuation lines go with it.
                let mut stop = at + 1;
                while stop < end && is_continuation(&lines[stop]) {
                    stop += 1;
                }
                let removed = stop - at;
                let added = rendered.len();
                lines.splice(at..stop, rendered);
                end = end + added - removed;
            }
            None if value.is_none() => {}
            None => {
                // After the section's last non-blank line.
                let mut at = end;
                while at > start && lines[at - 1].trim().is_empty() {
                    at -= 1;
                }
                let added = rendered.len();
                lines.splice(at..at, rendered);
                end += added;
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

fn render(key: &str, value: &[String]) -> Vec<String> {
    let mut out = vec![format!(
        "{key} = {}",
        value.first().map_or("", String::as_str)
    )];
    out.extend(value.iter().skip(1).map(|v| format!("    {v}")));
    out
}

fn is_any_header(line: &str) -> bool {
    !line.starts_with(char::is_whitespace) && line.trim_start().starts_with('[')
}

fn is_header(line: &str, section: &str) -> bool {
    is_any_header(line)
        && line
            .trim()
            .strip_prefix('[')
            .and_then(|l| l.rsplit_once(']'))
            .map(|(name, _)| name)
            == Some(section)
}

fn is_continuation(line: &str) -> bool {
    line.starts_with(char::is_whitespace) && !line.trim().is_empty()
}

/// An option line (not indented) that sets `key`.
fn defines(line: &str, key: &str) -> bool {
    if line.starts_with(char::is_whitespace) {
        return false;
    }
    line.find(['=', ':'])
        .is_some_and(|at| option_key(line[..at].trim()) == option_key(key))
}

/// Whether `text` still parses as fail2ban parses it (after an edit).
pub fn parses(text: &str) -> bool {
    parse(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ini::parse;

    #[test]
    fn sets_options_in_their_section_and_keeps_the_rest() {
        let text = "# mine\n[DEFAULT]\nbantime = 1h\n\n[sshd]\nenabled = false\nlogpath = /a\n    /b\nport = ssh\n\n[other]\nx = 1\n";
        let out = set_options(
            text,
            "sshd",
            &[
                ("enabled", vec!["true".into()]),
                ("logpath", vec!["/c".into()]),
                ("maxretry", vec!["3".into()]),
            ],
        );
        assert_eq!(
            out,
            "# mine\n[DEFAULT]\nbantime = 1h\n\n[sshd]\nenabled = true\nlogpath = /c\nport = ssh\nmaxretry = 3\n\n[other]\nx = 1\n"
        );
        let parsed = parse(&out).unwrap();
        assert_eq!(parsed.sections["sshd"]["logpath"].value, "/c");
        assert_eq!(parsed.sections["other"]["x"].value, "1");
    }

    #[test]
    fn removes_options_with_their_continuation_lines() {
        let text = "[sshd]\nlogpath = /a\n    /b\nport = ssh\n";
        let out = edit_options(
            text,
            "sshd",
            &[
                ("logpath", None),
                ("maxretry", None),
                ("port", Some(vec!["22".into()])),
            ],
        );
        assert_eq!(out, "[sshd]\nport = 22\n");
    }

    #[test]
    fn adds_the_section_with_continuation_lines() {
        let out = set_options(
            "",
            "web",
            &[
                ("enabled", vec!["true".into()]),
                ("logpath", vec!["/x.log".into(), "/y.log".into()]),
            ],
        );
        assert_eq!(out, "[web]\nenabled = true\nlogpath = /x.log\n    /y.log\n");
        assert_eq!(
            parse(&out).unwrap().sections["web"]["logpath"].value,
            "/x.log\n/y.log"
        );
        let more = set_options("[a]\nk = 1\n", "b", &[("enabled", vec!["true".into()])]);
        assert_eq!(more, "[a]\nk = 1\n\n[b]\nenabled = true\n");
        assert!(parses(&more));
    }
}
