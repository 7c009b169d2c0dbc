//! From `to` as written to the `wa_id` the message goes to (SM).

use crate::config::MissingPlus;
use crate::errors::GraphError;
use crate::number::FakeNumber;

/// The digits of `text`, everything else dropped.
pub fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

/// The recipient's `wa_id`.
///
/// `+`, `-`, `(`, `)` and spaces are allowed; without a leading `+` the
/// business number's country code is prepended (Meta), or the request is
/// rejected, or taken as is, per `rule`.
///
/// # Errors
/// 100 for anything that is not a phone number.
pub fn resolve(to: &str, number: &FakeNumber, rule: MissingPlus) -> Result<String, GraphError> {
    let to = to.trim();
    let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '(' | ')' | ' ');
    let wa_id = digits(to);
    if !to.chars().all(allowed) || to.matches('+').count() > 1 || wa_id.is_empty() {
        return Err(invalid_to());
    }
    let wa_id = match (to.starts_with('+'), rule) {
        (true, _) | (false, MissingPlus::AcceptAsIs) => wa_id,
        (false, MissingPlus::PrependCountryCode) => format!("{}{wa_id}", number.country_code),
        (false, MissingPlus::Reject) => return Err(invalid_to()),
    };
    if wa_id.len() > 15 {
        return Err(invalid_to());
    }
    Ok(wa_id)
}

fn invalid_to() -> GraphError {
    GraphError::with_details(
        100,
        "Invalid parameter: to must be a phone number in international format.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number_in(country_code: &str) -> FakeNumber {
        FakeNumber {
            country_code: country_code.to_owned(),
            ..FakeNumber::default()
        }
    }

    #[test]
    fn formatting_is_stripped_from_e164() {
        let wa_id = resolve("+1 (650) 555-1234", &number_in("1"), MissingPlus::Reject);
        assert_eq!(wa_id.ok().as_deref(), Some("16505551234"));
    }

    #[test]
    fn missing_plus_gets_the_business_country_code() {
        let wa_id = resolve(
            "1 (631) 555-1234",
            &number_in("91"),
            MissingPlus::PrependCountryCode,
        );
        assert_eq!(wa_id.ok().as_deref(), Some("9116315551234"));
    }

    #[test]
    fn missing_plus_can_be_rejected_and_letters_always_are() {
        assert_eq!(
            resolve("16505551234", &number_in("1"), MissingPlus::Reject).map_err(|e| e.code),
            Err(100)
        );
        assert_eq!(
            resolve("+1650abc", &number_in("1"), MissingPlus::AcceptAsIs).map_err(|e| e.code),
            Err(100)
        );
    }
}
