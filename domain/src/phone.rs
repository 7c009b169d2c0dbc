//! Phone numbers in E.164, the only form Herald sends to the Cloud API.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::value::ValueError;

/// A phone number in E.164 form: `+`, a country code and the national
/// number, 8 to 15 digits in all, as in `+14155552671`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// Parses a number written in international form. Spaces, dots, dashes
    /// and parentheses are dropped, a leading `00` stands for `+`, and a
    /// national prefix written after the country code (`+44 (0)20 …`) is
    /// dropped by libphonenumber's rules for that country.
    ///
    /// A number without its country code is refused rather than guessed:
    /// Meta would prepend the business number's own country code, which sends
    /// the message to someone else.
    ///
    /// # Errors
    /// When the number does not start with `+` or `00`, has other characters
    /// than digits and separators, or has fewer than 8 or more than 15 digits.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let compact: String = text
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"))
            .ok_or_else(|| {
                ValueError::new(format!(
                    "{text:?} is not in international format: start with + and the country code, as in +14155552671"
                ))
            })?;
        check_digits(text, digits)?;
        let parsed = phonenumber::parse(None, format!("+{digits}"))
            .map_err(|error| ValueError::new(format!("{text:?} is not a phone number: {error}")))?;
        let e164 = parsed.format().mode(phonenumber::Mode::E164).to_string();
        check_digits(text, e164.strip_prefix('+').unwrap_or(&e164))?;
        Ok(Self(e164))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The number without its `+`, as the Cloud API writes `wa_id`.
    pub fn digits(&self) -> &str {
        &self.0[1..]
    }
}

fn check_digits(text: &str, digits: &str) -> Result<(), ValueError> {
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(ValueError::new(format!(
            "{text:?} has characters other than digits"
        )));
    }
    if digits.starts_with('0') {
        return Err(ValueError::new(format!(
            "{text:?} has no country code: country codes never start with 0"
        )));
    }
    if !(8..=15).contains(&digits.len()) {
        return Err(ValueError::new(format!(
            "{text:?} has {} digits; an international number has 8 to 15",
            digits.len()
        )));
    }
    Ok(())
}

/// How stored events and snapshots read a number back: they hold it in
/// E.164 as [`PhoneNumber::parse`] wrote it, so only its form is checked.
/// libphonenumber's rules (about 20 µs a number) are for what clients
/// send, not for every load of a campaign's recipients.
impl TryFrom<String> for PhoneNumber {
    type Error = ValueError;

    fn try_from(text: String) -> Result<Self, ValueError> {
        let digits = text.strip_prefix('+').ok_or_else(|| {
            ValueError::new(format!("{text:?} is not in E.164 form, as in +14155552671"))
        })?;
        check_digits(&text, digits)?;
        Ok(Self(text))
    }
}

impl From<PhoneNumber> for String {
    fn from(value: PhoneNumber) -> String {
        value.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn separators_are_dropped() {
        let number = PhoneNumber::parse("+1 (415) 555-2671").unwrap();
        assert_eq!(number.as_str(), "+14155552671");
    }

    #[test]
    fn a_national_prefix_written_after_the_country_code_is_dropped() {
        assert_eq!(
            PhoneNumber::parse("+44 (0)20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
        assert_eq!(
            PhoneNumber::parse("0044 (0)20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn a_stored_number_reads_back_as_it_was_written_and_must_be_e164() {
        let number = PhoneNumber::parse("+44 (0)20 7946 0958").unwrap();
        let stored = serde_json::to_string(&number).unwrap();
        assert_eq!(
            serde_json::from_str::<PhoneNumber>(&stored).unwrap(),
            number
        );
        assert!(serde_json::from_str::<PhoneNumber>(r#""+44 20 7946 0958""#).is_err());
        assert!(serde_json::from_str::<PhoneNumber>(r#""442079460958""#).is_err());
    }

    #[test]
    fn a_leading_00_stands_for_plus() {
        assert_eq!(
            PhoneNumber::parse("0044 20 7946 0958").unwrap().as_str(),
            "+442079460958"
        );
    }

    #[test]
    fn numbers_without_country_code_are_refused() {
        assert!(PhoneNumber::parse("4155552671").is_err());
        assert!(PhoneNumber::parse("+0155552671").is_err());
    }

    #[test]
    fn letters_are_refused() {
        assert!(PhoneNumber::parse("+1415CALLNOW").is_err());
    }

    #[test]
    fn lengths_outside_8_to_15_digits_are_refused() {
        assert!(PhoneNumber::parse("+1234567").is_err());
        assert!(PhoneNumber::parse("+1234567890123456").is_err());
        assert!(PhoneNumber::parse("+12345678").is_ok());
    }

    #[test]
    fn digits_leave_out_the_plus() {
        assert_eq!(
            PhoneNumber::parse("+14155552671").unwrap().digits(),
            "14155552671"
        );
    }
}
