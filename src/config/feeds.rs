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
    /// Items in each latest feed; older items go to Atom archive pages of the
    /// same size.
    #[serde(default = "default_max_items")]
    pub max_items: usize,
    /// Where an article that states no URL of its own is linked: a path
    /// relative to `site.base_url` (or an absolute URL) containing `{id}`,
    /// which is replaced by the percent-encoded article id.
    #[serde(default = "default_article_url")]
    pub article_url: String,
    /// The RFC 4151 tagging entity of entry ids, `host,YYYY-MM-DD` (e.g.
    /// `news.example.org,2026-01-01`). Unset, newsdesk fixes one on its first
    /// feeds run (site host, that day) and keeps it in the store; pin it here
    /// so ids survive a rebuilt store or a moved site.
    pub tag_authority: Option<String>,
}

impl Default for FeedsConfig {
    fn default() -> Self {
        FeedsConfig {
            dir: default_dir(),
            base_url: None,
            max_items: default_max_items(),
            article_url: default_article_url(),
            tag_authority: None,
        }
    }
}

fn default_dir() -> PathBuf {
    PathBuf::from("feeds")
}

fn default_max_items() -> usize {
    50
}

fn default_article_url() -> String {
    "articles/{id}/".into()
}

/// `host,YYYY`, `host,YYYY-MM` or `host,YYYY-MM-DD` (RFC 4151 taggingEntity
/// with a DNS name or an email address as the authority).
pub fn is_valid_tag_authority(s: &str) -> bool {
    let Some((host, date)) = s.split_once(',') else {
        return false;
    };
    let host_ok = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'@' | b'_'))
        && !host.starts_with(['.', '-', '@'])
        && !host.ends_with(['.', '-', '@']);
    let date_ok = match date.len() {
        4 => date.bytes().all(|b| b.is_ascii_digit()),
        7 => chrono::NaiveDate::parse_from_str(&format!("{date}-01"), "%Y-%m-%d").is_ok(),
        10 => chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d").is_ok(),
        _ => false,
    };
    host_ok && date_ok
}

impl FeedsConfig {
    pub(super) fn validate(&mut self, site_base: &Url) -> Result<(), String> {
        if self.max_items == 0 {
            return Err("feeds.max_items: must be at least 1".into());
        }
        if self.max_items > 10_000 {
            return Err("feeds.max_items: at most 10000 (older items go to archive pages)".into());
        }
        if let Some(u) = &mut self.base_url {
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                return Err(format!(
                    "feeds.base_url: must be an absolute http or https URL, got {u}"
                ));
            }
            if !u.path().ends_with('/') {
                let p = format!("{}/", u.path());
                u.set_path(&p);
            }
        }
        if !self.article_url.contains("{id}") {
            return Err(format!(
                "feeds.article_url: must contain {{id}}, got {:?}",
                self.article_url
            ));
        }
        match site_base.join(&self.article_url.replace("{id}", "x")) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some() => {}
            _ => {
                return Err(format!(
                    "feeds.article_url: {:?} does not make an http(s) URL",
                    self.article_url
                ));
            }
        }
        if let Some(t) = &self.tag_authority
            && !is_valid_tag_authority(t)
        {
            return Err(format!(
                "feeds.tag_authority: expected host,YYYY-MM-DD (e.g. news.example.org,2026-01-01), got {t:?}"
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_authorities_are_checked() {
        assert!(is_valid_tag_authority("news.example.org,2026-01-01"));
        assert!(is_valid_tag_authority("example.org,2026"));
        assert!(is_valid_tag_authority("me@example.org,2026-02"));
        for bad in [
            "example.org",
            "example.org,2026-13-01",
            "exa mple.org,2026",
            ",2026",
            "a/b,2026",
            "example.org,26",
        ] {
            assert!(!is_valid_tag_authority(bad), "{bad} accepted");
        }
    }

    #[test]
    fn article_url_needs_the_id_and_an_http_result() {
        let base = Url::parse("https://e.org/").unwrap();
        let mut c = FeedsConfig {
            article_url: "articles/".into(),
            ..FeedsConfig::default()
        };
        assert!(c.validate(&base).is_err());
        c.article_url = "javascript:{id}".into();
        assert!(c.validate(&base).is_err());
        c.article_url = "https://cdn.e.org/a/{id}.html".into();
        assert!(c.validate(&base).is_ok());
    }
}
