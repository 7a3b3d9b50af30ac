//! A fast check that HTML is already in the sanitizer's output form, so the
//! feeds can skip re-running ammonia on bodies the parsers already cleaned
//! (re-sanitizing is most of the cost of building an entry).
//!
//! This is an allow-list *validator*, not a sanitizer: it accepts only plain
//! serialized HTML (double-quoted attributes, no comments or doctypes) whose
//! every tag and attribute is on the sanitizer's allow-list and whose every
//! URL is absolute http(s) or mailto. Anything else — including anything it
//! does not understand — makes the caller sanitize with ammonia as before.

use crate::parse::sanitize::{TAGS, attr_allowed};

fn is_url_attr(attr: &str) -> bool {
    matches!(attr, "href" | "src" | "cite")
}

fn url_ok(v: &str) -> bool {
    let lower = v.get(..8).unwrap_or(v).to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        && !v.chars().any(|c| c.is_control() || c.is_whitespace())
}

/// True if `html` needs no sanitizing (see the module docs).
pub fn already_clean(html: &str) -> bool {
    let b = html.as_bytes();
    let mut i = 0;
    let name = |i: &mut usize| -> &str {
        let start = *i;
        while *i < b.len() && (b[*i].is_ascii_lowercase() || b[*i].is_ascii_digit()) {
            *i += 1;
        }
        &html[start..*i]
    };
    while i < b.len() {
        match b[i] {
            b'<' => {
                i += 1;
                let closing = b.get(i) == Some(&b'/');
                if closing {
                    i += 1;
                }
                let tag = name(&mut i);
                if !TAGS.contains(&tag) {
                    return false;
                }
                if closing {
                    if b.get(i) != Some(&b'>') {
                        return false;
                    }
                    i += 1;
                    continue;
                }
                loop {
                    match b.get(i) {
                        Some(b'>') => {
                            i += 1;
                            break;
                        }
                        Some(b' ') => {
                            i += 1;
                            let start = i;
                            while i < b.len() && (b[i].is_ascii_lowercase() || b[i] == b'-') {
                                i += 1;
                            }
                            let attr = &html[start..i];
                            if !attr_allowed(tag, attr) || b.get(i..i + 2) != Some(b"=\"") {
                                return false;
                            }
                            i += 2;
                            let Some(len) = html[i..].find('"') else {
                                return false;
                            };
                            let value = &html[i..i + len];
                            if is_url_attr(attr) && !url_ok(value) {
                                return false;
                            }
                            i += len + 1;
                        }
                        _ => return false,
                    }
                }
            }
            // The serializer escapes '>' in text; a bare one is unusual input.
            b'>' => return false,
            // Text: jump to the next tag.
            _ => match memchr::memchr2(b'<', b'>', &b[i..]) {
                Some(k) => i += k,
                None => break,
            },
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::sanitize::sanitize_html;

    #[test]
    fn sanitizer_output_is_recognised_as_clean() {
        let base = url::Url::parse("https://e.org/a/").unwrap();
        for raw in [
            "<p>Hi <a href=\"/x\">x</a> &amp; <em>y</em></p><img src=\"i.jpg\" alt=\"a\">",
            "<blockquote cite=\"https://e.org/\"><p>q</p></blockquote><ol start=\"2\"><li>a</li></ol>",
            "<table><tbody><tr><td colspan=\"2\">x</td></tr></tbody></table>",
        ] {
            let clean = sanitize_html(raw, Some(&base));
            assert!(already_clean(&clean), "{clean}");
        }
    }

    #[test]
    fn anything_unexpected_is_sent_to_the_sanitizer() {
        for bad in [
            "<p>Hi<script>alert(1)</script></p>",
            "<p onclick=\"x()\">a</p>",
            "<a href=\"javascript:alert(1)\">j</a>",
            "<a href=\"/relative\">r</a>",
            "<a href=\"JaVaScRiPt:x\">j</a>",
            "<img src=\"data:image/png;base64,AA\">",
            "<p>a<!-- c --></p>",
            "<iframe src=\"https://e.org\"></iframe>",
            "<p class=\"x\">a</p>",
            "<p title='x'>a</p>",
            "<p title=x>a</p>",
            "<P>a</P>",
            "<svg><a href=\"https://e.org\">x</a></svg>",
            "<p>]]></p>",
            "<a href=\"https://e.org/\nx\">x</a>",
            "<a href=\"https://e.org",
            "<p",
        ] {
            assert!(!already_clean(bad), "{bad} accepted");
        }
    }
}
