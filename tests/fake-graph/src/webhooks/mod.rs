//! The webhook emitter: status schedules after sends, inbound messages and
//! template status updates, posted to the receiver under test.
//!
//! - [`schedule`]: what to post, as data.
//! - [`payload`]: the JSON Meta posts.
//! - [`inbound`]: inbound message builders.
//! - [`emitter`]: signing, redelivery and the GET handshake.

pub mod emitter;
pub mod inbound;
pub mod payload;
pub mod schedule;

use std::time::Duration;

use bytes::Bytes;
use serde_json::{json, Value};

pub use inbound::{InboundContent, InboundMessage, MediaKind};
pub use schedule::{Layout, Post, StatusKind, StatusSchedule};

use crate::state::Shared;
use crate::FakeGraphError;

/// A schedule turned into bytes, ready to post.
#[derive(Debug)]
pub struct PreparedPosts {
    app_secret: String,
    posts: Vec<(Bytes, u32)>,
    concurrent: bool,
    step_delay: Duration,
}

impl PreparedPosts {
    /// Builds every body of `schedule` for the accepted message `wamid`.
    ///
    /// # Errors
    /// When `wamid` was never accepted or its number is gone.
    pub fn build(
        shared: &Shared,
        wamid: &str,
        schedule: &StatusSchedule,
    ) -> Result<Self, FakeGraphError> {
        let state = shared.lock();
        let message = state
            .sent_message(wamid)
            .ok_or_else(|| FakeGraphError::UnknownMessage(wamid.to_owned()))?;
        let number = state
            .number(&message.phone_number_id)
            .ok_or_else(|| FakeGraphError::UnknownNumber(message.phone_number_id.clone()))?;
        let version = state.config.webhooks.version;
        let echo = state.config.webhooks.echo_callback_data;
        let now = shared.clock.unix_secs();
        let posts = schedule
            .posts
            .iter()
            .map(|post| {
                let statuses = post
                    .statuses
                    .iter()
                    .map(|kind| payload::status_object(message, *kind, now, version))
                    .map(|mut status| {
                        if !echo {
                            status
                                .as_object_mut()
                                .map(|s| s.remove("biz_opaque_callback_data"));
                        }
                        status
                    })
                    .collect();
                (
                    to_bytes(&payload::statuses_body(number, statuses, post.layout)),
                    post.copies.max(1),
                )
            })
            .collect();
        Ok(Self {
            app_secret: number.app_secret.clone(),
            posts,
            concurrent: schedule.concurrent,
            step_delay: state.config.webhooks.step_delay,
        })
    }

    /// Splits off the first post, to deliver it before the send is answered (15g).
    pub fn take_first(&mut self) -> Option<PreparedPosts> {
        if self.posts.is_empty() {
            return None;
        }
        let first = self.posts.remove(0);
        Some(Self {
            app_secret: self.app_secret.clone(),
            posts: vec![first],
            concurrent: false,
            ..*self
        })
    }

    /// Posts everything, one after the other or all at once.
    ///
    /// # Errors
    /// When no webhook callback is set.
    pub async fn deliver(self, shared: &Shared) -> Result<(), FakeGraphError> {
        if self.concurrent {
            let copies = self
                .posts
                .iter()
                .flat_map(|(raw, copies)| (0..*copies).map(move |_| raw.clone()));
            let sends = copies.map(|raw| emitter::deliver(shared, &self.app_secret, raw));
            return futures::future::join_all(sends)
                .await
                .into_iter()
                .try_for_each(|r| r.map(drop));
        }
        for (raw, copies) in &self.posts {
            for _ in 0..*copies {
                emitter::deliver(shared, &self.app_secret, raw.clone()).await?;
                tokio::time::sleep(self.step_delay).await;
            }
        }
        Ok(())
    }
}

/// Posts an inbound message and opens the 24-hour window for its sender.
///
/// # Errors
/// When the number is unknown or no webhook callback is set.
pub async fn emit_inbound(
    shared: &Shared,
    phone_number_id: &str,
    message: &InboundMessage,
) -> Result<String, FakeGraphError> {
    let (secret, wamid, raw) = {
        let mut state = shared.lock();
        let number = state
            .number(phone_number_id)
            .cloned()
            .ok_or_else(|| FakeGraphError::UnknownNumber(phone_number_id.to_owned()))?;
        let media = match &message.content {
            InboundContent::Media { media_id, .. } => state.media.describe(media_id),
            _ => None,
        };
        let wamid = message.id.clone().unwrap_or_else(|| shared.new_wamid());
        let item = message.to_json(
            &wamid,
            shared.clock.unix_secs(),
            &number.display_phone_number,
            media,
        );
        let mut extra = json!({ "messages": [item] });
        if message.has_contacts_block() {
            extra["contacts"] =
                json!([{ "profile": { "name": message.profile_name }, "wa_id": message.from }]);
        }
        let body = payload::envelope(vec![payload::entry(
            &number,
            vec![payload::messages_change(&number, extra)],
        )]);
        let key = (phone_number_id.to_owned(), message.from.clone());
        state.last_inbound.insert(key, shared.clock.now());
        (number.app_secret, wamid, to_bytes(&body))
    };
    emitter::deliver(shared, &secret, raw).await?;
    Ok(wamid)
}

/// Serializes a body once, so duplicates are byte-identical.
pub fn to_bytes(body: &Value) -> Bytes {
    Bytes::from(serde_json::to_vec(body).unwrap_or_default())
}
