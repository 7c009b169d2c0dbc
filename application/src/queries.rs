//! What every query of a read model shares: pages, errors, tenant scoping,
//! and waiting until a projection has reached the client's own last write.

use herald_domain::{FieldError, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

use crate::ports::read_store::{
    CollectionSpec, Condition, Document, FindQuery, Page, ReadStore, ReadStoreError, SortOrder,
    TENANT_FIELD,
};
use crate::progress::{NotCaughtUp, ProjectionPositions};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    NotCaughtUp(#[from] NotCaughtUp),
    #[error(transparent)]
    Store(#[from] ReadStoreError),
}

/// A page of a list: `page` counts from 1; `limit` is 1 to 100.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
}

impl PageRequest {
    pub const MAX_LIMIT: u64 = 100;

    /// # Errors
    /// When `page` is 0 or `limit` is outside 1..=100; the error names the field.
    pub fn new(page: u64, limit: u64) -> Result<Self, FieldError> {
        if page == 0 {
            return Err(FieldError::new("page", "counts from 1"));
        }
        if !(1..=Self::MAX_LIMIT).contains(&limit) {
            return Err(FieldError::new(
                "limit",
                format!("must be between 1 and {}", Self::MAX_LIMIT),
            ));
        }
        Ok(Self { page, limit })
    }

    /// How many documents come before the page. Stores take it as a
    /// signed 64-bit number (SQLite's OFFSET, MongoDB's skip), so a page
    /// past any list is clamped there rather than wrapping or failing.
    pub fn skip(self) -> u64 {
        const MAX_SKIP: u64 = i64::MAX as u64;
        (self.page - 1).saturating_mul(self.limit).min(MAX_SKIP)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: 20 }
    }
}

/// A page of `collection`'s documents matching `conditions`, newest first
/// by `time_field` (then by id, so pages never overlap).
pub fn newest_first(
    collection: &'static CollectionSpec,
    time_field: &'static str,
    conditions: Vec<Condition>,
    page: PageRequest,
) -> FindQuery {
    FindQuery {
        sort: vec![
            (time_field, SortOrder::Descending),
            ("_id", SortOrder::Descending),
        ],
        skip: page.skip(),
        limit: Some(page.limit),
        ..FindQuery::new(collection, conditions)
    }
}

/// The condition that keeps a query inside one tenant's documents.
pub fn owned_by(tenant: &TenantId) -> Condition {
    Condition::Equals(TENANT_FIELD, Value::from(tenant.as_str()))
}

/// A read store seen through one projection: queries wait, when asked, for
/// that projection to reach a position first.
#[derive(Clone)]
pub struct ProjectedReads {
    store: Arc<dyn ReadStore>,
    positions: ProjectionPositions,
    projection: &'static str,
    wait_limit: Duration,
}

impl ProjectedReads {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        projection: &'static str,
        wait_limit: Duration,
    ) -> Self {
        Self {
            store,
            positions,
            projection,
            wait_limit,
        }
    }

    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    pub async fn find(
        &self,
        query: &FindQuery,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.wait_for(min_position).await?;
        Ok(self.store.find(query).await?)
    }

    /// The first document `query` finds, if any.
    ///
    /// # Errors
    /// As [`ProjectedReads::find`].
    pub async fn find_one(
        &self,
        query: FindQuery,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let query = FindQuery {
            limit: Some(1),
            ..query
        };
        let page = self.find(&query, min_position).await?;
        Ok(page.documents.into_iter().next())
    }

    async fn wait_for(&self, min_position: Option<u64>) -> Result<(), NotCaughtUp> {
        match min_position {
            Some(position) => {
                self.positions
                    .wait_for(self.projection, position, self.wait_limit)
                    .await
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_any_list_skips_no_more_than_a_store_can_take() {
        let last = PageRequest::new(u64::MAX, PageRequest::MAX_LIMIT).unwrap();
        assert_eq!(last.skip(), i64::MAX as u64);
        assert_eq!(PageRequest::new(3, 20).unwrap().skip(), 40);
    }
}
