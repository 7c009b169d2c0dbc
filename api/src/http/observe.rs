//! Every request gets a correlation id (the client's `X-Correlation-Id`,
//! or a new one), logged with its outcome and echoed in the answer.

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::{info, Instrument};
use uuid::Uuid;

use super::extract::CORRELATION_HEADER;

pub async fn observe(mut request: Request, next: Next) -> Response {
    let correlation = request
        .headers()
        .get(CORRELATION_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 128)
        .map(str::to_owned)
        .unwrap_or_else(|| Uuid::now_v7().to_string());
    if let Ok(value) = HeaderValue::from_str(&correlation) {
        request.headers_mut().insert(CORRELATION_HEADER, value);
    }
    let (method, path) = (request.method().clone(), request.uri().path().to_owned());
    let span = tracing::info_span!("request", %method, %path, correlation_id = %correlation);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    span.in_scope(|| {
        info!(
            status = response.status().as_u16(),
            millis = started.elapsed().as_millis() as u64,
            "answered"
        )
    });
    if let Ok(value) = HeaderValue::from_str(&correlation) {
        response.headers_mut().insert(CORRELATION_HEADER, value);
    }
    response
}
