//! `/v1/campaigns`: create, edit, schedule, start, pause, resume, stop;
//! list and read from the `campaigns` read model; follow a campaign's
//! progress as server-sent events.

mod bodies;
mod handlers;
mod progress;
mod recipients;

use axum::http::Method;
use herald_domain::account::Action::{ManageCampaigns, ReadMessaging};

use super::access::{Access::May, Routes};

pub fn routes() -> Routes {
    let manage = May(ManageCampaigns);
    let read = May(ReadMessaging);
    Routes::new()
        .add(Method::POST, "/v1/campaigns", manage, handlers::create)
        .add(Method::GET, "/v1/campaigns", read, handlers::list)
        .add(Method::GET, "/v1/campaigns/{id}", read, handlers::get)
        .add(Method::PATCH, "/v1/campaigns/{id}", manage, handlers::edit)
        .add(
            Method::POST,
            "/v1/campaigns/{id}/recipients",
            manage,
            handlers::add_recipients,
        )
        .add(
            Method::GET,
            "/v1/campaigns/{id}/recipients",
            read,
            handlers::recipients,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/schedule",
            manage,
            handlers::schedule,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/start",
            manage,
            handlers::start,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/pause",
            manage,
            handlers::pause,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/resume",
            manage,
            handlers::resume,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/stop",
            manage,
            handlers::stop,
        )
        .add(
            Method::POST,
            "/v1/campaigns/{id}/resend-unknown",
            manage,
            handlers::resend_unknown,
        )
}

/// Long-lived answers, which the request timeout does not cut off.
pub fn streams() -> Routes {
    Routes::new().add(
        Method::GET,
        "/v1/campaigns/{id}/progress",
        May(ReadMessaging),
        progress::progress,
    )
}
