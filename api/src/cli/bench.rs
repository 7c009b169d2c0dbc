//! `herald bench`: runs the `herald-bench` binary built beside this one,
//! with the same arguments. The benchmark is a tool of its own crate
//! (`bench/`), so the service links none of its code.

use anyhow::Context;
use std::process::Command;

/// # Errors
/// When `herald-bench` is not beside this binary, cannot run, or fails.
pub fn run(args: &[String]) -> anyhow::Result<()> {
    let me = std::env::current_exe().context("this binary's path")?;
    let bench = me.with_file_name("herald-bench");
    anyhow::ensure!(
        bench.exists(),
        "{} not found: build it with cargo build --release --workspace",
        bench.display()
    );
    let status = Command::new(&bench)
        .args(args)
        .status()
        .with_context(|| format!("running {}", bench.display()))?;
    anyhow::ensure!(status.success(), "herald-bench {status}");
    Ok(())
}
