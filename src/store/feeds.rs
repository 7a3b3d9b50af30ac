//! Feed bookkeeping (owned by the feeds stage): what was last written, and
//! the immutable archive pages.

pub(super) const MIGRATION: &str = r#"
CREATE TABLE feed_state (
    path       TEXT PRIMARY KEY,
    hash       TEXT NOT NULL,
    written_at TEXT NOT NULL
);
"#;
