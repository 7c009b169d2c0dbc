//! The User aggregate: one account of a tenant, its password (hashed and
//! sealed), its one-time tokens and its sign-ins.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::Aggregate;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

use super::error::AccountError;
use super::profile::{Email, Username};
use super::role::Role;
use super::tokens::{OneTimeToken, Presented, TokenHash};
use super::user_commands::{NewUser, Profile, UserCommand};
use super::user_events::UserEvent;
use crate::clock::Clock;
use crate::secret::SealedSecret;

/// How many used refresh tokens a family remembers, to recognise one
/// presented again; an older one is refused without ending the family.
const USED_TOKENS_KEPT: usize = 32;

/// What the account aggregates may ask of the world: only the time.
#[derive(Clone)]
pub struct AccountServices {
    clock: Arc<dyn Clock>,
}

impl AccountServices {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self { clock }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct User {
    state: Option<UserState>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct UserState {
    email: Email,
    username: Username,
    password: SealedSecret,
    role: Role,
    profile: Profile,
    active: bool,
    email_verified: bool,
    verification: Option<OneTimeToken>,
    reset: Option<OneTimeToken>,
    last_login: Option<DateTime<Utc>>,
    registered_at: DateTime<Utc>,
    families: BTreeMap<String, RefreshFamily>,
}

/// The refresh tokens of one sign-in: the one that works now, and the
/// last ones used, which must never come back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct RefreshFamily {
    current: TokenHash,
    expires_at: DateTime<Utc>,
    used: VecDeque<TokenHash>,
}

impl Aggregate for User {
    const TYPE: &'static str = "user";
    type Command = UserCommand;
    type Event = UserEvent;
    type Error = AccountError;
    type Services = AccountServices;

    async fn handle(
        &mut self,
        command: UserCommand,
        services: &AccountServices,
        sink: &EventSink<Self>,
    ) -> Result<(), AccountError> {
        for event in self.decide(command, services.clock.now())? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: UserEvent) {
        match (&mut self.state, event) {
            (
                _,
                UserEvent::Registered {
                    email,
                    username,
                    password,
                    role,
                    profile,
                    at,
                    ..
                },
            ) => {
                self.state = Some(UserState {
                    email,
                    username,
                    password,
                    role,
                    profile,
                    active: true,
                    email_verified: false,
                    verification: None,
                    reset: None,
                    last_login: None,
                    registered_at: at,
                    families: BTreeMap::new(),
                });
            }
            (Some(state), event) => state.apply(event),
            (None, _) => {}
        }
    }
}

impl User {
    pub fn exists(&self) -> bool {
        self.state.is_some()
    }

    pub fn is_active(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.active)
    }

    pub fn role(&self) -> Option<Role> {
        self.state.as_ref().map(|s| s.role)
    }

    pub fn email(&self) -> Option<&Email> {
        self.state.as_ref().map(|s| &s.email)
    }

    pub fn username(&self) -> Option<&Username> {
        self.state.as_ref().map(|s| &s.username)
    }

    pub fn password(&self) -> Option<&SealedSecret> {
        self.state.as_ref().map(|s| &s.password)
    }

    pub fn email_verified(&self) -> bool {
        self.state.as_ref().is_some_and(|s| s.email_verified)
    }

    pub fn profile(&self) -> Option<&Profile> {
        self.state.as_ref().map(|s| &s.profile)
    }

    pub fn registered_at(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().map(|s| s.registered_at)
    }

    pub fn last_login(&self) -> Option<DateTime<Utc>> {
        self.state.as_ref().and_then(|s| s.last_login)
    }

    /// Whether the sign-in `family` still works at `now`.
    pub fn signed_in(&self, family: &str, now: DateTime<Utc>) -> bool {
        self.state
            .as_ref()
            .is_some_and(|s| s.active && s.families.get(family).is_some_and(|f| now < f.expires_at))
    }

    fn decide(
        &self,
        command: UserCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, AccountError> {
        let Some(state) = &self.state else {
            return match command {
                UserCommand::Register(new) => Ok(vec![registered(new, now)]),
                _ => Err(AccountError::NotFound),
            };
        };
        state.decide(command, now)
    }
}

fn registered(new: NewUser, at: DateTime<Utc>) -> UserEvent {
    UserEvent::Registered {
        email: new.email,
        username: new.username,
        password: new.password,
        role: new.role,
        profile: new.profile,
        invited_by: new.invited_by,
        at,
    }
}

impl UserState {
    fn decide(
        &self,
        command: UserCommand,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, AccountError> {
        let one = |event: UserEvent| Ok(vec![event]);
        match command {
            UserCommand::Register(_) => Err(AccountError::AlreadyExists),
            UserCommand::UpdateProfile(profile) => Ok((self.profile != profile)
                .then_some(UserEvent::ProfileUpdated { profile, at: now })
                .into_iter()
                .collect()),
            UserCommand::ChangeRole(role) => Ok((self.role != role)
                .then_some(UserEvent::RoleChanged { role, at: now })
                .into_iter()
                .collect()),
            UserCommand::Deactivate => Ok(self
                .active
                .then_some(UserEvent::Deactivated { at: now })
                .into_iter()
                .collect()),
            UserCommand::Reactivate => Ok((!self.active)
                .then_some(UserEvent::Reactivated { at: now })
                .into_iter()
                .collect()),
            UserCommand::IssueEmailVerification(token) => {
                if self.email_verified {
                    return Err(AccountError::NotAllowed(
                        "the e-mail address is already verified".into(),
                    ));
                }
                one(UserEvent::EmailVerificationIssued { token, at: now })
            }
            UserCommand::VerifyEmail(presented) => {
                check_one_time(self.verification.as_ref(), &presented, now)?;
                one(UserEvent::EmailVerified { at: now })
            }
            UserCommand::IssuePasswordReset(token) => {
                self.check_active()?;
                one(UserEvent::PasswordResetIssued { token, at: now })
            }
            UserCommand::ResetPassword { token, password } => {
                self.check_active()?;
                check_one_time(self.reset.as_ref(), &token, now)?;
                one(UserEvent::PasswordReset { password, at: now })
            }
            UserCommand::RehashPassword(password) => {
                one(UserEvent::PasswordRehashed { password, at: now })
            }
            UserCommand::SignIn {
                family,
                refresh,
                expires_at,
            } => {
                self.check_active()?;
                if self.families.contains_key(&family) {
                    return Err(AccountError::AlreadyExists);
                }
                one(UserEvent::SignedIn {
                    family,
                    refresh,
                    expires_at,
                    at: now,
                })
            }
            UserCommand::Refresh {
                family,
                presented,
                next,
                expires_at,
            } => self.refresh(family, &presented, next, expires_at, now),
            UserCommand::SignOut { family } => Ok(self
                .families
                .contains_key(&family)
                .then_some(UserEvent::SignedOut { family, at: now })
                .into_iter()
                .collect()),
        }
    }

    fn check_active(&self) -> Result<(), AccountError> {
        if self.active {
            Ok(())
        } else {
            Err(AccountError::Deactivated)
        }
    }

    /// The current token of a family buys the next; a used one, presented
    /// again, ends the family (and the caller is refused, seeing it ended).
    fn refresh(
        &self,
        family: String,
        presented: &Presented,
        next: TokenHash,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Vec<UserEvent>, AccountError> {
        self.check_active()?;
        let Some(current) = self.families.get(&family) else {
            return Err(AccountError::TokenRefused);
        };
        if current.used.iter().any(|used| presented.matches(used)) {
            return Ok(vec![UserEvent::RefreshReused { family, at: now }]);
        }
        if !presented.matches(&current.current) {
            return Err(AccountError::TokenRefused);
        }
        if now >= current.expires_at {
            return Err(AccountError::TokenExpired);
        }
        Ok(vec![UserEvent::RefreshRotated {
            family,
            refresh: next,
            expires_at,
            at: now,
        }])
    }

    fn apply(&mut self, event: UserEvent) {
        match event {
            UserEvent::Registered { .. } => {}
            UserEvent::ProfileUpdated { profile, .. } => self.profile = profile,
            UserEvent::RoleChanged { role, .. } => self.role = role,
            UserEvent::Deactivated { .. } => {
                self.active = false;
                self.families.clear();
            }
            UserEvent::Reactivated { .. } => self.active = true,
            UserEvent::EmailVerificationIssued { token, .. } => self.verification = Some(token),
            UserEvent::EmailVerified { .. } => {
                self.email_verified = true;
                self.verification = None;
            }
            UserEvent::PasswordResetIssued { token, .. } => self.reset = Some(token),
            UserEvent::PasswordReset { password, .. } => {
                self.password = password;
                self.reset = None;
                self.families.clear();
            }
            UserEvent::PasswordRehashed { password, .. } => self.password = password,
            UserEvent::SignedIn {
                family,
                refresh,
                expires_at,
                at,
            } => {
                self.last_login = Some(at);
                self.families.retain(|_, f| at < f.expires_at);
                self.families.insert(
                    family,
                    RefreshFamily {
                        current: refresh,
                        expires_at,
                        used: VecDeque::new(),
                    },
                );
            }
            UserEvent::RefreshRotated {
                family,
                refresh,
                expires_at,
                ..
            } => {
                if let Some(f) = self.families.get_mut(&family) {
                    let used = std::mem::replace(&mut f.current, refresh);
                    f.used.push_front(used);
                    f.used.truncate(USED_TOKENS_KEPT);
                    f.expires_at = expires_at;
                }
            }
            UserEvent::RefreshReused { family, .. } | UserEvent::SignedOut { family, .. } => {
                self.families.remove(&family);
            }
        }
    }
}

/// A one-time token works if it was issued, is presented before it
/// expires, and has not been used (using it clears it).
fn check_one_time(
    issued: Option<&OneTimeToken>,
    presented: &Presented,
    now: DateTime<Utc>,
) -> Result<(), AccountError> {
    let issued = issued
        .filter(|token| presented.matches(&token.hash))
        .ok_or(AccountError::TokenRefused)?;
    if now >= issued.expires_at {
        return Err(AccountError::TokenExpired);
    }
    Ok(())
}
