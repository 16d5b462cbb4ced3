//! Lists answered a page at a time.

use bangui_core::Page;
use serde::Serialize;
use utoipa::ToSchema;

/// A page of a list: `{"items": […], "total": n, "page": p, "page_size": s}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Paged<T: ToSchema> {
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: u64,
    /// This page's number, counting from 1.
    pub page: u32,
    pub page_size: u32,
}

impl<T: ToSchema> Paged<T> {
    /// `items`, the page `page` of a list of `total` (a count from the database or a length).
    pub fn new(page: Page, items: Vec<T>, total: impl TryInto<u64>) -> Self {
        Self {
            items,
            total: total.try_into().unwrap_or(0),
            page: page.number.get(),
            page_size: page.size.get(),
        }
    }

    /// Page `page` of the whole list `all`, converted with `item`.
    pub fn slice<E: Clone>(page: Page, all: &[E], item: impl Fn(E) -> T) -> Self {
        let items = page.slice(all).into_iter().map(item).collect();
        Self::new(page, items, all.len())
    }

    /// A list small enough to answer in one page.
    pub fn whole(items: Vec<T>) -> Self {
        let len = items.len();
        Self {
            total: len as u64,
            page: 1,
            page_size: u32::try_from(len).unwrap_or(u32::MAX),
            items,
        }
    }
}
