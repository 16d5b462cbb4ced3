//! What is in a list, before importing it.

use crate::fetch::{FetchError, FetchSettings, fetch};
use crate::parse::parse;

/// Lines of the list shown, and characters of each.
const SHOWN_LINES: usize = 20;
const SHOWN_CHARS: usize = 200;

/// A downloaded list, summarised.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[schema(as = ListPreview)]
pub struct Preview {
    pub downloaded_bytes: u64,
    /// Its first non-blank lines, shortened.
    pub first_lines: Vec<String>,
    /// Lines with an address.
    pub valid: usize,
    /// Lines that are neither blank, a comment nor an address.
    pub invalid: usize,
    /// Addresses listed more than once (counted in `valid`).
    pub duplicates: usize,
    /// Distinct addresses: what an import would ban.
    pub distinct: usize,
}

/// Downloads the list at `url` now and says what is in it.
pub async fn preview(url: &str, settings: &FetchSettings) -> Result<Preview, FetchError> {
    let fetched = fetch(url, settings).await?;
    let text = String::from_utf8_lossy(&fetched.body);
    let first_lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SHOWN_LINES)
        .map(|l| l.chars().take(SHOWN_CHARS).collect())
        .collect();
    let list = parse(&fetched.body);
    Ok(Preview {
        downloaded_bytes: fetched.downloaded_bytes,
        first_lines,
        valid: list.valid,
        invalid: list.invalid,
        duplicates: list.duplicates,
        distinct: list.addresses.len(),
    })
}
