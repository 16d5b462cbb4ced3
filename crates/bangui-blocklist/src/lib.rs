//! Blocklists: the fields of a source, checked at the edge ([`source`]); downloading a list
//! without letting its URL reach internal services ([`fetch`]); reading the addresses and
//! networks out of it, whatever its format ([`parse`]); and what a preview shows of it ([`preview`]).
#![forbid(unsafe_code)]

pub mod fetch;
pub mod parse;
mod preview;
pub mod source;

pub use fetch::{FetchError, FetchSettings, Fetched, fetch};
pub use parse::{FamilyCounts, Format, ParsedList, SkipReason, SkippedLine, parse};
pub use preview::{Preview, preview};
pub use source::{BlocklistUrl, SourceId, SourceName};
