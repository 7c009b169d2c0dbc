//! `GET /v1/campaigns/{id}/progress[?minPosition=]`: the campaign's progress as
//! server-sent events. A `progress` event when the stream opens and then
//! whenever the counters move, at most once a second; an `end` event (and
//! the end of the stream) once the campaign has completed, failed or been
//! stopped. A paused campaign's stream stays open.
//!
//! The events are the `campaigns` read model's counters, with the send
//! rate and estimated finish (see `CampaignQueries::progress`).

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::stream::{self, Stream};
use herald_application::ports::read_store::Document;
use herald_domain::campaign::CampaignStatus;
use herald_domain::TenantId;
use std::convert::Infallible;
use std::time::Duration;

use super::handlers::{campaign_id, not_found};
use crate::http::error::ApiError;
use crate::http::extract::{QueryParams, Tenant};
use crate::http::AppState;

/// How often the read model is looked at; counters go out no more often.
const EVERY: Duration = Duration::from_secs(1);

pub async fn progress(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    Path(id): Path<String>,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["minPosition"])?;
    let id = campaign_id(&id)?;
    let first = app
        .campaign_queries
        .progress(&tenant, &id.to_string(), params.number("minPosition")?)
        .await?
        .ok_or_else(|| not_found(id))?;
    let events = updates(app, tenant, id.to_string(), first);
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response())
}

/// Where the stream stands between two looks at the read model.
struct Follow {
    app: AppState,
    tenant: TenantId,
    id: String,
    /// The progress to send next, if any.
    next: Option<Document>,
    last_sent: Option<Document>,
    ended: bool,
}

fn updates(
    app: AppState,
    tenant: TenantId,
    id: String,
    first: Document,
) -> impl Stream<Item = Result<Event, Infallible>> {
    let start = Follow {
        app,
        tenant,
        id,
        next: Some(first),
        last_sent: None,
        ended: false,
    };
    stream::unfold(start, |mut follow| async move {
        loop {
            if follow.ended {
                return None;
            }
            if let Some(progress) = follow.next.take() {
                if is_over(&progress) {
                    follow.ended = true;
                    return Some((Ok(event("end", &progress)), follow));
                }
                if follow.last_sent.as_ref() != Some(&progress) {
                    let sent = event("progress", &progress);
                    follow.last_sent = Some(progress);
                    return Some((Ok(sent), follow));
                }
            }
            tokio::time::sleep(EVERY).await;
            let looked = follow
                .app
                .campaign_queries
                .progress(&follow.tenant, &follow.id, None);
            // Nothing, or the store down for now: the next look tells.
            if let Ok(Some(progress)) = looked.await {
                follow.next = Some(progress);
            }
        }
    })
}

fn is_over(progress: &Document) -> bool {
    progress
        .get("status")
        .and_then(|s| s.as_str())
        .and_then(CampaignStatus::parse)
        .is_some_and(CampaignStatus::is_final)
}

fn event(name: &str, progress: &Document) -> Event {
    Event::default()
        .event(name)
        .data(serde_json::Value::Object(progress.clone()).to_string())
}
