//! Plans and their limits, enforced when the command runs: sessions,
//! campaigns a month, messages a day (single sends and campaigns alike),
//! concurrent requests that cannot overshoot, plan changes and payments.

use herald_domain::subscription::{Limit, Limits, SubscriptionCommand};
use herald_domain::TenantId;
use herald_fake_graph::number::FakeNumber;
use herald_tests::app::error_of;
use herald_tests::campaigns::{add_template, recipients, template_campaign};
use herald_tests::wait::eventually;
use herald_tests::whatsapp::{session_body, text_to, CONTACT, PATIENCE};
use herald_tests::{spawn_app, TestApp};
use reqwest::Method;
use serde_json::{json, Value};
use std::time::Duration;

/// Sets the test tenant's agreed limits, as the operator does
/// (`herald subscriptions set-limits`); `None` leaves it its tier's.
async fn agree(app: &TestApp, limits: Option<Limits>) {
    let tenant = TenantId::parse(&app.tenant).unwrap();
    let metadata = herald_application::CommandMetadata::new(tenant.clone(), "operator");
    app.herald
        .state()
        .subscriptions
        .execute(
            &tenant,
            SubscriptionCommand::SetCustomLimits(limits),
            &metadata,
        )
        .await
        .unwrap();
}

fn messages_a_day(n: u32) -> Limits {
    Limits {
        max_messages_per_day: Limit::At(n),
        ..unlimited()
    }
}

fn unlimited() -> Limits {
    Limits {
        max_sessions: Limit::Unlimited,
        max_messages_per_day: Limit::Unlimited,
        max_campaigns_per_month: Limit::Unlimited,
        max_chatbots: Limit::Unlimited,
    }
}

async fn subscription(app: &TestApp) -> Value {
    app.list("/v1/subscription").await
}

fn number(n: u32) -> FakeNumber {
    FakeNumber::new(
        format!("90000000000{n:04}"),
        "900000000009999",
        format!("1555000{n:04}"),
        format!("token-{n}"),
        format!("secret-{n}"),
    )
}

async fn create_session(app: &TestApp, n: u32) -> reqwest::Response {
    app.create_session(&session_body(&number(n))).await
}

#[tokio::test]
async fn a_new_tenant_is_on_the_free_plan_with_seed_000s_limits() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let plan: Value = app
        .get_with(&ann.access, "/v1/subscription")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(plan["subscriptionTier"], "free");
    assert_eq!(plan["subscriptionStatus"], "active");
    assert_eq!(
        plan["limits"],
        json!({ "maxSessions": 1, "maxMessagesPerDay": 50, "maxCampaignsPerMonth": 5, "maxChatbots": 1 })
    );
    assert_eq!(plan["usage"]["maxMessagesPerDay"]["used"], 0);
    assert!(plan["usage"]["maxMessagesPerDay"]["resetsAt"].is_string());
    app.stop().await;
}

#[tokio::test]
async fn a_free_tenant_has_one_session_until_it_deletes_it() {
    let app = spawn_app().await;
    agree(&app, None).await;
    let created = create_session(&app, 1).await;
    assert_eq!(created.status(), 201);
    let (id, _) = herald_tests::app::receipt(created).await;

    let refused = create_session(&app, 2).await;
    assert_eq!(refused.status(), 402);
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["code"], "plan_limit");
    assert_eq!(body["error"]["limit"], "maxSessions");
    assert_eq!(
        (
            body["error"]["allowed"].as_u64(),
            body["error"]["used"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert!(body["error"]["resetsAt"].is_null());

    // The same number again is the session it has, not a second one.
    let again = create_session(&app, 1).await;
    assert_eq!(error_of(again).await.0, 409);

    let deleted = app
        .request(Method::DELETE, &format!("/v1/sessions/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 202);
    assert_eq!(create_session(&app, 2).await.status(), 201);
    app.stop().await;
}

/// Fifty creations at once, with four campaigns left this month: exactly
/// four are created, whichever requests win.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_parallel_campaigns_with_four_left_this_month_create_four() {
    let app = spawn_app().await;
    agree(&app, None).await;
    let (first, _) = app
        .create_campaign_ok(&herald_tests::app::campaign_body())
        .await;
    let body = herald_tests::app::campaign_body();
    let answers = futures::future::join_all((0..50).map(|_| app.create_campaign(&body))).await;
    let mut created = 0;
    for answer in answers {
        match answer.status().as_u16() {
            201 => created += 1,
            429 => {
                let body: Value = answer.json().await.unwrap();
                assert_eq!(body["error"]["limit"], "maxCampaignsPerMonth", "{body}");
                assert!(body["error"]["resetsAt"].is_string(), "{body}");
            }
            other => assert_eq!(other, 409, "neither created nor refused for the limit"),
        }
    }
    assert_eq!(created, 4);
    let plan = subscription(&app).await;
    assert_eq!(plan["usage"]["maxCampaignsPerMonth"]["used"], 5, "{plan}");
    let listed = eventually("the five campaigns listed", PATIENCE, || async {
        let list = app.list("/v1/campaigns").await;
        (list["total"] == 5).then_some(list)
    })
    .await;
    assert!(listed.to_string().contains(&first));
    app.stop().await;
}

#[tokio::test]
async fn the_days_messages_run_out_with_the_limit_the_usage_and_when_they_start_again() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    app.receive_text(&session, CONTACT, "Hi").await;
    agree(&app, Some(messages_a_day(3))).await;
    for i in 0..3 {
        app.send_message_ok(&session, &text_to(CONTACT, &format!("Reply {i}")))
            .await;
    }
    let refused = app
        .send_message(&session, &text_to(CONTACT, "One too many"))
        .await;
    assert_eq!(refused.status(), 429);
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=86_400).contains(&retry_after));
    let body: Value = refused.json().await.unwrap();
    assert_eq!(body["error"]["limit"], "maxMessagesPerDay");
    assert_eq!(
        (
            body["error"]["allowed"].as_u64(),
            body["error"]["used"].as_u64()
        ),
        (Some(3), Some(3))
    );
    // Repeating a request with its key is the same message, not another.
    app.stop().await;
}

/// Two campaigns started together, with 30 messages left of the day:
/// 30 go out in all, and both pause saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_campaigns_racing_for_the_last_thirty_messages_send_thirty() {
    let app = spawn_app().await;
    add_template(&app);
    let session = app.connected_session().await;
    agree(&app, Some(messages_a_day(30))).await;
    let audience = recipients(25);
    let first = app
        .start_campaign(&template_campaign(&session, &audience, None))
        .await;
    let second = app
        .start_campaign(&template_campaign(&session, &audience, None))
        .await;

    // Each ends paused for the day's limit, or completed if it won all it
    // needed before the other took the rest; at least one of them paused.
    let mut paused = 0;
    for id in [&first, &second] {
        let ended = eventually(
            "the campaign paused or completed",
            Duration::from_secs(60),
            || async {
                let campaign = app.campaign_now(id).await;
                matches!(campaign["status"].as_str(), Some("paused" | "completed"))
                    .then_some(campaign)
            },
        )
        .await;
        if ended["status"] == "paused" {
            let reason = ended["pauseReason"].as_str().unwrap_or_default();
            assert!(reason.contains("maxMessagesPerDay"), "{ended}");
            paused += 1;
        }
    }
    assert!(paused >= 1, "30 messages cannot take 50 recipients");
    // Whatever was queued goes out; nothing more.
    eventually(
        "the held messages sent",
        Duration::from_secs(60),
        || async { (app.graph.sent_count() == 30).then_some(()) },
    )
    .await;
    // The day's 30 are held, so no later batch can take one: the other 20
    // recipients stay pending, none of them queued.
    let plan = subscription(&app).await;
    assert_eq!(plan["usage"]["maxMessagesPerDay"]["used"], 30, "{plan}");
    eventually("the outcomes counted", Duration::from_secs(60), || async {
        let mut pending = 0;
        for id in [&first, &second] {
            pending += app.campaign_now(id).await["pendingCount"]
                .as_u64()
                .unwrap_or(0);
        }
        (pending == 20).then_some(())
    })
    .await;
    assert_eq!(app.graph.sent_count(), 30);
    app.stop().await;
}

#[tokio::test]
async fn an_upgrade_applies_at_once_and_a_downgrade_keeps_what_is_over_the_new_limit() {
    let app = spawn_app().await;
    agree(&app, None).await;
    let upgraded = app
        .request(Method::PUT, "/v1/subscription/plan")
        .json(&json!({ "tier": "pro" }))
        .send()
        .await
        .unwrap();
    assert_eq!(upgraded.status(), 200);
    let upgraded: Value = upgraded.json().await.unwrap();
    assert_eq!(upgraded["limits"]["maxSessions"], 3);
    for n in 1..=3 {
        assert_eq!(create_session(&app, n).await.status(), 201, "session {n}");
    }
    let downgraded = app
        .request(Method::PUT, "/v1/subscription/plan")
        .json(&json!({ "tier": "free" }))
        .send()
        .await
        .unwrap();
    assert_eq!(downgraded.status(), 200);
    // Nothing is deleted; nothing more is created while over the limit.
    assert_eq!(create_session(&app, 4).await.status(), 402);
    let plan = subscription(&app).await;
    assert_eq!(plan["usage"]["maxSessions"]["used"], 3, "{plan}");
    let sessions = eventually("three sessions listed", PATIENCE, || async {
        let list = app.list("/v1/sessions").await;
        (list["total"] == 3).then_some(list)
    })
    .await;
    assert_eq!(sessions["data"].as_array().unwrap().len(), 3);
    app.stop().await;
}

fn payment(id: &str, amount: f64, status: &str) -> Value {
    json!({
        "transactionId": id, "amount": amount, "currency": "usd", "paymentMethod": "stripe",
        "status": status, "subscriptionTier": "business",
        "billingPeriodStart": "2026-12-01T00:00:00Z", "billingPeriodEnd": "2099-01-01T00:00:00Z",
    })
}

async fn pay(app: &TestApp, body: &Value) -> reqwest::Response {
    app.request(Method::POST, "/v1/subscription/payments")
        .json(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_same_payment_twice_is_one_payment_and_a_completed_one_sets_the_plan() {
    let app = spawn_app().await;
    agree(&app, None).await;
    let first = pay(&app, &payment("pi_3Nq", 99.5, "completed")).await;
    assert_eq!(first.status(), 201);
    let recorded: Value = first.json().await.unwrap();
    assert_eq!(
        (recorded["amount"].as_f64(), recorded["currency"].as_str()),
        (Some(99.5), Some("USD"))
    );
    assert_eq!(
        pay(&app, &payment("pi_3Nq", 99.5, "completed"))
            .await
            .status(),
        200
    );
    let position = recorded["position"].as_u64().unwrap();
    let listed = app
        .list(&format!("/v1/subscription/payments?minPosition={position}"))
        .await;
    assert_eq!(listed["total"], 1, "{listed}");
    assert_eq!(listed["data"][0]["transactionId"], "pi_3Nq", "{listed}");
    assert_eq!(listed["data"][0]["status"], "completed", "{listed}");
    let plan = subscription(&app).await;
    assert_eq!(plan["subscriptionTier"], "business");
    assert_eq!(plan["subscriptionEndDate"], "2099-01-01T00:00:00Z");

    let other_amount = error_of(pay(&app, &payment("pi_3Nq", 5.0, "completed")).await).await;
    assert_eq!(
        (other_amount.0, other_amount.1.as_str()),
        (409, "payment_mismatch")
    );
    let bad = error_of(pay(&app, &payment("pi_x", 1.005, "completed")).await).await;
    assert_eq!((bad.0, bad.2.as_deref()), (422, Some("amount")));
    let refunded = pay(&app, &payment("pi_3Nq", 99.5, "refunded")).await;
    assert_eq!(refunded.status(), 200, "a later status of the same payment");
    let position = refunded.json::<Value>().await.unwrap()["position"]
        .as_u64()
        .unwrap();
    let refunds = app
        .list(&format!(
            "/v1/subscription/payments?status=refunded&minPosition={position}"
        ))
        .await;
    assert_eq!(
        (
            refunds["total"].as_u64(),
            refunds["data"][0]["amount"].as_f64()
        ),
        (Some(1), Some(99.5)),
        "one payment, now refunded: {refunds}"
    );

    // Another tenant cannot record the same transaction.
    let elsewhere = app
        .request_as("tenant-b", Method::POST, "/v1/subscription/payments")
        .await
        .json(&payment("pi_3Nq", 99.5, "completed"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(elsewhere).await.0, 409);
    app.stop().await;
}

#[tokio::test]
async fn only_an_admin_changes_the_plan() {
    let app = spawn_app().await;
    let ann = app.sign_up("ann").await;
    let invited = app
        .request_with_key(&ann.access, Method::POST, "/v1/users")
        .json(&json!({ "email": "max@example.com", "username": "max", "role": "manager" }))
        .send()
        .await
        .unwrap();
    assert_eq!(invited.status(), 201);
    let token = app.last_token_to("max@example.com");
    app.post_public(
        "/v1/auth/reset-password",
        &json!({ "token": token, "password": "max's passphrase" }),
    )
    .await;
    let max = app.sign_in("max", "max's passphrase").await;
    let manager = max["accessToken"].as_str().unwrap();
    assert_eq!(
        app.get_with(manager, "/v1/subscription").await.status(),
        200
    );
    let change = app
        .request_with_key(manager, Method::PUT, "/v1/subscription/plan")
        .json(&json!({ "tier": "business" }))
        .send()
        .await
        .unwrap();
    assert_eq!(change.status(), 403);
    app.stop().await;
}

/// The tenant's `subscriptions` document once it meets `ready`.
async fn plan_document(app: &TestApp, what: &str, ready: impl Fn(&Value) -> bool) -> Value {
    use herald_application::ports::read_store::{Condition, FindQuery};
    use herald_application::subscriptions::read_model::SUBSCRIPTIONS;
    let store = app.herald.read_store();
    let query = FindQuery::new(
        &SUBSCRIPTIONS,
        vec![Condition::Equals("_id", app.tenant.as_str().into())],
    );
    eventually(what, PATIENCE, || async {
        let page = store.find(&query).await.unwrap();
        let document = Value::Object(page.documents.into_iter().next()?);
        ready(&document).then_some(document)
    })
    .await
}

#[tokio::test]
async fn a_plan_that_ends_is_recorded_as_expired_and_its_read_model_follows_every_change() {
    let app = spawn_app().await;
    agree(&app, Some(messages_a_day(7))).await;
    let custom = plan_document(&app, "custom limits", |d| {
        d["limits"]["maxMessagesPerDay"] == 7
    })
    .await;
    assert_eq!(custom["hasCustomLimits"], true, "{custom}");

    // A plan change keeps the operator's limits; removing them gives the
    // tier's.
    let ends_at = chrono::Utc::now() + chrono::Duration::seconds(4);
    let changed = app
        .request(Method::PUT, "/v1/subscription/plan")
        .json(&json!({ "tier": "pro", "endsAt": ends_at }))
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status(), 200);
    let pro = plan_document(&app, "the pro plan", |d| d["subscriptionTier"] == "pro").await;
    assert_eq!(pro["limits"]["maxMessagesPerDay"], 7, "{pro}");
    assert_eq!(pro["subscriptionStatus"], "active");
    assert!(pro["subscriptionEndDate"].is_string(), "{pro}");
    agree(&app, None).await;
    let tiers = plan_document(&app, "pro's own limits", |d| d["hasCustomLimits"] == false).await;
    assert_eq!(
        (
            &tiers["limits"]["maxSessions"],
            &tiers["limits"]["maxMessagesPerDay"]
        ),
        (&json!(3), &json!(250)),
        "{tiers}"
    );

    // At the end date the expiry is recorded, which only the log can say.
    let expired = plan_document(&app, "the expiry recorded", |d| {
        d["subscriptionStatus"] == "expired"
    })
    .await;
    assert_eq!(expired["subscriptionTier"], "pro");
    let plan = subscription(&app).await;
    assert_eq!(plan["subscriptionStatus"], "expired");
    assert_eq!(plan["limits"]["maxSessions"], 1, "the free plan's: {plan}");
    app.stop().await;
}

/// A campaign's unknown sends, sent again at the business's request, are
/// messages like any other: counted against the day's, and no more of
/// them go than the day has left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_sends_sent_again_count_against_the_days_messages() {
    let app = spawn_app().await;
    add_template(&app);
    // Meta answers nothing and sends no status: the sends stay unknown.
    let number = herald_fake_graph::FakeNumber {
        status_schedule: Some(herald_fake_graph::StatusSchedule::none()),
        ..herald_fake_graph::FakeNumber::default()
    };
    let session = app.connected_session_for(number).await;
    agree(&app, Some(messages_a_day(5))).await;
    app.graph.drop_next_answer(3);
    let id = app
        .start_campaign(&template_campaign(&session, &recipients(3), None))
        .await;
    let unknown = eventually("three sends unknown", Duration::from_secs(60), || async {
        let campaign = app.campaign_now(&id).await;
        (campaign["unknownCount"] == 3 && campaign["status"] == "completed").then_some(campaign)
    })
    .await;
    assert_eq!(app.graph.sent_count(), 3, "{unknown}");
    let plan = subscription(&app).await;
    assert_eq!(
        plan["usage"]["maxMessagesPerDay"]["used"], 3,
        "a batch holds no more than its recipients: {plan}"
    );

    let resend = app.campaign_action(&id, "resend-unknown").await;
    assert!(resend.status().is_success(), "{}", resend.status());
    // Two of the day's five are left: two go again, one stays unknown.
    eventually("two sent again", Duration::from_secs(60), || async {
        (app.graph.sent_count() == 5).then_some(())
    })
    .await;
    let plan = subscription(&app).await;
    assert_eq!(plan["usage"]["maxMessagesPerDay"]["used"], 5, "{plan}");
    let campaign = eventually("one left unknown", Duration::from_secs(60), || async {
        let campaign = app.campaign_now(&id).await;
        (campaign["unknownCount"] == 1).then_some(campaign)
    })
    .await;
    assert_eq!(app.graph.sent_count(), 5, "{campaign}");
    app.stop().await;
}
