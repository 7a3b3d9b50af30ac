//! Digest editions (frozen article lists) and the per-recipient send ledger.

pub(super) const MIGRATION: &str = r#"
CREATE TABLE editions (
    number     INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL
);
CREATE TABLE edition_articles (
    edition    INTEGER NOT NULL REFERENCES editions(number),
    article_id TEXT NOT NULL UNIQUE REFERENCES articles(id),
    position   INTEGER NOT NULL,
    PRIMARY KEY (edition, article_id)
);
CREATE TABLE send_ledger (
    edition       INTEGER NOT NULL REFERENCES editions(number),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    email         TEXT NOT NULL,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    reply         TEXT,
    message_id    TEXT,
    next_try      TEXT,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (edition, subscriber_id)
);
"#;
