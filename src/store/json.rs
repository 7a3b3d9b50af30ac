//! The JSON the store keeps (and hashes) for an article, written directly.
//!
//! The bytes must be exactly what `serde_json::to_vec(&article)` gives —
//! stored content hashes are made from them, so any difference would mark
//! every article as updated — and a proptest holds this to it. The only
//! reason it exists is speed: serde_json checks string bytes one at a time,
//! and an article's two bodies are most of its bytes; here runs of 16 bytes
//! with nothing to escape are copied whole.

use crate::model::Article;

/// `serde_json::to_vec(a)`, faster.
pub(super) fn article_json(a: &Article) -> Vec<u8> {
    let mut out = Vec::with_capacity(a.body_html.len() + a.body_text.len() + 1024);
    out.push(b'{');
    field(&mut out, "explicit_id");
    opt(&mut out, a.explicit_id.as_deref());
    field(&mut out, "site_name");
    opt(&mut out, a.site_name.as_deref());
    field(&mut out, "title");
    string(&mut out, &a.title);
    field(&mut out, "url");
    opt(&mut out, a.url.as_deref());
    field(&mut out, "date");
    match &a.date {
        // chrono's own form ("2017-08-09", "+10000-01-01"), as serde has it.
        Some(d) => serde_json::to_writer(&mut out, d).expect("a date serializes"),
        None => out.extend_from_slice(b"null"),
    }
    field(&mut out, "standfirst");
    opt(&mut out, a.standfirst.as_deref());
    field(&mut out, "image_url");
    opt(&mut out, a.image_url.as_deref());
    field(&mut out, "caption");
    opt(&mut out, a.caption.as_deref());
    field(&mut out, "image_credit");
    opt(&mut out, a.image_credit.as_deref());
    for (name, list) in [
        ("authors", &a.authors),
        ("tags", &a.tags),
        ("pull_quotes", &a.pull_quotes),
        ("related", &a.related),
        ("themes", &a.themes),
    ] {
        field(&mut out, name);
        out.push(b'[');
        for (i, s) in list.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            string(&mut out, s);
        }
        out.push(b']');
    }
    field(&mut out, "body_html");
    string(&mut out, &a.body_html);
    field(&mut out, "body_text");
    string(&mut out, &a.body_text);
    out.push(b'}');
    out
}

/// `"name":`, after a comma unless it is the first field.
fn field(out: &mut Vec<u8>, name: &str) {
    if out.len() > 1 {
        out.push(b',');
    }
    string(out, name);
    out.push(b':');
}

fn opt(out: &mut Vec<u8>, s: Option<&str>) {
    match s {
        Some(s) => string(out, s),
        None => out.extend_from_slice(b"null"),
    }
}

/// A JSON string as serde_json writes it: `"` and `\` escaped, the C0
/// controls as `\b \t \n \f \r` or `\u00XX` (lowercase hex), all else as is.
fn string(out: &mut Vec<u8>, s: &str) {
    fn needs_escape(c: u8) -> bool {
        c < 0x20 || c == b'"' || c == b'\\'
    }
    let b = s.as_bytes();
    out.push(b'"');
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        // Whole blocks with nothing to escape (a test the compiler
        // vectorises): most of a body.
        if let Some(block) = b.get(i..i + 16)
            && !block.iter().fold(false, |m, &c| m | needs_escape(c))
        {
            i += 16;
            continue;
        }
        let c = b[i];
        if !needs_escape(c) {
            i += 1;
            continue;
        }
        out.extend_from_slice(&b[start..i]);
        match c {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            c => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xf)]);
            }
        }
        i += 1;
        start = i;
    }
    out.extend_from_slice(&b[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        "([a-z <>&=/]|[\\x00-\\x1f\"\\\\\\x7f]|[éЁ\\u{2028}\\u{2029}\\u{fffd}]|\\PC){0,70}"
    }

    fn article() -> impl Strategy<Value = Article> {
        let opt = || proptest::option::of(text());
        let list = || proptest::collection::vec(text(), 0..3);
        (
            (
                opt(),
                opt(),
                text(),
                opt(),
                proptest::option::of(-400_000i32..400_000),
            ),
            (opt(), opt(), opt(), opt()),
            (list(), list(), list(), list(), list()),
            (text(), text()),
        )
            .prop_map(
                |(
                    (explicit_id, site_name, title, url, day),
                    (standfirst, image_url, caption, image_credit),
                    (authors, tags, pull_quotes, related, themes),
                    (body_html, body_text),
                )| Article {
                    explicit_id,
                    site_name,
                    title,
                    url,
                    date: day.and_then(|d| {
                        chrono::NaiveDate::from_num_days_from_ce_opt(730_000 + d * 10)
                    }),
                    standfirst,
                    image_url,
                    caption,
                    image_credit,
                    authors,
                    tags,
                    pull_quotes,
                    related,
                    themes,
                    // Bodies long enough to take the block path too.
                    body_html: body_html.repeat(3),
                    body_text: body_text.repeat(5),
                },
            )
    }

    proptest! {
        #[test]
        fn bytes_are_exactly_serde_json(a in article()) {
            prop_assert_eq!(
                String::from_utf8(article_json(&a)).unwrap(),
                serde_json::to_string(&a).unwrap()
            );
        }
    }

    #[test]
    fn every_byte_and_an_empty_article_are_exactly_serde_json() {
        let mut a = Article::default();
        assert_eq!(article_json(&a), serde_json::to_vec(&a).unwrap());
        let all: String = (0u8..0x80).map(char::from).collect();
        a.body_text = all.repeat(3);
        a.title = all;
        a.date = chrono::NaiveDate::from_ymd_opt(2017, 8, 9);
        assert_eq!(article_json(&a), serde_json::to_vec(&a).unwrap());
    }
}
