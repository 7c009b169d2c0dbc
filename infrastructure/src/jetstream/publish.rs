//! Recording a commit: optimistic concurrency on the aggregate's subject,
//! and a lost acknowledgement that neither loses nor doubles the commit.
//!
//! Every attempt carries the same `Nats-Msg-Id` (the command id) and the
//! same expected last subject sequence. If an acknowledgement is lost, the
//! next attempt either stores the commit (the first never arrived), or is
//! refused: JetStream checks the expected sequence before it looks for
//! duplicates, so a retry of a stored commit is refused as "wrong last
//! sequence". A refused retry is therefore checked against the commits
//! recorded since: if one of them carries our command id, it is ours.

use async_nats::jetstream::context::{PublishError, PublishErrorKind};
use async_nats::jetstream::message::PublishMessage;
use async_nats::jetstream::publish::PublishAck;
use async_nats::jetstream::ErrorCode;
use bytes::Bytes;
use herald_application::ports::event_store::{StoreFailure, StoreFailureKind};
use std::time::Duration;
use tracing::warn;

use super::envelope::AGGREGATE_TYPE;
use super::log::EventLog;
use super::reading::read_subject;

#[derive(Debug)]
pub enum PublishFailure {
    /// Another commit reached the aggregate first.
    Conflict,
    Failed(StoreFailure),
}

/// A commit ready to be sent.
pub struct Commit<'a> {
    pub subject: &'a str,
    pub command_id: &'a str,
    pub aggregate_type: &'a str,
    /// The stream position of the aggregate's last commit, 0 if none.
    pub expected_position: u64,
    pub body: Bytes,
}

/// Records `commit` and returns its stream position.
///
/// # Errors
/// `Conflict` when the aggregate moved on; `Failed` when the commit is too
/// large, the stream is missing, the command id was used before, or no
/// attempt was acknowledged (the outcome is then unknown).
pub async fn publish_commit(log: &EventLog, commit: &Commit<'_>) -> Result<u64, PublishFailure> {
    let attempts = log.config.publish_attempts.max(1);
    let mut last_error = String::new();
    for attempt in 1..=attempts {
        match send(log, commit).await {
            Ok(ack) if ack.duplicate && attempt == 1 => {
                return Err(failed(
                    StoreFailureKind::DuplicateCommand,
                    "this command was already recorded",
                ))
            }
            Ok(ack) => return Ok(ack.sequence),
            Err(error) if is_wrong_last_sequence(&error) && attempt == 1 => {
                return Err(PublishFailure::Conflict)
            }
            Err(error) if is_wrong_last_sequence(&error) => {
                return recorded_by_earlier_attempt(log, commit).await
            }
            Err(error) => match error.kind() {
                PublishErrorKind::MaxPayloadExceeded => {
                    return Err(failed(
                        StoreFailureKind::TooLarge,
                        "the command is too large to record; send it in smaller parts",
                    ))
                }
                PublishErrorKind::StreamNotFound => {
                    return Err(failed(
                        StoreFailureKind::Unavailable,
                        "the event stream does not exist",
                    ))
                }
                _ => {
                    warn!(attempt, %error, command_id = commit.command_id, "commit not acknowledged; sending it again under the same id");
                    last_error = error.to_string();
                    tokio::time::sleep(Duration::from_millis(50 * u64::from(attempt))).await;
                }
            },
        }
    }
    Err(failed(
        StoreFailureKind::OutcomeUnknown,
        format!("the event log did not confirm the command after {attempts} attempts ({last_error}); it may or may not have been recorded"),
    ))
}

/// Whether the server refused a publish for its expected last sequence.
/// A clustered stream answers code 10071 with the sequences, or 10164
/// without them; the client names only the first, so the second is read
/// from the error the server sent.
pub fn is_wrong_last_sequence(error: &PublishError) -> bool {
    if error.kind() == PublishErrorKind::WrongLastSequence {
        return true;
    }
    std::error::Error::source(error)
        .and_then(|source| source.downcast_ref::<async_nats::jetstream::Error>())
        .is_some_and(|server| server.error_code() == ErrorCode::STREAM_WRONG_LAST_SEQUENCE_CONSTANT)
}

async fn send(log: &EventLog, commit: &Commit<'_>) -> Result<PublishAck, PublishError> {
    let message = PublishMessage::build()
        .payload(commit.body.clone())
        .message_id(commit.command_id)
        .expected_last_subject_sequence(commit.expected_position)
        .header(AGGREGATE_TYPE, commit.aggregate_type);
    log.jetstream
        .send_publish(commit.subject.to_owned(), message)
        .await?
        .await
}

/// A retry was refused for its sequence: either an earlier attempt was
/// stored, or another command got there first. Only the commits recorded
/// since the expected position can tell.
async fn recorded_by_earlier_attempt(
    log: &EventLog,
    commit: &Commit<'_>,
) -> Result<u64, PublishFailure> {
    let since = read_subject(log, commit.subject, commit.expected_position + 1, None)
        .await
        .map_err(|e| {
            failed(
                StoreFailureKind::OutcomeUnknown,
                format!("the command may or may not have been recorded: {e}"),
            )
        })?;
    match since
        .iter()
        .find(|c| c.envelope.command_id == commit.command_id)
    {
        Some(ours) => Ok(ours.position),
        None => Err(PublishFailure::Conflict),
    }
}

fn failed(kind: StoreFailureKind, message: impl Into<String>) -> PublishFailure {
    PublishFailure::Failed(StoreFailure::new(kind, message))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(code: u32) -> PublishError {
        let answer = format!(r#"{{"code":400,"err_code":{code},"description":"refused"}}"#);
        let server: async_nats::jetstream::Error = serde_json::from_str(&answer).unwrap();
        PublishError::with_source(PublishErrorKind::Other, server)
    }

    #[test]
    fn both_of_the_servers_wrong_last_sequence_answers_are_known() {
        assert!(is_wrong_last_sequence(&PublishError::new(
            PublishErrorKind::WrongLastSequence
        )));
        assert!(is_wrong_last_sequence(&refused(10164)));
        assert!(!is_wrong_last_sequence(&refused(10077)));
        assert!(!is_wrong_last_sequence(&PublishError::new(
            PublishErrorKind::TimedOut
        )));
    }
}
