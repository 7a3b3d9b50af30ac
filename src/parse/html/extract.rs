//! Finding the article body in a cleaned page.
//!
//! Order: JSON-LD `articleBody` when it is complete and the markup disagrees
//! with it; else one `[itemprop=articleBody]` / `<article>` / `<main>`
//! container holding most of the text; else the content scorer
//! (`score_body`, wrapping the `dom_smoothie` readability port, so it can be
//! swapped for another crate or our own without touching the rest).

use scraper::{ElementRef, Html};

use super::clean::{self, Chrome};
use super::metadata::Meta;
use super::{lower, text};
use crate::util::words::{collapse_ws, collapse_ws_append};

/// The body as found, before sanitizing.
#[derive(Debug, Default)]
pub struct Body {
    pub html: String,
    pub pull_quotes: Vec<String>,
    pub related: Vec<String>,
    /// Body came from JSON-LD `articleBody`.
    pub from_json_ld: bool,
}

/// Runs the whole extraction on a parsed page (which it cleans in place).
pub fn extract(doc: &mut Html, meta: &Meta) -> Body {
    clean::drop_tags(doc);
    let mut body = Body {
        pull_quotes: take_pull_quotes(doc),
        related: related_titles(doc, meta.title.as_deref()),
        ..Body::default()
    };
    let lens = clean::drop_chrome(doc);

    let mut html = container(doc, &lens).unwrap_or_else(|| score_body(doc));
    let mut blocks;
    (html, blocks) = post_clean(&html, meta, &mut body.related);
    if blocks.is_empty() {
        // The scorer or the post-cleaning found nothing: keep whatever text
        // survived chrome removal rather than reject a page that has some.
        html = doc
            .select(sel!("body"))
            .next()
            .map(|b| b.inner_html())
            .unwrap_or_default();
        blocks = text::blocks(&html);
    }

    if let Some(ld) = &meta.ld_body
        && json_ld_is_better(ld, &blocks)
    {
        html = paragraphs_html(ld);
        blocks = text::blocks(&html);
        body.from_json_ld = true;
    }
    // Pull quotes found in the page only count if they repeat the body.
    if !body.pull_quotes.is_empty() {
        // The blocks are whitespace-normalised already, so their join is too.
        let hay = lower(&blocks.join(" "));
        body.pull_quotes.retain(|q| {
            let q =
                lower(&collapse_ws(q.trim_matches(|c: char| {
                    c.is_whitespace() || "\"“”«»'‘’".contains(c)
                })));
            q.chars().count() >= 12 && hay.contains(&q)
        });
    }
    let (html, quotes) = repeated_blockquotes(&html);
    body.pull_quotes.extend(quotes);
    body.pull_quotes = dedupe(std::mem::take(&mut body.pull_quotes));
    body.html = html;
    body
}

/// Pull quotes marked as such, removed from the page. Asides with short text
/// are kept as candidates (they become pull quotes only if they repeat the body).
fn take_pull_quotes(doc: &mut Html) -> Vec<String> {
    let mut quotes = Vec::new();
    let mut ids = Vec::new();
    for el in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        if el.value().name() != "aside" && el.value().attr("class").is_none() {
            continue;
        }
        let ci = clean::class_id(el.value());
        let marked =
            ci.contains("pullquote") || ci.contains("pull-quote") || ci.contains("pull_quote");
        let aside = el.value().name() == "aside";
        if marked || aside {
            let t = collapse_ws(&el.text().collect::<String>());
            if !t.is_empty() && t.chars().count() <= 400 {
                quotes.push(t);
                if marked {
                    ids.push(el.id());
                }
            }
        }
    }
    clean::detach_all(doc, &ids);
    quotes
}

/// Titles in the article's own "related"/"read more" list: links inside a
/// container named like one, that sits in the article, `<main>`, or right
/// after the article (not site-wide "most read"/"latest" lists).
fn related_titles(doc: &Html, title: Option<&str>) -> Vec<String> {
    let mut out = Vec::new();
    let anchors = sel!("a[href]");
    let heading = sel!("h2, h3, h4, h5");
    for el in doc
        .root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
    {
        if el.value().attr("class").is_none() && el.value().attr("id").is_none() {
            continue;
        }
        let ci = clean::class_id(el.value());
        let related = [
            "related",
            "read-more",
            "readmore",
            "see-also",
            "also-read",
            "read-also",
            "yarpp",
            "you-may",
        ]
        .iter()
        .any(|k| ci.contains(k));
        if !related || ci.contains("popular") || ci.contains("most") {
            continue;
        }
        // Not nested in an already-seen related box.
        if el.ancestors().filter_map(ElementRef::wrap).any(|a| {
            let c = clean::class_id(a.value());
            ["related", "read-more", "readmore", "yarpp"]
                .iter()
                .any(|k| c.contains(k))
        }) {
            continue;
        }
        for a in el.select(anchors) {
            let t = a
                .select(heading)
                .next()
                .map(|h| h.text().collect::<String>())
                .unwrap_or_else(|| a.text().collect());
            let t = collapse_ws(&t);
            if t.split_whitespace().count() >= 3
                && t.chars().count() <= 200
                && Some(t.as_str()) != title
            {
                out.push(t);
            }
        }
    }
    let mut out = dedupe(out);
    out.truncate(12);
    out
}

/// A single container that holds most of the page's text.
fn container(doc: &Html, lens: &clean::TextLens) -> Option<String> {
    let root = doc.root_element();
    let total = lens.plain(root).max(1);
    let big = |e: &ElementRef<'_>, pct: usize| lens.plain(*e) * 100 >= total * pct;

    // Some sites split the body over several `articleBody` elements. Hidden
    // ones are search-engine copies of the text (often several, in a
    // `display: none` microdata block beside the visible article), not it.
    let bodies: Vec<ElementRef<'_>> = doc
        .select(sel!("[itemprop=articleBody], [itemprop=articlebody]"))
        .filter(|b| {
            !clean::is_hidden(b.value())
                && !b.ancestors().filter_map(ElementRef::wrap).any(|a| {
                    clean::is_hidden(a.value())
                        || a.value()
                            .attr("itemprop")
                            .is_some_and(|p| p.eq_ignore_ascii_case("articlebody"))
                })
        })
        .collect();
    let bodies_len: usize = bodies.iter().map(|b| lens.plain(*b)).sum();
    if !bodies.is_empty() && bodies_len * 100 >= total * 30 {
        return Some(
            bodies
                .iter()
                .map(|b| b.inner_html())
                .collect::<Vec<_>>()
                .join("\n"),
        );
    }
    // Outermost <article>s only (comments are often <article>s inside it).
    let articles: Vec<ElementRef<'_>> = doc
        .select(sel!("article"))
        .filter(|a| {
            !a.ancestors()
                .filter_map(ElementRef::wrap)
                .any(|p| p.value().name() == "article")
        })
        .collect();
    let big_articles: Vec<_> = articles.iter().filter(|a| big(a, 50)).collect();
    if big_articles.len() == 1 && articles.iter().filter(|a| big(a, 10)).count() == 1 {
        return Some(big_articles[0].inner_html());
    }
    None
}

/// The content scorer: readability-style candidate scoring (text density,
/// link density, paragraph scores, class weights) from `dom_smoothie`, run on
/// the already-cleaned page.
fn score_body(doc: &Html) -> String {
    let html = doc.html();
    let cfg = dom_smoothie::Config {
        max_elements_to_parse: 50_000,
        disable_json_ld: true,
        ..Default::default()
    };
    let content = dom_smoothie::Readability::new(html.as_str(), None, Some(cfg))
        .and_then(|mut r| r.parse())
        .map(|a| a.content.to_string())
        .ok();
    match content {
        Some(c) if !text::blocks(&c).is_empty() => c,
        // Too little text for the scorer: whatever survived cleaning.
        _ => doc
            .select(sel!("body"))
            .next()
            .map(|b| b.inner_html())
            .unwrap_or_default(),
    }
}

/// Removes what sits inside a body container but is not body: the headline,
/// standfirst, byline and date lines repeated as chrome, "Read more:" lines
/// (their titles go to `related`), and link lists.
fn post_clean(html: &str, meta: &Meta, related: &mut Vec<String>) -> (String, Vec<String>) {
    let mut frag = Html::parse_fragment(html);
    let root = frag.root_element();
    let lens = clean::TextLens::of(root);
    let body_len = lens.text(root).max(1);
    let title = meta.title.as_deref().map(|t| collapse_ws(t).to_lowercase());
    let standfirst = meta
        .description
        .as_deref()
        .map(|t| collapse_ws(t).to_lowercase());
    let authors: Vec<String> = meta.authors.iter().map(|a| a.to_lowercase()).collect();
    let anchors = sel!("a");
    let mut ids = Vec::new();
    let mut stack: Vec<ElementRef<'_>> = root.child_elements().collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        let name = el.value().name();
        let len = lens.text(el);
        // Every check on the text itself is about short blocks.
        let t = if len < 400 {
            let mut t = String::new();
            let mut gap = false;
            for piece in el.text() {
                collapse_ws_append(piece, &mut t, &mut gap);
            }
            t
        } else {
            String::from("…")
        };
        let has_block_child = el.child_elements().any(|c| {
            matches!(
                c.value().name(),
                "p" | "div" | "ul" | "ol" | "table" | "section" | "blockquote" | "figure"
            )
        });
        let links = lens.links(el);
        // The lowercased text, only where a check below reads it.
        let lt = if len > 0 && !has_block_child && (len < 120 || (links > 0 && len < 300)) {
            lower(&t)
        } else {
            String::new()
        };
        let mut remove = false;
        if t.is_empty() {
            remove = !matches!(
                name,
                "img" | "figure" | "picture" | "br" | "hr" | "table" | "tr" | "td"
            ) && el.select(sel!("img")).next().is_none();
        } else if lower_is(&t, title.as_deref()) || lower_is(&t, standfirst.as_deref()) {
            remove = true;
        } else if !has_block_child && len < 120 {
            let byline = authors.iter().any(|a| lt.contains(a.as_str()))
                && (lt.starts_with("by ") || lt.split_whitespace().count() <= 10);
            let dateline = t.chars().count() < 60
                && meta.date.is_some()
                && super::metadata::parse_any_date(&t) == meta.date;
            remove = byline || dateline;
        }
        if !remove && len > 0 && !has_block_child {
            let prefixes = [
                "read more",
                "read also",
                "also read",
                "see also",
                "read next",
                "related:",
                "читайте также",
                "читайте также:",
                "more:",
                "watch:",
            ];
            if links > 0 && len < 300 && prefixes.iter().any(|p| lt.starts_with(p)) {
                for a in el.select(anchors) {
                    let at = collapse_ws(&a.text().collect::<String>());
                    if at.split_whitespace().count() >= 3 {
                        related.push(at);
                    }
                }
                remove = true;
            }
        }
        // Link lists and link-only blocks (tag clouds, "more from" lists).
        if !remove
            && matches!(
                name,
                "ul" | "ol" | "div" | "section" | "p" | "nav" | "table" | "dl"
            )
            && len > 0
            && links * 10 >= len * 6
            && len * 100 < body_len * 40
        {
            remove = true;
        }
        if !remove
            && clean::classify(el.value()) == Chrome::Strong
            && len * 10 < body_len * 7
            && !clean::holds_embedded_post(el)
        {
            remove = true;
        }
        if remove {
            ids.push(el.id());
        } else {
            let mut kids: Vec<_> = el.child_elements().collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    *related = dedupe(std::mem::take(related));
    clean::detach_all(&mut frag, &ids);
    // The text blocks come from the cleaned tree itself: serializing it and
    // parsing the result again gives the same blocks at twice the cost.
    let root = frag.root_element();
    (root.inner_html(), text::blocks_of(root))
}

/// Whether `lower(t) == want`, without building the lowercase string: it
/// runs for every short element of the body and nearly always differs at
/// the first characters.
fn lower_is(t: &str, want: Option<&str>) -> bool {
    let Some(want) = want else {
        return false;
    };
    let mut want_chars = want.chars();
    for c in t.chars() {
        // Σ is the one character `str::to_lowercase` maps by its
        // neighbours; the characters before it map on their own, so a
        // difference found before it is a difference.
        if c == 'Σ' {
            return lower(t) == want;
        }
        for l in c.to_lowercase() {
            if want_chars.next() != Some(l) {
                return false;
            }
        }
    }
    want_chars.next().is_none()
}

/// JSON-LD `articleBody` wins when it is complete (not cut off with an
/// ellipsis, at least as long as most of the markup's body) and the markup's
/// body does not agree with it (the markup is a teaser, or has chrome in it).
fn json_ld_is_better(ld: &str, html_blocks: &[String]) -> bool {
    let ld = ld.trim();
    if ld.ends_with('…') || ld.ends_with("...") || ld.ends_with("[…]") {
        return false;
    }
    let ld_tokens = tokens(&text::blocks(&paragraphs_html(ld)).join(" "));
    let html_tokens = tokens(&html_blocks.join(" "));
    if ld_tokens.len() < 20 || ld_tokens.len() * 10 < html_tokens.len() * 8 {
        return false;
    }
    token_f1(&html_tokens, &ld_tokens) < 0.9
}

fn paragraphs_html(text: &str) -> String {
    // Some sites put markup in articleBody (its character references are
    // decoded by now, so escaped markup is markup too).
    if text.contains("</p>") || text.contains("<br") {
        return text::blocks(text)
            .iter()
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect::<Vec<_>>()
            .join("\n");
    }
    let text = text.replace("\r\n", "\n");
    let splitter = if text.contains("\n\n") { "\n\n" } else { "\n" };
    // Markup without paragraphs of its own (`<h2>`, `<div><img></div>`
    // between plain paragraphs): each paragraph read as HTML.
    if text.contains("</") || text.contains("/>") {
        return text
            .split(splitter)
            .flat_map(text::blocks)
            .map(|p| format!("<p>{}</p>", escape(&p)))
            .collect::<Vec<_>>()
            .join("\n");
    }
    text.split(splitter)
        .map(collapse_ws)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape(&p)))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Block quotes that repeat, word for word, text of another body paragraph
/// are pull quotes: removed from the body and returned.
fn repeated_blockquotes(html: &str) -> (String, Vec<String>) {
    if !html.contains("<blockquote") {
        return (html.to_string(), Vec::new());
    }
    let mut frag = Html::parse_fragment(html);
    let root = frag.root_element();
    let bq = sel!("blockquote");
    let paras = sel!("p, li");
    let mut quotes = Vec::new();
    let mut ids = Vec::new();
    // Each paragraph's text, normalised once (not once per quote).
    let para_texts: Vec<(ElementRef<'_>, String)> = root
        .select(paras)
        .map(|p| (p, collapse_ws(&p.text().collect::<String>()).to_lowercase()))
        .collect();
    for q in root.select(bq) {
        let qt = collapse_ws(&q.text().collect::<String>());
        let key = qt
            .trim_matches(|c: char| c.is_whitespace() || "\"“”«»'‘’".contains(c))
            .trim_end_matches('.')
            .to_lowercase();
        if key.chars().count() < 20 {
            continue;
        }
        let repeated = para_texts
            .iter()
            // Paragraphs inside the quote, or wrapping it, do not count.
            .filter(|(p, _)| {
                !p.ancestors().any(|a| a.id() == q.id()) && !q.ancestors().any(|a| a.id() == p.id())
            })
            .any(|(_, text)| text.contains(&key));
        if repeated {
            quotes.push(qt);
            ids.push(q.id());
        }
    }
    if ids.is_empty() {
        return (html.to_string(), quotes);
    }
    clean::detach_all(&mut frag, &ids);
    (frag.root_element().inner_html(), quotes)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn dedupe(v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter()
        .filter(|s| seen.insert(s.to_lowercase()))
        .collect()
}

/// Lowercased word tokens (letters and digits), for comparing texts.
pub fn tokens(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Token-level F1 of two multisets of words.
pub fn token_f1(got: &[String], want: &[String]) -> f64 {
    use std::collections::HashMap;
    if got.is_empty() || want.is_empty() {
        return if got.is_empty() && want.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for w in want {
        *counts.entry(w).or_default() += 1;
    }
    let mut hit = 0usize;
    for g in got {
        if let Some(c) = counts.get_mut(g.as_str())
            && *c > 0
        {
            *c -= 1;
            hit += 1;
        }
    }
    if hit == 0 {
        return 0.0;
    }
    let p = hit as f64 / got.len() as f64;
    let r = hit as f64 / want.len() as f64;
    2.0 * p * r / (p + r)
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #[test]
        fn lower_is_compares_with_the_lowercased_text(
            t in "[A-Za-zΣσςΑİІЖж \u{301}]{0,12}|\\PC{0,20}",
            other in "[a-zσςαi̇іж \u{301}]{0,12}"
        ) {
            let lt = lower(&t);
            proptest::prop_assert!(lower_is(&t, Some(&lt)));
            proptest::prop_assert_eq!(lower_is(&t, Some(&other)), lt == other);
            proptest::prop_assert!(!lower_is(&t, None));
        }
    }

    #[test]
    fn lower_is_handles_final_sigma_and_dotted_i() {
        assert!(lower_is("ΟΔΟΣ", Some("οδος")));
        assert!(!lower_is("ΟΔΟΣ", Some("οδοσ")));
        assert!(lower_is("İstanbul", Some("i\u{307}stanbul")));
        assert!(!lower_is("Title", Some("title ")));
    }
}
