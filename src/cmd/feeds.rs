//! `newsdesk feeds`: write every feed from the store (also a step of `run`).

use std::time::Duration;

use anyhow::Result;

use super::Globals;
use crate::error::Exit;
use crate::lock::RunLock;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Rebuild even if nothing changed since the last run (unchanged files
    /// are still left untouched).
    #[arg(long)]
    pub force: bool,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let _lock = RunLock::acquire(&RunLock::path_for(&config.store_path()), Duration::ZERO)?;
    let store = g.open_store(&config)?;
    let report = crate::feeds::write_all_with(&config, &store, g.now, args.force)?;
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else if !g.quiet || report.changed() {
        println!("{}", report.summary());
    }
    Ok(Exit::Ok)
}
