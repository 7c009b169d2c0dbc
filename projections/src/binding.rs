//! A read store belongs to one event log. Pointed at another (a fresh NATS
//! beside an old database, a log restored from an older backup), its
//! checkpoints would name positions of the other log and its projections
//! would skip this one's first commits without a word. At start, Herald
//! binds the store to its log, or finds the mismatch and refuses to start,
//! or rebuilds every read model from this log, as the operator chose.

use herald_application::ports::event_feed::{EventFeed, FeedError};
use herald_application::ports::read_store::{Generation, LogBinding, ReadStore, ReadStoreError};
use std::sync::Arc;
use tracing::warn;

use crate::projector::Projector;

/// What to do with a read store that does not match the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnMismatch {
    /// Stop with a message saying what does not match.
    Refuse,
    /// Drop every read model and project it again from this log.
    Rebuild,
}

#[derive(Debug, thiserror::Error)]
pub enum BindingError {
    #[error("the read store was projected from another event log ({bound}), not from this one ({current}); point Herald at the log and the read store that belong together, or set HERALD_READ_STORE_ON_MISMATCH=rebuild to rebuild the read models from this log")]
    ForeignLog { bound: String, current: String },
    #[error("the read store's {projection} projection has reached position {checkpoint}, beyond this event log's last position {head}: the log is not the one the store was projected from, or was restored from an older backup; set HERALD_READ_STORE_ON_MISMATCH=rebuild to rebuild the read models from this log")]
    AheadOfLog {
        projection: &'static str,
        checkpoint: u64,
        head: u64,
    },
    #[error(transparent)]
    Store(#[from] ReadStoreError),
    #[error(transparent)]
    Feed(#[from] FeedError),
}

/// Binds `store` to the log behind `feed`, or deals with a mismatch as
/// `on_mismatch` says.
///
/// # Errors
/// A mismatch under [`OnMismatch::Refuse`]; the store or the log failing.
pub async fn bind_to_log(
    store: &dyn ReadStore,
    feed: &dyn EventFeed,
    projectors: &[Arc<dyn Projector>],
    on_mismatch: OnMismatch,
) -> Result<(), BindingError> {
    let identity = feed.identity().await?;
    let mismatch = match store.bind_log(&identity).await? {
        LogBinding::Foreign(bound) => Some(BindingError::ForeignLog {
            bound,
            current: identity.clone(),
        }),
        LogBinding::Bound => ahead_of_log(store, feed.head().await?, projectors).await?,
    };
    let Some(mismatch) = mismatch else {
        return Ok(());
    };
    if on_mismatch == OnMismatch::Refuse {
        return Err(mismatch);
    }
    warn!(%mismatch, "rebuilding every read model from this event log");
    for projector in projectors {
        store
            .reset(projector.name(), projector.collections())
            .await?;
        store
            .prepare(projector.collections(), Generation::Live)
            .await?;
    }
    store.rebind_log(&identity).await?;
    Ok(())
}

/// The first projection whose checkpoint is past the log's last position.
async fn ahead_of_log(
    store: &dyn ReadStore,
    head: u64,
    projectors: &[Arc<dyn Projector>],
) -> Result<Option<BindingError>, BindingError> {
    for projector in projectors {
        let checkpoint = store.checkpoint(projector.name(), Generation::Live).await?;
        if checkpoint > head {
            return Ok(Some(BindingError::AheadOfLog {
                projection: projector.name(),
                checkpoint,
                head,
            }));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaigns::CampaignProjector;
    use crate::stores::SqliteReadStore;
    use async_trait::async_trait;
    use futures::stream::BoxStream;
    use herald_application::ports::event_feed::RecordedCommit;
    use herald_application::ports::read_store::ChangeBatch;

    /// A log known only by its identity and its last position.
    struct Log {
        identity: &'static str,
        head: u64,
    }

    #[async_trait]
    impl EventFeed for Log {
        async fn subscribe(
            &self,
            _after: u64,
        ) -> Result<BoxStream<'static, Result<RecordedCommit, FeedError>>, FeedError> {
            Err(FeedError("not followed here".into()))
        }

        async fn head(&self) -> Result<u64, FeedError> {
            Ok(self.head)
        }

        async fn identity(&self) -> Result<String, FeedError> {
            Ok(self.identity.to_owned())
        }
    }

    fn projectors() -> Vec<Arc<dyn Projector>> {
        vec![Arc::new(CampaignProjector)]
    }

    /// A store bound to log "a" whose campaigns projection reached 40.
    async fn store_at_40(dir: &tempfile::TempDir) -> SqliteReadStore {
        let store = SqliteReadStore::open(&dir.path().join("read.sqlite3")).unwrap();
        let log = Log {
            identity: "a",
            head: 40,
        };
        bind_to_log(&store, &log, &projectors(), OnMismatch::Refuse)
            .await
            .unwrap();
        let batch = ChangeBatch {
            projection: "campaigns",
            generation: Generation::Live,
            expected_checkpoint: 0,
            checkpoint: 40,
            changes: Vec::new(),
        };
        store.apply(batch).await.unwrap();
        store
    }

    #[tokio::test]
    async fn a_log_restored_behind_the_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_at_40(&dir).await;
        let restored = Log {
            identity: "a",
            head: 30,
        };

        let refused = bind_to_log(&store, &restored, &projectors(), OnMismatch::Refuse).await;

        assert!(
            matches!(
                refused,
                Err(BindingError::AheadOfLog {
                    checkpoint: 40,
                    head: 30,
                    ..
                })
            ),
            "{refused:?}"
        );
    }

    #[tokio::test]
    async fn a_log_restored_behind_the_store_can_be_projected_again() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_at_40(&dir).await;
        let restored = Log {
            identity: "a",
            head: 30,
        };

        bind_to_log(&store, &restored, &projectors(), OnMismatch::Rebuild)
            .await
            .unwrap();

        let checkpoint = store
            .checkpoint("campaigns", Generation::Live)
            .await
            .unwrap();
        assert_eq!(checkpoint, 0, "projected again from the start");
    }

    #[tokio::test]
    async fn the_same_log_further_on_is_served() {
        let dir = tempfile::tempdir().unwrap();
        let store = store_at_40(&dir).await;
        let later = Log {
            identity: "a",
            head: 90,
        };

        bind_to_log(&store, &later, &projectors(), OnMismatch::Refuse)
            .await
            .unwrap();

        let checkpoint = store
            .checkpoint("campaigns", Generation::Live)
            .await
            .unwrap();
        assert_eq!(checkpoint, 40);
    }
}
