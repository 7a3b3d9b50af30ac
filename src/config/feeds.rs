//! `[feeds]`: where feeds are written and how they are published.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedsConfig {
    /// Output directory, relative to the config file.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
    /// Public URL of `dir` (e.g. a CDN); defaults to `site.base_url` + `feeds/`.
    pub base_url: Option<Url>,
    /// Items in each latest feed; older items go to archive pages.
    #[serde(default = "default_max_items")]
    pub max_items: usize,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig {
            dir: default_dir(),
            base_url: None,
            max_items: default_max_items(),
        }
    }
}

fn default_dir() -> PathBuf {
    PathBuf::from("feeds")
}

fn default_max_items() -> usize {
    50
}

impl FeedsConfig {
    pub(super) fn validate(&mut self) -> Result<(), String> {
        if self.max_items == 0 {
            return Err("feeds.max_items: must be at least 1".into());
        }
        if let Some(u) = &mut self.base_url {
            if !matches!(u.scheme(), "http" | "https") {
                return Err(format!(
                    "feeds.base_url: must be an absolute http or https URL, got {u}"
                ));
            }
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
        }
        Ok(())
    }
}
