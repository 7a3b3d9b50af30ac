//! Delivery of digest editions over SMTP (lettre), driven by the send ledger.
//!
//! - [`message`] builds one standards-compliant message per recipient;
//! - [`transport`] opens sessions (TLS, STARTTLS, AUTH) and classifies replies;
//! - [`deliver`] is the engine: seeds the ledger, runs `concurrency` sessions,
//!   commits every accepted message before the session sends the next one,
//!   retries 4xx with backoff, never retries 5xx, reconnects after 421;
//! - [`dkim`] loads the optional signing key;
//! - `body` encodes the text and HTML parts as lettre would, in linear time.
//!
//! The engine does not know how digests are rendered: a [`Composer`] turns an
//! edition and a recipient into a [`DigestEmail`].

mod body;
pub mod compose;
pub mod deliver;
pub mod dkim;
pub mod message;
pub mod transport;

pub use deliver::{Mailer, RetryPolicy, SendOptions, SendReport};
pub use message::MessageSettings;
pub use transport::{ConnectError, Connector, Delivery, Session};

/// Who one message goes to (from the subscriber row the ledger points at).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// 0 for a proof copy (`--to`), which belongs to no subscriber.
    pub subscriber_id: i64,
    pub email: String,
    pub name: Option<String>,
    /// The subscriber's unsubscribe/preferences token.
    pub token: String,
}

/// One rendered digest, ready to be wrapped into a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Absolute https URL that unsubscribes this recipient in one click
    /// (RFC 8058: it must accept a POST without further confirmation).
    pub unsubscribe_url: String,
}

/// Renders an edition for one recipient; `Ok(None)` when the edition has
/// nothing for them (no article in their themes: the row becomes `skipped`).
/// Called from several sending threads at once, hence `Sync`.
pub trait Composer: Sync {
    fn compose(&self, edition: i64, recipient: &Recipient) -> anyhow::Result<Option<DigestEmail>>;
}

impl<F> Composer for F
where
    F: Fn(i64, &Recipient) -> anyhow::Result<Option<DigestEmail>> + Sync,
{
    fn compose(&self, edition: i64, recipient: &Recipient) -> anyhow::Result<Option<DigestEmail>> {
        self(edition, recipient)
    }
}

/// Who the digest comes from (the `[digest]` from, reply_to and
/// unsubscribe_mailto settings).
#[derive(Debug, Clone, Copy)]
pub struct Sender<'a> {
    /// `Name <address>` or a bare address.
    pub from: &'a str,
    pub reply_to: Option<&'a str>,
    /// Offered as `<mailto:…?subject=unsubscribe>` in List-Unsubscribe.
    pub unsubscribe_mailto: Option<&'a str>,
}

/// The sender identity from `[digest]` (checked ready to send).
pub fn sender_of(config: &crate::config::Config) -> anyhow::Result<Sender<'_>> {
    config
        .digest
        .check_ready_to_send()
        .map_err(|message| crate::error::Error::Config {
            path: config.path.clone(),
            message,
        })?;
    Ok(Sender {
        from: config.digest.from.as_deref().unwrap_or_default(),
        reply_to: config.digest.reply_to.as_deref(),
        unsubscribe_mailto: config.digest.unsubscribe_mailto.as_deref(),
    })
}

/// Delivers whatever is due (the newest edition and any unfinished older
/// one) with the `[smtp]` and `[digest]` settings: the entry point for
/// `newsdesk run`. `report.exit()` is 75 while messages remain deferred.
pub fn send_pending(
    config: &crate::config::Config,
    store: &crate::store::Store,
    now: chrono::DateTime<chrono::Utc>,
    opts: &SendOptions,
) -> anyhow::Result<SendReport> {
    let sender = sender_of(config)?;
    let mailer = Mailer::from_config(config, &sender)?;
    let editions = match opts.edition {
        Some(n) => vec![n],
        None => store.ledger_editions_to_send()?,
    };
    let composer = compose::DigestComposer::new(config, store, &editions)?;
    mailer.send(store, &composer, now, opts)
}
