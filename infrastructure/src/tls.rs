//! TLS for outgoing HTTPS (the Graph API).
//!
//! reqwest is built without a crypto provider of its own (its default,
//! aws-lc-rs, is a long C build), so rustls needs one installed for the
//! process before any HTTP client is built: ring, which async-nats already
//! links.

/// Installs ring as the process's rustls provider. Safe to call any number
/// of times; when another provider was installed first, that one is kept.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
