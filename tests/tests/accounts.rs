//! Accounts over HTTP: signing up and in, refresh tokens that rotate and
//! end their sign-in when reused, e-mail verification and password reset
//! (expired and reused links included), roles, deactivation and API keys.

use herald_fake_graph::FakeGraphConfig;
use herald_tests::accounts::Account;
use herald_tests::app::error_of;
use herald_tests::{spawn_app, spawn_app_with_settings, TestApp};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::time::Duration;

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post_public("/v1/auth/refresh", &json!({ "refreshToken": token }))
        .await
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.get_with(token, "/v1/auth/me").await
}

#[tokio::test]
async fn a_new_tenant_signs_up_signs_in_and_uses_its_token() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;

    let profile: Value = me(&app, &ann.access).await.json().await.unwrap();
    assert_eq!(profile["email"], "ann@example.com");
    assert_eq!(profile["role"], "admin");
    assert_eq!(profile["tenantId"], ann.tenant.as_str());
    assert_eq!(profile["isEmailVerified"], false);
    assert!(profile["lastLogin"].is_string());
    let text = profile.to_string();
    assert!(
        !text.contains("password") && !text.contains("argon2"),
        "{text}"
    );

    let campaigns = app.get_with(&ann.access, "/v1/campaigns").await;
    assert_eq!(campaigns.status(), 200);
    // Signing in by username, whatever its case, works as well.
    app.sign_in("ANN", &ann.password).await;
    app.stop().await;
}

#[tokio::test]
async fn an_email_or_username_taken_in_any_case_is_refused() {
    let app = spawn_app().await;
    app.sign_up("ann").await;
    let again = |email: &str, username: &str| json!({ "email": email, "username": username, "password": "a long passphrase" });
    for body in [
        again("ANN@Example.com", "someone"),
        again("bob@example.com", "Ann"),
    ] {
        let answer = app.post_public("/v1/auth/register", &body).await;
        let (status, code, _) = error_of(answer).await;
        assert_eq!((status, code.as_str()), (409, "taken"), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_sign_up_values_are_named() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({ "email": "not-an-address", "username": "ann", "password": "a long passphrase" }),
            "email",
        ),
        (
            json!({ "email": "ann@example.com", "username": "an", "password": "a long passphrase" }),
            "username",
        ),
        (
            json!({ "email": "ann@example.com", "username": "ann", "password": "short" }),
            "password",
        ),
        (
            json!({ "email": "ann@example.com", "username": "ann", "password": "a long passphrase", "phone": "12" }),
            "phone",
        ),
    ];
    for (body, field) in cases {
        let (status, _, named) = error_of(app.post_public("/v1/auth/register", &body).await).await;
        assert_eq!((status, named.as_deref()), (422, Some(field)), "{body}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_account_are_refused_alike() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let wrong = error_of(app.try_sign_in(&ann.email, "not the passphrase").await).await;
    let unknown = error_of(
        app.try_sign_in("nobody@example.com", "not the passphrase")
            .await,
    )
    .await;
    assert_eq!(wrong, (401, "bad_credentials".to_owned(), None));
    assert_eq!(unknown, wrong);
    app.stop().await;
}

#[tokio::test]
async fn a_refresh_token_works_once_and_its_reuse_ends_the_sign_in() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;

    let rotated = refresh(&app, &ann.refresh).await;
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    let next = rotated["refreshToken"].as_str().unwrap();
    assert_ne!(next, ann.refresh);
    assert_eq!(
        me(&app, rotated["accessToken"].as_str().unwrap())
            .await
            .status(),
        200
    );

    // The first token again: someone holds a used token. The sign-in ends.
    let (status, code, _) = error_of(refresh(&app, &ann.refresh).await).await;
    assert_eq!((status, code.as_str()), (401, "token_reused"));
    assert_eq!(
        refresh(&app, next).await.status(),
        401,
        "the newest token ended too"
    );
    assert_eq!(
        me(&app, &ann.access).await.status(),
        401,
        "and the access tokens"
    );
    // Another sign-in is not touched.
    let other = app.sign_in(&ann.email, &ann.password).await;
    assert_eq!(
        me(&app, other["accessToken"].as_str().unwrap())
            .await
            .status(),
        200
    );
    app.stop().await;
}

#[tokio::test]
async fn signing_out_ends_the_access_and_refresh_tokens() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let out = app
        .request_with_key(&ann.access, Method::POST, "/v1/auth/logout")
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(me(&app, &ann.access).await.status(), 401);
    assert_eq!(refresh(&app, &ann.refresh).await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn an_email_verification_link_works_once() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let token = app.last_token_to(&ann.email);
    let link = format!("/v1/auth/verify-email?token={token}");

    let verified = app
        .client
        .get(format!("{}{link}", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    let profile: Value = me(&app, &ann.access).await.json().await.unwrap();
    assert_eq!(profile["isEmailVerified"], true);
    let again = app
        .post_public("/v1/auth/verify-email", &json!({ "token": token }))
        .await;
    assert_eq!(error_of(again).await.0, 401, "a used link");
    app.stop().await;
}

#[tokio::test]
async fn links_past_their_lifetime_are_refused_as_expired() {
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.accounts.verification_lifetime = Duration::ZERO;
        settings.accounts.reset_lifetime = Duration::ZERO;
    })
    .await;
    let ann = app.sign_up("ann").await;
    let verify = app.last_token_to(&ann.email);
    let answer = app
        .post_public("/v1/auth/verify-email", &json!({ "token": verify }))
        .await;
    assert_eq!(
        error_of(answer).await,
        (401, "token_expired".to_owned(), None)
    );

    app.post_public("/v1/auth/forgot-password", &json!({ "email": ann.email }))
        .await;
    let reset = app.last_token_to(&ann.email);
    assert_ne!(reset, verify);
    let answer = app
        .post_public(
            "/v1/auth/reset-password",
            &json!({ "token": reset, "password": "another passphrase" }),
        )
        .await;
    assert_eq!(
        error_of(answer).await,
        (401, "token_expired".to_owned(), None)
    );
    app.sign_in(&ann.email, &ann.password).await;
    app.stop().await;
}

#[tokio::test]
async fn a_password_reset_works_once_and_ends_every_sign_in() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let asked = app
        .post_public("/v1/auth/forgot-password", &json!({ "email": ann.email }))
        .await;
    assert_eq!(asked.status(), 202);
    // Nobody learns which addresses have accounts: the same answer, no mail.
    let unknown = app
        .post_public(
            "/v1/auth/forgot-password",
            &json!({ "email": "nobody@example.com" }),
        )
        .await;
    assert_eq!(unknown.status(), 202);
    assert!(app.mails_to("nobody@example.com").is_empty());

    let token = app.last_token_to(&ann.email);
    let served = &app;
    let reset = |password: &str| {
        let body = json!({ "token": token, "password": password });
        async move { served.post_public("/v1/auth/reset-password", &body).await }
    };
    assert_eq!(reset("a brand new passphrase").await.status(), 200);
    assert_eq!(
        error_of(reset("yet another passphrase").await).await.0,
        401,
        "used once"
    );

    assert_eq!(
        app.try_sign_in(&ann.email, &ann.password).await.status(),
        401
    );
    app.sign_in(&ann.email, "a brand new passphrase").await;
    assert_eq!(
        refresh(&app, &ann.refresh).await.status(),
        401,
        "old sign-ins ended"
    );
    assert_eq!(me(&app, &ann.access).await.status(), 401);
    app.stop().await;
}

/// Invites `username` with `role`; the invited user sets a password from
/// the link and signs in.
async fn invite(app: &TestApp, admin: &Account, username: &str, role: &str) -> (String, String) {
    let email = format!("{username}@example.com");
    let invited = app
        .request_with_key(&admin.access, Method::POST, "/v1/users")
        .json(&json!({ "email": email, "username": username, "role": role }))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let id = invited.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = app.last_token_to(&email);
    let password = format!("{username} sets a passphrase");
    let set = app
        .post_public(
            "/v1/auth/reset-password",
            &json!({ "token": token, "password": password }),
        )
        .await;
    assert_eq!(set.status(), 200);
    let tokens = app.sign_in(&email, &password).await;
    (id, tokens["accessToken"].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn an_agent_reads_and_sends_but_manages_nothing() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let (_, agent) = invite(&app, &ann, "alex", "agent").await;

    assert_eq!(app.get_with(&agent, "/v1/campaigns").await.status(), 200);
    for (method, path) in [
        (Method::POST, "/v1/campaigns"),
        (Method::POST, "/v1/sessions"),
        (Method::POST, "/v1/users"),
        (Method::POST, "/v1/api-keys"),
    ] {
        let answer = app
            .request_with_key(&agent, method.clone(), path)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 403, "{method} {path}");
    }
    app.stop().await;
}

#[tokio::test]
async fn a_deactivated_user_is_refused_at_once() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let (id, manager) = invite(&app, &ann, "max", "manager").await;
    assert_eq!(app.get_with(&manager, "/v1/campaigns").await.status(), 200);

    let deactivated = app
        .request_with_key(&ann.access, Method::PATCH, &format!("/v1/users/{id}"))
        .json(&json!({ "isActive": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(deactivated.status(), 200);
    assert_eq!(app.get_with(&manager, "/v1/campaigns").await.status(), 401);
    let (status, _, _) = error_of(
        app.try_sign_in("max@example.com", "max sets a passphrase")
            .await,
    )
    .await;
    assert_eq!(status, 403);
    // An admin cannot lock itself out.
    let own = app
        .request_with_key(
            &ann.access,
            Method::PATCH,
            &format!("/v1/users/{}", ann.user),
        )
        .json(&json!({ "isActive": false }))
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), 403);
    app.stop().await;
}

#[tokio::test]
async fn an_api_key_is_shown_once_checked_by_its_permissions_and_revocable() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let made = app
        .request_with_key(&ann.access, Method::POST, "/v1/api-keys")
        .json(&json!({ "keyName": "CRM sync", "permissions": ["read"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 201);
    let made: Value = made.json().await.unwrap();
    let (id, key) = (
        made["id"].as_str().unwrap(),
        made["apiKey"].as_str().unwrap(),
    );
    assert!(key.starts_with(made["prefix"].as_str().unwrap().split('.').next().unwrap()));

    assert_eq!(app.get_with(key, "/v1/campaigns").await.status(), 200);
    let write = app
        .request_with_key(key, Method::POST, "/v1/campaigns")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(write.status(), 403, "a read key cannot write");

    // Its use is recorded beside the request, which does not wait for it.
    let shown: Value = herald_tests::wait::eventually(
        "the key's use recorded",
        herald_tests::whatsapp::PATIENCE,
        || async {
            let shown: Value = app
                .get_with(&ann.access, &format!("/v1/api-keys/{id}"))
                .await
                .json()
                .await
                .unwrap();
            shown["lastUsed"].is_string().then_some(shown)
        },
    )
    .await;
    assert_eq!(shown["keyName"], "CRM sync");
    assert!(
        !shown.to_string().contains(key.rsplit('.').next().unwrap()),
        "{shown}"
    );
    assert!(shown["lastUsed"].is_string(), "{shown}");

    let revoked = app
        .request_with_key(&ann.access, Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 200);
    assert_eq!(app.get_with(key, "/v1/campaigns").await.status(), 401);
    app.stop().await;
}

#[tokio::test]
async fn another_tenants_users_and_keys_are_not_found() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let bob = app.sign_up("bob").await;
    let made: Value = app
        .request_with_key(&ann.access, Method::POST, "/v1/api-keys")
        .json(&json!({ "keyName": "ann's", "permissions": ["admin"] }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key_id = made["id"].as_str().unwrap();
    for (method, path) in [
        (Method::GET, format!("/v1/users/{}", ann.user)),
        (Method::GET, format!("/v1/api-keys/{key_id}")),
        (Method::DELETE, format!("/v1/api-keys/{key_id}")),
    ] {
        let answer = app
            .request_with_key(&bob.access, method.clone(), &path)
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), 404, "{method} {path}");
    }
    let changed = app
        .request_with_key(
            &bob.access,
            Method::PATCH,
            &format!("/v1/users/{}", ann.user),
        )
        .json(&json!({ "role": "agent" }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 404);
    assert_eq!(
        me(&app, &ann.access).await.json::<Value>().await.unwrap()["role"],
        "admin"
    );
    app.stop().await;
}

#[tokio::test]
async fn guessing_passwords_from_one_address_is_slowed_to_the_minutes_rate() {
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.rates.sign_in_per_minute = 5;
    })
    .await;
    app.sign_up("ann").await; // a sign-up and a sign-in: two of the five
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(app.try_sign_in("ann@example.com", "a wrong guess").await);
    }
    let last = statuses.pop().unwrap();
    assert!(statuses.iter().all(|s| s.status() == 401));
    assert_eq!(last.status(), 429);
    let wait: u64 = last.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert_eq!(error_of(last).await.1, "rate_limited");
    app.stop().await;
}

#[tokio::test]
async fn a_tenant_over_its_rate_is_answered_429_and_another_is_not() {
    let app = spawn_app_with_settings(FakeGraphConfig::default(), |settings| {
        settings.rates.tenant_per_second = 3;
    })
    .await;
    let mut answers = Vec::new();
    for _ in 0..6 {
        answers.push(
            app.request(Method::GET, "/v1/campaigns")
                .send()
                .await
                .unwrap()
                .status(),
        );
    }
    assert!(
        answers.contains(&StatusCode::TOO_MANY_REQUESTS),
        "{answers:?}"
    );
    let other = app
        .request_as("tenant-b", Method::GET, "/v1/campaigns")
        .await
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 200);
    app.stop().await;
}

/// A list read as `token`, once the projection has reached `position`.
async fn list_with(app: &TestApp, token: &str, path: &str, position: u64) -> Value {
    let separator = if path.contains('?') { '&' } else { '?' };
    let answer = app
        .get_with(token, &format!("{path}{separator}minPosition={position}"))
        .await;
    let status = answer.status();
    let list: Value = answer.json().await.unwrap();
    assert_eq!(status, 200, "{path}: {list}");
    list
}

fn field_of(list: &Value, field: &str) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|document| document[field].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn an_admin_lists_its_users_by_role_and_activity_and_nothing_secret() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    app.sign_up("bob").await;
    invite(&app, &ann, "max", "manager").await;
    let (agent_id, _) = invite(&app, &ann, "ada", "agent").await;
    let deactivated = app
        .request_with_key(&ann.access, Method::PATCH, &format!("/v1/users/{agent_id}"))
        .json(&json!({ "isActive": false }))
        .send()
        .await
        .unwrap();
    let position = deactivated.json::<Value>().await.unwrap()["position"]
        .as_u64()
        .unwrap();

    let all = list_with(&app, &ann.access, "/v1/users", position).await;
    assert_eq!(
        field_of(&all, "username"),
        ["ada", "max", "ann"],
        "ann's tenant only, newest first: {all}"
    );
    assert_eq!(all["total"], 3);
    let ann_listed = &all["data"][2];
    assert_eq!(
        (
            &ann_listed["role"],
            &ann_listed["email"],
            &ann_listed["isActive"]
        ),
        (&json!("admin"), &json!("ann@example.com"), &json!(true))
    );
    assert!(ann_listed["lastLogin"].is_string(), "{ann_listed}");
    let managers = list_with(&app, &ann.access, "/v1/users?role=manager", position).await;
    assert_eq!(field_of(&managers, "username"), ["max"]);
    let inactive = list_with(&app, &ann.access, "/v1/users?isActive=false", position).await;
    assert_eq!(field_of(&inactive, "username"), ["ada"]);

    let text = all.to_string().to_lowercase();
    for secret in ["password", "token", "hash", "sealed"] {
        assert!(!text.contains(secret), "{secret} in {all}");
    }
    let bad = error_of(app.get_with(&ann.access, "/v1/users?role=owner").await).await;
    assert_eq!((bad.0, bad.2.as_deref()), (400, Some("role")));
    app.stop().await;
}

#[tokio::test]
async fn an_admin_lists_its_keys_by_prefix_and_revoked_ones_apart() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let mut made = Vec::new();
    for name in ["CRM sync", "Billing"] {
        let answer: Value = app
            .request_with_key(&ann.access, Method::POST, "/v1/api-keys")
            .json(&json!({ "keyName": name, "permissions": ["read", "write"] }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        made.push(answer);
    }
    let revoked = app
        .request_with_key(
            &ann.access,
            Method::DELETE,
            &format!("/v1/api-keys/{}", made[0]["id"].as_str().unwrap()),
        )
        .send()
        .await
        .unwrap();
    let position = revoked.json::<Value>().await.unwrap()["position"]
        .as_u64()
        .unwrap();

    assert_ne!(
        made[0]["prefix"], made[1]["prefix"],
        "two keys made in the same minute are told apart"
    );
    let all = list_with(&app, &ann.access, "/v1/api-keys", position).await;
    assert_eq!(field_of(&all, "keyName"), ["Billing", "CRM sync"], "{all}");
    assert_eq!(
        field_of(&all, "apiKey")[1],
        made[0]["prefix"].as_str().unwrap()
    );
    assert_eq!(all["data"][0]["permissions"], json!(["read", "write"]));
    for key in &made {
        let secret = key["apiKey"].as_str().unwrap().rsplit('.').next().unwrap();
        assert!(!all.to_string().contains(secret), "a secret listed: {all}");
    }
    let active = list_with(&app, &ann.access, "/v1/api-keys?isActive=true", position).await;
    assert_eq!(field_of(&active, "keyName"), ["Billing"]);
    let revoked = list_with(&app, &ann.access, "/v1/api-keys?isActive=false", position).await;
    assert_eq!(field_of(&revoked, "keyName"), ["CRM sync"]);
    app.stop().await;
}
