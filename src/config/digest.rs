//! `[digest]`: what editions look like, who they come from, and where their
//! web copies go. Values end up in HTML, plain text and mail headers, so
//! everything is checked here: colours are hex, URLs are absolute http(s),
//! addresses parse, and one-line values hold no control characters.

use std::path::PathBuf;

use serde::Deserialize;
use url::Url;

use super::SiteConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigestConfig {
    /// Web copies of editions, relative to the config file.
    #[serde(default = "default_dir")]
    pub dir: PathBuf,
    /// Public URL of `dir` (the "view in browser" links point here);
    /// defaults to `site.base_url` + `digests/`.
    pub web_url: Option<Url>,
    /// Newsletter name in the header and subject; defaults to `site.title`.
    pub title: Option<String>,
    /// A short paragraph under the header of every edition.
    #[serde(default)]
    pub intro: String,
    /// The sender's postal address (CAN-SPAM/GDPR); required for sending,
    /// optional for building editions and previews. May span lines.
    pub footer_address: Option<String>,
    /// Accent colour for headings and links: `#rgb` or `#rrggbb`.
    #[serde(default = "default_accent")]
    pub accent_color: String,
    /// Absolute http(s) URL of a logo image shown in the header.
    pub logo_url: Option<Url>,
    /// `From:` mailbox, e.g. `Borderlands Review <digest@example.org>`.
    pub from: Option<String>,
    /// `Reply-To:` mailbox.
    pub reply_to: Option<String>,
    /// Unsubscribe link template; `{token}` is replaced by the subscriber's
    /// token, e.g. `https://example.org/unsubscribe?token={token}`.
    pub unsubscribe_url: Option<String>,
    /// Address for `List-Unsubscribe: <mailto:…>`.
    pub unsubscribe_mailto: Option<String>,
    /// Articles per edition; the rest roll into the next edition.
    #[serde(default = "default_max_articles")]
    pub max_articles: usize,
    /// `lang` of the email; defaults to `site.language`.
    pub language: Option<String>,
    // Scheduling (read by `newsdesk run`; accepted here so configs validate).
    /// `manual`, `daily`, `weekly` or `monthly` (checked by `crate::schedule`).
    #[serde(default = "default_schedule")]
    pub schedule: String,
    /// Local time of day (`HH:MM`) a scheduled edition is due.
    #[serde(default = "default_at")]
    pub at: String,
    /// Day of a weekly edition (`monday` …).
    #[serde(default = "default_weekday")]
    pub weekday: String,
    /// Day of a monthly edition (1–31, clamped to the month's end).
    #[serde(default = "default_day_of_month")]
    pub day_of_month: u32,
    /// IANA time zone `at`/`weekday` are in.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Skip a scheduled edition when nothing new was archived.
    #[serde(default = "default_true")]
    pub only_if_new: bool,
    /// Fewest new articles a scheduled edition waits for.
    #[serde(default = "default_min_articles")]
    pub min_articles: usize,
    /// Whether `run` sends editions (false: build them only).
    #[serde(default)]
    pub send: bool,
}

impl Default for DigestConfig {
    fn default() -> Self {
        toml::from_str("").expect("empty [digest] is valid")
    }
}

fn default_dir() -> PathBuf {
    PathBuf::from("digests")
}
fn default_accent() -> String {
    "#9b2c2c".into()
}
fn default_max_articles() -> usize {
    30
}
fn default_schedule() -> String {
    "manual".into()
}
fn default_at() -> String {
    "08:00".into()
}
fn default_weekday() -> String {
    "monday".into()
}
fn default_day_of_month() -> u32 {
    1
}
fn default_timezone() -> String {
    "UTC".into()
}
fn default_true() -> bool {
    true
}
fn default_min_articles() -> usize {
    1
}

/// `#rgb` or `#rrggbb`: the only colour syntax that goes into CSS verbatim.
pub fn is_hex_color(s: &str) -> bool {
    let Some(hex) = s.strip_prefix('#') else {
        return false;
    };
    matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_http_url(key: &str, u: &Url) -> Result<(), String> {
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return Err(format!(
            "{key}: must be an absolute http or https URL, got {u}"
        ));
    }
    Ok(())
}

fn check_mailbox(key: &str, v: &str) -> Result<(), String> {
    super::check_single_line(key, v)?;
    v.parse::<lettre::message::Mailbox>()
        .map_err(|e| format!("{key}: {v:?} is not a mail address ({e})"))?;
    Ok(())
}

impl DigestConfig {
    /// The digest schedule (`schedule`, `at`, `weekday`, `day_of_month`, `timezone`).
    pub fn schedule_spec(&self) -> Result<crate::schedule::Schedule, String> {
        crate::schedule::Schedule::from_parts(
            &self.schedule,
            &self.at,
            &self.weekday,
            self.day_of_month,
            &self.timezone,
        )
    }

    pub(super) fn validate(&mut self, site: &SiteConfig) -> Result<(), String> {
        if self.max_articles == 0 {
            return Err("digest.max_articles: must be at least 1".into());
        }
        if !is_hex_color(&self.accent_color) {
            return Err(format!(
                "digest.accent_color: must be a hex colour like #9b2c2c, got {:?}",
                self.accent_color
            ));
        }
        for (key, v) in [
            ("digest.title", self.title.as_deref()),
            ("digest.language", self.language.as_deref()),
            ("digest.schedule", Some(self.schedule.as_str())),
            ("digest.at", Some(self.at.as_str())),
            ("digest.weekday", Some(self.weekday.as_str())),
            ("digest.timezone", Some(self.timezone.as_str())),
        ] {
            if let Some(v) = v {
                super::check_single_line(key, v)?;
            }
        }
        for (key, v) in [
            ("digest.intro", &self.intro),
            (
                "digest.footer_address",
                &self.footer_address.clone().unwrap_or_default(),
            ),
        ] {
            // Multi-line is fine here (an address has lines); other controls are not.
            if v.chars().any(|c| c.is_control() && c != '\n' && c != '\r') {
                return Err(format!("{key}: must not contain control characters"));
            }
        }
        // Schedule keys are checked here so a typo stops the run before any work.
        self.schedule_spec()?;
        if let Some(u) = &self.logo_url {
            check_http_url("digest.logo_url", u)?;
        }
        let web = match self.web_url.take() {
            Some(u) => u,
            None => site
                .base_url
                .join("digests/")
                .map_err(|e| format!("digest.web_url: {e}"))?,
        };
        check_http_url("digest.web_url", &web)?;
        let mut web = web;
        if !web.path().ends_with('/') {
            let p = format!("{}/", web.path());
            web.set_path(&p);
        }
        self.web_url = Some(web);
        if let Some(f) = &self.from {
            check_mailbox("digest.from", f)?;
        }
        if let Some(f) = &self.reply_to {
            check_mailbox("digest.reply_to", f)?;
        }
        if let Some(m) = &self.unsubscribe_mailto {
            super::check_single_line("digest.unsubscribe_mailto", m)?;
            m.parse::<lettre::Address>()
                .map_err(|e| format!("digest.unsubscribe_mailto: {m:?}: {e}"))?;
        }
        if let Some(t) = &self.unsubscribe_url {
            super::check_single_line("digest.unsubscribe_url", t)?;
            if !t.contains("{token}") {
                return Err("digest.unsubscribe_url: must contain {token}".into());
            }
            let sample = Url::parse(&t.replace("{token}", "0123abcd"))
                .map_err(|e| format!("digest.unsubscribe_url: {t:?} is not a URL ({e})"))?;
            check_http_url("digest.unsubscribe_url", &sample)?;
        }
        Ok(())
    }

    /// The public URL of the web-copy directory (always ends in `/`).
    pub fn web_url(&self) -> &Url {
        self.web_url
            .as_ref()
            .expect("validate() fills digest.web_url")
    }

    /// What sending needs on top of building: the anti-spam footer, a sender
    /// and an unsubscribe link. `Err` names every missing key.
    pub fn check_ready_to_send(&self) -> Result<(), String> {
        let mut missing = Vec::new();
        if self
            .footer_address
            .as_deref()
            .is_none_or(|s| s.trim().is_empty())
        {
            missing.push("digest.footer_address (postal address required by anti-spam law)");
        }
        if self.from.is_none() {
            missing.push("digest.from");
        }
        if self.unsubscribe_url.is_none() {
            missing.push("digest.unsubscribe_url");
        }
        if missing.is_empty() {
            Ok(())
        } else {
            Err(format!("sending digests needs {}", missing.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(digest: &str) -> Result<Config, String> {
        let text =
            format!("[site]\ntitle = \"T\"\nbase_url = \"https://e.org/x/\"\n[digest]\n{digest}\n");
        Config::from_toml(&text, Path::new("/tmp/s/newsdesk.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_fill_web_url_from_site_and_schedule_keys_are_accepted() {
        let c = parse("schedule = \"weekly\"\nat = \"07:30\"\nweekday = \"monday\"\ntimezone = \"Europe/Berlin\"\nonly_if_new = true\nmin_articles = 3\nsend = true").unwrap();
        assert_eq!(c.digest.web_url().as_str(), "https://e.org/x/digests/");
        assert_eq!(c.digest.max_articles, 30);
        assert_eq!(c.digest.min_articles, 3);
        assert!(c.digest.check_ready_to_send().is_err());
    }

    #[test]
    fn hostile_digest_values_are_rejected() {
        for bad in [
            "accent_color = \"red;background:url(x)\"",
            "accent_color = \"#12345\"",
            "logo_url = \"javascript:alert(1)\"",
            "unsubscribe_url = \"https://e.org/u\"",
            "unsubscribe_url = \"javascript:x({token})\"",
            "from = \"a@b.org\\nBcc: x@y.org\"",
            "from = \"not an address\"",
            "title = \"T\\r\\nBcc: x@y\"",
            "max_articles = 0",
        ] {
            assert!(parse(bad).is_err(), "{bad} accepted");
        }
    }

    #[test]
    fn complete_sender_settings_are_ready_to_send() {
        let c = parse("footer_address = \"1 Main St\\nTbilisi\"\nfrom = \"Desk <d@e.org>\"\nunsubscribe_url = \"https://e.org/u?t={token}\"").unwrap();
        c.digest.check_ready_to_send().unwrap();
    }
}
