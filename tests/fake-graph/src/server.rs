//! The HTTP side: routes, request recording, and a connection loop that can
//! close a connection without answering (§7 item 1, drop-next-answer).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, Request, State};
use axum::http::HeaderMap;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::errors::GraphError;
use crate::state::{RecordedRequest, Shared};
use crate::{auth, media, send, templates};

/// Put in a response's extensions to close the connection instead of answering it.
#[derive(Debug, Clone, Copy)]
pub struct DropAnswer;

#[derive(Debug, thiserror::Error)]
#[error("answer dropped on purpose")]
struct AnswerDropped;

/// Media uploads are the largest bodies (documents up to 100 MB).
const MAX_BODY: usize = 110 * 1024 * 1024;

pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/whatsapp_business/attachments/", get(media::download))
        .route("/{version}/{id}", get(get_object).delete(delete_object))
        .route("/{version}/{id}/messages", post(send::handle))
        .route("/{version}/{id}/media", post(media::upload))
        .route(
            "/{version}/{id}/message_templates",
            get(templates::manage::list)
                .post(templates::manage::create)
                .delete(templates::manage::delete),
        )
        .fallback(unsupported)
        .method_not_allowed_fallback(unsupported)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn_with_state(Arc::clone(&shared), record))
        .with_state(shared)
}

/// Accepts connections until the task is aborted.
pub async fn serve(listener: TcpListener, router: Router) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let router = router.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                let router = router.clone();
                async move {
                    let response = router
                        .oneshot(request)
                        .await
                        .unwrap_or_else(|never: Infallible| match never {});
                    match response.extensions().get::<DropAnswer>() {
                        Some(_) => Err(AnswerDropped),
                        None => Ok(response),
                    }
                }
            });
            // A dropped answer or a client hanging up ends the connection; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Records every request before it is handled, and its status after.
async fn record(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
        return GraphError::with_details(100, "The request body could not be read.")
            .into_response();
    };
    let headers = parts
        .headers
        .keys()
        .map(|name| {
            let values: Vec<&str> = parts
                .headers
                .get_all(name)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .collect();
            (name.as_str().to_owned(), values.join(", "))
        })
        .collect();
    let recorded = RecordedRequest {
        received_at: Instant::now(),
        method: parts.method.to_string(),
        path: parts.uri.path().to_owned(),
        query: parts.uri.query().map(str::to_owned),
        headers,
        json: serde_json::from_slice(&bytes).ok(),
        body: bytes.clone(),
        response_status: None,
        answer_dropped: false,
    };
    let index = {
        let mut state = shared.lock();
        state.requests.push(recorded);
        state.requests.len() - 1
    };
    let response = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let dropped = response.extensions().get::<DropAnswer>().is_some();
    if let Some(recorded) = shared.lock().requests.get_mut(index) {
        recorded.answer_dropped = dropped;
        recorded.response_status = (!dropped).then(|| response.status().as_u16());
    }
    response
}

/// `GET /{v}/{id}`: a phone number object or a media object.
async fn get_object(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let result = auth::check_version(&version).and_then(|()| {
        let is_number = shared.lock().number(&id).is_some();
        if is_number {
            let number = auth::number_for(&shared.lock(), &headers, &id)?;
            return Ok(number.info(query.get("fields").map(String::as_str)));
        }
        media::describe(&shared, &headers, &id, &query)
    });
    result.map_or_else(IntoResponse::into_response, |body| {
        Json(body).into_response()
    })
}

/// `DELETE /{v}/{media-id}`.
async fn delete_object(
    State(shared): State<Arc<Shared>>,
    Path((version, id)): Path<(String, String)>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let result =
        auth::check_version(&version).and_then(|()| media::delete(&shared, &headers, &id, &query));
    result.map_or_else(IntoResponse::into_response, |body| {
        Json(body).into_response()
    })
}

/// Any other path or method: Meta answers 400 code 100.
async fn unsupported() -> GraphError {
    GraphError::with_details(
        100,
        "Unsupported request: unknown path components or method.",
    )
}
