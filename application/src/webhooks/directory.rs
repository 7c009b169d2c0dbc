//! Finding a webhook's session: the `sessions` read model maps the phone
//! number id to the connected session that holds it, and the session
//! itself, loaded from the event log, confirms it is still connected and
//! holds the sealed app secret.

use async_trait::async_trait;
use herald_domain::session::{GraphId, Session, SessionServices, SessionStatus};
use herald_domain::Clock;
use std::sync::Arc;

use super::intake::{IntakeError, RoutedSession, SessionDirectory};
use crate::commands::CommandExecutor;
use crate::ports::event_store::TenantEventStores;
use crate::sessions::{SessionQueries, SessionRoute};

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

impl<S: TenantEventStores<Session>> ReadModelDirectory<S> {
    /// The route, once the session itself confirms it: the read model may
    /// lag behind a disconnect, a credentials change or a delete, and the
    /// session in the event log has the last word.
    async fn confirmed(&self, route: SessionRoute) -> Result<Option<RoutedSession>, IntakeError> {
        let session = self
            .sessions
            .load(&route.tenant, route.session_id.as_str())
            .await
            .map_err(unavailable)?;
        if session.status() != Some(SessionStatus::Connected) {
            return Ok(None);
        }
        let Some(channel) = session
            .channel()
            .filter(|c| c.phone_number_id == route.phone_number_id)
        else {
            return Ok(None);
        };
        Ok(Some(RoutedSession {
            phone_number_id: route.phone_number_id.as_str().to_owned(),
            app_secret: channel.secrets.app_secret.clone(),
            tenant: route.tenant,
            session_id: route.session_id,
        }))
    }
}

#[async_trait]
impl<S: TenantEventStores<Session>> SessionDirectory for ReadModelDirectory<S> {
    async fn numbers_of_accounts(&self, waba_ids: &[String]) -> Result<Vec<String>, IntakeError> {
        let ids: Vec<GraphId> = waba_ids
            .iter()
            .filter_map(|id| GraphId::parse(id).ok())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        self.queries
            .connected_numbers_of_accounts(&ids)
            .await
            .map_err(unavailable)
    }

    /// Each id goes to the session that connected it first and is still
    /// connected. Two can hold one id only if both proved it with the Graph
    /// API in the same moment; the later one then gets no webhooks.
    async fn routes(&self, phone_number_ids: &[String]) -> Result<Vec<RoutedSession>, IntakeError> {
        let ids: Vec<GraphId> = phone_number_ids
            .iter()
            .filter_map(|id| GraphId::parse(id).ok())
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let found = self
            .queries
            .connected_routes(&ids)
            .await
            .map_err(unavailable)?;
        let mut routed: Vec<RoutedSession> = Vec::new();
        for route in found {
            let id = route.phone_number_id.as_str();
            if routed.iter().any(|r| r.phone_number_id == id) {
                continue;
            }
            if let Some(session) = self.confirmed(route).await? {
                routed.push(session);
            }
        }
        Ok(routed)
    }

    async fn verify_token_known(&self, fingerprints: Vec<String>) -> Result<bool, IntakeError> {
        self.queries
            .verify_token_known(fingerprints)
            .await
            .map_err(unavailable)
    }
}
