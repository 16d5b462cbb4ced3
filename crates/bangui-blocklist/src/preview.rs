//! What is in a list, before importing it.

use crate::fetch::{FetchError, FetchSettings, fetch};
use std::collections::BTreeMap;

use bangui_core::Network;

use crate::parse::{FamilyCounts, Format, SkipReason, SkippedLine, parse};

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
    /// The layout it was recognised as.
    pub format: Format,
    /// Entries read (addresses and networks; a range counts as the networks it is made of).
    pub valid: usize,
    /// Lines skipped: neither blank, a comment nor an entry.
    pub invalid: usize,
    /// Entries listed more than once (counted in `valid`).
    pub duplicates: usize,
    /// Distinct entries an import would skip: banning them would lock someone out (loopback,
    /// a trusted proxy, the jail's ignore list, broader than allowed).
    pub refused: usize,
    /// Distinct entries inside another listed network: banned with it, not on their own.
    pub covered: usize,
    /// Distinct entries no other covers and none refused: what an import would ban.
    pub distinct: usize,
    /// `distinct` by family, addresses and networks apart.
    pub counts: FamilyCounts,
    /// The first skipped lines, with why.
    pub skipped: Vec<SkippedLine>,
    /// Skipped lines per reason.
    pub skipped_by_reason: BTreeMap<SkipReason, usize>,
}

/// Downloads the list at `url` now and says what is in it; `refuse` says which entries an
/// import would not ban.
pub async fn preview(
    url: &str,
    settings: &FetchSettings,
    refuse: impl Fn(Network) -> bool,
) -> Result<Preview, FetchError> {
    let fetched = fetch(url, settings).await?;
    let text = String::from_utf8_lossy(&fetched.body);
    let first_lines = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .take(SHOWN_LINES)
        .map(|l| l.chars().take(SHOWN_CHARS).collect())
        .collect();
    let list = parse(&fetched.body);
    let before = list.entries.len();
    let allowed: Vec<Network> = list.entries.into_iter().filter(|e| !refuse(*e)).collect();
    let refused = before - allowed.len();
    let (banned, covered) = bangui_core::uncovered(allowed);
    Ok(Preview {
        downloaded_bytes: fetched.downloaded_bytes,
        first_lines,
        format: list.format,
        valid: list.valid,
        invalid: list.invalid,
        duplicates: list.duplicates,
        refused,
        covered,
        distinct: banned.len(),
        counts: FamilyCounts::of(&banned),
        skipped: list.skipped,
        skipped_by_reason: list.skipped_by_reason,
    })
}
