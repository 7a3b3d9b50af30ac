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
    /// The text blocks of `html`, when they are known to be those of its
    /// sanitized form too (see [`Body::sanitized_blocks`]).
    blocks: Option<Vec<String>>,
}

impl Body {
    /// The text blocks of `sanitized`, the sanitizer's output for
    /// [`Body::html`], without parsing it, when that is sure to give the
    /// same: the body was cleaned in place, the sanitizer keeps each of its
    /// elements (so it only drops attributes and comments, and the tree it
    /// writes parses back to the same elements and text), and the text
    /// reaches `sanitized` unchanged (no byte order mark first, which a
    /// parse drops; `unchanged` says nothing was rewritten in the markup
    /// before the sanitizer, or stripped or normalised in its output).
    pub fn sanitized_blocks(&mut self, unchanged: bool) -> Option<Vec<String>> {
        let blocks = self.blocks.take()?;
        (unchanged && !self.html.starts_with('\u{feff}')).then_some(blocks)
    }
}

/// Runs the whole extraction on a parsed page (which it cleans in place).
pub fn extract(doc: &mut Html, meta: &Meta) -> Body {
    let above_tables = above_tables(doc);
    clean::drop_tags(doc);
    let mut body = Body {
        pull_quotes: take_pull_quotes(doc),
        related: related_titles(doc, meta.title.as_deref()),
        ..Body::default()
    };
    let lens = clean::drop_chrome(doc);
    let doc: &Html = doc;

    // Whether the sanitizer keeps every element of the body cleaned in place.
    let mut all_kept = false;
    // The container is cleaned where it stands in the page when its markup,
    // parsed again, would give the same tree (nearly always); else as that
    // markup parsed again, as it always was before.
    let (mut html, mut blocks) = match container(doc, &lens) {
        Some(roots) if reparses_same(&roots, &above_tables) => {
            let (html, blocks, kept) = post_clean(&roots, &lens, meta, &mut body.related);
            all_kept = kept;
            (html, blocks)
        }
        Some(roots) => {
            let html = roots
                .iter()
                .map(|b| b.inner_html())
                .collect::<Vec<_>>()
                .join("\n");
            post_clean_fragment(&Html::parse_fragment(&html), meta, &mut body.related)
        }
        None => post_clean_fragment(&score_body(doc), meta, &mut body.related),
    };
    if blocks.is_empty() {
        all_kept = false;
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
        all_kept = false;
    }
    // Pull quotes found in the page only count if they repeat the body.
    if !body.pull_quotes.is_empty() {
        // The blocks are whitespace-normalised already, so their join is too.
        // Lowered only once a quote is long enough to look for.
        let mut hay = None;
        body.pull_quotes.retain(|q| {
            let q =
                lower(&collapse_ws(q.trim_matches(|c: char| {
                    c.is_whitespace() || "\"“”«»'‘’".contains(c)
                })));
            if q.chars().count() < 12 {
                return false;
            }
            let hay: &String = hay.get_or_insert_with(|| lower(&blocks.join(" ")));
            // `str::contains`, in a third of the time on whole bodies.
            memchr::memmem::find(hay.as_bytes(), q.as_bytes()).is_some()
        });
    }
    let (html, quotes) = repeated_blockquotes(&html);
    // No quote taken out: the markup is as post_clean wrote it.
    if all_kept && quotes.is_empty() {
        body.blocks = Some(blocks);
    }
    body.pull_quotes.extend(quotes);
    body.pull_quotes = dedupe(std::mem::take(&mut body.pull_quotes));
    body.html = html;
    body
}

/// Every element with a `<table>` below it, in the page as parsed. Content
/// that the parser moved out of a table stays where it was put when the
/// table itself is later removed as chrome.
fn above_tables(doc: &Html) -> clean::IdSet {
    let mut above = clean::IdSet::default();
    for n in doc.tree.nodes() {
        if matches!(n.value(), scraper::Node::Element(e) if e.name() == "table") {
            for a in n.ancestors() {
                if !above.insert(a.id()) {
                    break;
                }
            }
        }
    }
    above
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

/// A single container that holds most of the page's text: the elements
/// whose children are the body (several when a site splits it over
/// `articleBody` elements; their markup is joined with a line break).
fn container<'a>(doc: &'a Html, lens: &clean::TextLens) -> Option<Vec<ElementRef<'a>>> {
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
        return Some(bodies);
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
        return Some(vec![*big_articles[0]]);
    }
    None
}

/// Whether the children of `roots`, serialized (joined by a line break) and
/// parsed again as a `<body>` fragment, give back the same tree: same
/// elements, attributes and text, up to whitespace that no check of the
/// cleaning and no text block sees. Serializing the body and parsing it
/// again was a tenth of the HTML parser's time; this walk costs little.
///
/// The HTML parser builds trees its own serialization does not give back in
/// a few places, all refused here:
/// - content moved out of a table (foster parenting) and a `<table>` inside
///   a `<p>` in quirks mode: no table parts at all, and no root in
///   `above_tables` (a table below it before the cleaning removed any);
/// - a `<pre>`/`<listing>`/`<textarea>` starting with a line break (each
///   parse drops one) and `<plaintext>` (whose end tag reads as text);
/// - foreign (SVG/MathML) content;
/// - a root whose content the `<body>` rules would parse otherwise (table
///   parts, `<select>`, `<template>`, raw text elements…);
/// - a byte order mark first (a parse drops it);
/// - a carriage return: a parse makes it a line feed, or drops it before
///   one, so a CR and an LF that only meet once an element between them is
///   removed would come out as one line break instead of two.
fn reparses_same(roots: &[ElementRef<'_>], above_tables: &clean::IdSet) -> bool {
    use html5ever::ns;
    use scraper::Node;
    let starts_with_line_break = |el: ElementRef<'_>| {
        el.first_child()
            .and_then(|c| c.value().as_text().map(|t| t.starts_with(['\n', '\r'])))
            .unwrap_or(false)
    };
    if let Some(first) = roots.first()
        && let Some(t) = first.first_child().and_then(|c| c.value().as_text())
        && t.starts_with('\u{feff}')
    {
        return false;
    }
    for root in roots {
        let e = root.value();
        if above_tables.contains(&root.id())
            || e.name.ns != ns!(html)
            || matches!(
                e.name(),
                "table"
                    | "tbody"
                    | "thead"
                    | "tfoot"
                    | "tr"
                    | "td"
                    | "th"
                    | "caption"
                    | "colgroup"
                    | "col"
                    | "select"
                    | "template"
                    | "plaintext"
                    | "xmp"
                    | "noembed"
                    | "noframes"
                    | "noscript"
                    | "iframe"
                    | "script"
                    | "style"
                    | "title"
                    | "textarea"
                    | "pre"
                    | "listing"
                    | "html"
                    | "head"
                    | "body"
                    | "frameset"
            )
        {
            return false;
        }
        for n in root.descendants().skip(1) {
            let e = match n.value() {
                Node::Element(e) => e,
                Node::Text(t) if memchr::memchr(b'\r', t.as_bytes()).is_some() => return false,
                _ => continue,
            };
            if e.name.ns != ns!(html) {
                return false;
            }
            match e.name() {
                "table" | "tbody" | "thead" | "tfoot" | "tr" | "td" | "th" | "caption"
                | "colgroup" | "col" | "plaintext" => return false,
                "pre" | "listing" | "textarea"
                    if ElementRef::wrap(n).is_some_and(starts_with_line_break) =>
                {
                    return false;
                }
                _ => {}
            }
        }
    }
    true
}

/// The content scorer: readability-style candidate scoring (text density,
/// link density, paragraph scores, class weights) from `dom_smoothie`, run on
/// the already-cleaned page.
fn score_body(doc: &Html) -> Html {
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
    if let Some(c) = content {
        let frag = Html::parse_fragment(&c);
        if !text::blocks_of(frag.root_element()).is_empty() {
            return frag;
        }
    }
    // Too little text for the scorer: whatever survived cleaning.
    Html::parse_fragment(
        &doc.select(sel!("body"))
            .next()
            .map(|b| b.inner_html())
            .unwrap_or_default(),
    )
}

/// Removes what sits inside a body container but is not body: the headline,
/// standfirst, byline and date lines repeated as chrome, "Read more:" lines
/// (their titles go to `related`), and link lists.
///
/// The body is the children of `roots` (their markup joined by a line
/// break); `lens` has the text lengths of every element under them. Returns
/// the cleaned body's markup and text blocks, and whether the sanitizer
/// keeps every element left in it.
fn post_clean(
    roots: &[ElementRef<'_>],
    lens: &clean::TextLens,
    meta: &Meta,
    related: &mut Vec<String>,
) -> (String, Vec<String>, bool) {
    let body_len = roots.iter().map(|r| lens.text(*r)).sum::<usize>().max(1);
    let title = meta.title.as_deref().map(|t| collapse_ws(t).to_lowercase());
    let standfirst = meta
        .description
        .as_deref()
        .map(|t| collapse_ws(t).to_lowercase());
    let authors: Vec<String> = meta.authors.iter().map(|a| a.to_lowercase()).collect();
    let anchors = sel!("a");
    let mut ids = clean::IdSet::default();
    let mut stack: Vec<ElementRef<'_>> = roots.iter().flat_map(|r| r.child_elements()).collect();
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
            ids.insert(el.id());
        } else {
            let mut kids: Vec<_> = el.child_elements().collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    *related = dedupe(std::mem::take(related));
    // The removed elements are left out as the tree is written, which
    // leaves the page as it was for the fallbacks. The text blocks come
    // from the tree itself: serializing it and parsing the result again
    // gives the same blocks at twice the cost.
    let mut html = String::new();
    let mut all_kept = true;
    for (i, root) in roots.iter().enumerate() {
        if i > 0 {
            html.push('\n');
        }
        all_kept &= inner_html_pruned(*root, &ids, &mut html);
    }
    (html, text::blocks_of_pruned(roots, &ids), all_kept)
}

/// [`post_clean`] of a parsed fragment (the body's markup parsed again).
fn post_clean_fragment(
    frag: &Html,
    meta: &Meta,
    related: &mut Vec<String>,
) -> (String, Vec<String>) {
    let root = frag.root_element();
    let (html, blocks, _) = post_clean(&[root], &clean::TextLens::of(root), meta, related);
    (html, blocks)
}

/// Appends `root.inner_html()` as it would be with the elements in `pruned`
/// detached from the tree. Returns whether every element written is one the
/// sanitizer keeps.
fn inner_html_pruned(root: ElementRef<'_>, pruned: &clean::IdSet, out: &mut String) -> bool {
    use html5ever::serialize::{SerializeOpts, TraversalScope, serialize};
    let opts = SerializeOpts {
        // As `ElementRef::inner_html`.
        scripting_enabled: false,
        traversal_scope: TraversalScope::ChildrenOnly(None),
        create_missing_parent: false,
    };
    let mut buf = std::mem::take(out).into_bytes();
    let tree = Pruned {
        root,
        pruned,
        all_kept: std::cell::Cell::new(true),
    };
    serialize(&mut buf, &tree, opts).expect("writing to a Vec");
    *out = String::from_utf8(buf).expect("the serializer writes UTF-8");
    tree.all_kept.get()
}

/// An element to serialize without the elements in `pruned` (and what is
/// under them): scraper's own serialization, with that one difference.
struct Pruned<'a, 'b> {
    root: ElementRef<'a>,
    pruned: &'b clean::IdSet,
    /// Every element written so far is an HTML element the sanitizer keeps.
    all_kept: std::cell::Cell<bool>,
}

impl html5ever::serialize::Serialize for Pruned<'_, '_> {
    fn serialize<S: html5ever::serialize::Serializer>(
        &self,
        serializer: &mut S,
        traversal_scope: html5ever::serialize::TraversalScope,
    ) -> std::io::Result<()> {
        use ego_tree::iter::Edge;
        use html5ever::serialize::TraversalScope;
        use scraper::Node;
        let children_only = traversal_scope == TraversalScope::ChildrenOnly(None);
        let root = self.root.id();
        // The pruned element being skipped, if any.
        let mut skipping = None;
        for edge in self.root.traverse() {
            match edge {
                Edge::Open(node) => {
                    if skipping.is_some() || (node.id() == root && children_only) {
                        continue;
                    }
                    if self.pruned.contains(&node.id()) {
                        skipping = Some(node.id());
                        continue;
                    }
                    match node.value() {
                        Node::Doctype(d) => serializer.write_doctype(d.name())?,
                        Node::Comment(c) => serializer.write_comment(c)?,
                        Node::Text(t) => serializer.write_text(t)?,
                        Node::Element(e) => {
                            if e.name.ns != html5ever::ns!(html)
                                || crate::parse::sanitize::TAGS
                                    .binary_search(&e.name())
                                    .is_err()
                            {
                                self.all_kept.set(false);
                            }
                            let attrs = e.attrs.iter().map(|(k, v)| (k, &v[..]));
                            serializer.start_elem(e.name.clone(), attrs)?;
                        }
                        _ => {}
                    }
                }
                Edge::Close(node) => {
                    if let Some(id) = skipping {
                        if id == node.id() {
                            skipping = None;
                        }
                        continue;
                    }
                    if node.id() == root && children_only {
                        continue;
                    }
                    if let Some(e) = node.value().as_element() {
                        serializer.end_elem(e.name.clone())?;
                    }
                }
            }
        }
        Ok(())
    }
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
    let text = text.replace("\r\n", "\n");
    let splitter = if text.contains("\n\n") { "\n\n" } else { "\n" };
    // Some sites put markup in articleBody (its character references are
    // decoded by now, so escaped markup is markup too): paragraphs of its
    // own are read as HTML whole; other markup (`<h2>`, `<div><img></div>`
    // between plain paragraphs) one paragraph at a time.
    let paragraphs: Vec<String> = if text.contains("</p>") || text.contains("<br") {
        text::blocks(&text)
    } else if text.contains("</") || text.contains("/>") {
        text.split(splitter).flat_map(text::blocks).collect()
    } else {
        text.split(splitter)
            .map(collapse_ws)
            .filter(|p| !p.is_empty())
            .collect()
    };
    crate::parse::sanitize::paragraphs_html(&paragraphs)
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

    /// The page's body container cleaned in place and, as before, parsed
    /// again from its markup: whether the container passed
    /// [`reparses_same`], then for each way the sanitized body, its blocks,
    /// the pull quotes and the related titles. `None` without a container.
    #[allow(clippy::type_complexity)]
    fn in_place_and_reparsed(
        page: &str,
    ) -> Option<(
        bool,
        (String, Vec<String>, Vec<String>, Vec<String>),
        (String, Vec<String>, Vec<String>, Vec<String>),
    )> {
        let meta = Meta {
            title: Some("The title here".into()),
            description: Some("A standfirst".into()),
            authors: vec!["Ana One".into()],
            date: chrono::NaiveDate::from_ymd_opt(2020, 1, 2),
            ..Meta::default()
        };
        let mut doc = Html::parse_document(page);
        let above_tables = above_tables(&doc);
        clean::drop_tags(&mut doc);
        take_pull_quotes(&mut doc);
        let lens = clean::drop_chrome(&mut doc);
        let roots = container(&doc, &lens)?;
        let finish = |(html, blocks): (String, Vec<String>), related: Vec<String>| {
            let (html, quotes) = repeated_blockquotes(&html);
            let html = crate::parse::sanitize::sanitize_html(&html, None);
            (html, blocks, quotes, related)
        };
        let mut related = Vec::new();
        let (html, blocks, _) = post_clean(&roots, &lens, &meta, &mut related);
        let in_place = finish((html, blocks), related);
        let markup = roots
            .iter()
            .map(|b| b.inner_html())
            .collect::<Vec<_>>()
            .join("\n");
        let mut related = Vec::new();
        let frag = Html::parse_fragment(&markup);
        let reparsed = finish(post_clean_fragment(&frag, &meta, &mut related), related);
        Some((reparses_same(&roots, &above_tables), in_place, reparsed))
    }

    /// Tag soup (unbalanced, misnested) for the body containers, with the
    /// text the cleaning looks for and the characters a parse changes.
    fn soup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let tag = prop::sample::select(vec![
            "p",
            "div",
            "span",
            "a",
            "b",
            "i",
            "li",
            "ul",
            "pre",
            "listing",
            "blockquote",
            "h1",
            "h2",
            "button",
            "object",
            "nobr",
            "table",
            "td",
            "tr",
            "figure",
            "img",
            "br",
            "section",
            "font",
            "math",
            "mi",
            "xmp",
            "form",
            "select",
            "option",
            "marquee",
            "ruby",
            "rt",
            "rb",
            "dd",
            "dt",
            "aside",
            "template",
        ]);
        let attr = prop::sample::select(vec![
            "",
            " class=share",
            " class=byline",
            " href=x",
            " class=pullquote",
            " itemprop=articleBody",
        ]);
        let text = prop::sample::select(vec![
            "some words of body text",
            "The title here",
            "By Ana One",
            "2020-01-02",
            "Read more: ",
            "a longer sentence that repeats a quoted line of the body",
            "\n",
            "\n\n",
            "&#13;",
            "&#13;&#10;",
            "&#xFEFF;",
            "\u{feff}",
            "&amp;<>\u{a0}",
            "<!-- c -->",
            " ",
        ]);
        let token = prop_oneof![
            (tag.clone(), attr).prop_map(|(t, a)| format!("<{t}{a}>")),
            tag.prop_map(|t| format!("</{t}>")),
            text.prop_map(str::to_string),
        ];
        prop::collection::vec(token, 0..40).prop_map(|t| t.concat())
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// Cleaning the container in place gives what cleaning it parsed
        /// again gave, whenever `reparses_same` lets it.
        #[test]
        fn in_place_cleaning_matches_cleaning_the_markup_parsed_again(
            doctype in proptest::bool::ANY,
            bodies in 0usize..3,
            a in soup(),
            b in soup(),
            outside in "[a-z ]{0,30}",
        ) {
            let body = match bodies {
                0 => format!("<article>{a}</article><p>{outside}</p>"),
                1 => format!("<div itemprop=articleBody>{a}</div><p>{outside}</p>"),
                _ => format!("<div itemprop=articleBody>{a}</div>{outside}<div itemprop=articleBody>{b}</div>"),
            };
            let page = format!(
                "{}<html><head><title>t</title></head><body>{body}</body></html>",
                if doctype { "<!DOCTYPE html>" } else { "" }
            );
            if let Some((true, in_place, reparsed)) = in_place_and_reparsed(&page) {
                proptest::prop_assert_eq!(in_place, reparsed, "{}", page);
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]
        /// The body text is the text of the body markup, whether or not the
        /// markup was parsed again to get it.
        #[test]
        fn body_text_is_the_text_of_the_sanitized_body(
            doctype in proptest::bool::ANY,
            a in soup(),
            plain in "[a-z ]{0,60}",
        ) {
            let page = format!(
                "{}<title>The title here</title><article><p>{plain}</p>{a}</article>",
                if doctype { "<!DOCTYPE html>" } else { "" }
            );
            let ctx = crate::parse::Context { base_url: None };
            if let Ok(article) = super::super::parse(page.as_bytes(), &ctx) {
                proptest::prop_assert_eq!(
                    article.body_text,
                    text::blocks(&article.body_html).join("\n\n"),
                    "{}", page
                );
            }
        }
    }

    #[test]
    fn blocks_are_kept_only_for_bodies_the_sanitizer_keeps_whole() {
        let body = |page: &str| {
            let mut doc = Html::parse_document(page);
            let meta = Meta {
                title: Some("Title".into()),
                ..Meta::default()
            };
            extract(&mut doc, &meta)
        };
        let p = "<p>A paragraph of the body, long enough to be the body of the page.</p>";
        let kept = body(&format!(
            "<title>Title</title><article><h1>Title</h1>{p}<figure><img src=a.jpg><figcaption>A caption</figcaption></figure>{p}</article>"
        ));
        assert_eq!(
            kept.blocks.as_deref(),
            Some(&text::blocks(&kept.html)[..]),
            "{}",
            kept.html
        );
        for page in [
            // <section> is unwrapped by the sanitizer (and is a block).
            format!("<title>Title</title><article><section>{p}</section></article>"),
            // A quote taken out: the markup was parsed again.
            format!(
                "<title>Title</title><article>{p}<blockquote>A paragraph of the body, long enough</blockquote></article>"
            ),
            // Not cleaned in place.
            format!("<title>Title</title><article>{p}<table><tr><td>x</td></tr></table></article>"),
        ] {
            assert_eq!(body(&page).blocks, None, "{page}");
        }
        assert!(
            crate::parse::sanitize::TAGS.windows(2).all(|w| w[0] < w[1]),
            "sorted, for binary_search"
        );
    }

    #[test]
    fn containers_that_parse_again_otherwise_are_cleaned_from_their_markup() {
        for (body, why) in [
            (
                "<article><pre>\n\n\nindented code</pre><p>text</p></article>",
                "each parse drops a line break after <pre>",
            ),
            (
                "<article><p>text<table><tr><td>cell</td></tr></table>after</p></article>",
                "a table in a paragraph (quirks mode)",
            ),
            (
                "<article><p>Plain text of the body, long enough to make the link block below a small part of it.</p><div><a href=x>link<table><a href=y>moved</a><tr><td>a long cell of plain text</td></tr></table></a></div></article>",
                "a link moved out of a table into a link",
            ),
            (
                "<table itemprop=articleBody><tr><td>one</td></tr><tr><td>two</td></tr></table>",
                "rows outside a table are not parsed",
            ),
            (
                "<article>&#xFEFF;&#xFEFF;text</article>",
                "a parse drops a byte order mark at the start",
            ),
            (
                "<div itemprop=articleBody><nobr>The title here<table class=share><nobr><tr></div><p>a</p>",
                "content moved out of a table stays when the table goes",
            ),
            (
                "<article><p>text<plaintext>rest</article>",
                "the end tag of <plaintext> reads as text",
            ),
            (
                "<article><p>one&#13;<b></b>\ntwo</p></article>",
                "a parse makes a CR an LF, and a CR LF one LF",
            ),
        ] {
            let page = format!("<title>t</title><body>{body}</body>");
            let (same, in_place, reparsed) = in_place_and_reparsed(&page).expect(why);
            assert!(!same, "{why}: {body}");
            // Proof the check is needed: in place, the result would differ.
            assert_ne!(in_place, reparsed, "{why}: {body}");
        }
    }

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
