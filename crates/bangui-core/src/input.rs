//! Which domain type refused a piece of input while it was being deserialized.
//!
//! Request bodies, queries and paths are deserialized straight into domain types, so the only
//! trace a refused value leaves is serde's error message. The API answers with a code per kind
//! of input (`invalid_address`, `invalid_jail_name`, …), not one generic code, so each domain
//! type's `Deserialize` notes its [`InputKind`] here when it refuses a value, and the edge asks
//! with [`classified`]. Both happen in one synchronous call on one thread: the note cannot
//! belong to another request.

use std::cell::Cell;
use std::fmt::Display;

/// The kinds of input the domain types stand for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    /// An IP address, or a network where one is allowed.
    Address,
    JailName,
    /// Who made a ban (`auto`, `manual`, `blocklist`).
    Origin,
    /// A time window (`24h`, `7d`, …).
    TimeRange,
    /// A page number or page size.
    Page,
    /// A search text.
    SearchText,
    /// The start of an address.
    AddressPrefix,
    /// An ISO country code.
    Country,
    JobId,
    /// The id of a blocklist source.
    SourceId,
    /// The name of a blocklist source.
    SourceName,
    /// A blocklist URL.
    Url,
    /// The blocklist import schedule.
    Schedule,
    /// A time zone name.
    TimeZone,
    /// A new master password (its policy).
    Password,
    /// A session length in minutes.
    SessionLength,
}

/// A value a domain type refused: its kind, and what the caller can use to correct it
/// (`("canonical", "192.0.2.0/24")`), if anything.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub kind: InputKind,
    pub detail: Option<(&'static str, String)>,
}

thread_local! {
    static REFUSED: Cell<Option<Refusal>> = const { Cell::new(None) };
}

/// Runs `deserialize`; on failure, also says which kind of input was refused (`None`: the
/// input did not have the shape asked for, e.g. a number where a string belongs, or an unknown
/// field).
pub fn classified<T, E>(
    deserialize: impl FnOnce() -> Result<T, E>,
) -> Result<T, (E, Option<Refusal>)> {
    REFUSED.set(None);
    let result = deserialize();
    let refusal = REFUSED.take();
    result.map_err(|e| (e, refusal))
}

/// The error a domain type's `Deserialize` returns for a value it refuses: serde's error with
/// `reason` as message, the kind noted for [`classified`].
pub fn refuse<E: serde::de::Error>(kind: InputKind, reason: impl Display) -> E {
    REFUSED.set(Some(Refusal { kind, detail: None }));
    E::custom(reason)
}

/// A refused value's correction, if its error has one (see [`Refusal::detail`]).
pub trait Correction {
    fn correction(&self) -> Option<(&'static str, String)> {
        None
    }
}

/// [`refuse`], noting the error's [`Correction`] too.
pub fn refuse_with<E: serde::de::Error>(kind: InputKind, reason: impl Display + Correction) -> E {
    let detail = reason.correction();
    REFUSED.set(Some(Refusal { kind, detail }));
    E::custom(reason)
}

/// Implements `Deserialize` for a domain type from its text form: `$parse(&str) -> Result<Self,
/// impl Display>`; a refused text is noted as `$kind`.
#[macro_export]
macro_rules! deserialize_from_str {
    ($ty:ty, $kind:expr, $parse:expr) => {
        impl<'de> ::serde::Deserialize<'de> for $ty {
            fn deserialize<D: ::serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let text = <::std::string::String as ::serde::Deserialize>::deserialize(d)?;
                $parse(text.as_str()).map_err(|e| $crate::input::refuse($kind, e))
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_is_classified_once() {
        let refused: Result<crate::JailName, _> =
            classified(|| serde_json::from_str::<crate::JailName>("\"../etc\""));
        assert_eq!(refused.unwrap_err().1.unwrap().kind, InputKind::JailName);
        // The wrong shape is no domain refusal, and the earlier note does not linger.
        let shape = classified(|| serde_json::from_str::<crate::JailName>("7"));
        assert_eq!(shape.unwrap_err().1, None);
        assert!(classified(|| serde_json::from_str::<crate::JailName>("\"sshd\"")).is_ok());
    }
}
