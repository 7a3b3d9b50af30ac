//! Digest editions: numbered, frozen article lists (owned by the digest stage).

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
"#;
