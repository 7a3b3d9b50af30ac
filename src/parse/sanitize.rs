//! The one HTML sanitizer every parser uses, so feeds and emails can embed
//! article bodies as they are.
//!
//! ammonia removes scripts, styles, event handlers, `javascript:`/`data:`
//! URLs and anything not on its allow-list; relative URLs are made absolute
//! against the article's own URL (or the site) so content works in any reader.

use url::Url;

/// Elements that survive sanitizing. `feeds::clean` validates against the
/// same lists, so the two can never disagree.
pub const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "mark",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "span",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
];

/// Attributes allowed on every element.
pub const GENERIC_ATTRIBUTES: &[&str] = &["lang", "title", "dir"];

/// Attributes allowed per element (besides the generic ones).
pub const TAG_ATTRIBUTES: &[(&str, &[&str])] = &[
    ("a", &["href", "hreflang"]),
    ("img", &["src", "alt", "width", "height"]),
    ("td", &["colspan", "rowspan"]),
    ("th", &["colspan", "rowspan", "scope"]),
    ("time", &["datetime"]),
    ("blockquote", &["cite"]),
    ("q", &["cite"]),
    ("ol", &["start"]),
];

/// Whether sanitized output may carry `attr` on `tag` (including the `rel`
/// the sanitizer itself adds to links).
pub fn attr_allowed(tag: &str, attr: &str) -> bool {
    GENERIC_ATTRIBUTES.contains(&attr)
        || (tag == "a" && attr == "rel")
        || TAG_ATTRIBUTES
            .iter()
            .any(|(t, attrs)| *t == tag && attrs.contains(&attr))
}

/// Sanitizes an HTML fragment. `base` is the URL relative links resolve
/// against; without one, relative links are dropped (a feed reader could not
/// follow them anyway).
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    let mut b = ammonia::Builder::default();
    b.tags(TAGS.iter().copied().collect())
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .strip_comments(true);
    // Drop the page's own classes and ids: they mean nothing outside it.
    b.generic_attributes(GENERIC_ATTRIBUTES.iter().copied().collect());
    b.tag_attributes(
        TAG_ATTRIBUTES
            .iter()
            .map(|(tag, attrs)| (*tag, attrs.iter().copied().collect()))
            .collect(),
    );
    match base {
        Some(base) => {
            b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        }
        None => {
            b.url_relative(ammonia::UrlRelative::Deny);
        }
    }
    let clean = b.clean(html).to_string();
    crate::util::strip_xml_invalid(&clean).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_handlers_and_javascript_urls_are_removed() {
        let out = sanitize_html(
            r#"<p onclick="x()">Hi<script>alert(1)</script> <a href="javascript:alert(1)">x</a><img src="data:image/png;base64,AA" onerror="y()"></p><style>p{}</style>"#,
            None,
        );
        assert!(
            !out.contains("script") && !out.contains("onclick") && !out.contains("onerror"),
            "{out}"
        );
        assert!(
            !out.contains("javascript:") && !out.contains("data:") && !out.contains("style"),
            "{out}"
        );
        assert!(out.contains("<p>Hi"), "{out}");
    }

    #[test]
    fn relative_urls_become_absolute_against_the_base() {
        let base = Url::parse("https://example.org/2017/08/article/").unwrap();
        let out = sanitize_html(
            r#"<a href="../other/">o</a><img src="/i/x.jpg" alt="x">"#,
            Some(&base),
        );
        assert!(
            out.contains(r#"href="https://example.org/2017/08/other/""#),
            "{out}"
        );
        assert!(
            out.contains(r#"src="https://example.org/i/x.jpg""#),
            "{out}"
        );
        assert!(out.contains("noopener"), "{out}");
    }

    #[test]
    fn control_characters_do_not_survive() {
        assert_eq!(sanitize_html("<p>a\u{1}b</p>", None), "<p>ab</p>");
    }
}
