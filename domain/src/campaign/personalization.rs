//! Placeholders that make one message read as written for each recipient:
//! `{{name}}`, `{{phoneNumber}}`, any key of the recipient's custom data, and
//! `{{key|fallback}}` for recipients without that value.

use super::recipients::Recipient;
use crate::value::FieldError;

/// A `{{key}}` or `{{key|fallback}}` found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Placeholder<'a> {
    /// Where `{{` starts and `}}` ends, in bytes.
    span: (usize, usize),
    key: &'a str,
    fallback: Option<&'a str>,
}

/// A key is a letter or `_`, then letters, digits and `_`. `{{1}}`, which
/// WhatsApp templates use, is therefore left alone.
pub fn is_placeholder_key(key: &str) -> bool {
    key.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn placeholders(text: &str) -> Vec<Placeholder<'_>> {
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(open) = text[from..].find("{{").map(|i| from + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        let inner = &text[open + 2..close];
        let (key, fallback) = match inner.split_once('|') {
            Some((key, fallback)) => (key.trim(), Some(fallback)),
            None => (inner.trim(), None),
        };
        if is_placeholder_key(key) {
            found.push(Placeholder {
                span: (open, close + 2),
                key,
                fallback,
            });
            from = close + 2;
        } else {
            from = open + 2;
        }
    }
    found
}

fn value_of<'r>(recipient: &'r Recipient, key: &str) -> Option<&'r str> {
    let value = match key {
        "name" => recipient.name.as_deref(),
        "phoneNumber" => Some(recipient.phone_number.as_str()),
        other => recipient.custom_data.get(other).map(String::as_str),
    };
    value.filter(|v| !v.trim().is_empty())
}

/// The text as `recipient` reads it. A placeholder with no value and no
/// fallback is left as written; [`check_every_placeholder_resolves`] keeps
/// that from happening in a campaign that is sent.
pub fn render(text: &str, recipient: &Recipient) -> String {
    let mut rendered = String::with_capacity(text.len());
    let mut from = 0;
    for placeholder in placeholders(text) {
        let (start, end) = placeholder.span;
        rendered.push_str(&text[from..start]);
        match value_of(recipient, placeholder.key).or(placeholder.fallback) {
            Some(value) => rendered.push_str(value),
            None => rendered.push_str(&text[start..end]),
        }
        from = end;
    }
    rendered.push_str(&text[from..]);
    rendered
}

/// Checks that every placeholder in `texts` has a value, or a fallback, for
/// every recipient, so no one receives a literal `{{city}}`.
///
/// # Errors
/// Names the first recipient and placeholder without a value.
pub fn check_every_placeholder_resolves(
    texts: &[&str],
    recipients: &[Recipient],
) -> Result<(), FieldError> {
    let needed: Vec<&str> = texts
        .iter()
        .flat_map(|text| placeholders(text))
        .filter(|p| p.fallback.is_none())
        .map(|p| p.key)
        .collect();
    for (index, recipient) in recipients.iter().enumerate() {
        if let Some(key) = needed.iter().find(|key| value_of(recipient, key).is_none()) {
            return Err(FieldError::new(
                format!("recipients[{index}]"),
                format!(
                    "{} has no value for {{{{{key}}}}}: give it one, or write {{{{{key}|fallback}}}} in the message",
                    recipient.phone_number
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::PhoneNumber;
    use std::collections::BTreeMap;

    fn ann() -> Recipient {
        Recipient {
            phone_number: PhoneNumber::parse("+14155550100").unwrap(),
            name: Some("Ann".into()),
            custom_data: BTreeMap::from([("city".to_owned(), "Lahore".to_owned())]),
        }
    }

    fn nameless() -> Recipient {
        Recipient::new(PhoneNumber::parse("+14155550101").unwrap())
    }

    #[test]
    fn placeholders_take_the_recipients_values() {
        assert_eq!(
            render("Hi {{name}} in {{ city }}!", &ann()),
            "Hi Ann in Lahore!"
        );
        assert_eq!(
            render("Your number: {{phoneNumber}}", &ann()),
            "Your number: +14155550100"
        );
    }

    #[test]
    fn a_fallback_stands_in_for_a_missing_value() {
        assert_eq!(render("Hi {{name|there}}", &nameless()), "Hi there");
        assert_eq!(render("Hi {{name|there}}", &ann()), "Hi Ann");
    }

    #[test]
    fn numbered_and_malformed_braces_are_left_alone() {
        assert_eq!(render("{{1}} {{ }} {{name", &ann()), "{{1}} {{ }} {{name");
    }

    #[test]
    fn a_placeholder_without_value_or_fallback_is_reported_with_its_recipient() {
        let error =
            check_every_placeholder_resolves(&["Hi {{name}}"], &[ann(), nameless()]).unwrap_err();
        assert_eq!(error.field, "recipients[1]");
        assert!(error.message.contains("{{name}}"), "{}", error.message);
    }

    #[test]
    fn placeholders_with_fallbacks_always_resolve() {
        assert!(check_every_placeholder_resolves(&["Hi {{name|there}}"], &[nameless()]).is_ok());
    }
}
