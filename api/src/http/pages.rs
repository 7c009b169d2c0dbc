//! Paged lists: the `page` and `limit` parameters, and the answer's shape.

use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::ports::read_store::{Document, Page};
use herald_application::queries::{Cursor, PageRequest};
use herald_domain::FieldError;
use serde::Serialize;

use super::error::ApiError;
use super::extract::QueryParams;

/// The page asked for: by number (`page`), or after the last document of
/// the page before (`cursor`, from its `nextCursor`), never both.
///
/// # Errors
/// When `page` or `limit` is not a number or is out of range, `cursor` is
/// not one Herald handed out, or both `page` and `cursor` are given.
pub fn page_request(params: &QueryParams) -> Result<PageRequest, ApiError> {
    let invalid = |FieldError { field, message }| {
        ApiError::bad_request("invalid_query", format!("{field} {message}"), Some(&field))
    };
    let defaults = PageRequest::default();
    let page = params.number("page")?;
    let limit = params.number("limit")?.unwrap_or(defaults.limit);
    let request = PageRequest::new(page.unwrap_or(defaults.page), limit).map_err(invalid)?;
    match (params.text("cursor"), page) {
        (None, _) => Ok(request),
        (Some(_), Some(_)) => Err(ApiError::bad_request(
            "invalid_query",
            "give page or cursor, not both: a cursor already says where the page starts",
            Some("cursor"),
        )),
        (Some(cursor), None) => Ok(request.after(Cursor::decode(cursor).map_err(invalid)?)),
    }
}

/// `{"data": [...], "page", "limit", "total", "totalExact", "nextCursor"}`.
/// `total` is exact up to a thousand matches; past them it is a lower
/// bound and `totalExact` is false. `nextCursor` is where the next page
/// starts (null after the last full page's end).
pub fn listed(found: Page, page: &PageRequest) -> Response {
    let next = found.next.map(|position| Cursor::new(position).encode());
    Json(Listed {
        data: &found.documents,
        page: page.after.is_none().then_some(page.page),
        limit: page.limit,
        total: found.total,
        total_exact: found.total_exact,
        next_cursor: next,
    })
    .into_response()
}

/// A page as it is written out: the documents are serialised straight
/// from the page, never copied into another JSON value first.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Listed<'a> {
    data: &'a [Document],
    page: Option<u64>,
    limit: u64,
    total: u64,
    total_exact: bool,
    next_cursor: Option<String>,
}
