//! `[smtp]`: how digests leave the machine. Secrets are never stored here:
//! only the name of the environment variable or file that holds them, and the
//! loaded password is wrapped so it cannot be printed by accident.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    /// Plain connection upgraded with STARTTLS (required, never optional).
    Starttls,
    /// Implicit TLS from the first byte (port 465).
    Tls,
    /// No encryption: only allowed for a server on this machine.
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    /// Defaults to 587 (starttls), 465 (tls) or 25 (none).
    pub port: Option<u16>,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
    pub username: Option<String>,
    /// Name of the environment variable holding the password.
    pub password_env: Option<String>,
    /// File whose first line is the password (relative to the config file).
    pub password_file: Option<PathBuf>,
    /// Name sent in EHLO; defaults to the machine's host name.
    pub helo_name: Option<String>,
    #[serde(default = "default_timeout")]
    pub timeout_secs: u64,
    /// Parallel SMTP sessions.
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Messages per second over all sessions; unlimited when absent.
    pub rate_limit: Option<f64>,
    /// Reconnect after this many messages on one session.
    #[serde(default = "default_max_per_connection")]
    pub max_messages_per_connection: usize,
    /// Extra CA certificate(s), PEM, trusted besides the web PKI roots
    /// (for a relay with a private or self-signed certificate).
    pub ca_file: Option<PathBuf>,
    pub dkim: Option<DkimConfig>,
}

/// `[smtp.dkim]`: sign every message (RSA PKCS#1 PEM or Ed25519 base64 key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DkimConfig {
    pub selector: String,
    pub domain: String,
    pub key_file: PathBuf,
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}
fn default_timeout() -> u64 {
    30
}
fn default_concurrency() -> usize {
    4
}
fn default_max_per_connection() -> usize {
    1000
}

/// A password read from the environment or a file. Its `Debug` and `Display`
/// never show the value, so no log line or error message can leak it.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl SmtpConfig {
    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.security {
            SmtpSecurity::Starttls => 587,
            SmtpSecurity::Tls => 465,
            SmtpSecurity::None => 25,
        })
    }

    pub fn is_local_host(&self) -> bool {
        matches!(
            self.host.as_str(),
            "localhost" | "127.0.0.1" | "::1" | "[::1]"
        )
    }

    /// Reads the password from `password_env` or `password_file`
    /// (`root` is the config directory). `Ok(None)` when no username is set.
    /// Error messages name the variable or file, never the value.
    pub fn password(&self, root: &Path) -> Result<Option<Secret>, String> {
        if self.username.is_none() {
            return Ok(None);
        }
        if let Some(var) = &self.password_env {
            return match std::env::var(var) {
                Ok(v) if !v.is_empty() => Ok(Some(Secret(v))),
                _ => Err(format!(
                    "smtp.password_env: environment variable {var} is not set or empty"
                )),
            };
        }
        if let Some(file) = &self.password_file {
            let p = if file.is_absolute() {
                file.clone()
            } else {
                root.join(file)
            };
            let text = std::fs::read_to_string(&p).map_err(|e| {
                format!(
                    "smtp.password_file: cannot read {}: {}",
                    p.display(),
                    e.kind()
                )
            })?;
            let line = text.lines().next().unwrap_or("").trim_end_matches('\r');
            if line.is_empty() {
                return Err(format!("smtp.password_file: {} is empty", p.display()));
            }
            return Ok(Some(Secret(line.to_string())));
        }
        Err("smtp.username is set but neither password_env nor password_file is".into())
    }

    pub(super) fn validate(&self) -> Result<(), String> {
        super::check_single_line("smtp.host", &self.host)?;
        if self.host.trim().is_empty() {
            return Err("smtp.host: must not be empty".into());
        }
        if self.security == SmtpSecurity::None && !self.is_local_host() {
            return Err(format!(
                "smtp.security: \"none\" sends mail unencrypted and is only allowed for localhost, not {:?}",
                self.host
            ));
        }
        for (key, v) in [
            ("smtp.username", &self.username),
            ("smtp.password_env", &self.password_env),
            ("smtp.helo_name", &self.helo_name),
        ] {
            if let Some(v) = v {
                super::check_single_line(key, v)?;
            }
        }
        if self.password_env.is_some() && self.password_file.is_some() {
            return Err("smtp: set password_env or password_file, not both".into());
        }
        if self.username.is_none() && (self.password_env.is_some() || self.password_file.is_some())
        {
            return Err("smtp: a password source is set but no username".into());
        }
        if self.username.is_some() && self.password_env.is_none() && self.password_file.is_none() {
            return Err(
                "smtp.username: set password_env or password_file (the password itself never goes in the config)"
                    .into(),
            );
        }
        if let Some(h) = &self.helo_name
            && (h.is_empty()
                || !h
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':')))
        {
            return Err(format!("smtp.helo_name: {h:?} is not a host name"));
        }
        if self.timeout_secs == 0 {
            return Err("smtp.timeout_secs: must be at least 1".into());
        }
        if !(1..=64).contains(&self.concurrency) {
            return Err("smtp.concurrency: must be between 1 and 64".into());
        }
        if let Some(r) = self.rate_limit
            && !(r.is_finite() && r > 0.0)
        {
            return Err("smtp.rate_limit: must be a positive number of messages per second".into());
        }
        if self.max_messages_per_connection == 0 {
            return Err("smtp.max_messages_per_connection: must be at least 1".into());
        }
        if let Some(d) = &self.dkim {
            super::check_single_line("smtp.dkim.selector", &d.selector)?;
            super::check_single_line("smtp.dkim.domain", &d.domain)?;
            let ok = |s: &str| {
                !s.is_empty()
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
            };
            if !ok(&d.selector) || !ok(&d.domain) {
                return Err("smtp.dkim: selector and domain must be DNS labels".into());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    fn parse(smtp: &str) -> Result<Config, String> {
        let text =
            format!("[site]\ntitle = \"T\"\nbase_url = \"https://e.org/\"\n[smtp]\n{smtp}\n");
        Config::from_toml(&text, Path::new("/tmp/site/newsdesk.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn defaults_are_starttls_587_four_sessions() {
        let c = parse("host = \"mail.e.org\"").unwrap();
        let s = c.smtp.unwrap();
        assert_eq!(s.port(), 587);
        assert_eq!(s.concurrency, 4);
        assert!(s.password(Path::new("/")).unwrap().is_none());
    }

    #[test]
    fn password_in_toml_is_an_unknown_key() {
        let e = parse("host = \"h\"\nusername = \"u\"\npassword = \"hunter2\"").unwrap_err();
        assert!(e.contains("password"), "{e}");
        assert!(!e.contains("hunter2"), "{e}");
    }

    #[test]
    fn username_without_password_source_is_rejected() {
        assert!(parse("host = \"h\"\nusername = \"u\"").is_err());
        assert!(
            parse("host = \"h\"\nusername = \"u\"\npassword_env = \"A\"\npassword_file = \"f\"")
                .is_err()
        );
    }

    #[test]
    fn unencrypted_remote_server_is_rejected() {
        assert!(parse("host = \"mail.e.org\"\nsecurity = \"none\"").is_err());
        assert!(parse("host = \"127.0.0.1\"\nsecurity = \"none\"").is_ok());
    }

    #[test]
    fn line_breaks_in_values_are_rejected() {
        assert!(parse("host = \"h\"\nhelo_name = \"a\\r\\nMAIL FROM:<x>\"").is_err());
        assert!(parse("host = \"h\"\nusername = \"u\\nBcc: x@y\"\npassword_env = \"P\"").is_err());
    }

    #[test]
    fn password_errors_never_show_the_value() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("pw"), "s3cret-value\n").unwrap();
        let c = parse("host = \"h\"\nusername = \"u\"\npassword_file = \"pw\"").unwrap();
        let s = c.smtp.unwrap();
        let pw = s.password(dir.path()).unwrap().unwrap();
        assert_eq!(pw.expose(), "s3cret-value");
        assert!(!format!("{pw:?} {pw}").contains("s3cret"));
        let c = parse("host = \"h\"\nusername = \"u\"\npassword_env = \"NEWSDESK_TEST_UNSET_PW\"")
            .unwrap();
        let e = c.smtp.unwrap().password(dir.path()).unwrap_err();
        assert!(e.contains("NEWSDESK_TEST_UNSET_PW"), "{e}");
    }
}
