//! Property tests: the parsers never panic, whatever the bytes, and their
//! output keeps its invariants (no XML-invalid characters, sanitized HTML).

use newsdesk::parse::{Context, parse_bytes};
use proptest::prelude::*;

const HINTS: [Option<&str>; 5] = [Some("txt"), Some("md"), Some("html"), None, Some("xyz")];

fn check(bytes: &[u8]) {
    let base = url::Url::parse("https://news.example.org/a/").unwrap();
    for ctx in [
        Context { base_url: None },
        Context {
            base_url: Some(&base),
        },
    ] {
        for hint in HINTS {
            if let Ok((_, a)) = parse_bytes(bytes, hint, &ctx) {
                assert!(!a.title.trim().is_empty(), "accepted without a title");
                for s in [&a.title, &a.body_text, &a.body_html] {
                    assert_eq!(newsdesk::util::strip_xml_invalid(s), s.as_str());
                }
                assert!(!a.body_html.to_lowercase().contains("<script"));
            }
        }
    }
}

/// Lines that look like parts of a text export.
fn export_line() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("Read more".to_string()),
        Just("9 August 2017".to_string()),
        Just("2022-10-14".to_string()),
        Just("By Ana Lima".to_string()),
        Just("A title line".to_string()),
        Just("The ferry left at dawn. Nobody expected the storm.".to_string()),
        Just("Nobody expected the storm".to_string()),
        "[a-zA-Zа-яა-ჰ .,“”’!?:<>&]{0,80}",
        any::<String>(),
    ]
}

/// Front matter keys and values, valid and not.
fn front_matter_line() -> impl Strategy<Value = String> {
    let key = prop_oneof![
        Just("title"),
        Just("date"),
        Just("id"),
        Just("url"),
        Just("tags"),
        Just("authors"),
        Just("author"),
        Just("image"),
        Just("themes"),
        Just("summary"),
        Just("weird"),
    ];
    let value = prop_oneof![
        Just("x".to_string()),
        Just("[a, b".to_string()),
        Just("[a, b]".to_string()),
        Just("{ url: /i.jpg, caption: c }".to_string()),
        Just("2022-10-14T09:30:00Z".to_string()),
        Just("\"javascript:alert(1)\"".to_string()),
        Just("- a".to_string()),
        Just("".to_string()),
        "[ -~]{0,30}",
    ];
    (key, prop_oneof![Just(": "), Just(" = "), Just(":")], value)
        .prop_map(|(k, sep, v)| format!("{k}{sep}{v}"))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        check(&bytes);
    }

    #[test]
    fn arbitrary_text_never_panics(s in any::<String>()) {
        check(s.as_bytes());
    }

    #[test]
    fn random_export_layouts_never_panic(
        lines in proptest::collection::vec(export_line(), 0..40),
        crlf in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let mut s = lines.join(if crlf { "\r\n" } else { "\n" });
        if bom {
            s.insert(0, '\u{feff}');
        }
        check(s.as_bytes());
    }

    #[test]
    fn random_front_matter_never_panics(
        fence in prop_oneof![Just("---"), Just("+++")],
        fm in proptest::collection::vec(front_matter_line(), 0..12),
        close in any::<bool>(),
        body in proptest::collection::vec(export_line(), 0..10),
    ) {
        let mut s = format!("{fence}\n{}\n", fm.join("\n"));
        if close {
            s.push_str(fence);
            s.push('\n');
        }
        s.push_str(&body.join("\n"));
        check(s.as_bytes());
    }

    #[test]
    fn random_markdown_bodies_never_panic(
        parts in proptest::collection::vec(prop_oneof![
            Just("# H1".to_string()),
            Just("> quoted text that repeats".to_string()),
            Just("quoted text that repeats here.".to_string()),
            Just("![i](/x.png)".to_string()),
            Just("<script>x</script>".to_string()),
            Just("| a | b |\n|---|---|\n| 1 | 2 |".to_string()),
            Just("[^1]: note".to_string()),
            Just("```\ncode\n```".to_string()),
            export_line(),
        ], 0..20),
    ) {
        check(parts.join("\n\n").as_bytes());
    }
}

#[test]
fn generated_full_export_always_parses_with_its_title() {
    // A deterministic layout sweep: every subset of the optional head parts.
    let title = "A journey along the old military road";
    for mask in 0..32u32 {
        let mut s = String::new();
        if mask & 1 != 0 {
            s.push_str("Road Review\n\n");
        }
        s.push_str(title);
        s.push_str("\n\n");
        if mask & 2 != 0 {
            s.push_str(title);
            s.push_str("\nThe pass in winter\n\n");
        }
        if mask & 4 != 0 {
            s.push_str("Three days on the road between two capitals, told by the drivers who know it best and the cooks who feed them\n\n");
        }
        if mask & 8 != 0 {
            s.push_str("9 August 2017\n\n");
        }
        s.push_str("The road climbs for a day. Snow closes it in winter.\n\nDrivers wait at the foot of the pass.");
        if mask & 16 != 0 {
            s.push_str(&format!(
                "\n\nRead more\n\n{title}\n\nOther road\n\n{title}\n\nThird road"
            ));
        }
        let (_, a) = parse_bytes(s.as_bytes(), Some("txt"), &Context { base_url: None })
            .unwrap_or_else(|e| panic!("mask {mask}: {e}\n{s}"));
        assert_eq!(a.title, title, "mask {mask}\n{s}");
        assert_eq!(a.site_name.is_some(), mask & 1 != 0, "mask {mask}");
        assert_eq!(a.caption.is_some(), mask & 2 != 0, "mask {mask}");
        assert_eq!(
            a.standfirst.is_some(),
            mask & 4 != 0,
            "mask {mask}: {:?}",
            a.standfirst
        );
        assert_eq!(a.date.is_some(), mask & 8 != 0, "mask {mask}");
        assert_eq!(
            a.related.len(),
            if mask & 16 != 0 { 2 } else { 0 },
            "mask {mask}"
        );
        assert_eq!(
            a.body_text,
            "The road climbs for a day. Snow closes it in winter.\n\nDrivers wait at the foot of the pass.",
            "mask {mask}"
        );
    }
}
