//! Articles and the archive files they come from.
//!
//! `files` remembers every archive file's size, mtime and content hash so an
//! unchanged archive is recognised without reading it; `articles` holds the
//! parsed article (as JSON) under its stable id with its three clocks.

use std::collections::HashMap;

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use super::{Store, parse_ts, ts};
use crate::model::{Article, Format, StoredArticle};

pub(super) const MIGRATION: &str = r#"
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- One row per archive file seen. `key` is the path relative to the config
-- directory. A rejected file keeps its error so it is not re-parsed (and
-- re-reported) until it changes.
CREATE TABLE files (
    key        TEXT PRIMARY KEY,
    size       INTEGER NOT NULL,
    mtime_ns   INTEGER NOT NULL,
    hash       TEXT NOT NULL,
    article_id TEXT,
    error      TEXT
);
CREATE TABLE articles (
    id           TEXT PRIMARY KEY,
    seq          INTEGER NOT NULL UNIQUE,
    source_key   TEXT NOT NULL,
    source_path  TEXT NOT NULL,
    format       TEXT NOT NULL,
    title        TEXT NOT NULL,
    published    TEXT,
    archived_at  TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    removed_at   TEXT,
    data         TEXT NOT NULL
);
CREATE INDEX articles_archived ON articles(archived_at, seq);
CREATE INDEX articles_source ON articles(source_key);
"#;

/// Step 7: each article records the `articles_rev` at which it last changed
/// (added, edited, removed or restored), so later stages can work on just
/// the articles that changed since they last ran.
pub(super) const MIGRATION_REV: &str = r#"
ALTER TABLE articles ADD COLUMN rev INTEGER NOT NULL DEFAULT 0;
CREATE INDEX articles_by_rev ON articles(rev);
"#;

/// Schema step 8: which ids are live, answerable from an index alone. Joins
/// that only ask "is this article live" (per-theme counts after every run)
/// otherwise read the article rows themselves, which at 100,000 articles
/// means pages of a 2 GB table.
pub(super) const MIGRATION_LIVE_ID: &str = r#"
CREATE INDEX articles_live_id ON articles(id) WHERE removed_at IS NULL;
"#;

/// The live articles a file feeds (normally one; the oldest wins). No ORDER
/// BY: ordering by `seq` (or MIN(seq)) made SQLite re-prepare the statement
/// on every call inside a write transaction, which was most of its cost.
const LIVE_IDS_OF_SOURCE: &str =
    "SELECT id, seq FROM articles WHERE source_key = ?1 AND removed_at IS NULL";

/// What the store remembers of one archive file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileState {
    pub size: i64,
    pub mtime_ns: i64,
    pub hash: String,
    pub article_id: Option<String>,
    pub error: Option<String>,
}

/// A file whose content was read this run: parsed, or rejected.
#[derive(Debug, Clone)]
pub struct NewFileVersion {
    pub key: String,
    pub size: i64,
    pub mtime_ns: i64,
    pub hash: String,
    /// The parsed article with its path-relative source and derived id, or the
    /// reason the file was rejected.
    pub parsed: Result<ParsedFile, String>,
}

/// Built only by [`ParsedFile::new`], and read-only after: the hash and
/// stored bytes must stay those of `article`.
#[derive(Debug, Clone)]
pub struct ParsedFile {
    source_path: String,
    derived_id: String,
    format: Format,
    article: Article,
    /// [`crate::util::content_hash`] of the article's JSON: what "the
    /// content changed" means.
    content_hash: String,
    /// The stored form of that JSON ([`encode_data`]).
    data: Vec<u8>,
}

impl ParsedFile {
    /// Serializes, hashes and compresses the article right away: ingest
    /// builds these on the parsing threads, while the article is still in
    /// cache, so the single SQLite writer only writes.
    pub fn new(source_path: String, derived_id: String, format: Format, article: Article) -> Self {
        let json = super::json::article_json(&article);
        ParsedFile {
            content_hash: crate::util::content_hash(&json),
            data: encode_data(&json),
            source_path,
            derived_id,
            format,
            article,
        }
    }
}

/// One chunk of an ingest pass, applied in a single transaction. A large
/// archive is ingested in several chunks so parsed articles never pile up in
/// memory; `gone` and `moved_from` describe the whole pass and are the same in
/// every chunk.
#[derive(Debug, Default)]
pub struct IngestBatch {
    /// Files whose size/mtime changed but whose bytes did not.
    pub touched: Vec<(String, i64, i64)>,
    pub versions: Vec<NewFileVersion>,
    /// Keys of vanished files to forget in this chunk (sent with the last one).
    pub removed: Vec<String>,
    /// Files that say they are drafts: remembered (so they are not read
    /// again until they change) but not published; an article they fed
    /// leaves the feeds.
    pub drafts: Vec<NewFileVersion>,
    /// Keys of every file that vanished in this pass: their ids are free to claim.
    pub gone: std::collections::HashSet<String>,
    /// Content hash → article id of vanished files, so a moved file keeps its
    /// id even when the id is derived from the path.
    pub moved_from: HashMap<String, String>,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IngestOutcome {
    pub new: usize,
    pub updated: usize,
    /// Files that were read but whose article did not change (e.g. renamed).
    pub unchanged: usize,
    pub removed: usize,
    /// (file key, message) for every file rejected this run.
    pub rejected: Vec<(String, String)>,
    /// Files skipped as drafts this run.
    pub drafts: usize,
}

impl Store {
    /// All remembered archive files' keys, sizes and mtimes, sorted by key
    /// (byte order, the same as Rust's `str` order), so ingest can merge them
    /// with a sorted scan instead of hashing 100,000 paths on every run. The
    /// rest of a file's state is read only for the few files that changed
    /// ([`Store::file_state`]).
    pub fn file_stats(&self) -> Result<Vec<(String, i64, i64)>> {
        let mut stmt = self
            .conn()
            .prepare("SELECT key, size, mtime_ns FROM files ORDER BY key")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Everything the store remembers of one archive file.
    pub fn file_state(&self, key: &str) -> Result<Option<FileState>> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT size, mtime_ns, hash, article_id, error FROM files WHERE key = ?1",
        )?;
        Ok(stmt
            .query_row([key], |r| {
                Ok(FileState {
                    size: r.get(0)?,
                    mtime_ns: r.get(1)?,
                    hash: r.get(2)?,
                    article_id: r.get(3)?,
                    error: r.get(4)?,
                })
            })
            .optional()?)
    }

    /// Settings for a pass that writes many articles: a bigger page cache and
    /// fewer, larger WAL checkpoints (each checkpoint rewrites the b-tree
    /// pages every commit since the last one touched).
    pub fn tune_for_bulk_writes(&self) -> Result<()> {
        self.conn().pragma_update(None, "cache_size", -65_536)?;
        self.conn()
            .pragma_update(None, "wal_autocheckpoint", 16_384)?;
        Ok(())
    }

    /// Applies one ingest pass atomically: either all of it is stored or none.
    pub fn apply_ingest(
        &mut self,
        batch: &IngestBatch,
        now: DateTime<Utc>,
    ) -> Result<IngestOutcome> {
        let mut out = IngestOutcome::default();
        let now_s = ts(now);
        let tx = self.conn.transaction()?;
        let mut changed = false;
        // The revision this batch makes, if it changes anything (see
        // bump_articles_rev); rows it touches are stamped with it.
        let next_rev: i64 = tx
            .prepare_cached(
                "SELECT COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'articles_rev'), 0) + 1",
            )?
            .query_row([], |r| r.get(0))?;

        for key in &batch.removed {
            tx.prepare_cached("DELETE FROM files WHERE key = ?1")?
                .execute([key])?;
        }

        for (key, size, mtime) in &batch.touched {
            tx.prepare_cached("UPDATE files SET size = ?2, mtime_ns = ?3 WHERE key = ?1")?
                .execute(params![key, size, mtime])?;
        }

        let mut claimed: HashMap<String, String> = HashMap::new();
        // Only this transaction inserts articles: the next seq is counted
        // here after one MAX().
        let mut next_seq: Option<i64> = None;
        for v in &batch.versions {
            let parsed = match &v.parsed {
                Ok(p) => p,
                Err(msg) => {
                    record_file(&tx, v, None, Some(msg))?;
                    out.rejected.push((v.key.clone(), msg.clone()));
                    continue;
                }
            };
            // Ids are forever: a file that already feeds a live article keeps
            // that article's id even if its stated id (or canonical URL)
            // changes, so an edit never turns one article into two.
            let current: Option<String> = {
                let mut stmt = tx.prepare_cached(LIVE_IDS_OF_SOURCE)?;
                let live = stmt.query_map([&v.key], |r| Ok((r.get::<_, i64>(1)?, r.get(0)?)))?;
                live.collect::<rusqlite::Result<Vec<(i64, String)>>>()?
                    .into_iter()
                    .min()
                    .map(|(_, id)| id)
            };
            let id = current
                .or_else(|| parsed.article.explicit_id.clone())
                .or_else(|| batch.moved_from.get(&v.hash).cloned())
                .unwrap_or_else(|| parsed.derived_id.clone());

            // The row this id already has, if any: one lookup answers both
            // "who owns the id" and "did the content change".
            let existing: Option<(String, String, Option<String>)> = tx
                .prepare_cached(
                    "SELECT source_key, content_hash, removed_at FROM articles WHERE id = ?1",
                )?
                .query_row([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .optional()?;
            // Two files must not claim one id: the second would silently
            // overwrite the first article.
            let owner = existing
                .as_ref()
                .filter(|(_, _, removed_at)| removed_at.is_none())
                .map(|(key, _, _)| key);
            let other = claimed.get(&id).cloned().or_else(|| {
                owner
                    .filter(|k| *k != &v.key && !batch.gone.contains(*k))
                    .cloned()
            });
            if let Some(other) = other {
                let msg = format!(
                    "article id {id:?} is already used by {other}; give one of them another id"
                );
                record_file(&tx, v, None, Some(&msg))?;
                out.rejected.push((v.key.clone(), msg));
                continue;
            }
            claimed.insert(id.clone(), v.key.clone());

            let (content_hash, data) = (&parsed.content_hash, &parsed.data);
            let published = parsed.article.date.map(|d| d.to_string());
            match existing.map(|(_, hash, removed_at)| (hash, removed_at)) {
                None => {
                    let seq = match next_seq {
                        Some(seq) => seq,
                        None => tx
                            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM articles")?
                            .query_row([], |r| r.get(0))?,
                    };
                    next_seq = Some(seq + 1);
                    tx.prepare_cached(
                        "INSERT INTO articles (id, seq, source_key, source_path, format, title, published,
                             archived_at, updated_at, content_hash, removed_at, data, rev)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9, NULL, ?10, ?11)",
                    )?
                    .execute(params![
                            id,
                            seq,
                            v.key,
                            parsed.source_path,
                            parsed.format.as_str(),
                            parsed.article.title,
                            published,
                            now_s,
                            content_hash,
                            data,
                            next_rev
                        ],
                    )?;
                    out.new += 1;
                    changed = true;
                }
                Some((old_hash, removed_at)) => {
                    // A hash from before content_hash: compare the old way,
                    // on the JSON this version stores.
                    let content_changed = !crate::util::same_hash(&old_hash, content_hash, || {
                        lz4_flex::decompress_size_prepended(data).unwrap_or_default()
                    });
                    tx.prepare_cached(
                        "UPDATE articles SET source_key = ?2, source_path = ?3, format = ?4, title = ?5,
                             published = ?6, content_hash = ?7, data = ?8, removed_at = NULL,
                             updated_at = CASE WHEN ?9 THEN ?10 ELSE updated_at END,
                             rev = CASE WHEN ?9 OR removed_at IS NOT NULL THEN ?11 ELSE rev END
                         WHERE id = ?1",
                    )?
                    .execute(params![
                            id,
                            v.key,
                            parsed.source_path,
                            parsed.format.as_str(),
                            parsed.article.title,
                            published,
                            content_hash,
                            data,
                            content_changed,
                            now_s,
                            next_rev
                        ],
                    )?;
                    if content_changed {
                        out.updated += 1;
                    } else {
                        out.unchanged += 1;
                    }
                    changed |= content_changed || removed_at.is_some();
                }
            }
            record_file(&tx, v, Some(&id), None)?;
        }

        // A draft is remembered without an article; the article its file
        // fed, if any, leaves the feeds like that of a removed file.
        for v in &batch.drafts {
            let msg = v.parsed.as_ref().err().map(String::as_str);
            record_file(&tx, v, None, msg.or(Some("draft")))?;
            out.drafts += 1;
        }
        // An article whose last file is gone leaves the feeds, but keeps its
        // row (and id) so it comes back under the same id if restored.
        let drafts = batch.drafts.iter().map(|v| &v.key);
        for key in batch.removed.iter().chain(drafts) {
            let n = tx
                .prepare_cached(
                    "UPDATE articles SET removed_at = ?2, rev = ?3
                 WHERE source_key = ?1 AND removed_at IS NULL
                   AND id NOT IN (SELECT article_id FROM files WHERE article_id IS NOT NULL)",
                )?
                .execute(params![key, now_s, next_rev])?;
            out.removed += n;
            changed |= n > 0;
        }

        if changed {
            bump_articles_rev(&tx)?;
        }
        tx.commit()?;
        Ok(out)
    }

    /// A counter that changes whenever any article is added, changed or
    /// removed; later stages compare it to skip work on a no-op run.
    pub fn articles_rev(&self) -> Result<i64> {
        Ok(self
            .meta_get("articles_rev")?
            .and_then(|v| v.parse().ok())
            .unwrap_or(0))
    }

    /// Every live article, oldest first (by archive order).
    pub fn articles(&self) -> Result<Vec<StoredArticle>> {
        self.query_articles("WHERE removed_at IS NULL ORDER BY seq", [])
    }

    /// One article by id (live or removed).
    pub fn article(&self, id: &str) -> Result<Option<StoredArticle>> {
        Ok(self
            .query_articles("WHERE id = ?1", [id])?
            .into_iter()
            .next())
    }

    /// Live articles with the given source file key.
    pub fn article_by_source(&self, key: &str) -> Result<Option<StoredArticle>> {
        Ok(self
            .query_articles("WHERE source_key = ?1 AND removed_at IS NULL", [key])?
            .into_iter()
            .next())
    }

    pub fn article_count(&self) -> Result<usize> {
        let n: i64 = self.conn().query_row(
            "SELECT COUNT(*) FROM articles WHERE removed_at IS NULL",
            [],
            |r| r.get(0),
        )?;
        Ok(n as usize)
    }

    /// Runs a SELECT over articles with the given tail (WHERE/ORDER/LIMIT).
    pub(crate) fn query_articles<P: rusqlite::Params>(
        &self,
        tail: &str,
        params: P,
    ) -> Result<Vec<StoredArticle>> {
        let sql = format!(
            "SELECT id, source_path, format, archived_at, updated_at, seq, data FROM articles {tail}"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt.query_map(params, row_to_article)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

pub(crate) fn row_to_article(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredArticle> {
    let format: String = r.get(2)?;
    let article: Article = decode_data(r.get_ref(6)?)?;
    Ok(StoredArticle {
        id: r.get(0)?,
        source_path: r.get(1)?,
        format: Format::parse(&format).unwrap_or(Format::Text),
        archived_at: parse_ts(&r.get::<_, String>(3)?)?,
        updated_at: parse_ts(&r.get::<_, String>(4)?)?,
        seq: r.get(5)?,
        article,
    })
}

/// The stored form of an article's JSON: LZ4-compressed (with its length
/// first) as a BLOB. Article text repeats itself (body as HTML and as text),
/// so this is a third or less of the bytes, which is what a cold ingest of a
/// large archive spends its time writing.
pub(crate) fn encode_data(json: &[u8]) -> Vec<u8> {
    lz4_flex::compress_prepend_size(json)
}

/// An `articles.data` value copied out of its row, so that the (costly)
/// decoding can happen on another thread than the one reading rows.
#[derive(Debug, Clone)]
pub struct StoredData {
    bytes: Vec<u8>,
    /// LZ4-packed (BLOB), or plain JSON TEXT from stores written before
    /// compression.
    packed: bool,
}

impl StoredData {
    pub(crate) fn from_value(v: rusqlite::types::ValueRef<'_>) -> rusqlite::Result<Self> {
        Ok(StoredData {
            bytes: v.as_bytes()?.to_vec(),
            packed: matches!(v, rusqlite::types::ValueRef::Blob(_)),
        })
    }

    /// The article JSON deserialized into `T` (which may pick only the
    /// fields it needs), as `decode_data` reads it from the row.
    pub fn decode<T: serde::de::DeserializeOwned>(&self) -> rusqlite::Result<T> {
        use rusqlite::types::ValueRef;
        decode_data(if self.packed {
            ValueRef::Blob(&self.bytes)
        } else {
            ValueRef::Text(&self.bytes)
        })
    }

    /// Runs `f` on the article's JSON (unpacked if need be, see
    /// `with_unpacked`), for readers that parse it their own way.
    pub fn with_json<T>(&self, f: impl FnOnce(&[u8]) -> T) -> anyhow::Result<T> {
        if self.packed {
            with_unpacked(&self.bytes, f)
        } else {
            Ok(f(&self.bytes))
        }
    }
}

#[cfg(test)]
impl StoredData {
    pub(crate) fn from_parts(bytes: Vec<u8>, packed: bool) -> Self {
        StoredData { bytes, packed }
    }

    pub(crate) fn packed(json: &str) -> Self {
        Self::from_parts(encode_data(json.as_bytes()), true)
    }

    pub(crate) fn plain(json: &str) -> Self {
        Self::from_parts(json.as_bytes().to_vec(), false)
    }
}

thread_local! {
    /// Per-thread buffer packed article data is unpacked into, reused from
    /// article to article: a fresh zeroed vector per article was page faults
    /// and memset of gigabytes over a first feeds run at 100,000 articles.
    static UNPACKED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` on the JSON of packed article data (see [`encode_data`]),
/// unpacked into this thread's reused buffer. `f` must not unpack again.
fn with_unpacked<T>(packed: &[u8], f: impl FnOnce(&[u8]) -> T) -> anyhow::Result<T> {
    let bad = |e: &dyn std::fmt::Display| anyhow::anyhow!("unreadable article data: {e}");
    let (size, rest) = lz4_flex::block::uncompressed_size(packed).map_err(|e| bad(&e))?;
    UNPACKED.with(|buf| {
        let mut buf = buf.borrow_mut();
        if buf.len() < size {
            buf.resize(size, 0);
        }
        let n = lz4_flex::block::decompress_into(rest, &mut buf[..size]).map_err(|e| bad(&e))?;
        if n != size {
            return Err(bad(&"truncated"));
        }
        Ok(f(&buf[..size]))
    })
}

/// Reads an `articles.data` value: a BLOB from [`encode_data`], or plain JSON
/// TEXT as stores written before compression hold it.
pub(crate) fn decode_data<T: serde::de::DeserializeOwned>(
    v: rusqlite::types::ValueRef<'_>,
) -> rusqlite::Result<T> {
    use rusqlite::types::{Type, ValueRef};
    let bad = |t: Type, e: Box<dyn std::error::Error + Send + Sync>| {
        rusqlite::Error::FromSqlConversionFailure(6, t, e)
    };
    match v {
        ValueRef::Text(json) => serde_json::from_slice(json).map_err(|e| bad(Type::Text, e.into())),
        ValueRef::Blob(packed) => with_unpacked(packed, |json| serde_json::from_slice(json))
            .map_err(|e| bad(Type::Blob, e.into()))?
            .map_err(|e| bad(Type::Blob, e.into())),
        other => Err(rusqlite::Error::InvalidColumnType(
            6,
            "data".into(),
            other.data_type(),
        )),
    }
}

fn record_file(
    tx: &rusqlite::Transaction<'_>,
    v: &NewFileVersion,
    article_id: Option<&str>,
    error: Option<&str>,
) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO files (key, size, mtime_ns, hash, article_id, error) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(key) DO UPDATE SET size = excluded.size, mtime_ns = excluded.mtime_ns,
             hash = excluded.hash, article_id = excluded.article_id, error = excluded.error",
    )?
    .execute(params![v.key, v.size, v.mtime_ns, v.hash, article_id, error])?;
    Ok(())
}

fn bump_articles_rev(tx: &rusqlite::Transaction<'_>) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO meta(key, value) VALUES ('articles_rev', '1')
         ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1",
    )?
    .execute([])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn version(key: &str, hash: &str, id: Option<&str>, title: &str) -> NewFileVersion {
        NewFileVersion {
            key: key.into(),
            size: 1,
            mtime_ns: 1,
            hash: hash.into(),
            parsed: Ok(ParsedFile::new(
                key.into(),
                key.trim_end_matches(".txt").into(),
                Format::Text,
                Article {
                    explicit_id: id.map(Into::into),
                    title: title.into(),
                    ..Article::default()
                },
            )),
        }
    }

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    /// One ingest pass of just these versions at `now`.
    fn apply(s: &mut Store, versions: Vec<NewFileVersion>, now: DateTime<Utc>) -> IngestOutcome {
        let b = IngestBatch {
            versions,
            ..Default::default()
        };
        s.apply_ingest(&b, now).unwrap()
    }

    /// A pass in which the file `key` is gone.
    fn remove(s: &mut Store, key: &str, now: DateTime<Utc>) -> IngestOutcome {
        let b = IngestBatch {
            removed: vec![key.into()],
            ..Default::default()
        };
        s.apply_ingest(&b, now).unwrap()
    }

    #[test]
    fn new_then_updated_keeps_archived_at_and_moves_updated_at() {
        let mut s = Store::open_in_memory().unwrap();
        let o = apply(
            &mut s,
            vec![version("a.txt", "h1", None, "A")],
            t("2026-01-01T00:00:00Z"),
        );
        assert_eq!((o.new, o.updated), (1, 0));
        let o = apply(
            &mut s,
            vec![version("a.txt", "h2", None, "A2")],
            t("2026-02-01T00:00:00Z"),
        );
        assert_eq!((o.new, o.updated), (0, 1));
        let a = s.article("a").unwrap().unwrap();
        assert_eq!(a.archived_at, t("2026-01-01T00:00:00Z"));
        assert_eq!(a.updated_at, t("2026-02-01T00:00:00Z"));
        assert_eq!(a.article.title, "A2");
        assert_eq!(s.articles_rev().unwrap(), 2);
    }

    #[test]
    fn article_data_is_stored_compressed_and_plain_json_rows_still_read() {
        let mut s = Store::open_in_memory().unwrap();
        let body = "<p>A paragraph that repeats. </p>".repeat(200);
        let v = NewFileVersion {
            parsed: Ok(ParsedFile::new(
                "a.txt".into(),
                "a".into(),
                Format::Text,
                Article {
                    title: "Compressed".into(),
                    body_text: body.clone(),
                    ..Article::default()
                },
            )),
            ..version("a.txt", "h1", None, "Compressed")
        };
        apply(&mut s, vec![v], t("2026-01-01T00:00:00Z"));
        let (kind, len): (String, i64) = s
            .conn()
            .query_row("SELECT typeof(data), length(data) FROM articles", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!(kind, "blob");
        assert!((len as usize) < body.len() / 4, "{len} bytes stored");
        assert_eq!(s.article("a").unwrap().unwrap().article.body_text, body);

        // A store written before compression holds JSON text: still read.
        let json = serde_json::to_string(&Article {
            title: "Plain".into(),
            ..Article::default()
        })
        .unwrap();
        s.conn()
            .execute("UPDATE articles SET data = ?1", [&json])
            .unwrap();
        assert_eq!(s.article("a").unwrap().unwrap().article.title, "Plain");
        let mut seen = Vec::new();
        s.for_each_changed_article_raw_chunk(None, 10, &mut |chunk| {
            seen.extend(
                chunk
                    .into_iter()
                    .map(|(_, data)| data.decode::<Article>().unwrap().title),
            );
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, ["Plain"]);

        // Damaged bytes are an error naming the article, not a panic.
        s.conn()
            .execute("UPDATE articles SET data = x'0500000001'", [])
            .unwrap();
        assert!(s.article("a").is_err());
    }

    #[test]
    fn moved_file_with_same_bytes_keeps_its_derived_id() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![version("old.txt", "h", None, "A")],
            t("2026-01-01T00:00:00Z"),
        );
        let b = IngestBatch {
            versions: vec![version("new.txt", "h", None, "A")],
            removed: vec!["old.txt".into()],
            gone: ["old.txt".to_string()].into(),
            moved_from: [("h".to_string(), "old".to_string())].into(),
            ..Default::default()
        };
        let o = s.apply_ingest(&b, t("2026-01-02T00:00:00Z")).unwrap();
        assert_eq!((o.new, o.removed), (0, 0));
        let all = s.articles().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].id, "old");
        assert_eq!(all[0].source_path, "new.txt");
    }

    #[test]
    fn two_files_claiming_one_id_reject_the_second() {
        let mut s = Store::open_in_memory().unwrap();
        let o = apply(
            &mut s,
            vec![
                version("a.txt", "h1", Some("x"), "A"),
                version("b.txt", "h2", Some("x"), "B"),
            ],
            t("2026-01-01T00:00:00Z"),
        );
        assert_eq!(o.new, 1);
        assert_eq!(o.rejected.len(), 1);
        assert!(o.rejected[0].1.contains("a.txt"));
        assert_eq!(s.article("x").unwrap().unwrap().article.title, "A");
    }

    #[test]
    fn changed_explicit_id_keeps_the_stored_id() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![version("a.txt", "h1", Some("x"), "A")],
            t("2026-01-01T00:00:00Z"),
        );
        let o = apply(
            &mut s,
            vec![version("a.txt", "h2", Some("y"), "A2")],
            t("2026-01-02T00:00:00Z"),
        );
        assert_eq!((o.new, o.updated), (0, 1));
        let all = s.articles().unwrap();
        assert_eq!(all.len(), 1);
        assert_eq!(
            (all[0].id.as_str(), all[0].article.title.as_str()),
            ("x", "A2")
        );
    }

    #[test]
    fn removed_file_hides_its_article() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![version("a.txt", "h1", None, "A")],
            t("2026-01-01T00:00:00Z"),
        );
        let o = remove(&mut s, "a.txt", t("2026-01-02T00:00:00Z"));
        assert_eq!(o.removed, 1);
        assert_eq!(s.article_count().unwrap(), 0);
        assert!(s.file_stats().unwrap().is_empty());
    }

    #[test]
    fn id_owned_by_a_live_file_from_an_earlier_pass_rejects_the_newcomer() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![version("a.txt", "h1", Some("x"), "A")],
            t("2026-01-01T00:00:00Z"),
        );
        let o = apply(
            &mut s,
            vec![version("b.txt", "h2", Some("x"), "B")],
            t("2026-01-02T00:00:00Z"),
        );
        assert_eq!((o.new, o.updated, o.rejected.len()), (0, 0, 1));
        assert!(o.rejected[0].1.contains("a.txt"), "{:?}", o.rejected);
        assert_eq!(s.article("x").unwrap().unwrap().article.title, "A");
    }

    #[test]
    fn id_of_a_removed_article_is_taken_back_by_another_file_with_its_seq() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![
                version("a.txt", "h1", Some("x"), "A"),
                version("c.txt", "h3", None, "C"),
            ],
            t("2026-01-01T00:00:00Z"),
        );
        let seq = s.article("x").unwrap().unwrap().seq;
        remove(&mut s, "a.txt", t("2026-01-02T00:00:00Z"));
        let o = apply(
            &mut s,
            vec![
                version("b.txt", "h2", Some("x"), "B"),
                version("d.txt", "h4", None, "D"),
            ],
            t("2026-01-03T00:00:00Z"),
        );
        assert_eq!((o.new, o.updated, o.rejected.len()), (1, 1, 0), "{o:?}");
        let x = s.article("x").unwrap().unwrap();
        assert_eq!((x.article.title.as_str(), x.seq), ("B", seq));
        // New articles still get fresh, increasing seqs after the MAX().
        let seqs: Vec<i64> = s.articles().unwrap().iter().map(|a| a.seq).collect();
        assert_eq!(seqs, [1, 2, 3]);
        assert_eq!(s.article("d").unwrap().unwrap().seq, 3);
    }

    #[test]
    fn content_hash_from_an_older_newsdesk_is_compared_the_old_way() {
        let mut s = Store::open_in_memory().unwrap();
        apply(
            &mut s,
            vec![version("a.txt", "h1", None, "A")],
            t("2026-01-01T00:00:00Z"),
        );
        // Stores written by earlier builds kept SHA-256 hex of the JSON.
        let json = serde_json::to_string(&s.article("a").unwrap().unwrap().article).unwrap();
        let make_legacy = |s: &Store| {
            s.conn()
                .execute(
                    "UPDATE articles SET content_hash = ?1",
                    [crate::util::sha256_hex(json.as_bytes())],
                )
                .unwrap()
        };
        make_legacy(&s);
        let o = apply(
            &mut s,
            vec![version("a.txt", "h2", None, "A")],
            t("2026-01-02T00:00:00Z"),
        );
        assert_eq!(
            (o.updated, o.unchanged),
            (0, 1),
            "same content is not an update"
        );
        let stored: String = s
            .conn()
            .query_row("SELECT content_hash FROM articles", [], |r| r.get(0))
            .unwrap();
        assert!(stored.starts_with("xxh3:"), "{stored}");
        let a = s.article("a").unwrap().unwrap();
        assert_eq!(a.updated_at, t("2026-01-01T00:00:00Z"));

        make_legacy(&s);
        let o = apply(
            &mut s,
            vec![version("a.txt", "h3", None, "A, edited")],
            t("2026-01-03T00:00:00Z"),
        );
        assert_eq!((o.updated, o.unchanged), (1, 0));
    }

    #[test]
    fn per_file_id_lookup_is_not_re_prepared_on_every_file() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("x.db")).unwrap();
        let versions = (0..50)
            .map(|i| version(&format!("f{i}.txt"), &format!("h{i}"), None, "T"))
            .collect();
        let b = IngestBatch {
            versions,
            ..Default::default()
        };
        assert_eq!(
            s.apply_ingest(&b, t("2026-01-01T00:00:00Z")).unwrap().new,
            50
        );
        let stmt = s.conn().prepare_cached(LIVE_IDS_OF_SOURCE).unwrap();
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }
}
