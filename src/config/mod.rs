//! `newsdesk.toml` → a typed, validated [`Config`].
//!
//! Every section denies unknown keys so a typo is an error, not a silently
//! ignored setting. Relative paths resolve against the config file's directory,
//! so cron can run newsdesk from any working directory.

mod digest;
mod feeds;
mod smtp;
mod themes;

pub use digest::DigestConfig;
pub use feeds::FeedsConfig;
pub use smtp::{DkimConfig as SmtpDkimConfig, Secret, SmtpConfig, SmtpSecurity};
pub use themes::{
    FieldWeights, GroupConfig, TermConfig, ThemeConfig, is_valid_theme_id, validate_themes,
};

use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

use crate::error::Error;

/// The whole configuration, validated, with paths resolved.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub site: SiteConfig,
    #[serde(default)]
    pub archive: ArchiveConfig,
    #[serde(default)]
    pub store: StoreConfig,
    #[serde(default)]
    pub feeds: FeedsConfig,
    #[serde(default)]
    pub themes: Vec<ThemeConfig>,
    #[serde(default)]
    pub digest: DigestConfig,
    pub smtp: Option<SmtpConfig>,
    /// The config file itself (absolute); not a TOML key.
    #[serde(skip)]
    pub path: PathBuf,
    /// The directory relative paths resolve against; not a TOML key.
    #[serde(skip)]
    pub root: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SiteConfig {
    pub title: String,
    /// Absolute http(s) URL of the publication; feed and article URLs hang off it.
    pub base_url: Url,
    #[serde(default = "default_language")]
    pub language: String,
    #[serde(default)]
    pub description: String,
    /// Default author for articles that name none.
    #[serde(default)]
    pub author: String,
}

fn default_language() -> String {
    "en".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArchiveConfig {
    /// Directories scanned for articles, relative to the config file.
    #[serde(default = "default_archive_dirs")]
    pub dirs: Vec<PathBuf>,
    /// Glob patterns (relative to each dir) a file must match to be read.
    #[serde(default = "default_include")]
    pub include: Vec<String>,
    /// Glob patterns of files to skip.
    #[serde(default)]
    pub exclude: Vec<String>,
}

impl Default for ArchiveConfig {
    fn default() -> Self {
        ArchiveConfig {
            dirs: default_archive_dirs(),
            include: default_include(),
            exclude: Vec::new(),
        }
    }
}

fn default_archive_dirs() -> Vec<PathBuf> {
    vec![PathBuf::from("archive")]
}

fn default_include() -> Vec<String> {
    [
        "**/*.txt",
        "**/*.md",
        "**/*.markdown",
        "**/*.html",
        "**/*.htm",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// SQLite database file, relative to the config file.
    #[serde(default = "default_store_path")]
    pub path: PathBuf,
}

impl Default for StoreConfig {
    fn default() -> Self {
        StoreConfig {
            path: default_store_path(),
        }
    }
}

fn default_store_path() -> PathBuf {
    PathBuf::from("newsdesk.db")
}

impl Config {
    /// Reads, parses and validates a config file. Every failure is an
    /// [`Error::Config`] naming the file and, where known, the key.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::Config {
                    path: path.to_path_buf(),
                    message:
                        "config file not found (create one with `newsdesk init`, or pass --config)"
                            .into(),
                }
            } else {
                Error::Config {
                    path: path.to_path_buf(),
                    message: format!("cannot read: {e}"),
                }
            }
        })?;
        Config::from_toml(&text, path)
    }

    /// Parses config text as if read from `path` (used by `load` and tests).
    pub fn from_toml(text: &str, path: &Path) -> Result<Config, Error> {
        let err = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let mut cfg: Config =
            toml::from_str(text).map_err(|e| err(describe_toml_error(&e, text)))?;
        let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        cfg.root = abs.parent().map(Path::to_path_buf).unwrap_or_default();
        cfg.path = abs;
        cfg.validate().map_err(err)?;
        Ok(cfg)
    }

    fn validate(&mut self) -> Result<(), String> {
        let base = &self.site.base_url;
        if !matches!(base.scheme(), "http" | "https") || base.host_str().is_none() {
            return Err(format!(
                "site.base_url: must be an absolute http or https URL, got {base}"
            ));
        }
        // A base URL is a directory: without the trailing slash `join` would
        // drop its last path segment.
        if !base.path().ends_with('/') {
            let p = format!("{}/", base.path());
            self.site.base_url.set_path(&p);
        }
        if self.site.title.trim().is_empty() {
            return Err("site.title: must not be empty".into());
        }
        check_single_line("site.title", &self.site.title)?;
        check_single_line("site.author", &self.site.author)?;
        check_single_line("site.language", &self.site.language)?;
        if self.archive.dirs.is_empty() {
            return Err("archive.dirs: list at least one directory".into());
        }
        for (key, pats) in [
            ("archive.include", &self.archive.include),
            ("archive.exclude", &self.archive.exclude),
        ] {
            for p in pats {
                globset::Glob::new(p).map_err(|e| format!("{key}: bad pattern {p:?}: {e}"))?;
            }
        }
        self.feeds.validate(&self.site.base_url)?;
        themes::validate(&self.themes)?;
        self.digest.validate(&self.site)?;
        if let Some(smtp) = &self.smtp {
            smtp.validate()?;
        }
        Ok(())
    }

    /// Resolves a config-relative path against the config file's directory.
    pub fn resolve(&self, p: &Path) -> PathBuf {
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.root.join(p)
        }
    }

    pub fn store_path(&self) -> PathBuf {
        self.resolve(&self.store.path)
    }

    pub fn archive_dirs(&self) -> Vec<PathBuf> {
        self.archive.dirs.iter().map(|d| self.resolve(d)).collect()
    }
}

/// Config values end up in mail headers and XML: a line break in one is an
/// injection attempt or a mistake, never intended.
pub(crate) fn check_single_line(key: &str, value: &str) -> Result<(), String> {
    if value.chars().any(|c| c.is_control()) {
        return Err(format!(
            "{key}: must be a single line without control characters"
        ));
    }
    Ok(())
}

fn describe_toml_error(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().to_string();
    match e.span() {
        Some(span) => {
            let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
            format!("line {line}: {msg}")
        }
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, Error> {
        Config::from_toml(text, Path::new("/tmp/site/newsdesk.toml"))
    }

    #[test]
    fn minimal_config_gets_defaults_and_resolves_paths() {
        let c = parse("[site]\ntitle = \"T\"\nbase_url = \"https://example.org/news\"\n").unwrap();
        assert_eq!(c.site.base_url.as_str(), "https://example.org/news/");
        assert_eq!(c.store_path(), PathBuf::from("/tmp/site/newsdesk.db"));
        assert_eq!(c.archive_dirs(), vec![PathBuf::from("/tmp/site/archive")]);
        assert_eq!(c.site.language, "en");
    }

    #[test]
    fn unknown_key_is_named_with_its_line() {
        let e = parse("[site]\ntitle = \"T\"\nbase_url = \"https://e.org/\"\nbase_ulr = 1\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("base_ulr"), "{e}");
        assert!(e.contains("line 4"), "{e}");
        assert!(e.contains("newsdesk.toml"), "{e}");
    }

    #[test]
    fn relative_or_non_http_base_url_is_rejected() {
        for bad in ["/news/", "ftp://e.org/", "news"] {
            let text = format!("[site]\ntitle = \"T\"\nbase_url = \"{bad}\"\n");
            assert!(parse(&text).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn newline_in_title_is_rejected() {
        let e = parse("[site]\ntitle = \"T\\nBcc: x@y\"\nbase_url = \"https://e.org/\"\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("site.title"), "{e}");
    }
}
