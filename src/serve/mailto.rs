//! `subscribers process-unsubscribes MAILDIR`: the `mailto:` half of
//! `List-Unsubscribe`. Each message in `new/` and `cur/` unsubscribes its
//! sender (`From:`); a subscriber token in the subject or body picks the
//! subscriber directly. Auto-replies (`Auto-Submitted`) are skipped and
//! counted as not from subscribers. Handled messages in `new/` move to
//! `cur/` with the Seen flag, as mail readers do; running again is harmless
//! (already-unsubscribed senders are counted, not changed). A message that
//! cannot be read is reported once, when it is new, and moved to `cur/` too:
//! left in `new/`, it made every cron run print the same error and exit 65.

use std::path::Path;

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::cmd::report_file_error;
use crate::digest::normalize_email;
use crate::error::{Error, Exit};
use crate::store::{Store, SubscriberStatus};

#[derive(Debug, Default)]
struct Counts {
    unsubscribed: usize,
    already: usize,
    unknown: usize,
    bad: usize,
}

pub fn process_maildir(
    store: &Store,
    maildir: &Path,
    now: DateTime<Utc>,
    quiet: bool,
) -> Result<Exit> {
    if !maildir.is_dir() {
        return Err(Error::MissingInput(maildir.to_path_buf()).into());
    }
    let mut files = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(rd) = std::fs::read_dir(maildir.join(sub)) else {
            continue;
        };
        for e in rd.filter_map(|e| e.ok()) {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with('.') && e.file_type().is_ok_and(|t| t.is_file()) {
                files.push((sub, e.path(), name));
            }
        }
    }
    // Deterministic order: Maildir names start with a delivery timestamp.
    files.sort_by(|a, b| a.2.cmp(&b.2));
    let mut c = Counts::default();
    for (sub, path, name) in files {
        let shown = path.display().to_string();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) => {
                report_file_error(&shown, &format!("cannot read: {e}"));
                c.bad += 1;
                continue;
            }
        };
        match handle(store, &bytes, now)? {
            Ok(true) => c.unsubscribed += 1,
            Ok(false) => c.already += 1,
            Err(Unhandled::Unknown) => c.unknown += 1,
            // Reported when first seen; in cur/ it was reported before.
            Err(Unhandled::Unreadable(_)) if sub == "cur" => continue,
            Err(Unhandled::Unreadable(why)) => {
                report_file_error(&shown, &why);
                c.bad += 1;
            }
        }
        if sub == "new" {
            let flagged = if name.contains(":2,") {
                name.clone()
            } else {
                format!("{name}:2,S")
            };
            let _ = std::fs::create_dir_all(maildir.join("cur"));
            if let Err(e) = std::fs::rename(&path, maildir.join("cur").join(flagged)) {
                report_file_error(&shown, &format!("processed, but cannot move to cur/: {e}"));
            }
        }
    }
    if !quiet || c.unsubscribed > 0 || c.bad > 0 {
        println!(
            "processed {}: {} unsubscribed, {} already unsubscribed, {} not subscribers, {} unreadable",
            maildir.display(),
            c.unsubscribed,
            c.already,
            c.unknown,
            c.bad
        );
    }
    Ok(if c.bad > 0 { Exit::DataErr } else { Exit::Ok })
}

enum Unhandled {
    Unknown,
    Unreadable(String),
}

/// `Ok(Ok(true))`: unsubscribed now; `Ok(Ok(false))`: already was.
fn handle(store: &Store, raw: &[u8], now: DateTime<Utc>) -> Result<Result<bool, Unhandled>> {
    let Some(msg) = mail_parser::MessageParser::default().parse(raw) else {
        return Ok(Err(Unhandled::Unreadable("not an email message".into())));
    };
    // Auto-replies and bounces (RFC 3834 `Auto-Submitted`) are not a
    // person asking to leave.
    if msg
        .header_raw("Auto-Submitted")
        .is_some_and(|v| !v.trim().eq_ignore_ascii_case("no"))
    {
        return Ok(Err(Unhandled::Unknown));
    }
    // A token (48 hex digits) in the subject or body names the subscriber.
    let mut text = msg.subject().unwrap_or_default().to_string();
    if let Some(body) = msg.body_text(0) {
        text.push(' ');
        text.push_str(&body);
    }
    for word in text.split(|c: char| !c.is_ascii_hexdigit()) {
        if word.len() >= 32
            && let Some(s) = store.subscriber_by_token(word)?
        {
            return Ok(Ok(unsubscribe(store, &s.email, s.status, now)?));
        }
    }
    let Some(from) = msg.from().and_then(|a| a.first()).and_then(|a| a.address()) else {
        return Ok(Err(Unhandled::Unreadable("no From: address".into())));
    };
    let Ok(email) = normalize_email(from) else {
        return Ok(Err(Unhandled::Unreadable(
            "the From: address is not valid".into(),
        )));
    };
    match store.subscriber_by_email(&email)? {
        Some(s) => Ok(Ok(unsubscribe(store, &s.email, s.status, now)?)),
        None => Ok(Err(Unhandled::Unknown)),
    }
}

fn unsubscribe(
    store: &Store,
    email: &str,
    status: SubscriberStatus,
    now: DateTime<Utc>,
) -> Result<bool> {
    if status == SubscriberStatus::Unsubscribed {
        return Ok(false);
    }
    store.unsubscribe_email(email, "mailto", now)
}
