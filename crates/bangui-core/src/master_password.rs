//! [`MasterPassword`]: the one password of a bangui instance, checked against its policy.

use std::fmt;

/// Longest accepted password, in characters. Hashing cost does not depend on it much, but a
/// megabyte "password" is not one.
pub const MAX_PASSWORD_CHARS: usize = 256;
pub const MIN_PASSWORD_CHARS: usize = 8;

/// A new master password that satisfies the policy BanGUI had: at least 8 characters, with an
/// upper-case letter, a digit and a special character (anything that is neither a letter, a
/// digit nor white space, such as `!@#$%^&*()`).
#[derive(Clone, PartialEq, Eq)]
pub struct MasterPassword(String);

/// Which rule a password breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordPolicyError {
    #[error("the password must have at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must have at most {MAX_PASSWORD_CHARS} characters")]
    TooLong,
    #[error("the password needs an upper-case letter")]
    NoUppercase,
    #[error("the password needs a digit")]
    NoDigit,
    #[error("the password needs a special character such as !@#$%^&*()")]
    NoSpecial,
}

impl MasterPassword {
    pub fn parse(s: &str) -> Result<Self, PasswordPolicyError> {
        let chars = s.chars().count();
        if chars < MIN_PASSWORD_CHARS {
            return Err(PasswordPolicyError::TooShort);
        }
        if chars > MAX_PASSWORD_CHARS {
            return Err(PasswordPolicyError::TooLong);
        }
        if !s.chars().any(char::is_uppercase) {
            return Err(PasswordPolicyError::NoUppercase);
        }
        if !s.chars().any(|c| c.is_ascii_digit()) {
            return Err(PasswordPolicyError::NoDigit);
        }
        if !s
            .chars()
            .any(|c| !c.is_alphanumeric() && !c.is_whitespace())
        {
            return Err(PasswordPolicyError::NoSpecial);
        }
        Ok(Self(s.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

// The refusal names the rule, never the password.
crate::deserialize_from_str!(
    MasterPassword,
    crate::input::InputKind::Password,
    MasterPassword::parse
);

crate::string_schema!(
    MasterPassword,
    "A new master password: 8 to 256 characters with an upper-case letter, a digit and a special character.",
    min_length = 8,
    max_length = 256,
    example = "Str0ng!pass"
);

impl fmt::Debug for MasterPassword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterPassword(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_each_rule() {
        assert!(MasterPassword::parse("Str0ng!pass").is_ok());
        assert!(MasterPassword::parse("Ünïcode9§x").is_ok());
        assert_eq!(
            MasterPassword::parse("Sh0rt!"),
            Err(PasswordPolicyError::TooShort)
        );
        assert_eq!(
            MasterPassword::parse("lowercase1!"),
            Err(PasswordPolicyError::NoUppercase)
        );
        assert_eq!(
            MasterPassword::parse("NoDigits!!"),
            Err(PasswordPolicyError::NoDigit)
        );
        assert_eq!(
            MasterPassword::parse("NoSpecial12"),
            Err(PasswordPolicyError::NoSpecial)
        );
        assert_eq!(
            MasterPassword::parse("Spaces 12 AB"),
            Err(PasswordPolicyError::NoSpecial)
        );
        assert_eq!(
            MasterPassword::parse(&format!("A1!{}", "x".repeat(300))),
            Err(PasswordPolicyError::TooLong)
        );
    }

    #[test]
    fn debug_hides_the_password() {
        let p = MasterPassword::parse("Str0ng!pass").unwrap();
        assert!(!format!("{p:?}").contains("Str0ng"));
    }
}
