//! `POST /{v}/{phone-number-id}/messages`: the send path (§7 items 3–11).
//!
//! Checks run in the order Meta's would: token and number, scripted faults,
//! number flags (368, 133010), throughput (130429), validation (100, 131008,
//! 131009), recipient (131026), template (1320xx) or 24-hour window (131047),
//! pair limit (131056). An accepted send gets a wamid, is recorded, and its
//! status schedule is posted.
//!
//! - [`validate`], [`interactive`], [`fields`]: request validation.
//! - [`recipient`]: `to` → `wa_id`.

pub mod fields;
pub mod interactive;
pub mod recipient;
pub mod validate;

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use crate::config::{ErrorTiming, RateLimitStatus};
use crate::errors::GraphError;
use crate::faults::FaultTarget;
use crate::limits::{BucketShape, TokenBucket};
use crate::number::FakeNumber;
use crate::server::DropAnswer;
use crate::state::{SentMessage, Shared, State as FakeState};
use crate::webhooks::{PreparedPosts, StatusKind, StatusSchedule};
use crate::{auth, templates};
use validate::{MessageType, Request};

enum Decision {
    MarkedRead { drop_answer: bool },
    Accepted(Accepted),
}

struct Accepted {
    wamid: String,
    to: String,
    wa_id: String,
    schedule: StatusSchedule,
    drop_answer: bool,
}

pub async fn handle(
    State(shared): State<Arc<Shared>>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match decide(&shared, &version, &phone_number_id, &headers, &body) {
        Err(error) => error.into_response(),
        Ok(Decision::MarkedRead { drop_answer }) => with_answer_dropped(
            Json(json!({ "success": true })).into_response(),
            drop_answer,
        ),
        Ok(Decision::Accepted(accepted)) => answer(shared, accepted).await,
    }
}

fn decide(
    shared: &Shared,
    version: &str,
    phone_number_id: &str,
    headers: &HeaderMap,
    raw: &[u8],
) -> Result<Decision, GraphError> {
    auth::check_version(version)?;
    let mut state = shared.lock();
    let number = auth::number_for(&state, headers, phone_number_id)?;
    let body: Value = serde_json::from_slice(raw)
        .map_err(|_| GraphError::with_details(100, "The request body is not valid JSON."))?;
    let to = body
        .get("to")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if let Some(error) = state.faults.take(FaultTarget::Messages, Some(&to)) {
        return Err(error);
    }
    number_flags(&number)?;
    throughput(shared, &mut state, &number)?;
    let Request::Message(kind) = validate::request(&body)? else {
        let drop_answer = take_answer_drop(&mut state);
        return Ok(Decision::MarkedRead { drop_answer });
    };
    let wa_id = recipient::resolve(&to, &number, state.config.missing_plus)?;
    let mut late_failure = undeliverable(&state, &wa_id)?;
    let category = match kind {
        MessageType::Template => Some(templates::check::check(
            &state.templates,
            &number.waba_id,
            &body["template"],
        )?),
        MessageType::Free => {
            late_failure = late_failure.or(outside_window(shared, &state, &number, &wa_id)?);
            None
        }
    };
    pair_limit(shared, &mut state, &number, &wa_id)?;
    Ok(Decision::Accepted(accept(
        shared,
        &mut state,
        &number,
        body,
        wa_id,
        category,
        late_failure,
    )))
}

fn number_flags(number: &FakeNumber) -> Result<(), GraphError> {
    if number.policy_blocked {
        return Err(GraphError::code(368));
    }
    if !number.registered {
        return Err(GraphError::code(133010));
    }
    Ok(())
}

fn throughput(
    shared: &Shared,
    state: &mut FakeState,
    number: &FakeNumber,
) -> Result<(), GraphError> {
    let now = shared.clock.now();
    let shape = BucketShape::per_second(state.config.throughput_per_second);
    let bucket = state
        .throughput
        .entry(number.phone_number_id.clone())
        .or_insert_with(|| TokenBucket::full(shape, now));
    if bucket.try_take(now) {
        return Ok(());
    }
    let error = GraphError::code(130429);
    match state.config.throughput_status {
        RateLimitStatus::BadRequest => Err(error),
        RateLimitStatus::TooManyRequests => Err(error.status(StatusCode::TOO_MANY_REQUESTS)),
    }
}

/// 131026 for a recipient listed as invalid: now, or as a later `failed` status.
fn undeliverable(state: &FakeState, wa_id: &str) -> Result<Option<u32>, GraphError> {
    match state.invalid_recipients.get(wa_id) {
        Some(ErrorTiming::Sync) => Err(GraphError::code(131026)),
        Some(ErrorTiming::Async) => Ok(Some(131026)),
        None => Ok(None),
    }
}

/// 131047 when the user has not written within the window.
fn outside_window(
    shared: &Shared,
    state: &FakeState,
    number: &FakeNumber,
    wa_id: &str,
) -> Result<Option<u32>, GraphError> {
    let policy = state.config.window;
    let key = (number.phone_number_id.clone(), wa_id.to_owned());
    let open = state
        .last_inbound
        .get(&key)
        .is_some_and(|at| shared.clock.now().saturating_sub(*at) < policy.length);
    match (policy.enforce && !open, policy.timing) {
        (false, _) => Ok(None),
        (true, ErrorTiming::Sync) => Err(GraphError::code(131047)),
        (true, ErrorTiming::Async) => Ok(Some(131047)),
    }
}

fn pair_limit(
    shared: &Shared,
    state: &mut FakeState,
    number: &FakeNumber,
    wa_id: &str,
) -> Result<(), GraphError> {
    let now = shared.clock.now();
    let shape = BucketShape::burst_then_every(state.config.pair_burst, state.config.pair_interval);
    let key = (number.phone_number_id.clone(), wa_id.to_owned());
    let bucket = state
        .pairs
        .entry(key)
        .or_insert_with(|| TokenBucket::full(shape, now));
    if bucket.try_take(now) {
        Ok(())
    } else {
        Err(GraphError::code(131056))
    }
}

fn accept(
    shared: &Shared,
    state: &mut FakeState,
    number: &FakeNumber,
    body: Value,
    wa_id: String,
    template_category: Option<String>,
    late_failure: Option<u32>,
) -> Accepted {
    let wamid = shared.new_wamid();
    let to = body["to"].as_str().unwrap_or_default().to_owned();
    let biz_opaque_callback_data = body
        .get("biz_opaque_callback_data")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let schedule = match late_failure {
        Some(code) => StatusSchedule::steps(&[StatusKind::Failed(code)]),
        None => number
            .status_schedule
            .clone()
            .unwrap_or_else(|| state.config.status_schedule.clone()),
    };
    let drop_answer = take_answer_drop(state);
    state.sent.push(SentMessage {
        wamid: wamid.clone(),
        phone_number_id: number.phone_number_id.clone(),
        to: to.clone(),
        wa_id: wa_id.clone(),
        body,
        biz_opaque_callback_data,
        template_category,
    });
    Accepted {
        wamid,
        to,
        wa_id,
        schedule,
        drop_answer,
    }
}

/// Posts the schedule (its first post first, when 15g asks) and answers.
async fn answer(shared: Arc<Shared>, accepted: Accepted) -> Response {
    if let Ok(mut posts) = PreparedPosts::build(&shared, &accepted.wamid, &accepted.schedule) {
        if accepted.schedule.first_before_answer {
            if let Some(first) = posts.take_first() {
                // No webhook configured is not the sender's problem.
                let _ = first.deliver(&shared).await;
            }
        }
        let background = Arc::clone(&shared);
        tokio::spawn(async move {
            let _ = posts.deliver(&background).await;
        });
    }
    let body = json!({
        "messaging_product": "whatsapp",
        "contacts": [{ "input": accepted.to, "wa_id": accepted.wa_id }],
        "messages": [{ "id": accepted.wamid }],
    });
    with_answer_dropped(Json(body).into_response(), accepted.drop_answer)
}

/// Whether this accepted request is one whose answer the test asked to lose.
fn take_answer_drop(state: &mut FakeState) -> bool {
    let drop_answer = state.drop_answers > 0;
    state.drop_answers = state.drop_answers.saturating_sub(1);
    drop_answer
}

/// Marks `response` for the connection loop to close without sending it.
fn with_answer_dropped(mut response: Response, drop_answer: bool) -> Response {
    if drop_answer {
        response.extensions_mut().insert(DropAnswer);
    }
    response
}
