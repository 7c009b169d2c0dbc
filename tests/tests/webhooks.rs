//! Webhooks end to end (cloud-api.md §3 and §7 items 13–16): Meta's
//! handshake; POSTs that fail the signature check or name no session of
//! Herald, which must leave nothing behind; status schedules that arrive out
//! of order, twice, batched, concurrently, before the send's answer or after
//! a refusal, each of which must settle on the highest-ranked status with
//! every status recorded once; and every kind of inbound message.

use std::collections::BTreeSet;
use std::time::Duration;

use futures::TryStreamExt;
use herald_application::webhooks::numbers::MAX_NUMBERS_PER_NOTIFICATION;
use herald_domain::message::{DeliveryStatus, MessageEvent};
use herald_fake_graph::{
    signature, FakeGraphConfig, FakeNumber, InboundContent, InboundMessage, Layout, MediaKind,
    SignatureMode, StatusKind, StatusSchedule, WebhookConfig,
};
use herald_infrastructure::jetstream::JetStreamEventFeed;
use herald_tests::app::{error_of, receipt};
use herald_tests::whatsapp::{
    assert_requests_match_openapi, session_body, text_to, TestSession, CONTACT, PATIENCE,
    VERIFY_TOKEN as VERIFY,
};
use herald_tests::{eventually, on_both_stores, spawn_app, spawn_app_with, TestApp};
use reqwest::{Method, Response};
use serde_json::{json, Value};

const WEBHOOK_PATH: &str = "/v1/webhooks/whatsapp";

/// The durable consumer of Herald's webhook processor (`herald-<worker>`):
/// once it has nothing pending, every recorded webhook has been applied.
const PROCESSOR_CONSUMER: &str = "herald-webhook-processor";

// ---------------------------------------------------------------- handshake

on_both_stores! {
    async fn the_handshake_echoes_the_challenge_only_for_a_known_verify_token() {
        let app = spawn_app().await;
        app.connected_session().await;

        assert!(app.graph.verify_webhook().await.expect("a webhook is set"));
        assert!(!app
            .graph
            .verify_webhook_with("not-the-token")
            .await
            .expect("a webhook is set"));

        let echoed = handshake(&app, Some("subscribe"), Some(VERIFY), Some("1158201444")).await;
        assert_eq!(echoed.status(), 200);
        assert_eq!(echoed.text().await.expect("a body"), "1158201444");
        let wrong_token = handshake(&app, Some("subscribe"), Some("nope"), Some("7")).await;
        assert_eq!(error_of(wrong_token).await.0, 403);
        let cases = [
            (None, Some(VERIFY), Some("7"), "hub.mode"),
            (Some("subscribe"), None, Some("7"), "hub.verify_token"),
            (Some("subscribe"), Some(VERIFY), None, "hub.challenge"),
            (Some("unsubscribe"), Some(VERIFY), Some("7"), "hub.mode"),
        ];
        for (mode, token, challenge, field) in cases {
            let refused = handshake(&app, mode, token, challenge).await;
            let (status, code, named) = error_of(refused).await;
            assert_eq!((status, code.as_str()), (400, "invalid_query"), "{field}");
            assert_eq!(named.as_deref(), Some(field));
        }
        app.stop().await;
    }
}

async fn handshake(
    app: &TestApp,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&str>,
) -> Response {
    let params = [
        ("hub.mode", mode),
        ("hub.verify_token", token),
        ("hub.challenge", challenge),
    ]
    .into_iter()
    .filter_map(|(name, value)| value.map(|v| (name, v)));
    let mut url = reqwest::Url::parse(&format!("{}{WEBHOOK_PATH}", app.address)).expect("a URL");
    url.query_pairs_mut().extend_pairs(params);
    app.client
        .get(url)
        .send()
        .await
        .expect("the request is sent")
}

// ------------------------------------------------------ refused, stored nothing

on_both_stores! {
    async fn webhooks_that_fail_verification_or_routing_store_nothing() {
        let app = spawn_app_with(FakeGraphConfig {
            webhooks: WebhookConfig {
                max_attempts: 1,
                ..WebhookConfig::default()
            },
            ..FakeGraphConfig::default()
        })
        .await;
        let ours = app.connected_session().await;
        let other_tenant = format!("{}-other", app.tenant);
        let theirs = connected_session_as(&app, &other_tenant, other_number()).await;
        let tenants = [app.tenant.as_str(), other_tenant.as_str()];
        let pnid = ours.number.phone_number_id.clone();

        for (mode, case) in [
            (SignatureMode::Missing, "no signature"),
            (SignatureMode::Bad, "a bad signature"),
        ] {
            app.graph.configure(|c| c.webhooks.signature = mode);
            let wamid = app
                .graph
                .emit_inbound(&pnid, InboundMessage::text("16505551234", case))
                .await
                .expect("the fake posts");
            assert_eq!(answers_to(&app, &wamid), [Some(401)], "{case}");
            assert_nothing_stored(&app, &tenants, case).await;
        }
        app.graph
            .configure(|c| c.webhooks.signature = SignatureMode::Valid);

        let ours_only = notification(&[&ours.number]);
        let other_secret = signature(&theirs.number.app_secret, &ours_only);
        let forged = post_raw(&app, &ours_only, Some(&other_secret)).await;
        assert_eq!(error_of(forged).await.0, 401);
        assert_nothing_stored(&app, &tenants, "signed with another app's secret").await;

        for (numbers, signer) in [
            ([&ours.number, &theirs.number], &ours.number),
            ([&ours.number, &theirs.number], &theirs.number),
            ([&theirs.number, &ours.number], &ours.number),
        ] {
            let both = notification(&numbers);
            let half_signed = post_raw(&app, &both, Some(&signature(&signer.app_secret, &both))).await;
            assert_eq!(error_of(half_signed).await.0, 401);
            assert_nothing_stored(&app, &tenants, "two numbers, one signature").await;
        }

        let stranger = FakeNumber::new("1999", "2999", "15550009999", "t", "stranger-secret");
        app.graph.add_number(stranger.clone());
        let wamid = app
            .graph
            .emit_inbound(&stranger.phone_number_id, InboundMessage::text("1650", "?"))
            .await
            .expect("the fake posts");
        assert_eq!(
            answers_to(&app, &wamid),
            [Some(401)],
            "an unknown number gets the 401 a bad signature gets, so it tells nothing"
        );
        assert_nothing_stored(&app, &tenants, "an unknown phone number id").await;

        let garbage = b"object=whatsapp_business_account&entry=1";
        let not_json = post_raw(
            &app,
            garbage,
            Some(&signature(&ours.number.app_secret, garbage)),
        )
        .await;
        assert_eq!(
            error_of(not_json).await.0,
            401,
            "a body naming no number cannot be checked against any app secret"
        );
        assert_nothing_stored(&app, &tenants, "a body that is not JSON").await;

        // The control: the same kind of body, properly signed, is stored, so
        // the counts above could have seen a record.
        let signed = post_raw(
            &app,
            &ours_only,
            Some(&signature(&ours.number.app_secret, &ours_only)),
        )
        .await;
        assert_eq!(signed.status(), 200);
        assert_eq!(recorded(&app, "webhook").await, 1);
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

on_both_stores! {
    async fn every_unsigned_body_gets_the_same_401_whatever_it_names() {
        let app = spawn_app().await;
        let ours = app.connected_session().await;
        let stranger = FakeNumber::new("1999", "2999", "15550009999", "t", "stranger-secret");
        let bodies = [
            notification(&[&ours.number]),
            notification(&[&stranger]),
            notification(&[&stranger, &ours.number]),
            numbers_named(MAX_NUMBERS_PER_NOTIFICATION + 1),
            b"{\"object\": not JSON".to_vec(),
            Vec::new(),
        ];
        let forged = format!("sha256={}", "0".repeat(64));
        let mut answers = BTreeSet::new();
        let mut unsigned = BTreeSet::new();
        for body in &bodies {
            for header in [forged.as_str(), "sha256=nothex", "garbage"] {
                let answer = post_raw(&app, body, Some(header)).await;
                answers.insert((answer.status().as_u16(), answer.text().await.unwrap()));
            }
            let answer = post_raw(&app, body, None).await;
            unsigned.insert((answer.status().as_u16(), answer.text().await.unwrap()));
        }

        assert_eq!(
            answers.len(),
            1,
            "answers differ by what the body names: {answers:#?}"
        );
        assert_eq!(unsigned.len(), 1, "{unsigned:#?}");
        for (status, _) in answers.iter().chain(&unsigned) {
            assert_eq!(*status, 401);
        }
        assert_eq!(recorded(&app, "webhook").await, 0);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_body_naming_tens_of_thousands_of_numbers_is_refused_at_once_with_a_short_answer() {
        let app = spawn_app().await;
        let ours = app.connected_session().await;
        let huge = numbers_named(60_000);
        assert!(huge.len() > 3 << 20, "a body of megabytes");

        for header in [
            format!("sha256={}", "0".repeat(64)),
            signature(&ours.number.app_secret, &huge),
        ] {
            let started = std::time::Instant::now();
            let answer = post_raw(&app, &huge, Some(&header)).await;
            let took = started.elapsed();
            let status = answer.status();
            let text = answer.text().await.unwrap();

            assert_eq!(status, 401, "{text}");
            assert!(
                text.len() < 256,
                "a short answer, not a list of ids: {} bytes",
                text.len()
            );
            assert!(
                took < Duration::from_secs(2),
                "refused at once, not after {took:?}"
            );
        }
        assert_eq!(recorded(&app, "webhook").await, 0);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_webhook_body_over_the_limit_gets_the_json_error_shape() {
        let app = spawn_app().await;
        let answer = post_raw(&app, &vec![b' '; 5 << 20], Some("sha256=00")).await;
        let (status, code, _) = error_of(answer).await;
        assert_eq!((status, code.as_str()), (413, "too_large"));
        app.stop().await;
    }
}

on_both_stores! {
    async fn another_tenant_cannot_take_over_a_numbers_webhooks() {
        let app = spawn_app().await;
        let victim = app.connected_session().await;
        let disconnected = app.session_action(&victim.id, "disconnect").await;
        assert_eq!(disconnected.status(), 202);
        // Claims are checked against the read model: read it as of the disconnect.
        let (_, position) = receipt(disconnected).await;
        let path = format!("/v1/sessions/{}?minPosition={position}", victim.id);
        let read = app.request(Method::GET, &path).send().await;
        assert_eq!(read.expect("the request is sent").status(), 200);
        let attacker = format!("{}-attacker", app.tenant);
        let claimed = FakeNumber {
            access_token: "attacker-token".into(),
            app_secret: "attacker-secret".into(),
            ..victim.number.clone()
        };
        let registered = app
            .request_as(&attacker, Method::POST, "/v1/sessions")
            .await
            .json(&session_body(&claimed))
            .send()
            .await
            .expect("the request is sent");
        assert_eq!(registered.status(), 201, "registering proves nothing yet");
        let (attacker_session, _) = receipt(registered).await;
        let body = notification(&[&victim.number]);
        let self_signed = signature(&claimed.app_secret, &body);
        let victim_signed = signature(&victim.number.app_secret, &body);

        // While the victim is disconnected, no one holds the number.
        let answer = post_raw(&app, &body, Some(&self_signed)).await;
        assert_eq!(
            answer.status(),
            401,
            "a session that never connected is no route"
        );
        let answer = post_raw(&app, &body, Some(&victim_signed)).await;
        assert_eq!(answer.status(), 401);
        let connect = app
            .request_as(
                &attacker,
                Method::POST,
                &format!("/v1/sessions/{attacker_session}/connect"),
            )
            .await
            .send()
            .await
            .expect("the request is sent");
        let connect: Value = connect.json().await.expect("a JSON answer");
        assert_ne!(
            connect["status"], "connected",
            "Meta refuses the attacker's token: {connect}"
        );
        assert_eq!(recorded(&app, "webhook").await, 0);

        // Once the victim connects again, the number is the victim's alone.
        let reconnected = app.session_action(&victim.id, "connect").await;
        let (_, position) = receipt(reconnected).await;
        app.request(
            Method::GET,
            &format!("/v1/sessions/{}?minPosition={position}", victim.id),
        )
        .send()
        .await
        .expect("the request is sent");
        let answer = post_raw(&app, &body, Some(&self_signed)).await;
        assert_eq!(answer.status(), 401);
        let answer = post_raw(&app, &body, Some(&victim_signed)).await;
        assert_eq!(answer.status(), 200);
        assert_eq!(recorded_for(&app, &attacker, "webhook").await, 0);
        assert_eq!(recorded_for(&app, &app.tenant, "webhook").await, 1);
        app.stop().await;
    }
}

/// A body naming `count` different phone number ids, one change each.
fn numbers_named(count: usize) -> Vec<u8> {
    let changes: Vec<Value> = (0..count)
        .map(
            |i| json!({ "value": { "metadata": { "phone_number_id": format!("1065403{i:08}") } } }),
        )
        .collect();
    let body = json!({ "object": "whatsapp_business_account", "entry": [{ "id": "1", "changes": changes }] });
    serde_json::to_vec(&body).expect("JSON")
}

fn other_number() -> FakeNumber {
    FakeNumber::new(
        "106540352242923",
        "102290129340399",
        "15550783882",
        "other-access-token",
        "other-app-secret",
    )
}

/// A session of `tenant` on `number`, connected, as
/// `TestApp::connected_session_for` makes one for the test's own tenant.
async fn connected_session_as(app: &TestApp, tenant: &str, number: FakeNumber) -> TestSession {
    app.graph.add_number(number.clone());
    let created = app
        .request_as(tenant, Method::POST, "/v1/sessions")
        .await
        .json(&session_body(&number))
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(created.status(), 201);
    let (id, _) = receipt(created).await;
    let connected = app
        .request_as(tenant, Method::POST, &format!("/v1/sessions/{id}/connect"))
        .await
        .send()
        .await
        .expect("the request is sent");
    assert_eq!(connected.status(), 202);
    let (_, position) = receipt(connected).await;
    let path = format!("/v1/sessions/{id}?minPosition={position}");
    let read = app
        .request_as(tenant, Method::GET, &path)
        .await
        .send()
        .await;
    assert_eq!(read.expect("the request is sent").status(), 200);
    TestSession { id, number }
}

/// A text message to each of `numbers`, one entry each, as Meta writes it.
fn notification(numbers: &[&FakeNumber]) -> Vec<u8> {
    let entries: Vec<Value> = numbers
        .iter()
        .enumerate()
        .map(|(i, number)| {
            json!({ "id": number.waba_id, "changes": [{ "field": "messages", "value": {
                "messaging_product": "whatsapp",
                "metadata": { "display_phone_number": number.display_phone_number, "phone_number_id": number.phone_number_id },
                "contacts": [{ "profile": { "name": "Sheena Nelson" }, "wa_id": "16505551234" }],
                "messages": [{ "from": "16505551234", "id": format!("wamid.FORGED{i}"), "timestamp": "1749416383", "type": "text", "text": { "body": "Hi" } }],
            }}]})
        })
        .collect();
    let body = json!({ "object": "whatsapp_business_account", "entry": entries });
    serde_json::to_vec(&body).expect("JSON")
}

async fn post_raw(app: &TestApp, body: &[u8], signature: Option<&str>) -> Response {
    let mut request = app
        .client
        .post(format!("{}{WEBHOOK_PATH}", app.address))
        .header("content-type", "application/json")
        .body(body.to_vec());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    request.send().await.expect("the request is sent")
}

/// No webhook or conversation reached the event log, and the read models,
/// read as of the log's head, show no message and no reply.
async fn assert_nothing_stored(app: &TestApp, tenants: &[&str], case: &str) {
    assert_eq!(
        recorded(app, "webhook").await,
        0,
        "{case}: a webhook was stored"
    );
    assert_eq!(
        recorded(app, "conversation").await,
        0,
        "{case}: a message was received"
    );
    let head = head(app).await;
    for tenant in tenants {
        for list in ["/v1/replies", "/v1/messages"] {
            let found = get_json_as(app, tenant, &format!("{list}?minPosition={head}")).await;
            assert_eq!(found["total"], 0, "{case}: {list} of {tenant}: {found}");
        }
    }
}

// ---------------------------------------------------------- status schedules

struct StatusCase {
    name: &'static str,
    schedule: StatusSchedule,
    settles_on: &'static str,
}

fn status_cases() -> Vec<StatusCase> {
    use StatusKind::{Delivered, Failed, Read, Sent};
    let case = |name, schedule, settles_on| StatusCase {
        name,
        schedule,
        settles_on,
    };
    vec![
        case("normal", StatusSchedule::normal(), "read"),
        case(
            "(a) delivered before sent",
            StatusSchedule::delivered_before_sent(),
            "read",
        ),
        case(
            "(b) read before delivered",
            StatusSchedule::read_before_delivered(),
            "read",
        ),
        case(
            "(b) read without delivered",
            StatusSchedule::read_without_delivered(),
            "read",
        ),
        case(
            "read, delivered, sent",
            StatusSchedule::steps(&[Read, Delivered, Sent]),
            "read",
        ),
        case(
            "(c) duplicated",
            StatusSchedule::normal().duplicated(),
            "read",
        ),
        case(
            "(e) one change",
            StatusSchedule::batched(&[Sent, Delivered, Read], Layout::OneChange),
            "read",
        ),
        case(
            "(e) a change each",
            StatusSchedule::batched(&[Read, Sent, Delivered], Layout::ChangePerStatus),
            "read",
        ),
        case(
            "(e) an entry each",
            StatusSchedule::batched(&[Delivered, Read, Sent], Layout::EntryPerStatus),
            "read",
        ),
        case(
            "(f) concurrent",
            StatusSchedule::normal().concurrently(),
            "read",
        ),
        case(
            "(f) concurrent duplicates",
            StatusSchedule::normal().duplicated().concurrently(),
            "read",
        ),
        case(
            "(g) sent before the answer",
            StatusSchedule::normal().first_before_answer(),
            "read",
        ),
        case(
            "(h) failed after delivered",
            StatusSchedule::failed_after_delivered(131049),
            "delivered",
        ),
        case(
            "failed alone",
            StatusSchedule::steps(&[Failed(131049)]),
            "failed",
        ),
    ]
}

on_both_stores! {
    async fn every_status_schedule_settles_once_on_the_highest_ranked_status() {
        let app = spawn_app().await;
        let session = app.connected_session().await;

        // A contact per case: Herald paces sends to one contact after a burst.
        for (i, case) in status_cases().into_iter().enumerate() {
            let contact = format!("+165055502{i:02}");
            app.receive_text(&session, &contact, "Is my order ready?")
                .await;
            app.graph
                .update_number(&session.number.phone_number_id, |n| {
                    n.status_schedule = Some(case.schedule.clone());
                });
            let sent = send_text(&app, &session, &contact).await;
            let message = settled(&app, &sent, &case).await;
            if case.settles_on == "failed" {
                assert_eq!(message["errorCode"], 131049, "{}: {message}", case.name);
            }
        }
        assert_eq!(refused_posts(&app), [], "every signed post is acknowledged");
        let sends = app.graph.sent_messages();
        assert_eq!(
            sends.len(),
            status_cases().len(),
            "one accepted send per case"
        );
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

on_both_stores! {
    async fn a_status_refused_while_its_number_has_no_connected_session_is_redelivered_and_applied_once() {
        let app = spawn_app_with(FakeGraphConfig {
            webhooks: WebhookConfig {
                retry_base_delay: Duration::from_millis(20),
                max_attempts: 10,
                ..WebhookConfig::default()
            },
            status_schedule: StatusSchedule::none(),
            ..FakeGraphConfig::default()
        })
        .await;
        let session = app.connected_session().await;
        app.receive_text(&session, CONTACT, "Hi").await;
        let sent = send_text(&app, &session, CONTACT).await;
        app.wait_for_status(&sent.id, "sent").await;
        delete_session(&app, &session).await;

        let case = StatusCase {
            name: "(d) redelivered after a 401",
            schedule: StatusSchedule::normal(),
            settles_on: "read",
        };
        let (emitted, _) = tokio::join!(
            app.graph.emit_statuses(&sent.wamid, &case.schedule),
            async {
                eventually("Herald to refuse the first status", PATIENCE, || async {
                    answers_to(&app, &sent.wamid)
                        .contains(&Some(401))
                        .then_some(())
                })
                .await;
                app.connected_session_for(session.number.clone()).await
            }
        );
        emitted.expect("the fake posts the statuses");

        settled(&app, &sent, &case).await;
        let answers = answers_to(&app, &sent.wamid);
        assert_eq!(answers.first(), Some(&Some(401)), "{answers:?}");
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

/// A message Herald sent, and the wamid the fake gave it.
struct Sent {
    id: String,
    wamid: String,
}

async fn send_text(app: &TestApp, session: &TestSession, to: &str) -> Sent {
    let id = app
        .send_message_ok(session, &text_to(to, "Yes, it ships today"))
        .await;
    let wamid = eventually("the fake to accept the send", PATIENCE, || async {
        let sends = app.graph.sent_messages();
        let mut ours = sends
            .iter()
            .filter(|m| m.biz_opaque_callback_data.as_deref() == Some(id.as_str()));
        let wamid = ours.next().map(|m| m.wamid.clone());
        assert!(ours.next().is_none(), "message {id} was accepted twice");
        wamid
    })
    .await;
    Sent { id, wamid }
}

async fn delete_session(app: &TestApp, session: &TestSession) {
    let path = format!("/v1/sessions/{}", session.id);
    let deleted = app.request(Method::DELETE, &path).send().await;
    let deleted = deleted.expect("the request is sent");
    assert_eq!(deleted.status(), 202);
    let (_, position) = receipt(deleted).await;
    // Connecting again checks the read model for a live session on the number.
    app.list(&format!("/v1/sessions?minPosition={position}"))
        .await;
}

/// Waits for `case.settles_on`, then for every post of the schedule to be
/// answered 200 and applied, and checks the message has not moved and that
/// each distinct status was recorded exactly once. Gives the message.
async fn settled(app: &TestApp, sent: &Sent, case: &StatusCase) -> Value {
    let name = case.name;
    app.wait_for_status(&sent.id, case.settles_on).await;
    let posts: u32 = case.schedule.posts.iter().map(|p| p.copies.max(1)).sum();
    eventually(
        &format!("{name}: every post answered 200"),
        PATIENCE,
        || async {
            let accepted = answers_to(app, &sent.wamid)
                .into_iter()
                .filter(|a| *a == Some(200))
                .count();
            (accepted == posts as usize).then_some(())
        },
    )
    .await;
    wait_until_webhooks_processed(app).await;

    let head = head(app).await;
    let path = format!("/v1/messages/{}?minPosition={head}", sent.id);
    let message = get_json_as(app, &app.tenant, &path).await;
    assert_eq!(message["status"], case.settles_on, "{name}: {message}");
    assert_eq!(message["waMessageId"], sent.wamid.as_str(), "{name}");
    let mut reported = reported_statuses(app, &sent.id).await;
    reported.sort();
    let expected: Vec<DeliveryStatus> = case
        .schedule
        .posts
        .iter()
        .flat_map(|p| &p.statuses)
        .map(|kind| delivery_status(*kind))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(reported, expected, "{name}: each status recorded once");
    message
}

fn delivery_status(kind: StatusKind) -> DeliveryStatus {
    match kind {
        StatusKind::Sent => DeliveryStatus::Sent,
        StatusKind::Delivered => DeliveryStatus::Delivered,
        StatusKind::Read => DeliveryStatus::Read,
        StatusKind::Played => DeliveryStatus::Played,
        StatusKind::Failed(_) => DeliveryStatus::Failed,
    }
}

/// The statuses of the message's `MessageStatusReported` events, in order.
async fn reported_statuses(app: &TestApp, id: &str) -> Vec<DeliveryStatus> {
    let feed = JetStreamEventFeed::new(app.herald.event_log().clone());
    let history = feed
        .aggregate_history(Some(&app.tenant), "message", id)
        .await
        .expect("the history reads");
    history
        .iter()
        .flat_map(|commit| &commit.events)
        .filter_map(|event| {
            match serde_json::from_str(event.payload.get()).expect("a message event") {
                MessageEvent::StatusReported { report, .. } => Some(report.status),
                _ => None,
            }
        })
        .collect()
}

// ---------------------------------------------------------- inbound messages

struct InboundCase {
    message: InboundMessage,
    kind: &'static str,
    text: Option<String>,
    media_id: Option<String>,
}

fn inbound_case(message: InboundMessage, kind: &'static str, text: Option<&str>) -> InboundCase {
    InboundCase {
        message,
        kind,
        text: text.map(str::to_owned),
        media_id: None,
    }
}

/// One message of each kind, each from a contact of its own.
fn inbound_cases(image: &str, document: &str) -> Vec<InboundCase> {
    let from = |n: u32| format!("165055501{n:02}");
    let media = |n, kind, id: &str, caption: Option<&str>, filename: Option<&str>| {
        let content = InboundContent::Media {
            kind,
            media_id: id.to_owned(),
            caption: caption.map(str::to_owned),
            filename: filename.map(str::to_owned),
        };
        InboundMessage::new(from(n), content)
    };
    let location = InboundContent::Location {
        latitude: 37.483_307,
        longitude: -122.148_981,
        name: Some("Philz Coffee".to_owned()),
        address: Some("101 Forest Ave, Palo Alto, CA 94301".to_owned()),
    };
    let contacts = json!([{
        "name": { "formatted_name": "John Smith", "first_name": "John", "last_name": "Smith" },
        "phones": [{ "phone": "+1 (650) 555-1234", "type": "WORK", "wa_id": "16505551234" }],
    }]);
    // Buttons and lists are answers to a message of the business.
    let ours = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARERgSQUJDMTIzREVGNDU2R0hJNzg5AA==";
    let reacted_to = "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA";
    let changed = InboundMessage::system_changed_number(from(10), "16505550199");
    let changed_text = format!("User changed from {} to 16505550199", from(10));
    vec![
        inbound_case(
            InboundMessage::text(from(1), "Is it ready?"),
            "text",
            Some("Is it ready?"),
        ),
        inbound_case(
            InboundMessage::button_reply(from(2), "cancel-button", "Cancel").replying_to(ours),
            "interactive",
            Some("Cancel"),
        ),
        inbound_case(
            InboundMessage::list_reply(from(3), "slot-2", "Tuesday 10:00").replying_to(ours),
            "interactive",
            Some("Tuesday 10:00"),
        ),
        inbound_case(
            InboundMessage::template_button(from(4), "Unsubscribe").replying_to(ours),
            "button",
            Some("Unsubscribe"),
        ),
        InboundCase {
            media_id: Some(image.to_owned()),
            ..inbound_case(
                media(5, MediaKind::Image, image, Some("My receipt"), None),
                "image",
                Some("My receipt"),
            )
        },
        InboundCase {
            media_id: Some(document.to_owned()),
            ..inbound_case(
                media(6, MediaKind::Document, document, None, Some("invoice.pdf")),
                "document",
                None,
            )
        },
        inbound_case(
            InboundMessage::new(from(7), location),
            "location",
            Some("Philz Coffee"),
        ),
        inbound_case(InboundMessage::contacts(from(8), contacts), "contact", None),
        inbound_case(
            InboundMessage::reaction(from(9), reacted_to, "👍"),
            "reaction",
            Some("👍"),
        ),
        inbound_case(changed, "system", Some(&changed_text)),
        inbound_case(InboundMessage::unsupported(from(11)), "unsupported", None),
    ]
}

on_both_stores! {
    async fn every_inbound_message_type_is_stored_once_and_opens_the_window() {
        let app = spawn_app_with(FakeGraphConfig {
            status_schedule: StatusSchedule::none(),
            ..FakeGraphConfig::default()
        })
        .await;
        let session = app.connected_session().await;
        let pnid = session.number.phone_number_id.clone();
        let image = app
            .graph
            .add_media(&pnid, "image/jpeg", b"\xff\xd8\xff".to_vec());
        let document = app
            .graph
            .add_media(&pnid, "application/pdf", b"%PDF-1.4".to_vec());
        let cases = inbound_cases(&image, &document);

        let mut wamids = Vec::new();
        for case in &cases {
            let wamid = app.graph.emit_inbound(&pnid, case.message.clone()).await;
            wamids.push(wamid.expect("the fake posts"));
        }
        // The same wamid twice, in bodies that differ, so only the wamid can
        // tell them apart.
        let original =
            InboundMessage::text(CONTACT.trim_start_matches('+'), "Hello?").with_id("wamid.TWICE");
        let again = InboundMessage {
            profile_name: "Sheena N.".to_owned(),
            ..original.clone()
        };
        for message in [original, again] {
            app.graph
                .emit_inbound(&pnid, message)
                .await
                .expect("the fake posts");
        }
        assert_eq!(refused_posts(&app), [], "every signed post is acknowledged");
        wait_until_webhooks_processed(&app).await;

        let head = head(&app).await;
        let replies = app
            .list(&format!("/v1/replies?limit=100&minPosition={head}"))
            .await;
        let incoming = app
            .list(&format!(
                "/v1/messages?direction=incoming&limit=100&minPosition={head}"
            ))
            .await;
        assert_eq!(replies["total"], cases.len() + 1, "{replies}");
        assert_eq!(incoming["total"], cases.len() + 1, "{incoming}");
        for (case, wamid) in cases.iter().zip(&wamids) {
            let reply = only(&replies, "messageId", wamid);
            assert_eq!(reply["type"], case.kind, "{reply}");
            assert_eq!(reply["text"], json!(case.text), "{reply}");
            assert_eq!(reply["mediaId"], json!(case.media_id), "{reply}");
            assert_eq!(
                reply["quotedMessageId"],
                json!(case.message.context),
                "{reply}"
            );
            let message = only(&incoming, "waMessageId", wamid);
            assert_eq!(message["messageType"], case.kind, "{message}");
            assert_eq!(message["content"], json!(case.text), "{message}");
            assert_eq!(message["mediaId"], json!(case.media_id), "{message}");
            assert_eq!(message["fromNumber"], format!("+{}", case.message.from));
        }
        assert_eq!(
            only(&replies, "messageId", "wamid.TWICE")["profileName"],
            "Sheena Nelson"
        );
        assert_eq!(
            only(&incoming, "waMessageId", "wamid.TWICE")["content"],
            "Hello?"
        );
        assert_eq!(
            only(&replies, "messageId", &wamids[9])["profileName"],
            Value::Null,
            "a system message has no contacts block"
        );

        for case in &cases {
            let to = format!("+{}", case.message.from);
            app.send_message_ok(&session, &text_to(&to, "Thanks for writing"))
                .await;
        }
        let stranger = app
            .send_message(&session, &text_to("+16505550142", "Hello out of the blue"))
            .await;
        let (status, code, _) = error_of(stranger).await;
        assert_eq!((status, code.as_str()), (409, "outside_service_window"));
        assert_requests_match_openapi(&app.graph);
        app.stop().await;
    }
}

/// The one document of a list whose `field` is `value`.
fn only<'a>(list: &'a Value, field: &str, value: &str) -> &'a Value {
    let found: Vec<&Value> = list["data"]
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d[field] == value)
        .collect();
    assert_eq!(found.len(), 1, "{field} = {value} in {list}");
    found[0]
}

// ------------------------------------------------------------ shared helpers

/// Every POST attempt Herald did not answer 200, with its answer.
fn refused_posts(app: &TestApp) -> Vec<(Option<u16>, Value)> {
    app.graph
        .webhook_deliveries()
        .into_iter()
        .filter(|d| d.status != Some(200))
        .map(|d| (d.status, d.body))
        .collect()
}

/// The answers Herald gave to each POST attempt that mentioned `needle`.
fn answers_to(app: &TestApp, needle: &str) -> Vec<Option<u16>> {
    app.graph
        .webhook_deliveries()
        .into_iter()
        .filter(|d| d.body.to_string().contains(needle))
        .map(|d| d.status)
        .collect()
}

async fn event_stream(app: &TestApp) -> async_nats::jetstream::stream::Stream {
    let log = app.herald.event_log();
    async_nats::jetstream::new(log.client())
        .get_stream(&log.config().stream_name)
        .await
        .expect("the event stream")
}

/// How many commits of `aggregate_type` the event log holds, all tenants.
async fn recorded(app: &TestApp, aggregate_type: &str) -> usize {
    recorded_for(app, "*", aggregate_type).await
}

/// How many commits of `aggregate_type` the event log holds for `tenant`
/// (`*` for all).
async fn recorded_for(app: &TestApp, tenant: &str, aggregate_type: &str) -> usize {
    let prefix = &app.herald.event_log().config().subject_prefix;
    event_stream(app)
        .await
        .info_with_subjects(format!("{prefix}.{tenant}.{aggregate_type}.>"))
        .await
        .expect("the stream's subjects")
        .try_fold(0, |total, (_, count)| async move { Ok(total + count) })
        .await
        .expect("the stream's subjects")
}

/// The event log's last position.
async fn head(app: &TestApp) -> u64 {
    let info = event_stream(app).await.get_info().await;
    info.expect("the stream's state").state.last_sequence
}

/// Until the webhook processor has applied every recorded webhook.
async fn wait_until_webhooks_processed(app: &TestApp) {
    let stream = event_stream(app).await;
    eventually("the webhook processor to catch up", PATIENCE, || async {
        let info = stream.consumer_info(PROCESSOR_CONSUMER).await.ok()?;
        (info.num_pending == 0 && info.num_ack_pending == 0).then_some(())
    })
    .await;
}

async fn get_json_as(app: &TestApp, tenant: &str, path: &str) -> Value {
    let response = app.request_as(tenant, Method::GET, path).await.send().await;
    let response = response.expect("the request is sent");
    assert_eq!(response.status(), 200, "{path}");
    response.json().await.expect("a JSON document")
}
