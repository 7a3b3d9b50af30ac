//! One module per subcommand: its clap `Args` and an `execute` that returns the
//! exit code. Shared plumbing (config loading, the store, "now") lives here.

pub mod completions;
pub mod digest;
pub mod feeds;
pub mod ingest;
pub mod init;
pub mod inspect;
pub mod run;
pub mod send;
pub mod serve;
pub mod subscribers;
pub mod themes;

use std::path::PathBuf;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::store::Store;

/// Options every subcommand sees.
#[derive(Debug, Clone)]
pub struct Globals {
    pub config_path: PathBuf,
    pub quiet: bool,
    pub verbose: u8,
    /// "Now" for this run, read once at the edge (DESIGN.md: time is explicit).
    /// `NEWSDESK_NOW` (RFC 3339) fixes it, for tests and reproducible builds.
    pub now: DateTime<Utc>,
}

impl Globals {
    pub fn new(config_path: PathBuf, quiet: bool, verbose: u8) -> Globals {
        let now = std::env::var("NEWSDESK_NOW")
            .ok()
            .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        Globals {
            config_path,
            quiet,
            verbose,
            now,
        }
    }

    /// Loads the config. A config without `[[themes]]` gets the built-in
    /// default themes, so classification, feeds and digests agree on one list.
    pub fn load_config(&self) -> Result<Config> {
        let mut config = Config::load(&self.config_path)?;
        if config.themes.is_empty() {
            config.themes = crate::themes::default_themes();
        }
        Ok(config)
    }

    /// The config if the config file exists (commands like `inspect` work
    /// without one); an existing but broken config is still an error.
    pub fn load_config_if_present(&self) -> Result<Option<Config>> {
        if self.config_path.exists() {
            Ok(Some(self.load_config()?))
        } else {
            Ok(None)
        }
    }

    pub fn open_store(&self, config: &Config) -> Result<Store> {
        Store::open(&config.store_path())
    }
}

/// Prints a per-file problem the way every command does: one line on stderr
/// naming the file, so cron mail and terminals both show where to look.
pub fn report_file_error(file: &str, message: &str) {
    eprintln!("newsdesk: {file}: {message}");
}
