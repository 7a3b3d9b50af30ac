//! Theme assignments per article, with scores (owned by the themes stage).
//!
//! `article_themes` is replaced wholesale by each classification pass, in one
//! transaction, together with the two meta keys that let the next pass skip:
//! the `articles_rev` it classified and the hash of the rules it used.

use std::collections::BTreeMap;

use anyhow::Result;
use rusqlite::{OptionalExtension, params};

use super::Store;
use super::articles::StoredData;
use crate::model::StoredArticle;

pub(super) const MIGRATION: &str = r#"
CREATE TABLE article_themes (
    article_id TEXT NOT NULL REFERENCES articles(id) ON DELETE CASCADE,
    theme_id   TEXT NOT NULL,
    score      REAL NOT NULL,
    is_primary INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, theme_id)
);
CREATE INDEX article_themes_theme ON article_themes(theme_id);
"#;

const META_REV: &str = "themes_articles_rev";
const META_HASH: &str = "themes_rules_hash";

/// One theme of one article.
#[derive(Debug, Clone, PartialEq)]
pub struct ThemeAssignment {
    pub theme_id: String,
    pub score: f64,
    pub primary: bool,
}

/// All themes of one article (empty: in no theme).
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleThemes {
    pub article_id: String,
    pub themes: Vec<ThemeAssignment>,
}

impl Store {
    /// The `articles_rev` and rules hash of the last classification pass.
    pub fn themes_state(&self) -> Result<(Option<i64>, Option<String>)> {
        let rev = self.meta_get(META_REV)?.and_then(|v| v.parse().ok());
        Ok((rev, self.meta_get(META_HASH)?))
    }

    /// Streams the live articles that changed after articles revision
    /// `since` (all of them for `None`), oldest first, to `f` in chunks of
    /// `chunk`, each as (id, its data undecoded), so a pass over a large
    /// archive never holds every article in memory. Reading rows is
    /// sequential (one connection); decoding them need not be, and a reader
    /// picks the fields it needs with [`StoredData::decode`] (see
    /// [`unreadable_data`] for the error to give).
    pub fn for_each_changed_article_raw_chunk(
        &self,
        since: Option<i64>,
        chunk: usize,
        f: &mut dyn FnMut(Vec<(String, StoredData)>) -> Result<()>,
    ) -> Result<()> {
        let mut stmt = self.conn().prepare(
            "SELECT id, data FROM articles WHERE removed_at IS NULL AND rev > ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([since.unwrap_or(i64::MIN)])?;
        let mut batch = Vec::with_capacity(chunk);
        while let Some(r) = rows.next()? {
            batch.push((r.get(0)?, StoredData::from_value(r.get_ref(1)?)?));
            if batch.len() >= chunk {
                f(std::mem::replace(&mut batch, Vec::with_capacity(chunk)))?;
            }
        }
        if !batch.is_empty() {
            f(batch)?;
        }
        Ok(())
    }

    /// Replaces every article's themes and records what they were computed
    /// from, atomically.
    pub fn replace_article_themes(
        &mut self,
        rows: &[ArticleThemes],
        articles_rev: i64,
        rules_hash: &str,
    ) -> Result<()> {
        self.replace_changed_article_themes(None, rows, articles_rev, rules_hash)
    }

    /// Replaces the themes of the articles that changed after articles
    /// revision `since` (every article for `None`) — including dropping the
    /// themes of articles removed since — and records what they were
    /// computed from, atomically.
    pub fn replace_changed_article_themes(
        &mut self,
        since: Option<i64>,
        rows: &[ArticleThemes],
        articles_rev: i64,
        rules_hash: &str,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        match since {
            None => tx.execute("DELETE FROM article_themes", [])?,
            Some(rev) => tx.execute(
                "DELETE FROM article_themes
                 WHERE article_id IN (SELECT id FROM articles WHERE rev > ?1)",
                [rev],
            )?,
        };
        {
            let mut ins = tx.prepare(
                "INSERT INTO article_themes (article_id, theme_id, score, is_primary)
                 VALUES (?1, ?2, ?3, ?4)",
            )?;
            for r in rows {
                for t in &r.themes {
                    ins.execute(params![r.article_id, t.theme_id, t.score, t.primary])?;
                }
            }
        }
        for (k, v) in [
            (META_REV, articles_rev.to_string()),
            (META_HASH, rules_hash.into()),
        ] {
            tx.execute(
                "INSERT INTO meta(key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                params![k, v],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// An article's themes, primary first, then by score.
    pub fn article_themes(&self, article_id: &str) -> Result<Vec<ThemeAssignment>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT theme_id, score, is_primary FROM article_themes WHERE article_id = ?1
             ORDER BY is_primary DESC, score DESC, theme_id",
        )?;
        let rows = stmt.query_map([article_id], |r| {
            Ok(ThemeAssignment {
                theme_id: r.get(0)?,
                score: r.get(1)?,
                primary: r.get(2)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An article's theme ids, primary first.
    pub fn article_theme_ids(&self, article_id: &str) -> Result<Vec<String>> {
        Ok(self
            .article_themes(article_id)?
            .into_iter()
            .map(|t| t.theme_id)
            .collect())
    }

    /// The primary theme of an article, if it is in any.
    pub fn primary_theme(&self, article_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT theme_id FROM article_themes WHERE article_id = ?1 AND is_primary = 1",
                [article_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Article id → primary theme id, for every live article that has one.
    pub fn primary_themes(&self) -> Result<BTreeMap<String, String>> {
        let mut stmt = self.conn().prepare(
            "SELECT t.article_id, t.theme_id FROM article_themes t
             JOIN articles a ON a.id = t.article_id
             WHERE t.is_primary = 1 AND a.removed_at IS NULL",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Live articles per theme id (themes without articles are absent).
    pub fn theme_counts(&self) -> Result<BTreeMap<String, usize>> {
        let mut stmt = self.conn().prepare(
            "SELECT t.theme_id, COUNT(*) FROM article_themes t
             JOIN articles a INDEXED BY articles_live_id ON a.id = t.article_id
             WHERE a.removed_at IS NULL GROUP BY t.theme_id",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as usize)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ids of the live articles in a theme, oldest first (archive order).
    pub fn theme_article_ids(&self, theme_id: &str) -> Result<Vec<String>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT a.id FROM articles a JOIN article_themes t ON t.article_id = a.id
             WHERE t.theme_id = ?1 AND a.removed_at IS NULL ORDER BY a.seq",
        )?;
        let rows = stmt.query_map([theme_id], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The live articles in a theme, oldest first (archive order).
    pub fn articles_in_theme(&self, theme_id: &str) -> Result<Vec<StoredArticle>> {
        self.query_articles(
            "WHERE removed_at IS NULL
               AND id IN (SELECT article_id FROM article_themes WHERE theme_id = ?1)
             ORDER BY seq",
            [theme_id],
        )
    }
}

/// The error for an article whose stored data cannot be decoded.
pub fn unreadable_data(id: &str, e: rusqlite::Error) -> anyhow::Error {
    anyhow::anyhow!("article {id}: stored data unreadable: {e}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, Format};
    use crate::store::{IngestBatch, NewFileVersion, ParsedFile};

    fn store_with(ids: &[&str]) -> Store {
        let mut s = Store::open_in_memory().unwrap();
        let versions = ids
            .iter()
            .map(|id| NewFileVersion {
                key: format!("{id}.txt"),
                size: 1,
                mtime_ns: 1,
                hash: format!("h-{id}"),
                parsed: Ok(ParsedFile::new(
                    format!("{id}.txt"),
                    id.to_string(),
                    Format::Text,
                    Article {
                        title: format!("T {id}"),
                        ..Article::default()
                    },
                )),
            })
            .collect();
        let b = IngestBatch {
            versions,
            ..Default::default()
        };
        s.apply_ingest(&b, chrono::Utc::now()).unwrap();
        s
    }

    fn assign(theme: &str, score: f64, primary: bool) -> ThemeAssignment {
        ThemeAssignment {
            theme_id: theme.into(),
            score,
            primary,
        }
    }

    #[test]
    fn replacing_themes_stores_primary_first_and_counts() {
        let mut s = store_with(&["a", "b"]);
        let rows = vec![
            ArticleThemes {
                article_id: "a".into(),
                themes: vec![
                    assign("festivals", 9.0, true),
                    assign("cinema", 12.0, false),
                ],
            },
            ArticleThemes {
                article_id: "b".into(),
                themes: vec![assign("cinema", 3.0, true)],
            },
        ];
        s.replace_article_themes(&rows, 7, "h1").unwrap();
        assert_eq!(s.article_theme_ids("a").unwrap(), ["festivals", "cinema"]);
        assert_eq!(s.primary_theme("b").unwrap().as_deref(), Some("cinema"));
        let counts = s.theme_counts().unwrap();
        assert_eq!(counts["cinema"], 2);
        assert_eq!(counts["festivals"], 1);
        assert_eq!(s.theme_article_ids("cinema").unwrap(), ["a", "b"]);
        assert_eq!(s.articles_in_theme("festivals").unwrap()[0].id, "a");
        assert_eq!(s.primary_themes().unwrap()["a"], "festivals");
        assert_eq!(s.themes_state().unwrap(), (Some(7), Some("h1".into())));

        // A second pass replaces, not adds.
        s.replace_article_themes(&rows[1..], 8, "h2").unwrap();
        assert!(s.article_theme_ids("a").unwrap().is_empty());
        assert_eq!(s.theme_counts().unwrap().get("festivals"), None);
        assert_eq!(s.themes_state().unwrap(), (Some(8), Some("h2".into())));
    }

    #[test]
    fn articles_stream_in_chunks_with_only_the_fields_asked_for() {
        #[derive(serde::Deserialize)]
        struct TitleOnly {
            title: String,
        }
        let s = store_with(&["a", "b", "c"]);
        let mut seen = Vec::new();
        s.for_each_changed_article_raw_chunk(None, 2, &mut |chunk| {
            seen.push(
                chunk
                    .into_iter()
                    .map(|(id, data)| format!("{id}:{}", data.decode::<TitleOnly>().unwrap().title))
                    .collect::<Vec<_>>(),
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, vec![vec!["a:T a", "b:T b"], vec!["c:T c"]]);
    }
}
