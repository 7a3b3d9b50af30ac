//! Digest editions: creation rules, per-subscriber sections, rendering,
//! web copies and previews.

use chrono::NaiveDate;
use newsdesk::config::Config;
use newsdesk::digest::{self, PreparedEdition};
use newsdesk::model::Article;

use crate::util::{self, BASE_CONFIG, Site, json_lines, run};

pub const DIGEST_CONFIG: &str = r#"
[[themes]]
id = "caucasus-cinema"
name = "Caucasus cinema"
tags = ["caucasus cinema"]

[[themes]]
id = "festivals"
name = "Festivals"
tags = ["festival"]

[digest]
title = "Borderlands Weekly"
intro = "The week's pick from the archive."
footer_address = "Test Desk\n1 Rustaveli Avenue\nTbilisi"
unsubscribe_url = "https://news.example.org/unsubscribe?token={token}"
"#;

fn article(title: &str, slug: &str) -> Article {
    Article {
        title: title.into(),
        url: Some(format!("https://news.example.org/articles/{slug}/")),
        date: NaiveDate::from_ymd_opt(2025, 3, 14),
        standfirst: Some(format!("A standfirst about {title}.")),
        image_url: Some(format!("https://news.example.org/img/{slug}.jpg")),
        caption: Some(format!("A still from {title}")),
        body_text: "Body.".into(),
        body_html: "<p>Body.</p>".into(),
        ..Article::default()
    }
}

/// A site with three articles: one in both themes (primary Caucasus cinema),
/// one in Festivals only, one without a theme.
pub(crate) fn sample_site() -> Site {
    let site = Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"));
    let mut store = site.store();
    util::store_article(
        &mut store,
        "closeness",
        article("Closeness, a debut from Nalchik", "closeness"),
        "2026-11-01T10:00:00Z",
    );
    util::store_article(
        &mut store,
        "sarajevo",
        article("Sarajevo's festival at thirty", "sarajevo"),
        "2026-11-02T10:00:00Z",
    );
    util::store_article(
        &mut store,
        "steppe",
        article("Notes from the steppe", "steppe"),
        "2026-11-03T10:00:00Z",
    );
    store
        .put_article_theme_for_tests("closeness", "caucasus-cinema", 5.0, true)
        .unwrap();
    store
        .put_article_theme_for_tests("closeness", "festivals", 2.0, false)
        .unwrap();
    store
        .put_article_theme_for_tests("sarajevo", "festivals", 4.0, true)
        .unwrap();
    mark_classified(&site, &store);
    site
}

/// Records the hand-made themes as the classifier's latest pass over these
/// articles and rules, so `digest` (which classifies pending articles first)
/// keeps them.
fn mark_classified(site: &Site, store: &newsdesk::store::Store) {
    let rules = newsdesk::themes::rules_hash_of(&config(site).themes).unwrap();
    let rev = store.articles_rev().unwrap().to_string();
    store.meta_set("themes_articles_rev", &rev).unwrap();
    store.meta_set("themes_rules_hash", &rules).unwrap();
}

fn config(site: &Site) -> Config {
    Config::load(&site.config_path()).unwrap()
}

/// Edition 1 (created through the binary), prepared.
fn prepared(site: &Site) -> PreparedEdition {
    let (code, _, err) = run(site.cmd().args(["digest", "-q"]));
    assert_eq!(code, 0, "{err}");
    let store = site.store();
    let e = digest::load_edition(&store, 1).unwrap().unwrap();
    PreparedEdition::new(&config(site), &store, &e).unwrap()
}

fn themes(ids: &[&str]) -> Vec<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_edition_takes_every_article_and_a_rerun_creates_nothing() {
    let site = sample_site();
    let (code, out, err) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["edition"], 1);
    assert_eq!(
        v["articles"],
        serde_json::json!(["closeness", "sarajevo", "steppe"])
    );

    let (code, out, err) = run(site.cmd().args(["digest", "-q"]));
    assert_eq!((code, out.as_str(), err.as_str()), (0, "", ""));
    let (_, out, _) = run(site.cmd().arg("digest"));
    assert!(out.contains("nothing created"), "{out}");

    util::store_article(
        &mut site.store(),
        "newcomer",
        article("A newcomer", "newcomer"),
        "2026-11-21T10:00:00Z",
    );
    let (code, out, _) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(code, 0);
    let v = &json_lines(&out)[0];
    assert_eq!(v["edition"], 2);
    assert_eq!(v["articles"], serde_json::json!(["newcomer"]));
    let store = site.store();
    assert_eq!(store.edition(1).unwrap().unwrap().article_ids.len(), 3);
}

#[test]
fn max_articles_rolls_the_rest_into_the_next_edition() {
    let site = sample_site();
    let (_, out, _) = run(site.cmd().args(["digest", "--json", "--max-articles", "2"]));
    assert_eq!(
        json_lines(&out)[0]["articles"],
        serde_json::json!(["closeness", "sarajevo"])
    );
    let (_, out, _) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(
        json_lines(&out)[0]["articles"],
        serde_json::json!(["steppe"])
    );
}

#[test]
fn since_limits_the_first_edition_and_later_editions_keep_the_floor() {
    let site = sample_site();
    let (_, out, _) = run(site
        .cmd()
        .args(["digest", "--json", "--since", "2026-11-02"]));
    assert_eq!(
        json_lines(&out)[0]["articles"],
        serde_json::json!(["sarajevo", "steppe"])
    );
    // The older article is not dragged into edition 2.
    util::store_article(
        &mut site.store(),
        "later",
        article("Later", "later"),
        "2026-11-21T10:00:00Z",
    );
    let (_, out, _) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(
        json_lines(&out)[0]["articles"],
        serde_json::json!(["later"])
    );
    let (code, _, err) = run(site.cmd().args(["digest", "--since", "yesterday"]));
    assert_eq!(code, 2, "bad dates are usage errors: {err}");
}

#[test]
fn article_renders_under_its_primary_theme_once() {
    let site = sample_site();
    let p = prepared(&site);
    let e = p.render(&[], Some("tok")).unwrap();
    assert_eq!(
        e.html
            .matches("Closeness, a debut from Nalchik</a>")
            .count(),
        1
    );
    let cinema = e.html.find(">Caucasus cinema</h2>").unwrap();
    let festivals = e.html.find(">Festivals</h2>").unwrap();
    let more = e.html.find(">More from the archive</h2>").unwrap();
    let closeness = e.html.find("Closeness, a debut from Nalchik</a>").unwrap();
    let sarajevo = e.html.find("festival at thirty</a>").unwrap();
    let steppe = e.html.find("Notes from the steppe</a>").unwrap();
    assert!(cinema < closeness && closeness < festivals);
    assert!(festivals < sarajevo && sarajevo < more && more < steppe);
    assert_eq!(e.text.matches("* Closeness, a debut").count(), 1);
    assert_eq!(
        e.subject,
        "Borderlands Weekly #1: Caucasus cinema, Festivals"
    );
}

#[test]
fn festivals_only_subscriber_gets_the_both_theme_article_under_festivals() {
    let site = sample_site();
    let p = prepared(&site);
    let e = p.render(&themes(&["festivals"]), Some("tok")).unwrap();
    assert!(!e.html.contains(">Caucasus cinema</h2>"));
    assert!(!e.html.contains("More from the archive"));
    assert!(!e.html.contains("Notes from the steppe"));
    let festivals = e.html.find(">Festivals</h2>").unwrap();
    let closeness = e.html.find("Closeness, a debut from Nalchik</a>").unwrap();
    assert!(festivals < closeness);
    assert_eq!(e.subject, "Borderlands Weekly #1: Festivals");
    assert!(e.text.contains("FESTIVALS\n========="));
    assert_eq!(p.article_count(&themes(&["caucasus-cinema"])), 1);
    assert_eq!(p.article_count(&themes(&["festivals"])), 2);
    assert_eq!(p.article_count(&[]), 3);
}

#[test]
fn personal_links_differ_per_subscriber_and_the_web_copy_has_none() {
    let site = sample_site();
    let p = prepared(&site);
    let a = p.render(&[], Some("aaaa")).unwrap();
    let b = p.render(&[], Some("bbbb")).unwrap();
    assert!(
        a.html
            .contains("https://news.example.org/unsubscribe?token=aaaa")
    );
    assert!(
        b.html
            .contains("https://news.example.org/unsubscribe?token=bbbb")
    );
    assert!(
        a.text
            .contains("Unsubscribe: https://news.example.org/unsubscribe?token=aaaa")
    );
    assert!(a.html.contains("https://news.example.org/digests/1/"));
    let web = p.web_copy_html();
    assert!(!web.contains("unsubscribe"));
    assert!(!web.contains("View this edition in your browser"));
    assert!(web.contains("Notes from the steppe"));
    let cfg = config(&site);
    assert_eq!(
        digest::unsubscribe_url(&cfg, "t0k").as_deref(),
        Some("https://news.example.org/unsubscribe?token=t0k")
    );
    assert_eq!(
        digest::web_copy_url(&cfg, 7).as_str(),
        "https://news.example.org/digests/7/"
    );
}

#[test]
fn small_edition_html_and_text_snapshots() {
    let site = sample_site();
    let p = prepared(&site);
    let e = p.render(&[], Some("SNAPSHOT-TOKEN")).unwrap();
    insta::assert_snapshot!("small_edition_html", e.html);
    insta::assert_snapshot!("small_edition_text", e.text);
}

fn attr_urls(html: &str) -> Vec<String> {
    let re = regex::Regex::new(r#"(?i)\b(href|src)\s*=\s*"([^"]*)""#).unwrap();
    re.captures_iter(html).map(|c| c[2].to_string()).collect()
}

#[test]
fn html_has_no_external_css_or_js_and_only_absolute_urls() {
    let site = sample_site();
    let mut store = site.store();
    let mut hostile = article("x", "hostile");
    hostile.url = Some("javascript:alert(1)".into());
    hostile.image_url = Some("/relative/image.jpg".into());
    util::store_article(&mut store, "hostile", hostile, "2026-11-04T10:00:00Z");
    let p = prepared(&site);
    let e = p.render(&[], Some("tok")).unwrap();
    let lower = e.html.to_lowercase();
    assert!(!lower.contains("<script"));
    assert!(!lower.contains("<link"));
    assert!(!lower.contains("javascript:"));
    assert!(lower.contains("<html lang=\"en\""));
    assert!(lower.contains("name=\"color-scheme\""));
    let urls = attr_urls(&e.html);
    assert!(urls.len() > 10, "{urls:?}");
    for u in &urls {
        assert!(
            u.starts_with("https://") || u.starts_with("http://"),
            "relative or unsafe URL {u}"
        );
    }
    // CSS is inlined: cards carry style attributes.
    assert!(e.html.contains("class=\"t\" style=\""), "CSS not inlined");
    for img in regex::Regex::new(r"<img [^>]*>")
        .unwrap()
        .find_iter(&e.html)
    {
        assert!(img.as_str().contains("alt=\""), "{}", img.as_str());
    }
}

#[test]
fn hostile_titles_are_escaped_in_html_and_plain_in_text() {
    let site = sample_site();
    util::store_article(
        &mut site.store(),
        "evil",
        article("<script>alert(1)</script> Tom & Jerry <3", "evil"),
        "2026-11-04T10:00:00Z",
    );
    let p = prepared(&site);
    let e = p.render(&[], Some("tok")).unwrap();
    // Tags go (titles are plain text, as in the feeds); what is left is
    // escaped in HTML and as written in text.
    assert!(!e.html.contains("<script>alert(1)"));
    assert!(!e.html.contains("&lt;script"));
    assert!(
        e.html.contains("alert(1) Tom &amp; Jerry &lt;3"),
        "{}",
        e.html
    );
    assert!(e.text.contains("alert(1) Tom & Jerry <3"), "{}", e.text);
}

#[test]
fn thirty_long_articles_stay_under_the_gmail_clip_limit() {
    let site = Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"));
    let mut store = site.store();
    for i in 0..40 {
        let slug = format!("{i}-{}", "a-very-long-slug-".repeat(14));
        let mut a = article(&"Очень длинный заголовок статьи & more ".repeat(12), &slug);
        a.standfirst = Some("Длинный подзаголовок, который продолжается. ".repeat(40));
        a.caption = Some("Подпись к фотографии ".repeat(30));
        util::store_article(&mut store, &format!("a{i:02}"), a, "2026-11-01T10:00:00Z");
        store
            .put_article_theme_for_tests(&format!("a{i:02}"), "festivals", 1.0, true)
            .unwrap();
    }
    mark_classified(&site, &store);
    let p = prepared(&site);
    assert_eq!(p.article_count(&[]), 30, "default max_articles is 30");
    let e = p.render(&[], Some(&"f".repeat(48))).unwrap();
    assert_eq!(e.html.matches("class=\"c\"").count(), 30);
    eprintln!("worst-case 30-article HTML: {} bytes", e.html.len());
    assert!(
        e.html.len() < 102 * 1000,
        "HTML is {} bytes, Gmail clips above 102 KB",
        e.html.len()
    );
    // Long lines in the text part are only URLs.
    for l in e.text.lines() {
        assert!(
            l.chars().count() <= 72 || l.contains("https://"),
            "overlong text line: {l}"
        );
    }
}

#[test]
fn web_copies_are_written_and_unchanged_ones_are_left_alone() {
    let site = sample_site();
    let (_, out, _) = run(site.cmd().args(["digest", "--json"]));
    let v = &json_lines(&out)[0];
    assert_eq!(v["web_copies_written"].as_array().unwrap().len(), 2);
    let copy = site.path().join("digests/1/index.html");
    let html = std::fs::read_to_string(&copy).unwrap();
    assert!(html.contains("Closeness, a debut from Nalchik"));
    assert!(!html.contains("unsubscribe?token"));
    let index = std::fs::read_to_string(site.path().join("digests/index.html")).unwrap();
    assert!(index.contains("href=\"1/\""), "{index}");
    let (_, out, _) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(
        json_lines(&out)[0]["web_copies_written"],
        serde_json::json!([])
    );
}

#[test]
fn preview_renders_the_next_edition_without_creating_it() {
    let site = sample_site();
    let file = site.path().join("preview.html");
    let (code, out, err) = run(site.cmd().args(["digest", "--preview"]).arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("preview of edition 1"), "{out}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(html.contains("Notes from the steppe"));
    let text = std::fs::read_to_string(site.path().join("preview.txt")).unwrap();
    assert!(text.contains("MORE FROM THE ARCHIVE"));
    assert!(site.store().last_edition().unwrap().is_none());

    // For a festivals-only subscriber, of a stored edition.
    run(site.cmd().args(["digest", "-q"]));
    let (code, _, err) = run(site.cmd().args([
        "subscribers",
        "add",
        "Fan@Example.org",
        "--themes",
        "festivals",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(site
        .cmd()
        .args([
            "digest",
            "--edition",
            "1",
            "--subscriber",
            "fan@example.org",
            "--preview",
        ])
        .arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("subject: Borderlands Weekly #1: Festivals"),
        "{out}"
    );
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains("Notes from the steppe"));
    let token = site
        .store()
        .subscriber_by_email("Fan@example.org")
        .unwrap()
        .unwrap()
        .token;
    assert!(html.contains(&format!("token={token}")));
    assert_eq!(site.store().edition_numbers().unwrap(), vec![1]);
}

/// Title the real parser reads from the seed export (never copied into the repo).
fn seed_title() -> String {
    let (code, out, err) = run(util::newsdesk()
        .args(["inspect", "--json"])
        .arg(util::seed_path()));
    assert_eq!(code, 0, "{err}");
    json_lines(&out)[0]["title"].as_str().unwrap().to_string()
}

#[test]
fn ingested_archive_becomes_edition_one_then_only_new_articles_follow() {
    let site = Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"));
    std::fs::copy(
        util::seed_path(),
        site.path().join("archive/balagov-closeness.txt"),
    )
    .unwrap();
    site.write(
        "second.md",
        "---\ntitle: A second article\ndate: 2025-01-02\n---\n\nBody text.\n",
    );
    let (code, _, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 0, "{err}");
    let (code, out, err) = run(site.cmd().args(["digest", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(v["edition"], 1);
    assert_eq!(v["articles"].as_array().unwrap().len(), 2);
    let copy = std::fs::read_to_string(site.path().join("digests/1/index.html")).unwrap();
    let title = seed_title();
    let escaped = title.replace('&', "&amp;").replace('<', "&lt;");
    assert_eq!(
        copy.matches(&format!("{escaped}</a>")).count(),
        1,
        "{title}"
    );

    let (code, out, _) = run(site.cmd().args(["digest", "-q"]));
    assert_eq!((code, out.as_str()), (0, ""));
    site.write("third.md", "---\ntitle: A third article\n---\n\nMore.\n");
    run(site.cmd().arg("ingest"));
    let (_, out, _) = run(site.cmd().args(["digest", "--json"]));
    let v = &json_lines(&out)[0];
    assert_eq!(v["edition"], 2);
    assert_eq!(v["articles"], serde_json::json!(["third"]));
}

#[test]
fn preview_with_nothing_new_writes_nothing() {
    let site = Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"));
    let file = site.path().join("p.html");
    let (code, out, _) = run(site.cmd().args(["digest", "--preview"]).arg(&file));
    assert_eq!(code, 0);
    assert!(out.contains("nothing written"), "{out}");
    assert!(!file.exists());
}

#[test]
fn hostile_digest_config_stops_before_any_work() {
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}[digest]\nunsubscribe_url = \"javascript:alert('{{token}}')\"\n"
    ));
    let (code, _, err) = run(site.cmd().arg("digest"));
    assert_eq!(code, 78, "{err}");
    assert!(err.contains("digest.unsubscribe_url"), "{err}");
}

/// With the real parser and classifier: the seed article (both themes,
/// Caucasus cinema primary) appears once, under its primary theme, and under
/// Festivals for a festivals-only subscriber.
#[test]
fn seed_article_renders_under_its_primary_theme_and_under_festivals_for_festival_fans() {
    let site = Site::new();
    std::fs::copy(
        util::seed_path(),
        site.path().join("archive/balagov-closeness.txt"),
    )
    .unwrap();
    for args in [vec!["ingest"], vec!["themes", "-q"], vec!["digest", "-q"]] {
        let (code, _, err) = run(site.cmd().args(&args));
        assert_eq!(code, 0, "{args:?}: {err}");
    }
    let title = seed_title();
    let escaped = title.replace('&', "&amp;");
    let card = format!("{escaped}</a></h3>");
    let file = site.path().join("p.html");
    let (code, out, err) = run(site
        .cmd()
        .args(["digest", "--edition", "1", "--preview"])
        .arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("#1: Caucasus cinema\n"), "{out}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert_eq!(html.matches(&card).count(), 1, "{title}");
    let cinema = html.find(">Caucasus cinema</h2>").expect("cinema section");
    assert!(
        !html.contains(">Festivals</h2>"),
        "the article is not repeated"
    );
    assert!(cinema < html.find(&card).unwrap());

    run(site.cmd().args([
        "subscribers",
        "add",
        "fan@example.org",
        "--themes",
        "festivals",
    ]));
    let (code, out, err) = run(site
        .cmd()
        .args([
            "digest",
            "--edition",
            "1",
            "--subscriber",
            "fan@example.org",
            "--preview",
        ])
        .arg(&file));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("#1: Festivals"), "{out}");
    let html = std::fs::read_to_string(&file).unwrap();
    assert!(!html.contains(">Caucasus cinema</h2>"));
    let festivals = html.find(">Festivals</h2>").expect("festivals section");
    assert!(festivals < html.find(&card).unwrap());
    assert_eq!(html.matches(&card).count(), 1);
}

/// Regression: a title holding markup (a JSON-LD headline with `<em>`, a
/// front-matter title with `<b>`) showed its tags as text in the digest
/// ("&lt;em&gt;Closeness…") while the feeds dropped them; and the feeds
/// split "<em>Closeness</em>'s" into "Closeness 's".
#[test]
fn title_markup_is_dropped_alike_in_digest_and_feeds() {
    let site = Site::with_config(&format!("{BASE_CONFIG}{DIGEST_CONFIG}"));
    site.write(
        "closeness.md",
        "---\ntitle: \"Review: <em>Closeness</em>’s debut<br>at <b>Cannes</b>\"\n\
         standfirst: \"A <i>festival</i> find\"\ndate: 2025-03-14\n---\n\n\
         A body about Caucasus cinema and a festival.\n",
    );
    let want = "Review: Closeness’s debut at Cannes";
    let (code, _, err) = run(site.cmd().args(["run", "-q"]));
    assert_eq!(code, 0, "{err}");
    let file = site.path().join("preview.html");
    let (code, _, err) = run(site.cmd().args(["digest", "--preview"]).arg(&file));
    assert_eq!(code, 0, "{err}");
    let html = std::fs::read_to_string(&file).unwrap();
    let text = std::fs::read_to_string(site.path().join("preview.txt")).unwrap();
    assert!(html.contains(want), "{html}");
    assert!(html.contains("A festival find"), "{html}");
    assert!(!html.contains("&lt;em"), "{html}");
    assert!(text.contains(want), "{text}");
    let atom = std::fs::read(site.path().join("feeds/atom.xml")).unwrap();
    let feed = feed_rs::parser::parse(&atom[..]).unwrap();
    let title = feed.entries[0].title.as_ref().unwrap();
    assert_eq!(title.content, want);
}

#[test]
fn digest_right_after_ingest_gives_theme_subscribers_their_sections() {
    // `ingest` then `digest` (no `run`, no `themes`): the articles were not
    // classified yet, so a festivals-only subscriber got nothing and a real
    // send recorded them as skipped for good.
    let site = Site::with_config(&format!(
        "{BASE_CONFIG}{DIGEST_CONFIG}from = \"Desk <desk@example.org>\"\n"
    ));
    site.write(
        "fest.md",
        "---\ntitle: Sarajevo's festival at thirty\ndate: 2025-08-20\ntags: [festival]\n---\n\nBody.\n",
    );
    let (code, _, err) = run(site.cmd().arg("ingest"));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(site.cmd().args([
        "subscribers",
        "add",
        "fan@example.org",
        "--themes",
        "festivals",
    ]));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = run(site.cmd().arg("digest"));
    assert_eq!(code, 0, "{err}");
    let dir = site.path().join("eml");
    let (code, out, err) = run(site
        .cmd()
        .args(["digest", "--send", "--json", "--dry-run"])
        .arg(&dir));
    assert_eq!(code, 0, "{err}");
    let v = &json_lines(&out)[0];
    assert_eq!(
        (v["written"].as_u64(), v["skipped"].as_u64()),
        (Some(1), Some(0)),
        "{out}"
    );
    let eml = std::fs::read_to_string(dir.join("1-1.eml")).unwrap();
    assert!(
        eml.contains("Subject: Borderlands Weekly #1: Festivals"),
        "{eml}"
    );
}
