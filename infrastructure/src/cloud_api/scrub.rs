//! Taking credentials out of what an upstream answer says before Herald
//! keeps it. A Graph error's text ends up in a session's `lastError`, a
//! message's failure, the event log and the read models; an answer from a
//! misconfigured proxy or a debugging gateway can echo the request,
//! `Authorization: Bearer …` included.

use herald_application::ports::whatsapp::GraphError;
use regex::Regex;
use std::sync::LazyLock;

const REDACTED: &str = "[redacted]";

/// `Bearer <token>`, `Basic <credentials>`.
static AUTHORIZATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\b(bearer|basic)(\s+)[A-Za-z0-9._~+/=-]+")
        .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// `access_token=…`, `"app_secret": "…"` and the like, in a query string,
/// a form or JSON.
static NAMED_SECRET: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)\b(access_token|input_token|appsecret_proof|app_secret|client_secret|authorization)(["']?\s*[:=]\s*["']?)[^\s"'&,;}]+"#,
    )
    .unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// Meta's access tokens: `EAA` and a long run of letters and digits.
static META_TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\bEAA[A-Za-z0-9]{20,}").unwrap_or_else(|e| unreachable!("a fixed pattern: {e}"))
});

/// `text` without `token` and without anything shaped like a credential.
pub fn scrub(text: &str, token: &str) -> String {
    let mut text = if token.len() >= 8 {
        text.replace(token, REDACTED)
    } else {
        text.to_owned()
    };
    for (pattern, replacement) in [
        (&*AUTHORIZATION, "$1$2[redacted]"),
        (&*NAMED_SECRET, "$1$2[redacted]"),
        (&*META_TOKEN, REDACTED),
    ] {
        if pattern.is_match(&text) {
            text = pattern.replace_all(&text, replacement).into_owned();
        }
    }
    text
}

/// The error with every text it carries scrubbed of `token` and of
/// anything shaped like a credential.
pub fn scrub_error(error: GraphError, token: &str) -> GraphError {
    let clean = |text: String| scrub(&text, token);
    GraphError {
        message: clean(error.message),
        details: error.details.map(clean),
        error_type: error.error_type.map(clean),
        fbtrace_id: error.fbtrace_id.map(clean),
        ..error
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "EAAG-secret-token-7d1f2c";

    #[test]
    fn the_token_sent_is_taken_out_wherever_it_is_echoed() {
        let echoed = format!("upstream said: Authorization: Bearer {TOKEN} was refused");
        let clean = scrub(&echoed, TOKEN);
        assert!(!clean.contains(TOKEN), "{clean}");
        assert!(
            clean.contains("refused"),
            "the rest of the text stays: {clean}"
        );
    }

    #[test]
    fn credentials_of_any_shape_are_taken_out() {
        let cases = [
            "Bearer abc.def-ghi_jkl",
            "GET /v23.0/123?access_token=abcdef123456&fields=id",
            r#"{"app_secret": "s3cr3t-value"}"#,
            "token EAAGm0PX4ZCpsBAKZAxyz0123456789abcdefghij is invalid",
            "authorization=Basic dXNlcjpwYXNz",
        ];
        let secrets = [
            "abc.def-ghi_jkl",
            "abcdef123456",
            "s3cr3t-value",
            "EAAGm0PX4ZCpsBAKZAxyz0123456789abcdefghij",
            "dXNlcjpwYXNz",
        ];
        for (text, secret) in cases.iter().zip(secrets) {
            let clean = scrub(text, TOKEN);
            assert!(!clean.contains(secret), "{text} gave {clean}");
        }
    }

    #[test]
    fn ordinary_error_text_is_left_as_it_is() {
        let text = "(#131026) Message undeliverable: the recipient is not on WhatsApp";
        assert_eq!(scrub(text, TOKEN), text);
    }
}
