//! `herald accounts …`: the operator's way to a tenant's first admin and
//! to API keys, without the HTTP API.

use anyhow::Context;
use chrono::{Duration, Utc};
use herald_application::accounts::credentials::Password;
use herald_application::accounts::SignUp;
use herald_application::CommandMetadata;
use herald_domain::account::{Email, FullName, KeyName, Permission, Profile, Username};
use herald_domain::TenantId;
use std::io::BufRead;

use crate::settings::Settings;
use crate::system::{operator_accounts, Backends};

/// The password of `create-admin`: `HERALD_ADMIN_PASSWORD`, or the first
/// line of standard input (never an argument, which `ps` would show).
const PASSWORD_VARIABLE: &str = "HERALD_ADMIN_PASSWORD";

/// Creates `tenant` with its first user, an admin.
///
/// # Errors
/// When a value is not valid, the e-mail address or username is taken, or
/// the log cannot be reached.
pub async fn create_admin(
    settings: &Settings,
    tenant: &str,
    email: &str,
    username: &str,
    full_name: Option<&str>,
) -> anyhow::Result<()> {
    let tenant = TenantId::parse(tenant).context("--tenant")?;
    let sign_up = SignUp {
        email: Email::parse(email).context("--email")?,
        username: Username::parse(username).context("--username")?,
        password: Password::parse(&read_password()?, "password")
            .map_err(|e| anyhow::anyhow!("the password {}", e.message))?,
        profile: Profile {
            full_name: full_name
                .map(FullName::parse)
                .transpose()
                .context("--full-name")?,
            ..Profile::default()
        },
    };
    let backends = Backends::open_for_operator(settings).await?;
    let outcome = async {
        let (accounts, _) = operator_accounts(&backends, settings)?;
        let metadata = CommandMetadata::new(tenant.clone(), "operator");
        accounts
            .sign_up(sign_up, Some(tenant), &metadata)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
    .await;
    backends.close().await;
    let signed_up = outcome?;
    println!(
        "tenant {} has its admin, user {}; sign in at POST /v1/auth/login",
        signed_up.tenant, signed_up.user
    );
    Ok(())
}

fn read_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_VARIABLE) {
        return Ok(password);
    }
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Issues an API key for `tenant` and prints it, once.
///
/// # Errors
/// When a value is not valid or the log cannot be reached.
pub async fn issue_key(
    settings: &Settings,
    tenant: &str,
    name: &str,
    permissions: &str,
    days: Option<u32>,
) -> anyhow::Result<()> {
    let tenant = TenantId::parse(tenant).context("--tenant")?;
    let name = KeyName::parse(name).context("--name")?;
    let permissions = permissions
        .split(',')
        .map(|p| Permission::parse(p.trim()))
        .collect::<Result<Vec<_>, _>>()
        .context("--permissions")?;
    let expires_at = days.map(|days| Utc::now() + Duration::days(i64::from(days)));
    let backends = Backends::open_for_operator(settings).await?;
    let outcome = async {
        let (_, keys) = operator_accounts(&backends, settings)?;
        let metadata = CommandMetadata::new(tenant.clone(), "operator");
        keys.create(&tenant, name, permissions, expires_at, None, &metadata)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
    }
    .await;
    backends.close().await;
    let created = outcome?;
    eprintln!(
        "key {} ({}) made; it is printed once, below, and Herald keeps only its hash",
        created.id, created.prefix
    );
    println!("{}", created.secret);
    Ok(())
}
