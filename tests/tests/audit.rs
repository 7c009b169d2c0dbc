//! The audit log (seed 000 `audit_logs`): every command a person or key
//! gives, with actor, role, IP and user agent, and every attempt refused;
//! filtered by actor, action, entity and time.

use herald_tests::accounts::Account;
use herald_tests::wait::eventually;
use herald_tests::whatsapp::PATIENCE;
use herald_tests::{spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

const AGENT: &str = "audit-test/1.0";

async fn as_ann(app: &TestApp, ann: &Account, method: Method, path: &str, body: Value) -> Value {
    let answer = app
        .request_with_key(&ann.access, method, path)
        .header("User-Agent", AGENT)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.unwrap_or_default()
}

/// The audit log entries `query` lists, once there are at least `least`.
async fn audited(app: &TestApp, token: &str, query: &str, least: usize) -> Vec<Value> {
    eventually(
        &format!("{least} audit entries for {query}"),
        PATIENCE,
        || async {
            let page: Value = app
                .get_with(token, &format!("/v1/audit-logs{query}"))
                .await
                .json()
                .await
                .unwrap_or_default();
            let data = page["data"].as_array().cloned().unwrap_or_default();
            (data.len() >= least).then_some(data)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_recorded_with_who_from_where_and_filtered() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let key = as_ann(
        &app,
        &ann,
        Method::POST,
        "/v1/api-keys",
        json!({ "keyName": "CRM", "permissions": ["read"] }),
    )
    .await;
    as_ann(
        &app,
        &ann,
        Method::POST,
        "/v1/users",
        json!({ "email": "alex@example.com", "username": "alex", "role": "agent" }),
    )
    .await;
    as_ann(
        &app,
        &ann,
        Method::PUT,
        "/v1/subscription/plan",
        json!({ "tier": "pro" }),
    )
    .await;

    let mine = format!("?actorId={}", ann.user);
    // Her sign-up and its link, her sign-in, the key, the invitation and
    // its link, the plan.
    let entries = audited(&app, &ann.access, &mine, 7).await;
    let actions: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in [
        "UserRegistered",
        "UserEmailVerificationIssued",
        "UserSignedIn",
        "ApiKeyCreated",
        "UserPasswordResetIssued",
        "SubscriptionPlanChanged",
    ] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
    let created = entries
        .iter()
        .find(|e| e["action"] == "ApiKeyCreated")
        .unwrap();
    assert_eq!(created["role"], "admin");
    assert_eq!(created["actorType"], "user");
    assert_eq!(created["outcome"], "succeeded");
    assert_eq!(created["ipAddress"], "127.0.0.1");
    assert_eq!(created["userAgent"], AGENT);
    assert_eq!(created["entityType"], "api_key");
    assert_eq!(created["entityId"], key["id"]);
    assert_eq!(
        created["userId"],
        ann.tenant.as_str(),
        "scoped to the tenant"
    );

    let by_action = audited(&app, &ann.access, "?action=ApiKeyCreated", 1).await;
    assert_eq!(by_action.len(), 1);
    let entity = format!(
        "?entityType=api_key&entityId={}",
        key["id"].as_str().unwrap()
    );
    assert_eq!(audited(&app, &ann.access, &entity, 1).await.len(), 1);
    let later = audited(&app, &ann.access, "?since=2099-01-01T00:00:00Z", 0).await;
    assert!(later.is_empty());
    let newest_first: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["createdAt"].as_str())
        .collect();
    let mut sorted = newest_first.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(newest_first, sorted);
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_attempts_are_recorded_as_denied() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    as_ann(
        &app,
        &ann,
        Method::POST,
        "/v1/users",
        json!({ "email": "alex@example.com", "username": "alex", "role": "agent" }),
    )
    .await;
    let token = app.last_token_to("alex@example.com");
    app.post_public(
        "/v1/auth/reset-password",
        &json!({ "token": token, "password": "alex's passphrase" }),
    )
    .await;
    let alex = app.sign_in("alex", "alex's passphrase").await;
    let alex_token = alex["accessToken"].as_str().unwrap();
    let refused = app
        .request_with_key(alex_token, Method::POST, "/v1/campaigns")
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    assert_eq!(
        app.get_with(alex_token, "/v1/audit-logs").await.status(),
        403
    );

    let query = format!(
        "?actorId={}&action=manage_campaigns",
        alex["userId"].as_str().unwrap()
    );
    let denied = audited(&app, &ann.access, &query, 1).await;
    assert_eq!(denied[0]["outcome"], "denied");
    assert_eq!(denied[0]["reason"], "forbidden");
    assert_eq!(denied[0]["role"], "agent");
    assert_eq!(denied[0]["entityId"], "POST /v1/campaigns");

    // Over the plan: the free plan's second session.
    let session = |n: u32| {
        json!({ "phoneNumber": format!("+1555000{n:04}"), "sessionName": "Line",
                "phoneNumberId": format!("90000000000{n:04}"), "wabaId": "900000000009999",
                "accessToken": "t", "appSecret": "s", "webhookVerifyToken": "v" })
    };
    as_ann(&app, &ann, Method::POST, "/v1/sessions", session(1)).await;
    let over = app
        .request_with_key(&ann.access, Method::POST, "/v1/sessions")
        .json(&session(2))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status(), 402);
    let limited = audited(&app, &ann.access, "?action=manage_sessions", 1).await;
    assert_eq!(limited[0]["reason"], "plan_limit");
    assert_eq!(limited[0]["outcome"], "denied");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_for_an_account_is_recorded_in_its_tenants_log() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let wrong = app
        .client
        .post(format!("{}/v1/auth/login", app.address))
        .header("User-Agent", AGENT)
        .json(&json!({ "identifier": "ann@example.com", "password": "not ann's passphrase" }))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    let unknown = app
        .try_sign_in("nobody@example.com", "not anyone's passphrase")
        .await;
    assert_eq!(unknown.status(), 401);

    let denied = audited(&app, &ann.access, "?action=sign_in", 1).await;
    assert_eq!(
        denied.len(),
        1,
        "an unknown account names no tenant: {denied:?}"
    );
    let entry = &denied[0];
    assert_eq!(
        (&entry["outcome"], &entry["reason"], &entry["actorId"]),
        (
            &json!("denied"),
            &json!("bad_credentials"),
            &json!(ann.user)
        )
    );
    assert_eq!(entry["userAgent"], AGENT);
    assert!(entry["ipAddress"].is_string(), "{entry}");
    assert!(
        !entry.to_string().contains("not ann's passphrase"),
        "the password tried is not recorded: {entry}"
    );
    app.stop().await;
}
