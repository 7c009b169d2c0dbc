//! The Session aggregate: decides what a command does to a session.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

use super::channel::{CloudApiChannel, SessionName, Throughput};
use super::commands::{NewSession, SessionCommand, Verification};
use super::error::SessionError;
use super::events::SessionEvent;
use super::status::SessionStatus;
use crate::clock::Clock;
use crate::ids::{SessionId, TenantId};
use crate::phone::PhoneNumber;

/// What the Session aggregate may ask of the world: only the time.
#[derive(Clone)]
pub struct SessionServices {
    clock: Arc<dyn Clock>,
}

impl SessionServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }
}

/// A tenant's WhatsApp number. Its id is derived from the number, so a
/// tenant has at most one session per number: a second create meets the
/// first session and is refused.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Session {
    state: Option<SessionState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct SessionState {
    phone_number: PhoneNumber,
    name: Option<SessionName>,
    channel: CloudApiChannel,
    status: SessionStatus,
    retry_count: u32,
    deleted: bool,
    #[serde(default)]
    throughput: Option<Throughput>,
    /// What Meta said of the number's quality when it was last checked.
    #[serde(default)]
    quality_rating: Option<String>,
    /// Whether Meta flagged the number's quality as low since.
    #[serde(default)]
    quality_flagged: bool,
}

impl Aggregate for Session {
    const TYPE: &'static str = "session";
    type Command = SessionCommand;
    type Event = SessionEvent;
    type Error = SessionError;
    type Services = SessionServices;

    async fn handle(
        &mut self,
        command: SessionCommand,
        services: &SessionServices,
        sink: &EventSink<Self>,
    ) -> Result<(), SessionError> {
        for event in self.decide(command, services.clock.now())? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: SessionEvent) {
        match (&mut self.state, event) {
            (
                _,
                SessionEvent::Created {
                    phone_number,
                    name,
                    channel,
                    throughput,
                    ..
                },
            ) => {
                self.state = Some(SessionState {
                    phone_number,
                    name,
                    channel,
                    throughput,
                    quality_rating: None,
                    quality_flagged: false,
                    status: SessionStatus::Initializing,
                    retry_count: 0,
                    deleted: false,
                });
            }
            (Some(state), event) => state.apply(event),
            (None, _) => {}
        }
    }
}

impl Session {
    /// The live session: `None` before it is created and after it is deleted.
    fn live(&self) -> Option<&SessionState> {
        self.state.as_ref().filter(|s| !s.deleted)
    }

    pub fn exists(&self) -> bool {
        self.live().is_some()
    }

    pub fn status(&self) -> Option<SessionStatus> {
        self.live().map(|s| s.status)
    }

    pub fn phone_number(&self) -> Option<&PhoneNumber> {
        self.live().map(|s| &s.phone_number)
    }

    /// The number the session had, even once deleted: messages queued for
    /// it still say which number they were to go from.
    pub fn recorded_phone_number(&self) -> Option<&PhoneNumber> {
        self.state.as_ref().map(|s| &s.phone_number)
    }

    pub fn channel(&self) -> Option<&CloudApiChannel> {
        self.live().map(|s| &s.channel)
    }

    /// The number's messages a second, when set for it.
    pub fn throughput(&self) -> Option<Throughput> {
        self.live().and_then(|s| s.throughput)
    }

    /// Whether Meta rates the number's quality low (`RED` when last
    /// connected, or `FLAGGED` since): campaigns on it pause rather than
    /// risk the number being restricted.
    pub fn quality_is_low(&self) -> bool {
        self.live().is_some_and(|s| {
            s.quality_flagged
                || s.quality_rating
                    .as_deref()
                    .is_some_and(|rating| rating.eq_ignore_ascii_case("red"))
        })
    }

    pub fn retry_count(&self) -> u32 {
        self.live().map_or(0, |s| s.retry_count)
    }

    fn decide(
        &self,
        command: SessionCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<SessionEvent>, SessionError> {
        let Some(state) = self.live() else {
            return match command {
                SessionCommand::Create(new) => Ok(vec![created(new, now)]),
                _ => Err(SessionError::NotFound),
            };
        };
        match command {
            SessionCommand::Create(_) => Err(SessionError::AlreadyExists),
            SessionCommand::Connect(verification) => Ok(vec![state.connect(verification, now)]),
            SessionCommand::Disconnect => Ok(state.disconnect(now)),
            SessionCommand::ReplaceChannel(channel) => Ok(state.replace_channel(channel, now)),
            SessionCommand::SetThroughput(throughput) => Ok((state.throughput != Some(throughput))
                .then_some(SessionEvent::ThroughputSet {
                    throughput,
                    at: now,
                })
                .into_iter()
                .collect()),
            SessionCommand::ReportQuality { event } => {
                Ok(vec![SessionEvent::QualityReported { event, at: now }])
            }
            SessionCommand::Delete => Ok(vec![SessionEvent::Deleted { at: now }]),
        }
    }
}

fn created(new: NewSession, now: DateTime<Utc>) -> SessionEvent {
    SessionEvent::Created {
        phone_number: new.phone_number,
        name: new.name,
        channel: new.channel,
        at: now,
        throughput: new.throughput,
    }
}

impl SessionState {
    /// Connecting is always allowed: it re-checks the credentials, and a
    /// connected session that fails the check is in error from then on.
    fn connect(&self, verification: Verification, now: DateTime<Utc>) -> SessionEvent {
        match verification {
            Verification::Verified {
                display_phone_number,
                verified_name,
                quality_rating,
            } => {
                if !same_number(&display_phone_number, &self.phone_number) {
                    return SessionEvent::ConnectionFailed {
                        at: now,
                        code: None,
                        reason: format!(
                            "the credentials belong to the number {display_phone_number}, not to {}",
                            self.phone_number
                        ),
                    };
                }
                SessionEvent::Connected {
                    at: now,
                    verified_name,
                    quality_rating,
                }
            }
            Verification::Refused { code, reason } => SessionEvent::ConnectionFailed {
                at: now,
                code: Some(code),
                reason,
            },
            Verification::Unreachable { reason } => SessionEvent::ConnectionFailed {
                at: now,
                code: None,
                reason: format!("the Graph API could not be reached: {reason}"),
            },
        }
    }

    /// Disconnecting a disconnected session changes nothing, so a client
    /// may repeat the request safely.
    fn disconnect(&self, now: DateTime<Utc>) -> Vec<SessionEvent> {
        if self.status == SessionStatus::Disconnected {
            return vec![];
        }
        vec![SessionEvent::Disconnected { at: now }]
    }

    fn replace_channel(&self, channel: CloudApiChannel, now: DateTime<Utc>) -> Vec<SessionEvent> {
        if channel.same_credentials(&self.channel) {
            return vec![];
        }
        vec![SessionEvent::ChannelReplaced { channel, at: now }]
    }

    fn apply(&mut self, event: SessionEvent) {
        match event {
            SessionEvent::Created { .. } => {}
            SessionEvent::Connected { quality_rating, .. } => {
                self.status = SessionStatus::Connected;
                self.retry_count = 0;
                // A connect reads the rating afresh: it has the last word
                // over an earlier flag.
                self.quality_rating = quality_rating;
                self.quality_flagged = false;
            }
            SessionEvent::ConnectionFailed { .. } => {
                self.status = SessionStatus::Error;
                self.retry_count += 1;
            }
            SessionEvent::Disconnected { .. } => self.status = SessionStatus::Disconnected,
            SessionEvent::ChannelReplaced { channel, .. } => {
                self.channel = channel;
                self.status = SessionStatus::Initializing;
            }
            SessionEvent::Deleted { .. } => self.deleted = true,
            SessionEvent::ThroughputSet { throughput, .. } => self.throughput = Some(throughput),
            SessionEvent::QualityReported { event, .. } => match event.as_str() {
                "FLAGGED" => self.quality_flagged = true,
                "UNFLAGGED" => self.quality_flagged = false,
                _ => {}
            },
        }
    }
}

/// Meta writes the display number with spaces and dashes (`+1 555-078-3881`)
/// or as bare digits; only the digits are compared.
fn same_number(display: &str, number: &PhoneNumber) -> bool {
    display
        .chars()
        .filter(char::is_ascii_digit)
        .eq(number.digits().chars())
}

/// The id of the tenant's session for `number`: the same pair always gives
/// the same id, which is what keeps a tenant's numbers unique (seed index
/// `userId + phoneNumber`) without a lookup that could race.
pub fn session_id_for(tenant: &TenantId, number: &PhoneNumber) -> SessionId {
    const NAMESPACE: uuid::Uuid = uuid::Uuid::from_u128(0x6a1c_2f0e_93b4_4d1e_a7c5_5e2b_8f40_0001);
    let name = format!("{tenant}/{number}");
    let id = uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes());
    SessionId::parse(&id.to_string())
        .unwrap_or_else(|_| unreachable!("a UUID is a safe subject token"))
}
