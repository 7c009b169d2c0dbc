//! Reading messages and replies: filtered, paged, newest first.

use chrono::{DateTime, Utc};
use herald_domain::message::MessageStatus;
use herald_domain::{SessionId, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{MESSAGES, PROJECTION, REPLIES};
use crate::ports::read_store::{Condition, Document, FindQuery, Page, ReadStore};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, time_range, PageRequest, ProjectedReads, QueryError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Incoming,
    Outgoing,
}

impl Direction {
    pub const ALL: [Self; 2] = [Self::Incoming, Self::Outgoing];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Incoming => "incoming",
            Self::Outgoing => "outgoing",
        }
    }
}

/// Which messages a list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    pub session_id: Option<SessionId>,
    pub direction: Option<Direction>,
    pub status: Option<MessageStatus>,
    /// From this time on (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Before this time (exclusive).
    pub until: Option<DateTime<Utc>>,
}

pub struct MessageQueries {
    reads: ProjectedReads,
}

impl MessageQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's messages, newest first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &MessageFilter,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let query = list_query(tenant, filter, page);
        self.reads.find(&query, min_position).await
    }

    /// One of a tenant's messages.
    ///
    /// # Errors
    /// As [`MessageQueries::list`].
    #[instrument(skip(self))]
    pub async fn get(
        &self,
        tenant: &TenantId,
        id: &str,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let query = FindQuery::new(
            &MESSAGES,
            vec![Condition::Equals("_id", id.into()), owned_by(tenant)],
        );
        self.reads.find_one(query, min_position).await
    }

    /// The outbound message Meta accepted as `wamid`, as projected now.
    ///
    /// # Errors
    /// When the store fails.
    pub async fn sent_as(
        &self,
        tenant: &TenantId,
        wamid: &str,
    ) -> Result<Option<String>, QueryError> {
        let query = FindQuery::new(
            &MESSAGES,
            vec![
                Condition::Equals("waMessageId", wamid.into()),
                owned_by(tenant),
                Condition::Equals("isIncoming", false.into()),
            ],
        );
        let found = self.reads.find_one(query, None).await?;
        Ok(found.and_then(|document| document.get("_id")?.as_str().map(str::to_owned)))
    }

    /// A tenant's inbound messages (seed 001 `replies`), newest first.
    ///
    /// # Errors
    /// As [`MessageQueries::list`].
    #[instrument(skip(self))]
    pub async fn replies(
        &self,
        tenant: &TenantId,
        session_id: Option<&SessionId>,
        since: Option<DateTime<Utc>>,
        until: Option<DateTime<Utc>>,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let query = replies_query(tenant, session_id, since, until, page);
        self.reads.find(&query, min_position).await
    }
}

/// The query behind `GET /v1/messages`.
pub fn list_query(tenant: &TenantId, filter: &MessageFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    if let Some(session) = &filter.session_id {
        conditions.push(Condition::Equals("sessionId", session.as_str().into()));
    }
    if let Some(direction) = filter.direction {
        let incoming = direction == Direction::Incoming;
        conditions.push(Condition::Equals("isIncoming", incoming.into()));
    }
    if let Some(status) = filter.status {
        conditions.push(Condition::Equals("status", status.as_str().into()));
    }
    conditions.extend(time_range("timestamp", filter.since, filter.until));
    newest_first(&MESSAGES, "timestamp", conditions, page)
}

/// The query behind `GET /v1/replies`.
pub fn replies_query(
    tenant: &TenantId,
    session_id: Option<&SessionId>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    page: &PageRequest,
) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    if let Some(session) = session_id {
        conditions.push(Condition::Equals("sessionId", session.as_str().into()));
    }
    conditions.extend(time_range("receivedAt", since, until));
    newest_first(&REPLIES, "receivedAt", conditions, page)
}

#[async_trait::async_trait]
impl crate::webhooks::processor::SentMessages for MessageQueries {
    async fn sent_as(&self, tenant: &TenantId, wamid: &str) -> Result<Option<String>, QueryError> {
        MessageQueries::sent_as(self, tenant, wamid).await
    }
}
