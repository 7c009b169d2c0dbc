//! [`AesGcmVault`]: secrets sealed with AES-256-GCM.
//!
//! A sealed secret reads `v1.<key id>.<hex of nonce, ciphertext and tag>`.
//! The associated data is `herald/v1/<tenant>/<session>/<field>`, so a
//! ciphertext only opens for the tenant, session and field it was sealed
//! for. The key id lets a vault hold earlier keys after a rotation: it seals
//! with the current key and opens with whichever key a secret names.

use aes_gcm::aead::{Aead, Generate, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use herald_application::ports::vault::{RevealedSecret, SecretBinding, Vault, VaultError};
use herald_domain::session::SealedSecret;
use hmac::Mac;
use sha2::{Digest, Sha256};
use std::fmt;

use super::signature::signature_matches;

type HmacSha256 = hmac::Hmac<Sha256>;

const FORMAT: &str = "v1";
const NONCE_BYTES: usize = 12;

/// A 256-bit key and the id that names it inside sealed secrets.
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    cipher: Aes256Gcm,
    /// A second key derived from this one, for fingerprints: the AES key
    /// itself is never used for anything but AES.
    fingerprint_key: Vec<u8>,
    /// A third, for signing access tokens.
    signing_key: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a secret key must be 64 hex digits (32 bytes), as `openssl rand -hex 32` prints")]
pub struct SecretKeyError;

impl SecretKey {
    /// # Errors
    /// When `hex_key` is not 64 hex digits.
    pub fn from_hex(hex_key: &str) -> Result<Self, SecretKeyError> {
        let bytes = hex::decode(hex_key.trim()).map_err(|_| SecretKeyError)?;
        Self::from_bytes(&bytes)
    }

    /// # Errors
    /// When `bytes` is not 32 bytes long.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretKeyError> {
        let cipher = Aes256Gcm::new_from_slice(bytes).map_err(|_| SecretKeyError)?;
        let id = hex::encode(&derive(b"herald key id", bytes)[..4]);
        let fingerprint_key = derive(b"herald fingerprint key", bytes);
        let signing_key = derive(b"herald access token key", bytes);
        Ok(Self {
            id,
            cipher,
            fingerprint_key,
            signing_key,
        })
    }

    /// A fresh random key, as 64 hex digits (for a first start without one).
    pub fn generate_hex() -> String {
        let key = aes_gcm::Key::<Aes256Gcm>::generate();
        hex::encode(key.as_slice())
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    fn fingerprint(&self, secret: &str) -> String {
        let mut mac = match HmacSha256::new_from_slice(&self.fingerprint_key) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(secret.as_bytes());
        format!("{}.{}", self.id, hex::encode(mac.finalize().into_bytes()))
    }
}

/// SHA-256 of a purpose label and the key: one key, several unrelated keys.
fn derive(purpose: &[u8], key: &[u8]) -> Vec<u8> {
    let mut hasher = Sha256::new();
    hasher.update(purpose);
    hasher.update(b"\0");
    hasher.update(key);
    hasher.finalize().to_vec()
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretKey({})", self.id)
    }
}

/// Seals with the current key; opens with it or with an earlier one.
#[derive(Debug, Clone)]
pub struct AesGcmVault {
    current: SecretKey,
    earlier: Vec<SecretKey>,
}

impl AesGcmVault {
    pub fn new(current: SecretKey, earlier: Vec<SecretKey>) -> Self {
        Self { current, earlier }
    }

    /// The keys access tokens are signed with, by key id: the current one
    /// first (it signs), then the earlier ones (they still check).
    pub fn signing_keys(&self) -> Vec<(String, Vec<u8>)> {
        std::iter::once(&self.current)
            .chain(&self.earlier)
            .map(|key| (key.id.clone(), key.signing_key.clone()))
            .collect()
    }

    fn key(&self, id: &str) -> Option<&SecretKey> {
        std::iter::once(&self.current)
            .chain(&self.earlier)
            .find(|key| key.id == id)
    }
}

fn associated_data(binding: SecretBinding<'_>) -> String {
    format!(
        "herald/{FORMAT}/{}/{}/{}",
        binding.tenant,
        binding.owner,
        binding.field.as_str()
    )
}

impl Vault for AesGcmVault {
    fn seal(&self, secret: &str, binding: SecretBinding<'_>) -> Result<SealedSecret, VaultError> {
        let aad = associated_data(binding);
        let nonce = Nonce::generate();
        let payload = Payload {
            msg: secret.as_bytes(),
            aad: aad.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&nonce, payload)
            .map_err(|_| VaultError::CannotSeal("AES-GCM refused the input".into()))?;
        let mut sealed = nonce.to_vec();
        sealed.extend_from_slice(&ciphertext);
        Ok(SealedSecret::from_sealed(format!(
            "{FORMAT}.{}.{}",
            self.current.id,
            hex::encode(sealed)
        )))
    }

    fn open(
        &self,
        sealed: &SealedSecret,
        binding: SecretBinding<'_>,
    ) -> Result<RevealedSecret, VaultError> {
        let cannot =
            |why: &str| VaultError::CannotOpen(format!("{} ({why})", binding.field.as_str()));
        let mut parts = sealed.as_sealed().splitn(3, '.');
        let (Some(FORMAT), Some(key_id), Some(body)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(cannot("not a sealed secret of this version"));
        };
        let key = self
            .key(key_id)
            .ok_or_else(|| cannot("sealed under an unknown key"))?;
        let bytes = hex::decode(body).map_err(|_| cannot("not hex"))?;
        if bytes.len() < NONCE_BYTES {
            return Err(cannot("too short"));
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_BYTES);
        let nonce = Nonce::try_from(nonce).map_err(|_| cannot("bad nonce"))?;
        let aad = associated_data(binding);
        let payload = Payload {
            msg: ciphertext,
            aad: aad.as_bytes(),
        };
        let plain = key
            .cipher
            .decrypt(&nonce, payload)
            .map_err(|_| cannot("wrong key or binding, or altered"))?;
        String::from_utf8(plain)
            .map(RevealedSecret::new)
            .map_err(|_| cannot("not text"))
    }

    fn fingerprint(&self, secret: &str) -> String {
        self.current.fingerprint(secret)
    }

    fn fingerprints(&self, secret: &str) -> Vec<String> {
        std::iter::once(&self.current)
            .chain(&self.earlier)
            .map(|key| key.fingerprint(secret))
            .collect()
    }

    fn verify_signature(
        &self,
        app_secret: &SealedSecret,
        binding: SecretBinding<'_>,
        body: &[u8],
        signature: &str,
    ) -> Result<bool, VaultError> {
        let secret = self.open(app_secret, binding)?;
        Ok(signature_matches(
            secret.expose().as_bytes(),
            body,
            signature,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use herald_domain::session::SecretField;
    use herald_domain::{SessionId, TenantId};

    fn vault() -> AesGcmVault {
        AesGcmVault::new(
            SecretKey::from_hex(&SecretKey::generate_hex()).unwrap(),
            vec![],
        )
    }

    fn ids() -> (TenantId, SessionId) {
        (
            TenantId::parse("acme").unwrap(),
            SessionId::parse("s1").unwrap(),
        )
    }

    fn binding<'a>(
        tenant: &'a TenantId,
        session: &'a SessionId,
        field: SecretField,
    ) -> SecretBinding<'a> {
        SecretBinding {
            tenant,
            owner: session.as_str(),
            field,
        }
    }

    #[test]
    fn a_sealed_secret_opens_under_its_binding_and_hides_the_text() {
        let (tenant, session) = ids();
        let vault = vault();
        let at = binding(&tenant, &session, SecretField::AccessToken);
        let sealed = vault.seal("EAAG-token", at).unwrap();
        assert!(!sealed.as_sealed().contains("EAAG"));
        assert_eq!(vault.open(&sealed, at).unwrap().expose(), "EAAG-token");
    }

    #[test]
    fn sealing_twice_gives_different_texts() {
        let (tenant, session) = ids();
        let vault = vault();
        let at = binding(&tenant, &session, SecretField::AccessToken);
        assert_ne!(vault.seal("x", at).unwrap(), vault.seal("x", at).unwrap());
    }

    #[test]
    fn a_secret_does_not_open_for_another_tenant_session_or_field() {
        let (tenant, session) = ids();
        let other_tenant = TenantId::parse("evil").unwrap();
        let other_session = SessionId::parse("s2").unwrap();
        let vault = vault();
        let sealed = vault
            .seal("x", binding(&tenant, &session, SecretField::AccessToken))
            .unwrap();
        for wrong in [
            binding(&other_tenant, &session, SecretField::AccessToken),
            binding(&tenant, &other_session, SecretField::AccessToken),
            binding(&tenant, &session, SecretField::AppSecret),
        ] {
            assert!(vault.open(&sealed, wrong).is_err());
        }
    }

    #[test]
    fn an_altered_secret_does_not_open() {
        let (tenant, session) = ids();
        let vault = vault();
        let at = binding(&tenant, &session, SecretField::AppSecret);
        let sealed = vault.seal("secret", at).unwrap().as_sealed().to_owned();
        let last = sealed.chars().last().unwrap();
        let altered = format!(
            "{}{}",
            &sealed[..sealed.len() - 1],
            if last == '0' { '1' } else { '0' }
        );
        for text in [altered, "v1.x.00".into(), "garbage".into(), String::new()] {
            assert!(vault.open(&SealedSecret::from_sealed(text), at).is_err());
        }
    }

    #[test]
    fn an_earlier_key_still_opens_what_it_sealed() {
        let (tenant, session) = ids();
        let old = SecretKey::from_hex(&SecretKey::generate_hex()).unwrap();
        let at = binding(&tenant, &session, SecretField::AccessToken);
        let sealed = AesGcmVault::new(old.clone(), vec![]).seal("x", at).unwrap();
        let rotated = AesGcmVault::new(
            SecretKey::from_hex(&SecretKey::generate_hex()).unwrap(),
            vec![old],
        );
        assert_eq!(rotated.open(&sealed, at).unwrap().expose(), "x");
    }

    #[test]
    fn fingerprints_match_for_equal_secrets_and_depend_on_the_key() {
        let vault = vault();
        assert_eq!(
            vault.fingerprint("verify-me"),
            vault.fingerprint("verify-me")
        );
        assert_ne!(
            vault.fingerprint("verify-me"),
            vault.fingerprint("verify-you")
        );
        assert!(!vault.fingerprint("verify-me").contains("verify"));
        let rotated = AesGcmVault::new(
            SecretKey::from_hex(&SecretKey::generate_hex()).unwrap(),
            vec![vault.current.clone()],
        );
        assert_ne!(
            rotated.fingerprint("verify-me"),
            vault.fingerprint("verify-me")
        );
        assert!(rotated
            .fingerprints("verify-me")
            .contains(&vault.fingerprint("verify-me")));
    }

    /// `HERALD_SECRET_KEY` rotated, the old key moved to
    /// `HERALD_PREVIOUS_SECRET_KEYS`: the new key signs access tokens and
    /// the old one is still listed with the id and bytes it signed under,
    /// so what it signed still checks.
    #[test]
    fn a_rotation_keeps_the_earlier_signing_key_as_it_was() {
        let (old, new) = (SecretKey::generate_hex(), SecretKey::generate_hex());
        let key = |hex: &str| SecretKey::from_hex(hex).unwrap();
        let before = AesGcmVault::new(key(&old), vec![]).signing_keys();
        let rotated = AesGcmVault::new(key(&new), vec![key(&old)]).signing_keys();

        assert_eq!(before.len(), 1);
        assert_eq!(rotated.len(), 2);
        assert_eq!(rotated[1], before[0]);
        assert_ne!(
            rotated[0].0, before[0].0,
            "the new key signs, by its own id"
        );
        assert_ne!(rotated[0].1, before[0].1);
    }

    #[test]
    fn keys_must_be_32_bytes_of_hex() {
        assert!(SecretKey::from_hex("abcd").is_err());
        assert!(SecretKey::from_hex(&"zz".repeat(32)).is_err());
        assert!(SecretKey::from_hex(&"ab".repeat(32)).is_ok());
    }

    #[test]
    fn signatures_are_checked_with_the_sealed_app_secret() {
        let (tenant, session) = ids();
        let vault = vault();
        let at = binding(&tenant, &session, SecretField::AppSecret);
        let sealed = vault.seal("app-secret", at).unwrap();
        let header = super::super::signature::sign(b"app-secret", b"{}");
        assert!(vault.verify_signature(&sealed, at, b"{}", &header).unwrap());
        assert!(!vault
            .verify_signature(&sealed, at, b"{ }", &header)
            .unwrap());
    }
}
