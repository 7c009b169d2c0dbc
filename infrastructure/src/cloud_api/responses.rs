//! Reading the Graph API's answers: a send's acceptance, a number's details,
//! and the error envelope (OAS `GraphAPIError`).
//!
//! Every field is optional and unknown fields are ignored: Meta adds fields
//! without notice, and an answer may come from a proxy instead of Meta. No
//! input makes these functions panic.

use herald_application::ports::whatsapp::{GraphError, PhoneNumberInfo, SendAccepted};
use serde::Deserialize;

/// The `code` of a [`GraphError`] made up for an answer that carried no
/// Graph API error, such as a proxy's HTML page. No Meta code is negative,
/// so the classifier treats it as unknown and goes by the HTTP status.
pub const NO_GRAPH_CODE: i64 = -1;

#[derive(Deserialize)]
struct SendResponse {
    #[serde(default)]
    contacts: Vec<Contact>,
    #[serde(default)]
    messages: Vec<MessageItem>,
}

#[derive(Deserialize)]
struct Contact {
    wa_id: Option<String>,
}

#[derive(Deserialize)]
struct MessageItem {
    id: Option<String>,
    message_status: Option<String>,
}

/// A 2xx answer to a send, or `None` when it does not name the message's
/// wamid (then the message was perhaps accepted, but cannot be tracked).
pub fn accepted(body: &[u8]) -> Option<SendAccepted> {
    let response: SendResponse = serde_json::from_slice(body).ok()?;
    let message = response.messages.into_iter().next()?;
    let wamid = message.id.filter(|id| !id.is_empty())?;
    Some(SendAccepted {
        wamid,
        wa_id: response.contacts.into_iter().find_map(|c| c.wa_id),
        message_status: message.message_status,
    })
}

#[derive(Deserialize)]
struct NumberResponse {
    id: Option<String>,
    display_phone_number: Option<String>,
    verified_name: Option<String>,
    quality_rating: Option<String>,
}

/// A 2xx answer to a number's details, or `None` without `id` and
/// `display_phone_number`.
pub fn phone_number(body: &[u8]) -> Option<PhoneNumberInfo> {
    let response: NumberResponse = serde_json::from_slice(body).ok()?;
    Some(PhoneNumberInfo {
        id: response.id?,
        display_phone_number: response.display_phone_number?,
        verified_name: response.verified_name,
        quality_rating: response.quality_rating,
    })
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    error_subcode: Option<i64>,
    #[serde(rename = "type")]
    error_type: Option<String>,
    message: Option<String>,
    error_data: Option<ErrorData>,
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct ErrorData {
    details: Option<String>,
}

/// The error of a non-2xx answer. A body without a Graph API error gives
/// code [`NO_GRAPH_CODE`] and a message naming the HTTP status.
pub fn graph_error(http_status: u16, body: &[u8]) -> GraphError {
    match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(ErrorEnvelope {
            error:
                ErrorBody {
                    code: Some(code),
                    error_subcode,
                    error_type,
                    message,
                    error_data,
                    fbtrace_id,
                },
        }) => GraphError {
            http_status,
            code,
            subcode: error_subcode,
            error_type,
            message: message.unwrap_or_default(),
            details: error_data.and_then(|data| data.details),
            fbtrace_id,
        },
        _ => without_envelope(http_status, body.len()),
    }
}

/// Describes the answer by its status and size only: its body may be a
/// page that echoes the request, which must not reach the logs.
fn without_envelope(http_status: u16, length: usize) -> GraphError {
    GraphError {
        http_status,
        code: NO_GRAPH_CODE,
        subcode: None,
        error_type: None,
        message: format!("HTTP {http_status} without a Graph API error ({length} bytes)"),
        details: None,
        fbtrace_id: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_success_answer_gives_the_wamid() {
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],
            "messages":[{"id":"wamid.HBgL","message_status":"accepted"}]}"#;
        let accepted = accepted(body).unwrap();
        assert_eq!(accepted.wamid, "wamid.HBgL");
        assert_eq!(accepted.wa_id.as_deref(), Some("16505551234"));
        assert_eq!(accepted.message_status.as_deref(), Some("accepted"));
    }

    #[test]
    fn a_success_answer_may_lack_contacts_and_status() {
        let accepted = accepted(br#"{"messages":[{"id":"wamid.1"}],"new_field":{}}"#).unwrap();
        assert_eq!(accepted.wamid, "wamid.1");
        assert_eq!(accepted.wa_id, None);
    }

    #[test]
    fn a_success_answer_without_a_wamid_is_not_an_acceptance() {
        for body in [
            &b""[..],
            b"{}",
            b"{\"messages\":[]}",
            b"{\"messages\":[{\"id\":\"\"}]}",
            b"<html>",
            b"null",
        ] {
            assert!(
                accepted(body).is_none(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn metas_error_envelope_is_read() {
        let body = br#"{"error":{"message":"(#130429) Rate limit hit","type":"OAuthException","code":130429,
            "error_data":{"messaging_product":"whatsapp","details":"Too many messages"},
            "error_subcode":2494055,"fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam","is_transient":true}}"#;
        let error = graph_error(400, body);
        assert_eq!(error.http_status, 400);
        assert_eq!(error.code, 130429);
        assert_eq!(error.subcode, Some(2494055));
        assert_eq!(error.error_type.as_deref(), Some("OAuthException"));
        assert_eq!(error.details.as_deref(), Some("Too many messages"));
        assert_eq!(error.fbtrace_id.as_deref(), Some("Az8or2yhqkZfEZ-_4Qn_Bam"));
    }

    #[test]
    fn an_envelope_without_optional_fields_is_read() {
        let error = graph_error(401, br#"{"error":{"code":190}}"#);
        assert_eq!(error.code, 190);
        assert_eq!(error.message, "");
        assert_eq!(error.subcode, None);
    }

    #[test]
    fn bodies_without_an_envelope_keep_only_the_status() {
        let bodies: [&[u8]; 7] = [
            b"",
            b"<html><body>502 Bad Gateway</body></html>",
            b"{\"error\":\"oops\"}",
            b"{\"error\":{\"message\":\"no code\"}}",
            b"{\"error\":{\"code\":\"190\"}}",
            b"\xff\xfe\x00garbage",
            b"[1,2,3]",
        ];
        for body in bodies {
            let error = graph_error(502, body);
            assert_eq!(
                error.code,
                NO_GRAPH_CODE,
                "{}",
                String::from_utf8_lossy(body)
            );
            assert_eq!(error.http_status, 502);
            assert!(!error.message.contains("Bad Gateway"));
        }
    }

    #[test]
    fn a_number_answer_needs_id_and_display_number() {
        let info = phone_number(
            br#"{"id":"1906385232743451","display_phone_number":"+1 631-555-5555","verified_name":"Jasper's Market","quality_rating":"GREEN","name_status":"APPROVED"}"#,
        )
        .unwrap();
        assert_eq!(info.display_phone_number, "+1 631-555-5555");
        assert_eq!(info.quality_rating.as_deref(), Some("GREEN"));
        assert!(phone_number(br#"{"id":"1"}"#).is_none());
        assert!(phone_number(b"garbage").is_none());
    }
}
