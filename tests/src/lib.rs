//! Support for Herald's integration tests: real `nats-server` processes on
//! free ports in temporary folders, a running Herald behind HTTP, and the
//! helpers tests are written with.
//!
//! # Layout
//! - [`nats`]: [`TestNats`], a JetStream server of one test's own.
//! - [`cluster`]: [`cluster::TestNatsCluster`], a three-node JetStream
//!   cluster whose nodes can be killed and started again.
//! - [`app`]: [`spawn_app`] and [`TestApp`], Herald on port 0 with helpers
//!   named after what a user does (`app.create_campaign(..)`).
//! - [`wait`]: [`eventually`], polling for a condition with a deadline.
//! - [`whatsapp`]: connected sessions on the fake Graph API, sending,
//!   reading messages back, and the OpenAPI check of what was sent.
//! - [`proxy`]: [`AckDroppingProxy`], a TCP proxy that loses the answer to
//!   one publish, as a network can.
//! - [`stores`]: the read stores tests run on, SQLite and MongoDB.

pub mod accounts;
pub mod app;
pub mod campaigns;
pub mod cluster;
pub mod nats;
pub mod proxy;
pub mod stores;
pub mod wait;
pub mod whatsapp;

pub use app::{campaign_body, spawn_app, spawn_app_with, spawn_app_with_settings, TestApp};
pub use nats::TestNats;
pub use proxy::AckDroppingProxy;
pub use wait::eventually;
