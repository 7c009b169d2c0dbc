//! Media (§6, §7 item 12): upload, `GET /{media-id}` with a URL that expires,
//! authenticated download, delete.
//!
//! - [`multipart`]: the upload's form parsing.

pub mod multipart;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use bytes::Bytes;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::auth;
use crate::errors::GraphError;
use crate::send::fields::missing;
use crate::state::Shared;

#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub phone_number_id: String,
    pub mime_type: String,
    pub sha256: String,
    pub bytes: Bytes,
}

#[derive(Debug, Default)]
pub struct MediaStore {
    items: HashMap<String, StoredMedia>,
    /// Download-URL key → (media id, when the URL was handed out).
    urls: HashMap<String, (String, Duration)>,
}

impl MediaStore {
    pub fn put(&mut self, id: String, phone_number_id: &str, mime_type: &str, bytes: Bytes) {
        let sha256 = hex::encode(Sha256::digest(&bytes));
        let media = StoredMedia {
            phone_number_id: phone_number_id.to_owned(),
            mime_type: mime_type.to_owned(),
            sha256,
            bytes,
        };
        self.items.insert(id, media);
    }

    /// `(mime_type, sha256)` of a stored media, for inbound webhooks.
    pub fn describe(&self, id: &str) -> Option<(String, String)> {
        self.items
            .get(id)
            .map(|m| (m.mime_type.clone(), m.sha256.clone()))
    }

    pub fn get(&self, id: &str) -> Option<&StoredMedia> {
        self.items.get(id)
    }
}

/// `POST /{v}/{phone-number-id}/media`, multipart with `messaging_product` and `file`.
pub async fn upload(
    State(shared): State<Arc<Shared>>,
    Path((version, phone_number_id)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let result = auth::check_version(&version).and_then(|()| {
        let number = auth::number_for(&shared.lock(), &headers, &phone_number_id)?;
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let parts = multipart::parse(content_type, &body).ok_or_else(|| {
            GraphError::with_details(100, "The request must be multipart/form-data.")
        })?;
        let field = |name: &str| parts.iter().find(|p| p.name == name);
        match field("messaging_product").map(|p| p.data.as_ref()) {
            Some(b"whatsapp") => {}
            Some(_) => {
                return Err(GraphError::with_details(
                    100,
                    "Param messaging_product must be 'whatsapp'.",
                ))
            }
            None => return Err(missing("messaging_product")),
        }
        let file = field("file").ok_or_else(|| missing("file"))?;
        let mime = file
            .content_type
            .clone()
            .or_else(|| field("type").map(|p| String::from_utf8_lossy(&p.data).into_owned()));
        let id = shared.new_numeric_id();
        let mime = mime.unwrap_or_else(|| "application/octet-stream".to_owned());
        shared.lock().media.put(
            id.clone(),
            &number.phone_number_id,
            &mime,
            file.data.clone(),
        );
        Ok(json!({ "id": id }))
    });
    result.map_or_else(IntoResponse::into_response, |body| {
        Json(body).into_response()
    })
}

/// `GET /{v}/{media-id}`: the media object with a fresh short-lived URL.
pub fn describe(
    shared: &Shared,
    headers: &HeaderMap,
    media_id: &str,
    query: &HashMap<String, String>,
) -> Result<Value, GraphError> {
    let mut state = shared.lock();
    let media = owned_media(&state, headers, media_id, query)?;
    let key = crate::errors::random_token(32);
    let url = format!(
        "{}/whatsapp_business/attachments/?mid={media_id}&hash={key}",
        shared.base_url
    );
    let body = json!({
        "messaging_product": "whatsapp",
        "url": url,
        "mime_type": media.mime_type,
        "sha256": media.sha256,
        "file_size": media.bytes.len().to_string(),
        "id": media_id,
    });
    state
        .media
        .urls
        .insert(key, (media_id.to_owned(), shared.clock.now()));
    Ok(body)
}

/// `DELETE /{v}/{media-id}`.
pub fn delete(
    shared: &Shared,
    headers: &HeaderMap,
    media_id: &str,
    query: &HashMap<String, String>,
) -> Result<Value, GraphError> {
    let mut state = shared.lock();
    owned_media(&state, headers, media_id, query)?;
    state.media.items.remove(media_id);
    Ok(json!({ "success": true }))
}

/// The media, if the caller's token belongs to the owning number's WABA.
fn owned_media(
    state: &crate::state::State,
    headers: &HeaderMap,
    media_id: &str,
    query: &HashMap<String, String>,
) -> Result<StoredMedia, GraphError> {
    let token = auth::known_token(state, headers)?;
    let media = state
        .media
        .get(media_id)
        .ok_or_else(|| auth::unknown_object(media_id))?;
    let owner = state
        .number(&media.phone_number_id)
        .ok_or_else(|| auth::unknown_object(media_id))?;
    let allowed = state
        .numbers
        .values()
        .any(|n| n.waba_id == owner.waba_id && n.access_token == token);
    let right_number = query
        .get("phone_number_id")
        .is_none_or(|id| *id == media.phone_number_id);
    if !allowed || !right_number {
        return Err(auth::unknown_object(media_id));
    }
    Ok(media.clone())
}

/// The download URL: needs a Bearer token; an expired or unknown URL is 404.
pub async fn download(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let state = shared.lock();
    if let Err(error) = auth::known_token(&state, &headers) {
        return error.into_response();
    }
    let ttl = state.config.media_url_ttl;
    let now = shared.clock.now();
    let media = query
        .get("hash")
        .and_then(|key| state.media.urls.get(key))
        .filter(|(id, issued)| Some(id) == query.get("mid") && now.saturating_sub(*issued) <= ttl)
        .and_then(|(id, _)| state.media.get(id));
    match media {
        Some(media) => (
            [(header::CONTENT_TYPE, media.mime_type.clone())],
            media.bytes.clone(),
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "Not Found").into_response(),
    }
}
