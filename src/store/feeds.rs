//! Feed bookkeeping (owned by the feeds stage): which files under the feeds
//! directory newsdesk wrote (so it only ever removes its own), the immutable
//! Atom archive pages (RFC 5005) and the read queries the feeds need.
//!
//! Feed order is "newest archived first": `archived_at DESC, published DESC,
//! id DESC` (a missing `published` sorts as oldest). It is expressed as one
//! string, the *feed key* `archived_at || published-or-0000-00-00 || id`
//! (both dates are fixed-width, so comparing keys compares the triple), with
//! a partial index on it. One column matters: SQLite turns `key > ?` into an
//! index range, but not a row-value comparison over an expression index, and
//! one ingest run gives thousands of articles the same `archived_at`. The index
//! serves the latest feeds (scanned backwards with a LIMIT, so their cost does
//! not depend on the archive's size) and the keyset walks that cut archive
//! pages (scanned forwards from the last page's key).

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::articles::{StoredData, row_to_article};
use super::{Store, parse_ts, ts};
use crate::model::{Article, Format, StoredArticle};

pub(super) const MIGRATION: &str = r#"
-- Every file the feeds stage wrote, relative to the feeds dir.
CREATE TABLE feed_state (
    path       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    written_at TEXT NOT NULL
);
-- Atom archive pages: fixed once written. `feed` is 'all' or 'theme:<id>';
-- page 1 holds the oldest entries. `last_key` is the feed key of the page's
-- newest entry, where the next page starts.
CREATE TABLE feed_archive_pages (
    feed        TEXT NOT NULL,
    page        INTEGER NOT NULL,
    article_ids TEXT NOT NULL,
    last_key    TEXT NOT NULL,
    written_at  TEXT NOT NULL,
    PRIMARY KEY (feed, page)
);
-- `id` rides along so the theme filter's probe into article_themes needs no
-- table row: walking past other themes' articles only touches the index.
CREATE INDEX feeds_article_order
    ON articles(archived_at || COALESCE(published, '0000-00-00') || id, id)
    WHERE removed_at IS NULL;
"#;

/// Where an article sits in feed order (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedKey(pub String);

/// One immutable Atom archive page as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivePage {
    pub feed: String,
    pub page: i64,
    pub article_ids: Vec<String>,
    pub last: FeedKey,
}

/// The feed key expression; must match the index exactly.
const KEY: &str = "(a.archived_at || COALESCE(a.published, '0000-00-00') || a.id)";
const COLS: &str = "a.id, a.source_path, a.format, a.archived_at, a.updated_at, a.seq, a.data, \
                    (a.archived_at || COALESCE(a.published, '0000-00-00') || a.id)";
const THEME_FILTER: &str = "AND (?1 IS NULL OR EXISTS (SELECT 1 FROM article_themes t \
                            WHERE t.article_id = a.id AND t.theme_id = ?1))";

/// An article row as read, its JSON not yet decoded: reading rows is
/// sequential (one connection), decoding them is not ([`RawArticle::decode_with`]
/// runs on worker threads).
#[derive(Debug)]
pub struct RawArticle {
    id: String,
    source_path: String,
    format: String,
    archived_at: String,
    updated_at: String,
    seq: i64,
    data: StoredData,
}

/// [`Article`] without `body_text`, which the feeds need only for the summary
/// of an article without a standfirst: skipping it saves copying a few
/// kilobytes per article.
#[derive(serde::Deserialize)]
struct WithoutBodyText {
    explicit_id: Option<String>,
    site_name: Option<String>,
    title: String,
    url: Option<String>,
    date: Option<chrono::NaiveDate>,
    standfirst: Option<String>,
    image_url: Option<String>,
    caption: Option<String>,
    image_credit: Option<String>,
    authors: Vec<String>,
    tags: Vec<String>,
    pull_quotes: Vec<String>,
    related: Vec<String>,
    themes: Vec<String>,
    body_html: String,
}

/// Only `body_text` (serde skips the other fields).
#[derive(serde::Deserialize)]
struct OnlyBodyText {
    body_text: String,
}

impl RawArticle {
    /// The stored article (as `row_to_article` gives it), with its
    /// `body_text` only if `needs_body_text` says so of the article without
    /// it (else left empty). The data is unpacked once, and the JSON parsed
    /// once more, for `body_text` alone, only when it is needed.
    pub fn decode_with(
        &self,
        needs_body_text: impl FnOnce(&StoredArticle) -> bool,
    ) -> Result<StoredArticle> {
        self.data
            .with_json(|json| self.decode_json(json, needs_body_text))?
    }

    fn decode_json(
        &self,
        json: &[u8],
        needs_body_text: impl FnOnce(&StoredArticle) -> bool,
    ) -> Result<StoredArticle> {
        let a: WithoutBodyText = serde_json::from_slice(json)?;
        let mut stored = StoredArticle {
            format: Format::parse(&self.format).unwrap_or(Format::Text),
            archived_at: parse_ts(&self.archived_at)?,
            updated_at: parse_ts(&self.updated_at)?,
            id: self.id.clone(),
            source_path: self.source_path.clone(),
            seq: self.seq,
            article: Article {
                explicit_id: a.explicit_id,
                site_name: a.site_name,
                title: a.title,
                url: a.url,
                date: a.date,
                standfirst: a.standfirst,
                image_url: a.image_url,
                caption: a.caption,
                image_credit: a.image_credit,
                authors: a.authors,
                tags: a.tags,
                pull_quotes: a.pull_quotes,
                related: a.related,
                themes: a.themes,
                body_html: a.body_html,
                body_text: String::new(),
            },
        };
        if needs_body_text(&stored) {
            let b: OnlyBodyText = serde_json::from_slice(json)?;
            stored.article.body_text = b.body_text;
        }
        Ok(stored)
    }
}

impl Store {
    /// Gives this connection a larger page cache while a feeds run walks
    /// the whole archive (first run, archive pages). No memory map: mapped
    /// pages of a 2 GB store would all count as the process's memory, and
    /// each row is read once anyway.
    pub fn feed_tune_for_bulk_reads(&self) -> Result<()> {
        self.conn().pragma_update(None, "cache_size", -16_384)?;
        Ok(())
    }

    /// The newest `limit` live articles, all or of one theme, newest first.
    pub fn feed_latest(&self, theme: Option<&str>, limit: usize) -> Result<Vec<StoredArticle>> {
        let sql = format!(
            "SELECT {COLS} FROM articles a WHERE a.removed_at IS NULL {THEME_FILTER}
             ORDER BY {KEY} DESC LIMIT ?2"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![theme, limit as i64], row_to_article)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Every live article (all or of one theme) after `after` in feed
    /// order, oldest first, as (feed key, rowid): the keyset walk that cuts
    /// archive pages. It does not read the article's JSON, so walking even
    /// the whole archive is cheap (~40 ms for 100,000); rows are then read
    /// once each with [`Store::feed_raw_article`], however many feeds need them.
    pub fn feed_pending(
        &self,
        theme: Option<&str>,
        after: Option<&FeedKey>,
    ) -> Result<Vec<(FeedKey, i64)>> {
        // The empty string sorts before every real key.
        let after = after.map_or("", |k| k.0.as_str());
        let sql = format!(
            "SELECT {KEY}, a.rowid FROM articles a WHERE a.removed_at IS NULL {THEME_FILTER}
               AND {KEY} > ?2
             ORDER BY {KEY}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![theme, after], |r| {
            Ok((FeedKey(r.get(0)?), r.get(1)?))
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Runs `f` inside one read transaction: thousands of point reads then
    /// share one snapshot and one file lock instead of taking and releasing
    /// the lock (two `fcntl`s and a `stat`) each.
    pub fn feed_reading<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let tx = self.conn().unchecked_transaction()?;
        let out = f()?;
        tx.commit()?;
        Ok(out)
    }

    /// One article row by rowid, undecoded (see [`RawArticle`]).
    pub fn feed_raw_article(&self, rowid: i64) -> Result<Option<RawArticle>> {
        let mut stmt = self
            .conn()
            .prepare_cached(&format!("SELECT {COLS} FROM articles a WHERE a.rowid = ?1"))?;
        let mut rows = stmt.query([rowid])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(RawArticle {
            id: r.get(0)?,
            source_path: r.get(1)?,
            format: r.get(2)?,
            archived_at: r.get(3)?,
            updated_at: r.get(4)?,
            seq: r.get(5)?,
            data: StoredData::from_value(r.get_ref(6)?)?,
        }))
    }

    /// The numbers of one feed's recorded archive pages, oldest first (read
    /// from the primary key's index alone).
    pub fn feed_archive_page_numbers(&self, feed: &str) -> Result<Vec<i64>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT page FROM feed_archive_pages WHERE feed = ?1 ORDER BY page")?;
        let rows = stmt.query_map([feed], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// One feed's newest recorded archive page, without its article ids (see
    /// [`Store::feed_archive_page_members`]): where the next page starts.
    pub fn feed_last_archive_page(&self, feed: &str) -> Result<Option<ArchivePage>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT page, last_key FROM feed_archive_pages WHERE feed = ?1
             ORDER BY page DESC LIMIT 1",
        )?;
        let mut rows = stmt.query([feed])?;
        let Some(r) = rows.next()? else {
            return Ok(None);
        };
        Ok(Some(ArchivePage {
            feed: feed.to_string(),
            page: r.get(0)?,
            article_ids: Vec::new(),
            last: FeedKey(r.get(1)?),
        }))
    }

    /// The articles one archive page was cut with, oldest first, as
    /// [`Store::feed_pending`] gives them (live or removed since; ids no
    /// longer stored are skipped): what rebuilding a lost page reads.
    pub fn feed_archive_page_members(&self, feed: &str, page: i64) -> Result<Vec<(FeedKey, i64)>> {
        let sql = format!(
            "SELECT {KEY}, a.rowid FROM feed_archive_pages p, json_each(p.article_ids) j
               JOIN articles a ON a.id = j.value
             WHERE p.feed = ?1 AND p.page = ?2
             ORDER BY j.key"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params![feed, page], |r| Ok((FeedKey(r.get(0)?), r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records newly written archive pages in one transaction.
    pub fn feed_record_archive_pages(
        &self,
        pages: &[ArchivePage],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn().unchecked_transaction()?;
        {
            let mut stmt = tx.prepare_cached(
                "INSERT OR REPLACE INTO feed_archive_pages
                 (feed, page, article_ids, last_key, written_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for p in pages {
                stmt.execute(params![
                    p.feed,
                    p.page,
                    serde_json::to_string(&p.article_ids)?,
                    p.last.0,
                    ts(now)
                ])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Feeds that have archive pages recorded.
    pub fn feed_archived_feeds(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT DISTINCT feed FROM feed_archive_pages ORDER BY feed")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Forgets a feed's archive pages (its theme was deleted from the config).
    pub fn feed_forget_archive(&self, feed: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM feed_archive_pages WHERE feed = ?1", [feed])?;
        Ok(())
    }

    /// Every file the feeds stage has written, relative to the feeds dir
    /// (read from the path index alone).
    pub fn feed_files(&self) -> Result<Vec<String>> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT path FROM feed_state ORDER BY path")?;
        let rows = stmt.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records written files and forgets removed ones, in one transaction.
    /// A file's hash is the SHA-256 of the bytes written, or empty for an
    /// archive page cut this run (written once, never compared); an unchanged
    /// hash keeps the file's `written_at`.
    pub fn feed_record_files(
        &self,
        written: &[(String, String)],
        removed: &[String],
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn().unchecked_transaction()?;
        {
            let mut up = tx.prepare_cached(
                "INSERT INTO feed_state (path, hash, written_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT(path) DO UPDATE SET hash = excluded.hash,
                     written_at = CASE WHEN hash = excluded.hash THEN written_at
                                       ELSE excluded.written_at END",
            )?;
            for (path, hash) in written {
                up.execute(params![path, hash, ts(now)])?;
            }
            let mut del = tx.prepare_cached("DELETE FROM feed_state WHERE path = ?1")?;
            for path in removed {
                del.execute([path])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// A cheap fingerprint of the theme classification: the themes stage
    /// rewrites `article_themes` in one transaction together with the
    /// `articles_rev` it classified and its rules hash, so that pair names the
    /// classification; without them, a hash of `article_themes`.
    pub fn feed_themes_fingerprint(&self) -> Result<String> {
        if let (Some(rev), Some(hash)) = (
            self.meta_get("themes_articles_rev")?,
            self.meta_get("themes_rules_hash")?,
        ) {
            return Ok(format!("rev:{rev}:{hash}"));
        }
        let mut stmt = self.conn().prepare_cached(
            "SELECT article_id, theme_id, is_primary FROM article_themes
             ORDER BY article_id, theme_id",
        )?;
        let mut rows = stmt.query([])?;
        let mut h = sha2::Sha256::default();
        use sha2::Digest;
        while let Some(r) = rows.next()? {
            let a: String = r.get(0)?;
            let t: String = r.get(1)?;
            let p: i64 = r.get(2)?;
            h.update(a.as_bytes());
            h.update([0]);
            h.update(t.as_bytes());
            h.update([0, p as u8]);
        }
        Ok(format!("hash:{}", hex::encode(h.finalize())))
    }

    /// Assigns an article to a theme directly. For tests and benchmarks that
    /// need a classification without running the themes stage; it forgets the
    /// themes stage's revision keys, so the feeds see the change.
    #[doc(hidden)]
    pub fn feed_test_assign_theme(
        &self,
        article_id: &str,
        theme_id: &str,
        score: f64,
        primary: bool,
    ) -> Result<()> {
        self.conn().execute(
            "INSERT OR REPLACE INTO article_themes (article_id, theme_id, score, is_primary)
             VALUES (?1, ?2, ?3, ?4)",
            params![article_id, theme_id, score, primary],
        )?;
        self.conn().execute(
            "DELETE FROM meta WHERE key IN ('themes_articles_rev', 'themes_rules_hash')",
            [],
        )?;
        Ok(())
    }

    /// Forgets all feed bookkeeping (files, archive pages, fingerprint), so
    /// the next run starts from scratch. For benchmarks.
    #[doc(hidden)]
    pub fn feed_test_forget_everything(&self) -> Result<()> {
        self.conn().execute_batch(
            "DELETE FROM feed_state; DELETE FROM feed_archive_pages;
             DELETE FROM meta WHERE key = 'feeds_fingerprint';",
        )?;
        Ok(())
    }

    /// Adds the index the ingest's lookup by source file needs
    /// (`articles.source_key`; without it each stored file scans the whole
    /// table). For the feeds benchmark, which builds a 100,000-article store.
    #[doc(hidden)]
    pub fn feed_test_index_source_key(&self) -> Result<()> {
        self.conn().execute_batch(
            "CREATE INDEX IF NOT EXISTS bench_articles_source ON articles(source_key)",
        )?;
        Ok(())
    }

    /// Runs `f` in one transaction (bulk test setup).
    #[doc(hidden)]
    pub fn feed_test_in_transaction<T>(&self, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let tx = self.conn().unchecked_transaction()?;
        let out = f()?;
        tx.commit()?;
        Ok(out)
    }

    /// The query plans of the latest-feed and archive-walk queries, for tests
    /// that guard their cost.
    #[doc(hidden)]
    pub fn feed_latest_plan(&self, theme: Option<&str>) -> Result<String> {
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT {COLS} FROM articles a WHERE a.removed_at IS NULL {THEME_FILTER}
             ORDER BY {KEY} DESC LIMIT ?2"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut plan = stmt
            .query_map(params![theme, 50], |r| r.get::<_, String>(3))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let sql = format!(
            "EXPLAIN QUERY PLAN SELECT {KEY}, a.rowid FROM articles a WHERE a.removed_at IS NULL {THEME_FILTER}
               AND {KEY} > ?2 ORDER BY {KEY}"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        plan.extend(
            stmt.query_map(params![theme, "k"], |r| r.get::<_, String>(3))?
                .collect::<rusqlite::Result<Vec<_>>>()?,
        );
        Ok(plan.join("\n"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latest_feed_queries_walk_the_order_index_without_sorting() {
        let s = Store::open_in_memory().unwrap();
        for theme in [None, Some("festivals")] {
            let plan = s.feed_latest_plan(theme).unwrap();
            assert!(
                plan.contains("SCAN a USING INDEX feeds_article_order"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
            assert!(
                plan.contains("SEARCH a USING INDEX feeds_article_order (<expr>>?)"),
                "{plan}"
            );
        }
    }
}

#[cfg(test)]
mod raw_tests {
    use super::*;

    #[test]
    fn raw_rows_decode_like_stored_articles_with_or_without_body_text() {
        let full = Article {
            title: "T".into(),
            standfirst: Some("S".into()),
            authors: vec!["A".into()],
            body_html: "<p>B \"q\"</p>".into(),
            body_text: "B \"q\"".into(),
            date: chrono::NaiveDate::from_ymd_opt(2020, 1, 2),
            ..Article::default()
        };
        let json = serde_json::to_string(&full).unwrap();
        // Packed as the store writes it now, and plain as older stores hold it.
        for data in [StoredData::packed(&json), StoredData::plain(&json)] {
            let raw = RawArticle {
                id: "a".into(),
                source_path: "a.md".into(),
                format: "markdown".into(),
                archived_at: "2026-01-01T00:00:00Z".into(),
                updated_at: "2026-01-02T00:00:00Z".into(),
                seq: 7,
                data: data.clone(),
            };
            let a = raw.decode_with(|_| true).unwrap();
            assert_eq!(a.article, full);
            // Read as the articles store's own reader reads it.
            assert_eq!(data.decode::<Article>().unwrap(), a.article);
            assert_eq!((a.id.as_str(), a.seq, a.format), ("a", 7, Format::Markdown));
            let lite = raw.decode_with(|_| false).unwrap();
            assert_eq!(
                lite.article,
                Article {
                    body_text: String::new(),
                    ..full.clone()
                }
            );
        }
    }

    fn raw(data: Vec<u8>, packed: bool) -> RawArticle {
        RawArticle {
            id: "a".into(),
            source_path: "a.txt".into(),
            format: "text".into(),
            archived_at: "2026-01-01T00:00:00Z".into(),
            updated_at: "2026-01-01T00:00:00Z".into(),
            seq: 1,
            data: StoredData::from_parts(data, packed),
        }
    }

    #[test]
    fn reused_unpack_buffer_never_leaks_a_longer_previous_article() {
        let long = Article {
            title: "Long".into(),
            body_text: "x".repeat(10_000),
            body_html: "<p>long</p>".into(),
            ..Article::default()
        };
        let short = Article {
            title: "Short".into(),
            body_text: "y".into(),
            ..Article::default()
        };
        for a in [&long, &short, &long, &short] {
            let json = serde_json::to_string(a).unwrap();
            let r = raw(super::super::articles::encode_data(json.as_bytes()), true);
            assert_eq!(&r.decode_with(|_| true).unwrap().article, a);
        }
    }

    #[test]
    fn body_text_is_read_only_when_the_article_without_it_asks_for_it() {
        let full = Article {
            title: "T".into(),
            standfirst: None,
            body_text: "first\n\nsecond".into(),
            ..Article::default()
        };
        let json = serde_json::to_string(&full).unwrap();
        let r = raw(super::super::articles::encode_data(json.as_bytes()), true);
        let mut seen = None;
        let a = r
            .decode_with(|a| {
                seen = Some(a.article.body_text.clone());
                a.article.standfirst.is_none()
            })
            .unwrap();
        // The predicate sees the article without its body text ...
        assert_eq!(seen.as_deref(), Some(""));
        // ... and its answer decides whether the body text is read.
        assert_eq!(a.article, full);
        assert_eq!(r.decode_with(|_| false).unwrap().article.body_text, "");
    }

    #[test]
    fn damaged_packed_data_is_an_error_not_a_panic() {
        let json = serde_json::to_string(&Article::default()).unwrap();
        let mut packed = super::super::articles::encode_data(json.as_bytes());
        // A size larger than the data unpacks to.
        packed[0] = packed[0].wrapping_add(7);
        assert!(raw(packed, true).decode_with(|_| true).is_err());
        assert!(raw(vec![1, 2], true).decode_with(|_| true).is_err());
        let mut cut = super::super::articles::encode_data(json.as_bytes());
        cut.truncate(cut.len() / 2);
        assert!(raw(cut, true).decode_with(|_| false).is_err());
    }
}
