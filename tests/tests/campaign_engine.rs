//! Campaigns that send: through the dispatcher to the fake Graph API, one
//! message per recipient, with outcomes flowing back into the campaign's
//! recipients and counters, and the lifecycle acting on the sending.

use herald_tests::campaigns::{add_template, recipients, template_campaign, TEMPLATE};
use herald_tests::on_both_stores;
use herald_tests::spawn_app;
use herald_tests::whatsapp::PATIENCE;
use std::collections::HashMap;

on_both_stores! {
    async fn a_started_campaign_sends_each_recipient_its_message_once_and_completes() {
        let app = spawn_app().await;
        add_template(&app);
        let session = app.connected_session().await;
        let audience = recipients(60);
        let id = app.start_campaign(&template_campaign(&session, &audience, None)).await;

        let done = app.wait_for_campaign(&id, "completed", PATIENCE).await;
        assert!(done["completedAt"].is_string(), "{done}");
        let sends = app.sends_per_recipient();
        assert_eq!(sends.len(), 60, "every recipient reached");
        assert!(sends.values().all(|n| *n == 1), "none twice: {sends:?}");
        let sent = app.graph.sent_messages();
        let first = sent
            .iter()
            .find(|m| m.wa_id == "16505550007")
            .expect("the eighth recipient's message");
        assert_eq!(first.body["template"]["name"], TEMPLATE);
        assert_eq!(
            first.body["template"]["components"][0]["parameters"][0]["text"],
            "Guest 7",
            "personalised for the recipient"
        );

        // Every status webhook comes back: the recipients end read, and the
        // counters say so and equal a recount.
        herald_tests::eventually("every recipient read", PATIENCE, || async {
            let campaign = app.campaign_now(&id).await;
            (campaign["readCount"] == 60).then_some(campaign)
        })
        .await;
        let (_, recipients) = app.counters_agree(&id).await;
        assert!(recipients.iter().all(|r| r["messageId"].is_string() && r["sentAt"].is_string()));
        app.stop().await;
    }
}

on_both_stores! {
    async fn stopping_leaves_the_rest_not_sent_and_pausing_holds_the_queue() {
        let app = spawn_app().await;
        add_template(&app);
        let session = app.connected_session().await;
        let audience = recipients(10);
        // One send a second: slow enough to pause and stop mid-way.
        let id = app.start_campaign(&template_campaign(&session, &audience, Some(1_000))).await;
        herald_tests::eventually("two sends", PATIENCE, || async {
            (app.graph.sent_count() >= 2).then_some(())
        })
        .await;
        assert_eq!(app.campaign_action(&id, "pause").await.status(), 202);
        let paused_at = app.graph.sent_count();
        // A pause stops new sends within a second.
        tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
        let after_a_second = app.graph.sent_count();
        tokio::time::sleep(std::time::Duration::from_millis(2_000)).await;
        assert_eq!(app.graph.sent_count(), after_a_second, "nothing more while paused");
        assert!(after_a_second <= paused_at + 1, "{paused_at} then {after_a_second}");

        assert_eq!(app.campaign_action(&id, "resume").await.status(), 202);
        herald_tests::eventually("a send after resuming", PATIENCE, || async {
            (app.graph.sent_count() > after_a_second).then_some(())
        })
        .await;
        assert_eq!(app.campaign_action(&id, "stop").await.status(), 202);
        let stopped = app.wait_for_campaign(&id, "stopped", PATIENCE).await;

        herald_tests::eventually("no recipient pending", PATIENCE, || async {
            let campaign = app.campaign_now(&id).await;
            (campaign["pendingCount"] == 0).then_some(campaign)
        })
        .await;
        let (_, recipients) = app.counters_agree(&id).await;
        let sent = app.graph.sent_count();
        let not_sent: Vec<_> = recipients.iter().filter(|r| r["status"] == "not_sent").collect();
        assert_eq!(not_sent.len() + sent, 10, "{stopped}");
        assert!(not_sent.iter().all(|r| r["errorMessage"].as_str().is_some_and(|e| e.contains("stopped"))));
        let per_recipient: HashMap<_, _> = app.sends_per_recipient();
        assert!(per_recipient.values().all(|n| *n == 1));
        app.stop().await;
    }
}

/// The events of a server-sent-events answer, each as (name, data), read
/// until the stream ends; with the time each arrived.
async fn events_of(
    mut answer: reqwest::Response,
) -> Vec<(String, serde_json::Value, std::time::Instant)> {
    let mut events = Vec::new();
    let mut buffer = String::new();
    while let Ok(Some(chunk)) = answer.chunk().await {
        buffer.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buffer.find("\n\n") {
            let block: String = buffer.drain(..end + 2).collect();
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name).map(str::trim).map(str::to_owned))
            };
            if let (Some(name), Some(data)) = (field("event:"), field("data:")) {
                let data = serde_json::from_str(&data).expect("JSON data");
                events.push((name, data, std::time::Instant::now()));
            }
        }
    }
    events
}

on_both_stores! {
    async fn progress_streams_the_counters_until_the_campaign_ends() {
        let app = spawn_app().await;
        add_template(&app);
        let session = app.connected_session().await;
        // Three a second for three seconds.
        let audience = recipients(9);
        let body = template_campaign(&session, &audience, Some(1_000));
        let (id, position) = app.create_campaign_ok(&body).await;
        let stream = app
            .request(reqwest::Method::GET, &format!("/v1/campaigns/{id}/progress?minPosition={position}"))
            .send()
            .await
            .unwrap();
        assert_eq!(stream.status(), 200);
        assert!(stream.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
        assert_eq!(app.campaign_action(&id, "start").await.status(), 202);

        let events = tokio::time::timeout(PATIENCE * 2, events_of(stream)).await.expect("the stream ends");

        let (last, done, _) = events.last().expect("events").clone();
        assert_eq!(last, "end");
        assert_eq!(done["status"], "completed", "{done}");
        assert_eq!(done["pendingCount"], 0);
        assert!(done["sendRate"].as_f64().is_some_and(|r| r > 0.0), "{done}");
        let progress: Vec<_> = events.iter().filter(|(name, ..)| name == "progress").collect();
        assert!(progress.len() >= 3, "counters moved while it ran: {}", progress.len());
        for pair in progress.windows(2) {
            let gap = pair[1].2 - pair[0].2;
            assert!(gap >= std::time::Duration::from_millis(900), "two updates {gap:?} apart");
        }
        app.stop().await;
    }
}

/// A campaign scheduled three seconds ahead starts then, on one of two
/// nodes, once, and sends.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scheduled_campaign_starts_at_its_time_once_with_two_nodes() {
    use herald_api::settings::Redacted;
    let key = || Some(Redacted("3d".repeat(32)));
    let app =
        herald_tests::spawn_app_with_settings(Default::default(), |s| s.secret_key = key()).await;
    let data = tempfile::tempdir().unwrap();
    let mut second = herald_tests::app::settings_on_nats(&app.nats.url(), &data);
    second.secret_key = key();
    second.graph_api_url = app.graph.base_url().to_owned();
    let second = herald_api::Herald::start(&second)
        .await
        .expect("a second node");
    add_template(&app);
    let session = app.connected_session().await;
    let at = chrono::Utc::now() + chrono::Duration::seconds(3);
    let mut body = template_campaign(&session, &recipients(3), None);
    body["schedule"] = serde_json::json!({ "type": "scheduled", "startTime": at.to_rfc3339() });
    let (id, _) = app.create_campaign_ok(&body).await;
    assert_eq!(app.campaign_action(&id, "schedule").await.status(), 202);

    let done = app.wait_for_campaign(&id, "completed", PATIENCE).await;
    let started: chrono::DateTime<chrono::Utc> =
        done["startedAt"].as_str().unwrap().parse().unwrap();
    assert!(started >= at, "started at {started}, due at {at}");
    assert!(
        started - at < chrono::Duration::seconds(2),
        "started at {started}, due at {at}"
    );
    let history =
        herald_infrastructure::jetstream::JetStreamEventFeed::new(app.herald.event_log().clone())
            .aggregate_history(Some(&app.tenant), "campaign", &id)
            .await
            .unwrap();
    let starts = history
        .iter()
        .flat_map(|c| &c.events)
        .filter(|e| e.event_type == "CampaignStarted")
        .count();
    assert_eq!(starts, 1);
    assert_eq!(app.sends_per_recipient().len(), 3);
    second.stop().await;
    app.stop().await;
}

/// A third of the audience is not on WhatsApp (131026): the campaign stops
/// burning the number's reputation and pauses, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_whose_sends_keep_failing_pauses_itself() {
    let app = spawn_app().await;
    add_template(&app);
    let session = app.connected_session().await;
    let audience = recipients(400);
    let invalid: Vec<String> = audience
        .iter()
        .step_by(3)
        .map(|r| r["phoneNumber"].as_str().unwrap().to_owned())
        .collect();
    app.graph
        .invalid_recipients(&invalid, herald_fake_graph::ErrorTiming::Sync);
    let id = app
        .start_campaign(&template_campaign(&session, &audience, None))
        .await;

    let paused = app.wait_for_campaign(&id, "paused", PATIENCE).await;
    let reason = paused["pauseReason"].as_str().unwrap_or_default();
    assert!(reason.contains("failed"), "{paused}");
    let sent = app
        .graph
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/messages"))
        .count();
    assert!(sent < 300, "{sent} sends before it paused");
    app.stop().await;
}

/// Meta rates the number's quality RED: a campaign on it pauses at once,
/// saying why, rather than push the number towards a restriction.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_campaign_on_a_number_rated_red_pauses_itself() {
    let app = spawn_app().await;
    add_template(&app);
    let session = app
        .connected_session_for(herald_fake_graph::FakeNumber {
            quality_rating: "RED".into(),
            ..Default::default()
        })
        .await;
    let id = app
        .start_campaign(&template_campaign(&session, &recipients(20), None))
        .await;

    let paused = app.wait_for_campaign(&id, "paused", PATIENCE).await;
    assert!(
        paused["pauseReason"]
            .as_str()
            .is_some_and(|r| r.contains("RED")),
        "{paused}"
    );
    assert!(app.graph.sent_messages().is_empty(), "nothing went out");
    app.stop().await;
}

/// Meta's account-level webhook says the number's quality is FLAGGED: it is
/// taken (signed by the account's number, routed by the account), recorded
/// on the session, and a campaign running on it pauses, saying why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_quality_flag_from_meta_pauses_the_numbers_campaign() {
    let app = spawn_app().await;
    add_template(&app);
    let session = app.connected_session().await;
    let id = app
        .start_campaign(&template_campaign(&session, &recipients(30), Some(1_000)))
        .await;
    herald_tests::eventually("the first send", PATIENCE, || async {
        (!app.graph.sent_messages().is_empty()).then_some(())
    })
    .await;

    let number = &session.number;
    let flagged = serde_json::json!({"object": "whatsapp_business_account", "entry": [{
        "id": number.waba_id, "time": 1_750_000_000, "changes": [{
            "field": "phone_number_quality_update",
            "value": {"display_phone_number": number.display_phone_number, "event": "FLAGGED", "current_limit": "TIER_10K"}}]}]});
    let taken = app
        .graph
        .post_webhook(&number.phone_number_id, &flagged)
        .await
        .expect("the fake posts");
    assert!(taken, "Herald answered the account-level webhook 200");

    let paused = app.wait_for_campaign(&id, "paused", PATIENCE).await;
    assert!(
        paused["pauseReason"]
            .as_str()
            .is_some_and(|r| r.contains("quality")),
        "{paused}"
    );
    let sent = app.graph.sent_count();
    assert!(sent < 30, "{sent} sent");
    let sessions = app.list("/v1/sessions").await;
    assert_eq!(sessions["data"][0]["qualityEvent"], "FLAGGED", "{sessions}");
    app.stop().await;
}

/// Meta pauses the campaign's template (132015): the campaign pauses, the
/// refused message goes back to the queue instead of failing its
/// recipient, and once resumed every recipient gets the message once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_template_meta_paused_pauses_the_campaign_and_fails_no_one() {
    let app = spawn_app().await;
    add_template(&app);
    let session = app.connected_session().await;
    app.graph
        .fail_next(1, herald_fake_graph::FakeFault::code(132015));
    let id = app
        .start_campaign(&template_campaign(&session, &recipients(5), Some(1_000)))
        .await;

    let paused = app.wait_for_campaign(&id, "paused", PATIENCE).await;
    assert!(
        paused["pauseReason"]
            .as_str()
            .is_some_and(|r| r.contains("template")),
        "{paused}"
    );
    assert_eq!(paused["failedCount"], 0, "{paused}");

    assert_eq!(app.campaign_action(&id, "resume").await.status(), 202);
    app.wait_for_campaign(&id, "completed", PATIENCE).await;
    let sends = app.sends_per_recipient();
    assert_eq!(sends.len(), 5);
    assert!(sends.values().all(|n| *n == 1), "{sends:?}");
    let (campaign, _) = app.counters_agree(&id).await;
    assert_eq!(campaign["failedCount"], 0, "{campaign}");
    app.stop().await;
}
