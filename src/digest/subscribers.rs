//! Checking what people type as subscriber data: addresses (validated with
//! lettre, normalized) and theme lists (validated against the config).

use crate::config::Config;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("{0:?} contains a line break or control character")]
    Control(String),
    #[error("{0:?} is not a valid email address ({1})")]
    Invalid(String, String),
}

/// Validates an address and normalizes it: surrounding whitespace trimmed,
/// domain lowercased (domains are case-insensitive; the local part is kept
/// as typed, since servers may treat it case-sensitively).
pub fn normalize_email(raw: &str) -> Result<String, AddressError> {
    if raw.chars().any(char::is_control) {
        return Err(AddressError::Control(raw.to_string()));
    }
    let s = raw.trim();
    let addr: lettre::Address = s.parse().map_err(|e: lettre::address::AddressError| {
        AddressError::Invalid(s.into(), e.to_string())
    })?;
    // RFC 5321 allows these, but lettre cannot put them in a message's
    // envelope: such a subscriber would fail at every send.
    if addr.user().starts_with('"') || addr.domain().starts_with('[') {
        return Err(AddressError::Invalid(
            s.into(),
            "quoted local parts and IP-address domains cannot be mailed".into(),
        ));
    }
    Ok(format!("{}@{}", addr.user(), addr.domain().to_lowercase()))
}

/// Splits a theme list (`a,b`, `a;b` or `a b`) and checks each id against
/// the config. Returns the ids in config order, without duplicates.
pub fn parse_theme_list(raw: &str, config: &Config) -> Result<Vec<String>, String> {
    let themes = super::themes_of(config).map_err(|e| format!("{e:#}"))?;
    let mut wanted = Vec::new();
    for t in raw
        .split([',', ';', ' ', '\t'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        if !themes.iter().any(|c| c.id == t) {
            let known: Vec<&str> = themes.iter().map(|c| c.id.as_str()).collect();
            return Err(format!(
                "unknown theme {t:?} (known: {})",
                if known.is_empty() {
                    "none configured".to_string()
                } else {
                    known.join(", ")
                }
            ));
        }
        wanted.push(t.to_string());
    }
    Ok(themes
        .iter()
        .filter(|c| wanted.contains(&c.id))
        .map(|c| c.id.clone())
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_is_lowercased_and_local_part_kept() {
        assert_eq!(
            normalize_email("  Ana.K@Example.ORG ").unwrap(),
            "Ana.K@example.org"
        );
    }

    #[test]
    fn header_injection_and_junk_are_rejected() {
        for bad in [
            "a@b.org\r\nBcc: x@y.org",
            "a@b.org\n",
            "no-at-sign",
            "Name <a@b.org>",
            "",
            "a@",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn addresses_the_sender_cannot_mail_are_refused_up_front() {
        // Accepted before, then every send recorded them as failed with
        // "missing destination address, invalid envelope".
        for bad in [
            "\"quoted local\"@example.org",
            "x@[127.0.0.1]",
            "x@[IPv6:::1]",
        ] {
            let e = normalize_email(bad).unwrap_err().to_string();
            assert!(e.contains("cannot be mailed"), "{bad:?}: {e}");
        }
        assert_eq!(
            normalize_email("a+tag@example.org").unwrap(),
            "a+tag@example.org"
        );
    }
}
