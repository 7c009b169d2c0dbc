//! Secrets at rest and webhook signatures.
//!
//! - [`vault`]: [`AesGcmVault`], the `Vault` port with AES-256-GCM, each
//!   secret bound to its tenant, session and field as associated data.
//! - [`signature`]: the `X-Hub-Signature-256` check, in constant time.

pub mod signature;
pub mod vault;

pub use signature::signature_matches;
pub use vault::{AesGcmVault, SecretKey, SecretKeyError};
