//! Graph API errors: the one table of codes and the envelope Meta wraps them in.
//!
//! Every error the fake answers, whether raised by validation, a limit or the
//! fault script, goes through [`GraphError`], so status, title and details of a
//! code are stated once, in [`spec`].

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// What Meta answers for one error code (cloud-api.md §2).
#[derive(Debug, Clone, Copy)]
pub struct ErrorSpec {
    pub status: StatusCode,
    pub title: &'static str,
    pub details: &'static str,
}

const fn spec_of(status: u16, title: &'static str, details: &'static str) -> ErrorSpec {
    let status = match StatusCode::from_u16(status) {
        Ok(status) => status,
        Err(_) => StatusCode::BAD_REQUEST,
    };
    ErrorSpec {
        status,
        title,
        details,
    }
}

/// The HTTP status, title and `error_data.details` Meta gives `code`.
///
/// Unknown codes answer 400 with a generic title, so a test can still inject them.
pub fn spec(code: u32) -> ErrorSpec {
    match code {
        0 => spec_of(401, "AuthException", "We were unable to authenticate the app user."),
        1 => spec_of(400, "API Unknown", "Invalid request or possible server error."),
        2 => spec_of(503, "API Service", "Temporary due to downtime or due to being overloaded."),
        4 => spec_of(400, "API Too Many Calls", "The app has reached its API call rate limit."),
        10 => spec_of(403, "Permission Denied", "Permission is either not granted or has been removed."),
        100 => spec_of(400, "Invalid parameter", "The request included one or more unsupported or misspelled parameters."),
        190 => spec_of(401, "Access token has expired", "Your access token has expired."),
        368 => spec_of(403, "Temporarily blocked for policies violations", "The WhatsApp Business Account associated with the app has been restricted or disabled for violating a platform policy."),
        80007 => spec_of(400, "Rate limit issues", "The WhatsApp Business Account has reached its rate limit."),
        130429 => spec_of(400, "Rate limit hit", "Message failed to send because there were too many messages sent from this phone number in a short period of time."),
        131000 => spec_of(500, "Something went wrong", "Message failed to send due to an unknown error."),
        131008 => spec_of(400, "Required parameter is missing", "The request is missing a required parameter."),
        131009 => spec_of(400, "Parameter value is not valid", "One or more parameter values are invalid."),
        131016 => spec_of(500, "Service unavailable", "A service is temporarily unavailable."),
        131026 => spec_of(400, "Message undeliverable", "Unable to deliver message."),
        131047 => spec_of(400, "Re-engagement message", "Message failed to send because more than 24 hours have passed since the customer last replied to this number."),
        131048 => spec_of(400, "Spam rate limit hit", "Message failed to send because there are restrictions on how many messages can be sent from this phone number."),
        131049 => spec_of(400, "This message was not delivered to maintain healthy ecosystem engagement.", "In order to maintain a healthy ecosystem engagement, the message failed to be delivered."),
        131051 => spec_of(400, "Message type unknown", "Message type is currently not supported."),
        131053 => spec_of(400, "Media upload error", "Unable to upload the media used in the message."),
        131056 => spec_of(400, "(Business Account, Consumer Account) pair rate limit hit", "Too many messages sent from the sender phone number to the same recipient phone number in a short period of time."),
        131057 => spec_of(500, "Account has been put in maintenance mode", "Business Account is in maintenance mode."),
        132000 => spec_of(400, "Number of parameters does not match the expected number of params", "The number of variable parameter values included in the request did not match the number of variable parameters defined in the template."),
        132001 => spec_of(404, "Template does not exist", "The template does not exist in the specified language or the template has not been approved."),
        132012 => spec_of(400, "Parameter format does not match format in the created template", "Variable parameter values formatted incorrectly."),
        132015 => spec_of(400, "Template is Paused", "Template is paused due to low quality so it cannot be sent in a template message."),
        132016 => spec_of(400, "Template is Disabled", "Template has been paused too many times due to low quality and is now permanently disabled."),
        133004 => spec_of(503, "Server Temporarily Unavailable", "Server is temporarily unavailable."),
        133010 => spec_of(400, "Phone number Not Registered", "Phone number is not registered on the WhatsApp Business Platform."),
        _ => spec_of(400, "Unknown error", "An unknown error occurred."),
    }
}

/// One synchronous Graph error, ready to become Meta's envelope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphError {
    pub code: u32,
    pub status: StatusCode,
    /// Overrides the table's `error_data.details`, e.g. naming the bad parameter.
    pub details: Option<String>,
    pub subcode: Option<u32>,
    /// Auth failures carry a plain message and no `error_data` (ERR, GEH).
    pub bare_auth: bool,
}

impl GraphError {
    /// The error for `code`, with the status from [`spec`].
    pub fn code(code: u32) -> Self {
        Self {
            code,
            status: spec(code).status,
            details: None,
            subcode: None,
            bare_auth: false,
        }
    }

    /// Like [`GraphError::code`], naming what exactly was wrong.
    pub fn with_details(code: u32, details: impl Into<String>) -> Self {
        Self {
            details: Some(details.into()),
            ..Self::code(code)
        }
    }

    /// 401 for a missing or unknown token (190, or 0 when so configured).
    pub fn auth(code: u32) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            bare_auth: true,
            ..Self::code(code)
        }
    }

    pub fn status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    /// Meta's `{"error":{...}}` body.
    pub fn envelope(&self) -> Value {
        let spec = spec(self.code);
        let mut error = json!({
            "message": self.message(),
            "type": "OAuthException",
            "code": self.code,
            "fbtrace_id": fbtrace_id(),
        });
        if !self.bare_auth {
            let details = self.details.as_deref().unwrap_or(spec.details);
            error["error_data"] = json!({"messaging_product": "whatsapp", "details": details});
        }
        if let Some(subcode) = self.subcode {
            error["error_subcode"] = json!(subcode);
        }
        json!({ "error": error })
    }

    fn message(&self) -> String {
        if self.bare_auth {
            return "Invalid OAuth access token - Cannot parse access token".to_owned();
        }
        format!("(#{}) {}", self.code, spec(self.code).title)
    }
}

impl IntoResponse for GraphError {
    fn into_response(self) -> Response {
        (self.status, Json(self.envelope())).into_response()
    }
}

/// The shape of an asynchronous error inside a webhook (`statuses[].errors[]`, ERR).
pub fn webhook_error(code: u32) -> Value {
    let spec = spec(code);
    json!({
        "code": code,
        "title": spec.title,
        "message": spec.title,
        "error_data": {"details": spec.details},
        "href": "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/",
    })
}

/// A random trace id shaped like Meta's (`AXsgnV2Cm3ZMGF3dF_cfYIn`).
pub fn fbtrace_id() -> String {
    random_token(23)
}

/// Random letters and digits, for ids Meta makes opaque.
pub fn random_token(len: usize) -> String {
    (0..len).map(|_| fastrand::alphanumeric()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_carries_code_title_and_details_without_subcode() {
        let body = GraphError::code(130429).envelope();
        assert_eq!(body["error"]["message"], "(#130429) Rate limit hit");
        assert_eq!(body["error"]["type"], "OAuthException");
        assert_eq!(body["error"]["error_data"]["messaging_product"], "whatsapp");
        assert!(body["error"].get("error_subcode").is_none());
        assert_eq!(body["error"]["fbtrace_id"].as_str().map(str::len), Some(23));
    }

    #[test]
    fn auth_errors_are_401_without_error_data() {
        let error = GraphError::auth(190);
        assert_eq!(error.status, StatusCode::UNAUTHORIZED);
        assert!(error.envelope()["error"].get("error_data").is_none());
    }

    #[test]
    fn template_missing_is_404() {
        assert_eq!(spec(132001).status, StatusCode::NOT_FOUND);
        assert_eq!(spec(368).status, StatusCode::FORBIDDEN);
        assert_eq!(spec(133004).status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
