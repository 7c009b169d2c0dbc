//! Paged lists: the `page` and `limit` parameters, and the answer's shape.

use axum::response::{IntoResponse, Response};
use axum::Json;
use herald_application::ports::read_store::Page;
use herald_application::queries::PageRequest;
use herald_domain::FieldError;
use serde_json::json;

use super::error::ApiError;
use super::extract::QueryParams;

/// # Errors
/// When `page` or `limit` is not a number or is out of range.
pub fn page_request(params: &QueryParams) -> Result<PageRequest, ApiError> {
    let defaults = PageRequest::default();
    let page = params.number("page")?.unwrap_or(defaults.page);
    let limit = params.number("limit")?.unwrap_or(defaults.limit);
    PageRequest::new(page, limit).map_err(|FieldError { field, message }| {
        ApiError::bad_request("invalid_query", format!("{field} {message}"), Some(&field))
    })
}

/// `{"data": [...], "page", "limit", "total"}`.
pub fn listed(found: Page, page: PageRequest) -> Response {
    Json(json!({ "data": found.documents, "page": page.page, "limit": page.limit, "total": found.total }))
        .into_response()
}
