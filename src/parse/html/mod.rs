//! The archived-HTML parser: a saved news page (own site, Wayback capture,
//! partner page) → [`Article`].
//!
//! Steps: size and nesting limits ([`limits`]), charset ([`encoding`]),
//! metadata from JSON-LD / OpenGraph / `<meta>` / markup ([`metadata`]),
//! boilerplate removal ([`clean`]), body extraction ([`extract`]), then the
//! shared sanitizer with URLs made absolute and a plain-text rendering
//! ([`text`]).

mod clean;
pub mod encoding;
pub mod extract;
pub mod limits;
pub mod metadata;
mod text;

use scraper::Html;
use url::Url;

use super::{Context, ParseError, clean_text, sanitize::sanitize_html};
use crate::model::Article;

/// Parses one archived HTML page.
pub fn parse(input: &[u8], ctx: &Context<'_>) -> Result<Article, ParseError> {
    if input.len() > limits::MAX_BYTES {
        return Err(ParseError::new(format!(
            "page is {:.1} MB; HTML pages over {} MB are not read (not an article capture?)",
            input.len() as f64 / 1_048_576.0,
            limits::MAX_BYTES / 1_048_576
        )));
    }
    let (decoded, _) = encoding::decode(input);
    let decoded = clean_text(&decoded);
    let page = limits::limit_depth(&decoded, limits::MAX_DEPTH);
    let mut doc = Html::parse_document(&page);

    let meta = metadata::extract(&doc, ctx.base_url);
    let Some(title) = meta.title.clone() else {
        return Err(ParseError::new(
            "no recognisable title (no JSON-LD headline, og:title, <h1> or <title>)",
        ));
    };
    let body = extract::extract(&mut doc, &meta);
    let base: Option<Url> = meta.canonical.clone().or_else(|| ctx.base_url.cloned());
    let body_html = sanitize_html(&body.html, base.as_ref());
    let paragraphs = text::blocks(&body_html);
    if paragraphs.is_empty() {
        return Err(ParseError::new(
            "no article body found (the page has no text outside navigation and boilerplate)",
        ));
    }
    let url = meta.canonical.as_ref().map(Url::to_string);
    Ok(Article {
        explicit_id: url.clone().or_else(|| meta.ld_id.clone()),
        site_name: meta.site_name.clone(),
        title,
        url,
        date: meta.date,
        standfirst: meta.description.clone(),
        image_url: meta.image.clone(),
        caption: meta.image_caption.clone(),
        image_credit: None,
        authors: meta.authors.clone(),
        tags: meta.tags.clone(),
        pull_quotes: body.pull_quotes,
        related: body.related,
        themes: Vec::new(),
        body_html,
        body_text: paragraphs.join("\n\n"),
    })
}

/// Collapses whitespace runs to one space, trims, and applies the shared
/// text cleanup (NFC, no XML-invalid characters).
pub(crate) fn norm(s: &str) -> String {
    let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
    clean_text(&collapsed)
}

