//! SQLite state next to the config: the only module that writes SQL.
//!
//! The schema is versioned with `PRAGMA user_version`; each concern owns its
//! tables in its own submodule and contributes one migration step. Migrations
//! run on open, each in its own transaction; a database made by a newer
//! newsdesk is refused rather than guessed at.

mod articles;
mod editions;
mod feeds;
mod json;
mod ledger;
mod subscribers;
mod themes;

pub use articles::{FileState, IngestBatch, IngestOutcome, NewFileVersion, ParsedFile, StoredData};
pub use editions::{ArticleTheme, EditionRecord};
pub use feeds::{ArchivePage, FeedKey, RawArticle};
pub use ledger::{DueRecipient, LedgerCounts, LedgerRow, LedgerState};
pub use subscribers::{
    NewSubscriber, Subscriber, SubscriberEvent, SubscriberStatus, UpsertOutcome,
};
pub use themes::unreadable_data;
pub use themes::{ArticleThemes, ThemeAssignment};

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use rusqlite::Connection;

/// Ordered migration steps: index + 1 is the schema version they produce.
/// Append only; never edit a step that has shipped.
const MIGRATIONS: &[&str] = &[
    articles::MIGRATION,
    themes::MIGRATION,
    feeds::MIGRATION,
    subscribers::MIGRATION,
    editions::MIGRATION,
    ledger::MIGRATION,
    articles::MIGRATION_REV,
    articles::MIGRATION_LIVE_ID,
];

pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) the store at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> Result<Store> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create directory {}", dir.display()))?;
        }
        let conn = Connection::open(path)
            .with_context(|| format!("cannot open store {}", path.display()))?;
        // WAL lets readers (serve, previews) work while a run writes; NORMAL
        // sync is durable across process crashes, which is what the send
        // ledger needs (a power cut may lose the last commit, not corrupt).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        // Ingest, feeds and sending each reuse a dozen statements per row;
        // the default cache of 16 would evict some of them.
        conn.set_prepared_statement_cache_capacity(64);
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store
            .migrate()
            .with_context(|| format!("cannot prepare store {}", path.display()))?;
        Ok(store)
    }

    /// An in-memory store for unit tests.
    pub fn open_in_memory() -> Result<Store> {
        let conn = Connection::open_in_memory()?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.migrate()?;
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Direct access for the store's own submodules and tests.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub fn schema_version(&self) -> Result<usize> {
        let v: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))?;
        Ok(v as usize)
    }

    fn migrate(&mut self) -> Result<()> {
        let current = self.schema_version()?;
        if current > MIGRATIONS.len() {
            bail!(
                "the store has schema version {current}, newer than this newsdesk knows ({}); \
                 upgrade newsdesk or use another store",
                MIGRATIONS.len()
            );
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current) {
            let tx = self.conn.transaction()?;
            tx.execute_batch(sql)
                .with_context(|| format!("migration to schema version {}", i + 1))?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(())
    }

    /// A value from the small key/value table used for bookkeeping
    /// (e.g. change counters that let a no-op run skip whole stages).
    pub fn meta_get(&self, key: &str) -> Result<Option<String>> {
        use rusqlite::OptionalExtension;
        Ok(self
            .conn
            .query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?)
    }

    pub fn meta_set(&self, key: &str, value: &str) -> Result<()> {
        self.conn.execute(
            "INSERT INTO meta(key, value) VALUES (?1, ?2)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [key, value],
        )?;
        Ok(())
    }
}

/// Timestamps are stored as RFC 3339 UTC text with fixed precision, so they
/// sort correctly as strings and read back identically.
pub(crate) fn ts(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

pub(crate) fn parse_ts(s: &str) -> rusqlite::Result<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_apply_once_and_record_the_version() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n.db");
        let s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
        drop(s);
        let s = Store::open(&p).unwrap();
        assert_eq!(s.schema_version().unwrap(), MIGRATIONS.len());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("n.db");
        {
            let c = Connection::open(&p).unwrap();
            c.pragma_update(None, "user_version", 999).unwrap();
        }
        let err = Store::open(&p).err().unwrap();
        assert!(
            format!("{err:#}").contains("newer than this newsdesk knows"),
            "{err:#}"
        );
    }

    #[test]
    fn meta_round_trips() {
        let s = Store::open_in_memory().unwrap();
        assert_eq!(s.meta_get("k").unwrap(), None);
        s.meta_set("k", "1").unwrap();
        s.meta_set("k", "2").unwrap();
        assert_eq!(s.meta_get("k").unwrap().as_deref(), Some("2"));
    }
}
