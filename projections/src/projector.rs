//! What a projector is.

use herald_application::ports::event_feed::RecordedCommit;
use herald_application::ports::read_store::{Change, CollectionSpec};

#[derive(Debug, Clone, thiserror::Error)]
#[error("projection {projection} cannot read commit {position}: {message}")]
pub struct ProjectionError {
    pub projection: &'static str,
    pub position: u64,
    pub message: String,
}

/// Turns commits into changes of its collections. Projectors are pure: the
/// same commit always gives the same changes, so a projection rebuilt from
/// position 0 equals the live one, and replaying a commit is safe.
pub trait Projector: Send + Sync {
    fn name(&self) -> &'static str;

    fn collections(&self) -> &'static [&'static CollectionSpec];

    /// The aggregate types whose commits change these read models; the
    /// runner passes by the others without reading them.
    fn follows(&self) -> &'static [&'static str];

    /// The changes a commit makes, in order; none for commits this
    /// projection does not follow.
    ///
    /// # Errors
    /// When an event of a followed aggregate does not read back.
    fn project(&self, commit: &RecordedCommit) -> Result<Vec<Change>, ProjectionError>;
}
