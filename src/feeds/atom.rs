//! Atom 1.0 (RFC 4287) documents, with RFC 5005 archive links.

use std::collections::BTreeMap;

use anyhow::Result;
use atom_syndication::extension::{Extension, ExtensionMap};
use atom_syndication::{Content, Entry, Feed, FixedDateTime, Link, Person, Text};

use super::doc::FeedDoc;

const FH: &str = "http://purl.org/syndication/history/1.0";

fn fixed(t: chrono::DateTime<chrono::Utc>) -> FixedDateTime {
    t.fixed_offset()
}

fn link(href: &str, rel: &str, mime: Option<&str>) -> Link {
    Link {
        href: href.to_string(),
        rel: rel.to_string(),
        mime_type: mime.map(String::from),
        ..Link::default()
    }
}

fn person(name: &str) -> Person {
    Person {
        name: name.to_string(),
        ..Person::default()
    }
}

/// Serialises `doc` as an Atom feed.
pub fn render(doc: &FeedDoc<'_>) -> Result<Vec<u8>> {
    let mut links = vec![
        link(&doc.self_url, "self", Some("application/atom+xml")),
        link(&doc.home_url, "alternate", Some("text/html")),
    ];
    if let Some(cur) = &doc.archive_of {
        links.push(link(cur, "current", Some("application/atom+xml")));
    }
    if let Some(prev) = &doc.prev_archive {
        links.push(link(prev, "prev-archive", Some("application/atom+xml")));
    }
    let mut extensions = ExtensionMap::new();
    let mut namespaces = BTreeMap::new();
    if doc.archive_of.is_some() {
        namespaces.insert("fh".to_string(), FH.to_string());
        let ext = Extension {
            name: "fh:archive".into(),
            ..Extension::default()
        };
        extensions.insert(
            "fh".to_string(),
            BTreeMap::from([("archive".to_string(), vec![ext])]),
        );
    }
    let entries = doc
        .entries
        .iter()
        .map(|e| Entry {
            title: Text::plain(e.title.clone()),
            id: e.id.clone(),
            updated: fixed(e.updated),
            published: Some(fixed(e.published)),
            authors: e.authors.iter().map(|a| person(a)).collect(),
            links: vec![link(&e.link, "alternate", Some("text/html"))],
            summary: e.summary.clone().map(Text::plain),
            categories: e
                .tags
                .iter()
                .map(|t| atom_syndication::Category {
                    term: t.clone(),
                    ..Default::default()
                })
                .collect(),
            content: Some(Content {
                value: Some(e.content_html.clone()),
                content_type: Some("html".into()),
                ..Content::default()
            }),
            ..Entry::default()
        })
        .collect();
    let feed = Feed {
        title: Text::plain(doc.title.clone()),
        id: doc.id.clone(),
        updated: fixed(doc.updated),
        authors: vec![person(&doc.author)],
        links,
        subtitle: (!doc.description.is_empty()).then(|| Text::plain(doc.description.clone())),
        generator: Some(atom_syndication::Generator {
            value: "newsdesk".into(),
            uri: None,
            version: None,
        }),
        lang: Some(doc.language.clone()),
        entries,
        extensions,
        namespaces,
        ..Feed::default()
    };
    let config = atom_syndication::WriteConfig {
        write_document_declaration: true,
        indent_size: Some(1),
    };
    let mut out = feed.write_with_config(Vec::new(), config)?;
    out.push(b'\n');
    Ok(out)
}
