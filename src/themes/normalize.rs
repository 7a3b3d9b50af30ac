//! Folding text and terms to one comparable form, so that matching is a plain
//! substring search: lowercase, compatibility-decomposed with combining marks
//! removed ("Kinó" = "kino", "Ёлка" = "елка"), apostrophes and modifier letters
//! dropped inside words ("T'bilisi" = "Tʼbilisi" = "Tbilisi"), and every run of
//! other non-alphanumeric characters turned into one space.
//!
//! The folded form is a sequence of words each followed by one space; callers
//! put a space in front, so a word is always found as `" word "` and a prefix
//! as `" word"`: that is how word boundaries are enforced ("Oscar" never
//! matches inside "Oscarsson").

use unicode_normalization::char::{decompose_compatible, is_combining_mark};

/// Appends the folded form of `text` to `out` (each word followed by a space)
/// and returns the number of words appended.
pub fn fold_into(text: &str, out: &mut String) -> usize {
    let mut f = Folder {
        out,
        in_word: false,
        words: 0,
    };
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Fast path (most archive text is mostly ASCII): a byte table says
        // whether a byte is an ASCII letter or digit, ends the word, or
        // needs the general path (apostrophes and non-ASCII).
        match BYTE_CLASS[usize::from(bytes[i])] {
            SEPARATOR => {
                f.end_word();
                i += 1;
            }
            APOSTROPHE => {
                i += 1;
                f.apostrophe(&text[i..]);
            }
            NOT_ASCII => i = f.non_ascii(text, i),
            _ => i = f.ascii_run(text, i), // WORD
        }
    }
    f.end_word();
    f.words
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGH: u64 = 0x8080_8080_8080_8080;

/// For eight ASCII bytes (little-endian in `x`): the high bit of each byte
/// of the result says whether that byte is in `lo..=hi`. With every byte
/// below 0x80 no sum carries into the next byte.
const fn in_range(x: u64, lo: u8, hi: u8) -> u64 {
    let at_least_lo = x.wrapping_add(ONES * (0x80 - lo as u64));
    let above_hi = x.wrapping_add(ONES * (0x7F - hi as u64));
    at_least_lo & !above_hi & HIGH
}

/// Which of eight bytes are ASCII letters or digits, and which are spaces
/// (as high bits of each byte); `None` if any byte is not ASCII.
fn classify8(x: u64) -> Option<(u64, u64)> {
    if x & HIGH != 0 {
        return None;
    }
    let letter = in_range(x | (ONES * 0x20), b'a', b'z');
    let digit = in_range(x, b'0', b'9');
    Some((letter | digit, in_range(x, b' ', b' ')))
}

/// Whether `b` is an ASCII letter or digit (by the fold table).
fn is_word_byte(b: u8) -> bool {
    BYTE_CLASS[usize::from(b)] == WORD
}

/// The folded form of `text` as a new string (words each followed by a space).
pub fn fold(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 1);
    fold_into(text, &mut s);
    s
}

const SEPARATOR: u8 = 0;
const APOSTROPHE: u8 = 1;
const NOT_ASCII: u8 = 2;
const WORD: u8 = 3;

/// For each byte: what it does to the word being built.
static BYTE_CLASS: [u8; 256] = {
    let mut t = [SEPARATOR; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        t[b] = if c >= 0x80 {
            NOT_ASCII
        } else if c.is_ascii_alphanumeric() {
            WORD
        } else if c == b'\'' || c == b'`' {
            APOSTROPHE
        } else {
            SEPARATOR
        };
        b += 1;
    }
    t
};

struct Folder<'a> {
    out: &'a mut String,
    in_word: bool,
    words: usize,
}

impl Folder<'_> {
    fn push(&mut self, c: char) {
        self.out.push(c);
        self.in_word = true;
    }

    /// Folds the run of ASCII words starting at byte `start` of `text` (an
    /// ASCII letter or digit) and returns where the run ends. In such a run
    /// (letters and digits, each word followed by at most one plain space)
    /// the folded form is the text itself lowercased, so it is copied and
    /// lowercased in bulk rather than pushed byte by byte.
    fn ascii_run(&mut self, text: &str, start: usize) -> usize {
        let bytes = text.as_bytes();
        let mut i = start + 1;
        let mut spaces = 0;
        let mut after_word = true;
        // Eight bytes at a time while they are all inside the run.
        while let Some(chunk) = bytes[i..].first_chunk::<8>() {
            let Some((word, space)) = classify8(u64::from_le_bytes(*chunk)) else {
                break;
            };
            // A space must follow a word (the byte before it, or the run
            // so far for the first byte).
            let word_before = (word << 8) | if after_word { 0x80 } else { 0 };
            if word | space != HIGH || space & !word_before != 0 {
                break;
            }
            spaces += space.count_ones() as usize;
            after_word = word >> 63 != 0;
            i += 8;
        }
        // Then (where the run ends) one test per byte (no inner loop per word), so the branch is
        // mispredicted only where the run ends, not at every word's end.
        while let Some(&b) = bytes.get(i) {
            let word = is_word_byte(b);
            // One space after a word ends it exactly as `end_word` would.
            let space = b == b' ' && after_word;
            if !(word || space) {
                break;
            }
            spaces += usize::from(space);
            after_word = word;
            i += 1;
        }
        self.in_word = after_word;
        let at = self.out.len();
        // `start` and `i` are at ASCII bytes (or the end): char boundaries.
        self.out.push_str(&text[start..i]);
        self.out[at..].make_ascii_lowercase();
        self.words += spaces;
        i
    }

    /// Letters that have no decomposition but that editors and sources
    /// routinely write without their stroke or ligature.
    fn push_folded(&mut self, c: char) {
        match c {
            'ø' => self.push('o'),
            'ł' => self.push('l'),
            'đ' | 'ð' => self.push('d'),
            'ı' => self.push('i'),
            'ß' => {
                self.push('s');
                self.push('s');
            }
            'æ' => {
                self.push('a');
                self.push('e');
            }
            'œ' => {
                self.push('o');
                self.push('e');
            }
            'þ' => {
                self.push('t');
                self.push('h');
            }
            c if c.is_alphanumeric() => self.push(c),
            _ => self.end_word(),
        }
    }

    /// Folds the non-ASCII character at byte `i` of `text`; returns where
    /// the next one starts.
    fn non_ascii(&mut self, text: &str, i: usize) -> usize {
        let c = text[i..].chars().next().unwrap_or(' ');
        let next = i + c.len_utf8();
        if is_apostrophe(c) {
            self.apostrophe(&text[next..]);
        } else if !is_invisible_joiner(c) {
            decompose_compatible(c, |d| {
                // A combining mark or modifier letter leaves the word intact.
                if is_combining_mark(d) || is_modifier_letter(d) {
                    return;
                }
                for l in d.to_lowercase() {
                    self.push_folded(l);
                }
            });
        }
        next
    }

    fn end_word(&mut self) {
        if self.in_word {
            self.out.push(' ');
            self.words += 1;
            self.in_word = false;
        }
    }

    /// An apostrophe inside a word joins ("T'bilisi" → "tbilisi"), except
    /// before a final "s", where it is an English possessive ("Balagov's" →
    /// "balagov s", so "Balagov" still matches). Anywhere else it separates.
    fn apostrophe(&mut self, rest: &str) {
        let mut ahead = rest.chars();
        let next = ahead.next();
        match next {
            Some(n) if self.in_word && n.is_alphanumeric() => {
                if matches!(n, 's' | 'S') && !ahead.next().is_some_and(char::is_alphanumeric) {
                    self.end_word();
                }
                // otherwise: join, push nothing
            }
            _ => self.end_word(),
        }
    }
}

fn is_apostrophe(c: char) -> bool {
    matches!(
        c,
        '\u{2018}' // ‘
            | '\u{2019}' // ’
            | '\u{201B}' // ‛
            | '\u{00B4}' // ´
            | '\u{2032}' // ′
            | '\u{055A}' // Armenian apostrophe
            | '\u{FF07}' // fullwidth '
    )
}

/// Spacing modifier letters (ʼ ʻ ʰ ʹ …) mark aspiration, ejectives or a
/// transliterated apostrophe ("Tʻbilisi", "Kʼakheti"); they are dropped so the
/// plain spelling matches.
fn is_modifier_letter(c: char) -> bool {
    ('\u{02B0}'..='\u{02FF}').contains(&c)
}

/// Soft hyphens and zero-width characters inside a word are invisible to a
/// reader, so they must not split it.
fn is_invisible_joiner(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fold_into's ASCII path as it was before the byte table: the oracle
    /// for it (non-ASCII characters take the same path in both).
    fn fold_reference(text: &str) -> (String, usize) {
        let mut out = String::new();
        let mut f = Folder {
            out: &mut out,
            in_word: false,
            words: 0,
        };
        let bytes = text.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            if b.is_ascii_alphanumeric() {
                let start = i;
                while i < bytes.len() && bytes[i].is_ascii_alphanumeric() {
                    i += 1;
                }
                let at = f.out.len();
                f.out.push_str(&text[start..i]);
                f.out[at..].make_ascii_lowercase();
                f.in_word = true;
                continue;
            }
            if b.is_ascii() {
                i += 1;
                if b == b'\'' || b == b'`' {
                    f.apostrophe(&text[i..]);
                } else {
                    f.end_word();
                }
                continue;
            }
            i = f.non_ascii(text, i);
        }
        f.end_word();
        let words = f.words;
        (out, words)
    }

    proptest::proptest! {
        #[test]
        fn byte_table_folds_like_the_reference(
            text in "([A-Za-z0-9 ,.'`’ʼ\\-]|[\\x00-\\x7f]|[éßØłЁЙ\\u{00AD}\\u{0301}\\u{2019}]|\\PC){0,80}"
        ) {
            let mut out = String::new();
            let words = fold_into(&text, &mut out);
            proptest::prop_assert_eq!((out, words), fold_reference(&text));
        }
    }

    proptest::proptest! {
        /// Long runs of words and single spaces (the bulk-copied runs), cut
        /// by apostrophes, double spaces, punctuation and non-ASCII at
        /// their edges.
        #[test]
        fn word_runs_fold_like_the_reference(
            parts in proptest::collection::vec(
                "[A-Za-z0-9]{1,12}|[ ]|[ ]{2,3}|['`’ʼ]|[sS]|[,.\n\t\\-]|[éßØЁ\u{00AD}\u{0301}]|\\PC",
                0..200,
            )
        ) {
            let text = parts.concat();
            let mut out = String::new();
            let words = fold_into(&text, &mut out);
            proptest::prop_assert_eq!((out, words), fold_reference(&text));
        }
    }

    /// Every byte at every offset of the eight-byte chunks of a run, and
    /// runs of every length around the chunk size.
    #[test]
    fn every_byte_at_every_chunk_offset_folds_like_the_reference() {
        let base = "Abcdefg hijKlmno pqrst uvwxyz 0123 456789 ABCDEFGH";
        for b in (0u8..0x80)
            .map(char::from)
            .chain(['é', '’', 'ʼ', '\u{00AD}'])
        {
            for pos in 0..base.len() {
                for text in [
                    format!("{}{b}{}", &base[..pos], &base[pos..]),
                    format!("{}{b}{}", &base[..pos], &base[pos + 1..]),
                    format!("{}{b}", &base[..pos]),
                    format!(" {}{b}{b}", &base[pos..]),
                ] {
                    let mut out = String::new();
                    let words = fold_into(&text, &mut out);
                    assert_eq!((out, words), fold_reference(&text), "{text:?}");
                }
            }
        }
    }

    #[test]
    fn classify8_marks_exactly_ascii_words_and_spaces() {
        for b in 0u8..0x80 {
            for lane in 0..8 {
                let mut bytes = [b'x'; 8];
                bytes[lane] = b;
                let (word, space) = classify8(u64::from_le_bytes(bytes)).unwrap();
                let bit = 0x80u64 << (8 * lane);
                assert_eq!(word & bit != 0, b.is_ascii_alphanumeric(), "{b:#x}");
                assert_eq!(space & bit != 0, b == b' ', "{b:#x}");
            }
        }
        assert!(classify8(u64::from_le_bytes(*b"abc\xc3\xa9def")).is_none());
    }

    #[test]
    fn every_ascii_byte_folds_like_the_reference() {
        for b in 0u8..0x80 {
            for text in [
                format!("{}", b as char),
                format!("ab{}cd", b as char),
                format!("ab{}s x", b as char),
            ] {
                let mut out = String::new();
                let words = fold_into(&text, &mut out);
                assert_eq!((out, words), fold_reference(&text), "{b:#x}");
            }
        }
    }

    #[test]
    fn case_punctuation_and_hyphens_become_single_spaces() {
        assert_eq!(
            fold("Kabardino-Balkaria, 1998!"),
            "kabardino balkaria 1998 "
        );
        assert_eq!(fold("  The   FILM\n\nschool "), "the film school ");
        assert_eq!(fold(""), "");
    }

    #[test]
    fn diacritics_are_folded_in_latin_and_cyrillic() {
        assert_eq!(
            fold("Café Kinó Łódź Søren Straße"),
            "cafe kino lodz soren strasse "
        );
        assert_eq!(fold("Ёлка Йошкар"), "елка иошкар ");
        assert_eq!(fold("ﬁlm"), "film ");
    }

    #[test]
    fn apostrophes_and_modifier_letters_join_words() {
        for s in ["T'bilisi", "T’bilisi", "Tʼbilisi", "Tʻbilisi", "Tbilisi"] {
            assert_eq!(fold(s), "tbilisi ", "{s}");
        }
        assert_eq!(fold("Palme d’Or"), "palme dor ");
    }

    #[test]
    fn possessive_s_leaves_the_name_a_word() {
        assert_eq!(fold("Balagov's film"), "balagov s film ");
        assert_eq!(fold("Balagov’s"), "balagov s ");
        assert_eq!(fold("the directors' cut"), "the directors cut ");
    }

    #[test]
    fn georgian_armenian_and_cyrillic_letters_are_words() {
        assert_eq!(fold("თბილისი, Երևան; НАЛЬЧИК"), "თბილისი երեւան нальчик ");
    }

    #[test]
    fn soft_hyphen_does_not_split_a_word() {
        assert_eq!(fold("Nal\u{00AD}chik"), "nalchik ");
    }

    #[test]
    fn word_count_is_returned() {
        let mut s = String::new();
        assert_eq!(fold_into("one, two — three", &mut s), 3);
    }
}
