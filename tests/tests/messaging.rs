//! Sending messages end to end: Herald's API, its dispatcher, the fake
//! Graph API, and the status webhooks coming back.

use herald_tests::spawn_app;
use herald_tests::whatsapp::{assert_requests_match_openapi, text_to, CONTACT};

#[tokio::test]
async fn a_reply_inside_the_window_is_sent_and_ends_read() {
    let app = spawn_app().await;
    let session = app.connected_session().await;
    app.receive_text(&session, CONTACT, "Hi, is my order ready?")
        .await;

    let id = app
        .send_message_ok(&session, &text_to(CONTACT, "Yes, it ships today"))
        .await;

    let message = app.wait_for_status(&id, "read").await;
    assert!(message["waMessageId"]
        .as_str()
        .is_some_and(|w| w.starts_with("wamid.")));
    assert!(message["sentAt"].is_string() && message["deliveredAt"].is_string());
    let sent = app.graph.sent_messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].biz_opaque_callback_data.as_deref(),
        Some(id.as_str())
    );
    assert_requests_match_openapi(&app);
    app.stop().await;
}
