//! Reading the audit log: filtered by who, what and which entity, and by
//! time, newest first.

use chrono::{DateTime, Utc};
use herald_domain::TenantId;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{AUDIT_LOGS, PROJECTION};
use crate::ports::read_store::{Condition, FindQuery, Page, ReadStore};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, time_range, PageRequest, ProjectedReads, QueryError};

/// Which entries a list shows; every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    pub action: Option<String>,
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
}

pub struct AuditQueries {
    reads: ProjectedReads,
}

impl AuditQueries {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        wait_limit: Duration,
    ) -> Self {
        Self {
            reads: ProjectedReads::new(store, positions, PROJECTION, wait_limit),
        }
    }

    /// A tenant's audit log, newest first.
    ///
    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    #[instrument(skip(self))]
    pub async fn list(
        &self,
        tenant: &TenantId,
        filter: &AuditFilter,
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.reads
            .find(&list_query(tenant, filter, page), min_position)
            .await
    }
}

/// The query behind `GET /v1/audit-logs`.
pub fn list_query(tenant: &TenantId, filter: &AuditFilter, page: &PageRequest) -> FindQuery {
    let mut conditions = vec![owned_by(tenant)];
    let equal = [
        ("actorId", &filter.actor_id),
        ("action", &filter.action),
        ("entityType", &filter.entity_type),
        ("entityId", &filter.entity_id),
    ];
    for (field, value) in equal {
        if let Some(value) = value {
            conditions.push(Condition::Equals(field, value.as_str().into()));
        }
    }
    conditions.extend(time_range("createdAt", filter.since, filter.until));
    newest_first(&AUDIT_LOGS, "createdAt", conditions, page)
}
