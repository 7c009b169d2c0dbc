//! Meta signs each webhook POST with `X-Hub-Signature-256:
//! sha256=<hex HMAC-SHA256(app secret, raw body)>`.

use hmac::{KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = hmac::Hmac<Sha256>;

/// Whether `header` is `sha256=` and the hex HMAC-SHA256 of `body` under
/// `secret`. The comparison takes the same time wherever the first wrong
/// byte is, so a forger learns nothing from timing. Anything malformed is
/// simply `false`.
pub fn signature_matches(secret: &[u8], body: &[u8], header: &str) -> bool {
    let Some(hex_digest) = header.trim().strip_prefix("sha256=") else {
        return false;
    };
    let Ok(claimed) = hex::decode(hex_digest) else {
        return false;
    };
    let Ok(mut mac) = HmacSha256::new_from_slice(secret) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&claimed).is_ok()
}

/// The header value Meta would send for `body`; tests and benchmarks sign
/// with it.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = match HmacSha256::new_from_slice(secret) {
        Ok(mac) => mac,
        Err(_) => unreachable!("HMAC takes keys of any length"),
    };
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_made_with_the_secret_matches() {
        let header = sign(b"app-secret", b"{\"object\":\"x\"}");
        assert!(signature_matches(
            b"app-secret",
            b"{\"object\":\"x\"}",
            &header
        ));
    }

    #[test]
    fn a_changed_body_or_secret_does_not_match() {
        let header = sign(b"app-secret", b"{\"a\":1}");
        assert!(!signature_matches(b"app-secret", b"{\"a\":2}", &header));
        assert!(!signature_matches(b"other", b"{\"a\":1}", &header));
    }

    #[test]
    fn malformed_headers_do_not_match() {
        let good = sign(b"s", b"body");
        let digest = good.trim_start_matches("sha256=");
        for header in [
            "",
            "sha256=",
            "sha1=abcd",
            digest,
            "sha256=zz",
            &good[..good.len() - 2],
        ] {
            assert!(
                !signature_matches(b"s", b"body", header),
                "{header:?} matched"
            );
        }
    }

    #[test]
    fn uppercase_hex_is_accepted() {
        let header = sign(b"s", b"body")
            .to_uppercase()
            .replace("SHA256=", "sha256=");
        assert!(signature_matches(b"s", b"body", &header));
    }
}
