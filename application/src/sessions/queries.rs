//! Reading sessions, and finding the session a webhook is for.

use herald_domain::session::{GraphId, SessionStatus};
use herald_domain::{SessionId, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{PROJECTION, SESSIONS};
use crate::ports::read_store::{Condition, Document, FindQuery, Page, ReadStore, TENANT_FIELD};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub status: Option<SessionStatus>,
}

/// Where a webhook for a phone number id goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    pub tenant: TenantId,
    pub session_id: SessionId,
    pub connected: bool,
}

pub struct SessionQueries {
    reads: ProjectedReads,
}

impl SessionQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's active sessions, newest first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &SessionFilter,
        page: PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let mut conditions = vec![owned_by(tenant), Condition::Equals("isActive", true.into())];
        if let Some(status) = filter.status {
            conditions.push(Condition::Equals("status", status.as_str().into()));
        }
        let query = newest_first(&SESSIONS, "createdAt", conditions, page);
        self.reads.find(&query, min_position).await
    }

    /// One of a tenant's active sessions.
    ///
    /// # Errors
    /// As [`SessionQueries::list`].
    #[instrument(skip(self))]
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let query = FindQuery::new(
            &SESSIONS,
            vec![
                Condition::Equals("_id", id.as_str().into()),
                owned_by(tenant),
                Condition::Equals("isActive", true.into()),
            ],
        );
        self.reads.find_one(query, min_position).await
    }

    /// The active sessions of every tenant that use `phone_number_id`,
    /// connected ones first. Webhooks carry no tenant, only this id.
    ///
    /// # Errors
    /// When the store fails.
    #[instrument(skip(self))]
    pub async fn routes(&self, phone_number_id: &GraphId) -> Result<Vec<SessionRoute>, QueryError> {
        let query = FindQuery {
            limit: Some(10),
            ..FindQuery::new(
                &SESSIONS,
                vec![
                    Condition::Equals("phoneNumberId", phone_number_id.as_str().into()),
                    Condition::Equals("isActive", true.into()),
                ],
            )
        };
        let page = self.reads.find(&query, None).await?;
        let mut routes: Vec<SessionRoute> = page.documents.iter().filter_map(route_of).collect();
        routes.sort_by_key(|route| !route.connected);
        Ok(routes)
    }
}

impl SessionQueries {
    /// Whether an active session has a webhook verify token with one of
    /// these fingerprints.
    ///
    /// # Errors
    /// When the store fails.
    #[instrument(skip_all)]
    pub async fn verify_token_known(&self, fingerprints: Vec<String>) -> Result<bool, QueryError> {
        let query = FindQuery::new(
            &SESSIONS,
            vec![
                Condition::OneOf(
                    "verifyTokenFingerprint",
                    fingerprints.into_iter().map(Value::from).collect(),
                ),
                Condition::Equals("isActive", true.into()),
            ],
        );
        Ok(self.reads.find_one(query, None).await?.is_some())
    }
}

fn route_of(document: &Document) -> Option<SessionRoute> {
    let text = |field: &str| document.get(field).and_then(Value::as_str);
    Some(SessionRoute {
        tenant: TenantId::parse(text(TENANT_FIELD)?).ok()?,
        session_id: SessionId::parse(text("sessionId")?).ok()?,
        connected: text("status") == Some(SessionStatus::Connected.as_str()),
    })
}
