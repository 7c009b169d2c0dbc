//! Herald's domain: the aggregates, their commands and events, and the value
//! objects they are made of.
//!
//! Everything here is pure. An aggregate decides which events a command
//! produces from its own state and from [`Clock`], the one service it may ask;
//! recording the events and reading them back is the job of an event store
//! outside this crate.
//!
//! # Layout
//! - [`value`]: the error a value object gives when input is not valid, and
//!   [`FieldError`], which names the field it came from.
//! - [`ids`]: identifiers that are safe as NATS subject tokens ([`TenantId`],
//!   [`SessionId`]).
//! - [`phone`]: [`PhoneNumber`], always E.164.
//! - [`clock`]: [`Clock`], how aggregates learn the time.
//! - [`account`]: the User and ApiKey aggregates, and the table of who
//!   may do what.
//! - [`subscription`]: the Subscription aggregate, a tenant's plan, its
//!   payments and what it holds against the plan's limits.
//! - [`secret`]: [`secret::SealedSecret`], a secret as the vault sealed it.
//! - [`campaign`]: the Campaign aggregate.
//! - [`session`]: the Session aggregate, a tenant's WhatsApp number.
//! - [`conversation`]: the Conversation aggregate, a thread with a contact
//!   and its 24-hour service window.
//! - [`message`]: the Message aggregate, one outbound message;
//!   [`message::content`] is what one says (text, media, template or
//!   interactive), within the Cloud API's limits.
//! - [`webhook`]: the Webhook aggregate, one notification from Meta as received.
//!
//! # Dependencies
//! cqrs-es, serde, uuid, chrono (with chrono-tz, the time-zone database as
//! data), thiserror, phonenumber and email_address. No runtime, no I/O, no network crates.

pub mod account;
pub mod campaign;
pub mod clock;
pub mod conversation;
pub mod ids;
pub mod message;
pub mod phone;
pub mod secret;
pub mod session;
pub mod subscription;
pub mod value;
pub mod webhook;

pub use clock::Clock;
pub use ids::{SessionId, TenantId};
pub use phone::PhoneNumber;
pub use value::{FieldError, ValueError};
