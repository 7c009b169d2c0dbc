//! Who a campaign sends to: phone numbers with what is known of each person.

use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};

use crate::phone::PhoneNumber;
use crate::value::FieldError;

/// Most recipients one request may carry: a command is one event-store
/// message, and messages stay well under a megabyte.
pub const MAX_RECIPIENTS_PER_REQUEST: usize = 5_000;
/// Most recipients one campaign may have.
pub const MAX_RECIPIENTS_PER_CAMPAIGN: usize = 100_000;

const MAX_NAME: usize = 256;
const MAX_CUSTOM_FIELDS: usize = 50;
const MAX_CUSTOM_KEY: usize = 64;
const MAX_CUSTOM_VALUE: usize = 1024;

/// Where a campaign's message to one recipient stands: seed 000's
/// `campaign_recipients.status` (pending, sent, delivered, failed), with
/// `read` after `delivered`, `unknown` for a send whose answer was lost and
/// no status webhook has settled, and `not_sent` for a recipient the
/// campaign stopped before reaching.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecipientStatus {
    #[default]
    Pending,
    Sent,
    Delivered,
    Read,
    Failed,
    Unknown,
    NotSent,
}

impl RecipientStatus {
    pub const ALL: [Self; 7] = [
        Self::Pending,
        Self::Sent,
        Self::Delivered,
        Self::Read,
        Self::Failed,
        Self::Unknown,
        Self::NotSent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Delivered => "delivered",
            Self::Read => "read",
            Self::Failed => "failed",
            Self::Unknown => "unknown",
            Self::NotSent => "not_sent",
        }
    }

    /// The counter of the `campaigns` document that counts recipients in
    /// this status (seed 000 names the first four).
    pub fn counter(self) -> &'static str {
        match self {
            Self::Pending => "pendingCount",
            Self::Sent => "sentCount",
            Self::Delivered => "deliveredCount",
            Self::Read => "readCount",
            Self::Failed => "failedCount",
            Self::Unknown => "unknownCount",
            Self::NotSent => "notSentCount",
        }
    }

    /// Whether the recipient has an outcome: nothing more is sent to them
    /// in this run (statuses may still move it from sent to read).
    pub fn is_settled(self) -> bool {
        self != Self::Pending
    }
}

/// One person a campaign sends to. `name` and `custom_data` fill the
/// message's placeholders when the campaign is personalised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recipient {
    pub phone_number: PhoneNumber,
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub custom_data: BTreeMap<String, String>,
}

impl Recipient {
    pub fn new(phone_number: PhoneNumber) -> Self {
        Self {
            phone_number,
            name: None,
            custom_data: BTreeMap::new(),
        }
    }

    /// Checks a recipient's name and custom data; `field` is where the
    /// recipient sits in the request, as `recipients[3]`.
    ///
    /// # Errors
    /// When the name is over 256 characters, there are more than 50 custom
    /// fields, a key is not a placeholder name, or a value is over 1,024
    /// characters.
    pub fn with_details(
        mut self,
        field: &str,
        name: Option<&str>,
        custom_data: BTreeMap<String, String>,
    ) -> Result<Self, FieldError> {
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().count() > MAX_NAME) {
            return Err(FieldError::new(
                format!("{field}.name"),
                format!("must have at most {MAX_NAME} characters"),
            ));
        }
        check_custom_data(field, &custom_data)?;
        self.name = name.map(str::to_owned);
        self.custom_data = custom_data;
        Ok(self)
    }
}

fn check_custom_data(
    field: &str,
    custom_data: &BTreeMap<String, String>,
) -> Result<(), FieldError> {
    if custom_data.len() > MAX_CUSTOM_FIELDS {
        return Err(FieldError::new(
            format!("{field}.customData"),
            format!("at most {MAX_CUSTOM_FIELDS} fields"),
        ));
    }
    for (key, value) in custom_data {
        if !super::personalization::is_placeholder_key(key) || key.len() > MAX_CUSTOM_KEY {
            return Err(FieldError::new(
                format!("{field}.customData.{key}"),
                "a key is up to 64 letters, digits and '_', not starting with a digit, so it can be a {{placeholder}}",
            ));
        }
        if value.chars().count() > MAX_CUSTOM_VALUE {
            return Err(FieldError::new(
                format!("{field}.customData.{key}"),
                format!("must have at most {MAX_CUSTOM_VALUE} characters"),
            ));
        }
    }
    Ok(())
}

/// The recipients in `incoming` that are not in `existing` and not repeated
/// earlier in `incoming`, in their order: a number is sent to once.
pub fn new_recipients(existing: &[Recipient], incoming: Vec<Recipient>) -> Vec<Recipient> {
    let mut seen: HashSet<PhoneNumber> = existing.iter().map(|r| r.phone_number.clone()).collect();
    incoming
        .into_iter()
        .filter(|r| seen.insert(r.phone_number.clone()))
        .collect()
}

/// Checks the size of one request's list.
///
/// # Errors
/// When it has more than [`MAX_RECIPIENTS_PER_REQUEST`] entries.
pub fn check_request_size(recipients: &[Recipient]) -> Result<(), FieldError> {
    if recipients.len() > MAX_RECIPIENTS_PER_REQUEST {
        return Err(FieldError::new(
            "recipients",
            format!(
                "{} recipients in one request; send at most {MAX_RECIPIENTS_PER_REQUEST} and add the rest with POST /v1/campaigns/{{id}}/recipients",
                recipients.len()
            ),
        ));
    }
    Ok(())
}

/// Checks the size of a campaign's whole list.
///
/// # Errors
/// When it would have more than [`MAX_RECIPIENTS_PER_CAMPAIGN`] entries.
pub fn check_campaign_size(total: usize) -> Result<(), FieldError> {
    if total > MAX_RECIPIENTS_PER_CAMPAIGN {
        return Err(FieldError::new(
            "recipients",
            format!("a campaign has at most {MAX_RECIPIENTS_PER_CAMPAIGN} recipients; this one would have {total}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recipient(number: &str) -> Recipient {
        Recipient::new(PhoneNumber::parse(number).unwrap())
    }

    #[test]
    fn new_recipients_drops_known_and_repeated_numbers() {
        let existing = vec![recipient("+14155550100")];
        let incoming = vec![
            recipient("+14155550100"),
            recipient("+14155550101"),
            recipient("+1 415 555 0101"),
        ];
        let added = new_recipients(&existing, incoming);
        assert_eq!(added, vec![recipient("+14155550101")]);
    }

    #[test]
    fn custom_data_keys_must_be_placeholder_names() {
        let error = recipient("+14155550100")
            .with_details(
                "recipients[0]",
                None,
                BTreeMap::from([("first name".to_owned(), "Ann".to_owned())]),
            )
            .unwrap_err();
        assert_eq!(error.field, "recipients[0].customData.first name");
    }

    #[test]
    fn blank_names_become_no_name() {
        let with_blank = recipient("+14155550100")
            .with_details("recipients[0]", Some("  "), BTreeMap::new())
            .unwrap();
        assert_eq!(with_blank.name, None);
    }

    #[test]
    fn one_request_carries_at_most_5000_recipients() {
        let many: Vec<Recipient> = (0..5_001)
            .map(|i| recipient(&format!("+1415{i:07}")))
            .collect();
        assert!(check_request_size(&many[..5_000]).is_ok());
        assert_eq!(check_request_size(&many).unwrap_err().field, "recipients");
    }
}
