//! `GET`/`POST`/`DELETE /{v}/{waba-id}/message_templates` (TM), under the
//! hourly management cap (80007) and the fault script, plus the status flip
//! test hook that posts `message_template_status_update`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};

use super::{FakeTemplate, TemplateButton, TemplateHeader, TemplateStatus};
use crate::auth;
use crate::errors::GraphError;
use crate::faults::FaultTarget;
use crate::limits::{BucketShape, TokenBucket};
use crate::number::FakeNumber;
use crate::send::fields::{object, required_array, required_str};
use crate::state::Shared;
use crate::webhooks::{emitter, payload, to_bytes};
use crate::FakeGraphError;

type Params = Query<HashMap<String, String>>;

pub async fn list(
    State(shared): State<Arc<Shared>>,
    Path(p): Path<(String, String)>,
    q: Params,
    h: HeaderMap,
) -> Response {
    respond(guard(&shared, &p, &h).map(|_| listing(&shared, &p.1, &q.0)))
}

pub async fn create(
    State(shared): State<Arc<Shared>>,
    Path(p): Path<(String, String)>,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    respond(guard(&shared, &p, &h).and_then(|_| create_template(&shared, &p.1, &body)))
}

pub async fn delete(
    State(shared): State<Arc<Shared>>,
    Path(p): Path<(String, String)>,
    q: Params,
    h: HeaderMap,
) -> Response {
    respond(guard(&shared, &p, &h).and_then(|_| delete_template(&shared, &p.1, &q.0)))
}

fn respond(result: Result<Value, GraphError>) -> Response {
    result.map_or_else(IntoResponse::into_response, |body| {
        Json(body).into_response()
    })
}

/// Version, token, scripted faults, then the hourly cap.
fn guard(
    shared: &Shared,
    (version, waba_id): &(String, String),
    headers: &HeaderMap,
) -> Result<FakeNumber, GraphError> {
    auth::check_version(version)?;
    let mut state = shared.lock();
    let number = auth::waba_for(&state, headers, waba_id)?;
    if let Some(error) = state.faults.take(FaultTarget::MessageTemplates, None) {
        return Err(error);
    }
    let now = shared.clock.now();
    let shape = BucketShape::per_hour(state.config.template_calls_per_hour);
    let bucket = state
        .template_calls
        .entry(waba_id.clone())
        .or_insert_with(|| TokenBucket::full(shape, now));
    if !bucket.try_take(now) {
        return Err(GraphError::code(80007));
    }
    Ok(number)
}

fn listing(shared: &Shared, waba_id: &str, query: &HashMap<String, String>) -> Value {
    let state = shared.lock();
    let wanted_status = query.get("status").map(|s| s.to_uppercase());
    let data: Vec<Value> = state
        .templates
        .of_waba(waba_id)
        .filter(|s| query.get("name").is_none_or(|name| *name == s.template.name))
        .filter(|s| wanted_status.as_deref().is_none_or(|status| status == s.template.status.as_str()))
        .map(|s| {
            let t = &s.template;
            let format = if t.is_named() { "NAMED" } else { "POSITIONAL" };
            json!({ "name": t.name, "parameter_format": format, "language": t.language, "status": t.status.as_str(),
                    "category": t.category, "components": t.components_json(), "id": s.id })
        })
        .collect();
    json!({ "data": data, "paging": { "cursors": { "before": "QVFIUmJlZAZDZD", "after": "QVFIUmFmdGVyZAZDZD" } } })
}

fn create_template(shared: &Shared, waba_id: &str, body: &[u8]) -> Result<Value, GraphError> {
    let body: Value = serde_json::from_slice(body)
        .map_err(|_| GraphError::with_details(100, "Invalid JSON body."))?;
    let template = parse_template(object(&body, "template")?, waba_id)?;
    let mut state = shared.lock();
    if state
        .templates
        .find(waba_id, &template.name, &template.language)
        .is_some()
    {
        let mut error = GraphError::with_details(100, "Content in this language already exists.");
        error.subcode = Some(2_388_024);
        return Err(error);
    }
    let category = template.category.clone();
    let stored = state.templates.put(shared.new_numeric_id(), template);
    Ok(json!({ "id": stored.id, "status": "PENDING", "category": category }))
}

fn parse_template(
    fields: &crate::send::fields::Fields,
    waba_id: &str,
) -> Result<FakeTemplate, GraphError> {
    let name = required_str(fields, "name", "template")?;
    if name.is_empty()
        || name.len() > 512
        || !name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    {
        return Err(GraphError::with_details(
            100,
            "Template name must be lowercase letters, digits and underscores.",
        ));
    }
    let language = required_str(fields, "language", "template")?;
    let category = required_str(fields, "category", "template")?.to_uppercase();
    if !["MARKETING", "UTILITY", "AUTHENTICATION"].contains(&category.as_str()) {
        return Err(GraphError::with_details(
            100,
            "Param category must be one of {MARKETING, UTILITY, AUTHENTICATION}.",
        ));
    }
    let mut template = FakeTemplate::new(name, language, "")
        .with_category(category)
        .in_waba(waba_id);
    template.status = TemplateStatus::Pending;
    for component in required_array(fields, "components", "template")? {
        add_component(&mut template, object(component, "components")?)?;
    }
    if template.body.is_empty() {
        return Err(GraphError::with_details(
            131008,
            "The parameter components[BODY] is required.",
        ));
    }
    Ok(template)
}

fn add_component(
    template: &mut FakeTemplate,
    component: &crate::send::fields::Fields,
) -> Result<(), GraphError> {
    let text = || {
        component
            .get("text")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match required_str(component, "type", "components")?
        .to_uppercase()
        .as_str()
    {
        "HEADER" => {
            template.header = Some(header(
                component.get("format").and_then(Value::as_str),
                text(),
            ))
        }
        "BODY" => template.body = text(),
        "FOOTER" => template.footer = Some(text()),
        "BUTTONS" => {
            for button in required_array(component, "buttons", "components")? {
                template.buttons.push(parse_button(button));
            }
        }
        other => {
            return Err(GraphError::with_details(
                100,
                format!("Invalid component type: {other}"),
            ))
        }
    }
    Ok(())
}

fn header(format: Option<&str>, text: String) -> TemplateHeader {
    match format.map(str::to_uppercase).as_deref() {
        Some("IMAGE") => TemplateHeader::Image,
        Some("VIDEO") => TemplateHeader::Video,
        Some("DOCUMENT") => TemplateHeader::Document,
        Some("LOCATION") => TemplateHeader::Location,
        _ => TemplateHeader::Text(text),
    }
}

fn parse_button(button: &Value) -> TemplateButton {
    let field = |key: &str| {
        button
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match field("type").to_uppercase().as_str() {
        "URL" => TemplateButton::Url {
            text: field("text"),
            url: field("url"),
        },
        "PHONE_NUMBER" => TemplateButton::PhoneNumber {
            text: field("text"),
            phone_number: field("phone_number"),
        },
        "COPY_CODE" => TemplateButton::CopyCode {
            example: field("example"),
        },
        _ => TemplateButton::QuickReply {
            text: field("text"),
        },
    }
}

fn delete_template(
    shared: &Shared,
    waba_id: &str,
    query: &HashMap<String, String>,
) -> Result<Value, GraphError> {
    let name = query
        .get("name")
        .ok_or_else(|| crate::send::fields::missing("name"))?;
    let removed =
        shared
            .lock()
            .templates
            .remove(waba_id, name, query.get("hsm_id").map(String::as_str));
    if removed == 0 {
        return Err(auth::unknown_object(name));
    }
    Ok(json!({ "success": true }))
}

/// Flips a template's status and posts `message_template_status_update`.
///
/// # Errors
/// [`FakeGraphError::UnknownTemplate`] when there is no such template;
/// [`FakeGraphError::NoWebhook`] when no callback is set (the status is flipped anyway).
pub async fn set_status(
    shared: &Shared,
    name: &str,
    language: &str,
    status: TemplateStatus,
) -> Result<(), FakeGraphError> {
    let (secret, raw) = {
        let mut state = shared.lock();
        let stored = state
            .templates
            .find_mut(name, language)
            .ok_or_else(|| FakeGraphError::UnknownTemplate(format!("{name}/{language}")))?;
        stored.template.status = status;
        let event = json!({
            "event": status.as_str(),
            "message_template_id": stored.id.parse::<u64>().unwrap_or_default(),
            "message_template_name": name,
            "message_template_language": language,
            "reason": if status == TemplateStatus::Rejected { "INVALID_FORMAT" } else { "NONE" },
            "message_template_category": stored.template.category,
        });
        let waba = stored.template.waba_id.clone();
        let number = match &waba {
            Some(waba) => state.number_of_waba(waba),
            None => state.numbers.values().next(),
        }
        .cloned()
        .ok_or(FakeGraphError::NoWebhook)?;
        let body = payload::template_status_body(&number.waba_id, shared.clock.unix_secs(), event);
        (number.app_secret, to_bytes(&body))
    };
    emitter::deliver(shared, &secret, raw).await.map(drop)
}
