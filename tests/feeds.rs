//! Feeds: every generated document parses with feed-rs and says what the
//! store holds; reruns are byte- and mtime-stable; ids survive renames;
//! hostile articles stay safe; archive pages chain and never change.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, Utc};
use newsdesk::config::Config;
use newsdesk::feeds::{self, FeedsReport};
use newsdesk::model::{Article, Format};
use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile, Store};

use crate::util::{self, Site};

const THEMES: &str = r#"
[feeds]
tag_authority = "news.example.org,2026-01-01"

[[themes]]
id = "caucasus-cinema"
name = "Caucasus cinema"
tags = ["caucasus-cinema"]
description = "Film from the Caucasus"

[[themes]]
id = "festivals"
name = "Festivals"
tags = ["festivals"]
"#;

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn article(id: &str, title: &str, date: &str) -> Article {
    Article {
        explicit_id: Some(id.into()),
        title: title.into(),
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok(),
        standfirst: Some(format!("Standfirst of {title}")),
        body_html: format!("<p>Body of {title}.</p>"),
        body_text: format!("Body of {title}."),
        authors: vec!["A. Writer".into()],
        ..Article::default()
    }
}

/// Stores articles as one ingest pass at `now`, each from file `key`.
fn ingest(store: &mut Store, now: &str, files: &[(&str, Article)]) {
    ingest_batch(store, now, files, &[]);
}

fn ingest_batch(store: &mut Store, now: &str, files: &[(&str, Article)], removed: &[&str]) {
    let batch = IngestBatch {
        versions: files
            .iter()
            .map(|(key, a)| NewFileVersion {
                key: (*key).into(),
                size: 1,
                mtime_ns: 1,
                hash: newsdesk::util::sha256_hex(format!("{key}{a:?}").as_bytes()),
                parsed: Ok(ParsedFile::new(
                    (*key).into(),
                    key.trim_end_matches(".md").into(),
                    Format::Markdown,
                    a.clone(),
                )),
            })
            .collect(),
        removed: removed.iter().map(|s| s.to_string()).collect(),
        gone: removed.iter().map(|s| s.to_string()).collect(),
        ..IngestBatch::default()
    };
    let out = store.apply_ingest(&batch, t(now)).unwrap();
    assert!(out.rejected.is_empty(), "{:?}", out.rejected);
}

fn config(site: &Site) -> Config {
    Config::load(&site.config_path()).unwrap()
}

fn write(site: &Site, store: &Store) -> FeedsReport {
    let r = feeds::write_all(&config(site), store, t(util::NOW)).unwrap();
    keep_output(site);
    r
}

/// With NEWSDESK_FEEDS_OUT set, copies each test's feeds there (one dir per
/// test) so they can be run through an external validator (docs/feeds.md).
fn keep_output(site: &Site) {
    let Some(out) = std::env::var_os("NEWSDESK_FEEDS_OUT") else {
        return;
    };
    let name = std::thread::current()
        .name()
        .unwrap_or("test")
        .replace("::", "-");
    let src = site.path().join("feeds");
    let dst = Path::new(&out).join(name);
    let _ = std::fs::remove_dir_all(&dst);
    for rel in tree(&src) {
        let to = dst.join(&rel);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(src.join(&rel), to).unwrap();
    }
}

fn read(site: &Site, rel: &str) -> String {
    std::fs::read_to_string(site.path().join("feeds").join(rel))
        .unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn parse(site: &Site, rel: &str) -> feed_rs::model::Feed {
    let bytes = std::fs::read(site.path().join("feeds").join(rel)).unwrap();
    feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|e| panic!("{rel} does not parse: {e}"))
}

const KINDS: [&str; 3] = ["rss.xml", "atom.xml", "feed.json"];

/// Every file under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = walkdir::WalkDir::new(dir)
        .into_iter()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(dir).unwrap().to_path_buf())
        .collect();
    v.sort();
    v
}

/// A site with three articles: two in caucasus-cinema, one also in festivals.
fn three_article_site() -> (Site, Store) {
    let site = Site::new();
    site.append_config(THEMES);
    let mut store = site.store();
    let mut film = article("2017/closeness", "Closeness", "2017-08-01");
    film.url = Some("https://news.example.org/2017/08/closeness/".into());
    film.image_url = Some("/images/closeness.jpg".into());
    film.caption = Some("A still from Closeness".into());
    film.image_credit = Some("Photo: Studio".into());
    film.pull_quotes = vec!["First quote".into(), "Second quote".into()];
    film.related = vec!["Rel one".into(), "Rel two".into(), "Rel three".into()];
    film.tags = vec!["cinema".into(), "Nalchik".into()];
    film.body_html = r#"<p>Body with <a href="/other/">a link</a>.</p>"#.into();
    ingest(&mut store, "2026-11-01T10:00:00Z", &[("a.md", film)]);
    ingest(
        &mut store,
        "2026-11-02T10:00:00Z",
        &[("b.md", article("fest", "Festival report", "2026-10-30"))],
    );
    ingest(
        &mut store,
        "2026-11-03T10:00:00Z",
        &[("c.md", article("other", "Unthemed", "2026-11-03"))],
    );
    store
        .feed_test_assign_theme("2017/closeness", "caucasus-cinema", 3.0, true)
        .unwrap();
    store
        .feed_test_assign_theme("2017/closeness", "festivals", 1.0, false)
        .unwrap();
    store
        .feed_test_assign_theme("fest", "festivals", 2.0, true)
        .unwrap();
    (site, store)
}

/// Regression: an archive reprinting a 1985 piece, or an article whose date
/// is a typo (2999), put that date in pubDate / published / lastBuildDate,
/// and the W3C validator flags dates before 1990 or in the future
/// (ImplausibleDate). Such articles are published under the time they were
/// archived; plausible dates are kept.
#[test]
fn implausible_article_dates_are_published_as_archived() {
    let site = Site::new();
    let mut store = site.store();
    ingest(
        &mut store,
        "2026-11-02T10:00:00Z",
        &[
            ("old.md", article("old", "From 1985", "1985-05-09")),
            ("typo.md", article("typo", "Dated 2999", "2999-01-01")),
            ("ok.md", article("ok", "From 2017", "2017-08-01")),
        ],
    );
    write(&site, &store);
    for kind in KINDS {
        let f = parse(&site, kind);
        let published = |title: &str| {
            let e = f
                .entries
                .iter()
                .find(|e| e.title.as_ref().unwrap().content == title)
                .unwrap();
            e.published.or(e.updated).unwrap()
        };
        assert_eq!(published("From 1985"), t("2026-11-02T10:00:00Z"), "{kind}");
        assert_eq!(published("Dated 2999"), t("2026-11-02T10:00:00Z"), "{kind}");
        assert_eq!(published("From 2017"), t("2017-08-01T00:00:00Z"), "{kind}");
    }
    let rss = read(&site, "rss.xml");
    for date in regex::Regex::new(r"<(pubDate|lastBuildDate)>[^<]*")
        .unwrap()
        .find_iter(&rss)
    {
        let d = date.as_str();
        assert!(!d.contains("2999") && !d.contains("1985"), "{d}");
    }
}

/// Regression: an article with no text to summarise (a body of images
/// only, no standfirst) gave an RSS item with `content:encoded` but no
/// `description`, which the W3C validator flags.
#[test]
fn rss_item_without_a_summary_still_has_a_description_first() {
    let site = Site::new();
    let mut store = site.store();
    let mut a = article("pic", "Only a picture", "2021-05-07");
    a.standfirst = None;
    a.body_text = String::new();
    a.body_html = r#"<p><img src="https://news.example.org/x.jpg" alt=""></p>"#.into();
    ingest(&mut store, "2026-11-02T10:00:00Z", &[("pic.md", a)]);
    write(&site, &store);
    let rss = read(&site, "rss.xml");
    let d = rss.find("<description><![CDATA[Only a picture]]></description>");
    let c = rss.find("<content:encoded>");
    assert!(d.is_some() && d < c, "{rss}");
}

#[test]
fn every_feed_is_written_and_parses_with_its_articles() {
    let (site, store) = three_article_site();
    let r = write(&site, &store);
    assert_eq!(r.feeds, 3);
    let files: Vec<String> = tree(&site.path().join("feeds"))
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    for f in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "themes/caucasus-cinema/rss.xml",
        "themes/caucasus-cinema/atom.xml",
        "themes/caucasus-cinema/feed.json",
        "themes/festivals/rss.xml",
        "themes/festivals/atom.xml",
        "themes/festivals/feed.json",
        "feeds.opml",
        "index.html",
    ] {
        assert!(files.contains(&f.to_string()), "{f} missing from {files:?}");
    }
    for kind in KINDS {
        let all = parse(&site, kind);
        let titles: Vec<String> = all
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect();
        // Newest archived first.
        assert_eq!(
            titles,
            ["Unthemed", "Festival report", "Closeness"],
            "{kind}"
        );
        let fest = parse(&site, &format!("themes/festivals/{kind}"));
        let ids: Vec<&str> = fest.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(
            ids,
            [
                "tag:news.example.org,2026-01-01:fest",
                "tag:news.example.org,2026-01-01:2017/closeness"
            ],
            "{kind}"
        );
        let cinema = parse(&site, &format!("themes/caucasus-cinema/{kind}"));
        assert_eq!(cinema.entries.len(), 1, "{kind}");
        let e = &cinema.entries[0];
        assert_eq!(
            e.links[0].href, "https://news.example.org/2017/08/closeness/",
            "{kind}"
        );
        let body = e.content.as_ref().and_then(|c| c.body.clone()).unwrap();
        for needle in [
            r#"<img src="https://news.example.org/images/closeness.jpg""#,
            "<figcaption>A still from Closeness <small>Photo: Studio</small></figcaption>",
            "<blockquote><p>First quote</p></blockquote>",
            "<blockquote><p>Second quote</p></blockquote>",
            "<li>Rel one</li>",
            "<li>Rel three</li>",
            r#"href="https://news.example.org/other/""#,
        ] {
            assert!(body.contains(needle), "{kind}: {needle} not in {body}");
        }
        assert_eq!(
            e.summary.as_ref().unwrap().content,
            "Standfirst of Closeness",
            "{kind}"
        );
        assert_eq!(e.authors[0].name.as_deref(), Some("A. Writer"), "{kind}");
        assert_eq!(
            e.published.unwrap(),
            t("2017-08-01T00:00:00Z"),
            "{kind}: published is the article's own date"
        );
    }
    // Atom: updated is when the content last changed; the feed's is the newest entry's.
    let atom = parse(&site, "atom.xml");
    assert_eq!(atom.updated.unwrap(), t("2026-11-03T10:00:00.000003Z"));
    assert_eq!(atom.language.as_deref(), Some("en"));
    let self_link = atom.links.iter().find(|l| l.rel.as_deref() == Some("self"));
    assert_eq!(
        self_link.unwrap().href,
        "https://news.example.org/feeds/atom.xml"
    );
    let rss = read(&site, "themes/festivals/rss.xml");
    assert!(
        rss.contains(r#"<guid isPermaLink="false">tag:news.example.org,2026-01-01:fest</guid>"#),
        "{rss}"
    );
    assert!(rss.contains("<dc:creator>A. Writer</dc:creator>"), "{rss}");
    assert!(rss.contains(r#"<atom:link href="https://news.example.org/feeds/themes/festivals/rss.xml" rel="self""#), "{rss}");
    assert!(
        rss.contains("<lastBuildDate>Mon, 2 Nov 2026 10:00:00 +0000</lastBuildDate>"),
        "{rss}"
    );
    let json: serde_json::Value = serde_json::from_str(&read(&site, "feed.json")).unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], "https://news.example.org/feeds/feed.json");
    assert_eq!(
        json["items"][2]["image"],
        "https://news.example.org/images/closeness.jpg"
    );
    assert_eq!(
        json["items"][2]["tags"],
        serde_json::json!(["cinema", "Nalchik"])
    );
}

#[test]
fn opml_and_index_list_every_feed_with_autodiscovery() {
    let (site, store) = three_article_site();
    write(&site, &store);
    let opml = read(&site, "feeds.opml");
    for url in [
        "https://news.example.org/feeds/rss.xml",
        "https://news.example.org/feeds/themes/caucasus-cinema/rss.xml",
        "https://news.example.org/feeds/themes/festivals/rss.xml",
    ] {
        assert!(opml.contains(&format!("xmlUrl=\"{url}\"")), "{opml}");
    }
    let index = read(&site, "index.html");
    for needle in [
        r#"<link rel="alternate" type="application/atom+xml" title="Test Desk — Festivals (Atom)" href="https://news.example.org/feeds/themes/festivals/atom.xml">"#,
        r#"<link rel="alternate" type="application/rss+xml" title="Test Desk (RSS)" href="https://news.example.org/feeds/rss.xml">"#,
        r#"<link rel="alternate" type="application/feed+json""#,
        r#"<a href="https://news.example.org/2017/08/closeness/">Closeness</a>"#,
    ] {
        assert!(index.contains(needle), "{needle} not in {index}");
    }
}

fn mtimes(dir: &Path) -> Vec<(PathBuf, std::time::SystemTime)> {
    tree(dir)
        .into_iter()
        .map(|p| {
            let m = std::fs::metadata(dir.join(&p)).unwrap().modified().unwrap();
            (p, m)
        })
        .collect()
}

#[test]
fn rerun_on_unchanged_store_leaves_bytes_and_mtimes_alone() {
    let (site, store) = three_article_site();
    write(&site, &store);
    let dir = site.path().join("feeds");
    // Backdate every file so an unwanted rewrite would show.
    let old = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(946_684_800);
    for p in tree(&dir) {
        let f = std::fs::File::options()
            .write(true)
            .open(dir.join(p))
            .unwrap();
        f.set_modified(old).unwrap();
    }
    let before: Vec<_> = tree(&dir)
        .into_iter()
        .map(|p| std::fs::read(dir.join(&p)).unwrap())
        .collect();
    let r = write(&site, &store);
    assert!(r.skipped, "an unchanged store is a no-op: {r:?}");
    // Forced: everything rebuilt, nothing rewritten.
    let r = feeds::write_all_with(&config(&site), &store, t("2030-01-01T00:00:00Z"), true).unwrap();
    assert!(!r.skipped);
    assert_eq!(r.written, 0, "{r:?}");
    assert!(r.unchanged >= 11, "{r:?}");
    let after: Vec<_> = tree(&dir)
        .into_iter()
        .map(|p| std::fs::read(dir.join(&p)).unwrap())
        .collect();
    assert_eq!(before, after);
    assert!(mtimes(&dir).iter().all(|(_, m)| *m == old));
}

#[test]
fn a_changed_article_rewrites_only_the_feeds_it_is_in() {
    let (site, mut store) = three_article_site();
    write(&site, &store);
    let dir = site.path().join("feeds");
    let cinema = std::fs::read(dir.join("themes/caucasus-cinema/atom.xml")).unwrap();
    let mut a = article("other", "Unthemed, revised", "2026-11-03");
    a.body_html = "<p>New body.</p>".into();
    ingest(&mut store, "2026-11-05T10:00:00Z", &[("c.md", a)]);
    let r = write(&site, &store);
    assert!(!r.skipped);
    assert_eq!(
        std::fs::read(dir.join("themes/caucasus-cinema/atom.xml")).unwrap(),
        cinema
    );
    let atom = parse(&site, "atom.xml");
    assert_eq!(
        atom.entries[0].title.as_ref().unwrap().content,
        "Unthemed, revised"
    );
    // updated = when the content changed (+ seq 3 as microseconds, see docs).
    assert_eq!(
        atom.entries[0].updated.unwrap(),
        t("2026-11-05T10:00:00.000003Z")
    );
    assert_eq!(atom.updated.unwrap(), t("2026-11-05T10:00:00.000003Z"));
    // all: 3 feeds + index (titles changed); themes untouched.
    assert_eq!(r.written, 4, "{r:?}");
}

#[test]
fn renamed_file_keeps_feed_id() {
    let site = Site::new();
    site.append_config(THEMES);
    let mut store = site.store();
    let mut a = article("balagov-closeness", "Closeness", "2017-08-01");
    a.url = Some("https://news.example.org/old-url/".into());
    ingest(
        &mut store,
        "2026-11-01T10:00:00Z",
        &[("old-name.md", a.clone())],
    );
    write(&site, &store);
    let before = parse(&site, "atom.xml").entries[0].id.clone();
    a.url = Some("https://news.example.org/new-url/".into());
    a.title = "Closeness (renamed)".into();
    ingest_batch(
        &mut store,
        "2026-11-02T10:00:00Z",
        &[("new-name.md", a)],
        &["old-name.md"],
    );
    write(&site, &store);
    for kind in KINDS {
        let f = parse(&site, kind);
        assert_eq!(f.entries.len(), 1, "{kind}");
        assert_eq!(f.entries[0].id, before, "{kind}");
        assert_eq!(
            f.entries[0].links[0].href,
            "https://news.example.org/new-url/"
        );
    }
    assert_eq!(before, "tag:news.example.org,2026-01-01:balagov-closeness");
}

#[test]
fn tag_authority_is_fixed_at_first_run_without_config() {
    let site = Site::new();
    let mut store = site.store();
    ingest(
        &mut store,
        "2026-11-01T10:00:00Z",
        &[("a.md", article("a", "A", "2017-01-01"))],
    );
    let r = feeds::write_all(&config(&site), &store, t("2026-11-01T12:00:00Z")).unwrap();
    assert_eq!(r.tag_authority, "news.example.org,2026-11-01");
    // Later runs, and a moved site, keep it.
    site.append_config("[feeds]\nbase_url = \"https://cdn.example.net/f/\"\n");
    let c = Config::load(&site.config_path()).unwrap();
    let r = feeds::write_all(&c, &store, t("2027-05-01T00:00:00Z")).unwrap();
    assert_eq!(r.tag_authority, "news.example.org,2026-11-01");
    let atom = parse(&site, "atom.xml");
    assert_eq!(atom.entries[0].id, "tag:news.example.org,2026-11-01:a");
    assert_eq!(atom.links[0].href, "https://cdn.example.net/f/atom.xml");
}

#[test]
fn hostile_article_gives_a_valid_safe_feed() {
    let site = Site::new();
    site.append_config(THEMES);
    let mut store = site.store();
    let a = Article {
        explicit_id: Some("evil ]]> <x>/../..".into()),
        title: "Bad <b>title</b> ]]> \u{1}\u{b}here\nBcc: x".into(),
        url: Some("javascript:alert(1)".into()),
        standfirst: Some("Stand ]]> & <script>alert(1)</script>".into()),
        image_url: Some("javascript:alert(2)".into()),
        caption: Some("Cap\u{0}tion \"quoted\" ]]>".into()),
        authors: vec!["Eve <eve@example.org>\u{7}".into()],
        tags: vec!["<t>".into()],
        pull_quotes: vec!["<script>q()</script>".into()],
        related: vec!["]]>".into()],
        body_html: "<p onclick=\"x()\">Hi<script>alert(1)</script> <a href=\"javascript:alert(1)\">j</a> \
                    <a href=\"/rel\">rel</a> ]]&gt; \u{1}ctl <iframe src=\"https://e.org\"></iframe></p>"
            .into(),
        body_text: "Hi".into(),
        ..Article::default()
    };
    ingest(&mut store, "2026-11-01T10:00:00Z", &[("evil.md", a)]);
    store
        .feed_test_assign_theme("evil ]]> <x>/../..", "festivals", 1.0, true)
        .unwrap();
    write(&site, &store);
    for rel in [
        "rss.xml",
        "atom.xml",
        "feed.json",
        "themes/festivals/rss.xml",
        "themes/festivals/atom.xml",
        "themes/festivals/feed.json",
    ] {
        let raw = read(&site, rel);
        assert!(
            !raw.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
            "{rel} has control characters"
        );
        let f = parse(&site, rel);
        let e = &f.entries[0];
        let content = e.content.as_ref().unwrap().body.clone().unwrap();
        let lower = content.to_ascii_lowercase();
        for bad in ["<script", "javascript:", "onclick", "<iframe"] {
            assert!(!lower.contains(bad), "{rel}: {bad} in {content}");
        }
        assert!(
            content.contains("href=\"https://news.example.org/rel\""),
            "{rel}: {content}"
        );
        assert!(
            content.contains("&lt;script&gt;q()&lt;/script&gt;"),
            "{rel}: {content}"
        );
        assert_eq!(
            e.title.as_ref().unwrap().content,
            "Bad title ]]> here Bcc: x",
            "{rel}: titles are plain text, one line"
        );
        assert!(
            e.links[0].href.starts_with(
                "https://news.example.org/articles/evil%20%5D%5D%3E%20%3Cx%3E/%252E%252E/%252E%252E/"
            ),
            "{rel}: {}",
            e.links[0].href
        );
        assert_eq!(
            e.id,
            "tag:news.example.org,2026-01-01:evil%20%5D%5D%3E%20%3Cx%3E/../.."
        );
    }
}

fn link<'a>(f: &'a feed_rs::model::Feed, rel: &str) -> Option<&'a str> {
    f.links
        .iter()
        .find(|l| l.rel.as_deref() == Some(rel))
        .map(|l| l.href.as_str())
}

#[test]
fn archive_pages_chain_back_and_never_change() {
    let site = Site::new();
    site.append_config(&THEMES.replace("[feeds]\n", "[feeds]\nmax_items = 2\n"));
    let mut store = site.store();
    for i in 1..=5 {
        let id = format!("a{i}");
        ingest(
            &mut store,
            &format!("2026-11-0{i}T10:00:00Z"),
            &[(
                &format!("{id}.md"),
                article(&id, &format!("Article {i}"), "2026-01-01"),
            )],
        );
    }
    write(&site, &store);
    let titles = |f: &feed_rs::model::Feed| -> Vec<String> {
        f.entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect()
    };
    let latest = parse(&site, "atom.xml");
    assert_eq!(titles(&latest), ["Article 5", "Article 4"]);
    let base = "https://news.example.org/feeds/";
    assert_eq!(
        link(&latest, "prev-archive"),
        Some(&*format!("{base}archive/atom-2.xml"))
    );
    let p2 = parse(&site, "archive/atom-2.xml");
    assert_eq!(titles(&p2), ["Article 4", "Article 3"]);
    assert_eq!(
        link(&p2, "prev-archive"),
        Some(&*format!("{base}archive/atom-1.xml"))
    );
    assert_eq!(link(&p2, "current"), Some(&*format!("{base}atom.xml")));
    assert_eq!(
        link(&p2, "self"),
        Some(&*format!("{base}archive/atom-2.xml"))
    );
    let p1 = parse(&site, "archive/atom-1.xml");
    assert_eq!(titles(&p1), ["Article 2", "Article 1"]);
    assert_eq!(link(&p1, "prev-archive"), None);
    assert!(read(&site, "archive/atom-1.xml").contains("<fh:archive"));
    assert!(!read(&site, "atom.xml").contains("fh:archive"));
    // Following the chain from the subscription document reaches every article.
    let mut seen: Vec<String> = titles(&latest);
    seen.extend(titles(&p2));
    seen.extend(titles(&p1));
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 5);

    let p1_bytes = read(&site, "archive/atom-1.xml");
    let p2_bytes = read(&site, "archive/atom-2.xml");
    // Change an archived article and add two more: old pages stay as cut.
    ingest(
        &mut store,
        "2026-11-10T10:00:00Z",
        &[
            ("a1.md", article("a1", "Article 1, edited", "2026-01-01")),
            ("a6.md", article("a6", "Article 6", "2026-01-01")),
            ("a7.md", article("a7", "Article 7", "2026-01-02")),
        ],
    );
    let r = write(&site, &store);
    assert_eq!(r.new_archive_pages, 1);
    assert_eq!(read(&site, "archive/atom-1.xml"), p1_bytes);
    assert_eq!(read(&site, "archive/atom-2.xml"), p2_bytes);
    let p3 = parse(&site, "archive/atom-3.xml");
    assert_eq!(titles(&p3), ["Article 6", "Article 5"]);
    assert_eq!(
        link(&p3, "prev-archive"),
        Some(&*format!("{base}archive/atom-2.xml"))
    );
    let latest = parse(&site, "atom.xml");
    assert_eq!(
        link(&latest, "prev-archive"),
        Some(&*format!("{base}archive/atom-3.xml"))
    );
    // Per-theme feeds have their own (here empty) archives.
    assert!(!site.path().join("feeds/themes/festivals/archive").exists());
    // A page lost from disk comes back with the entries it was cut with.
    std::fs::remove_file(site.path().join("feeds/archive/atom-2.xml")).unwrap();
    let r = write(&site, &store);
    assert_eq!((r.written, r.new_archive_pages), (1, 0), "{r:?}");
    assert_eq!(read(&site, "archive/atom-2.xml"), p2_bytes);
    assert_eq!(
        titles(&parse(&site, "archive/atom-2.xml")),
        ["Article 4", "Article 3"]
    );
    // Also when an article it holds was removed from the archive since.
    ingest_batch(&mut store, "2026-11-11T10:00:00Z", &[], &["a3.md"]);
    write(&site, &store);
    std::fs::remove_file(site.path().join("feeds/archive/atom-2.xml")).unwrap();
    write(&site, &store);
    assert_eq!(read(&site, "archive/atom-2.xml"), p2_bytes);
}

#[test]
fn deleted_theme_feeds_are_removed_and_nothing_else() {
    let (site, store) = three_article_site();
    write(&site, &store);
    let dir = site.path().join("feeds");
    std::fs::write(dir.join("themes/festivals/notes.txt"), "mine").unwrap();
    std::fs::write(dir.join("robots.txt"), "mine").unwrap();
    let cfg = std::fs::read_to_string(site.config_path()).unwrap();
    let cut = cfg.find("[[themes]]\nid = \"festivals\"").unwrap();
    std::fs::write(site.config_path(), &cfg[..cut]).unwrap();
    let r = write(&site, &store);
    assert_eq!(r.removed, 3, "{r:?}");
    assert_eq!(r.feeds, 2);
    for kind in KINDS {
        assert!(!dir.join("themes/festivals").join(kind).exists());
        assert!(dir.join("themes/caucasus-cinema").join(kind).exists());
    }
    assert!(dir.join("themes/festivals/notes.txt").exists());
    assert!(dir.join("robots.txt").exists());
    assert!(!read(&site, "feeds.opml").contains("festivals"));
}

#[test]
fn feeds_command_reports_json_and_is_quiet_when_nothing_changed() {
    let (site, store) = three_article_site();
    drop(store);
    let (code, out, err) = util::run(site.cmd().args(["feeds", "--json"]));
    assert_eq!(code, 0, "{err}");
    let v = &util::json_lines(&out)[0];
    assert_eq!(v["feeds"], 3);
    assert_eq!(v["written"], 11);
    assert_eq!(v["skipped"], false);
    let (code, out, _) = util::run(site.cmd().args(["feeds", "-q"]));
    assert_eq!(code, 0);
    assert_eq!(out, "");
}

#[test]
fn small_feeds_match_their_snapshots() {
    let site = Site::new();
    site.append_config(THEMES);
    let mut store = site.store();
    let mut a = article("2017/closeness", "Closeness", "2017-08-01");
    a.url = Some("https://news.example.org/2017/08/closeness/".into());
    a.image_url = Some("https://news.example.org/i/c.jpg".into());
    a.caption = Some("A still".into());
    a.pull_quotes = vec!["A quote".into()];
    a.related = vec!["Another story".into()];
    a.tags = vec!["cinema".into()];
    ingest(&mut store, "2026-11-01T10:00:00Z", &[("a.md", a)]);
    write(&site, &store);
    insta::assert_snapshot!("feeds_rss", read(&site, "rss.xml"));
    insta::assert_snapshot!("feeds_atom", read(&site, "atom.xml"));
    insta::assert_snapshot!("feeds_json", read(&site, "feed.json"));
    insta::assert_snapshot!("feeds_opml", read(&site, "feeds.opml"));
}

#[test]
fn unwritable_feeds_dir_exits_73() {
    let site = Site::new();
    site.append_config("[feeds]\ndir = \"blocker/feeds\"\n");
    std::fs::write(site.path().join("blocker"), "a file, not a directory").unwrap();
    let (code, _, err) = util::run(site.cmd().arg("feeds"));
    assert_eq!(code, 73, "{err}");
    assert!(err.contains("blocker"), "{err}");
}

#[test]
fn one_ingest_run_is_ordered_by_date_then_id_and_paged_without_gaps() {
    let site = Site::new();
    site.append_config(&THEMES.replace("[feeds]\n", "[feeds]\nmax_items = 2\n"));
    let mut store = site.store();
    // One run archives everything at the same instant.
    let mut undated = article("u", "Undated", "");
    undated.date = None;
    ingest(
        &mut store,
        "2026-11-01T10:00:00Z",
        &[
            ("b.md", article("b", "B 2020", "2020-01-01")),
            ("a.md", article("a", "A 2020", "2020-01-01")),
            ("c.md", article("c", "C 2019", "2019-05-05")),
            ("d.md", article("d", "D 2024", "2024-02-02")),
            ("u.md", undated),
        ],
    );
    write(&site, &store);
    let titles = |rel: &str| -> Vec<String> {
        parse(&site, rel)
            .entries
            .iter()
            .map(|e| e.title.as_ref().unwrap().content.clone())
            .collect()
    };
    assert_eq!(titles("atom.xml"), ["D 2024", "B 2020"]);
    assert_eq!(titles("archive/atom-2.xml"), ["B 2020", "A 2020"]);
    assert_eq!(titles("archive/atom-1.xml"), ["C 2019", "Undated"]);
    assert_eq!(titles("rss.xml"), ["D 2024", "B 2020"]);
}

/// Tags removed, the entities the serializers emit decoded, whitespace collapsed.
fn html_text(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                out.push(' ');
            }
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    let out = out
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn seed_article_reaches_its_theme_feeds_with_nothing_lost() {
    // The default themes (no [[themes]] in the config), the real parsers
    // and the real classification, as a new user runs them.
    let site = Site::new();
    site.append_config("[feeds]\ntag_authority = \"news.example.org,2026-01-01\"\n");
    std::fs::copy(
        util::seed_path(),
        site.path().join("archive/balagov-closeness.txt"),
    )
    .unwrap();
    let (code, _, err) = util::run(site.cmd().arg("run"));
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = util::run(site.cmd().arg("feeds"));
    assert_eq!(code, 0, "{err}");
    let stored = site
        .store()
        .articles()
        .unwrap()
        .pop()
        .expect("the seed article is stored");
    let a = &stored.article;
    assert_eq!(a.pull_quotes.len(), 2, "parser found the pull quotes");
    assert_eq!(a.related.len(), 3, "parser found the related titles");
    let caption = a.caption.as_deref().expect("seed has a caption");
    let standfirst = a.standfirst.as_deref().expect("seed has a standfirst");
    for theme in ["caucasus-cinema", "festivals"] {
        for kind in KINDS {
            let rel = format!("themes/{theme}/{kind}");
            let f = parse(&site, &rel);
            assert_eq!(f.entries.len(), 1, "{rel}");
            let e = &f.entries[0];
            assert_eq!(e.title.as_ref().unwrap().content, squash(&a.title), "{rel}");
            let html = e.content.as_ref().and_then(|c| c.body.clone()).unwrap();
            let text = html_text(&html);
            assert!(text.contains(&squash(caption)), "{rel}: caption");
            assert!(text.contains(&squash(standfirst)), "{rel}: standfirst");
            assert_eq!(html.matches("<blockquote>").count(), 2, "{rel}");
            for q in &a.pull_quotes {
                assert!(
                    html.contains(&format!(
                        "<blockquote><p>{}</p></blockquote>",
                        squash(q)
                            .replace('&', "&amp;")
                            .replace('<', "&lt;")
                            .replace('>', "&gt;")
                            .replace('"', "&quot;")
                            .replace('\'', "&#39;")
                    )),
                    "{rel}: pull quote {q}"
                );
            }
            for r in &a.related {
                assert!(text.contains(&squash(r)), "{rel}: related {r}");
            }
            assert_eq!(html.matches("<li>").count(), 3, "{rel}");
            // Nowhere lost text: every body paragraph is in the content.
            for para in a.body_text.split("\n\n").filter(|p| !p.trim().is_empty()) {
                assert!(
                    text.contains(&squash(para)),
                    "{rel}: lost paragraph {para:?}"
                );
            }
        }
    }
}

/// Every entry id of a feed, following its archive chain from the
/// subscription document, newest first, each once.
fn chain_ids(site: &Site, prefix: &str) -> Vec<String> {
    let base = "https://news.example.org/feeds/";
    let mut ids: Vec<String> = Vec::new();
    let mut rel = format!("{prefix}atom.xml");
    loop {
        let f = parse(site, &rel);
        for e in &f.entries {
            if !ids.contains(&e.id) {
                ids.push(e.id.clone());
            }
        }
        match link(&f, "prev-archive") {
            Some(prev) => rel = prev.strip_prefix(base).unwrap().to_string(),
            None => return ids,
        }
    }
}

#[test]
fn archives_of_all_and_themes_hold_every_article_in_order_on_a_large_first_run() {
    // More articles than the pages' reader takes at once, pages of 7, themes
    // whose pages span many of the "all" feed's: each article's row is read
    // once and its entry shared by the pages of every feed it is in.
    let site = Site::new();
    site.append_config(&THEMES.replace("[feeds]\n", "[feeds]\nmax_items = 7\n"));
    let mut store = site.store();
    let n = 1_300;
    let start = NaiveDate::from_ymd_opt(2010, 1, 1).unwrap();
    let files: Vec<(String, Article)> = (0..n)
        .map(|i| {
            let date = start + chrono::Duration::days((i * 7919 % n) as i64);
            let mut a = article(&format!("a{i:04}"), &format!("Article {i}"), "");
            a.date = Some(date);
            if i == 1_000 {
                a.standfirst = None;
                a.body_text = "First paragraph of the body.\n\nSecond.".into();
            }
            (format!("a{i:04}.md"), a)
        })
        .collect();
    let refs: Vec<(&str, Article)> = files.iter().map(|(k, a)| (k.as_str(), a.clone())).collect();
    ingest(&mut store, "2026-11-01T10:00:00Z", &refs);
    let in_cinema = |i: usize| i.is_multiple_of(3);
    let in_festivals = |i: usize| i.is_multiple_of(5);
    store
        .feed_test_in_transaction(|| {
            for i in 0..n {
                let id = format!("a{i:04}");
                if in_cinema(i) {
                    store.feed_test_assign_theme(&id, "caucasus-cinema", 1.0, true)?;
                }
                if in_festivals(i) {
                    store.feed_test_assign_theme(&id, "festivals", 1.0, !in_cinema(i))?;
                }
            }
            Ok(())
        })
        .unwrap();
    let r = write(&site, &store);
    // Newest first: one ingest run, so by date, then id.
    let expected = |keep: &dyn Fn(usize) -> bool| -> Vec<String> {
        let mut v: Vec<(NaiveDate, String)> = files
            .iter()
            .enumerate()
            .filter(|(i, _)| keep(*i))
            .map(|(_, (_, a))| (a.date.unwrap(), a.explicit_id.clone().unwrap()))
            .collect();
        v.sort();
        v.reverse();
        v.into_iter()
            .map(|(_, id)| format!("tag:news.example.org,2026-01-01:{id}"))
            .collect()
    };
    let all = expected(&|_| true);
    let cinema = expected(&|i| in_cinema(i));
    let festivals = expected(&|i| in_festivals(i));
    assert_eq!(chain_ids(&site, ""), all);
    assert_eq!(chain_ids(&site, "themes/caucasus-cinema/"), cinema);
    assert_eq!(chain_ids(&site, "themes/festivals/"), festivals);
    let pages = |len: usize| (len - 1) / 7;
    assert_eq!(
        r.new_archive_pages,
        pages(all.len()) + pages(cinema.len()) + pages(festivals.len())
    );
    // The same entry in the "all" archive and in a theme's archive.
    let entry_in = |rel: &str, id: &str| -> Option<String> {
        let text = read(&site, rel);
        let at = text.find(&format!("<id>{id}</id>"))?;
        let end = at + text[at..].find("</entry>").unwrap();
        Some(text[at..end].to_string())
    };
    let find = |prefix: &str, id: &str| -> String {
        (1..)
            .map_while(|p| {
                let rel = format!("{prefix}archive/atom-{p}.xml");
                site.path().join("feeds").join(&rel).exists().then_some(rel)
            })
            .find_map(|rel| entry_in(&rel, id))
            .unwrap_or_else(|| panic!("{id} not archived under {prefix:?}"))
    };
    let both = format!("tag:news.example.org,2026-01-01:a{:04}", 15 * 13);
    assert_eq!(find("", &both), find("themes/caucasus-cinema/", &both));
    assert_eq!(find("", &both), find("themes/festivals/", &both));
    // An article without a standfirst is summarised from its body text.
    let plain = find("", "tag:news.example.org,2026-01-01:a1000");
    assert!(
        plain.contains("<summary>First paragraph of the body.</summary>"),
        "{plain}"
    );

    // A deleted feeds directory comes back byte for byte: every archive
    // page rebuilt from the entries it was cut with, none cut anew.
    let dir = site.path().join("feeds");
    let before: Vec<(PathBuf, Vec<u8>)> = tree(&dir)
        .into_iter()
        .map(|rel| {
            let bytes = std::fs::read(dir.join(&rel)).unwrap();
            (rel, bytes)
        })
        .collect();
    std::fs::remove_dir_all(&dir).unwrap();
    let again = write(&site, &store);
    assert_eq!(again.new_archive_pages, 0, "{again:?}");
    assert_eq!(again.written, before.len(), "{again:?}");
    assert_eq!(tree(&dir).len(), before.len());
    for (rel, bytes) in &before {
        assert!(
            std::fs::read(dir.join(rel)).unwrap() == *bytes,
            "{} differs after the rebuild",
            rel.display()
        );
    }
}

/// Regression from real pages: U+FFFD (bytes a Korean page's decoder could
/// not read) and C1 controls reached feed content, which the W3C validator
/// rejects as bad characters, and a page's own tag "PG&amp" (its CMS had cut
/// "PG&amp;E" at the `;`) became the category "PG&amp;amp" ("should not
/// contain HTML").
#[test]
fn replacement_characters_c1_controls_and_cut_references_stay_out_of_feeds() {
    let site = Site::new();
    site.write(
        "k.html",
        "<html><head><title>Power shutoff over fire danger</title>\
         <meta property=\"article:tag\" content=\"PG&amp;amp\"></head><body><article>\
         <h1>Power shutoff over fire danger</h1>\
         <p>The utility began shutting off power \u{fffd}\u{fffd} to customers across the north of the state.</p>\
         <p>Officials said the outage\u{85} could last for days while crews inspect the lines.</p>\
         </article></body></html>",
    );
    let (code, _, err) = util::run(site.cmd().arg("run"));
    assert_eq!(code, 0, "{err}");
    for f in ["rss.xml", "atom.xml", "feed.json"] {
        let text = std::fs::read_to_string(site.path().join("feeds").join(f)).unwrap();
        assert!(text.contains("shutting off power"), "{f}");
        assert!(!text.contains('\u{fffd}'), "{f}");
        assert!(!text.contains('\u{85}'), "{f}");
        assert!(!text.contains("&amp;amp"), "{f}");
    }
    let rss = std::fs::read_to_string(site.path().join("feeds/rss.xml")).unwrap();
    assert!(rss.contains("<category>PG&amp;</category>"), "{rss}");
}
