//! `herald bench` (being written).
use crate::settings::Settings;
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    #[arg(long)]
    pub json: bool,
}
/// # Errors
/// Never yet.
pub async fn run(_settings: &Settings, _args: &BenchArgs) -> anyhow::Result<()> {
    anyhow::bail!("not yet")
}
