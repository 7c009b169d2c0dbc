//! The read store: documents shaped for the screen, written by projections
//! and read by queries.
//!
//! Documents are JSON objects whose field names are the seeds' (camelCase).
//! Dates are RFC 3339 strings in UTC with milliseconds ([`date_value`]), so
//! that they sort as text; a store with a native date type (MongoDB) keeps
//! the fields a [`CollectionSpec`] lists as dates in that type.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::Value;

pub type Document = serde_json::Map<String, Value>;

/// The field every document's tenant is in. The seeds call the owner of a
/// document `userId`; in Herald the owner is the tenant.
pub const TENANT_FIELD: &str = "userId";

/// A date as documents hold it.
pub fn date_value(time: DateTime<Utc>) -> Value {
    Value::String(stored_date::text(time))
}

/// A typed read-model document (or a part of one, for an update) as the
/// fields a store writes; a type that is not a JSON object gives none.
pub fn document_of<T: serde::Serialize>(value: &T) -> Document {
    match serde_json::to_value(value) {
        Ok(Value::Object(document)) => document,
        _ => Document::new(),
    }
}

/// A date field of a typed read-model document, written as [`date_value`]
/// writes it (always three decimals, so stored dates sort as text), for
/// `#[serde(with = "stored_date")]`.
pub mod stored_date {
    use chrono::{DateTime, SecondsFormat, Utc};
    use serde::{Deserialize, Deserializer, Serializer};

    /// A date as the read models store it.
    pub(super) fn text(time: DateTime<Utc>) -> String {
        time.to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    fn parse<E: serde::de::Error>(text: &str) -> Result<DateTime<Utc>, E> {
        DateTime::parse_from_rfc3339(text)
            .map(|time| time.to_utc())
            .map_err(E::custom)
    }

    pub fn serialize<S: Serializer>(
        time: &DateTime<Utc>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&text(*time))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<DateTime<Utc>, D::Error> {
        parse(&String::deserialize(deserializer)?)
    }

    /// The same for a date that may be missing (`null`).
    pub mod optional {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer};

        pub fn serialize<S: Serializer>(
            time: &Option<DateTime<Utc>>,
            serializer: S,
        ) -> Result<S::Ok, S::Error> {
            match time {
                Some(time) => super::serialize(time, serializer),
                None => serializer.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(
            deserializer: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            Option::<String>::deserialize(deserializer)?
                .map(|text| super::parse(&text))
                .transpose()
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortOrder {
    Ascending,
    Descending,
}

#[derive(Debug)]
pub struct IndexSpec {
    pub fields: &'static [(&'static str, SortOrder)],
    pub unique: bool,
    /// Documents that lack the fields are left out of the index (the
    /// seeds' `sparse`): a unique index over an optional field then holds
    /// any number of documents without it.
    pub sparse: bool,
}

impl IndexSpec {
    /// A plain index on `fields`: not unique, not sparse.
    pub const fn on(fields: &'static [(&'static str, SortOrder)]) -> Self {
        Self {
            fields,
            unique: false,
            sparse: false,
        }
    }
}

/// A collection as the seeds define it: its name, which fields are dates,
/// and its indexes.
#[derive(Debug)]
pub struct CollectionSpec {
    pub name: &'static str,
    /// Dotted paths of date fields, as `schedule.startTime`.
    pub date_fields: &'static [&'static str],
    pub indexes: &'static [IndexSpec],
}

/// Queries read the live generation. A rebuild fills its own generation
/// from position 0 and replaces the live one when it has caught up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Generation {
    Live,
    Rebuild,
}

impl CollectionSpec {
    pub fn physical_name(&self, generation: Generation) -> String {
        match generation {
            Generation::Live => self.name.to_owned(),
            Generation::Rebuild => format!("{}__rebuild", self.name),
        }
    }
}

/// The key a projection's checkpoint is stored under.
pub fn checkpoint_key(projection: &str, generation: Generation) -> String {
    match generation {
        Generation::Live => projection.to_owned(),
        Generation::Rebuild => format!("{projection}__rebuild"),
    }
}

/// One change to the read models, as a projector decides it.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// Insert the document, or replace the one with this id.
    Put {
        collection: &'static CollectionSpec,
        id: String,
        document: Document,
    },
    /// Set top-level fields and add to counters of the document with this
    /// id; nothing happens if there is none.
    Update {
        collection: &'static CollectionSpec,
        id: String,
        set: Document,
        increment: Vec<(&'static str, i64)>,
    },
    /// Set fields and add to counters of every document that meets all the
    /// conditions (none when none does): a guarded update of one document
    /// (`_id` among the conditions), or of many.
    UpdateWhere {
        collection: &'static CollectionSpec,
        conditions: Vec<Condition>,
        set: Document,
        increment: Vec<(&'static str, i64)>,
    },
    /// Delete every document that meets all the conditions.
    DeleteWhere {
        collection: &'static CollectionSpec,
        conditions: Vec<Condition>,
    },
}

impl PartialEq for CollectionSpec {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// Where a change comes from: its commit's position and its place among
/// that commit's changes. Stores that cannot write a batch atomically keep
/// the stamp on each document, so a change applied twice has no effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Stamp {
    pub position: u64,
    pub index: u32,
}

impl Stamp {
    const INDEX_BITS: u32 = 20;
    pub const MAX_INDEX: u32 = (1 << Self::INDEX_BITS) - 1;

    /// The stamp as one number that orders as stamps do.
    pub fn as_i64(self) -> i64 {
        let packed =
            (self.position << Self::INDEX_BITS) | u64::from(self.index.min(Self::MAX_INDEX));
        i64::try_from(packed).unwrap_or(i64::MAX)
    }
}

/// Changes of one projection, from the commit after `expected_checkpoint`
/// up to and including `checkpoint`.
#[derive(Debug, Clone)]
pub struct ChangeBatch {
    pub projection: &'static str,
    pub generation: Generation,
    /// The checkpoint the writer believes is stored. If another writer has
    /// moved it, the batch is not applied.
    pub expected_checkpoint: u64,
    pub checkpoint: u64,
    pub changes: Vec<(Stamp, Change)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// The stored checkpoint is not the one the writer expected (a rebuild
    /// was promoted, or another node wrote): read on from `stored`.
    CheckpointMoved {
        stored: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PromoteOutcome {
    Promoted {
        checkpoint: u64,
    },
    /// The live generation has read further than the rebuild; catch up first.
    Behind {
        rebuild: u64,
        live: u64,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    Equals(&'static str, Value),
    AtLeast(&'static str, Value),
    Below(&'static str, Value),
    /// Strictly greater.
    Above(&'static str, Value),
    OneOf(&'static str, Vec<Value>),
    /// Any one of these groups, each met when all its conditions are.
    AnyOf(Vec<Vec<Condition>>),
}

impl Condition {
    /// Documents that come after a position in `sort` order: the sort
    /// fields' values of the last document of a page (a keyset). Each
    /// sort field must have a value in every document.
    pub fn after(sort: &[(&'static str, SortOrder)], position: &[Value]) -> Self {
        let groups = (0..sort.len().min(position.len()))
            .map(|differs| {
                let mut group: Vec<Condition> = sort[..differs]
                    .iter()
                    .zip(position)
                    .map(|((field, _), value)| Condition::Equals(field, value.clone()))
                    .collect();
                let (field, order) = sort[differs];
                let value = position[differs].clone();
                group.push(match order {
                    SortOrder::Ascending => Condition::Above(field, value),
                    SortOrder::Descending => Condition::Below(field, value),
                });
                group
            })
            .collect();
        Condition::AnyOf(groups)
    }
}

#[derive(Debug, Clone)]
pub struct FindQuery {
    pub collection: &'static CollectionSpec,
    pub conditions: Vec<Condition>,
    /// Conditions on the page only, not on the total: where a keyset page
    /// starts.
    pub page_conditions: Vec<Condition>,
    pub sort: Vec<(&'static str, SortOrder)>,
    pub skip: u64,
    /// `None` reads every match.
    pub limit: Option<u64>,
    /// Count the matches up to this many; `None` counts them all. A count
    /// that reaches the limit is reported as not exact.
    pub count_limit: Option<u64>,
}

impl FindQuery {
    pub fn new(collection: &'static CollectionSpec, conditions: Vec<Condition>) -> Self {
        Self {
            collection,
            conditions,
            page_conditions: Vec::new(),
            sort: vec![("_id", SortOrder::Ascending)],
            skip: 0,
            limit: None,
            count_limit: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub documents: Vec<Document>,
    /// How many documents meet the conditions, beyond this page too; when
    /// not `total_exact`, at least that many (the count stopped there).
    pub total: u64,
    pub total_exact: bool,
    /// Where the next page starts, when this one is full: the sort fields'
    /// values of its last document (see [`Condition::after`]).
    pub next: Option<Vec<Value>>,
}

impl Page {
    /// The page `query` found, with `count` matches counted (up to its
    /// count limit).
    pub fn found(documents: Vec<Document>, count: u64, query: &FindQuery) -> Self {
        let full = query
            .limit
            .is_some_and(|limit| documents.len() as u64 >= limit && limit > 0);
        let next = documents.last().filter(|_| full).map(|last| {
            query
                .sort
                .iter()
                .map(|(field, _)| last.get(*field).cloned().unwrap_or(Value::Null))
                .collect()
        });
        Self {
            documents,
            total: count,
            total_exact: query.count_limit.is_none_or(|limit| count < limit),
            next,
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("read store: {0}")]
pub struct ReadStoreError(pub String);

impl ReadStoreError {
    pub fn new(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

/// Which event log a read store serves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogBinding {
    /// The store serves this log: it had no log yet, or had this one.
    Bound,
    /// The store was projected from another log, named here.
    Foreign(String),
}

#[async_trait]
pub trait ReadStore: Send + Sync {
    /// Records that the store serves the log `identity`, if it serves none
    /// yet; says which one it serves otherwise. Two nodes binding at once
    /// agree on one.
    async fn bind_log(&self, identity: &str) -> Result<LogBinding, ReadStoreError>;

    /// Makes the store serve the log `identity`, whichever it served.
    async fn rebind_log(&self, identity: &str) -> Result<(), ReadStoreError>;

    /// The store's own identity, made when it is first asked for: every
    /// node that shares the store reads the same one (the projection
    /// leases are named by it); two stores never have the same.
    async fn store_id(&self) -> Result<String, ReadStoreError>;

    /// Drops every document of a projection's collections, live and
    /// rebuilt, and its checkpoints: it starts again from position 0.
    async fn reset(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError>;

    /// Creates the collections and their indexes if they are missing.
    async fn prepare(
        &self,
        collections: &[&'static CollectionSpec],
        generation: Generation,
    ) -> Result<(), ReadStoreError>;

    /// Drops a projection's rebuild generation and its checkpoint.
    async fn discard_rebuild(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError>;

    /// The position up to which a projection's changes are applied.
    async fn checkpoint(
        &self,
        projection: &str,
        generation: Generation,
    ) -> Result<u64, ReadStoreError>;

    /// Applies the batch and moves the checkpoint, as one write: after a
    /// crash the store holds all of it or, where it cannot, changes applied
    /// again have no effect.
    async fn apply(&self, batch: ChangeBatch) -> Result<ApplyOutcome, ReadStoreError>;

    /// Replaces the live generation by the rebuild, if the rebuild has read
    /// at least as far.
    async fn promote(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<PromoteOutcome, ReadStoreError>;

    /// Live documents meeting every condition, sorted and paged.
    async fn find(&self, query: &FindQuery) -> Result<Page, ReadStoreError>;
}
