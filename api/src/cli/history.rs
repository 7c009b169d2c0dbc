//! `herald history <aggregate-type> <id>`: what happened to one aggregate,
//! from the event log itself.

use herald_application::metadata::keys;
use herald_application::ports::event_feed::RecordedCommit;
use herald_infrastructure::jetstream::JetStreamEventFeed;
use serde_json::json;

use crate::settings::Settings;
use crate::system::Backends;

/// Prints every event of the aggregate, oldest first; as JSON lines with
/// `json`. Without a tenant, the aggregate is found whatever its tenant.
///
/// # Errors
/// When the log cannot be reached, or holds nothing for that aggregate.
pub async fn history(
    settings: &Settings,
    aggregate_type: &str,
    id: &str,
    tenant: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let backends = Backends::open_for_operator(settings).await?;
    let feed = JetStreamEventFeed::new(backends.event_log.clone());
    let commits = feed.aggregate_history(tenant, aggregate_type, id).await;
    backends.close().await;
    let commits = commits?;
    if commits.is_empty() {
        anyhow::bail!("no events recorded for {aggregate_type} {id}");
    }
    for commit in &commits {
        print_commit(commit, json)?;
    }
    Ok(())
}

fn print_commit(commit: &RecordedCommit, json: bool) -> anyhow::Result<()> {
    let meta = |key: &str| commit.metadata.get(key).map_or("-", String::as_str);
    for event in &commit.events {
        let payload: serde_json::Value = serde_json::from_str(event.payload.get())?;
        if json {
            let line = json!({
                "position": commit.position,
                "recordedAt": commit.recorded_at,
                "tenant": commit.tenant,
                "aggregateType": commit.aggregate_type,
                "aggregateId": commit.aggregate_id,
                "sequence": event.sequence,
                "type": event.event_type,
                "version": event.event_version,
                "metadata": commit.metadata,
                "payload": payload,
            });
            println!("{line}");
        } else {
            println!(
                "#{:<4} {} {} v{} at {} by {} (command {}, correlation {})\n      {payload}",
                event.sequence,
                event.event_type,
                commit.tenant,
                event.event_version,
                commit.recorded_at.to_rfc3339(),
                meta(keys::ACTOR),
                meta(keys::COMMAND_ID),
                meta(keys::CORRELATION_ID),
            );
        }
    }
    Ok(())
}
