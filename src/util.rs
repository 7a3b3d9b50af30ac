//! Small helpers shared across stages.

use sha2::{Digest, Sha256};

pub mod words;

/// Lowercase hex SHA-256 of some bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What the store remembers to tell whether a file's or an article's bytes
/// changed: a 128-bit XXH3, tagged. (Stores written by earlier builds hold SHA-256
/// hex, see [`is_legacy_hash`].) Hashing is per byte of every file and every
/// article on a cold ingest, and SHA-256 cost 6% of it; nothing here needs a
/// cryptographic hash, only one that changes when the bytes do.
pub fn content_hash(bytes: &[u8]) -> String {
    format!("xxh3:{:032x}", xxhash_rust::xxh3::xxh3_128(bytes))
}

/// Whether a stored hash predates [`content_hash`] (SHA-256 hex): compare
/// it with [`sha256_hex`] of the bytes instead.
pub fn is_legacy_hash(stored: &str) -> bool {
    stored.len() == 64 && stored.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Whether `bytes` are what `stored` (either kind of hash) was made from;
/// `hash` is their [`content_hash`].
pub fn same_hash<B: AsRef<[u8]>>(stored: &str, hash: &str, bytes: impl FnOnce() -> B) -> bool {
    if is_legacy_hash(stored) {
        stored == sha256_hex(bytes().as_ref())
    } else {
        stored == hash
    }
}

/// Appends `s` escaped for HTML/XML text and attribute values.
pub fn escape_html_into(out: &mut String, s: &str) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
}

/// Removes characters XML 1.0 forbids (C0 controls other than tab, CR, LF;
/// U+FFFE/U+FFFF; lone surrogates cannot occur in a Rust string), and the
/// two that feed validators reject as mojibake: C1 controls (Windows-1252
/// bytes read as Latin-1) and U+FFFD (bytes no decoder could read, as a
/// real Korean page had). Feeds and emails are built from this text, so one
/// stray byte must not break them.
pub fn strip_xml_invalid(s: &str) -> std::borrow::Cow<'_, str> {
    fn bad(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{80}'..='\u{9f}' | '\u{fffd}' | '\u{fffe}' | '\u{ffff}')
    }
    // Every file, field and feed body passes through here and almost none
    // holds anything to strip, so bytes are screened first, a block at a time
    // with a branch-free test the compiler vectorises: the removed
    // characters are C0 controls other than tab, LF, CR, C1 controls
    // (C2 80..9F) and U+FFFD/U+FFFE/U+FFFF (EF BF BD/BE/BF).
    let b = s.as_bytes();
    let bad_at = |i: usize| {
        let c = b[i];
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || (c == 0xC2 && matches!(b.get(i + 1), Some(0x80..=0x9F)))
            || (c == 0xEF
                && b.get(i + 1) == Some(&0xBF)
                && matches!(b.get(i + 2), Some(0xBD..=0xBF)))
    };
    let suspect = b.chunks(64).enumerate().any(|(n, block)| {
        // Tab, LF and CR are excluded here too: almost every block of a
        // body holds a newline, and flagging it sent the block to the
        // byte-by-byte check below.
        let maybe = block.iter().fold(false, |m, &c| {
            m | ((c < 0x20) & (c != b'\t') & (c != b'\n') & (c != b'\r'))
                | (c == 0xEF)
                | (c == 0xC2)
        });
        maybe && (n * 64..n * 64 + block.len()).any(bad_at)
    });
    if suspect {
        s.chars().filter(|&c| !bad(c)).collect::<String>().into()
    } else {
        s.into()
    }
}

/// `s` with anything that looks like a markup tag (`<` then a letter, `/`,
/// `!` or `?`, up to the next `>`) removed: inline tags without a trace,
/// others replaced by a space; a `<` that starts no tag ("x < 3") stays. Titles, standfirsts and captions are plain text by
/// contract, so a tag in one (a JSON-LD headline with `<em>`, a front-matter
/// title with `<b>`) is a leftover of the source's own markup: feeds and
/// digests both drop it this way, and so show the same title.
pub fn strip_tags(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.contains('<') {
        return s.into();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let tagish = after
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '/' || c == '!' || c == '?');
        match after.find('>') {
            Some(j) if tagish => {
                // Inline tags go without a trace ("<em>Closeness</em>'s"
                // stays one word); others part words as a line break would.
                if !is_inline_tag(&after[..j]) {
                    out.push(' ');
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out.into()
}

/// True for the inside of an inline-formatting tag (`em`, `/b`, `span class="x"`).
fn is_inline_tag(tag: &str) -> bool {
    let name = tag.trim_start_matches('/');
    let end = name
        .find(|c: char| !c.is_ascii_alphanumeric())
        .unwrap_or(name.len());
    const INLINE: [&str; 17] = [
        "a", "abbr", "b", "cite", "code", "em", "font", "i", "mark", "q", "s", "small", "span",
        "strong", "sub", "sup", "u",
    ];
    INLINE.iter().any(|t| t.eq_ignore_ascii_case(&name[..end]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_go_inline_ones_without_a_trace_and_comparisons_stay() {
        assert_eq!(
            strip_tags("<em>Closeness</em>’s debut"),
            "Closeness’s debut"
        );
        assert_eq!(strip_tags("one<br>two<p>three"), "one two three");
        assert_eq!(strip_tags("<SPAN class=\"x\">a</SPAN>b"), "ab");
        assert_eq!(strip_tags("x < 3 > 2 and <3"), "x < 3 > 2 and <3");
        assert_eq!(strip_tags("<script>x()</script>"), " x() ");
        assert!(matches!(
            strip_tags("no tags"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn content_hash_is_tagged_and_legacy_sha256_still_compares() {
        let h = content_hash(b"abc");
        assert_eq!(h.len(), "xxh3:".len() + 32);
        assert!(h.starts_with("xxh3:") && !is_legacy_hash(&h));
        assert_ne!(h, content_hash(b"abd"));
        let legacy = sha256_hex(b"abc");
        assert!(is_legacy_hash(&legacy));
        assert!(same_hash(&legacy, &h, || b"abc"));
        assert!(!same_hash(&legacy, &content_hash(b"abd"), || b"abd"));
        assert!(same_hash(&h, &h, || -> &[u8] { unreachable!("no rehash") }));
        assert!(!same_hash(&h, &content_hash(b"x"), || -> &[u8] {
            unreachable!("no rehash")
        }));
    }

    #[test]
    fn xml_invalid_controls_are_removed_and_whitespace_kept() {
        assert_eq!(
            strip_xml_invalid("a\u{0}b\u{1b}c\td\ne\u{ffff}"),
            "abc\td\ne"
        );
        assert!(matches!(
            strip_xml_invalid("plain"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn xml_invalid_characters_are_found_by_the_byte_scan() {
        for (raw, clean) in [
            ("a\u{0}b\u{1b}c\td\ne\r", "abc\td\ne\r"),
            ("x\u{fffe}y\u{ffff}z\u{fffd}", "xyz"),
            ("\u{efbf}\u{bfbe}", "\u{efbf}\u{bfbe}"),
            // C1 controls go; the rest of C2 xx (NBSP, «, °) stays.
            (
                "a\u{80}b\u{9f}c\u{a0}d\u{ab}\u{b0}",
                "abc\u{a0}d\u{ab}\u{b0}",
            ),
        ] {
            assert_eq!(strip_xml_invalid(raw), clean);
        }
        assert!(matches!(
            strip_xml_invalid("plain \u{e9}t\u{e9} \u{ffee} \u{a0}\u{fffc}"),
            std::borrow::Cow::Borrowed(_)
        ));
        // A control character past the first 64-byte block is still found.
        let long = format!("{}\u{1}", "a".repeat(130));
        assert_eq!(strip_xml_invalid(&long), "a".repeat(130));
    }

    proptest::proptest! {
        #[test]
        fn byte_screen_strips_exactly_what_the_char_filter_does(
            text in "([a-z \\t\\n\\r]|[\\x00-\\x1f]|[\\u{80}-\\u{bf}]|[\\u{fff0}-\\u{ffff}]|\\PC){0,300}"
        ) {
            let want: String = text
                .chars()
                .filter(|c| !matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{80}'..='\u{9f}' | '\u{fffd}' | '\u{fffe}' | '\u{ffff}'))
                .collect();
            let got = strip_xml_invalid(&text);
            proptest::prop_assert_eq!(got.as_ref(), want.as_str());
            // Nothing to strip: the text itself comes back, not a copy.
            proptest::prop_assert_eq!(matches!(got, std::borrow::Cow::Borrowed(_)), want == text);
        }
    }
}
