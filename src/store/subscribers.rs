//! Subscribers and their theme choices (owned by the digest stage).

pub(super) const MIGRATION: &str = r#"
CREATE TABLE subscribers (
    id         INTEGER PRIMARY KEY,
    email      TEXT NOT NULL UNIQUE,
    name       TEXT,
    themes     TEXT,
    token      TEXT NOT NULL UNIQUE,
    status     TEXT NOT NULL DEFAULT 'active',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT 'cli'
);
"#;
