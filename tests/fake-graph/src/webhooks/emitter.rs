//! Posting webhooks like Meta: signed, retried with decreasing frequency, and
//! the GET verification handshake (§7 item 13, 15d).

use bytes::Bytes;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::config::SignatureMode;
use crate::state::{Shared, WebhookDelivery, WebhookTarget};
use crate::FakeGraphError;

/// `sha256=<lowercase hex HMAC-SHA256(app_secret, body)>`.
pub fn signature(app_secret: &str, body: &[u8]) -> String {
    // HMAC takes keys of any length, so this never fails.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(app_secret.as_bytes())
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Posts `raw` until the receiver answers 200 or the attempts run out.
///
/// # Errors
/// [`FakeGraphError::NoWebhook`] when no callback is set.
pub async fn deliver(
    shared: &Shared,
    app_secret: &str,
    raw: Bytes,
) -> Result<bool, FakeGraphError> {
    let (target, config) = {
        let state = shared.lock();
        (
            state.webhook.clone().ok_or(FakeGraphError::NoWebhook)?,
            state.config.webhooks.clone(),
        )
    };
    let body: Value = serde_json::from_slice(&raw).unwrap_or(Value::Null);
    for attempt in 1..=config.max_attempts.max(1) {
        let signature = signature_for(config.signature, app_secret, &raw);
        let status = post_once(shared, &target, &raw, signature.as_deref(), config.timeout).await;
        let delivery = WebhookDelivery {
            body: body.clone(),
            signature,
            attempt,
            status,
        };
        shared.lock().deliveries.push(delivery);
        if status == Some(200) {
            return Ok(true);
        }
        if attempt < config.max_attempts {
            tokio::time::sleep(config.retry_base_delay * 2u32.saturating_pow(attempt - 1)).await;
        }
    }
    Ok(false)
}

fn signature_for(mode: SignatureMode, app_secret: &str, raw: &[u8]) -> Option<String> {
    match mode {
        SignatureMode::Valid => Some(signature(app_secret, raw)),
        SignatureMode::Bad => Some(signature(&format!("not-{app_secret}"), raw)),
        SignatureMode::Missing => None,
    }
}

async fn post_once(
    shared: &Shared,
    target: &WebhookTarget,
    raw: &Bytes,
    signature: Option<&str>,
    timeout: std::time::Duration,
) -> Option<u16> {
    let mut request = shared
        .http
        .post(&target.callback_url)
        .timeout(timeout)
        .header("content-type", "application/json")
        .header("user-agent", "facebookexternalua")
        .body(raw.clone());
    if let Some(signature) = signature {
        request = request.header("x-hub-signature-256", signature);
    }
    let response = request.send().await.ok()?;
    let status = response.status().as_u16();
    // Read the body so a slow receiver counts against the timeout too.
    response.bytes().await.ok()?;
    Some(status)
}

/// The subscription handshake: `true` when the receiver answered 200 with the challenge.
///
/// # Errors
/// [`FakeGraphError::NoWebhook`] when no callback is set.
pub async fn handshake(
    shared: &Shared,
    verify_token: Option<&str>,
) -> Result<bool, FakeGraphError> {
    let target = shared
        .lock()
        .webhook
        .clone()
        .ok_or(FakeGraphError::NoWebhook)?;
    let challenge = fastrand::u64(1_000_000_000..u64::MAX / 2).to_string();
    let token = verify_token.unwrap_or(&target.verify_token);
    let Ok(mut url) = reqwest::Url::parse(&target.callback_url) else {
        return Ok(false);
    };
    url.query_pairs_mut()
        .append_pair("hub.mode", "subscribe")
        .append_pair("hub.challenge", &challenge)
        .append_pair("hub.verify_token", token);
    let Ok(response) = shared.http.get(url).send().await else {
        return Ok(false);
    };
    let ok = response.status().as_u16() == 200;
    Ok(ok && response.text().await.is_ok_and(|body| body == challenge))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_known_hmac() {
        // RFC 4231 test case 2.
        let signature = signature("Jefe", b"what do ya want for nothing?");
        assert_eq!(
            signature,
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
