//! `herald projections status` and `herald projections rebuild NAME`.

use herald_application::progress::ProjectionPositions;
use tokio::sync::watch;

use crate::settings::Settings;
use crate::system::{projection_runners, Backends};

/// Prints each projection's checkpoint, the log's head and the lag.
///
/// # Errors
/// When the log or the read store cannot be reached.
pub async fn status(settings: &Settings) -> anyhow::Result<()> {
    let backends = Backends::open_for_operator(settings).await?;
    let runners = projection_runners(&backends, &ProjectionPositions::default(), None);
    println!(
        "{:<20} {:>12} {:>12} {:>8}",
        "projection", "checkpoint", "head", "lag"
    );
    let mut result = Ok(());
    for runner in &runners {
        match runner.status().await {
            Ok(s) => println!(
                "{:<20} {:>12} {:>12} {:>8}",
                s.name, s.checkpoint, s.head, s.lag
            ),
            Err(error) => result = Err(anyhow::anyhow!("{}: {error}", runner.name())),
        }
    }
    backends.close().await;
    result
}

/// Rebuilds one projection from position 0 into a new generation and
/// switches to it once it has caught up. Serving nodes keep answering from
/// the old generation meanwhile.
///
/// # Errors
/// When no projection has that name, or the rebuild fails.
pub async fn rebuild(settings: &Settings, name: &str) -> anyhow::Result<()> {
    let backends = Backends::open_for_operator(settings).await?;
    let runners = projection_runners(&backends, &ProjectionPositions::default(), None);
    let Some(runner) = runners.iter().find(|r| r.name() == name) else {
        let known: Vec<&str> = runners.iter().map(|r| r.name()).collect();
        backends.close().await;
        anyhow::bail!("no projection {name:?}; there are: {}", known.join(", "));
    };
    let (_keep, stop) = watch::channel(false);
    let started = std::time::Instant::now();
    let rebuilt = runner.rebuild(stop).await;
    backends.close().await;
    let checkpoint = rebuilt?;
    println!(
        "rebuilt {name} up to position {checkpoint} in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
