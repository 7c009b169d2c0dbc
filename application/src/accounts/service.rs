//! Signing up, signing in, tokens and the account's one-time links.

use chrono::{DateTime, Duration as Span, Utc};
use herald_domain::account::{
    Denial, Email, NewUser, OneTimeToken, Presented, Profile, Role, TokenHash, User, UserCommand,
    Username,
};
use herald_domain::secret::{SealedSecret, SecretField};
use herald_domain::{Clock, TenantId};
use std::sync::Arc;
use std::time::Duration;
use tracing::warn;
use uuid::Uuid;

use super::credentials::{random_family, IssuedToken, Password, TokenKind};
use super::error::AccountsError;
use super::ports::{
    AccessClaims, AccessTokens, Mail, Mailer, NameHolder, NameRegistry, PasswordCheck,
    PasswordHasher, UniqueName,
};
use super::principal::{Actor, Principal};
use super::recent::RecentAccounts;
use crate::audit::Denials;
use crate::commands::{CommandExecutor, CommandReceipt};
use crate::metadata::CommandMetadata;
use crate::ports::event_store::TenantEventStores;
use crate::ports::vault::{SecretBinding, Vault};

/// How long what the accounts service hands out lasts.
#[derive(Debug, Clone)]
pub struct AccountSettings {
    /// An access token (JWT): short, since it is checked without the log.
    pub access_lifetime: Duration,
    /// A sign-in's refresh tokens, from the last refresh.
    pub refresh_lifetime: Duration,
    /// An e-mail verification link (24 hours, seed 000).
    pub verification_lifetime: Duration,
    /// A password reset link (1 hour, seed 000).
    pub reset_lifetime: Duration,
    /// An invitation's link to set a first password.
    pub invitation_lifetime: Duration,
    /// How long a node trusts what it read of an account before reading it
    /// again (see [`RecentAccounts`]).
    pub recheck_after: Duration,
    /// Where links in e-mails point: the API's public address.
    pub public_url: String,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            access_lifetime: Duration::from_secs(15 * 60),
            refresh_lifetime: Duration::from_secs(30 * 24 * 3600),
            verification_lifetime: Duration::from_secs(24 * 3600),
            reset_lifetime: Duration::from_secs(3600),
            invitation_lifetime: Duration::from_secs(7 * 24 * 3600),
            recheck_after: Duration::from_secs(2),
            public_url: "http://localhost:8080".into(),
        }
    }
}

/// A new account, its values already checked.
#[derive(Debug, Clone)]
pub struct SignUp {
    pub email: Email,
    pub username: Username,
    pub password: Password,
    pub profile: Profile,
}

/// A user an admin adds to its tenant.
#[derive(Debug, Clone)]
pub struct Invite {
    pub email: Email,
    pub username: Username,
    pub role: Role,
    pub profile: Profile,
}

#[derive(Debug, Clone)]
pub struct SignedUp {
    pub tenant: TenantId,
    pub user: Uuid,
    pub receipt: CommandReceipt,
}

/// What a sign-in or a refresh hands back.
#[derive(Clone)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: Duration,
    pub tenant: TenantId,
    pub user: Uuid,
    pub role: Role,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("tenant", &self.tenant)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

/// The parts the accounts service works with.
pub struct AccountParts {
    pub hasher: Arc<dyn PasswordHasher>,
    pub access_tokens: Arc<dyn AccessTokens>,
    pub names: Arc<dyn NameRegistry>,
    pub mailer: Arc<dyn Mailer>,
    pub vault: Arc<dyn Vault>,
    pub clock: Arc<dyn Clock>,
    pub settings: AccountSettings,
}

pub struct AccountService<U> {
    users: CommandExecutor<User, U>,
    parts: AccountParts,
    recent: RecentAccounts<User>,
    /// Where refused sign-ins of known accounts are recorded.
    denials: Option<Arc<dyn Denials>>,
}

/// A claim younger than this whose account does not exist yet is a
/// sign-up still under way, not one that died half-way.
const UNFINISHED_CLAIM_AGE: Span = Span::seconds(60);

impl<U: TenantEventStores<User>> AccountService<U> {
    pub fn new(users: U, parts: AccountParts) -> Self {
        let services = herald_domain::account::AccountServices::new(Arc::clone(&parts.clock));
        let recent = RecentAccounts::new(parts.settings.recheck_after);
        Self {
            users: CommandExecutor::new(users, services),
            parts,
            recent,
            denials: None,
        }
    }

    /// The same service, recording each refused sign-in to an account
    /// that exists (a wrong password, a deactivated account) as a denial
    /// of that account, for its tenant's audit log.
    pub fn recording_denials(self, denials: Arc<dyn Denials>) -> Self {
        Self {
            denials: Some(denials),
            ..self
        }
    }

    /// Records a refused sign-in beside the answer, never before it: the
    /// refusal must take as long whether or not the account exists, or
    /// its time would tell which addresses have one.
    fn record_refused_sign_in(
        &self,
        tenant: &TenantId,
        id: Uuid,
        request: &CommandMetadata,
        reason: &str,
    ) {
        let Some(denials) = self.denials.clone() else {
            return;
        };
        let denial = Denial {
            action: "sign_in".into(),
            method: "POST".into(),
            path: "/v1/auth/login".into(),
            reason: reason.to_owned(),
        };
        let metadata = as_user(request, tenant, id);
        tokio::spawn(async move { denials.record(denial, &metadata).await });
    }

    fn now(&self) -> DateTime<Utc> {
        self.parts.clock.now()
    }

    /// Signs up a new tenant and its first user, its admin. `tenant` names
    /// the tenant (the operator's command does); otherwise a new id is made.
    ///
    /// # Errors
    /// `Taken` when the e-mail address or username is held by another
    /// account; `Unavailable` and `Internal` when a store fails.
    pub async fn sign_up(
        &self,
        sign_up: SignUp,
        tenant: Option<TenantId>,
        request: &CommandMetadata,
    ) -> Result<SignedUp, AccountsError> {
        let tenant = match tenant {
            Some(tenant) => tenant,
            None => TenantId::parse(&Uuid::now_v7().simple().to_string())
                .map_err(|e| AccountsError::Internal(e.to_string()))?,
        };
        let user = Uuid::now_v7();
        let new = self
            .new_user(&tenant, user, sign_up, Role::Admin, None)
            .await?;
        // The new user signs itself up: the log says so.
        let metadata = as_user(request, &tenant, user);
        let receipt = self.register(&tenant, user, new, &metadata).await?;
        Ok(SignedUp {
            tenant,
            user,
            receipt,
        })
    }

    /// An admin adds a user to its tenant; the user gets a link to set a
    /// password, valid for the invitation's lifetime.
    ///
    /// # Errors
    /// As [`Self::sign_up`].
    pub async fn invite(
        &self,
        admin: &Principal,
        invite: Invite,
        request: &CommandMetadata,
    ) -> Result<(Uuid, CommandReceipt), AccountsError> {
        let Invite {
            email,
            username,
            role,
            profile,
        } = invite;
        let user = Uuid::now_v7();
        // Nobody knows this password: the invited user sets one.
        let placeholder = Password::parse(&super::credentials::random_secret(), "password")
            .map_err(|e| AccountsError::Internal(e.to_string()))?;
        let sign_up = SignUp {
            email,
            username,
            password: placeholder,
            profile,
        };
        let new = self
            .new_user(&admin.tenant, user, sign_up, role, admin.user_id())
            .await?;
        let to = new.email.clone();
        let receipt = self
            .users_execute(&admin.tenant, user, UserCommand::Register(new), request)
            .await?;
        let lifetime = self.parts.settings.invitation_lifetime;
        self.send_link(
            &admin.tenant,
            user,
            &to,
            TokenKind::PasswordReset,
            lifetime,
            request,
        )
        .await?;
        Ok((user, receipt))
    }

    async fn new_user(
        &self,
        tenant: &TenantId,
        user: Uuid,
        sign_up: SignUp,
        role: Role,
        invited_by: Option<Uuid>,
    ) -> Result<NewUser, AccountsError> {
        let holder = NameHolder {
            tenant: tenant.clone(),
            user,
            claimed_at: self.now(),
        };
        let email = UniqueName::Email(sign_up.email.clone());
        let username = UniqueName::Username(sign_up.username.folded());
        self.claim(&email, &holder, "email").await?;
        if let Err(error) = self.claim(&username, &holder, "username").await {
            self.release(&email, &holder).await;
            return Err(error);
        }
        let password = self.seal_password(tenant, user, &sign_up.password).await?;
        Ok(NewUser {
            email: sign_up.email,
            username: sign_up.username,
            password,
            role,
            profile: sign_up.profile,
            invited_by: invited_by.map(|id| id.to_string()),
        })
    }

    async fn register(
        &self,
        tenant: &TenantId,
        user: Uuid,
        new: NewUser,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        let to = new.email.clone();
        let receipt = self
            .users_execute(tenant, user, UserCommand::Register(new), request)
            .await?;
        let lifetime = self.parts.settings.verification_lifetime;
        self.send_link(
            tenant,
            user,
            &to,
            TokenKind::EmailVerification,
            lifetime,
            request,
        )
        .await?;
        Ok(receipt)
    }

    /// Claims `name` for `holder`, taking it over from a sign-up that
    /// claimed it and died before its account was recorded.
    async fn claim(
        &self,
        name: &UniqueName,
        holder: &NameHolder,
        field: &'static str,
    ) -> Result<(), AccountsError> {
        let registry = &self.parts.names;
        let unavailable =
            |e: super::ports::RegistryError| AccountsError::Unavailable(e.to_string());
        let current = registry.claim(name, holder).await.map_err(unavailable)?;
        if current.is_same_account(holder) {
            return Ok(());
        }
        let unfinished = self.now() - current.claimed_at > UNFINISHED_CLAIM_AGE
            && !self
                .load_user(&current.tenant, current.user)
                .await?
                .exists();
        if unfinished
            && registry
                .take_over(name, &current, holder)
                .await
                .map_err(unavailable)?
        {
            return Ok(());
        }
        Err(AccountsError::Taken(field))
    }

    async fn release(&self, name: &UniqueName, holder: &NameHolder) {
        if let Err(error) = self.parts.names.release(name, holder).await {
            warn!(%error, "a name claimed by a failed sign-up could not be released");
        }
    }

    async fn seal_password(
        &self,
        tenant: &TenantId,
        user: Uuid,
        password: &Password,
    ) -> Result<SealedSecret, AccountsError> {
        let hash = self
            .parts
            .hasher
            .hash(password)
            .await
            .map_err(|e| AccountsError::Internal(e.to_string()))?;
        let owner = user.to_string();
        self.parts
            .vault
            .seal(&hash, password_binding(tenant, &owner))
            .map_err(|e| AccountsError::Internal(e.to_string()))
    }

    /// Signs in with an e-mail address or username and a password.
    ///
    /// # Errors
    /// `BadCredentials` for an unknown account or a wrong password, alike
    /// and in the same time; `Deactivated` for a deactivated account.
    pub async fn sign_in(
        &self,
        identifier: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError> {
        let Some((tenant, id, user)) = self.find_by_name(identifier).await? else {
            self.parts.hasher.check_nothing(password).await;
            return Err(AccountsError::BadCredentials);
        };
        let owner = id.to_string();
        let stored = user
            .password()
            .ok_or(AccountsError::BadCredentials)
            .and_then(|sealed| {
                self.parts
                    .vault
                    .open(sealed, password_binding(&tenant, &owner))
                    .map_err(|e| AccountsError::Internal(e.to_string()))
            })?;
        let needs_rehash = match self.parts.hasher.check(password, stored.expose()).await {
            PasswordCheck::DoesNotMatch => {
                self.record_refused_sign_in(&tenant, id, request, "bad_credentials");
                return Err(AccountsError::BadCredentials);
            }
            PasswordCheck::Matches { needs_rehash } => needs_rehash,
        };
        if !user.is_active() {
            self.record_refused_sign_in(&tenant, id, request, "deactivated");
            return Err(AccountsError::Deactivated);
        }
        let metadata = as_user(request, &tenant, id);
        let family = random_family();
        let refresh = IssuedToken::new(TokenKind::Refresh, &tenant, id, Some(&family));
        let command = UserCommand::SignIn {
            family: family.clone(),
            refresh: self.hash_token(&refresh),
            expires_at: self.now() + span(self.parts.settings.refresh_lifetime),
        };
        self.users_execute(&tenant, id, command, &metadata).await?;
        if needs_rehash {
            self.rehash(&tenant, id, password, &metadata).await;
        }
        let role = user.role().unwrap_or(Role::Agent);
        self.tokens(&tenant, id, role, family, &refresh)
    }

    /// The account an e-mail address or username names, as the log holds it.
    async fn find_by_name(
        &self,
        identifier: &str,
    ) -> Result<Option<(TenantId, Uuid, User)>, AccountsError> {
        let name = if identifier.contains('@') {
            match Email::parse(identifier) {
                Ok(email) => UniqueName::Email(email),
                Err(_) => return Ok(None),
            }
        } else {
            UniqueName::Username(identifier.trim().to_ascii_lowercase())
        };
        let holder = self
            .parts
            .names
            .holder(&name)
            .await
            .map_err(|e| AccountsError::Unavailable(e.to_string()))?;
        let Some(holder) = holder else {
            return Ok(None);
        };
        let user = self.load_user(&holder.tenant, holder.user).await?;
        Ok(user.exists().then_some((holder.tenant, holder.user, user)))
    }

    async fn rehash(
        &self,
        tenant: &TenantId,
        id: Uuid,
        password: &Password,
        metadata: &CommandMetadata,
    ) {
        let rehashed = match self.seal_password(tenant, id, password).await {
            Ok(sealed) => sealed,
            Err(error) => return warn!(%error, "a password could not be hashed again"),
        };
        let command = UserCommand::RehashPassword(rehashed);
        if let Err(error) = self.users_execute(tenant, id, command, metadata).await {
            warn!(%error, "a password hashed again could not be recorded");
        }
    }

    fn tokens(
        &self,
        tenant: &TenantId,
        user: Uuid,
        role: Role,
        family: String,
        refresh: &IssuedToken,
    ) -> Result<Tokens, AccountsError> {
        let lifetime = self.parts.settings.access_lifetime;
        let claims = AccessClaims {
            tenant: tenant.clone(),
            user,
            family,
            role,
            expires_at: self.now() + span(lifetime),
        };
        let access_token = self
            .parts
            .access_tokens
            .issue(&claims)
            .map_err(|e| AccountsError::Internal(e.to_string()))?;
        Ok(Tokens {
            access_token,
            refresh_token: refresh.reveal().to_owned(),
            expires_in: lifetime,
            tenant: tenant.clone(),
            user,
            role,
        })
    }

    /// Trades a refresh token for a new access token and the next refresh
    /// token. A used one presented again ends its sign-in.
    ///
    /// # Errors
    /// `Unauthenticated` for a token that is not valid, `TokenExpired`,
    /// `TokenReused` (the sign-in is ended), `Deactivated`.
    pub async fn refresh(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<Tokens, AccountsError> {
        let refused = AccountsError::Unauthenticated("the refresh token is not valid");
        let presented = IssuedToken::parse(TokenKind::Refresh, token).ok_or(refused)?;
        let (tenant, id) = (presented.tenant.clone(), presented.account);
        let family = presented.family.clone().unwrap_or_default();
        let next = IssuedToken::new(TokenKind::Refresh, &tenant, id, Some(&family));
        let command = UserCommand::Refresh {
            family: family.clone(),
            presented: self.presented(&presented),
            next: self.hash_token(&next),
            expires_at: self.now() + span(self.parts.settings.refresh_lifetime),
        };
        let metadata = as_user(request, &tenant, id);
        self.users_execute(&tenant, id, command, &metadata)
            .await
            .map_err(|e| match e {
                AccountsError::NotFound => {
                    AccountsError::Unauthenticated("the refresh token is not valid")
                }
                other => other,
            })?;
        let user = self.load_user(&tenant, id).await?;
        if !user.signed_in(&family, self.now()) {
            return Err(AccountsError::TokenReused);
        }
        let role = user.role().unwrap_or(Role::Agent);
        self.tokens(&tenant, id, role, family, &next)
    }

    /// Ends the principal's sign-in: its refresh tokens stop working, and
    /// its access tokens too.
    ///
    /// # Errors
    /// When the principal is not a user, or the store fails.
    pub async fn sign_out(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        let Actor::User { id, family, .. } = &principal.actor else {
            return Err(AccountsError::Forbidden(
                "an API key has no sign-in to end; revoke the key instead".into(),
            ));
        };
        let command = UserCommand::SignOut {
            family: family.clone(),
        };
        self.users_execute(&principal.tenant, *id, command, request)
            .await
    }

    /// Sends the principal a new link to verify its e-mail address.
    ///
    /// # Errors
    /// When the address is already verified, or a store fails.
    pub async fn request_verification(
        &self,
        principal: &Principal,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError> {
        let id = principal
            .user_id()
            .ok_or_else(|| AccountsError::Forbidden("an API key has no e-mail address".into()))?;
        let user = self.load_user(&principal.tenant, id).await?;
        let to = user.email().cloned().ok_or(AccountsError::NotFound)?;
        let lifetime = self.parts.settings.verification_lifetime;
        self.send_link(
            &principal.tenant,
            id,
            &to,
            TokenKind::EmailVerification,
            lifetime,
            request,
        )
        .await
    }

    /// Verifies an e-mail address with the link's token (once).
    ///
    /// # Errors
    /// `Unauthenticated` for a token not valid or used, `TokenExpired`.
    pub async fn verify_email(
        &self,
        token: &str,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        let presented = IssuedToken::parse(TokenKind::EmailVerification, token)
            .ok_or(AccountsError::Unauthenticated("the token is not valid"))?;
        let command = UserCommand::VerifyEmail(self.presented(&presented));
        let metadata = as_user(request, &presented.tenant, presented.account);
        self.one_time(&presented, command, &metadata).await
    }

    /// Sends a password reset link to the account of `email`, if there is
    /// one; the answer is the same either way, so nobody learns which
    /// addresses have accounts.
    ///
    /// # Errors
    /// When a store fails.
    pub async fn request_reset(
        &self,
        email: &Email,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError> {
        let Some((tenant, id, user)) = self.find_by_name(email.as_str()).await? else {
            return Ok(());
        };
        if !user.is_active() {
            return Ok(());
        }
        let metadata = as_user(request, &tenant, id);
        let lifetime = self.parts.settings.reset_lifetime;
        self.send_link(
            &tenant,
            id,
            email,
            TokenKind::PasswordReset,
            lifetime,
            &metadata,
        )
        .await
    }

    /// Sets a new password with the link's token (once); every sign-in of
    /// the account ends.
    ///
    /// # Errors
    /// `Unauthenticated` for a token not valid or used, `TokenExpired`.
    pub async fn reset_password(
        &self,
        token: &str,
        password: &Password,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        let presented = IssuedToken::parse(TokenKind::PasswordReset, token)
            .ok_or(AccountsError::Unauthenticated("the token is not valid"))?;
        let sealed = self
            .seal_password(&presented.tenant, presented.account, password)
            .await?;
        let command = UserCommand::ResetPassword {
            token: self.presented(&presented),
            password: sealed,
        };
        let metadata = as_user(request, &presented.tenant, presented.account);
        self.one_time(&presented, command, &metadata).await
    }

    async fn one_time(
        &self,
        presented: &IssuedToken,
        command: UserCommand,
        metadata: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        self.users_execute(&presented.tenant, presented.account, command, metadata)
            .await
            .map_err(|e| match e {
                AccountsError::NotFound => AccountsError::Unauthenticated("the token is not valid"),
                other => other,
            })
    }

    /// Changes another user's role, or (de)activates them. An admin cannot
    /// do it to itself, so a tenant is never left without one by mistake.
    ///
    /// # Errors
    /// `Forbidden` on itself, `NotFound` for a user not of the tenant.
    pub async fn administer(
        &self,
        admin: &Principal,
        user: Uuid,
        command: UserCommand,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        if admin.user_id() == Some(user) {
            return Err(AccountsError::Forbidden(
                "you cannot change your own role or deactivate yourself; ask another admin".into(),
            ));
        }
        self.users_execute(&admin.tenant, user, command, request)
            .await
    }

    async fn send_link(
        &self,
        tenant: &TenantId,
        user: Uuid,
        to: &Email,
        kind: TokenKind,
        lifetime: Duration,
        request: &CommandMetadata,
    ) -> Result<(), AccountsError> {
        let token = IssuedToken::new(kind, tenant, user, None);
        let issued = OneTimeToken {
            hash: self.hash_token(&token),
            expires_at: self.now() + span(lifetime),
        };
        let (command, subject, path) = match kind {
            TokenKind::EmailVerification => (
                UserCommand::IssueEmailVerification(issued),
                "Verify your e-mail address",
                "verify-email",
            ),
            _ => (
                UserCommand::IssuePasswordReset(issued),
                "Set your password",
                "reset-password",
            ),
        };
        self.users_execute(tenant, user, command, request).await?;
        let hours = lifetime.as_secs() / 3600;
        let mail = Mail {
            to: to.clone(),
            subject: subject.to_owned(),
            body: format!(
                "{subject}: {}/v1/auth/{path}?token={}\n\nThe link works once, for {hours} hour(s).\n",
                self.parts.settings.public_url.trim_end_matches('/'),
                token.reveal()
            ),
        };
        if let Err(error) = self.parts.mailer.send(mail).await {
            warn!(%error, "an account e-mail could not be sent");
        }
        Ok(())
    }

    /// The principal a user's access token stands for, with the role and
    /// standing the log gives the user now (read at most
    /// [`AccountSettings::recheck_after`] ago).
    ///
    /// # Errors
    /// `Unauthenticated` when the user is gone, deactivated or signed out.
    pub async fn principal_for(&self, claims: AccessClaims) -> Result<Principal, AccountsError> {
        let user = match self.recent.get(&claims.tenant, claims.user) {
            Some(user) => user,
            None => {
                let user = self.load_user(&claims.tenant, claims.user).await?;
                self.recent.put(&claims.tenant, claims.user, user.clone());
                user
            }
        };
        if !user.signed_in(&claims.family, self.now()) {
            return Err(AccountsError::Unauthenticated(
                "the sign-in has ended; sign in again",
            ));
        }
        let role = user
            .role()
            .ok_or(AccountsError::Unauthenticated("no such user"))?;
        Ok(Principal {
            tenant: claims.tenant,
            actor: Actor::User {
                id: claims.user,
                role,
                family: claims.family,
            },
        })
    }

    /// The principal a user's access token (a JWT) stands for.
    ///
    /// # Errors
    /// `TokenExpired`, or `Unauthenticated` for a token that does not
    /// check or whose sign-in has ended.
    pub async fn authenticate(&self, token: &str) -> Result<Principal, AccountsError> {
        let claims = self.parts.access_tokens.check(token).map_err(|e| match e {
            super::ports::AccessTokenError::Expired => AccountsError::TokenExpired,
            super::ports::AccessTokenError::Invalid => {
                AccountsError::Unauthenticated("the access token is not valid")
            }
        })?;
        self.principal_for(claims).await
    }

    /// # Errors
    /// When the store fails.
    pub async fn load_user(&self, tenant: &TenantId, id: Uuid) -> Result<User, AccountsError> {
        self.users
            .load(tenant, &id.to_string())
            .await
            .map_err(AccountsError::from)
    }

    async fn users_execute(
        &self,
        tenant: &TenantId,
        id: Uuid,
        command: UserCommand,
        request: &CommandMetadata,
    ) -> Result<CommandReceipt, AccountsError> {
        let metadata = request.next_command(tenant);
        let receipt = self
            .users
            .execute(&id.to_string(), command, &metadata)
            .await
            .map_err(AccountsError::from);
        self.recent.forget(tenant, id);
        receipt
    }

    fn hash_token(&self, token: &IssuedToken) -> TokenHash {
        TokenHash::new(self.parts.vault.fingerprint(token.reveal()))
    }

    fn presented(&self, token: &IssuedToken) -> Presented {
        Presented(
            self.parts
                .vault
                .fingerprints(token.reveal())
                .into_iter()
                .map(TokenHash::new)
                .collect(),
        )
    }
}

fn password_binding<'a>(tenant: &'a TenantId, owner: &'a str) -> SecretBinding<'a> {
    SecretBinding {
        tenant,
        owner,
        field: SecretField::PasswordHash,
    }
}

/// The request's metadata, as the user `id` of `tenant` acting (a sign-in,
/// a link followed: before any token says who it is).
fn as_user(request: &CommandMetadata, tenant: &TenantId, id: Uuid) -> CommandMetadata {
    CommandMetadata {
        tenant: tenant.clone(),
        actor: format!("user:{id}"),
        ..request.clone()
    }
}

fn span(duration: Duration) -> Span {
    Span::from_std(duration).unwrap_or(Span::MAX)
}
