//! Theme assignments per article, with scores (owned by the themes stage).

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
