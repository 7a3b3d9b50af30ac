//! The one HTML sanitizer every parser uses, so feeds and emails can embed
//! article bodies as they are.
//!
//! ammonia removes scripts, styles, event handlers, `javascript:`/`data:`
//! URLs and anything not on its allow-list; relative URLs are made absolute
//! against the article's own URL (or the site) so content works in any reader.

use std::collections::HashSet;

use url::Url;

/// Sanitizes an HTML fragment. `base` is the URL relative links resolve
/// against; without one, relative links are dropped (a feed reader could not
/// follow them anyway).
pub fn sanitize_html(html: &str, base: Option<&Url>) -> String {
    let mut b = ammonia::Builder::default();
    let tags: HashSet<&str> = [
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
    ]
    .into_iter()
    .collect();
    b.tags(tags)
        .link_rel(Some("noopener noreferrer"))
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .strip_comments(true);
    // Drop the page's own classes and ids: they mean nothing outside it.
    b.generic_attributes(["lang", "title", "dir"].into_iter().collect());
    b.tag_attributes(
        [
            ("a", ["href", "hreflang"].into_iter().collect()),
            (
                "img",
                ["src", "alt", "width", "height"].into_iter().collect(),
            ),
            ("td", ["colspan", "rowspan"].into_iter().collect()),
            ("th", ["colspan", "rowspan", "scope"].into_iter().collect()),
            ("time", ["datetime"].into_iter().collect()),
            ("blockquote", ["cite"].into_iter().collect()),
            ("q", ["cite"].into_iter().collect()),
            ("ol", ["start"].into_iter().collect()),
        ]
        .into_iter()
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
