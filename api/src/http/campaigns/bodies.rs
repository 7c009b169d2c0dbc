//! Request bodies of the campaign endpoints, with the seeds' field names,
//! and how they become domain commands.

use herald_domain::campaign::{
    CampaignDefinition, CampaignEdit, CampaignMessage, CampaignName, Delay, Description, MediaUrl,
    MessageFields, MessageType, NewCampaign, Recipient, Schedule, ScheduleFields, TemplateMessage,
    TemplateVariables,
};
use herald_domain::{FieldError, SessionId};
use serde::Deserialize;

use super::recipients::{recipients, scalar_text};
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CreateCampaignBody {
    /// Seed 000 says `campaignName`, seed 001 `name`: both are accepted.
    #[serde(alias = "name")]
    campaign_name: String,
    #[serde(default)]
    description: Option<String>,
    session_id: String,
    message_type: String,
    #[serde(default)]
    message_content: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
    #[serde(default)]
    template: Option<TemplateBody>,
    #[serde(default)]
    delay_between_messages: Option<u32>,
    #[serde(default)]
    personalize: Option<bool>,
    #[serde(default)]
    schedule: Option<ScheduleBody>,
    #[serde(default)]
    recipients: Option<Vec<Value>>,
}

/// A PATCH: every field optional; those given replace the campaign's.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EditCampaignBody {
    #[serde(default, alias = "name")]
    campaign_name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    session_id: Option<String>,
    #[serde(default)]
    message_type: Option<String>,
    #[serde(default)]
    message_content: Option<String>,
    #[serde(default)]
    media_url: Option<String>,
    #[serde(default)]
    template: Option<TemplateBody>,
    /// Absent leaves the pace; null sends at the number's throughput.
    #[serde(default, deserialize_with = "herald_domain::value::present")]
    delay_between_messages: Option<Option<u32>>,
    #[serde(default)]
    personalize: Option<bool>,
    #[serde(default)]
    schedule: Option<ScheduleBody>,
    #[serde(default)]
    recipients: Option<Vec<Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TemplateBody {
    name: String,
    language: String,
    #[serde(default)]
    variables: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleBody {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    start_time: Option<String>,
    #[serde(default)]
    recurrence: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

/// `POST /v1/campaigns/{id}/schedule`: optional; without it the campaign's
/// own schedule is used.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduleCampaignBody {
    schedule: ScheduleBody,
}

/// `POST /v1/campaigns/{id}/recipients`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AddRecipientsBody {
    recipients: Vec<Value>,
}

impl CreateCampaignBody {
    /// # Errors
    /// The first value that breaks a rule, with its field.
    pub fn into_command(self) -> Result<NewCampaign, FieldError> {
        let message = CampaignMessage::assemble(MessageFields {
            message_type: Some(message_type(&self.message_type)?),
            content: self.message_content,
            media_url: media_url(self.media_url)?,
            template: self.template.map(TemplateBody::into_template).transpose()?,
        })?;
        let definition = CampaignDefinition {
            name: CampaignName::parse(&self.campaign_name).map_err(|e| e.at("campaignName"))?,
            description: description(self.description)?.unwrap_or_default(),
            session_id: SessionId::parse(&self.session_id).map_err(|e| e.at("sessionId"))?,
            message,
            // Left out or null: as fast as the number's budget allows.
            delay: delay(self.delay_between_messages)?,
            personalize: self.personalize.unwrap_or(false),
        };
        Ok(NewCampaign {
            definition,
            schedule: self
                .schedule
                .map(ScheduleBody::into_schedule)
                .transpose()?
                .unwrap_or_default(),
            recipients: recipients(self.recipients.unwrap_or_default())?,
        })
    }
}

impl EditCampaignBody {
    /// # Errors
    /// The first value that breaks a rule, with its field; or no field at all.
    pub fn into_command(self) -> Result<CampaignEdit, FieldError> {
        let edit = CampaignEdit {
            name: self
                .campaign_name
                .map(|n| CampaignName::parse(&n).map_err(|e| e.at("campaignName")))
                .transpose()?,
            description: description(self.description)?,
            session_id: self
                .session_id
                .map(|s| SessionId::parse(&s).map_err(|e| e.at("sessionId")))
                .transpose()?,
            message: MessageFields {
                message_type: self.message_type.as_deref().map(message_type).transpose()?,
                content: self.message_content,
                media_url: media_url(self.media_url)?,
                template: self.template.map(TemplateBody::into_template).transpose()?,
            },
            delay: self.delay_between_messages.map(delay).transpose()?,
            personalize: self.personalize,
            schedule: self.schedule.map(ScheduleBody::into_schedule).transpose()?,
            recipients: self.recipients.map(recipients).transpose()?,
        };
        if edit.is_empty() {
            return Err(FieldError::new("body", "give at least one field to change"));
        }
        Ok(edit)
    }
}

impl ScheduleCampaignBody {
    /// # Errors
    /// When the schedule does not parse.
    pub fn into_schedule(self) -> Result<Schedule, FieldError> {
        self.schedule.into_schedule()
    }
}

impl AddRecipientsBody {
    /// # Errors
    /// The first recipient that does not parse, with its place.
    pub fn into_recipients(self) -> Result<Vec<Recipient>, FieldError> {
        recipients(self.recipients)
    }
}

impl TemplateBody {
    fn into_template(self) -> Result<TemplateMessage, FieldError> {
        let variables = template_variables(self.variables)?;
        TemplateMessage::parse(&self.name, &self.language, variables)
    }
}

impl ScheduleBody {
    fn into_schedule(self) -> Result<Schedule, FieldError> {
        Schedule::parse(ScheduleFields {
            kind: &self.kind,
            start_time: self.start_time.as_deref(),
            recurrence: self.recurrence.as_deref(),
            timezone: self.timezone.as_deref(),
        })
    }
}

fn message_type(text: &str) -> Result<MessageType, FieldError> {
    match text {
        "text" => Ok(MessageType::Text),
        "image" => Ok(MessageType::Image),
        "video" => Ok(MessageType::Video),
        "document" => Ok(MessageType::Document),
        "template" => Ok(MessageType::Template),
        other => Err(FieldError::new(
            "messageType",
            format!("{other:?} is not one of text, image, video, document, template"),
        )),
    }
}

fn media_url(text: Option<String>) -> Result<Option<MediaUrl>, FieldError> {
    text.filter(|t| !t.trim().is_empty())
        .map(|t| MediaUrl::parse(t.trim()).map_err(|e| e.at("mediaUrl")))
        .transpose()
}

fn description(text: Option<String>) -> Result<Option<Description>, FieldError> {
    text.map(|t| Description::parse(&t).map_err(|e| e.at("description")))
        .transpose()
}

fn delay(millis: Option<u32>) -> Result<Option<Delay>, FieldError> {
    millis
        .map(|m| Delay::from_millis(m).map_err(|e| e.at("delayBetweenMessages")))
        .transpose()
}

fn template_variables(value: Option<Value>) -> Result<TemplateVariables, FieldError> {
    let field = "template.variables";
    match value {
        None | Some(Value::Null) => Ok(TemplateVariables::default()),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .map(|(i, v)| {
                scalar_text(v).ok_or_else(|| {
                    FieldError::new(format!("{field}[{i}]"), "must be text or a number")
                })
            })
            .collect::<Result<_, _>>()
            .map(TemplateVariables::Positional),
        Some(Value::Object(map)) => map
            .iter()
            .map(|(k, v)| {
                Ok((
                    k.clone(),
                    scalar_text(v).ok_or_else(|| {
                        FieldError::new(format!("{field}.{k}"), "must be text or a number")
                    })?,
                ))
            })
            .collect::<Result<_, _>>()
            .map(TemplateVariables::Named),
        Some(_) => Err(FieldError::new(
            field,
            "must be a list (for {{1}} templates) or an object (for {{name}} templates)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn create(body: Value) -> Result<NewCampaign, FieldError> {
        serde_json::from_value::<CreateCampaignBody>(body)
            .unwrap()
            .into_command()
    }

    fn minimal() -> Value {
        json!({ "campaignName": "Sale", "sessionId": "main", "messageType": "text", "messageContent": "Hi" })
    }

    #[test]
    fn a_minimal_body_gives_an_immediate_draft_at_the_numbers_throughput() {
        let campaign = create(minimal()).unwrap();
        assert_eq!(campaign.definition.delay, None);
        assert_eq!(campaign.schedule, Schedule::Immediate);
        assert!(campaign.recipients.is_empty());
    }

    #[test]
    fn a_patch_tells_a_null_delay_from_a_missing_one() {
        let edit = |body: Value| {
            serde_json::from_value::<EditCampaignBody>(body)
                .unwrap()
                .into_command()
                .unwrap()
        };
        assert_eq!(
            edit(json!({ "delayBetweenMessages": null })).delay,
            Some(None)
        );
        assert_eq!(
            edit(json!({ "delayBetweenMessages": 2000 })).delay,
            Some(Some(Delay::from_millis(2000).unwrap()))
        );
        assert_eq!(edit(json!({ "name": "New" })).delay, None);
    }

    #[test]
    fn recipients_may_be_numbers_or_objects() {
        let mut body = minimal();
        body["recipients"] = json!(["+14155550100", { "phoneNumber": "+14155550101", "name": "Ann", "customData": { "city": "Lahore", "visits": 3 } }]);
        let campaign = create(body).unwrap();
        assert_eq!(campaign.recipients[1].custom_data["visits"], "3");
    }

    #[test]
    fn a_bad_recipient_is_named_by_its_place() {
        let mut body = minimal();
        body["recipients"] = json!(["+14155550100", { "phoneNumber": "0300 1234567" }]);
        assert_eq!(create(body).unwrap_err().field, "recipients[1].phoneNumber");
    }

    #[test]
    fn an_unknown_message_type_lists_the_known_ones() {
        let mut body = minimal();
        body["messageType"] = json!("sticker");
        let error = create(body).unwrap_err();
        assert_eq!(error.field, "messageType");
        assert!(error.message.contains("template"));
    }

    #[test]
    fn a_delay_outside_one_to_ten_seconds_is_refused() {
        let mut body = minimal();
        body["delayBetweenMessages"] = json!(500);
        assert_eq!(create(body).unwrap_err().field, "delayBetweenMessages");
    }

    #[test]
    fn an_empty_patch_is_refused() {
        assert_eq!(
            EditCampaignBody::default()
                .into_command()
                .unwrap_err()
                .field,
            "body"
        );
    }

    #[test]
    fn seed_001_name_is_accepted_for_campaign_name() {
        let body = json!({ "name": "Sale", "sessionId": "main", "messageType": "text", "messageContent": "Hi" });
        assert_eq!(create(body).unwrap().definition.name.as_str(), "Sale");
    }
}
