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

/// Stands in for each entry's content while the crate writes the document;
/// see [`render`]. No text we publish holds it: C0 controls are stripped from
/// everything (and [`render`] checks).
const HOLE: u8 = 0x01;

/// Serialises `doc` as an Atom feed.
///
/// The `atom_syndication` writer produces the document with a one-byte
/// placeholder as each entry's content; the escaped contents are then put in
/// the holes. This is byte for byte what the crate writes with the contents
/// in place (it escapes text with quick-xml's `escape`, which
/// `escape_into` matches), without the crate copying and escaping
/// megabytes of HTML through temporary strings: on a first run that writes
/// every archive page, escaping there was an eighth of all the time spent.
pub fn render(doc: &FeedDoc<'_>) -> Result<Vec<u8>> {
    if doc
        .entries
        .iter()
        .any(|e| memchr::memchr(HOLE, e.content_html.as_bytes()).is_some())
    {
        return render_with(doc, |e| e.content_html.clone());
    }
    let size: usize = doc
        .entries
        .iter()
        .map(|e| e.content_html.len() * 9 / 8)
        .sum();
    render_filled(doc, size, |out, i| {
        escape_into(out, doc.entries[i].content_html.as_bytes())
    })
}

/// An entry's content escaped as [`render`] writes it, or `None` if the
/// content holds the placeholder byte. An archive page cut holds an article
/// in the page of every feed it belongs to (all + its themes): escaping it
/// once for all of them, with [`render_escaped`], saves the repeats.
pub fn escaped_content(content_html: &str) -> Option<Vec<u8>> {
    if memchr::memchr(HOLE, content_html.as_bytes()).is_some() {
        return None;
    }
    let mut out = Vec::with_capacity(content_html.len() * 9 / 8);
    escape_into(&mut out, content_html.as_bytes());
    Some(out)
}

/// [`render`], with each entry's content already escaped by
/// [`escaped_content`] (`escaped[i]` is `doc.entries[i]`'s): the same bytes.
pub fn render_escaped(doc: &FeedDoc<'_>, escaped: &[&[u8]]) -> Result<Vec<u8>> {
    if escaped.len() != doc.entries.len() {
        return render(doc);
    }
    let size = escaped.iter().map(|c| c.len()).sum();
    render_filled(doc, size, |out, i| out.extend_from_slice(escaped[i]))
}

/// An Atom document as pieces to write in order (see
/// [`super::write::write_parts_if_changed`]): the text between the entries'
/// contents, and the contents escaped by [`escaped_content`]. The same bytes
/// as [`render_escaped`], without copying the contents into one buffer.
pub struct Pieces {
    skeleton: Vec<u8>,
    /// Where each entry's content goes in `skeleton` (its placeholder byte).
    holes: Vec<usize>,
}

impl Pieces {
    /// The document's pieces with `escaped[i]` as entry `i`'s content.
    pub fn with<'a>(&'a self, escaped: &[&'a [u8]]) -> Vec<&'a [u8]> {
        let mut out = Vec::with_capacity(2 * self.holes.len() + 1);
        let mut from = 0;
        for (&at, c) in self.holes.iter().zip(escaped) {
            out.push(&self.skeleton[from..at]);
            out.push(*c);
            from = at + 1;
        }
        out.push(&self.skeleton[from..]);
        out
    }
}

/// [`render_escaped`] as [`Pieces`], or `None` where [`render_escaped`]
/// would take the crate's own path (then use it).
pub fn pieces(doc: &FeedDoc<'_>, escaped: &[&[u8]]) -> Result<Option<Pieces>> {
    if escaped.len() != doc.entries.len() {
        return Ok(None);
    }
    let skeleton = render_with(doc, |_| char::from(HOLE).to_string())?;
    let holes: Vec<usize> = memchr::memchr_iter(HOLE, &skeleton).collect();
    if holes.len() != doc.entries.len() {
        return Ok(None);
    }
    Ok(Some(Pieces { skeleton, holes }))
}

/// The crate's document with a placeholder as each entry's content, then
/// `put(out, i)` writing entry `i`'s escaped content in its place.
fn render_filled(
    doc: &FeedDoc<'_>,
    size: usize,
    put: impl Fn(&mut Vec<u8>, usize),
) -> Result<Vec<u8>> {
    let skeleton = render_with(doc, |_| char::from(HOLE).to_string())?;
    let holes = memchr::memchr_iter(HOLE, &skeleton).count();
    if holes != doc.entries.len() {
        return render_with(doc, |e| e.content_html.clone());
    }
    let mut out = Vec::with_capacity(skeleton.len() + size);
    let mut rest = &skeleton[..];
    for i in 0..doc.entries.len() {
        let at = memchr::memchr(HOLE, rest).expect("holes were counted");
        out.extend_from_slice(&rest[..at]);
        put(&mut out, i);
        rest = &rest[at + 1..];
    }
    out.extend_from_slice(rest);
    Ok(out)
}

/// quick-xml's `escape` (what the crate applies to text), into `out`.
fn escape_into(out: &mut Vec<u8>, s: &[u8]) {
    // Index into REPLACE per byte (0: kept as is), so the loop does one
    // table load and one well-predicted branch per byte.
    const REPLACE: [&[u8]; 6] = [b"", b"&lt;", b"&gt;", b"&amp;", b"&apos;", b"&quot;"];
    const CLASS: [u8; 256] = {
        let mut t = [0u8; 256];
        t[b'<' as usize] = 1;
        t[b'>' as usize] = 2;
        t[b'&' as usize] = 3;
        t[b'\'' as usize] = 4;
        t[b'"' as usize] = 5;
        t
    };
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        let class = CLASS[b as usize];
        if class != 0 {
            out.extend_from_slice(&s[start..i]);
            out.extend_from_slice(REPLACE[class as usize]);
            start = i + 1;
        }
    }
    out.extend_from_slice(&s[start..]);
}

/// The document as the crate writes it, with `content(entry)` as each
/// entry's (HTML) content.
fn render_with(
    doc: &FeedDoc<'_>,
    content: impl Fn(&super::content::Entry) -> String,
) -> Result<Vec<u8>> {
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
                value: Some(content(e)),
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
    // About 1.5 KB per entry without its content: sized once, not regrown.
    let guess = 2048 + doc.entries.len() * 2048;
    let mut out = feed.write_with_config(Vec::with_capacity(guess), config)?;
    out.push(b'\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::content::Entry;
    use chrono::{DateTime, Utc};

    fn entry(i: usize, content: &str) -> Entry {
        let t: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        Entry {
            id: format!("tag:e.org,2026:{i}"),
            title: format!("T{i} <&>'\""),
            link: format!("https://e.org/{i}?a=1&b=2"),
            summary: i.is_multiple_of(2).then(|| "S <b>'\"&".to_string()),
            content_html: content.to_string(),
            image: None,
            authors: vec!["A & B".into()],
            tags: vec!["x\"y".into()],
            published: t,
            updated: t,
        }
    }

    #[test]
    fn filled_holes_give_exactly_what_the_crate_writes() {
        let contents: [&str; 6] = [
            "<p>a &amp; b</p>\n<img src=\"https://e.org/i.jpg?a=1&amp;b=2\" alt=\"it's\">",
            "",
            "]]&gt; <![CDATA[ x ]]> & < > ' \" \u{e9}\u{1F600} \t\r\n",
            "&lt;already&gt; &#38; &quot;",
            // Special bytes on and around the scan's 32-byte block edges.
            &format!(
                "{}<{}&'\"{}",
                "a".repeat(31),
                "b".repeat(31),
                "<>".repeat(40)
            ),
            // A content holding the placeholder takes the crate's own path.
            "a\u{1}b",
        ];
        let t: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        for n in 0..=contents.len() {
            let entries: Vec<Entry> = contents[..n]
                .iter()
                .enumerate()
                .map(|(i, c)| entry(i, c))
                .collect();
            let refs: Vec<&Entry> = entries.iter().collect();
            for archive in [false, true] {
                let d = FeedDoc {
                    title: "F <&>".into(),
                    description: if archive {
                        String::new()
                    } else {
                        "D'\"".into()
                    },
                    home_url: "https://e.org/".into(),
                    id: "tag:e.org,2026:feeds/all".into(),
                    language: "en".into(),
                    author: "Desk".into(),
                    self_url: "https://e.org/feeds/atom.xml".into(),
                    updated: t,
                    entries: &refs,
                    prev_archive: archive.then(|| "https://e.org/feeds/archive/atom-1.xml".into()),
                    archive_of: archive.then(|| "https://e.org/feeds/atom.xml".into()),
                };
                let crate_only = render_with(&d, |e| e.content_html.clone()).unwrap();
                assert_eq!(
                    String::from_utf8(render(&d).unwrap()).unwrap(),
                    String::from_utf8(crate_only.clone()).unwrap()
                );
                // Contents escaped beforehand give the same bytes.
                let escaped: Option<Vec<Vec<u8>>> = entries
                    .iter()
                    .map(|e| escaped_content(&e.content_html))
                    .collect();
                // Only the placeholder-holding content refuses to be escaped.
                assert_eq!(escaped.is_none(), n == contents.len());
                if let Some(escaped) = escaped {
                    let slices: Vec<&[u8]> = escaped.iter().map(Vec::as_slice).collect();
                    assert_eq!(
                        String::from_utf8(render_escaped(&d, &slices).unwrap()).unwrap(),
                        String::from_utf8(crate_only.clone()).unwrap()
                    );
                    let p = pieces(&d, &slices).unwrap().expect("no placeholder");
                    assert_eq!(
                        String::from_utf8(p.with(&slices).concat()).unwrap(),
                        String::from_utf8(crate_only).unwrap()
                    );
                }
            }
        }
    }
}
