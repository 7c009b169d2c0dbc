//! A property test of the webhook intake: whatever bytes and signature
//! arrive, the parser and the signature check never panic, nothing is
//! accepted (so nothing can be stored) unless the body is signed with the
//! app secret of every number it names, and every body that is not gets the
//! same refusal, whatever it names.
//!
//! Inputs come from a seeded generator, so a failure names its seed and
//! replays exactly: random bytes, Meta-shaped payloads with bytes flipped,
//! cut or inserted, and signatures that are missing, malformed, made with
//! another secret, or made for the body before it was changed.

use async_trait::async_trait;
use herald_application::clock::SystemClock;
use herald_application::ports::vault::{SecretBinding, Vault};
use herald_application::webhooks::numbers::phone_number_ids;
use herald_application::webhooks::payload::updates;
use herald_application::webhooks::{IntakeError, RoutedSession, SessionDirectory, WebhookIntake};
use herald_domain::session::SecretField;
use herald_domain::webhook::Webhook;
use herald_domain::{SessionId, TenantId};
use herald_fake_graph::signature;
use herald_infrastructure::crypto::{AesGcmVault, SecretKey};
use herald_infrastructure::jetstream::{EventLog, EventLogConfig, JetStreamEventStore};
use herald_tests::TestNats;
use std::collections::HashMap;
use std::sync::Arc;

const NUMBER: &str = "106540352242922";
const OTHER_NUMBER: &str = "106540352242999";
const APP_SECRET: &str = "app-secret-of-the-number";
const CASES: u64 = 20_000;

/// Two numbers of two tenants, with different app secrets.
struct Directory {
    sessions: HashMap<&'static str, RoutedSession>,
}

#[async_trait]
impl SessionDirectory for Directory {
    async fn routes(&self, phone_number_ids: &[String]) -> Result<Vec<RoutedSession>, IntakeError> {
        Ok(phone_number_ids
            .iter()
            .filter_map(|id| self.sessions.get(id.as_str()).cloned())
            .collect())
    }

    async fn verify_token_known(&self, _: Vec<String>) -> Result<bool, IntakeError> {
        Ok(false)
    }

    async fn numbers_of_accounts(&self, _: &[String]) -> Result<Vec<String>, IntakeError> {
        Ok(Vec::new())
    }
}

fn session(vault: &AesGcmVault, number: &str, tenant: &str, secret: &str) -> RoutedSession {
    let tenant = TenantId::parse(tenant).unwrap();
    let session_id = SessionId::parse(&format!("{tenant}-session")).unwrap();
    let binding = SecretBinding {
        tenant: &tenant,
        owner: session_id.as_str(),
        field: SecretField::AppSecret,
    };
    let app_secret = vault.seal(secret, binding).unwrap();
    RoutedSession {
        phone_number_id: number.to_owned(),
        tenant,
        session_id,
        app_secret,
    }
}

async fn intake(nats: &TestNats) -> (WebhookIntake<JetStreamEventStore<Webhook>>, EventLog) {
    let vault = AesGcmVault::new(
        SecretKey::from_hex(&SecretKey::generate_hex()).unwrap(),
        vec![],
    );
    let directory = Directory {
        sessions: HashMap::from([
            (NUMBER, session(&vault, NUMBER, "acme", APP_SECRET)),
            (
                OTHER_NUMBER,
                session(&vault, OTHER_NUMBER, "globex", "another-app-secret"),
            ),
        ]),
    };
    let log = EventLog::connect(&nats.url(), EventLogConfig::default())
        .await
        .unwrap();
    let intake = WebhookIntake::new(
        JetStreamEventStore::new(log.clone()),
        Arc::new(SystemClock),
        Arc::new(directory),
        Arc::new(vault),
    );
    (intake, log)
}

/// A status notification for `number`, as Meta writes one.
fn notification(rng: &mut fastrand::Rng, number: &str) -> String {
    serde_json::json!({
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"field": "messages", "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550783881", "phone_number_id": number},
            "statuses": [{"id": format!("wamid.{}", rng.u64(..)), "status": "delivered",
                "timestamp": rng.u32(..).to_string(), "recipient_id": "16505551234",
                "biz_opaque_callback_data": "0191f7a0-0000-7000-8000-000000000000"}]
        }}]}]
    })
    .to_string()
}

/// Bytes changed the ways a network, a proxy or an attacker changes them.
fn mutate(rng: &mut fastrand::Rng, body: &mut Vec<u8>) {
    for _ in 0..rng.usize(1..4) {
        if body.is_empty() {
            body.push(rng.u8(..));
            continue;
        }
        let at = rng.usize(..body.len());
        match rng.u8(..4) {
            0 => body[at] ^= 1 << rng.u8(..8),
            1 => body.truncate(at),
            2 => body.insert(at, rng.u8(..)),
            _ => {
                body.splice(at..at, *b"\"phone_number_id\":\"106540352242999\",");
            }
        }
    }
}

/// A body, the signature header sent with it, and whether that header is
/// the right one for the body under the only number's secret it names.
struct Case {
    body: Vec<u8>,
    signature: Option<String>,
}

fn case(rng: &mut fastrand::Rng) -> Case {
    let valid = notification(rng, NUMBER).into_bytes();
    match rng.u8(..6) {
        0 => Case {
            body: (0..rng.usize(..512)).map(|_| rng.u8(..)).collect(),
            signature: Some(format!("sha256={}", "0".repeat(64))),
        },
        1 => {
            let mut body = valid.clone();
            let signature = signature(APP_SECRET, &body);
            mutate(rng, &mut body);
            Case {
                body,
                signature: Some(signature),
            }
        }
        2 => Case {
            signature: Some(signature("another-app-secret", &valid)),
            body: valid,
        },
        3 => Case {
            body: valid,
            signature: None,
        },
        4 => {
            let mut header = signature(APP_SECRET, &valid).into_bytes();
            mutate(rng, &mut header);
            // A header is text: an HTTP server refuses other bytes before
            // Herald sees them.
            let header = String::from_utf8_lossy(&header).into_owned();
            Case {
                body: valid,
                signature: Some(header),
            }
        }
        _ => {
            let mut body = valid;
            mutate(rng, &mut body);
            let signature = signature(APP_SECRET, &body);
            Case {
                body,
                signature: Some(signature),
            }
        }
    }
}

/// Whether the header carries the body's HMAC under the number's secret.
/// Hex is read without regard to case, and surrounding spaces are not part
/// of a header's value.
fn is_signed(case: &Case) -> bool {
    let expected = signature(APP_SECRET, &case.body);
    case.signature
        .as_deref()
        .is_some_and(|header| header.trim().to_ascii_lowercase() == expected)
}

#[tokio::test]
async fn arbitrary_bodies_and_signatures_never_panic_and_are_accepted_only_when_signed() {
    let nats = TestNats::start().await;
    let (intake, _log) = intake(&nats).await;
    let mut rng = fastrand::Rng::with_seed(0x4845_5241_4c44);
    let mut accepted = 0;
    for seed in 0..CASES {
        let case = case(&mut rng);
        let _ = phone_number_ids(&case.body);
        let _ = updates(&String::from_utf8_lossy(&case.body), chrono::Utc::now());
        let outcome = intake
            .authenticate(&case.body, case.signature.as_deref())
            .await;
        let signed = is_signed(&case);
        if !signed {
            assert!(
                matches!(
                    outcome,
                    Err(IntakeError::MissingSignature | IntakeError::BadSignature(_))
                ),
                "case {seed}: an unsigned body got {outcome:?}, not the one 401 every unsigned body gets"
            );
        }
        if let Ok(parts) = &outcome {
            accepted += 1;
            assert!(
                signed,
                "case {seed}: accepted without a valid signature: {:?} for {}",
                case.signature,
                String::from_utf8_lossy(&case.body)
            );
            assert!(
                parts.iter().all(|p| p.tenant.as_str() == "acme"),
                "case {seed}: a part went to a tenant whose secret did not sign"
            );
        }
    }
    assert!(
        accepted > 0,
        "no case was a valid signed notification; the generator is broken"
    );
}

#[tokio::test]
async fn unsigned_bodies_store_nothing() {
    let nats = TestNats::start().await;
    let (intake, log) = intake(&nats).await;
    let mut rng = fastrand::Rng::with_seed(0x5349_474e);
    let mut tried = 0;
    while tried < 300 {
        let case = case(&mut rng);
        if is_signed(&case) {
            continue;
        }
        tried += 1;
        assert!(intake
            .receive(&case.body, case.signature.as_deref())
            .await
            .is_err());
    }
    let stream = log.client();
    let jetstream = async_nats::jetstream::new(stream);
    let mut events = jetstream.get_stream("HERALD_EVENTS").await.unwrap();
    assert_eq!(
        events.info().await.unwrap().state.messages,
        0,
        "something unsigned was stored"
    );
}
