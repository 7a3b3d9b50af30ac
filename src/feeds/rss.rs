//! RSS 2.0 documents with `atom:link rel="self"`, `dc:creator` and
//! `content:encoded` (the full HTML), as most readers expect.

use anyhow::Result;
use rss::extension::atom::{AtomExtension, Link};
use rss::extension::dublincore::DublinCoreExtension;
use rss::{Category, Channel, Guid, Item};

use super::content::esc;
use super::doc::FeedDoc;

/// Serialises `doc` as an RSS 2.0 channel.
pub fn render(doc: &FeedDoc<'_>) -> Result<Vec<u8>> {
    let items = doc
        .entries
        .iter()
        .map(|e| Item {
            title: Some(e.title.clone()),
            link: Some(e.link.clone()),
            // RSS descriptions are HTML; the summary is plain text. An item
            // with no summary (a body of images only) still gets one, the
            // title: readers and the W3C validator expect a description
            // before `content:encoded` (NeedDescriptionBeforeContent).
            description: Some(esc(e.summary.as_deref().unwrap_or(&e.title))),
            guid: Some(Guid {
                value: e.id.clone(),
                permalink: false,
            }),
            pub_date: Some(e.published.to_rfc2822()),
            categories: e
                .tags
                .iter()
                .map(|t| Category {
                    name: t.clone(),
                    domain: None,
                })
                .collect(),
            dublin_core_ext: Some(DublinCoreExtension {
                creators: e.authors.clone(),
                ..DublinCoreExtension::default()
            }),
            content: Some(e.content_html.clone()),
            ..Item::default()
        })
        .collect();
    let channel = Channel {
        title: doc.title.clone(),
        link: doc.home_url.clone(),
        description: if doc.description.is_empty() {
            doc.title.clone()
        } else {
            doc.description.clone()
        },
        language: Some(doc.language.clone()),
        last_build_date: Some(doc.updated.to_rfc2822()),
        generator: Some("newsdesk".into()),
        docs: Some("https://www.rssboard.org/rss-specification".into()),
        atom_ext: Some(AtomExtension {
            links: vec![Link {
                href: doc.self_url.clone(),
                rel: "self".into(),
                mime_type: Some("application/rss+xml".into()),
                ..Link::default()
            }],
        }),
        items,
        ..Channel::default()
    };
    let mut out = channel.pretty_write_to(Vec::new(), b' ', 1)?;
    out.push(b'\n');
    Ok(out)
}
