//! Finding a webhook's session: the `sessions` read model maps the phone
//! number id to a tenant and session, and the session itself, loaded from
//! the event log, holds the sealed app secret.

use async_trait::async_trait;
use herald_domain::session::{Session, SessionServices};
use herald_domain::{session::GraphId, Clock};
use std::sync::Arc;

use super::intake::{IntakeError, RoutedSession, SessionDirectory};
use crate::commands::CommandExecutor;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::SessionQueries;

pub struct ReadModelDirectory<S> {
    queries: Arc<SessionQueries>,
    sessions: CommandExecutor<Session, S>,
}

impl<S: TenantEventStores<Session>> ReadModelDirectory<S> {
    pub fn new(queries: Arc<SessionQueries>, stores: S, clock: Arc<dyn Clock>) -> Self {
        Self {
            queries,
            sessions: CommandExecutor::new(stores, SessionServices::new(clock)),
        }
    }
}

fn unavailable(error: impl std::fmt::Display) -> IntakeError {
    IntakeError::Unavailable(error.to_string())
}

#[async_trait]
impl<S: TenantEventStores<Session>> SessionDirectory for ReadModelDirectory<S> {
    async fn route(&self, phone_number_id: &str) -> Result<Option<RoutedSession>, IntakeError> {
        let Ok(id) = GraphId::parse(phone_number_id) else {
            return Ok(None);
        };
        let routes = self.queries.routes(&id).await.map_err(unavailable)?;
        let Some(route) = routes.into_iter().next() else {
            return Ok(None);
        };
        let session = self
            .sessions
            .load(&route.tenant, route.session_id.as_str())
            .await
            .map_err(unavailable)?;
        // The read model may lag behind a credentials change or a delete:
        // the session itself has the last word.
        let Some(channel) = session.channel().filter(|c| c.phone_number_id == id) else {
            return Ok(None);
        };
        Ok(Some(RoutedSession {
            app_secret: channel.secrets.app_secret.clone(),
            tenant: route.tenant,
            session_id: route.session_id,
        }))
    }

    async fn verify_token_known(&self, fingerprints: Vec<String>) -> Result<bool, IntakeError> {
        self.queries
            .verify_token_known(fingerprints)
            .await
            .map_err(unavailable)
    }
}
