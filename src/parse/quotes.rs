//! Pull-quote recognition shared by the parsers.
//!
//! A pull quote is a short standalone excerpt that repeats, word for word, a
//! sentence of the body nearby. Exports differ in punctuation, quote marks and
//! spacing, so texts are compared as sequences of normalised words: case
//! folded, curly quotes and dashes unified, punctuation around words dropped.

/// The words of a text before normalisation: split at spaces, dashes,
/// slashes and ellipses, trimmed of surrounding punctuation. `ʼ` is a letter
/// to Unicode but an apostrophe here, so it is trimmed like other quote marks.
fn raw_words(s: &str) -> impl Iterator<Item = &str> {
    s.split(|c: char| c.is_whitespace() || matches!(c, '—' | '–' | '/' | '…'))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() || c == 'ʼ'))
        .filter(|w| !w.is_empty())
}

/// One character of a word, normalised: quote marks and dashes unified,
/// case folded.
fn norm_char(c: char) -> impl Iterator<Item = char> {
    match c {
        '’' | '‘' | 'ʼ' | '`' | '´' => '\'',
        '‐' | '‑' | '‒' => '-',
        c => c,
    }
    .to_lowercase()
}

/// The normalised words of a text, for word-for-word comparison.
pub fn words(s: &str) -> Vec<String> {
    raw_words(s)
        .map(|w| {
            let mut out = String::with_capacity(w.len());
            push_norm_word(&mut out, w);
            out
        })
        .collect()
}

/// Appends one raw word, normalised. ASCII words (nearly all of them) skip
/// the per-character case tables: their lowercase is the ASCII one.
fn push_norm_word(out: &mut String, w: &str) {
    if w.is_ascii() {
        out.extend(w.bytes().map(|b| match b {
            b'`' => '\'',
            b => char::from(b.to_ascii_lowercase()),
        }));
    } else {
        out.extend(w.chars().flat_map(norm_char));
    }
}

/// The normalised words of a text joined by single spaces, and how many
/// there are. No normalised word holds a space, so two texts have equal
/// [`words`] exactly when their `Words` are equal, and a run of words is a
/// substring that starts and ends at spaces: one string instead of a vector
/// of them per sentence, which dominated the cost of finding pull quotes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Words {
    joined: String,
    count: usize,
}

impl Words {
    pub fn new(s: &str) -> Words {
        let mut joined = String::with_capacity(s.len());
        let mut count = 0;
        for w in raw_words(s) {
            if count > 0 {
                joined.push(' ');
            }
            push_norm_word(&mut joined, w);
            count += 1;
        }
        Words { joined, count }
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Whether `run` is a run of consecutive words of `self`.
    fn contains_run(&self, run: &Words) -> bool {
        let (hay, needle) = (self.joined.as_bytes(), run.joined.as_bytes());
        if run.count == 0 || run.count > self.count {
            return false;
        }
        memchr::memmem::find_iter(hay, needle).any(|at| {
            let end = at + needle.len();
            (at == 0 || hay[at - 1] == b' ') && (end == hay.len() || hay[end] == b' ')
        })
    }
}

/// Whether two texts have the same non-empty normalised words; compares
/// lazily, so it usually stops at the first character (runs for every line
/// the text parser compares with a title).
pub fn same_words(a: &str, b: &str) -> bool {
    fn stream(s: &str) -> impl Iterator<Item = char> {
        raw_words(s).enumerate().flat_map(|(i, w)| {
            (i > 0)
                .then_some(' ')
                .into_iter()
                .chain(w.chars().flat_map(norm_char))
        })
    }
    let mut a = stream(a).peekable();
    a.peek().is_some() && a.eq(stream(b))
}

/// Splits a paragraph into sentences at `.`, `!`, `?` or `…` followed by
/// whitespace (after any closing quotes or brackets).
pub fn sentences(paragraph: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = paragraph.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if matches!(c, '.' | '!' | '?' | '…') {
            // Closing quotes and brackets belong to the sentence they end.
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if matches!(
                    n,
                    '.' | '!' | '?' | '…' | '"' | '”' | '’' | '\'' | ')' | '»' | ']'
                ) {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            if chars.peek().is_none_or(|&(_, n)| n.is_whitespace()) {
                let s = paragraph[start..end].trim();
                if !s.is_empty() {
                    out.push(s);
                }
                start = end;
            }
        }
    }
    let rest = paragraph[start..].trim();
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Fewest words a quote must have to count as a pull quote at all: shorter
/// runs repeat by coincidence ("In the end").
const MIN_WORDS: usize = 4;
/// A run of this many words repeated verbatim is no coincidence even if it is
/// only part of a sentence (an abridged pull quote).
const LONG_RUN: usize = 8;

/// Whether `quote` repeats a sentence of `source` word for word: equal to a
/// whole sentence, or a run of at least `LONG_RUN` consecutive words of one.
pub fn repeats(quote: &str, source: &str) -> bool {
    Source::new(source).repeated_by(&Words::new(quote))
}

/// A paragraph split into normalised sentences once, so many candidate
/// quotes can be checked against it without re-tokenising.
pub struct Source {
    sentences: Vec<Words>,
}

impl Source {
    pub fn new(paragraph: &str) -> Source {
        Source {
            sentences: sentences(paragraph).into_iter().map(Words::new).collect(),
        }
    }

    /// See [`repeats`]; `quote` is already normalised.
    pub fn repeated_by(&self, quote: &Words) -> bool {
        if quote.count < MIN_WORDS {
            return false;
        }
        self.sentences
            .iter()
            .any(|s| s == quote || (quote.count >= LONG_RUN && s.contains_run(quote)))
    }
}

/// A candidate pull quote, normalised once, with a cheap test that rules
/// out most sentences before they are split into normalised words.
pub struct Quote {
    words: Words,
    /// Up to [`NEEDLES`] of the longest words made only of ASCII digits and
    /// letters other than `k`.
    needles: Vec<memchr::memmem::Finder<'static>>,
}

/// How many words of a quote the cheap test looks for.
const NEEDLES: usize = 3;

impl Quote {
    pub fn new(s: &str) -> Quote {
        let words = Words::new(s);
        let mut plain: Vec<&str> = words
            .joined
            .split(' ')
            .filter(|w| {
                !w.is_empty()
                    && w.bytes()
                        .all(|b| b.is_ascii_digit() || (b.is_ascii_lowercase() && b != b'k'))
            })
            .collect();
        plain.sort_by_key(|w| std::cmp::Reverse(w.len()));
        plain.dedup();
        let needles = plain
            .into_iter()
            .take(NEEDLES)
            .map(|w| memchr::memmem::Finder::new(w).into_owned())
            .collect();
        Quote { words, needles }
    }

    /// Whether a sentence, ASCII-lowercased, may repeat this quote. A
    /// normalised word of ASCII digits and letters other than `k` comes
    /// only from the same ASCII characters in any case: no other character
    /// lowercases to one of them (the Kelvin sign lowercases to `k`, hence
    /// its exclusion; `quote_needles_come_only_from_ascii` checks this
    /// against the Unicode tables). So a sentence without one of those
    /// words, in any case, cannot equal or hold the quote.
    fn may_be_in(&self, lower: &[u8]) -> bool {
        self.needles.iter().all(|f| f.find(lower).is_some())
    }
}

/// A paragraph that nearby quotes may repeat: split into sentences once,
/// and a sentence into normalised words only once a quote passes the cheap
/// test on it, which is rarely.
pub struct Paragraph<'a> {
    text: &'a str,
    /// The ASCII-lowercased text (same byte offsets as `text`).
    lower: std::cell::OnceCell<Vec<u8>>,
    /// Each sentence's byte range in `text`, and its words once needed.
    sentences: std::cell::OnceCell<Vec<(std::ops::Range<usize>, std::cell::OnceCell<Words>)>>,
}

impl<'a> Paragraph<'a> {
    pub fn new(text: &'a str) -> Paragraph<'a> {
        Paragraph {
            text,
            lower: Default::default(),
            sentences: Default::default(),
        }
    }

    /// `Source::new(text).repeated_by(quote)`, computed lazily.
    pub fn repeated_by(&self, quote: &Quote) -> bool {
        if quote.words.count < MIN_WORDS {
            return false;
        }
        let lower = self
            .lower
            .get_or_init(|| self.text.to_ascii_lowercase().into_bytes());
        if !quote.may_be_in(lower) {
            return false;
        }
        let base = self.text.as_ptr() as usize;
        let sentences = self.sentences.get_or_init(|| {
            sentences(self.text)
                .into_iter()
                .map(|s| {
                    let at = s.as_ptr() as usize - base;
                    (at..at + s.len(), Default::default())
                })
                .collect()
        });
        sentences.iter().any(|(range, words)| {
            quote.may_be_in(&lower[range.clone()]) && {
                let s = words.get_or_init(|| Words::new(&self.text[range.clone()]));
                s == &quote.words || (quote.words.count >= LONG_RUN && s.contains_run(&quote.words))
            }
        })
    }
}

/// Whether a paragraph ends with a full stop (an ellipsis does not count):
/// pull quotes in exports never do, body paragraphs almost always do.
pub fn ends_with_full_stop(s: &str) -> bool {
    let t = s.trim_end_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '”' | '’' | '\'' | ')' | '»')
    });
    t.ends_with('.') && !t.ends_with("..")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_after_closing_quotes() {
        assert_eq!(
            sentences("He said “no.” Then he left! Did he? Yes"),
            vec!["He said “no.”", "Then he left!", "Did he?", "Yes"]
        );
        assert_eq!(
            sentences("Version 1.5 is out."),
            vec!["Version 1.5 is out."]
        );
    }

    #[test]
    fn repeats_ignores_quotes_case_and_spacing() {
        let body = "First thing. “There is no money  here,” she says. Last.";
        assert!(repeats("There is no money here, she says", body));
        assert!(repeats("\"there is NO money here,\"  she says", body));
        assert!(
            !repeats("There is no money", body),
            "part of a sentence, too short"
        );
        assert!(!repeats("Last", body), "too few words");
        let long = "The festival had never before shown a film made in the mountains of the south.";
        assert!(repeats(
            "never before shown a film made in the mountains",
            long
        ));
    }

    #[test]
    fn same_words_agrees_with_words() {
        let pairs = [
            ("The Hills’ Song", "the hills' song"),
            ("The Hills’ Song", "The Hills Song"),
            ("“Closeness” — a film", "closeness a film"),
            ("Closeness", "Closeness, a film"),
            ("", ""),
            ("...", "!!"),
            ("ʼOna", "Ona"),
            ("ΣΟΦΙΑ", "σοφια"),
        ];
        for (a, b) in pairs {
            let expected = !words(a).is_empty() && words(a) == words(b);
            assert_eq!(same_words(a, b), expected, "{a:?} vs {b:?}");
        }
        assert!(same_words("The Hills’ Song", "the hills' song"));
        assert!(!same_words("", ""));
    }

    /// The word lists and the pull-quote test as they were before
    /// [`Words`] and [`Quote`]: one vector of strings per sentence.
    fn reference_repeats(quote: &str, source: &str) -> bool {
        fn old_words(s: &str) -> Vec<String> {
            raw_words(s)
                .map(|w| w.chars().flat_map(norm_char).collect())
                .collect()
        }
        let q = old_words(quote);
        q.len() >= MIN_WORDS
            && sentences(source)
                .into_iter()
                .map(old_words)
                .any(|s| s == q || (q.len() >= LONG_RUN && s.windows(q.len()).any(|w| w == q)))
    }

    #[test]
    fn quote_needles_come_only_from_ascii() {
        // The cheap test of `Quote` relies on this: no character but the
        // ASCII ones normalises to ASCII digits and letters other than `k`.
        let plain = |c: char| c.is_ascii_digit() || (c.is_ascii_lowercase() && c != 'k');
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let n: String = norm_char(c).collect();
            if !n.is_empty() && n.chars().all(plain) {
                assert!(c.is_ascii(), "{c:?} normalises to {n:?}");
            }
        }
    }

    #[test]
    fn kelvin_sign_and_dotted_i_still_match() {
        let body = "The \u{212A}ELVIN scale was İstanbul’s choice for every lab in town. Next.";
        for quote in [
            "the kelvin scale was i\u{307}stanbul's choice",
            "THE KELVIN SCALE WAS İSTANBUL'S CHOICE FOR EVERY LAB IN TOWN",
            "the kelvin scale was istanbul's choice",
        ] {
            assert_eq!(
                Paragraph::new(body).repeated_by(&Quote::new(quote)),
                reference_repeats(quote, body),
                "{quote}"
            );
        }
        assert!(Paragraph::new(body).repeated_by(&Quote::new(
            "THE KELVIN SCALE WAS İSTANBUL'S CHOICE FOR EVERY LAB IN TOWN"
        )));
    }

    /// Texts built from tokens that stress normalisation: case, the Kelvin
    /// sign, dotted capital I, final sigma, curly and modifier apostrophes,
    /// dashes, ellipses, no-break spaces, line breaks and sentence ends.
    fn token_text() -> impl proptest::strategy::Strategy<Value = Vec<&'static str>> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "the",
                "The",
                "THE",
                "kelvin",
                "\u{212A}elvin",
                "KELVIN",
                "İstanbul",
                "istanbul",
                "don’t",
                "don't",
                "DONʼT",
                "—",
                "–",
                "/",
                "...",
                "…",
                ".",
                "!",
                "?",
                "“",
                "”",
                "\"",
                "(",
                ")",
                "a",
                "b",
                "C",
                "1",
                "22",
                "x-y",
                "x‐y",
                "ΣΟΦΙΑΣ",
                "σοφιας",
                "e\u{301}",
                "é",
                "Кино",
                "кино",
                " ",
                "  ",
                "\u{a0}",
                "\n",
                "\t",
                ",",
                "’",
                "`",
                "ß",
                "SS",
            ]),
            0..40,
        )
    }

    proptest::proptest! {
        #[test]
        fn words_key_equality_is_word_list_equality(a in token_text(), b in token_text()) {
            let (a, b) = (a.join(" "), b.concat());
            proptest::prop_assert_eq!(Words::new(&a) == Words::new(&b), words(&a) == words(&b));
            proptest::prop_assert_eq!(Words::new(&a).is_empty(), words(&a).is_empty());
        }

        #[test]
        fn pull_quote_test_matches_the_reference(
            para in token_text(),
            from in 0usize..40,
            len in 0usize..20,
            extra in token_text(),
            spaced in proptest::bool::ANY,
        ) {
            let source = if spaced { para.join(" ") } else { para.concat() };
            // Quotes cut from the paragraph's own tokens repeat it often.
            let cut: Vec<&str> = para.iter().skip(from).take(len).copied().collect();
            for quote in [cut.join(" "), cut.join(" ").to_uppercase(), extra.join(" ")] {
                proptest::prop_assert_eq!(
                    Paragraph::new(&source).repeated_by(&Quote::new(&quote)),
                    reference_repeats(&quote, &source),
                    "{:?} in {:?}", quote, source
                );
            }
        }
    }

    #[test]
    fn full_stop_detection() {
        assert!(ends_with_full_stop("It ended."));
        assert!(ends_with_full_stop("“It ended.”"));
        assert!(!ends_with_full_stop("It ended"));
        assert!(!ends_with_full_stop("It ended..."));
        assert!(!ends_with_full_stop("It ended?"));
    }
}
