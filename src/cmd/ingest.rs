//! `newsdesk ingest`: read new and changed archive files into the store.

use std::io::IsTerminal;

use anyhow::Result;

use super::{Globals, report_file_error};
use crate::error::Exit;
use crate::ingest::{self, IngestOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Re-read every file, even those whose size and mtime are unchanged.
    #[arg(long)]
    pub force: bool,
    /// Print the summary as one JSON object.
    #[arg(long)]
    pub json: bool,
}

pub fn execute(args: &Args, g: &Globals) -> Result<Exit> {
    let config = g.load_config()?;
    let mut store = g.open_store(&config)?;
    let report = ingest::ingest(
        &config,
        &mut store,
        g.now,
        &IngestOptions {
            force: args.force,
            progress: !g.quiet && !args.json && std::io::stderr().is_terminal(),
        },
    )?;
    for (file, msg) in &report.outcome.rejected {
        report_file_error(file, msg);
    }
    if args.json {
        println!("{}", serde_json::to_string(&report)?);
    } else if !g.quiet || report.changed() {
        println!("{}", report.summary());
    }
    Ok(if report.outcome.rejected.is_empty() {
        Exit::Ok
    } else {
        Exit::DataErr
    })
}
