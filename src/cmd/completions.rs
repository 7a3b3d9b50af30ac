//! `newsdesk completions SHELL` and `newsdesk man`: shell completion scripts
//! and a roff man page, generated from the same clap definition as the CLI so
//! they never drift from it.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;

use super::Globals;
use crate::cli::Cli;
use crate::error::Exit;

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell to generate completions for.
    pub shell: clap_complete::Shell,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn completions(args: &CompletionsArgs, _g: &Globals) -> Result<Exit> {
    let mut cmd = Cli::command();
    clap_complete::generate(args.shell, &mut cmd, "newsdesk", &mut std::io::stdout());
    Ok(Exit::Ok)
}

pub fn man(_args: &ManArgs, _g: &Globals) -> Result<Exit> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut buf)?;
    std::io::stdout().write_all(&buf)?;
    Ok(Exit::Ok)
}
