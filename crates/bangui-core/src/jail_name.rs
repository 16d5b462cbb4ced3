//! [`JailName`]: the name of a fail2ban jail, safe to put on fail2ban's socket.

use std::fmt;
use std::ops::Deref;
use std::str::FromStr;

use serde::Serialize;

use crate::input::InputKind;

/// Longest accepted jail name. fail2ban has no limit of its own; real names are short
/// (`sshd`, `nginx-http-auth`, `postfix-sasl`).
pub const MAX_JAIL_NAME_LEN: usize = 64;

/// A fail2ban jail name: 1–64 ASCII characters out of `A-Z a-z 0-9 _ - . @ +`, starting with a
/// letter, digit or `_`.
///
/// The first-character rule matters: fail2ban reads a leading `-` as an option (`--all`), and a
/// leading `.` would allow `..`. No whitespace, no separators, no `<`/`>`, so a name can never
/// carry fail2ban's `<F2B_END_COMMAND>` terminator or a path component.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(into = "String")]
pub struct JailName(String);

crate::deserialize_from_str!(JailName, InputKind::JailName, JailName::parse);

crate::string_schema!(
    JailName,
    "A fail2ban jail name: 1 to 64 of `A-Z a-z 0-9 _ - . @ +`, starting with a letter, a digit or `_`.",
    pattern = r"^[A-Za-z0-9_][A-Za-z0-9_.@+-]{0,63}$",
    example = "sshd"
);

/// Why a string is not a [`JailName`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JailNameError {
    #[error("jail name is empty")]
    Empty,
    #[error("jail name is longer than {MAX_JAIL_NAME_LEN} characters")]
    TooLong,
    #[error("jail name must start with a letter, a digit or '_'")]
    BadFirstCharacter,
    #[error("jail name may only contain letters, digits and '_', '-', '.', '@', '+' (found {0:?})")]
    BadCharacter(char),
}

impl JailName {
    /// Parses and validates a jail name.
    pub fn parse(s: &str) -> Result<Self, JailNameError> {
        let mut chars = s.chars();
        let first = chars.next().ok_or(JailNameError::Empty)?;
        if s.len() > MAX_JAIL_NAME_LEN {
            return Err(JailNameError::TooLong);
        }
        if !(first.is_ascii_alphanumeric() || first == '_') {
            return Err(JailNameError::BadFirstCharacter);
        }
        if let Some(bad) = chars.find(|c| !(c.is_ascii_alphanumeric() || "_-.@+".contains(*c))) {
            return Err(JailNameError::BadCharacter(bad));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for JailName {
    type Err = JailNameError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl Deref for JailName {
    type Target = str;

    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for JailName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for JailName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<JailName> for String {
    fn from(name: JailName) -> Self {
        name.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_names_real_configs_use() {
        for name in [
            "sshd",
            "nginx-http-auth",
            "postfix-sasl",
            "test_incr",
            "a",
            "blocklist-import",
            "apache.auth",
            "ssh@22",
            "x+y",
            "_private",
            "9lives",
        ] {
            assert_eq!(JailName::parse(name).unwrap().as_str(), name);
        }
    }

    #[test]
    fn rejects_what_could_confuse_fail2ban_or_a_path() {
        let cases = [
            ("", JailNameError::Empty),
            ("--all", JailNameError::BadFirstCharacter),
            ("..", JailNameError::BadFirstCharacter),
            ("a/../b", JailNameError::BadCharacter('/')),
            ("a b", JailNameError::BadCharacter(' ')),
            ("a<F2B_END_COMMAND>", JailNameError::BadCharacter('<')),
            ("jail\n", JailNameError::BadCharacter('\n')),
            ("jail;rm", JailNameError::BadCharacter(';')),
            ("jäil", JailNameError::BadCharacter('ä')),
        ];
        for (input, expected) in cases {
            assert_eq!(JailName::parse(input), Err(expected), "{input:?}");
        }
        assert_eq!(
            JailName::parse(&"a".repeat(65)),
            Err(JailNameError::TooLong)
        );
        assert!(JailName::parse(&"a".repeat(64)).is_ok());
    }

    #[test]
    fn deserializing_validates() {
        assert!(serde_json::from_str::<JailName>("\"sshd\"").is_ok());
        assert!(serde_json::from_str::<JailName>("\"--all\"").is_err());
    }
}
