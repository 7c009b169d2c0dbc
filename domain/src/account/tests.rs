//! Given / when / then tests of the User and ApiKey aggregates: one-time
//! tokens, refresh rotation and reuse, deactivation, key checks.

use chrono::{DateTime, Duration, Utc};
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;
use std::sync::Arc;

use super::*;
use crate::clock::FixedClock;
use crate::secret::SealedSecret;

fn now() -> DateTime<Utc> {
    "2026-12-02T12:00:00Z".parse().unwrap()
}

fn users_at(at: DateTime<Utc>) -> TestFramework<User> {
    TestFramework::with(AccountServices::new(Arc::new(FixedClock(at))))
}

fn users() -> TestFramework<User> {
    users_at(now())
}

fn hash(text: &str) -> TokenHash {
    TokenHash::new(text.into())
}

fn presented(text: &str) -> Presented {
    Presented(vec![hash("under an earlier key"), hash(text)])
}

fn registered() -> UserEvent {
    UserEvent::Registered {
        email: Email::parse("ann@example.com").unwrap(),
        username: Username::parse("ann").unwrap(),
        password: SealedSecret::from_sealed("sealed hash".into()),
        role: Role::Admin,
        profile: Profile::default(),
        invited_by: None,
        at: now(),
    }
}

fn signed_in(family: &str, refresh: &str) -> UserEvent {
    UserEvent::SignedIn {
        family: family.into(),
        refresh: hash(refresh),
        expires_at: now() + Duration::days(30),
        at: now(),
    }
}

fn rotated(family: &str, refresh: &str) -> UserEvent {
    UserEvent::RefreshRotated {
        family: family.into(),
        refresh: hash(refresh),
        expires_at: now() + Duration::days(30),
        at: now(),
    }
}

fn refresh(family: &str, with: &str, next: &str) -> UserCommand {
    UserCommand::Refresh {
        family: family.into(),
        presented: presented(with),
        next: hash(next),
        expires_at: now() + Duration::days(30),
    }
}

fn after(events: Vec<UserEvent>) -> User {
    let mut user = User::default();
    for event in events {
        user.apply(event);
    }
    user
}

#[test]
fn a_refresh_token_buys_the_next_once() {
    users()
        .given(vec![registered(), signed_in("f1", "r1")])
        .when(refresh("f1", "r1", "r2"))
        .then_expect_events(vec![rotated("f1", "r2")]);
}

#[test]
fn a_used_refresh_token_presented_again_ends_its_family() {
    let given = vec![registered(), signed_in("f1", "r1"), rotated("f1", "r2")];
    users()
        .given(given.clone())
        .when(refresh("f1", "r1", "r3"))
        .then_expect_events(vec![UserEvent::RefreshReused {
            family: "f1".into(),
            at: now(),
        }]);
    let mut ended = given;
    ended.push(UserEvent::RefreshReused {
        family: "f1".into(),
        at: now(),
    });
    assert!(!after(ended.clone()).signed_in("f1", now()));
    // The current token of the ended family no longer works either.
    users()
        .given(ended)
        .when(refresh("f1", "r2", "r3"))
        .then_expect_error(AccountError::TokenRefused);
}

#[test]
fn a_refresh_token_past_its_expiry_is_refused() {
    users_at(now() + Duration::days(31))
        .given(vec![registered(), signed_in("f1", "r1")])
        .when(refresh("f1", "r1", "r2"))
        .then_expect_error(AccountError::TokenExpired);
}

#[test]
fn a_token_of_another_family_or_unknown_is_refused() {
    users()
        .given(vec![
            registered(),
            signed_in("f1", "r1"),
            signed_in("f2", "q1"),
        ])
        .when(refresh("f1", "q1", "r2"))
        .then_expect_error(AccountError::TokenRefused);
}

#[test]
fn a_deactivated_user_cannot_sign_in_or_refresh_and_its_sign_ins_end() {
    let given = vec![
        registered(),
        signed_in("f1", "r1"),
        UserEvent::Deactivated { at: now() },
    ];
    let user = after(given.clone());
    assert!(!user.is_active());
    assert!(!user.signed_in("f1", now()));
    users()
        .given(given.clone())
        .when(refresh("f1", "r1", "r2"))
        .then_expect_error(AccountError::Deactivated);
    users()
        .given(given)
        .when(UserCommand::SignIn {
            family: "f2".into(),
            refresh: hash("q1"),
            expires_at: now() + Duration::days(30),
        })
        .then_expect_error(AccountError::Deactivated);
}

fn verification_issued() -> UserEvent {
    UserEvent::EmailVerificationIssued {
        token: OneTimeToken {
            hash: hash("v1"),
            expires_at: now() + Duration::hours(24),
        },
        at: now(),
    }
}

#[test]
fn an_email_verification_token_works_once_before_it_expires() {
    users()
        .given(vec![registered(), verification_issued()])
        .when(UserCommand::VerifyEmail(presented("v1")))
        .then_expect_events(vec![UserEvent::EmailVerified { at: now() }]);
    users()
        .given(vec![
            registered(),
            verification_issued(),
            UserEvent::EmailVerified { at: now() },
        ])
        .when(UserCommand::VerifyEmail(presented("v1")))
        .then_expect_error(AccountError::TokenRefused);
    users_at(now() + Duration::hours(24))
        .given(vec![registered(), verification_issued()])
        .when(UserCommand::VerifyEmail(presented("v1")))
        .then_expect_error(AccountError::TokenExpired);
    users()
        .given(vec![registered(), verification_issued()])
        .when(UserCommand::VerifyEmail(presented("v2")))
        .then_expect_error(AccountError::TokenRefused);
}

fn reset_issued(token: &str) -> UserEvent {
    UserEvent::PasswordResetIssued {
        token: OneTimeToken {
            hash: hash(token),
            expires_at: now() + Duration::hours(1),
        },
        at: now(),
    }
}

#[test]
fn a_password_reset_works_once_within_the_hour_and_ends_every_sign_in() {
    let new_password = SealedSecret::from_sealed("new sealed hash".into());
    let reset = |token: &str| UserCommand::ResetPassword {
        token: presented(token),
        password: new_password.clone(),
    };
    let given = vec![registered(), signed_in("f1", "r1"), reset_issued("p1")];
    users()
        .given(given.clone())
        .when(reset("p1"))
        .then_expect_events(vec![UserEvent::PasswordReset {
            password: new_password.clone(),
            at: now(),
        }]);
    let mut done = given.clone();
    done.push(UserEvent::PasswordReset {
        password: new_password.clone(),
        at: now(),
    });
    assert!(!after(done.clone()).signed_in("f1", now()));
    users()
        .given(done)
        .when(reset("p1"))
        .then_expect_error(AccountError::TokenRefused);
    users_at(now() + Duration::minutes(61))
        .given(given)
        .when(reset("p1"))
        .then_expect_error(AccountError::TokenExpired);
}

#[test]
fn a_second_reset_request_replaces_the_first_token() {
    users()
        .given(vec![registered(), reset_issued("p1"), reset_issued("p2")])
        .when(UserCommand::ResetPassword {
            token: presented("p1"),
            password: SealedSecret::from_sealed("x".into()),
        })
        .then_expect_error(AccountError::TokenRefused);
}

fn keys() -> TestFramework<ApiKey> {
    TestFramework::with(AccountServices::new(Arc::new(FixedClock(now()))))
}

fn key_created(expires_at: Option<DateTime<Utc>>) -> ApiKeyEvent {
    ApiKeyEvent::Created {
        key: NewApiKey {
            name: KeyName::parse("CRM sync").unwrap(),
            prefix: "hk_0193".into(),
            secret: hash("s1"),
            permissions: vec![Permission::Read],
            created_by: Some("u1".into()),
            expires_at,
        },
        at: now(),
    }
}

fn key_after(events: Vec<ApiKeyEvent>) -> ApiKey {
    let mut key = ApiKey::default();
    for event in events {
        key.apply(event);
    }
    key
}

#[test]
fn a_key_answers_with_its_permissions_only_for_its_secret_until_revoked_or_expired() {
    let key = key_after(vec![key_created(Some(now() + Duration::days(1)))]);
    assert_eq!(
        key.permissions_for(&presented("s1"), now()),
        Ok(&[Permission::Read][..])
    );
    assert_eq!(
        key.permissions_for(&presented("s2"), now()),
        Err(AccountError::TokenRefused)
    );
    assert_eq!(
        key.permissions_for(&presented("s1"), now() + Duration::days(1)),
        Err(AccountError::TokenExpired)
    );
    let revoked = key_after(vec![key_created(None), ApiKeyEvent::Revoked { at: now() }]);
    assert_eq!(
        revoked.permissions_for(&presented("s1"), now()),
        Err(AccountError::TokenRefused)
    );
}

#[test]
fn a_keys_use_is_recorded_at_most_once_a_minute() {
    keys()
        .given(vec![
            key_created(None),
            ApiKeyEvent::Used {
                at: now() - Duration::seconds(30),
            },
        ])
        .when(ApiKeyCommand::RecordUse)
        .then_expect_events(vec![]);
    keys()
        .given(vec![
            key_created(None),
            ApiKeyEvent::Used {
                at: now() - Duration::seconds(60),
            },
        ])
        .when(ApiKeyCommand::RecordUse)
        .then_expect_events(vec![ApiKeyEvent::Used { at: now() }]);
}

#[test]
fn a_key_without_permissions_is_refused() {
    let ApiKeyEvent::Created { mut key, .. } = key_created(None) else {
        unreachable!()
    };
    key.permissions.clear();
    keys()
        .given_no_previous_events()
        .when(ApiKeyCommand::Create(key))
        .then_expect_error(AccountError::NotAllowed(
            "a key needs at least one permission".into(),
        ));
}
