//! Fuzzes the html parser through `parse_bytes` with the `.html` hint: it must
//! never panic, and what it accepts must have a title and clean text.
#![no_main]

use libfuzzer_sys::fuzz_target;
use newsdesk::parse::{Context, parse_bytes};

fuzz_target!(|data: &[u8]| {
    let base = url::Url::parse("https://news.example.org/a/").unwrap();
    let ctx = Context {
        base_url: Some(&base),
    };
    if let Ok((_, a)) = parse_bytes(data, Some("html"), &ctx) {
        assert!(!a.title.trim().is_empty());
        assert_eq!(
            newsdesk::util::strip_xml_invalid(&a.body_html),
            a.body_html.as_str()
        );
        // Every body goes through the sanitizer (or a writer that must
        // match it byte for byte), which never lets a script through.
        assert!(!a.body_html.to_ascii_lowercase().contains("<script"));
    }
});
