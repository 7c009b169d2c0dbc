//! `herald serve`.

use anyhow::Context;
use tracing::info;

use crate::settings::Settings;
use crate::system::Herald;

/// Serves until SIGINT or SIGTERM, then stops cleanly: in-flight requests
/// finish, projections stop, a local `nats-server` shuts down.
///
/// # Errors
/// When Herald cannot start or the address cannot be bound.
pub async fn serve(settings: &Settings) -> anyhow::Result<()> {
    // Bound first: a taken address stops Herald before it starts anything.
    let listener = crate::http::server::listen(settings.http_addr).with_context(|| {
        format!(
            "cannot listen on {} (set HERALD_HTTP_ADDR)",
            settings.http_addr
        )
    })?;
    let herald = Herald::start(settings).await?;
    let limits = herald.server_limits();
    info!(
        address = %listener.local_addr()?,
        data = %settings.data_dir.display(),
        max_connections = limits.max_connections,
        "Herald is listening"
    );
    herald.serve(listener, stop_signal()).await;
    herald.stop().await;
    Ok(())
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
