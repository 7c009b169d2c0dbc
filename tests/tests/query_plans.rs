//! Every list the API offers, with every combination of its filters, on a
//! first page and on a page after a cursor, is served from an index: SQLite
//! neither scans a whole table nor sorts the matches, for the page or for
//! its count. The queries are the ones the API runs (`list_query` and the
//! like); the plans are SQLite's own (`EXPLAIN QUERY PLAN`).
//!
//! MongoDB is given the same indexes (each collection's `CollectionSpec`);
//! SecantusDB's planner cannot show their use (README, Tests).

use chrono::{TimeZone, Utc};
use herald_application::accounts::queries as accounts;
use herald_application::audit::queries as audit;
use herald_application::campaigns::queries as campaigns;
use herald_application::messages::queries as messages;
use herald_application::messages::Direction;
use herald_application::ports::read_store::{FindQuery, Generation, ReadStore};
use herald_application::queries::{Cursor, PageRequest};
use herald_application::sessions::queries as sessions;
use herald_application::subscriptions::queries as payments;
use herald_domain::account::Role;
use herald_domain::campaign::{CampaignStatus, RecipientStatus};
use herald_domain::message::MessageStatus;
use herald_domain::session::SessionStatus;
use herald_domain::subscription::PaymentStatus;
use herald_domain::{SessionId, TenantId};
use herald_projections::stores::sqlite::SqliteReadStore;
use serde_json::Value;

/// The first page, and a page after a cursor.
fn pages() -> [PageRequest; 2] {
    let first = PageRequest::new(1, 50).unwrap();
    let cursor = Cursor::new(vec![
        Value::from("2026-11-21T12:00:00.000Z"),
        Value::from("id-1"),
    ]);
    [first.clone(), first.after(cursor)]
}

/// Each value `pick` can take, and none.
fn optional<T: Clone>(values: &[T]) -> Vec<Option<T>> {
    std::iter::once(None)
        .chain(values.iter().cloned().map(Some))
        .collect()
}

/// Every query the API's lists run, named.
fn api_queries() -> Vec<(String, FindQuery)> {
    let tenant = TenantId::parse("acme").unwrap();
    let session = SessionId::parse("00000000-0000-4000-8000-000000000001").unwrap();
    let time = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let mut queries = Vec::new();
    for page in pages() {
        let cursor = if page.after.is_some() {
            "after a cursor"
        } else {
            "first page"
        };
        for status in optional(&[CampaignStatus::Running]) {
            for session_id in optional(std::slice::from_ref(&session)) {
                let filter = campaigns::CampaignFilter { status, session_id };
                queries.push((
                    format!("campaigns {filter:?}, {cursor}"),
                    campaigns::list_query(&tenant, &filter, &page),
                ));
            }
        }
        for status in optional(&[RecipientStatus::Failed]) {
            queries.push((
                format!("recipients {status:?}, {cursor}"),
                campaigns::recipients_query(&tenant, "c-1", status, &page),
            ));
        }
        for status in optional(&[SessionStatus::Connected]) {
            let filter = sessions::SessionFilter { status };
            queries.push((
                format!("sessions {filter:?}, {cursor}"),
                sessions::list_query(&tenant, &filter, &page),
            ));
        }
        for session_id in optional(std::slice::from_ref(&session)) {
            for direction in optional(&[Direction::Incoming]) {
                for status in optional(&[MessageStatus::Delivered]) {
                    for (since, until) in
                        [(None, None), (Some(time), None), (Some(time), Some(time))]
                    {
                        let filter = messages::MessageFilter {
                            session_id: session_id.clone(),
                            direction,
                            status,
                            since,
                            until,
                        };
                        queries.push((
                            format!("messages {filter:?}, {cursor}"),
                            messages::list_query(&tenant, &filter, &page),
                        ));
                    }
                }
            }
            for (since, until) in [(None, None), (Some(time), Some(time))] {
                queries.push((
                    format!("replies {session_id:?} {since:?} {until:?}, {cursor}"),
                    messages::replies_query(&tenant, session_id.as_ref(), since, until, &page),
                ));
            }
        }
        queries.extend(audit_queries(&tenant, &page, cursor));
        queries.extend(account_queries(&tenant, &page, cursor));
    }
    queries
}

/// The audit log's lists: by actor, action and entity, with and without a
/// time range, each alone and together.
fn audit_queries(tenant: &TenantId, page: &PageRequest, cursor: &str) -> Vec<(String, FindQuery)> {
    let time = Utc.with_ymd_and_hms(2026, 11, 21, 12, 0, 0).unwrap();
    let mut queries = Vec::new();
    for actor_id in optional(&["u-1".to_owned()]) {
        for action in optional(&["CampaignCreated".to_owned()]) {
            for (entity_type, entity_id) in [
                (None, None),
                (Some("campaign".to_owned()), None),
                (Some("campaign".to_owned()), Some("c-1".to_owned())),
            ] {
                for (since, until) in [(None, None), (Some(time), Some(time))] {
                    let filter = audit::AuditFilter {
                        actor_id: actor_id.clone(),
                        action: action.clone(),
                        entity_type: entity_type.clone(),
                        entity_id: entity_id.clone(),
                        since,
                        until,
                    };
                    queries.push((
                        format!("audit logs {filter:?}, {cursor}"),
                        audit::list_query(tenant, &filter, page),
                    ));
                }
            }
        }
    }
    queries
}

/// An admin's lists: users by role and activity, keys by activity, and
/// payments by status.
fn account_queries(
    tenant: &TenantId,
    page: &PageRequest,
    cursor: &str,
) -> Vec<(String, FindQuery)> {
    let mut queries = Vec::new();
    for role in optional(&[Role::Agent]) {
        for is_active in optional(&[true]) {
            let filter = accounts::UserFilter { role, is_active };
            queries.push((
                format!("users {filter:?}, {cursor}"),
                accounts::users_query(tenant, &filter, page),
            ));
        }
    }
    for is_active in optional(&[false]) {
        let filter = accounts::ApiKeyFilter { is_active };
        queries.push((
            format!("API keys {filter:?}, {cursor}"),
            accounts::api_keys_query(tenant, &filter, page),
        ));
    }
    for status in optional(&[PaymentStatus::Completed]) {
        let filter = payments::PaymentFilter { status };
        queries.push((
            format!("payments {filter:?}, {cursor}"),
            payments::payments_query(tenant, &filter, page),
        ));
    }
    queries
}

/// A step that reads a whole table, or sorts what it found.
fn costly(step: &str) -> bool {
    let scans_the_table =
        step.starts_with("SCAN") && !step.contains("INDEX") && !step.starts_with("SCAN (subquery");
    let sorts = step.contains("USE TEMP B-TREE");
    scans_the_table || sorts
}

#[tokio::test]
async fn every_list_the_api_offers_is_served_from_an_index() {
    let folder = tempfile::tempdir().unwrap();
    let store = SqliteReadStore::open(&folder.path().join("read.db")).unwrap();
    let collections: Vec<_> = herald_application::campaigns::read_model::COLLECTIONS
        .into_iter()
        .chain(herald_application::messages::read_model::COLLECTIONS)
        .chain(herald_application::sessions::read_model::COLLECTIONS)
        .chain(herald_application::audit::read_model::COLLECTIONS)
        .chain(herald_application::accounts::read_model::COLLECTIONS)
        .chain(herald_application::subscriptions::read_model::COLLECTIONS)
        .collect();
    store.prepare(&collections, Generation::Live).await.unwrap();

    let mut unserved = Vec::new();
    for (name, query) in api_queries() {
        let plan = store.query_plan(&query).await.unwrap();
        if plan.iter().any(|step| costly(step)) {
            unserved.push(format!("{name}:\n    {}", plan.join("\n    ")));
        }
    }
    assert!(
        unserved.is_empty(),
        "{} queries scan or sort:\n{}",
        unserved.len(),
        unserved.join("\n")
    );
}
