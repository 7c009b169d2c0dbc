//! Reading campaigns: keyed lookups and indexed scans of the read models,
//! optionally after waiting for the client's own last write.

use herald_domain::campaign::CampaignStatus;
use herald_domain::{FieldError, SessionId, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{CAMPAIGNS, CAMPAIGN_RECIPIENTS, PROJECTION};
use crate::ports::read_store::{
    Condition, Document, FindQuery, Page, ReadStore, ReadStoreError, SortOrder, TENANT_FIELD,
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

    fn skip(self) -> u64 {
        (self.page - 1).saturating_mul(self.limit)
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, limit: 20 }
    }
}

#[derive(Debug, Clone, Default)]
pub struct CampaignFilter {
    pub status: Option<CampaignStatus>,
    pub session_id: Option<SessionId>,
}

pub struct CampaignQueries {
    store: Arc<dyn ReadStore>,
    positions: ProjectionPositions,
    wait_limit: Duration,
}

impl CampaignQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            store,
            positions,
            wait_limit,
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
        self.wait_for(min_position).await?;
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
        let query = FindQuery {
            sort: vec![
                ("createdAt", SortOrder::Descending),
                ("_id", SortOrder::Descending),
            ],
            skip: page.skip(),
            limit: Some(page.limit),
            ..FindQuery::new(&CAMPAIGNS, conditions)
        };
        Ok(self.store.find(&query).await?)
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
        self.wait_for(min_position).await?;
        let query = FindQuery {
            limit: Some(1),
            ..FindQuery::new(
                &CAMPAIGNS,
                vec![Condition::Equals("_id", Value::from(id)), owned_by(tenant)],
            )
        };
        Ok(self.store.find(&query).await?.documents.into_iter().next())
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
        status: Option<&str>,
        page: PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.wait_for(min_position).await?;
        let mut conditions = vec![
            Condition::Equals("campaignId", Value::from(campaign_id)),
            owned_by(tenant),
        ];
        if let Some(status) = status {
            conditions.push(Condition::Equals("status", Value::from(status)));
        }
        let query = FindQuery {
            sort: vec![("order", SortOrder::Ascending)],
            skip: page.skip(),
            limit: Some(page.limit),
            ..FindQuery::new(&CAMPAIGN_RECIPIENTS, conditions)
        };
        Ok(self.store.find(&query).await?)
    }

    async fn wait_for(&self, min_position: Option<u64>) -> Result<(), NotCaughtUp> {
        match min_position {
            Some(position) => {
                self.positions
                    .wait_for(PROJECTION, position, self.wait_limit)
                    .await
            }
            None => Ok(()),
        }
    }
}

fn owned_by(tenant: &TenantId) -> Condition {
    Condition::Equals(TENANT_FIELD, Value::from(tenant.as_str()))
}
