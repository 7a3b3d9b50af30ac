//! Writes a small sample site's feeds (archive pages, two themes, a hostile
//! article) into DIR, for checking them with an external validator:
//!
//! ```sh
//! cargo run --example feeds_sample -- /tmp/sample
//! feedcheck --base https://news.example.org/feeds/ --root /tmp/sample/feeds \
//!     $(find /tmp/sample/feeds -name '*.xml' -o -name '*.json')
//! ```

use chrono::{DateTime, Duration, NaiveDate, Utc};
use newsdesk::config::Config;
use newsdesk::model::{Article, Format};
use newsdesk::store::{IngestBatch, NewFileVersion, ParsedFile, Store};

const CONFIG: &str = r#"[site]
title = "Sample Desk"
base_url = "https://news.example.org/"
language = "en"
description = "Long-form journalism, sampled"
author = "Sample Desk"

[feeds]
max_items = 3
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

fn main() -> anyhow::Result<()> {
    let dir = std::path::PathBuf::from(std::env::args().nth(1).expect("usage: feeds_sample DIR"));
    std::fs::create_dir_all(&dir)?;
    let cfg_path = dir.join("newsdesk.toml");
    std::fs::write(&cfg_path, CONFIG)?;
    let config = Config::load(&cfg_path)?;
    let mut store = Store::open(&config.store_path())?;
    let start: DateTime<Utc> = "2026-10-01T09:00:00Z".parse()?;
    for i in 0..10i64 {
        let mut a = Article {
            explicit_id: Some(format!("2026/story-{i}")),
            title: format!("Story {i}: a “long” read"),
            date: NaiveDate::from_ymd_opt(2026, 9, 1 + i as u32),
            standfirst: Some(format!("What story {i} is about.")),
            url: (i % 2 == 0).then(|| format!("https://news.example.org/2026/story-{i}/")),
            image_url: Some(format!("/images/{i}.jpg")),
            caption: Some(format!("Caption {i}")),
            image_credit: Some("Photo: Agency".into()),
            authors: if i % 3 == 0 {
                vec![]
            } else {
                vec!["Nino K.".into()]
            },
            tags: vec!["cinema".into()],
            pull_quotes: vec!["One quote.".into(), "Another quote.".into()],
            related: vec!["Related A".into(), "Related B".into(), "Related C".into()],
            body_html: format!(
                "<p>Paragraph one of {i} with <a href=\"/about/\">a link</a>.</p><p>Two.</p>"
            ),
            body_text: format!("Paragraph one of {i}.\n\nTwo."),
            ..Article::default()
        };
        if i == 9 {
            a.title = "Hostile ]]> <script>x</script> \u{1}title".into();
            a.body_html = "<p onclick=\"x()\">Hi<script>alert(1)</script> <a href=\"javascript:alert(1)\">j</a> ]]&gt; \u{1}</p>".into();
            a.url = Some("javascript:alert(1)".into());
            a.standfirst = Some("Stand ]]> & <script>alert(1)</script> <b>x</b>".into());
            a.caption = Some("Cap <i>x</i> \"q\" ]]>".into());
            a.image_url = Some("javascript:alert(2)".into());
            a.authors = vec!["Eve <eve@example.org>".into()];
            a.pull_quotes = vec!["<script>q()</script>".into()];
            a.related = vec!["]]>".into()];
        }
        let batch = IngestBatch {
            versions: vec![NewFileVersion {
                key: format!("story-{i}.md"),
                size: 1,
                mtime_ns: 1,
                hash: format!("h{i}"),
                parsed: Ok(ParsedFile::new(
                    format!("story-{i}.md"),
                    format!("story-{i}"),
                    Format::Markdown,
                    a,
                )),
            }],
            ..IngestBatch::default()
        };
        store.apply_ingest(&batch, start + Duration::days(i))?;
        let id = format!("2026/story-{i}");
        if i % 2 == 0 {
            store.feed_test_assign_theme(&id, "caucasus-cinema", 1.0, true)?;
        }
        store.feed_test_assign_theme(&id, "festivals", 1.0, i % 2 == 1)?;
    }
    let report = newsdesk::feeds::write_all(&config, &store, start + Duration::days(20))?;
    println!("{}", report.summary());
    Ok(())
}
