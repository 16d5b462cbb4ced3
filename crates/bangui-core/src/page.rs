//! Pages of lists: `?page=1&page_size=50`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::input::{InputKind, refuse};

/// Largest page a list answers.
pub const MAX_PAGE_SIZE: u32 = 500;
/// Page size when none is asked for.
pub const DEFAULT_PAGE_SIZE: u32 = 50;

/// A page number, counting from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageNumber(u32);

/// Items per page: 1 to [`MAX_PAGE_SIZE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PageSize(u32);

impl PageNumber {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl PageSize {
    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        Self(1)
    }
}

impl Default for PageSize {
    fn default() -> Self {
        Self(DEFAULT_PAGE_SIZE)
    }
}

impl<'de> Deserialize<'de> for PageNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            0 => Err(refuse(InputKind::Page, "page must be at least 1")),
            n => Ok(Self(n)),
        }
    }
}

impl<'de> Deserialize<'de> for PageSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match u32::deserialize(d)? {
            n @ 1..=MAX_PAGE_SIZE => Ok(Self(n)),
            _ => Err(refuse(
                InputKind::Page,
                format_args!("page_size must be between 1 and {MAX_PAGE_SIZE}"),
            )),
        }
    }
}

crate::integer_schema!(
    PageNumber,
    "A page number, counting from 1.",
    1,
    None::<u32>,
    default = 1
);
crate::integer_schema!(
    PageSize,
    "Items per page.",
    1,
    Some(MAX_PAGE_SIZE),
    default = DEFAULT_PAGE_SIZE
);

/// Which page of a list: number and size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Page {
    pub number: PageNumber,
    pub size: PageSize,
}

impl Page {
    pub fn new(number: PageNumber, size: PageSize) -> Self {
        Self { number, size }
    }

    /// Page `number` of pages of `size`, if both are in bounds.
    pub fn of(number: u32, size: u32) -> Option<Self> {
        (number >= 1 && (1..=MAX_PAGE_SIZE).contains(&size))
            .then_some(Self::new(PageNumber(number), PageSize(size)))
    }

    /// How many items come before this page.
    pub fn offset(self) -> u64 {
        u64::from(self.number.0 - 1) * u64::from(self.size.0)
    }

    /// This page of `items`.
    pub fn slice<T: Clone>(self, items: &[T]) -> Vec<T> {
        let start = usize::try_from(self.offset()).unwrap_or(usize::MAX);
        items
            .iter()
            .skip(start)
            .take(self.size.0 as usize)
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::classified;

    #[test]
    fn pages_are_bounded() {
        let page = |json: &str| classified(|| serde_json::from_str::<PageNumber>(json));
        let size = |json: &str| classified(|| serde_json::from_str::<PageSize>(json));
        assert_eq!(page("3").unwrap().get(), 3);
        assert_eq!(
            page("0").unwrap_err().1.map(|r| r.kind),
            Some(InputKind::Page)
        );
        assert_eq!(page("\"x\"").unwrap_err().1, None);
        assert_eq!(size("500").unwrap().get(), 500);
        assert_eq!(
            size("501").unwrap_err().1.map(|r| r.kind),
            Some(InputKind::Page)
        );
        assert_eq!(
            size("0").unwrap_err().1.map(|r| r.kind),
            Some(InputKind::Page)
        );
        let p = Page::new(PageNumber(2), PageSize(2));
        assert_eq!(p.slice(&[1, 2, 3, 4, 5]), vec![3, 4]);
        assert_eq!(p.offset(), 2);
    }
}
