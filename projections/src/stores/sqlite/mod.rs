//! The embedded SQLite read store.
//!
//! Each collection is a table of `(id, doc)` rows, `doc` being the document
//! in SQLite's binary JSON (JSONB, read back as text with `json(doc)`;
//! rows written as text by earlier versions read the same); each seed
//! index is an index on `json_extract(doc, ...)` expressions, which SQLite
//! uses when a query names the same expression. Binary JSON is what makes
//! those expressions cheap: as text, every index of every write and every
//! condition an index does not answer parsed the whole document again.
//! One connection writes (projections are the only writers); a fixed pool
//! of connections reads, side by side thanks to WAL mode. Under load, reads
//! wait for a connection of the pool (without holding a thread); no more
//! connections are ever opened, so memory stays flat however many wait.

mod binding;
mod query;
mod schema;
mod write;

use async_trait::async_trait;
use herald_application::ports::read_store::{
    ApplyOutcome, ChangeBatch, CollectionSpec, FindQuery, Generation, LogBinding, Page,
    PromoteOutcome, ReadStore, ReadStoreError,
};
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// The reading connections: about one per core keeps the cores busy, and
/// each holds its own page cache.
const READERS: usize = 4;

#[derive(Clone)]
pub struct SqliteReadStore {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    /// Idle reading connections; never more than [`READERS`] exist, since
    /// one is opened only with a turn and goes back when the turn ends.
    readers: Mutex<Vec<Connection>>,
    reading_turns: Arc<Semaphore>,
    /// Reading connections opened since start.
    readers_opened: AtomicUsize,
}

impl SqliteReadStore {
    /// Opens (creating if needed) the database file at `path`.
    ///
    /// # Errors
    /// When the file or its folder cannot be created or opened.
    pub fn open(path: &Path) -> Result<Self, ReadStoreError> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| ReadStoreError(format!("cannot create {}: {e}", parent.display())))?;
        }
        let writer = Connection::open(path)
            .map_err(|e| ReadStoreError(format!("cannot open {}: {e}", path.display())))?;
        configure(&writer)?;
        writer
            .execute_batch("PRAGMA journal_mode = WAL;")
            .map_err(ReadStoreError::new)?;
        schema::create_checkpoints(&writer)?;
        binding::create_meta(&writer)?;
        Ok(Self {
            inner: Arc::new(Inner {
                path: path.to_owned(),
                writer: Mutex::new(writer),
                readers: Mutex::new(Vec::new()),
                reading_turns: Arc::new(Semaphore::new(READERS)),
                readers_opened: AtomicUsize::new(0),
            }),
        })
    }

    /// Runs `work` on the writing connection, off the async threads.
    async fn write<T, F>(&self, work: F) -> Result<T, ReadStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, ReadStoreError> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let mut writer = inner
                .writer
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            work(&mut writer)
        })
        .await
    }

    /// Runs `work` on a reading connection from the pool.
    async fn read<T, F>(&self, work: F) -> Result<T, ReadStoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, ReadStoreError> + Send + 'static,
    {
        let turn = Arc::clone(&self.inner.reading_turns)
            .acquire_owned()
            .await
            .map_err(|_| ReadStoreError("the read store is closed".into()))?;
        let inner = Arc::clone(&self.inner);
        blocking(move || {
            let connection = inner.take_reader()?;
            let result = work(&connection);
            inner.return_reader(connection);
            drop(turn);
            result
        })
        .await
    }
}

impl SqliteReadStore {
    /// How SQLite runs `query`'s page and count, step by step: for checking
    /// that every list the API offers is served from an index.
    ///
    /// # Errors
    /// When the query cannot be planned.
    pub async fn query_plan(&self, query: &FindQuery) -> Result<Vec<String>, ReadStoreError> {
        let query = query.clone();
        self.read(move |db| query::plan(db, &query)).await
    }
}

impl Inner {
    fn take_reader(&self) -> Result<Connection, ReadStoreError> {
        if let Some(connection) = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop() {
            return Ok(connection);
        }
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let connection =
            Connection::open_with_flags(&self.path, flags).map_err(ReadStoreError::new)?;
        configure(&connection)?;
        self.readers_opened.fetch_add(1, Ordering::Relaxed);
        Ok(connection)
    }

    fn return_reader(&self, connection: Connection) {
        self.readers
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(connection);
    }
}

/// WAL with `synchronous = NORMAL` may lose the last commits on power loss,
/// never consistency; and since the checkpoint is in the same transaction,
/// lost changes are simply projected again.
///
/// Plans are kept stable (SQLite's QPSG): otherwise SQLite plans with the
/// value bound to a LIMIT, and prepares the statement again each time it
/// is bound, which undoes the statement cache. Every list's plan is checked
/// in `tests/tests/query_plans.rs`, whatever the values.
fn configure(connection: &Connection) -> Result<(), ReadStoreError> {
    connection
        .set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(ReadStoreError::new)?;
    connection
        .execute_batch("PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 10000;")
        .map_err(ReadStoreError::new)
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ReadStoreError> + Send + 'static,
) -> Result<T, ReadStoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| ReadStoreError(format!("read store task failed: {e}")))?
}

#[async_trait]
impl ReadStore for SqliteReadStore {
    async fn bind_log(&self, identity: &str) -> Result<LogBinding, ReadStoreError> {
        let identity = identity.to_owned();
        self.write(move |db| binding::bind(db, &identity)).await
    }

    async fn rebind_log(&self, identity: &str) -> Result<(), ReadStoreError> {
        let identity = identity.to_owned();
        self.write(move |db| binding::rebind(db, &identity)).await
    }

    async fn reset(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        let (projection, collections) = (projection.to_owned(), collections.to_vec());
        self.write(move |db| write::reset(db, &projection, &collections))
            .await
    }

    async fn store_id(&self) -> Result<String, ReadStoreError> {
        self.write(|db| binding::store_id(db)).await
    }

    async fn prepare(
        &self,
        collections: &[&'static CollectionSpec],
        generation: Generation,
    ) -> Result<(), ReadStoreError> {
        let collections = collections.to_vec();
        self.write(move |db| schema::create_collections(db, &collections, generation))
            .await
    }

    async fn discard_rebuild(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<(), ReadStoreError> {
        let (projection, collections) = (projection.to_owned(), collections.to_vec());
        self.write(move |db| write::discard_rebuild(db, &projection, &collections))
            .await
    }

    async fn checkpoint(
        &self,
        projection: &str,
        generation: Generation,
    ) -> Result<u64, ReadStoreError> {
        let projection = projection.to_owned();
        self.read(move |db| schema::read_checkpoint(db, &projection, generation))
            .await
    }

    async fn apply(&self, batch: ChangeBatch) -> Result<ApplyOutcome, ReadStoreError> {
        self.write(move |db| write::apply(db, &batch)).await
    }

    async fn promote(
        &self,
        projection: &str,
        collections: &[&'static CollectionSpec],
    ) -> Result<PromoteOutcome, ReadStoreError> {
        let (projection, collections) = (projection.to_owned(), collections.to_vec());
        self.write(move |db| write::promote(db, &projection, &collections))
            .await
    }

    async fn find(&self, query: &FindQuery) -> Result<Page, ReadStoreError> {
        let query = query.clone();
        self.read(move |db| query::find(db, &query)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_application::ports::read_store::{CollectionSpec, Generation, ReadStore};

    /// A collection without indexes, for tests of the store itself.
    static THINGS: CollectionSpec = CollectionSpec {
        name: "things",
        date_fields: &[],
        indexes: &[],
    };

    /// A store in a folder of its own, with [`THINGS`] prepared.
    async fn store_of_things() -> (tempfile::TempDir, SqliteReadStore) {
        let folder = tempfile::tempdir().unwrap();
        let store = SqliteReadStore::open(&folder.path().join("read.db")).unwrap();
        store.prepare(&[&THINGS], Generation::Live).await.unwrap();
        (folder, store)
    }

    /// However many reads come at once, the pool never opens more than its
    /// connections: each would hold a page cache, and under load they
    /// added up to gigabytes.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn many_reads_at_once_open_no_more_than_the_pools_connections() {
        let folder = tempfile::tempdir().unwrap();
        let store = SqliteReadStore::open(&folder.path().join("read.db")).unwrap();
        let reads = (0..200).map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .read(|db| {
                        std::thread::sleep(std::time::Duration::from_millis(2));
                        db.execute_batch("SELECT 1").map_err(ReadStoreError::new)
                    })
                    .await
            })
        });
        for read in futures::future::join_all(reads).await {
            read.unwrap().unwrap();
        }
        let opened = store.inner.readers_opened.load(Ordering::Relaxed);
        assert!(opened <= READERS, "{opened} reading connections opened");
    }

    /// A cached query runs again as it was prepared, whatever its limit:
    /// SQLite reads a bound LIMIT to plan with, and unless plans are kept
    /// stable it then prepares the statement again on every run (5.5 % of
    /// Herald's CPU while a campaign sent).
    #[tokio::test]
    async fn a_cached_query_is_not_prepared_again_when_run_again() {
        use herald_application::ports::read_store::{Condition, FindQuery};
        use rusqlite::StatementStatus;
        let (_folder, store) = store_of_things().await;
        let query = |limit: u64| {
            let mut query = FindQuery::new(&THINGS, vec![Condition::Equals("kind", "a".into())]);
            query.limit = Some(limit);
            query
        };
        let reprepared = store
            .read(move |db| {
                for limit in [10, 20, 10, 50] {
                    query::find(db, &query(limit))?;
                }
                let sql = query::page_statement(&query(10))?.sql;
                let statement = db.prepare_cached(&sql).map_err(ReadStoreError::new)?;
                Ok(statement.get_status(StatementStatus::RePrepare))
            })
            .await
            .unwrap();
        assert_eq!(reprepared, 0, "prepared again {reprepared} times");
    }

    /// Rows an earlier version wrote as JSON text read back, and match
    /// conditions, as rows written now in binary JSON do.
    #[tokio::test]
    async fn documents_written_as_text_read_as_those_written_now() {
        use herald_application::ports::read_store::{
            Change, ChangeBatch, Condition, FindQuery, Stamp,
        };
        use serde_json::json;
        let (_folder, store) = store_of_things().await;
        store
            .write(|db| {
                db.execute(
                    r#"INSERT INTO "things" (id, doc) VALUES ('old', '{"_id":"old","kind":"a"}')"#,
                    [],
                )
                .map_err(ReadStoreError::new)
            })
            .await
            .unwrap();
        let document = json!({"_id": "new", "kind": "a"})
            .as_object()
            .cloned()
            .unwrap();
        let batch = ChangeBatch {
            projection: "things",
            generation: Generation::Live,
            expected_checkpoint: 0,
            checkpoint: 1,
            changes: vec![(
                Stamp {
                    position: 1,
                    index: 0,
                },
                Change::Put {
                    collection: &THINGS,
                    id: "new".into(),
                    document,
                },
            )],
        };
        store.apply(batch).await.unwrap();
        let found = store
            .find(&FindQuery::new(
                &THINGS,
                vec![Condition::Equals("kind", json!("a"))],
            ))
            .await
            .unwrap();
        let ids: Vec<_> = found.documents.iter().map(|d| d["_id"].clone()).collect();
        assert_eq!(ids, [json!("new"), json!("old")]);
    }

    /// A rebuild is loaded with its unique indexes only; the others are
    /// built when it is promoted, and the live table has them all.
    #[tokio::test]
    async fn a_rebuild_gets_its_indexes_when_promoted() {
        use herald_application::ports::read_store::{
            CollectionSpec, Generation, IndexSpec, ReadStore, SortOrder,
        };
        static THINGS: CollectionSpec = CollectionSpec {
            name: "things",
            date_fields: &[],
            indexes: &[
                IndexSpec {
                    fields: &[("kind", SortOrder::Ascending)],
                    unique: false,
                    sparse: false,
                },
                IndexSpec {
                    fields: &[("code", SortOrder::Ascending)],
                    unique: true,
                    sparse: true,
                },
            ],
        };
        let folder = tempfile::tempdir().unwrap();
        let store = SqliteReadStore::open(&folder.path().join("read.db")).unwrap();
        let indexes = |table: &'static str| {
            let store = store.clone();
            async move {
                store
                    .read(move |db| {
                        let mut names = db
                            .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name")
                            .map_err(ReadStoreError::new)?;
                        let rows = names
                            .query_map([table], |row| row.get::<_, String>(0))
                            .map_err(ReadStoreError::new)?;
                        rows.collect::<Result<Vec<_>, _>>().map_err(ReadStoreError::new)
                    })
                    .await
                    .unwrap()
            }
        };
        store
            .prepare(&[&THINGS], Generation::Rebuild)
            .await
            .unwrap();
        let rebuilding = THINGS.physical_name(Generation::Rebuild);
        let during = indexes(Box::leak(rebuilding.into_boxed_str())).await;
        assert_eq!(during.len(), 1, "only the unique index: {during:?}");
        store.promote("things", &[&THINGS]).await.unwrap();
        assert_eq!(indexes("things").await.len(), 2);
    }
}
