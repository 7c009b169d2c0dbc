//! Messages: `POST /v1/sessions/{id}/messages` sends one; `GET /v1/messages`
//! and `GET /v1/messages/{id}` read the `messages` read model, and
//! `GET /v1/replies` the inbound view.

mod bodies;
mod handlers;

use axum::http::Method;
use herald_domain::account::Action::{ReadMessaging, SendMessages};

use super::access::{Access::May, Routes};

pub fn routes() -> Routes {
    let send = May(SendMessages);
    let read = May(ReadMessaging);
    Routes::new()
        .add(
            Method::POST,
            "/v1/sessions/{id}/messages",
            send,
            handlers::send,
        )
        .add(Method::GET, "/v1/messages", read, handlers::list)
        .add(Method::GET, "/v1/messages/{id}", read, handlers::get)
        .add(
            Method::POST,
            "/v1/messages/{id}/resend",
            send,
            handlers::resend,
        )
        .add(Method::GET, "/v1/replies", read, handlers::replies)
}
