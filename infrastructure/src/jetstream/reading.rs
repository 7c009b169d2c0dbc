//! Reading commits back from the stream, in order.

use async_nats::jetstream::consumer::{pull::OrderedConfig, DeliverPolicy};
use futures::StreamExt;

use super::envelope::CommitEnvelope;
use super::log::EventLog;

/// A commit and its stream position.
#[derive(Debug)]
pub struct StoredCommit {
    pub position: u64,
    pub envelope: CommitEnvelope,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("cannot read commits: {0}")]
pub struct ReadError(pub String);

impl ReadError {
    fn new(error: impl std::fmt::Display) -> Self {
        Self(error.to_string())
    }
}

pub(crate) fn deliver_from(position: u64) -> DeliverPolicy {
    if position <= 1 {
        DeliverPolicy::All
    } else {
        DeliverPolicy::ByStartSequence {
            start_sequence: position,
        }
    }
}

/// Every commit on `filter` from position `from` on, up to `until` if
/// given, and in any case no further than the last one recorded now.
///
/// # Errors
/// When the stream cannot be read or a commit does not parse.
pub async fn read_commits(
    log: &EventLog,
    filter: &str,
    from: u64,
    until: Option<u64>,
) -> Result<Vec<StoredCommit>, ReadError> {
    let config = OrderedConfig {
        filter_subject: filter.to_owned(),
        deliver_policy: deliver_from(from),
        ..Default::default()
    };
    let consumer = log
        .stream
        .create_consumer(config)
        .await
        .map_err(ReadError::new)?;
    if consumer.cached_info().num_pending == 0 {
        return Ok(Vec::new());
    }
    let mut messages = consumer.messages().await.map_err(ReadError::new)?;
    let mut commits = Vec::new();
    while let Some(message) = messages.next().await {
        let message = message.map_err(ReadError::new)?;
        let info = message.info().map_err(ReadError::new)?;
        let (position, pending) = (info.stream_sequence, info.pending);
        let envelope = serde_json::from_slice(&message.payload)
            .map_err(|e| ReadError(format!("commit {position} does not parse: {e}")))?;
        commits.push(StoredCommit { position, envelope });
        if pending == 0 || until.is_some_and(|until| position >= until) {
            break;
        }
    }
    Ok(commits)
}

/// Every commit on the one subject `subject` (an aggregate's) from position
/// `from` on, up to `until` if given, read message by message. No consumer
/// is made: a node loading thousands of aggregates a second would otherwise
/// leave as many consumers on the server until they time out, and the
/// server refuses new ones past its limit. An aggregate's commits are few,
/// and its snapshot covers the ones before.
///
/// # Errors
/// When the stream cannot be asked or a commit does not parse.
pub async fn read_subject(
    log: &EventLog,
    subject: &str,
    from: u64,
    until: Option<u64>,
) -> Result<Vec<StoredCommit>, ReadError> {
    use async_nats::jetstream::stream::RawMessageErrorKind;
    let mut commits = Vec::new();
    let mut next = from.max(1);
    while until.is_none_or(|until| next <= until) {
        let message = match log
            .stream
            .get_first_raw_message_by_subject(subject, next)
            .await
        {
            Ok(message) => message,
            Err(error) if error.kind() == RawMessageErrorKind::NoMessageFound => break,
            Err(error) => return Err(ReadError::new(error)),
        };
        if until.is_some_and(|until| message.sequence > until) {
            break;
        }
        let envelope = serde_json::from_slice(&message.payload)
            .map_err(|e| ReadError(format!("commit {} does not parse: {e}", message.sequence)))?;
        next = message.sequence + 1;
        commits.push(StoredCommit {
            position: message.sequence,
            envelope,
        });
    }
    Ok(commits)
}

/// The last commit on `subject`, if there is one.
///
/// # Errors
/// When the stream cannot be asked or the commit does not parse.
pub async fn last_commit(log: &EventLog, subject: &str) -> Result<Option<StoredCommit>, ReadError> {
    use async_nats::jetstream::stream::LastRawMessageErrorKind;
    match log.stream.get_last_raw_message_by_subject(subject).await {
        Ok(message) => {
            let envelope = serde_json::from_slice(&message.payload).map_err(|e| {
                ReadError(format!("commit {} does not parse: {e}", message.sequence))
            })?;
            Ok(Some(StoredCommit {
                position: message.sequence,
                envelope,
            }))
        }
        Err(error) if error.kind() == LastRawMessageErrorKind::NoMessageFound => Ok(None),
        Err(error) => Err(ReadError::new(error)),
    }
}
