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
        .map(|w| w.chars().flat_map(norm_char).collect())
        .collect()
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
/// whole sentence, or a run of at least [`LONG_RUN`] consecutive words of one.
pub fn repeats(quote: &str, source: &str) -> bool {
    Source::new(source).repeated_by(&words(quote))
}

/// A paragraph split into normalised sentences once, so many candidate
/// quotes can be checked against it without re-tokenising.
pub struct Source {
    sentences: Vec<Vec<String>>,
}

impl Source {
    pub fn new(paragraph: &str) -> Source {
        Source {
            sentences: sentences(paragraph).into_iter().map(words).collect(),
        }
    }

    /// See [`repeats`]; `quote` is already normalised with [`words`].
    pub fn repeated_by(&self, quote: &[String]) -> bool {
        if quote.len() < MIN_WORDS {
            return false;
        }
        self.sentences.iter().any(|s| {
            s == quote || (quote.len() >= LONG_RUN && s.windows(quote.len()).any(|w| w == quote))
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

    #[test]
    fn full_stop_detection() {
        assert!(ends_with_full_stop("It ended."));
        assert!(ends_with_full_stop("“It ended.”"));
        assert!(!ends_with_full_stop("It ended"));
        assert!(!ends_with_full_stop("It ended..."));
        assert!(!ends_with_full_stop("It ended?"));
    }
}
