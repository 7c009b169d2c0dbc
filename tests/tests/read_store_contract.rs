//! One contract for every read store. Each case runs against SQLite, and
//! against MongoDB when `HERALD_TEST_MONGODB_URI` is set (each case in a
//! database of its own, dropped afterwards).

use herald_application::ports::read_store::{
    ApplyOutcome, Change, ChangeBatch, CollectionSpec, Condition, Document, FindQuery, Generation,
    IndexSpec, LogBinding, PromoteOutcome, ReadStore, SortOrder, Stamp,
};
use herald_projections::stores::{MongoReadStore, SqliteReadStore};
use herald_tests::stores::mongodb_uri;
// The driver, under another name than this file's `mongodb` cases.
use ::mongodb as driver;
use serde_json::{json, Value};
use std::sync::Arc;

static ITEMS: CollectionSpec = CollectionSpec {
    name: "contract_items",
    date_fields: &["createdAt", "window.startTime"],
    indexes: &[
        IndexSpec {
            fields: &[
                ("userId", SortOrder::Ascending),
                ("status", SortOrder::Ascending),
            ],
            unique: false,
            sparse: false,
        },
        IndexSpec {
            fields: &[("createdAt", SortOrder::Descending)],
            unique: false,
            sparse: false,
        },
    ],
};
static COLLECTIONS: [&CollectionSpec; 1] = [&ITEMS];
const PROJECTION: &str = "contract";

/// Accounts: each email once; a code, when an account has one, once.
static ACCOUNTS: CollectionSpec = CollectionSpec {
    name: "contract_accounts",
    date_fields: &[],
    indexes: &[
        IndexSpec {
            fields: &[("email", SortOrder::Ascending)],
            unique: true,
            sparse: false,
        },
        IndexSpec {
            fields: &[("code", SortOrder::Ascending)],
            unique: true,
            sparse: true,
        },
    ],
};

/// The same collection as an earlier version of Herald defined it: the
/// email index was not yet unique.
static ACCOUNTS_BEFORE: CollectionSpec = CollectionSpec {
    name: "contract_accounts",
    date_fields: &[],
    indexes: &[IndexSpec {
        fields: &[("email", SortOrder::Ascending)],
        unique: false,
        sparse: false,
    }],
};

/// A store for one case, and whatever must live as long as it.
struct Subject {
    store: Arc<dyn ReadStore>,
    _keep: Option<tempfile::TempDir>,
    mongo: Option<MongoReadStore>,
    /// The database, as the MongoDB driver sees it, for cases that write
    /// what another program could have written.
    raw: Option<driver::Database>,
}

impl Subject {
    async fn cleanup(self) {
        if let Some(mongo) = self.mongo {
            mongo
                .drop_database()
                .await
                .expect("the test database is dropped");
        }
    }
}

async fn sqlite() -> Option<Subject> {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteReadStore::open(&dir.path().join("contract.sqlite3")).unwrap();
    Some(Subject {
        store: Arc::new(store),
        _keep: Some(dir),
        mongo: None,
        raw: None,
    })
}

async fn mongodb() -> Option<Subject> {
    let uri = mongodb_uri()?;
    let database = format!("herald_contract_{}", uuid::Uuid::new_v4().simple());
    let store = MongoReadStore::connect(&uri, &database)
        .await
        .expect("HERALD_TEST_MONGODB_URI answers");
    let raw = driver::Client::with_uri_str(&uri)
        .await
        .expect("a MongoDB client")
        .database(&database);
    Some(Subject {
        store: Arc::new(store.clone()),
        _keep: None,
        mongo: Some(store),
        raw: Some(raw),
    })
}

macro_rules! contract {
    ($($case:ident),* $(,)? ; mongodb only: $($mongo_case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let subject = super::sqlite().await.unwrap();
                super::$case(subject.store.clone()).await;
                subject.cleanup().await;
            })*
        }
        mod mongodb {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let Some(subject) = super::mongodb().await else { return };
                super::$case(subject.store.clone()).await;
                subject.cleanup().await;
            })*
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $mongo_case() {
                let Some(subject) = super::mongodb().await else { return };
                let raw = subject.raw.clone().expect("a MongoDB subject");
                super::$mongo_case(subject.store.clone(), raw).await;
                subject.cleanup().await;
            })*
        }
    };
}

contract!(
    a_new_projection_starts_at_position_zero,
    put_documents_read_back_as_written,
    put_replaces_a_document,
    updates_set_fields_and_add_to_counters,
    the_changes_of_one_batch_apply_in_their_order,
    an_update_of_a_missing_document_does_nothing,
    delete_where_removes_only_matching_documents,
    update_where_changes_only_matching_documents,
    a_batch_moves_the_checkpoint,
    a_batch_for_a_moved_checkpoint_changes_nothing,
    find_filters_sorts_pages_and_counts,
    keyset_pages_walk_the_whole_list_once_in_either_order,
    a_capped_count_says_it_is_not_exact,
    dates_compare_as_times,
    preparing_twice_is_harmless,
    a_rebuild_is_invisible_until_promoted,
    a_rebuild_behind_the_live_projection_is_not_promoted,
    a_promoted_rebuild_without_documents_empties_the_collection,
    a_discarded_rebuild_starts_over,
    a_promote_asked_again_keeps_the_promoted_documents,
    a_clash_on_another_unique_index_fails_the_batch_and_keeps_the_checkpoint,
    a_sparse_unique_index_holds_any_number_of_documents_without_the_field,
    an_index_whose_options_changed_is_built_again,
    deleted_documents_stay_out_of_finds_and_counts,
    a_store_serves_the_first_log_it_is_bound_to,
    a_reset_projection_starts_again_from_nothing;
    mongodb only:
    a_checkpoint_written_as_a_double_is_read,
    a_promote_retried_after_it_renamed_keeps_the_promoted_documents,
    a_late_writer_cannot_bring_a_deleted_document_back,
    a_late_writer_cannot_delete_a_newer_document,
    an_update_where_applied_again_changes_nothing,
);

fn doc(value: Value) -> Document {
    value.as_object().cloned().expect("an object")
}

fn item(id: &str, tenant: &str, status: &str, created: &str, count: i64) -> Document {
    doc(json!({
        "_id": id, "userId": tenant, "status": status, "createdAt": created, "count": count,
        "window": { "startTime": "2026-12-01T09:00:00.000Z", "label": "first" },
        "tags": ["a", "b"], "flag": true, "note": null, "ratio": 0.5,
    }))
}

fn put(document: Document) -> Change {
    let id = document["_id"].as_str().unwrap().to_owned();
    Change::Put {
        collection: &ITEMS,
        id,
        document,
    }
}

fn batch(generation: Generation, from: u64, to: u64, changes: Vec<Change>) -> ChangeBatch {
    let stamped = changes
        .into_iter()
        .zip(0u32..)
        .map(|(change, index)| {
            (
                Stamp {
                    position: to,
                    index,
                },
                change,
            )
        })
        .collect();
    ChangeBatch {
        projection: PROJECTION,
        generation,
        expected_checkpoint: from,
        checkpoint: to,
        changes: stamped,
    }
}

/// A plain draft of the tenant `acme`, for cases where only its id matters.
fn draft(id: &str) -> Change {
    put(item(id, "acme", "draft", "2026-11-21T12:00:00.000Z", 1))
}

async fn prepared_rebuild(store: &Arc<dyn ReadStore>) {
    store
        .prepare(&COLLECTIONS, Generation::Rebuild)
        .await
        .unwrap();
}

async fn prepared(store: &Arc<dyn ReadStore>) {
    store.prepare(&COLLECTIONS, Generation::Live).await.unwrap();
}

async fn apply(store: &Arc<dyn ReadStore>, from: u64, to: u64, changes: Vec<Change>) {
    assert_eq!(
        store
            .apply(batch(Generation::Live, from, to, changes))
            .await
            .unwrap(),
        ApplyOutcome::Applied
    );
}

async fn all(store: &Arc<dyn ReadStore>) -> Vec<Document> {
    store
        .find(&FindQuery::new(&ITEMS, vec![]))
        .await
        .unwrap()
        .documents
}

async fn a_new_projection_starts_at_position_zero(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        0
    );
    assert!(all(&store).await.is_empty());
}

async fn put_documents_read_back_as_written(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let written = item("a", "acme", "draft", "2026-11-21T12:00:00.000Z", 3);
    apply(&store, 0, 1, vec![put(written.clone())]).await;
    assert_eq!(all(&store).await, vec![written]);
}

async fn put_replaces_a_document(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(
        &store,
        0,
        1,
        vec![put(item(
            "a",
            "acme",
            "draft",
            "2026-11-21T12:00:00.000Z",
            3,
        ))],
    )
    .await;
    let replacement = doc(json!({ "_id": "a", "userId": "acme", "status": "running" }));
    apply(&store, 1, 2, vec![put(replacement.clone())]).await;
    assert_eq!(all(&store).await, vec![replacement]);
}

/// Many changes to the same documents in one batch (as a projection
/// catching up writes them) end as if applied one by one: guarded updates
/// see the updates before them, a delete removes what was put earlier in
/// the batch, and an update of a deleted document does nothing.
async fn the_changes_of_one_batch_apply_in_their_order(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let guarded = |run: i64, set: Value| Change::UpdateWhere {
        collection: &ITEMS,
        conditions: vec![
            Condition::Equals("_id", json!("a")),
            Condition::Equals("run", json!(run)),
        ],
        set: doc(set),
        increment: vec![("count", 10)],
    };
    let counted = |id: &str, by: i64| Change::Update {
        collection: &ITEMS,
        id: id.into(),
        set: doc(json!({})),
        increment: vec![("count", by)],
    };
    let changes = vec![
        put(doc(
            json!({ "_id": "a", "userId": "acme", "status": "draft", "count": 1, "run": 1 }),
        )),
        counted("a", 2),
        guarded(2, json!({ "stale": true })),
        guarded(1, json!({ "run": 2 })),
        guarded(2, json!({ "second": true })),
        put(doc(
            json!({ "_id": "b", "userId": "acme", "status": "gone", "count": 0 }),
        )),
        Change::DeleteWhere {
            collection: &ITEMS,
            conditions: vec![Condition::Equals("status", json!("gone"))],
        },
        counted("b", 1),
        Change::UpdateWhere {
            collection: &ITEMS,
            conditions: vec![Condition::Equals("userId", json!("acme"))],
            set: doc(json!({ "seen": true })),
            increment: vec![],
        },
        counted("a", 100),
    ];
    apply(&store, 0, 1, changes).await;
    assert_eq!(
        all(&store).await,
        vec![doc(json!({
            "_id": "a", "userId": "acme", "status": "draft", "count": 123, "run": 2,
            "second": true, "seen": true,
        }))]
    );
}

async fn updates_set_fields_and_add_to_counters(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(
        &store,
        0,
        1,
        vec![put(item(
            "a",
            "acme",
            "draft",
            "2026-11-21T12:00:00.000Z",
            3,
        ))],
    )
    .await;
    let update = Change::Update {
        collection: &ITEMS,
        id: "a".into(),
        set: doc(
            json!({ "status": "running", "window": { "startTime": "2026-12-02T09:00:00.000Z", "label": "second" } }),
        ),
        increment: vec![("count", 2), ("fresh", 1)],
    };
    apply(&store, 1, 2, vec![update]).await;
    let found = &all(&store).await[0];
    assert_eq!(found["status"], json!("running"));
    assert_eq!(found["count"], json!(5));
    assert_eq!(found["fresh"], json!(1));
    assert_eq!(
        found["window"],
        json!({ "startTime": "2026-12-02T09:00:00.000Z", "label": "second" })
    );
    assert_eq!(found["createdAt"], json!("2026-11-21T12:00:00.000Z"));
}

async fn an_update_of_a_missing_document_does_nothing(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let update = Change::Update {
        collection: &ITEMS,
        id: "ghost".into(),
        set: doc(json!({ "status": "x" })),
        increment: vec![("count", 1)],
    };
    apply(&store, 0, 1, vec![update]).await;
    assert!(all(&store).await.is_empty());
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        1
    );
}

async fn delete_where_removes_only_matching_documents(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = vec![
        draft("a"),
        put(item("b", "acme", "running", "2026-11-21T12:00:01.000Z", 1)),
        put(item("c", "globex", "draft", "2026-11-21T12:00:02.000Z", 1)),
    ];
    apply(&store, 0, 1, items).await;
    let delete = Change::DeleteWhere {
        collection: &ITEMS,
        conditions: vec![
            Condition::Equals("userId", json!("acme")),
            Condition::Equals("status", json!("draft")),
        ],
    };
    apply(&store, 1, 2, vec![delete]).await;
    let ids: Vec<Value> = all(&store).await.iter().map(|d| d["_id"].clone()).collect();
    assert_eq!(ids, [json!("b"), json!("c")]);
}

async fn update_where_changes_only_matching_documents(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = vec![
        draft("a"),
        put(item("b", "acme", "running", "2026-11-21T12:00:01.000Z", 1)),
        put(item("c", "globex", "draft", "2026-11-21T12:00:02.000Z", 1)),
    ];
    apply(&store, 0, 1, items).await;
    let update = Change::UpdateWhere {
        collection: &ITEMS,
        conditions: vec![
            Condition::Equals("status", json!("draft")),
            Condition::Equals("note", Value::Null),
        ],
        set: doc(json!({ "status": "stopped", "createdAt": "2026-11-22T00:00:00.000Z" })),
        increment: vec![("count", 10)],
    };
    let guarded_miss = Change::UpdateWhere {
        collection: &ITEMS,
        conditions: vec![
            Condition::Equals("_id", json!("b")),
            Condition::Equals("status", json!("draft")),
        ],
        set: doc(json!({ "status": "wrong" })),
        increment: vec![("count", 100)],
    };
    apply(&store, 1, 2, vec![update, guarded_miss]).await;
    let found: Vec<(Value, Value, Value)> = all(&store)
        .await
        .iter()
        .map(|d| (d["_id"].clone(), d["status"].clone(), d["count"].clone()))
        .collect();
    assert_eq!(
        found,
        [
            (json!("a"), json!("stopped"), json!(11)),
            (json!("b"), json!("running"), json!(1)),
            (json!("c"), json!("stopped"), json!(11)),
        ]
    );
    let moved = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![Condition::AtLeast(
                "createdAt",
                json!("2026-11-22T00:00:00.000Z"),
            )],
        ))
        .await
        .unwrap();
    assert_eq!(moved.total, 2, "dates set by an update stay dates");
}

async fn a_batch_moves_the_checkpoint(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 7, vec![draft("a")]).await;
    apply(&store, 7, 9, vec![]).await;
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        9
    );
}

async fn a_batch_for_a_moved_checkpoint_changes_nothing(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let first = item("a", "acme", "draft", "2026-11-21T12:00:00.000Z", 1);
    apply(&store, 0, 5, vec![put(first.clone())]).await;

    let stale = batch(
        Generation::Live,
        3,
        8,
        vec![put(item(
            "a",
            "acme",
            "running",
            "2026-11-21T12:00:00.000Z",
            9,
        ))],
    );
    let outcome = store.apply(stale).await.unwrap();

    assert_eq!(outcome, ApplyOutcome::CheckpointMoved { stored: 5 });
    assert_eq!(all(&store).await, vec![first]);
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        5
    );
}

async fn find_filters_sorts_pages_and_counts(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = (0..7)
        .map(|i| {
            let tenant = if i < 5 { "acme" } else { "globex" };
            let status = if i % 2 == 0 { "draft" } else { "running" };
            put(item(
                &format!("i{i}"),
                tenant,
                status,
                &format!("2026-11-21T12:00:0{i}.000Z"),
                i,
            ))
        })
        .collect();
    apply(&store, 0, 1, items).await;
    let query = FindQuery {
        collection: &ITEMS,
        conditions: vec![
            Condition::Equals("userId", json!("acme")),
            Condition::OneOf("status", vec![json!("draft"), json!("running")]),
        ],
        sort: vec![("createdAt", SortOrder::Descending)],
        skip: 1,
        limit: Some(2),
        ..FindQuery::new(&ITEMS, vec![])
    };
    let page = store.find(&query).await.unwrap();
    let ids: Vec<Value> = page.documents.iter().map(|d| d["_id"].clone()).collect();
    assert_eq!(ids, [json!("i3"), json!("i2")]);
    assert_eq!(page.total, 5);

    let drafts = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![
                Condition::Equals("status", json!("draft")),
                Condition::Equals("userId", json!("acme")),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(drafts.total, 3);
    let by_number = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![
                Condition::AtLeast("count", json!(2)),
                Condition::Below("count", json!(4)),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(
        by_number
            .documents
            .iter()
            .map(|d| d["_id"].clone())
            .collect::<Vec<_>>(),
        [json!("i2"), json!("i3")]
    );
    let by_null = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![
                Condition::Equals("note", Value::Null),
                Condition::Equals("flag", json!(true)),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(by_null.total, 7);
    let nested = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![Condition::Equals("window.label", json!("first"))],
        ))
        .await
        .unwrap();
    assert_eq!(nested.total, 7);
}

/// Pages that each start after the last document of the one before (its
/// sort values), with ties on the first sort field broken by the id, give
/// every document once, in order; each page's total counts the whole list.
async fn keyset_pages_walk_the_whole_list_once_in_either_order(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = (0..9)
        .map(|i| {
            // Three documents share each time.
            let created = format!("2026-11-21T12:00:0{}.000Z", i / 3);
            put(item(&format!("k{i}"), "acme", "draft", &created, i))
        })
        .chain([put(item(
            "other",
            "globex",
            "draft",
            "2026-11-21T12:00:00.000Z",
            0,
        ))])
        .collect();
    apply(&store, 0, 1, items).await;
    for order in [SortOrder::Descending, SortOrder::Ascending] {
        let sort = vec![("createdAt", order), ("_id", order)];
        let mut walked = Vec::new();
        let mut position: Option<Vec<Value>> = None;
        loop {
            let query = FindQuery {
                sort: sort.clone(),
                limit: Some(2),
                page_conditions: position
                    .iter()
                    .map(|p| Condition::after(&sort, p))
                    .collect(),
                ..FindQuery::new(&ITEMS, vec![Condition::Equals("userId", json!("acme"))])
            };
            let page = store.find(&query).await.unwrap();
            assert_eq!((page.total, page.total_exact), (9, true), "{order:?}");
            let Some(last) = page.documents.last() else {
                break;
            };
            position = Some(vec![last["createdAt"].clone(), last["_id"].clone()]);
            walked.extend(page.documents.iter().map(|d| d["_id"].clone()));
        }
        let mut expected: Vec<Value> = (0..9).map(|i| json!(format!("k{i}"))).collect();
        if order == SortOrder::Descending {
            expected.reverse();
        }
        assert_eq!(walked, expected, "{order:?}");
    }
}

/// A count told to stop at a limit reads no further, and says so.
async fn a_capped_count_says_it_is_not_exact(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = (0..5)
        .map(|i| {
            put(item(
                &format!("c{i}"),
                "acme",
                "draft",
                "2026-11-21T12:00:00.000Z",
                i,
            ))
        })
        .collect();
    apply(&store, 0, 1, items).await;
    let capped = |count_limit| FindQuery {
        limit: Some(2),
        count_limit,
        ..FindQuery::new(&ITEMS, vec![Condition::Equals("userId", json!("acme"))])
    };
    let page = store.find(&capped(Some(3))).await.unwrap();
    assert_eq!((page.total, page.total_exact), (3, false));
    assert_eq!(page.documents.len(), 2);
    let page = store.find(&capped(Some(5))).await.unwrap();
    assert_eq!(
        (page.total, page.total_exact),
        (5, false),
        "a count at the cap may go on"
    );
    let page = store.find(&capped(Some(6))).await.unwrap();
    assert_eq!((page.total, page.total_exact), (5, true));
    let page = store.find(&capped(None)).await.unwrap();
    assert_eq!((page.total, page.total_exact), (5, true));
}

async fn dates_compare_as_times(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    let items = vec![
        put(item(
            "early",
            "acme",
            "draft",
            "2026-11-21T09:00:00.000Z",
            1,
        )),
        put(item("late", "acme", "draft", "2026-11-21T18:00:00.000Z", 1)),
    ];
    apply(&store, 0, 1, items).await;
    let query = FindQuery::new(
        &ITEMS,
        vec![Condition::AtLeast(
            "createdAt",
            json!("2026-11-21T12:00:00.000Z"),
        )],
    );
    let found = store.find(&query).await.unwrap();
    assert_eq!(
        found
            .documents
            .iter()
            .map(|d| d["_id"].clone())
            .collect::<Vec<_>>(),
        [json!("late")]
    );
    assert_eq!(
        found.documents[0]["createdAt"],
        json!("2026-11-21T18:00:00.000Z")
    );
    assert_eq!(
        found.documents[0]["window"]["startTime"],
        json!("2026-12-01T09:00:00.000Z")
    );
}

async fn preparing_twice_is_harmless(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 1, vec![draft("a")]).await;
    prepared(&store).await;
    assert_eq!(all(&store).await.len(), 1);
}

async fn a_rebuild_is_invisible_until_promoted(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 4, vec![draft("old")]).await;
    store
        .discard_rebuild(PROJECTION, &COLLECTIONS)
        .await
        .unwrap();
    prepared_rebuild(&store).await;
    let rebuilt = store
        .apply(batch(Generation::Rebuild, 0, 6, vec![draft("new")]))
        .await
        .unwrap();
    assert_eq!(rebuilt, ApplyOutcome::Applied);
    assert_eq!(all(&store).await[0]["_id"], json!("old"));

    let promoted = store.promote(PROJECTION, &COLLECTIONS).await.unwrap();

    assert_eq!(promoted, PromoteOutcome::Promoted { checkpoint: 6 });
    assert_eq!(
        all(&store)
            .await
            .iter()
            .map(|d| d["_id"].clone())
            .collect::<Vec<_>>(),
        [json!("new")]
    );
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        6
    );
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Rebuild)
            .await
            .unwrap(),
        0
    );
    apply(&store, 6, 7, vec![draft("after")]).await;
    assert_eq!(all(&store).await.len(), 2);
}

async fn a_rebuild_behind_the_live_projection_is_not_promoted(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 9, vec![draft("live")]).await;
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 4, vec![]))
        .await
        .unwrap();

    let outcome = store.promote(PROJECTION, &COLLECTIONS).await.unwrap();

    assert_eq!(
        outcome,
        PromoteOutcome::Behind {
            rebuild: 4,
            live: 9
        }
    );
    assert_eq!(all(&store).await[0]["_id"], json!("live"));
}

async fn a_promoted_rebuild_without_documents_empties_the_collection(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 2, vec![draft("gone")]).await;
    store
        .discard_rebuild(PROJECTION, &COLLECTIONS)
        .await
        .unwrap();
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 3, vec![]))
        .await
        .unwrap();

    assert_eq!(
        store.promote(PROJECTION, &COLLECTIONS).await.unwrap(),
        PromoteOutcome::Promoted { checkpoint: 3 }
    );
    assert!(all(&store).await.is_empty());
}

async fn a_discarded_rebuild_starts_over(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 3, vec![draft("x")]))
        .await
        .unwrap();

    store
        .discard_rebuild(PROJECTION, &COLLECTIONS)
        .await
        .unwrap();

    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Rebuild)
            .await
            .unwrap(),
        0
    );
    prepared_rebuild(&store).await;
    assert_eq!(
        store.promote(PROJECTION, &COLLECTIONS).await.unwrap(),
        PromoteOutcome::Promoted { checkpoint: 0 }
    );
    assert!(all(&store).await.is_empty());
}

// ------------------------------------------------ deletes, indexes, promotes

fn account(id: &str, email: &str, code: Option<&str>) -> Change {
    let mut document = doc(json!({ "_id": id, "email": email }));
    if let Some(code) = code {
        document.insert("code".into(), json!(code));
    }
    Change::Put {
        collection: &ACCOUNTS,
        id: id.into(),
        document,
    }
}

async fn accounts(store: &Arc<dyn ReadStore>) -> Vec<Value> {
    let found = store
        .find(&FindQuery::new(&ACCOUNTS, vec![]))
        .await
        .unwrap();
    found.documents.iter().map(|d| d["_id"].clone()).collect()
}

async fn a_promote_asked_again_keeps_the_promoted_documents(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 6, vec![draft("rebuilt")]))
        .await
        .unwrap();
    store.promote(PROJECTION, &COLLECTIONS).await.unwrap();

    store.promote(PROJECTION, &COLLECTIONS).await.unwrap();

    assert_eq!(all(&store).await[0]["_id"], json!("rebuilt"));
}

async fn a_clash_on_another_unique_index_fails_the_batch_and_keeps_the_checkpoint(
    store: Arc<dyn ReadStore>,
) {
    store.prepare(&[&ACCOUNTS], Generation::Live).await.unwrap();
    apply(&store, 0, 1, vec![account("a", "ann@example.com", None)]).await;

    let clash = batch(
        Generation::Live,
        1,
        2,
        vec![account("b", "ann@example.com", None)],
    );
    let outcome = store.apply(clash).await;

    assert!(
        outcome.is_err(),
        "the clash was taken as applied: {outcome:?}"
    );
    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        1
    );
    assert_eq!(accounts(&store).await, [json!("a")]);
}

async fn a_sparse_unique_index_holds_any_number_of_documents_without_the_field(
    store: Arc<dyn ReadStore>,
) {
    store.prepare(&[&ACCOUNTS], Generation::Live).await.unwrap();
    let without_codes = vec![
        account("a", "a@example.com", None),
        account("b", "b@example.com", None),
        account("c", "c@example.com", Some("VIP")),
    ];
    apply(&store, 0, 1, without_codes).await;

    let same_code = batch(
        Generation::Live,
        1,
        2,
        vec![account("d", "d@example.com", Some("VIP"))],
    );

    assert_eq!(accounts(&store).await.len(), 3);
    assert!(
        store.apply(same_code).await.is_err(),
        "a code is still held once"
    );
}

async fn an_index_whose_options_changed_is_built_again(store: Arc<dyn ReadStore>) {
    store
        .prepare(&[&ACCOUNTS_BEFORE], Generation::Live)
        .await
        .unwrap();
    apply(&store, 0, 1, vec![account("a", "ann@example.com", None)]).await;

    store
        .prepare(&[&ACCOUNTS], Generation::Live)
        .await
        .expect("a changed index does not stop start-up");

    let clash = batch(
        Generation::Live,
        1,
        2,
        vec![account("b", "ann@example.com", None)],
    );
    assert!(store.apply(clash).await.is_err(), "the index is unique now");
}

async fn deleted_documents_stay_out_of_finds_and_counts(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 1, vec![draft("a"), draft("b")]).await;
    let delete = Change::DeleteWhere {
        collection: &ITEMS,
        conditions: vec![Condition::Equals("_id", json!("a"))],
    };
    apply(&store, 1, 2, vec![delete]).await;

    let drafts = store
        .find(&FindQuery::new(
            &ITEMS,
            vec![Condition::Equals("userId", json!("acme"))],
        ))
        .await
        .unwrap();

    assert_eq!(drafts.total, 1);
    assert_eq!(drafts.documents.len(), 1);
    assert_eq!(drafts.documents[0]["_id"], json!("b"));
    apply(&store, 2, 3, vec![draft("a")]).await;
    assert_eq!(all(&store).await.len(), 2, "a newer put brings it back");
}

async fn a_store_serves_the_first_log_it_is_bound_to(store: Arc<dyn ReadStore>) {
    assert_eq!(store.bind_log("log-a").await.unwrap(), LogBinding::Bound);
    assert_eq!(store.bind_log("log-a").await.unwrap(), LogBinding::Bound);
    assert_eq!(
        store.bind_log("log-b").await.unwrap(),
        LogBinding::Foreign("log-a".into())
    );

    store.rebind_log("log-b").await.unwrap();

    assert_eq!(store.bind_log("log-b").await.unwrap(), LogBinding::Bound);
    assert_eq!(
        store.bind_log("log-a").await.unwrap(),
        LogBinding::Foreign("log-b".into())
    );
}

async fn a_reset_projection_starts_again_from_nothing(store: Arc<dyn ReadStore>) {
    prepared(&store).await;
    apply(&store, 0, 5, vec![draft("a")]).await;
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 3, vec![draft("b")]))
        .await
        .unwrap();

    store.reset(PROJECTION, &COLLECTIONS).await.unwrap();
    prepared(&store).await;

    assert!(all(&store).await.is_empty());
    for generation in [Generation::Live, Generation::Rebuild] {
        assert_eq!(store.checkpoint(PROJECTION, generation).await.unwrap(), 0);
    }
    apply(&store, 0, 1, vec![draft("c")]).await;
}

// ------------------------------------------------------------- MongoDB only

async fn a_checkpoint_written_as_a_double_is_read(
    store: Arc<dyn ReadStore>,
    raw: driver::Database,
) {
    prepared(&store).await;
    raw.collection::<driver::bson::Document>("herald_checkpoints")
        .insert_one(driver::bson::doc! { "_id": PROJECTION, "position": 7.0 })
        .await
        .unwrap();

    assert_eq!(
        store
            .checkpoint(PROJECTION, Generation::Live)
            .await
            .unwrap(),
        7
    );
    apply(&store, 7, 8, vec![draft("a")]).await;
}

async fn a_promote_retried_after_it_renamed_keeps_the_promoted_documents(
    store: Arc<dyn ReadStore>,
    raw: driver::Database,
) {
    prepared(&store).await;
    prepared_rebuild(&store).await;
    store
        .apply(batch(Generation::Rebuild, 0, 6, vec![draft("rebuilt")]))
        .await
        .unwrap();
    store.promote(PROJECTION, &COLLECTIONS).await.unwrap();
    // As if the first attempt had renamed the collections and died before
    // it cleared the rebuild's checkpoint, or a second node promoted too.
    raw.collection::<driver::bson::Document>("herald_checkpoints")
        .insert_one(driver::bson::doc! { "_id": "contract__rebuild", "position": 6_i64 })
        .await
        .unwrap();

    store.promote(PROJECTION, &COLLECTIONS).await.unwrap();

    assert_eq!(
        all(&store).await.len(),
        1,
        "the promoted documents are still there"
    );
}

/// A second writer that read the checkpoint before the first moved it, as
/// a node that fell behind does: its own checkpoint key lets its batch
/// through the checkpoint check, and only the documents' stamps stand in
/// its way.
fn late_batch(from: u64, to: u64, changes: Vec<Change>) -> ChangeBatch {
    ChangeBatch {
        projection: "contract_late_writer",
        ..batch(Generation::Live, from, to, changes)
    }
}

async fn a_late_writer_cannot_bring_a_deleted_document_back(
    store: Arc<dyn ReadStore>,
    _raw: driver::Database,
) {
    prepared(&store).await;
    apply(&store, 0, 6, vec![draft("gone")]).await;
    let delete = Change::DeleteWhere {
        collection: &ITEMS,
        conditions: vec![Condition::Equals("_id", json!("gone"))],
    };
    apply(&store, 6, 7, vec![delete]).await;

    let stale_put = late_batch(0, 6, vec![draft("gone")]);
    store.apply(stale_put).await.unwrap();

    assert!(
        all(&store).await.is_empty(),
        "the deleted document came back"
    );
}

/// A batch applied again after a crash (before its checkpoint moved) adds
/// nothing twice: the stamps on the documents tell what was applied.
async fn an_update_where_applied_again_changes_nothing(
    store: Arc<dyn ReadStore>,
    _raw: driver::Database,
) {
    prepared(&store).await;
    apply(&store, 0, 3, vec![draft("a"), draft("b")]).await;
    let increment = || {
        vec![Change::UpdateWhere {
            collection: &ITEMS,
            conditions: vec![Condition::Equals("status", json!("draft"))],
            set: Document::new(),
            increment: vec![("count", 1)],
        }]
    };
    apply(&store, 3, 4, increment()).await;
    // The same changes, as a writer that had not seen the checkpoint move
    // applies them (same positions, so the same stamps).
    let again = late_batch(0, 4, increment());
    store.apply(again).await.unwrap();
    let counts: Vec<Value> = all(&store)
        .await
        .iter()
        .map(|d| d["count"].clone())
        .collect();
    assert_eq!(counts, [json!(2), json!(2)]);
}

async fn a_late_writer_cannot_delete_a_newer_document(
    store: Arc<dyn ReadStore>,
    _raw: driver::Database,
) {
    prepared(&store).await;
    apply(&store, 0, 9, vec![draft("new")]).await;

    let stale_delete = late_batch(
        0,
        5,
        vec![Change::DeleteWhere {
            collection: &ITEMS,
            conditions: vec![Condition::Equals("status", json!("draft"))],
        }],
    );
    store.apply(stale_delete).await.unwrap();

    assert_eq!(all(&store).await.len(), 1, "a newer document was deleted");
}
