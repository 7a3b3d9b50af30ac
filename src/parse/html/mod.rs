//! The archived-HTML parser: a saved news page (own site, Wayback capture,
//! partner page) → [`Article`].
//!
//! Steps: size and nesting limits ([`limits`]), charset ([`encoding`]),
//! metadata from JSON-LD / OpenGraph / `<meta>` / markup ([`metadata`]),
//! boilerplate removal (`clean`), body extraction ([`extract`]), then the
//! shared sanitizer with URLs made absolute and a plain-text rendering
//! (`text`).

/// A CSS selector parsed once per process: parsing one costs more than
/// matching it, and every page used to parse a dozen.
macro_rules! sel {
    ($s:literal) => {{
        static SELECTOR: std::sync::OnceLock<scraper::Selector> = std::sync::OnceLock::new();
        SELECTOR.get_or_init(|| scraper::Selector::parse($s).expect("static selector"))
    }};
}

mod clean;
pub mod encoding;
pub mod extract;
pub mod limits;
pub mod metadata;
pub(crate) mod text;

use std::borrow::Cow;

use scraper::Html;
use url::Url;

use super::{Context, ParseError, clean_text, sanitize::sanitize_html};
use crate::model::Article;

/// Parses one archived HTML page.
pub fn parse(input: &[u8], ctx: &Context<'_>) -> Result<Article, ParseError> {
    if input.len() > limits::MAX_BYTES {
        return Err(ParseError::new(format!(
            "page is {:.1} MB; HTML pages over {} MB are not read (not an article capture?)",
            input.len() as f64 / 1_048_576.0,
            limits::MAX_BYTES / 1_048_576
        )));
    }
    let (decoded, _) = encoding::decode(input);
    // Only the XML-invalid characters go here; full cleanup (NFC) of a whole
    // page is costly, so it is applied to the extracted fields instead.
    let decoded = crate::util::strip_xml_invalid(&decoded);
    let page = limits::limit_depth(&decoded, limits::MAX_DEPTH);
    let mut doc = Html::parse_document(&page);

    let meta = metadata::extract(&doc, ctx.base_url);
    let Some(title) = meta.title.clone().map(finish) else {
        return Err(ParseError::new(
            "no recognisable title (no JSON-LD headline, og:title, <h1> or <title>)",
        ));
    };
    if let Some(n) = listing_teasers(&doc, &meta) {
        return Err(ParseError::new(format!(
            "looks like a listing page ({n} linked teasers, and no date or metadata saying it is \
             an article), not an article; add it to [archive] exclude if it should not be read"
        )));
    }
    let mut body = extract::extract(&mut doc, &meta);
    let base: Option<Url> = meta.canonical.clone().or_else(|| ctx.base_url.cloned());
    let unwrapped = unwrap_wayback_links(&body.html);
    // Nothing rewritten in the markup: no archive links, and no character
    // (from a character reference) that the sanitizer strips as XML-invalid.
    let as_is = matches!(unwrapped, Cow::Borrowed(_))
        && matches!(crate::util::strip_xml_invalid(&unwrapped), Cow::Borrowed(_));
    let sanitized = sanitize_html(&unwrapped, base.as_ref());
    let body_html = clean_text(&sanitized);
    // Parsing the sanitized body again for its text is skipped where the
    // extraction knows the answer already.
    let paragraphs = match body.sanitized_blocks(as_is && body_html == sanitized) {
        Some(blocks) => {
            debug_assert_eq!(blocks, text::blocks(&body_html), "{body_html}");
            blocks
        }
        None => text::blocks(&body_html),
    };
    if paragraphs.is_empty() {
        return Err(ParseError::new(
            "no article body found (the page has no text outside navigation and boilerplate)",
        ));
    }
    let url = meta.canonical.as_ref().map(Url::to_string);
    Ok(Article {
        explicit_id: url.clone().or_else(|| meta.ld_id.clone()),
        site_name: meta.site_name.clone().map(finish),
        title,
        url,
        date: meta.date,
        standfirst: meta.description.clone().map(finish),
        image_url: meta.image.clone(),
        caption: meta.image_caption.clone().map(finish),
        image_credit: None,
        authors: meta.authors.iter().cloned().map(finish).collect(),
        tags: meta.tags.iter().cloned().map(finish).collect(),
        pull_quotes: body.pull_quotes.into_iter().map(finish).collect(),
        related: body.related.into_iter().map(finish).collect(),
        themes: Vec::new(),
        body_html,
        body_text: paragraphs.join("\n\n"),
    })
}

/// How many teasers a page is made of, when it is a listing (a category,
/// tag, search or home page of an archived site) rather than an article:
/// three or more top-level `<article>` elements each headed by a link, none
/// holding half of their text, together holding at least half of the
/// page's, and nothing on the page saying it is an article or giving a date.
/// Real article pages list related stories as `<article>` teasers too (21 of the 181 pages of the Article Extraction
/// Benchmark have three or more, one holding only 16% of their text), but
/// every one of those says it is an article in its metadata.
fn listing_teasers(doc: &Html, meta: &metadata::Meta) -> Option<usize> {
    if meta.says_article || meta.date.is_some() {
        return None;
    }
    let top: Vec<scraper::ElementRef<'_>> = doc
        .select(sel!("article"))
        .filter(|a| {
            !a.ancestors()
                .filter_map(scraper::ElementRef::wrap)
                .any(|p| p.value().name() == "article")
        })
        .collect();
    if top.len() < 3 {
        return None;
    }
    let headed = |a: &scraper::ElementRef<'_>| {
        a.select(sel!(
            "h1 a[href], h2 a[href], h3 a[href], h4 a[href], a[href] h1, a[href] h2, a[href] h3, a[href] h4"
        ))
        .next()
        .is_some()
    };
    let lens: Vec<usize> = top
        .iter()
        .map(|a| a.text().map(|t| t.trim().chars().count()).sum())
        .collect();
    let total: usize = lens.iter().sum();
    let dominant = lens.iter().any(|&l| l * 2 >= total);
    // An old page without metadata may keep its story outside any
    // `<article>` and list related ones in them: then most text is outside.
    let page: usize = doc
        .select(sel!("body"))
        .flat_map(|b| b.text())
        .map(|t| t.trim().chars().count())
        .sum();
    (top.iter().all(headed) && !dominant && total * 2 >= page).then_some(top.len())
}

/// Links in a Wayback capture point into the archive
/// (`/web/20221011093412/https://site/x`); point them at the original.
fn unwrap_wayback_links(html: &str) -> Cow<'_, str> {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    if !html.contains("/web/") {
        return html.into();
    }
    let re = RE.get_or_init(|| {
        regex::Regex::new(
            r#"(href|src)="(?:https?://web\.archive\.org)?/web/[0-9]+[a-z_]*/(https?://[^"]+)""#,
        )
        .expect("static regex")
    });
    re.replace_all(html, r#"$1="$2""#)
}

/// `str::to_lowercase`, with ASCII lowercased byte by byte: extraction
/// lowercases whole article bodies to compare them, and the standard
/// version goes character by character from the first non-ASCII one on.
pub(crate) fn lower(s: &str) -> String {
    // Σ is the one character whose lowercase depends on its neighbours.
    if s.contains('Σ') {
        return s.to_lowercase();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while !rest.is_empty() {
        let ascii = rest
            .bytes()
            .position(|b| !b.is_ascii())
            .unwrap_or(rest.len());
        let (run, tail) = rest.split_at(ascii);
        let start = out.len();
        out.push_str(run);
        out[start..].make_ascii_lowercase();
        // Then up to the next ASCII character.
        let other = tail
            .bytes()
            .position(|b| b.is_ascii())
            .unwrap_or(tail.len());
        let (run, tail) = tail.split_at(other);
        out.extend(run.chars().flat_map(char::to_lowercase));
        rest = tail;
    }
    out
}

/// Full text cleanup (NFC, no XML-invalid characters) for a kept field.
fn finish(s: String) -> String {
    clean_text(&s)
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn parse_with(page: &str, base: Option<&str>) -> Result<Article, ParseError> {
        let base = base.map(|b| Url::parse(b).unwrap());
        parse(
            page.as_bytes(),
            &Context {
                base_url: base.as_ref(),
            },
        )
    }

    fn ok(page: &str) -> Article {
        parse_with(page, Some("https://desk.example.org/")).unwrap()
    }

    fn teasers(n: usize) -> String {
        (1..=n)
            .map(|i| {
                format!(
                    "<article class=\"teaser\"><h2><a href=\"/a/{i}\">Story {i} from Tbilisi</a></h2>\
                     <p>A short teaser about story {i}, a film shown in Tbilisi last week.</p></article>"
                )
            })
            .collect()
    }

    /// Regression: a category page of an archived site (linked teasers, no
    /// date, nothing saying "article") was stored as an article named after
    /// the category, its teasers as the body.
    #[test]
    fn listing_page_of_teasers_is_rejected_not_stored() {
        let page = format!(
            "<html><head><title>Cinema – page 3</title></head><body><nav><a href=\"/\">Home</a></nav>\
             <h1>Cinema</h1>{}<footer>Desk</footer></body></html>",
            teasers(4)
        );
        let e = parse_with(&page, None).unwrap_err();
        assert!(
            e.message.contains("listing page (4 linked teasers"),
            "{}",
            e.message
        );
    }

    #[test]
    fn teasers_beside_a_story_or_under_article_metadata_are_not_a_listing() {
        // The story itself outside any <article>, related stories in them.
        let story = "<p>A long story about a studio in Grozny and the films it made in the years \
                     after the war, told by the people who worked there and remember it.</p>";
        let page = format!(
            "<html><head><title>The studio</title></head><body><div><h1>The studio</h1>{}</div>\
             <aside>{}</aside></body></html>",
            story.repeat(3),
            teasers(3)
        );
        assert_eq!(ok(&page).title, "The studio");
        // Teasers only, but the page says it is an article.
        let page = format!(
            "<html><head><title>Roundup</title><meta property=\"og:type\" content=\"article\">\
             </head><body><h1>Roundup</h1>{}</body></html>",
            teasers(4)
        );
        assert_eq!(ok(&page).title, "Roundup");
    }

    /// Asserts that the body text holds each of `has` and none of `lacks`.
    fn body_has(a: &Article, has: &[&str], lacks: &[&str]) {
        for h in has {
            assert!(a.body_text.contains(h), "no {h:?} in {}", a.body_text);
        }
        for l in lacks {
            assert!(!a.body_text.contains(l), "{l:?} in {}", a.body_text);
        }
    }

    const BODY: &str = "<p>The festival opened on a rainy evening with a film about shepherds in the mountains above the valley.</p><p>Critics praised its patience, and the audience stayed for a long discussion with the director afterwards.</p>";

    /// A WordPress-style page whose comments (and a sidebar) outweigh the
    /// post, with the post's and body's class names given.
    fn blog_page(post_class: &str, body_class: &str) -> String {
        let comment = "<li class=\"comment\"><div class=\"comment-body\"><p>A reader's long reply about the film, its director and the festival, which goes on for a while and then some more.</p></div></li>";
        format!(
            "<html><head><title>Shepherds in the rain</title></head><body>\
             <div id=\"primary\"><main id=\"main\"><article class=\"{post_class}\">\
             <h1 class=\"entry-title\">Shepherds in the rain</h1>\
             <div class=\"{body_class}\">{BODY}</div></article>\
             <div id=\"comments\" class=\"comments-area\"><ol class=\"comment-list\">{}</ol></div>\
             </main></div></body></html>",
            comment.repeat(12)
        )
    }

    /// Regression: WordPress gives the post element `hentry category-…
    /// tag-…`; "category" marks chrome, so the whole post went wherever the
    /// comments outweighed it (and the page was rejected: no body).
    #[test]
    fn wordpress_post_classes_do_not_make_the_post_chrome() {
        let a = ok(&blog_page(
            "post-7 post type-post hentry category-open-thread tag-film",
            "entry-content",
        ));
        assert!(
            a.body_text.starts_with("The festival opened"),
            "{}",
            a.body_text
        );
        body_has(&a, &[], &["reader's long reply"]);
    }

    /// Regression: a `display: none` microdata block repeating the text as
    /// two `articleBody` copies (plain lines, no paragraphs) beside the
    /// visible body was taken for the body, so the article came out twice
    /// over and without its paragraphs.
    #[test]
    fn hidden_article_body_copies_are_not_the_body() {
        let plain = "The festival opened on a rainy evening with a film about shepherds.\nCritics praised its patience.";
        let copy = |kind: &str| {
            format!(
                "<div style=\"display:none;\" itemscope itemtype=\"http://schema.org/{kind}\">\
                 <div itemprop=\"headline\">Shepherds</div><div itemprop=\"articleBody\">{plain}</div>"
            )
        };
        // The second block is left open, as on the page this came from.
        let page = format!(
            "<html><head><title>Shepherds in the rain</title></head><body>\
             <h1>Shepherds in the rain</h1><div class=\"KonaBody\">{BODY}</div>\
             {}</div>{}</body></html>",
            copy("NewsArticle"),
            copy("Article")
        );
        let a = ok(&page);
        assert_eq!(
            a.body_text,
            "The festival opened on a rainy evening with a film about shepherds in the mountains above the valley.\n\n\
             Critics praised its patience, and the audience stayed for a long discussion with the director afterwards."
        );
    }

    /// Regression: WordPress HTML-escapes its JSON-LD strings, and some
    /// sites escape `<meta content>` twice or put entity-escaped markup in
    /// `articleBody`: titles read "Don&#8217;t" in every feed, and bodies
    /// showed "&lt;div align=&quot;center&quot;&gt;" as text.
    #[test]
    fn character_references_in_metadata_and_json_ld_bodies_are_decoded() {
        let para = |i: usize| {
            format!(
                "Paragraph {i} of the review, long enough to count as body text for the extractor."
            )
        };
        let ld_body = format!(
            "{}\\r\\n\\r\\n&lt;div align=&quot;center&quot;&gt;&lt;img src=&quot;https://x.example/a.jpg&quot;&gt;&lt;/div&gt;\\r\\n\\r\\n&lt;h2&gt;Keyboard&lt;/h2&gt;\\r\\n\\r\\n{} It&#8217;s &lt;em&gt;better&lt;/em&gt;.",
            (0..6).map(para).collect::<Vec<_>>().join(" "),
            para(7)
        );
        let page = format!(
            "<html><head><title>x</title>\
             <meta property=\"og:description\" content=\"Gas &amp;amp; Electric [&amp;amp;hellip;]\">\
             <script type=\"application/ld+json\">{{\"@type\":\"NewsArticle\",\
             \"headline\":\"Don&#8217;t stop&nbsp;now\",\"articleBody\":\"{ld_body}\"}}</script>\
             </head><body><article><p>Short.</p></article></body></html>"
        );
        let a = ok(&page);
        assert_eq!(a.title, "Don’t stop now");
        assert_eq!(a.standfirst.as_deref(), Some("Gas & Electric […]"));
        assert!(!a.body_text.contains('&'), "{}", a.body_text);
        let blocks: Vec<&str> = a.body_text.split("\n\n").collect();
        assert_eq!(blocks[1], "Keyboard");
        assert_eq!(blocks[2], format!("{} It’s better.", para(7)));
        assert!(a.body_html.contains("<p>Keyboard</p>"), "{}", a.body_html);
    }

    /// Regressions from real pages: a chain's JSON-LD says
    /// `"datePublished": "0001-01-01T00:00:00Z"` (Go's zero time) and that
    /// was the date; the New York Times dates its pages with
    /// `<meta property="article:published" itemprop="datePublished dateCreated">`;
    /// Yoast dates the `WebPage` of its JSON-LD graph, not the article.
    #[test]
    fn dates_from_real_page_patterns_and_placeholder_dates_ignored() {
        let page = |head: &str| {
            format!(
                "<html><head><title>Shepherds in the rain</title>{head}</head><body><article>\
                 <h1>Shepherds in the rain</h1>{BODY}</article></body></html>"
            )
        };
        let date = |head: &str| ok(&page(head)).date;
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day);
        assert_eq!(
            date(
                r#"<script type="application/ld+json">{"@type":"NewsArticle","headline":"Shepherds in the rain","datePublished":"0001-01-01T00:00:00Z"}</script>
                   <meta property="article:published_time" content="2019-11-19T21:14:00Z">"#
            ),
            d(2019, 11, 19)
        );
        assert_eq!(
            date(r#"<meta property="article:modified_time" content="1970-01-01T00:00:00Z">"#),
            None
        );
        assert_eq!(
            date(
                r#"<meta property="article:published" itemprop="datePublished dateCreated" content="2019-11-18T17:56:27.000Z">"#
            ),
            d(2019, 11, 18)
        );
        assert_eq!(
            date(r#"<meta itemprop="dateCreated datePublished" content="2019-11-17">"#),
            d(2019, 11, 17)
        );
        assert_eq!(
            date(
                r#"<script type="application/ld+json">{"@context":"https://schema.org","@graph":[
                   {"@type":"Organization","name":"Inexhibit"},
                   {"@type":"WebPage","name":"Shepherds in the rain","datePublished":"2018-04-18T14:39:09+02:00"}]}</script>"#
            ),
            d(2018, 4, 18)
        );
    }

    /// Regression: author objects named "By TOM KRISHER" or "by Bryan
    /// DeArdo" kept the "By", and the second came out twice (with and
    /// without it).
    #[test]
    fn bylines_lose_their_by_whatever_the_source() {
        let a = ok(&format!(
            "<html><head><title>Shepherds in the rain</title>\
             <script type=\"application/ld+json\">{{\"@type\":\"NewsArticle\",\"headline\":\"Shepherds in the rain\",\
             \"author\":[{{\"@type\":\"Person\",\"name\":\"by Bryan DeArdo\"}},{{\"name\":\"Bryan DeArdo\"}},{{\"name\":\"BY: Ann Lee\"}},{{\"name\":\"Byron Bay\"}}]}}</script>\
             </head><body><article><h1>Shepherds in the rain</h1>{BODY}</article></body></html>"
        ));
        assert_eq!(a.authors, ["Bryan DeArdo", "Ann Lee", "Byron Bay"]);
    }

    /// Regression: embedded tweets (`<blockquote class="twitter-tweet">`,
    /// bare or in a `social-media-embed` wrapper) are quotations in the
    /// article, but "tweet" and "social" mark share bars, so their text was
    /// dropped. Share buttons must still go.
    #[test]
    fn embedded_posts_are_kept_and_share_buttons_are_not() {
        let tweet = |text: &str| {
            format!(
                "<blockquote class=\"twitter-tweet\"><p lang=\"en\">{text} \
                 <a href=\"https://t.co/x\">https://t.co/x</a></p>&mdash; Festival (@festival) \
                 <a href=\"https://twitter.com/festival/status/1\">November 18, 2019</a></blockquote>"
            )
        };
        let a = ok(&format!(
            "<html><head><title>Shepherds in the rain</title></head><body><article>\
             <h1>Shepherds in the rain</h1>{BODY}{}\
             <div class=\"social-media-embed\">{}</div>\
             <div class=\"share-bar\"><a class=\"tweet-button\" href=\"https://twitter.com/intent\">Tweet this story</a> \
             <a href=\"https://facebook.com/share\">Share on Facebook</a></div>\
             <p>The last paragraph of the article, after the embedded posts, is here.</p>\
             </article></body></html>",
            tweet("The jury gives the prize to the shepherds film, unanimously."),
            tweet("Queues around the block for the second screening tonight.")
        ));
        body_has(
            &a,
            &[
                "The jury gives the prize to the shepherds film",
                "Queues around the block",
            ],
            &["Tweet this story", "Share on Facebook"],
        );
        assert!(a.body_html.contains("<blockquote>"), "{}", a.body_html);
    }

    /// Regression: a body named `entry-content entry-content-read-more`
    /// matched the "read-more" chrome rule and was dropped, leaving a teaser
    /// of another story as the article.
    #[test]
    fn a_body_class_with_read_more_in_it_is_still_the_body() {
        let a = ok(&blog_page("post", "entry-content entry-content-read-more"));
        assert!(
            a.body_text.starts_with("The festival opened"),
            "{}",
            a.body_text
        );
        body_has(&a, &["long discussion with the director"], &[]);
    }

    #[test]
    fn lower_is_to_lowercase() {
        for s in [
            "",
            "ASCII Only",
            "Кино ВО Владикавказе",
            "MIXED Ünïcödé and ASCII İstanbul",
            "ΟΔΟΣ ΣΑΣ Σ",
            "ǅ ß ẞ Ⅻ 🄰",
        ] {
            assert_eq!(lower(s), s.to_lowercase(), "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn lower_matches_to_lowercase(s in "\\PC{0,40}|[A-Za-zΣσςΑİЖж \u{301}]{0,20}|.{0,40}") {
            proptest::prop_assert_eq!(lower(&s), s.to_lowercase());
        }
    }

    #[test]
    fn json_ld_beats_opengraph_which_beats_meta_and_markup() {
        let page = format!(
            r#"<html><head><title>Title tag | Site</title>
            <meta property="og:title" content="OG title">
            <meta property="og:description" content="OG description">
            <meta property="og:image" content="/og.jpg">
            <meta property="article:published_time" content="2020-01-02T10:00:00Z">
            <meta name="author" content="Meta Author">
            <script type="application/ld+json">{{"@context":"https://schema.org","@graph":[
              {{"@type":"WebSite","name":"Site"}},
              {{"@type":["NewsArticle"],"headline":"LD headline","datePublished":"2019-05-06T23:30:00-05:00",
                "author":[{{"@type":"Person","name":"Ana One"}},{{"@type":"Person","name":"Bo Two"}}],
                "description":"LD description","image":{{"@type":"ImageObject","url":"https://cdn.example.net/ld.jpg","caption":"LD caption"}},
                "keywords":["cinema","festivals"],"@id":"https://site.example.com/a#article"}}]}}</script>
            </head><body><h1>H1 title</h1><time datetime="2018-01-01">then</time>{BODY}</body></html>"#
        );
        let a = ok(&page);
        assert_eq!(a.title, "LD headline");
        // The article's own calendar date, in its own timezone.
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2019, 5, 6));
        assert_eq!(a.authors, ["Ana One", "Bo Two"]);
        assert_eq!(a.standfirst.as_deref(), Some("LD description"));
        assert_eq!(
            a.image_url.as_deref(),
            Some("https://cdn.example.net/ld.jpg")
        );
        assert_eq!(a.caption.as_deref(), Some("LD caption"));
        assert_eq!(a.tags, ["cinema", "festivals"]);
        assert_eq!(
            a.explicit_id.as_deref(),
            Some("https://site.example.com/a#article")
        );

        // Without JSON-LD: OpenGraph and article:* metas.
        let no_ld = page.split("<script").next().unwrap().to_string()
            + &format!("</head><body><h1>H1 title</h1>{BODY}</body></html>");
        let a = ok(&no_ld);
        assert_eq!(a.title, "OG title");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2020, 1, 2));
        assert_eq!(a.authors, ["Meta Author"]);
        assert_eq!(a.standfirst.as_deref(), Some("OG description"));
        assert_eq!(
            a.image_url.as_deref(),
            Some("https://desk.example.org/og.jpg")
        );

        // Nothing but markup: <h1> and <time>.
        let bare = format!(
            "<html><head><title>Bare | Site</title></head><body><h1>H1 title</h1><time datetime=\"2018-03-04T05:06:07+09:00\">x</time>{BODY}</body></html>"
        );
        let a = ok(&bare);
        assert_eq!(a.title, "H1 title");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2018, 3, 4));
        assert_eq!(a.explicit_id, None);
    }

    #[test]
    fn title_tag_loses_its_site_name() {
        let a = ok(&format!(
            "<html><head><title>Night trains to Almaty | The Steppe Review</title></head><body>{BODY}</body></html>"
        ));
        assert_eq!(a.title, "Night trains to Almaty");
        let a = ok(&format!(
            "<html><head><title>Steppe Review :: Night trains to the mountains of Almaty</title></head><body>{BODY}</body></html>"
        ));
        assert_eq!(a.title, "Night trains to the mountains of Almaty");
        assert_eq!(
            metadata::strip_site_suffix("A – B: a story | Site", Some("Site"), None),
            "A – B: a story"
        );
    }

    #[test]
    fn dates_in_common_forms_and_timezones() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        for (raw, want) in [
            ("2023-04-15T07:12:45.221Z", d(2023, 4, 15)),
            ("2018-07-02T10:00:00+0200", d(2018, 7, 2)),
            ("2019-05-06T23:30:00-05:00", d(2019, 5, 6)),
            ("Tue, 02 Mar 2021 11:45:00 GMT", d(2021, 3, 2)),
            ("20210302", d(2021, 3, 2)),
            ("30/09/2022 - 14:12", d(2022, 9, 30)),
            ("12.03.2019 15:20", d(2019, 3, 12)),
            ("Posted on July 14, 2023", d(2023, 7, 14)),
            ("Published: 9 August 2017, 10:00", d(2017, 8, 9)),
            ("Tuesday, April 12, 2016", d(2016, 4, 12)),
        ] {
            assert_eq!(metadata::parse_any_date(raw), want, "{raw}");
        }
        assert_eq!(metadata::parse_any_date("3 days ago"), None);
        assert_eq!(metadata::parse_any_date("31/02/2022"), None);
    }

    #[test]
    fn hostile_markup_is_sanitized() {
        let page = format!(
            r#"<html><head><title>Hostile</title></head><body><article><h1>Hostile</h1>{BODY}
            <p onclick="steal()">Click <a href="javascript:alert(1)">here</a> <a href=" JaVaScRiPt:alert(2)">too</a>
            <img src="x.jpg" onerror="alert(3)"> ]]&gt; and ]]> end<script>alert(4)</script> bell\u{{7}}char
            <iframe src="https://evil.example/"></iframe><a href="data:text/html,hi">data</a></p></article></body></html>"#
        );
        let a = ok(&page);
        for bad in [
            "script",
            "onclick",
            "onerror",
            "javascript",
            "iframe",
            "data:",
            "alert",
            "\u{7}",
        ] {
            assert!(
                !a.body_html.to_lowercase().contains(bad),
                "{bad} in {}",
                a.body_html
            );
        }
        assert!(!a.body_text.contains('\u{7}'));
        assert!(a.body_text.contains("]]> and ]]> end"), "{}", a.body_text);
        assert!(a.body_html.contains("]]&gt;"), "{}", a.body_html);
    }

    #[test]
    fn relative_urls_resolve_against_canonical_then_base() {
        let body = format!(
            "{BODY}<p>See <a href=\"../other/\">the other story</a> and <img src=\"/img/a.jpg\" alt=\"a\"> more text here.</p>"
        );
        let with_canonical = format!(
            "<html><head><title>T one</title><link rel=\"canonical\" href=\"https://mag.example.net/2020/05/story/\"></head><body><article>{body}</article></body></html>"
        );
        let a = ok(&with_canonical);
        assert_eq!(
            a.url.as_deref(),
            Some("https://mag.example.net/2020/05/story/")
        );
        assert_eq!(
            a.explicit_id.as_deref(),
            Some("https://mag.example.net/2020/05/story/")
        );
        assert!(
            a.body_html
                .contains("href=\"https://mag.example.net/2020/05/other/\""),
            "{}",
            a.body_html
        );
        assert!(
            a.body_html
                .contains("src=\"https://mag.example.net/img/a.jpg\""),
            "{}",
            a.body_html
        );

        let without = format!(
            "<html><head><title>T two</title></head><body><article>{body}</article></body></html>"
        );
        let a = ok(&without);
        assert_eq!(a.url, None);
        assert!(
            a.body_html
                .contains("src=\"https://desk.example.org/img/a.jpg\""),
            "{}",
            a.body_html
        );
    }

    #[test]
    fn wayback_captures_keep_the_original_url_as_id() {
        let page = format!(
            "<html><head><title>Captured</title><link rel=\"canonical\" href=\"https://web.archive.org/web/20221011093412/https://lt.example.lt/2022/10/story/\"></head><body><article>{BODY}</article></body></html>"
        );
        let a = ok(&page);
        assert_eq!(
            a.explicit_id.as_deref(),
            Some("https://lt.example.lt/2022/10/story/")
        );
        assert_eq!(
            a.url.as_deref(),
            Some("https://lt.example.lt/2022/10/story/")
        );
        let linked = page.replace(
            "</article>",
            "<p>As we reported last year, see <a href=\"/web/20221011093412/https://lt.example.lt/other/\">the other story</a> for the background.</p></article>",
        );
        assert!(
            ok(&linked)
                .body_html
                .contains("href=\"https://lt.example.lt/other/\"")
        );
    }

    #[test]
    fn pages_without_title_or_body_are_rejected() {
        let e = parse_with(&format!("<html><body>{BODY}</body></html>"), None).unwrap_err();
        assert!(e.message.contains("title"), "{e}");
        let e = parse_with(
            "<html><head><title>Only chrome</title></head><body><nav><a href=/>Home</a></nav><script>x()</script></body></html>",
            None,
        )
        .unwrap_err();
        assert!(e.message.contains("body"), "{e}");
    }

    #[test]
    fn pull_quotes_and_related_lists_leave_the_body() {
        let page = r#"<html><head><title>Quotes</title></head><body><article><h1>Quotes</h1>
            <p>The rooftop screenings began with a borrowed laptop and a list of forgotten classics.</p>
            <aside class="pullquote"><p>a borrowed laptop and a list of forgotten classics</p></aside>
            <p>Tickets cost ten lari and sell out within an hour, the organisers say, every single week.</p>
            <blockquote><p>Tickets cost ten lari and sell out within an hour</p></blockquote>
            <p>Read more: <a href="/a">Jazz in the kitchens of Minsk tonight</a></p>
            <div class="related-posts"><h3>Related</h3><ul><li><a href="/b">The coffee houses of Lviv</a></li><li><a href="/c">A morning at Osh Bazaar</a></li></ul></div>
            </article></body></html>"#;
        let a = ok(page);
        assert_eq!(
            a.pull_quotes,
            [
                "a borrowed laptop and a list of forgotten classics",
                "Tickets cost ten lari and sell out within an hour"
            ]
        );
        assert_eq!(
            a.related,
            [
                "The coffee houses of Lviv",
                "A morning at Osh Bazaar",
                "Jazz in the kitchens of Minsk tonight"
            ]
        );
        assert_eq!(
            a.body_text.matches("borrowed laptop").count(),
            1,
            "{}",
            a.body_text
        );
        assert!(
            !a.body_text.contains("Read more") && !a.body_text.contains("Lviv"),
            "{}",
            a.body_text
        );
    }

    #[test]
    fn body_text_separates_blocks_with_one_blank_line() {
        let a = ok(
            "<html><head><title>Blocks</title></head><body><article><h2>Head</h2><p>One  two\n three.</p><ul><li>Item a</li><li>Item b</li></ul><table><tr><td>x</td><td>y</td></tr></table></article></body></html>",
        );
        assert_eq!(
            a.body_text,
            "Head\n\nOne two three.\n\nItem a\n\nItem b\n\nx y"
        );
        assert!(
            a.body_html.contains("<table>") && a.body_html.contains("<li>"),
            "{}",
            a.body_html
        );
    }

    #[test]
    fn hostile_sizes_and_nesting_neither_panic_nor_hang() {
        let deep = format!(
            "<html><head><title>Deep</title></head><body>{}<p>Deep text survives the nesting limit.</p>{}</body></html>",
            "<div><span><b>".repeat(40_000),
            "</b></span></div>".repeat(40_000)
        );
        let a = parse_with(&deep, None);
        assert!(a.unwrap().body_text.contains("Deep text survives"));

        let unclosed = format!(
            "<title>Unclosed</title>{}<p>Still here after it all.",
            "<table><tr><td><ul><li><blockquote>".repeat(20_000)
        );
        assert!(
            parse_with(&unclosed, None)
                .unwrap()
                .body_text
                .contains("Still here")
        );

        let huge_attr = format!(
            "<title>Attr</title><p data-x=\"{}\">Text after a huge attribute value.</p>",
            "x".repeat(5_000_000)
        );
        assert!(ok(&huge_attr).body_text.contains("huge attribute"));

        let broken = "<title>Broken</title><p>One <b><i>two</b> three</i><div><p>four</span></td></tr> five <<<>>> &bogus; &#xD800; &#0;";
        assert!(ok(broken).body_text.contains("four"));

        let too_big = vec![b'a'; limits::MAX_BYTES + 1];
        let e = parse(&too_big, &Context { base_url: None }).unwrap_err();
        assert!(e.message.contains("MB"), "{e}");
    }

    #[test]
    fn non_utf8_pages_decode_without_mojibake() {
        let page = "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=windows-1251\"><title>Кино во Владикавказе</title></head><body><p>Зрители спорят о фильмах до полуночи, а потом расходятся по домам.</p></body></html>";
        let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(page);
        let a = parse(&bytes, &Context { base_url: None }).unwrap();
        assert_eq!(a.title, "Кино во Владикавказе");
        assert!(a.body_text.contains("Зрители спорят"));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..2000)) {
            let _ = parse(&bytes, &Context { base_url: None });
        }

        #[test]
        fn tag_soup_never_panics(soup in "(<(/?)(div|p|article|b|table|td|script|title|meta charset=x|a href=\"j:x\")>|[a-z ]{1,8}|&[a-z#0-9]{1,5};?|<!--|-->){0,80}") {
            let page = format!("<title>t</title>{soup}");
            let _ = parse(page.as_bytes(), &Context { base_url: None });
        }
    }
}
