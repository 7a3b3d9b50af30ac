//! `[smtp]`: how digests leave the machine. Secrets are never stored here:
//! only the name of the environment variable or file that holds them.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpSecurity {
    Starttls,
    Tls,
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "default_security")]
    pub security: SmtpSecurity,
}

fn default_security() -> SmtpSecurity {
    SmtpSecurity::Starttls
}

impl SmtpConfig {
    pub(super) fn validate(&self) -> Result<(), String> {
        super::check_single_line("smtp.host", &self.host)?;
        if self.security == SmtpSecurity::None
            && !matches!(
                self.host.as_str(),
                "localhost" | "127.0.0.1" | "::1" | "[::1]"
            )
        {
            return Err(format!(
                "smtp.security: \"none\" sends mail unencrypted and is only allowed for localhost, not {:?}",
                self.host
            ));
        }
        Ok(())
    }
}
