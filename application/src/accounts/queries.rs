//! Listing a tenant's users and API keys, newest first.

use herald_domain::account::Role;
use herald_domain::TenantId;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{API_KEYS, PROJECTION, USERS};
use crate::ports::read_store::{Condition, FindQuery, Page, ReadStore};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

/// Which users a list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub is_active: Option<bool>,
}

/// Which keys a list shows.
#[derive(Debug, Clone, Default)]
pub struct ApiKeyFilter {
    pub is_active: Option<bool>,
}

pub struct AccountQueries {
    reads: ProjectedReads,
}

impl AccountQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's users, newest first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn users(
        &self,
        tenant: &TenantId,
        filter: &UserFilter,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.reads
            .find(&users_query(tenant, filter, page), min_position)
            .await
    }

    /// A tenant's API keys, newest first.
    ///
    /// # Errors
    /// As [`AccountQueries::users`].
    #[instrument(skip(self))]
    pub async fn api_keys(
        &self,
        tenant: &TenantId,
        filter: &ApiKeyFilter,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.reads
            .find(&api_keys_query(tenant, filter, page), min_position)
            .await
    }
}

/// The query behind `GET /v1/users`.
pub fn users_query(tenant: &TenantId, filter: &UserFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    if let Some(role) = filter.role {
        conditions.push(Condition::Equals("role", role.as_str().into()));
    }
    if let Some(active) = filter.is_active {
        conditions.push(Condition::Equals("isActive", active.into()));
    }
    newest_first(&USERS, "createdAt", conditions, page)
}

/// The query behind `GET /v1/api-keys`.
pub fn api_keys_query(tenant: &TenantId, filter: &ApiKeyFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    if let Some(active) = filter.is_active {
        conditions.push(Condition::Equals("isActive", active.into()));
    }
    newest_first(&API_KEYS, "createdAt", conditions, page)
}
