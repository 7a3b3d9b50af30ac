//! Compiling every term of every theme into one Aho–Corasick automaton, and
//! turning an article into per-(term, field) match counts with one pass over
//! its folded text.

use std::collections::HashMap;

use aho_corasick::automaton::Automaton;
use aho_corasick::{Anchored, MatchKind, PatternID, StartKind, dfa, nfa};
use anyhow::{Result, bail};

use super::ArticleText;
use super::normalize::{fold, fold_into};
use crate::config::ThemeConfig;

/// Where in an article a match was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Field {
    Title,
    Standfirst,
    Caption,
    Tags,
    /// The first two body paragraphs (at most [`LEAD_WORDS`] words).
    Lead,
    /// The rest of the body.
    Body,
}

pub const FIELDS: [Field; 6] = [
    Field::Title,
    Field::Standfirst,
    Field::Caption,
    Field::Tags,
    Field::Lead,
    Field::Body,
];

impl Field {
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Title => "title",
            Field::Standfirst => "standfirst",
            Field::Caption => "caption",
            Field::Tags => "tags",
            Field::Lead => "lead",
            Field::Body => "body",
        }
    }

    pub fn weight(self, w: &crate::config::FieldWeights) -> f64 {
        match self {
            Field::Title => w.title,
            Field::Standfirst => w.standfirst,
            Field::Caption => w.caption,
            Field::Tags => w.tags,
            Field::Lead => w.lead,
            Field::Body => w.body,
        }
    }
}

/// The lead ends after two paragraphs or this many words, whichever is first.
pub const LEAD_WORDS: usize = 150;
/// Body text beyond the lead up to this length counts in full; longer bodies
/// are damped by `sqrt(BODY_NORM_WORDS / words)` so that mentions per length,
/// not raw mentions, matter.
pub const BODY_NORM_WORDS: f64 = 400.0;

/// What a compiled term stands for inside one theme.
#[derive(Debug, Clone)]
pub struct Target {
    pub theme: usize,
    /// `Some(group index)`, or `None` for an exclusion term.
    pub group: Option<usize>,
    /// The term as the editor wrote it (for explanations).
    pub term: String,
    pub weight: f64,
}

/// All themes' terms compiled together.
pub struct Matcher {
    searcher: Option<Searcher>,
    /// The patterns, by id (see [`pattern_for`]).
    #[cfg_attr(not(test), allow(dead_code))]
    patterns: Vec<String>,
    /// Pattern id → the targets it stands for (one folded term may appear in
    /// several groups or themes).
    pattern_targets: Vec<Vec<u32>>,
    pub targets: Vec<Target>,
}

impl Matcher {
    pub fn compile(themes: &[ThemeConfig]) -> Result<Matcher> {
        let mut patterns: Vec<String> = Vec::new();
        let mut by_pattern: HashMap<String, usize> = HashMap::new();
        let mut pattern_targets: Vec<Vec<u32>> = Vec::new();
        let mut targets = Vec::new();
        let mut add = |term: &str, target: Target| -> Result<()> {
            let Some(p) = pattern_for(term) else {
                bail!(
                    "theme {}: term {term:?} has no letters or digits",
                    themes[target.theme].id
                );
            };
            let tid = targets.len() as u32;
            targets.push(target);
            let pid = *by_pattern.entry(p.clone()).or_insert_with(|| {
                patterns.push(p);
                pattern_targets.push(Vec::new());
                patterns.len() - 1
            });
            pattern_targets[pid].push(tid);
            Ok(())
        };
        for (ti, t) in themes.iter().enumerate() {
            for (gi, g) in t.groups.iter().enumerate() {
                for term in &g.terms {
                    add(
                        term.text(),
                        Target {
                            theme: ti,
                            group: Some(gi),
                            term: term.text().to_string(),
                            weight: term.weight(),
                        },
                    )?;
                }
            }
            for term in &t.exclude {
                add(
                    term,
                    Target {
                        theme: ti,
                        group: None,
                        term: term.clone(),
                        weight: 0.0,
                    },
                )?;
            }
        }
        let searcher = if patterns.is_empty() {
            None
        } else {
            Some(Searcher::build(&patterns)?)
        };
        Ok(Matcher {
            searcher,
            patterns,
            pattern_targets,
            targets,
        })
    }

    /// Counts matches per (target, field), sorted by target then field.
    pub fn hits(&self, doc: &Prepared) -> Vec<Hit> {
        let mut raw: Vec<(u32, Field)> = Vec::new();
        let mut add = |pid: PatternID, start: usize| {
            if let Some(field) = doc.field_at(start) {
                for &t in &self.pattern_targets[pid.as_usize()] {
                    raw.push((t, field));
                }
            }
        };
        if let Some(s) = &self.searcher {
            s.each_match(doc.text.as_bytes(), &mut add);
        }
        count_hits(raw)
    }
}

/// Sorts (target, field) pairs and counts the repeats.
fn count_hits(mut raw: Vec<(u32, Field)>) -> Vec<Hit> {
    raw.sort_unstable();
    let mut out: Vec<Hit> = Vec::new();
    for (t, f) in raw {
        match out.last_mut() {
            Some(h) if h.target == t && h.field == f => h.count += 1,
            _ => out.push(Hit {
                target: t,
                field: f,
                count: 1,
            }),
        }
    }
    out
}

/// An automaton of all patterns: a DFA (fastest for the few thousand
/// patterns themes have), or an NFA if the DFA would be too big.
enum Searcher {
    Dfa(dfa::DFA),
    Nfa(nfa::contiguous::NFA),
}

impl Searcher {
    fn build(patterns: &[String]) -> Result<Searcher> {
        // Standard semantics so overlapping matches are all reported
        // ("film" and "film festival" both count). No prefilter: every
        // pattern starts with the space before a word, so it would stop at
        // every word to start the automaton there anyway.
        let dfa = dfa::Builder::new()
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns);
        match dfa {
            Ok(d) => Ok(Searcher::Dfa(d)),
            Err(_) => Searcher::build_nfa(patterns),
        }
    }

    fn build_nfa(patterns: &[String]) -> Result<Searcher> {
        Ok(Searcher::Nfa(
            nfa::contiguous::Builder::new()
                .match_kind(MatchKind::Standard)
                .prefilter(false)
                .build(patterns)?,
        ))
    }

    fn each_match(&self, text: &[u8], f: &mut impl FnMut(PatternID, usize)) {
        match self {
            Searcher::Dfa(a) => each_match(a, text, f),
            Searcher::Nfa(a) => each_match(a, text, f),
        }
    }
}

/// Calls `f(pattern, start)` for every occurrence of every pattern in
/// `text` (overlapping ones included), in no particular order.
///
/// An automaton step waits for the previous one (the next state depends on
/// the state), so one pass over the text is bound by memory latency, not
/// throughput. The text is therefore cut into [`LANES`] parts searched in
/// step: lane `l` starts an unanchored search at its first byte (which
/// finds every occurrence that starts there or later), reads on past its
/// part for as long as a pattern can be, and reports just the occurrences
/// that start in its part. Each occurrence is thus reported exactly once,
/// as by one search over the whole text.
fn each_match<A: Automaton>(aut: &A, text: &[u8], f: &mut impl FnMut(PatternID, usize)) {
    let Ok(start) = aut.start_state(Anchored::No) else {
        return; // not reached: the automaton is built for unanchored searches
    };
    // How far a lane reads past its part: an occurrence starting at its
    // last byte ends at most this many bytes later.
    let reach = aut.max_pattern_len().saturating_sub(1);
    let part = text.len() / LANES;
    if part <= reach {
        scan(aut, text, 0, text.len(), start, text.len(), f);
        return;
    }
    // Parts [l * part, (l + 1) * part); the last one also takes the rest.
    // The lanes are spelled out so that their states stay in registers.
    let lane = |l: usize| &text[l * part..][..part];
    let mut sids = [start; LANES];
    let [s0, s1, s2, s3] = &mut sids;
    let bytes = lane(0).iter().zip(lane(1)).zip(lane(2)).zip(lane(3));
    for (k, (((&b0, &b1), &b2), &b3)) in bytes.enumerate() {
        *s0 = aut.next_state(Anchored::No, *s0, b0);
        *s1 = aut.next_state(Anchored::No, *s1, b1);
        *s2 = aut.next_state(Anchored::No, *s2, b2);
        *s3 = aut.next_state(Anchored::No, *s3, b3);
        for (l, sid) in [*s0, *s1, *s2, *s3].into_iter().enumerate() {
            if aut.is_match(sid) {
                report(aut, sid, l * part + k + 1, (l + 1) * part, f);
            }
        }
    }
    for (l, &sid) in sids.iter().enumerate() {
        let (end, limit) = if l + 1 == LANES {
            (text.len(), text.len())
        } else {
            ((l + 1) * part, ((l + 1) * part + reach).min(text.len()))
        };
        scan(aut, text, (l + 1) * part, limit, sid, end, f);
    }
}

/// Lanes searched in step by [`each_match`].
const LANES: usize = 4;

/// Continues a search in state `sid` over `text[from..to]`, reporting the
/// occurrences that start before `end`.
fn scan<A: Automaton>(
    aut: &A,
    text: &[u8],
    from: usize,
    to: usize,
    mut sid: aho_corasick::automaton::StateID,
    end: usize,
    f: &mut impl FnMut(PatternID, usize),
) {
    for (i, &b) in text[from..to].iter().enumerate() {
        sid = aut.next_state(Anchored::No, sid, b);
        if aut.is_match(sid) {
            report(aut, sid, from + i + 1, end, f);
        }
    }
}

/// Reports the occurrences that the match state `sid` reached at byte
/// `at` (exclusive) stands for, if they start before `end`.
#[cold]
#[inline(never)]
fn report<A: Automaton>(
    aut: &A,
    sid: aho_corasick::automaton::StateID,
    at: usize,
    end: usize,
    f: &mut impl FnMut(PatternID, usize),
) {
    for i in 0..aut.match_len(sid) {
        let pid = aut.match_pattern(sid, i);
        let start = at - aut.pattern_len(pid);
        if start < end {
            f(pid, start);
        }
    }
}

/// `count` matches of one target in one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hit {
    pub target: u32,
    pub field: Field,
    pub count: u32,
}

/// The search pattern of a term: its folded words with a leading space, and
/// a trailing space unless the term ends in `*` (a prefix match).
pub fn pattern_for(term: &str) -> Option<String> {
    let (body, prefix) = match term.trim().strip_suffix('*') {
        Some(b) => (b, true),
        None => (term, false),
    };
    let folded = fold(body);
    if folded.is_empty() {
        return None;
    }
    let mut p = String::with_capacity(folded.len() + 1);
    p.push(' ');
    p.push_str(&folded);
    if prefix {
        p.pop();
    }
    Some(p)
}

/// `body.split("\n\n")`, found with memchr's substring search (the
/// standard library's general one was ~5% of classification CPU).
fn paragraphs(body: &str) -> impl Iterator<Item = &str> {
    let mut from = 0;
    memchr::memmem::find_iter(body.as_bytes(), b"\n\n")
        .chain(std::iter::once(body.len()))
        .map(move |end| {
            // Both ends are next to an ASCII "\n" (or the end): char boundaries.
            let para = &body[from..end];
            from = end + 2;
            para
        })
}

/// An article folded into one searchable string, with the byte ranges of
/// its fields.
pub struct Prepared {
    pub text: String,
    /// (field, start, end) in `text`, in order.
    ranges: Vec<(Field, usize, usize)>,
    /// Words in the body after the lead (for length damping).
    pub body_words: usize,
}

impl Prepared {
    pub fn new(a: &ArticleText<'_>) -> Prepared {
        let cap = a.title.len()
            + a.standfirst.map_or(0, str::len)
            + a.caption.map_or(0, str::len)
            + a.body_text.len()
            + 64;
        let mut text = String::with_capacity(cap);
        text.push(' ');
        let mut ranges = Vec::with_capacity(6);
        // A "| " between fields keeps a phrase from matching across them.
        let mut field = |text: &mut String, f: Field, s: &str| {
            let start = text.len();
            fold_into(s, text);
            ranges.push((f, start, text.len()));
            text.push_str("| ");
        };
        field(&mut text, Field::Title, a.title);
        field(&mut text, Field::Standfirst, a.standfirst.unwrap_or(""));
        field(&mut text, Field::Caption, a.caption.unwrap_or(""));
        let start = text.len();
        for tag in a.tags {
            fold_into(tag, &mut text);
            text.push_str("| ");
        }
        ranges.push((Field::Tags, start, text.len()));

        // Body: fold paragraph by paragraph to find where the lead ends.
        let start = text.len();
        let mut lead_end = None;
        let mut words = 0usize;
        let mut lead_words = 0usize;
        for (i, para) in paragraphs(a.body_text)
            .filter(|p| !p.trim().is_empty())
            .enumerate()
        {
            let pstart = text.len();
            let n = fold_into(para, &mut text);
            if lead_end.is_none() {
                if words + n >= LEAD_WORDS {
                    // Cut inside this paragraph after the LEAD_WORDS-th word.
                    let need = LEAD_WORDS - words;
                    let cut = text[pstart..]
                        .match_indices(' ')
                        .nth(need.saturating_sub(1))
                        .map_or(text.len(), |(k, _)| pstart + k + 1);
                    lead_end = Some(cut);
                    lead_words = LEAD_WORDS;
                } else if i == 1 {
                    lead_end = Some(text.len());
                    lead_words = words + n;
                }
            }
            words += n;
        }
        let lead_end = lead_end.unwrap_or_else(|| {
            lead_words = words;
            text.len()
        });
        ranges.push((Field::Lead, start, lead_end));
        ranges.push((Field::Body, lead_end, text.len()));
        text.push_str("| ");
        Prepared {
            text,
            ranges,
            body_words: words - lead_words,
        }
    }

    /// The field a match starting at `pos` (the space before its first word) is in.
    fn field_at(&self, pos: usize) -> Option<Field> {
        // A match starts at the space before its first word; that space is
        // the last byte of the previous field's range for a field's first
        // word, so look at pos + 1 (the word's first byte).
        let p = pos + 1;
        self.ranges
            .iter()
            .find(|(_, s, e)| p >= *s && p < *e)
            .map(|(f, _, _)| *f)
    }

    /// The damping factor for matches in the body after the lead.
    pub fn body_factor(&self) -> f64 {
        let w = self.body_words as f64;
        if w <= BODY_NORM_WORDS {
            1.0
        } else {
            (BODY_NORM_WORDS / w).sqrt()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(title: &'a str, body: &'a str) -> ArticleText<'a> {
        ArticleText {
            title,
            body_text: body,
            ..ArticleText::default()
        }
    }

    /// Every (pattern, start) an unanchored overlapping search finds: the
    /// oracle for the lanes of `each_match`.
    fn matches_reference(patterns: &[String], text: &str) -> Vec<(usize, usize)> {
        let ac = aho_corasick::AhoCorasick::builder()
            .match_kind(MatchKind::Standard)
            .build(patterns)
            .unwrap();
        let mut v: Vec<(usize, usize)> = ac
            .find_overlapping_iter(text)
            .map(|m| (m.pattern().as_usize(), m.start()))
            .collect();
        v.sort_unstable();
        v
    }

    fn matches(s: &Searcher, text: &str) -> Vec<(usize, usize)> {
        let mut v = Vec::new();
        s.each_match(text.as_bytes(), &mut |p, start| {
            v.push((p.as_usize(), start))
        });
        v.sort_unstable();
        v
    }

    /// Terms that overlap and nest in every way: phrases sharing words,
    /// prefixes of words and of each other, suffixes of phrases.
    const TERMS: &[&str] = &[
        "film",
        "film*",
        "fil*",
        "film festival",
        "festival",
        "festival*",
        "a",
        "a a",
        "a a a",
        "a*",
        "kino film",
        "T'bilisi",
        "Тбилиси",
        "кино*",
        "Кинофестиваль",
        "ß",
        "7",
    ];
    const WORDS: &[&str] = &[
        "film",
        "films",
        "fil",
        "festival",
        "festivals",
        "a",
        "aa",
        "kino",
        "tbilisi",
        "Т'билиси",
        "кино",
        "кинофестиваль",
        "ss",
        "7",
        "77",
        "the",
        "|",
    ];

    proptest::proptest! {
        #[test]
        fn lanes_find_what_one_search_finds(
            terms in proptest::sample::subsequence(TERMS, 1..TERMS.len()),
            words in proptest::collection::vec(proptest::sample::select(WORDS), 0..40),
            seps in proptest::collection::vec(proptest::sample::select(&[" ", "  ", ", ", "-", "\n\n"][..]), 40),
        ) {
            let mut patterns: Vec<String> = terms.iter().filter_map(|t| pattern_for(t)).collect();
            patterns.sort();
            patterns.dedup();
            let mut text = String::from(" ");
            for (w, sep) in words.iter().zip(&seps) {
                fold_into(w, &mut text);
                if *w == "|" {
                    text.push_str("| ");
                }
                fold_into(sep, &mut text);
            }
            let want = matches_reference(&patterns, &text);
            let dfa = Searcher::build(&patterns).unwrap();
            proptest::prop_assert!(matches!(dfa, Searcher::Dfa(_)));
            proptest::prop_assert_eq!(&matches(&dfa, &text), &want);
            let nfa = Searcher::build_nfa(&patterns).unwrap();
            proptest::prop_assert_eq!(&matches(&nfa, &text), &want);
        }

        #[test]
        fn default_themes_hit_what_one_search_hits(
            title in proptest::collection::vec(proptest::sample::select(default_words()), 0..12),
            body in proptest::collection::vec(proptest::sample::select(default_words()), 0..300),
        ) {
            let m = Matcher::compile(&crate::themes::default_themes()).unwrap();
            let (title, body) = (title.join(" "), body.join(" "));
            let doc = Prepared::new(&text(&title, &body));
            let mut raw = Vec::new();
            for (p, start) in matches_reference(&m.patterns, &doc.text) {
                if let Some(field) = doc.field_at(start) {
                    for &t in &m.pattern_targets[p] {
                        raw.push((t, field));
                    }
                }
            }
            proptest::prop_assert_eq!(m.hits(&doc), count_hits(raw));
        }
    }

    /// The words of the default themes' terms (so that random texts match
    /// them often), with paragraph breaks and filler.
    fn default_words() -> Vec<String> {
        let m = Matcher::compile(&crate::themes::default_themes()).unwrap();
        let mut w: Vec<String> = m
            .targets
            .iter()
            .flat_map(|t| {
                t.term
                    .split_whitespace()
                    .map(|w| w.trim_end_matches('*').to_string())
            })
            .collect();
        w.extend(["the", "and", "\n\n", "films", "festivals"].map(String::from));
        w.sort();
        w.dedup();
        w
    }

    proptest::proptest! {
        #[test]
        fn paragraphs_split_like_str_split(body in "[a\n \r\t\u{00e9}]{0,40}") {
            let want: Vec<&str> = body.split("\n\n").collect();
            proptest::prop_assert_eq!(paragraphs(&body).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn patterns_mark_word_boundaries_and_prefixes() {
        assert_eq!(pattern_for("Oscar").unwrap(), " oscar ");
        assert_eq!(pattern_for("Chechen*").unwrap(), " chechen");
        assert_eq!(pattern_for("Palme d'Or").unwrap(), " palme dor ");
        assert!(pattern_for("--").is_none());
    }

    #[test]
    fn fields_are_located_and_lead_is_two_paragraphs() {
        let body = "alpha one.\n\nbeta two.\n\ngamma three.";
        let d = Prepared::new(&text("Title words", body));
        let at = |w: &str| d.field_at(d.text.find(&format!(" {w} ")).unwrap());
        assert_eq!(at("title"), Some(Field::Title));
        assert_eq!(at("words"), Some(Field::Title));
        assert_eq!(at("alpha"), Some(Field::Lead));
        assert_eq!(at("two"), Some(Field::Lead));
        assert_eq!(at("gamma"), Some(Field::Body));
        assert_eq!(d.body_words, 2);
    }

    #[test]
    fn a_long_first_paragraph_ends_the_lead_after_150_words() {
        let words: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let d = Prepared::new(&text("T", &words.join(" ")));
        let at = |w: &str| d.field_at(d.text.find(&format!(" {w} ")).unwrap());
        assert_eq!(at("w149"), Some(Field::Lead));
        assert_eq!(at("w150"), Some(Field::Body));
        assert_eq!(d.body_words, 150);
    }
}
