//! One node at a time projects into a read store that several share: the
//! one holding the projection's lease. The others publish the stored
//! checkpoint as it moves, so that a read on any node can wait for its
//! client's own write, and try for the lease again and again: when its
//! holder dies, the lease lapses within seconds and another node projects.

use herald_application::ports::lease::{Lease, Leases};
use herald_application::ports::read_store::Generation;
use herald_application::workers::stop_requested;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::watch;
use tracing::{info, warn};

use super::ProjectionRunner;

/// How often a node that does not project publishes the stored checkpoint.
const FOLLOW_EVERY: Duration = Duration::from_millis(100);
/// How many checkpoints it publishes between two tries for the lease.
const FOLLOWS_PER_TRY: u32 = 10;

impl ProjectionRunner {
    pub(super) async fn run_under_lease(
        &self,
        leases: &dyn Leases,
        shutdown: &mut watch::Receiver<bool>,
    ) {
        let name = self.name();
        let Some(key) = self.lease_key(shutdown).await else {
            return;
        };
        while !*shutdown.borrow() {
            match leases.try_acquire(&key).await {
                Ok(Some(lease)) => {
                    info!(projection = name, "this node projects");
                    self.projecting.store(true, Ordering::SeqCst);
                    self.project_while_held(lease, leases.renew_every(), shutdown)
                        .await;
                    self.projecting.store(false, Ordering::SeqCst);
                }
                Ok(None) => self.follow_stored_checkpoint(shutdown).await,
                Err(error) => {
                    warn!(projection = name, %error, "cannot reach the leases; trying again");
                    self.pause(shutdown).await;
                }
            }
        }
    }

    /// The lease is named after the read store, so that nodes sharing a
    /// store share a lease, and nodes with stores of their own (SQLite)
    /// each project their own.
    async fn lease_key(&self, shutdown: &mut watch::Receiver<bool>) -> Option<String> {
        while !*shutdown.borrow() {
            match self.store.store_id().await {
                Ok(store) => return Some(format!("projection.{store}.{}", self.name())),
                Err(error) => {
                    warn!(projection = self.name(), %error, "cannot read the store's identity");
                    self.pause(shutdown).await;
                }
            }
        }
        None
    }

    /// Projects until `shutdown`, then gives the lease up; or until the
    /// lease is lost, when another node has taken over.
    async fn project_while_held(
        &self,
        mut lease: Box<dyn Lease>,
        renew_every: Duration,
        shutdown: &mut watch::Receiver<bool>,
    ) {
        let stopped = {
            let renewing = keep_renewing(&mut lease, renew_every);
            tokio::select! {
                () = self.project_live(shutdown) => true,
                () = renewing => false,
            }
        };
        if stopped {
            lease.release().await;
        } else {
            warn!(
                projection = self.name(),
                "lease lost; another node projects now"
            );
        }
    }

    async fn follow_stored_checkpoint(&self, shutdown: &mut watch::Receiver<bool>) {
        for _ in 0..FOLLOWS_PER_TRY {
            if let Ok(checkpoint) = self.store.checkpoint(self.name(), Generation::Live).await {
                self.publish(Generation::Live, checkpoint);
            }
            tokio::select! {
                () = tokio::time::sleep(FOLLOW_EVERY) => {}
                () = stop_requested(shutdown) => return,
            }
        }
    }

    async fn pause(&self, shutdown: &mut watch::Receiver<bool>) {
        tokio::select! {
            () = tokio::time::sleep(self.retry_delay) => {}
            () = stop_requested(shutdown) => {}
        }
    }
}

/// Renews the lease on time; resolves once it is lost. A renewal that
/// cannot reach the store is tried again at the next turn: if that goes on,
/// the lease lapses, and the next renewal reports it lost.
async fn keep_renewing(lease: &mut Box<dyn Lease>, every: Duration) {
    loop {
        tokio::time::sleep(every).await;
        match lease.renew().await {
            Ok(true) => {}
            Ok(false) => return,
            Err(error) => warn!(%error, "cannot renew the projection lease; trying again"),
        }
    }
}
