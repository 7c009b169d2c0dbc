//! What every query of a read model shares: pages, time ranges, errors,
//! tenant scoping, and waiting until a projection has reached the client's
//! own last write.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use herald_domain::{FieldError, TenantId};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

use crate::ports::read_store::{
    date_value, CollectionSpec, Condition, Document, FindQuery, Page, ReadStore, ReadStoreError,
    SortOrder, TENANT_FIELD,
};
use crate::progress::{NotCaughtUp, ProjectionPositions};

#[derive(Debug, thiserror::Error)]
pub enum QueryError {
    #[error(transparent)]
    NotCaughtUp(#[from] NotCaughtUp),
    #[error(transparent)]
    Store(#[from] ReadStoreError),
}

/// A page of a list: `page` counts from 1; `limit` is 1 to 100. With
/// `after` (a cursor from the page before), the page starts right after
/// that page's last document instead, however deep it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageRequest {
    pub page: u64,
    pub limit: u64,
    pub after: Option<Cursor>,
}

/// Lists count their matches exactly up to this many; past it, `total` is
/// a lower bound and says so. Counting every match of a long list on every
/// page was most of a page's cost.
pub const EXACT_TOTAL_UP_TO: u64 = 1_000;

/// Where a page starts: the sort values of the previous page's last
/// document, handed to clients as an opaque URL-safe string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor(Vec<Value>);

impl Cursor {
    /// The longest cursor read: the values of a couple of sort fields.
    const MAX_LENGTH: usize = 1_024;

    pub fn new(position: Vec<Value>) -> Self {
        Self(position)
    }

    pub fn encode(&self) -> String {
        let json = Value::Array(self.0.clone()).to_string();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// # Errors
    /// When the text is not a cursor this API handed out.
    pub fn decode(text: &str) -> Result<Self, FieldError> {
        let invalid = || FieldError::new("cursor", "is not a cursor from a previous page");
        if text.len() > Self::MAX_LENGTH {
            return Err(invalid());
        }
        let json = URL_SAFE_NO_PAD.decode(text).map_err(|_| invalid())?;
        match serde_json::from_slice::<Value>(&json) {
            Ok(Value::Array(values))
                if !values.is_empty()
                    && values
                        .iter()
                        .all(|v| v.is_string() || v.is_number() || v.is_boolean()) =>
            {
                Ok(Self(values))
            }
            _ => Err(invalid()),
        }
    }
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
        Ok(Self {
            page,
            limit,
            after: None,
        })
    }

    /// The same page size, starting after `cursor`.
    #[must_use]
    pub fn after(self, cursor: Cursor) -> Self {
        Self {
            page: 1,
            after: Some(cursor),
            ..self
        }
    }

    /// How many documents come before the page. Stores take it as a
    /// signed 64-bit number (SQLite's OFFSET, MongoDB's skip), so a page
    /// past any list is clamped there rather than wrapping or failing.
    pub fn skip(&self) -> u64 {
        const MAX_SKIP: u64 = i64::MAX as u64;
        (self.page - 1).saturating_mul(self.limit).min(MAX_SKIP)
    }

    /// How far to count the matches: exactly up to [`EXACT_TOTAL_UP_TO`],
    /// and on a deep page far enough to tell whether another follows.
    fn count_limit(&self) -> u64 {
        const MAX_COUNT: u64 = i64::MAX as u64;
        self.skip()
            .saturating_add(self.limit)
            .saturating_add(1)
            .clamp(EXACT_TOTAL_UP_TO, MAX_COUNT)
    }

    /// `collection`'s documents matching `conditions` on this page, in
    /// `sort` order (whose last field must tell documents apart).
    pub fn query(
        &self,
        collection: &'static CollectionSpec,
        sort: Vec<(&'static str, SortOrder)>,
        conditions: Vec<Condition>,
    ) -> FindQuery {
        let page_conditions = self
            .after
            .iter()
            .map(|cursor| Condition::after(&sort, &cursor.0))
            .collect();
        FindQuery {
            sort,
            skip: self.skip(),
            limit: Some(self.limit),
            page_conditions,
            count_limit: Some(self.count_limit()),
            ..FindQuery::new(collection, conditions)
        }
    }
}

impl Default for PageRequest {
    fn default() -> Self {
        Self {
            page: 1,
            limit: 20,
            after: None,
        }
    }
}

/// A page of `collection`'s documents matching `conditions`, newest first
/// by `time_field` (then by id, so pages never overlap).
pub fn newest_first(
    collection: &'static CollectionSpec,
    time_field: &'static str,
    conditions: Vec<Condition>,
    page: &PageRequest,
) -> FindQuery {
    let sort = vec![
        (time_field, SortOrder::Descending),
        ("_id", SortOrder::Descending),
    ];
    page.query(collection, sort, conditions)
}

/// The conditions that keep `field` (a date) from `since` on and before
/// `until`, each left out when not given.
pub fn time_range(
    field: &'static str,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
) -> Vec<Condition> {
    let mut conditions = Vec::new();
    if let Some(since) = since {
        conditions.push(Condition::AtLeast(field, date_value(since)));
    }
    if let Some(until) = until {
        conditions.push(Condition::Below(field, date_value(until)));
    }
    conditions
}

/// The condition that keeps a query inside one tenant's documents.
pub fn owned_by(tenant: &TenantId) -> Condition {
    Condition::Equals(TENANT_FIELD, Value::from(tenant.as_str()))
}

/// A read store seen through one projection: queries wait, when asked, for
/// that projection to reach a position first.
#[derive(Clone)]
pub struct ProjectedReads {
    store: Arc<dyn ReadStore>,
    positions: ProjectionPositions,
    projection: &'static str,
    wait_limit: Duration,
}

impl ProjectedReads {
    pub fn new(
        store: Arc<dyn ReadStore>,
        positions: ProjectionPositions,
        projection: &'static str,
        wait_limit: Duration,
    ) -> Self {
        Self {
            store,
            positions,
            projection,
            wait_limit,
        }
    }

    /// # Errors
    /// When the projection does not reach `min_position` in time, or the store fails.
    pub async fn find(
        &self,
        query: &FindQuery,
        min_position: Option<u64>,
    ) -> Result<Page, QueryError> {
        self.wait_for(min_position).await?;
        Ok(self.store.find(query).await?)
    }

    /// The first document `query` finds, if any.
    ///
    /// # Errors
    /// As [`ProjectedReads::find`].
    pub async fn find_one(
        &self,
        query: FindQuery,
        min_position: Option<u64>,
    ) -> Result<Option<Document>, QueryError> {
        let query = FindQuery {
            limit: Some(1),
            ..query
        };
        let page = self.find(&query, min_position).await?;
        Ok(page.documents.into_iter().next())
    }

    async fn wait_for(&self, min_position: Option<u64>) -> Result<(), NotCaughtUp> {
        match min_position {
            Some(position) => {
                self.positions
                    .wait_for(self.projection, position, self.wait_limit)
                    .await
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_past_any_list_skips_no_more_than_a_store_can_take() {
        let last = PageRequest::new(u64::MAX, PageRequest::MAX_LIMIT).unwrap();
        assert_eq!(last.skip(), i64::MAX as u64);
        assert_eq!(PageRequest::new(3, 20).unwrap().skip(), 40);
    }

    #[test]
    fn a_cursor_reads_back_as_it_was_handed_out() {
        let cursor = Cursor::new(vec![
            Value::from("2026-11-21T12:00:00.000Z"),
            Value::from("c-1"),
            Value::from(3),
        ]);
        let text = cursor.encode();
        assert!(text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
        assert_eq!(Cursor::decode(&text).unwrap(), cursor);
    }

    #[test]
    fn anything_but_a_cursor_handed_out_is_refused_naming_the_field() {
        let encoded = |json: &str| URL_SAFE_NO_PAD.encode(json);
        for text in [
            "not base64!".to_owned(),
            encoded("{}"),
            encoded("[]"),
            encoded("[{\"$gt\": 1}]"),
            encoded("[[1]]"),
            encoded("[null]"),
            "A".repeat(2_000),
        ] {
            let error = Cursor::decode(&text).unwrap_err();
            assert_eq!(error.field, "cursor", "{text}");
        }
    }

    #[test]
    fn totals_are_exact_up_to_a_thousand_and_deep_pages_count_past_themselves() {
        assert_eq!(PageRequest::new(1, 50).unwrap().count_limit(), 1_000);
        assert_eq!(PageRequest::new(40, 50).unwrap().count_limit(), 2_001);
    }

    #[test]
    fn a_page_after_a_cursor_starts_there_and_skips_nothing() {
        let cursor = Cursor::new(vec![
            Value::from("2026-11-21T12:00:00.000Z"),
            Value::from("c-9"),
        ]);
        let page = PageRequest::new(1, 20).unwrap().after(cursor);
        let query = newest_first(&TEST_COLLECTION, "createdAt", vec![], &page);
        assert_eq!(query.skip, 0);
        assert_eq!(query.page_conditions.len(), 1);
        assert!(
            query.conditions.is_empty(),
            "the total counts the whole list"
        );
    }

    #[test]
    fn a_time_range_starts_at_since_ends_before_until_and_leaves_out_what_is_not_given() {
        let since = DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
            .unwrap()
            .to_utc();
        let until = since + chrono::Duration::hours(1);
        assert_eq!(
            time_range("createdAt", Some(since), Some(until)),
            [
                Condition::AtLeast("createdAt", date_value(since)),
                Condition::Below("createdAt", date_value(until)),
            ]
        );
        assert_eq!(
            time_range("createdAt", None, Some(until)),
            [Condition::Below("createdAt", date_value(until))]
        );
        assert!(time_range("createdAt", None, None).is_empty());
    }

    static TEST_COLLECTION: CollectionSpec = CollectionSpec {
        name: "things",
        date_fields: &[],
        indexes: &[],
    };
}
