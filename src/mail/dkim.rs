//! Optional DKIM signing (`[smtp.dkim]`) with lettre's signer: RSA keys in
//! PKCS#1 PEM, Ed25519 keys as base64 of the 32-byte seed (RFC 8463).

use std::path::Path;

use anyhow::{Context, Result, bail};
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;

use crate::config::SmtpDkimConfig;

/// Headers covered by the signature: the ones receivers show or act on.
const SIGNED: &[&str] = &[
    "From",
    "Reply-To",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "List-Id",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
    "MIME-Version",
    "Content-Type",
];

/// Loads the key named by the config (`root`: the config directory).
pub fn load(cfg: &SmtpDkimConfig, root: &Path) -> Result<DkimConfig> {
    let path = if cfg.key_file.is_absolute() {
        cfg.key_file.clone()
    } else {
        root.join(&cfg.key_file)
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("smtp.dkim.key_file: cannot read {}", path.display()))?;
    let key = if text.contains("-----BEGIN RSA PRIVATE KEY-----") {
        DkimSigningKey::new(&text, DkimSigningAlgorithm::Rsa)
            .map_err(|e| anyhow::anyhow!("smtp.dkim.key_file: bad RSA key: {e}"))?
    } else if text.contains("-----BEGIN") {
        bail!(
            "smtp.dkim.key_file: {} must be an RSA key in PKCS#1 PEM (\"BEGIN RSA PRIVATE KEY\"; \
             convert with `openssl rsa -traditional`) or a base64 Ed25519 seed",
            path.display()
        );
    } else {
        DkimSigningKey::new(text.trim(), DkimSigningAlgorithm::Ed25519)
            .map_err(|e| anyhow::anyhow!("smtp.dkim.key_file: bad Ed25519 key: {e}"))?
    };
    Ok(DkimConfig::new(
        cfg.selector.clone(),
        cfg.domain.clone(),
        key,
        SIGNED
            .iter()
            .map(|h| HeaderName::new_from_ascii_str(h))
            .collect(),
        DkimCanonicalization {
            header: DkimCanonicalizationType::Relaxed,
            body: DkimCanonicalizationType::Relaxed,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ed25519_key_signs_the_list_headers() {
        let dir = tempfile::tempdir().unwrap();
        // 32 zero bytes, base64: a valid (if silly) Ed25519 seed.
        std::fs::write(
            dir.path().join("k"),
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n",
        )
        .unwrap();
        let cfg = SmtpDkimConfig {
            selector: "nd".into(),
            domain: "example.org".into(),
            key_file: "k".into(),
        };
        let dkim = load(&cfg, dir.path()).unwrap();
        let mut m = lettre::Message::builder()
            .from("a@example.org".parse().unwrap())
            .to("b@example.net".parse().unwrap())
            .subject("s")
            .body(String::from("hi"))
            .unwrap();
        m.sign(&dkim);
        let raw = String::from_utf8(m.formatted()).unwrap();
        let sig = raw
            .split("\r\n")
            .skip_while(|l| !l.starts_with("DKIM-Signature:"))
            .take_while(|l| l.starts_with("DKIM-Signature:") || l.starts_with([' ', '\t']))
            .collect::<String>();
        assert!(sig.contains("a=ed25519-sha256"), "{sig}");
        assert!(sig.contains("d=example.org"), "{sig}");
        assert!(sig.contains("s=nd"), "{sig}");
        assert!(
            sig.to_ascii_lowercase().contains("list-unsubscribe-post"),
            "{sig}"
        );
    }

    #[test]
    fn pkcs8_pem_gets_a_conversion_hint() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("k"), "-----BEGIN PRIVATE KEY-----\nAA\n").unwrap();
        let cfg = SmtpDkimConfig {
            selector: "nd".into(),
            domain: "example.org".into(),
            key_file: "k".into(),
        };
        let e = format!("{:#}", load(&cfg, dir.path()).unwrap_err());
        assert!(e.contains("-traditional"), "{e}");
    }
}
