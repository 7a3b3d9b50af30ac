//! Delivery of digest editions over SMTP (lettre), driven by the send ledger.
//!
//! - [`message`] builds one standards-compliant message per recipient;
//! - [`transport`] opens sessions (TLS, STARTTLS, AUTH) and classifies replies;
//! - [`deliver`] is the engine: seeds the ledger, runs `concurrency` sessions,
//!   commits every accepted message before the session sends the next one,
//!   retries 4xx with backoff, never retries 5xx, reconnects after 421;
//! - [`dkim`] loads the optional signing key.
//!
//! The engine does not know how digests are rendered: a [`Composer`] turns an
//! edition and a recipient into a [`DigestEmail`].

pub mod deliver;
pub mod dkim;
pub mod message;
pub mod transport;

pub use deliver::{Mailer, RetryPolicy, SendOptions, SendReport};
pub use message::MessageSettings;

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

/// Renders an edition for one recipient. Called from several sending
/// threads at once, hence `Sync`.
pub trait Composer: Sync {
    fn compose(&self, edition: i64, recipient: &Recipient) -> anyhow::Result<DigestEmail>;
}

impl<F> Composer for F
where
    F: Fn(i64, &Recipient) -> anyhow::Result<DigestEmail> + Sync,
{
    fn compose(&self, edition: i64, recipient: &Recipient) -> anyhow::Result<DigestEmail> {
        self(edition, recipient)
    }
}
