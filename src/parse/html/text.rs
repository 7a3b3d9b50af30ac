//! Sanitized body HTML → plain text: one paragraph per block element,
//! paragraphs separated by one blank line, whitespace collapsed.

use scraper::{ElementRef, Html, Node};

use super::clean::IdSet;
use crate::util::words::collapse_ws_append;

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "blockquote",
    "figure",
    "figcaption",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "caption",
    "dl",
    "dt",
    "dd",
    "hr",
    "address",
    "details",
    "summary",
    "center",
    "fieldset",
    "legend",
    "br",
];

/// The text blocks of an HTML fragment, in order.
pub fn blocks(fragment: &str) -> Vec<String> {
    let doc = Html::parse_fragment(fragment);
    blocks_of(doc.root_element())
}

pub fn blocks_of(root: ElementRef<'_>) -> Vec<String> {
    blocks_of_pruned(&[root], &IdSet::default())
}

/// The text blocks of the children of `roots`, as if their markup were
/// joined with a line break between roots (as the extraction joins several
/// body containers), leaving out the elements in `pruned` and what is under
/// them.
pub fn blocks_of_pruned(roots: &[ElementRef<'_>], pruned: &IdSet) -> Vec<String> {
    let mut b = Blocks::default();
    for (i, root) in roots.iter().enumerate() {
        if i > 0 {
            collapse_ws_append("\n", &mut b.cur, &mut b.gap);
        }
        walk(*root, &mut b, 0, pruned);
    }
    b.flush();
    b.out
}

/// Blocks done so far and the one being filled, whitespace-normalised as
/// text arrives (so no block is copied twice).
#[derive(Default)]
struct Blocks {
    out: Vec<String>,
    cur: String,
    /// Whitespace came after the last word of `cur`.
    gap: bool,
}

impl Blocks {
    fn flush(&mut self) {
        if !self.cur.is_empty() {
            self.out.push(std::mem::take(&mut self.cur));
        }
        self.gap = false;
    }
}

fn walk(el: ElementRef<'_>, b: &mut Blocks, depth: usize, pruned: &IdSet) {
    // The input went through the depth limiter; this is a second fence.
    if depth > 512 {
        return;
    }
    for child in el.children() {
        match child.value() {
            Node::Text(t) => collapse_ws_append(t, &mut b.cur, &mut b.gap),
            Node::Element(e) => {
                let name = e.name();
                let Some(c) = ElementRef::wrap(child) else {
                    continue;
                };
                if matches!(name, "script" | "style" | "template") || pruned.contains(&child.id()) {
                    continue;
                }
                let block = BLOCKS.contains(&name);
                if block {
                    b.flush();
                }
                let cell = matches!(name, "td" | "th");
                // Table cells are apart even when the markup runs them together.
                b.gap |= cell;
                walk(c, b, depth + 1, pruned);
                b.gap |= cell;
                if block {
                    b.flush();
                }
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The walk as it was: collect raw text, normalise at each block edge.
    fn blocks_reference(fragment: &str) -> Vec<String> {
        fn flush(out: &mut Vec<String>, cur: &mut String) {
            let t = cur.split_whitespace().collect::<Vec<_>>().join(" ");
            if !t.is_empty() {
                out.push(t);
            }
            cur.clear();
        }
        fn walk(el: ElementRef<'_>, out: &mut Vec<String>, cur: &mut String) {
            for child in el.children() {
                match child.value() {
                    Node::Text(t) => cur.push_str(t),
                    Node::Element(e) => {
                        let name = e.name();
                        let c = ElementRef::wrap(child).unwrap();
                        if matches!(name, "script" | "style" | "template") {
                            continue;
                        }
                        let block = BLOCKS.contains(&name);
                        if block {
                            flush(out, cur);
                        }
                        if matches!(name, "td" | "th") {
                            cur.push(' ');
                        }
                        walk(c, out, cur);
                        if matches!(name, "td" | "th") {
                            cur.push(' ');
                        }
                        if block {
                            flush(out, cur);
                        }
                    }
                    _ => {}
                }
            }
        }
        let doc = Html::parse_fragment(fragment);
        let (mut out, mut cur) = (Vec::new(), String::new());
        walk(doc.root_element(), &mut out, &mut cur);
        flush(&mut out, &mut cur);
        out
    }

    fn markup() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::prelude::*;
        let text = "[a-z \\n\\u{a0}\\u{2009}é]{0,8}";
        let leaf = text.prop_map(|t| t.to_string());
        leaf.prop_recursive(5, 64, 6, |inner| {
            (
                prop::sample::select(vec![
                    "p", "div", "span", "b", "td", "th", "tr", "table", "br", "li", "script",
                ]),
                prop::collection::vec(inner, 0..5),
            )
                .prop_map(|(tag, kids)| format!("<{tag}>{}</{tag}>", kids.concat()))
        })
    }

    proptest::proptest! {
        #[test]
        fn blocks_match_normalising_at_block_edges(html in markup()) {
            proptest::prop_assert_eq!(blocks(&html), blocks_reference(&html));
        }
    }

    #[test]
    fn cells_and_inline_elements_join_as_the_markup_says() {
        let html = "<p>one<b>two</b> three</p><table><tr><td>a</td><td>b</td></tr></table>x<br>y";
        assert_eq!(blocks(html), ["onetwo three", "a b", "x", "y"]);
        assert_eq!(blocks(html), blocks_reference(html));
    }
}
