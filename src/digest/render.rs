//! Rendering editions: askama templates → CSS-inlined HTML and wrapped text,
//! prepared once per edition and assembled per subscriber.
//!
//! Why the split: CSS inlining parses and re-serializes the whole document,
//! far too slow to run 10,000 times. So [`PreparedEdition::new`] renders the
//! frame with every section heading and every card exactly once, marked with
//! HTML comments, inlines that one document, and cuts it into pieces. A
//! subscriber's email is then string concatenation: frame head, the chosen
//! sections' heading and card pieces, frame tail, plus the two personal bits
//! (preheader and unsubscribe link), escaped on insertion.

use std::collections::HashMap;

use anyhow::{Context, Result, anyhow};
use askama::Template;
use chrono::{DateTime, NaiveDate, Utc};
use url::Url;

use super::edition::Edition;
use super::select::ThemeIndex;
use super::{RenderedEmail, web_copy_url};
use crate::config::Config;
use crate::model::StoredArticle;
use crate::store::{ArticleTheme, Store, Subscriber};

/// Heading of the section for articles without a theme.
pub const MORE_SECTION: &str = "More from the archive";
/// Text wrap width of the plain-text part.
pub const TEXT_WIDTH: usize = 72;
/// Longest title/alt text, standfirst and URL an email carries; beyond these
/// a 30-article edition could pass Gmail's 102 KB clipping limit.
const MAX_TITLE: usize = 200;
const MAX_STANDFIRST: usize = 300;
const MAX_URL: usize = 300;

const PRE_MARK: &str = "NDMARKPREHEADER";
const UNSUB_MARK: &str = "https://unsubscribe.invalid/NDMARKUNSUB";
const TEXT_BODY: &str = "\u{2}BODY\u{2}";
const TEXT_UNSUB: &str = "\u{2}UNSUB\u{2}";
/// Stands for a card's link reference number in prepared text.
const REF: char = '\u{1}';

#[derive(Template)]
#[template(path = "digest/style.css", escape = "none")]
struct Css<'a> {
    accent: &'a str,
    /// The accent mixed halfway to white: readable on the dark-mode background.
    accent_dark: &'a str,
}

#[derive(Template)]
#[template(path = "digest.html")]
struct HtmlFrame<'a> {
    lang: &'a str,
    title: &'a str,
    edition_label: &'a str,
    css: &'a str,
    preheader: Option<&'a str>,
    preheader_pad: &'a str,
    logo_url: Option<&'a str>,
    site_url: &'a str,
    web_url: Option<&'a str>,
    intro: &'a [String],
    body: &'a str,
    unsubscribe_url: Option<&'a str>,
    /// false for the web copy: no "you receive this" line.
    email: bool,
    footer_address: &'a [String],
}

#[derive(Template)]
#[template(path = "digest/section.html")]
struct SectionHtml<'a> {
    name: &'a str,
}

#[derive(Template)]
#[template(path = "digest/card.html")]
struct CardHtml<'a> {
    title: &'a str,
    url: Option<&'a str>,
    image: Option<&'a str>,
    alt: &'a str,
    standfirst: Option<&'a str>,
    date: Option<&'a str>,
    themes: &'a str,
}

#[derive(Template)]
#[template(path = "digest.txt")]
struct TextFrame<'a> {
    title: &'a str,
    edition_label: &'a str,
    web_url: Option<&'a str>,
    intro: &'a [String],
    body: &'a str,
    unsubscribe_url: Option<&'a str>,
    footer_address: &'a [String],
}

#[derive(Template)]
#[template(path = "digest/card.txt")]
struct CardText<'a> {
    title: &'a str,
    meta: &'a str,
    standfirst: Option<&'a str>,
    has_url: bool,
    marker: char,
}

/// One article as the templates show it: cleaned, truncated, URLs checked.
#[derive(Debug, Clone)]
struct CardView {
    title: String,
    url: Option<String>,
    image: Option<String>,
    alt: String,
    standfirst: Option<String>,
    date: Option<String>,
    themes: String,
}

/// A rendered HTML document cut at the markers.
#[derive(Debug, Clone, Default)]
struct HtmlPieces {
    /// Before the preheader text (or the whole head if there is none).
    head: String,
    /// After the preheader text, up to the body.
    head2: String,
    /// Per section (config themes, then "More"): its heading.
    sections: Vec<String>,
    /// Per article (edition order): its card.
    cards: Vec<String>,
    /// After the body, up to the unsubscribe URL (or the whole tail).
    tail: String,
    tail2: String,
    has_unsub: bool,
}

/// One edition, rendered once, ready to be assembled for any subscriber.
#[derive(Debug, Clone)]
pub struct PreparedEdition {
    number: i64,
    title: String,
    unsubscribe_template: Option<String>,
    web_url: String,
    themes: ThemeIndex,
    /// Config theme names, then [`MORE_SECTION`].
    section_names: Vec<String>,
    card_titles: Vec<String>,
    card_urls: Vec<Option<String>>,
    html: HtmlPieces,
    web_html: String,
    /// Text frame around the body and the unsubscribe URL.
    text_head: String,
    text_mid: String,
    text_tail: String,
    text_has_unsub: bool,
    text_sections: Vec<String>,
    text_cards: Vec<String>,
}

impl PreparedEdition {
    /// Renders `edition` once, reading its articles' themes from the store.
    pub fn new(config: &Config, store: &Store, edition: &Edition) -> Result<PreparedEdition> {
        let themes = store.themes_of_articles(&edition.article_ids())?;
        PreparedEdition::with_themes(config, edition, &themes)
    }

    /// Renders `edition` once with the given theme rows per article id.
    pub fn with_themes(
        config: &Config,
        edition: &Edition,
        rows: &HashMap<String, Vec<ArticleTheme>>,
    ) -> Result<PreparedEdition> {
        let d = &config.digest;
        let ids = edition.article_ids();
        let theme_list = super::themes_of(config)?;
        let index = ThemeIndex::new(&theme_list, &ids, rows);
        let mut section_names: Vec<String> =
            theme_list.iter().map(|t| clean_line(&t.name)).collect();
        section_names.push(MORE_SECTION.to_string());

        let cards: Vec<CardView> = edition
            .articles
            .iter()
            .zip(&index.article_themes)
            .map(|(a, ts)| {
                let names: Vec<&str> = ts.iter().map(|&i| section_names[i].as_str()).collect();
                card_view(a, &config.site.base_url, names.join(", "))
            })
            .collect();

        let title = clean_line(d.title.as_deref().unwrap_or(&config.site.title));
        let lang = clean_line(d.language.as_deref().unwrap_or(&config.site.language));
        let edition_label = format!(
            "Edition {} · {}",
            edition.number,
            long_date(edition.created_at.date_naive())
        );
        let intro: Vec<String> = paragraphs(&d.intro);
        let footer: Vec<String> = d
            .footer_address
            .as_deref()
            .unwrap_or_default()
            .lines()
            .map(clean_line)
            .filter(|l| !l.is_empty())
            .collect();
        let css = Css {
            accent: &d.accent_color,
            accent_dark: &lighten(&d.accent_color),
        }
        .render()?;
        let web_url = web_copy_url(config, edition.number).to_string();
        let site_url = config.site.base_url.to_string();
        let logo = d.logo_url.as_ref().map(Url::as_str);

        // Body with every section heading and every card once, marked.
        let mut body = String::new();
        for (i, name) in section_names.iter().enumerate() {
            body.push_str(&format!("<!--nd:s:{i}-->"));
            body.push_str(&SectionHtml { name }.render()?);
            body.push_str("<!--nd:e-->");
        }
        for (i, c) in cards.iter().enumerate() {
            body.push_str(&format!("<!--nd:c:{i}-->"));
            body.push_str(
                &CardHtml {
                    title: &c.title,
                    url: c.url.as_deref(),
                    image: c.image.as_deref(),
                    alt: &c.alt,
                    standfirst: c.standfirst.as_deref(),
                    date: c.date.as_deref(),
                    themes: &c.themes,
                }
                .render()?,
            );
            body.push_str("<!--nd:e-->");
        }

        let frame = |email: bool| HtmlFrame {
            lang: &lang,
            title: &title,
            edition_label: &edition_label,
            css: &css,
            preheader: email.then_some(PRE_MARK),
            preheader_pad: PREHEADER_PAD,
            logo_url: logo,
            site_url: &site_url,
            web_url: email.then_some(web_url.as_str()),
            intro: &intro,
            body: &body,
            unsubscribe_url: (email && d.unsubscribe_url.is_some()).then_some(UNSUB_MARK),
            email,
            footer_address: &footer,
        };
        let html = split_html(
            &inline(&frame(true).render()?)?,
            section_names.len(),
            cards.len(),
        )?;
        let web = split_html(
            &inline(&frame(false).render()?)?,
            section_names.len(),
            cards.len(),
        )?;

        // Plain text: wrapped once here, numbered per subscriber.
        let text_intro: Vec<String> = intro.iter().map(|p| wrap(p, "", "")).collect();
        let text_frame = TextFrame {
            title: &title,
            edition_label: &edition_label,
            web_url: Some(&web_url),
            intro: &text_intro,
            body: TEXT_BODY,
            unsubscribe_url: d.unsubscribe_url.is_some().then_some(TEXT_UNSUB),
            footer_address: &footer,
        }
        .render()?;
        let (text_head, rest) = text_frame
            .split_once(TEXT_BODY)
            .ok_or_else(|| anyhow!("digest.txt lost its body"))?;
        let (text_mid, text_tail, text_has_unsub) = match rest.split_once(TEXT_UNSUB) {
            Some((a, b)) => (a.to_string(), b.to_string(), true),
            None => (rest.to_string(), String::new(), false),
        };
        let text_sections = section_names
            .iter()
            .map(|n| {
                let h = n.to_uppercase();
                format!("{h}\n{}\n\n", "=".repeat(h.chars().count().min(TEXT_WIDTH)))
            })
            .collect();
        let text_cards = cards
            .iter()
            .map(|c| {
                let meta = match (&c.date, c.themes.is_empty()) {
                    (Some(d), false) => format!("{d} · {}", c.themes),
                    (Some(d), true) => d.clone(),
                    (None, _) => c.themes.clone(),
                };
                CardText {
                    title: &wrap(&c.title, "* ", "  "),
                    meta: &if meta.is_empty() {
                        meta
                    } else {
                        wrap(&meta, "  ", "  ")
                    },
                    standfirst: c
                        .standfirst
                        .as_deref()
                        .map(|s| wrap(s, "  ", "  "))
                        .as_deref(),
                    has_url: c.url.is_some(),
                    marker: REF,
                }
                .render()
                // askama drops the template's last newline; cards need a blank line after.
                .map(|t| format!("{}\n\n", t.trim_end()))
            })
            .collect::<Result<Vec<_>, _>>()?;

        let mut prepared = PreparedEdition {
            number: edition.number,
            title,
            unsubscribe_template: d.unsubscribe_url.clone(),
            web_url,
            themes: index,
            section_names,
            card_titles: cards.iter().map(|c| c.title.clone()).collect(),
            card_urls: cards.iter().map(|c| c.url.clone()).collect(),
            html,
            web_html: String::new(),
            text_head: text_head.to_string(),
            text_mid,
            text_tail,
            text_has_unsub,
            text_sections,
            text_cards,
        };
        let everything = prepared.themes.sections(&[]);
        prepared.web_html = assemble_html(&web, &everything, "", "");
        Ok(prepared)
    }

    pub fn number(&self) -> i64 {
        self.number
    }

    /// The web copy: the whole edition, every section, no personal links.
    pub fn web_copy_html(&self) -> &str {
        &self.web_html
    }

    /// How many articles the subscriber with these theme choices would get.
    pub fn article_count(&self, themes: &[String]) -> usize {
        self.themes
            .sections(themes)
            .iter()
            .map(|(_, a)| a.len())
            .sum()
    }

    /// The email for one subscriber; `None` when none of the edition's
    /// articles is in their chosen themes (send nothing).
    pub fn render_for(&self, subscriber: &Subscriber) -> Option<RenderedEmail> {
        self.render(&subscriber.themes, Some(&subscriber.token))
    }

    /// The email for theme choices `themes` (empty: everything) and an
    /// unsubscribe token (`None`: a preview without personal links).
    pub fn render(&self, themes: &[String], token: Option<&str>) -> Option<RenderedEmail> {
        let sections = self.themes.sections(themes);
        if sections.is_empty() {
            return None;
        }
        let unsub = token.and_then(|t| {
            self.unsubscribe_template
                .as_deref()
                .map(|tpl| tpl.replace("{token}", t))
        });
        let preheader = self.preheader(&sections);
        let html = assemble_html(
            &self.html,
            &sections,
            &preheader,
            unsub.as_deref().unwrap_or(UNSUB_PLACEHOLDER),
        );
        let text = self.assemble_text(&sections, unsub.as_deref().unwrap_or(UNSUB_PLACEHOLDER));
        Some(RenderedEmail {
            subject: self.subject(&sections),
            html,
            text,
        })
    }

    fn subject(&self, sections: &[(Option<usize>, Vec<usize>)]) -> String {
        let names: Vec<&str> = sections
            .iter()
            .filter_map(|(s, _)| s.map(|i| self.section_names[i].as_str()))
            .collect();
        let what = match names.len() {
            0 => {
                let n: usize = sections.iter().map(|(_, a)| a.len()).sum();
                format!("{n} new {}", if n == 1 { "article" } else { "articles" })
            }
            1..=3 => names.join(", "),
            _ => format!("{} and more", names[..3].join(", ")),
        };
        format!("{} #{}: {}", self.title, self.number, what)
    }

    fn preheader(&self, sections: &[(Option<usize>, Vec<usize>)]) -> String {
        let titles: Vec<&str> = sections
            .iter()
            .flat_map(|(_, a)| a.iter())
            .take(3)
            .map(|&i| self.card_titles[i].as_str())
            .collect();
        truncate_words(&titles.join(" · "), 150)
    }

    fn assemble_text(&self, sections: &[(Option<usize>, Vec<usize>)], unsub: &str) -> String {
        let mut body = String::with_capacity(4096);
        let mut links: Vec<&str> = Vec::new();
        for (s, arts) in sections {
            body.push_str(&self.text_sections[s.unwrap_or(self.section_names.len() - 1)]);
            for &a in arts {
                let card = &self.text_cards[a];
                match &self.card_urls[a] {
                    Some(u) => {
                        links.push(u);
                        body.push_str(&card.replace(REF, &links.len().to_string()));
                    }
                    None => body.push_str(card),
                }
            }
        }
        if !links.is_empty() {
            body.push_str("Links\n-----\n");
            for (i, l) in links.iter().enumerate() {
                body.push_str(&format!("[{}] {l}\n", i + 1));
            }
        }
        let mut out = String::with_capacity(body.len() + 1024);
        out.push_str(&self.text_head);
        out.push_str(&body);
        out.push_str(&self.text_mid);
        if self.text_has_unsub {
            out.push_str(unsub);
            out.push_str(&self.text_tail);
        }
        out
    }

    /// The URL of this edition's web copy.
    pub fn web_url(&self) -> &str {
        &self.web_url
    }
}

/// Shown instead of a personal unsubscribe link in previews.
const UNSUB_PLACEHOLDER: &str = "https://unsubscribe.invalid/preview";

/// Keeps the email body's first words out of the inbox preview line.
const PREHEADER_PAD: &str = "&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;&#8199;&#847;";

fn assemble_html(
    p: &HtmlPieces,
    sections: &[(Option<usize>, Vec<usize>)],
    preheader: &str,
    unsub: &str,
) -> String {
    let mut out = String::with_capacity(
        p.head.len() + p.head2.len() + p.tail.len() + p.tail2.len() + 3000 * p.cards.len(),
    );
    out.push_str(&p.head);
    escape_into(&mut out, preheader);
    out.push_str(&p.head2);
    for (s, arts) in sections {
        out.push_str(&p.sections[s.unwrap_or(p.sections.len() - 1)]);
        for &a in arts {
            out.push_str(&p.cards[a]);
        }
    }
    out.push_str(&p.tail);
    if p.has_unsub {
        escape_into(&mut out, unsub);
        out.push_str(&p.tail2);
    }
    out
}

fn escape_into(out: &mut String, s: &str) {
    crate::util::escape_html_into(out, s);
}

/// Inlines the `<style>` block into `style` attributes; `@media` rules (dark
/// mode, phones) stay in a `<style>` block, which clients that support them read.
fn inline(html: &str) -> Result<String> {
    let inliner = css_inline::CSSInliner::options()
        .keep_at_rules(true)
        .load_remote_stylesheets(false)
        .build();
    let out = inliner
        .inline(html)
        .context("cannot inline the digest CSS")?;
    Ok(escape_angles_in_attributes(&out))
}

/// The inliner re-serializes attribute values with `<` and `>` unescaped
/// (valid HTML5, since they are quoted); some mail filters and sanitizers are
/// not that careful, so a title like `<script>` in an `alt` is escaped anyway.
fn escape_angles_in_attributes(html: &str) -> String {
    let mut out = String::with_capacity(html.len() + 64);
    let (mut in_tag, mut quote) = (false, None::<char>);
    let mut chars = html.chars().peekable();
    while let Some(c) = chars.next() {
        match (in_tag, quote, c) {
            (false, _, '<') => {
                in_tag = chars
                    .peek()
                    .is_some_and(|n| n.is_ascii_alphabetic() || *n == '/');
                out.push(c);
            }
            (true, None, '"' | '\'') => {
                quote = Some(c);
                out.push(c);
            }
            (true, Some(q), c) if c == q => {
                quote = None;
                out.push(c);
            }
            (true, Some(_), '<') => out.push_str("&lt;"),
            (true, Some(_), '>') => out.push_str("&gt;"),
            (true, None, '>') => {
                in_tag = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

fn split_html(doc: &str, n_sections: usize, n_cards: usize) -> Result<HtmlPieces> {
    let broken = || anyhow!("the rendered digest lost its section markers");
    let start = doc.find("<!--nd:").ok_or_else(broken)?;
    let end_mark = "<!--nd:e-->";
    let end = doc.rfind(end_mark).ok_or_else(broken)? + end_mark.len();
    let (head, tail) = (&doc[..start], &doc[end..]);
    let mut p = HtmlPieces {
        sections: vec![String::new(); n_sections],
        cards: vec![String::new(); n_cards],
        ..Default::default()
    };
    match head.split_once(PRE_MARK) {
        Some((a, b)) => {
            p.head = a.to_string();
            p.head2 = b.to_string();
        }
        None => p.head = head.to_string(),
    }
    match tail.split_once(UNSUB_MARK) {
        Some((a, b)) => {
            p.tail = a.to_string();
            p.tail2 = b.to_string();
            p.has_unsub = true;
        }
        None => p.tail = tail.to_string(),
    }
    let mut rest = &doc[start..end];
    while let Some(open) = rest.strip_prefix("<!--nd:") {
        let close = open.find("-->").ok_or_else(broken)?;
        let (kind, idx) = open[..close].split_once(':').ok_or_else(broken)?;
        let idx: usize = idx.parse().map_err(|_| broken())?;
        let content = &open[close + 3..];
        let stop = content.find(end_mark).ok_or_else(broken)?;
        let piece = content[..stop].to_string();
        match kind {
            "s" if idx < n_sections => p.sections[idx] = piece,
            "c" if idx < n_cards => p.cards[idx] = piece,
            _ => return Err(broken()),
        }
        rest = content[stop + end_mark.len()..].trim_start();
    }
    if !rest.is_empty() {
        return Err(broken());
    }
    Ok(p)
}

fn card_view(stored: &StoredArticle, base: &Url, themes: String) -> CardView {
    let a = &stored.article;
    let title = truncate_words(&article_line(&a.title), MAX_TITLE);
    let title = if title.is_empty() {
        "(untitled)".to_string()
    } else {
        title
    };
    let alt = a
        .caption
        .as_deref()
        .map(|c| truncate_words(&article_line(c), MAX_TITLE))
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| title.clone());
    CardView {
        url: a
            .url
            .as_deref()
            .and_then(safe_url)
            .or_else(|| article_page(base, &stored.id)),
        image: a.image_url.as_deref().and_then(safe_url),
        alt,
        standfirst: a
            .standfirst
            .as_deref()
            .map(|s| truncate_words(&article_line(s), MAX_STANDFIRST))
            .filter(|s| !s.is_empty()),
        date: a.date.map(long_date),
        title,
        themes,
    }
}

/// An absolute http(s) URL, normalized, or `None` (relative, `javascript:`,
/// `data:`, overlong).
pub(crate) fn safe_url(s: &str) -> Option<String> {
    let u = Url::parse(s.trim()).ok()?;
    if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
        return None;
    }
    let s = u.to_string();
    (s.len() <= MAX_URL).then_some(s)
}

/// Where an article that states no URL of its own lives on the site:
/// `site.base_url` + `articles/<id>/` (the feeds' default `article_url`),
/// each id segment percent-encoded.
fn article_page(base: &Url, id: &str) -> Option<String> {
    let mut u = base.join("articles/").ok()?;
    u.path_segments_mut()
        .ok()?
        .pop_if_empty()
        .extend(
            id.split('/')
                .filter(|s| !s.is_empty() && *s != "." && *s != ".."),
        )
        .push("");
    safe_url(u.as_str())
}

/// One line of an article's plain text as the feeds show it too: markup
/// tags dropped ([`crate::util::strip_tags`]), then [`clean_line`].
fn article_line(s: &str) -> String {
    clean_line(&crate::util::strip_tags(s))
}

/// One line of plain text: control characters dropped, whitespace collapsed.
fn clean_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn paragraphs(s: &str) -> Vec<String> {
    s.replace("\r\n", "\n")
        .split("\n\n")
        .map(clean_line)
        .filter(|p| !p.is_empty())
        .collect()
}

/// At most `max` characters, cut at a word boundary, with an ellipsis.
fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > cut.len() / 2 => &cut[..i],
        _ => &cut,
    };
    format!("{}…", cut.trim_end_matches([' ', ',', ';', ':', '.']))
}

fn wrap(s: &str, first: &str, rest: &str) -> String {
    let opts = textwrap::Options::new(TEXT_WIDTH)
        .initial_indent(first)
        .subsequent_indent(rest)
        .break_words(false)
        // Never split "Kabardino-Balkaria" across lines.
        .word_splitter(textwrap::WordSplitter::NoHyphenation);
    textwrap::fill(s, opts)
}

/// `#rgb`/`#rrggbb` (validated by the config) mixed halfway towards white.
fn lighten(hex: &str) -> String {
    let h = hex.trim_start_matches('#');
    let full: String = if h.len() == 3 {
        h.chars().flat_map(|c| [c, c]).collect()
    } else {
        h.to_string()
    };
    let mut out = String::from("#");
    for i in 0..3 {
        let v = u8::from_str_radix(full.get(i * 2..i * 2 + 2).unwrap_or("00"), 16).unwrap_or(0);
        out.push_str(&format!("{:02x}", v + (255 - v) / 2));
    }
    out
}

/// "20 November 2026".
pub(crate) fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// The listing page of all editions' web copies.
pub(crate) fn render_index(
    config: &Config,
    editions: &[(i64, DateTime<Utc>, usize)],
) -> Result<String> {
    #[derive(Template)]
    #[template(path = "digest_index.html")]
    struct Index<'a> {
        lang: &'a str,
        title: &'a str,
        accent: &'a str,
        editions: Vec<IndexRow>,
    }
    struct IndexRow {
        number: i64,
        date: String,
        count: usize,
    }
    let d = &config.digest;
    Ok(Index {
        lang: &clean_line(d.language.as_deref().unwrap_or(&config.site.language)),
        title: &clean_line(d.title.as_deref().unwrap_or(&config.site.title)),
        accent: &d.accent_color,
        editions: editions
            .iter()
            .rev()
            .map(|&(number, at, count)| IndexRow {
                number,
                date: long_date(at.date_naive()),
                count,
            })
            .collect(),
    }
    .render()?)
}

/// The unsubscribe URL for a token, if `[digest] unsubscribe_url` is set.
pub(crate) fn unsubscribe_for(config: &Config, token: &str) -> Option<String> {
    config
        .digest
        .unsubscribe_url
        .as_deref()
        .map(|t| t.replace("{token}", token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_absolute_http_urls_survive() {
        assert_eq!(
            safe_url("https://e.org/a b").as_deref(),
            Some("https://e.org/a%20b")
        );
        for bad in [
            "javascript:alert(1)",
            "/relative",
            "data:image/png;base64,xx",
            "ftp://e.org/x",
        ] {
            assert_eq!(safe_url(bad), None, "{bad}");
        }
        assert_eq!(
            safe_url(&format!("https://e.org/{}", "a".repeat(400))),
            None
        );
    }

    #[test]
    fn angle_brackets_in_attribute_values_are_escaped() {
        assert_eq!(
            escape_angles_in_attributes(
                r#"<p>a &lt; b</p><img alt="<script>x</script>" title='>'><!--nd:e-->"#
            ),
            r#"<p>a &lt; b</p><img alt="&lt;script&gt;x&lt;/script&gt;" title='&gt;'><!--nd:e-->"#
        );
    }

    #[test]
    fn dark_mode_accent_is_lighter() {
        assert_eq!(lighten("#9b2c2c"), "#cd9595");
        assert_eq!(lighten("#000"), "#7f7f7f");
    }

    #[test]
    fn article_without_url_links_to_its_page_on_the_site() {
        let base = Url::parse("https://e.org/news/").unwrap();
        assert_eq!(
            article_page(&base, "2017/balagov closeness").as_deref(),
            Some("https://e.org/news/articles/2017/balagov%20closeness/")
        );
        assert_eq!(
            article_page(&base, "../../etc").as_deref(),
            Some("https://e.org/news/articles/etc/")
        );
    }

    #[test]
    fn prepared_edition_can_be_shared_across_sending_threads() {
        fn is<T: Send + Sync>() {}
        is::<PreparedEdition>();
    }

    #[test]
    fn truncation_cuts_at_a_word_and_marks_it() {
        let t = truncate_words("one two three four five", 12);
        assert_eq!(t, "one two…");
        assert_eq!(truncate_words("short", 12), "short");
    }

    #[test]
    fn text_wraps_at_72_columns() {
        let w = wrap(&"word ".repeat(60), "* ", "  ");
        assert!(w.lines().all(|l| l.chars().count() <= TEXT_WIDTH));
        assert!(w.starts_with("* word"));
        let w = wrap(&format!("{} Kabardino-Balkaria", "x".repeat(60)), "", "");
        assert!(w.ends_with("\nKabardino-Balkaria"), "{w}");
    }
}
