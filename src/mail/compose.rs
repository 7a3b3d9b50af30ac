//! The real [`Composer`]: each edition rendered once by the digest module
//! ([`PreparedEdition`]), then assembled per subscriber.

use std::collections::HashMap;

use anyhow::{Context, Result};

use super::{Composer, DigestEmail, Recipient};
use crate::config::Config;
use crate::digest::{self, PreparedEdition};
use crate::store::{Store, Subscriber};

pub struct DigestComposer<'a> {
    config: &'a Config,
    editions: HashMap<i64, PreparedEdition>,
    subscribers: HashMap<i64, Subscriber>,
}

impl<'a> DigestComposer<'a> {
    /// Prepares `editions` (numbers) and loads the subscribers.
    pub fn new(config: &'a Config, store: &Store, editions: &[i64]) -> Result<DigestComposer<'a>> {
        let mut prepared = HashMap::new();
        for &n in editions {
            let e = digest::load_edition(store, n)?
                .with_context(|| format!("edition {n} does not exist"))?;
            prepared.insert(n, PreparedEdition::new(config, store, &e)?);
        }
        let subscribers = store
            .subscribers()?
            .into_iter()
            .map(|s| (s.id, s))
            .collect();
        Ok(DigestComposer {
            config,
            editions: prepared,
            subscribers,
        })
    }
}

impl Composer for DigestComposer<'_> {
    fn compose(&self, edition: i64, r: &Recipient) -> Result<Option<DigestEmail>> {
        let p = self
            .editions
            .get(&edition)
            .with_context(|| format!("edition {edition} was not prepared"))?;
        let (rendered, token) = match self.subscribers.get(&r.subscriber_id) {
            Some(s) => (p.render_for(s), s.token.as_str()),
            // A proof copy (`--to`): every theme, no subscriber's links.
            None => (p.render(&[], Some(&r.token)), r.token.as_str()),
        };
        let Some(email) = rendered else {
            return Ok(None);
        };
        let unsubscribe_url = digest::unsubscribe_url(self.config, token)
            .context("sending needs [digest] unsubscribe_url")?;
        Ok(Some(DigestEmail {
            subject: email.subject,
            html: email.html,
            text: email.text,
            unsubscribe_url,
        }))
    }
}
