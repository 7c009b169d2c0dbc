//! Business phone numbers the fake knows, and `GET /{v}/{phone-number-id}`.

use serde_json::{json, Value};

use crate::webhooks::StatusSchedule;

/// A business phone number with its WABA, token and app secret.
///
/// Tokens are per number: a token opens only its own number's endpoints.
#[derive(Debug, Clone)]
pub struct FakeNumber {
    pub phone_number_id: String,
    pub waba_id: String,
    /// Digits only, as webhook `metadata.display_phone_number` shows it.
    pub display_phone_number: String,
    pub access_token: String,
    /// Key of the webhook signatures for this number's events.
    pub app_secret: String,
    /// Prepended to a `to` without `+` (SM); digits, e.g. "1".
    pub country_code: String,
    pub verified_name: String,
    /// GREEN, YELLOW, RED or NA.
    pub quality_rating: String,
    /// `false` makes every send fail with 133010.
    pub registered: bool,
    /// `true` makes every send fail with 403 code 368.
    pub policy_blocked: bool,
    /// Overrides the configured schedule for this number's sends.
    pub status_schedule: Option<StatusSchedule>,
}

impl Default for FakeNumber {
    fn default() -> Self {
        Self {
            phone_number_id: "106540352242922".to_owned(),
            waba_id: "102290129340398".to_owned(),
            display_phone_number: "15550783881".to_owned(),
            access_token: "fake-access-token".to_owned(),
            app_secret: "fake-app-secret".to_owned(),
            country_code: "1".to_owned(),
            verified_name: "Jaspers Market".to_owned(),
            quality_rating: "GREEN".to_owned(),
            registered: true,
            policy_blocked: false,
            status_schedule: None,
        }
    }
}

impl FakeNumber {
    /// A registered number with the given ids and secrets, the rest defaulted.
    pub fn new(
        phone_number_id: impl Into<String>,
        waba_id: impl Into<String>,
        display_phone_number: impl Into<String>,
        access_token: impl Into<String>,
        app_secret: impl Into<String>,
    ) -> Self {
        Self {
            phone_number_id: phone_number_id.into(),
            waba_id: waba_id.into(),
            display_phone_number: display_phone_number.into(),
            access_token: access_token.into(),
            app_secret: app_secret.into(),
            ..Self::default()
        }
    }

    /// The phone number object; `fields` may add `name_status` and
    /// `code_verification_status` to the defaults (OAS `PhoneNumberInfo`).
    pub fn info(&self, fields: Option<&str>) -> Value {
        let mut info = json!({
            "id": self.phone_number_id,
            "display_phone_number": self.formatted_display_number(),
            "verified_name": self.verified_name,
            "quality_rating": self.quality_rating,
        });
        for field in fields.unwrap_or_default().split(',').map(str::trim) {
            match field {
                "name_status" => info["name_status"] = json!("APPROVED"),
                "code_verification_status" => info["code_verification_status"] = json!("VERIFIED"),
                "status" => {
                    info["status"] = json!(if self.registered {
                        "CONNECTED"
                    } else {
                        "PENDING"
                    })
                }
                _ => {}
            }
        }
        info
    }

    /// The API shows "+1 5550783881" where webhooks show "15550783881".
    fn formatted_display_number(&self) -> String {
        let digits = &self.display_phone_number;
        match digits.strip_prefix(self.country_code.as_str()) {
            Some(rest) if !self.country_code.is_empty() => format!("+{} {rest}", self.country_code),
            _ => format!("+{digits}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn info_has_the_default_fields_and_requested_extras() {
        let info = FakeNumber::default().info(Some("name_status"));
        assert_eq!(info["id"], "106540352242922");
        assert_eq!(info["display_phone_number"], "+1 5550783881");
        assert_eq!(info["quality_rating"], "GREEN");
        assert_eq!(info["name_status"], "APPROVED");
        assert!(info.get("code_verification_status").is_none());
    }
}
