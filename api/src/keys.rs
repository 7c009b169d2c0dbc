//! The vault's keys: `HERALD_SECRET_KEY`, or a key made on first start and
//! kept beside the data, so `herald serve` works with no set-up.

use anyhow::Context;
use herald_infrastructure::crypto::{AesGcmVault, SecretKey};
use std::io::Write;
use std::path::Path;

use crate::settings::Settings;

const KEY_FILE: &str = "secret.key";

/// # Errors
/// When a configured key is not 64 hex digits, or the key file cannot be
/// read or written.
pub fn open_vault(settings: &Settings) -> anyhow::Result<AesGcmVault> {
    let current = match &settings.secret_key {
        Some(key) => SecretKey::from_hex(&key.0).context("HERALD_SECRET_KEY")?,
        None => local_key(&settings.data_dir)?,
    };
    let previous = settings
        .previous_secret_keys
        .iter()
        .map(|key| SecretKey::from_hex(&key.0).context("HERALD_PREVIOUS_SECRET_KEYS"))
        .collect::<anyhow::Result<Vec<_>>>()?;
    Ok(AesGcmVault::new(current, previous))
}

/// The key in `<data dir>/secret.key`, made (readable by its owner only)
/// if there is none yet.
fn local_key(data_dir: &Path) -> anyhow::Result<SecretKey> {
    let path = data_dir.join(KEY_FILE);
    if !path.exists() {
        std::fs::create_dir_all(data_dir)
            .with_context(|| format!("cannot create {}", data_dir.display()))?;
        write_private(&path, &SecretKey::generate_hex())
            .with_context(|| format!("cannot write {}", path.display()))?;
        tracing::warn!(path = %path.display(), "made a new secret key; set HERALD_SECRET_KEY in production");
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    SecretKey::from_hex(&text).with_context(|| format!("{} holds no valid key", path.display()))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(text.as_bytes())
}
