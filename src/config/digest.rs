//! `[digest]`: what editions look like and who they come from.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// Web copies of editions, relative to the config file.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
}

impl Default for DigestConfig {
    fn default() -> Self {
        DigestConfig { dir: default_dir() }
    }
}

fn default_dir() -> PathBuf {
    PathBuf::from("digests")
}

impl DigestConfig {
    pub(super) fn validate(&mut self) -> Result<(), String> {
        Ok(())
    }
}
