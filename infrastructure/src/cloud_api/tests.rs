//! The client against a scripted HTTP server on a free local port: what it
//! sends, and what it does with each kind of answer or its absence.

use herald_application::ports::whatsapp::{
    AccessToken, CloudApiAccess, OutboundMessage, SendFailure, VerifyFailure, WhatsAppGateway,
};
use herald_domain::message::MessageContent;
use herald_domain::PhoneNumber;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{CloudApiClient, CloudApiConfig};

/// What the server does with the next request.
enum Reply {
    Answer(u16, &'static str),
    /// Closes the connection after reading the request, without answering.
    Drop,
    /// Reads the request and never answers.
    Hang,
}

/// A request as the server received it.
#[derive(Debug)]
struct Received {
    head: String,
    body: Value,
}

struct GraphServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
}

impl GraphServer {
    async fn start(replies: Vec<Reply>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let replies = Arc::new(Mutex::new(VecDeque::from(replies)));
        let log = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, replies.clone(), log.clone()));
            }
        });
        Self { url, received }
    }

    fn requests(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn first(&self) -> (String, Value) {
        let received = self.received.lock().unwrap();
        (received[0].head.clone(), received[0].body.clone())
    }
}

async fn serve(
    mut stream: TcpStream,
    replies: Arc<Mutex<VecDeque<Reply>>>,
    log: Arc<Mutex<Vec<Received>>>,
) {
    while let Some(request) = read_request(&mut stream).await {
        log.lock().unwrap().push(request);
        let reply = replies.lock().unwrap().pop_front();
        match reply.unwrap_or(Reply::Answer(500, "{}")) {
            Reply::Answer(status, body) => {
                let answer = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(answer.as_bytes()).await.unwrap();
            }
            Reply::Drop => return,
            Reply::Hang => {
                tokio::time::sleep(Duration::from_secs(60)).await;
                return;
            }
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Received> {
    let mut data = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..end]).to_string();
            let length = head
                .lines()
                .find_map(|l| {
                    l.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(|v| v.trim().parse::<usize>().unwrap())
                })
                .unwrap_or(0);
            if data.len() >= end + 4 + length {
                let body =
                    serde_json::from_slice(&data[end + 4..end + 4 + length]).unwrap_or(Value::Null);
                return Some(Received { head, body });
            }
        }
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        data.extend_from_slice(&buffer[..read]);
    }
}

fn client(url: &str) -> CloudApiClient {
    CloudApiClient::new(&CloudApiConfig {
        base_url: url.into(),
        request_timeout: Duration::from_millis(500),
        connect_timeout: Duration::from_millis(500),
        max_attempts: 3,
        base_backoff: Duration::from_millis(1),
        max_backoff: Duration::from_millis(5),
        maintenance_backoff: Duration::from_millis(1),
        pair_backoff_unit: Duration::from_millis(1),
        ..CloudApiConfig::default()
    })
    .unwrap()
}

fn access() -> CloudApiAccess {
    CloudApiAccess {
        phone_number_id: "106540352242922".into(),
        access_token: AccessToken::new("EAAG-test-token"),
    }
}

const ACCEPTED: &str = r#"{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],"messages":[{"id":"wamid.OK"}]}"#;
const RATE_LIMIT: &str = r#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,"fbtrace_id":"A"}}"#;
const UNDELIVERABLE: &str = r#"{"error":{"message":"(#131026) Message undeliverable","type":"OAuthException","code":131026}}"#;
const EXPIRED: &str =
    r#"{"error":{"message":"Error validating access token","type":"OAuthException","code":190}}"#;

async fn send(
    server: &GraphServer,
) -> Result<herald_application::ports::whatsapp::SendAccepted, SendFailure> {
    send_attempt(server, 1).await
}

/// Sends as attempt `attempt` of the message.
async fn send_attempt(
    server: &GraphServer,
    attempt: u32,
) -> Result<herald_application::ports::whatsapp::SendAccepted, SendFailure> {
    let to = PhoneNumber::parse("+16505551234").unwrap();
    let content = MessageContent::text("Hello").unwrap();
    let message = OutboundMessage {
        to: &to,
        content: &content,
        reply_to: None,
        callback_data: Some("msg-1"),
        attempt,
    };
    client(&server.url).send(&access(), message).await
}

#[tokio::test]
async fn a_send_posts_metas_envelope_with_the_token() {
    let server = GraphServer::start(vec![Reply::Answer(200, ACCEPTED)]).await;
    let accepted = send(&server).await.unwrap();
    assert_eq!(accepted.wamid, "wamid.OK");
    let (head, body) = server.first();
    assert!(
        head.starts_with("POST /v23.0/106540352242922/messages HTTP/1.1"),
        "{head}"
    );
    assert!(
        head.contains("authorization: Bearer EAAG-test-token"),
        "{head}"
    );
    assert_eq!(
        body,
        json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234",
               "type":"text","text":{"body":"Hello"},"biz_opaque_callback_data":"msg-1"})
    );
}

/// A rate limit goes back to the caller at once, with the wait the attempt
/// deserves: the whole number must slow down, not this send alone.
#[tokio::test]
async fn a_rate_limit_is_handed_back_with_a_growing_wait() {
    let replies = vec![
        Reply::Answer(400, RATE_LIMIT),
        Reply::Answer(429, RATE_LIMIT),
        Reply::Answer(200, ACCEPTED),
    ];
    let server = GraphServer::start(replies).await;
    let mut waits = Vec::new();
    for attempt in 1..=2 {
        match send_attempt(&server, attempt).await {
            Err(SendFailure::Throttled {
                error,
                wait,
                whole_number: true,
            }) => {
                assert_eq!(error.code, 130429);
                waits.push(wait);
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(send_attempt(&server, 3).await.is_ok());
    assert_eq!(server.requests(), 3);
    assert!(waits.iter().all(|w| !w.is_zero()), "{waits:?}");
}

#[tokio::test]
async fn a_rate_limit_at_the_last_attempt_gives_up() {
    let replies = (0..3).map(|_| Reply::Answer(400, RATE_LIMIT)).collect();
    let server = GraphServer::start(replies).await;
    match send_attempt(&server, 3).await {
        Err(SendFailure::GaveUp { last, attempts: 3 }) => assert_eq!(last.code, 130429),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_permanent_error_is_not_retried() {
    let server = GraphServer::start(vec![Reply::Answer(400, UNDELIVERABLE)]).await;
    match send(&server).await {
        Err(SendFailure::Rejected(error)) => assert_eq!(error.code, 131026),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 1);
}

/// A send makes one attempt per call: a temporary refusal goes back to the
/// caller with the wait, so that no claim on the message is held through it.
#[tokio::test]
async fn a_proxy_error_page_is_handed_back_to_be_tried_again_like_a_server_error() {
    let replies = vec![
        Reply::Answer(502, "<html>Bad Gateway</html>"),
        Reply::Answer(200, ACCEPTED),
    ];
    let server = GraphServer::start(replies).await;
    match send_attempt(&server, 1).await {
        Err(SendFailure::TryAgain {
            error: Some(error),
            wait,
            ..
        }) => {
            assert_eq!(error.http_status, 502);
            assert!(!wait.is_zero());
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(server.requests(), 1);
    assert!(send_attempt(&server, 2).await.is_ok());
    assert_eq!(server.requests(), 2);
}

#[tokio::test]
async fn a_temporary_error_at_the_last_attempt_gives_up() {
    let server = GraphServer::start(vec![Reply::Answer(502, "<html>Bad Gateway</html>")]).await;
    assert!(matches!(
        send_attempt(&server, 3).await,
        Err(SendFailure::GaveUp { attempts: 3, .. })
    ));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_connection_dropped_after_the_request_is_an_unknown_outcome_never_resent() {
    let server = GraphServer::start(vec![Reply::Drop, Reply::Answer(200, ACCEPTED)]).await;
    assert!(matches!(
        send(&server).await,
        Err(SendFailure::OutcomeUnknown { .. })
    ));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_timeout_is_an_unknown_outcome_never_resent() {
    let server = GraphServer::start(vec![Reply::Hang, Reply::Answer(200, ACCEPTED)]).await;
    assert!(matches!(
        send(&server).await,
        Err(SendFailure::OutcomeUnknown { .. })
    ));
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_2xx_without_a_wamid_is_an_unknown_outcome() {
    let server = GraphServer::start(vec![Reply::Answer(200, "<html>ok</html>")]).await;
    assert!(matches!(
        send(&server).await,
        Err(SendFailure::OutcomeUnknown { .. })
    ));
}

/// A refused connection sent nothing: tried again later, and reported
/// unreachable at the last attempt.
#[tokio::test]
async fn a_refused_connection_is_tried_again_then_unreachable() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let server = GraphServer {
        url,
        received: Arc::default(),
    };
    assert!(matches!(
        send_attempt(&server, 1).await,
        Err(SendFailure::TryAgain { error: None, .. })
    ));
    assert!(matches!(
        send_attempt(&server, 3).await,
        Err(SendFailure::Unreachable { .. })
    ));
}

#[tokio::test]
async fn verify_reads_the_number() {
    let number = r#"{"id":"106540352242922","display_phone_number":"+1 555-078-3881","verified_name":"Herald","quality_rating":"GREEN"}"#;
    let server = GraphServer::start(vec![Reply::Answer(200, number)]).await;
    let info = client(&server.url).verify(&access()).await.unwrap();
    assert_eq!(info.display_phone_number, "+1 555-078-3881");
    let (head, _) = server.first();
    assert!(
        head.starts_with("GET /v23.0/106540352242922?fields=id%2Cdisplay_phone_number%2Cverified_name%2Cquality_rating "),
        "{head}"
    );
}

#[tokio::test]
async fn verify_reports_an_expired_token_as_rejected() {
    let server = GraphServer::start(vec![Reply::Answer(401, EXPIRED)]).await;
    match client(&server.url).verify(&access()).await {
        Err(VerifyFailure::Rejected(error)) => assert!(error.is_auth_failure()),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn mark_read_posts_the_read_status_and_may_repeat() {
    let server =
        GraphServer::start(vec![Reply::Drop, Reply::Answer(200, r#"{"success":true}"#)]).await;
    client(&server.url)
        .mark_read(&access(), "wamid.IN")
        .await
        .unwrap();
    assert_eq!(server.requests(), 2);
    let (_, body) = server.first();
    assert_eq!(
        body,
        json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN"})
    );
}

/// A proxy in front of the Graph API that echoes the request in its error.
const ECHOING_PROXY: &str = r#"{"error":{"message":"Invalid OAuth access token (sent Authorization: Bearer EAAG-test-token)","type":"OAuthException: EAAG-test-token","code":190,"error_data":{"details":"request headers: authorization: Bearer EAAG-test-token"},"fbtrace_id":"EAAG-test-token"}}"#;

#[tokio::test]
async fn an_error_echoing_the_token_keeps_none_of_it() {
    let server = GraphServer::start(vec![Reply::Answer(401, ECHOING_PROXY)]).await;
    let failure = send(&server).await.unwrap_err();
    let SendFailure::Rejected(error) = &failure else {
        panic!("{failure:?}")
    };
    assert_eq!(error.code, 190);
    let kept = format!("{failure} {error:?}");
    assert!(!kept.contains("EAAG-test-token"), "{kept}");
    assert!(kept.contains("Invalid OAuth access token"), "{kept}");
}
