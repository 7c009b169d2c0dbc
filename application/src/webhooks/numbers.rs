//! Finding the business numbers a webhook body names, before its signature
//! can be checked (each number has its own app secret). This runs for any
//! caller, so its cost is bounded whatever the body holds: one pass over
//! the bytes, nothing kept but the numbers, and the pass stops as soon as
//! the body names more numbers than Meta ever puts in one notification.

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use std::fmt;

use super::payload::PayloadError;

/// Most business numbers one notification may name. Meta sends one per
/// entry and batches little; a body naming more is not Meta's.
pub const MAX_NUMBERS_PER_NOTIFICATION: usize = 10;

/// The business numbers a body names (`entry[].changes[].value.metadata.
/// phone_number_id`), each once, in order of appearance.
///
/// # Errors
/// When the body is not JSON of a notification's shape, names no number,
/// or names more than [`MAX_NUMBERS_PER_NOTIFICATION`].
pub fn phone_number_ids(body: &[u8]) -> Result<Vec<String>, PayloadError> {
    let mut ids = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    Level::Notification
        .reading(&mut ids)
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end())
        .map_err(|e| {
            PayloadError(format!(
                "the body is not a notification Herald can read ({e})"
            ))
        })?;
    if ids.is_empty() {
        return Err(PayloadError(
            "no change names a metadata.phone_number_id".into(),
        ));
    }
    Ok(ids)
}

/// The business accounts (WABA ids, `entry[].id`) of a notification that
/// names no number: account-level changes, such as a number's quality
/// (`phone_number_quality_update`), carry the account, not the number's id.
/// Read in one pass, keeping nothing but the ids.
///
/// # Errors
/// When the body is not JSON of a notification's shape, names no account,
/// or names more than [`MAX_NUMBERS_PER_NOTIFICATION`].
pub fn account_ids(body: &[u8]) -> Result<Vec<String>, PayloadError> {
    #[derive(Deserialize)]
    struct Accounts {
        #[serde(default)]
        entry: Vec<AccountEntry>,
    }
    #[derive(Deserialize)]
    struct AccountEntry {
        #[serde(default)]
        id: Option<String>,
    }
    let accounts: Accounts = serde_json::from_slice(body).map_err(|e| {
        PayloadError(format!(
            "the body is not a notification Herald can read ({e})"
        ))
    })?;
    let mut ids: Vec<String> = Vec::new();
    for id in accounts.entry.into_iter().filter_map(|e| e.id) {
        if ids.contains(&id) {
            continue;
        }
        if ids.len() == MAX_NUMBERS_PER_NOTIFICATION {
            return Err(PayloadError(format!(
                "a notification names at most {MAX_NUMBERS_PER_NOTIFICATION} accounts"
            )));
        }
        ids.push(id);
    }
    if ids.is_empty() {
        return Err(PayloadError("no entry names an account".into()));
    }
    Ok(ids)
}

/// Where the reader is on the path to the phone number ids.
#[derive(Debug, Clone, Copy)]
enum Level {
    /// The object holding `entry`.
    Notification,
    /// The `entry` list.
    Entries,
    /// One entry, holding `changes`.
    Entry,
    /// The `changes` list.
    Changes,
    /// One change, holding `value`.
    Change,
    /// A change's value, holding `metadata`.
    Value,
}

impl Level {
    fn reading(self, ids: &mut Vec<String>) -> Reader<'_> {
        Reader { level: self, ids }
    }

    /// The field an object at this level is read for, and the level of
    /// its value; `None` for lists.
    fn field(self) -> Option<(&'static str, Level)> {
        match self {
            Self::Notification => Some(("entry", Self::Entries)),
            Self::Entry => Some(("changes", Self::Changes)),
            Self::Change => Some(("value", Self::Value)),
            Self::Value => Some(("metadata", Self::Value)),
            Self::Entries | Self::Changes => None,
        }
    }

    /// The level of a list's items.
    fn item(self) -> Level {
        match self {
            Self::Entries => Self::Entry,
            _ => Self::Change,
        }
    }
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    phone_number_id: Option<String>,
}

/// Reads one level, keeping the ids it finds in `ids`.
struct Reader<'a> {
    level: Level,
    ids: &'a mut Vec<String>,
}

impl Reader<'_> {
    fn keep<E: de::Error>(&mut self, metadata: Metadata) -> Result<(), E> {
        let Some(id) = metadata.phone_number_id else {
            return Ok(());
        };
        if self.ids.contains(&id) {
            return Ok(());
        }
        if self.ids.len() == MAX_NUMBERS_PER_NOTIFICATION {
            return Err(E::custom(format!(
                "a notification names at most {MAX_NUMBERS_PER_NOTIFICATION} numbers"
            )));
        }
        self.ids.push(id);
        Ok(())
    }
}

impl<'de> DeserializeSeed<'de> for Reader<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        match self.level.field() {
            Some(_) => deserializer.deserialize_map(self),
            None => deserializer.deserialize_seq(self),
        }
    }
}

impl<'de> Visitor<'de> for Reader<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "the {:?} of a WhatsApp notification", self.level)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut items: A) -> Result<(), A::Error> {
        let item = self.level.item();
        while items.next_element_seed(item.reading(self.ids))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut fields: A) -> Result<(), A::Error> {
        let Some((wanted, next)) = self.level.field() else {
            return Err(de::Error::invalid_type(de::Unexpected::Map, &self));
        };
        while let Some(key) = fields.next_key::<String>()? {
            match (key == wanted, self.level) {
                (false, _) => {
                    fields.next_value::<IgnoredAny>()?;
                }
                (true, Level::Value) => {
                    let metadata = fields.next_value::<Metadata>()?;
                    self.keep(metadata)?;
                }
                (true, _) => fields.next_value_seed(next.reading(self.ids))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    fn body(numbers: &[&str]) -> Vec<u8> {
        let changes: Vec<Value> = numbers
            .iter()
            .map(|n| {
                json!({"field": "messages", "value": {"messaging_product": "whatsapp",
                "metadata": {"display_phone_number": "15550783881", "phone_number_id": n},
                "statuses": [{"id": "wamid.1", "status": "read"}]}})
            })
            .collect();
        serde_json::to_vec(&json!({"object": "whatsapp_business_account",
            "entry": [{"id": "1", "changes": changes}]}))
        .unwrap()
    }

    #[test]
    fn numbers_are_listed_once_each_in_order() {
        assert_eq!(
            phone_number_ids(&body(&["10", "20", "10"])).unwrap(),
            ["10", "20"]
        );
    }

    #[test]
    fn numbers_in_several_entries_are_all_found() {
        let two = json!({"object": "whatsapp_business_account", "entry": [
            {"changes": [{"value": {"metadata": {"phone_number_id": "1"}}}]},
            {"id": "x", "changes": [{"value": {"metadata": {"phone_number_id": "2"}}}]}]});
        let ids = phone_number_ids(&serde_json::to_vec(&two).unwrap()).unwrap();
        assert_eq!(ids, ["1", "2"]);
    }

    #[test]
    fn bodies_without_numbers_name_none() {
        for bad in [
            r#"{"object":"whatsapp_business_account","entry":[]}"#,
            r#"{"entry":[{"changes":[{"value":{"metadata":{}}}]}]}"#,
            r#"{"entry":{"changes":[]}}"#,
            r#"{"entry":[{"changes":[{"value":"text"}]}]}"#,
            "[]",
            "",
            "{",
            r#"{"entry":[{"changes":[{"value":{"metadata":{"phone_number_id":"1"}}}]}]} trailing"#,
        ] {
            assert!(phone_number_ids(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn an_account_level_body_names_its_accounts() {
        let quality = json!({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398",
            "time": 1, "changes": [{"field": "phone_number_quality_update",
            "value": {"display_phone_number": "15550783881", "event": "FLAGGED", "current_limit": "TIER_10K"}}]}]});
        let body = serde_json::to_vec(&quality).unwrap();
        assert!(phone_number_ids(&body).is_err());
        assert_eq!(account_ids(&body).unwrap(), ["102290129340398"]);
        let many: Vec<Value> = (0..=MAX_NUMBERS_PER_NOTIFICATION)
            .map(|i| json!({"id": i.to_string()}))
            .collect();
        let body = serde_json::to_vec(&json!({"entry": many})).unwrap();
        assert!(account_ids(&body).is_err());
    }

    #[test]
    fn a_body_naming_more_numbers_than_meta_would_is_refused() {
        let names: Vec<String> = (0..=MAX_NUMBERS_PER_NOTIFICATION)
            .map(|i| i.to_string())
            .collect();
        let names: Vec<&str> = names.iter().map(String::as_str).collect();
        let (allowed, one_more) = (&names[..MAX_NUMBERS_PER_NOTIFICATION], &names[..]);
        assert_eq!(
            phone_number_ids(&body(allowed)).unwrap().len(),
            MAX_NUMBERS_PER_NOTIFICATION
        );
        assert!(phone_number_ids(&body(one_more)).is_err());
        let repeated = vec!["7"; 1_000];
        assert_eq!(phone_number_ids(&body(&repeated)).unwrap(), ["7"]);
    }
}
