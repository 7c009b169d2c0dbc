//! The URLs and JSON bodies of the requests, in Meta's field names (OAS
//! `BaseMessageProperties`, `MarkMessageRequestPayload`).

use herald_application::ports::whatsapp::OutboundMessage;
use herald_domain::message::content::LanguagePolicy;
use herald_domain::message::RawMessageContent;
use reqwest::Url;
use serde::Serialize;
use std::borrow::Cow;

use super::config::{CloudApiConfig, CloudApiConfigError};

/// The fields asked for when verifying a number (OAS `PhoneNumberInfo`).
const NUMBER_FIELDS: &str = "id,display_phone_number,verified_name,quality_rating";

/// Builds the Graph API URLs under the configured base and version.
#[derive(Debug, Clone)]
pub(crate) struct Endpoints {
    base: Url,
}

impl Endpoints {
    /// # Errors
    /// When the base URL is not an absolute http(s) URL.
    pub(crate) fn new(config: &CloudApiConfig) -> Result<Self, CloudApiConfigError> {
        let invalid = || CloudApiConfigError::BaseUrl(config.base_url.clone());
        let mut base = Url::parse(&config.base_url).map_err(|_| invalid())?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(invalid());
        }
        base.path_segments_mut()
            .map_err(|()| invalid())?
            .pop_if_empty()
            .push(&config.api_version);
        Ok(Self { base })
    }

    /// `{base}/{version}/{phone_number_id}/messages`
    pub(crate) fn messages(&self, phone_number_id: &str) -> Url {
        self.under(&[phone_number_id, "messages"])
    }

    /// `{base}/{version}/{phone_number_id}?fields=...`
    pub(crate) fn phone_number(&self, phone_number_id: &str) -> Url {
        let mut url = self.under(&[phone_number_id]);
        url.query_pairs_mut().append_pair("fields", NUMBER_FIELDS);
        url
    }

    /// Each segment is percent-encoded, so an id cannot reach another path.
    fn under(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.extend(segments);
        }
        url
    }
}

/// The body of `POST /{phone_number_id}/messages`: the envelope around the
/// content, which brings its own `type` and object.
#[derive(Debug, Serialize)]
pub(crate) struct SendRequest<'a> {
    messaging_product: &'static str,
    recipient_type: &'static str,
    /// E.164 with its `+`, so Meta never prepends a country code.
    to: &'a str,
    #[serde(flatten)]
    content: Cow<'a, RawMessageContent>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Context<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    biz_opaque_callback_data: Option<&'a str>,
}

#[derive(Debug, Serialize)]
struct Context<'a> {
    message_id: &'a str,
}

impl<'a> SendRequest<'a> {
    pub(crate) fn new(message: &OutboundMessage<'a>) -> Self {
        Self {
            messaging_product: "whatsapp",
            recipient_type: "individual",
            to: message.to.as_str(),
            content: with_language_policy(message.content.as_raw()),
            context: message.reply_to.map(|message_id| Context { message_id }),
            biz_opaque_callback_data: message.callback_data,
        }
    }
}

/// Meta's schema requires `language.policy` on a template, and
/// `deterministic` is its only value; the live API takes a template without
/// it too. It is added when the sender left it out, so every request matches
/// the schema.
fn with_language_policy(content: &RawMessageContent) -> Cow<'_, RawMessageContent> {
    match &content.template {
        Some(template) if template.language.policy.is_none() => {
            let mut content = content.clone();
            if let Some(template) = &mut content.template {
                template.language.policy = Some(LanguagePolicy::Deterministic);
            }
            Cow::Owned(content)
        }
        _ => Cow::Borrowed(content),
    }
}

/// The body that marks a received message as read.
#[derive(Debug, Serialize)]
pub(crate) struct MarkReadRequest<'a> {
    messaging_product: &'static str,
    status: &'static str,
    message_id: &'a str,
}

impl<'a> MarkReadRequest<'a> {
    pub(crate) fn new(wamid: &'a str) -> Self {
        Self {
            messaging_product: "whatsapp",
            status: "read",
            message_id: wamid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::message::MessageContent;
    use herald_domain::PhoneNumber;
    use serde_json::{json, Value};

    fn endpoints(base_url: &str) -> Endpoints {
        Endpoints::new(&CloudApiConfig {
            base_url: base_url.into(),
            ..CloudApiConfig::default()
        })
        .unwrap()
    }

    fn content(value: Value) -> MessageContent {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn urls_follow_the_base_and_version() {
        let graph = endpoints("https://graph.facebook.com");
        assert_eq!(
            graph.messages("106540352242922").as_str(),
            "https://graph.facebook.com/v23.0/106540352242922/messages"
        );
        assert_eq!(
            graph.phone_number("1").as_str(),
            "https://graph.facebook.com/v23.0/1?fields=id%2Cdisplay_phone_number%2Cverified_name%2Cquality_rating"
        );
        let fake = endpoints("http://127.0.0.1:8080/graph/");
        assert_eq!(
            fake.messages("1").as_str(),
            "http://127.0.0.1:8080/graph/v23.0/1/messages"
        );
    }

    #[test]
    fn an_id_cannot_escape_its_path_segment() {
        let url = endpoints("https://graph.facebook.com").messages("1/../2?x=");
        assert_eq!(url.path(), "/v23.0/1%2F..%2F2%3Fx=/messages");
    }

    #[test]
    fn base_urls_must_be_http() {
        for bad in ["graph.facebook.com", "ftp://x", "mailto:a@b"] {
            let config = CloudApiConfig {
                base_url: bad.into(),
                ..CloudApiConfig::default()
            };
            assert!(Endpoints::new(&config).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_send_is_metas_envelope_around_the_content() {
        let to = PhoneNumber::parse("+16505551234").unwrap();
        let text = content(json!({"type":"text","text":{"preview_url":false,"body":"Hello"}}));
        let message = OutboundMessage {
            to: &to,
            content: &text,
            reply_to: Some("wamid.ABC"),
            callback_data: Some("0190a1b2-msg"),
            attempt: 1,
        };
        let body = serde_json::to_value(SendRequest::new(&message)).unwrap();
        assert_eq!(
            body,
            json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234",
                   "type":"text","text":{"preview_url":false,"body":"Hello"},
                   "context":{"message_id":"wamid.ABC"},"biz_opaque_callback_data":"0190a1b2-msg"})
        );
    }

    #[test]
    fn a_template_send_leaves_out_what_is_not_given_but_the_language_policy() {
        let to = PhoneNumber::parse("+16505551234").unwrap();
        let given = json!({"name":"order_confirmation","language":{"code":"en_US"},
            "components":[{"type":"body","parameters":[{"type":"text","text":"Jessica"}]}]});
        let mut template = given.clone();
        template["language"]["policy"] = json!("deterministic");
        let message = OutboundMessage {
            to: &to,
            content: &content(json!({"type":"template","template":given})),
            reply_to: None,
            callback_data: None,
            attempt: 1,
        };
        let body = serde_json::to_value(SendRequest::new(&message)).unwrap();
        assert_eq!(
            body,
            json!({"messaging_product":"whatsapp","recipient_type":"individual","to":"+16505551234",
                   "type":"template","template":template})
        );
    }

    #[test]
    fn mark_read_is_metas_payload() {
        let body = serde_json::to_value(MarkReadRequest::new("wamid.X")).unwrap();
        assert_eq!(
            body,
            json!({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"})
        );
    }
}
