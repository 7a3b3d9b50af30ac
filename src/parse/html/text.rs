//! Sanitized body HTML → plain text: one paragraph per block element,
//! paragraphs separated by one blank line, whitespace collapsed.

use scraper::{ElementRef, Html, Node};

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
    let mut out = Vec::new();
    let mut cur = String::new();
    walk(root, &mut out, &mut cur, 0);
    flush(&mut out, &mut cur);
    out
}

fn flush(out: &mut Vec<String>, cur: &mut String) {
    let t = super::norm(cur);
    if !t.is_empty() {
        out.push(t);
    }
    cur.clear();
}

fn walk(el: ElementRef<'_>, out: &mut Vec<String>, cur: &mut String, depth: usize) {
    // The input went through the depth limiter; this is a second fence.
    if depth > 512 {
        return;
    }
    for child in el.children() {
        match child.value() {
            Node::Text(t) => cur.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                let Some(c) = ElementRef::wrap(child) else {
                    continue;
                };
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
                walk(c, out, cur, depth + 1);
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
