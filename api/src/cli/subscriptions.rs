//! `herald subscriptions …`: the operator's hand on a tenant's plan: a
//! tier for a while, or limits agreed apart from the tiers.

use anyhow::Context;
use chrono::{Duration, Utc};
use herald_application::CommandMetadata;
use herald_domain::subscription::{Limit, Limits, SubscriptionCommand, Tier};
use herald_domain::TenantId;

use crate::settings::Settings;
use crate::system::{operator_subscriptions, Backends};

/// Limits agreed for one tenant; `None` for a figure leaves the tier's.
#[derive(Debug, Default)]
pub struct AgreedLimits {
    pub unlimited: bool,
    pub sessions: Option<u32>,
    pub messages_per_day: Option<u32>,
    pub campaigns_per_month: Option<u32>,
    pub chatbots: Option<u32>,
    /// Back to the tier's own limits.
    pub clear: bool,
}

/// Sets `tenant`'s plan to `tier`, for `days` if given.
///
/// # Errors
/// When a value is not valid or the log cannot be reached.
pub async fn set_plan(
    settings: &Settings,
    tenant: &str,
    tier: &str,
    days: Option<u32>,
) -> anyhow::Result<()> {
    let tier = Tier::parse(tier).context("--tier")?;
    let ends_at = days.map(|days| Utc::now() + Duration::days(i64::from(days)));
    run(
        settings,
        tenant,
        SubscriptionCommand::ChangePlan { tier, ends_at },
    )
    .await
}

/// Sets limits agreed for `tenant` apart from its tier: each figure given
/// (or none, with `unlimited`), the others as its tier has them.
///
/// # Errors
/// When a value is not valid or the log cannot be reached.
pub async fn set_limits(
    settings: &Settings,
    tenant: &str,
    agreed: AgreedLimits,
) -> anyhow::Result<()> {
    let parsed = TenantId::parse(tenant).context("--tenant")?;
    let backends = Backends::open_for_operator(settings).await?;
    let tier = operator_subscriptions(&backends)
        .load(&parsed)
        .await
        .map(|subscription| subscription.tier());
    backends.close().await;
    let base = tier.map_err(|e| anyhow::anyhow!("{e}"))?.limits();
    let figure = |value: Option<u32>, tier: Limit| {
        if agreed.unlimited {
            Limit::Unlimited
        } else {
            value.map_or(tier, Limit::At)
        }
    };
    let limits = (!agreed.clear).then(|| Limits {
        max_sessions: figure(agreed.sessions, base.max_sessions),
        max_messages_per_day: figure(agreed.messages_per_day, base.max_messages_per_day),
        max_campaigns_per_month: figure(agreed.campaigns_per_month, base.max_campaigns_per_month),
        max_chatbots: figure(agreed.chatbots, base.max_chatbots),
    });
    run(
        settings,
        tenant,
        SubscriptionCommand::SetCustomLimits(limits),
    )
    .await
}

async fn run(
    settings: &Settings,
    tenant: &str,
    command: SubscriptionCommand,
) -> anyhow::Result<()> {
    let tenant = TenantId::parse(tenant).context("--tenant")?;
    let backends = Backends::open_for_operator(settings).await?;
    let subscriptions = operator_subscriptions(&backends);
    let metadata = CommandMetadata::new(tenant.clone(), "operator");
    let outcome = subscriptions.execute(&tenant, command, &metadata).await;
    backends.close().await;
    let receipt = outcome.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("recorded at position {}", receipt.position);
    Ok(())
}
