//! `herald serve`.

use anyhow::Context;
use std::net::SocketAddr;
use tracing::info;

use crate::settings::Settings;
use crate::system::Herald;

/// Serves until SIGINT or SIGTERM, then stops cleanly: in-flight requests
/// finish, projections stop, a local `nats-server` shuts down.
///
/// # Errors
/// When Herald cannot start or the address cannot be bound.
pub async fn serve(settings: &Settings) -> anyhow::Result<()> {
    let herald = Herald::start(settings).await?;
    let listener = tokio::net::TcpListener::bind(settings.http_addr)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} (set HERALD_HTTP_ADDR)",
                settings.http_addr
            )
        })?;
    info!(address = %listener.local_addr()?, data = %settings.data_dir.display(), "Herald is listening");
    let app = herald
        .router()
        .into_make_service_with_connect_info::<SocketAddr>();
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(stop_signal())
        .await;
    herald.stop().await;
    served.context("the HTTP server failed")
}

async fn stop_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => return std::future::pending().await,
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = interrupt.await;
    info!("stopping");
}
