//! The Markdown parser: YAML (`---`) or TOML (`+++`) front matter, then a
//! CommonMark body rendered with pulldown-cmark and sanitized.
//!
//! Real front matter carries many keys (Hugo, Jekyll, Zola, Obsidian), so
//! unknown keys are ignored and the known ones are read leniently: a list or
//! a single string, a date or a datetime, an image as a URL or a table.
//! Without a front-matter title a leading `# H1` is the title; a leading date
//! paragraph is the date; block quotes that repeat body text are pull quotes.

use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
use serde_json::Value;
use url::Url;

use super::{Context, ParseError, date, quotes};
use crate::model::Article;
use crate::util::words::{collapse_ws, push_words};

/// Blocks either side of a block quote that may hold the text it repeats.
const QUOTE_REACH: usize = 6;

/// The front matter block, parsed into a JSON-like tree with lowercase keys.
struct FrontMatter {
    map: serde_json::Map<String, Value>,
    /// The raw text and the file line its first line is on, to point errors
    /// about a key at the key's line.
    raw: String,
    first_line: usize,
}

impl FrontMatter {
    /// The first of `keys` that is set, at the top level or else in the
    /// tables static site generators keep the rest in: Zola's `[taxonomies]`
    /// (tags, categories) and `[extra]` (author, image), Hugo's `params`.
    fn get(&self, keys: &[&str]) -> Option<&Value> {
        fn first<'m>(map: &'m serde_json::Map<String, Value>, keys: &[&str]) -> Option<&'m Value> {
            keys.iter()
                .filter_map(|k| map.get(*k))
                .find(|v| !v.is_null())
        }
        first(&self.map, keys).or_else(|| {
            ["taxonomies", "extra", "params"]
                .iter()
                .filter_map(|t| self.map.get(*t)?.as_object())
                .find_map(|m| first(m, keys))
        })
    }

    fn text(&self, keys: &[&str]) -> Option<String> {
        self.get(keys).and_then(text)
    }

    /// The key and value that mark the file a draft, as Hugo, Zola, Jekyll
    /// and Pelican read them: `draft: true`, `published: false` (a
    /// `published` date is no such mark), `status: draft` (or hidden,
    /// private, unpublished).
    fn draft(&self) -> Option<(&'static str, String)> {
        let marks: [(&'static str, &[&str]); 3] = [
            ("draft", &["true", "yes"]),
            ("published", &["false", "no"]),
            ("status", &["draft", "hidden", "private", "unpublished"]),
        ];
        marks.into_iter().find_map(|(key, values)| {
            let v = self
                .map
                .get(key)
                .filter(|v| v.is_boolean() || v.is_string());
            let v = v.and_then(text)?.to_ascii_lowercase();
            values.contains(&v.as_str()).then_some((key, v))
        })
    }

    /// The file line on which `key` is set (for error messages).
    fn line_of(&self, key: &str) -> usize {
        self.raw
            .lines()
            .position(|l| {
                let l = l.trim_start().to_lowercase();
                l.strip_prefix(key)
                    .is_some_and(|r| r.trim_start().starts_with([':', '=']))
            })
            .map_or(self.first_line, |i| self.first_line + i)
    }
}

/// A scalar as text: strings trimmed, numbers and booleans printed.
fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => collapse_ws(&super::clean_text(s)),
        Value::Number(n) => n.to_string(),
        Value::Bool(b) => b.to_string(),
        // `author: {name: X}` and similar.
        Value::Object(m) => return m.get("name").or_else(|| m.get("title")).and_then(text),
        _ => return None,
    };
    (!s.is_empty()).then_some(s)
}

/// A list: a sequence of scalars, or one string (split at commas if asked).
fn list(v: Option<&Value>, split_commas: bool) -> Vec<String> {
    let mut out: Vec<String> = match v {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(Value::String(s)) if split_commas => s
            .split(',')
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty())
            .collect(),
        Some(v) => text(v).into_iter().collect(),
        None => Vec::new(),
    };
    let mut seen = std::collections::HashSet::new();
    out.retain(|t| seen.insert(t.to_lowercase()));
    out
}

/// Splits off front matter. Returns it (if any), the body, and the file line
/// the body starts on.
fn split_front_matter(input: &str) -> Result<(Option<FrontMatter>, &str), ParseError> {
    // Leading blank lines are allowed before the fence.
    let skipped = input.len() - input.trim_start_matches(['\n', ' ', '\t']).len();
    let skipped = input[..skipped].rfind('\n').map_or(0, |i| i + 1);
    let first_line = input[..skipped].matches('\n').count() + 1;
    let rest = &input[skipped..];
    let fence = match rest.lines().next().map(str::trim_end) {
        Some("---") => "---",
        Some("+++") => "+++",
        _ => return Ok((None, input)),
    };
    let after_open = rest.find('\n').map_or(rest.len(), |i| i + 1);
    let mut offset = after_open;
    let mut close = None;
    for line in rest[after_open..].split_inclusive('\n') {
        let t = line.trim_end();
        if t == fence || (fence == "---" && t == "...") {
            close = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((close_start, body_start)) = close else {
        return Err(ParseError::at(
            first_line,
            format!(
                "front matter opened with {fence} is never closed (add a line with {fence} after it)"
            ),
        ));
    };
    let raw = &rest[after_open..close_start];
    let fm_line = first_line + 1;
    let map = if fence == "---" {
        yaml_map(raw, fm_line)?
    } else {
        toml_map(raw, fm_line)?
    };
    let map = map
        .into_iter()
        .map(|(k, v)| (k.trim().to_lowercase(), v))
        .collect();
    Ok((
        Some(FrontMatter {
            map,
            raw: raw.to_string(),
            first_line: fm_line,
        }),
        &rest[body_start..],
    ))
}

fn yaml_map(raw: &str, fm_line: usize) -> Result<serde_json::Map<String, Value>, ParseError> {
    if let Some(line) = yaml_flow_too_deep(raw, YAML_FLOW_DEPTH_MAX) {
        return Err(ParseError::at(
            fm_line + line,
            format!("front matter nests `[` or `{{` more than {YAML_FLOW_DEPTH_MAX} deep"),
        ));
    }
    let v: serde_norway::Value = serde_norway::from_str(raw).map_err(|e| {
        let line = e
            .location()
            .map_or(fm_line, |l| fm_line + l.line().saturating_sub(1));
        ParseError::at(
            line,
            format!(
                "front matter is not valid YAML: {}",
                file_lines(&e.to_string(), fm_line)
            ),
        )
    })?;
    match yaml_to_json(v) {
        Value::Object(m) => Ok(m),
        Value::Null => Ok(serde_json::Map::new()),
        _ => Err(ParseError::at(
            fm_line,
            "front matter must be a set of `key: value` lines",
        )),
    }
}

/// Deepest `[`/`{` nesting let through to the YAML parser. Its scanner
/// costs time proportional to the nesting for every token, so 30,000 `[` in
/// 60 KB took 1.5 s; and deserializing stops at 128 levels anyway, so no
/// front matter that could load is turned away.
const YAML_FLOW_DEPTH_MAX: usize = 256;

/// The 0-based line on which flow collections (`[`, `{`) in YAML text nest
/// deeper than `max`, if they do. Follows the scanner where it matters: in
/// flow context every `[`/`{` outside quoted scalars and comments opens a
/// level (plain scalars end at flow indicators there, and quotes inside
/// them are text); in block context only one where a node may start.
fn yaml_flow_too_deep(raw: &str, max: usize) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum S {
        /// Where a token may start (a node, in block context).
        Start,
        /// Inside a plain scalar or other text a token cannot start in.
        Text,
        /// Inside an anchor, alias or tag: runs to a blank.
        Property,
        Double,
        Single,
        Comment,
    }
    let b = raw.as_bytes();
    let (mut depth, mut line, mut s) = (0usize, 0usize, S::Start);
    let blank = |i: usize| {
        b.get(i)
            .is_none_or(|c| matches!(c, b' ' | b'\t' | b'\n' | b'\r'))
    };
    let indent = |from: usize| b[from..].iter().take_while(|&&c| c == b' ').count();
    let mut line_start = 0;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let flow = depth > 0;
        match s {
            S::Double => match c {
                b'\\' => i += 1,
                b'"' => s = if flow { S::Start } else { S::Text },
                _ => {}
            },
            S::Single => {
                if c == b'\'' {
                    if b.get(i + 1) == Some(&b'\'') {
                        i += 1;
                    } else {
                        s = if flow { S::Start } else { S::Text };
                    }
                }
            }
            S::Comment => {
                if c == b'\n' {
                    s = S::Start;
                }
            }
            S::Property => {
                if blank(i) || flow && matches!(c, b',' | b'[' | b']' | b'{' | b'}') {
                    s = S::Start;
                    continue;
                }
            }
            S::Start | S::Text => match c {
                b'\n' if !flow => s = S::Start,
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'#' if s == S::Start || i > 0 && blank(i - 1) => s = S::Comment,
                b'[' | b'{' if flow || s == S::Start => {
                    depth += 1;
                    if depth > max {
                        return Some(line);
                    }
                    s = S::Start;
                }
                b']' | b'}' if flow => {
                    depth -= 1;
                    s = if depth > 0 { S::Start } else { S::Text };
                }
                b',' if flow => s = S::Start,
                b'"' if s == S::Start => s = S::Double,
                b'\'' if s == S::Start => s = S::Single,
                b'&' | b'*' | b'!' if s == S::Start => s = S::Property,
                b'-' | b'?' if s == S::Start && blank(i + 1) => {}
                b':' if blank(i + 1) || flow => s = S::Start,
                // A literal or folded block scalar: its text is the lines
                // indented deeper than the line that opens it.
                b'|' | b'>' if !flow && s == S::Start => {
                    let own = indent(line_start);
                    let mut end = memchr::memchr(b'\n', &b[i..]).map_or(b.len(), |n| i + n);
                    while end < b.len() {
                        let next = end + 1;
                        let ind = indent(next);
                        let stop = memchr::memchr(b'\n', &b[next..]).map_or(b.len(), |n| next + n);
                        if ind <= own && !b[next + ind..stop].iter().all(u8::is_ascii_whitespace) {
                            break;
                        }
                        line += 1;
                        end = stop;
                    }
                    // At the newline that ends the block scalar (counted below).
                    i = end;
                    s = S::Start;
                    if i == b.len() {
                        break;
                    }
                }
                _ => s = S::Text,
            },
        }
        if b.get(i) == Some(&b'\n') {
            line += 1;
            line_start = i + 1;
        }
        i += 1;
    }
    None
}

fn yaml_to_json(v: serde_norway::Value) -> Value {
    use serde_norway::Value as Y;
    match v {
        Y::Null => Value::Null,
        Y::Bool(b) => Value::Bool(b),
        Y::Number(n) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Value::from(i),
            (None, Some(f)) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
            _ => Value::Null,
        },
        Y::String(s) => Value::String(s),
        Y::Sequence(items) => Value::Array(items.into_iter().map(yaml_to_json).collect()),
        Y::Mapping(m) => Value::Object(
            m.into_iter()
                .filter_map(|(k, v)| {
                    let key = match yaml_to_json(k) {
                        Value::String(s) => s,
                        Value::Null => return None,
                        other => other.to_string(),
                    };
                    Some((key, yaml_to_json(v)))
                })
                .collect(),
        ),
        Y::Tagged(t) => yaml_to_json(t.value),
    }
}

/// The YAML parser's message with its positions ("at line 1 column 8",
/// counted from the front matter's first line) made lines of the file, as
/// the line the error is reported at already is: "line 4: … at line 3
/// column 1, while scanning a quoted scalar at line 1 column 8" sent users
/// looking at three different lines for one unclosed quote on line 2.
fn file_lines(message: &str, fm_line: usize) -> String {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let re =
        RE.get_or_init(|| regex::Regex::new(r"\bline (\d+) column (\d+)").expect("static regex"));
    re.replace_all(message, |c: &regex::Captures<'_>| {
        let n: usize = c[1].parse().unwrap_or(1);
        format!("line {} column {}", fm_line + n.saturating_sub(1), &c[2])
    })
    .into_owned()
}

fn toml_map(raw: &str, fm_line: usize) -> Result<serde_json::Map<String, Value>, ParseError> {
    let t: toml::Table = toml::from_str(raw).map_err(|e| {
        let line = e.span().map_or(fm_line, |s| {
            fm_line + raw[..s.start.min(raw.len())].matches('\n').count()
        });
        ParseError::at(
            line,
            format!("front matter is not valid TOML: {}", e.message()),
        )
    })?;
    Ok(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect())
}

fn toml_to_json(v: toml::Value) -> Value {
    use toml::Value as T;
    match v {
        T::String(s) => Value::String(s),
        T::Integer(i) => Value::from(i),
        T::Float(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        T::Boolean(b) => Value::Bool(b),
        T::Datetime(d) => Value::String(d.to_string()),
        T::Array(a) => Value::Array(a.into_iter().map(toml_to_json).collect()),
        T::Table(t) => Value::Object(t.into_iter().map(|(k, v)| (k, toml_to_json(v))).collect()),
    }
}

/// An absolute http(s) URL, resolving a relative one against `base`.
fn absolute(s: &str, base: Option<&Url>) -> Option<Url> {
    let s = s.trim();
    let u = match Url::parse(s) {
        Ok(u) => u,
        Err(url::ParseError::RelativeUrlWithoutBase) => base?.join(s).ok()?,
        Err(_) => return None,
    };
    matches!(u.scheme(), "http" | "https").then_some(u)
}

pub fn parse(input: &str, ctx: &Context<'_>) -> Result<Article, ParseError> {
    let (fm, body) = split_front_matter(input)?;
    let mut a = Article::default();
    if let Some(fm) = &fm {
        if let Some((key, value)) = fm.draft() {
            return Err(ParseError::draft(
                fm.line_of(key),
                format!(
                    "draft ({key}: {value}): not published until the front matter says otherwise"
                ),
            ));
        }
        a.title = fm.text(&["title"]).unwrap_or_default();
        a.explicit_id = fm.text(&["id", "uuid", "guid"]);
        a.url = fm
            .text(&["url", "canonical", "canonical_url", "permalink", "link"])
            .and_then(|u| absolute(&u, ctx.base_url))
            .map(String::from);
        if let Some(v) = fm.get(&[
            "date",
            "published",
            "pubdate",
            "publishdate",
            "date_published",
            "created",
        ]) {
            let s = text(v).unwrap_or_default();
            a.date = date::parse_date(&s);
            if a.date.is_none() {
                let key = [
                    "date",
                    "published",
                    "pubdate",
                    "publishdate",
                    "date_published",
                    "created",
                ]
                .into_iter()
                .find(|k| fm.map.get(*k).is_some_and(|v| !v.is_null()))
                .unwrap_or("date");
                return Err(ParseError::at(
                    fm.line_of(key),
                    format!("{key}: cannot read {s:?} as a date (write it as YYYY-MM-DD)"),
                ));
            }
        }
        a.standfirst = fm.text(&[
            "standfirst",
            "summary",
            "description",
            "excerpt",
            "subtitle",
            "dek",
            "lede",
        ]);
        let mut tags = list(fm.get(&["tags"]), true);
        for extra in [
            list(fm.get(&["categories"]), true),
            list(fm.get(&["keywords"]), true),
        ] {
            for t in extra {
                if !tags.iter().any(|x| x.eq_ignore_ascii_case(&t)) {
                    tags.push(t);
                }
            }
        }
        a.tags = tags;
        a.authors = list(fm.get(&["authors", "author", "byline"]), false);
        a.themes = list(fm.get(&["themes", "theme"]), true);
        let base = a.url.as_deref().and_then(|u| Url::parse(u).ok());
        let base = base.as_ref().or(ctx.base_url);
        match fm.get(&["image", "cover", "featured_image", "thumbnail", "og_image"]) {
            Some(Value::Object(m)) => {
                let get = |keys: &[&str]| keys.iter().find_map(|k| m.get(*k)).and_then(text);
                a.image_url = get(&["url", "src", "path", "image"])
                    .and_then(|u| absolute(&u, base))
                    .map(String::from);
                a.caption = get(&["caption", "alt", "title"]);
                a.image_credit = get(&["credit", "credits", "source", "copyright"]);
            }
            Some(v) => {
                a.image_url = text(v).and_then(|u| absolute(&u, base)).map(String::from);
            }
            None => {}
        }
        if a.caption.is_none() {
            a.caption = fm.text(&["image_caption", "caption"]);
        }
        if a.image_credit.is_none() {
            a.image_credit = fm.text(&["image_credit", "credit"]);
        }
    }
    let base = a.url.as_deref().and_then(|u| Url::parse(u).ok());
    let base = base.as_ref().or(ctx.base_url);
    render_body(&super::shortcodes::expand(body), &mut a, base)?;
    if a.title.is_empty() {
        return Err(ParseError::at(
            1,
            "no title: set `title:` in the front matter or start the text with a `# Title` line",
        ));
    }
    Ok(a)
}

/// One top-level Markdown block: its events and what it is.
struct Block<'a> {
    events: Vec<Event<'a>>,
    text: String,
    kind: Kind,
}

#[derive(PartialEq)]
enum Kind {
    H1,
    Paragraph,
    Quote,
    Other,
}

/// The Markdown extensions article bodies may use.
const OPTIONS: Options = Options::ENABLE_TABLES
    .union(Options::ENABLE_FOOTNOTES)
    .union(Options::ENABLE_STRIKETHROUGH)
    .union(Options::ENABLE_TASKLISTS);

fn blocks(body: &str) -> Vec<Block<'_>> {
    let mut out: Vec<Block<'_>> = Vec::new();
    let mut depth = 0usize;
    for ev in Parser::new_ext(body, OPTIONS) {
        if depth == 0 {
            let kind = match &ev {
                Event::Start(Tag::Heading {
                    level: HeadingLevel::H1,
                    ..
                }) => Kind::H1,
                Event::Start(Tag::Paragraph) => Kind::Paragraph,
                Event::Start(Tag::BlockQuote(_)) => Kind::Quote,
                _ => Kind::Other,
            };
            out.push(Block {
                events: Vec::new(),
                text: String::new(),
                kind,
            });
        }
        match &ev {
            Event::Start(_) => depth += 1,
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        if let Some(b) = out.last_mut() {
            b.events.push(ev);
        }
    }
    for b in &mut out {
        b.text = plain_text(&b.events);
    }
    out
}

/// The plain text of some events: block ends become line breaks, images and
/// raw HTML are left out.
fn plain_text(events: &[Event<'_>]) -> String {
    let mut s = String::new();
    let mut in_image = 0usize;
    for ev in events {
        match ev {
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            Event::Text(t) | Event::Code(t) if in_image == 0 => s.push_str(t),
            Event::SoftBreak => s.push(' '),
            Event::HardBreak => s.push('\n'),
            Event::End(
                TagEnd::Paragraph
                | TagEnd::Heading(_)
                | TagEnd::Item
                | TagEnd::CodeBlock
                | TagEnd::TableRow
                | TagEnd::TableHead,
            ) => s.push('\n'),
            Event::End(TagEnd::TableCell) => s.push(' '),
            _ => {}
        }
    }
    collapse_lines(&s)
}

/// Each line's words joined by single spaces, blank lines dropped, lines
/// joined by `\n`; written in one pass, without a vector per line.
fn collapse_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        let before = out.len();
        if before > 0 {
            out.push('\n');
        }
        if !push_words(&mut out, line, false) {
            out.truncate(before);
        }
    }
    out
}

fn render_body(body: &str, a: &mut Article, base: Option<&Url>) -> Result<(), ParseError> {
    let mut blocks = blocks(body);

    // A leading H1 is the title (or repeats it); either way it leaves the body.
    if let Some(first) = blocks.first()
        && first.kind == Kind::H1
    {
        if a.title.is_empty() {
            a.title = first.text.clone();
            blocks.remove(0);
        } else if quotes::Words::new(&first.text) == quotes::Words::new(&a.title) {
            blocks.remove(0);
        }
    }
    // "*9 August 2017*" right under the title is the date line.
    if let Some(first) = blocks.first()
        && first.kind == Kind::Paragraph
        && let Some(d) = date::parse_date(&first.text)
        && a.date.is_none_or(|x| x == d)
    {
        a.date = Some(d);
        blocks.remove(0);
    }

    // Block quotes that repeat a paragraph's sentence are pull quotes.
    // Only paragraphs near the quote count, as in the text parser: a quote
    // repeats what is around it, and this keeps huge files linear.
    // Paragraphs are tokenised on demand: only those near a block quote are
    // ever compared.
    // Line breaks are whitespace to the word and sentence splitters, so the
    // texts need no copy with spaces for them.
    let sources: Vec<Option<quotes::Paragraph<'_>>> = blocks
        .iter()
        .map(|b| (b.kind != Kind::Quote).then(|| quotes::Paragraph::new(&b.text)))
        .collect();
    let is_pull: Vec<bool> = (0..blocks.len())
        .map(|i| {
            blocks[i].kind == Kind::Quote && {
                let q = quotes::Quote::new(&blocks[i].text);
                (i.saturating_sub(QUOTE_REACH)..(i + QUOTE_REACH + 1).min(blocks.len()))
                    .any(|j| sources[j].as_ref().is_some_and(|s| s.repeated_by(&q)))
            }
        })
        .collect();
    drop(sources);
    let mut kept = Vec::new();
    for (b, pull) in blocks.into_iter().zip(is_pull) {
        if pull {
            a.pull_quotes.push(b.text.replace('\n', " "));
        } else {
            kept.push(b);
        }
    }

    if a.image_url.is_none() {
        a.image_url = kept
            .iter()
            .flat_map(|b| &b.events)
            .find_map(|ev| match ev {
                Event::Start(Tag::Image { dest_url, .. }) => absolute(dest_url, base),
                _ => None,
            })
            .map(String::from);
    }
    let raw_html = kept
        .iter()
        .flat_map(|b| &b.events)
        .any(|ev| matches!(ev, Event::Html(_) | Event::InlineHtml(_)));
    if !raw_html {
        a.body_text = kept
            .iter()
            .map(|b| b.text.as_str())
            .filter(|t| !t.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    // The article's title is its only H1: body headings start at H2.
    let events = kept.into_iter().flat_map(|b| b.events).map(|ev| match ev {
        Event::Start(Tag::Heading {
            level: HeadingLevel::H1,
            id,
            classes,
            attrs,
        }) => Event::Start(Tag::Heading {
            level: HeadingLevel::H2,
            id,
            classes,
            attrs,
        }),
        Event::End(TagEnd::Heading(HeadingLevel::H1)) => {
            Event::End(TagEnd::Heading(HeadingLevel::H2))
        }
        ev => ev,
    });
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, events);
    if raw_html {
        a.body_html = super::sanitize::sanitize_html(&html, base);
        // Text inside raw HTML blocks (`<p>…</p>` of a WordPress export)
        // reaches pulldown-cmark as markup, not text: read the text from
        // the sanitized body instead, as the HTML parser reads a page's.
        a.body_text = super::html::text::blocks(&a.body_html).join("\n\n");
    } else {
        a.body_html = super::sanitize::sanitize_markdown_html(&html, base);
    }
    a.title = super::clean_text(&a.title).trim().to_string();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn md(s: &str) -> Result<Article, ParseError> {
        let base = Url::parse("https://news.example.org/").unwrap();
        parse(
            &crate::parse::clean_text(s),
            &Context {
                base_url: Some(&base),
            },
        )
    }

    const BODY: &str = "The jury met in a hotel by the sea. Nobody expected a debut to win the main prize.\n\nThe director thanked his teacher and left before the party.";

    /// A Hugo site's posts carry shortcodes; they showed as text in feeds.
    #[test]
    fn hugo_shortcodes_become_links_and_images_in_the_body() {
        let a = md(&format!(
            "---\ntitle: Festival notes\n---\n{BODY}\n\n{{{{< youtube 0RKpf3rK57I >}}}}\n\n\
             {{{{< figure src=\"/img/jury.jpg\" caption=\"The jury\" >}}}}\n\n\
             {{{{% note %}}}}Tickets sell out early.{{{{% /note %}}}}\n"
        ))
        .unwrap();
        let h = &a.body_html;
        assert!(!h.contains("{{"), "{h}");
        assert!(
            h.contains("href=\"https://www.youtube.com/watch?v=0RKpf3rK57I\""),
            "{h}"
        );
        assert!(
            h.contains("src=\"https://news.example.org/img/jury.jpg\""),
            "{h}"
        );
        assert!(a.body_text.contains("The jury"), "{}", a.body_text);
        assert!(
            a.body_text.contains("Tickets sell out early."),
            "{}",
            a.body_text
        );
    }

    /// Zola keeps tags in `[taxonomies]` and everything of its own in
    /// `[extra]`; Hugo's page params may sit in `params`. They were ignored.
    #[test]
    fn zola_taxonomies_and_extra_and_hugo_params_are_read_after_top_level_keys() {
        let a = md(&format!(
            "+++\ntitle = \"Festival notes\"\ndate = 2021-03-04T05:06:07Z\n\
             [taxonomies]\ntags = [\"film\", \"georgia\"]\ncategories = [\"Festivals\"]\n\
             [extra]\nauthor = \"Bo Ek\"\nsummary = \"From the extra table\"\n+++\n{BODY}\n"
        ))
        .unwrap();
        assert_eq!(a.tags, ["film", "georgia", "Festivals"]);
        assert_eq!(a.authors, ["Bo Ek"]);
        assert_eq!(a.standfirst.as_deref(), Some("From the extra table"));
        let a = md(&format!(
            "---\ntitle: Hugo page\nauthor: Top Level\nparams:\n  author: Nested\n  tags: [a]\n---\n{BODY}\n"
        ))
        .unwrap();
        assert_eq!(a.authors, ["Top Level"]);
        assert_eq!(a.tags, ["a"]);
    }

    #[test]
    fn yaml_front_matter_fields() {
        let a = md(&format!(
            "---\ntitle: \"Festival notes: Sochi\"\ndate: 2022-10-14 09:30:00 +03:00\nid: festival-notes-2022\nurl: /2022/10/festival-notes/\nsummary: A week at the Kinotavr festival\ntags: [Festivals, Cinema]\nauthors:\n  - Ana Lima\n  - name: Ivo Sem\nimage:\n  url: img/jury.jpg\n  caption: The jury\n  credit: Ivo Sem\nthemes: [festivals]\nlayout: post\ndraft: false\nweight: 3\n---\n{BODY}\n"
        ))
        .unwrap();
        assert_eq!(a.title, "Festival notes: Sochi");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2022, 10, 14));
        assert_eq!(a.explicit_id.as_deref(), Some("festival-notes-2022"));
        assert_eq!(
            a.url.as_deref(),
            Some("https://news.example.org/2022/10/festival-notes/")
        );
        assert_eq!(
            a.standfirst.as_deref(),
            Some("A week at the Kinotavr festival")
        );
        assert_eq!(a.tags, ["Festivals", "Cinema"]);
        assert_eq!(a.authors, ["Ana Lima", "Ivo Sem"]);
        // Relative image URLs resolve against the article's own URL.
        assert_eq!(
            a.image_url.as_deref(),
            Some("https://news.example.org/2022/10/festival-notes/img/jury.jpg")
        );
        assert_eq!(a.caption.as_deref(), Some("The jury"));
        assert_eq!(a.image_credit.as_deref(), Some("Ivo Sem"));
        assert_eq!(a.themes, ["festivals"]);
        assert_eq!(a.body_text.split("\n\n").count(), 2);
        assert!(
            a.body_html.starts_with("<p>The jury met"),
            "{}",
            a.body_html
        );
    }

    #[test]
    fn toml_front_matter_with_native_datetime() {
        let a = md(&format!(
            "+++\ntitle = \"Night trains\"\ndate = 2018-09-17T08:00:00Z\nauthor = \"Ana Lima\"\ndescription = \"Sleeper cars of the south\"\ntags = \"rail, travel\"\nimage = \"https://cdn.example.net/t.jpg\"\n[extra]\nfoo = 1\n+++\n{BODY}"
        ))
        .unwrap();
        assert_eq!(a.title, "Night trains");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2018, 9, 17));
        assert_eq!(a.authors, ["Ana Lima"]);
        assert_eq!(a.tags, ["rail", "travel"]);
        assert_eq!(a.standfirst.as_deref(), Some("Sleeper cars of the south"));
        assert_eq!(
            a.image_url.as_deref(),
            Some("https://cdn.example.net/t.jpg")
        );
    }

    #[test]
    fn leading_h1_is_the_title_and_leaves_the_body() {
        let a = md(&format!(
            "# Night trains\n\n*17 Sep 2018*\n\n{BODY}\n\n# Later heading\n"
        ))
        .unwrap();
        assert_eq!(a.title, "Night trains");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2018, 9, 17));
        assert!(!a.body_html.contains("Night trains"), "{}", a.body_html);
        assert!(!a.body_text.contains("2018"));
        assert!(
            a.body_html.contains("<h2>Later heading</h2>"),
            "{}",
            a.body_html
        );
    }

    #[test]
    fn h1_repeating_the_front_matter_title_is_dropped() {
        let a = md(&format!(
            "---\ntitle: Night trains\n---\n\n# Night Trains\n\n{BODY}"
        ))
        .unwrap();
        assert_eq!(a.title, "Night trains");
        assert!(!a.body_text.contains("Night"), "{}", a.body_text);
    }

    #[test]
    fn repeating_block_quote_is_a_pull_quote_other_quotes_stay() {
        let a = md(&format!(
            "# T\n\n{BODY}\n\n> Nobody expected a debut to win the main prize\n\n> “A film is a letter to strangers,” said a critic.\n"
        ))
        .unwrap();
        assert_eq!(
            a.pull_quotes,
            ["Nobody expected a debut to win the main prize"]
        );
        assert!(a.body_html.contains("<blockquote>"), "{}", a.body_html);
        assert!(a.body_text.contains("letter to strangers"));
        assert_eq!(
            a.body_html.matches("main prize").count(),
            1,
            "{}",
            a.body_html
        );
    }

    #[test]
    fn hostile_markdown_is_sanitized() {
        let a = md("# T\n\n[x](javascript:alert(1)) <script>alert(2)</script> <img src=x onerror=alert(3)> [rel](/about/)\n").unwrap();
        let h = &a.body_html;
        assert!(
            !h.contains("javascript") && !h.contains("<script") && !h.contains("onerror"),
            "{h}"
        );
        assert!(h.contains("https://news.example.org/about/"), "{h}");
    }

    #[test]
    fn malformed_front_matter_names_the_line() {
        let e = md("---\ntitle: ok\ntags: [a, b\ndate: x\n---\nbody").unwrap_err();
        assert!(e.line.is_some_and(|l| (3..=5).contains(&l)), "{e}");
        assert!(e.message.contains("YAML"), "{e}");
        let e = md("+++\ntitle = \"ok\"\ndate = = 2\n+++\nbody").unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        let e = md("---\ntitle: never closed\n\nbody").unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        assert!(e.message.contains("never closed"), "{e}");
        let e = md("---\n- a list\n---\nbody").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn unreadable_date_and_missing_title_are_errors() {
        let e = md("---\ntitle: T\nlayout: x\ndate: next tuesday\n---\nbody").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(e.message.contains("next tuesday"), "{e}");
        let e = md("---\nlayout: x\n---\nJust text.").unwrap_err();
        assert!(e.message.contains("no title"), "{e}");
    }

    #[test]
    fn image_as_string_and_first_body_image() {
        let a = md("---\ntitle: T\nimage: \"javascript:alert(1)\"\n---\nx").unwrap();
        assert_eq!(a.image_url, None);
        let a = md("# T\n\n![a still](/i/still.jpg)\n\nText.").unwrap();
        assert_eq!(
            a.image_url.as_deref(),
            Some("https://news.example.org/i/still.jpg")
        );
        assert_eq!(a.body_text, "Text.");
    }

    /// Markdown built from pieces that exercise every tag the direct
    /// sanitizer writes and many it leaves to ammonia: links with odd
    /// schemes, relative and protocol-relative URLs, titles with quotes,
    /// entities, no-break spaces, control characters, raw HTML, tables,
    /// footnotes, task lists, code blocks with languages, nested lists.
    fn markdown_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::collection::vec(
            proptest::sample::select(vec![
                "# ",
                "## ",
                "###### ",
                "> ",
                ">> ",
                "- ",
                "* ",
                "1. ",
                "3) ",
                "  - ",
                "    ",
                "*",
                "**",
                "_",
                "__",
                "~~",
                "`",
                "```rust\n",
                "```\n",
                "~~~ py x\n",
                "[link](http://x.org/a?b=1&c=2 \"T&amp;'\\\"q\")",
                "[rel](../a%20b/)",
                "[sp](<a b>)",
                "[js](javascript:alert(1))",
                "[JS](JaVaScRiPt:x)",
                "[mail](mailto:a@b.c)",
                "<http://auto.link/x?y&z>",
                "<a@b.org>",
                "![alt *x* `c`](/img.png \"t\")",
                "![](data:image/png;base64,AA)",
                "[x](HTTP://UP.org/É)",
                "[x](//proto.rel/x)",
                "[x](#frag)",
                "[x](?q=1)",
                "[x](http://[::1]:bad/)",
                "[x](ftp://files.org/)",
                "[x](http://a.org/\u{a0}b)",
                "[ref]",
                "\n\n[ref]: https://r.org/ 'ti\"tle'\n",
                "[x](</p>)",
                "&nbsp;",
                "&amp;",
                "&#39;",
                "&quot;",
                "&lt;",
                "&gt;",
                "&copy;",
                "&#128;",
                "&#13;",
                "&#0;",
                "&#xFFFE;",
                "\u{a0}",
                "\u{85}",
                "\u{7f}",
                "\u{1}",
                "\u{2028}",
                "text",
                "Кино",
                "e\u{301}",
                "\"q\"",
                "'",
                "<",
                ">",
                "&",
                "\n",
                "\n\n",
                "  \n",
                "\\\n",
                "\n---\n",
                "\n***\n",
                "\n===\n",
                "<b>raw</b>",
                "<!-- c -->",
                "<div>\nblock\n</div>\n",
                "<br>",
                "| a | b |\n|---|:-:|\n| c | d |\n",
                "x[^1]\n\n[^1]: note\n",
                "- [ ] task\n",
                "- [x] done\n",
                "\t",
                "H~2~O",
                "^sup^",
            ]),
            0..24,
        )
        .prop_map(|v| v.concat())
    }

    fn sanitize_both_ways(md: &str, base: Option<&Url>) -> Option<(String, String)> {
        let events: Vec<Event<'_>> = Parser::new_ext(md, OPTIONS).collect();
        if events
            .iter()
            .any(|ev| matches!(ev, Event::Html(_) | Event::InlineHtml(_)))
        {
            return None;
        }
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        Some((
            crate::parse::sanitize::sanitize_markdown_html(&html, base),
            crate::parse::sanitize::sanitize_html(&html, base),
        ))
    }

    use proptest::prelude::Strategy;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(2000))]
        #[test]
        fn direct_sanitizing_matches_ammonia(md in markdown_text()) {
            let base = Url::parse("https://news.example.org/2017/08/a/").unwrap();
            for base in [Some(&base), None] {
                if let Some((fast, slow)) = sanitize_both_ways(&md, base) {
                    proptest::prop_assert_eq!(fast, slow, "{:?}", md);
                }
            }
        }

        #[test]
        fn collapsed_lines_match_split_and_join(
            s in proptest::collection::vec(
                proptest::sample::select(vec![
                    "a", "bc", " ", "  ", "\n", "\n\n", "\t", "\u{a0}", "\u{2003}", "\u{85}",
                    "\r", "\r\n", "\u{2028}", "\u{b}", "\u{c}", "Кино",
                ]),
                0..20,
            )
        ) {
            let s = s.concat();
            let old = s
                .lines()
                .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
                .filter(|l| !l.is_empty())
                .collect::<Vec<_>>()
                .join("\n");
            proptest::prop_assert_eq!(collapse_lines(&s), old);
        }
    }

    #[test]
    fn direct_sanitizing_covers_the_usual_markdown() {
        // The fast path must actually be taken for ordinary bodies, and
        // give ammonia's bytes.
        let md = "Para with *em*, **strong**, ~~del~~, `code &amp; <x>`, a [link](https://a.org/?x=1&y=2 \"Ti\"tle\") and [rel](/about/)\u{a0}&nbsp;\\\nbreak.\n\n> quoted\n> lines\n\n## Head\n\n1. one\n2. two\n\n5. five\n\n- a\n  - nested ![img *alt*](i.png \"t\")\n\n```rust\nfn x() {}\n```\n\n    indented\n\n---\n\n<mail@ex.org> <https://auto.org/>\n";
        let base = Url::parse("https://news.example.org/2017/08/a/").unwrap();
        let events: Vec<Event<'_>> = Parser::new_ext(md, OPTIONS).collect();
        let mut html = String::new();
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        assert!(
            crate::parse::sanitize::pulldown_html_direct(&html, Some(&base)).is_some(),
            "{html}"
        );
        let (fast, slow) = sanitize_both_ways(md, Some(&base)).unwrap();
        assert_eq!(fast, slow);
        assert!(
            fast.contains(
                r#"<a href="https://news.example.org/about/" rel="noopener noreferrer">"#
            ),
            "{fast}"
        );
    }

    #[test]
    fn crlf_and_bom_front_matter() {
        let bytes = "\u{feff}---\r\ntitle: Кино\r\ndate: 9 August 2017\r\n---\r\nТекст.\r\n";
        let (f, a) =
            crate::parse::parse_bytes(bytes.as_bytes(), Some("md"), &Context { base_url: None })
                .unwrap();
        assert_eq!(f, crate::model::Format::Markdown);
        assert_eq!(a.title, "Кино");
        assert_eq!(a.date, NaiveDate::from_ymd_opt(2017, 8, 9));
        assert_eq!(a.body_text, "Текст.");
    }

    /// Regression: a WordPress export in Markdown keeps its paragraphs as raw
    /// `<p>` blocks, which pulldown-cmark passes on as markup: the body text
    /// (what themes classify and summaries quote) held only the Markdown
    /// paragraphs, here none.
    #[test]
    fn text_inside_raw_html_blocks_is_body_text() {
        let a = md(
            "---\ntitle: T\n---\n\n<p>About Georgian cinema in <em>Tbilisi</em>.</p>\n\
                    <p style=\"color:red\">A second paragraph.</p>\n\nMarkdown *too*.\n\n\
                    <div class=\"wp-block\">\n<p>In a div.</p>\n</div>\n",
        )
        .unwrap();
        assert_eq!(
            a.body_text,
            "About Georgian cinema in Tbilisi.\n\nA second paragraph.\n\nMarkdown too.\n\nIn a div."
        );
        // Markdown without raw HTML keeps its own text path.
        let b = md("---\ntitle: T\n---\n\nOne *two*.\n\n- a\n- b\n").unwrap();
        assert_eq!(b.body_text, "One two.\n\na\nb");
    }

    /// Regression: the YAML parser's own positions counted from the front
    /// matter, so one message named three different lines.
    #[test]
    fn yaml_error_positions_are_lines_of_the_file() {
        let e = md("---\ntitle: \"Unclosed\ndate: 2020-01-01\n---\n\nBody.\n").unwrap_err();
        assert_eq!(e.line, Some(4), "{e}");
        assert!(
            e.message.contains("quoted scalar at line 2 column 8"),
            "{e}"
        );
        assert!(!e.message.contains("line 1 column"), "{e}");
    }

    /// Found by fuzzing: the YAML scanner's work per token grows with the
    /// `[`/`{` nesting, so 30,000 `[` in 60 KB of front matter took seconds.
    /// Such front matter could never load (deserializing stops at 128
    /// levels); it is now refused before the scanner sees it.
    #[test]
    fn deeply_nested_yaml_front_matter_is_refused_before_parsing() {
        let n = 30_000;
        let doc = format!(
            "---\ntitle: T\ntags: {}{}\n---\nBody.\n",
            "[".repeat(n),
            "]".repeat(n)
        );
        let e = md(&doc).unwrap_err();
        assert_eq!(e.line, Some(3), "{e}");
        assert!(e.message.contains("nests"), "{e}");
        // Quotes inside plain scalars are text, so they hide no `[`.
        let sneaky = format!("a: {}", r#"[x" "y, "#.repeat(300));
        assert_eq!(yaml_flow_too_deep(&sneaky, 256), Some(0));
        // Between what loads and the limit, the parser's own error stands.
        let deep = format!(
            "---\ntitle: T\ntags: {}{}\n---\nBody.\n",
            "[".repeat(200),
            "]".repeat(200)
        );
        assert!(md(&deep).unwrap_err().message.contains("not valid YAML"));
    }

    #[test]
    fn brackets_in_yaml_text_are_not_nesting() {
        let many = "[".repeat(300);
        for raw in [
            format!("note: a{many}\ntitle: x"),
            format!("note: \"{many}\"\ntitle: x"),
            format!("note: '{many}'\ntitle: x"),
            format!("title: x # {many}"),
            format!("# {many}\ntitle: x"),
            format!("body: |\n  {many}\n\n  {many}\ntitle: x"),
            format!("list:\n  - >\n    {many}\ntitle: x"),
            format!(
                "tags: [\"{many}\", '{m}', a\"b, # {many}\n  c]\ntitle: x",
                m = "[''".repeat(300)
            ),
        ] {
            assert_eq!(yaml_flow_too_deep(&raw, 256), None, "{raw}");
            let doc = format!("---\n{raw}\n---\nBody.\n");
            assert_eq!(md(&doc).map(|a| a.title), Ok("x".to_string()), "{raw}");
        }
    }
}
