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
    // Building the allow-lists costs about as much as cleaning a short body,
    // so each thread builds them once and only the base changes per call.
    thread_local! {
        static BUILDER: std::cell::RefCell<ammonia::Builder<'static>> =
            std::cell::RefCell::new(builder());
    }
    let clean = BUILDER.with_borrow_mut(|b| {
        match base {
            Some(base) => {
                b.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
            }
            None => {
                b.url_relative(ammonia::UrlRelative::Deny);
            }
        }
        b.clean(html).to_string()
    });
    crate::util::strip_xml_invalid(&clean).into_owned()
}

fn builder() -> ammonia::Builder<'static> {
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
    b
}

/// Plain-text paragraphs as sanitized `<p>` elements, one per line: the
/// text parser's bodies.
pub fn paragraphs_html(paragraphs: &[String]) -> String {
    plain_paragraphs_html(paragraphs).unwrap_or_else(|| via_sanitizer(paragraphs))
}

/// The same, byte for byte, without parsing HTML: sanitizing a
/// 100,000-file archive's worth of plain text dominated the text parser's
/// cost. `None` when a paragraph holds a control character, whose handling
/// is the HTML parser's business.
fn plain_paragraphs_html(paragraphs: &[String]) -> Option<String> {
    let odd = |c: char| c.is_control() && !matches!(c, '\t' | '\n');
    if paragraphs.iter().any(|p| p.contains(odd)) {
        return None;
    }
    let mut out = String::with_capacity(paragraphs.iter().map(|p| p.len() + 8).sum());
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("<p>");
        // html5ever's serializer escapes text nodes exactly so.
        for c in p.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '\u{a0}' => out.push_str("&nbsp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                c => out.push(c),
            }
        }
        out.push_str("</p>");
    }
    Some(out)
}

/// The paragraphs escaped, wrapped and run through [`sanitize_html`].
fn via_sanitizer(paragraphs: &[String]) -> String {
    let mut html = String::new();
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            html.push('\n');
        }
        html.push_str("<p>");
        crate::util::escape_html_into(&mut html, p);
        html.push_str("</p>");
    }
    sanitize_html(&html, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paragraphs_html_matches_the_sanitizer() {
        let cases: Vec<Vec<String>> = vec![
            vec!["A & B <i>not a tag</i> \"quoted\" it's".into()],
            vec![
                "non\u{a0}breaking &amp; &lt;x&gt; &#39;".into(),
                "second\tline".into(),
            ],
            vec!["«Кино» — ქართული ֆիլմ ✓".into(), "".into(), "end".into()],
            vec!["<!-- comment --> <script>alert(1)</script>".into()],
        ];
        for c in cases {
            assert_eq!(
                plain_paragraphs_html(&c).as_deref(),
                Some(via_sanitizer(&c).as_str())
            );
        }
        let bell = ["bell\u{7}".to_string()];
        assert_eq!(plain_paragraphs_html(&bell), None);
        assert_eq!(paragraphs_html(&bell), via_sanitizer(&bell));
    }

    proptest::proptest! {
        #[test]
        fn paragraphs_html_matches_the_sanitizer_on_any_text(
            paragraphs in proptest::collection::vec("[^\\p{Cc}]{0,40}|[a-z&<>\"' \u{a0}]{0,40}", 1..4)
        ) {
            if let Some(fast) = plain_paragraphs_html(&paragraphs) {
                proptest::prop_assert_eq!(fast, via_sanitizer(&paragraphs));
            }
        }
    }

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
    fn each_call_uses_its_own_base() {
        let html = r#"<a href="x/">x</a>"#;
        let a = Url::parse("https://a.example/1/").unwrap();
        let b = Url::parse("https://b.example/2/").unwrap();
        assert!(sanitize_html(html, Some(&a)).contains("https://a.example/1/x/"));
        assert!(sanitize_html(html, Some(&b)).contains("https://b.example/2/x/"));
        assert!(!sanitize_html(html, None).contains("href"));
        assert!(sanitize_html(html, Some(&a)).contains("https://a.example/1/x/"));
    }

    #[test]
    fn control_characters_do_not_survive() {
        assert_eq!(sanitize_html("<p>a\u{1}b</p>", None), "<p>ab</p>");
    }
}
