//! A stored article → one feed entry, independent of the feed format: its
//! stable `tag:` id, absolute link, plain-text title and summary, and the full
//! HTML content (figure, standfirst, body, pull quotes, related titles).
//!
//! Everything here treats the article as hostile even though parsers already
//! clean it: a body that is not exactly in sanitizer-output form (checked by
//! an allow-list, [`super::clean`]) is sanitized again, so a store written by
//! an older or buggy parser cannot reach readers; URLs must be absolute
//! http(s), and XML-invalid characters are dropped.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use url::Url;

use memchr::memmem;

use crate::model::StoredArticle;
use crate::parse::sanitize::sanitize_html;
use crate::util::words::collapse_ws;

/// What every entry of a site shares.
#[derive(Debug, Clone)]
pub struct Site {
    pub title: String,
    pub base_url: Url,
    pub language: String,
    /// Author for articles that name none (site author, else the site title).
    pub author: String,
    /// RFC 4151 tagging entity, `host,date`.
    pub authority: String,
    /// `feeds.article_url` pattern with `{id}`.
    pub article_url: String,
}

/// One article as every feed format sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub id: String,
    pub title: String,
    pub link: String,
    pub summary: Option<String>,
    pub content_html: String,
    pub image: Option<String>,
    pub authors: Vec<String>,
    pub tags: Vec<String>,
    /// The article's own date (midnight UTC), else when it was archived.
    pub published: DateTime<Utc>,
    /// When its content last changed (never before `published`), plus the
    /// article's `seq` in microseconds so no two entries share it.
    pub updated: DateTime<Utc>,
}

/// Percent-encodes everything but RFC 3986 unreserved characters and `/`
/// (the canonical form: unreserved characters are never encoded).
pub fn encode_id(id: &str) -> String {
    let mut out = String::with_capacity(id.len());
    for b in id.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'~' | b'.' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// [`encode_id`] for URL paths, where a segment made only of dots would
/// climb out of the path: its dots become `%252E` (WHATWG URL parsing treats
/// `%2E` itself like `.`), so an id never leaves the path it is put in.
pub fn encode_url_id(id: &str) -> String {
    encode_id(id)
        .split('/')
        .map(|seg| {
            if !seg.is_empty() && seg.bytes().all(|b| b == b'.') {
                "%252E".repeat(seg.len())
            } else {
                seg.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// The entry id: `tag:<authority>:<encoded article id>`. It depends only on
/// the article's stable id and the site's fixed tagging entity, never on the
/// article's URL, file name or dates.
pub fn tag_uri(authority: &str, specific: &str) -> String {
    format!("tag:{authority}:{}", encode_id(specific))
}

/// Plain, single-line text: XML-invalid characters dropped, whitespace runs
/// (including newlines, which would break RSS titles) collapsed.
pub fn plain(s: &str) -> String {
    collapse_ws(&crate::util::strip_xml_invalid(s))
}

/// [`plain`], with anything that looks like a markup tag removed. Titles and
/// summaries are plain text by contract; a tag in one is a parsing leftover or
/// an attack, and readers (and the W3C validator) treat it as HTML.
pub fn plain_no_tags(s: &str) -> String {
    let out = crate::util::strip_tags(s);
    // What is left must not look like markup or a character reference
    // either ("a <b" or "&#38;" as literal text), which RSS readers would
    // take for HTML.
    let out = out.replace("&#", "& #");
    let mut clean = String::with_capacity(out.len());
    let mut chars = out.chars().peekable();
    while let Some(c) = chars.next() {
        clean.push(c);
        if c == '<'
            && chars
                .peek()
                .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/')
        {
            clean.push(' ');
        }
    }
    plain(&clean)
}

/// An author's display name: plain text without tags or email addresses
/// (feeds publish names; an address in one invites spam and fails validators).
pub fn person_name(s: &str) -> String {
    plain_no_tags(s)
        .split(' ')
        .filter(|w| !w.contains('@'))
        .collect::<Vec<_>>()
        .join(" ")
        .trim_matches(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .to_string()
}

/// Minimal HTML/XML text escaping (also safe in attribute values).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    crate::util::escape_html_into(&mut out, s);
    out
}

/// An absolute http(s) URL from `raw`, resolved against `base` if relative;
/// anything else (javascript:, data:, garbage) gives `None`.
pub fn absolute_http(raw: &str, base: &Url) -> Option<Url> {
    let raw = raw.trim();
    if raw.is_empty() || raw.chars().any(char::is_control) {
        return None;
    }
    let u = base.join(raw).ok()?;
    (matches!(u.scheme(), "http" | "https") && u.host_str().is_some()).then_some(u)
}

impl Site {
    /// The article's public link: its own URL when it states an absolute
    /// http(s) one, else `feeds.article_url` under the site.
    pub fn link(&self, a: &StoredArticle) -> Url {
        if let Some(u) = a.article.url.as_deref().and_then(|u| {
            let parsed = Url::parse(u.trim()).ok()?;
            (matches!(parsed.scheme(), "http" | "https") && parsed.host_str().is_some())
                .then_some(parsed)
        }) {
            return u;
        }
        let rel = self.article_url.replace("{id}", &encode_url_id(&a.id));
        self.base_url
            .join(&rel)
            .unwrap_or_else(|_| self.base_url.clone())
    }

    /// Builds the entry for one stored article.
    pub fn entry(&self, a: &StoredArticle) -> Entry {
        let art = &a.article;
        let link = self.link(a);
        let mut title = plain_no_tags(&art.title);
        if title.is_empty() {
            title = plain(&a.id);
        }
        let standfirst = standfirst(a);
        let summary = standfirst.clone().or_else(|| excerpt(&art.body_text));
        let image = art
            .image_url
            .as_deref()
            .and_then(|u| absolute_http(u, &link))
            .map(String::from);

        let mut html = String::with_capacity(art.body_html.len() + 512);
        let caption = art.caption.as_deref().map(plain).filter(|s| !s.is_empty());
        // Exports often repeat the credit inside the caption ("… Image: X").
        let credit = art
            .image_credit
            .as_deref()
            .map(plain)
            .filter(|s| !s.is_empty())
            .filter(|c| {
                !caption
                    .as_deref()
                    .is_some_and(|cap| cap.contains(c.as_str()))
            });
        // A body that already shows the lead image (HTML pages and Markdown
        // often do) must not get it a second time above the text.
        let body_shows_image = image.as_deref().is_some_and(|src| {
            memmem::find(
                art.body_html.as_bytes(),
                format!("src=\"{}\"", esc(src)).as_bytes(),
            )
            .is_some()
        });
        if !body_shows_image && (image.is_some() || caption.is_some()) {
            html.push_str("<figure>");
            if let Some(src) = &image {
                html.push_str(&format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    esc(src),
                    esc(caption.as_deref().unwrap_or(""))
                ));
            }
            if caption.is_some() || credit.is_some() {
                html.push_str("<figcaption>");
                if let Some(c) = &caption {
                    html.push_str(&esc(c));
                }
                if let Some(c) = &credit {
                    if caption.is_some() {
                        html.push(' ');
                    }
                    html.push_str(&format!("<small>{}</small>", esc(c)));
                }
                html.push_str("</figcaption>");
            }
            html.push_str("</figure>\n");
        }
        if let Some(s) = &standfirst {
            html.push_str(&format!("<p><strong>{}</strong></p>\n", esc(s)));
        }
        // Parsers store sanitized bodies; sanitize again only what does not
        // look exactly like sanitizer output (relative links then resolve
        // against the article's own page).
        if crate::feeds::clean::already_clean(&art.body_html) {
            html.push_str(crate::util::strip_xml_invalid(&art.body_html).trim());
        } else {
            html.push_str(sanitize_html(&art.body_html, Some(&link)).trim());
        }
        html.push('\n');
        for q in art
            .pull_quotes
            .iter()
            .map(|q| plain(q))
            .filter(|q| !q.is_empty())
        {
            html.push_str(&format!("<blockquote><p>{}</p></blockquote>\n", esc(&q)));
        }
        let related: Vec<String> = art
            .related
            .iter()
            .map(|r| plain(r))
            .filter(|r| !r.is_empty())
            .collect();
        if !related.is_empty() {
            html.push_str("<h2>Related</h2>\n<ul>\n");
            for r in &related {
                html.push_str(&format!("<li>{}</li>\n", esc(r)));
            }
            html.push_str("</ul>\n");
        }
        // CDATA sections cannot hold "]]>"; escaping the ">" keeps the HTML
        // meaning and lets any XML writer embed it safely.
        let content_html = if memmem::find(html.as_bytes(), b"]]>").is_some() {
            html.replace("]]>", "]]&gt;")
        } else {
            html
        };

        let authors: Vec<String> = art
            .authors
            .iter()
            .map(|s| person_name(s))
            .filter(|s| !s.is_empty())
            .collect();
        let authors = if authors.is_empty() {
            vec![self.author.clone()]
        } else {
            authors
        };
        let mut tags: Vec<String> = Vec::new();
        for t in art
            .tags
            .iter()
            .map(|t| plain_no_tags(t))
            .filter(|t| !t.is_empty())
        {
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        let published = feed_date(art.date, a.archived_at);
        // One ingest run stores many articles with the same `updated_at`, but
        // Atom readers (and validators) expect distinct `updated` values per
        // feed; the article's insertion sequence, as microseconds, makes them
        // distinct without moving any date by as much as a second.
        let updated = a.updated_at.max(published)
            + chrono::Duration::microseconds(a.seq.rem_euclid(1_000_000));
        Entry {
            id: tag_uri(&self.authority, &a.id),
            title,
            link: link.to_string(),
            summary,
            content_html,
            image,
            authors,
            tags,
            published,
            updated,
        }
    }
}

/// Feed readers and the W3C validator take dates before 1990 or in the
/// future as implausible (the validator flags them: `ImplausibleDate`).
const EARLIEST_FEED_DATE: NaiveDate = NaiveDate::from_ymd_opt(1990, 1, 1).expect("a date");

/// The date an article is published under in the feeds: midnight UTC of its
/// own date, unless that is implausible — before 1990 (an archive reprinting
/// a 1985 piece) or after the article was archived (a typo like 2202, a
/// date a time zone ahead) — and then when it was archived, which is when
/// it entered the feeds. Judged against `archived_at`, not the clock, so the
/// feeds stay a function of the store. The digest still shows the article's
/// own date.
fn feed_date(date: Option<NaiveDate>, archived_at: DateTime<Utc>) -> DateTime<Utc> {
    date.filter(|d| *d >= EARLIEST_FEED_DATE)
        .map(|d| d.and_time(NaiveTime::MIN).and_utc())
        .filter(|t| *t <= archived_at)
        .unwrap_or(archived_at)
}

/// The plain-text summary from the standfirst, if it gives one.
fn standfirst(a: &StoredArticle) -> Option<String> {
    a.article
        .standfirst
        .as_deref()
        .map(plain_no_tags)
        .filter(|s| !s.is_empty())
}

/// True if [`Site::entry`] reads the article's `body_text` (for a summary,
/// when the standfirst gives none).
pub fn needs_body_text(a: &StoredArticle) -> bool {
    standfirst(a).is_none()
}

/// The first paragraph of the body, cut at a word boundary near 300 characters.
fn excerpt(body_text: &str) -> Option<String> {
    let first = body_text
        .split("\n\n")
        .map(plain_no_tags)
        .find(|p| !p.is_empty())?;
    if first.chars().count() <= 300 {
        return Some(first);
    }
    let mut out = String::new();
    for w in first.split(' ') {
        if out.chars().count() + w.chars().count() > 300 {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out.push('…');
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Article, Format};

    fn site() -> Site {
        Site {
            title: "T".into(),
            base_url: Url::parse("https://news.example.org/").unwrap(),
            language: "en".into(),
            author: "Desk".into(),
            authority: "news.example.org,2026-01-01".into(),
            article_url: "articles/{id}/".into(),
        }
    }

    fn stored(id: &str, article: Article) -> StoredArticle {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        StoredArticle {
            id: id.into(),
            source_path: "x.txt".into(),
            format: Format::Text,
            archived_at: t,
            updated_at: t,
            seq: 1,
            article,
        }
    }

    #[test]
    fn ids_cannot_climb_out_of_their_path_or_break_the_tag() {
        assert_eq!(
            encode_id("2017/balagov-closeness"),
            "2017/balagov-closeness"
        );
        assert_eq!(encode_id("../x y"), "../x%20y");
        assert_eq!(encode_url_id("a/../x.y/."), "a/%252E%252E/x.y/%252E");
        assert_eq!(tag_uri("e.org,2026", "a:b#c"), "tag:e.org,2026:a%3Ab%23c");
    }

    #[test]
    fn link_prefers_the_article_url_and_falls_back_under_the_site() {
        let s = site();
        let mut a = stored("2017/x y", Article::default());
        assert_eq!(
            s.link(&a).as_str(),
            "https://news.example.org/articles/2017/x%20y/"
        );
        a.article.url = Some("javascript:alert(1)".into());
        assert!(
            s.link(&a)
                .as_str()
                .starts_with("https://news.example.org/articles/")
        );
        a.article.url = Some("https://other.example/p".into());
        assert_eq!(s.link(&a).as_str(), "https://other.example/p");
    }

    #[test]
    fn content_has_figure_standfirst_quotes_and_related() {
        let a = stored(
            "a",
            Article {
                title: "  Two\nlines ".into(),
                image_url: Some("/img/a.jpg".into()),
                caption: Some("A <caption>".into()),
                standfirst: Some("Stand".into()),
                body_html: "<p>Body <a href=\"rel\">l</a></p>".into(),
                pull_quotes: vec!["Q1".into(), "Q2".into()],
                related: vec!["R1".into()],
                ..Article::default()
            },
        );
        let e = site().entry(&a);
        assert_eq!(e.title, "Two lines");
        assert_eq!(e.summary.as_deref(), Some("Stand"));
        assert_eq!(
            e.image.as_deref(),
            Some("https://news.example.org/img/a.jpg")
        );
        let c = &e.content_html;
        assert!(c.contains("<figure><img src=\"https://news.example.org/img/a.jpg\" alt=\"A &lt;caption&gt;\"><figcaption>A &lt;caption&gt;</figcaption></figure>"), "{c}");
        assert!(
            c.contains("href=\"https://news.example.org/articles/a/rel\""),
            "{c}"
        );
        assert!(c.contains("<blockquote><p>Q1</p></blockquote>"), "{c}");
        assert!(c.contains("<li>R1</li>"), "{c}");
        assert_eq!(e.authors, vec!["Desk".to_string()]);
        assert_eq!(e.id, "tag:news.example.org,2026-01-01:a");
    }

    #[test]
    fn lead_image_already_in_the_body_is_not_shown_twice() {
        let a = stored(
            "a",
            Article {
                image_url: Some("https://news.example.org/img/a.jpg?w=1&h=2".into()),
                caption: Some("Cap".into()),
                body_html: "<figure><img src=\"https://news.example.org/img/a.jpg?w=1&amp;h=2\" alt=\"x\"><figcaption>Cap</figcaption></figure><p>Body</p>".into(),
                ..Article::default()
            },
        );
        let c = site().entry(&a).content_html;
        assert_eq!(c.matches("<img").count(), 1, "{c}");
        assert_eq!(c.matches("<figure>").count(), 1, "{c}");
    }

    #[test]
    fn tags_are_dropped_from_plain_text_but_comparisons_stay() {
        assert_eq!(
            plain_no_tags("a <b>bold</b> < 3 > 2 <script>x()</script>"),
            "a bold < 3 > 2 x()"
        );
        assert_eq!(plain_no_tags("x <"), "x <");
        assert_eq!(plain_no_tags("x <y &#38;"), "x < y & #38;");
        assert_eq!(person_name("Eve <eve@example.org>"), "Eve");
        assert_eq!(person_name("eve@example.org (Eve Smith)"), "(Eve Smith)");
    }

    #[test]
    fn plain_text_is_one_line_with_single_spaces() {
        assert_eq!(plain("  a\n\tb  c\u{0}d \u{a0} e "), "a b cd e");
        assert_eq!(plain(" \n "), "");
    }

    #[test]
    fn long_bodies_get_a_short_summary() {
        let body = "word ".repeat(200);
        let s = excerpt(&body).unwrap();
        assert!(s.chars().count() <= 301 && s.ends_with('…'), "{s}");
    }
}
