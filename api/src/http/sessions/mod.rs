//! `/v1/sessions`: add a number with its Cloud API credentials, connect
//! (which checks them with the Graph API), disconnect, replace the
//! credentials, delete; list and read from the `sessions` read model.

mod bodies;
mod handlers;

use axum::http::Method;
use herald_domain::account::Action::{ManageSessions, ReadMessaging};

use super::access::{Access::May, Routes};

pub fn routes() -> Routes {
    let manage = May(ManageSessions);
    let read = May(ReadMessaging);
    Routes::new()
        .add(Method::POST, "/v1/sessions", manage, handlers::create)
        .add(Method::GET, "/v1/sessions", read, handlers::list)
        .add(Method::GET, "/v1/sessions/{id}", read, handlers::get)
        .add(
            Method::DELETE,
            "/v1/sessions/{id}",
            manage,
            handlers::delete,
        )
        .add(
            Method::POST,
            "/v1/sessions/{id}/connect",
            manage,
            handlers::connect,
        )
        .add(
            Method::POST,
            "/v1/sessions/{id}/disconnect",
            manage,
            handlers::disconnect,
        )
        .add(
            Method::PUT,
            "/v1/sessions/{id}/credentials",
            manage,
            handlers::replace_credentials,
        )
        .add(
            Method::PUT,
            "/v1/sessions/{id}/throughput",
            manage,
            handlers::set_throughput,
        )
}
