//! JSON Feed 1.1 (<https://jsonfeed.org/version/1.1>) documents.

use anyhow::Result;
use serde::Serialize;

use super::doc::FeedDoc;

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    url: &'a str,
    title: &'a str,
    content_html: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<&'a str>,
    date_published: String,
    date_modified: String,
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<&'a str>,
}

#[derive(Serialize)]
struct Feed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: &'a str,
    feed_url: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    description: &'a str,
    language: &'a str,
    authors: Vec<Author<'a>>,
    items: Vec<Item<'a>>,
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Serialises `doc` as a JSON Feed 1.1 document (pretty, stable field order).
pub fn render(doc: &FeedDoc<'_>) -> Result<Vec<u8>> {
    let feed = Feed {
        version: "https://jsonfeed.org/version/1.1",
        title: &doc.title,
        home_page_url: &doc.home_url,
        feed_url: &doc.self_url,
        description: &doc.description,
        language: &doc.language,
        authors: vec![Author { name: &doc.author }],
        items: doc
            .entries
            .iter()
            .map(|e| Item {
                id: &e.id,
                url: &e.link,
                title: &e.title,
                content_html: &e.content_html,
                summary: e.summary.as_deref(),
                image: e.image.as_deref(),
                date_published: rfc3339(e.published),
                date_modified: rfc3339(e.updated),
                authors: e.authors.iter().map(|a| Author { name: a }).collect(),
                tags: e.tags.iter().map(String::as_str).collect(),
            })
            .collect(),
    };
    let mut out = serde_json::to_vec_pretty(&feed)?;
    out.push(b'\n');
    Ok(out)
}
