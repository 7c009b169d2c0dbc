//! The message a campaign sends one recipient: its text, caption or
//! template variables with the recipient's placeholders filled in, in the
//! Cloud API's message object, checked against every limit of it.

use super::message::{CampaignMessage, TemplateMessage, TemplateVariables};
use super::personalization::render;
use super::recipients::Recipient;
use crate::message::content::{
    LanguageObject, MediaObject, MessageKind, RawMessageContent, TemplateComponent, TemplateObject,
    TemplateParameter,
};
use crate::message::MessageContent;
use crate::value::FieldError;

/// `message` as `recipient` receives it; placeholders are filled in only
/// when the campaign is personalised.
///
/// # Errors
/// When the filled-in message breaks a limit of the Cloud API (a text over
/// 4,096 characters once a long name is in, say).
pub fn message_for(
    message: &CampaignMessage,
    recipient: &Recipient,
    personalize: bool,
) -> Result<MessageContent, FieldError> {
    let fill = |text: &str| match personalize {
        true => render(text, recipient),
        false => text.to_owned(),
    };
    match message {
        CampaignMessage::Text { body } => MessageContent::text(fill(body)),
        CampaignMessage::Image { url, caption } => media(
            MessageKind::Image,
            url.as_str(),
            caption.as_deref().map(fill),
        ),
        CampaignMessage::Video { url, caption } => media(
            MessageKind::Video,
            url.as_str(),
            caption.as_deref().map(fill),
        ),
        CampaignMessage::Document { url, caption } => media(
            MessageKind::Document,
            url.as_str(),
            caption.as_deref().map(fill),
        ),
        CampaignMessage::Template { template } => MessageContent::try_from(RawMessageContent {
            template: Some(template_object(template, fill)),
            ..RawMessageContent::empty(MessageKind::Template)
        }),
    }
}

fn media(
    kind: MessageKind,
    link: &str,
    caption: Option<String>,
) -> Result<MessageContent, FieldError> {
    let object = MediaObject {
        id: None,
        link: Some(link.to_owned()),
        caption,
        filename: None,
    };
    let mut raw = RawMessageContent::empty(kind);
    match kind {
        MessageKind::Image => raw.image = Some(object),
        MessageKind::Video => raw.video = Some(object),
        _ => raw.document = Some(object),
    }
    MessageContent::try_from(raw)
}

/// The template with its variables as the body's parameters: in order for
/// `{{1}}`-style templates, by name for `{{first_name}}`-style ones.
fn template_object(template: &TemplateMessage, fill: impl Fn(&str) -> String) -> TemplateObject {
    let parameters: Vec<TemplateParameter> = match &template.variables {
        TemplateVariables::Positional(values) => values
            .iter()
            .map(|value| TemplateParameter::Text {
                text: fill(value),
                parameter_name: None,
            })
            .collect(),
        TemplateVariables::Named(values) => values
            .iter()
            .map(|(name, value)| TemplateParameter::Text {
                text: fill(value),
                parameter_name: Some(name.clone()),
            })
            .collect(),
    };
    TemplateObject {
        name: template.name.clone(),
        language: LanguageObject {
            policy: None,
            code: template.language.clone(),
        },
        components: match parameters.is_empty() {
            true => Vec::new(),
            false => vec![TemplateComponent::Body { parameters }],
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::campaign::MediaUrl;
    use crate::phone::PhoneNumber;
    use std::collections::BTreeMap;

    fn ann() -> Recipient {
        Recipient {
            phone_number: PhoneNumber::parse("+14155550100").unwrap(),
            name: Some("Ann".into()),
            custom_data: BTreeMap::from([("city".to_owned(), "Lahore".to_owned())]),
        }
    }

    #[test]
    fn a_text_is_filled_in_for_each_recipient_when_personalised() {
        let message = CampaignMessage::Text {
            body: "Hi {{name|there}} in {{city}}".into(),
        };
        let content = message_for(&message, &ann(), true).unwrap();
        assert_eq!(content.summary().as_deref(), Some("Hi Ann in Lahore"));
        let plain = message_for(&message, &ann(), false).unwrap();
        assert_eq!(
            plain.summary().as_deref(),
            Some("Hi {{name|there}} in {{city}}")
        );
    }

    #[test]
    fn a_caption_is_filled_in_and_the_link_kept() {
        let message = CampaignMessage::Image {
            url: MediaUrl::parse("https://cdn.example.com/a.jpg").unwrap(),
            caption: Some("For {{name}}".into()),
        };
        let content = message_for(&message, &ann(), true).unwrap();
        assert_eq!(content.summary().as_deref(), Some("For Ann"));
        assert_eq!(content.media_link(), Some("https://cdn.example.com/a.jpg"));
    }

    #[test]
    fn template_variables_become_body_parameters_per_recipient() {
        let named = TemplateMessage::parse(
            "order_update",
            "en_US",
            TemplateVariables::Named(BTreeMap::from([(
                "first_name".to_owned(),
                "{{name}}".to_owned(),
            )])),
        )
        .unwrap();
        let content =
            message_for(&CampaignMessage::Template { template: named }, &ann(), true).unwrap();
        let raw = serde_json::to_value(content.as_raw()).unwrap();
        assert_eq!(
            raw["template"]["components"][0]["parameters"][0],
            serde_json::json!({"type": "text", "text": "Ann", "parameter_name": "first_name"})
        );
    }

    #[test]
    fn a_filled_in_text_over_the_limit_is_refused() {
        let long = Recipient {
            name: Some("x".repeat(200)),
            ..ann()
        };
        let message = CampaignMessage::Text {
            body: format!("{}{{{{name}}}}", "y".repeat(4000)),
        };
        assert!(message_for(&message, &long, true).is_err());
    }
}
