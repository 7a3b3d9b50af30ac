//! The domain types every stage shares: what an article is once parsed, and the
//! small value types (themes, editions, subscribers) that the store hands around.
//! Nothing here knows about files, SQLite or the CLI.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Which of the three archive formats a file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Text,
    Markdown,
    Html,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Markdown => "markdown",
            Format::Html => "html",
        }
    }

    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "markdown" => Some(Format::Markdown),
            "html" => Some(Format::Html),
            _ => None,
        }
    }
}

/// One article as a parser reads it. Parsers fill every field they can find and
/// leave the rest empty; they never invent values.
///
/// Text fields are plain text (no markup, no XML-invalid characters).
/// `body_html` is sanitized HTML: safe to embed in a feed or an email as is.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Article {
    /// The id the article states about itself (front-matter `id`, HTML canonical
    /// URL or JSON-LD `@id`). `None` means the id is derived from the file path.
    pub explicit_id: Option<String>,
    /// Name of the publication the export came from (plain-text exports' first line).
    pub site_name: Option<String>,
    pub title: String,
    /// The article's own public URL, absolute, when the source states it.
    pub url: Option<String>,
    /// The article's own publication date.
    pub date: Option<NaiveDate>,
    pub standfirst: Option<String>,
    pub image_url: Option<String>,
    pub caption: Option<String>,
    pub image_credit: Option<String>,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    /// Short standalone quotes that repeat a sentence of the body; never part of the body.
    pub pull_quotes: Vec<String>,
    /// Titles of related articles ("Read more"), each once, in order.
    pub related: Vec<String>,
    /// Theme ids the article assigns itself (front matter), added to rule matches.
    pub themes: Vec<String>,
    /// Sanitized HTML of the body paragraphs only.
    pub body_html: String,
    /// Plain text of the body: paragraphs separated by one blank line.
    pub body_text: String,
}

/// An article as kept in the store: the parsed article plus bookkeeping that
/// newsdesk itself owns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredArticle {
    /// Stable id, fixed at first sight (see DESIGN.md "Ids are forever").
    pub id: String,
    /// Source file path relative to its archive dir, with `/` separators.
    pub source_path: String,
    pub format: Format,
    /// When newsdesk first saw the article (RFC 3339, UTC).
    pub archived_at: chrono::DateTime<chrono::Utc>,
    /// When the article's content last changed (RFC 3339, UTC); equals
    /// `archived_at` until the file's content changes.
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Monotonic insertion sequence: the order articles entered the archive.
    pub seq: i64,
    pub article: Article,
}
