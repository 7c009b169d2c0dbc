//! `herald-bench`: Herald's benchmarks, which `herald bench` runs.

use clap::{Parser, Subcommand};
use herald_api::Settings;
use herald_bench::BenchArgs;
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// The same allocator as `herald`, so that in-process figures are the
/// service's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "herald bench",
    bin_name = "herald bench",
    version,
    about = "Measure Herald against servers it starts itself, and print the figures",
    args_conflicts_with_subcommands = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    args: BenchArgs,
}

#[derive(Subcommand)]
enum Command {
    /// The Graph API stand-in `--suite campaigns` runs as a process of its own.
    #[command(hide = true)]
    GraphStandIn {
        #[arg(long)]
        listen: String,
        #[arg(long)]
        webhook: String,
        #[arg(long)]
        app_secret: String,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    herald_infrastructure::tls::install_crypto_provider();
    tracing_subscriber::fmt()
        .with_env_filter(EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let outcome = match cli.command {
        Some(Command::GraphStandIn {
            listen,
            webhook,
            app_secret,
        }) => match tokio::net::TcpListener::bind(&listen).await {
            Ok(listener) => {
                herald_bench::graph_stand_in::serve(listener, webhook, app_secret).await
            }
            Err(error) => Err(error.into()),
        },
        None => match Settings::from_env() {
            Ok(settings) => herald_bench::run(&settings, &cli.args).await,
            Err(error) => Err(error.into()),
        },
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald bench: {error:#}");
            ExitCode::FAILURE
        }
    }
}
