//! Page metadata: title, date, authors, description, lead image, canonical
//! URL and tags, from JSON-LD first, then OpenGraph / `article:*` / Dublin
//! Core `<meta>` tags, then microdata and visible markup (`<time>`, `<h1>`,
//! `<title>`).

use chrono::NaiveDate;
use scraper::{ElementRef, Html, Selector};
use serde_json::Value;
use url::Url;

use crate::util::words::collapse_ws;

/// What the page says about itself.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Meta {
    pub title: Option<String>,
    pub date: Option<NaiveDate>,
    pub authors: Vec<String>,
    pub description: Option<String>,
    pub image: Option<String>,
    pub image_caption: Option<String>,
    pub canonical: Option<Url>,
    /// JSON-LD `@id` (or `mainEntityOfPage`) of the article object.
    pub ld_id: Option<String>,
    pub tags: Vec<String>,
    pub site_name: Option<String>,
    /// JSON-LD `articleBody`, as given.
    pub ld_body: Option<String>,
    /// The page says it is an article: a JSON-LD article object, an
    /// `og:type` of article (or video), or `article:published_time`.
    pub says_article: bool,
}

/// The JSON-LD types that describe an article.
const ARTICLE_TYPES: &[&str] = &[
    "article",
    "newsarticle",
    "blogposting",
    "reportagenewsarticle",
    "analysisnewsarticle",
    "opinionnewsarticle",
    "reviewnewsarticle",
    "backgroundnewsarticle",
    "askpublicnewsarticle",
    "livebloggposting",
    "liveblogposting",
    "scholarlyarticle",
    "techarticle",
    "report",
    "satiricalarticle",
    "posting",
    "socialmediaposting",
];

pub fn extract(doc: &Html, base: Option<&Url>) -> Meta {
    let (ld, ld_page_date) = json_ld_article(doc);
    let metas = MetaTags::read(doc);
    let mut m = Meta {
        says_article: ld.is_some()
            || metas.get(&["og:type"]).is_some_and(|t| {
                let t = t.trim().to_ascii_lowercase();
                t.starts_with("article") || t.starts_with("video")
            })
            || metas.get(&["article:published_time"]).is_some(),
        ..Meta::default()
    };

    // Canonical URL: <link rel=canonical>, og:url, JSON-LD url/@id.
    let canonical_raw = doc
        .select(sel!(
            "link[rel~=canonical][href], link[rel~=Canonical][href]"
        ))
        .filter_map(|e| e.value().attr("href"))
        .map(str::trim)
        .find(|h| !h.is_empty())
        .map(str::to_string)
        .or_else(|| metas.get(&["og:url"]));
    let page_base = canonical_raw
        .as_deref()
        .and_then(|c| Url::parse(c).ok())
        .or_else(|| base.cloned());
    m.canonical = canonical_raw
        .as_deref()
        .and_then(|c| absolute(c, base))
        .map(|c| unwrap_wayback(&c))
        .and_then(|c| Url::parse(&c).ok())
        .filter(|u| matches!(u.scheme(), "http" | "https"));

    if let Some(ld) = &ld {
        m.title = str_field(ld, &["headline", "name", "alternativeHeadline"]);
        m.date = str_field(ld, &["datePublished", "dateCreated", "uploadDate"])
            .and_then(|d| parse_any_date(&d));
        m.authors = people(ld.get("author").or_else(|| ld.get("creator")));
        m.description = str_field(ld, &["description", "abstract"]);
        if let Some((url, caption)) = ld.get("image").and_then(image) {
            m.image = Some(url);
            m.image_caption = caption;
        }
        m.ld_id = ld
            .get("@id")
            .and_then(Value::as_str)
            .or_else(|| match ld.get("mainEntityOfPage") {
                Some(Value::String(s)) => Some(s.as_str()),
                Some(o) => o.get("@id").and_then(Value::as_str),
                None => None,
            })
            .or_else(|| ld.get("url").and_then(Value::as_str))
            .map(|s| unwrap_wayback(s.trim()))
            .filter(|s| s.starts_with("http"));
        m.tags = keywords(ld.get("keywords"));
        m.ld_body = ld
            .get("articleBody")
            .and_then(Value::as_str)
            .map(super::super::clean_text)
            .filter(|s| !s.trim().is_empty());
        m.site_name = ld
            .get("publisher")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(collapse_ws);
    }

    let h1 = first_text(doc, sel!("article h1, main h1, h1"))
        .or_else(|| first_text(doc, sel!("[itemprop=headline]")));
    let html_title = first_text(doc, sel!("head title, title"));
    m.site_name = m
        .site_name
        .take()
        .or_else(|| metas.get(&["og:site_name", "application-name"]));
    // A JSON-LD headline cut short ("…") loses to the full visible one.
    if let (Some(t), Some(h)) = (&m.title, &h1) {
        let stem = t.trim_end_matches(['…', '.', ' ']);
        if t.len() < h.len() && (t.ends_with('…') || t.ends_with("...")) && h.starts_with(stem) {
            m.title = Some(h.clone());
        }
    }
    m.title = m
        .title
        .take()
        .map(|t| collapse_ws(&t))
        .filter(|t| !t.is_empty())
        .or_else(|| {
            metas
                .get(&["og:title", "twitter:title", "dc.title", "title"])
                .map(|t| strip_site_suffix(&t, m.site_name.as_deref(), h1.as_deref()))
        })
        .or_else(|| h1.clone())
        .or_else(|| {
            html_title.map(|t| {
                let hs = headings(doc);
                // A heading the <title> contains is the title without site chrome.
                hs.into_iter()
                    .filter(|h| h.chars().count() >= 8 && t.contains(h.as_str()))
                    .max_by_key(|h| h.len())
                    .unwrap_or_else(|| strip_site_suffix(&t, m.site_name.as_deref(), None))
            })
        })
        .filter(|t| !t.is_empty());

    if m.date.is_none() {
        m.date = metas
            .all(&[
                "article:published_time",
                "article:published",
                "og:published_time",
                "published_time",
                "date",
                "pubdate",
                "publishdate",
                "publish-date",
                "publish_date",
                "datepublished",
                "dc.date",
                "dc.date.issued",
                "dc.date.created",
                "dcterms.date",
                "dcterms.issued",
                "dcterms.created",
                "sailthru.date",
                "parsely-pub-date",
                "article.published",
                "originalpublicationdate",
                "date_published",
                "article:modified_time",
            ])
            .iter()
            .find_map(|d| parse_any_date(d));
    }
    if m.date.is_none() {
        m.date = doc
            .select(sel!(
                "[itemprop~=datePublished], time[datetime], abbr.published[title], .published[title]"
            ))
            .find_map(|e| {
                let v = e.value();
                let raw = v
                    .attr("datetime")
                    .or_else(|| v.attr("content"))
                    .or_else(|| v.attr("title"))
                    .map(str::to_string)
                    .unwrap_or_else(|| e.text().collect());
                parse_any_date(&raw)
            });
    }
    if m.date.is_none() {
        // Yoast's JSON-LD dates the WebPage, not always an Article in it.
        m.date = ld_page_date.as_deref().and_then(parse_any_date);
    }
    if m.date.is_none() {
        // Visible date lines near the headline: "Posted on 9 August 2017".
        m.date = doc
            .select(sel!("time, .date, .post-date, .entry-date, .published, .news-date, .article-date, .dateline, [class*=date], [class*=Date]"))
            .take(20)
            .find_map(|e| parse_any_date(&e.text().collect::<String>()));
    }
    if m.date.is_none() {
        // Last resort: a short text line that is a date ("Published: 21.08.2018").
        m.date = doc
            .root_element()
            .descendants()
            .filter_map(|n| n.value().as_text())
            .map(|t| t.trim())
            .filter(|t| (6..60).contains(&t.len()) && t.chars().any(|c| c.is_ascii_digit()))
            .take(400)
            .find_map(parse_any_date);
    }

    if m.authors.is_empty() {
        let from_meta: Vec<String> = metas
            .all(&[
                "author",
                "article:author",
                "dc.creator",
                "dcterms.creator",
                "sailthru.author",
                "parsely-author",
                "byl",
            ])
            .into_iter()
            .filter(|a| !a.contains("://") && !a.starts_with('@'))
            .collect();
        m.authors = dedupe(from_meta.iter().flat_map(|a| split_people(a)).collect());
    }
    if m.authors.is_empty() {
        let found: Vec<String> = doc
            .select(sel!("[itemprop=author] [itemprop=name], [rel=author], .author .fn, .byline .author, .author-name, .post-author .fn"))
            .map(|e| collapse_ws(&e.text().collect::<String>()))
            .filter(|a| !a.is_empty() && a.chars().count() <= 80)
            .collect();
        m.authors = dedupe(found);
    }

    m.description = m
        .description
        .take()
        .or_else(|| {
            metas.get(&[
                "og:description",
                "description",
                "twitter:description",
                "dc.description",
            ])
        })
        .or_else(|| standfirst_in_markup(doc))
        .map(|d| collapse_ws(&d))
        .filter(|d| !d.is_empty());

    if m.image.is_none() {
        m.image = metas.get(&[
            "og:image",
            "og:image:url",
            "og:image:secure_url",
            "twitter:image",
            "twitter:image:src",
        ]);
    }
    m.image = m
        .image
        .take()
        .and_then(|i| absolute(&i, page_base.as_ref()));
    lead_figure(doc, &mut m, page_base.as_ref());

    if m.tags.is_empty() {
        let mut tags: Vec<String> = metas.all(&["article:tag"]);
        if tags.is_empty() {
            tags = metas
                .get(&["news_keywords", "keywords"])
                .map(|k| keywords(Some(&Value::String(k))))
                .unwrap_or_default();
        }
        m.tags = dedupe(tags.iter().map(|t| collapse_ws(t)).collect());
    }
    m.tags.truncate(30);
    decode_values(&mut m);
    // Bylines given as names, from any source: "By TOM KRISHER", "by Jane Doe".
    m.authors = dedupe(
        std::mem::take(&mut m.authors)
            .into_iter()
            .map(|a| without_by(&a).to_string())
            .filter(|a| !a.is_empty())
            .collect(),
    );
    m
}

/// A name without a leading "By"/"by"/"BY" (and a colon after it).
fn without_by(name: &str) -> &str {
    let b = name.as_bytes();
    if b.len() > 3 && b[..2].eq_ignore_ascii_case(b"by") && matches!(b[2], b' ' | b':') {
        name[3..].trim_start_matches([' ', ':'])
    } else {
        name
    }
}

/// Decodes character references left in metadata values (`&#8217;`,
/// `&amp;`, `&hellip;`): WordPress and others HTML-escape their JSON-LD
/// strings, and some pages escape `<meta content>` twice, so titles came out
/// as "Don&#8217;t" in every feed.
fn decode_values(m: &mut Meta) {
    let fields = [
        &mut m.title,
        &mut m.description,
        &mut m.image_caption,
        &mut m.site_name,
    ];
    for s in fields
        .into_iter()
        .flatten()
        .chain(&mut m.authors)
        .chain(&mut m.tags)
    {
        if let Some(d) = decode_entities(s) {
            // `&nbsp;` and the like become whitespace like any other.
            *s = collapse_ws(&d);
        }
    }
    if let Some(body) = &mut m.ld_body
        && let Some(d) = decode_entities(body)
    {
        *body = d;
    }
}

/// `s` with its HTML character references decoded, as a browser would decode
/// them in text, or `None` when it has none. A `<` stays a `<`. Text escaped
/// twice (WordPress excerpts: `[&amp;hellip;]`) is decoded twice.
pub fn decode_entities(s: &str) -> Option<String> {
    let once = decode_once(s)?;
    Some(decode_once(&once).unwrap_or(once))
}

fn decode_once(s: &str) -> Option<String> {
    // Only worth a parse when something like a reference is there: `&`,
    // a name or number (the longest name has 31 characters), `;`.
    let b = s.as_bytes();
    let has_ref = s.match_indices('&').any(|(i, _)| {
        let name = b[i + 1..]
            .iter()
            .take(33)
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'#')
            .count();
        // The few references HTML decodes without a `;` ("PG&amp" was a
        // real tag, cut at its `;` by the page's own CMS).
        let legacy = || {
            matches!(
                &s[i + 1..i + 1 + name],
                "amp" | "lt" | "gt" | "quot" | "nbsp" | "copy" | "reg"
            )
        };
        name > 0 && (b.get(i + 1 + name) == Some(&b';') || legacy())
    });
    if !has_ref {
        return None;
    }
    let frag = Html::parse_fragment(&s.replace('<', "&lt;"));
    let text: String = frag.root_element().text().collect();
    (text != s).then_some(text)
}

/// If the page's lead image is a `<figure>` with a caption, take the caption;
/// with no image from metadata, the first captioned figure is the lead image.
fn lead_figure(doc: &Html, m: &mut Meta, base: Option<&Url>) {
    let figures = sel!("figure");
    let img = sel!("img, amp-img");
    let cap = sel!("figcaption");
    let stem = |u: &str| {
        let path = u.split(['?', '#']).next().unwrap_or(u);
        let file = path.rsplit('/').next().unwrap_or(path);
        file.split('.').next().unwrap_or(file).to_lowercase()
    };
    for f in doc.select(figures).take(30) {
        let Some(src) = f.select(img).find_map(|i| i.value().attr("src")) else {
            continue;
        };
        let caption = f
            .select(cap)
            .next()
            .map(|c| collapse_ws(&c.text().collect::<String>()))
            .filter(|c| !c.is_empty());
        match &m.image {
            Some(image) if stem(image) == stem(src) && !stem(src).is_empty() => {
                if m.image_caption.is_none() {
                    m.image_caption = caption;
                }
                return;
            }
            None if caption.is_some() => {
                m.image = absolute(src, base);
                m.image_caption = caption;
                return;
            }
            _ => {}
        }
    }
    m.image_caption = m
        .image_caption
        .take()
        .map(|c| collapse_ws(&c))
        .filter(|c| !c.is_empty());
}

/// A standfirst the page marks by class ("lead", "dek", "standfirst"…) or
/// microdata, for pages with no description metadata.
fn standfirst_in_markup(doc: &Html) -> Option<String> {
    const NAMES: &[&str] = &[
        "standfirst",
        "dek",
        "lead",
        "lede",
        "excerpt",
        "zajawka",
        "subtitle",
        "subhead",
        "summary",
        "intro",
        "description",
        "deck",
    ];
    doc.root_element()
        .descendants()
        .filter_map(ElementRef::wrap)
        .filter(|e| {
            e.value().attr("itemprop") == Some("description")
                || e.value().attr("class").is_some_and(|c| {
                    c.to_lowercase()
                        .split(|c: char| c.is_whitespace() || c == '-' || c == '_')
                        .any(|p| NAMES.contains(&p))
                })
        })
        .take(10)
        .map(|e| collapse_ws(&e.text().collect::<String>()))
        .find(|t| (20..400).contains(&t.chars().count()))
}

/// `<meta name|property|itemprop=… content=…>` in document order, keys lowercased.
struct MetaTags(Vec<(String, String)>);

impl MetaTags {
    fn read(doc: &Html) -> MetaTags {
        let mut v = Vec::new();
        for e in doc.select(sel!("meta[content]")) {
            let el = e.value();
            let content = el.attr("content").unwrap_or("").trim();
            if content.is_empty() {
                continue;
            }
            for key in ["name", "property", "itemprop", "http-equiv"] {
                if let Some(k) = el.attr(key) {
                    v.push((k.trim().to_ascii_lowercase(), content.to_string()));
                }
            }
        }
        MetaTags(v)
    }

    /// The first value of the first key (in `keys` order) present.
    fn get(&self, keys: &[&str]) -> Option<String> {
        keys.iter()
            .find_map(|k| self.0.iter().find(|(n, _)| n == k).map(|(_, c)| c.clone()))
    }

    /// All values for the keys, keys in order of preference.
    fn all(&self, keys: &[&str]) -> Vec<String> {
        keys.iter()
            .flat_map(|k| {
                self.0
                    .iter()
                    .filter(move |(n, _)| n == k)
                    .map(|(_, c)| c.clone())
            })
            .collect()
    }
}

/// The article object among the page's JSON-LD blocks (top level, arrays,
/// `@graph`), preferring one with a body, then one with a headline; and the
/// `datePublished` of a `WebPage` object, if any.
fn json_ld_article(doc: &Html) -> (Option<Value>, Option<String>) {
    let mut found: Vec<Value> = Vec::new();
    let mut page_date = None;
    for s in doc.select(sel!("script[type]")) {
        let ty = s.value().attr("type").unwrap_or("").to_ascii_lowercase();
        if !ty.contains("ld+json") {
            continue;
        }
        let raw: String = s.text().collect();
        let raw = raw
            .trim()
            .trim_start_matches("<!--")
            .trim_start_matches("//<![CDATA[")
            .trim_end_matches("-->")
            .trim_end_matches("//]]>")
            .trim()
            .trim_end_matches(';');
        let Ok(v) = serde_json::from_str::<Value>(raw).or_else(|_| {
            // Raw newlines inside strings are common and invalid JSON.
            serde_json::from_str::<Value>(&raw.replace(['\n', '\r', '\t'], " "))
        }) else {
            continue;
        };
        collect_articles(&v, &mut found, 0);
        if page_date.is_none() {
            page_date = web_page_date(&v);
        }
    }
    found.sort_by_key(|a| (a.get("articleBody").is_none(), a.get("headline").is_none()));
    (found.into_iter().next(), page_date)
}

/// `datePublished` of a `WebPage` at the top of a JSON-LD value or in its
/// `@graph`.
fn web_page_date(v: &Value) -> Option<String> {
    let nodes: Vec<&Value> = match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => match o.get("@graph") {
            Some(Value::Array(g)) => g.iter().collect(),
            _ => vec![v],
        },
        _ => Vec::new(),
    };
    nodes.into_iter().find_map(|n| {
        has_type(n, |t| t.ends_with("WebPage") || t == "ItemPage")
            .then(|| str_field(n, &["datePublished"]))
            .flatten()
    })
}

/// Whether a JSON-LD object's `@type` (one name or a list) has a name `is`
/// accepts.
fn has_type(v: &Value, is: impl Fn(&str) -> bool) -> bool {
    match v.get("@type") {
        Some(Value::String(t)) => is(t),
        Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).any(is),
        _ => false,
    }
}

fn collect_articles(v: &Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 8 {
        return;
    }
    match v {
        Value::Array(a) => a.iter().for_each(|x| collect_articles(x, out, depth + 1)),
        Value::Object(o) => {
            if has_type(v, is_article_type) {
                out.push(v.clone());
            }
            if let Some(g) = o.get("@graph") {
                collect_articles(g, out, depth + 1);
            }
            if let Some(me) = o.get("mainEntity") {
                collect_articles(me, out, depth + 1);
            }
        }
        _ => {}
    }
}

fn is_article_type(t: &str) -> bool {
    let t = t
        .rsplit(['/', ':'])
        .next()
        .unwrap_or(t)
        .to_ascii_lowercase();
    ARTICLE_TYPES.contains(&t.as_str())
}

fn str_field(v: &Value, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match v.get(*k)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Array(a) => a.iter().find_map(|x| x.as_str().map(str::to_string)),
        _ => None,
    })
}

fn people(v: Option<&Value>) -> Vec<String> {
    let mut out = Vec::new();
    fn walk(v: &Value, out: &mut Vec<String>, depth: usize) {
        if depth > 4 {
            return;
        }
        match v {
            Value::String(s) if !s.contains("://") => out.extend(split_people(s)),
            Value::Array(a) => a.iter().for_each(|x| walk(x, out, depth + 1)),
            Value::Object(o) => {
                if let Some(Value::String(n)) = o.get("name") {
                    out.push(collapse_ws(n));
                }
            }
            _ => {}
        }
    }
    if let Some(v) = v {
        walk(v, &mut out, 0);
    }
    dedupe(out.into_iter().filter(|s| !s.is_empty()).collect())
}

fn split_people(s: &str) -> Vec<String> {
    // References first: a name with "&amp;" must not split at its ';'.
    // A leading "By" goes with every other author name, in `extract`.
    let s = collapse_ws(decode_entities(s).as_deref().unwrap_or(s));
    s.split([',', ';'])
        .flat_map(|p| p.split(" and "))
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

fn image(v: &Value) -> Option<(String, Option<String>)> {
    match v {
        Value::String(s) => Some((s.trim().to_string(), None)),
        Value::Array(a) => a.iter().find_map(image),
        Value::Object(o) => {
            let url = o
                .get("url")
                .or_else(|| o.get("contentUrl"))
                .and_then(Value::as_str)?;
            let caption = o
                .get("caption")
                .and_then(Value::as_str)
                .map(collapse_ws)
                .filter(|c| !c.is_empty());
            Some((url.trim().to_string(), caption))
        }
        _ => None,
    }
}

fn keywords(v: Option<&Value>) -> Vec<String> {
    let raw: Vec<String> = match v {
        // References first: "PG&amp;E" must not split at its ';'.
        Some(Value::String(s)) => decode_entities(s)
            .as_deref()
            .unwrap_or(s)
            .split([',', ';'])
            .map(str::to_string)
            .collect(),
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    };
    dedupe(
        raw.iter()
            .map(|t| collapse_ws(t))
            .filter(|t| !t.is_empty())
            .collect(),
    )
}

fn dedupe(v: Vec<String>) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    v.into_iter()
        .filter(|s| !s.is_empty() && seen.insert(s.to_lowercase()))
        .collect()
}

fn first_text(doc: &Html, selector: &Selector) -> Option<String> {
    doc.select(selector)
        .map(|e| collapse_ws(&e.text().collect::<String>()))
        .find(|t| !t.is_empty())
}

fn headings(doc: &Html) -> Vec<String> {
    doc.select(sel!("h1, h2, h3"))
        .take(50)
        .map(|e: ElementRef<'_>| collapse_ws(&e.text().collect::<String>()))
        .filter(|t| !t.is_empty())
        .collect()
}

/// "Title | Site", "Title - Site", "Site :: Title" → "Title". Only strips a
/// part that looks like a site name: the known site name, the part that is
/// not the headline, or a short trailing segment.
pub fn strip_site_suffix(title: &str, site: Option<&str>, h1: Option<&str>) -> String {
    let title = collapse_ws(title);
    if let Some(h1) = h1
        && title.contains(h1)
        && h1.chars().count() >= 8
    {
        return h1.to_string();
    }
    for sep in [" | ", " :: ", " — ", " – ", " - ", " · ", " » ", " / "] {
        let parts: Vec<&str> = title.split(sep).collect();
        if parts.len() < 2 {
            continue;
        }
        let first = parts[0].trim();
        let last = parts[parts.len() - 1].trim();
        let is_site = |p: &str| {
            site.is_some_and(|s| p.eq_ignore_ascii_case(s.trim()))
                || p.split_whitespace().count() <= 4
        };
        let words = |p: &str| p.split_whitespace().count();
        if is_site(last) && words(first) >= words(last) {
            return parts[..parts.len() - 1].join(sep).trim().to_string();
        }
        if is_site(first) && words(last) > words(first) {
            return parts[1..].join(sep).trim().to_string();
        }
    }
    title
}

/// A Wayback Machine capture's own URL names the snapshot, not the article:
/// `https://web.archive.org/web/20221011093412/https://site/a` → `https://site/a`,
/// so every capture of one article gets the same id.
pub fn unwrap_wayback(url: &str) -> String {
    for prefix in [
        "https://web.archive.org/web/",
        "http://web.archive.org/web/",
    ] {
        if let Some(rest) = url.strip_prefix(prefix)
            && let Some((stamp, original)) = rest.split_once('/')
            && stamp.starts_with(|c: char| c.is_ascii_digit())
            && (original.starts_with("http://") || original.starts_with("https://"))
        {
            return original.to_string();
        }
    }
    url.to_string()
}

/// Makes `href` absolute against `base` (or keeps it if already absolute).
pub fn absolute(href: &str, base: Option<&Url>) -> Option<String> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let u = match Url::parse(href) {
        Ok(u) => u,
        Err(_) => base?.join(href).ok()?,
    };
    matches!(u.scheme(), "http" | "https").then(|| u.to_string())
}

/// Dates as pages write them: ISO 8601 with any offset or fraction, RFC 2822,
/// "20210302", "30/09/2022 - 14:12", "Posted on July 14, 2023", "9 August
/// 2017". The article's own calendar date (in its own timezone) is returned.
pub fn parse_any_date(raw: &str) -> Option<NaiveDate> {
    // Every form below needs the year in ASCII digits (chrono, `str::parse`
    // and the numeric regex's captures all read only those), and extraction
    // asks this of every short block of every page.
    if !raw.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    parse_any_date_inner(raw).filter(|d| !is_placeholder_date(*d))
}

/// Dates a CMS writes when it has none: Go's zero time (`0001-01-01`, in
/// the JSON-LD of a whole newspaper chain), the Unix epoch, and anything
/// before there were newspapers to archive.
fn is_placeholder_date(d: NaiveDate) -> bool {
    use chrono::Datelike;
    d.year() < 1700 || d == NaiveDate::from_ymd_opt(1970, 1, 1).expect("a valid date")
}

fn parse_any_date_inner(raw: &str) -> Option<NaiveDate> {
    use crate::parse::date::parse_date;
    let s = collapse_ws(raw);
    if s.is_empty() || s.len() > 200 {
        return None;
    }
    if let Some(d) = parse_date(&s) {
        return Some(d);
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%d %H:%M:%S %z",
    ] {
        if let Ok(t) = chrono::DateTime::parse_from_str(&s, fmt) {
            return Some(t.date_naive());
        }
    }
    // A leading ISO date, whatever follows ("2023-04-15T07:12:45.221Z").
    let b = s.as_bytes();
    if b.len() >= 10
        && b[4] == b'-'
        && b[7] == b'-'
        && let Some(Ok(d)) = s
            .get(..10)
            .map(|p| NaiveDate::parse_from_str(p, "%Y-%m-%d"))
    {
        return Some(d);
    }
    if b.len() == 8
        && b.iter().all(u8::is_ascii_digit)
        && let Ok(d) = NaiveDate::parse_from_str(&s, "%Y%m%d")
    {
        return Some(d);
    }
    // Numeric day-first dates inside a longer string: 30/09/2022, 12.03.2019.
    let re = regex_date();
    if let Some(c) = re.captures(&s) {
        let (d, m, y): (u32, u32, i32) =
            (c[1].parse().ok()?, c[2].parse().ok()?, c[3].parse().ok()?);
        if let Some(date) = NaiveDate::from_ymd_opt(y, m, d) {
            return Some(date);
        }
    }
    // A worded date inside a sentence: try every window of 3 or 4 words.
    let words: Vec<&str> = s
        .split(|c: char| c.is_whitespace() || c == '|')
        .filter(|w| !w.is_empty())
        .collect();
    for n in [4, 3] {
        for w in words.windows(n) {
            let cand = w.join(" ");
            let cand = cand.trim_end_matches([',', '.', ';']);
            if let Some(d) = parse_date(cand) {
                return Some(d);
            }
        }
    }
    None
}

fn regex_date() -> &'static regex::Regex {
    static RE: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        regex::Regex::new(r"\b(\d{1,2})[./](\d{1,2})[./](\d{4})\b").expect("static regex")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn character_references_in_values_are_decoded_once_or_twice_and_nothing_else() {
        let d = |s: &str| decode_entities(s);
        assert_eq!(d("Don&#8217;t stop").as_deref(), Some("Don’t stop"));
        assert_eq!(
            d("Gas &amp; Electric &hellip;").as_deref(),
            Some("Gas & Electric …")
        );
        assert_eq!(
            d("the platform [&amp;hellip;]").as_deref(),
            Some("the platform […]")
        );
        assert_eq!(d("PG&amp").as_deref(), Some("PG&"));
        assert_eq!(d("&lt;b&gt; <i>x</i>").as_deref(), Some("<b> <i>x</i>"));
        // Nothing that is a reference: left alone, without a parse.
        for s in [
            "AT&T and R&D",
            "Q&A; a & b",
            "fish & chips;",
            "no ampersand",
            "&;",
        ] {
            assert_eq!(d(s), None, "{s}");
        }
    }

    proptest::proptest! {
        #[test]
        fn text_without_ascii_digits_is_never_a_date(
            s in "((January|May|Sept\\.?|мая|октября|Monday|г\\.|года|[٠-٩]{1,4}|[０-９]{1,4}|[A-Za-z]{1,9}|[ ,./|-]){1,6})|\\PC{0,30}"
        ) {
            if !s.bytes().any(|b| b.is_ascii_digit()) {
                proptest::prop_assert_eq!(parse_any_date_inner(&s), None);
            }
        }
    }

    #[test]
    fn digit_check_keeps_real_dates() {
        assert_eq!(
            parse_any_date("9 мая 2017 г."),
            NaiveDate::from_ymd_opt(2017, 5, 9)
        );
        assert_eq!(parse_any_date("٠٩/٠٨/٢٠١٧"), None);
        assert_eq!(parse_any_date_inner("٠٩/٠٨/٢٠١٧"), None);
        assert_eq!(parse_any_date("Tuesday, the ninth of August"), None);
    }
}
