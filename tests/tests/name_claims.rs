//! Unique names left behind: a sign-up that claimed its e-mail address and
//! username, then died before its account was recorded, holds them for a
//! minute; after that another sign-up takes them over. A name whose
//! account was recorded is never taken over. The services run on fixed
//! clocks, so no test waits out the minute.

use chrono::{DateTime, Duration, Utc};
use herald_application::accounts::credentials::Password;
use herald_application::accounts::ports::{NameHolder, NameRegistry, UniqueName};
use herald_application::accounts::{
    AccountParts, AccountService, AccountSettings, AccountsError, SignUp,
};
use herald_application::CommandMetadata;
use herald_domain::account::{Email, Profile, User, Username};
use herald_domain::clock::FixedClock;
use herald_domain::TenantId;
use herald_infrastructure::accounts::{Argon2Hasher, JwtAccessTokens, OutboxMailer};
use herald_infrastructure::crypto::{AesGcmVault, SecretKey};
use herald_infrastructure::jetstream::{
    EventLog, EventLogConfig, JetStreamEventStore, JetStreamNameRegistry,
};
use herald_tests::TestNats;
use std::sync::Arc;
use tempfile::TempDir;
use uuid::Uuid;

type Accounts = AccountService<JetStreamEventStore<User>>;

const EMAIL: &str = "ann@example.com";
const USERNAME: &str = "ann";

/// When the first claim in each test is made.
fn start() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-21T12:00:00Z")
        .unwrap()
        .to_utc()
}

/// One event log and name registry, and accounts services over them whose
/// clocks say whatever time a test asks for.
struct Herald {
    log: EventLog,
    vault: AesGcmVault,
    outbox: TempDir,
    _nats: TestNats,
}

impl Herald {
    async fn start() -> Self {
        let nats = TestNats::start().await;
        Self {
            log: nats.event_log(EventLogConfig::default()).await,
            vault: AesGcmVault::new(
                SecretKey::from_hex(&SecretKey::generate_hex()).unwrap(),
                vec![],
            ),
            outbox: tempfile::tempdir().unwrap(),
            _nats: nats,
        }
    }

    fn names(&self) -> JetStreamNameRegistry {
        JetStreamNameRegistry::new(&self.log)
    }

    /// The accounts service as it runs at `now`.
    fn accounts_at(&self, now: DateTime<Utc>) -> Accounts {
        let parts = AccountParts {
            hasher: Arc::new(Argon2Hasher::owasp(2).unwrap()),
            access_tokens: Arc::new(JwtAccessTokens::new(self.vault.signing_keys())),
            names: Arc::new(self.names()),
            mailer: Arc::new(OutboxMailer::new(self.outbox.path().to_owned())),
            vault: Arc::new(self.vault.clone()),
            clock: Arc::new(FixedClock(now)),
            settings: AccountSettings::default(),
        };
        AccountService::new(JetStreamEventStore::new(self.log.clone()), parts)
    }

    /// Claims Ann's e-mail address and username as a sign-up does first,
    /// and records nothing more, as a sign-up that died there.
    async fn claim_and_die(&self, at: DateTime<Utc>) -> NameHolder {
        let holder = NameHolder {
            tenant: TenantId::parse("dead").unwrap(),
            user: Uuid::now_v7(),
            claimed_at: at,
        };
        for name in names() {
            let claimed = self.names().claim(&name, &holder).await.unwrap();
            assert_eq!(claimed, holder, "the dead sign-up won {name:?}");
        }
        holder
    }

    /// Who holds Ann's e-mail address and username, in that order.
    async fn holders(&self) -> Vec<Uuid> {
        let mut holders = Vec::new();
        for name in names() {
            let holder = self.names().holder(&name).await.unwrap();
            holders.push(holder.expect("the name is held").user);
        }
        holders
    }
}

fn names() -> [UniqueName; 2] {
    [
        UniqueName::Email(Email::parse(EMAIL).unwrap()),
        UniqueName::Username(USERNAME.to_owned()),
    ]
}

/// Signs Ann up at `now`.
async fn sign_up_ann(herald: &Herald, now: DateTime<Utc>) -> Result<Uuid, AccountsError> {
    let sign_up = SignUp {
        email: Email::parse(EMAIL).unwrap(),
        username: Username::parse(USERNAME).unwrap(),
        password: Password::parse("Ann's long passphrase", "password").unwrap(),
        profile: Profile::default(),
    };
    let request = CommandMetadata::new(TenantId::parse("unknown").unwrap(), "anonymous");
    let signed_up = herald
        .accounts_at(now)
        .sign_up(sign_up, None, &request)
        .await?;
    Ok(signed_up.user)
}

#[tokio::test]
async fn a_claim_whose_account_was_never_recorded_is_taken_over_after_a_minute() {
    let herald = Herald::start().await;
    let dead = herald.claim_and_die(start()).await;

    let too_soon = sign_up_ann(&herald, start() + Duration::seconds(59)).await;
    assert!(
        matches!(too_soon, Err(AccountsError::Taken("email"))),
        "at 59 s the claim may be a sign-up still under way: {too_soon:?}"
    );
    assert_eq!(herald.holders().await, [dead.user, dead.user]);

    let later = sign_up_ann(&herald, start() + Duration::seconds(61)).await;
    let ann = later.expect("at 61 s the dead sign-up's names are taken over");
    assert_eq!(herald.holders().await, [ann, ann]);
}

#[tokio::test]
async fn a_claim_whose_account_was_recorded_is_never_taken_over() {
    let herald = Herald::start().await;
    let ann = sign_up_ann(&herald, start()).await.unwrap();

    let a_year_on = sign_up_ann(&herald, start() + Duration::days(365)).await;
    assert!(
        matches!(a_year_on, Err(AccountsError::Taken("email"))),
        "{a_year_on:?}"
    );
    assert_eq!(herald.holders().await, [ann, ann]);
}
