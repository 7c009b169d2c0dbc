//! [`Argon2Hasher`]: passwords hashed with Argon2id, with OWASP's
//! parameters (19 MiB, 2 passes, 1 lane), on blocking threads and a few at
//! a time, so sign-ins cannot take the request threads or the memory.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use herald_application::accounts::credentials::Password;
use herald_application::accounts::ports::{HashError, PasswordCheck, PasswordHasher};
use std::sync::Arc;
use tokio::sync::Semaphore;

pub struct Argon2Hasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password, checked for unknown accounts.
    decoy: String,
}

impl Argon2Hasher {
    /// OWASP's Password Storage Cheat Sheet: m = 19,456 KiB, t = 2, p = 1.
    ///
    /// # Errors
    /// When the parameters are refused or the decoy cannot be hashed.
    pub fn owasp(concurrency: usize) -> Result<Self, HashError> {
        let params = Params::new(19_456, 2, 1, None).map_err(|e| HashError(e.to_string()))?;
        Self::with_params(params, concurrency)
    }

    /// # Errors
    /// When the decoy cannot be hashed.
    pub fn with_params(params: Params, concurrency: usize) -> Result<Self, HashError> {
        let decoy_password = herald_application::accounts::credentials::random_secret();
        let decoy = hash_with(&params, &decoy_password)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            decoy,
        })
    }

    /// Runs `work` on a blocking thread once a permit is free.
    async fn bounded<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|e| HashError(e.to_string()))?;
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| HashError(e.to_string()))
    }
}

fn hasher(params: &Params) -> Argon2<'static> {
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
}

fn hash_with(params: &Params, password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    hasher(params)
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashError(e.to_string()))
}

fn check_with(params: &Params, password: &str, stored: &str) -> PasswordCheck {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return PasswordCheck::DoesNotMatch;
    };
    // The stored hash's own algorithm and parameters check it.
    if Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_err()
    {
        return PasswordCheck::DoesNotMatch;
    }
    let current = parsed.algorithm.as_str() == Algorithm::Argon2id.ident().as_str()
        && Params::try_from(&parsed).is_ok_and(|stored| {
            (stored.m_cost(), stored.t_cost(), stored.p_cost())
                == (params.m_cost(), params.t_cost(), params.p_cost())
        });
    PasswordCheck::Matches {
        needs_rehash: !current,
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &Password) -> Result<String, HashError> {
        let (params, password) = (self.params.clone(), password.expose().to_owned());
        self.bounded(move || hash_with(&params, &password)).await?
    }

    async fn check(&self, password: &Password, hash: &str) -> PasswordCheck {
        let (params, password, hash) = (
            self.params.clone(),
            password.expose().to_owned(),
            hash.to_owned(),
        );
        self.bounded(move || check_with(&params, &password, &hash))
            .await
            .unwrap_or(PasswordCheck::DoesNotMatch)
    }

    async fn check_nothing(&self, password: &Password) {
        let _ = self.check(password, &self.decoy.clone()).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn password(text: &str) -> Password {
        Password::parse(text, "password").unwrap()
    }

    #[tokio::test]
    async fn a_hash_checks_its_password_only() {
        let hasher = Argon2Hasher::owasp(2).unwrap();
        let hash = hasher.hash(&password("correct horse")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert_eq!(
            hasher.check(&password("correct horse"), &hash).await,
            PasswordCheck::Matches {
                needs_rehash: false
            }
        );
        assert_eq!(
            hasher.check(&password("wrong horse"), &hash).await,
            PasswordCheck::DoesNotMatch
        );
        assert_eq!(
            hasher.check(&password("correct horse"), "not a hash").await,
            PasswordCheck::DoesNotMatch
        );
    }

    #[tokio::test]
    async fn a_hash_made_with_other_parameters_is_made_again() {
        let weaker = Argon2Hasher::with_params(Params::new(8_192, 1, 1, None).unwrap(), 1).unwrap();
        let hash = weaker.hash(&password("correct horse")).await.unwrap();
        let hasher = Argon2Hasher::owasp(1).unwrap();
        assert_eq!(
            hasher.check(&password("correct horse"), &hash).await,
            PasswordCheck::Matches { needs_rehash: true }
        );
    }
}
