//! Creating and loading editions.
//!
//! Which articles the next edition takes: live articles that are in no
//! edition yet and were archived at or after the *floor*. The floor is
//! `--since` when given, else the floor the previous edition used (none for
//! a first edition, which therefore takes everything not yet sent). Articles
//! go in archive order (oldest first); beyond `max_articles` the newest wait
//! for the next edition, so nothing is ever skipped.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::model::StoredArticle;
use crate::store::Store;

/// Options of `newsdesk digest` that shape a new edition.
#[derive(Debug, Clone, Default)]
pub struct EditionOptions {
    /// Only articles archived at or after this (and later editions keep this floor).
    pub since: Option<DateTime<Utc>>,
    /// Overrides `[digest] max_articles`.
    pub max_articles: Option<usize>,
}

/// An edition with its articles loaded, in edition order.
#[derive(Debug, Clone)]
pub struct Edition {
    pub number: i64,
    pub created_at: DateTime<Utc>,
    pub articles: Vec<StoredArticle>,
}

impl Edition {
    pub fn article_ids(&self) -> Vec<String> {
        self.articles.iter().map(|a| a.id.clone()).collect()
    }
}

/// The edition `create_edition` would make now, without storing anything
/// (`None`: nothing new). Used by previews.
pub fn next_edition(
    store: &Store,
    config: &Config,
    now: DateTime<Utc>,
    opts: &EditionOptions,
) -> Result<Option<(Edition, Option<DateTime<Utc>>)>> {
    let last = store.last_edition()?;
    let floor = opts.since.or(last.as_ref().and_then(|e| e.since));
    let max = opts
        .max_articles
        .unwrap_or(config.digest.max_articles)
        .max(1);
    let articles = store.articles_without_edition(floor, max)?;
    if articles.is_empty() {
        return Ok(None);
    }
    Ok(Some((
        Edition {
            number: last.map_or(1, |e| e.number + 1),
            created_at: now,
            articles,
        },
        floor,
    )))
}

/// Creates and stores the next edition, or returns `None` when no article is
/// waiting. The edition's article list is frozen from here on.
pub fn create_edition(
    store: &mut Store,
    config: &Config,
    now: DateTime<Utc>,
    opts: &EditionOptions,
) -> Result<Option<Edition>> {
    let Some((edition, floor)) = next_edition(store, config, now, opts)? else {
        return Ok(None);
    };
    let rec = store
        .insert_edition(now, floor, &edition.article_ids())
        .context("cannot record the edition")?;
    Ok(Some(Edition {
        number: rec.number,
        ..edition
    }))
}

/// A stored edition with its articles (also ones since removed from the
/// archive: an edition is frozen). `None` if there is no such edition.
pub fn load_edition(store: &Store, number: i64) -> Result<Option<Edition>> {
    let Some(rec) = store.edition(number)? else {
        return Ok(None);
    };
    let mut articles = Vec::with_capacity(rec.article_ids.len());
    for id in &rec.article_ids {
        if let Some(a) = store.article(id)? {
            articles.push(a);
        }
    }
    Ok(Some(Edition {
        number: rec.number,
        created_at: rec.created_at,
        articles,
    }))
}
