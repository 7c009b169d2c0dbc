//! [`JwtAccessTokens`]: access tokens as JWTs, HS256 only, with the
//! issuer, audience and expiry checked. The key is derived from the
//! vault's key and named in the `kid` header, so tokens signed before a
//! key rotation still check until they expire.

use chrono::{DateTime, Utc};
use herald_application::accounts::ports::{AccessClaims, AccessTokenError, AccessTokens};
use herald_domain::account::Role;
use herald_domain::TenantId;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use uuid::Uuid;

const ISSUER: &str = "herald";
const AUDIENCE: &str = "herald-api";
/// Clock difference between nodes tolerated on `exp`.
const LEEWAY_SECONDS: u64 = 5;

pub struct JwtAccessTokens {
    signing: (String, EncodingKey),
    checking: HashMap<String, DecodingKey>,
    validation: Validation,
}

#[derive(Serialize, Deserialize)]
struct Claims {
    iss: String,
    aud: String,
    sub: Uuid,
    tid: String,
    fam: String,
    role: Role,
    iat: i64,
    exp: i64,
}

impl JwtAccessTokens {
    /// Keys by id, the signing one first (as `AesGcmVault::signing_keys`
    /// gives them).
    ///
    /// # Panics
    /// When `keys` is empty: there is always a current key.
    pub fn new(keys: Vec<(String, Vec<u8>)>) -> Self {
        let checking = keys
            .iter()
            .map(|(id, key)| (id.clone(), DecodingKey::from_secret(key)))
            .collect();
        #[allow(clippy::expect_used)]
        let (id, key) = keys.into_iter().next().expect("a current key");
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = LEEWAY_SECONDS;
        Self {
            signing: (id, EncodingKey::from_secret(&key)),
            checking,
            validation,
        }
    }
}

impl AccessTokens for JwtAccessTokens {
    fn issue(&self, claims: &AccessClaims) -> Result<String, AccessTokenError> {
        let header = Header {
            kid: Some(self.signing.0.clone()),
            ..Header::new(Algorithm::HS256)
        };
        let body = Claims {
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            sub: claims.user,
            tid: claims.tenant.to_string(),
            fam: claims.family.clone(),
            role: claims.role,
            iat: Utc::now().timestamp(),
            exp: claims.expires_at.timestamp(),
        };
        jsonwebtoken::encode(&header, &body, &self.signing.1).map_err(|_| AccessTokenError::Invalid)
    }

    fn check(&self, token: &str) -> Result<AccessClaims, AccessTokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| AccessTokenError::Invalid)?;
        let key = header
            .kid
            .as_ref()
            .and_then(|kid| self.checking.get(kid))
            .ok_or(AccessTokenError::Invalid)?;
        let data =
            jsonwebtoken::decode::<Claims>(token, key, &self.validation).map_err(|e| {
                match e.kind() {
                    ErrorKind::ExpiredSignature => AccessTokenError::Expired,
                    _ => AccessTokenError::Invalid,
                }
            })?;
        let claims = data.claims;
        Ok(AccessClaims {
            tenant: TenantId::parse(&claims.tid).map_err(|_| AccessTokenError::Invalid)?,
            user: claims.sub,
            family: claims.fam,
            role: claims.role,
            expires_at: DateTime::from_timestamp(claims.exp, 0).ok_or(AccessTokenError::Invalid)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use chrono::Duration;

    fn tokens(key: &[u8]) -> JwtAccessTokens {
        JwtAccessTokens::new(vec![("k1".into(), key.to_vec())])
    }

    fn claims(expires_at: DateTime<Utc>) -> AccessClaims {
        AccessClaims {
            tenant: TenantId::parse("acme").unwrap(),
            user: Uuid::now_v7(),
            family: "fam".into(),
            role: Role::Manager,
            expires_at,
        }
    }

    #[test]
    fn a_token_checks_back_to_its_claims() {
        let tokens = tokens(b"key one");
        let claims = claims(Utc::now() + Duration::minutes(15));
        let token = tokens.issue(&claims).unwrap();
        let read = tokens.check(&token).unwrap();
        assert_eq!(read.user, claims.user);
        assert_eq!(read.tenant, claims.tenant);
        assert_eq!(read.role, Role::Manager);
    }

    #[test]
    fn an_expired_token_or_one_signed_with_another_key_is_refused() {
        let expired = tokens(b"key one")
            .issue(&claims(Utc::now() - Duration::minutes(1)))
            .unwrap();
        assert_eq!(
            tokens(b"key one").check(&expired),
            Err(AccessTokenError::Expired)
        );
        let foreign = tokens(b"key two")
            .issue(&claims(Utc::now() + Duration::minutes(15)))
            .unwrap();
        assert_eq!(
            tokens(b"key one").check(&foreign),
            Err(AccessTokenError::Invalid)
        );
    }

    /// A rotation lists the new key first, to sign, and the old one after
    /// it, to check: what the old key signed checks until that key is
    /// dropped from the list.
    #[test]
    fn a_token_signed_before_a_rotation_checks_until_its_key_is_dropped() {
        let key = |id: &str, bytes: &[u8]| (id.to_owned(), bytes.to_vec());
        let (k1, k2, k3) = (
            key("k1", b"key one"),
            key("k2", b"key two"),
            key("k3", b"key three"),
        );
        let claims = claims(Utc::now() + Duration::minutes(15));
        let before = JwtAccessTokens::new(vec![k1.clone()]);
        let token = before.issue(&claims).unwrap();

        let rotated = JwtAccessTokens::new(vec![k2.clone(), k1]);
        assert_eq!(rotated.check(&token).unwrap().user, claims.user);
        let signed_now = rotated.issue(&claims).unwrap();
        let kid = jsonwebtoken::decode_header(&signed_now).unwrap().kid;
        assert_eq!(kid.as_deref(), Some("k2"), "the new key signs");

        let rotated_again = JwtAccessTokens::new(vec![k3, k2]);
        assert_eq!(rotated_again.check(&token), Err(AccessTokenError::Invalid));
        assert!(rotated_again.check(&signed_now).is_ok());
    }

    /// The algorithm is pinned: a token saying `none`, or another
    /// algorithm, is refused whatever it claims.
    #[test]
    fn a_token_with_another_algorithm_is_refused() {
        let tokens = tokens(b"key one");
        let token = tokens
            .issue(&claims(Utc::now() + Duration::minutes(15)))
            .unwrap();
        let body = token.split('.').nth(1).unwrap();
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        for alg in ["none", "HS512", "RS256"] {
            let header = engine.encode(format!(r#"{{"alg":"{alg}","kid":"k1","typ":"JWT"}}"#));
            let forged = format!("{header}.{body}.");
            assert_eq!(
                tokens.check(&forged),
                Err(AccessTokenError::Invalid),
                "{alg}"
            );
        }
    }

    #[test]
    fn a_token_for_another_audience_or_issuer_is_refused() {
        let tokens = tokens(b"key one");
        let exp = (Utc::now() + Duration::minutes(15)).timestamp();
        for (iss, aud) in [("herald", "other"), ("other", "herald-api")] {
            let body = Claims {
                iss: iss.into(),
                aud: aud.into(),
                sub: Uuid::now_v7(),
                tid: "acme".into(),
                fam: "f".into(),
                role: Role::Admin,
                iat: 0,
                exp,
            };
            let header = Header {
                kid: Some("k1".into()),
                ..Header::new(Algorithm::HS256)
            };
            let token = jsonwebtoken::encode(&header, &body, &EncodingKey::from_secret(b"key one"))
                .unwrap();
            assert_eq!(
                tokens.check(&token),
                Err(AccessTokenError::Invalid),
                "{iss} {aud}"
            );
        }
    }
}
