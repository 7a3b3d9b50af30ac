//! Whitespace collapsing: the words of a text (runs split at
//! `char::is_whitespace`) joined by single spaces, trimmed — what
//! `s.split_whitespace().collect::<Vec<_>>().join(" ")` gives, without the
//! vector. Every parser runs nearly every line, node and field through it, so
//! it copies stretches that are already normal whole instead of one word at a
//! time, and finds whitespace in the UTF-8 bytes without decoding characters.

/// `s` with its whitespace runs collapsed to single spaces and its ends
/// trimmed.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    append::<false>(s, &mut out, &mut false, false);
    out
}

/// Appends the words of `s` to `out`, single-spaced, as [`collapse_ws`] of a
/// text that continues what `out` holds: `gap` says whether whitespace came
/// last (read and updated), so that feeding the pieces of a text one by one
/// into an empty `out` gives [`collapse_ws`] of the whole.
pub fn collapse_ws_append(s: &str, out: &mut String, gap: &mut bool) {
    let started = !out.is_empty();
    append::<false>(s, out, gap, started);
}

/// Appends the words of `s` to `out`, one space between them (none before
/// the first), and returns whether there were any. With `zero_width`, the
/// zero-width space (U+200B) and word joiner (U+2060) also separate words
/// and are dropped, as exports leave them around lines.
pub fn push_words(out: &mut String, s: &str, zero_width: bool) -> bool {
    let before = out.len();
    if zero_width {
        append::<true>(s, out, &mut false, false);
    } else {
        append::<false>(s, out, &mut false, false);
    }
    out.len() > before
}

/// The one implementation: appends the words of `s` (separated by
/// whitespace, and with `ZW` by U+200B and U+2060 too) to `out`. A space
/// goes before the first word if `started` and whitespace came before it
/// (`gap`, or at the start of `s`); `gap` is set when `s` ends in whitespace.
#[inline(always)]
fn append<const ZW: bool>(s: &str, out: &mut String, gap: &mut bool, started: bool) {
    let b = s.as_bytes();
    let len = b.len();
    let mut i = 0;
    // Leading whitespace.
    while i < len {
        match sep_len::<ZW>(b, i) {
            0 => break,
            n => i += n,
        }
    }
    if i == len {
        *gap |= i > 0;
        return;
    }
    if (*gap || i > 0) && started {
        out.push(' ');
    }
    *gap = false;
    // `s[start..i]` is normal text not yet copied; `i` never lies inside a
    // whitespace run.
    let mut start = i;
    while i < len {
        // Most text is words and single ASCII spaces: skip 16 bytes at a
        // time while a branch-free test (which the compiler vectorises)
        // finds no byte that could start other whitespace and no two spaces
        // in a row. The 17th byte is looked at too, since a space ending the
        // block followed by whitespace starts a run to collapse.
        let end = match b.get(i..i + 17) {
            Some(w) => {
                let mut bad = suspect(w[16]);
                for k in 0..16 {
                    bad |= suspect(w[k]) | ((w[k] == b' ') & (w[k + 1] == b' '));
                }
                if !bad {
                    i += 16;
                    continue;
                }
                i + 16
            }
            None => len,
        };
        // Byte by byte up to the end of the suspect block.
        while i < end {
            let c = b[i];
            if !WS_START[usize::from(c)] {
                i += 1;
                continue;
            }
            // The common case: one space between two words.
            if c == b' ' && i + 1 < len && !WS_START[usize::from(b[i + 1])] {
                i += 2;
                continue;
            }
            let n = sep_len::<ZW>(b, i);
            if n == 0 {
                i += 1;
                continue;
            }
            let ws_start = i;
            i += n;
            while i < len {
                match sep_len::<ZW>(b, i) {
                    0 => break,
                    n => i += n,
                }
            }
            if i == len {
                // Trailing whitespace.
                out.push_str(&s[start..ws_start]);
                *gap = true;
                return;
            }
            // A single ASCII space between words is already normal.
            if !(i == ws_start + 1 && c == b' ') {
                out.push_str(&s[start..ws_start]);
                out.push(' ');
                start = i;
            }
        }
    }
    out.push_str(&s[start..]);
}

/// Whether byte `c` may start whitespace other than the ASCII space: ASCII
/// tab to carriage return, or a UTF-8 lead byte of a wider whitespace (or
/// zero-width) character. Branch-free, for the block test.
#[inline(always)]
fn suspect(c: u8) -> bool {
    (c.wrapping_sub(b'\t') <= b'\r' - b'\t') | (c == 0xC2) | (c.wrapping_sub(0xE1) <= 2)
}

/// Bytes that can start a whitespace character: ASCII whitespace and the
/// UTF-8 lead bytes of the others (which also start U+200B and U+2060).
const WS_START: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = matches!(i, 0x09..=0x0d | 0x20 | 0xC2 | 0xE1 | 0xE2 | 0xE3);
        i += 1;
    }
    t
};

/// Byte length of the whitespace character (as `char::is_whitespace` sees
/// it) starting at `b[i]`, or 0. `b` is valid UTF-8 and `i` either a char
/// boundary or a continuation byte (never whitespace: the non-ASCII
/// whitespace characters all start with 0xC2, 0xE1, 0xE2 or 0xE3, which are
/// lead bytes).
#[inline(always)]
pub fn ws_len(b: &[u8], i: usize) -> usize {
    sep_len::<false>(b, i)
}

/// [`ws_len`], counting U+200B and U+2060 as separators too if `ZW`.
#[inline(always)]
fn sep_len<const ZW: bool>(b: &[u8], i: usize) -> usize {
    let c = b[i];
    if c < 0x80 {
        return usize::from(matches!(c, b' ' | b'\t'..=b'\r'));
    }
    match c {
        // U+0085, U+00A0
        0xC2 if matches!(b[i + 1], 0x85 | 0xA0) => 2,
        // U+1680
        0xE1 if b[i + 1] == 0x9A && b[i + 2] == 0x80 => 3,
        // U+2000..=U+200A, U+2028, U+2029, U+202F, U+205F
        0xE2 if matches!(
            (b[i + 1], b[i + 2]),
            (0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF) | (0x81, 0x9F)
        ) =>
        {
            3
        }
        // U+200B, U+2060
        0xE2 if ZW && matches!((b[i + 1], b[i + 2]), (0x80, 0x8B) | (0x81, 0xA0)) => 3,
        // U+3000
        0xE3 if b[i + 1] == 0x80 && b[i + 2] == 0x80 => 3,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition [`collapse_ws`] must match.
    fn reference(s: &str) -> String {
        s.split_whitespace().collect::<Vec<_>>().join(" ")
    }

    /// The definition of the zero-width variant.
    fn reference_zero_width(s: &str) -> String {
        s.split(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{2060}'))
            .filter(|w| !w.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// [`push_words`] with zero-width separators, onto a fresh string.
    fn collapse_zero_width(s: &str) -> String {
        let mut out = String::new();
        push_words(&mut out, s, true);
        out
    }

    #[test]
    fn every_whitespace_character_is_known() {
        for c in (0..=0x10_FFFFu32).filter_map(char::from_u32) {
            let s = format!("a{c}{c}b {c}");
            assert_eq!(collapse_ws(&s), reference(&s), "U+{:04X}", c as u32);
            assert_eq!(
                collapse_zero_width(&s),
                reference_zero_width(&s),
                "U+{:04X}",
                c as u32
            );
            let one = c.to_string();
            assert_eq!(
                ws_len(one.as_bytes(), 0) > 0,
                c.is_whitespace(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn collapses_trims_and_keeps_normal_text() {
        for s in [
            "",
            " ",
            "\u{a0}",
            "word",
            "two words",
            "  lead and trail  ",
            "tab\tand\nnew\r\nline",
            "nbsp\u{a0}inside \u{a0} and\u{2009}thin\u{3000}ideographic",
            "e\u{301} combining \u{301} mark",
            "bell\u{7}and\u{1f}unit \u{85}next",
            "Кино  во\u{202f}Владикавказе",
            "zero\u{200b}width\u{2060}joiner \u{feff}bom",
        ] {
            assert_eq!(collapse_ws(s), reference(s), "{s:?}");
            assert_eq!(collapse_zero_width(s), reference_zero_width(s), "{s:?}");
        }
    }

    /// The block skip looks 16 bytes (and one more) at a time: whitespace at
    /// every offset of a long line, including either side of a block edge,
    /// must still be found.
    #[test]
    fn whitespace_at_every_offset_of_a_long_line_is_found() {
        let line =
            "The festival opened, “quietly” — Кино во Владикавказе, a rainy evening in the valley.";
        for ws in [
            " ",
            "  ",
            "\t",
            "\n",
            " \n",
            "\u{a0}",
            " \u{2009}",
            "\u{3000}",
            "\u{200b}",
            "\u{2060}",
        ] {
            for (at, _) in line.char_indices() {
                for s in [
                    format!("{}{ws}{}", &line[..at], &line[at..]),
                    format!("{}{ws}", &line[..at]),
                ] {
                    assert_eq!(collapse_ws(&s), reference(&s), "{s:?}");
                    assert_eq!(collapse_zero_width(&s), reference_zero_width(&s), "{s:?}");
                }
            }
        }
    }

    #[test]
    fn push_words_adds_no_space_before_its_first_word() {
        let mut out = String::from("x\n");
        assert!(push_words(&mut out, "  a \u{a0} b ", false));
        assert_eq!(out, "x\na b");
        assert!(!push_words(&mut out, " \u{200b} ", true));
        assert_eq!(out, "x\na b");
        assert!(push_words(&mut out, " \u{200b} ", false));
        assert_eq!(out, "x\na b\u{200b}");
    }

    proptest::proptest! {
        #[test]
        fn collapse_ws_matches_split_whitespace_join(
            s in "([ \t\n\r\u{b}\u{c}\u{85}\u{a0}\u{1680}\u{2000}-\u{200b}\u{2028}\u{2029}\u{202f}\u{205f}\u{2060}\u{3000}\u{feff}\u{301}\u{7}a-zé€𝄞Жx]{0,12}){0,6}|\\PC{0,40}|.{0,40}|([a-z]{1,9}[ \u{a0}\u{2009}\n]{1,2}){0,20}"
        ) {
            proptest::prop_assert_eq!(collapse_ws(&s), reference(&s));
            proptest::prop_assert_eq!(collapse_zero_width(&s), reference_zero_width(&s));
        }

        #[test]
        fn appending_pieces_is_collapsing_the_whole(
            pieces in proptest::collection::vec("[ \t\n\u{a0}\u{2009}ab€]{0,6}|[a-z \n]{0,30}", 0..6)
        ) {
            let mut out = String::new();
            let mut gap = false;
            for p in &pieces {
                collapse_ws_append(p, &mut out, &mut gap);
            }
            proptest::prop_assert_eq!(out, reference(&pieces.concat()));
        }

        #[test]
        fn push_words_is_split_and_join(
            s in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "bc", " ", " ", " ", "  ", "\n", "\t", "\r", "\u{b}", "\u{c}", "\u{1c}", "\u{a0}",
                    "“", "”", "\u{2019}", "\u{e000}", "\u{1000}", "\u{c0}", "\u{2010}",
                    "long plain ascii run of words", "ascii-run-without-spaces-at-all",
                    "\u{85}", "\u{1680}", "\u{2003}", "\u{2028}", "\u{202f}", "\u{3000}",
                    "\u{200b}", "\u{2060}", "\u{feff}", "Кино", "é", "\u{1f600}",
                ]),
                0..20,
            ),
            zero_width in proptest::bool::ANY,
        ) {
            let s = s.concat();
            let want = if zero_width { reference_zero_width(&s) } else { reference(&s) };
            let mut out = String::from("x");
            proptest::prop_assert_eq!(push_words(&mut out, &s, zero_width), !want.is_empty());
            proptest::prop_assert_eq!(out, format!("x{want}"));
        }
    }
}
