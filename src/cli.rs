//! Command-line definition and dispatch. Each subcommand's arguments and
//! behaviour live in `cmd/<name>.rs`; this file only wires them together,
//! sets up logging and turns the outcome into an exit code.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::cmd::{self, Globals};
use crate::error::exit_for;

pub const EXIT_CODES: &str = "\
Exit codes:
  0   success (also: nothing to do)
  65  some input file was rejected (the others were processed)
  66  an input path is missing
  69  a service (SMTP server) is unavailable or refused us
  73  output could not be written
  75  temporary failure (another run holds the lock, mail deferred, send interrupted); retry later
  78  configuration error; nothing was done
  1   any other error
  2   bad command-line arguments (usage error)
When several happen in one run, the most serious wins (1 > 78 > 73 > 66 > 69 > 75 > 65).";

#[derive(Debug, Parser)]
#[command(
    name = "newsdesk",
    version,
    about = "Turns a journalism archive into RSS, Atom and JSON feeds and themed email digests.",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    /// Configuration file; relative paths in it resolve against its directory.
    #[arg(
        long,
        global = true,
        env = "NEWSDESK_CONFIG",
        default_value = "newsdesk.toml"
    )]
    pub config: PathBuf,
    /// Print nothing on stdout unless something changed or went wrong.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// More log detail on stderr (-v info, -vv debug); NEWSDESK_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse archive files and show what newsdesk reads, without storing anything.
    Inspect(cmd::inspect::Args),
    /// Read new and changed archive files into the store.
    Ingest(cmd::ingest::Args),
    /// Write the RSS, Atom and JSON feeds (all articles and per theme), OPML and index page.
    Feeds(cmd::feeds::Args),
    /// Create the next digest edition (or --preview one) and refresh web copies.
    Digest(cmd::digest::Args),
    /// Add, remove, list and import digest subscribers.
    Subscribers(cmd::subscribers::Args),
    /// Create a new site: a commented newsdesk.toml and an example article.
    Init(cmd::init::Args),
    /// Do the whole job for cron: ingest, classify, feeds, digest when due, send.
    Run(cmd::run::Args),
    /// Serve one-click unsubscribe and theme preferences (--preview: feeds too).
    Serve(cmd::serve::Args),
    /// Classify stored articles into themes and list them; --explain shows why.
    Themes(cmd::themes::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(cmd::completions::CompletionsArgs),
    /// Print the man page (roff) on stdout.
    Man(cmd::completions::ManArgs),
}

pub fn main() -> ExitCode {
    quiet_on_closed_stdout();
    let cli = Cli::parse();
    init_logging(cli.quiet, cli.verbose);
    let globals = Globals::new(cli.config.clone(), cli.quiet, cli.verbose);
    let result = match &cli.command {
        Command::Inspect(a) => cmd::inspect::execute(a, &globals),
        Command::Ingest(a) => cmd::ingest::execute(a, &globals),
        Command::Feeds(a) => cmd::feeds::execute(a, &globals),
        Command::Digest(a) => cmd::digest::execute(a, &globals),
        Command::Subscribers(a) => cmd::subscribers::execute(a, &globals),
        Command::Init(a) => cmd::init::execute(a, &globals),
        Command::Run(a) => cmd::run::execute(a, &globals),
        Command::Serve(a) => cmd::serve::execute(a, &globals),
        Command::Themes(a) => cmd::themes::execute(a, &globals),
        Command::Completions(a) => cmd::completions::completions(a, &globals),
        Command::Man(a) => cmd::completions::man(a, &globals),
    };
    match result {
        Ok(code) => code.into(),
        Err(err) => {
            eprintln!("newsdesk: error: {err:#}");
            exit_for(&err).into()
        }
    }
}

/// A reader that stops early (`newsdesk inspect --json … | head`) closes our
/// stdout; the next print then fails with EPIPE, which Rust's print macros
/// turn into a panic and a backtrace. That is the reader's choice, not a bug:
/// stop at once, quietly, with "output could not be written" (73).
fn quiet_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let msg = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if msg.starts_with("failed printing to stdout") && msg.contains("Broken pipe") {
            std::process::exit(crate::error::Exit::CantCreate.code().into());
        }
        default(info)
    }));
}

fn init_logging(quiet: bool, verbose: u8) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    // Libraries log at their own judgement: html5ever warns "foster parenting
    // not implemented" for every misnested table on a page, which would reach
    // cron's mail with no file named. Their warnings show from -v on.
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (_, 0) => "error,newsdesk=warn",
        (_, 1) => "warn,newsdesk=info",
        _ => "debug",
    };
    let filter =
        EnvFilter::try_from_env("NEWSDESK_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour codes only for a person at a terminal, not in cron mail or
        // a log file.
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .without_time()
        .try_init();
}
