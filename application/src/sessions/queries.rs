//! Reading sessions, and finding the session a webhook is for.

use herald_domain::session::{GraphId, SessionStatus};
use herald_domain::{SessionId, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{PROJECTION, SESSIONS};
use crate::ports::read_store::{
    Condition, Document, FindQuery, Page, ReadStore, SortOrder, TENANT_FIELD,
};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub status: Option<SessionStatus>,
}

/// The connected session that holds a phone number id: where its
/// webhooks go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRoute {
    pub phone_number_id: GraphId,
    pub tenant: TenantId,
    pub session_id: SessionId,
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
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let query = list_query(tenant, filter, page);
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

    /// The connected sessions of every tenant that hold one of these phone
    /// number ids, the earliest connected first. Webhooks carry no tenant,
    /// only this id; a session that has not proved the id with the Graph
    /// API is no route for it.
    ///
    /// # Errors
    /// When the store fails.
    #[instrument(skip(self))]
    pub async fn connected_routes(
        &self,
        phone_number_ids: &[GraphId],
    ) -> Result<Vec<SessionRoute>, QueryError> {
        let ids = phone_number_ids.iter().map(|id| id.as_str().into());
        let query = FindQuery {
            sort: vec![
                ("connectedAt", SortOrder::Ascending),
                ("_id", SortOrder::Ascending),
            ],
            limit: Some(ROUTES_LIMIT),
            ..FindQuery::new(
                &SESSIONS,
                vec![
                    Condition::OneOf("phoneNumberId", ids.collect()),
                    Condition::Equals("isActive", true.into()),
                    Condition::Equals("status", SessionStatus::Connected.as_str().into()),
                ],
            )
        };
        let page = self.reads.find(&query, None).await?;
        Ok(page.documents.iter().filter_map(route_of).collect())
    }
}

impl SessionQueries {
    /// The phone number ids of the connected sessions of these business
    /// accounts, as the read model has them (the routes they lead to are
    /// then confirmed against the log).
    ///
    /// # Errors
    /// When the store fails.
    #[instrument(skip_all)]
    pub async fn connected_numbers_of_accounts(
        &self,
        waba_ids: &[GraphId],
    ) -> Result<Vec<String>, QueryError> {
        let ids = waba_ids.iter().map(|id| id.as_str().into());
        let query = FindQuery {
            limit: Some(super::super::webhooks::numbers::MAX_NUMBERS_PER_NOTIFICATION as u64),
            ..FindQuery::new(
                &SESSIONS,
                vec![
                    Condition::OneOf("wabaId", ids.collect()),
                    Condition::Equals("isActive", true.into()),
                    Condition::Equals("status", SessionStatus::Connected.as_str().into()),
                ],
            )
        };
        let page = self.reads.find(&query, None).await?;
        let mut numbers: Vec<String> = page
            .documents
            .iter()
            .filter_map(|d| d.get("phoneNumberId")?.as_str().map(str::to_owned))
            .collect();
        numbers.dedup();
        Ok(numbers)
    }
}

/// Most routes one lookup returns: a handful of numbers, each normally
/// held by one session.
const ROUTES_LIMIT: u64 = 50;

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
        phone_number_id: GraphId::parse(text("phoneNumberId")?).ok()?,
        tenant: TenantId::parse(text(TENANT_FIELD)?).ok()?,
        session_id: SessionId::parse(text("sessionId")?).ok()?,
    })
}

/// The query behind `GET /v1/sessions`.
pub fn list_query(tenant: &TenantId, filter: &SessionFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant), Condition::Equals("isActive", true.into())];
    if let Some(status) = filter.status {
        conditions.push(Condition::Equals("status", status.as_str().into()));
    }
    newest_first(&SESSIONS, "createdAt", conditions, page)
}
