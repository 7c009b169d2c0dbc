//! Who may call what: every route is declared with the access it needs,
//! and the router is built from those declarations, so no route can be
//! added without saying who may use it.
//!
//! A route that needs a signed-in caller takes its credentials from
//! `Authorization: Bearer …`: a user's access token (a JWT from
//! `/v1/auth/login`) or an API key (`hk_…`). The caller's [`Principal`]
//! (tenant and actor) is put in the request for the handlers; every
//! command and query is scoped to its tenant, never to anything the request
//! names. The table of roles and permissions is in
//! `herald_domain::account::role`.

use axum::extract::{ConnectInfo, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{on, MethodFilter, MethodRouter};
use axum::Router;
use herald_application::accounts::Principal;
use herald_application::CommandMetadata;
use herald_domain::account::{Action, Denial};
use herald_domain::TenantId;
use std::net::SocketAddr;

use super::error::ApiError;
use super::AppState;

/// What a route needs of its caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone: signing up and in, health, Meta's webhooks (checked by
    /// their signature).
    Public,
    /// Any signed-in user or API key of a tenant.
    SignedIn,
    /// A caller whose role or key permissions allow the action.
    May(Action),
}

/// One route as declared: method, path pattern and access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Endpoint {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
}

/// Routes as they are declared, before the state they need exists.
#[derive(Default)]
pub struct Routes {
    entries: Vec<(Endpoint, MethodRouter<AppState>)>,
}

impl Routes {
    pub fn new() -> Self {
        Self::default()
    }

    /// Declares `method path`, served by `handler` for callers with `access`.
    ///
    /// # Panics
    /// When `method` is not one axum routes by (a programming error).
    #[must_use]
    pub fn add<H, T>(
        mut self,
        method: Method,
        path: &'static str,
        access: Access,
        handler: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        #[allow(clippy::expect_used)]
        let filter = MethodFilter::try_from(method.clone()).expect("a routable method");
        let endpoint = Endpoint {
            method: static_method(&method),
            path,
            access,
        };
        self.entries.push((endpoint, on(filter, handler)));
        self
    }

    #[must_use]
    pub fn merge(mut self, other: Self) -> Self {
        self.entries.extend(other.entries);
        self
    }

    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.entries.iter().map(|(endpoint, _)| *endpoint).collect()
    }

    /// The router, each route behind the check of its access.
    pub fn into_router(self, state: &AppState) -> Router<AppState> {
        self.entries
            .into_iter()
            .fold(Router::new(), |router, (endpoint, route)| {
                let checked = route.route_layer(axum::middleware::from_fn_with_state(
                    (state.clone(), endpoint),
                    authorize,
                ));
                router.route(endpoint.path, checked)
            })
    }
}

fn static_method(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        _ => "OTHER",
    }
}

/// Checks the caller against the route's access and hands the handler its
/// [`Principal`].
async fn authorize(
    State((app, endpoint)): State<(AppState, Endpoint)>,
    mut request: Request,
    next: Next,
) -> Response {
    let ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let action = match endpoint.access {
        Access::Public if endpoint.path.starts_with("/v1/auth/") => {
            if let Some(Err(wait)) = ip.map(|ip| app.rates.check_sign_in(ip)) {
                return ApiError::RateLimited(wait.0).into_response();
            }
            return next.run(request).await;
        }
        Access::Public => return next.run(request).await,
        Access::SignedIn => None,
        Access::May(action) => Some(action),
    };
    if let Some(Err(wait)) = ip.map(|ip| app.rates.check_ip(ip)) {
        return ApiError::RateLimited(wait.0).into_response();
    }
    let checked = match bearer(request.headers()) {
        // Boxed: the account checks are deep futures, and a request's
        // future lives on the stack of the thread that polls it.
        Ok(token) => {
            Box::pin(principal_of(
                &app,
                token.to_owned(),
                request_metadata(&request),
            ))
            .await
        }
        Err(error) => Err(error),
    };
    let principal = match checked {
        Ok(principal) => principal,
        Err(error) => return error.into_response(),
    };
    if let Err(wait) = app.rates.check_tenant(&principal.tenant) {
        return ApiError::RateLimited(wait.0).into_response();
    }
    let attempt = Attempt::of(&principal, &endpoint, &request, action);
    if let Some(action) = action.filter(|action| !principal.may(*action)) {
        attempt.refused(&app, "forbidden").await;
        return ApiError::Forbidden(format!(
            "your {} may not {}",
            describe(&principal),
            action.as_str().replace('_', " ")
        ))
        .into_response();
    }
    request.extensions_mut().insert(principal);
    let response = next.run(request).await;
    if matches!(
        response.status(),
        StatusCode::PAYMENT_REQUIRED | StatusCode::TOO_MANY_REQUESTS
    ) {
        attempt.refused(&app, "plan_limit").await;
    }
    response
}

/// A signed-in caller's request, as the audit log records it if refused.
struct Attempt {
    metadata: CommandMetadata,
    action: String,
    method: &'static str,
    path: &'static str,
}

impl Attempt {
    fn of(
        principal: &Principal,
        endpoint: &Endpoint,
        request: &Request,
        action: Option<Action>,
    ) -> Self {
        let mut metadata = request_metadata(request);
        metadata.tenant = principal.tenant.clone();
        metadata.actor = principal.actor_label();
        metadata.role = Some(principal.role_label().to_owned());
        Self {
            metadata,
            action: action.map_or("signed_in", Action::as_str).to_owned(),
            method: endpoint.method,
            path: endpoint.path,
        }
    }

    async fn refused(self, app: &AppState, reason: &str) {
        let denial = Denial {
            action: self.action,
            method: self.method.to_owned(),
            path: self.path.to_owned(),
            reason: reason.to_owned(),
        };
        app.denials.record(denial, &self.metadata).await;
    }
}

fn describe(principal: &Principal) -> String {
    match principal.role_label() {
        "api_key" => "API key's permissions".to_owned(),
        role => format!("role ({role})"),
    }
}

/// The principal a bearer token (an access token or an API key) stands for.
async fn principal_of(
    app: &AppState,
    token: String,
    metadata: CommandMetadata,
) -> Result<Principal, ApiError> {
    let result = if token.starts_with("hk_") {
        app.api_keys.authenticate(&token, &metadata).await
    } else {
        app.accounts.authenticate(&token).await
    };
    result.map_err(ApiError::from)
}

fn bearer(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers.get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthenticated(
            "sign in: send `Authorization: Bearer <access token or API key>`".into(),
        )
    })?;
    value
        .to_str()
        .ok()
        .and_then(|text| {
            let (scheme, token) = text.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| !token.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthenticated("the Authorization header must be `Bearer <token>`".into())
        })
}

/// Metadata for what a request records before it is known who sent it
/// (an API key's use): where it came from.
fn request_metadata(request: &Request) -> CommandMetadata {
    #[allow(clippy::expect_used)]
    let nobody = TenantId::parse("unknown").expect("a valid tenant id");
    let mut metadata = CommandMetadata::new(nobody, "unknown");
    metadata.ip = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip().to_string());
    metadata.user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|text| text.chars().take(512).collect());
    metadata
}
