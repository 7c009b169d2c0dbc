//! Reading campaigns: keyed lookups and indexed scans of the read models,
//! optionally after waiting for the client's own last write.

use herald_domain::campaign::{CampaignStatus, RecipientStatus};
use herald_domain::{SessionId, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{CAMPAIGNS, CAMPAIGN_RECIPIENTS, PROJECTION};
use crate::ports::read_store::{Condition, Document, FindQuery, Page, ReadStore, SortOrder};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub status: Option<CampaignStatus>,
    pub session_id: Option<SessionId>,
}

pub struct CampaignQueries {
    reads: ProjectedReads,
}

impl CampaignQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's campaigns, newest first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &CampaignFilter,
        page: PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let mut conditions = vec![owned_by(tenant)];
        if let Some(status) = filter.status {
            conditions.push(Condition::Equals("status", Value::from(status.as_str())));
        }
        if let Some(session) = &filter.session_id {
            conditions.push(Condition::Equals(
                "sessionId",
                Value::from(session.as_str()),
            ));
        }
        let query = newest_first(&CAMPAIGNS, "createdAt", conditions, page);
        self.reads.find(&query, min_position).await
    }

    /// One of a tenant's campaigns; `None` if the tenant has no such campaign.
    ///
    /// # Errors
    /// As [`CampaignQueries::list`].
    #[instrument(skip(self))]
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &str,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let query = FindQuery::new(
            &CAMPAIGNS,
            vec![Condition::Equals("_id", Value::from(id)), owned_by(tenant)],
        );
        self.reads.find_one(query, min_position).await
    }

    /// A campaign's recipients in the order they were added, optionally
    /// only those with one delivery status.
    ///
    /// # Errors
    /// As [`CampaignQueries::list`].
    #[instrument(skip(self))]
    pub async fn recipients(
        &self,
        tenant: &TenantId,
        campaign_id: &str,
        status: Option<RecipientStatus>,
        page: PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let mut conditions = vec![
            Condition::Equals("campaignId", Value::from(campaign_id)),
            owned_by(tenant),
        ];
        if let Some(status) = status {
            conditions.push(Condition::Equals("status", Value::from(status.as_str())));
        }
        let query = FindQuery {
            sort: vec![("order", SortOrder::Ascending)],
            skip: page.skip(),
            limit: Some(page.limit),
            ..FindQuery::new(&CAMPAIGN_RECIPIENTS, conditions)
        };
        self.reads.find(&query, min_position).await
    }
}
