//! Boilerplate removal on the parsed page: scripts and widgets by tag,
//! site chrome (cookie banners, share bars, comments, newsletter boxes,
//! "related"/"most read" lists, ads…) by class, id and ARIA role.
//!
//! A class pattern alone never removes most of the page: a wrapper named
//! `content has-comments` must survive, so each rule has a text-share guard.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use ego_tree::NodeId;
use ego_tree::iter::Edge;
use scraper::{ElementRef, Html, Node};

use crate::util::words::ws_len;

/// Tags whose content is never article text.
const DROP_TAGS: &[&str] = &[
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "svg",
    "canvas",
    "form",
    "button",
    "input",
    "select",
    "textarea",
    "object",
    "embed",
    "video",
    "audio",
    "dialog",
    "link",
    "meta",
    "label",
    "amp-ad",
    "amp-analytics",
    "amp-sidebar",
    "amp-social-share",
    "amp-iframe",
    "amp-sticky-ad",
    "amp-consent",
    "amp-embed",
    "head",
    "title",
];

/// [`DROP_TAGS`] as one `match`, which runs for every element of a page.
fn is_drop_tag(name: &str) -> bool {
    let hit = matches!(
        name,
        "script"
            | "style"
            | "noscript"
            | "template"
            | "iframe"
            | "svg"
            | "canvas"
            | "form"
            | "button"
            | "input"
            | "select"
            | "textarea"
            | "object"
            | "embed"
            | "video"
            | "audio"
            | "dialog"
            | "link"
            | "meta"
            | "label"
            | "amp-ad"
            | "amp-analytics"
            | "amp-sidebar"
            | "amp-social-share"
            | "amp-iframe"
            | "amp-sticky-ad"
            | "amp-consent"
            | "amp-embed"
            | "head"
            | "title"
    );
    debug_assert_eq!(hit, DROP_TAGS.contains(&name));
    hit
}

/// Class/id parts (split on `-`, `_`, space) that mark chrome almost surely.
const STRONG_PARTS: &[&str] = &[
    "cookie",
    "cookies",
    "consent",
    "gdpr",
    "newsletter",
    "newsletters",
    "subscribe",
    "subscription",
    "paywall",
    "share",
    "shares",
    "sharing",
    "sharedaddy",
    "social",
    "related",
    "relatedposts",
    "yarpp",
    "comment",
    "comments",
    "commentlist",
    "disqus",
    "respond",
    "reply",
    "ad",
    "ads",
    "advert",
    "adverts",
    "advertisement",
    "adsbygoogle",
    "adslot",
    "dfp",
    "gpt",
    "sponsor",
    "sponsored",
    "promo",
    "outbrain",
    "taboola",
    "popular",
    "trending",
    "mostread",
    "breadcrumb",
    "breadcrumbs",
    "pagination",
    "skip",
    "sr",
    "wm",
    "signup",
    "signin",
    "login",
    "modal",
    "popup",
    "overlay",
    "tweet",
    "instagram",
    "player",
    "vjs",
    "credit",
    "copyright",
    "recommended",
    "recommendations",
    "banner",
    "cta",
    "komentarze",
    "komentarz",
    "kommentare",
    "kommentar",
    "comentarios",
    "commentaires",
    "kommentarii",
];

/// Substrings of a class/id that mark chrome.
const STRONG_SUBSTRINGS: &[&str] = &[
    "cookie",
    "newsletter",
    "commentlist",
    "comment-list",
    "disqus",
    "sharing",
    "advert",
    "sponsor",
    "paywall",
    "subscri",
    "breadcrumb",
    "mostread",
    "most-read",
    "most_read",
    "readmore",
    "read-more",
    "see-also",
    "also-read",
    "read-also",
    "outbrain",
    "taboola",
    "recommend",
    "more-stories",
    "morestories",
    "you-may",
    "relatedpost",
    "related-post",
    "related_post",
    "screen-reader",
    "visually-hidden",
    "author-box",
    "about-author",
    "author-bio",
    "authorbio",
    "post-navigation",
    "nav-links",
    "print-url",
    "newsfeed",
    "news-feed",
    "blog-pager",
    "load-more",
    "wm-ipp",
];

/// Parts that usually mark chrome but also appear on content wrappers.
const WEAK_PARTS: &[&str] = &[
    "sidebar",
    "widget",
    "widgets",
    "menu",
    "nav",
    "navbar",
    "navigation",
    "header",
    "footer",
    "masthead",
    "byline",
    "author",
    "meta",
    "tags",
    "labels",
    "date",
    "dateline",
    "rail",
    "aside",
    "hero",
    "thumbnail",
    "lang",
    "language",
    "weather",
    "informer",
    "toolbar",
    "tools",
    "actions",
    "info",
    "pager",
    "topbar",
    "links",
    "bio",
    "categories",
    "category",
    "archive",
    "profile",
    "search",
    "footnote",
    "utility",
    "hidden",
];

/// `form` is here, not in [`DROP_TAGS`]: ASP.NET pages wrap the whole page in one.
const WEAK_TAGS: &[&str] = &["nav", "header", "footer", "aside", "menu", "form"];
const CHROME_ROLES: &[&str] = &[
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
];

/// Whole class names (or ids) that mark an article's own body or post.
/// WordPress gives the post element `hentry category-news tag-film`, and
/// some themes name the body `entry-content entry-content-read-more`: the
/// chrome rules would read "category", "tag" or "read-more" in them and
/// remove the article wherever comments or sidebars outweigh it.
const CONTENT_NAMES: &[&str] = &[
    "hentry",
    "entry-content",
    "entry_content",
    "entry-body",
    "article-body",
    "article__body",
    "articlebody",
    "article-content",
    "article__content",
    "post-content",
    "post-body",
    "postbody",
    "story-body",
    "storybody",
];

/// Classes of the `<blockquote>` an embedded social post is published as
/// (its text is in the blockquote; a script would make it a widget).
const EMBEDDED_POSTS: &[&str] = &["twitter-tweet", "instagram-media", "tiktok-embed"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chrome {
    No,
    Weak,
    Strong,
}

/// Class and id values of an element, lowercased.
pub fn class_id(el: &scraper::node::Element) -> String {
    let mut s = String::new();
    if let Some(c) = el.attr("class") {
        s.push_str(c);
    }
    if let Some(i) = el.attr("id") {
        s.push(' ');
        s.push_str(i);
    }
    s.to_lowercase()
}

/// Whether the page hides the element itself (`hidden`, `aria-hidden`, an
/// inline `display: none` or `visibility: hidden`).
pub fn is_hidden(el: &scraper::node::Element) -> bool {
    el.attr("hidden").is_some()
        || el.attr("aria-hidden") == Some("true")
        || el.attr("style").is_some_and(|s| {
            let s: String = s.to_lowercase().split_whitespace().collect();
            s.contains("display:none") || s.contains("visibility:hidden")
        })
}

pub fn classify(el: &scraper::node::Element) -> Chrome {
    let name = el.name();
    // Fast path: most elements carry no attribute any rule looks at.
    if !WEAK_TAGS.contains(&name)
        && !el.attrs().any(|(k, _)| {
            matches!(
                k,
                "class" | "id" | "hidden" | "aria-hidden" | "style" | "role"
            )
        })
    {
        return Chrome::No;
    }
    if is_hidden(el) {
        return Chrome::Strong;
    }
    let ci = class_id(el);
    // Never chrome: the post or its body by name, and an embedded post (a
    // quotation in the article; "tweet" and "instagram" otherwise mark
    // share buttons).
    if ci
        .split_whitespace()
        .any(|name| CONTENT_NAMES.contains(&name))
        || is_embedded_post(el, &ci)
    {
        return Chrome::No;
    }
    let parts = || {
        ci.split(|c: char| c.is_whitespace() || c == '-' || c == '_')
            .filter(|p| !p.is_empty())
    };
    if parts().any(|p| STRONG_PARTS.contains(&p))
        || STRONG_SUBSTRINGS.iter().any(|s| ci.contains(s))
    {
        return Chrome::Strong;
    }
    if WEAK_TAGS.contains(&name)
        || el
            .attr("role")
            .is_some_and(|r| CHROME_ROLES.contains(&r.to_ascii_lowercase().as_str()))
        || parts().any(|p| WEAK_PARTS.contains(&p))
    {
        return Chrome::Weak;
    }
    Chrome::No
}

/// Length of the visible text under a node, in chars (whitespace collapsed
/// roughly by counting only non-whitespace).
pub fn text_len(el: ElementRef<'_>) -> usize {
    el.text().map(non_space_len).sum()
}

/// Characters that are not whitespace; runs for every text node of every
/// page, so it counts bytes: those that start a character and are not ASCII
/// whitespace, less the (rare) non-ASCII whitespace characters.
fn non_space_len(t: &str) -> usize {
    let b = t.as_bytes();
    let mut n = 0;
    // Branch-free over chunks small enough for a `u8` count, so it vectorises.
    for chunk in b.chunks(255) {
        let mut count = 0u8;
        for &c in chunk {
            // Continuation bytes are 0x80..=0xBF, i.e. below -0x40 as `i8`.
            let starts_char = u8::from((c as i8) >= -0x40);
            let ascii_space = u8::from((c == b' ') | (c.wrapping_sub(b'\t') < 5));
            count += starts_char - ascii_space;
        }
        n += usize::from(count);
    }
    if t.is_ascii() {
        return n;
    }
    let wide_space = |i: &usize| ws_len(b, *i) > 0;
    n - memchr::memchr3_iter(0xC2, 0xE1, 0xE2, b)
        .filter(wide_space)
        .count()
        - memchr::memchr_iter(0xE3, b).filter(wide_space).count()
}

/// Text length outside links: what a guard against removing "most of the
/// page" should count, so a mega menu never looks like content.
#[cfg(test)]
pub fn plain_len(el: ElementRef<'_>) -> usize {
    text_len(el).saturating_sub(link_len(el))
}

/// [`text_len`], [`link_len`] and [`plain_len`] of every element under a
/// root, computed in one bottom-up pass. The extraction asks for them on
/// nested elements over and over, and walking each subtree again made text
/// counting the biggest cost of parsing a page. Valid until the tree changes.
pub struct TextLens {
    /// Per element: (text length, link text length).
    lens: HashMap<NodeId, (usize, usize), BuildHasherDefault<IdHasher>>,
}

impl TextLens {
    pub fn of(root: ElementRef<'_>) -> Self {
        let mut lens = HashMap::default();
        // Open elements' running (text, links) sums, innermost last.
        let mut open: Vec<(usize, usize)> = Vec::new();
        for edge in root.traverse() {
            match edge {
                Edge::Open(n) => match n.value() {
                    Node::Element(_) => open.push((0, 0)),
                    Node::Text(t) => {
                        if let Some(top) = open.last_mut() {
                            top.0 += non_space_len(t);
                        }
                    }
                    _ => {}
                },
                Edge::Close(n) => {
                    let Node::Element(e) = n.value() else {
                        continue;
                    };
                    let (text, links) = open.pop().expect("balanced traversal");
                    lens.insert(n.id(), (text, links));
                    if let Some(parent) = open.last_mut() {
                        parent.0 += text;
                        // Every link below counts, nested ones again (as
                        // summing `text_len` over `select("a")` does).
                        parent.1 += links + if e.name() == "a" { text } else { 0 };
                    }
                }
            }
        }
        TextLens { lens }
    }

    fn get(&self, el: ElementRef<'_>) -> (usize, usize) {
        match self.lens.get(&el.id()) {
            Some(l) => *l,
            // Not under the root this was computed for.
            None => (text_len(el), link_len(el)),
        }
    }

    /// Updates the lengths of `el`'s ancestors for `el` being detached, so
    /// the lengths stay right for the rest of the tree (and for `el`).
    pub fn forget(&mut self, el: ElementRef<'_>) {
        let Some(&(text, links)) = self.lens.get(&el.id()) else {
            return;
        };
        let mut links = links + if el.value().name() == "a" { text } else { 0 };
        for up in el.ancestors() {
            let Some(l) = self.lens.get_mut(&up.id()) else {
                continue;
            };
            l.0 -= text;
            l.1 -= links;
            // A link above lost text, so the links above it did too.
            if matches!(up.value(), Node::Element(e) if e.name() == "a") {
                links += text;
            }
        }
    }

    /// [`text_len`].
    pub fn text(&self, el: ElementRef<'_>) -> usize {
        self.get(el).0
    }

    /// [`link_len`].
    pub fn links(&self, el: ElementRef<'_>) -> usize {
        self.get(el).1
    }

    /// [`plain_len`].
    pub fn plain(&self, el: ElementRef<'_>) -> usize {
        let (text, links) = self.get(el);
        text.saturating_sub(links)
    }
}

/// Text length of the links inside an element (not the element itself),
/// each link counted in full, nested links again.
pub fn link_len(el: ElementRef<'_>) -> usize {
    static A: std::sync::OnceLock<scraper::Selector> = std::sync::OnceLock::new();
    let a = A.get_or_init(|| scraper::Selector::parse("a").expect("static selector"));
    el.select(a).map(text_len).sum()
}

/// A set of nodes of one tree (elements to leave out, say).
pub type IdSet = std::collections::HashSet<NodeId, BuildHasherDefault<IdHasher>>;

/// Hashes a [`NodeId`] (an index into the tree) by one multiplication: the
/// default SipHash would cost more than the lookups save.
#[derive(Default)]
pub struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0 ^ n as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Removes every element with one of [`DROP_TAGS`], plus comments.
pub fn drop_tags(doc: &mut Html) {
    let ids: Vec<NodeId> = doc
        .tree
        .root()
        .descendants()
        .filter(|n| match n.value() {
            Node::Element(e) => is_drop_tag(e.name()),
            Node::Comment(_) | Node::ProcessingInstruction(_) => true,
            _ => false,
        })
        .map(|n| n.id())
        .collect();
    detach_all(doc, &ids);
}

/// Removes chrome: strong matches unless they hold at least 70% of the
/// page's text, weak ones unless they hold 35%. Returns the text lengths of
/// what is left.
pub fn drop_chrome(doc: &mut Html) -> TextLens {
    let root = doc.root_element();
    let mut lens = TextLens::of(root);
    let total = lens.plain(root).max(1);
    let mut ids = Vec::new();
    let mut stack: Vec<ElementRef<'_>> = root.child_elements().collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        let v = el.value();
        let verdict = if matches!(v.name(), "body" | "html") {
            Chrome::No
        } else {
            classify(v)
        };
        let remove = match verdict {
            Chrome::No => false,
            Chrome::Strong => lens.plain(el) * 10 < total * 7,
            Chrome::Weak => lens.plain(el) * 100 < total * 35,
        } && !holds_embedded_post(el);
        if remove {
            ids.push(el.id());
        } else {
            let mut kids: Vec<_> = el.child_elements().collect();
            kids.reverse();
            stack.extend(kids);
        }
    }
    for id in &ids {
        if let Some(el) = doc.tree.get(*id).and_then(ElementRef::wrap) {
            lens.forget(el);
        }
    }
    detach_all(doc, &ids);
    lens
}

/// Whether an embedded social post sits inside `el` (a "social-media-embed"
/// wrapper): then its parts are judged one by one instead.
pub fn holds_embedded_post(el: ElementRef<'_>) -> bool {
    // The name first: `class_id` allocates.
    el.descendants().filter_map(ElementRef::wrap).any(|e| {
        e.value().name() == "blockquote" && is_embedded_post(e.value(), &class_id(e.value()))
    })
}

/// Whether `el`, with class and id values `ci` ([`class_id`]), is the
/// `<blockquote>` of an embedded social post.
fn is_embedded_post(el: &scraper::node::Element, ci: &str) -> bool {
    el.name() == "blockquote" && ci.split_whitespace().any(|c| EMBEDDED_POSTS.contains(&c))
}

pub fn detach_all(doc: &mut Html, ids: &[NodeId]) {
    for id in ids {
        if let Some(mut n) = doc.tree.get_mut(*id) {
            n.detach();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random markup: nested links, inline and block elements, text with
    /// ASCII and Unicode whitespace.
    fn markup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let text = "[a-z \\n\\u{a0}\\u{2009}é]{0,8}";
        let leaf = text.prop_map(|t| t.to_string());
        leaf.prop_recursive(5, 64, 6, |inner| {
            (
                prop::sample::select(vec!["a", "p", "div", "span", "li", "table", "b"]),
                prop::collection::vec(inner, 0..5),
            )
                .prop_map(|(tag, kids)| format!("<{tag} href=x>{}</{tag}>", kids.concat()))
        })
    }

    proptest::proptest! {
        #[test]
        fn text_lens_match_walking_each_subtree(html in markup()) {
            let mut frag = Html::parse_fragment(&html);
            let lens = TextLens::of(frag.root_element());
            for el in frag.root_element().descendants().filter_map(ElementRef::wrap) {
                proptest::prop_assert_eq!(lens.text(el), text_len(el));
                proptest::prop_assert_eq!(lens.links(el), link_len(el));
                proptest::prop_assert_eq!(lens.plain(el), plain_len(el));
            }
            // Elements cut off the tree after the pass are measured directly.
            let ids: Vec<NodeId> = frag.root_element().children().map(|c| c.id()).collect();
            detach_all(&mut frag, &ids);
            let lens = TextLens::of(frag.root_element());
            for id in ids {
                if let Some(el) = frag.tree.get(id).and_then(ElementRef::wrap) {
                    proptest::prop_assert_eq!(lens.plain(el), plain_len(el));
                }
            }
        }
    }

    #[test]
    fn non_space_len_counts_characters_that_are_not_whitespace() {
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let s = format!("a{c} é{c}\u{a0}");
            let want = s.chars().filter(|c| !c.is_whitespace()).count();
            assert_eq!(non_space_len(&s), want, "U+{:04X}", c as u32);
        }
    }

    proptest::proptest! {
        #[test]
        fn non_space_len_matches_counting_chars(s in "\\PC{0,40}|.{0,40}|[ \u{a0}\u{2000}-\u{200b}\u{3000}a€]{0,20}") {
            proptest::prop_assert_eq!(non_space_len(&s), s.chars().filter(|c| !c.is_whitespace()).count());
        }
    }

    proptest::proptest! {
        #[test]
        fn forgotten_subtrees_leave_the_rest_right(html in markup(), pick in proptest::collection::vec(0usize..64, 1..4)) {
            let mut frag = Html::parse_fragment(&html);
            let all: Vec<NodeId> = frag.root_element().descendants().filter_map(ElementRef::wrap).map(|e| e.id()).collect();
            let mut lens = TextLens::of(frag.root_element());
            // Disjoint subtrees, as drop_chrome detaches.
            let mut ids: Vec<NodeId> = Vec::new();
            for p in pick {
                let id = all[p % all.len()];
                let el = ElementRef::wrap(frag.tree.get(id).unwrap()).unwrap();
                let related = ids.iter().any(|&o| {
                    el.ancestors().any(|a| a.id() == o) || frag.tree.get(o).unwrap().ancestors().any(|a| a.id() == id) || o == id
                });
                if !related && id != frag.root_element().id() {
                    lens.forget(el);
                    ids.push(id);
                }
            }
            detach_all(&mut frag, &ids);
            for id in all {
                let el = ElementRef::wrap(frag.tree.get(id).unwrap()).unwrap();
                proptest::prop_assert_eq!(lens.text(el), text_len(el));
                proptest::prop_assert_eq!(lens.links(el), link_len(el));
            }
        }
    }

    #[test]
    fn nested_links_count_once_per_link() {
        // The parser never nests links, but a tree built otherwise can.
        let frag = Html::parse_fragment("<div><a href=x>one two</a> three</div>");
        let div = frag.root_element().child_elements().next().unwrap();
        let lens = TextLens::of(frag.root_element());
        assert_eq!(
            (lens.text(div), lens.links(div), lens.plain(div)),
            (11, 6, 5)
        );
    }
}
