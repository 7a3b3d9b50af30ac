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
        // `write_to` is what `to_string` does, less a copy through a
        // formatter.
        let mut out = Vec::with_capacity(html.len());
        b.clean(html)
            .write_to(&mut out)
            .expect("writing to a Vec does not fail");
        String::from_utf8(out).expect("html5ever writes UTF-8")
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
    let mut out = String::with_capacity(paragraphs.iter().map(|p| p.len() + 8).sum());
    for (i, p) in paragraphs.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str("<p>");
        if !push_escaped_text(&mut out, p) {
            return None;
        }
        out.push_str("</p>");
    }
    Some(out)
}

/// Appends `text` escaped exactly as html5ever's serializer escapes a text
/// node (`&`, `<`, `>` and U+00A0, nothing else). `false`, with `out` left
/// part-written, when the text holds a control character other than tab and
/// line feed, or U+FFFD: the sanitizer's treatment of those is the
/// sanitizer's business.
///
/// Works on bytes: every byte that matters is either ASCII, the lead byte
/// 0xC2 of U+0080..=U+00BF (the C1 controls and the no-break space) or the
/// 0xEF of U+FFFD, so runs of anything else are copied whole.
pub(crate) fn push_escaped_text(out: &mut String, text: &str) -> bool {
    push_text(out, text, true)
}

/// [`push_escaped_text`]; with `markup` false, `&`, `<` and `>` are copied
/// as they are (text that pulldown-cmark already escaped: html5ever decodes
/// and re-encodes its entities to the same bytes).
fn push_text(out: &mut String, text: &str, markup: bool) -> bool {
    let bytes = text.as_bytes();
    let mut run = 0;
    let mut i = 0;
    while i < bytes.len() {
        // Skip 16 bytes at a time while none needs a look (a branch-free
        // test the compiler vectorises).
        if let Some(block) = bytes.get(i..i + 16)
            && !block.iter().fold(false, |m, &b| {
                m | (b < 0x20)
                    | (b == b'&')
                    | (b == b'<')
                    | (b == b'>')
                    | (b == 0x7f)
                    | (b == 0xc2)
                    | (b == 0xef)
            })
        {
            i += 16;
            continue;
        }
        let b = bytes[i];
        let escape = match b {
            b'&' | b'<' | b'>' if !markup => {
                i += 1;
                continue;
            }
            b'&' => "&amp;",
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'\t' | b'\n' => {
                i += 1;
                continue;
            }
            0..0x20 | 0x7f => return false,
            // U+FFFD, which the sanitizer's output leaves out.
            0xef if bytes.get(i + 1..i + 3) == Some(&[0xbf, 0xbd]) => return false,
            0xc2 => match bytes[i + 1] {
                0xa0 => "&nbsp;",
                0x80..0xa0 => return false,
                _ => {
                    i += 2;
                    continue;
                }
            },
            _ => {
                i += 1;
                continue;
            }
        };
        out.push_str(&text[run..i]);
        out.push_str(escape);
        i += if b == 0xc2 { 2 } else { 1 };
        run = i;
    }
    out.push_str(&text[run..]);
    true
}

/// Sanitizes pulldown-cmark's HTML rendering of Markdown events that hold
/// no raw HTML (no `Event::Html` or `Event::InlineHtml`): the same string as
/// [`sanitize_html`], byte for byte. Such HTML is pulldown's own, with a few
/// known tags, attributes in double quotes and every `&`, `<`, `>` in text
/// escaped, so it is rewritten in one pass the way html5ever would parse it,
/// ammonia would filter it and html5ever would serialize it; anything
/// unexpected goes through the sanitizer instead. Parsing and serializing
/// every Markdown body twice was a quarter of the Markdown parser's cost.
pub fn sanitize_markdown_html(html: &str, base: Option<&Url>) -> String {
    match pulldown_html_direct(html, base) {
        Some(out) => crate::util::strip_xml_invalid(&out).into_owned(),
        None => sanitize_html(html, base),
    }
}

/// See [`sanitize_markdown_html`]; `None` for anything it does not know.
pub(crate) fn pulldown_html_direct(html: &str, base: Option<&Url>) -> Option<String> {
    let b = html.as_bytes();
    let mut out = String::with_capacity(html.len() + html.len() / 16);
    let mut i = 0;
    // html5ever would close an open link at a nested one: leave that to it.
    let mut in_link = false;
    loop {
        let lt = memchr::memchr(b'<', &b[i..]).map_or(b.len(), |p| i + p);
        if !push_text(&mut out, &html[i..lt], false) {
            return None;
        }
        if lt == b.len() {
            return Some(out);
        }
        // Attribute values hold no raw `>` (pulldown escapes it), so the
        // first one ends the tag.
        let gt = lt + memchr::memchr(b'>', &b[lt..])?;
        let tag = &html[lt + 1..gt];
        i = gt + 1;
        match tag {
            "p" | "/p" | "h2" | "/h2" | "h3" | "/h3" | "h4" | "/h4" | "h5" | "/h5" | "h6"
            | "/h6" | "blockquote" | "/blockquote" | "ul" | "/ul" | "ol" | "/ol" | "li" | "/li"
            | "em" | "/em" | "strong" | "/strong" | "del" | "/del" | "code" | "/code" | "pre"
            | "/pre" => {
                out.push('<');
                out.push_str(tag);
                out.push('>');
            }
            "/a" if in_link => {
                in_link = false;
                out.push_str("</a>");
            }
            "br /" => out.push_str("<br>"),
            "hr /" => out.push_str("<hr>"),
            _ => {
                if let Some(n) = tag
                    .strip_prefix("ol start=\"")
                    .and_then(|r| r.strip_suffix('"'))
                {
                    if n.is_empty() || !n.bytes().all(|d| d.is_ascii_digit()) {
                        return None;
                    }
                    out.push('<');
                    out.push_str(tag);
                    out.push('>');
                } else if let Some(lang) = tag
                    .strip_prefix("code class=\"language-")
                    .and_then(|r| r.strip_suffix('"'))
                {
                    // ammonia drops the class; the value must still be
                    // well-formed for the tag to be pulldown's.
                    attr_value(lang)?;
                    out.push_str("<code>");
                } else if let Some(rest) = tag.strip_prefix("a href=\"") {
                    if in_link {
                        return None;
                    }
                    in_link = true;
                    let (href, rest) = rest.split_once('"')?;
                    let title = match rest {
                        "" => None,
                        r => Some(r.strip_prefix(" title=\"")?.strip_suffix('"')?),
                    };
                    out.push_str("<a");
                    push_url_attr(&mut out, "href", href, base)?;
                    if let Some(t) = title {
                        push_attr(&mut out, "title", &attr_value(t)?)?;
                    }
                    out.push_str(" rel=\"noopener noreferrer\">");
                } else if let Some(rest) = tag
                    .strip_prefix("img src=\"")
                    .and_then(|r| r.strip_suffix("\" /"))
                {
                    let (src, rest) = rest.split_once("\" alt=\"")?;
                    let (alt, title) = match rest.split_once("\" title=\"") {
                        Some((alt, title)) => (alt, Some(title)),
                        None => (rest, None),
                    };
                    out.push_str("<img");
                    push_url_attr(&mut out, "src", src, base)?;
                    push_attr(&mut out, "alt", &attr_value(alt)?)?;
                    if let Some(t) = title {
                        push_attr(&mut out, "title", &attr_value(t)?)?;
                    }
                    out.push('>');
                } else {
                    return None;
                }
            }
        }
    }
}

/// An attribute value as pulldown-cmark wrote it, decoded as html5ever
/// would: pulldown writes every `&` as one of these references. `None` for
/// anything else, and for quotes (never raw in pulldown's values).
fn attr_value(raw: &str) -> Option<std::borrow::Cow<'_, str>> {
    if raw.contains('"') {
        return None;
    }
    if !raw.contains('&') {
        return Some(raw.into());
    }
    let mut out = String::with_capacity(raw.len());
    let mut rest = raw;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let (c, len) = [
            ("&amp;", '&'),
            ("&lt;", '<'),
            ("&gt;", '>'),
            ("&quot;", '"'),
            ("&#39;", '\''),
            ("&#x27;", '\''),
        ]
        .iter()
        .find(|(r, _)| rest.starts_with(r))
        .map(|(r, c)| (*c, r.len()))?;
        out.push(c);
        rest = &rest[len..];
    }
    out.push_str(rest);
    Some(out.into())
}

/// ` name="value"` as html5ever serializes an attribute. `None` (give up)
/// for control characters, whose handling is the sanitizer's business.
fn push_attr(out: &mut String, name: &str, value: &str) -> Option<()> {
    if value.contains(|c: char| c.is_control()) {
        return None;
    }
    out.push(' ');
    out.push_str(name);
    out.push_str("=\"");
    for c in value.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\u{a0}' => out.push_str("&nbsp;"),
            c => out.push(c),
        }
    }
    out.push('"');
    Some(())
}

/// A link's or image's URL attribute as [`sanitize_html`] leaves it: kept
/// as written if absolute with an allowed scheme, made absolute against
/// `base` if relative, else dropped. `None` (give up) where ammonia would
/// drop it after reordering the attributes (a relative URL the base cannot
/// join).
fn push_url_attr(out: &mut String, name: &str, raw: &str, base: Option<&Url>) -> Option<()> {
    let value = attr_value(raw)?;
    match Url::parse(&value) {
        Ok(u) => {
            if matches!(u.scheme(), "http" | "https" | "mailto") {
                push_attr(out, name, &value)?;
            }
        }
        Err(url::ParseError::RelativeUrlWithoutBase) => {
            if let Some(base) = base {
                push_attr(out, name, base.join(&value).ok()?.as_str())?;
            }
        }
        Err(_) => {}
    }
    Some(())
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

        #[test]
        fn paragraphs_html_falls_back_exactly_on_control_characters(
            paragraphs in proptest::collection::vec(
                "[a-z&<>\"' \t\n\u{a0}\u{a1}\u{bf}\u{100}\u{7f}\u{80}\u{85}\u{9f}\u{1}\u{1f}é—]{0,40}",
                1..4,
            )
        ) {
            let odd = |c: char| c.is_control() && !matches!(c, '\t' | '\n');
            let fast = plain_paragraphs_html(&paragraphs);
            proptest::prop_assert_eq!(fast.is_none(), paragraphs.iter().any(|p| p.contains(odd)));
            if let Some(fast) = fast {
                proptest::prop_assert_eq!(fast, via_sanitizer(&paragraphs));
            }
            proptest::prop_assert_eq!(paragraphs_html(&paragraphs), via_sanitizer(&paragraphs));
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
