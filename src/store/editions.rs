//! Digest editions: numbered, frozen article lists (owned by the digest stage).
//!
//! `edition_articles.article_id` is UNIQUE: an article belongs to at most one
//! edition, ever, whatever later runs, theme changes or retries do.
//! `editions.since` remembers the lower bound a run used, so articles left
//! over by `max_articles` roll into the next edition while articles older
//! than a `--since` cut stay out.

use std::collections::HashMap;

use anyhow::{Result, bail};
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};
use serde::Serialize;

use super::{Store, parse_ts, ts};
use crate::model::StoredArticle;

pub(super) const MIGRATION: &str = r#"
CREATE TABLE editions (
    number     INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    since      TEXT
);
CREATE TABLE edition_articles (
    edition    INTEGER NOT NULL REFERENCES editions(number),
    article_id TEXT NOT NULL UNIQUE REFERENCES articles(id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (edition, article_id)
);
CREATE INDEX edition_articles_order ON edition_articles(edition, position);
"#;

/// An edition as stored: its number, when it was made, and its articles in order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EditionRecord {
    pub number: i64,
    pub created_at: DateTime<Utc>,
    /// The lower bound on `archived_at` this edition was built from, if any.
    pub since: Option<DateTime<Utc>>,
    pub article_ids: Vec<String>,
}

/// One classification row of an article.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleTheme {
    pub theme_id: String,
    pub score: f64,
    pub is_primary: bool,
}

impl Store {
    /// The highest-numbered edition, if any.
    pub fn last_edition(&self) -> Result<Option<EditionRecord>> {
        let n: Option<i64> =
            self.conn()
                .query_row("SELECT MAX(number) FROM editions", [], |r| r.get(0))?;
        match n {
            Some(n) => self.edition(n),
            None => Ok(None),
        }
    }

    pub fn edition(&self, number: i64) -> Result<Option<EditionRecord>> {
        let head = self
            .conn()
            .query_row(
                "SELECT created_at, since FROM editions WHERE number = ?1",
                [number],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?)),
            )
            .optional()?;
        let Some((created_at, since)) = head else {
            return Ok(None);
        };
        let mut stmt = self.conn().prepare_cached(
            "SELECT article_id FROM edition_articles WHERE edition = ?1 ORDER BY position",
        )?;
        let ids = stmt
            .query_map([number], |r| r.get(0))?
            .collect::<rusqlite::Result<Vec<String>>>()?;
        Ok(Some(EditionRecord {
            number,
            created_at: parse_ts(&created_at)?,
            since: since.as_deref().map(parse_ts).transpose()?,
            article_ids: ids,
        }))
    }

    /// Every edition number, ascending.
    pub fn edition_numbers(&self) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT number FROM editions ORDER BY number")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Live articles in no edition, archived at or after `since` (if given),
    /// oldest first (archive order).
    pub fn articles_without_edition(
        &self,
        since: Option<DateTime<Utc>>,
        limit: usize,
    ) -> Result<Vec<StoredArticle>> {
        let since = since.map(ts).unwrap_or_default();
        // LIMIT in SQL: a first edition over a large archive must not load
        // (and decode) every article only to keep the first few.
        self.query_articles(
            "WHERE removed_at IS NULL AND archived_at >= ?1
               AND id NOT IN (SELECT article_id FROM edition_articles)
             ORDER BY archived_at, seq
             LIMIT ?2",
            rusqlite::params![since, limit as i64],
        )
    }

    /// Records a new edition (the next number) with exactly these articles,
    /// in this order. Fails, storing nothing, if any article is already in an
    /// edition.
    pub fn insert_edition(
        &mut self,
        created_at: DateTime<Utc>,
        since: Option<DateTime<Utc>>,
        article_ids: &[String],
    ) -> Result<EditionRecord> {
        if article_ids.is_empty() {
            bail!("an edition needs at least one article");
        }
        let tx = self.conn.transaction()?;
        let number: i64 = tx.query_row(
            "SELECT COALESCE(MAX(number), 0) + 1 FROM editions",
            [],
            |r| r.get(0),
        )?;
        tx.execute(
            "INSERT INTO editions (number, created_at, since) VALUES (?1, ?2, ?3)",
            params![number, ts(created_at), since.map(ts)],
        )?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO edition_articles (edition, article_id, position) VALUES (?1, ?2, ?3)",
            )?;
            for (i, id) in article_ids.iter().enumerate() {
                stmt.execute(params![number, id, i as i64])?;
            }
        }
        tx.commit()?;
        Ok(EditionRecord {
            number,
            created_at,
            since,
            article_ids: article_ids.to_vec(),
        })
    }

    /// The theme rows of the given articles (unknown ids have none).
    pub fn themes_of_articles(&self, ids: &[String]) -> Result<HashMap<String, Vec<ArticleTheme>>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT theme_id, score, is_primary FROM article_themes WHERE article_id = ?1
             ORDER BY is_primary DESC, score DESC, theme_id",
        )?;
        let mut out = HashMap::new();
        for id in ids {
            let rows = stmt
                .query_map([id], |r| {
                    Ok(ArticleTheme {
                        theme_id: r.get(0)?,
                        score: r.get(1)?,
                        is_primary: r.get::<_, i64>(2)? != 0,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            out.insert(id.clone(), rows);
        }
        Ok(out)
    }

    /// Writes a classification row directly. For tests and fixtures of
    /// stages downstream of classification; the themes stage has its own writer.
    #[doc(hidden)]
    pub fn put_article_theme_for_tests(
        &self,
        article_id: &str,
        theme_id: &str,
        score: f64,
        is_primary: bool,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT INTO article_themes (article_id, theme_id, score, is_primary)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(article_id, theme_id) DO UPDATE SET score = excluded.score,
                 is_primary = excluded.is_primary",
            params![article_id, theme_id, score, is_primary as i64],
        )?;
        Ok(())
    }
}
