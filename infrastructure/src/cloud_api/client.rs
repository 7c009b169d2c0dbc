//! [`CloudApiClient`]: the [`WhatsAppGateway`] over Meta's Graph API.

use async_trait::async_trait;
use bytes::Bytes;
use herald_application::ports::whatsapp::{
    AccessToken, CloudApiAccess, GraphError, OutboundMessage, PhoneNumberInfo, SendAccepted,
    SendFailure, VerifyFailure, WhatsAppGateway,
};
use herald_domain::PhoneNumber;
use reqwest::header::CONTENT_TYPE;
use reqwest::{Method, Response, Url};
use std::time::Duration;
use tokio::time::Instant;
use tracing::{instrument, warn};

use super::config::{CloudApiConfig, CloudApiConfigError};
use super::pacing::Pacer;
use super::requests::{Endpoints, MarkReadRequest, SendRequest};
use super::responses;
use super::retry::{advice, RetryPolicy};
use super::scrub::scrub_error;

/// The most of an answer that is read: Graph API answers are a few hundred
/// bytes, and a misbehaving server must not fill the memory.
const MAX_ANSWER: usize = 64 * 1024;

/// Talks to the Graph API for any number, with each call's credentials.
/// One client serves the whole process: it holds the connection pool and
/// the pacing of every number.
#[derive(Debug)]
pub struct CloudApiClient {
    http: reqwest::Client,
    endpoints: Endpoints,
    pacer: Pacer,
    retry: RetryPolicy,
    max_attempts: u32,
}

/// One request, as every attempt repeats it.
struct Call<'a> {
    method: Method,
    url: Url,
    body: Option<Bytes>,
    pace: Pace<'a>,
    /// Whether the caller reserved the first attempt's slot itself.
    reserved: bool,
    /// For a send: which attempt this is. A send makes one attempt per
    /// call; refusals for a while go back to the caller, who makes the next
    /// attempt after the wait (and holds back the number when Meta asked).
    attempt_of_caller: Option<u32>,
    /// Whether sending it twice does no harm, so that an attempt whose
    /// outcome is unknown may be repeated.
    idempotent: bool,
}

#[derive(Clone, Copy)]
enum Pace<'a> {
    None,
    Number(&'a str),
    Pair { number: &'a str, recipient: &'a str },
}

/// How one attempt ended.
enum Attempt {
    Answered(Bytes),
    Refused(GraphError),
    /// No connection was made: the request certainly did not reach Meta.
    NotSent(String),
    /// The request may have reached Meta: it timed out, or the connection
    /// broke after the request was written, or the answer was cut short.
    MaybeSent(String),
}

impl CloudApiClient {
    /// # Errors
    /// When the configuration is not usable (see [`CloudApiConfig::check`],
    /// and the base URL must be an absolute http(s) URL), or the HTTP
    /// client cannot be built.
    pub fn new(config: &CloudApiConfig) -> Result<Self, CloudApiConfigError> {
        config.check()?;
        let endpoints = Endpoints::new(config)?;
        crate::tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .timeout(config.request_timeout)
            .connect_timeout(config.connect_timeout)
            // The Graph API does not redirect; following one could carry a
            // send to another host.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("herald/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| CloudApiConfigError::Http(e.to_string()))?;
        Ok(Self {
            http,
            endpoints,
            pacer: Pacer::new(config),
            retry: RetryPolicy::new(config),
            max_attempts: config.max_attempts,
        })
    }

    /// Makes the attempts a call is allowed, pacing each one, and returns
    /// the body of the first 2xx answer.
    async fn execute(&self, token: &AccessToken, call: &Call<'_>) -> Result<Bytes, SendFailure> {
        if let Some(attempt) = call.attempt_of_caller {
            return self.attempt_for_caller(token, call, attempt).await;
        }
        let mut attempt = 1;
        loop {
            if attempt > 1 || !call.reserved {
                self.pace(call.pace).await;
            }
            let wait = match self.attempt(token, call).await {
                Attempt::Answered(body) => return Ok(body),
                Attempt::Refused(error) => self.after_refusal(error, attempt)?,
                Attempt::NotSent(reason) => self.after_transport_failure(attempt, reason, false)?,
                Attempt::MaybeSent(reason) if call.idempotent => {
                    self.after_transport_failure(attempt, reason, true)?
                }
                Attempt::MaybeSent(reason) => return Err(SendFailure::OutcomeUnknown { reason }),
            };
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    /// One attempt, whose retry is the caller's: a send is claimed for one
    /// attempt at a time, so that a crash during a wait leaves it queued,
    /// not claimed and unknown.
    async fn attempt_for_caller(
        &self,
        token: &AccessToken,
        call: &Call<'_>,
        attempt: u32,
    ) -> Result<Bytes, SendFailure> {
        if !call.reserved {
            self.pace(call.pace).await;
        }
        match self.attempt(token, call).await {
            Attempt::Answered(body) => Ok(body),
            Attempt::Refused(error) if throttle_scope(&error).is_some() => {
                Err(self.throttled(error, attempt))
            }
            Attempt::Refused(error) => {
                let wait = self.after_refusal(error.clone(), attempt)?;
                Err(SendFailure::TryAgain {
                    reason: error.to_string(),
                    error: Some(Box::new(error)),
                    wait,
                })
            }
            Attempt::NotSent(reason) => {
                let wait = self.after_transport_failure(attempt, reason.clone(), false)?;
                Err(SendFailure::TryAgain {
                    reason,
                    error: None,
                    wait,
                })
            }
            Attempt::MaybeSent(reason) => Err(SendFailure::OutcomeUnknown { reason }),
        }
    }

    async fn pace(&self, pace: Pace<'_>) {
        match pace {
            Pace::None => {}
            Pace::Number(number) => self.pacer.before_call(number).await,
            Pace::Pair { number, recipient } => self.pacer.before_send(number, recipient).await,
        }
    }

    async fn attempt(&self, token: &AccessToken, call: &Call<'_>) -> Attempt {
        let mut request = self
            .http
            .request(call.method.clone(), call.url.clone())
            .bearer_auth(token.expose());
        if let Some(body) = &call.body {
            request = request
                .header(CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return transport_failure(&error),
        };
        let status = response.status();
        match (read_answer(response).await, status.is_success()) {
            (Ok(body), true) => Attempt::Answered(body),
            (Err(error), true) => Attempt::MaybeSent(describe(&error)),
            (body, false) => Attempt::Refused(scrub_error(
                responses::graph_error(status.as_u16(), body.as_deref().unwrap_or_default()),
                token.expose(),
            )),
        }
    }

    /// The wait before the next attempt, or the failure to report.
    fn after_refusal(&self, error: GraphError, attempt: u32) -> Result<Duration, SendFailure> {
        let advice = advice(&error);
        match self.retry.delay(advice, attempt) {
            None => Err(SendFailure::Rejected(Box::new(error))),
            Some(_) if attempt >= self.max_attempts => Err(SendFailure::GaveUp {
                last: Box::new(error),
                attempts: attempt,
            }),
            Some(wait) => {
                warn!(
                    code = error.code,
                    attempt,
                    ?advice,
                    ?wait,
                    "Graph API refused; retrying"
                );
                Ok(wait)
            }
        }
    }

    /// Meta asked to slow down: how long to hold back, or, past the
    /// attempts allowed, the failure.
    fn throttled(&self, error: GraphError, attempt: u32) -> SendFailure {
        let whole_number = throttle_scope(&error) == Some(true);
        match self.retry.delay(advice(&error), attempt) {
            Some(wait) if attempt < self.max_attempts => SendFailure::Throttled {
                error: Box::new(error),
                wait,
                whole_number,
            },
            _ => SendFailure::GaveUp {
                last: Box::new(error),
                attempts: attempt,
            },
        }
    }

    fn after_transport_failure(
        &self,
        attempt: u32,
        reason: String,
        maybe_sent: bool,
    ) -> Result<Duration, SendFailure> {
        if attempt >= self.max_attempts {
            return Err(if maybe_sent {
                SendFailure::OutcomeUnknown { reason }
            } else {
                SendFailure::Unreachable { reason }
            });
        }
        let wait = self.retry.backoff(attempt);
        warn!(attempt, ?wait, %reason, "Graph API not reached; retrying");
        Ok(wait)
    }
}

#[async_trait]
impl WhatsAppGateway for CloudApiClient {
    #[instrument(skip_all, fields(phone_number_id = %access.phone_number_id))]
    async fn verify(&self, access: &CloudApiAccess) -> Result<PhoneNumberInfo, VerifyFailure> {
        let call = Call {
            method: Method::GET,
            url: self.endpoints.phone_number(&access.phone_number_id),
            body: None,
            pace: Pace::None,
            reserved: false,
            attempt_of_caller: None,
            idempotent: true,
        };
        let body = self
            .execute(&access.access_token, &call)
            .await
            .map_err(verify_failure)?;
        responses::phone_number(&body).ok_or_else(|| VerifyFailure::Unreachable {
            reason: "the Graph API answered without the number's id and display number".into(),
        })
    }

    fn reserve_send(
        &self,
        access: &CloudApiAccess,
        to: &PhoneNumber,
        horizon: Duration,
    ) -> Result<Instant, Duration> {
        self.pacer
            .reserve_pair_within(&access.phone_number_id, to.as_str(), horizon)
    }

    fn slow_pair(&self, access: &CloudApiAccess, to: &PhoneNumber, wait: Duration) {
        self.pacer
            .slow_pair(&access.phone_number_id, to.as_str(), wait);
    }

    #[instrument(
        skip_all,
        fields(
            phone_number_id = %access.phone_number_id,
            kind = message.content.kind().as_str(),
            wamid = tracing::field::Empty,
        )
    )]
    async fn send(
        &self,
        access: &CloudApiAccess,
        message: OutboundMessage<'_>,
    ) -> Result<SendAccepted, SendFailure> {
        let call = Call {
            method: Method::POST,
            url: self.endpoints.messages(&access.phone_number_id),
            body: Some(json_body(&SendRequest::new(&message))?),
            pace: Pace::Pair {
                number: &access.phone_number_id,
                recipient: message.to.as_str(),
            },
            reserved: true,
            attempt_of_caller: Some(message.attempt.max(1)),
            idempotent: false,
        };
        let body = self.execute(&access.access_token, &call).await?;
        let accepted = responses::accepted(&body).ok_or_else(|| SendFailure::OutcomeUnknown {
            reason: "the Graph API answered 2xx without a message id".into(),
        })?;
        tracing::Span::current().record("wamid", accepted.wamid.as_str());
        Ok(accepted)
    }

    #[instrument(skip_all, fields(phone_number_id = %access.phone_number_id, wamid))]
    async fn mark_read(&self, access: &CloudApiAccess, wamid: &str) -> Result<(), SendFailure> {
        let call = Call {
            method: Method::POST,
            url: self.endpoints.messages(&access.phone_number_id),
            body: Some(json_body(&MarkReadRequest::new(wamid))?),
            pace: Pace::Number(&access.phone_number_id),
            reserved: false,
            attempt_of_caller: None,
            idempotent: true,
        };
        self.execute(&access.access_token, &call).await.map(drop)
    }
}

fn json_body(body: &impl serde::Serialize) -> Result<Bytes, SendFailure> {
    serde_json::to_vec(body)
        .map(Bytes::from)
        .map_err(|e| SendFailure::Unreachable {
            reason: format!("cannot encode the request: {e}"),
        })
}

/// A connection that never opened sent nothing, whatever the cause (name
/// resolution, refusal, TLS handshake, connect timeout). Any other failure
/// comes after the request may have been written, and only Meta knows
/// whether it was received.
fn transport_failure(error: &reqwest::Error) -> Attempt {
    if error.is_connect() {
        Attempt::NotSent(describe(error))
    } else {
        Attempt::MaybeSent(describe(error))
    }
}

/// The error with its causes, which say what happened ("connection
/// refused", "operation timed out"); reqwest's own message does not.
fn describe(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

async fn read_answer(mut response: Response) -> Result<Bytes, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = MAX_ANSWER - body.len();
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() == MAX_ANSWER {
            break;
        }
    }
    Ok(body.into())
}

/// Whether Meta's refusal asks to slow down: `Some(true)` for the whole
/// number (throughput 130429, the business's call rates 4 and 80007),
/// `Some(false)` for one recipient (the pair limit, 131056).
fn throttle_scope(error: &GraphError) -> Option<bool> {
    match error.code {
        4 | 80007 | 130429 => Some(true),
        131056 => Some(false),
        _ => None,
    }
}

fn verify_failure(failure: SendFailure) -> VerifyFailure {
    match failure {
        SendFailure::Rejected(error) => VerifyFailure::Rejected(error),
        SendFailure::GaveUp { last, .. } | SendFailure::Throttled { error: last, .. } => {
            VerifyFailure::Unreachable {
                reason: last.to_string(),
            }
        }
        SendFailure::OutcomeUnknown { reason }
        | SendFailure::Unreachable { reason }
        | SendFailure::TryAgain { reason, .. } => VerifyFailure::Unreachable { reason },
    }
}
