//! Building one digest message for one recipient with lettre: the MIME
//! structure (multipart/alternative, text then HTML) and every header a
//! list message needs (Message-ID, Date, List-Id, List-Unsubscribe,
//! List-Unsubscribe-Post).
//!
//! Header safety: text that reaches a header (site title, subscriber name,
//! subject built from article titles, URLs) has its control characters
//! replaced before lettre encodes it, and the two headers written
//! pre-encoded (List-Id label, List-Unsubscribe) are built only from
//! validated ASCII, so no value can start a new header line.

use std::time::SystemTime;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart, SinglePart};
use url::Url;

use super::{DigestEmail, Recipient};
use crate::util::words::collapse_ws;

/// Gmail clips HTML parts above 102 KB; digests are expected to stay below.
pub const HTML_CLIP_BYTES: usize = 102 * 1024;

/// What every message of a publication shares.
#[derive(Debug, Clone)]
pub struct MessageSettings {
    pub from: Mailbox,
    pub reply_to: Option<Mailbox>,
    /// Full List-Id value: `Site Title <site-title.host>`.
    list_id: String,
    /// `mailto:` address offered next to the https unsubscribe link.
    unsubscribe_mailto: Option<String>,
    /// Right-hand side of Message-IDs: the From address's domain.
    id_domain: String,
}

impl MessageSettings {
    /// `from` and `reply_to` are RFC 5322 mailboxes (`Name <addr>` or `addr`).
    pub fn new(
        site_title: &str,
        base_url: &Url,
        from: &str,
        reply_to: Option<&str>,
        unsubscribe_mailto: Option<&str>,
    ) -> Result<MessageSettings> {
        let parse_mailbox = |key: &str, s: &str| -> Result<Mailbox> {
            if s.chars().any(char::is_control) {
                bail!("{key}: must be a single line");
            }
            s.parse::<Mailbox>()
                .with_context(|| format!("{key}: {s:?} is not an email address"))
        };
        let from = parse_mailbox("digest.from", from)?;
        let reply_to = reply_to
            .map(|r| parse_mailbox("digest.reply_to", r))
            .transpose()?;
        let id_domain = from.email.domain().to_ascii_lowercase();
        let host = base_url
            .host_str()
            .unwrap_or(&id_domain)
            .to_ascii_lowercase();
        let list_id = format!(
            "{} <{}.{}>",
            list_phrase(site_title),
            slug(site_title),
            host
        );
        let unsubscribe_mailto = match unsubscribe_mailto {
            Some(m) => {
                let addr: lettre::Address = m.parse().with_context(|| {
                    format!("digest.unsubscribe_mailto: {m:?} is not an address")
                })?;
                if !addr.to_string().is_ascii() {
                    bail!("digest.unsubscribe_mailto: must be an ASCII address");
                }
                Some(addr.to_string())
            }
            None => None,
        };
        Ok(MessageSettings {
            from,
            reply_to,
            list_id,
            unsubscribe_mailto,
            id_domain,
        })
    }

    pub fn list_id(&self) -> &str {
        &self.list_id
    }

    /// A globally unique Message-ID: edition and subscriber make it readable
    /// in logs, the random part makes resends and proofs distinct.
    pub fn message_id(&self, edition: i64, subscriber_id: i64) -> String {
        let r: u64 = rand::random();
        format!("<{edition}.{subscriber_id}.{r:016x}@{}>", self.id_domain)
    }

    /// Builds the message for one recipient. Errors mean this recipient
    /// cannot be mailed (bad address or unsubscribe URL), not a server problem.
    pub fn build(
        &self,
        recipient: &Recipient,
        email: &DigestEmail,
        message_id: &str,
        date: DateTime<Utc>,
    ) -> Result<Message> {
        let addr: lettre::Address = recipient
            .email
            .trim()
            .parse()
            .with_context(|| format!("invalid recipient address {:?}", recipient.email))?;
        let name = recipient
            .name
            .as_deref()
            .map(single_line)
            .filter(|n| !n.trim().is_empty());
        let to = Mailbox::new(name, addr);
        let mut b = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(single_line(&email.subject))
            .date(SystemTime::from(date))
            .message_id(Some(message_id.to_string()));
        if let Some(r) = &self.reply_to {
            b = b.reply_to(r.clone());
        }
        b = b
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Id"),
                self.list_id.clone(),
            ))
            .raw_header(self.list_unsubscribe(&email.unsubscribe_url)?)
            .raw_header(HeaderValue::new(
                HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                "List-Unsubscribe=One-Click".into(),
            ));
        if email.html.len() > HTML_CLIP_BYTES {
            tracing::warn!(
                "digest HTML is {} bytes; Gmail clips messages above {} bytes",
                email.html.len(),
                HTML_CLIP_BYTES
            );
        }
        let body = MultiPart::alternative()
            .singlepart(SinglePart::plain(super::body::body(&email.text)))
            .singlepart(SinglePart::html(super::body::body(&email.html)));
        Ok(b.multipart(body)?)
    }

    /// `List-Unsubscribe: <https://…?token=…>, <mailto:…?subject=unsubscribe>`.
    /// Written pre-encoded (lettre would RFC 2047-encode a URL it dislikes),
    /// which is safe because both parts are validated, serialized URLs.
    fn list_unsubscribe(&self, url: &str) -> Result<HeaderValue> {
        let u = Url::parse(url).with_context(|| format!("invalid unsubscribe URL {url:?}"))?;
        if !matches!(u.scheme(), "https" | "http") {
            bail!("unsubscribe URL must be http(s), got {url:?}");
        }
        let mut parts = vec![format!("<{}>", u.as_str())];
        if let Some(m) = &self.unsubscribe_mailto {
            parts.push(format!("<mailto:{m}?subject=unsubscribe>"));
        }
        for p in &parts {
            // Url serialization percent-encodes spaces, controls and non-ASCII;
            // checked again because this bypasses lettre's encoder.
            if !p.bytes().all(|b| (0x21..0x7f).contains(&b)) || p.len() > 900 {
                bail!("unsubscribe URL {url:?} cannot be put in a header");
            }
        }
        // One URI per line keeps every line far below the 998-octet limit.
        let value = parts.join(",\r\n ");
        Ok(HeaderValue::dangerous_new_pre_encoded(
            HeaderName::new_from_ascii_str("List-Unsubscribe"),
            parts.join(", "),
            value,
        ))
    }
}

/// Control characters (CR, LF, TAB, NUL, …) become spaces: text meant for
/// one header line stays on it.
pub fn single_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The List-Id label's left part: lowercase ASCII letters and digits joined
/// by dashes (RFC 2919 wants a dot-atom).
fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() { "digest".into() } else { out }
}

/// The List-Id display phrase: the site title without characters that would
/// need quoting (lettre encodes any non-ASCII word).
fn list_phrase(title: &str) -> String {
    let s: String = single_line(title)
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_' | '.' | '\'' | '!'))
        .collect();
    let s = collapse_ws(&s);
    if s.is_empty() { "Digest".into() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> MessageSettings {
        MessageSettings::new(
            "Caucasus Review: Cinema & Festivals",
            &Url::parse("https://news.example.org/").unwrap(),
            "Caucasus Review <digest@example.org>",
            Some("editors@example.org"),
            Some("unsubscribe@example.org"),
        )
        .unwrap()
    }

    fn email(subject: &str) -> DigestEmail {
        DigestEmail {
            subject: subject.into(),
            html: "<p>Hello</p>".into(),
            text: "Hello".into(),
            unsubscribe_url: "https://news.example.org/unsubscribe?token=abc123".into(),
        }
    }

    fn recipient(name: Option<&str>) -> Recipient {
        Recipient {
            subscriber_id: 7,
            email: "reader@example.net".into(),
            name: name.map(str::to_string),
            token: "abc123".into(),
        }
    }

    fn raw(name: Option<&str>, subject: &str) -> String {
        let s = settings();
        let m = s
            .build(
                &recipient(name),
                &email(subject),
                &s.message_id(3, 7),
                "2026-11-20T08:00:00Z".parse().unwrap(),
            )
            .unwrap();
        String::from_utf8(m.formatted()).unwrap()
    }

    fn headers(raw: &str) -> Vec<String> {
        let head = raw.split("\r\n\r\n").next().unwrap();
        let mut out: Vec<String> = Vec::new();
        for line in head.split("\r\n") {
            if line.starts_with([' ', '\t']) {
                out.last_mut().unwrap().push_str(line);
            } else {
                out.push(line.to_string());
            }
        }
        out
    }

    #[test]
    fn list_headers_and_ids_are_present() {
        let r = raw(Some("Nino"), "Digest #3: Cinema");
        let h = headers(&r);
        let get = |n: &str| {
            h.iter()
                .find(|l| {
                    l.to_ascii_lowercase()
                        .starts_with(&format!("{}:", n.to_ascii_lowercase()))
                })
                .cloned()
                .unwrap_or_else(|| panic!("no {n} in {h:#?}"))
        };
        assert_eq!(
            get("List-Id"),
            "List-Id: Caucasus Review Cinema Festivals <caucasus-review-cinema-festivals.news.example.org>"
        );
        assert_eq!(
            get("List-Unsubscribe"),
            "List-Unsubscribe: <https://news.example.org/unsubscribe?token=abc123>, <mailto:unsubscribe@example.org?subject=unsubscribe>"
        );
        assert_eq!(
            get("List-Unsubscribe-Post"),
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click"
        );
        assert!(
            get("Message-ID").starts_with("Message-ID: <3.7."),
            "{}",
            get("Message-ID")
        );
        assert!(get("Message-ID").ends_with("@example.org>"));
        assert_eq!(get("Date"), "Date: Fri, 20 Nov 2026 08:00:00 +0000");
        assert!(get("To").contains("reader@example.net"));
        assert!(get("Content-Type").contains("multipart/alternative"));
        let text_at = r.find("text/plain").unwrap();
        let html_at = r.find("text/html").unwrap();
        assert!(text_at < html_at, "text part comes first");
    }

    #[test]
    fn non_ascii_subject_is_rfc2047_encoded() {
        let r = raw(None, "Дайджест №3: Кавказ");
        let subj = headers(&r)
            .into_iter()
            .find(|l| l.starts_with("Subject:"))
            .unwrap();
        assert!(subj.is_ascii(), "{subj}");
        assert!(subj.contains("=?utf-8?b?"), "{subj}");
    }

    #[test]
    fn line_breaks_in_name_or_subject_cannot_add_headers() {
        let r = raw(
            Some("Eve\r\nBcc: victim@evil.example"),
            "News\r\nBcc: victim2@evil.example\nX-Evil: 1",
        );
        for h in headers(&r) {
            let lower = h.to_ascii_lowercase();
            assert!(!lower.starts_with("bcc:"), "injected header: {h}");
            assert!(!lower.starts_with("x-evil:"), "injected header: {h}");
        }
        assert!(!r.contains("\nBcc:"));
    }

    #[test]
    fn unsubscribe_url_with_line_break_is_refused_or_neutralised() {
        let s = settings();
        let mut e = email("x");
        e.unsubscribe_url = "https://news.example.org/u?t=1\r\nBcc: a@b.c".into();
        match s.build(&recipient(None), &e, "<a@b>", Utc::now()) {
            Err(_) => {}
            Ok(m) => {
                let raw = String::from_utf8(m.formatted()).unwrap();
                assert!(!raw.contains("\r\nBcc:"), "{raw}");
            }
        }
        e.unsubscribe_url = "javascript:alert(1)".into();
        assert!(s.build(&recipient(None), &e, "<a@b>", Utc::now()).is_err());
    }

    #[test]
    fn from_with_line_break_is_a_config_error() {
        let e = MessageSettings::new(
            "T",
            &Url::parse("https://e.org/").unwrap(),
            "a@e.org\r\nBcc: x@y.z",
            None,
            None,
        )
        .unwrap_err();
        assert!(format!("{e:#}").contains("digest.from"));
    }
}
