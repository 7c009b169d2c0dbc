//! Listing a tenant's payments, newest first.

use herald_domain::subscription::PaymentStatus;
use herald_domain::TenantId;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{PROJECTION, SUBSCRIPTION_PAYMENTS};
use crate::ports::read_store::{Condition, FindQuery, Page, ReadStore};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

/// Which payments a list shows.
#[derive(Debug, Clone, Default)]
pub struct PaymentFilter {
    pub status: Option<PaymentStatus>,
}

pub struct PaymentQueries {
    reads: ProjectedReads,
}

impl PaymentQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's payments, the latest recorded first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &PaymentFilter,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.reads
            .find(&payments_query(tenant, filter, page), min_position)
            .await
    }
}

/// The query behind `GET /v1/subscription/payments`.
pub fn payments_query(tenant: &TenantId, filter: &PaymentFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    if let Some(status) = filter.status {
        conditions.push(Condition::Equals("status", status.as_str().into()));
    }
    newest_first(&SUBSCRIPTION_PAYMENTS, "createdAt", conditions, page)
}
