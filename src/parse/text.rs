//! The plain-text archive export parser.
//!
//! The export is a sequence of blocks separated by blank lines:
//!
//! ```text
//! Site name
//!
//! Title
//!
//! Title                     (repeated: the image's alt text)
//! Image caption
//!
//! Standfirst
//!
//! 9 August 2017
//!
//! Body paragraph ...        (pull quotes are interleaved here)
//!
//! Read more
//!
//! Title / Related title / Title / Related title ...
//! ```
//!
//! Any part may be missing, so roles are decided from content rather than
//! position alone: the repeated title line anchors the head when present, the
//! date line ends it, the "Read more" block is recognised by its header and by
//! its lines alternating with the title, and pull quotes are short paragraphs
//! without a full stop that repeat a sentence of a nearby paragraph.

use super::{Context, ParseError, date, quotes};
use crate::model::Article;
use crate::util::words::push_words;

/// Blocks at the top of a file that may still be head (site, title, caption,
/// standfirst, byline, date).
const HEAD_MAX: usize = 8;
/// Longest line accepted as a title.
const TITLE_MAX: usize = 300;
/// Paragraphs either side of a pull quote that may hold the sentence it repeats.
const QUOTE_REACH: usize = 4;
/// Longest paragraph (in words) that can be a pull quote.
const QUOTE_MAX_WORDS: usize = 60;

/// Lines between blank lines. `line` is the 1-based line number of the first.
#[derive(Debug, Clone)]
struct Block {
    line: usize,
    lines: Vec<String>,
}

impl Block {
    fn text(&self) -> String {
        self.lines.join(" ")
    }
    fn single(&self) -> Option<&str> {
        match self.lines.as_slice() {
            [l] => Some(l),
            _ => None,
        }
    }
}

fn blocks(input: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut cur: Option<Block> = None;
    for (i, raw) in input.lines().enumerate() {
        let line = tidy(raw);
        if line.is_empty() {
            out.extend(cur.take());
        } else {
            cur.get_or_insert_with(|| Block {
                line: i + 1,
                lines: Vec::new(),
            })
            .lines
            .push(line);
        }
    }
    out.extend(cur);
    out
}

/// Collapses runs of whitespace (tabs, non-breaking spaces) and drops
/// zero-width characters that exports leave around lines.
fn tidy(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    push_words(&mut out, line, true);
    out
}

/// Text comparison for titles: word-for-word, ignoring case and punctuation.
fn same(a: &str, b: &str) -> bool {
    quotes::same_words(a, b)
}

fn is_read_more(line: &str) -> bool {
    let l = line.trim_end_matches(|c: char| {
        matches!(c, ':' | '.' | '…' | '»' | '>' | '→') || c.is_whitespace()
    });
    // Runs for every body paragraph: lowercasing never makes a text shorter
    // in characters, and no header below has more than 19, so longer lines
    // (prose, at least a byte per character) need no lowercasing.
    if l.len() > READ_MORE_MAX_CHARS && l.chars().count() > READ_MORE_MAX_CHARS {
        return false;
    }
    let l = l.to_lowercase();
    matches!(
        l.as_str(),
        "read more"
            | "read also"
            | "read next"
            | "see also"
            | "related"
            | "related articles"
            | "related stories"
            | "more on this"
            | "more on this topic"
            | "you may also like"
            | "you might also like"
            | "читайте также"
            | "читать также"
            | "см. также"
    )
}

/// Characters in the longest header [`is_read_more`] knows.
const READ_MORE_MAX_CHARS: usize = 19;

/// "Read more: Some title" on one line.
fn inline_read_more(line: &str) -> Option<&str> {
    for p in ["read more:", "read also:", "see also:", "related:"] {
        // Same as testing the lowercased line, without lowercasing every
        // paragraph: only ASCII letters lowercase to these prefixes' letters
        // (the Kelvin sign's `k` is in none of them).
        if line
            .as_bytes()
            .get(..p.len())
            .is_some_and(|h| h.eq_ignore_ascii_case(p.as_bytes()))
        {
            let rest = line[p.len()..].trim();
            return (!rest.is_empty() && rest.len() <= TITLE_MAX).then_some(rest);
        }
    }
    None
}

/// A line that could be a title: short, has letters, is not a sentence of
/// running prose.
fn title_like(s: &str) -> bool {
    s.len() <= TITLE_MAX && s.chars().any(char::is_alphabetic) && !quotes::ends_with_full_stop(s)
}

/// Running prose rather than a heading-like line.
fn prose(s: &str) -> bool {
    s.chars().count() > 160 || quotes::ends_with_full_stop(s) || s.ends_with('?') && s.len() > 80
}

/// A publication name: a few words, no sentence punctuation.
fn site_like(s: &str) -> bool {
    s.chars().count() <= 40
        && s.split_whitespace().count() <= 5
        && !prose(s)
        // "Name: subject" and questions are titles.
        && !s.contains([':', '?', '!'])
        // Publication names are capitalised word by word ("New East Digital
        // Archive"); sentence-case titles are not.
        && s
            .split_whitespace()
            .filter(|w| w.chars().count() > 3)
            .all(|w| !w.chars().next().is_some_and(char::is_lowercase))
}

/// "By Jane Doe", "Words by A and B", "Author: X" → the names.
fn byline(line: &str) -> Option<Vec<String>> {
    let lower = line.to_lowercase();
    let rest = [
        "words by ",
        "text by ",
        "written by ",
        "by ",
        "author: ",
        "authors: ",
        "text: ",
        "words: ",
        "автор: ",
        "текст: ",
    ]
    .iter()
    .find(|p| lower.starts_with(*p))
    .map(|p| line[p.len()..].trim())?;
    if rest.is_empty() || rest.len() > 120 || quotes::ends_with_full_stop(rest) {
        return None;
    }
    let names: Vec<String> = rest
        .split([',', '&'])
        .flat_map(|s| s.split(" and "))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .collect();
    // A byline names people: every name is capitalised and short.
    (names.iter().all(|n| {
        n.split_whitespace().count() <= 5 && n.chars().next().is_some_and(|c| !c.is_lowercase())
    }))
    .then_some(names)
}

/// The names, if block `i` is a byline on a line of its own.
fn byline_block(blocks: &[Block], i: usize) -> Option<Vec<String>> {
    blocks.get(i).and_then(Block::single).and_then(byline)
}

/// A date line, possibly with a prefix ("Published 9 August 2017") or a byline
/// beside it ("9 August 2017 | By Jane Doe").
fn date_line(line: &str) -> Option<(chrono::NaiveDate, Vec<String>)> {
    if line.len() > 120 {
        return None;
    }
    let strip = |s: &str| {
        let lower = s.to_lowercase();
        for p in [
            "published on ",
            "published: ",
            "published ",
            "last updated ",
            "updated: ",
            "updated on ",
            "posted on ",
            "posted ",
            "date: ",
            "updated ",
        ] {
            if lower.starts_with(p) {
                return s[p.len()..].trim().to_string();
            }
        }
        s.trim().to_string()
    };
    if let Some(d) = date::parse_date(&strip(line)) {
        return Some((d, Vec::new()));
    }
    let parts: Vec<&str> = line.split(['|', '·', '•', '—']).map(str::trim).collect();
    if parts.len() < 2 {
        return None;
    }
    let mut found = None;
    let mut authors = Vec::new();
    for p in parts.iter().filter(|p| !p.is_empty()) {
        if let Some(d) = date::parse_date(&strip(p)) {
            found.get_or_insert(d);
        } else if let Some(names) = byline(p) {
            authors.extend(names);
        } else {
            return None;
        }
    }
    found.map(|d| (d, authors))
}

/// "Image: Youtube", "Photo: Jane Doe" at the end of a caption.
fn caption_credit(caption: &str) -> Option<String> {
    let lower = caption.to_lowercase();
    ["image: ", "photo: ", "photograph: ", "credit: ", "фото: "]
        .iter()
        .filter_map(|p| lower.rfind(p).map(|i| (i, p.len())))
        .max()
        .map(|(i, n)| caption[i + n..].trim().trim_end_matches('.').to_string())
        .filter(|c| !c.is_empty())
}

/// What the head of the file says, and where the body starts.
#[derive(Default)]
struct Head {
    site: Option<String>,
    title: Option<(String, usize)>,
    caption: Option<String>,
    standfirst: Option<String>,
    date: Option<chrono::NaiveDate>,
    authors: Vec<String>,
    body_start: usize,
}

pub fn parse(input: &str, _ctx: &Context<'_>) -> Result<Article, ParseError> {
    let blocks = blocks(input);
    if blocks.is_empty() {
        return Err(ParseError::new("file is empty"));
    }
    // The title repeats in "Read more" blocks; that tells a title from a site
    // name or a standfirst when nothing else can.
    let hint = read_more_title_hint(&blocks);
    let mut head = head(&blocks, hint.as_deref())?;
    // A byline may also open the body, just after the date ("Words by …").
    if let Some(names) = byline_block(&blocks, head.body_start) {
        head.authors.extend(names);
        head.body_start += 1;
    }
    let (title, title_line) = head
        .title
        .clone()
        .ok_or_else(|| ParseError::at(blocks[0].line, "no recognisable title"))?;
    if !title_like(&title) {
        return Err(ParseError::at(
            title_line,
            format!(
                "expected the article title (one short line) but found {}; a text export starts with the site name and the title, separated by blank lines",
                describe(&title)
            ),
        ));
    }

    // Body: everything after the head, minus "Read more" sections.
    let mut paragraphs: Vec<String> = Vec::new();
    let mut related: Vec<String> = Vec::new();
    let rest = &blocks[head.body_start.min(blocks.len())..];
    let tail_start = headerless_tail(rest, &title);
    // Where the trailing run of one-line, one-sentence blocks starts: a
    // "Read more" header followed only by such blocks ends the article.
    // Found once, from the end, so that many headers stay linear.
    let mut titles_from: Option<usize> = None;
    let mut i = 0;
    while i < rest.len() {
        let b = &rest[i];
        if Some(i) == tail_start {
            for b in &rest[i..] {
                related.extend(b.lines.iter().cloned());
            }
            break;
        }
        if is_read_more(&b.lines[0]) {
            // The header may share its block with the titles.
            for l in &b.lines[1..] {
                related.push(inline_read_more(l).unwrap_or(l).to_string());
            }
            // Consume the titles that follow: short lines, until prose resumes
            // (a mid-article "Read more" box) or the file ends.
            let from = *titles_from.get_or_insert_with(|| {
                rest.iter()
                    .rposition(|b| {
                        !b.single()
                            .is_some_and(|l| l.len() <= 200 && quotes::sentences(l).len() == 1)
                    })
                    .map_or(0, |k| k + 1)
            });
            let titles_to_end = i + 1 >= from;
            i += 1;
            while i < rest.len()
                && (titles_to_end || rest[i].lines.iter().all(|l| title_like(l)))
                && !is_read_more(&rest[i].lines[0])
            {
                for l in &rest[i].lines {
                    related.push(inline_read_more(l).unwrap_or(l).to_string());
                }
                i += 1;
            }
            continue;
        }
        if let Some(t) = b.single().and_then(inline_read_more) {
            related.push(t.to_string());
        } else if !b.single().is_some_and(|l| same(l, &title)) {
            paragraphs.push(b.text());
        }
        i += 1;
    }
    let mut seen = std::collections::HashSet::from([quotes::words(&title)]);
    related.retain(|r| {
        let w = quotes::words(r);
        !w.is_empty() && seen.insert(w)
    });

    let (body, pull_quotes) = split_pull_quotes(paragraphs);
    let body_html = super::sanitize::paragraphs_html(&body);
    let image_credit = head.caption.as_deref().and_then(caption_credit);
    Ok(Article {
        site_name: head.site,
        title,
        date: head.date,
        standfirst: head.standfirst,
        caption: head.caption,
        image_credit,
        authors: head.authors,
        pull_quotes,
        related,
        body_html,
        body_text: body.join("\n\n"),
        ..Article::default()
    })
}

fn describe(s: &str) -> String {
    if s.len() > TITLE_MAX {
        format!("a {}-character paragraph", s.chars().count())
    } else if !s.chars().any(char::is_alphabetic) {
        format!("{s:?}, which has no letters")
    } else {
        format!("a sentence ending with a full stop ({s:?})")
    }
}

/// The line a "Read more" section repeats between related titles.
fn read_more_title_hint(blocks: &[Block]) -> Option<String> {
    let start = blocks.iter().rposition(|b| is_read_more(&b.lines[0]))?;
    let lines: Vec<&String> = blocks[start..]
        .iter()
        .flat_map(|b| &b.lines)
        .skip(1)
        .collect();
    let mut count: std::collections::HashMap<Vec<String>, usize> = Default::default();
    for l in &lines {
        *count.entry(quotes::words(l)).or_default() += 1;
    }
    lines
        .into_iter()
        .find(|l| {
            count.get(&quotes::words(l)).is_some_and(|&n| n >= 2) && !quotes::words(l).is_empty()
        })
        .map(|l| l.to_string())
}

/// A trailing run of one-line blocks alternating with the title, without a
/// "Read more" header: returns where it starts.
fn headerless_tail(rest: &[Block], title: &str) -> Option<usize> {
    let mut start = rest.len();
    while start > 0 && rest[start - 1].single().is_some_and(title_like) {
        start -= 1;
    }
    let run = &rest[start..];
    let first = run.iter().position(|b| same(&b.lines[0], title))?;
    let titles = run.iter().filter(|b| same(&b.lines[0], title)).count();
    (titles >= 2 && run.len() - first >= 3).then_some(start + first)
}

fn head(blocks: &[Block], hint: Option<&str>) -> Result<Head, ParseError> {
    let mut h = Head::default();
    let limit = blocks.len().min(HEAD_MAX);

    // The date line ends the head. It is searched for only before the body
    // proper starts (two long paragraphs), so a date quoted in the body is
    // not mistaken for it.
    let mut date_idx = None;
    let mut long = 0;
    for (i, b) in blocks[..limit].iter().enumerate() {
        if let Some((d, authors)) = b.single().and_then(date_line) {
            date_idx = Some(i);
            h.date = Some(d);
            h.authors.extend(authors);
            break;
        }
        if b.text().chars().count() > 200 {
            long += 1;
            if long >= 2 {
                break;
            }
        }
    }
    let head_end = date_idx.unwrap_or(limit);

    // The export repeats the title as the first line of the caption block.
    if let Some((j, k)) = repetition(&blocks[..head_end]) {
        let t = blocks[k].lines[0].clone();
        h.title = Some((t, blocks[k].line));
        let cap = blocks[k].lines[1..].join(" ");
        h.caption = (!cap.is_empty()).then_some(cap);
        let before: Vec<&String> = blocks[..j]
            .iter()
            .flat_map(|b| &b.lines)
            .chain(&blocks[j].lines[..blocks[j].lines.len() - 1])
            .collect();
        for l in before {
            if let Some(names) = byline(l) {
                h.authors.extend(names);
            } else if h.site.is_none() {
                h.site = Some(l.clone());
            }
        }
        match date_idx {
            Some(d) if d > k => {
                h.standfirst = standfirst(&blocks[k + 1..d], &mut h.authors);
                h.body_start = d + 1;
            }
            _ => {
                // No date after the head: the block after the caption is the
                // standfirst only if it reads like one (short, and without the
                // final full stop every body paragraph has) and body
                // paragraphs follow it.
                let mut next = k + 1;
                while let Some(names) = byline_block(blocks, next) {
                    h.authors.extend(names);
                    next += 1;
                }
                h.body_start = next;
                if let Some(b) = blocks.get(next)
                    && date_idx.is_none()
                    && next + 1 < blocks.len()
                    && b.text().chars().count() <= 600
                    && !quotes::ends_with_full_stop(&b.text())
                    && !b.single().is_some_and(is_read_more)
                {
                    h.standfirst = Some(b.text());
                    h.body_start = next + 1;
                }
                if let Some(d) = date_idx {
                    h.body_start = h.body_start.max(d + 1);
                }
            }
        }
        return Ok(h);
    }

    // No repetition: the head is the lines before the date (or, without a
    // date, the short lines at the top).
    let head_blocks = match date_idx {
        Some(d) => &blocks[..d],
        None => {
            let n = blocks
                .iter()
                .take(3)
                .take_while(|b| !prose(&b.lines[0]))
                .count();
            &blocks[..n.max(1)]
        }
    };
    // Head lines, each with its line number and (block, line-in-block), so a
    // "Title / caption" block without the repeated title is still read right.
    let mut units: Vec<Unit> = Vec::new();
    for (bi, b) in head_blocks.iter().enumerate() {
        if b.lines.len() > 1 && (prose(&b.lines[0]) || b.lines.len() > 3) {
            // A hard-wrapped paragraph, not head lines.
            units.push(Unit {
                text: b.text(),
                line: b.line,
                block: bi,
                nth: 0,
            });
        } else {
            for (n, l) in b.lines.iter().enumerate() {
                units.push(Unit {
                    text: l.clone(),
                    line: b.line + n,
                    block: bi,
                    nth: n,
                });
            }
        }
    }
    units.retain(|u| match byline(&u.text) {
        Some(names) => {
            h.authors.extend(names);
            false
        }
        None => true,
    });
    h.body_start = date_idx.map_or(head_blocks.len(), |d| d + 1);

    if units.is_empty() {
        // Date first: "9 August 2017" then the title.
        if let Some(b) = blocks.get(h.body_start) {
            h.title = Some((b.text(), b.line));
            h.body_start += 1;
        }
        return Ok(h);
    }

    let at = hint.and_then(|t| units.iter().position(|u| same(&u.text, t)));
    let t = match at {
        Some(i) => i,
        None => match units.len() {
            1 => 0,
            2 => {
                let b = &units[1].text;
                if site_like(&units[0].text) && !prose(b) && b.chars().count() <= 110 {
                    1
                } else {
                    0
                }
            }
            _ => usize::from(title_like(&units[1].text) && !prose(&units[0].text)),
        },
    };
    if t > 0 {
        h.site = Some(units[0].text.clone());
    }
    let title = &units[t];
    h.title = Some((title.text.clone(), title.line));
    let mut rest = &units[t + 1..];
    // Lines under the title in its own block are the image caption.
    if title.nth == 0 {
        let n = rest.iter().take_while(|u| u.block == title.block).count();
        if n > 0 {
            let cap: Vec<&str> = rest[..n].iter().map(|u| u.text.as_str()).collect();
            h.caption = Some(cap.join(" "));
            rest = &rest[n..];
        }
    }
    let s = rest
        .iter()
        .map(|u| u.text.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    h.standfirst = (!s.is_empty()).then_some(s);
    Ok(h)
}

struct Unit {
    text: String,
    line: usize,
    block: usize,
    nth: usize,
}

/// Blocks between the caption and the date: bylines go to authors, the rest is
/// the standfirst.
fn standfirst(blocks: &[Block], authors: &mut Vec<String>) -> Option<String> {
    let mut parts = Vec::new();
    for b in blocks {
        match b.single().and_then(byline) {
            Some(names) => authors.extend(names),
            None => parts.push(b.text()),
        }
    }
    let s = parts.join(" ");
    (!s.is_empty()).then_some(s)
}

/// (j, k): block `k` (two or more lines, or one) starts with the line that
/// ends block `j` — the title, then the title again over the caption.
fn repetition(blocks: &[Block]) -> Option<(usize, usize)> {
    for k in 1..blocks.len().min(HEAD_MAX) {
        let first = &blocks[k].lines[0];
        // The "Read more" box also repeats the title; it is never head.
        if is_read_more(first) {
            return None;
        }
        if !title_like(first) {
            continue;
        }
        // The repeat follows the title closely (at most a byline between).
        for j in (k.saturating_sub(2)..k).rev() {
            if same(blocks[j].lines.last()?, first) {
                return Some((j, k));
            }
        }
    }
    None
}

/// Separates pull quotes from body paragraphs: short, no final full stop, and
/// repeating a sentence of a body paragraph at most [`QUOTE_REACH`] away.
fn split_pull_quotes(paragraphs: Vec<String>) -> (Vec<String>, Vec<String>) {
    let candidate: Vec<bool> = paragraphs
        .iter()
        .map(|p| !quotes::ends_with_full_stop(p) && p.split_whitespace().count() <= QUOTE_MAX_WORDS)
        .collect();
    // Tokenised on demand: only paragraphs near a candidate are ever needed.
    let sources: Vec<Option<quotes::Paragraph<'_>>> = paragraphs
        .iter()
        .zip(&candidate)
        .map(|(p, &c)| (!c).then(|| quotes::Paragraph::new(p)))
        .collect();
    let is_quote: Vec<bool> = (0..paragraphs.len())
        .map(|i| {
            candidate[i] && {
                let q = quotes::Quote::new(&paragraphs[i]);
                let lo = i.saturating_sub(QUOTE_REACH);
                let hi = (i + QUOTE_REACH).min(paragraphs.len() - 1);
                (lo..=hi).any(|j| sources[j].as_ref().is_some_and(|s| s.repeated_by(&q)))
            }
        })
        .collect();
    drop(sources);
    let mut body = Vec::new();
    let mut pulls = Vec::new();
    for (p, q) in paragraphs.into_iter().zip(is_quote) {
        if q { pulls.push(p) } else { body.push(p) }
    }
    (body, pulls)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::{Context, parse_bytes};
    use chrono::NaiveDate;

    fn parse_txt(bytes: &[u8]) -> Article {
        let (format, a) = parse_bytes(bytes, Some("txt"), &Context { base_url: None }).unwrap();
        assert_eq!(format, crate::model::Format::Text);
        a
    }

    fn ymd(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(y, m, d)
    }

    const P1: &str = "The ferry to Baku left at dawn, half empty. Nobody on board expected the storm that came at noon. The captain said the sea had never been so calm in April.";
    const P2: &str = "By evening the passengers had made friends. A woman from Aktau shared bread and dried fish with everyone on deck.";
    const P3: &str =
        "When the coast appeared, some of them cheered. Others had already gone below to sleep.";

    /// The full layout, written for this test (not the seed).
    fn full() -> String {
        format!(
            "Caspian Review\n\nA slow boat across the Caspian\n\nA slow boat across the Caspian\nThe ferry at Alat port. Photo: Jane Roe\n\nTwo days on a cargo ferry between Kazakhstan and Azerbaijan\n\n17 Sep 2018\n\n{P1}\n\nThe captain said the sea had never been so calm in April\n\n{P2}\n\n{P3}\n\nRead more\n\nA slow boat across the Caspian\n\nTrains of the steppe\n\nA slow boat across the Caspian\n\nThe last caravanserai\n"
        )
    }

    #[test]
    fn full_layout_is_split_into_its_parts() {
        let a = parse_txt(full().as_bytes());
        assert_eq!(a.site_name.as_deref(), Some("Caspian Review"));
        assert_eq!(a.title, "A slow boat across the Caspian");
        assert_eq!(
            a.caption.as_deref(),
            Some("The ferry at Alat port. Photo: Jane Roe")
        );
        assert_eq!(a.image_credit.as_deref(), Some("Jane Roe"));
        assert_eq!(
            a.standfirst.as_deref(),
            Some("Two days on a cargo ferry between Kazakhstan and Azerbaijan")
        );
        assert_eq!(a.date, ymd(2018, 9, 17));
        assert_eq!(
            a.pull_quotes,
            ["The captain said the sea had never been so calm in April"]
        );
        assert_eq!(a.related, ["Trains of the steppe", "The last caravanserai"]);
        assert_eq!(a.body_text, format!("{P1}\n\n{P2}\n\n{P3}"));
        assert_eq!(a.body_html.matches("<p>").count(), 3);
    }

    #[test]
    fn crlf_bom_and_no_trailing_newline() {
        let s = format!("\u{feff}{}", full().trim_end().replace('\n', "\r\n"));
        let a = parse_txt(s.as_bytes());
        assert_eq!(a, parse_txt(full().as_bytes()));
        assert!(!a.body_text.contains('\r'));
    }

    #[test]
    fn no_caption_no_standfirst_no_read_more() {
        let a = parse_txt(
            format!("Caspian Review\n\nA slow boat\n\n9 August 2017\n\n{P1}\n\n{P2}").as_bytes(),
        );
        assert_eq!(a.site_name.as_deref(), Some("Caspian Review"));
        assert_eq!(a.title, "A slow boat");
        assert_eq!(a.caption, None);
        assert_eq!(a.standfirst, None);
        assert!(a.related.is_empty() && a.pull_quotes.is_empty());
        assert_eq!(a.body_text, format!("{P1}\n\n{P2}"));
    }

    #[test]
    fn no_site_line_is_recognised_from_the_repeated_title() {
        let a = parse_txt(
            format!("A slow boat\n\nA slow boat\nThe port at dawn\n\nOn the ferry\n\nOctober 14, 2022\n\n{P1}").as_bytes(),
        );
        assert_eq!(a.site_name, None);
        assert_eq!(a.title, "A slow boat");
        assert_eq!(a.caption.as_deref(), Some("The port at dawn"));
        assert_eq!(a.standfirst.as_deref(), Some("On the ferry"));
        assert_eq!(a.date, ymd(2022, 10, 14));
    }

    #[test]
    fn caption_under_the_title_without_the_repeat() {
        let a = parse_txt(
            format!("Caspian Review\n\nA slow boat across the Caspian\nThe ferry at Alat port.\n\n9 August 2017\n\n{P1}").as_bytes(),
        );
        assert_eq!(a.site_name.as_deref(), Some("Caspian Review"));
        assert_eq!(a.title, "A slow boat across the Caspian");
        assert_eq!(a.caption.as_deref(), Some("The ferry at Alat port."));
        assert_eq!(a.standfirst, None);
        assert_eq!(a.body_text, P1);
    }

    #[test]
    fn title_and_long_standfirst_without_site_line() {
        let sf = "A ferry crossing told by the people who make it every week, from the cooks to the customs officers, over two days and one long night at sea";
        let a = parse_txt(
            format!("A slow boat across the Caspian\n\n{sf}\n\n2022-10-14\n\n{P1}").as_bytes(),
        );
        assert_eq!(a.site_name, None);
        assert_eq!(a.title, "A slow boat across the Caspian");
        assert_eq!(a.standfirst.as_deref(), Some(sf));
        assert_eq!(a.date, ymd(2022, 10, 14));
    }

    #[test]
    fn caseless_script_title_with_standfirst() {
        let a = parse_txt(
            "ქართული კინო: ახალი ტალღა\n\nრეჟისორები ბრუნდებიან თბილისში და იღებენ ფილმებს ძველ სტუდიაში\n\n17 Sep 2018\n\nპირველი აბზაცი."
                .as_bytes(),
        );
        assert_eq!(a.site_name, None);
        assert_eq!(a.title, "ქართული კინო: ახალი ტალღა");
        assert!(a.standfirst.is_some_and(|s| s.starts_with("რეჟისორები")));
        assert_eq!(a.date, ymd(2018, 9, 17));
    }

    #[test]
    fn read_more_reveals_the_title_when_layout_is_ambiguous() {
        // Both head lines are short; only "Read more" says which is the title.
        let a = parse_txt(
            format!("Slow boats\n\nThe ferry crossing\n\n2022-10-14\n\n{P1}\n\nRead more\n\nSlow boats\n\nOther story\n\nSlow boats\n\nThird story").as_bytes(),
        );
        assert_eq!(a.title, "Slow boats");
        assert_eq!(a.standfirst.as_deref(), Some("The ferry crossing"));
        assert_eq!(a.related, ["Other story", "Third story"]);
    }

    #[test]
    fn short_paragraph_that_repeats_nothing_stays_in_the_body() {
        let a = parse_txt(
            format!(
                "Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\nAnd then the wind dropped\n\n{P2}"
            )
            .as_bytes(),
        );
        assert!(a.pull_quotes.is_empty());
        assert_eq!(
            a.body_text,
            format!("{P1}\n\nAnd then the wind dropped\n\n{P2}")
        );
    }

    #[test]
    fn pull_quote_with_curly_quotes_and_spacing_differences() {
        let p =
            "The captain laughed. “We have  never lost a passenger,” he said. Then he went below.";
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017\n\n{p}\n\n{P2}\n\n\"We have never lost a passenger\", he said\n\n{P3}").as_bytes(),
        );
        assert_eq!(
            a.pull_quotes,
            ["\"We have never lost a passenger\", he said"]
        );
        assert_eq!(
            a.body_text,
            format!("{}\n\n{P2}\n\n{P3}", p.replace("  ", " "))
        );
    }

    #[test]
    fn pull_quote_far_from_its_sentence_is_body() {
        let mut s = format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}");
        for i in 0..6 {
            s.push_str(&format!(
                "\n\nFiller paragraph number {i} says nothing at all."
            ));
        }
        s.push_str("\n\nThe captain said the sea had never been so calm in April");
        let a = parse_txt(s.as_bytes());
        assert!(a.pull_quotes.is_empty(), "{:?}", a.pull_quotes);
    }

    #[test]
    fn pull_quote_ending_with_full_stop_is_body() {
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\nThe captain said the sea had never been so calm in April.").as_bytes(),
        );
        assert!(a.pull_quotes.is_empty());
        assert_eq!(a.body_text.split("\n\n").count(), 2);
    }

    #[test]
    fn windows_1252_bytes_decode() {
        let mut bytes = b"Site\n\nCaf\xe9 society in Tbilisi\n\n9 August 2017\n\n".to_vec();
        bytes.extend_from_slice(b"\x93Coffee,\x94 she said \x96 and smiled.");
        let a = parse_txt(&bytes);
        assert_eq!(a.title, "Café society in Tbilisi");
        assert_eq!(a.body_text, "“Coffee,” she said – and smiled.");
    }

    #[test]
    fn cyrillic_georgian_and_armenian_text() {
        let a = parse_txt(
            "Архив\n\nКино на Кавказе\n\nКино на Кавказе\nКадр из фильма. Фото: архив\n\n9 August 2017\n\nФильм снят в Нальчике. Это первый фильм режиссёра.\n\nქართული კინო ცოცხალია.\n\nՀայկական ֆիլմը ցուցադրվեց Երևանում։"
                .as_bytes(),
        );
        assert_eq!(a.site_name.as_deref(), Some("Архив"));
        assert_eq!(a.title, "Кино на Кавказе");
        assert_eq!(a.caption.as_deref(), Some("Кадр из фильма. Фото: архив"));
        assert_eq!(a.image_credit.as_deref(), Some("архив"));
        assert_eq!(a.body_text.split("\n\n").count(), 3);
        assert!(a.body_text.contains("ქართული") && a.body_text.contains("Երևանում"));
    }

    #[test]
    fn control_characters_and_markup_are_made_safe() {
        let a = parse_txt(
            b"Site\n\nTitle\x07 here\n\n9 August 2017\n\nA <script>alert(1)</script> & \x1b\"quoted\" line.",
        );
        assert_eq!(a.title, "Title here");
        assert!(!a.body_html.contains("<script"), "{}", a.body_html);
        assert!(
            a.body_html.starts_with("<p>A &lt;script&gt;"),
            "{}",
            a.body_html
        );
        assert!(!a.body_text.contains('\u{1b}'));
    }

    #[test]
    fn date_with_byline_and_prefix() {
        let a = parse_txt(
            format!(
                "Site\n\nTitle here\n\nBy Ana Lima and Ivo Sem\n\nPublished 2022-10-14\n\n{P1}"
            )
            .as_bytes(),
        );
        assert_eq!(a.date, ymd(2022, 10, 14));
        assert_eq!(a.authors, ["Ana Lima", "Ivo Sem"]);
        assert_eq!(a.standfirst, None);
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017 | By Ana Lima\n\n{P1}").as_bytes(),
        );
        assert_eq!(a.date, ymd(2017, 8, 9));
        assert_eq!(a.authors, ["Ana Lima"]);
    }

    /// Regression: "Words by …" on its own line just after the date stayed
    /// the first body paragraph, and the article had no author.
    #[test]
    fn byline_opening_the_body_goes_to_authors() {
        let with = full().replace("17 Sep 2018\n\n", "17 Sep 2018\n\nWords by Ana Lima\n\n");
        let a = parse_txt(with.as_bytes());
        assert_eq!(a.authors, ["Ana Lima"]);
        assert!(a.body_text.starts_with(P1), "{}", a.body_text);
        assert_eq!(a.body_text, parse_txt(full().as_bytes()).body_text);
        // A first paragraph that starts with "By" is prose, not a byline.
        let a = parse_txt(format!("Site\n\nTitle here\n\n2022-10-14\n\n{P2}").as_bytes());
        assert!(a.authors.is_empty());
        assert!(a.body_text.starts_with("By evening"));
    }

    #[test]
    fn no_date_keeps_first_paragraph_in_body() {
        let a = parse_txt(format!("A slow boat\n\n{P1}\n\n{P2}").as_bytes());
        assert_eq!(a.title, "A slow boat");
        assert_eq!(a.date, None);
        assert_eq!(a.body_text, format!("{P1}\n\n{P2}"));
    }

    #[test]
    fn file_without_a_title_names_the_line() {
        let err = crate::parse::parse_bytes(
            format!("\n\n{P1} {P2}\n\n{P3}").as_bytes(),
            Some("txt"),
            &Context { base_url: None },
        )
        .unwrap_err();
        assert_eq!(err.line, Some(3), "{err}");
        assert!(
            err.to_string()
                .starts_with("line 3: expected the article title"),
            "{err}"
        );
    }

    #[test]
    fn read_more_header_sharing_a_block_with_the_titles() {
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\nRead more:\nTitle here\nOther story\nTitle here\nThird story\n").as_bytes(),
        );
        assert_eq!(a.related, ["Other story", "Third story"]);
        assert_eq!(a.body_text, P1);
    }

    #[test]
    fn alternating_tail_without_a_header_is_related() {
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\n{P2}\n\nTitle here\n\nOther story\n\nTitle here\n\nThird story").as_bytes(),
        );
        assert_eq!(a.related, ["Other story", "Third story"]);
        assert_eq!(a.body_text, format!("{P1}\n\n{P2}"));
    }

    /// Lines that stress the line helpers' shortcuts: Unicode whitespace,
    /// zero-width characters, the Kelvin sign and dotted capital I (whose
    /// lowercase changes length), final sigma, headers in any case.
    fn odd_line() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "Read more",
                "READ MORE",
                "read also:",
                "See Also",
                "related",
                "Related:",
                "Related Articles",
                "you might also like",
                "YOU MAY ALSO LI\u{212A}E",
                "Читайте также",
                "ЧИТАТЬ ТАКЖЕ",
                "см. также",
                ":",
                ".",
                "…",
                "»",
                ">",
                "→",
                " ",
                "  ",
                "\t",
                "\u{a0}",
                "\u{2003}",
                "\u{3000}",
                "\u{200b}",
                "\u{2060}",
                "\u{85}",
                "İ",
                "Σ",
                "x",
                "Title",
                "ﬁ",
                "e\u{301}",
                "\u{7}",
            ]),
            0..8,
        )
        .prop_map(|v| v.concat())
    }

    use proptest::prelude::Strategy;

    proptest::proptest! {
        #[test]
        fn line_helpers_match_their_plain_versions(line in odd_line()) {
            let old_tidy = line
                .split(|c: char| c.is_whitespace() || matches!(c, '\u{200b}' | '\u{2060}'))
                .filter(|w| !w.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
            proptest::prop_assert_eq!(tidy(&line), old_tidy);
            for l in [line.as_str(), line.trim()] {
                // Before the length shortcut: lowercase everything, compare.
                let lower = l
                    .trim_end_matches(|c: char| {
                        matches!(c, ':' | '.' | '…' | '»' | '>' | '→') || c.is_whitespace()
                    })
                    .to_lowercase();
                let known = [
                    "read more", "read also", "read next", "see also", "related",
                    "related articles", "related stories", "more on this",
                    "more on this topic", "you may also like", "you might also like",
                    "читайте также", "читать также", "см. также",
                ];
                proptest::prop_assert_eq!(is_read_more(l), known.contains(&lower.as_str()));
                // Before the ASCII prefix test: lowercase the line.
                let old_inline = {
                    let lower = l.to_lowercase();
                    ["read more:", "read also:", "see also:", "related:"]
                        .into_iter()
                        .find(|p| lower.starts_with(p))
                        .map(|p| l[p.len()..].trim())
                        .filter(|r| !r.is_empty() && r.len() <= TITLE_MAX)
                };
                proptest::prop_assert_eq!(inline_read_more(l), old_inline);
            }
        }
    }

    #[test]
    fn read_more_shortcuts_keep_odd_headers() {
        assert!(is_read_more("YOU MAY ALSO LI\u{212A}E …"));
        assert!(is_read_more("Читайте также:"));
        assert!(!is_read_more(
            "Read more about the ferry and the people who run it"
        ));
        assert_eq!(
            inline_read_more("RELATED: The last caravanserai"),
            Some("The last caravanserai")
        );
        assert_eq!(inline_read_more("Related: "), None);
    }

    #[test]
    fn mid_article_read_more_box_is_related_not_body() {
        let a = parse_txt(
            format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\nRead more\n\nAnother story entirely\n\n{P2}\n\nRead more: Third story").as_bytes(),
        );
        assert_eq!(a.related, ["Another story entirely", "Third story"]);
        assert_eq!(a.body_text, format!("{P1}\n\n{P2}"));
    }

    /// Found by fuzzing: each "Read more" header re-scanned every block after
    /// it, so a file of thousands of headers took quadratic time (seconds
    /// for 64 KB). The headers and titles must still all be read right.
    #[test]
    fn thousands_of_read_more_headers_are_read_in_one_pass() {
        let n = 5000;
        let mut s = format!("Site\n\nTitle here\n\n9 August 2017\n\n{P1}\n\n");
        for k in 0..n {
            s.push_str(&format!("Read more\n\nStory number {k}\n\n"));
        }
        let a = parse_txt(s.as_bytes());
        assert_eq!(a.body_text, P1);
        assert_eq!(a.related.len(), n);
        assert_eq!(a.related[n - 1], format!("Story number {}", n - 1));
    }
}
