//! Fuzzes the text parser through `parse_bytes` with the `.txt` hint: it must
//! never panic, and what it accepts must have a title and clean text, and
//! its directly written body HTML must be the sanitizer's.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdesk::model::Format;
use newsdesk::parse::sanitize::sanitize_html;
use newsdesk::parse::{Context, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://news.example.org/a/").unwrap();
    let ctx = Context {
        base_url: Some(&base),
    };
    if let Ok((format, a)) = parse_bytes(data, Some("txt"), &ctx) {
        assert!(!a.title.trim().is_empty());
        assert_eq!(
            newsdesk::util::strip_xml_invalid(&a.body_html),
            a.body_html.as_str()
        );
        // Every body goes through the sanitizer (or a writer that must
        // match it byte for byte), which never lets a script through.
        assert!(!a.body_html.to_ascii_lowercase().contains("<script"));
        // The text parser writes its paragraphs' HTML directly; it must be
        // what the sanitizer makes of them (paragraphs hold no line breaks,
        // so `body_text` gives them back).
        if format == Format::Text {
            let mut html = String::new();
            if !a.body_text.is_empty() {
                for (i, p) in a.body_text.split("\n\n").enumerate() {
                    if i > 0 {
                        html.push('\n');
                    }
                    html.push_str("<p>");
                    newsdesk::util::escape_html_into(&mut html, p);
                    html.push_str("</p>");
                }
            }
            assert_eq!(a.body_html, sanitize_html(&html, None));
        }
    }
});
