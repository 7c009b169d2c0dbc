//! `/v1/subscription`: the tenant's plan, its limits and usage, plan
//! changes, cancellation and payments (seed 000's `subscriptionTier`,
//! `limits` and `subscription_payments`).

use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use herald_application::subscriptions::read_model::major_units;
use herald_application::subscriptions::PaymentFilter;
use herald_domain::account::Action::{ManageBilling, ReadAccount};
use herald_domain::subscription::{
    Currency, Limit, Payment, PaymentMethod, PaymentStatus, Resource, Subscription,
    SubscriptionCommand, SubscriptionError, Tier, TransactionId,
};
use herald_domain::FieldError;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::access::{Access::May, Routes};
use super::error::{ApiError, Refusal};
use super::extract::{Caller, QueryParams, Tenant};
use super::json::JsonBody;
use super::pages::{listed, page_request};
use super::AppState;

pub fn routes() -> Routes {
    Routes::new()
        .add(Method::GET, "/v1/subscription", May(ReadAccount), view)
        .add(
            Method::PUT,
            "/v1/subscription/plan",
            May(ManageBilling),
            change_plan,
        )
        .add(
            Method::POST,
            "/v1/subscription/cancel",
            May(ManageBilling),
            cancel,
        )
        .add(
            Method::POST,
            "/v1/subscription/payments",
            May(ManageBilling),
            record_payment,
        )
        .add(
            Method::GET,
            "/v1/subscription/payments",
            May(ManageBilling),
            payments,
        )
}

impl Refusal for SubscriptionError {
    fn into_api_error(self) -> ApiError {
        match self {
            Self::LimitReached {
                resource,
                limit,
                used,
                resets_at,
            } => ApiError::OverLimit(herald_application::subscriptions::OverLimit {
                resource,
                limit,
                used,
                resets_at,
            }),
            Self::PaymentMismatch(_) => ApiError::Conflict {
                code: "payment_mismatch",
                message: self.to_string(),
            },
            Self::AlreadyStarted | Self::NotAllowed(_) => ApiError::Conflict {
                code: "not_allowed",
                message: self.to_string(),
            },
        }
    }
}

async fn view(State(app): State<AppState>, Tenant(tenant): Tenant) -> Result<Response, ApiError> {
    let subscription = app.subscriptions.load(&tenant).await?;
    let now = app.subscriptions.now();
    Ok(Json(document(tenant.as_str(), &subscription, now)).into_response())
}

/// The plan as seed 000 shows it on a user, with what is used of each limit.
fn document(tenant: &str, subscription: &Subscription, now: DateTime<Utc>) -> Value {
    let limits = subscription.limits_at(now);
    let mut figures = Map::new();
    let mut usage = Map::new();
    for resource in Resource::ALL {
        let limit = limits.of(resource);
        figures.insert(resource.limit_name().into(), limit_value(limit));
        usage.insert(
            resource.limit_name().into(),
            json!({
                "used": subscription.used(resource, now),
                "limit": limit_value(limit),
                "resetsAt": resource.period().map(|p| p.next_start_after(now)),
            }),
        );
    }
    json!({
        "tenantId": tenant,
        "subscriptionTier": subscription.tier(),
        "subscriptionStatus": subscription.status_at(now),
        "subscriptionStartDate": subscription.starts_at(),
        "subscriptionEndDate": subscription.ends_at(),
        "isExpired": subscription.ends_at().is_some_and(|end| now >= end),
        "customLimits": subscription.custom_limits().is_some(),
        "limits": figures,
        "usage": usage,
    })
}

/// A limit as a number, as seed 000 stores it; none as null.
fn limit_value(limit: Limit) -> Value {
    match limit {
        Limit::At(n) => json!(n),
        Limit::Unlimited => Value::Null,
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PlanBody {
    tier: String,
    #[serde(default)]
    ends_at: Option<DateTime<Utc>>,
}

async fn change_plan(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<PlanBody>,
) -> Result<Response, ApiError> {
    let tier = Tier::parse(&body.tier).map_err(|e| ApiError::invalid(e.at("tier")))?;
    if body
        .ends_at
        .is_some_and(|end| end <= app.subscriptions.now())
    {
        return Err(ApiError::invalid(FieldError::new(
            "endsAt",
            "must be in the future",
        )));
    }
    let command = SubscriptionCommand::ChangePlan {
        tier,
        ends_at: body.ends_at,
    };
    answer(&app, &caller, command).await
}

async fn cancel(State(app): State<AppState>, Caller(caller): Caller) -> Result<Response, ApiError> {
    answer(&app, &caller, SubscriptionCommand::Cancel).await
}

async fn answer(
    app: &AppState,
    caller: &herald_application::CommandMetadata,
    command: SubscriptionCommand,
) -> Result<Response, ApiError> {
    let receipt = app
        .subscriptions
        .execute(&caller.tenant, command, caller)
        .await?;
    let subscription = app.subscriptions.load(&caller.tenant).await?;
    let mut document = document(
        caller.tenant.as_str(),
        &subscription,
        app.subscriptions.now(),
    );
    document["position"] = json!(receipt.position);
    Ok(Json(document).into_response())
}

/// Seed 000's `subscription_payments`, as a provider reports one.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct PaymentBody {
    transaction_id: String,
    /// In the currency's major unit, with at most two decimals (29.99).
    amount: f64,
    #[serde(default)]
    currency: Option<String>,
    payment_method: String,
    status: String,
    #[serde(default)]
    subscription_tier: Option<String>,
    #[serde(default)]
    billing_period_start: Option<DateTime<Utc>>,
    #[serde(default)]
    billing_period_end: Option<DateTime<Utc>>,
}

impl PaymentBody {
    fn into_payment(self) -> Result<Payment, FieldError> {
        let cents = self.amount * 100.0;
        if !(0.0..=1e13).contains(&self.amount) || (cents - cents.round()).abs() > 1e-6 {
            return Err(FieldError::new(
                "amount",
                "must be at least 0, with at most two decimals",
            ));
        }
        if let (Some(start), Some(end)) = (self.billing_period_start, self.billing_period_end) {
            if end <= start {
                return Err(FieldError::new(
                    "billingPeriodEnd",
                    "must be after billingPeriodStart",
                ));
            }
        }
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let amount_minor = cents.round() as u64;
        Ok(Payment {
            transaction_id: TransactionId::parse(&self.transaction_id)
                .map_err(|e| e.at("transactionId"))?,
            amount_minor,
            currency: Currency::parse(self.currency.as_deref().unwrap_or("USD"))
                .map_err(|e| e.at("currency"))?,
            method: PaymentMethod::parse(&self.payment_method)
                .map_err(|e| e.at("paymentMethod"))?,
            status: PaymentStatus::parse(&self.status).map_err(|e| e.at("status"))?,
            tier: self
                .subscription_tier
                .map(|tier| Tier::parse(&tier).map_err(|e| e.at("subscriptionTier")))
                .transpose()?,
            billing_period_start: self.billing_period_start,
            billing_period_end: self.billing_period_end,
        })
    }
}

async fn record_payment(
    State(app): State<AppState>,
    Caller(caller): Caller,
    JsonBody(body): JsonBody<PaymentBody>,
) -> Result<Response, ApiError> {
    let payment = body.into_payment()?;
    let id = payment.transaction_id.clone();
    let known = app
        .subscriptions
        .load(&caller.tenant)
        .await?
        .payment(&id)
        .is_some();
    let receipt = app
        .subscriptions
        .record_payment(&caller.tenant, payment, &caller)
        .await?;
    let subscription = app.subscriptions.load(&caller.tenant).await?;
    let recorded = subscription
        .payment(&id)
        .map(payment_document)
        .unwrap_or_default();
    // The first report creates the payment; the same one again, or a
    // later status of it, does not make another.
    let status = if known {
        StatusCode::OK
    } else {
        StatusCode::CREATED
    };
    let mut answer = recorded;
    answer["position"] = json!(receipt.position);
    Ok((status, Json(answer)).into_response())
}

/// The tenant's payments (`subscription_payments`), the latest recorded
/// first, by status.
async fn payments(
    State(app): State<AppState>,
    Tenant(tenant): Tenant,
    params: QueryParams,
) -> Result<Response, ApiError> {
    params.only(&["status", "page", "limit", "cursor", "minPosition"])?;
    let filter = PaymentFilter {
        status: params.choice("status", &PaymentStatus::ALL, PaymentStatus::as_str)?,
    };
    let page = page_request(&params)?;
    let found = app
        .payment_queries
        .list(&tenant, &filter, &page, params.number("minPosition")?)
        .await?;
    Ok(listed(found, &page))
}

fn payment_document(payment: &Payment) -> Value {
    json!({
        "transactionId": payment.transaction_id,
        "amount": major_units(payment.amount_minor),
        "currency": payment.currency,
        "paymentMethod": payment.method,
        "status": payment.status,
        "subscriptionTier": payment.tier,
        "billingPeriodStart": payment.billing_period_start,
        "billingPeriodEnd": payment.billing_period_end,
    })
}
