//! Accounts: the people and machines that act for a tenant.
//!
//! - [`role`]: roles, API-key permissions, and the table of who may do what.
//! - [`profile`]: e-mail, username, name and avatar as sign-up takes them.
//! - [`user`]: the User aggregate (password, one-time tokens, sign-ins);
//!   [`user_commands`], [`user_events`] beside it.
//! - [`api_key`]: the ApiKey aggregate.
//! - [`denial`]: the AccessDenial aggregate, one refused attempt.
//! - [`tokens`]: tokens as held: their keyed hashes only.
//! - [`error`]: why a command was refused.

pub mod api_key;
pub mod denial;
pub mod error;
pub mod profile;
pub mod role;
pub mod tokens;
pub mod user;
pub mod user_commands;
pub mod user_events;

#[cfg(test)]
mod tests;

pub use api_key::{ApiKey, ApiKeyCommand, ApiKeyEvent, KeyName, NewApiKey};
pub use denial::{AccessDenial, Denial, DenialCommand, DenialEvent};
pub use error::AccountError;
pub use profile::{AvatarUrl, Email, FullName, Username};
pub use role::{permissions_allow, Action, Permission, Role};
pub use tokens::{OneTimeToken, Presented, TokenHash};
pub use user::{AccountServices, User};
pub use user_commands::{NewUser, Profile, UserCommand};
pub use user_events::UserEvent;
