//! Message templates: the fake store, parameter checks on send and the
//! management endpoints (§7 item 6).
//!
//! - [`check`]: a template send against its stored template (132000/132001/132012/132015/132016).
//! - [`manage`]: `GET`/`POST`/`DELETE /{waba-id}/message_templates` and status flips.

pub mod check;
pub mod manage;

use serde_json::{json, Value};

/// Template status (TF, WTS). Only `Approved` can be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    InAppeal,
    PendingDeletion,
    Archived,
    LimitExceeded,
    Flagged,
    Reinstated,
    Locked,
    Deleted,
}

impl TemplateStatus {
    /// As the API and the webhook `event` spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            TemplateStatus::Approved => "APPROVED",
            TemplateStatus::Pending => "PENDING",
            TemplateStatus::Rejected => "REJECTED",
            TemplateStatus::Paused => "PAUSED",
            TemplateStatus::Disabled => "DISABLED",
            TemplateStatus::InAppeal => "IN_APPEAL",
            TemplateStatus::PendingDeletion => "PENDING_DELETION",
            TemplateStatus::Archived => "ARCHIVED",
            TemplateStatus::LimitExceeded => "LIMIT_EXCEEDED",
            TemplateStatus::Flagged => "FLAGGED",
            TemplateStatus::Reinstated => "REINSTATED",
            TemplateStatus::Locked => "LOCKED",
            TemplateStatus::Deleted => "DELETED",
        }
    }
}

/// The header of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateHeader {
    /// `format: TEXT`, with at most one placeholder.
    Text(String),
    Image,
    Video,
    Document,
    Location,
}

impl TemplateHeader {
    fn format(&self) -> &'static str {
        match self {
            TemplateHeader::Text(_) => "TEXT",
            TemplateHeader::Image => "IMAGE",
            TemplateHeader::Video => "VIDEO",
            TemplateHeader::Document => "DOCUMENT",
            TemplateHeader::Location => "LOCATION",
        }
    }
}

/// A template button. A `Url` button whose url holds a placeholder needs a parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateButton {
    QuickReply { text: String },
    Url { text: String, url: String },
    PhoneNumber { text: String, phone_number: String },
    CopyCode { example: String },
}

/// One template in one language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FakeTemplate {
    pub name: String,
    /// As `language.code` must name it in a send, e.g. "en_US".
    pub language: String,
    /// MARKETING, UTILITY or AUTHENTICATION.
    pub category: String,
    pub status: TemplateStatus,
    /// The owning WABA; `None` makes it visible to every WABA.
    pub waba_id: Option<String>,
    pub header: Option<TemplateHeader>,
    /// Body text with `{{1}}`… or `{{name}}`… placeholders.
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<TemplateButton>,
}

impl FakeTemplate {
    /// An approved UTILITY template with only a body.
    pub fn new(
        name: impl Into<String>,
        language: impl Into<String>,
        body: impl Into<String>,
    ) -> Self {
        Self {
            name: name.into(),
            language: language.into(),
            category: "UTILITY".to_owned(),
            status: TemplateStatus::Approved,
            waba_id: None,
            header: None,
            body: body.into(),
            footer: None,
            buttons: Vec::new(),
        }
    }

    pub fn with_status(mut self, status: TemplateStatus) -> Self {
        self.status = status;
        self
    }

    pub fn with_category(mut self, category: impl Into<String>) -> Self {
        self.category = category.into();
        self
    }

    pub fn with_header(mut self, header: TemplateHeader) -> Self {
        self.header = Some(header);
        self
    }

    pub fn with_footer(mut self, footer: impl Into<String>) -> Self {
        self.footer = Some(footer.into());
        self
    }

    pub fn with_button(mut self, button: TemplateButton) -> Self {
        self.buttons.push(button);
        self
    }

    pub fn in_waba(mut self, waba_id: impl Into<String>) -> Self {
        self.waba_id = Some(waba_id.into());
        self
    }

    /// Named when any placeholder is not a number (TF).
    pub fn is_named(&self) -> bool {
        let header = match &self.header {
            Some(TemplateHeader::Text(text)) => placeholders(text),
            _ => Vec::new(),
        };
        header
            .iter()
            .chain(placeholders(&self.body).iter())
            .any(|p| !p.chars().all(|c| c.is_ascii_digit()))
    }

    /// The `components` array as the management API lists it.
    pub fn components_json(&self) -> Value {
        let mut components = Vec::new();
        if let Some(header) = &self.header {
            let mut component = json!({ "type": "HEADER", "format": header.format() });
            if let TemplateHeader::Text(text) = header {
                component["text"] = json!(text);
            }
            components.push(component);
        }
        components.push(json!({ "type": "BODY", "text": self.body }));
        if let Some(footer) = &self.footer {
            components.push(json!({ "type": "FOOTER", "text": footer }));
        }
        if !self.buttons.is_empty() {
            components.push(json!({ "type": "BUTTONS", "buttons": self.buttons.iter().map(button_json).collect::<Vec<_>>() }));
        }
        Value::Array(components)
    }
}

fn button_json(button: &TemplateButton) -> Value {
    match button {
        TemplateButton::QuickReply { text } => json!({ "type": "QUICK_REPLY", "text": text }),
        TemplateButton::Url { text, url } => json!({ "type": "URL", "text": text, "url": url }),
        TemplateButton::PhoneNumber { text, phone_number } => {
            json!({ "type": "PHONE_NUMBER", "text": text, "phone_number": phone_number })
        }
        TemplateButton::CopyCode { example } => json!({ "type": "COPY_CODE", "example": example }),
    }
}

/// Distinct placeholder names in order of first use: "{{1}} {{2}} {{1}}" → ["1", "2"].
pub fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

/// A stored template with its Graph id.
#[derive(Debug, Clone)]
pub struct StoredTemplate {
    pub id: String,
    pub template: FakeTemplate,
}

impl StoredTemplate {
    fn visible_to(&self, waba_id: &str) -> bool {
        self.template
            .waba_id
            .as_deref()
            .is_none_or(|w| w == waba_id)
    }
}

#[derive(Debug, Default)]
pub struct TemplateStore {
    items: Vec<StoredTemplate>,
}

impl TemplateStore {
    /// Adds or replaces the template with the same name, language and WABA.
    pub fn put(&mut self, id: String, template: FakeTemplate) -> &StoredTemplate {
        self.items.retain(|s| {
            !(s.template.name == template.name
                && s.template.language == template.language
                && s.template.waba_id == template.waba_id)
        });
        self.items.push(StoredTemplate { id, template });
        let last = self.items.len() - 1;
        &self.items[last]
    }

    pub fn find(&self, waba_id: &str, name: &str, language: &str) -> Option<&StoredTemplate> {
        self.items.iter().find(|s| {
            s.visible_to(waba_id) && s.template.name == name && s.template.language == language
        })
    }

    pub fn find_mut(&mut self, name: &str, language: &str) -> Option<&mut StoredTemplate> {
        self.items
            .iter_mut()
            .find(|s| s.template.name == name && s.template.language == language)
    }

    pub fn of_waba<'a>(
        &'a self,
        waba_id: &'a str,
    ) -> impl Iterator<Item = &'a StoredTemplate> + 'a {
        self.items.iter().filter(move |s| s.visible_to(waba_id))
    }

    /// Removes templates of `name` (one, with `id`); how many went.
    pub fn remove(&mut self, waba_id: &str, name: &str, id: Option<&str>) -> usize {
        let before = self.items.len();
        self.items.retain(|s| {
            !(s.visible_to(waba_id) && s.template.name == name && id.is_none_or(|id| id == s.id))
        });
        before - self.items.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_distinct_and_ordered() {
        assert_eq!(placeholders("Hi {{1}}, {{2}} and {{1}}"), vec!["1", "2"]);
        assert_eq!(placeholders("Hi {{ first_name }}"), vec!["first_name"]);
        assert!(placeholders("no {{ end").is_empty());
    }

    #[test]
    fn named_templates_are_recognised() {
        assert!(FakeTemplate::new("t", "en_US", "Hi {{first_name}}").is_named());
        assert!(!FakeTemplate::new("t", "en_US", "Hi {{1}}").is_named());
    }
}
