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
    // Byte scan first: every file and field passes through here, and the
    // forbidden characters are C0 controls or start with byte 0xEF.
    let suspicious = s
        .bytes()
        .any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF);
    if suspicious && s.chars().any(bad) {
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
}
