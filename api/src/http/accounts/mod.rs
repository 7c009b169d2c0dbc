//! The account endpoints: `/v1/auth/*` (sign-up, sign-in, tokens, links),
//! `/v1/users` (an admin's users) and `/v1/api-keys`.

mod bodies;
mod handlers;

use axum::http::Method;
use herald_domain::account::Action;

use super::access::{Access, Routes};

pub fn routes() -> Routes {
    use Access::{May, Public, SignedIn};
    Routes::new()
        .add(
            Method::POST,
            "/v1/auth/register",
            Public,
            handlers::register,
        )
        .add(Method::POST, "/v1/auth/login", Public, handlers::login)
        .add(Method::POST, "/v1/auth/refresh", Public, handlers::refresh)
        .add(Method::POST, "/v1/auth/logout", SignedIn, handlers::logout)
        .add(Method::GET, "/v1/auth/me", SignedIn, handlers::me)
        .add(
            Method::POST,
            "/v1/auth/verify-email",
            Public,
            handlers::verify_email,
        )
        .add(
            Method::GET,
            "/v1/auth/verify-email",
            Public,
            handlers::verify_email_link,
        )
        .add(
            Method::POST,
            "/v1/auth/verify-email/resend",
            SignedIn,
            handlers::resend_verification,
        )
        .add(
            Method::POST,
            "/v1/auth/forgot-password",
            Public,
            handlers::forgot_password,
        )
        .add(
            Method::POST,
            "/v1/auth/reset-password",
            Public,
            handlers::reset_password,
        )
        .add(
            Method::POST,
            "/v1/users",
            May(Action::ManageUsers),
            handlers::invite,
        )
        .add(
            Method::GET,
            "/v1/users",
            May(Action::ManageUsers),
            handlers::users,
        )
        .add(
            Method::GET,
            "/v1/users/{id}",
            May(Action::ManageUsers),
            handlers::user,
        )
        .add(
            Method::PATCH,
            "/v1/users/{id}",
            May(Action::ManageUsers),
            handlers::change_user,
        )
        .add(
            Method::POST,
            "/v1/api-keys",
            May(Action::ManageApiKeys),
            handlers::create_key,
        )
        .add(
            Method::GET,
            "/v1/api-keys",
            May(Action::ManageApiKeys),
            handlers::keys,
        )
        .add(
            Method::GET,
            "/v1/api-keys/{id}",
            May(Action::ManageApiKeys),
            handlers::key,
        )
        .add(
            Method::DELETE,
            "/v1/api-keys/{id}",
            May(Action::ManageApiKeys),
            handlers::revoke_key,
        )
}
