//! `herald`: the service and the operator's tools.

use clap::{Parser, Subcommand};
use herald_api::{cli, Settings};
use std::process::ExitCode;
use tracing_subscriber::EnvFilter;

/// mimalloc: the command path allocates a little per command, and with the
/// system allocator that cost is about a sixth of its throughput
/// (`herald bench`, docs/benchmarks.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "herald",
    version,
    about = "Event-sourced WhatsApp business messaging: campaigns, sessions, inbox"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP API and the projections (configured by HERALD_* variables).
    Serve,
    /// Print an aggregate's events, oldest first, from the event log.
    History {
        /// The aggregate type, as `campaign`.
        aggregate_type: String,
        id: String,
        /// Only this tenant's aggregate (by default, whichever tenant has the id).
        #[arg(long)]
        tenant: Option<String>,
        /// One JSON object per event.
        #[arg(long)]
        json: bool,
    },
    /// Create a tenant's first admin, or issue an API key.
    Accounts {
        #[command(subcommand)]
        command: AccountsCommand,
    },
    /// Set a tenant's plan, or limits agreed apart from the tiers.
    Subscriptions {
        #[command(subcommand)]
        command: SubscriptionsCommand,
    },
    /// Inspect or rebuild projections.
    Projections {
        #[command(subcommand)]
        command: ProjectionsCommand,
    },
    /// Measure Herald against servers it starts (runs `herald-bench`, built
    /// beside this binary; `herald bench --help` lists its options).
    #[command(disable_help_flag = true)]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand)]
enum AccountsCommand {
    /// Create a tenant and its first user, an admin. The password is read
    /// from HERALD_ADMIN_PASSWORD, or else from the first line of stdin.
    CreateAdmin {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        #[arg(long)]
        username: String,
        #[arg(long)]
        full_name: Option<String>,
    },
    /// Issue an API key for a tenant and print it (once).
    IssueKey {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: read, write, admin.
        #[arg(long, default_value = "read,write")]
        permissions: String,
        /// Days until it expires; by default it does not.
        #[arg(long)]
        days: Option<u32>,
    },
}

#[derive(Subcommand)]
enum SubscriptionsCommand {
    /// Put a tenant on a tier (free, pro, business), for some days or open-ended.
    SetPlan {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        tier: String,
        #[arg(long)]
        days: Option<u32>,
    },
    /// Limits agreed for a tenant apart from its tier; figures not given
    /// stay as the tier has them.
    SetLimits {
        #[arg(long)]
        tenant: String,
        /// No limit on anything.
        #[arg(long)]
        unlimited: bool,
        #[arg(long)]
        sessions: Option<u32>,
        #[arg(long)]
        messages_per_day: Option<u32>,
        #[arg(long)]
        campaigns_per_month: Option<u32>,
        #[arg(long)]
        chatbots: Option<u32>,
        /// Back to the tier's own limits.
        #[arg(long)]
        clear: bool,
    },
}

#[derive(Subcommand)]
enum ProjectionsCommand {
    /// Each projection's checkpoint, the event log's head, and the lag.
    Status,
    /// Rebuild a projection from position 0 and switch to it when caught up.
    Rebuild { name: String },
}

#[tokio::main]
async fn main() -> ExitCode {
    herald_infrastructure::tls::install_crypto_provider();
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("herald: {error}");
            return ExitCode::from(2);
        }
    };
    init_logs(&settings, matches!(cli.command, Command::Serve));
    let outcome = match cli.command {
        Command::Serve => cli::serve::serve(&settings).await,
        Command::History {
            aggregate_type,
            id,
            tenant,
            json,
        } => cli::history::history(&settings, &aggregate_type, &id, tenant.as_deref(), json).await,
        Command::Accounts {
            command:
                AccountsCommand::CreateAdmin {
                    tenant,
                    email,
                    username,
                    full_name,
                },
        } => {
            cli::accounts::create_admin(&settings, &tenant, &email, &username, full_name.as_deref())
                .await
        }
        Command::Accounts {
            command:
                AccountsCommand::IssueKey {
                    tenant,
                    name,
                    permissions,
                    days,
                },
        } => cli::accounts::issue_key(&settings, &tenant, &name, &permissions, days).await,
        Command::Subscriptions {
            command: SubscriptionsCommand::SetPlan { tenant, tier, days },
        } => cli::subscriptions::set_plan(&settings, &tenant, &tier, days).await,
        Command::Subscriptions {
            command:
                SubscriptionsCommand::SetLimits {
                    tenant,
                    unlimited,
                    sessions,
                    messages_per_day,
                    campaigns_per_month,
                    chatbots,
                    clear,
                },
        } => {
            let agreed = cli::subscriptions::AgreedLimits {
                unlimited,
                sessions,
                messages_per_day,
                campaigns_per_month,
                chatbots,
                clear,
            };
            cli::subscriptions::set_limits(&settings, &tenant, agreed).await
        }
        Command::Projections {
            command: ProjectionsCommand::Status,
        } => cli::projections::status(&settings).await,
        Command::Projections {
            command: ProjectionsCommand::Rebuild { name },
        } => cli::projections::rebuild(&settings, &name).await,
        Command::Bench { args } => cli::bench::run(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("herald: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs go to stderr, so a verb's output on stdout stays clean. `serve`
/// logs at info by default, the other verbs only warnings; `RUST_LOG`
/// overrides both.
fn init_logs(settings: &Settings, serving: bool) {
    let default = if serving {
        "info,async_nats=warn"
    } else {
        "warn"
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if settings.json_logs {
        builder.json().init();
    } else {
        builder.init();
    }
}
