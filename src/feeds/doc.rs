//! The format-neutral description of one feed document that `rss`, `atom`
//! and `json` serialise.

use chrono::{DateTime, Utc};

use super::content::Entry;

/// One feed document (a latest feed, or an Atom archive page).
#[derive(Debug, Clone)]
pub struct FeedDoc<'a> {
    pub title: String,
    pub description: String,
    /// The human page the feed is about (the site's home page).
    pub home_url: String,
    /// Atom feed id (`tag:` URI).
    pub id: String,
    pub language: String,
    /// The site author (feed-level author in Atom and JSON Feed).
    pub author: String,
    /// Absolute URL this very document is published at.
    pub self_url: String,
    /// Newest entry's `updated`, never the build time, so an unchanged archive
    /// gives byte-identical documents.
    pub updated: DateTime<Utc>,
    /// Newest first; shared (an article's entry is built once per run).
    pub entries: &'a [&'a Entry],
    /// RFC 5005: the next older archive document, if any.
    pub prev_archive: Option<String>,
    /// RFC 5005: set on archive documents; the URL of the subscription document.
    pub archive_of: Option<String>,
}

impl FeedDoc<'_> {
    /// The feed-level date: the newest entry's `updated`, or `fallback` for an
    /// empty feed (a fixed date, so an empty feed is stable too).
    pub fn newest(entries: &[&Entry], fallback: DateTime<Utc>) -> DateTime<Utc> {
        entries.iter().map(|e| e.updated).max().unwrap_or(fallback)
    }
}
