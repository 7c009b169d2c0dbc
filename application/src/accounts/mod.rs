//! Accounts: signing up and in, tokens, API keys, and who a request acts
//! as.
//!
//! - [`service`]: [`AccountService`]: sign-up, sign-in, refresh tokens that
//!   rotate, e-mail verification and password reset links, administering
//!   users, and the principal an access token stands for.
//! - [`keys`]: [`ApiKeyService`]: making, revoking and checking API keys.
//! - [`credentials`]: passwords in clear (never printed) and the tokens
//!   Herald hands out.
//! - [`principal`]: [`Principal`], the tenant and actor of a request.
//! - [`ports`]: the password hasher, the access-token signer, the registry
//!   of unique names, the mailer.
//! - [`use_cases`]: both services as traits, as the HTTP API holds them.
//! - [`read_model`]: the `users` and `api_keys` collections (seed 000).
//! - [`queries`]: [`AccountQueries`], an admin's lists of them.
//! - [`recent`]: accounts as a node last read them, for a short while.
//! - [`error`]: [`AccountsError`], why an operation was refused.

pub mod credentials;
pub mod error;
pub mod keys;
pub mod ports;
pub mod principal;
pub mod queries;
pub mod read_model;
pub mod recent;
pub mod service;
pub mod use_cases;

pub use error::AccountsError;
pub use keys::{ApiKeyService, CreatedKey};
pub use principal::{Actor, Principal};
pub use queries::{AccountQueries, ApiKeyFilter, UserFilter};
pub use service::{
    AccountParts, AccountService, AccountSettings, Invite, SignUp, SignedUp, Tokens,
};
pub use use_cases::{Accounts, ApiKeys};
