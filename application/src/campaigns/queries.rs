//! Reading campaigns: keyed lookups and indexed scans of the read models,
//! optionally after waiting for the client's own last write.

use chrono::{DateTime, Utc};
use herald_domain::campaign::{CampaignStatus, RecipientStatus};
use herald_domain::{SessionId, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tracing::instrument;

use super::read_model::{CAMPAIGNS, CAMPAIGN_RECIPIENTS, PROJECTION};
use crate::ports::read_store::{
    date_value, Condition, Document, FindQuery, Page, ReadStore, SortOrder,
};
use crate::progress::ProjectionPositions;
use crate::queries::{newest_first, owned_by, PageRequest, ProjectedReads, QueryError};

/// The fields of a campaign's progress.
pub const PROGRESS_FIELDS: [&str; 17] = [
    "_id",
    "status",
    "run",
    "totalRecipients",
    "pendingCount",
    "sentCount",
    "deliveredCount",
    "readCount",
    "failedCount",
    "unknownCount",
    "notSentCount",
    "pauseReason",
    "startedAt",
    "completedAt",
    "lastProgressAt",
    "sendRate",
    "estimatedFinishAt",
];

/// Adds `sendRate` (recipients settled per second since the run started)
/// and `estimatedFinishAt` (when the pending ones will be, at that rate,
/// while the campaign runs); null when there is nothing to go by.
pub fn add_estimates(document: &mut Document) {
    let time = |field: &str| {
        document
            .get(field)
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc))
    };
    let count = |field: &str| document.get(field).and_then(Value::as_i64).unwrap_or(0);
    let (started, last) = (time("startedAt"), time("lastProgressAt"));
    let settled = count("totalRecipients") - count("pendingCount");
    let rate = match (started, last) {
        (Some(started), Some(last)) if last > started && settled > 0 => {
            let seconds = (last - started).num_milliseconds() as f64 / 1_000.0;
            Some(settled as f64 / seconds)
        }
        _ => None,
    };
    let pending = count("pendingCount");
    let running = document.get("status").and_then(Value::as_str) == Some("running");
    let finish = match (rate, last) {
        (Some(rate), Some(last)) if running && pending > 0 && rate > 0.0 => {
            let millis = (pending as f64 / rate * 1_000.0).min(1e12) as i64;
            Some(date_value(last + chrono::Duration::milliseconds(millis)))
        }
        _ => None,
    };
    let rate = rate.map(|r| (r * 100.0).round() / 100.0);
    document.insert("sendRate".into(), serde_json::json!(rate));
    document.insert("estimatedFinishAt".into(), finish.unwrap_or(Value::Null));
}

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
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let query = list_query(tenant, filter, page);
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
        let mut found = self.reads.find_one(query, min_position).await?;
        if let Some(document) = &mut found {
            add_estimates(document);
        }
        Ok(found)
    }

    /// Where a campaign's current run stands: its status, counters, send
    /// rate and estimated finish, as [`PROGRESS_FIELDS`] name them.
    ///
    /// # Errors
    /// As [`CampaignQueries::list`].
    pub async fn progress(
        &self,
        tenant: &TenantId,
        id: &str,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let found = self.get(tenant, id, min_position).await?;
        Ok(found.map(|document| {
            PROGRESS_FIELDS
                .iter()
                .filter_map(|field| {
                    document
                        .get(*field)
                        .map(|value| ((*field).to_owned(), value.clone()))
                })
                .collect()
        }))
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
        page: &PageRequest,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        let query = recipients_query(tenant, campaign_id, status, page);
        self.reads.find(&query, min_position).await
    }
}

/// The query behind `GET /v1/campaigns`.
pub fn list_query(tenant: &TenantId, filter: &CampaignFilter, page: &PageRequest) -> FindQuery {
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
    newest_first(&CAMPAIGNS, "createdAt", conditions, page)
}

/// The query behind `GET /v1/campaigns/{id}/recipients`.
pub fn recipients_query(
    tenant: &TenantId,
    campaign_id: &str,
    status: Option<RecipientStatus>,
    page: &PageRequest,
) -> FindQuery {
    let mut conditions = vec![
        Condition::Equals("campaignId", Value::from(campaign_id)),
        owned_by(tenant),
    ];
    if let Some(status) = status {
        conditions.push(Condition::Equals("status", Value::from(status.as_str())));
    }
    let sort = vec![
        ("order", SortOrder::Ascending),
        ("_id", SortOrder::Ascending),
    ];
    page.query(&CAMPAIGN_RECIPIENTS, sort, conditions)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(value: Value) -> Document {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn the_rate_and_finish_follow_from_the_counters_and_times() {
        let mut running = document(json!({
            "status": "running",
            "totalRecipients": 1000,
            "pendingCount": 600,
            "startedAt": "2026-12-01T12:00:00.000Z",
            "lastProgressAt": "2026-12-01T12:00:10.000Z",
        }));
        add_estimates(&mut running);
        assert_eq!(running["sendRate"], json!(40.0));
        assert_eq!(
            running["estimatedFinishAt"],
            json!("2026-12-01T12:00:25.000Z")
        );
    }

    #[test]
    fn nothing_is_estimated_before_the_first_outcome_or_once_ended() {
        let mut fresh = document(json!({
            "status": "running", "totalRecipients": 10, "pendingCount": 10,
            "startedAt": "2026-12-01T12:00:00.000Z", "lastProgressAt": null,
        }));
        add_estimates(&mut fresh);
        assert_eq!(
            (
                fresh["sendRate"].clone(),
                fresh["estimatedFinishAt"].clone()
            ),
            (Value::Null, Value::Null)
        );
        let mut done = document(json!({
            "status": "completed", "totalRecipients": 10, "pendingCount": 0,
            "startedAt": "2026-12-01T12:00:00.000Z", "lastProgressAt": "2026-12-01T12:00:05.000Z",
        }));
        add_estimates(&mut done);
        assert_eq!(done["sendRate"], json!(2.0));
        assert_eq!(done["estimatedFinishAt"], Value::Null);
    }
}
