//! The read stores tests run on: the embedded SQLite store always, and a
//! MongoDB-wire server when `HERALD_TEST_MONGODB_URI` names one
//! (`scripts/test` starts SecantusDB for it). Under `CI=true`, a run
//! without that server fails rather than skip the MongoDB cases.

use herald_application::ports::read_store::ReadStore;
use herald_projections::stores::{MongoReadStore, SqliteReadStore};
use std::future::Future;
use std::sync::Arc;

/// The MongoDB server the tests use, if any.
///
/// # Panics
/// Under `CI=true` when `HERALD_TEST_MONGODB_URI` is not set: CI must not
/// pass without the MongoDB cases.
pub fn mongodb_uri() -> Option<String> {
    match std::env::var("HERALD_TEST_MONGODB_URI") {
        Ok(uri) if !uri.trim().is_empty() => Some(uri),
        _ if std::env::var("CI").is_ok_and(|ci| ci == "true") => {
            panic!("CI=true, and HERALD_TEST_MONGODB_URI is not set: run ./scripts/test, which starts a MongoDB-wire server")
        }
        _ => {
            eprintln!("MongoDB cases skipped: HERALD_TEST_MONGODB_URI is not set (./scripts/test sets it)");
            None
        }
    }
}

/// The read store a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreKind {
    Sqlite,
    MongoDb,
}

tokio::task_local! {
    static STORE: StoreKind;
}

/// The store of the test running in this task: SQLite unless the test
/// runs inside [`on`].
pub fn current() -> StoreKind {
    STORE.try_with(|kind| *kind).unwrap_or(StoreKind::Sqlite)
}

/// Runs `test` with `kind` as its store: every Herald and every store it
/// opens through this crate uses that kind.
pub async fn on<F: Future>(kind: StoreKind, test: F) -> F::Output {
    STORE.scope(kind, test).await
}

/// Points Herald's settings at the current kind of store: for MongoDB, the
/// test server and `database`; for SQLite, the data folder already in them.
pub fn point_at_store(settings: &mut herald_api::Settings, database: &str) {
    if current() == StoreKind::MongoDb {
        settings.mongodb_uri = mongodb_uri();
        settings.mongodb_database = database.to_owned();
    }
}

/// A MongoDB database name no other test uses.
pub fn fresh_database() -> String {
    format!("herald_test_{}", uuid::Uuid::new_v4().simple())
}

/// A read store of this test's own, of the current kind.
pub struct TestStore {
    pub store: Arc<dyn ReadStore>,
    mongo: Option<MongoReadStore>,
    _dir: Option<tempfile::TempDir>,
}

impl TestStore {
    /// # Panics
    /// When the store cannot be opened.
    pub async fn open() -> Self {
        match current() {
            StoreKind::Sqlite => {
                let dir = tempfile::tempdir().expect("a temporary folder");
                let store = SqliteReadStore::open(&dir.path().join("read.sqlite3"))
                    .expect("a SQLite store");
                Self {
                    store: Arc::new(store),
                    mongo: None,
                    _dir: Some(dir),
                }
            }
            StoreKind::MongoDb => {
                let uri = mongodb_uri().expect("a MongoDB test runs with a server");
                let mongo = MongoReadStore::connect(&uri, &fresh_database())
                    .await
                    .expect("the MongoDB server answers");
                Self {
                    store: Arc::new(mongo.clone()),
                    mongo: Some(mongo),
                    _dir: None,
                }
            }
        }
    }

    /// Drops a MongoDB store's database; a SQLite one goes with its folder.
    pub async fn remove(self) {
        if let Some(mongo) = self.mongo {
            let _ = mongo.drop_database().await;
        }
    }
}

/// Each test inside runs twice, once on SQLite and once on MongoDB (when
/// a server is there), from the one body: `name::sqlite` and
/// `name::mongodb`.
#[macro_export]
macro_rules! on_both_stores {
    ($(async fn $name:ident() $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::stores::on($crate::stores::StoreKind::Sqlite, async $body).await
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn mongodb() {
                    if $crate::stores::mongodb_uri().is_none() {
                        return;
                    }
                    $crate::stores::on($crate::stores::StoreKind::MongoDb, async $body).await
                }
            }
        )*
    };
}
