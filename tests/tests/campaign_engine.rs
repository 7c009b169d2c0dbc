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
            (app.graph.sent_messages().len() >= 2).then_some(())
        })
        .await;
        assert_eq!(app.campaign_action(&id, "pause").await.status(), 202);
        let paused_at = app.graph.sent_messages().len();
        // A pause stops new sends within a second.
        tokio::time::sleep(std::time::Duration::from_millis(1_000)).await;
        let after_a_second = app.graph.sent_messages().len();
        tokio::time::sleep(std::time::Duration::from_millis(2_000)).await;
        assert_eq!(app.graph.sent_messages().len(), after_a_second, "nothing more while paused");
        assert!(after_a_second <= paused_at + 1, "{paused_at} then {after_a_second}");

        assert_eq!(app.campaign_action(&id, "resume").await.status(), 202);
        herald_tests::eventually("a send after resuming", PATIENCE, || async {
            (app.graph.sent_messages().len() > after_a_second).then_some(())
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
        let sent = app.graph.sent_messages().len();
        let not_sent: Vec<_> = recipients.iter().filter(|r| r["status"] == "not_sent").collect();
        assert_eq!(not_sent.len() + sent, 10, "{stopped}");
        assert!(not_sent.iter().all(|r| r["errorMessage"].as_str().is_some_and(|e| e.contains("stopped"))));
        let per_recipient: HashMap<_, _> = app.sends_per_recipient();
        assert!(per_recipient.values().all(|n| *n == 1));
        app.stop().await;
    }
}
