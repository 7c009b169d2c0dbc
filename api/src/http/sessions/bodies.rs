//! Request bodies of the session endpoints, with the seeds' field names.

use herald_application::sessions::{ChannelCredentials, SessionRegistration};
use herald_domain::session::{GraphId, SessionName, Throughput};
use herald_domain::{FieldError, PhoneNumber};
use serde::Deserialize;
use std::fmt;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateSessionBody {
    phone_number: String,
    #[serde(default)]
    session_name: Option<String>,
    // The Cloud API credentials: seed 001 `Settings`, plus the app secret
    // and the webhook verify token that receiving webhooks needs.
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    app_secret: String,
    webhook_verify_token: String,
    /// Messages a second, for a number Meta upgraded; Herald's default
    /// (`HERALD_NUMBER_RATE`) when left out.
    #[serde(default)]
    throughput: Option<u32>,
}

/// `PUT .../throughput`: `{"throughput": 1000}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ThroughputBody {
    throughput: u32,
}

impl ThroughputBody {
    /// # Errors
    /// When it is outside 1..=1,000.
    pub fn into_throughput(self) -> Result<Throughput, FieldError> {
        Throughput::per_second(self.throughput).map_err(|e| e.at("throughput"))
    }
}

/// `PUT .../credentials` takes the credentials alone.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplaceCredentialsBody {
    phone_number_id: String,
    waba_id: String,
    access_token: String,
    app_secret: String,
    webhook_verify_token: String,
}

// Bodies hold secrets in clear: their Debug says nothing of them.
impl fmt::Debug for CreateSessionBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreateSessionBody").finish_non_exhaustive()
    }
}

impl fmt::Debug for ReplaceCredentialsBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReplaceCredentialsBody")
            .finish_non_exhaustive()
    }
}

impl CreateSessionBody {
    /// # Errors
    /// The first field that breaks a rule.
    pub fn into_registration(self) -> Result<SessionRegistration, FieldError> {
        Ok(SessionRegistration {
            phone_number: PhoneNumber::parse(&self.phone_number)
                .map_err(|e| e.at("phoneNumber"))?,
            name: self
                .session_name
                .as_deref()
                .map(SessionName::parse)
                .transpose()
                .map_err(|e| e.at("sessionName"))?,
            credentials: credentials(
                &self.phone_number_id,
                &self.waba_id,
                &self.access_token,
                &self.app_secret,
                &self.webhook_verify_token,
            )?,
            throughput: self
                .throughput
                .map(Throughput::per_second)
                .transpose()
                .map_err(|e| e.at("throughput"))?,
        })
    }
}

impl ReplaceCredentialsBody {
    /// # Errors
    /// The first field that breaks a rule.
    pub fn into_credentials(self) -> Result<ChannelCredentials, FieldError> {
        credentials(
            &self.phone_number_id,
            &self.waba_id,
            &self.access_token,
            &self.app_secret,
            &self.webhook_verify_token,
        )
    }
}

fn credentials(
    phone_number_id: &str,
    waba_id: &str,
    access_token: &str,
    app_secret: &str,
    webhook_verify_token: &str,
) -> Result<ChannelCredentials, FieldError> {
    Ok(ChannelCredentials {
        phone_number_id: GraphId::parse(phone_number_id).map_err(|e| e.at("phoneNumberId"))?,
        waba_id: GraphId::parse(waba_id).map_err(|e| e.at("wabaId"))?,
        access_token: ChannelCredentials::check_secret("accessToken", access_token)?,
        app_secret: ChannelCredentials::check_secret("appSecret", app_secret)?,
        webhook_verify_token: ChannelCredentials::check_secret(
            "webhookVerifyToken",
            webhook_verify_token,
        )?,
    })
}
