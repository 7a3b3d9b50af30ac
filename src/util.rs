//! Small helpers shared across stages.

use sha2::{Digest, Sha256};

/// Lowercase hex SHA-256 of some bytes (content hashes, change detection).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
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
/// U+FFFE/U+FFFF; lone surrogates cannot occur in a Rust string). Feeds and
/// emails are built from this text, so one stray byte must not break them.
pub fn strip_xml_invalid(s: &str) -> std::borrow::Cow<'_, str> {
    fn bad(c: char) -> bool {
        matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}')
    }
    // Every file, field and feed body passes through here and almost none
    // holds anything to strip, so bytes are screened first, a block at a time
    // with a branch-free test the compiler vectorises: the forbidden
    // characters are C0 controls other than tab, LF, CR, and U+FFFE/U+FFFF
    // (EF BF BE/BF).
    let b = s.as_bytes();
    let bad_at = |i: usize| {
        let c = b[i];
        (c < 0x20 && !matches!(c, b'\t' | b'\n' | b'\r'))
            || (c == 0xEF
                && b.get(i + 1) == Some(&0xBF)
                && matches!(b.get(i + 2), Some(0xBE | 0xBF)))
    };
    let suspect = b.chunks(64).enumerate().any(|(n, block)| {
        let maybe = block
            .iter()
            .fold(false, |m, &c| m | (c < 0x20) | (c == 0xEF));
        maybe && (n * 64..n * 64 + block.len()).any(bad_at)
    });
    if suspect {
        s.chars().filter(|&c| !bad(c)).collect::<String>().into()
    } else {
        s.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            ("x\u{fffe}y\u{ffff}z\u{fffd}", "xyz\u{fffd}"),
            ("\u{efbf}\u{bfbe}", "\u{efbf}\u{bfbe}"),
        ] {
            assert_eq!(strip_xml_invalid(raw), clean);
        }
        assert!(matches!(
            strip_xml_invalid("plain \u{e9}t\u{e9} \u{ffee}"),
            std::borrow::Cow::Borrowed(_)
        ));
        // A control character past the first 64-byte block is still found.
        let long = format!("{}\u{1}", "a".repeat(130));
        assert_eq!(strip_xml_invalid(&long), "a".repeat(130));
    }
}
