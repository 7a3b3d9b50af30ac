//! Limits that keep hostile pages from hanging or exhausting the parser.
//!
//! html5ever has no nesting limit, and several of its tree-building steps
//! scan the stack of open elements, so 100,000 unclosed `<div>`s cost
//! quadratic time; later tree walks would also recurse that deep. Before
//! parsing, a cheap linear pass tracks (approximately) how deep elements nest
//! and drops tags — never text — beyond [`MAX_DEPTH`]. Real pages nest a few
//! dozen levels, so they pass through untouched.

use std::borrow::Cow;

/// Largest page we read. News pages are well under 5 MB even with inline
/// scripts; anything bigger is not an article capture.
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

/// Deepest element nesting kept.
pub const MAX_DEPTH: usize = 256;

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr", "keygen", "frame", "basefont", "bgsound",
];
const RAW_TEXT: &[&str] = &[
    "script",
    "style",
    "textarea",
    "title",
    "xmp",
    "iframe",
    "noembed",
    "noframes",
    "plaintext",
];
/// Start tags that close an open `<p>` (the common implicit close, so pages
/// with thousands of unclosed paragraphs do not look deep).
const CLOSES_P: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "div",
    "dl",
    "fieldset",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "table",
    "ul",
];

/// Returns the page with tags nested deeper than `max` removed (text kept).
pub fn limit_depth(html: &str, max: usize) -> Cow<'_, str> {
    // Nesting deeper than `max` takes more than `max` start tags, so a page
    // with no more `<` than that (most article pages) is fine as it is.
    if memchr::memchr_iter(b'<', html.as_bytes())
        .nth(max)
        .is_none()
    {
        return Cow::Borrowed(html);
    }
    if walk(html, max, None) {
        let mut out = String::with_capacity(html.len());
        walk(html, max, Some(&mut out));
        Cow::Owned(out)
    } else {
        Cow::Borrowed(html)
    }
}

/// One pass over the markup. Without `out`, reports whether anything would be
/// dropped; with it, writes the limited page.
fn walk(html: &str, max: usize, mut out: Option<&mut String>) -> bool {
    let b = html.as_bytes();
    // (tag name, kept)
    let mut stack: Vec<(&str, bool)> = Vec::new();
    // How many of each (lowercased) name the stack holds. An end tag that
    // matches an open element pops everything it scans, but one that
    // matches none would scan the whole stack for nothing: thousands of
    // stray end tags under thousands of open ones took quadratic time.
    let mut open: std::collections::HashMap<String, usize> = Default::default();
    let mut key = String::new();
    let mut too_deep = false;
    let mut i = 0;
    let mut copied = 0; // bytes of `html` already copied to `out`
    while let Some(off) = memchr(b'<', &b[i..]) {
        let lt = i + off;
        let rest = &b[lt + 1..];
        if rest.starts_with(b"!--") {
            i = find(b, b"-->", lt + 4).map_or(b.len(), |e| e + 3);
            continue;
        }
        if rest.first().is_some_and(|c| *c == b'!' || *c == b'?') {
            i = memchr(b'>', &b[lt..]).map_or(b.len(), |e| lt + e + 1);
            continue;
        }
        let closing = rest.first() == Some(&b'/');
        let name_start = lt + 1 + usize::from(closing);
        let name_len = b[name_start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'-' || **c == b':')
            .count();
        if name_len == 0 || !b[name_start].is_ascii_alphabetic() {
            i = lt + 1;
            continue;
        }
        let end = tag_end(b, name_start + name_len);
        let name = &html[name_start..name_start + name_len];
        let is = |list: &[&str]| list.iter().any(|t| t.eq_ignore_ascii_case(name));
        let mut drop_tag = false;
        if closing {
            key.clear();
            key.push_str(name);
            key.make_ascii_lowercase();
            if open.get(&key).is_some_and(|&n| n > 0)
                && let Some(pos) = stack
                    .iter()
                    .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                drop_tag = !stack[pos].1;
                for (n, _) in stack.drain(pos..) {
                    forget(&mut open, &mut key, n);
                }
            }
        } else {
            let self_closing = b[..end].ends_with(b"/>");
            if is(CLOSES_P)
                && stack
                    .last()
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case("p"))
            {
                let (n, _) = stack.pop().unwrap_or_default();
                forget(&mut open, &mut key, n);
            }
            if is(&["li", "dt", "dd", "tr", "td", "th", "option"])
                && stack
                    .last()
                    .is_some_and(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                let (n, _) = stack.pop().unwrap_or_default();
                forget(&mut open, &mut key, n);
            }
            if !is(VOID) && !self_closing {
                let kept = stack.len() < max;
                drop_tag = !kept;
                stack.push((name, kept));
                key.clear();
                key.push_str(name);
                key.make_ascii_lowercase();
                match open.get_mut(&key) {
                    Some(n) => *n += 1,
                    None => {
                        open.insert(key.clone(), 1);
                    }
                }
            }
            if is(RAW_TEXT) {
                // Skip the element's raw content up to its end tag, which the
                // closing-tag branch then handles.
                let close = format!("</{}", name.to_ascii_lowercase());
                let lower_hit = find_ci(b, close.as_bytes(), end);
                if drop_tag {
                    too_deep = true;
                    if let Some(o) = out.as_deref_mut() {
                        o.push_str(&html[copied..lt]);
                        copied = end;
                    }
                }
                i = lower_hit.unwrap_or(b.len());
                continue;
            }
        }
        if drop_tag {
            too_deep = true;
            if let Some(o) = out.as_deref_mut() {
                o.push_str(&html[copied..lt]);
                copied = end;
            }
        }
        i = end;
    }
    if let Some(o) = out {
        o.push_str(&html[copied..]);
    }
    too_deep
}

/// Counts one element named `name` off the stack's tally (`key` is scratch).
fn forget(open: &mut std::collections::HashMap<String, usize>, key: &mut String, name: &str) {
    key.clear();
    key.push_str(name);
    key.make_ascii_lowercase();
    if let Some(n) = open.get_mut(key.as_str()) {
        *n = n.saturating_sub(1);
    }
}

/// Index just past the `>` that ends a tag starting before `from`, skipping
/// quoted attribute values.
fn tag_end(b: &[u8], from: usize) -> usize {
    let mut quote = None;
    let mut i = from;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => {
                // Only a quote right after `=` (allowing spaces) opens a value.
                let before = b[from..i].iter().rev().find(|c| !c.is_ascii_whitespace());
                if before == Some(&b'=') {
                    quote = Some(c);
                }
            }
            None if c == b'>' => return i + 1,
            None => {}
        }
        i += 1;
    }
    b.len()
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    memchr::memchr(needle, hay)
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    memchr::memmem::find(hay.get(from..)?, needle).map(|p| p + from)
}

/// First case-insensitive match of `needle` (which starts with `<`) at or
/// after `from`.
fn find_ci(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    debug_assert_eq!(needle.first(), Some(&b'<'));
    memchr::memchr_iter(b'<', hay.get(from..)?)
        .map(|p| p + from)
        .find(|&p| {
            hay.get(p..p + needle.len())
                .is_some_and(|w| w.eq_ignore_ascii_case(needle))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_pages_pass_through_untouched() {
        let page = "<html><body><div class=\"a>b\"><p>one<p>two<ul><li>x<li>y</ul></div><script>if (a<b) {}</script></body></html>";
        assert!(matches!(limit_depth(page, 8), Cow::Borrowed(_)));
    }

    #[test]
    fn tags_beyond_the_limit_are_dropped_and_text_kept() {
        let page = format!("{}deep text{}", "<div>".repeat(1000), "</div>".repeat(1000));
        let out = limit_depth(&page, 10);
        assert_eq!(out.matches("<div>").count(), 10);
        assert_eq!(out.matches("</div>").count(), 10);
        assert!(out.contains("deep text"));
    }

    #[test]
    fn raw_text_end_tags_are_found_in_any_case() {
        let page = "<div><div><div><SCRIPT>if (a<b) { x('<div>') }</ScRiPt >after</div>";
        assert_eq!(
            limit_depth(page, 2),
            "<div><div>if (a<b) { x('<div>') }after"
        );
    }

    proptest::proptest! {
        #[test]
        fn searches_match_a_plain_scan(hay in "[<>/a-cA-C ]{0,40}", needle in "[a-cA-C/]{0,3}", from in 0usize..45) {
            let hay = hay.as_bytes();
            let needle = format!("<{needle}");
            let needle = needle.as_bytes();
            let plain = |ci: bool| {
                hay.get(from..)?
                    .windows(needle.len())
                    .position(|w| if ci { w.eq_ignore_ascii_case(needle) } else { w == needle })
                    .map(|p| p + from)
            };
            proptest::prop_assert_eq!(find(hay, needle, from), plain(false));
            proptest::prop_assert_eq!(find_ci(hay, needle, from), plain(true));
        }
    }

    #[test]
    fn the_limit_itself_is_kept() {
        let at = format!("{}x", "<b>".repeat(10));
        assert!(matches!(limit_depth(&at, 10), Cow::Borrowed(_)));
        let over = format!("{}x", "<b>".repeat(11));
        assert_eq!(limit_depth(&over, 10), format!("{}x", "<b>".repeat(10)));
        // Many tags, none deep: the full scan runs and keeps everything.
        let flat = "<p>a</p>".repeat(40);
        assert!(matches!(limit_depth(&flat, 10), Cow::Borrowed(_)));
    }

    #[test]
    fn unclosed_tags_do_not_confuse_the_limiter() {
        let page = "<b>".repeat(5000) + "x";
        let out = limit_depth(&page, 50);
        assert_eq!(out.matches("<b>").count(), 50);
        assert!(out.ends_with('x'));
    }

    /// Found by fuzzing: an end tag matching no open element scanned the
    /// whole stack, which keeps growing past the limit, so many stray end
    /// tags under many open elements took quadratic time (a 70 KB page took
    /// 13 s under the fuzzer). Matching end tags still close what they match.
    #[test]
    fn stray_end_tags_under_deep_nesting_are_skipped_quickly() {
        let n = 20_000;
        let page = format!("<div>{}x{}</DIV>y", "<a>".repeat(n), "</b>".repeat(n));
        let out = limit_depth(&page, 50);
        assert_eq!(out.matches("<a>").count(), 49);
        assert_eq!(out.matches("</b>").count(), n);
        // The `<div>` was kept, so the end tag that closes it (and all the
        // `<a>`s) is too, whatever its case; what follows is at depth 0.
        assert!(out.ends_with("</DIV>y"), "{}", &out[out.len() - 20..]);
        let after = format!("{}{}", page, "<i>".repeat(60));
        assert_eq!(limit_depth(&after, 50).matches("<i>").count(), 50);
    }
}
